"""``backup`` (collections → archive) and ``restore`` (archive → collections, verified first).

See :mod:`planvec.ops.archive` for the file format.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from .. import __version__
from ..clock import now_iso
from ..errors import CollectionNotFound, DimensionMismatch, UsageError
from ..store.base import PointData, VectorStore
from ..store.filters import check_name
from ..wiring import model_meta
from .archive import ArchiveError, ArchiveReader, ArchiveWriter, decode_points, load_json
from .transfer import BatchWriter, MigrationError, ProgressFn, Rate, Reembedder, portable_meta, spec_of

BACKUP_BATCH = 1024


@dataclass(slots=True)
class BackupReport:
    path: str | None
    collections: list[dict[str, Any]] = field(default_factory=list)  # name, points, sha256, ...
    total_points: int = 0
    bytes: int = 0
    encrypted: bool = False
    sha256: str = ""
    seconds: float = 0.0
    points_per_second: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class RestoreReport:
    path: str
    collections: list[dict[str, Any]] = field(default_factory=list)  # name, source_name, points, ...
    total_points: int = 0
    encrypted: bool = False
    verified: bool = False
    reembedded: bool = False
    sha256: str = ""
    verify_seconds: float = 0.0
    seconds: float = 0.0
    points_per_second: float = 0.0
    skipped: list[str] = field(default_factory=list)  # ids left out (skip_bad_vectors)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- backup -------------------------------------------------------------------------------------
def backup(
    store: VectorStore,
    out: str | Path | IO[bytes],
    collections: Sequence[str] | None = None,
    key: bytes | None = None,
    *,
    batch: int = BACKUP_BATCH,
    progress: ProgressFn | None = None,
    overwrite: bool = False,
) -> BackupReport:
    """Stream ``collections`` (default: all) of ``store`` into an archive at ``out``.

    A path is written through a temporary file renamed at the end: a failed backup leaves nothing,
    and the file it would replace stays as it was. An existing file is a :class:`UsageError` unless
    ``overwrite``.
    """
    names = list(collections) if collections else sorted(store.list_collections())
    if not names:
        raise UsageError("nothing to back up: the store has no collections", hint="planvec collections")
    infos = []
    for name in dict.fromkeys(names):
        info = store.collection_info(check_name(name))
        if info is None:
            raise CollectionNotFound(f"collection {name!r} does not exist", hint="planvec collections")
        infos.append(info)
    if not isinstance(out, str | Path):
        return _backup_to(store, out, infos, key, batch, progress)
    path = Path(out).expanduser()
    if path.is_dir():
        raise UsageError(f"--out {path} is a directory", hint="give a file name, e.g. plans.pvbak")
    if not overwrite and os.path.lexists(path):
        raise _exists(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        try:
            with open(tmp, "wb") as f:
                report = _backup_to(store, f, infos, key, batch, progress)
                f.flush()
                os.fsync(f.fileno())
            _publish(tmp, path, overwrite)
        except OSError as e:
            raise MigrationError(f"cannot write the backup {path}: {e.strerror or e}") from e
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    report.path = str(path)
    return report


def _exists(path: Path) -> UsageError:
    return UsageError(
        f"--out {path} already exists; nothing was written",
        hint="pass --force to replace it, or choose another file name",
    )


def _publish(tmp: Path, path: Path, overwrite: bool) -> None:
    """Move the finished archive into place; without ``overwrite``, never over an existing file
    (one that appeared while the backup ran included)."""
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # fails if ``path`` exists, atomically
    except FileExistsError:
        raise _exists(path) from None
    except OSError:  # a file system without hard links
        if os.path.lexists(path):
            raise _exists(path) from None
        os.replace(tmp, path)


def _backup_to(
    store: VectorStore,
    f: IO[bytes],
    infos: list[Any],
    key: bytes | None,
    batch: int,
    progress: ProgressFn | None,
) -> BackupReport:
    rate = Rate()
    w = ArchiveWriter(f, key)
    total = sum(i.points for i in infos)
    w.json_frame(
        b"H",
        {
            "format": 1,
            "planvec_version": __version__,
            "created_at": now_iso(),
            "collections": [i.name for i in infos],
            "points": total,
        },
    )
    done = 0
    for info in infos:
        spec = spec_of(info)
        w.begin_collection(
            {
                "name": info.name,
                "dimension": info.dimension,
                "distance": info.distance,
                "model": info.model,
                "sparse": info.sparse,
                "bm25": info.meta.get("bm25"),
                "payload_indexes": spec.payload_indexes,
                "meta": portable_meta(info.meta),
            }
        )
        buf = []
        for p in store.scroll(info.name, with_vectors=True, batch_size=batch):
            buf.append(p)
            if len(buf) >= batch:
                w.points(buf, info.dimension)
                done += len(buf)
                buf = []
                if progress:
                    progress("backup", done, total)
        if buf:
            w.points(buf, info.dimension)
            done += len(buf)
        w.end_collection()
        if progress:
            progress("backup", done, total)
    manifest = w.finish(
        {
            "format": 1,
            "planvec_version": __version__,
            "created_at": now_iso(),
            "encrypted": key is not None,
        }
    )
    return BackupReport(
        path=None,
        collections=[
            {k: c.get(k) for k in ("name", "points", "dimension", "model", "sha256")} for c in w.collections
        ],
        total_points=manifest["total_points"],
        bytes=w.bytes_written,
        encrypted=key is not None,
        sha256=manifest["sha256"],
        seconds=round(rate.seconds(), 3),
        points_per_second=rate.per_second(manifest["total_points"]),
    )


# -- verify -------------------------------------------------------------------------------------
def verify_archive(
    path: str | Path, key: bytes | None = None, progress: ProgressFn | None = None
) -> dict[str, Any]:
    """Read the whole archive, checking every frame, checksum and count; return its manifest."""
    p = Path(path).expanduser()
    try:
        f = open(p, "rb")  # noqa: SIM115 - closed below
    except OSError as e:
        raise UsageError(f"cannot open {p}: {e.strerror}") from e
    with f:
        reader = ArchiveReader(f, key, name=str(p))
        return _check_frames(reader, decode=False, progress=progress)


def _check_frames(
    reader: ArchiveReader, *, decode: bool, progress: ProgressFn | None = None, on_event: Any = None
) -> dict[str, Any]:
    """Walk the frames checking structure and checksums. ``on_event(kind, obj)`` sees each record."""
    import hashlib

    header: dict[str, Any] | None = None
    current: dict[str, Any] | None = None
    sha: Any = None
    count = 0
    seen: list[dict[str, Any]] = []
    for fr in reader.frames():
        if header is None:
            if fr.kind != b"H":
                raise ArchiveError(f"{reader.name} does not start with a header frame")
            header = load_json(fr, "header")
            if on_event:
                on_event("H", header)
            continue
        if fr.kind == b"C":
            if current is not None:
                raise ArchiveError(f"{reader.name} is malformed: a collection starts inside another")
            current = load_json(fr, "collection header")
            sha, count = hashlib.sha256(), 0
            if on_event:
                on_event("C", current)
        elif fr.kind == b"P":
            if current is None:
                raise ArchiveError(f"{reader.name} is malformed: points outside a collection")
            sha.update(fr.raw)
            if decode or on_event:
                pts = decode_points(fr.raw)
                count += len(pts)
                if on_event:
                    on_event("P", pts)
            else:
                count += _point_count(fr.raw)
            if progress:
                progress("verify", sum(int(c["points"]) for c in seen) + count, int(header.get("points", 0)))
        elif fr.kind == b"E":
            if current is None:
                raise ArchiveError(f"{reader.name} is malformed: a collection end without a start")
            end = load_json(fr, "collection end")
            if end.get("points") != count or end.get("sha256") != sha.hexdigest():
                raise ArchiveError(
                    f"{reader.name}: collection {current.get('name')!r} does not match its checksum "
                    f"({count} points read, {end.get('points')} recorded)",
                    hint="the archive is damaged: restore from another copy",
                )
            seen.append({**current, "points": count, "sha256": end["sha256"]})
            if on_event:
                on_event("E", end)
            current = None
        elif fr.kind == b"M":
            manifest = load_json(fr, "manifest")
            if current is not None:
                raise ArchiveError(f"{reader.name} is malformed: the manifest comes inside a collection")
            if manifest.get("sha256") != reader.sha.hexdigest():
                raise ArchiveError(
                    f"{reader.name} does not match its manifest checksum",
                    hint="the archive is damaged or was altered: restore from another copy",
                )
            listed = [
                (c.get("name"), c.get("points"), c.get("sha256")) for c in manifest.get("collections", [])
            ]
            if listed != [(c["name"], c["points"], c["sha256"]) for c in seen]:
                raise ArchiveError(f"{reader.name}: the manifest does not list the collections it holds")
            return manifest
        else:
            raise ArchiveError(f"{reader.name} is malformed: unexpected frame {fr.kind!r}")
    raise ArchiveError(f"{reader.name} is truncated: no manifest")


def _finite_only(points: list[PointData], skipped: list[str]) -> list[PointData]:
    """The points whose dense vector is finite; the ids of the others appended to ``skipped``."""
    finite = [bool(np.isfinite(p.vector).all()) for p in points]
    skipped += [p.id for p, ok in zip(points, finite, strict=True) if not ok]
    return [p for p, ok in zip(points, finite, strict=True) if ok]


def _point_count(raw: bytes) -> int:
    import json
    import struct

    try:
        (hlen,) = struct.unpack_from(">I", raw, 0)
        return int(json.loads(raw[4 : 4 + hlen])["n"])
    except (ValueError, KeyError, struct.error) as e:
        raise ArchiveError(f"a point batch of the archive is malformed: {e}") from e


# -- restore ------------------------------------------------------------------------------------
def restore(
    store: VectorStore,
    path: str | Path,
    *,
    rename: dict[str, str] | None = None,
    collections: Sequence[str] | None = None,
    reembed: Reembedder | None = None,
    key: bytes | None = None,
    model: tuple[str, int] | None = None,
    replace: bool = False,
    workers: int = 2,
    optimize: bool = True,
    progress: ProgressFn | None = None,
    skip_bad_vectors: bool = False,
) -> RestoreReport:
    """Verify the archive completely, check compatibility, then write its collections to ``store``.

    ``model`` (id, dimension) is the configured model: a collection made with another model or
    dimension is refused unless ``reembed`` is given. An existing non-empty target collection is
    refused unless ``replace`` (dropped and rewritten) or it is an unfinished restore of this archive.
    ``skip_bad_vectors``: leave out the points whose vector holds NaN or infinity (no store takes
    them), their ids in ``report.skipped``; else such a point fails the restore.
    """
    p = Path(path).expanduser()
    rename = dict(rename or {})
    rate = Rate()
    manifest = verify_archive(p, key, progress)
    verify_seconds = rate.seconds()
    held = {c["name"]: c for c in manifest["collections"]}
    wanted = list(dict.fromkeys(collections)) if collections else list(held)
    unknown = [n for n in [*wanted, *rename] if n not in held]
    if unknown:
        raise UsageError(
            f"the archive holds no collection {', '.join(map(repr, unknown))}",
            hint=f"it holds: {', '.join(held) or 'nothing'}",
        )
    targets = {n: check_name(rename.get(n, n)) for n in wanted}
    if len(set(targets.values())) != len(targets):
        raise UsageError("two collections would be restored under the same name", hint="check --rename")
    # Compatibility and target checks, before anything is written.
    resume: set[str] = set()
    for n in wanted:
        c, t = held[n], targets[n]
        if reembed is None and model is not None:
            mid, mdim = model
            if int(c["dimension"]) != mdim or (c.get("model") and c.get("model") != mid):
                raise DimensionMismatch(
                    f"collection {n!r} of the archive holds {c['dimension']}-d vectors of model "
                    f"{c.get('model')}, but the configured model is {mid} ({mdim}-d)",
                    hint="add --reembed to re-vectorise its points with the configured model",
                )
        info = store.collection_info(t)
        if info is None:
            continue
        mark = info.meta.get("planvec_restore") or {}
        if replace:
            continue
        if info.points and not (isinstance(mark, dict) and mark.get("sha256") == manifest["sha256"]):
            raise MigrationError(
                f"collection {t!r} already exists in the target with {info.points} points",
                hint=f"restore it under another name (--rename {n}=NEW), or replace it with --replace",
            )
        resume.add(t)
    report = RestoreReport(
        path=str(p),
        encrypted=bool(manifest.get("encrypted")),
        verified=True,
        reembedded=reembed is not None,
        sha256=manifest["sha256"],
        verify_seconds=round(verify_seconds, 3),
    )
    total = sum(int(held[n]["points"]) for n in wanted)
    state: dict[str, Any] = {"writer": None, "name": None, "written": 0}

    def on_event(kind: str, obj: Any) -> None:
        if kind == "C":
            src = obj["name"]
            if src not in targets:
                state["writer"] = None
                return
            t = targets[src]
            if replace and t not in resume:
                store.delete_collection(t)
            dim = reembed.embedder.dimension if reembed else int(obj["dimension"])
            mid = reembed.embedder.model_id if reembed else obj.get("model")
            from ..store.base import CollectionSpec

            spec = CollectionSpec(
                name=t,
                dimension=dim,
                model=str(mid or "unknown"),
                distance=str(obj.get("distance", "Cosine")),
                sparse=bool(obj.get("sparse", False)) or reembed is not None,
                payload_indexes=dict(obj.get("payload_indexes") or {}),
            )
            store.create_collection(spec)
            store.set_meta(t, {"planvec_restore": {"sha256": manifest["sha256"], "started_at": now_iso()}})
            transform = (lambda pts: reembed(pts, spec.sparse)) if reembed else None
            state["writer"] = BatchWriter(store, t, workers=workers, transform=transform)
            state["name"], state["src"], state["obj"] = t, src, obj
        elif kind == "P" and state["writer"] is not None:
            if skip_bad_vectors and reembed is None:
                obj = _finite_only(obj, report.skipped)
            state["writer"].submit(obj)
            state["writer"].collect(block=False)
            if progress:
                progress("restore", state["written"] + state["writer"].written, total)
        elif kind == "E" and state["writer"] is not None:
            w: BatchWriter = state["writer"]
            try:
                w.collect(block=True)
            finally:
                w.close()
            t, c = state["name"], state["obj"]
            meta = dict(c.get("meta") or {})
            if reembed:
                meta.update(model_meta(reembed.embedder, reembed.sparse_encoder))
            meta["planvec_restore"] = None
            meta["restored_from"] = {"archive": str(p), "sha256": manifest["sha256"], "at": now_iso()}
            store.set_meta(t, meta)
            if optimize and w.written > 1000:
                store.optimize(t)
            state["written"] += w.written
            report.collections.append(
                {"name": t, "source_name": state["src"], "points": w.written, "resumed": t in resume}
            )
            state["writer"] = None

    try:
        with open(p, "rb") as f:
            _check_frames(ArchiveReader(f, key, name=str(p)), decode=False, on_event=on_event)
    finally:
        if state["writer"] is not None:
            state["writer"].close()
    store.flush()
    report.total_points = state["written"]
    report.seconds = round(rate.seconds(), 3)
    report.points_per_second = rate.per_second(report.total_points)
    return report
