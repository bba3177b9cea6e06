"""``planvec index`` on a 500-level nested task list: every task is indexed or reported with its line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planvec.cli import main
from planvec.kinds.plans.markdown import MAX_BLOCK_DEPTH


def test_index_a_500_level_list_indexes_or_reports_every_task(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLANVEC_HOME", str(tmp_path / "home"))
    plans = tmp_path / "plans"
    plans.mkdir()
    lines = ["# Deep plan", ""] + ["  " * i + f"- [ ] task at depth {i}" for i in range(500)]
    lines += ["", "- [ ] the task after the deep list", ""]
    (plans / "deep.md").write_text("\n".join(lines), encoding="utf-8")
    task_lines = [n for n, line in enumerate(lines, 1) if "- [ ]" in line]

    code = main(["index", str(plans), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 3 and report["partial"] is True
    assert report["tasks"] == MAX_BLOCK_DEPTH + 1 and report["added"] == MAX_BLOCK_DEPTH + 1
    problems = report["problems"]
    assert {p["path"] for p in problems} == {"deep.md"}
    assert all(p["reason"].startswith(f"line {p['line']}: task nested") for p in problems)
    reported = [p["line"] for p in problems]
    assert reported == task_lines[MAX_BLOCK_DEPTH:-1]  # every task past the limit, in order

    code = main(["collections", "--json"])
    cols = {c["name"]: c["points"] for c in json.loads(capsys.readouterr().out)}
    assert cols["roadmap_tasks"] == MAX_BLOCK_DEPTH + 1

    code = main(["index", str(plans)])
    _, err = capsys.readouterr()
    assert code == 3 and "Traceback" not in err
    assert f"deep.md: line {task_lines[MAX_BLOCK_DEPTH]}: task nested more than" in err
    assert f"partial run: {500 - MAX_BLOCK_DEPTH} problem(s) in 1 file(s)" in err

    code = main(["check", str(plans), "--json", "--no-report"])
    checked = json.loads(capsys.readouterr().out)
    lost = [p for p in checked["problems"] if p["code"] == "not_indexed"]
    assert code == 1 and checked["ok"] is False  # the file and the index cannot agree on those tasks
    assert [int(p["message"].split("line ")[1].split(":")[0]) for p in lost] == task_lines[MAX_BLOCK_DEPTH:-1]
    assert checked["unreadable_files"][0]["line"] == task_lines[MAX_BLOCK_DEPTH]
