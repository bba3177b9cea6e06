"""``planvec security scan|anomalies`` and ``planvec search --kind security`` as a user runs them."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from planvec.cli import main
from security_log import START, normal_log, refused_burst, write_log

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "security"
REPO = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "repo"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PLANVEC_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def risky(tmp_path: Path) -> Path:
    """A repository with one planted problem per source and rule family."""
    root = tmp_path / "risky"
    (root / "deploy").mkdir(parents=True)
    (root / "config").mkdir()
    (root / ".env.example").write_text("APP_USER=admin\nAPP_PASSWORD=changeme\n", encoding="utf-8")
    (root / ".env").write_text("APP_PASSWORD=a-real-one\n", encoding="utf-8")
    (root / "config" / "production.yaml").write_text(
        "environment: production\ndebug: true\nserver:\n  tls:\n    min_version: '1.0'\n", encoding="utf-8"
    )
    (root / "deploy" / "agent.yaml").write_text(
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: agent\n"
        "          securityContext:\n            privileged: true\n",
        encoding="utf-8",
    )
    (root / "config" / "dev.yaml").write_text("debug: true\nhost: 127.0.0.1\n", encoding="utf-8")
    return root


def test_scan_reports_each_finding_with_where_and_fix(capsys, risky: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "security", "scan", str(risky), "--json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False and report["fail_on"] == "high"
    got = {(f["rule"], f["where"], f["severity"]) for f in report["findings"]}
    assert got == {
        ("SEC003", "deploy/agent.yaml:11", "critical"),
        ("sensitive-file", ".env", "high"),
        ("SEC001", "config/production.yaml:2", "high"),
        ("SEC002", "config/production.yaml:5", "high"),
        ("SEC007", ".env.example:2", "high"),
    }
    assert all(f["fix"] and len(f["fingerprint"]) == 16 for f in report["findings"])
    assert "a-real-one" not in out  # the .env is reported, never read into the report
    assert report["sources"]["config"] == {"status": "ok", "findings": 4, "note": None}
    assert report["counts"] == {"critical": 1, "high": 4, "medium": 0, "low": 0, "info": 0}
    code, out, _ = run(capsys, "security", "scan", str(risky), "--fail-on", "critical")
    assert code == 1 and "deploy/agent.yaml:11" in out and "fix: remove privileged: true" in out


def test_baseline_accepts_known_findings_only(capsys, risky: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    baseline = tmp_path / "baseline.json"
    code, _, err = run(capsys, "security", "scan", str(risky), "--write-baseline", str(baseline), "--json")
    assert code == 1 and f"baseline: {baseline} (5 findings)" in err
    saved = json.loads(baseline.read_text())
    assert len(saved["findings"]) == 5 and "changeme" not in baseline.read_text()
    code, out, _ = run(capsys, "security", "scan", str(risky), "--baseline", str(baseline), "--json")
    report = json.loads(out)
    assert code == 0 and report["findings"] == [] and report["accepted"] == 5
    # A finding moved to another line keeps its fingerprint; a new one is not accepted.
    env = risky / ".env.example"
    env.write_text("# added a comment\n" + env.read_text() + "ROOT_PASSWORD=admin123\n")
    code, out, _ = run(capsys, "security", "scan", str(risky), "--baseline", str(baseline), "--json")
    report = json.loads(out)
    assert code == 1 and [f["where"] for f in report["findings"]] == [".env.example:4"]
    code, _, err = run(capsys, "security", "scan", str(risky), "--baseline", str(risky / ".env.example"))
    assert code == 2 and "cannot read the baseline" in err and "--write-baseline" in err


def test_scan_markdown_report_and_usage_errors(capsys, risky: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    reports = tmp_path / "reports"
    code, out, _ = run(capsys, "security", "scan", str(risky), "--report-dir", str(reports))
    assert code == 1 and f"reports: {reports / 'security-scan.json'}" in out
    md = (reports / "security-scan.md").read_text()
    assert md.startswith("# planvec security scan: **5 FINDING(S) AT OR ABOVE HIGH**")
    assert "| critical | SEC003 | deploy/agent.yaml:11 |" in md
    # the secrets source runs (planvec.secrets): its row is there, and says it was available
    assert "| secrets |" in md and "secret detection not available" not in md
    assert json.loads((reports / "security-scan.json").read_text())["files"] == 5
    # Without --report-dir the reports go under the data directory, which a scan never reads.
    home = risky / ".planvec"
    code, out, _ = run(capsys, "--data-dir", str(home), "security", "scan", str(risky))
    assert code == 1 and f"reports: {home / 'reports' / 'security-scan.json'}" in out
    code, out, _ = run(capsys, "--data-dir", str(home), "security", "scan", str(risky), "--json")
    assert json.loads(out)["files"] == 5
    code, out, _ = run(capsys, "security", "scan", str(risky), "--no-report")
    assert code == 1 and "reports:" not in out
    code, _, err = run(capsys, "security", "scan", str(risky), "--fail-on", "severe")
    assert code == 2 and "unknown severity 'severe' for --fail-on" in err
    code, _, err = run(capsys, "security", "scan", str(tmp_path / "missing"))
    assert code == 2 and "path not found" in err


@pytest.mark.skipif(not REPO.is_dir(), reason="shared corpus not found")
def test_scan_of_the_shared_corpus_finds_the_default_passwords(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "security", "scan", str(REPO), "--json")
    report = json.loads(out)
    defaults = {f["where"]: f["detail"] for f in report["findings"] if f["rule"] == "SEC007"}
    assert defaults == {
        ".env.example:44": "GRAFANA_PASSWORD is set to the well-known default password 'admin123'",
        "development/managers/contextual-memory-manager/config/.env.example:9": (
            "POSTGRES_PASSWORD is set to the well-known default password 'password'"
        ),
    }
    placeholders = [f["where"] for f in report["findings"] if f["rule"] == "SEC008"]
    assert placeholders == [f"kubernetes/enterprise/security.yaml:{n}" for n in (92, 113, 134, 154, 176)]
    assert code == 1 and report["files"] == 45 and report["problems"] == []


def test_search_security_with_category_severity_and_format(capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tree = tmp_path / "tree"
    shutil.copytree(FIXTURES, tree)
    code, out, _ = run(capsys, "index", str(tree), "--json")
    assert code == 0 and json.loads(out)["kinds"]["security"]["files"] == 8
    code, out, _ = run(
        capsys, "search", "how do we report a vulnerability?", "--kind", "security", "--limit", "3"
    )
    assert code == 0 and "Reporting a vulnerability" in out and "SECURITY.md:" in out
    code, out, _ = run(
        capsys,
        "search",
        "privileged",
        "--kind",
        "security",
        "--severity",
        "critical",
        "--json",
        "--limit",
        "20",
    )
    hits = json.loads(out)
    assert code == 0 and hits and {h["fields"]["severity"] for h in hits} == {"critical"}
    code, out, _ = run(
        capsys,
        "search",
        "access",
        "--kind",
        "security",
        "--category",
        "access-control",
        "--filter",
        "format=rego",
        "--json",
    )
    hits = json.loads(out)
    assert code == 0 and [h["title"] for h in hits] == ["Only the platform team reads secrets"]
    code, _, err = run(capsys, "search", "access", "--category", "access-control")
    assert code == 2 and "kind 'plans' has no filter category" in err
    code, _, err = run(capsys, "search", "access", "--kind", "security", "--severity", "urgent")
    assert code == 2 and "unknown severity 'urgent'" in err and "high+" in err


def test_anomalies_command(capsys, tmp_path: Path, home: Path) -> None:  # type: ignore[no-untyped-def]
    write_log(home / "audit.jsonl", normal_log() + refused_burst("ci", START + timedelta(days=8, hours=11)))
    code, out, _ = run(capsys, "security", "anomalies", "--json")
    report = json.loads(out)
    assert code == 1 and [(a["key_id"], a["type"]) for a in report["anomalies"]] == [("ci", "refused_burst")]
    code, out, _ = run(capsys, "security", "anomalies")
    assert code == 1 and "refused_burst  12 refused requests in 10 min" in out
    normal = write_log(tmp_path / "normal.jsonl", normal_log())
    code, out, _ = run(capsys, "security", "anomalies", "--audit-log", str(normal))
    assert code == 0 and out.rstrip().endswith("no anomaly")
