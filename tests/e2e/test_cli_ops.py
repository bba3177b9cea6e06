"""planvec check / verify / diagnose / fix through the CLI entry point, on a small copy of plans."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planvec.cli import main

ALPHA = """# Plan alpha

## Phase 1

- [ ] **1.1** [P0] Back up the database every night
- [x] **1.2** [P1] Add a payload index on the status field
- [ ] **1.3** Write the migration guide for operators
"""
BETA = """# Plan beta

## Security

- [ ] **1.1** [P0] Rotate the API keys monthly
- [x] **1.2** [P3] Audit the access logs
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def test_check_fix_verify_diagnose_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "alpha.md").write_text(ALPHA, encoding="utf-8")
    (plans / "beta.md").write_text(BETA, encoding="utf-8")
    data, reports = str(tmp_path / "data"), str(tmp_path / "reports")
    g = ["--data-dir", data]

    rc, out, _ = run(capsys, *g, "check", str(plans), "--report-dir", reports)
    assert rc == 1 and "missing 5" in out and "not consistent" in out
    assert run(capsys, *g, "index", str(plans))[0] == 0

    rc, out, _ = run(capsys, *g, "check", str(plans), "--report-dir", reports)
    assert rc == 0 and "coverage 100.00 %" in out
    assert json.loads((tmp_path / "reports" / "check.json").read_text())["coverage"] == 100.0
    assert "# planvec check: **OK**" in (tmp_path / "reports" / "check.md").read_text()

    # a task disappears from the files: its point becomes an orphan
    (plans / "beta.md").write_text(BETA.replace("- [x] **1.2** [P3] Audit the access logs\n", ""))
    rc, out, _ = run(capsys, *g, "check", str(plans), "--json", "--no-report")
    assert rc == 1
    counts = json.loads(out)
    assert (counts["missing"], counts["orphaned"], counts["stale"], counts["duplicates"]) == (0, 1, 0, 0)

    rc, out, _ = run(capsys, *g, "fix", str(plans), "--dry-run", "--no-report")
    assert rc == 1 and "delete_orphans" in out and "nothing changed" in out
    rc, out, _ = run(capsys, *g, "fix", str(plans), "--yes", "--report-dir", reports)
    assert rc == 0 and "safety backup:" in out and "fix --restore" in out
    assert (tmp_path / "reports" / "fix.md").is_file()
    rc, out, _ = run(capsys, *g, "fix", str(plans), "--yes", "--no-report")
    assert rc == 0 and "nothing to fix" in out
    assert run(capsys, *g, "check", str(plans), "--no-report")[0] == 0

    rc, out, _ = run(capsys, *g, "verify", "--json", "--sample", "10", "--report-dir", reports)
    v = json.loads(out)
    assert rc == 0 and v["ok"] and v["summary"]["sample"] == 4 and v["summary"]["self_retrieval"] == 1.0
    assert (tmp_path / "reports" / "verify.md").is_file()

    rc, out, _ = run(capsys, *g, "diagnose", "--json", "--no-report")
    d = json.loads(out)
    assert rc == 0 and d["store"]["reachable"] and d["lock"]["held"] is False
    assert {c["name"]: c["points"] for c in d["collections"]}["roadmap_tasks"] == 4

    # usage errors: exit 2, no traceback
    rc, _, err = run(capsys, *g, "check", str(tmp_path / "nope"))
    assert rc == 2 and "path not found" in err and "Traceback" not in err
    rc, _, err = run(capsys, *g, "fix", str(plans))  # no --yes and no terminal
    assert rc == 2 and "--yes" in err
    rc, _, err = run(capsys, *g, "verify", "--collection", "nope", "--no-report")
    assert rc == 1 and "does not exist" in err
