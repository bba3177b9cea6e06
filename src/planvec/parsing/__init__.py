"""Parsing: files on disk → records (tasks, prose sections, plan metadata). Knows nothing about vectors."""

from __future__ import annotations

from planvec.parsing.files import SourceFile, discover, parse_file, read_text
from planvec.parsing.markdown import parse_markdown

__all__ = ["SourceFile", "discover", "parse_file", "parse_markdown", "read_text"]
