"""Markdown reports of ``planvec deps conflicts`` and ``planvec deps audit`` (the JSON report is
each report's ``to_dict()``), in the layout of ``check``'s reports."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .deps_checks import ConflictReport, DepsAudit

MD_LIST_LIMIT = 50  # rows per list (the JSON report holds them all)


def _cell(v: Any) -> str:
    return str("" if v is None else v).replace("|", "\\|").replace("\n", " ")


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    return lines + ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]


def _limited(items: Sequence[Any]) -> tuple[Sequence[Any], list[str]]:
    if len(items) <= MD_LIST_LIMIT:
        return items, [""]
    return items[:MD_LIST_LIMIT], [f"... and {len(items) - MD_LIST_LIMIT} more (see the JSON report)", ""]


def _problems(problems: Sequence[Any]) -> list[str]:
    if not problems:
        return []
    shown, more = _limited(problems)
    rows = [(p.path, p.line or "", p.reason) for p in shown]
    return [
        f"## Files with problems ({len(problems)})",
        "",
        *_table(("file", "line", "problem"), rows),
        *more,
    ]


def conflicts_md(r: ConflictReport) -> str:
    res = r.result
    status = "**OK**" if r.ok else "**INCOMPATIBLE DEPENDENCIES**"
    lines = [
        f"# planvec deps conflicts: {status}",
        "",
        f"Generated {r.generated_at} · source: {r.source}",
        "",
        *_table(
            ("incompatible", "mismatch", "skipped", "files", "dependencies"),
            [(len(res.incompatible), len(res.mismatches), len(res.skipped), r.files, r.dependencies)],
        ),
        "",
    ]
    for title, items in (("Incompatible", res.incompatible), ("Mismatch", res.mismatches)):
        if not items:
            continue
        shown, more = _limited(items)
        lines += [f"## {title} ({len(items)})", ""]
        crows = [
            (
                c.ecosystem,
                c.name,
                c.reason,
                "<br>".join(f"`{s.where}` {s.name or ''} {s.version or s.specifier}" for s in c.sides),
            )
            for c in shown
        ]
        lines += [*_table(("ecosystem", "package", "reason", "sides"), crows), *more]
    if res.skipped:
        shown, more = _limited(res.skipped)
        lines += [f"## Not checked ({len(res.skipped)})", ""]
        srows = [(f"{s.file}:{s.line}", s.ecosystem, s.name, s.specifier, s.reason) for s in shown]
        lines += [*_table(("where", "ecosystem", "package", "specifier", "why"), srows), *more]
    lines += _problems(r.problems)
    return "\n".join(lines).rstrip() + "\n"


def audit_md(a: DepsAudit) -> str:
    r = a.report
    status = "**OK**" if r.ok else "**VULNERABLE DEPENDENCIES**"
    lines = [f"# planvec deps audit: {status}", "", f"Generated {r.generated_at} · source: {a.source}", ""]
    lines += [f"> {w}" for w in r.warnings] + ([""] if r.warnings else [])
    c = r.counts
    lines += _table(
        ("affected", "possibly affected", "unknown", "dependencies", "snapshot", "GIT ranges skipped"),
        [
            (
                c["affected"],
                c["possibly_affected"],
                c["unknown"],
                r.dependencies,
                r.snapshot or "-",
                r.git_ranges_skipped,
            )
        ],
    )
    lines.append("")
    if r.findings:
        shown, more = _limited(r.findings)
        lines += [f"## Findings ({len(r.findings)})", ""]
        rows = [
            (
                f.state,
                f.ecosystem,
                f.name,
                f.version or f.specifier,
                f"`{f.where}`",
                ", ".join(m.id for m in f.advisories),
                ", ".join(f.fixed) or "no fix known",
            )
            for f in shown
        ]
        lines += [
            *_table(("state", "ecosystem", "package", "version", "where", "advisories", "fixed in"), rows),
            *more,
        ]
    if r.unknown:
        shown, more = _limited(r.unknown)
        lines += [f"## Not assessed ({len(r.unknown)})", ""]
        lines += [
            *_table(("where", "package", "why"), [(u["where"], u["name"], u["reason"]) for u in shown]),
            *more,
        ]
    lines += _problems(a.problems)
    return "\n".join(lines).rstrip() + "\n"
