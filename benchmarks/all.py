"""Run every planvec benchmark, each in its own process, and print one JSON object.

    python benchmarks/all.py                       # core, ops, migration, service, deps
    python benchmarks/all.py --only core,service   # a subset
    python benchmarks/all.py --quick               # smaller samples everywhere (a smoke run)

Keys of the output: ``core`` (benchmarks/run.py: embedding, indexing, search, upsert), ``ops``
(benchmarks/ops.py: check and verify), ``migration`` (benchmarks/migration.py: backup, restore,
migrate, validate), ``service`` (benchmarks/service_load.py: HTTP load), ``deps``
(benchmarks/bench_deps.py: a 1,000-package lockfile indexed), plus ``machine`` (cores and load
average at the start and end: these machines are shared, read the numbers with it). Progress
goes to stderr. A benchmark that fails is reported under its key as ``{"error": ...}`` and the exit
code is 1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

BENCHES: dict[str, tuple[str, list[str], list[str]]] = {
    # name: (script, arguments, arguments added by --quick)
    "core": ("run.py", [], ["--quick"]),
    "ops": ("ops.py", [], ["--repeat", "1"]),
    "migration": ("migration.py", [], ["--points", "20000", "--sizes", "5000,20000"]),
    "service": ("service_load.py", [], ["--quick"]),
    "deps": ("bench_deps.py", [], ["--packages", "200"]),
    "schemas": ("bench_schemas.py", [], ["--tables", "10", "--operations", "14"]),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=",".join(BENCHES), help="comma-separated subset of the benchmarks")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        ap.error(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHES)}")
    out: dict[str, object] = {"machine": {"cores": os.cpu_count(), "loadavg_start": os.getloadavg()}}
    failed = False
    for name in names:
        script, extra, quick = BENCHES[name]
        cmd = [sys.executable, str(HERE / script), *extra, *(quick if args.quick else [])]
        print(f"== {name}: {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
        try:
            out[name] = json.loads(proc.stdout) if proc.returncode == 0 else None
        except json.JSONDecodeError:
            out[name] = None
        if out[name] is None:
            failed = True
            out[name] = {"error": f"exit code {proc.returncode}", "stdout_tail": proc.stdout[-2000:]}
    out["machine"]["loadavg_end"] = os.getloadavg()  # type: ignore[index]
    print(json.dumps(out, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
