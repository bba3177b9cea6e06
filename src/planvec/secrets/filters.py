"""The ``sensitivity`` payload field of every kind's documents, its payload index and its search
filter (``--filter sensitivity=personal``, ``filter=sensitivity=secret`` over HTTP): the engine
takes it out of a search's filters before the kind's filter model sees them, so it works for every
kind without any kind knowing it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import UsageError
from ..store.base import Filters, MatchAny
from .findings import SENSITIVITY_LEVELS

SENSITIVITY_FIELD = "sensitivity"
#: The payload index every collection gets, whatever its kind.
SENSITIVITY_INDEX = {SENSITIVITY_FIELD: "keyword"}


def split_sensitivity(values: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The filters without ``sensitivity``, and the sensitivity levels asked for (a comma-separated
    string or a list; empty: any); an unknown level is a usage error."""
    rest = {k: v for k, v in values.items() if k != SENSITIVITY_FIELD}
    raw = values.get(SENSITIVITY_FIELD)
    if raw is None or raw == "" or raw == [] or raw == ():
        return rest, ()
    items = raw.split(",") if isinstance(raw, str) else [str(x) for x in raw]
    levels = tuple(dict.fromkeys(i.strip().lower() for i in items if i.strip()))
    bad = [lv for lv in levels if lv not in SENSITIVITY_LEVELS]
    if bad:
        raise UsageError(
            f"unknown sensitivity {', '.join(bad)}",
            hint=f"use {', '.join(SENSITIVITY_LEVELS)} (comma-separated for several)",
        )
    return rest, levels


def sensitivity_filter(kind_filters: Filters, levels: tuple[str, ...]) -> Filters:
    """The kind's store conditions, and the sensitivity condition when levels are asked for."""
    if not levels:
        return kind_filters
    return Filters((*kind_filters.must, MatchAny(SENSITIVITY_FIELD, levels)))
