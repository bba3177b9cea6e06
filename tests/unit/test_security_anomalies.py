"""Anomalies of the audit log: a synthetic log with planted anomalies (each found, with its
reason) and a normal one (no findings)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from planvec.errors import UsageError
from planvec.ops.anomalies import detect_anomalies, fold_target, robust_score
from security_log import START, audit_line, normal_log, refused_burst, write_log


def test_normal_log_has_no_findings(tmp_path: Path) -> None:
    report = detect_anomalies(write_log(tmp_path / "audit.jsonl", normal_log()))
    assert report.events > 1500 and set(report.keys) == {"ci", "editor"}
    assert report.anomalies == [] and report.problems == [] and report.ok


def test_planted_anomalies_are_each_found_with_a_reason(tmp_path: Path) -> None:
    lines = normal_log()
    day = START + timedelta(days=8, hours=11)  # a Tuesday, in working hours
    lines += refused_burst("ci", day)  # 12 refused requests in two minutes
    spike = START + timedelta(days=9, hours=14, minutes=1)
    for i in range(60):  # 60 requests in ten minutes from a key that makes 1-3
        t = spike + timedelta(seconds=9 * i)
        lines.append((t, audit_line(t, "editor", "documents.put", "/api/v1/documents/plans/a.md")))
    t = START + timedelta(days=8, hours=15)
    lines.append((t, audit_line(t, "editor", "keys.create", "/api/v1/keys")))  # a new action and target
    t = START + timedelta(days=9, hours=3, minutes=12)
    lines.append((t, audit_line(t, "ci", "index.run", "/api/v1/index")))  # 03h: never active before 08h
    report = detect_anomalies(write_log(tmp_path / "audit.jsonl", lines))
    found = {(a.key_id, a.type): a for a in report.anomalies}
    assert set(found) == {
        ("ci", "refused_burst"),
        ("editor", "rate_spike"),
        ("editor", "new_action"),
        ("editor", "new_target"),
        ("ci", "unusual_hour"),
    }, report.anomalies
    burst = found[("ci", "refused_burst")]
    assert burst.count == 12 and burst.time == "2026-11-10T11:00:00+00:00"
    assert burst.reason.startswith("12 refused requests in 10 min; usually 0")
    spike_a = found[("editor", "rate_spike")]
    assert spike_a.count >= 60 and spike_a.score is not None and spike_a.score >= 5
    assert "usually 2" in spike_a.reason
    assert found[("editor", "new_action")].reason.startswith("first use of action 'keys.create' after ")
    assert "'/api/v1/keys'" in found[("editor", "new_target")].reason
    hour = found[("ci", "unusual_hour")]
    assert hour.time.startswith("2026-11-11T03:12") and "03h UTC" in hour.reason and "08h" in hour.reason
    assert report.counts == {
        "new_action": 1,
        "new_target": 1,
        "rate_spike": 1,
        "refused_burst": 1,
        "unusual_hour": 1,
    }


def test_rotated_files_and_bad_lines(tmp_path: Path) -> None:
    lines = sorted(normal_log(days=3))
    half = len(lines) // 2
    write_log(tmp_path / "audit.jsonl.1", lines[:half])
    log = tmp_path / "audit.jsonl"
    log.write_text(
        "\n".join([x for _, x in lines[half:]] + ["{not json", '{"time": "x", "key_id": "k"}', "[]"]) + "\n"
    )
    report = detect_anomalies(log)
    assert report.events == len(lines) and report.files == [str(tmp_path / "audit.jsonl.1"), str(log)]
    assert [(p.reason, p.line) for p in report.problems] == [
        ("not a JSON line", len(lines) - half + 1),
        ("unreadable time 'x'", len(lines) - half + 2),
        ("not an audit entry (no time or key_id)", len(lines) - half + 3),
    ]


def test_missing_log_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no audit log at"):
        detect_anomalies(tmp_path / "nope.jsonl")


def test_robust_score_and_target_folding() -> None:
    med, mad, score = robust_score(30, [2, 3, 2, 4, 3, 2, 100])
    assert (med, mad) == (3, 1) and score == pytest.approx(27 / 1.4826)
    assert robust_score(5, [0, 0, 0])[2] == 5.0  # a MAD of 0 counts as 1
    assert fold_target("/api/v1/jobs/3f2a9c1d7e") == "/api/v1/jobs/{id}"
    assert fold_target("/api/v1/documents/plans/a.md") == "/api/v1/documents/plans/a.md"
