"""``planvec task done|reopen|set ID``: change a task in its Markdown file (write-back), then re-sync
that file, so the index says it at once."""

from __future__ import annotations

from typing import Annotated

import typer

from ..engine import Engine
from ..errors import UsageError
from ..ops.writeback import KEEP, TaskEdit, WriteConflict, WriteResult, write_task
from .common import engine, err_console, out_console, print_json

task_app = typer.Typer(
    help="Change a task in its Markdown file (checkbox, priority); the index follows.",
    no_args_is_help=True,
)

IdArg = Annotated[str, typer.Argument(metavar="ID", help="A point id (UUID) or an explicit task id (1.2.3).")]
FileOpt = Annotated[
    str | None,
    typer.Option("--file", help="With a task id: the file (glob) when several files have that id."),
]
ExpectOpt = Annotated[
    str | None,
    typer.Option("--expect", help="The task's content_hash as read: refuse if its text changed since."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def register(app: typer.Typer) -> None:
    app.add_typer(task_app, name="task")


@task_app.command("done")
def done_cmd(
    ctx: typer.Context,
    ident: IdArg,
    file: FileOpt = None,
    expect: ExpectOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Tick the task's checkbox ([ ] → [x])."""
    _run(ctx, ident, file, TaskEdit(status="completed"), expect, json_out)


@task_app.command("reopen")
def reopen_cmd(
    ctx: typer.Context,
    ident: IdArg,
    file: FileOpt = None,
    expect: ExpectOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Untick the task's checkbox ([x] → [ ])."""
    _run(ctx, ident, file, TaskEdit(status="pending"), expect, json_out)


@task_app.command("set")
def set_cmd(
    ctx: typer.Context,
    ident: IdArg,
    priority: Annotated[
        str, typer.Option("--priority", help="P0, P1, P2 or P3; 'none' removes the line's marker.")
    ],
    file: FileOpt = None,
    expect: ExpectOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Set the task's priority marker, in the file's own style ((P1), [P1], **P1**...)."""
    value = None if priority.lower() == "none" else priority.upper()
    _run(ctx, ident, file, TaskEdit(priority=value), expect, json_out)


def _run(
    ctx: typer.Context, ident: str, file: str | None, edit: TaskEdit, expect: str | None, json_out: bool
) -> None:
    with engine(ctx) as eng:
        point_id = _point_id(eng, ident, file)
        try:
            result = write_task(eng, point_id, edit, expect=expect)
        except WriteConflict as e:
            if json_out:
                print_json({"error": "conflict", "message": e.message, "current": e.current})
            raise
    if json_out:
        print_json(result.to_dict())
        return
    _say(result, edit)


def _point_id(eng: Engine, ident: str, file: str | None) -> str:
    import uuid

    try:
        return str(uuid.UUID(ident))
    except ValueError:
        pass
    hits = eng.find_by_task_id(ident, file_glob=file)
    if not hits:
        where = f" in files matching {file!r}" if file else ""
        raise UsageError(f"no task with id {ident!r}{where}", hint='find it with planvec search "..." first')
    if len(hits) > 1:
        files = ", ".join(f"{h.file}:{h.line}" for h in hits[:10])
        raise UsageError(
            f"{len(hits)} tasks have the id {ident!r} ({files})",
            hint="name the file with --file GLOB, or give the point id",
        )
    return hits[0].point_id


def _say(r: WriteResult, edit: TaskEdit) -> None:
    t = r.task
    what = f"{t.get('task_id') or '-'} {t.get('title')}"
    state = f"{t.get('status')}, priority {t.get('priority') or '-'}"
    if not r.changed:
        out_console().print(f"unchanged: {what} already says so ({state})", markup=False)
        return
    out_console().print(f"{r.file}:{r.line}  {what}  now {state}", markup=False)
    if edit.priority not in (KEEP, None) and t.get("priority") != edit.priority:
        err_console().print(f"warning: the index says priority {t.get('priority')}", highlight=False)
