"""A small repository's schemas as the parsers give them (records built here), indexed through the
real pipeline (``sync.index_paths`` with these parsed files) into a real store: what the schemas
kind's tests read, before and whatever the parsers of each format become.

Known answers: ``public.users`` is defined by ``db/schema.sql`` and by the migrations
(``db/migrations``) with different columns (a drift); ``acme.User`` by two services' protos (a
drift); ``public.orders.user_id`` references ``public.users.id`` (a foreign key in); the retry
timeout is configured in ``config/app.yaml#http``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from planvec.engine import Engine
from planvec.kinds.schemas import Element, SchemaFile
from planvec.sync import KindFiles, ParsedPaths, Scope, SyncReport, index_paths


def col(
    table: str, name: str, type_: str, line: int, file: str = "", desc: str = "", **attrs: Any
) -> Element:
    refs = tuple(attrs.pop("references", ()))
    return Element(
        "column", f"{table}.{name}", "sql", line, type_, desc, table, refs, {"nullable": True, **attrs}, file
    )


SCHEMA_SQL = SchemaFile(
    "db/schema.sql",
    "sql",
    (
        Element("table", "public.users", "sql", 1, description="Registered accounts"),
        col("public.users", "id", "bigint", 2, nullable=False, primary_key=True),
        col("public.users", "email", "varchar(255)", 3, desc="login address", nullable=False, unique=True),
        col("public.users", "name", "text", 4),
        col("public.users", "created_at", "timestamptz", 5, default="now()"),
        Element(
            "index",
            "public.idx_users_email",
            "sql",
            7,
            parent="public.users",
            attributes={"table": "public.users", "columns": ["email"], "unique": True},
        ),
        Element("table", "public.orders", "sql", 9, description="Orders placed by users"),
        col("public.orders", "id", "bigint", 10, nullable=False, primary_key=True),
        col("public.orders", "user_id", "bigint", 11, nullable=False, references=("public.users.id",)),
        col("public.orders", "total_cents", "integer", 12, desc="amount in cents"),
        Element("table", "public.invoices", "sql", 14),
        col("public.invoices", "id", "bigint", 15, primary_key=True),
        col("public.invoices", "pdf_path", "text", 16, desc="where the rendered PDF is stored"),
    ),
    dialect="postgres",
)

# The schema after the migrations: each element points at the migration that last defined it.
MIGRATED = SchemaFile(
    "db/migrations",
    "sql",
    (
        Element("table", "public.users", "sql", 1, file="db/migrations/0001_init.sql"),
        col(
            "public.users", "id", "bigint", 2, "db/migrations/0001_init.sql", nullable=False, primary_key=True
        ),
        col("public.users", "email", "varchar(320)", 3, "db/migrations/0003_email.sql", nullable=False),
        col("public.users", "name", "text", 4, "db/migrations/0004_name.sql", nullable=False),
        col("public.users", "phone", "text", 1, "db/migrations/0002_phone.sql", desc="mobile number"),
        col("public.users", "created_at", "TIMESTAMP WITH TIME ZONE", 5, "db/migrations/0001_init.sql"),
    ),
    dialect="postgres",
)

OPENAPI = SchemaFile(
    "api/openapi.yaml",
    "openapi",
    (
        Element(
            "operation",
            "POST /collections",
            "openapi",
            10,
            "post",
            "Creates an empty collection with the given name.",
            references=("components.Collection",),
            attributes={
                "operation_id": "createCollection",
                "path": "/collections",
                "summary": "Create a collection",
                "tags": ["collections"],
                "parameters": [{"name": "X-Request-ID", "in": "header", "required": False, "type": "string"}],
                "request": ["CollectionCreate"],
                "responses": {"201": "Collection", "409": "Error"},
            },
        ),
        Element(
            "operation",
            "GET /collections/{name}",
            "openapi",
            30,
            "get",
            attributes={
                "operation_id": "getCollection",
                "path": "/collections/{name}",
                "summary": "Read one collection",
                "parameters": [{"name": "name", "in": "path", "required": True, "type": "string"}],
                "responses": {"200": "Collection", "404": "Error"},
            },
        ),
        Element(
            "operation",
            "DELETE /collections/{name}",
            "openapi",
            45,
            "delete",
            attributes={"operation_id": "dropCollection", "summary": "Drop a collection and its points"},
        ),
        Element("schema", "components.Collection", "openapi", 60, "object", "A named set of points"),
        Element(
            "property",
            "components.Collection.name",
            "openapi",
            62,
            "string",
            "",
            "components.Collection",
            attributes={"required": True},
        ),
        Element(
            "property", "components.Collection.points", "openapi", 63, "integer", "", "components.Collection"
        ),
    ),
)


def proto(path: str, phone: bool) -> SchemaFile:
    fields = [
        Element("field", "acme.User.id", "proto", 4, "int64", parent="acme.User", attributes={"number": 1}),
        Element(
            "field", "acme.User.email", "proto", 5, "string", parent="acme.User", attributes={"number": 2}
        ),
    ]
    if phone:
        fields.append(
            Element(
                "field", "acme.User.phone", "proto", 6, "string", parent="acme.User", attributes={"number": 3}
            )
        )
    return SchemaFile(
        path,
        "proto",
        (Element("message", "acme.User", "proto", 3, description="A user of the platform"), *fields),
    )


CONFIG = SchemaFile(
    "config/app.yaml",
    "config",
    (
        Element("config_file", "config/app.yaml", "config", 1),
        Element(
            "config_section",
            "config/app.yaml#http",
            "config",
            1,
            parent="config/app.yaml",
            attributes={"keys": {"port": "8080", "retry.timeout": "30s", "retry.max_attempts": "5"}},
        ),
        Element(
            "config_section",
            "config/app.yaml#database",
            "config",
            6,
            parent="config/app.yaml",
            attributes={
                "keys": {"host": "db.internal", "pool_size": "10", "password": "[REDACTED:config-key]"}
            },
        ),
    ),
)

TASK_SCHEMA = SchemaFile(
    "schemas/task.json",
    "jsonschema",
    (
        Element("schema", "task", "jsonschema", 1, "object", "A task of a plan"),
        Element(
            "property",
            "task.status",
            "jsonschema",
            5,
            "string",
            "Where the task stands",
            "task",
            attributes={"required": True, "enum": ["todo", "doing", "done"]},
        ),
        Element("property", "task.title", "jsonschema", 9, "string", "", "task"),
    ),
)

FILES = (
    SCHEMA_SQL,
    MIGRATED,
    OPENAPI,
    proto("svc-a/user.proto", False),
    proto("svc-b/user.proto", True),
    CONFIG,
    TASK_SCHEMA,
)


def index_files(eng: Engine, root: Path, files: tuple[SchemaFile, ...] = FILES) -> SyncReport:
    """Index ``files`` (as parsed under ``root``) into the engine's schemas collection, through the
    pipeline that ``planvec index`` runs."""
    root.mkdir(parents=True, exist_ok=True)
    base = root.resolve().as_posix()
    kinds = eng.kinds(["schemas"])
    kind, config = kinds[0]
    parsed = ParsedPaths(
        [KindFiles(kind, config, [(base, f) for f in files])],
        [],
        Scope(dirs=(base,), include=config.include, exclude=config.exclude),
    )
    return index_paths(
        [root], kinds, eng.store, eng.embedder, eng.sparse_encoder, eng.settings, parsed=parsed
    )


# -- the id/hash pin (tests/fixtures/schemas-ids-v1.json) -----------------------------------------
PIN_ROOT = "/planvec-fixture-root"
PIN = Path(__file__).resolve().parent / "fixtures" / "schemas-ids-v1.json"


def pin_rows(embedder: Any) -> list[dict[str, Any]]:
    """Point id, content hash and payload hash of every element of :data:`FILES` (root fixed)."""
    from planvec.kinds import DocContext
    from planvec.kinds.schemas import SCHEMAS
    from planvec.wiring import model_key, sparse_encoder

    ctx = DocContext({"elements": "schemas"}, model_key(embedder, sparse_encoder()), len, 256)
    rows = [
        {
            "file": d.payload["file"],
            "anchor": d.payload["anchor"],
            "point_id": d.point_id,
            "content_hash": d.content_hash,
            "payload_hash": d.payload_hash,
        }
        for f in FILES
        for d in SCHEMAS.documents(f, PIN_ROOT, ctx)["elements"]
    ]
    return sorted(rows, key=lambda r: (r["file"], r["anchor"], r["point_id"]))


if __name__ == "__main__":  # python tests/schemas_data.py: (re)write the pin, on purpose only
    import json

    from planvec.settings import Settings
    from planvec.wiring import embedder_from_settings

    rows = pin_rows(embedder_from_settings(Settings(embedder="onnx")))
    PIN.write_text(json.dumps({"root": PIN_ROOT, "points": rows}, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(rows)} rows to {PIN}")
