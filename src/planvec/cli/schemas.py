"""``planvec schemas ...``: the schemas kind's commands (show, drift, list), read from the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import UsageError
from ..kinds.schemas.drift import find_drift, markdown, render, report
from ..kinds.schemas.filters import predicate
from ..kinds.schemas.show import render as render_show
from ..kinds.schemas.show import show
from ..kinds.schemas.stored import StoredElement, read_elements
from .common import engine, out_console, print_json

schemas_app = typer.Typer(
    name="schemas",
    help="Schema and configuration elements of the index: show one, find drift, list them.",
    no_args_is_help=True,
)

JsonOut = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def register(app: typer.Typer) -> None:
    app.add_typer(schemas_app, name="schemas")


def _elements(ctx: typer.Context) -> list[StoredElement]:
    with engine(ctx, read_only=True) as eng:
        _, config = eng.kinds(["schemas"])[0]
        return read_elements(eng.store, config.search_collection)


@schemas_app.command("show")
def show_cmd(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(help="Qualified name (public.users, 'POST /collections') or its end (users).")
    ],
    json_out: JsonOut = False,
) -> None:
    """One element with its members and relations.

    A table with its columns, keys, indexes and foreign keys in and out; an operation with its
    parameters and schemas; a message with its fields; a schema with its properties.
    """
    data = show(_elements(ctx), name)
    if json_out:
        print_json(data)
        return
    out = out_console()
    for line in render_show(data):
        out.print(line, markup=False)


@schemas_app.command("drift")
def drift_cmd(
    ctx: typer.Context,
    json_out: JsonOut = False,
    markdown_path: Annotated[
        Path | None, typer.Option("--markdown", help="Also write the report as Markdown to this file.")
    ] = None,
) -> None:
    """Elements defined differently in several places; exit code 1 when there are any.

    Tables, messages and schemas of one name whose columns, fields or properties differ: a DDL
    file vs the migrations, two services' copies of a proto. Both sides with file:line.
    """
    drifts = find_drift(_elements(ctx))
    if markdown_path is not None:
        try:
            markdown_path.expanduser().write_text(markdown(drifts), encoding="utf-8")
        except OSError as e:
            raise UsageError(
                f"cannot write {markdown_path}: {e.strerror or e}", hint="choose a writable path"
            ) from e
    if json_out:
        print_json(report(drifts))
    else:
        out = out_console()
        for line in render(drifts):
            out.print(line, markup=False)
    raise typer.Exit(1 if drifts else 0)


@schemas_app.command("list")
def list_cmd(
    ctx: typer.Context,
    element: Annotated[
        str | None, typer.Option("--element", help="table, column, operation, … (a,b).")
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="sql, jsonschema, openapi, proto or config.")
    ] = None,
    file: Annotated[str | None, typer.Option("--file", help="Glob on the file path.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Qualified name or glob ('*.email').")] = None,
    parent: Annotated[
        str | None, typer.Option("--parent", help="Container's qualified name or glob.")
    ] = None,
    json_out: JsonOut = False,
) -> None:
    """The indexed elements (all, or those the filters select), by file and line."""
    values: dict[str, Any] = {
        "element": element,
        "format": fmt,
        "file_glob": file,
        "name": name,
        "parent": parent,
    }
    test = predicate({k: v for k, v in values.items() if v})
    found = [e for e in _elements(ctx) if test(e.to_dict())]
    if json_out:
        print_json([e.to_dict() for e in found])
        return
    out = out_console()
    if not found:
        out.print("no schema element matches" if any(values.values()) else "no schema element indexed")
        return
    for e in found:
        out.print(f"{e.element:<15} {e.title:<60} {e.where}", markup=False)
