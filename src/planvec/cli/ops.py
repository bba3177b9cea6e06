"""``planvec check``, ``verify``, ``diagnose``, ``fix``: keep the index honest.

Each prints a summary (or ``--json``), writes ``<command>.json`` and ``<command>.md`` into
``--report-dir`` (default ``DATA_DIR/reports``; ``--no-report`` to skip) and exits 0 when all is well,
1 when problems were found, 2 on a usage error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import UsageError
from ..ops.reports import Problem, Report, write_reports
from .common import confirm, engine, err_console, make_settings, out_console, print_json

ReportDir = Annotated[
    Path | None,
    typer.Option(
        "--report-dir", help="Where to write the JSON and Markdown reports (default DATA_DIR/reports)."
    ),
]
NoReport = Annotated[bool, typer.Option("--no-report", help="Do not write report files.")]
JsonOut = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]
LIST_SHOWN = 20


def register(app: typer.Typer) -> None:
    app.command("check")(check_cmd)
    app.command("verify")(verify_cmd)
    app.command("diagnose")(diagnose_cmd)
    app.command("fix")(fix_cmd)


def _finish(
    ctx: typer.Context, kind: str, report: Report, json_out: bool, report_dir: Path | None, no_report: bool
) -> None:
    """Write the reports (``--report-dir``, else under the data directory), print the report or
    where they went (on stderr with ``--json``), exit 0 when all is well, else 1."""
    paths = None
    if not no_report:
        if report_dir is not None:
            paths = write_reports(kind, report, report_dir)
        else:
            default = make_settings(ctx).data_dir.expanduser() / "reports"
            try:
                paths = write_reports(kind, report, default)
            except UsageError as e:  # not asked for: the report itself still prints
                err_console().print(
                    f"warning: {e.message} (--report-dir DIR writes elsewhere)", highlight=False
                )
    if json_out:
        print_json(report.to_dict())
        if paths:
            err_console().print(f"reports: {paths[0]}  {paths[1]}", markup=False, highlight=False)
    elif paths:
        out_console().print(f"reports: {paths[0]}  {paths[1]}", markup=False)
    raise typer.Exit(0 if report.ok else 1)


def _print_problems(problems: list[Problem]) -> None:
    out = out_console()
    for p in problems:
        style = "red" if p.severity == "error" else "yellow"
        out.print(f"[{style}]{p.severity}:[/] {p.message}", highlight=False)
        if p.fix:
            out.print(f"  fix: {p.fix}", markup=False)


def check_cmd(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="The directories or files that were indexed.")],
    kind: Annotated[
        str | None, typer.Option("--kind", help="Kind of knowledge to check (default plans: its tasks).")
    ] = None,
    collection: Annotated[
        str | None, typer.Option("--collection", help="Collection to check (default: the kind's first).")
    ] = None,
    report_dir: ReportDir = None,
    no_report: NoReport = False,
    json_out: JsonOut = False,
) -> None:
    """Compare the records in the files (plans: the tasks) with the store: missing, orphaned, stale,
    duplicates, coverage.

    Exit codes: 0 consistent, 1 not consistent, 2 usage error.
    """
    with engine(ctx, read_only=True) as eng:
        r = eng.check(paths, collection=collection, kind=kind)
    if not json_out:
        out = out_console()
        out.print(
            f"{r.collection}: tasks {r.tasks}  points {r.points}  |  missing {len(r.missing)}  "
            f"orphaned {len(r.orphaned)}  stale {len(r.stale)}  duplicates {len(r.duplicates)}  "
            f"moved {len(r.moved)}  |  coverage {r.coverage:.2f} %",
            markup=False,
        )
        for title, items in (("missing", r.missing), ("orphaned", r.orphaned), ("stale", r.stale)):
            for x in items[:LIST_SHOWN]:
                out.print(f"  {title:<9} {x.file}:{x.line} {x.task_id or ''} {x.title}", markup=False)
            if len(items) > LIST_SHOWN:
                out.print(f"  {title:<9} ... and {len(items) - LIST_SHOWN} more (see the report)")
        _print_problems(r.problems)
        out.print("[green]consistent[/]" if r.ok else "[red]not consistent[/]")
    _finish(ctx, "check", r, json_out, report_dir, no_report)


def verify_cmd(
    ctx: typer.Context,
    collection: Annotated[str | None, typer.Option("--collection", help="Collection to verify.")] = None,
    sample: Annotated[
        int, typer.Option("--sample", help="Points re-embedded for self-retrieval and drift.")
    ] = 500,
    probes: Annotated[
        Path | None,
        typer.Option("--probes", help="TOML/JSON file of semantic probes (text, closer, farther)."),
    ] = None,
    min_self_retrieval: Annotated[float, typer.Option("--min-self-retrieval")] = 0.99,
    min_cosine: Annotated[float, typer.Option("--min-cosine", help="Drift threshold.")] = 0.999,
    norm_tolerance: Annotated[float, typer.Option("--norm-tolerance")] = 1e-3,
    probe_margin: Annotated[float, typer.Option("--probe-margin")] = 0.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random sample.")] = 0,
    report_dir: ReportDir = None,
    no_report: NoReport = False,
    json_out: JsonOut = False,
) -> None:
    """Check vector quality: dimension, NaN/inf, norms, zeros, shared vectors, self-retrieval, drift.

    Exit codes: 0 all checks pass, 1 problems found, 2 usage error.
    """
    from ..ops.verify import Thresholds, load_probes

    th = Thresholds(min_self_retrieval, min_cosine, norm_tolerance, probe_margin)
    probe_list = load_probes(probes) if probes else None
    with engine(ctx, read_only=True) as eng:
        r = eng.verify(collection, sample, thresholds=th, probes=probe_list, seed=seed)
    if not json_out:
        out = out_console()
        for key, value in r.to_dict()["summary"].items():
            out.print(f"  {key:<16} {value}", markup=False)
        _print_problems(r.problems)
        out.print("[green]vectors OK[/]" if r.ok else "[red]problems found[/]")
    _finish(ctx, "verify", r, json_out, report_dir, no_report)


def diagnose_cmd(
    ctx: typer.Context,
    report_dir: ReportDir = None,
    no_report: NoReport = False,
    json_out: JsonOut = False,
) -> None:
    """Store reachable, collections, model/dimension mismatch, lock holder, disk space; with fixes.

    Exit codes: 0 no error found (warnings possible), 1 problems found, 2 usage error.
    """
    with engine(ctx, read_only=True) as eng:
        r = eng.diagnose()
    if not json_out:
        out = out_console()
        st = r.store
        out.print(
            f"store      {st.get('kind')} at {st.get('location')}: "
            + (
                f"reachable in {st.get('latency_ms')} ms ({st.get('version')})"
                if st.get("reachable")
                else f"UNREACHABLE ({st.get('error')})"
            ),
            markup=False,
        )
        out.print(f"model      {r.model.get('id') or r.model.get('error')} ({r.model.get('dimension')}-d)")
        for c in r.collections:
            out.print(
                f"collection {c['name']}: {c['points']} points, {c['dimension']}-d, indexed "
                f"{c['indexed_points']}, segments {c['segments']}, {len(c['payload_indexes'])} payload "
                f"indexes, model {c['model']}",
                markup=False,
            )
        if r.lock:
            held = r.lock["held"]
            who = f"held ({held}) by pid {r.lock['writer_pid']}" if held else "free"
            out.print(f"lock       {r.lock['path']}: {who}", markup=False)
        if r.disk:
            out.print(
                f"disk       {r.disk['free_bytes'] / 2**30:.1f} GiB free ({r.disk['free_pct']} %), index "
                f"{r.disk['data_bytes'] / 2**20:.1f} MiB",
                markup=False,
            )
        _print_problems(r.problems)
        out.print("[green]no problem found[/]" if r.ok else "[red]problems found[/]")
    _finish(ctx, "diagnose", r, json_out, report_dir, no_report)


def fix_cmd(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Plan directories or files (to add, update, delete points).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; change nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    sample: Annotated[int, typer.Option("--sample", help="Points re-embedded to detect drift.")] = 100,
    restore: Annotated[
        Path | None,
        typer.Option(
            "--restore",
            help="Put back a safety backup made by fix (the archive it printed, or its directory).",
        ),
    ] = None,
    report_dir: ReportDir = None,
    no_report: NoReport = False,
    json_out: JsonOut = False,
) -> None:
    """Repair the index: recreate a wrong-dimension collection, re-embed bad or stale vectors, add
    missing tasks, delete orphans and duplicates. Takes a safety backup first.

    Exit codes: 0 repaired (or nothing to fix), 1 a dry run found things to fix or a failure, 2 usage.
    """
    if restore is not None:
        _restore(ctx, restore, yes)
        return
    plist = list(paths or [])
    if not dry_run and not yes:
        if not sys.stdin.isatty():
            raise UsageError("fix changes the index", hint="add --yes, or --dry-run to see the plan first")
        with engine(ctx, read_only=True) as eng:
            plan = eng.fix(plist, dry_run=True, sample=sample)
        _print_fix(plan)
        if plan.nothing_to_fix:
            raise typer.Exit(0)
        confirm("apply this plan (a backup is taken first)?")
    with engine(ctx, read_only=dry_run) as eng:
        r = eng.fix(plist, dry_run=dry_run, sample=sample)
    if not json_out:
        _print_fix(r)
    _finish(ctx, "fix", r, json_out, report_dir, no_report)


def _print_fix(r: Any) -> None:
    out = out_console()
    if r.nothing_to_fix:
        out.print("[green]nothing to fix[/]")
    else:
        out.print("[bold]dry run[/]: the plan (nothing changed)" if r.dry_run else "[bold]done[/]:")
        for a in r.actions:
            out.print(f"  {a.collection:<17} {a.kind:<18} {a.count:>6}  {a.reason}", markup=False)
    if r.backup:
        out.print(f"safety backup: {r.backup}", markup=False)
        out.print(f"  restore with: {r.restore_command}", markup=False)
    if not r.dry_run and r.actions:
        out.print(f"embedded {r.embedded} text(s) in {r.seconds:.2f} s")
    _print_problems(r.problems)


def _restore(ctx: typer.Context, backup: Path, yes: bool) -> None:
    from ..ops.fix import restore_backup

    if not yes:
        confirm(f"replace the collections saved in {backup} with that backup?")
    with engine(ctx) as eng:
        r = restore_backup(eng.store, backup)
    names = [c["name"] for c in r.collections]
    err = err_console()
    err.print(f"restored {', '.join(names) or 'nothing'} from {backup}", highlight=False)
    if r.skipped:
        err.print(
            f"left out {len(r.skipped)} point(s) whose vector holds NaN or infinity (no store takes "
            f"them; planvec fix re-embeds them), e.g. {r.skipped[0]}",
            highlight=False,
        )
