"""The dependencies kind's filter model: ``--ecosystem``, ``--dev``, ``--direct``, ``--manifest``,
``--vulnerable`` (and ``name``, ``dep_type``, ``file_glob``) → store conditions on the payload
fields :mod:`.documents` writes.

Values arrive typed (the CLI flags, the engine's callers: ``True``, ``("npm", "go")``) or as strings
(HTTP ``filter=dev=true``, CLI ``--filter direct=false``, ``ecosystem=npm,go``): both are accepted.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from typing import Any

from packaging.utils import canonicalize_name

from ...errors import UsageError
from ...store.base import Condition, Filters, Match, MatchAny
from .records import DEP_TYPES, ECOSYSTEMS

# Other names people give the ecosystems (``--ecosystem golang``): mapped to planvec's.
ALIASES = {
    "python": "pypi",
    "pip": "pypi",
    "golang": "go",
    "rust": "cargo",
    "crates.io": "cargo",
    "crates": "cargo",
    "node": "npm",
    "javascript": "npm",
    "java": "maven",
}
AFFECTED = ("affected", "possibly_affected")
NOT_AFFECTED = ("none", "unknown")
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def _words(value: Any) -> list[str]:
    """A string (comma-separated) or a sequence of strings, as stripped non-empty words."""
    items = [value] if isinstance(value, str) else list(value or ())
    return [w.strip() for item in items for w in str(item).split(",") if w.strip()]


def ecosystems(value: Any) -> tuple[str, ...]:
    """The ecosystems named by ``value`` (aliases resolved); UsageError for an unknown one."""
    out = []
    for word in _words(value):
        eco = ALIASES.get(word.lower(), word.lower())
        if eco not in ECOSYSTEMS:
            raise UsageError(f"unknown ecosystem {word!r}", hint=f"use one of {', '.join(ECOSYSTEMS)}")
        out.append(eco)
    return tuple(dict.fromkeys(out))


def dep_types(value: Any) -> tuple[str, ...]:
    out = [w.lower() for w in _words(value)]
    bad = [w for w in out if w not in DEP_TYPES]
    if bad:
        raise UsageError(
            f"unknown dependency type {', '.join(bad)}", hint=f"use one of {', '.join(DEP_TYPES)}"
        )
    return tuple(dict.fromkeys(out))


def flag(name: str, value: Any) -> bool | None:
    """A boolean filter value: a bool, or a string true/false/1/0/yes/no ("" = any)."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text == "":
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise UsageError(f"{name} must be true or false, not {value!r}", hint=f"e.g. filter={name}=true")


def names(value: Any) -> tuple[str, ...]:
    """Package names as written and as PEP 503 normalises them (``Django`` finds ``django``)."""
    out = []
    for word in _words(value):
        out += [word, canonicalize_name(word)]
    return tuple(dict.fromkeys(out))


def _glob_values(glob: str, known: list[str]) -> tuple[str, ...]:
    """Indexed values a glob selects: the whole path, or its end after a '/' (like ``--file``)."""
    return tuple(x for x in known if fnmatch.fnmatch(x, glob) or fnmatch.fnmatch(x, f"*/{glob}"))


class DependencyFilters:
    """The filter model of the dependencies kind (see :class:`planvec.kinds.base.FilterModel`)."""

    names: tuple[str, ...] = (
        "ecosystem",
        "dev",
        "direct",
        "manifest",
        "vulnerable",
        "name",
        "dep_type",
        "file_glob",
    )

    def check(self, values: Mapping[str, Any]) -> None:
        ecosystems(values.get("ecosystem"))
        dep_types(values.get("dep_type"))
        for name in ("dev", "direct", "vulnerable"):
            flag(name, values.get(name))

    def to_store(self, values: Mapping[str, Any], distinct: Callable[[str], list[str]]) -> Filters:
        self.check(values)
        must: list[Condition] = []
        if ecos := ecosystems(values.get("ecosystem")):
            must.append(MatchAny("ecosystem", ecos))
        if kinds := dep_types(values.get("dep_type")):
            must.append(MatchAny("dep_type", kinds))
        for name in ("dev", "direct"):
            value = flag(name, values.get(name))
            if value is not None:
                must.append(Match(name, value))
        vulnerable = flag("vulnerable", values.get("vulnerable"))
        if vulnerable is not None:
            must.append(MatchAny("advisory", AFFECTED if vulnerable else NOT_AFFECTED))
        if wanted := names(values.get("name")):
            must.append(MatchAny("name", wanted))
        for name, field in (("manifest", "manifest"), ("file_glob", "file")):
            glob = str(values.get(name) or "").strip()
            if glob:
                must.append(MatchAny(field, _glob_values(glob, distinct(field))))  # none: matches nothing
        return Filters(tuple(must))
