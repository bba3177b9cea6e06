"""``planvec watch PATH...``: index PATHs, then re-sync the files that change until Ctrl-C.

One process holds the store open for the whole watch (its data directory is locked to it, as for
``index``); each debounced burst of file events is synced as ``index ROOT`` would sync those files,
and said in one line (``--json``: one JSON object a line, for scripts).
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from ..engine import Engine
from ..errors import PlanvecError
from ..sync.changes import ChangeSync
from ..sync.watch import DEBOUNCE_MS, STEP_MS, FlushClock, WatchRoot, changes, watch_roots
from .common import engine, err_console, out_console


def register(app: typer.Typer) -> None:
    app.command("watch")(watch_cmd)


def watch_cmd(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Directories or Markdown files to watch.")],
    debounce: Annotated[
        int,
        typer.Option(
            "--debounce", min=1, max=60_000, help="Longest a burst of file events is gathered (ms)."
        ),
    ] = DEBOUNCE_MS,
    step: Annotated[
        int,
        typer.Option("--step", min=1, max=10_000, help="A burst ends after this long without events (ms)."),
    ] = STEP_MS,
    no_initial: Annotated[
        bool, typer.Option("--no-initial", help="Do not index PATHs first: sync only what changes.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object a line per sync.")] = False,
) -> None:
    """Index PATHs, then keep the index in line with them: every file written, created, deleted
    or renamed is re-synced (editors' atomic saves and `git checkout` included). Ctrl-C stops.

    Each sync prints `synced N files: +added ~updated -deleted in S s` (--json: a JSON line)."""
    roots = watch_roots(paths)
    with engine(ctx) as eng:
        say = _Sayer(json_out)
        with contextlib.suppress(KeyboardInterrupt):
            run_watch(eng, roots, say, debounce=debounce, step=step, initial=not no_initial)
        say.event("stopped", "stopped")


def run_watch(
    eng: Engine,
    roots: list[WatchRoot],
    say: _Sayer,
    *,
    debounce: int = DEBOUNCE_MS,
    step: int = STEP_MS,
    initial: bool = True,
    stop: threading.Event | None = None,
) -> None:
    """The watch loop: index the roots once the watcher listens, then sync each burst."""

    def ready() -> None:
        if initial:
            _initial(eng, roots, say)
        where = ", ".join(r.root if r.only is None else f"{r.root}/{r.only}" for r in roots)
        say.event("watching", f"watching {where} (Ctrl-C stops)", paths=[str(r) for r in _paths(roots)])

    clock = FlushClock()
    for batch in changes(roots, debounce_ms=debounce, step_ms=step, stop=stop, on_ready=ready):
        for root, rels in sorted(batch.items()):
            try:
                say.sync(eng.sync_changed(root, sorted(rels), flush=clock.due()))
            except PlanvecError as e:  # (the watch goes on: the next change may fix it)
                say.error(e.message, e.hint)


def _paths(roots: list[WatchRoot]) -> list[Path]:
    return [Path(r.root) / r.only if r.only else Path(r.root) for r in roots]


def _initial(eng: Engine, roots: list[WatchRoot], say: _Sayer) -> None:
    report = eng.index(_paths(roots))
    say.event(
        "indexed",
        f"indexed {report.files} files: +{report.added} ~{report.updated + report.moved} "
        f"-{report.deleted} in {report.seconds:.2f} s",
        **{k: v for k, v in report.to_dict().items() if k in _INITIAL_FIELDS},
    )
    for p in report.problems:
        say.problem(p.path, p.reason)


_INITIAL_FIELDS = ("files", "added", "updated", "moved", "deleted", "unchanged", "embedded", "seconds")


class _Sayer:
    """Lines for people (stdout; problems on stderr) or JSON lines for scripts (stdout)."""

    def __init__(self, json_out: bool) -> None:
        self.json = json_out
        self.out = out_console()
        self.err = err_console()

    def _json(self, data: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
        sys.stdout.flush()

    def event(self, name: str, text: str, **data: Any) -> None:
        if self.json:
            self._json({"event": name, **data})
        else:
            self.out.print(text, markup=False)

    def sync(self, cs: ChangeSync) -> None:
        r = cs.report
        if self.json:
            self._json({"event": "sync", **cs.summary()})
        else:
            self.out.print(
                f"synced {len(cs.files)} files: +{r.added} ~{r.updated + r.moved} -{r.deleted} "
                f"in {r.seconds:.2f} s",
                markup=False,
            )
        for p in r.problems:
            self.problem(p.path, p.reason)

    def problem(self, path: str, reason: str) -> None:
        if not self.json:
            self.err.print(f"[red]not indexed:[/] {path}: {reason}", highlight=False)

    def error(self, message: str, hint: str | None) -> None:
        if self.json:
            self._json({"event": "error", "message": message, "hint": hint})
            return
        self.err.print(f"[bold red]error:[/] {message}", highlight=False)
        if hint:
            self.err.print(f"  hint: {hint}", highlight=False)
