"""What an index run may delete, and what ``backup --out`` may overwrite, as a user runs them.

One copy of four corpus files is indexed once for the module; every test gets that index and those
files back, at the same place (the stored points name their absolute root).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from planvec.cli import main
from planvec.engine import Engine
from planvec.ops.archive import MAGIC
from planvec.settings import Settings
from planvec.store import EdgeStore

FILES = (
    "plan-dev-v18-repo-mgmt.md",
    "plan-dev-v20-observabilite-monitoring.md",
    "plan-dev-v31-migration-mcp-manager.md",
    "plan-dev-v56-go-native-vectorization-migration.md",
)
V20 = "plan-dev-v20-observabilite-monitoring.md"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def copy_plans(corpus_dir: Path, dst: Path) -> None:
    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir(parents=True)
    for name in FILES:
        shutil.copy(corpus_dir / name, dst / name)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path, embedder) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("data-safety")
    plans, data = base / "plans", base / "data"
    copy_plans(corpus_dir, plans)
    with Engine(Settings(data_dir=data), embedder=embedder) as eng:
        assert eng.index([plans]).problems == []
    return {"plans": plans, "data": data}


@pytest.fixture
def plans(
    indexed: dict[str, Path], corpus_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """The indexed plans directory, its files and its index as the module fixture made them."""
    copy_plans(corpus_dir, indexed["plans"])
    home = tmp_path / "home"
    shutil.copytree(indexed["data"], home)
    (home / ".lock").unlink(missing_ok=True)
    monkeypatch.setenv("PLANVEC_HOME", str(home))
    yield indexed["plans"]


def points(capsys: pytest.CaptureFixture[str]) -> dict[str, int]:
    code, out, err = run(capsys, "collections", "--json")
    assert code == 0, err
    return {c["name"]: c["points"] for c in json.loads(out)}


def files_indexed() -> set[str]:
    """The files the tasks collection holds points of (read from the store the CLI uses)."""
    with EdgeStore(Path(os.environ["PLANVEC_HOME"]), read_only=True) as store:
        return set(store.distinct_values("roadmap_tasks", "file"))


def index_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object], str]:
    code, out, err = run(capsys, "index", *args, "--json")
    return code, (json.loads(out) if code in (0, 3) else {}), err


# -- item 14: --include narrows what a run reads, and so what it may delete ---------------------------
def test_include_dry_run_then_run_deletes_nothing_else(capsys, plans: Path) -> None:  # type: ignore[no-untyped-def]
    before = points(capsys)
    code, report, err = index_json(capsys, str(plans), "--include", "plan-dev-v2*", "--dry-run")
    assert code == 0, err
    assert report["files"] == 1 and report["deleted"] == 0 and report["added"] == 0
    code, report, err = index_json(capsys, str(plans), "--include", "plan-dev-v2*")
    assert code == 0 and report["deleted"] == 0, err
    assert points(capsys) == before


def test_exclude_keeps_the_points_of_excluded_files(capsys, plans: Path) -> None:  # type: ignore[no-untyped-def]
    before = points(capsys)
    code, report, err = index_json(capsys, str(plans), "--exclude", "plan-dev-v3*")
    assert code == 0 and report["files"] == 3 and report["deleted"] == 0, err
    assert points(capsys) == before


BAD_GLOBS = [
    ("[", "is never closed"),
    ("[z-a].md", "bad character range"),
    ("nothing-like-this*", "matches no file"),
]


@pytest.mark.parametrize(("glob", "says"), BAD_GLOBS)
def test_bad_or_unmatched_include_exits_2_and_changes_nothing(capsys, plans, glob, says) -> None:  # type: ignore[no-untyped-def]
    before = points(capsys)
    for extra in ((), ("--dry-run",)):
        code, _, err = run(capsys, "index", str(plans), "--include", glob, *extra)
        assert code == 2, err
        assert says in err and "hint:" in err and "Traceback" not in err
    # one bad glob among good ones is refused too
    code, _, err = run(capsys, "index", str(plans), "--include", "plan-dev-v2*", "--include", glob)
    assert code == 2 and says in err
    assert points(capsys) == before


def test_file_deleted_inside_the_scope_is_still_removed(capsys, plans: Path) -> None:  # type: ignore[no-untyped-def]
    before = points(capsys)
    assert V20 in files_indexed()
    (plans / V20).unlink()
    code, report, err = index_json(capsys, str(plans), "--include", "plan-dev-v*")
    assert code == 0, err
    assert report["files"] == 3 and report["deleted"] > 100 and report["added"] == 0
    after = points(capsys)
    assert sum(after.values()) == sum(before.values()) - report["deleted"]
    assert V20 not in files_indexed()


def test_file_deleted_outside_the_include_keeps_its_points(capsys, plans: Path) -> None:  # type: ignore[no-untyped-def]
    before = points(capsys)
    (plans / V20).unlink()
    code, report, err = index_json(capsys, str(plans), "--include", "plan-dev-v1*")
    assert code == 0 and report["deleted"] == 0, err
    assert points(capsys) == before
    # the whole directory, default globs: the vanished file is in scope again
    code, report, err = index_json(capsys, str(plans))
    assert code == 0 and report["deleted"] > 100, err


def test_prune_deletes_every_other_file_under_the_path(capsys, plans: Path) -> None:  # type: ignore[no-untyped-def]
    code, dry, err = index_json(capsys, str(plans), "--include", "plan-dev-v1*", "--prune", "--dry-run")
    assert code == 0 and dry["deleted"] > 300, err
    code, report, err = index_json(capsys, str(plans), "--include", "plan-dev-v1*", "--prune")
    assert code == 0 and report["deleted"] == dry["deleted"], err
    assert files_indexed() == {"plan-dev-v18-repo-mgmt.md"}
    assert points(capsys)["roadmap_tasks"] == report["tasks"]


# -- item 10, CLI side: the extension is compared without regard to case -----------------------------
def test_uppercase_extension_is_indexed(capsys, plans: Path) -> None:  # type: ignore[no-untyped-def]
    (plans / "NOTES.MD").write_text(
        "# Notes\n\n- [ ] **1.1** Étalonner le zorglub majuscule\n", encoding="utf-8"
    )
    code, report, err = index_json(capsys, str(plans))
    assert code == 0 and report["files"] == 5 and report["added"] >= 1, err
    code, out, _ = run(capsys, "search", "zorglub majuscule", "--json", "--limit", "1")
    assert code == 0 and json.loads(out)[0]["file"] == "NOTES.MD"


# -- item 15: backup --out refuses an existing file unless --force -----------------------------------
def test_backup_out_existing_refused_then_force_replaces(capsys, plans: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    archive = tmp_path / "out" / "plans.pvbak"
    archive.parent.mkdir()
    archive.write_bytes(b"the previous backup, kept")
    code, _, err = run(capsys, "backup", "--out", str(archive))
    assert code == 2 and "already exists" in err and "--force" in err and "Traceback" not in err
    assert archive.read_bytes() == b"the previous backup, kept"
    assert os.listdir(archive.parent) == ["plans.pvbak"]  # no temporary file left
    code, out, err = run(capsys, "backup", "--out", str(archive), "--force", "--json")
    assert code == 0, err
    assert archive.read_bytes().startswith(MAGIC) and json.loads(out)["total_points"] == sum(
        points(capsys).values()
    )
    assert os.listdir(archive.parent) == ["plans.pvbak"]
    # a new file needs no --force
    code, _, err = run(capsys, "backup", "--out", str(tmp_path / "out" / "new.pvbak"))
    assert code == 0, err
