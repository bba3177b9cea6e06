"""Index-health benchmarks on the shared corpus. Prints one JSON object to stdout (progress on stderr).

- ``check`` on the whole corpus, split into parsing and the check after parsing (target ≤ 2 s);
- ``verify`` with a 500-point self-retrieval and drift sample (target ≤ 10 s).

The corpus tasks are indexed once into a temporary Qdrant Edge directory (``--data-dir`` reuses an
existing index instead; sections are not indexed: check and verify read the task collection).

Usage: python benchmarks/ops.py [--sample 500] [--repeat 3] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from planvec.engine import Engine  # noqa: E402
from planvec.settings import Settings  # noqa: E402

CORPUS = HERE.parent.parent / "shared" / "corpus" / "plans"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    args = ap.parse_args()
    tmp = None
    data_dir = args.data_dir
    if data_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="planvec-bench-ops-")
        data_dir = Path(tmp.name)
    settings = Settings(data_dir=data_dir, index_sections=False)
    out: dict[str, object] = {"cpus": os.cpu_count(), "load_average_start": os.getloadavg()}
    with Engine(settings) as eng:
        eng.embedder.embed(["warm up"])
        if eng.store.collection_info(settings.tasks_collection) is None:
            log(f"indexing {args.corpus} ...")
            t0 = time.perf_counter()
            rep = eng.index([args.corpus])
            out["index_seconds"] = round(time.perf_counter() - t0, 2)
            log(f"indexed {rep.tasks} tasks in {out['index_seconds']} s")
        parse_s, check_s, total_s = [], [], []
        report = None
        for i in range(args.repeat):
            t0 = time.perf_counter()
            report = eng.check([args.corpus])
            total_s.append(time.perf_counter() - t0)
            parse_s.append(report.parse_seconds)
            check_s.append(report.check_seconds)
            log(f"check {i + 1}: parse {parse_s[-1]:.3f} s, check {check_s[-1]:.3f} s")
        assert report is not None
        out["check"] = {
            "tasks": report.tasks,
            "files": len(report.files),
            "consistent": report.ok,
            "coverage": report.coverage,
            "parse_seconds_median": round(statistics.median(parse_s), 3),
            "check_after_parse_seconds_median": round(statistics.median(check_s), 3),
            "check_after_parse_seconds_max": round(max(check_s), 3),
            "total_seconds_median": round(statistics.median(total_s), 3),
            "target_after_parse_seconds": 2.0,
        }
        t0, c0 = time.perf_counter(), time.process_time()
        v = eng.verify(sample=args.sample)
        verify_s, verify_cpu = time.perf_counter() - t0, time.process_time() - c0
        out["verify"] = {
            "points": v.points,
            "sample": v.sample,
            "self_retrieval": v.self_retrieval,
            "drifted": len(v.drifted),
            "min_cosine": v.min_cosine,
            "identical_groups": len(v.identical),
            "ok": v.ok,
            "seconds": round(verify_s, 3),
            "cpu_seconds": round(verify_cpu, 3),  # all threads: > seconds when both cores are ours
            "target_seconds": 10.0,
        }
        log(f"verify: {verify_s:.2f} s")
    out["load_average_end"] = os.getloadavg()  # other processes on the machine skew every timing
    if tmp is not None:
        tmp.cleanup()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
