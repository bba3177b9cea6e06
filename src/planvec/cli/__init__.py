"""The ``planvec`` command line: a thin shell over :class:`planvec.engine.Engine`.

Exit codes: 0 success; 1 failure; 2 usage error (bad arguments or configuration);
3 partial success (some files could not be indexed: each is listed with its reason).
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer

from .. import __version__
from ..errors import PlanvecError
from . import admin, deps, index, migration, ops, search, serve
from . import schemas as schemas_cli
from .common import State, err_console

app = typer.Typer(
    name="planvec",
    help="Index development plans (Markdown checkbox tasks) into Qdrant and search them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"planvec {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Embedded store directory (env PLANVEC_HOME).")
    ] = None,
    qdrant_url: Annotated[
        str | None,
        typer.Option(
            "--qdrant-url",
            help="Qdrant server URL (or :memory:) instead of the embedded store (env PLANVEC_QDRANT_URL).",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    overrides: dict[str, object] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if qdrant_url is not None:
        overrides["qdrant_url"] = qdrant_url
    ctx.obj = State(overrides=overrides, debug=debug)
    _STATE["debug"] = debug


_STATE: dict[str, bool] = {"debug": False}


def _click_error_types() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """(usage-error types, exit types).

    typer >= 0.29 vendors click as ``typer._click``; older versions raise click's own exceptions.
    """
    usage: list[type[BaseException]] = []
    exits: list[type[BaseException]] = [typer.Exit]
    try:
        from typer._click.exceptions import ClickException

        usage.append(ClickException)
    except ImportError:
        pass
    try:
        import click

        usage.append(click.ClickException)
        exits.append(click.exceptions.Exit)
    except ImportError:
        pass
    return tuple(usage), tuple(exits)


_USAGE_ERRORS, _EXITS = _click_error_types()

index.register(app)
search.register(app)
admin.register(app)
serve.register(app)
ops.register(app)
migration.register(app)
deps.register(app)
schemas_cli.register(app)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns the process exit code."""
    args = sys.argv[1:] if argv is None else argv
    _STATE["debug"] = "--debug" in args
    try:
        rv = app(args=args, prog_name="planvec", standalone_mode=False)
    except _EXITS as e:
        rv = int(getattr(e, "exit_code", 0) or 0)
    except typer.Abort:
        err_console().print("aborted")
        return 130
    except _USAGE_ERRORS as e:
        e.show()  # type: ignore[attr-defined]
        return int(getattr(e, "exit_code", 2) or 2)
    except PlanvecError as e:
        if _STATE["debug"]:
            traceback.print_exc()
        err_console().print(f"[bold red]error:[/] {e.message}", highlight=False)
        if e.hint:
            err_console().print(f"  hint: {e.hint}", highlight=False)
        return e.exit_code
    except KeyboardInterrupt:
        err_console().print("interrupted")
        return 130
    except Exception as e:  # an unexpected failure: say so, no traceback unless --debug
        if _STATE["debug"]:
            traceback.print_exc()
        else:
            err_console().print(
                f"[bold red]internal error:[/] {type(e).__name__}: {e}\n"
                "  run again with --debug for a traceback",
                highlight=False,
            )
        return 1
    code = int(rv) if isinstance(rv, int) else 0
    if code == 130:  # Ctrl-C: typer >= 0.29 returns (or raises) exit code 130 without a word
        err_console().print("interrupted")
    return code


def run() -> None:
    sys.exit(main())
