"""``planvec deps ...``: the dependencies kind's commands (list, conflicts, audit)."""

from __future__ import annotations

import typer

deps_app = typer.Typer(
    name="deps",
    help="Dependencies of the indexed manifests and lockfiles: list, conflicts, audit.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(deps_app, name="deps")
