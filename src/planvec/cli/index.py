"""``planvec index``: incremental sync of the files of every kind (Markdown plans, ...) into the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ..engine import SyncReport
from .common import engine, err_console, out_console, print_json, progress_bar, verbosity


def register(app: typer.Typer) -> None:
    app.command("index")(index_cmd)


def index_cmd(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Directories or Markdown files to index.")],
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            help="Index only this kind of knowledge (repeatable; default: every enabled kind, e.g. plans).",
        ),
    ] = None,
    include: Annotated[
        list[str] | None,
        typer.Option(
            "--include",
            help="Only the files this glob matches (repeatable), relative to each PATH, among those "
            "each kind reads; each must match a file. Points of files it leaves out are kept.",
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="Glob of files to skip (repeatable); their points are kept."),
    ] = None,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune",
            help="Also delete the points of every other file under PATH (those --include/--exclude "
            "leave out, or indexed once with other globs).",
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would change; change nothing.")
    ] = False,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Rewrite every point (vectors, BM25 vectors, payloads), even unchanged ones; identical "
            "texts reuse their stored or cached vectors (the model computes only new texts).",
        ),
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    no_sections: Annotated[bool, typer.Option("--no-sections", help="Index tasks only, not prose.")] = False,
) -> None:
    """Index (or re-sync) plans and every other enabled kind: embed only new or changed records
    (tasks, sections, ...), delete vanished ones.

    Deletes only the points of files under PATH that the globs select (--prune: of every file there).

    An --include glob that matches no file is a usage error: nothing is changed.

    Exit codes: 0 done, 1 failure, 2 usage error, 3 partial (some files could not be read; listed).
    """
    extra: dict[str, Any] = {}
    if no_sections:
        extra["index_sections"] = False
    with engine(ctx, **extra) as eng, progress_bar(not json_out) as progress:
        report = eng.index(
            paths,
            full=full,
            dry_run=dry_run,
            progress=progress,
            include=include or None,
            exclude=exclude or None,
            prune=prune,
            kinds=kind or None,
        )
    if json_out:
        print_json(report.to_dict())
    else:
        _print_report(report, verbosity(ctx))
    raise typer.Exit(report.exit_code)


def _print_report(r: SyncReport, level: int = 0) -> None:
    if level >= 0:
        _print_summary(r)
        _print_secrets(r)
        for note in r.notes:
            err_console().print(f"note: {note}", highlight=False)
    _print_warnings(r, level)
    err = err_console()
    for p in r.problems:
        err.print(f"[red]not indexed:[/] {p.path}: {p.reason}", highlight=False)
    if r.problems:
        files = len({p.path for p in r.problems})  # a file can have several (one per task it lost)
        err.print(f"partial run: {len(r.problems)} problem(s) in {files} file(s), listed above (exit code 3)")


def _print_warnings(r: SyncReport, level: int) -> None:
    """Warnings about the files this run changed (all of them with -v, none with -q): a file that
    did not change repeats the same warning on every run otherwise."""
    if level < 0:
        return
    shown = r.warnings if level > 0 else r.warnings_of_changed()
    err = err_console()
    for w in shown[:20]:
        err.print(f"[yellow]warning:[/] {w}", highlight=False)
    if len(shown) > 20:
        err.print(f"[yellow]warning:[/] ... and {len(shown) - 20} more (see --json)")
    hidden = len(r.warnings) - len(shown)
    if hidden:
        err.print(f"{hidden} warning(s) about unchanged files not shown (-v shows them)", style="dim")


def _print_summary(r: SyncReport) -> None:
    out = out_console()
    if r.dry_run:
        out.print("[bold]dry run[/]: nothing was changed")
        for coll, changes in r.changes.items():
            for change in ("added", "updated", "moved", "deleted"):
                for item in changes[change][:50]:
                    out.print(f"  {coll:<17} {change:<8} {item}", markup=False)
                if len(changes[change]) > 50:
                    out.print(f"  {coll:<17} {change:<8} ... and {len(changes[change]) - 50} more")
    embedded = "would be embedded" if r.dry_run else "embedded"
    reused = f"  reused {r.reused}" if r.reused else ""
    # of the embedded, what the model computed (the rest came from the embedding cache)
    computed = f" (computed {r.computed})" if r.embedded and not r.dry_run else ""
    out.print(
        f"files {r.files}  tasks {r.tasks}  sections {r.sections}  |  added {r.added}  updated {r.updated}  "
        f"moved {r.moved}  deleted {r.deleted}  unchanged {r.unchanged}  {embedded} {r.embedded}{computed}"
        f"{reused}  "
        f"|  {r.seconds:.2f} s"
    )
    if len(r.kinds) > 1:
        for name, k in r.kinds.items():
            colls = "  ".join(
                f"{c.name} +{c.added} ~{c.updated} -{c.deleted} ={c.unchanged}" for c in k.collections
            )
            docs = " ".join(f"{role} {n}" for role, n in k.documents.items())
            out.print(f"  {name:<12} files {k.files}  {docs}  |  {colls}", markup=False)


def _print_secrets(r: SyncReport) -> None:
    """One line on what the secret step redacted and classified (nothing when it found nothing),
    then each file withheld as a secret by nature (always shown, changed or not)."""
    if not (r.secrets or r.personal or r.sensitive_files):
        return
    types = ", ".join(f"{t} {n}" for t, n in r.secret_types.items())
    people = ", ".join(f"{t} {n}" for t, n in r.personal.items())
    parts = [f"secrets redacted {r.secrets}" + (f" ({types})" if types else "")]
    if people:
        parts.append(f"personal data {sum(r.personal.values())} ({people})")
    if r.sensitive_files:
        parts.append(f"secret files withheld {len(r.sensitive_files)} (listed below)")
    out_console().print("  |  ".join(parts), markup=False)
