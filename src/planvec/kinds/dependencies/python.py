"""Python manifests and lockfiles into :class:`DepFile` records."""

from __future__ import annotations

from ...records import FileProblem
from ..base import Source
from .records import DepFile


def parse_requirements(source: Source) -> DepFile:
    return DepFile(
        source.rel, "requirements", False, problems=(FileProblem(source.rel, "parser not written yet"),)
    )


def parse_pyproject(source: Source) -> DepFile:
    return DepFile(
        source.rel, "pyproject", False, problems=(FileProblem(source.rel, "parser not written yet"),)
    )


def parse_poetry_lock(source: Source) -> DepFile:
    return DepFile(
        source.rel, "poetry_lock", False, problems=(FileProblem(source.rel, "parser not written yet"),)
    )


def parse_uv_lock(source: Source) -> DepFile:
    return DepFile(
        source.rel, "uv_lock", False, problems=(FileProblem(source.rel, "parser not written yet"),)
    )


def parse_pipfile(source: Source) -> DepFile:
    return DepFile(
        source.rel, "pipfile", False, problems=(FileProblem(source.rel, "parser not written yet"),)
    )


def parse_pipfile_lock(source: Source) -> DepFile:
    return DepFile(
        source.rel, "pipfile_lock", False, problems=(FileProblem(source.rel, "parser not written yet"),)
    )
