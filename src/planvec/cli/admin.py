"""``planvec collections``, ``show``, ``drop``, ``model``."""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import UsageError
from .common import confirm, engine, make_settings, out_console, print_json
from .search import HIT_KEYS

model_app = typer.Typer(help="Manage the embedding model.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("collections")(collections_cmd)
    app.command("show")(show_cmd)
    app.command("drop")(drop_cmd)
    app.add_typer(model_app, name="model")


def collections_cmd(
    ctx: typer.Context, json_out: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False
) -> None:
    """List collections: name, points, dimension, model, last sync."""
    with engine(ctx, read_only=True) as eng:
        cols = eng.collections()
    if json_out:
        print_json([c.to_dict() for c in cols])
        return
    out = out_console()
    if not cols:
        out.print("no collections yet: run planvec index PATH")
        return
    out.print(f"{'name':<20} {'points':>8} {'dim':>5}  {'model':<40} last sync", markup=False)
    for c in cols:
        out.print(
            f"{c.name:<20} {c.points:>8} {c.dimension:>5}  {c.model or '?':<40} {c.last_sync or '-'}",
            markup=False,
        )


def show_cmd(
    ctx: typer.Context,
    ident: Annotated[
        str, typer.Argument(metavar="ID", help="A point id (UUID) or an explicit task id (1.2.3).")
    ],
    collection: Annotated[str | None, typer.Option("--collection")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show one task (or section) with its full payload."""
    with engine(ctx, read_only=True) as eng:
        hit = eng.get(ident, collection) if _is_uuid(ident) else None
        hits = [hit] if hit else ([] if _is_uuid(ident) else eng.find_by_task_id(ident, collection))
    if not hits:
        raise UsageError(
            f"no task or point with id {ident!r}", hint='find it with planvec search "..." first'
        )
    if json_out:
        print_json(
            [
                {k: getattr(h, k) for k in HIT_KEYS}
                | {"point_id": h.point_id, "body": h.body, "text": h.text, "root": h.root}
                for h in hits
            ]
        )
        return
    out = out_console()
    for h in hits:
        out.print(f"{h.task_id or '-'}  {h.title}", markup=False, style="bold")
        for label, value in (
            ("status", h.status),
            ("priority", h.priority),
            ("mvp", h.is_mvp),
            ("file", f"{h.file}:{h.line}"),
            ("section", h.section),
            ("point id", h.point_id),
            ("collection", h.collection),
            ("embedded text", h.text),
        ):
            out.print(f"  {label:<14} {value}", markup=False)
        if h.body:
            out.print("  body:", markup=False)
            for line in h.body.splitlines():
                out.print(f"    {line}", markup=False)


def drop_cmd(
    ctx: typer.Context,
    collection: Annotated[str, typer.Argument(help="Collection to delete with all its points.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a collection (re-create it with planvec index)."""
    if not yes:
        confirm(f"delete collection {collection!r} and all its points?")
    with engine(ctx) as eng:
        eng.drop(collection)
    out_console().print(f"dropped {collection}")


@model_app.command("build")
def model_build(ctx: typer.Context) -> None:
    """Build (or verify) the cached ONNX model from the installed weights."""
    from ..wiring import embedder_from_settings

    emb = embedder_from_settings(make_settings(ctx))
    vec = emb.embed(["planvec model check"])
    out_console().print(
        f"model {emb.model_id}: ready ({emb.dimension}-d, norm {float((vec[0] ** 2).sum()) ** 0.5:.4f})"
    )


def _is_uuid(s: str) -> bool:
    import uuid

    try:
        uuid.UUID(s)
    except ValueError:
        return False
    return True
