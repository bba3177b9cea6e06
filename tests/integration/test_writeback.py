"""Write-back (``planvec task done|reopen|set``): the task's line changes in the Markdown file, every
other byte stays (BOM, CRLF, trailing newline: compared as bytes), and the index says it at once."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from planvec.cli import main
from planvec.engine import Engine
from planvec.errors import UsageError
from planvec.kinds.plans.writeback import KEEP, TaskEdit, edit_task
from planvec.ops.writeback import WriteConflict, read_task, write_task
from planvec.records import TASKS_COLLECTION

CORPUS_CRLF = "plan-dev-v31-migration-mcp-manager.md"  # a corpus file with CRLF line endings


def _only_line_changed(before: bytes, after: bytes, line: int) -> tuple[bytes, bytes]:
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(a) == len(b)
    assert [x for i, x in enumerate(a) if i != line - 1] == [x for i, x in enumerate(b) if i != line - 1]
    return a[line - 1], b[line - 1]


@pytest.mark.parametrize(
    ("line", "edit", "after"),
    [
        (b"- [ ] **1.1** Do it\r\n", TaskEdit(status="completed"), b"- [x] **1.1** Do it\r\n"),
        (b"  * [X] Done already\n", TaskEdit(status="completed"), b"  * [X] Done already\n"),
        (b"1. [x] Ticked\n", TaskEdit(status="pending"), b"1. [ ] Ticked\n"),
        (b"- [ ] Task (P2) with more\n", TaskEdit(priority="P0"), b"- [ ] Task (P0) with more\n"),
        (b"- [ ] Task **P3**\n", TaskEdit(priority="P1"), b"- [ ] Task **P1**\n"),
        (b"- [ ] Task Priorit\xc3\xa9 : P2\n", TaskEdit(priority="P1"), b"- [ ] Task Priorit\xc3\xa9 : P1\n"),
        (b"- [ ] Task (P2) with more\n", TaskEdit(priority=None), b"- [ ] Task with more\n"),
        (b"- [ ] Plain task  \r\n", TaskEdit(priority="P1"), b"- [ ] Plain task (P1)  \r\n"),
        (b"> - [ ] Quoted (P3)", TaskEdit("completed", "P2"), b"> - [x] Quoted (P2)"),
    ],
)
def test_edit_task_changes_only_its_bytes(line: bytes, edit: TaskEdit, after: bytes) -> None:
    before = b"\xef\xbb\xbf# Plan\r\n\r\n" + line + (b"\n- [ ] next\n" if line.endswith(b"\n") else b"")
    out = edit_task(before, 3, edit)
    assert _only_line_changed(before, out, 3) == (line, after)
    assert out.startswith(b"\xef\xbb\xbf# Plan\r\n")


def test_edit_task_keeps_the_file_style_for_new_markers_and_ticks() -> None:
    data = b"# P\n\n- [X] a [P1]\n- [X] b [P2]\n- [ ] c\n"
    out = edit_task(data, 5, TaskEdit("completed", "P0"))
    assert out.splitlines()[4] == b"- [X] c [P0]"


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (b"# P\n\nprose line\n", 3, "not a task line"),
        (b"# P\n", 9, "not in the file"),
        (b"# P\n\n- [ ] caf\xe9\n", 3, "not UTF-8"),
        (b"# P\n\n```\n- [ ] in code\n```\n", 4, "would not leave a task"),
    ],
)
def test_edit_task_refuses_what_it_cannot_edit(data: bytes, line: int, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        edit_task(data, line, TaskEdit(status="completed"))
    with pytest.raises(UsageError, match="not one of P0"):
        edit_task(b"- [ ] x\n", 1, TaskEdit(priority="P9"))
    assert edit_task(b"- [ ] x\n", 1, TaskEdit(priority=KEEP)) == b"- [ ] x\n"


@pytest.fixture
def crlf_plan(tmp_path: Path, corpus_dir: Path, engine: Engine) -> Path:
    d = tmp_path / "plans"
    d.mkdir()
    shutil.copy(corpus_dir / CORPUS_CRLF, d / CORPUS_CRLF)
    engine.index([d])
    return d / CORPUS_CRLF


def _task_at(engine: Engine, file: Path, line: int) -> dict[str, object]:
    for p in engine.store.scroll(TASKS_COLLECTION, fields=None):
        if p.payload["file"] == file.name and p.payload["line"] == line:
            return {"id": p.id, **p.payload}
    raise AssertionError(f"no task at line {line}")


def test_write_task_on_a_real_crlf_file_is_searchable_at_once(crlf_plan: Path, engine: Engine) -> None:
    before = crlf_plan.read_bytes()
    task = _task_at(engine, crlf_plan, 24)
    res = write_task(engine, str(task["id"]), TaskEdit(status="completed"), expect=str(task["content_hash"]))
    after = crlf_plan.read_bytes()
    old, new = _only_line_changed(before, after, 24)
    assert new == old.replace(b"- [ ]", b"- [x]", 1) and new.endswith(b"\r\n")
    assert res.changed and res.task["status"] == "completed" and res.sync["moved"] == 1
    assert res.write_ms < 5000  # (reported; the benchmark measures it)
    hits = engine.search("Recensement fichiers mcp-manager", {"status": "completed"}, limit=5)
    assert any(h.point_id == task["id"] for h in hits)
    again = write_task(engine, str(task["id"]), TaskEdit(status="completed"))
    assert not again.changed and crlf_plan.read_bytes() == after


def test_write_task_refuses_when_the_task_text_changed(crlf_plan: Path, engine: Engine) -> None:
    task = _task_at(engine, crlf_plan, 29)
    raw = crlf_plan.read_bytes()
    crlf_plan.write_bytes(raw.replace(b"Cartographier les d", b"Cartographier toutes les d", 1))
    before = crlf_plan.read_bytes()
    with pytest.raises(WriteConflict) as e:
        write_task(engine, str(task["id"]), TaskEdit(status="completed"), expect=str(task["content_hash"]))
    assert e.value.current is not None and "toutes les" in str(e.value.current["text"])
    assert crlf_plan.read_bytes() == before  # nothing written
    engine.index([crlf_plan.parent])  # (the new text has a new point id once indexed)
    current = read_task(engine, str(e.value.current["point_id"]))
    assert current["line"] == 29 and current["content_hash"] == e.value.current["content_hash"]
    ok = write_task(
        engine, str(current["point_id"]), TaskEdit(status="completed"), expect=str(current["content_hash"])
    )
    assert ok.changed and ok.task["status"] == "completed"


def test_cli_task_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "plans"
    d.mkdir()
    (d / "a.md").write_bytes(b"# A\n\n- [ ] **1.1** Ship the thing (P2)\n- [ ] **2.1** Other\n")
    (d / "b.md").write_bytes(b"# B\n\n- [ ] **2.1** Other in b\n")
    data = ["--data-dir", str(tmp_path / "data")]
    assert main([*data, "index", str(d), "-q"]) == 0
    assert main([*data, "task", "done", "1.1"]) == 0
    assert "now completed, priority P2" in capsys.readouterr().out
    assert main([*data, "task", "set", "1.1", "--priority", "P0", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["task"]["priority"] == "P0" and out["changed"] is True
    assert (d / "a.md").read_bytes() == b"# A\n\n- [x] **1.1** Ship the thing (P0)\n- [ ] **2.1** Other\n"
    assert main([*data, "task", "reopen", "2.1"]) == 2
    err = capsys.readouterr().err
    assert "2 tasks have the id '2.1'" in err and "--file" in err
    assert main([*data, "task", "reopen", "1.1"]) == 0
    assert main([*data, "task", "done", "2.1", "--file", "b.md"]) == 0
    assert (d / "b.md").read_bytes() == b"# B\n\n- [x] **2.1** Other in b\n"
    assert main([*data, "task", "done", "9.9"]) == 2
    assert "no task with id '9.9'" in capsys.readouterr().err
    assert main([*data, "task", "done", "1.1", "--expect", "stale"]) == 1
    assert "changed since it was read" in capsys.readouterr().err
