"""``planvec search``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, cast

import typer

from ..engine import Hit, SearchFilters
from ..errors import UsageError
from ..kinds import ALL, DEFAULT_KIND, filter_pairs
from ..settings import SearchMode
from .common import engine, out_console, print_json
from .deps import DevOpt, DirectOpt, EcosystemOpt, ManifestOpt, VulnerableOpt, dependency_filters
from .display import absolute_path, display_path, linked, trimmed, words

HIT_KEYS = (
    "score",
    "task_id",
    "title",
    "status",
    "priority",
    "is_mvp",
    "file",
    "line",
    "section",
    "collection",
    "kind_name",
    "fields",
    "confidence",
)


def register(app: typer.Typer) -> None:
    app.command("search")(search_cmd)


def search_cmd(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="What you are looking for, in your own words.")],
    status: Annotated[list[str] | None, typer.Option("--status", help="pending or completed.")] = None,
    priority: Annotated[list[str] | None, typer.Option("--priority", help="P0..P3 (repeatable).")] = None,
    mvp: Annotated[
        bool | None, typer.Option("--mvp/--no-mvp", help="Only MVP (or only non-MVP) tasks.")
    ] = None,
    file: Annotated[
        str | None, typer.Option("--file", help="Glob on the file path, e.g. 'plan-dev-v5*'.")
    ] = None,
    section: Annotated[
        str | None, typer.Option("--section", help="Words that must appear in the section.")
    ] = None,
    task_id: Annotated[str | None, typer.Option("--task-id", help="Task id prefix, e.g. 1.2.")] = None,
    category: Annotated[
        str | None, typer.Option("--category", help="Security: policy category, e.g. access-control.")
    ] = None,
    severity: Annotated[
        str | None, typer.Option("--severity", help="Security: info..critical (a,b for several; high+).")
    ] = None,
    element: Annotated[
        str | None, typer.Option("--element", help="Schemas: table, column, operation, … (a,b for several).")
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", help="Schemas: sql, jsonschema, openapi, proto, config; security: markdown, rego, …"
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="Number of results.")] = 10,
    min_score: Annotated[
        float | None, typer.Option("--min-score", help="Drop results scoring below this.")
    ] = None,
    collection: Annotated[
        str | None,
        typer.Option("--collection", help="Collection (default roadmap_tasks; prose: roadmap_sections)."),
    ] = None,
    mode: Annotated[
        str | None, typer.Option("--mode", help="dense, keyword or hybrid (default hybrid).")
    ] = None,
    literal: Annotated[
        bool, typer.Option("--literal", help="Search the words as written: no filters read from the query.")
    ] = False,
    kind: Annotated[
        str | None,
        typer.Option("--kind", help="Kind of knowledge to search (default plans; all: every kind, fused)."),
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--filter", help="A filter of the kind as NAME=VALUE (repeatable), e.g. status=pending."
        ),
    ] = None,
    ecosystem: EcosystemOpt = None,
    dev: DevOpt = None,
    direct: DirectOpt = None,
    manifest: ManifestOpt = None,
    vulnerable: VulnerableOpt = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print hits as JSON.")] = False,
    oneline: Annotated[
        bool,
        typer.Option(
            "--oneline", help="One line per hit, 'path:line: [status] id title' (opens in editors)."
        ),
    ] = False,
) -> None:
    """Search tasks (or prose sections, or another kind) by meaning, keywords, or both.

    Paths are relative to the current directory when the files lie below it, absolute otherwise.
    """
    if status and len(set(status)) > 1:
        raise UsageError(
            f"--status given {len(status)} times ({', '.join(status)}): a task has one status",
            hint="give --status once, or leave it out to get both",
        )
    plan_filters = SearchFilters(
        status=status[0] if status else None,
        priorities=tuple(priority or ()),
        mvp=mvp,
        file_glob=file,
        section=section,
        task_id_prefix=task_id,
    )
    filters: SearchFilters | Mapping[str, Any] = plan_filters
    deps = dependency_filters(ecosystem, dev, direct, manifest, vulnerable)  # --kind dependencies
    security = {k: v for k, v in (("category", category), ("severity", severity)) if v}  # --kind security
    schema_filters = {k: v for k, v in (("element", element), ("format", fmt)) if v}  # schemas, security
    kind_filters = {**deps, **security, **schema_filters}
    if where or kind_filters or (kind or DEFAULT_KIND) not in (DEFAULT_KIND, ALL):
        filters = {**plan_filters.values(), **kind_filters, **filter_pairs(where or [])}
    with engine(ctx, read_only=True) as eng:
        hits = eng.search(
            query,
            filters,
            limit=limit,
            mode=cast("SearchMode | None", mode),  # Engine.search rejects unknown modes
            min_score=min_score,
            collection=collection,
            kind=kind,
            literal=literal,
        )
        _say_query_filters(eng, query, filters, kind, literal)
        parents = eng.parents(hits) if not oneline else {}
    if json_out:
        print_json([hit_json(h, parents.get(h.point_id)) for h in hits])
        return
    if oneline:
        print_oneline(hits)
        return
    print_hits(hits, parents)


def _say_query_filters(eng: Any, query: str, filters: Any, kind: str | None, literal: bool) -> None:
    """One line on stderr naming the filters read from the query (stdout stays the hits)."""
    if literal:
        return
    u = eng.understand(query, filters, kind)
    if u.filters:
        typer.echo(f"filters from the query: {u.describe()}; searched: {u.text or query!r}", err=True)


def hit_json(h: Hit, parent: Hit | None = None) -> dict[str, Any]:
    """A hit as ``--json`` prints it: the hit fields, its root and absolute path, its parent task."""
    return (
        {k: getattr(h, k) for k in HIT_KEYS}
        | {"point_id": h.point_id, "root": h.root, "path": absolute_path(h.root, h.file)}
        | {"parent": None if parent is None else {"task_id": parent.task_id, "title": parent.title}}
    )


def _mark(h: Hit) -> str:
    return "[x]" if h.status == "completed" else "[ ]" if h.status == "pending" else "   "


def print_oneline(hits: list[Hit]) -> None:
    """ripgrep-like lines an editor or a terminal opens: ``path:line: [ ] 1.2 title``."""
    out = out_console()
    for h in hits:
        where = f"{display_path(h.root, h.file)}:{h.line}"
        text = linked(out, where, h.root, h.file)
        mark = f"{_mark(h)} " if h.status else ""
        tid = f"{h.task_id} " if h.task_id else ""
        text.append(f": {mark}{tid}{h.title}")
        out.print(text, soft_wrap=True)


def print_hits(hits: list[Hit], parents: dict[str, Hit] | None = None) -> None:
    out = out_console()
    if not hits:
        out.print("no results")
        return
    several = len({h.collection for h in hits}) > 1
    parents = parents or {}
    for rank, h in enumerate(hits, 1):
        if h.kind_name not in ("", DEFAULT_KIND):
            _print_other(out, rank, h, several)
            continue
        tid = h.task_id or "-"
        prio = f" {h.priority}" if h.priority else ""
        mvp = " MVP" if h.is_mvp else ""
        out.print(f"{rank:>3}. {h.score:.3f} {_mark(h)} {tid:<10} {h.title}{prio}{mvp}", markup=False)
        where = f"{display_path(h.root, h.file)}:{h.line}"
        line = linked(out, f"{'':>11}{where}", h.root, h.file, style="dim")
        tail = f"  [{h.kind_name}: {h.collection}]" if several else ""
        room = out.width - len(line.plain) - len(tail) - 2
        if h.section and room > 8:
            line.append(f"  {trimmed(h.section, room)}", style="dim")
        line.append(tail, style="dim")
        out.print(line, soft_wrap=True)
        parent = parents.get(h.point_id)
        if parent is not None:
            under = f"{'':>11}under {parent.task_id or '-'} {parent.title}"
            out.print(
                trimmed(under, out.width) if len(under) > out.width else under, markup=False, style="dim"
            )


def _print_other(out: Any, rank: int, h: Hit, several: bool) -> None:
    """A hit of a kind other than plans: its title, then where it is and the kind's other fields."""
    if h.kind_name == "dependencies":
        _print_dependency(out, rank, h, several)
        return
    out.print(f"{rank:>3}. {h.score:.3f} {h.title}", markup=False)
    shown = ("title", "file", "line", "section")
    extra = "  ".join(
        f"{k}={words(v)}" for k, v in h.fields.items() if k not in shown and v not in (None, "", [])
    )
    tail = f"  [{h.kind_name}: {h.collection}]" if several else ""
    line = linked(out, f"{'':>11}{display_path(h.root, h.file)}:{h.line}", h.root, h.file, style="dim")
    line.append(f"  {extra}{tail}".rstrip(), style="dim")
    out.print(line, soft_wrap=True)


def _print_dependency(out: Any, rank: int, h: Hit, several: bool) -> None:
    """``  1. 0.612 requests ==2.31.0  pypi runtime direct`` then where, the description and the
    advisory state when an advisory names it."""
    f = h.fields
    how = " ".join(str(v) for v in (f.get("ecosystem"), f.get("dep_type")) if v)
    how += " direct" if f.get("direct") else " transitive"
    out.print(f"{rank:>3}. {h.score:.3f} {h.title}  {how}", markup=False)
    advisory = f.get("advisory")
    flagged = (
        f"  {advisory}: {', '.join(f.get('advisory_ids') or [])}"
        if advisory in ("affected", "possibly_affected")
        else ""
    )
    about = f"  {f['description']}" if f.get("description") else ""
    tail = f"  [{h.kind_name}: {h.collection}]" if several else ""
    line = linked(out, f"{'':>11}{display_path(h.root, h.file)}:{h.line}", h.root, h.file, style="dim")
    line.append(f"{about}{flagged}{tail}", style="dim")
    out.print(line, soft_wrap=True)
