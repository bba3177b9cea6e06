"""npm manifests and lockfiles into :class:`DepFile` records."""

from __future__ import annotations

from ...records import FileProblem
from ..base import Source
from .records import DepFile


def parse_package_json(source: Source) -> DepFile:
    return DepFile(
        source.rel, "package_json", False, problems=(FileProblem(source.rel, "parser not written yet"),)
    )


def parse_package_lock(source: Source) -> DepFile:
    return DepFile(
        source.rel, "package_lock", False, problems=(FileProblem(source.rel, "parser not written yet"),)
    )


def parse_yarn_lock(source: Source) -> DepFile:
    return DepFile(
        source.rel, "yarn_lock", False, problems=(FileProblem(source.rel, "parser not written yet"),)
    )
