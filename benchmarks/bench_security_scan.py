"""``planvec security scan`` of the shared corpora (plans, roadmaps-more, repo), timed; prints one
JSON object. Target: <= 10 s for the three corpora.

    python benchmarks/bench_security_scan.py                 # the shared corpora, 3 runs
    python benchmarks/bench_security_scan.py --repeat 1 DIR  # other directories

Each run is a fresh scan (one walk, every file read once) through the CLI entry point, as a user
runs it, with ``--json`` (its output is parsed, not printed). Reported: seconds per run (best,
median), files, findings per source and severity, and the sources that could not run here.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("PLANVEC_SHARED_DIR") or HERE.parents[1] / "shared")
CORPORA = ("plans", "roadmaps-more", "repo")
TARGET_SECONDS = 10.0


def run_once(paths: list[str], data_dir: str) -> tuple[float, dict]:
    from planvec.cli import main

    buf = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(buf):
        code = main(["--data-dir", data_dir, "security", "scan", *paths, "--json", "--fail-on", "critical"])
    seconds = time.perf_counter() - start
    if code not in (0, 1):
        raise SystemExit(f"security scan failed with exit code {code}")
    return seconds, json.loads(buf.getvalue())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="*", help="directories to scan (default: the shared corpora)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    paths = args.paths or [str(SHARED / "corpus" / c) for c in CORPORA]
    missing = [p for p in paths if not Path(p).is_dir()]
    if missing:
        ap.error(f"not a directory: {', '.join(missing)} (set PLANVEC_SHARED_DIR)")
    times = []
    with tempfile.TemporaryDirectory(prefix="bench-security-") as data_dir:
        for _ in range(max(1, args.repeat)):
            seconds, report = run_once(paths, data_dir)
            times.append(seconds)
    by_source: dict[str, int] = {}
    for f in report["findings"]:
        by_source[f["source"]] = by_source.get(f["source"], 0) + 1
    out = {
        "paths": paths,
        "runs": len(times),
        "seconds_best": round(min(times), 3),
        "seconds_median": round(statistics.median(times), 3),
        "target_seconds": TARGET_SECONDS,
        "within_target": max(times) <= TARGET_SECONDS,
        "files": report["files"],
        "findings": len(report["findings"]),
        "by_severity": report["counts"],
        "by_source": by_source,
        "not_available": {n: s["note"] for n, s in report["sources"].items() if s["status"] != "ok"},
        "problems": len(report["problems"]),
        "machine": {"cores": os.cpu_count(), "loadavg": os.getloadavg()},
    }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
