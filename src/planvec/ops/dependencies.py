"""``deps list`` and ``GET /api/v1/dependencies``: the dependency records of the indexed
``dependencies`` collection, filtered by the kind's filters, sorted, paged.

It reads the store (a scroll, not a search: every matching record, in a stable order), so what it
lists is what the last ``planvec index`` wrote. The kind's filter model turns the filters into the
store's generic conditions; they are evaluated here on each scrolled payload (the store's scroll
takes no filter), the globs resolved against the collection's distinct values as a search does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..kinds import REGISTRY
from ..settings import Settings
from ..store.base import Filters, Match, VectorStore

KIND = "dependencies"
# The fields of a listed dependency, in the order the table and the JSON show them.
FIELDS = (
    "ecosystem",
    "name",
    "specifier",
    "version",
    "dep_type",
    "dev",
    "direct",
    "file",
    "line",
    "advisory",
    "advisory_ids",
    "advisory_fixed",
    "lockfile",
    "group",
    "extras",
    "marker",
    "source",
    "description",
    "purl",
    "root",
)


@dataclass(slots=True)
class DependencyList:
    """One page of the listing: ``total`` records match, ``rows`` are those from ``offset``."""

    collection: str
    indexed: bool  # the collection exists and holds points
    total: int = 0
    offset: int = 0
    limit: int | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "indexed": self.indexed,
            "total": self.total,
            "offset": self.offset,
            "limit": self.limit,
            "count": len(self.rows),
            "dependencies": self.rows,
        }


def matches(payload: Mapping[str, Any], filters: Filters) -> bool:
    """Whether a payload meets every condition (an array field: one of its elements does), as the
    stores answer them."""
    for cond in filters.must:
        value = payload.get(cond.key)
        values = value if isinstance(value, list) else [value]
        if isinstance(cond, Match):
            ok = any(v == cond.value and isinstance(v, bool) == isinstance(cond.value, bool) for v in values)
        else:
            ok = any(isinstance(v, str) and v in cond.values for v in values)
        if not ok:
            return False
    return True


def _under(paths: Sequence[str | Path]) -> list[str]:
    return [Path(p).expanduser().resolve().as_posix().rstrip("/") for p in paths]


def _in_paths(payload: Mapping[str, Any], prefixes: list[str]) -> bool:
    if not prefixes:
        return True
    where = f"{str(payload.get('root') or '').rstrip('/')}/{payload.get('file') or ''}"
    return any(where == p or where.startswith(p + "/") for p in prefixes)


def _sort_key(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return (
        str(row.get("ecosystem") or ""),
        str(row.get("name") or "").lower(),
        str(row.get("root") or ""),
        str(row.get("file") or ""),
        int(row.get("line") or 0),
        str(row.get("version") or ""),
    )


def list_dependencies(
    store: VectorStore,
    settings: Settings,
    filters: Mapping[str, Any] | None = None,
    *,
    paths: Sequence[str | Path] = (),
    limit: int | None = None,
    offset: int = 0,
    collection: str | None = None,
) -> DependencyList:
    """The indexed dependencies that match ``filters`` (the kind's filter names) and lie under
    ``paths`` (none: anywhere), sorted by ecosystem, name, file and line; ``offset``/``limit`` page."""
    if offset < 0 or (limit is not None and limit < 1):
        raise UsageError("offset must be at least 0 and limit at least 1")
    kind = REGISTRY.get(KIND)
    config = kind.configure(settings)
    coll = collection or config.search_collection
    values = {k: v for k, v in (filters or {}).items() if v is not None and v != () and v != []}
    unknown = [k for k in values if k not in kind.filters.names]
    if unknown:
        raise UsageError(
            f"kind {KIND!r} has no filter {', '.join(unknown)}",
            hint=f"its filters: {', '.join(kind.filters.names)}",
        )
    kind.filters.check(values)
    if store.search_spec(coll) is None or store.count(coll) == 0:
        return DependencyList(coll, indexed=False, offset=offset, limit=limit)
    conditions = kind.filters.to_store(values, lambda name: store.distinct_values(coll, name))
    prefixes = _under(paths)
    read = list(dict.fromkeys([*FIELDS, *(c.key for c in conditions.must)]))
    rows = [
        {k: p.payload.get(k) for k in FIELDS}
        for p in store.scroll(coll, fields=read)
        if matches(p.payload, conditions) and _in_paths(p.payload, prefixes)
    ]
    rows.sort(key=_sort_key)
    page = rows[offset : None if limit is None else offset + limit]
    return DependencyList(coll, indexed=True, total=len(rows), offset=offset, limit=limit, rows=page)
