"""The security policies kind's filters: ``category``, ``severity``, ``format``, ``kind``
(policy, rule, section, rbac, network_policy, pod_security), ``file_glob``.

Each takes one value or several (a list, or ``a,b`` in one string). ``severity`` also takes a floor,
``high+`` (high and critical). Unknown severities, formats and record kinds are usage errors; a
category is free text (a file may name its own), matched exactly after folding to lower case.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from typing import Any

from ...errors import UsageError
from ...store.base import Condition, Filters, MatchAny
from .records import FORMATS, POLICY_KINDS, SEVERITIES


def values_of(value: Any) -> tuple[str, ...]:
    """A filter value as a tuple of non-empty strings (``"a,b"`` or ``["a", "b"]``)."""
    items = value if isinstance(value, list | tuple) else [value]
    return tuple(p.strip().lower() for v in items if v is not None for p in str(v).split(",") if p.strip())


def severities_of(value: Any) -> tuple[str, ...]:
    out: list[str] = []
    for v in values_of(value):
        floor = v.endswith("+")
        name = v.rstrip("+")
        if name not in SEVERITIES:
            raise UsageError(
                f"unknown severity {v!r}", hint=f"use one of {', '.join(SEVERITIES)} (or e.g. high+)"
            )
        out.extend(SEVERITIES[SEVERITIES.index(name) :] if floor else [name])
    return tuple(dict.fromkeys(out))


class SecurityFilters:
    """The filter model of the security kind (see :class:`planvec.kinds.base.FilterModel`)."""

    names: tuple[str, ...] = ("category", "severity", "format", "kind", "file_glob")

    def check(self, values: Mapping[str, Any]) -> None:
        severities_of(values.get("severity"))
        for name, known in (("format", FORMATS), ("kind", POLICY_KINDS)):
            bad = [v for v in values_of(values.get(name)) if v not in known]
            if bad:
                raise UsageError(f"unknown {name} {', '.join(bad)}", hint=f"use one of {', '.join(known)}")

    def to_store(self, values: Mapping[str, Any], distinct: Callable[[str], list[str]]) -> Filters:
        self.check(values)
        must: list[Condition] = []
        for name in ("category", "format", "kind"):
            wanted = values_of(values.get(name))
            if wanted:
                must.append(MatchAny(name, wanted))
        severities = severities_of(values.get("severity"))
        if severities:
            must.append(MatchAny("severity", severities))
        glob = values.get("file_glob")
        if glob:
            # A glob matches the whole path or its end after a '/': resolved against the indexed files.
            files = tuple(
                x
                for x in distinct("file")
                if fnmatch.fnmatch(x, str(glob)) or fnmatch.fnmatch(x, f"*/{glob}")
            )
            must.append(MatchAny("file", files))
        return Filters(tuple(must))
