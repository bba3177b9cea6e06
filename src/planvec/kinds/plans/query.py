"""Filters written in a plans query: "tâches MVP en attente", "P0 terminées", "pending security tasks in v56".

:func:`understand` finds the words that name a filter of the plans kind — a status (pending /
completed, in French or English), priorities (``P0``..``P3``), ``MVP``, a plan version (``v56``:
the files whose name holds it) — removes them (and the filler "tâches"/"tasks" and a preposition
left dangling before a version) and returns the rest to search. A filter the caller already set
wins over the query's. Hand-written: a few fixed patterns, no grammar; a word that is not one of
them stays in the searched text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

# Words that are also common outside a status ("open a file", "ce qui fait", "complete the docs")
# are left out: they stay in the searched text.
_PENDING = (
    r"en attente|a faire|non (?:terminee?s?|faite?s?|finie?s?)"
    r"|pas (?:encore )?(?:faite?s?|finie?s?|terminee?s?)"
    r"|restante?s?|pending|todo|to do|not done|unfinished|remaining"
)
_COMPLETED = r"terminee?s?|finie?s?|achevee?s?|completed|done|finished"
_STATUS = re.compile(rf"(?<!\w)(?:(?P<pending>{_PENDING})|(?P<completed>{_COMPLETED}))(?!\w)", re.I)
_PRIORITY = re.compile(r"(?<!\w)p([0-3])(?!\w)", re.I)
_MVP = re.compile(r"(?<!\w)mvp(?!\w)", re.I)
_VERSION = re.compile(r"(?<!\w)(?:(?:in|of|from|dans|de|du|en) (?:la |le )?)?(v\d{1,3})(?!\w)", re.I)
_FILLER = re.compile(r"(?<!\w)(?:les |the )?(?:taches?|tasks?|todos?)(?!\w)", re.I)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Understood:
    """The text to search and the filters read from the query (plans filter names)."""

    text: str
    filters: dict[str, Any] = field(default_factory=dict)
    words: tuple[str, ...] = ()  # the words of the query that became filters, as written

    def describe(self) -> str:
        """``status=pending, priorities=P0, mvp=yes, file=*v56[!0-9]*`` (empty when none)."""
        parts = []
        for k, v in self.filters.items():
            if k == "priorities":
                v = ",".join(v)
            elif k == "mvp":
                v = "yes" if v else "no"
            elif k == "file_glob":
                k = "file"
            parts.append(f"{k}={v}")
        return ", ".join(parts)


def _fold(s: str) -> str:
    """Accents removed, same length as ``s`` (spans found in the folded text apply to ``s``)."""
    return "".join(unicodedata.normalize("NFKD", c)[0] if c.isalpha() else c for c in s)


def understand(query: str, given: dict[str, Any] | None = None) -> Understood:
    """Read the plans filters written in ``query``; ``given`` (the filters set explicitly) win."""
    given = given or {}
    folded = _fold(query)
    found: dict[str, Any] = {}
    spans: list[tuple[int, int]] = []
    statuses = {("pending" if m.group("pending") else "completed"): m for m in _STATUS.finditer(folded)}
    if len(statuses) == 1 and "status" not in given:  # "fait ou pas fait": no status filter
        found["status"] = next(iter(statuses))
        spans += [mm.span() for mm in _STATUS.finditer(folded)]
    prios = list(_PRIORITY.finditer(folded))
    if prios and "priorities" not in given:
        found["priorities"] = tuple(dict.fromkeys(f"P{m.group(1)}" for m in prios))
        spans += [m.span() for m in prios]
    mvp = list(_MVP.finditer(folded))
    if mvp and "mvp" not in given:
        found["mvp"] = True
        spans += [m.span() for m in mvp]
    versions = list(_VERSION.finditer(folded))
    if len(versions) == 1 and "file_glob" not in given:
        found["file_glob"] = f"*{versions[0].group(1).lower()}[!0-9]*"
        spans.append(versions[0].span())
    if not found:
        return Understood(query)
    spans += [m.span() for m in _FILLER.finditer(folded)]
    words = tuple(query[a:b] for a, b in sorted(spans))
    keep = [c for i, c in enumerate(query) if not any(a <= i < b for a, b in spans)]
    text = _SPACES.sub(" ", "".join(keep)).strip(" ,;:-")
    return Understood(text, found, words)
