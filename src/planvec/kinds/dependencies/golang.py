"""Go modules into :class:`DepFile` records."""

from __future__ import annotations

from ...records import FileProblem
from ..base import Source
from .records import DepFile


def parse_go_mod(source: Source) -> DepFile:
    return DepFile(source.rel, "go_mod", False, problems=(FileProblem(source.rel, "parser not written yet"),))


def parse_go_sum(source: Source) -> DepFile:
    return DepFile(source.rel, "go_sum", False, problems=(FileProblem(source.rel, "parser not written yet"),))
