"""The schemas kind: SQL DDL, JSON Schema, OpenAPI, protobuf and configuration files."""

from .filters import SchemaFilters
from .kind import COLLECTION, PAYLOAD_INDEXES, SCHEMAS, SchemasKind
from .records import ELEMENTS, FORMATS, Element, SchemaFile

__all__ = [
    "COLLECTION",
    "ELEMENTS",
    "FORMATS",
    "PAYLOAD_INDEXES",
    "SCHEMAS",
    "Element",
    "SchemaFile",
    "SchemaFilters",
    "SchemasKind",
]
