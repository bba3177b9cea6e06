"""discover / read_text / parse_file on real files written in tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from planvec.errors import ParseError, UsageError
from planvec.kinds.plans import parse_file
from planvec.kinds.plans.records import ParsedFile
from planvec.parsing import SourceFile, discover, read_text
from planvec.parsing.files import DEFAULT_EXCLUDE
from planvec.records import FileProblem


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", newline="")
    else:
        path.write_bytes(data)
    return path


# ----------------------------------------------------------------------------------------------------
# read_text


def test_plain_utf8_untouched(tmp_path: Path) -> None:
    p = write(tmp_path / "a.md", "# Développement\n\n- [ ] Créer l’API\n")
    assert read_text(p) == ("# Développement\n\n- [ ] Créer l’API\n", [])


def test_bom_is_stripped(tmp_path: Path) -> None:
    p = write(tmp_path / "a.md", b"\xef\xbb\xbf# Title\n")
    assert read_text(p) == ("# Title\n", [])


def test_crlf_and_cr_become_lf(tmp_path: Path) -> None:
    p = write(tmp_path / "a.md", b"# T\r\n\r\n- [ ] a\r- [ ] b\n")
    assert read_text(p)[0] == "# T\n\n- [ ] a\n- [ ] b\n"


def test_tabs_are_left_alone(tmp_path: Path) -> None:
    p = write(tmp_path / "a.md", "- [ ] a\n\t- [ ] b\n")
    assert read_text(p)[0] == "- [ ] a\n\t- [ ] b\n"


def test_invalid_utf8_is_replaced_with_its_offset(tmp_path: Path) -> None:
    data = b"# T\n\n- [ ] caf\xe9 cr\xff\n"
    p = write(tmp_path / "a.md", data)
    text, warnings = read_text(p)
    assert text == "# T\n\n- [ ] caf\ufffd cr\ufffd\n"
    assert data.index(b"\xe9") == 14
    assert warnings == ["invalid UTF-8 at byte offset 14 (replaced)"]  # the first bad byte
    # The offset counts from the start of the file, BOM included.
    p2 = write(tmp_path / "b.md", b"\xef\xbb\xbfab\x80 cd")
    assert read_text(p2)[1] == ["invalid UTF-8 at byte offset 5 (replaced)"]


def test_double_encoded_utf8_is_repaired(tmp_path: Path) -> None:
    good = (
        "# Plan de développement\n\n- [ ] **1.1** Établir l’état des tâches à créer\n- [ ] Déjà bon : été\n"
    )
    mojibake = "\n".join(
        line.encode("utf-8").decode("cp1252", errors="replace") if i < 3 else line
        for i, line in enumerate(good.split("\n"))
    )
    assert "Ã©" in mojibake
    p = write(tmp_path / "a.md", mojibake)
    text, warnings = read_text(p)
    assert text == good
    assert warnings == ["repaired double-encoded UTF-8 (2 lines)"]


def test_degraded_mojibake_capital_e_acute(tmp_path: Path) -> None:
    # 'É' double-encoded is 'Ã‰'; the corpus shows it with '‰' degraded to '%', next to ordinary mojibake.
    p = write(tmp_path / "a.md", "- [ ] DÃ©velopper\n- [ ] Ã%tablir le guide\n")
    text, warnings = read_text(p)
    assert text == "- [ ] Développer\n- [ ] Établir le guide\n"
    assert warnings == ["repaired double-encoded UTF-8 (2 lines)"]


def test_legit_text_with_marker_characters_is_not_touched(tmp_path: Path) -> None:
    content = "# São Paulo et Ãlvaro\n\nPrix : 5 € — « ok »\n"
    p = write(tmp_path / "a.md", content)
    assert read_text(p) == (content, [])


@pytest.mark.parametrize("content", [b"", b"   \n\n\t\n", b"\xef\xbb\xbf", b"\r\n\r\n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    p = write(tmp_path / "a.md", content)
    assert read_text(p) == ("", ["empty file"])


def test_binary_with_nul_bytes(tmp_path: Path) -> None:
    p = write(tmp_path / "a.md", b"# looks like text\n\x00\x01\x02 binary")
    with pytest.raises(ParseError, match="binary"):
        read_text(p)


def test_binary_without_nul_bytes(tmp_path: Path) -> None:
    p = write(tmp_path / "a.md", bytes(range(1, 32)) * 40)
    with pytest.raises(ParseError, match="binary"):
        read_text(p)


def test_utf16_with_bom_is_decoded(tmp_path: Path) -> None:
    p = write(tmp_path / "a.md", "# Titre\n- [ ] tâche\n".encode("utf-16"))
    text, warnings = read_text(p)
    assert text == "# Titre\n- [ ] tâche\n"
    assert warnings == ["decoded as UTF-16 (byte order mark)"]


def test_over_the_size_cap(tmp_path: Path) -> None:
    p = write(tmp_path / "a.md", "x" * 101)
    assert read_text(p, max_bytes=101)[0] == "x" * 101
    with pytest.raises(ParseError, match="101 bytes, over the 100-byte limit"):
        read_text(p, max_bytes=100)


def test_a_directory_is_unreadable(tmp_path: Path) -> None:
    d = tmp_path / "dir.md"
    d.mkdir()
    with pytest.raises(ParseError, match="is a directory"):
        read_text(d)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="no such file"):
        read_text(tmp_path / "gone.md")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    with pytest.raises(ParseError, match="not a regular file"):
        read_text(fifo)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_permission_denied(tmp_path: Path) -> None:
    p = write(tmp_path / "a.md", "# T\n")
    p.chmod(0)
    try:
        with pytest.raises(ParseError, match="permission denied"):
            read_text(p)
    finally:
        p.chmod(0o644)


def test_permission_denied_reported_even_as_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root ignores file modes, so simulate the refusal the OS gives an ordinary user."""
    import planvec.parsing.files as files_mod

    p = write(tmp_path / "a.md", "# T\n")

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(p))

    monkeypatch.setattr(files_mod, "open", refuse, raising=False)
    with pytest.raises(ParseError, match="unreadable \\(permission denied\\)"):
        read_text(p)
    problem = parse_file(SourceFile(tmp_path, p, "a.md"))
    assert problem == FileProblem("a.md", "unreadable (permission denied); check the file's permissions")


# ----------------------------------------------------------------------------------------------------
# parse_file


def source(root: Path, rel: str) -> SourceFile:
    return SourceFile(root, root / rel, rel)


def test_parse_file_merges_read_warnings(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf# T\r\n\r\n- [ ] caf\xe9\r\n\t- [x] nested\r\n"
    write(tmp_path / "sub" / "p.md", data)
    pf = parse_file(source(tmp_path, "sub/p.md"))
    assert isinstance(pf, ParsedFile)
    assert pf.path == "sub/p.md"
    assert [(t.title, t.line, t.depth, t.file) for t in pf.tasks] == [
        ("caf\ufffd", 3, 0, "sub/p.md"),
        ("nested", 4, 1, "sub/p.md"),
    ]
    assert pf.warnings == ("invalid UTF-8 at byte offset 19 (replaced)",)
    assert data.index(b"\xe9") == 19


def test_parse_file_turns_errors_into_problems(tmp_path: Path) -> None:
    write(tmp_path / "bin.md", b"\x00\x00\x00")
    write(tmp_path / "big.md", "# big\n" * 100)
    (tmp_path / "dir.md").mkdir()
    bin_problem = parse_file(source(tmp_path, "bin.md"))
    assert isinstance(bin_problem, FileProblem) and bin_problem.path == "bin.md"
    assert bin_problem.reason.startswith("binary file")
    big = parse_file(source(tmp_path, "big.md"), max_bytes=50)
    assert isinstance(big, FileProblem) and "over the 50-byte limit" in big.reason
    assert str(tmp_path) not in big.reason
    d = parse_file(source(tmp_path, "dir.md"))
    assert isinstance(d, FileProblem) and "directory" in d.reason
    gone = parse_file(source(tmp_path, "gone.md"))
    assert isinstance(gone, FileProblem) and "no such file" in gone.reason


def test_parse_file_empty_file(tmp_path: Path) -> None:
    write(tmp_path / "e.md", "")
    pf = parse_file(source(tmp_path, "e.md"))
    assert isinstance(pf, ParsedFile)
    assert pf.tasks == () and pf.sections == () and pf.warnings == ("empty file",)


# ----------------------------------------------------------------------------------------------------
# discover


def rels(found: list[SourceFile]) -> list[str]:
    return [f.rel for f in found]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for rel in (
        "a.md",
        "b.markdown",
        "notes.txt",
        "docs/c.md",
        "docs/deep/d.md",
        "drafts/e.md",
        ".git/f.md",
        "node_modules/pkg/g.md",
        ".venv/lib/h.md",
        "sub/.git/i.md",
    ):
        write(root / rel, f"# {rel}\n")
    return root


def test_discover_defaults(tree: Path) -> None:
    found, problems = discover([tree])
    assert problems == []
    assert rels(found) == ["a.md", "b.markdown", "docs/c.md", "docs/deep/d.md", "drafts/e.md"]
    assert all(f.root == tree and f.path == tree / f.rel and f.path.is_absolute() for f in found)


def test_discover_include_exclude(tree: Path) -> None:
    # An explicit exclude replaces the defaults: keep them by adding to DEFAULT_EXCLUDE.
    found, _ = discover(
        [tree], include=["*.md", "*.txt"], exclude=[*DEFAULT_EXCLUDE, "drafts/**", "**/deep/**"]
    )
    assert rels(found) == ["a.md", "docs/c.md", "notes.txt"]
    found, _ = discover([tree], include=["docs/*.md"])
    assert rels(found) == ["docs/c.md"]
    found, _ = discover([tree], include=["**/*.md"], exclude=[])
    assert "node_modules/pkg/g.md" in rels(found) and ".git/f.md" in rels(found)
    found, _ = discover([tree], exclude=[*DEFAULT_EXCLUDE, "**/?.md"])
    assert rels(found) == ["b.markdown"]


def test_discover_extension_ignores_case_and_the_rest_does_not(tree: Path) -> None:
    write(tree / "UP.MD", "# up\n")
    write(tree / "docs/Notes.Markdown", "# notes\n")
    found, _ = discover([tree])
    assert {"UP.MD", "docs/Notes.Markdown"} <= set(rels(found))
    found, _ = discover([tree], include=["up.*"])
    assert rels(found) == []
    found, _ = discover([tree], include=["[a-c].md", "[!a-z]*.md", "[[]x"])
    assert rels(found) == ["UP.MD", "a.md", "docs/c.md"]


@pytest.mark.parametrize(
    ("glob", "says"), [("[", "never closed"), ("x[ab", "never closed"), ("[z-a]", "range")]
)
def test_discover_refuses_an_invalid_glob(tree: Path, glob: str, says: str) -> None:
    with pytest.raises(UsageError, match=says):
        discover([tree], include=[glob])
    with pytest.raises(UsageError, match=says):
        discover([tree], exclude=[glob])


def test_discover_single_file_and_missing_path(tree: Path, tmp_path: Path) -> None:
    found, problems = discover([tree / "docs" / "deep" / "d.md", tree / "notes.txt", tmp_path / "nope"])
    assert [(f.root, f.rel) for f in found] == [(tree, "notes.txt"), (tree / "docs" / "deep", "d.md")]
    assert problems == [FileProblem(str(tmp_path / "nope"), "no such file or directory")]


def test_discover_relative_path_argument(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree.parent)
    found, _ = discover([Path("repo/docs")])
    assert [(f.root, f.rel) for f in found] == [(tree / "docs", "c.md"), (tree / "docs", "deep/d.md")]


def test_discover_no_duplicates(tree: Path) -> None:
    found, _ = discover([tree, tree / "docs", tree, tree / "a.md"])
    paths = [os.path.realpath(f.path) for f in found]
    assert len(paths) == len(set(paths)) == 5
    assert found == sorted(found, key=lambda f: (f.root.as_posix(), f.rel))


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_discover_symlink_loop_is_reported(tree: Path) -> None:
    os.symlink(tree, tree / "docs" / "loop")  # docs/loop -> repo: its own ancestor
    os.symlink("..", tree / "docs" / "deep" / "up")  # docs/deep/up -> docs
    found, problems = discover([tree])
    assert rels(found) == ["a.md", "b.markdown", "docs/c.md", "docs/deep/d.md", "drafts/e.md"]
    assert [p.path for p in problems] == ["docs/deep/up", "docs/loop"]
    assert all("symlink loop" in p.reason for p in problems)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_discover_follows_symlinks_once(tree: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside / "x.md", "# x\n")
    os.symlink(outside, tree / "linked")
    os.symlink(tree / "docs", tree / "docs-again")  # same directory twice
    os.symlink(tree / "nowhere.md", tree / "broken.md")
    found, problems = discover([tree])
    assert "linked/x.md" in rels(found)
    assert sum(r.endswith("c.md") for r in rels(found)) == 1
    assert problems == [FileProblem("broken.md", problems[0].reason)]
    assert problems[0].reason.startswith("broken symbolic link")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_discover_reports_non_regular_files(tree: Path) -> None:
    os.mkfifo(tree / "pipe.md")
    found, problems = discover([tree])
    assert "pipe.md" not in rels(found)
    assert problems == [FileProblem("pipe.md", "not a regular file")]
