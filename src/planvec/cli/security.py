"""``planvec security scan`` and ``planvec security anomalies``: thin shells over
:mod:`planvec.ops.security_scan` and :mod:`planvec.ops.anomalies`.

Exit codes: 0 nothing at or above ``--fail-on`` (scan) / no anomaly (anomalies); 1 findings or
anomalies; 2 usage error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError
from ..ops.anomalies import AnomalyReport, detect_anomalies
from ..ops.security_scan import ScanReport, scan, write_baseline, write_scan_reports
from .common import err_console, make_settings, out_console, print_json

security_app = typer.Typer(
    name="security",
    help="The security manager: scan a repository (secrets, sensitive files, vulnerable "
    "dependencies, configuration rules) and find anomalies in the service's audit log.",
    no_args_is_help=True,
)
SHOWN = 50


def register(app: typer.Typer) -> None:
    app.add_typer(security_app, name="security")


@security_app.command("scan")
def scan_cmd(
    ctx: typer.Context,
    paths: Annotated[list[Path] | None, typer.Argument(help="Directories or files (default: .).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    report_dir: Annotated[
        Path | None,
        typer.Option(
            "--report-dir", help="Where to write security-scan.json and .md (default DATA_DIR/reports)."
        ),
    ] = None,
    no_report: Annotated[bool, typer.Option("--no-report", help="Do not write report files.")] = False,
    baseline: Annotated[
        Path | None, typer.Option("--baseline", help="Accept the findings of this baseline file.")
    ] = None,
    new_baseline: Annotated[
        Path | None,
        typer.Option("--write-baseline", help="Write every finding of this run to a baseline file."),
    ] = None,
    fail_on: Annotated[
        str, typer.Option("--fail-on", help="Exit 1 at or above: info, low, medium, high, critical.")
    ] = "high",
) -> None:
    """Scan PATHs for secrets (redacted), sensitive files, vulnerable dependencies and risky
    configuration (docs/security-rules.md), each with its severity, file:line and fix.

    Exit codes: 0 nothing at or above --fail-on (baseline findings accepted), 1 findings, 2 usage error.
    """
    settings = make_settings(ctx)
    r = scan(paths or [Path(".")], settings, fail_on=fail_on, baseline=baseline)
    written = None if no_report else _reports(r, report_dir, Path(settings.data_dir).expanduser() / "reports")
    if new_baseline is not None:
        where = write_baseline(r, new_baseline)
        err_console().print(f"baseline: {where} ({len(r.findings) + len(r.accepted)} findings)", markup=False)
    if json_out:
        print_json(r.to_dict())
    else:
        _print_scan(r)
    if written:
        (err_console() if json_out else out_console()).print(
            f"reports: {written[0]}  {written[1]}", markup=False
        )
    raise typer.Exit(0 if r.ok else 1)


def _reports(r: ScanReport, asked: Path | None, default: Path) -> tuple[Path, Path] | None:
    """The report files: where ``--report-dir`` says (an error when it cannot be written), else
    under the data directory (a warning when it cannot: the report itself still prints)."""
    if asked is not None:
        return write_scan_reports(r, asked)
    try:
        return write_scan_reports(r, default)
    except UsageError as e:
        err_console().print(f"warning: {e.message} (--report-dir DIR writes elsewhere)", highlight=False)
        return None


def _print_scan(r: ScanReport) -> None:
    out = out_console()
    counts = "  ".join(f"{k} {v}" for k, v in r.counts.items())
    accepted = f"  |  accepted by the baseline {len(r.accepted)}" if r.baseline else ""
    out.print(f"{r.files} files  |  {counts}{accepted}", markup=False)
    for name, s in r.sources.items():
        if s["status"] != "ok":
            out.print(f"  {name}: {s['note']}", markup=False, style="dim")
    for f in r.findings[:SHOWN]:
        out.print(f"{f.severity:<8} {f.rule:<22} {f.where}  {f.detail}", markup=False)
        out.print(f"{'':9}fix: {f.fix}", markup=False, style="dim")
    if len(r.findings) > SHOWN:
        out.print(f"... and {len(r.findings) - SHOWN} more (--json or --report-dir for all)")
    for p in r.problems:
        out.print(f"not scanned: {p.path}: {p.reason}", markup=False, style="yellow")
    verdict = "[green]ok[/]" if r.ok else f"[red]{len(r.failing)} finding(s) at or above {r.fail_on}[/]"
    out.print(verdict)


@security_app.command("anomalies")
def anomalies_cmd(
    ctx: typer.Context,
    audit_log: Annotated[
        Path | None, typer.Option("--audit-log", help="The audit log (default DATA_DIR/audit.jsonl).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Per API key, what departs from its own history in the service's audit log: refused-request
    bursts, request-rate spikes, first use of an action or a target, activity at unusual hours.

    Exit codes: 0 no anomaly, 1 anomalies found, 2 usage error.
    """
    settings = make_settings(ctx)
    path = audit_log or settings.audit_log or Path(settings.data_dir).expanduser() / "audit.jsonl"
    r = detect_anomalies(Path(path))
    if json_out:
        print_json(r.to_dict())
    else:
        _print_anomalies(r)
    raise typer.Exit(0 if r.ok else 1)


def _print_anomalies(r: AnomalyReport) -> None:
    out = out_console()
    keys = ", ".join(f"{k} ({n})" for k, n in r.keys.items()) or "none"
    out.print(f"{r.events} audit events  |  keys: {keys}", markup=False)
    for a in r.anomalies[:SHOWN]:
        out.print(f"{a.time}  {a.key_id:<16} {a.type:<14} {a.reason}", markup=False)
    if len(r.anomalies) > SHOWN:
        out.print(f"... and {len(r.anomalies) - SHOWN} more (--json for all)")
    for p in r.problems[:SHOWN]:
        out.print(f"skipped: {p.path}:{p.line}: {p.reason}", markup=False, style="yellow")
    out.print("[green]no anomaly[/]" if r.ok else f"[red]{len(r.anomalies)} anomalies[/]")
