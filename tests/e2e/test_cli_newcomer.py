"""What a newcomer types and sees (issue 19): configuration mistakes, confirmations, mistyped
collections, archives that are not archives, duplicate chunks, where reports go."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from planvec.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def corpus_home(tmp_path: Path, indexed_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    shutil.copytree(indexed_corpus, home)
    (home / ".lock").unlink(missing_ok=True)
    monkeypatch.setenv("PLANVEC_HOME", str(home))
    return home


def test_data_dir_that_is_a_file_is_a_configuration_error(capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    afile = tmp_path / "passwd"
    afile.write_text("root:x:0:0\n")
    code, _, err = run(capsys, "--data-dir", str(afile), "collections")
    assert code == 2 and "is not a directory" in err and "internal error" not in err


def test_broken_and_unknown_planvec_toml(capsys, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PLANVEC_CONFIG", raising=False)
    monkeypatch.setenv("PLANVEC_HOME", str(tmp_path / "home"))
    Path("planvec.toml").write_text('search_mode = "dense"\ndata_dir = "/tmp/x\n', encoding="utf-8")
    code, _, err = run(capsys, "collections")
    assert code == 2 and "planvec.toml is not valid TOML" in err and "line 2" in err
    assert "internal error" not in err
    Path("planvec.toml").write_text(f'home = "{tmp_path / "elsewhere"}"\n', encoding="utf-8")
    code, _, err = run(capsys, "collections")
    assert code == 0
    assert "unknown key 'home' ignored (did you mean data_dir?)" in err and "search_mode" in err


def test_confirmation_without_a_terminal_names_yes(capsys, corpus_home: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "stdin", open(os.devnull))  # noqa: SIM115 - closed by the fixture's end
    code, _, err = run(capsys, "drop", "roadmap_tasks")
    assert code == 2 and "--yes" in err and "aborted" not in err
    code, out, _ = run(capsys, "collections", "--json")
    assert "roadmap_tasks" in out  # nothing lost


def test_answering_no_says_nothing_was_done(corpus_home: Path) -> None:
    """On a terminal (a pseudo-terminal here), "n" exits 1 and says so."""
    master, slave = pty.openpty()
    env = {**os.environ, "PLANVEC_HOME": str(corpus_home), "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "planvec", "drop", "roadmap_tasks"],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    os.close(slave)
    os.write(master, b"n\n")
    _, err = proc.communicate(timeout=120)
    os.close(master)
    assert proc.returncode == 1
    assert b"nothing was done" in err


def test_repeated_status_is_refused(capsys, corpus_home: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "search", "go", "--status", "pending", "--status", "completed")
    assert code == 2 and "--status given 2 times" in err


def test_unknown_collection_lists_the_collections(capsys, corpus_home: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "search", "go", "--collection", "nope")
    assert code != 0 and "collection 'nope' does not exist" in err
    assert "roadmap_sections" in err and "roadmap_tasks" in err and "index some" not in err


def test_restore_of_a_file_that_is_not_an_archive(capsys, corpus_home: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    other = tmp_path / "hostname"
    other.write_text("buildhost\n")
    code, _, err = run(capsys, "restore", str(other))
    assert code != 0 and "is not a planvec backup archive" in err and "truncated" not in err


def test_a_chunked_section_is_one_hit(capsys, corpus_home: Path) -> None:  # type: ignore[no-untyped-def]
    """Long prose sections are stored as several chunks at one file:line: a search shows each once."""
    for query in ("architecture", "migration Go performance", "tests et validation"):
        code, out, _ = run(capsys, "search", query, "--collection", "roadmap_sections", "--json", "-n", "20")
        assert code == 0
        places = [(h["file"], h["line"]) for h in json.loads(out)]
        assert len(places) == len(set(places)) and len(places) == 20


def test_reports_go_under_the_data_dir(capsys, corpus_home, corpus_dir, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """check writes its reports under DATA_DIR/reports, not into the current directory, and says
    where (on stderr with --json); --report-dir still wins."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    code, out, _ = run(capsys, "check", str(corpus_dir))
    assert code in (0, 1)
    assert not (cwd / "reports").exists()
    assert (corpus_home / "reports" / "check.json").is_file()
    assert f"reports: {corpus_home / 'reports' / 'check.json'}" in out
    code, out, err = run(capsys, "check", str(corpus_dir), "--json")
    json.loads(out)
    assert f"reports: {corpus_home / 'reports' / 'check.json'}" in err
    code, out, _ = run(capsys, "check", str(corpus_dir), "--report-dir", str(tmp_path / "mine"))
    assert (tmp_path / "mine" / "check.md").is_file()


def test_help_shows_plain_value_names(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "120")
    for command in (["search", "--help"], ["index", "--help"], ["keys", "create", "--help"]):
        code, out, _ = run(capsys, *command)
        assert code == 0
        for python_name in ("<bool>", "<str>", "<int", "<float>", "list[", "<Path>"):
            assert python_name not in out, (command, python_name)
    code, out, _ = run(capsys, "search", "--help")
    assert "QUERY" in out and "--status" in out and "TEXT" in out


def test_global_options_after_the_command(capsys, corpus_home: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PLANVEC_HOME", str(tmp_path / "empty"))
    code, out, _ = run(capsys, "collections", "--json", "--data-dir", str(corpus_home))
    assert code == 0 and "roadmap_tasks" in out
    code, out, _ = run(capsys, "search", "go", "-n", "1", f"--data-dir={corpus_home}", "--json")
    assert code == 0 and len(json.loads(out)) == 1
    # after "--" an argument is an argument
    code, out, _ = run(capsys, "--data-dir", str(corpus_home), "search", "--json", "-n", "1", "--", "--debug")
    assert code == 0


def test_keys_list_has_a_header(capsys, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PLANVEC_HOME", str(tmp_path / "home"))
    assert run(capsys, "keys", "create", "--name", "ci-bot", "--scope", "read")[0] == 0
    code, out, _ = run(capsys, "keys", "list")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["NAME", "SCOPE", "CREATED", "SOURCE"] and "ci-bot" in lines[1]


# -- output people can use ------------------------------------------------------------------------
def test_search_paths_open_from_the_current_directory(
    capsys, corpus_home, corpus_dir, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(corpus_dir.parent)
    code, out, _ = run(capsys, "search", "vectorisation Qdrant", "-n", "3")
    assert code == 0
    where = [ln.split()[0] for ln in out.splitlines() if ln.startswith(" " * 11) and ".md:" in ln]
    assert where and all(w.startswith(f"{corpus_dir.name}/") for w in where)
    path, line = where[0].rsplit(":", 1)
    assert (corpus_dir.parent / path).is_file() and int(line) > 0
    monkeypatch.chdir(tmp_path)  # the files are not below it: absolute paths
    code, out, _ = run(capsys, "search", "vectorisation Qdrant", "-n", "1", "--oneline")
    first = out.splitlines()[0]
    assert first.startswith(str(corpus_dir.resolve()) + "/") and ".md:" in first and ": [" in first


def test_search_json_has_root_path_and_parent(capsys, corpus_home: Path, corpus_dir: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "search", "implémenter la vectorisation des requêtes", "--json", "-n", "10")
    hits = json.loads(out)
    assert code == 0 and hits
    for h in hits:
        assert h["path"] == f"{h['root']}/{h['file']}" and Path(h["path"]).is_file()
    nested = [h for h in hits if h["task_id"] and h["task_id"].count(".") >= 2]
    assert nested and all(h["parent"] and h["parent"]["title"] for h in nested)


def test_oneline_is_path_line_status_id_title(
    capsys, corpus_home: Path, corpus_dir: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(corpus_dir)
    code, out, _ = run(capsys, "search", "tests unitaires", "-n", "5", "--oneline", "--status", "pending")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 5
    for ln in lines:
        path, lineno, rest = ln.split(":", 2)
        assert (corpus_dir / path).is_file() and lineno.isdigit() and rest.startswith(" [ ] ")
    assert "\x1b" not in out  # not a terminal: no colour, no hyperlink escapes


def test_summary_shows_moved_and_dry_run_lists_deletions(capsys, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PLANVEC_HOME", str(tmp_path / "home"))
    plans = tmp_path / "plans"
    plans.mkdir()
    f = plans / "plan.md"
    f.write_text("# Plan\n\n## A\n\n- [ ] 1.1 Keep this task\n- [ ] 1.2 Drop this task\n", encoding="utf-8")
    assert run(capsys, "index", str(plans))[0] == 0
    f.write_text("# Plan\n\nIntro.\n\n## A\n\n- [ ] 1.1 Keep this task\n", encoding="utf-8")
    code, out, _ = run(capsys, "index", str(plans), "--dry-run", "--no-sections")
    assert code == 0
    assert "deleted  plan.md:6 1.2 Drop this task" in out
    assert "moved    plan.md:7 1.1 Keep this task" in out
    code, out, _ = run(capsys, "index", str(plans), "--no-sections")
    assert "moved 1" in out and "deleted 1" in out
    code, out, _ = run(capsys, "index", str(plans), "--full", "--dry-run", "--no-sections")
    # --full rewrites the point but its unchanged text keeps the stored vector: nothing to embed
    assert "updated 1" in out and "would be embedded 0" in out


def test_warnings_only_for_changed_files_unless_verbose(capsys, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PLANVEC_HOME", str(tmp_path / "home"))
    plans = tmp_path / "plans"
    plans.mkdir()
    fenced = "# Plan\n\n```go\ncode\n```go\n\n- [ ] 1.1 A task after a fence\n"
    (plans / "fenced.md").write_text(fenced, encoding="utf-8")
    (plans / "other.md").write_text("# Other\n\n- [ ] 2.1 Another task\n", encoding="utf-8")
    _, _, err = run(capsys, "index", str(plans))
    assert "fenced.md: repaired 1 code fence" in err
    _, _, err = run(capsys, "index", str(plans))
    assert "repaired" not in err and "1 warning(s) about unchanged files not shown (-v shows them)" in err
    _, _, err = run(capsys, "-v", "index", str(plans))
    assert "fenced.md: repaired 1 code fence" in err
    code, out, err = run(capsys, "index", str(plans), "-q")
    assert code == 0 and out == "" and err == ""


def test_show_task_id_with_file_and_words(capsys, corpus_home: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "show", "1.1")
    assert code == 0 and "tasks have the id 1.1 (narrow with --file GLOB)" in out
    assert "None" not in out and "False" not in out and "True" not in out
    code, out, _ = run(capsys, "show", "1.1", "--file", "plan-dev-v18*", "--json")
    hits = json.loads(out)
    assert code == 0 and len(hits) == 1 and hits[0]["file"].startswith("plan-dev-v18")
    code, _, err = run(capsys, "show", "1.1", "--file", "nope*")
    assert code == 2 and "in files matching 'nope*'" in err


def test_dependency_reports_go_under_the_data_dir(
    capsys, tmp_path: Path, corpus_dir: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    code, out, _ = run(capsys, "--data-dir", str(home), "deps", "conflicts", str(corpus_dir.parent / "repo"))
    assert code in (0, 1) and not (cwd / "reports").exists()
    assert (home / "reports" / "deps-conflicts.json").is_file()
    assert f"reports: {home / 'reports' / 'deps-conflicts.json'}" in out
