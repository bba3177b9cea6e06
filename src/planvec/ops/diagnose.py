"""``diagnose``: the troubleshooting guide as a command.

Store reachable (a server: latency and version), collections (vector size, points, indexed points,
segments, payload indexes), dimension or model mismatch between a collection and the configured
model, who holds the data directory lock (embedded store), disk space. Every problem comes with the
exact command that fixes it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..clock import now_iso
from ..embedding.base import Embedder
from ..errors import NotSupported, PlanvecError, StoreLockedError
from ..kinds.plans import PAYLOAD_INDEXES as DEFAULT_PAYLOAD_INDEXES
from ..settings import Settings
from ..store.base import LockStatus, VectorStore
from .problems import Problem, cli_prefix, fix_command

MIN_FREE_BYTES = 1 << 30  # warn below 1 GiB free next to the data directory


@dataclass(slots=True)
class DiagnoseReport:
    store: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    collections: list[dict[str, Any]] = field(default_factory=list)
    lock: dict[str, Any] | None = None
    disk: dict[str, Any] | None = None
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    generated_at: str = field(default_factory=now_iso)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "generated_at": self.generated_at,
            "problems": [p.to_dict() for p in self.problems],
            "store": self.store,
            "model": self.model,
            "collections": self.collections,
            "lock": self.lock,
            "disk": self.disk,
            "seconds": round(self.seconds, 3),
        }


def _disk(data_dir: Path) -> dict[str, Any]:
    probe = data_dir
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    usage = shutil.disk_usage(probe)
    size = 0
    if data_dir.is_dir():
        for dirpath, _, files in os.walk(data_dir):
            for f in files:
                with contextlib.suppress(OSError):
                    size += os.lstat(os.path.join(dirpath, f)).st_blocks * 512
    return {
        "path": str(data_dir),
        "free_bytes": usage.free,
        "total_bytes": usage.total,
        "free_pct": round(100.0 * usage.free / usage.total, 2) if usage.total else None,
        "data_bytes": size,
    }


def diagnose(
    settings: Settings,
    store: Callable[[], VectorStore],
    embedder: Callable[[], Embedder],
    *,
    min_free_bytes: int = MIN_FREE_BYTES,
) -> DiagnoseReport:
    """Diagnose the store and model that ``settings`` configure. ``store`` and ``embedder`` open
    them (once, when first needed): failing to open either is a finding, not an error."""
    t0 = time.perf_counter()
    s = settings
    r = DiagnoseReport()
    pv = cli_prefix(s)
    data_dir = Path(s.data_dir).expanduser()
    r.store = {
        "kind": "server" if s.qdrant_url else "embedded (Qdrant Edge)",
        "location": s.qdrant_url or str(data_dir),
    }
    opened, names = _store_section(s, store, r, pv)
    _model_section(embedder, r, pv)
    if opened is not None and names is not None:
        _collections_section(s, opened, r, names)
    r.disk = _disk(data_dir)
    if r.disk["free_bytes"] < min_free_bytes:
        r.problems.append(
            Problem(
                "low_disk_space",
                f"only {r.disk['free_bytes'] // (1 << 20)} MiB free next to {data_dir}",
                "free some space, or index elsewhere: planvec --data-dir OTHER_DIR index PATH",
                severity="warning",
            )
        )
    r.seconds = time.perf_counter() - t0
    return r


def _lock_section(r: DiagnoseReport, lock: LockStatus, data_dir: str) -> None:
    r.lock = lock.to_dict()
    if lock.held is True and lock.writer_pid and lock.writer_alive:
        pid = lock.writer_pid
        r.problems.append(
            Problem(
                "locked",
                f"process {pid} is writing to {data_dir} (it holds the lock)",
                f"wait for process {pid} to finish, or stop it: kill {pid}",
            )
        )


def _store_section(
    s: Settings, open_store: Callable[[], VectorStore], r: DiagnoseReport, pv: str
) -> tuple[VectorStore | None, list[str] | None]:
    t = time.perf_counter()
    store: VectorStore | None = None
    try:
        store = open_store()
        names = store.list_collections()
    except PlanvecError as e:
        if isinstance(e, StoreLockedError) and isinstance(e.lock, LockStatus):
            _lock_section(r, e.lock, str(Path(s.data_dir).expanduser()))
        r.store["reachable"] = False
        r.store["error"] = e.message
        if s.qdrant_url and s.qdrant_url != ":memory:":
            fix = f"start the server and check it answers: curl {s.qdrant_url.rstrip('/')}/collections"
        else:
            fix = e.hint or f"{pv} diagnose"
        if not any(p.code == "locked" for p in r.problems):
            r.problems.append(Problem("store_unreachable", f"cannot open the store: {e.message}", fix))
        return store, None
    r.store["reachable"] = True
    r.store["latency_ms"] = round(1000 * (time.perf_counter() - t), 2)
    r.store["collections"] = len(names)
    r.store["version"] = store.server_version()
    with contextlib.suppress(NotSupported):  # a server has no data directory lock
        _lock_section(r, store.lock_status(), str(Path(s.data_dir).expanduser()))
    return store, names


def _model_section(load: Callable[[], Embedder], r: DiagnoseReport, pv: str) -> None:
    try:
        emb = load()
        r.model = {"id": emb.model_id, "dimension": emb.dimension, "max_tokens": emb.max_tokens}
    except PlanvecError as e:
        r.model = {"error": e.message}
        r.problems.append(
            Problem(
                "model_unavailable", f"the embedding model cannot be loaded: {e.message}", f"{pv} model build"
            )
        )


def _roots(store: VectorStore, name: str) -> list[str]:
    try:
        return [str(v) for v in store.distinct_values(name, "root")]
    except PlanvecError:
        return []


def _collections_section(s: Settings, store: VectorStore, r: DiagnoseReport, names: list[str]) -> None:
    pv = cli_prefix(s)
    wanted = [s.tasks_collection] + ([s.sections_collection] if s.index_sections else [])
    for name in wanted:
        if name not in names:
            r.problems.append(
                Problem(
                    "not_indexed",
                    f"collection {name!r} does not exist yet",
                    f"{pv} index PATH",
                    severity="warning",
                )
            )
    model_id = r.model.get("id")
    model_dim = r.model.get("dimension")
    for name in names:
        try:
            info = store.collection_info(name)
        except PlanvecError as e:
            r.problems.append(
                Problem(
                    "collection_unreadable",
                    f"collection {name!r}: {e.message}",
                    f"{pv} drop {name} --yes && {pv} index PATH",
                )
            )
            continue
        if info is None:
            continue
        missing_idx = sorted(set(DEFAULT_PAYLOAD_INDEXES) - set(info.payload_indexes))
        r.collections.append(
            {
                "name": name,
                "dimension": info.dimension,
                "distance": info.distance,
                "points": info.points,
                "indexed_points": info.indexed_points,
                "segments": info.segments,
                "model": info.model,
                "sparse": info.sparse,
                "payload_indexes": info.payload_indexes,
                "missing_payload_indexes": missing_idx,
                "last_sync": info.meta.get("last_sync"),
            }
        )
        if name not in wanted:
            continue  # another planvec collection (e.g. a migration target): described, not judged
        fix = fix_command(s, _roots(store, name))
        if model_dim is not None and info.dimension != model_dim:
            r.problems.append(
                Problem(
                    "dimension_mismatch",
                    f"collection {name!r} holds {info.dimension}-d vectors but the model {model_id} makes "
                    f"{model_dim}-d vectors (search fails with 'vector dimension mismatch')",
                    fix,
                )
            )
        elif model_id is not None and info.model != model_id:
            r.problems.append(
                Problem(
                    "model_mismatch",
                    f"collection {name!r} was made with model {info.model}, "
                    f"the configured model is {model_id}",
                    fix,
                )
            )
        if not info.sparse:
            r.problems.append(Problem("no_sparse", f"collection {name!r} has no BM25 sparse vectors", fix))
        if missing_idx:
            r.problems.append(
                Problem(
                    "missing_payload_indexes",
                    f"collection {name!r} lacks payload indexes on "
                    f"{', '.join(missing_idx)} (filtered searches are slow)",
                    fix,
                    severity="warning",
                )
            )
