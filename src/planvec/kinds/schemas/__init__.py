"""The schemas kind: SQL DDL, JSON Schema, OpenAPI, protobuf and configuration files."""

from .records import ELEMENTS, FORMATS, Element, SchemaFile

__all__ = ["ELEMENTS", "FORMATS", "Element", "SchemaFile"]
