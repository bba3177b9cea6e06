"""``planvec fix``'s safety backup is a normal backup archive: ``planvec restore`` reads it, and
``planvec fix --restore`` (the archive or its directory) is a ``restore --replace`` of it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from planvec.cli import main

PLAN = """# Plan alpha

## Phase 1

- [ ] **1.1** [P0] Back up the database every night
- [x] **1.2** [P1] Add a payload index on the status field
- [ ] **1.3** Write the migration guide for operators
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def tasks_of(capsys: pytest.CaptureFixture[str], data: Path, plans: Path) -> dict[str, int]:
    out = run(capsys, "--data-dir", str(data), "check", str(plans), "--json", "--no-report")[1]
    c = json.loads(out)
    return {"points": c["points"], "orphaned": c["orphaned"]}


def test_fix_safety_backup_is_an_archive_that_restore_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "alpha.md").write_text(PLAN, encoding="utf-8")
    data = tmp_path / "data"
    g = ["--data-dir", str(data)]
    assert run(capsys, *g, "index", str(plans))[0] == 0
    # A task leaves the file: fix deletes its point, after a safety backup.
    (plans / "alpha.md").write_text(
        PLAN.replace("- [ ] **1.3** Write the migration guide for operators\n", "")
    )
    assert tasks_of(capsys, data, plans) == {"points": 3, "orphaned": 1}
    rc, out, err = run(capsys, *g, "fix", str(plans), "--yes", "--no-report")
    assert rc == 0, err
    found = re.search(r"safety backup: (\S+)", out)
    assert found is not None, out
    archive = Path(found.group(1))
    assert archive.is_file() and archive.suffix == ".pvbak"
    assert f"restore with: planvec --data-dir {data} fix --restore {archive} --yes" in out
    assert tasks_of(capsys, data, plans) == {"points": 2, "orphaned": 0}

    # planvec restore reads it like any backup: into another store, then over this one.
    other = tmp_path / "other"
    rc, out, err = run(capsys, "--data-dir", str(other), "restore", str(archive), "--json")
    assert rc == 0, err
    assert {c["name"]: c["points"] for c in json.loads(out)["collections"]}["roadmap_tasks"] == 3
    rc, _, err = run(capsys, *g, "restore", str(archive), "--replace")
    assert rc == 0, err
    assert tasks_of(capsys, data, plans) == {"points": 3, "orphaned": 1}  # the state before fix

    # fix --restore, given the archive or the directory holding it, puts the same state back.
    assert run(capsys, *g, "fix", str(plans), "--yes", "--no-report")[0] == 0
    for given in (archive, archive.parent):
        rc, _, err = run(capsys, *g, "fix", "--restore", str(given), "--yes")
        assert rc == 0 and "restored roadmap_tasks" in err and f"from {given}" in err, err
        assert tasks_of(capsys, data, plans) == {"points": 3, "orphaned": 1}
    rc, _, err = run(capsys, *g, "fix", "--restore", str(plans), "--yes")
    assert rc == 2 and "is not a planvec fix backup" in err and "Traceback" not in err
