"""File events for watch mode (``planvec watch``, ``planvec serve --watch``), through ``watchfiles``.

:func:`watch_roots` turns PATH arguments into roots: a directory is its own root, a file is watched
through its parent directory (an editor's atomic save replaces the file's inode, which a watch on
the file itself would lose) and only its own events count. :func:`changes` yields, per debounced
burst of events, the changed paths relative to each root; what happened to them (written, created,
deleted, renamed) does not matter: :func:`planvec.sync.changes.sync_changed` reads the disk.

A file written again while its sync runs gives new events, which the watcher keeps for the next
burst: every change after a sync read the disk is synced again.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError

__all__ = ["DEBOUNCE_MS", "FLUSH_EVERY_S", "STEP_MS", "FlushClock", "WatchRoot", "changes", "watch_roots"]

DEBOUNCE_MS = 1600  # the longest a burst of events is gathered before it is synced
STEP_MS = 50  # a burst ends when no event came for this long
_TICK_MS = 200  # how often the watcher wakes without events (readiness, stop requests)
# A watch sync leaves its writes in the store's write-ahead log (durable: replayed on open) and
# writes segments at most this often, and when the watch ends (the store's close).
FLUSH_EVERY_S = 60.0


class FlushClock:
    """Whether a sync should also write the store's segments: once every ``every`` seconds."""

    def __init__(self, every: float = FLUSH_EVERY_S) -> None:
        self.every = every
        self._last = time.monotonic()

    def due(self) -> bool:
        now = time.monotonic()
        if now - self._last < self.every:
            return False
        self._last = now
        return True


@dataclass(frozen=True, slots=True)
class WatchRoot:
    """A watched root (absolute, symlinks resolved); ``only``: the one file named, for a file PATH."""

    root: str
    only: str | None = None


def watch_roots(paths: Sequence[str | Path]) -> list[WatchRoot]:
    """The roots of PATH arguments; a PATH that does not exist is a usage error."""
    if not paths:
        raise UsageError("no PATH given", hint="planvec watch PATH... (a directory or a Markdown file)")
    out: dict[tuple[str, str | None], WatchRoot] = {}
    for p in paths:
        full = Path(os.path.realpath(Path(p).expanduser()))
        if full.is_dir():
            wr = WatchRoot(full.as_posix())
        elif full.is_file():
            wr = WatchRoot(full.parent.as_posix(), full.name)
        else:
            raise UsageError(f"path not found: {p}", hint="watch an existing directory or file")
        out[(wr.root, wr.only)] = wr
    return list(out.values())


def changes(
    roots: Sequence[WatchRoot],
    *,
    debounce_ms: int = DEBOUNCE_MS,
    step_ms: int = STEP_MS,
    stop: threading.Event | None = None,
    on_ready: Callable[[], None] | None = None,
    force_polling: bool | None = None,
) -> Iterator[dict[str, set[str]]]:
    """Each burst of events as ``{root: {changed paths relative to it}}`` (never empty), until
    ``stop`` is set; ``on_ready`` runs once the watcher is listening."""
    import watchfiles

    dirs = sorted({r.root for r in roots})
    ready = on_ready
    for batch in watchfiles.watch(
        *dirs,
        watch_filter=None,  # (the sync applies the kinds' globs and the excludes itself)
        debounce=debounce_ms,
        step=step_ms,
        stop_event=stop,
        rust_timeout=_TICK_MS,
        yield_on_timeout=True,
        force_polling=force_polling,
    ):
        if ready is not None:
            ready()
            ready = None
        grouped = _group(roots, (path for _, path in batch))
        if grouped:
            yield grouped


def _group(roots: Sequence[WatchRoot], paths: Iterator[str]) -> dict[str, set[str]]:
    """Event paths by root (the deepest root holding them), relative; a root watched for some files
    only keeps theirs."""
    allowed: dict[str, set[str] | None] = {}
    for r in roots:
        names = allowed.setdefault(r.root, set())
        if r.only is None or names is None:
            allowed[r.root] = None
        else:
            names.add(r.only)
    ordered = sorted(allowed, key=len, reverse=True)
    out: dict[str, set[str]] = {}
    for path in paths:
        posix = Path(path).as_posix()
        for root in ordered:
            prefix = root.rstrip("/") + "/"
            if not posix.startswith(prefix):
                continue
            rel = posix[len(prefix) :]
            names = allowed[root]
            if names is None or rel in names:
                out.setdefault(root, set()).add(rel)
            break
    return out
