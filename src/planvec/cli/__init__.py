"""The ``planvec`` command line: a thin shell over :class:`planvec.engine.Engine`.

Exit codes: 0 success; 1 failure; 2 usage error (bad arguments or configuration);
3 partial success (some files could not be indexed: each is listed with its reason).
"""

from __future__ import annotations

import sys
import traceback
import warnings
from pathlib import Path, PurePath
from typing import Annotated, Any, get_args, get_origin

import typer

from .. import __version__
from ..errors import ConfigWarning, PlanvecError
from . import admin, deps, deps_checks, index, migration, ops, search, security, serve, task, watch
from . import schemas as schemas_cli
from .common import State, err_console

app = typer.Typer(
    name="planvec",
    help="Index a repository's plans, dependencies, schemas and security policies into Qdrant; search them.",
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
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only errors and what was asked for (no summary lines).")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Every warning, also about files that did not change.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    overrides: dict[str, object] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if qdrant_url is not None:
        overrides["qdrant_url"] = qdrant_url
    ctx.obj = State(overrides=overrides, debug=debug, verbosity=-1 if quiet else 1 if verbose else 0)
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
deps_checks.register(app)
schemas_cli.register(app)
security.register(app)
watch.register(app)
task.register(app)


def _show_warning(message: Warning | str, category: type[Warning], *args: object, **kw: object) -> None:
    """Configuration warnings as one ``warning:`` line on stderr; others as Python shows them."""
    if issubclass(category, ConfigWarning):
        err_console().print(f"[yellow]warning:[/] {message}", highlight=False)
    else:
        _python_showwarning(message, category, *args, **kw)  # type: ignore[arg-type]


_python_showwarning = warnings.showwarning


GLOBAL_VALUED = ("--data-dir", "--qdrant-url")  # the root's options that take a value
GLOBAL_FLAGS = ("--debug", "--quiet", "-q", "--verbose", "-v")


def hoist_globals(args: list[str]) -> list[str]:
    """The global options moved in front of the command, so ``planvec search q --data-dir D`` works
    as ``planvec --data-dir D search q`` does (nothing after ``--`` is touched)."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            rest.extend(args[i:])
            break
        name = a.split("=", 1)[0]
        if name in GLOBAL_VALUED:
            if "=" in a or i + 1 >= len(args):
                front.append(a)
            else:
                front.extend(args[i : i + 2])
                i += 1
        elif a in GLOBAL_FLAGS:
            front.append(a)
        else:
            rest.append(a)
        i += 1
    return [*front, *rest]


def _metavar(param: Any) -> str | None:
    """What the help shows as an option's value: nothing for a flag, else the kind of value in
    plain words (typer's default shows Python type names such as ``<list[str]>``)."""
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return ""
    desc = getattr(param, "type_descriptor", None)
    if desc is None:  # a typer that still uses click's types shows them in capitals already
        return None
    if desc.is_choice:
        return "|".join(str(c) for c in desc.choices or ())
    annotation = desc.annotation
    if get_origin(annotation) is list:
        (annotation,) = get_args(annotation)
    if annotation is bool:
        return "BOOL"
    if annotation in (int, float):
        return "N" if annotation is int else "X"  # (a range is shown next to it)
    if isinstance(annotation, type) and issubclass(annotation, PurePath):
        return "PATH"
    return "TEXT"


def _plain_metavars(cmd: Any) -> Any:
    """Plain value names in the help of ``cmd`` and its subcommands: arguments by their name in
    capitals (``QUERY``), options by the kind of value, flags (and ``--help``) by nothing."""
    for param in getattr(cmd, "params", ()):
        if param.metavar is not None:
            continue
        if getattr(param, "param_type_name", "") == "argument":
            param.metavar = param.name.upper()
            param.display_type_rich = lambda ctx: None  # the name says it: no type column
        else:
            param.metavar = _metavar(param)
    original = cmd.get_help_option

    def help_option(ctx: Any) -> Any:
        opt = original(ctx)
        if opt is not None:
            opt.metavar = ""
        return opt

    cmd.get_help_option = help_option
    for sub in getattr(cmd, "commands", {}).values():
        _plain_metavars(sub)
    return cmd


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns the process exit code."""
    args = hoist_globals(list(sys.argv[1:] if argv is None else argv))
    warnings.showwarning = _show_warning
    _STATE["debug"] = "--debug" in args
    try:
        command = _plain_metavars(typer.main.get_command(app))
        rv = command.main(args=args, prog_name="planvec", standalone_mode=False)
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
