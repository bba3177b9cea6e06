"""Schema elements → store documents: texts, titles, short names, parent chains and JSON-safe
attributes, for every element type and for attribute shapes a parser may give."""

from __future__ import annotations

import json
import math

from planvec.kinds import DocContext
from planvec.kinds.schemas import SCHEMAS, Element, SchemaFile
from planvec.kinds.schemas.documents import jsonable, short_name

CTX = DocContext({"elements": "schemas"}, "model|bm25", len, 256)


def docs(*elements: Element, path: str = "x.proto", fmt: str = "proto") -> dict[str, dict]:  # type: ignore[type-arg]
    out = SCHEMAS.documents(SchemaFile(path, fmt, tuple(elements)), "/root", CTX)["elements"]
    return {d.payload["name"]: d.payload for d in out}


def test_proto_message_field_enum_service_rpc() -> None:
    got = docs(
        Element("message", "acme.Order", "proto", 3, description="An order"),
        Element(
            "field",
            "acme.Order.items",
            "proto",
            4,
            "acme.Item",
            parent="acme.Order",
            references=("acme.Item",),
            attributes={"number": 1, "label": "repeated"},
        ),
        Element(
            "enum",
            "acme.Order.State",
            "proto",
            6,
            parent="acme.Order",
            attributes={"values": ["NEW", "PAID"]},
        ),
        Element("service", "acme.Orders", "proto", 10),
        Element(
            "rpc",
            "acme.Orders.Place",
            "proto",
            11,
            "acme.Order",
            parent="acme.Orders",
            attributes={"request": "acme.PlaceRequest", "response": "acme.Order"},
        ),
    )
    assert got["acme.Order"]["text"] == "message acme.Order (fields: items, State) — An order"
    assert got["acme.Order.items"]["text"] == (
        "field items of message acme.Order: acme.Item, references acme.Item"
    )
    assert got["acme.Order.items"]["title"] == "acme.Order.items acme.Item"
    assert got["acme.Order.State"]["text"].startswith("enum State of message acme.Order")
    assert got["acme.Orders"]["text"] == "service acme.Orders (rpcs: Place)"
    assert got["acme.Orders.Place"]["text"] == "rpc Place of service acme.Orders: acme.Order"
    assert got["acme.Orders.Place"]["section"] == "acme.Orders"


def test_sql_index_view_function_and_nested_chain() -> None:
    got = docs(
        Element("table", "app.t", "sql", 1),
        Element("column", "app.t.a", "sql", 2, "int", parent="app.t"),
        Element(
            "index", "app.idx_t_a", "sql", 4, parent="app.t", attributes={"columns": ("a",), "unique": True}
        ),
        Element("view", "app.v", "sql", 6, references=("app.t",), description="active rows"),
        Element("function", "app.touch", "sql", 8, attributes={"language": "plpgsql", "args": ["row"]}),
        path="db.sql",
        fmt="sql",
    )
    assert got["app.idx_t_a"]["text"] == "index idx_t_a of table app.t: unique on a"
    assert got["app.v"]["text"] == "view app.v (references app.t) — active rows"
    assert got["app.touch"]["text"] == "function app.touch"
    assert got["app.t"]["text"] == "table app.t (columns: a)"  # an index is not a column
    assert got["app.idx_t_a"]["attributes"] == {"columns": ["a"], "unique": True}


def test_odd_attribute_shapes_never_break_a_text() -> None:
    op = Element(
        "operation",
        "GET /x",
        "openapi",
        1,
        "get",
        attributes={
            "parameters": ["limit", {"in": "query"}],
            "responses": ["200", "404"],
            "request": "XBody",
            "tags": "x",
            "weird": {1, 2},
            "nan": math.nan,
            "obj": object,
            "deep": {"a": ({"b": (1, 2)},)},
        },
    )
    got = docs(op, path="api.yaml", fmt="openapi")["GET /x"]
    assert (
        got["text"] == "GET /x; parameters limit, {'in': 'query'}; request XBody; responses 200, 404; tags x"
    )
    json.dumps(got)  # every payload value is JSON
    assert got["attributes"]["weird"] == [1, 2] and got["attributes"]["nan"] is None
    assert got["attributes"]["deep"] == {"a": [{"b": [1, 2]}]}


def test_short_names_and_chains() -> None:
    assert short_name(Element("column", "public.users.email", "sql", 1, parent="public.users")) == "email"
    assert short_name(Element("schema", "components.User", "openapi", 1)) == "User"
    assert short_name(Element("config_section", "conf/app.yaml#spring.datasource", "config", 1)) == (
        "spring.datasource"
    )
    assert short_name(Element("config_file", "conf/app.yaml", "config", 1)) == "app.yaml"
    assert short_name(Element("operation", "POST /a.b", "openapi", 1)) == "POST /a.b"
    prop = Element("property", "task.a.b", "jsonschema", 3, "string", parent="task.a")
    got = docs(
        Element("schema", "task", "jsonschema", 1),
        Element("property", "task.a", "jsonschema", 2, "object", parent="task"),
        prop,
        # a parent cycle from odd input stops
        Element("property", "loop.x", "jsonschema", 5, parent="loop.y"),
        Element("property", "loop.y", "jsonschema", 6, parent="loop.x"),
        path="s.json",
        fmt="jsonschema",
    )
    assert got["task.a.b"]["section"] == "task > task.a" and got["task.a.b"]["short"] == "b"
    assert got["loop.x"]["section"] == "loop.y"
    assert jsonable(("a", 1.5, None)) == ["a", 1.5, None]
