"""backup / restore / migrate / import / validate-migration as a user runs them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from planvec.cli import main
from planvec.store import EdgeStore


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def home(tmp_path: Path, plans_copy: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    home = tmp_path / "home"
    code, _, err = run(capsys, "--data-dir", str(home), "index", str(plans_copy), "--json")
    assert code == 0, err
    return home


def test_walkthrough_backup_restore_migrate_validate(home: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    archive = tmp_path / "plans.pvbak"
    code, out, err = run(capsys, "--data-dir", str(home), "backup", "--out", str(archive), "--json")
    assert code == 0, err
    b = json.loads(out)
    assert b["total_points"] > 600 and {c["name"] for c in b["collections"]} == {
        "roadmap_tasks",
        "roadmap_sections",
    }

    restored = tmp_path / "restored"
    code, out, err = run(capsys, "--data-dir", str(restored), "restore", str(archive), "--json")
    assert code == 0, err
    assert json.loads(out)["total_points"] == b["total_points"]
    code, out, err = run(capsys, "--data-dir", str(restored), "restore", str(archive))
    assert code == 1 and "already exists" in err and "--rename" in err  # nothing overwritten

    moved = tmp_path / "moved"
    code, out, err = run(capsys, "migrate", "--from", str(home), "--to", str(moved), "--json")
    assert code == 0, err
    assert json.loads(out)["complete"] is True

    # Migrate and validate in one step: the summary of both, the report written, exit 0.
    checked, one_step = tmp_path / "checked", tmp_path / "one-step"
    code, out, err = run(
        capsys, "migrate", "--from", str(home), "--to", str(checked), "--validate",
        "--report-dir", str(one_step), "--sample-queries", "10",
    )  # fmt: skip
    assert code == 0, out + err
    assert "points copied (shard files)" in out and "✅ Migration validated successfully!" in out
    assert "check it:" not in out
    (report_file,) = one_step.glob("migration-validation-report-*.json")
    assert json.loads(report_file.read_text())["mismatched_points"] == 0
    code, out, err = run(capsys, "migrate", "--from", str(home), "--to", str(tmp_path / "j"), "--validate",
                         "--report-dir", str(one_step), "--json")  # fmt: skip
    assert code == 0, err
    j = json.loads(out)
    assert j["complete"] is True and j["validation"]["success"] is True
    assert j["validation"]["validated_points"] == j["total_points"] == b["total_points"]

    reports = tmp_path / "reports"
    for target in (restored, moved):
        code, out, err = run(
            capsys,
            "validate-migration",
            "--source",
            str(home),
            "--target",
            str(target),
            "--report-dir",
            str(reports),
        )
        assert code == 0, out + err
        assert "Points in error: 0" in out and "✅ Migration validated successfully!" in out
    files = sorted(reports.glob("migration-validation-report-*.json"))
    assert len(files) == 2
    data = json.loads(files[0].read_text())
    assert data["mismatched_points"] == 0 and data["collections"]["roadmap_tasks"]["data_integrity"] is True
    assert data["collections"]["roadmap_tasks"]["search_recall_at_10"] >= 0.99

    q = ["search", "observabilité prometheus", "--json", "--limit", "5"]
    _, a, _ = run(capsys, "--data-dir", str(home), *q)
    _, c, _ = run(capsys, "--data-dir", str(moved), *q)
    assert [h["title"] for h in json.loads(a)] == [h["title"] for h in json.loads(c)]

    with EdgeStore(moved) as s:
        one = next(iter(s.scroll("roadmap_tasks", fields=[])))
        s.delete("roadmap_tasks", [one.id])
    args = ["validate-migration", "--source", str(home), "--target", str(moved), "--json"]
    code, out, err = run(capsys, *args, "--report-dir", str(reports))
    assert code == 1
    r = json.loads(out)
    assert r["mismatched_points"] == 1
    assert r["collections"]["roadmap_tasks"]["first_mismatches"]["missing_in_target"] == [{"id": one.id}]


def test_encrypted_backup_wrong_key_and_usage_errors(home: Path, tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    archive = tmp_path / "secret.pvbak"
    monkeypatch.delenv("PLANVEC_BACKUP_KEY", raising=False)
    code, _, err = run(capsys, "--data-dir", str(home), "backup", "--out", str(archive), "--encrypt")
    assert code == 2 and "PLANVEC_BACKUP_KEY" in err and not archive.exists()
    monkeypatch.setenv("MY_KEY", "s3cret-key-for-tests")
    code, _, err = run(
        capsys, "--data-dir", str(home), "backup", "--out", str(archive), "--encrypt", "--key-env", "MY_KEY"
    )
    assert code == 0, err
    monkeypatch.setenv("MY_KEY", "another key")
    target = tmp_path / "t"
    code, _, err = run(capsys, "--data-dir", str(target), "restore", str(archive), "--key-env", "MY_KEY")
    assert code == 1 and "wrong key" in err and "Traceback" not in err
    code, _, err = run(capsys, "--data-dir", str(target), "restore", str(archive))
    assert code == 1 and "encrypted" in err
    key_file = tmp_path / "key"
    key_file.write_text("s3cret-key-for-tests\n")
    code, _out, err = run(
        capsys, "--data-dir", str(target), "restore", str(archive), "--key-file", str(key_file)
    )
    assert code == 0, err
    code, _, err = run(capsys, "--data-dir", str(target), "restore", str(archive), "--rename", "nope")
    assert code == 2 and "OLD=NEW" in err
    code, _, err = run(
        capsys, "migrate", "--from", str(home), "--to", str(tmp_path / "m"), "--tolerance", "0.1"
    )
    assert code == 2 and "go with --validate" in err and not (tmp_path / "m").exists()


@pytest.mark.slow
def test_sigkill_during_migrate_then_rerun_gives_an_exact_copy(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
    from migration_data import fill_edge, make_points

    src = fill_edge(tmp_path / "src", {"roadmap_tasks": make_points(20_000, seed=21)})
    dst = tmp_path / "dst"
    cmd = [sys.executable, "-m", "planvec", "migrate", "--from", str(src), "--to", str(dst), "--batch", "200",
           "--method", "stream"]  # fmt: skip
    meta = dst / "collections" / "roadmap_tasks" / "meta.json"
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    seen: set[str] = set()
    while time.monotonic() < deadline and proc.poll() is None and len(seen) < 8:
        try:
            resume_from = json.loads(meta.read_text())["planvec_migration"]["resume_from"]
        except (OSError, ValueError, KeyError):
            resume_from = None
        if resume_from:
            seen.add(resume_from)  # checkpoints move on as batches land
        time.sleep(0.02)
    assert proc.poll() is None, "the migration finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    state = json.loads(meta.read_text())["planvec_migration"]
    assert state["complete"] is False and state["resume_from"]
    done = subprocess.run([*cmd, "--json"], capture_output=True, timeout=600, env=os.environ.copy())
    assert done.returncode == 0, done.stderr.decode()
    report = json.loads(done.stdout)
    c = report["collections"][0]
    assert c["resumed_from"] is not None and c["copied"] < 20_000 and c["target_points"] == 20_000
    code, out, err = run(
        capsys,
        "validate-migration",
        "--source",
        str(src),
        "--target",
        str(dst),
        "--report-dir",
        str(tmp_path),
    )
    assert code == 0, out + err
