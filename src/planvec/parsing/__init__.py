"""Finding files on disk and reading them with the hygiene every kind needs. Knows nothing about
vectors nor about any kind's format (parsers live with their kind, under ``planvec.kinds``)."""

from __future__ import annotations

from planvec.parsing.files import SourceFile, discover, read_source, read_text

__all__ = ["SourceFile", "discover", "read_source", "read_text"]
