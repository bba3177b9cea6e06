"""The plans kind's filter model: ``--status``, ``--priority``, ``--mvp``, ``--file``, ``--section``,
``--task-id`` → generic store conditions on the payload fields the plans documents write."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ...errors import UsageError
from ...store.base import Condition, Filters, Match, MatchAny
from .documents import word_tokens

STATUSES = ("pending", "completed")
PRIORITIES = ("P0", "P1", "P2", "P3")


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """User-level filters of a plans search (the CLI flags); None/empty means 'any'."""

    status: str | None = None
    priorities: tuple[str, ...] = ()
    mvp: bool | None = None
    file_glob: str | None = None
    section: str | None = None
    task_id_prefix: str | None = None

    def values(self) -> dict[str, Any]:
        """The filters that are set, by name (what :class:`PlanFilters` reads)."""
        raw = {
            "status": self.status,
            "priorities": tuple(self.priorities),
            "mvp": self.mvp,
            "file_glob": self.file_glob,
            "section": self.section,
            "task_id_prefix": self.task_id_prefix,
        }
        return {k: v for k, v in raw.items() if v not in (None, ())}


class PlanFilters:
    """The filter model of the plans kind (see :class:`planvec.kinds.base.FilterModel`)."""

    names: tuple[str, ...] = ("status", "priorities", "mvp", "file_glob", "section", "task_id_prefix")

    def check(self, values: Mapping[str, Any]) -> None:
        status = values.get("status")
        if status not in (None, *STATUSES):
            raise UsageError(f"unknown status {status!r}", hint="use pending or completed")
        bad = [p for p in values.get("priorities") or () if str(p).upper() not in PRIORITIES]
        if bad:
            raise UsageError(f"unknown priority {', '.join(bad)}", hint="use P0, P1, P2 or P3")

    def to_store(self, values: Mapping[str, Any], distinct: Callable[[str], list[str]]) -> Filters:
        self.check(values)
        must: list[Condition] = []
        if values.get("status") is not None:
            must.append(Match("status", values["status"]))
        if values.get("priorities"):
            must.append(MatchAny("priority", tuple(str(p).upper() for p in values["priorities"])))
        if values.get("mvp") is not None:
            must.append(Match("is_mvp", bool(values["mvp"])))
        glob = values.get("file_glob")
        if glob:
            # A glob matches the whole path or its end after a '/': resolved against the indexed files.
            known = distinct("file")
            files = tuple(x for x in known if fnmatch.fnmatch(x, glob) or fnmatch.fnmatch(x, f"*/{glob}"))
            must.append(MatchAny("file", files))  # no file: matches nothing
        # Every word of --section must be among the point's section_tokens.
        must.extend(
            Match("section_tokens", tok) for tok in dict.fromkeys(word_tokens(values.get("section") or ""))
        )
        prefix = values.get("task_id_prefix")
        if prefix:
            # task_id_prefixes holds '1', '1.2', '1.2.3' for '1.2.3': a prefix is an exact match.
            must.append(Match("task_id_prefixes", str(prefix).rstrip(".")))
        return Filters(tuple(must))
