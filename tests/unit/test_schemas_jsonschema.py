"""JSON Schema parsing on the corpus's real schemas and on odd inline ones; key lines of JSON/YAML."""

from __future__ import annotations

import json
import os
import random
from collections import Counter
from pathlib import Path

import pytest

from planvec.kinds.base import Source
from planvec.kinds.schemas.config import parse_config
from planvec.kinds.schemas.jsonschema import looks_like, parse_json_schema
from planvec.kinds.schemas.openapi import parse_openapi
from planvec.kinds.schemas.positions import PositionError, load_json, load_yaml_all
from planvec.kinds.schemas.records import SchemaFile
from planvec.parsing import read_text

SHARED = Path(os.environ.get("PLANVEC_SHARED_DIR") or Path(__file__).resolve().parents[2].parent / "shared")
REPO = SHARED / "corpus" / "repo"


def corpus(rel: str) -> SchemaFile:
    path = REPO / rel
    if not path.is_file():
        pytest.skip(f"shared corpus not found at {REPO}")
    return parse_json_schema(Source(rel, read_text(path)[0]))


def parse(rel: str, text: str) -> SchemaFile:
    return parse_json_schema(Source(rel, text))


def by_name(sf: SchemaFile) -> dict:
    return {e.name: e for e in sf.elements}


@pytest.mark.parametrize(
    ("rel", "root", "properties"),
    [
        ("config/schemas/dependency_report_schema.json", "Dependencies Report Schema", 9),
        ("development/scripts/roadmap/rag/schema/task_schema.json", "Roadmap Task Schema", 21),
        ("development/reporting/report_schema.json", "Report Template Schema", 33),
        ("projet/mcp/schemas/memory_schema.json", "Memory Schema", 56),
    ],
)
def test_real_schemas_parse_with_hand_counted_elements(rel: str, root: str, properties: int) -> None:
    sf = corpus(rel)
    assert sf.problems == ()
    assert sf.format == "jsonschema"
    assert Counter(e.element for e in sf.elements) == {"schema": 1, "property": properties}
    first = sf.elements[0]
    assert (first.element, first.name, first.line, first.type) == ("schema", root, 1, "object")
    assert first.attributes["schema"] == "http://json-schema.org/draft-07/schema#"
    assert all(e.name.startswith(root + ".") for e in sf.elements[1:])


def test_task_schema_fields() -> None:
    names = by_name(corpus("development/scripts/roadmap/rag/schema/task_schema.json"))
    status = names["Roadmap Task Schema.status"]
    assert status.type == "string"
    assert status.line == 19
    assert status.attributes["enum"] == ["NotStarted", "InProgress", "Completed", "Blocked"]
    assert status.attributes["required"] is True
    assert status.description == "Statut actuel de la tâche"
    assert status.parent == "Roadmap Task Schema"
    assert names["Roadmap Task Schema.parentId"].type == "string | null"
    assert names["Roadmap Task Schema.parentId"].attributes["required"] is False
    assert names["Roadmap Task Schema.dueDate"].type == "string (date-time) | null"
    assert names["Roadmap Task Schema.createdAt"].type == "string (date-time)"
    assert names["Roadmap Task Schema.dependencies"].type == "array[string]"
    assert names["Roadmap Task Schema.progress"].attributes == {
        "minimum": 0,
        "maximum": 100,
        "required": False,
    }


def test_nested_objects_and_array_items_get_paths() -> None:
    names = by_name(corpus("development/reporting/report_schema.json"))
    color = names["Report Template Schema.templates[].sections[].options.thresholds[].color"]
    assert color.parent == "Report Template Schema.templates[].sections[].options.thresholds"
    assert color.attributes["required"] is True
    assert (
        names["Report Template Schema.templates[].sections[].options.thresholds[].label"].attributes[
            "required"
        ]
        is False
    )
    function = names["Report Template Schema.templates[].sections[].metrics[].function"]
    assert function.attributes["enum"][:3] == ["avg", "max", "min"]
    memory = by_name(corpus("projet/mcp/schemas/memory_schema.json"))
    assert memory["Memory Schema.version"].attributes["default"] == 1
    assert memory["Memory Schema.metadata.chunk_info.chunk_id"].parent == "Memory Schema.metadata.chunk_info"
    assert memory["Memory Schema.embedding"].type == "array[number]"


ORDER = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://example.com/schemas/order.json",
    "type": "object",
    "required": ["id"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "customer": {"$ref": "#/$defs/Customer"},
        "tags": {"type": "array", "items": {"$ref": "#/$defs/Tag"}},
        "remote": {"$ref": "https://example.com/schemas/address.json"},
        "sibling": {"$ref": "address.json#/$defs/Street"},
        "broken": {"$ref": "#/$defs/Nope"},
        "kind": {"oneOf": [{"type": "string"}, {"$ref": "#/$defs/Tag"}]},
        "anchored": {"$ref": "#money"},
    },
    "$defs": {
        "Customer": {
            "type": "object",
            "description": "Who ordered",
            "properties": {"name": {"type": "string"}, "referrer": {"$ref": "#/$defs/Customer"}},
        },
        "Tag": {"type": "string", "enum": ["a", "b"]},
        "Money": {"$anchor": "money", "type": "number"},
    },
}


def test_defs_refs_cycles_remote_and_broken() -> None:
    text = json.dumps(ORDER, indent=2)
    sf = parse("schemas/order.json", text)
    names = by_name(sf)
    assert [e.name for e in sf.elements if e.element == "schema"] == ["order", "Customer", "Tag", "Money"]
    customer = names["order.customer"]
    assert (customer.type, customer.references) == ("Customer", ("Customer",))
    assert names["order.tags"].type == "array[Tag]"
    assert names["order.kind"].type == "string | Tag"
    assert names["order.anchored"].references == ("Money",)  # an $anchor, resolved by referencing
    # A cycle: Customer.referrer -> Customer, named once, never expanded.
    assert names["Customer.referrer"].references == ("Customer",)
    assert names["Customer"].description == "Who ordered"
    # Refs out of the document are recorded as written, not fetched, and are no problem.
    assert names["order.remote"].references == ("https://example.com/schemas/address.json",)
    assert names["order.sibling"].references == ("address.json#/$defs/Street",)
    # A local ref to nowhere: one problem naming it, on its line; the rest parsed.
    assert [p.reason for p in sf.problems] == ["unresolved $ref '#/$defs/Nope'"]
    line = next(i for i, row in enumerate(text.split("\n"), 1) if '"#/$defs/Nope"' in row)
    assert sf.problems[0].line == line
    assert names["order.broken"].references == ("#/$defs/Nope",)
    assert names["order.id"].attributes == {"format": "uuid", "required": True}


def test_yaml_schema_with_definitions_draft07() -> None:
    text = (
        "$schema: http://json-schema.org/draft-07/schema#\n"
        "title: Config\n"
        "type: object\n"
        "properties:\n"
        "  server:\n"
        "    $ref: '#/definitions/Server'\n"
        "definitions:\n"
        "  Server:\n"
        "    type: object\n"
        "    required: [port]\n"
        "    properties:\n"
        "      port: {type: integer, default: 8080}\n"
    )
    sf = parse("config.schema.yaml", text)
    assert sf.problems == ()
    names = by_name(sf)
    assert names["Config.server"].references == ("Server",)
    assert names["Config.server"].line == 5
    port = names["Server.port"]
    assert (port.line, port.type, port.attributes["default"], port.attributes["required"]) == (
        12,
        "integer",
        8080,
        True,
    )
    assert names["Server"].line == 8


def test_root_name_from_title_then_id_then_stem() -> None:
    assert (
        parse("a/x.json", '{"$id": "https://e.com/s/thing.schema.json", "type": "object"}').elements[0].name
        == "thing"
    )
    assert parse("a/x.schema.json", '{"type": "object"}').elements[0].name == "x"


def test_a_root_and_a_def_with_one_name_stay_distinct() -> None:
    sf = parse(
        "a.json",
        '{"title": "A", "$defs": {"A": {"type": "string"}}, "properties": {"p": {"$ref": "#/$defs/A"}}}',
    )
    assert [e.name for e in sf.elements] == ["A", "A.p", "A/A"]
    assert by_name(sf)["A.p"].references == ("A/A",)


@pytest.mark.parametrize(
    ("rel", "text", "reason", "line"),
    [
        (
            "a.json",
            '{\n  "type": "object",\n  "properties": {\n    "a": {"type": "string"},\n  }\n}',
            "invalid JSON",
            5,
        ),
        ("a.json", "", "invalid JSON: Expecting value", 1),
        ("a.json", "[1, 2]", "not a JSON Schema", 1),
        ("a.yaml", "type: object\nproperties:\n  a: [\n", "invalid YAML", 4),
    ],
)
def test_broken_inputs_are_a_problem_with_a_line(rel: str, text: str, reason: str, line: int) -> None:
    sf = parse(rel, text)
    assert sf.elements == ()
    assert len(sf.problems) == 1
    assert sf.problems[0].reason.startswith(reason)
    assert sf.problems[0].line == line


def test_odd_values_inside_a_schema_do_not_raise() -> None:
    text = json.dumps(
        {
            "properties": {
                "t": True,
                "f": False,
                "odd": {"type": 3, "required": "yes", "enum": "x"},
                "deep": {"properties": {"x": {"properties": {"y": {"type": "null"}}}}},
            },
            "required": "not-a-list",
            "allOf": "nope",
        }
    )
    sf = parse("odd.json", text)
    names = by_name(sf)
    assert names["odd.t"].type == "any"
    assert names["odd.f"].type == "never"
    assert names["odd.odd"].type == "3"
    assert names["odd.deep.x.y"].type == "null"


def test_looks_like() -> None:
    assert looks_like("x.json", '{"$schema": "http://json-schema.org/draft-07/schema#"}')
    assert looks_like("task_schema.json", '{"type": "object", "properties": {}}')
    assert not looks_like("api.json", '{"openapi": "3.0.0", "$schema": "http://json-schema.org/x"}')
    assert not looks_like("package.json", '{"name": "x", "version": "1.0.0"}')
    assert not looks_like("x.md", '"$schema" json-schema.org')


# --- positions: JSON decoded by the standard library's rules, lines per key ----------------------


def test_json_lines_and_json_semantics() -> None:
    doc = load_json(
        '{\n  "a": 1e5,\n  "b": {\n\t"c": "\\/x\\ud83d\\ude00",\n  "d": [{"e": 1},\n   {"f": 2}]},\n  "a": 2}'
    )
    assert doc.data == {
        "a": 2,
        "b": {"c": "/x😀", "d": [{"e": 1}, {"f": 2}]},
    }  # 1e5 a number in JSON, last key wins
    assert doc.lines[("b", "c")] == 4
    assert doc.lines[("b", "d", 1, "f")] == 6
    assert doc.lines[("a",)] == 7
    assert doc.line_at(("b", "d", 1, "f", "missing")) == 6
    assert isinstance(load_json('{"x": 1e5}').data["x"], float)


@pytest.mark.parametrize(
    ("text", "reason", "line"),
    [
        ('{\n "a": 1,\n}', "Expecting property name enclosed in double quotes", 3),
        ('{"a" 1}', "Expecting ':' delimiter", 1),
        ("[1,\n2", "Expecting ',' delimiter", 2),
        ('{"a": 1}\nx', "Extra data", 2),
        ('{"a": tru}', "Expecting value", 1),
        ("   ", "Expecting value", 1),
    ],
)
def test_json_errors_carry_the_line(text: str, reason: str, line: int) -> None:
    with pytest.raises(PositionError) as err:
        load_json(text)
    assert err.value.reason == f"invalid JSON: {reason}"
    assert err.value.line == line


def test_yaml_documents_aliases_merges_and_unknown_tags() -> None:
    text = "base: &b {x: 1}\nder:\n  <<: *b\n  y: 2\n---\nk: !Ref foo\nday: 2024-01-01\n---\nbad: [\n"
    docs, error = load_yaml_all(text)
    assert docs[0].data == {"base": {"x": 1}, "der": {"x": 1, "y": 2}}
    assert docs[1].data["k"] == "foo"
    assert docs[1].line == 6
    assert docs[1].lines[("day",)] == 7
    assert error is not None and error.line == 10
    keys, _ = load_yaml_all("on: push\n200: ok\nyes: 1\n")
    assert keys[0].data == {"on": "push", "200": "ok", "yes": 1}  # keys as written, values typed
    shared, _ = load_yaml_all("a: &a [1]\nb: *a\n")
    assert shared[0].data["a"] is shared[0].data["b"]  # an alias shares its value


def test_recursive_aliases_and_alias_bombs_stop_the_document() -> None:
    recursive = "type: object\nproperties:\n  x: &a {type: array, items: *a}\n"
    sf = parse("s.yaml", recursive)
    assert sf.elements == ()
    assert [(p.reason, p.line) for p in sf.problems] == [
        ("invalid YAML: a recursive alias (a node inside itself)", 3)
    ]
    levels = "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    docs, error = load_yaml_all(
        'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + levels
    )
    assert docs == []
    assert error is not None and error.reason.startswith("invalid YAML: aliases expand to over")


@pytest.mark.parametrize("depth", [300, 5000])
def test_deep_nesting_is_indexed_or_one_problem(depth: int) -> None:
    text = '{"properties": {"x": ' + '{"items": ' * depth + "{}" + "}" * depth + "}}"
    sf = parse("deep.json", text)
    if depth == 300:
        assert sf.problems == () and [e.name for e in sf.elements] == ["deep", "deep.x"]
    else:
        assert sf.elements == () and sf.problems[0].reason == "invalid JSON: nested too deeply"


@pytest.mark.parametrize("dialect", ["5", "null", '"weird"', '"http://json-schema.org/draft-04/schema#"'])
def test_odd_or_old_dialects_still_resolve_refs(dialect: str) -> None:
    body = '"definitions": {"A": {}}, "properties": {"a": {"$ref": "#/definitions/A"}}'
    text = f'{{"$schema": {dialect}, {body}}}'
    sf = parse("a.json", text)
    assert sf.problems == ()
    assert by_name(sf)["a.a"].references == ("A",)


def test_required_lists_with_odd_items() -> None:
    sf = parse(
        "a.json", '{"required": [["x"], {"y": 1}, "p"], "properties": {"p": {}, "q": {"required": true}}}'
    )
    assert by_name(sf)["a.p"].attributes["required"] is True
    assert by_name(sf)["a.q"].attributes["required"] is False


_FUZZ_KEYS = [
    "$schema",
    "$id",
    "title",
    "type",
    "items",
    "properties",
    "required",
    "allOf",
    "oneOf",
    "$ref",
    "enum",
    "format",
    "nullable",
    "paths",
    "components",
    "schemas",
    "parameters",
    "requestBody",
    "responses",
    "content",
    "schema",
    "definitions",
    "$defs",
    "get",
    "post",
    "name",
    "in",
    "value",
    "apiVersion",
    "kind",
    "metadata",
    "stringData",
    "services",
    "image",
    "environment",
    "password",
]
_FUZZ_LEAVES = (
    None,
    True,
    0,
    1.5,
    "s",
    "3.0",
    "array",
    "object",
    "#/definitions/A",
    "#/nope",
    "x.json#/a",
    [],
    {},
)


def _fuzz_value(rnd: random.Random, depth: int) -> object:
    roll = rnd.random()
    if depth > 4 or roll < 0.3:
        return rnd.choice(_FUZZ_LEAVES)
    if roll < 0.5:
        return [_fuzz_value(rnd, depth + 1) for _ in range(rnd.randint(0, 3))]
    return {rnd.choice(_FUZZ_KEYS): _fuzz_value(rnd, depth + 1) for _ in range(rnd.randint(0, 5))}


def test_parsers_never_raise_on_random_documents() -> None:
    rnd = random.Random(20261201)
    for _ in range(300):
        data = {rnd.choice(_FUZZ_KEYS): _fuzz_value(rnd, 0) for _ in range(rnd.randint(1, 6))}
        if rnd.random() < 0.3:
            data["openapi"] = "3.0.0"
        text = json.dumps(data)
        for parser in (parse_json_schema, parse_openapi, parse_config):
            assert isinstance(parser(Source("f.json", text)), SchemaFile)
