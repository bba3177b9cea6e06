"""Shared CLI helpers: settings from the global options, consoles, JSON output, progress."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console

from ..engine import Engine
from ..errors import UsageError
from ..settings import Settings


@dataclass
class State:
    overrides: dict[str, object] = field(default_factory=dict)
    debug: bool = False
    verbosity: int = 0  # -1: --quiet (errors only), 0: normal, 1: --verbose


def verbosity(ctx: typer.Context) -> int:
    state = ctx.find_root().obj
    return state.verbosity if isinstance(state, State) else 0


def err_console() -> Console:
    return Console(stderr=True, soft_wrap=True)


def out_console() -> Console:
    return Console(soft_wrap=True, highlight=False)


def make_settings(ctx: typer.Context, **extra: object) -> Settings:
    state: State = ctx.obj if isinstance(ctx.obj, State) else State()
    values = {**state.overrides, **{k: v for k, v in extra.items() if v is not None}}
    try:
        return Settings(**values)  # type: ignore[arg-type]
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}" for err in e.errors())
        raise UsageError(
            f"invalid configuration: {problems}",
            hint="check PLANVEC_* environment variables and planvec.toml",
        ) from None


def confirm(question: str) -> None:
    """Ask ``question``; go on only on yes. No answer possible (stdin is not a terminal, or closed)
    is a usage error that names ``--yes``; "no" exits 1 saying nothing was done."""
    if not sys.stdin.isatty():
        raise UsageError(
            f"this needs a confirmation ({question}) and stdin is not a terminal",
            hint="add --yes to confirm in a script",
        )
    try:
        answer = typer.confirm(question)
    except typer.Abort:
        err_console().print("aborted: nothing was done")
        raise typer.Exit(130) from None
    if not answer:
        err_console().print("nothing was done (answered no; --yes skips the question)")
        raise typer.Exit(1)


@contextmanager
def engine(ctx: typer.Context, *, read_only: bool = False, **extra: object) -> Iterator[Engine]:
    with Engine(make_settings(ctx, **extra), read_only=read_only) as eng:
        yield eng


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A rich progress bar on a terminal (stderr); nothing otherwise."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console(),
        transient=True,
    ) as prog:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = prog.add_task(stage, total=total)
            prog.update(tasks[stage], completed=done, total=total)

        yield update
