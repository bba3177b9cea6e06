"""OpenAPI 3 parsing: operations, component schemas and properties, refs, broken inputs."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

from planvec.kinds.base import Source
from planvec.kinds.schemas.openapi import looks_like, parse_openapi
from planvec.kinds.schemas.records import SchemaFile

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "schemas"
_SPEC = importlib.util.spec_from_file_location(
    "openapi_spec", Path(__file__).resolve().parents[2] / "benchmarks" / "openapi_spec.py"
)
assert _SPEC is not None and _SPEC.loader is not None
openapi_spec = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(openapi_spec)


def parse(rel: str, text: str) -> SchemaFile:
    return parse_openapi(Source(rel, text))


def by_name(sf: SchemaFile) -> dict:
    return {e.name: e for e in sf.elements}


@pytest.fixture(scope="module")
def petstore() -> SchemaFile:
    return parse("api/petstore.yaml", (FIXTURES / "petstore.yaml").read_text(encoding="utf-8"))


def test_petstore_elements_and_counts(petstore: SchemaFile) -> None:
    assert petstore.problems == ()
    assert Counter(e.element for e in petstore.elements) == {"operation": 4, "schema": 4, "property": 8}
    assert [e.name for e in petstore.elements if e.element == "operation"] == [
        "GET /pets",
        "POST /pets",
        "GET /pets/{petId}",
        "DELETE /pets/{petId}",
    ]
    assert all(e.format == "openapi" for e in petstore.elements)


def test_operation_attributes_resolve_refs(petstore: SchemaFile) -> None:
    post = by_name(petstore)["POST /pets"]
    assert post.type == "POST"
    assert post.line == 29  # the method key
    assert post.description == "Create a pet. Adds a pet to the store."
    a = post.attributes
    assert a["operation_id"] == "createPet"
    assert a["path"] == "/pets"
    assert a["tags"] == ["pets"]
    assert a["request"] == {
        "content_types": ["application/json", "application/x-www-form-urlencoded"],
        "schemas": ["components.NewPet"],
        "required": True,
    }
    # A response through components/responses, one inline.
    assert a["responses"] == {"201": "components.Pet", "default": "components.Error"}
    assert post.references == ("components.NewPet", "components.Pet", "components.Error")
    assert a["api"] == "Pet Store 1.2.0"


def test_parameters_from_refs_and_path_level(petstore: SchemaFile) -> None:
    names = by_name(petstore)
    listing = names["GET /pets"].attributes
    assert [(p["name"], p["in"], p["required"], p["type"]) for p in listing["parameters"]] == [
        ("limit", "query", False, "integer"),
        ("species", "query", False, "string"),
    ]
    assert listing["responses"]["200"] == "array[components.Pet]"
    # Path-level parameters apply; an operation's own parameter of the same name and place wins.
    show = names["GET /pets/{petId}"].attributes["parameters"]
    assert show == [
        {
            "name": "petId",
            "in": "path",
            "required": True,
            "type": "integer (int64)",
            "description": "The pet's id",
        }
    ]
    delete = names["DELETE /pets/{petId}"]
    assert delete.attributes["parameters"][0]["type"] == "string"
    assert delete.attributes["deprecated"] is True
    assert delete.attributes["responses"] == {"204": ""}


def test_component_schemas_and_properties(petstore: SchemaFile) -> None:
    names = by_name(petstore)
    pet = names["components.Pet"]
    assert pet.element == "schema"
    assert pet.type == "components.NewPet & object"
    assert pet.references == ("components.NewPet",)
    assert pet.description == "A pet of the store"
    # allOf branch properties belong to the schema; the branch's `required` applies.
    assert names["components.Pet.id"].attributes["required"] is True
    assert names["components.Pet.id"].type == "integer (int64)"
    owner = names["components.Pet.owner"]
    assert (owner.type, owner.parent, owner.references) == (
        "components.Owner",
        "components.Pet",
        ("components.Owner",),
    )
    # Owner.pets -> Pet -> Owner: a cycle, named not expanded.
    pets = names["components.Owner.pets"]
    assert pets.type == "array[components.Pet]"
    assert pets.references == ("components.Pet",)
    email = names["components.Owner.email"]
    assert (email.type, email.description, email.line) == (
        "string (email)",
        "Where the owner is reached",
        129,
    )
    tag = names["components.NewPet.tag"]
    assert tag.type == "string | null"
    assert tag.attributes["nullable"] is True


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_generated_benchmark_spec(tmp_path: Path, suffix: str) -> None:
    path = openapi_spec.write_openapi_spec(tmp_path / f"api{suffix}")
    sf = parse(path.name, path.read_text(encoding="utf-8"))
    assert sf.problems == ()
    counts = Counter(e.element for e in sf.elements)
    assert counts["operation"] == 70
    assert counts["schema"] == 15
    category = by_name(sf)["components.Category.parent"]
    assert category.references == ("components.Category",)


def test_openapi_31_json_type_unions_and_a_broken_ref() -> None:
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/collections": {
                "post": {
                    "operationId": "createCollection",
                    "requestBody": {
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Nope"}}}
                    },
                    "responses": {"200": {"$ref": "#/components/responses/Missing"}},
                }
            }
        },
        "components": {
            "schemas": {
                "Collection": {
                    "type": "object",
                    "properties": {
                        "name": {"type": ["string", "null"]},
                        "remote": {"$ref": "other.yaml#/components/schemas/X"},
                    },
                }
            }
        },
    }
    text = json.dumps(spec, indent=2)
    sf = parse("api.json", text)
    names = by_name(sf)
    # The rest is parsed despite the two refs to nowhere.
    assert names["POST /collections"].attributes["request"]["schemas"] == ["#/components/schemas/Nope"]
    assert names["POST /collections"].attributes["responses"] == {}
    assert names["components.Collection.name"].type == "string | null"
    assert names["components.Collection.remote"].references == ("other.yaml#/components/schemas/X",)
    reasons = sorted(p.reason for p in sf.problems)
    assert reasons == [
        "unresolved $ref '#/components/responses/Missing'",
        "unresolved $ref '#/components/schemas/Nope'",
    ]
    nope_line = next(i for i, line in enumerate(text.split("\n"), 1) if "#/components/schemas/Nope" in line)
    assert {p.line for p in sf.problems if "Nope" in p.reason} == {nope_line}


SWAGGER = """swagger: "2.0"
info: {title: Legacy, version: "0.9"}
consumes: [application/json]
produces: [application/json]
paths:
  /users:
    post:
      operationId: createUser
      parameters:
        - in: body
          name: user
          required: true
          schema: {$ref: '#/definitions/User'}
        - {name: dry_run, in: query, type: boolean}
      responses:
        "201":
          description: Created
          schema: {$ref: '#/definitions/User'}
        "400": {$ref: '#/responses/Bad'}
  /users/{id}/avatar:
    put:
      consumes: [multipart/form-data]
      parameters:
        - {name: id, in: path, required: true, type: integer, format: int64}
        - {name: file, in: formData, type: file}
      responses:
        "204": {description: Stored}
responses:
  Bad:
    description: Bad request
    schema: {type: array, items: {$ref: '#/definitions/Error'}}
definitions:
  User:
    type: object
    required: [email]
    properties:
      email: {type: string, format: email}
      manager: {$ref: '#/definitions/User'}
  Error:
    properties:
      message: {type: string}
"""


def test_swagger_2_is_read_too() -> None:
    sf = parse("legacy/swagger.yaml", SWAGGER)
    assert sf.problems == ()
    names = by_name(sf)
    create = names["POST /users"].attributes
    assert create["request"] == {
        "content_types": ["application/json"],
        "schemas": ["definitions.User"],
        "required": True,
    }
    assert create["parameters"] == [
        {"name": "dry_run", "in": "query", "required": False, "type": "boolean", "description": ""}
    ]
    assert create["responses"] == {"201": "definitions.User", "400": "array[definitions.Error]"}
    assert names["POST /users"].references == ("definitions.User", "definitions.Error")
    avatar = names["PUT /users/{id}/avatar"].attributes
    assert avatar["request"] == {"content_types": ["multipart/form-data"], "schemas": [], "required": False}
    assert [p["type"] for p in avatar["parameters"]] == ["integer (int64)", "file"]
    assert names["definitions.User"].element == "schema"
    assert names["definitions.User.email"].attributes["required"] is True
    assert names["definitions.User.manager"].references == ("definitions.User",)
    assert names["definitions.Error.message"].line == 41


def test_other_swagger_versions_are_refused_clearly() -> None:
    sf = parse("old.yaml", 'swagger: "1.2"\ninfo: {title: t, version: "1"}\npaths: {}\n')
    assert sf.elements == ()
    assert [(p.reason, p.line) for p in sf.problems] == [
        ("Swagger 1.2 is not supported, convert to OpenAPI 3", 1)
    ]


@pytest.mark.parametrize(
    ("rel", "text", "reason", "line"),
    [
        ("a.yaml", "openapi: 3.0.0\npaths:\n  /x: [\n", "invalid YAML", 4),
        ("a.json", '{"openapi": "3.0.0",\n "paths": {,}}', "invalid JSON", 2),
        ("a.yaml", "- just\n- a list\n", "not an OpenAPI document", 1),
        ("a.yaml", "title: no version\n", "not an OpenAPI 3 document", 1),
    ],
)
def test_broken_documents_are_one_problem_with_a_line(rel: str, text: str, reason: str, line: int) -> None:
    sf = parse(rel, text)
    assert sf.elements == ()
    assert len(sf.problems) == 1
    assert sf.problems[0].reason.startswith(reason)
    assert sf.problems[0].line == line


def test_paths_that_are_not_operations_are_skipped_not_fatal() -> None:
    text = (
        "openapi: 3.0.0\npaths:\n  /a: null\n"
        "  /b:\n    get: 3\n    x-internal: true\n    put:\n      responses: {}\n"
    )
    sf = parse("a.yaml", text)
    assert [e.name for e in sf.elements] == ["PUT /b"]
    assert sf.problems == ()


def test_looks_like() -> None:
    assert looks_like("api.yaml", "openapi: 3.0.0\n")
    assert looks_like("x/api.json", '{\n  "openapi": "3.1.0"}')
    assert looks_like("old.yml", "# c\nswagger: '2.0'\n")
    assert not looks_like("k8s.yaml", "apiVersion: v1\nkind: Service\n")
    assert not looks_like("api.txt", "openapi: 3.0.0\n")
    assert not looks_like("package.json", '{"name": "x", "keywords": ["openapi", "swagger"]}')
