"""protobuf files into :class:`SchemaFile` records."""

from __future__ import annotations

from ...records import FileProblem
from ..base import Source
from .records import SchemaFile


def parse_proto(source: Source) -> SchemaFile:
    return SchemaFile(source.rel, "proto", problems=(FileProblem(source.rel, "parser not written yet"),))
