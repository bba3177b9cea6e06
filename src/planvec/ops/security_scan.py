"""``planvec security scan``: one report of what needs a security fix under PATHs — secrets in the
files (redacted), sensitive files, vulnerable dependencies and configuration findings — each with
a severity, file:line and the fix. Findings come from *sources* (:mod:`.security_sources`); a
baseline (``--write-baseline``, then ``--baseline``) accepts known findings by fingerprint, as
detect-secrets' baseline does. The report is ``ok`` when no finding outside the baseline is at or
above ``fail_on``.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..clock import now_iso
from ..errors import UsageError
from ..records import FileProblem
from ..settings import Settings
from .security_findings import SEVERITIES, Finding, ScanSource, ScanTarget, Unavailable, severity_rank
from .security_sources import DEFAULT_SOURCES

REPORT_NAME = "security-scan"
BASELINE_VERSION = 1
MD_ROWS = 200


@dataclass(slots=True)
class ScanReport:
    generated_at: str
    paths: list[str]
    fail_on: str
    files: int = 0
    findings: list[Finding] = field(default_factory=list)  # not in the baseline
    accepted: list[Finding] = field(default_factory=list)  # in the baseline
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> status, findings, note
    problems: list[FileProblem] = field(default_factory=list)
    baseline: str | None = None

    @property
    def failing(self) -> list[Finding]:
        floor = severity_rank(self.fail_on)
        return [f for f in self.findings if severity_rank(f.severity) >= floor]

    @property
    def ok(self) -> bool:
        return not self.failing

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(f.severity for f in self.findings)
        return {s: c[s] for s in reversed(SEVERITIES)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "generated_at": self.generated_at,
            "paths": self.paths,
            "ok": self.ok,
            "fail_on": self.fail_on,
            "files": self.files,
            "counts": self.counts,
            "failing": len(self.failing),
            "sources": self.sources,
            "baseline": self.baseline,
            "accepted": len(self.accepted),
            "findings": [f.to_dict() for f in self.findings],
            "accepted_findings": [f.to_dict() for f in self.accepted],
            "problems": [asdict(p) for p in self.problems],
        }


def check_severity(value: str, option: str = "--fail-on") -> str:
    v = value.strip().lower()
    if v not in SEVERITIES:
        raise UsageError(
            f"unknown severity {value!r} for {option}", hint=f"use one of {', '.join(SEVERITIES)}"
        )
    return v


def scan(
    paths: Sequence[Path],
    settings: Settings,
    *,
    fail_on: str = "high",
    baseline: Path | None = None,
    sources: Sequence[ScanSource] = DEFAULT_SOURCES,
) -> ScanReport:
    """Run every source over the files under ``paths``."""
    fail_on = check_severity(fail_on)
    missing = [str(p) for p in paths if not Path(p).expanduser().exists()]
    if missing or not paths:
        raise UsageError(
            f"path not found: {', '.join(missing) or '(none given)'}",
            hint="give existing directories or files",
        )
    accepted_fps = load_baseline(baseline) if baseline else set()
    target = ScanTarget(
        [Path(p).expanduser() for p in paths],
        tuple(settings.exclude),
        settings.max_file_bytes,
        skip_dir=Path(settings.data_dir).expanduser(),
    )
    report = ScanReport(
        now_iso(), [str(p) for p in paths], fail_on, baseline=str(baseline) if baseline else None
    )
    found: list[Finding] = []
    for source in sources:
        try:
            got = source.run(target, settings)
        except Unavailable as e:
            report.sources[source.name] = {"status": "not available", "findings": 0, "note": str(e)}
            continue
        report.sources[source.name] = {"status": "ok", "findings": len(got), "note": None}
        found.extend(got)
    found = without_overlaps(found)
    found.sort(key=lambda f: (-severity_rank(f.severity), f.file, f.line or 0, f.rule))
    report.findings = [f for f in found if f.fingerprint not in accepted_fps]
    report.accepted = [f for f in found if f.fingerprint in accepted_fps]
    report.files = len(target.files())
    report.problems = sorted(set(target.problems), key=lambda p: (p.path, p.reason))
    return report


# A secret type the detector reports where a configuration rule says more (its own fix).
OVERLAPS = {"secret:default-password": "SEC007"}


def without_overlaps(found: list[Finding]) -> list[Finding]:
    """``found`` without the secret findings a configuration rule reports at the same place."""
    places = {(f.rule, f.file, f.line) for f in found if f.source == "config"}
    return [f for f in found if not (f.rule in OVERLAPS and (OVERLAPS[f.rule], f.file, f.line) in places)]


def load_baseline(path: Path) -> set[str]:
    """The fingerprints a baseline file accepts."""
    hint = "write one with planvec security scan PATH --write-baseline FILE"
    try:
        data = json.loads(Path(path).expanduser().read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"baseline {path} does not exist", hint=hint) from None
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise UsageError(f"cannot read the baseline {path}: {e}", hint=hint) from None
    items = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(
        isinstance(x, dict) and isinstance(x.get("fingerprint"), str) for x in items
    ):
        raise UsageError(
            f"{path} is not a planvec security baseline (no findings with fingerprints)", hint=hint
        )
    return {x["fingerprint"] for x in items}


def write_baseline(report: ScanReport, path: Path) -> Path:
    """Every finding of ``report`` (the accepted ones too) as a baseline file; no value is in it."""
    items = [
        {k: f.to_dict()[k] for k in ("fingerprint", "rule", "severity", "file", "line", "title")}
        for f in sorted([*report.findings, *report.accepted], key=lambda f: (f.file, f.line or 0, f.rule))
    ]
    data = {"version": BASELINE_VERSION, "generated_at": report.generated_at, "findings": items}
    _write(Path(path).expanduser(), json.dumps(data, ensure_ascii=False, indent=2) + "\n", "--write-baseline")
    return Path(path).expanduser()


def _write(path: Path, text: str, option: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        raise UsageError(
            f"cannot write {path}: {e.strerror or e}", hint=f"choose a writable place for {option}"
        ) from e


def write_scan_reports(report: ScanReport, report_dir: Path) -> tuple[Path, Path]:
    """``security-scan.json`` and ``security-scan.md`` in ``report_dir``."""
    out = Path(report_dir).expanduser()
    jpath, mpath = out / f"{REPORT_NAME}.json", out / f"{REPORT_NAME}.md"
    _write(jpath, json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n", "--report-dir")
    _write(mpath, scan_markdown(report), "--report-dir")
    return jpath, mpath


def _cell(v: Any) -> str:
    return str("" if v is None else v).replace("|", "\\|").replace("\n", " ")


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    return lines + ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]


def scan_markdown(r: ScanReport) -> str:
    status = "**OK**" if r.ok else f"**{len(r.failing)} FINDING(S) AT OR ABOVE {r.fail_on.upper()}**"
    lines = [
        f"# planvec security scan: {status}",
        "",
        f"Generated {r.generated_at} · {r.files} files · paths: " + ", ".join(f"`{p}`" for p in r.paths),
        "",
        *_table([*r.counts], [list(r.counts.values())]),
        "",
        "## Sources",
        "",
        *_table(
            ("source", "status", "findings", "note"),
            [(n, s["status"], s["findings"], s["note"] or "") for n, s in r.sources.items()],
        ),
        "",
        f"## Findings ({len(r.findings)})",
        "",
    ]
    if r.findings:
        rows = [(f.severity, f.rule, f.where, f.detail, f.fix, f.fingerprint) for f in r.findings[:MD_ROWS]]
        lines += _table(("severity", "rule", "where", "detail", "fix", "fingerprint"), rows)
        if len(r.findings) > MD_ROWS:
            lines.append(f"... and {len(r.findings) - MD_ROWS} more (see the JSON report)")
    else:
        lines.append("No findings.")
    if r.accepted:
        lines += ["", f"{len(r.accepted)} finding(s) accepted by the baseline `{r.baseline}`."]
    if r.problems:
        lines += [
            "",
            "## Files not scanned",
            "",
            *_table(("file", "reason"), [(p.path, p.reason) for p in r.problems]),
        ]
    return "\n".join(lines) + "\n"
