"""What EdgeStore and ServerStore share: filter conditions, vector names, metadata rules, ids.

:class:`~planvec.store.base.Filters` holds generic conditions (payload key + exact value or any-of
values, all ANDed), read through :func:`conditions`; each store maps them to its own model classes
(``qdrant_edge.FieldCondition`` / ``qdrant_client.models.FieldCondition``), so the two stores
cannot disagree on which payload key a filter reads. The same goes for the collection layout
(vector names, payload index schema, metadata keys), kept here once.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import Any

from ..errors import DimensionMismatch, StoreError, UsageError
from .base import CollectionSpec, Condition, Filters, MatchAny, SparseVec

DENSE_NAME = "dense"  # the dense vector of every collection (SPARSE_NAME "bm25" for BM25)
META_FORMAT = 1  # "planvec" key of the collection metadata: marks planvec collections
# Metadata keys that describe the collection layout: set at creation, never changed by set_meta.
STRUCTURAL_KEYS = ("planvec", "dimension", "distance", "sparse", "payload_indexes")
SCHEMAS = ("keyword", "bool", "integer", "float")
DISTANCES = ("Cosine", "Dot", "Euclid", "Manhattan")
FACET_LIMIT = 100_000  # distinct values read by one facet call; beyond, a scroll is used
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def matches_nothing(filters: Filters | None) -> bool:
    """True when the filters cannot match any point (an empty any-of): stores answer without a query."""
    return filters is not None and any(isinstance(c, MatchAny) and not c.values for c in filters.must)


def conditions(filters: Filters | None) -> list[Condition]:
    """The ANDed conditions of ``filters``, each once (empty list: no condition)."""
    if filters is None:
        return []
    return list(dict.fromkeys(filters.must))


# -- collections --------------------------------------------------------------------------------
def check_name(name: str) -> str:
    """A collection name usable as a directory name and a Qdrant collection name."""
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise UsageError(
            f"invalid collection name {name!r}",
            hint="use letters, digits, '_', '-' or '.', starting with a letter or digit (at most 128)",
        )
    return name


def check_spec(spec: CollectionSpec) -> None:
    check_name(spec.name)
    if not isinstance(spec.dimension, int) or spec.dimension <= 0:
        raise UsageError(f"invalid vector dimension {spec.dimension!r} for collection {spec.name!r}")
    if spec.distance not in DISTANCES:
        raise UsageError(f"unknown distance {spec.distance!r}", hint=f"use one of {', '.join(DISTANCES)}")
    bad = {f: s for f, s in spec.payload_indexes.items() if s not in SCHEMAS}
    if bad:
        raise UsageError(f"unknown payload index schema {bad}", hint=f"use one of {', '.join(SCHEMAS)}")


def spec_meta(spec: CollectionSpec) -> dict[str, Any]:
    """The metadata recorded when a collection is created."""
    return {
        "planvec": META_FORMAT,
        "model": spec.model,
        "dimension": spec.dimension,
        "distance": spec.distance,
        "sparse": bool(spec.sparse),
        "payload_indexes": dict(spec.payload_indexes),
        "created_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }


def dimension_mismatch(name: str, have: int, want: int, model: str | None = None) -> DimensionMismatch:
    held = f" (model {model})" if model else ""
    return DimensionMismatch(
        f"collection {name!r} holds {have}-d vectors{held} but {want}-d vectors were given",
        hint=f"drop and rebuild it with the configured model: planvec drop {name} --yes && "
        "planvec index PATH (or point --data-dir / --qdrant-url elsewhere)",
    )


def check_existing(name: str, meta: Mapping[str, Any], spec: CollectionSpec, dimension: int) -> None:
    """``create_collection`` on an existing collection: fine when compatible, else an error."""
    if dimension != spec.dimension:
        raise dimension_mismatch(name, dimension, spec.dimension, meta.get("model"))
    if spec.sparse and not meta.get("sparse", False):
        raise StoreError(
            f"collection {name!r} has no BM25 sparse vectors",
            hint=f"rebuild it: planvec drop {name} --yes && planvec index PATH",
        )


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types (what both stores keep as collection metadata)."""

    def default(o: Any) -> Any:
        if isinstance(o, _dt.datetime | _dt.date):
            return o.isoformat()
        if isinstance(o, PurePath | uuid.UUID):
            return str(o)
        if isinstance(o, set | frozenset | tuple):
            return list(o)
        if hasattr(o, "item"):  # numpy scalars
            return o.item()
        if hasattr(o, "tolist"):  # numpy arrays
            return o.tolist()
        raise TypeError(f"{type(o).__name__} is not JSON serialisable")

    try:
        return json.loads(json.dumps(value, default=default, allow_nan=False))
    except (TypeError, ValueError) as e:
        raise StoreError(f"collection metadata must be JSON: {e}") from e


def merge_meta(name: str, current: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """Shallow merge like Qdrant's collection metadata: a ``None`` value removes the key.

    Structural keys (layout of the collection) may be re-set to their current value only.
    """
    update = jsonable(dict(update))
    for key in STRUCTURAL_KEYS:
        if key in update and key in current and update[key] != current[key]:
            if key == "dimension":
                raise dimension_mismatch(name, int(current[key]), int(update[key]), current.get("model"))
            raise StoreError(
                f"cannot change {key!r} of collection {name!r} ({current[key]!r} -> {update[key]!r})",
                hint=f"rebuild it: planvec drop {name} --yes && planvec index PATH",
            )
    out = dict(current)
    for key, value in update.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


# -- points -------------------------------------------------------------------------------------
_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def canonical_id(point_id: str) -> str:
    """The canonical UUID string of a point id (what both stores return)."""
    if isinstance(point_id, str) and _CANONICAL.fullmatch(point_id):
        return point_id  # already canonical (ids read back from a store): no parsing
    try:
        return str(uuid.UUID(str(point_id)))
    except ValueError:
        raise StoreError(f"point id {point_id!r} is not a UUID") from None


def payload_overwrites(
    items: Iterable[tuple[str, dict[str, Any]]], existing: set[str]
) -> list[tuple[str, dict[str, Any]]]:
    """The ``(canonical id, payload)`` pairs of ``items`` whose point exists (``existing``: canonical
    ids); invalid ids are skipped like absent points (overwrite_payload of both stores)."""
    out = []
    for pid, payload in items:
        try:
            cid = canonical_id(pid)
        except StoreError:
            continue
        if cid in existing:
            out.append((cid, payload))
    return out


def canonical_ids(ids: Iterable[str]) -> list[str]:
    """Canonical, de-duplicated ids in input order; ids that are not UUIDs are dropped (no such point)."""
    out: dict[str, None] = {}
    for i in ids:
        try:
            out[canonical_id(i)] = None
        except StoreError:
            continue
    return list(out)


def sparse_sorted(indices: Iterable[int], values: Iterable[float]) -> SparseVec:
    """A SparseVec with indices ascending (the order Qdrant keeps)."""
    pairs = sorted(zip((int(i) for i in indices), (float(v) for v in values), strict=True))
    return SparseVec(tuple(i for i, _ in pairs), tuple(v for _, v in pairs))


def values_of(payload: Mapping[str, Any], field: str) -> list[str]:
    """Values of a payload field as strings (array elements one by one), for distinct_values."""
    v = payload.get(field)
    if v is None:
        return []
    items = v if isinstance(v, list) else [v]
    return [json.dumps(x) if isinstance(x, bool) else str(x) for x in items if x is not None]
