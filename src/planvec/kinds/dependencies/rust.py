"""Rust (Cargo) manifests and lockfiles into :class:`DepFile` records."""

from __future__ import annotations

from ...records import FileProblem
from ..base import Source
from .records import DepFile


def parse_cargo_toml(source: Source) -> DepFile:
    return DepFile(
        source.rel, "cargo_toml", False, problems=(FileProblem(source.rel, "parser not written yet"),)
    )


def parse_cargo_lock(source: Source) -> DepFile:
    return DepFile(
        source.rel, "cargo_lock", False, problems=(FileProblem(source.rel, "parser not written yet"),)
    )
