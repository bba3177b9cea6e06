"""``planvec deps ...``: the dependencies kind's commands (list, conflicts, audit)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ..kinds import filter_pairs
from .common import engine, out_console, print_json

deps_app = typer.Typer(
    name="deps",
    help="Dependencies of the indexed manifests and lockfiles: list, conflicts, audit.",
    no_args_is_help=True,
)

NOT_INDEXED = "no dependencies indexed: planvec index PATH"
TABLE = ("ecosystem", "name", "specifier", "resolved", "type", "direct", "file:line", "advisory")

# The dependencies kind's filter flags, shared by ``deps list`` and ``search``.
EcosystemOpt = Annotated[
    list[str] | None,
    typer.Option("--ecosystem", help="pypi, npm, go, cargo or maven (repeatable, or comma-separated)."),
]
DevOpt = Annotated[
    bool | None, typer.Option("--dev/--no-dev", help="Only dev (or only non-dev) dependencies.")
]
DirectOpt = Annotated[
    bool | None,
    typer.Option("--direct/--transitive", help="Only those the project declares (or only transitive ones)."),
]
ManifestOpt = Annotated[
    str | None, typer.Option("--manifest", help="Glob on the manifest or lockfile path, e.g. 'services/*'.")
]
VulnerableOpt = Annotated[
    bool, typer.Option("--vulnerable", help="Only dependencies an imported advisory (possibly) affects.")
]


def dependency_filters(
    ecosystem: list[str] | None, dev: bool | None, direct: bool | None, manifest: str | None, vulnerable: bool
) -> dict[str, Any]:
    """The dependency filter flags that were given, by filter name (the others are left out, so a
    search of another kind names them in its "has no filter" error only when used)."""
    values = {
        "ecosystem": tuple(ecosystem or ()),
        "dev": dev,
        "direct": direct,
        "manifest": manifest,
        "vulnerable": True if vulnerable else None,
    }
    return {k: v for k, v in values.items() if v not in (None, ())}


@deps_app.command("list")
def list_cmd(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Only the files under these paths (default: every indexed one)."),
    ] = None,
    ecosystem: EcosystemOpt = None,
    dev: DevOpt = None,
    direct: DirectOpt = None,
    manifest: ManifestOpt = None,
    vulnerable: VulnerableOpt = False,
    name: Annotated[str | None, typer.Option("--name", help="Package name (PyPI names normalised).")] = None,
    dep_type: Annotated[
        str | None, typer.Option("--type", help="runtime, dev, optional, peer or build (comma-separated).")
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option("--filter", help="A filter as NAME=VALUE (repeatable), e.g. dev=false."),
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", "-n", min=1, help="At most this many rows.")] = None,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many rows first.")] = 0,
    json_out: Annotated[bool, typer.Option("--json", help="Print the listing as JSON.")] = False,
) -> None:
    """List the indexed dependencies (read from the store, sorted by ecosystem, name, file, line)."""
    filters = dependency_filters(ecosystem, dev, direct, manifest, vulnerable)
    filters.update({k: v for k, v in (("name", name), ("dep_type", dep_type)) if v})
    filters.update(filter_pairs(where or []))
    with engine(ctx, read_only=True) as eng:
        listing = eng.dependencies(filters, paths=paths or (), limit=limit, offset=offset)
    if json_out:
        print_json(listing.to_dict())
        return
    out = out_console()
    if not listing.indexed:
        out.print(NOT_INDEXED, markup=False)
        return
    if not listing.rows:
        out.print(f"no dependency matches ({listing.total} listed of the indexed ones)", markup=False)
        return
    for line in table_lines(listing.rows):
        out.print(line, markup=False)
    shown = (
        f"{listing.offset + 1}-{listing.offset + len(listing.rows)} of "
        if len(listing.rows) < listing.total
        else ""
    )
    out.print(
        f"{shown}{listing.total} dependenc{'y' if listing.total == 1 else 'ies'}", markup=False, style="dim"
    )


def _cells(row: dict[str, Any]) -> tuple[str, ...]:
    advisory = str(row.get("advisory") or "unknown")
    if row.get("advisory_ids"):
        advisory += f" ({', '.join(row['advisory_ids'])})"
    return (
        str(row.get("ecosystem") or ""),
        str(row.get("name") or ""),
        str(row.get("specifier") or "-"),
        str(row.get("version") or "-"),
        str(row.get("dep_type") or ""),
        "direct" if row.get("direct") else "transitive",
        f"{row.get('file')}:{row.get('line')}",
        advisory,
    )


def table_lines(rows: list[dict[str, Any]]) -> list[str]:
    """The rows as aligned text columns under a header (the last column is not padded)."""
    cells = [TABLE, *(_cells(r) for r in rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(len(TABLE) - 1)]
    return ["  ".join([*(c[i].ljust(w) for i, w in enumerate(widths)), c[-1]]) for c in cells]


def register(app: typer.Typer) -> None:
    app.add_typer(deps_app, name="deps")
