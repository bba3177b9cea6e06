"""The schemas kind's filters: ``element``, ``format``, ``file_glob`` (``--file``), ``name``, ``parent``.

``element`` and ``format`` take one value or several (a list, or ``table,column``); ``name`` and
``parent`` are an exact qualified name or a glob (``*.email``), resolved against the names the
collection holds; ``file_glob`` matches the whole path or its end after a ``/``, like the plans
kind's ``--file``. The same values also filter elements read back from the store
(:func:`predicate`), for listings that scroll instead of searching.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from typing import Any

from ...errors import UsageError
from ...store.base import Condition, Filters, Match, MatchAny
from .records import ELEMENTS, FORMATS

NAMES = ("element", "format", "file_glob", "name", "parent")
_GLOB_CHARS = frozenset("*?[")


def _many(value: Any) -> tuple[str, ...]:
    """``"table,column"``, ``["table", "column"]`` or ``"table"`` as a tuple of stripped values."""
    items = value if isinstance(value, list | tuple | set | frozenset) else [value]
    out: list[str] = []
    for item in items:
        out.extend(p.strip().lower() for p in str(item).split(",") if p.strip())
    return tuple(dict.fromkeys(out))


def is_glob(value: str) -> bool:
    return any(c in _GLOB_CHARS for c in value)


def file_matches(path: str, glob: str) -> bool:
    return fnmatch.fnmatchcase(path, glob) or fnmatch.fnmatchcase(path, f"*/{glob}")


class SchemaFilters:
    """The filter model of the schemas kind (see :class:`planvec.kinds.base.FilterModel`)."""

    names: tuple[str, ...] = NAMES

    def check(self, values: Mapping[str, Any]) -> None:
        for key, known in (("element", ELEMENTS), ("format", FORMATS)):
            if values.get(key) in (None, "", (), []):
                continue
            bad = [v for v in _many(values[key]) if v not in known]
            if bad:
                raise UsageError(
                    f"unknown {key} {', '.join(map(repr, bad))}", hint=f"use one of {', '.join(known)}"
                )
            if not _many(values[key]):
                raise UsageError(f"empty {key} filter", hint=f"use one of {', '.join(known)}")

    def to_store(self, values: Mapping[str, Any], distinct: Callable[[str], list[str]]) -> Filters:
        self.check(values)
        must: list[Condition] = []
        for key in ("element", "format"):
            if values.get(key):
                wanted = _many(values[key])
                must.append(Match(key, wanted[0]) if len(wanted) == 1 else MatchAny(key, wanted))
        glob = values.get("file_glob")
        if glob:
            files = tuple(f for f in distinct("file") if file_matches(f, str(glob)))
            must.append(MatchAny("file", files))  # no file: matches nothing
        for key in ("name", "parent"):
            value = str(values.get(key) or "")
            if not value:
                continue
            if is_glob(value):
                must.append(MatchAny(key, tuple(v for v in distinct(key) if fnmatch.fnmatchcase(v, value))))
            else:
                must.append(Match(key, value))
        return Filters(tuple(must))


def predicate(values: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], bool]:
    """The filters as a test of one stored payload (what :meth:`SchemaFilters.to_store` selects)."""
    SchemaFilters().check(values)
    elements = _many(values["element"]) if values.get("element") else ()
    formats = _many(values["format"]) if values.get("format") else ()
    glob = str(values.get("file_glob") or "")
    name, parent = str(values.get("name") or ""), str(values.get("parent") or "")

    def same(value: Any, wanted: str) -> bool:
        text = str(value or "")
        return fnmatch.fnmatchcase(text, wanted) if is_glob(wanted) else text == wanted

    def test(p: Mapping[str, Any]) -> bool:
        return (
            (not elements or p.get("element") in elements)
            and (not formats or p.get("format") in formats)
            and (not glob or file_matches(str(p.get("file") or ""), glob))
            and (not name or same(p.get("name"), name))
            and (not parent or same(p.get("parent"), parent))
        )

    return test
