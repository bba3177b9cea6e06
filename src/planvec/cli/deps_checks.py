"""``planvec deps conflicts``, ``planvec deps audit`` and ``planvec advisories import|status``.

The checks read the indexed ``dependencies`` collection, or the manifests and lockfiles under the
PATHs given. Exit codes: conflicts 0 (at most mismatches), 1 (an incompatible conflict); audit 0,
1 (something affected; ``--fail-on possibly``: or possibly affected); 2 usage error; advisories
import 0, 3 (some files were problems, the rest imported).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..clock import now_iso
from ..errors import UsageError
from ..kinds.dependencies.audit import FAIL_ON, NO_ADVISORIES
from ..ops.deps_checks import (
    ConflictReport,
    DepsAudit,
    advisories_path,
    conflicts,
    run_audit,
    write_check_reports,
)
from ..ops.deps_reports import audit_md, conflicts_md
from .common import engine, err_console, make_settings, out_console, print_json
from .deps import deps_app

advisories_app = typer.Typer(
    name="advisories",
    help="The offline advisory database (OSV records) that planvec deps audit reads.",
    no_args_is_help=True,
)

Paths = Annotated[
    list[Path] | None,
    typer.Argument(help="Manifests/lockfiles or directories to read instead of the index."),
]
ReportDir = Annotated[
    Path | None,
    typer.Option("--report-dir", help="Where the JSON and Markdown reports go (default DATA_DIR/reports)."),
]
NoReport = Annotated[bool, typer.Option("--no-report", help="Do not write report files.")]
JsonOut = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]
SHOWN = 50


def _reports(ctx: typer.Context, report_dir: Path | None) -> Path:
    """``--report-dir``, else DATA_DIR/reports (as check's reports): never the current directory."""
    return report_dir if report_dir is not None else make_settings(ctx).data_dir.expanduser() / "reports"


def register(app: typer.Typer) -> None:
    deps_app.command("conflicts")(conflicts_cmd)
    deps_app.command("audit")(audit_cmd)
    advisories_app.command("import")(import_cmd)
    advisories_app.command("status")(status_cmd)
    app.add_typer(advisories_app, name="advisories")


def _conflicts(ctx: typer.Context, paths: list[Path]) -> ConflictReport:
    if paths:
        return conflicts(None, make_settings(ctx), paths)
    with engine(ctx, read_only=True) as eng:
        return conflicts(eng.store, eng.settings)


def conflicts_cmd(
    ctx: typer.Context,
    paths: Paths = None,
    report_dir: ReportDir = None,
    no_report: NoReport = False,
    json_out: JsonOut = False,
) -> None:
    """Packages declared with different specifiers (mismatch) and specifiers no version satisfies
    together, or locked versions another manifest excludes (incompatible).

    Exit codes: 0 no incompatible conflict, 1 an incompatible conflict, 2 usage error.
    """
    r = _conflicts(ctx, list(paths or []))
    paths_out = (
        None
        if no_report
        else write_check_reports("deps-conflicts", r.to_dict(), conflicts_md(r), _reports(ctx, report_dir))
    )
    if json_out:
        print_json(r.to_dict())
    else:
        _print_conflicts(r)
        if paths_out:
            out_console().print(f"reports: {paths_out[0]}  {paths_out[1]}", markup=False)
    raise typer.Exit(0 if r.ok else 1)


def _print_conflicts(r: ConflictReport) -> None:
    out = out_console()
    res = r.result
    out.print(
        f"{r.dependencies} dependencies in {r.files} files: {len(res.incompatible)} incompatible, "
        f"{len(res.mismatches)} mismatch, {len(res.skipped)} not checked",
        markup=False,
    )
    for c in (res.incompatible + res.mismatches)[:SHOWN]:
        style = "red" if c.level == "incompatible" else "yellow"
        out.print(f"[{style}]{c.level}[/] {c.ecosystem} {c.name}: {c.message}", highlight=False)
        for s in c.sides:
            what = f"{s.name} " if s.name else ""
            out.print(f"    {s.where}  {what}{s.version if s.lockfile else s.specifier}", markup=False)
    if len(res.conflicts) > SHOWN:
        out.print(f"... and {len(res.conflicts) - SHOWN} more (see the report)")
    for sk in res.skipped[:SHOWN]:
        out.print(f"not checked: {sk.file}:{sk.line} {sk.name} {sk.specifier!r}: {sk.reason}", markup=False)
    _print_problems(r.problems)
    out.print("[green]no incompatible dependencies[/]" if r.ok else "[red]incompatible dependencies[/]")


def _print_problems(problems: list) -> None:
    err = err_console()
    for p in problems:
        where = f"{p.path}:{p.line}" if p.line else p.path
        err.print(f"[yellow]problem:[/] {where}: {p.reason}", highlight=False)


def audit_cmd(
    ctx: typer.Context,
    paths: Paths = None,
    fail_on: Annotated[
        str,
        typer.Option(
            "--fail-on", help="Exit 1 on: affected (default), possibly (also possibly affected), never."
        ),
    ] = "affected",
    report_dir: ReportDir = None,
    no_report: NoReport = False,
    json_out: JsonOut = False,
) -> None:
    """Audit the dependencies against the imported OSV advisories (offline).

    Exit codes: 0 nothing affected, 1 something affected (see --fail-on), 2 usage error.
    """
    if fail_on not in FAIL_ON:
        raise UsageError(
            f"--fail-on {fail_on!r} is not one of {', '.join(FAIL_ON)}", hint="e.g. --fail-on possibly"
        )
    plist = list(paths or [])
    if plist:
        a = run_audit(None, make_settings(ctx), plist, fail_on=fail_on)
    else:
        with engine(ctx, read_only=True) as eng:
            a = run_audit(eng.store, eng.settings, fail_on=fail_on)
    paths_out = (
        None
        if no_report
        else write_check_reports("deps-audit", a.to_dict(), audit_md(a), _reports(ctx, report_dir))
    )
    if json_out:
        print_json(a.to_dict())
    else:
        _print_audit(a)
        if paths_out:
            out_console().print(f"reports: {paths_out[0]}  {paths_out[1]}", markup=False)
    raise typer.Exit(0 if a.ok else 1)


def _print_audit(a: DepsAudit) -> None:
    r, out = a.report, out_console()
    for w in r.warnings:
        err_console().print(f"[yellow]warning:[/] {w}", highlight=False)
    if not r.imported:
        return
    c = r.counts
    out.print(
        f"{r.dependencies} dependencies, advisories of {r.snapshot}: {c['affected']} affected, "
        f"{c['possibly_affected']} possibly affected, {c['unknown']} not assessed, "
        f"{r.git_ranges_skipped} GIT ranges skipped",
        markup=False,
    )
    for f in r.findings[:SHOWN]:
        style = "red" if f.state == "affected" else "yellow"
        ids = ", ".join(m.id for m in f.advisories)
        fix = ", ".join(f.fixed) or "no fix known"
        out.print(
            f"[{style}]{f.state}[/] {f.ecosystem} {f.name} {f.version or f.specifier} ({f.where}): "
            f"{ids}; fixed in {fix}",
            highlight=False,
        )
    if len(r.findings) > SHOWN:
        out.print(f"... and {len(r.findings) - SHOWN} more (see the report)")
    for u in r.unknown[:SHOWN]:
        out.print(f"not assessed: {u['where']} {u['name']}: {u['reason']}", markup=False)
    _print_problems(a.problems)
    out.print("[green]nothing affected[/]" if r.ok else "[red]vulnerable dependencies[/]")


def import_cmd(
    ctx: typer.Context,
    sources: Annotated[list[Path], typer.Argument(help="OSV all.zip files, OSV JSON files or directories.")],
    json_out: JsonOut = False,
) -> None:
    """Import OSV advisories (e.g. PyPI/all.zip, npm/all.zip) into the local database under the data
    directory; an ecosystem imported again replaces its earlier advisories.

    Exit codes: 0 imported, 3 imported with problems (each file named), 2 usage error.
    """
    from ..kinds.dependencies.osvimport import import_advisories

    settings = make_settings(ctx)
    r = import_advisories(advisories_path(settings), sources, now_iso())
    if json_out:
        print_json(r.to_dict())
    else:
        out = out_console()
        for e in r.ecosystems:
            out.print(_eco_line(e), markup=False)
        out.print(
            f"imported {r.imported} advisories of {r.records} records into {r.path} (snapshot {r.snapshot}); "
            f"{r.other_ecosystems} of other ecosystems left out",
            markup=False,
        )
        err = err_console()
        for p in r.problems:
            err.print(f"[yellow]problem:[/] {p.name}: {p.reason}", highlight=False)
    raise typer.Exit(3 if r.problems else 0)


def status_cmd(ctx: typer.Context, json_out: JsonOut = False) -> None:
    """What the advisory database holds: advisories and packages per ecosystem, snapshot dates."""
    from ..kinds.dependencies.advisories import AdvisoryDB

    path = advisories_path(make_settings(ctx))
    db = AdvisoryDB.open(path)
    if db is None:
        if json_out:
            print_json({"path": str(path), "advisories": 0, "snapshot": None, "ecosystems": []})
        else:
            out_console().print(f"{NO_ADVISORIES} ({path} holds none)", markup=False)
        return
    with db:
        st = db.status()
    if json_out:
        print_json(st)
        return
    out = out_console()
    out.print(
        f"{st['path']}: {st['advisories']} advisories, snapshot {st['snapshot']}, "
        f"imported {st['imported_at']}",
        markup=False,
    )
    for e in st["ecosystems"]:
        out.print("  " + _eco_line(e), markup=False)


def _eco_line(e: dict) -> str:
    return (
        f"{e['ecosystem']:<6} {e['advisories']:>7} advisories  {e['packages']:>6} packages  "
        f"snapshot {e['snapshot']}"
    )
