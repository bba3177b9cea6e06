"""``diagnose``: the troubleshooting guide as a command.

Store reachable (a server: latency and version), collections (vector size, points, indexed points,
segments, payload indexes), dimension or model mismatch between a collection and the configured
model, who holds the data directory lock (embedded store), disk space. Every problem comes with the
exact command that fixes it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import PlanvecError
from ..kinds.plans import PAYLOAD_INDEXES as DEFAULT_PAYLOAD_INDEXES
from ..store.edge import pid_alive
from .reports import Problem, cli_prefix, fix_command, now_iso

if TYPE_CHECKING:
    from ..engine import Engine

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


def lock_status(data_dir: Path) -> dict[str, Any]:
    """Who holds ``DATA_DIR/.lock`` (EdgeStore's writer lock), without taking it for long."""
    path = data_dir / ".lock"
    out: dict[str, Any] = {"path": str(path), "writer_pid": None, "writer_alive": None, "held": False}
    readers: list[int] = []
    with contextlib.suppress(OSError):
        for f in (data_dir / ".readers").iterdir():
            with contextlib.suppress(ValueError):
                pid = int(f.name.split("-")[0])
                if pid != os.getpid() and pid_alive(pid):
                    readers.append(pid)
    out["reader_pids"] = sorted(set(readers))
    try:
        text = path.read_text(errors="replace").strip()
    except OSError:
        return out
    with contextlib.suppress(ValueError, IndexError):
        pid = int(text.split()[0])
        out["writer_pid"] = pid
        out["writer_alive"] = pid_alive(pid)
    if out["writer_pid"] == os.getpid():
        out["held"] = "by this process"
        return out
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return out
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
    except BlockingIOError:
        out["held"] = True
    finally:
        os.close(fd)
    return out


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


def diagnose(engine: Engine, *, min_free_bytes: int = MIN_FREE_BYTES) -> DiagnoseReport:
    t0 = time.perf_counter()
    s = engine.settings
    r = DiagnoseReport()
    pv = cli_prefix(s)
    data_dir = Path(s.data_dir).expanduser()
    server = bool(s.qdrant_url)
    r.store = {
        "kind": "server" if server else "embedded (Qdrant Edge)",
        "location": s.qdrant_url or str(data_dir),
    }
    if not server:
        r.lock = lock_status(data_dir)
        if r.lock["held"] is True and r.lock["writer_pid"] and r.lock["writer_alive"]:
            pid = r.lock["writer_pid"]
            r.problems.append(
                Problem(
                    "locked",
                    f"process {pid} is writing to {data_dir} (it holds the lock)",
                    f"wait for process {pid} to finish, or stop it: kill {pid}",
                )
            )
    names = _store_section(engine, r, pv)
    _model_section(engine, r, pv)
    if names is not None:
        _collections_section(engine, r, names)
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


def _store_section(engine: Engine, r: DiagnoseReport, pv: str) -> list[str] | None:
    s = engine.settings
    t = time.perf_counter()
    try:
        names = engine.store.list_collections()
    except PlanvecError as e:
        r.store["reachable"] = False
        r.store["error"] = e.message
        if s.qdrant_url and s.qdrant_url != ":memory:":
            fix = f"start the server and check it answers: curl {s.qdrant_url.rstrip('/')}/collections"
        else:
            fix = e.hint or f"{pv} diagnose"
        if not any(p.code == "locked" for p in r.problems):
            r.problems.append(Problem("store_unreachable", f"cannot open the store: {e.message}", fix))
        return None
    r.store["reachable"] = True
    r.store["latency_ms"] = round(1000 * (time.perf_counter() - t), 2)
    r.store["collections"] = len(names)
    r.store["version"] = _server_version(engine)
    return names


def _server_version(engine: Engine) -> str | None:
    s = engine.settings
    if not s.qdrant_url:
        import importlib.metadata as md

        with contextlib.suppress(md.PackageNotFoundError):
            return f"qdrant-edge-py {md.version('qdrant-edge-py')}"
        return None
    if s.qdrant_url == ":memory:":
        return "qdrant-client local mode (in-process)"
    client = getattr(engine.store, "_client", None)
    try:
        info = client.info() if client is not None else None
    except Exception:
        return None
    return str(getattr(info, "version", None)) if info is not None else None


def _model_section(engine: Engine, r: DiagnoseReport, pv: str) -> None:
    try:
        emb = engine.embedder
        r.model = {"id": emb.model_id, "dimension": emb.dimension, "max_tokens": emb.max_tokens}
    except PlanvecError as e:
        r.model = {"error": e.message}
        r.problems.append(
            Problem(
                "model_unavailable", f"the embedding model cannot be loaded: {e.message}", f"{pv} model build"
            )
        )


def _roots(engine: Engine, name: str) -> list[str]:
    try:
        return [str(v) for v in engine.store.distinct_values(name, "root")]
    except PlanvecError:
        return []


def _collections_section(engine: Engine, r: DiagnoseReport, names: list[str]) -> None:
    s = engine.settings
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
            info = engine.store.collection_info(name)
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
        fix = fix_command(s, _roots(engine, name))
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
