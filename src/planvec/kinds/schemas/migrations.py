"""Ordered SQL migrations applied across files (placeholder: being written)."""

from __future__ import annotations

from collections.abc import Sequence

from .records import SchemaFile


def apply_migrations(files: Sequence[tuple[str, SchemaFile]]) -> list[tuple[str, SchemaFile]]:
    """The SQL files of a run with ordered migration folders replaced by the schema after the last
    migration (each element pointing at the file that last defined it); other files unchanged."""
    return list(files)
