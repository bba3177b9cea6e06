"""The index-health reports as files: JSON and Markdown writing (problems: :mod:`.problems`).

Each report (CheckReport, VerifyReport, DiagnoseReport, FixReport) has ``to_dict()`` (the JSON
report) and ``ok``; :func:`write_reports` writes ``<kind>.json`` and ``<kind>.md`` in a report
directory, replacing those of the previous run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from .problems import Problem, Report

if TYPE_CHECKING:
    from .check import CheckReport
    from .diagnose import DiagnoseReport
    from .fix import FixReport
    from .verify import VerifyReport

MD_LIST_LIMIT = 50  # rows per list in a Markdown report (the JSON report holds them all)


def write_reports(kind: str, report: Report, report_dir: str | Path) -> tuple[Path, Path]:
    """Write ``<kind>.json`` and ``<kind>.md`` into ``report_dir``; returns both paths."""
    out = Path(report_dir).expanduser()
    try:
        out.mkdir(parents=True, exist_ok=True)
        jpath, mpath = out / f"{kind}.json", out / f"{kind}.md"
        _atomic_write(jpath, json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str) + "\n")
        _atomic_write(mpath, render_markdown(kind, report))
    except OSError as e:
        raise UsageError(
            f"cannot write the report to {out}: {e.strerror or e}",
            hint="choose a writable directory with --report-dir (or --no-report)",
        ) from e
    return jpath, mpath


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def render_markdown(kind: str, report: Report) -> str:
    renderers = {"check": check_md, "verify": verify_md, "diagnose": diagnose_md, "fix": fix_md}
    render = renderers.get(kind)
    if render is None:
        raise ValueError(f"unknown report kind {kind!r}")
    return render(report)  # type: ignore[operator]


# -- Markdown helpers -----------------------------------------------------------------------------
def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    def cell(v: Any) -> str:
        return str("" if v is None else v).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def _limited(items: Sequence[Any]) -> tuple[Sequence[Any], str | None]:
    if len(items) <= MD_LIST_LIMIT:
        return items, None
    return items[:MD_LIST_LIMIT], f"... and {len(items) - MD_LIST_LIMIT} more (see the JSON report)"


def _problems_md(problems: Sequence[Problem]) -> list[str]:
    if not problems:
        return ["No problems found."]
    rows = [(p.severity, p.code, p.message, f"`{p.fix}`" if p.fix else "-") for p in problems]
    return _table(("severity", "problem", "detail", "fix"), rows)


def _status(ok: bool) -> str:
    return "**OK**" if ok else "**PROBLEMS FOUND**"


def check_md(r: CheckReport) -> str:
    lines = [
        f"# planvec check: {_status(r.ok)}",
        "",
        f"Generated {r.generated_at} · collection `{r.collection}` · paths: "
        + ", ".join(f"`{p}`" for p in r.paths),
        "",
        *_table(
            ("missing", "orphaned", "stale", "duplicates", "coverage", "tasks", "points"),
            [
                (
                    len(r.missing),
                    len(r.orphaned),
                    len(r.stale),
                    len(r.duplicates),
                    f"{r.coverage:.2f} %",
                    r.tasks,
                    r.points,
                )
            ],
        ),
        "",
    ]
    if r.moved:
        lines += [f"{len(r.moved)} point(s) hold an outdated payload (e.g. a line number).", ""]
    lines += ["## Problems", "", *_problems_md(r.problems), ""]
    for title, items in (("Missing", r.missing), ("Orphaned", r.orphaned), ("Stale", r.stale)):
        if not items:
            continue
        shown, more = _limited(items)
        lines += [f"## {title} ({len(items)})", ""]
        lines += _table(
            ("file", "line", "task id", "title", "point id"),
            [(x.file, x.line, x.task_id, x.title, x.point_id) for x in shown],
        )
        lines += [more, ""] if more else [""]
    if r.duplicates:
        shown, more = _limited(r.duplicates)
        lines += [f"## Duplicates ({len(r.duplicates)})", ""]
        lines += _table(
            ("where", "file", "task id", "lines", "points"),
            [(d.where, d.file, d.task_id, ", ".join(map(str, d.lines)), len(d.point_ids)) for d in shown],
        )
        lines += [more, ""] if more else [""]
    lines += ["## Files", ""]
    lines += _table(
        ("file", "tasks", "MVP", "P0", "P1", "P2", "P3", "unprioritised", "completed %", "missing", "stale"),
        [
            (
                f.file,
                f.tasks,
                f.mvp,
                f.p0,
                f.p1,
                f.p2,
                f.p3,
                f.unprioritised,
                f"{f.completed_pct:.1f}",
                f.missing,
                f.stale,
            )
            for f in r.files
        ],
    )
    return "\n".join(lines) + "\n"


def verify_md(r: VerifyReport) -> str:
    d = r.to_dict()
    lines = [
        f"# planvec verify: {_status(r.ok)}",
        "",
        f"Generated {r.generated_at} · collection `{r.collection}` · model `{r.model}`",
        "",
        *_table(("check", "result"), [(k, v) for k, v in d["summary"].items()]),
        "",
        "## Problems",
        "",
        *_problems_md(r.problems),
        "",
    ]
    if r.probes:
        lines += ["## Semantic probes", ""]
        lines += _table(
            ("text", "closer", "farther", "cos closer", "cos farther", "pass"),
            [
                (p.text, p.closer, p.farther, f"{p.cos_closer:.3f}", f"{p.cos_farther:.3f}", p.passed)
                for p in r.probes
            ],
        )
        lines.append("")
    if r.misses:
        shown, more = _limited(r.misses)
        lines += ["## Self-retrieval misses", ""]
        lines += _table(("point id", "text", "came first"), [(m["id"], m["text"], m["top"]) for m in shown])
        lines += [more, ""] if more else [""]
    return "\n".join(lines) + "\n"


def diagnose_md(r: DiagnoseReport) -> str:
    lines = [f"# planvec diagnose: {_status(r.ok)}", "", f"Generated {r.generated_at}", "", "## Store", ""]
    lines += _table(("key", "value"), list(r.store.items()))
    lines += ["", "## Model", "", *_table(("key", "value"), list(r.model.items())), ""]
    if r.collections:
        lines += ["## Collections", ""]
        lines += _table(
            ("name", "dimension", "points", "indexed", "segments", "model", "payload indexes"),
            [
                (
                    c["name"],
                    c["dimension"],
                    c["points"],
                    c["indexed_points"],
                    c["segments"],
                    c["model"],
                    len(c["payload_indexes"]),
                )
                for c in r.collections
            ],
        )
        lines.append("")
    if r.lock:
        lines += ["## Lock", "", *_table(("key", "value"), list(r.lock.items())), ""]
    if r.disk:
        lines += ["## Disk", "", *_table(("key", "value"), list(r.disk.items())), ""]
    lines += ["## Problems", "", *_problems_md(r.problems), ""]
    return "\n".join(lines) + "\n"


def fix_md(r: FixReport) -> str:
    head = "dry run (nothing changed)" if r.dry_run else ("nothing to fix" if not r.actions else "repaired")
    lines = [f"# planvec fix: {head}", "", f"Generated {r.generated_at}", ""]
    if r.actions:
        lines += _table(
            ("collection", "action", "points", "reason"),
            [(a.collection, a.kind, a.count, a.reason) for a in r.actions],
        )
        lines.append("")
    if r.backup:
        lines += [f"Safety backup: `{r.backup}`", "", f"Restore: `{r.restore_command}`", ""]
    if r.problems:
        lines += ["## Not fixable here", "", *_problems_md(r.problems), ""]
    return "\n".join(lines) + "\n"
