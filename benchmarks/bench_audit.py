"""Offline audit benchmark: 2,000 resolved packages against 100,000 advisory ranges (target ≤ 2 s).

Generates OSV records (seeded) over five ecosystems — PyPI, npm, Go, crates.io, Maven — whose
ranges all name the audited packages, so every range is matched: ``--ranges`` ranges in records of
two ranges each (introduced/fixed, introduced/last_affected; some explicit versions lists), zips
them like OSV's ``all.zip`` and imports the zip into a temporary database with planvec's import.
Then it times the audit of ``--packages`` locked dependencies (opening the database included) and,
as a second figure, of the same packages declared by a range specifier (the *possibly affected*
search). Each repeat starts cold (a new database handle, the version caches cleared) and reports
wall-clock and CPU seconds (CPU: what the audit costs when the machine's cores are shared). Prints
one JSON object to stdout (progress on stderr).

Usage: python benchmarks/bench_audit.py [--packages 2000] [--ranges 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from planvec.kinds.dependencies.advisories import AdvisoryDB  # noqa: E402
from planvec.kinds.dependencies.audit import audit  # noqa: E402
from planvec.kinds.dependencies.osvimport import import_advisories  # noqa: E402
from planvec.kinds.dependencies.records import OSV_ECOSYSTEMS, Dependency, DepFile  # noqa: E402
from planvec.kinds.dependencies.versions import clear_caches  # noqa: E402

ECOS = ("pypi", "npm", "go", "cargo", "maven")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def version(eco: str, major: int, minor: int, patch: int) -> str:
    if eco == "maven":
        return f"{major}.{minor}.{patch}" + ("-rc1" if patch % 7 == 3 else "")
    if eco == "pypi":
        return f"{major}.{minor}.{patch}" + ("rc1" if patch % 7 == 3 else "")
    return f"{major}.{minor}.{patch}" + ("-beta.1" if patch % 7 == 3 else "")


def package(eco: str, i: int) -> str:
    return {
        "pypi": f"py-pkg-{i}",
        "npm": f"npm-pkg-{i}",
        "go": f"example.com/mod{i}/v2",
        "cargo": f"crate-{i}",
        "maven": f"org.example{i}:lib",
    }[eco]


def records(n_packages: int, n_ranges: int, rnd: random.Random) -> list[dict]:
    out = []
    for k in range(n_ranges // 2):
        i = k % n_packages
        eco = ECOS[i % len(ECOS)]
        kind = "SEMVER" if eco in ("go", "cargo") else "ECOSYSTEM"
        ranges = []
        for _ in range(2):
            major, minor, patch = rnd.randint(0, 20), rnd.randint(0, 50), rnd.randint(0, 30)
            end = ("fixed", version(eco, major, minor + rnd.randint(1, 3), rnd.randint(0, 30)))
            if rnd.random() < 0.2:
                end = ("last_affected", version(eco, major, minor, patch + rnd.randint(1, 9)))
            intro = "0" if rnd.random() < 0.1 else version(eco, major, minor, patch)
            ranges.append({"type": kind, "events": [{"introduced": intro}, {end[0]: end[1]}]})
        affected = {"package": {"ecosystem": OSV_ECOSYSTEMS[eco], "name": package(eco, i)}, "ranges": ranges}
        if k % 10 == 0:
            affected["versions"] = [version(eco, rnd.randint(0, 20), rnd.randint(0, 50), p) for p in range(3)]
        out.append(
            {
                "id": f"BENCH-{k}",
                "modified": f"2026-11-{1 + k % 28:02d}T00:00:00Z",
                "aliases": [f"CVE-2026-{k}"],
                "summary": f"generated advisory {k}",
                "affected": [affected],
            }
        )
    return out


def dependencies(n: int, rnd: random.Random, ranged: bool) -> list[DepFile]:
    deps = []
    for i in range(n):
        eco = ECOS[i % len(ECOS)]
        v = version(eco, rnd.randint(0, 20), rnd.randint(0, 50), rnd.randint(0, 30))
        if eco == "go":
            v = "v" + v
        spec = {"pypi": f"~={v.split('rc')[0]}", "maven": f"[{v},)", "go": v}.get(eco, f"^{v}")
        deps.append(Dependency(eco, package(eco, i), spec, None if ranged else v, "runtime", True, i + 1))
    return [DepFile("bench.lock", "lock", not ranged, tuple(deps))]


def timed(db_path: Path, files: list[DepFile], repeat: int) -> tuple[list[float], list[float], dict]:
    seconds: list[float] = []
    cpu: list[float] = []
    counts: dict = {}
    for _ in range(repeat):
        clear_caches()  # a cold audit: nothing parsed by an earlier repeat
        t0, c0 = time.perf_counter(), time.process_time()
        db = AdvisoryDB.open(db_path)  # a fresh database handle: no warm per-package cache
        report = audit(files, db)
        seconds.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        counts = report.counts
        assert db is not None
        db.close()
    return seconds, cpu, counts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--packages", type=int, default=2000)
    ap.add_argument("--ranges", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=14)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    out: dict[str, object] = {"cpus": os.cpu_count(), "load_average_start": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="planvec-bench-audit-") as tmp:
        recs = records(args.packages, args.ranges, rnd)
        zpath = Path(tmp) / "all.zip"
        with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
            for r in recs:
                zf.writestr(f"{r['id']}.json", json.dumps(r))
        log(f"importing {len(recs)} advisories ({args.ranges} ranges) ...")
        t0 = time.perf_counter()
        rep = import_advisories(Path(tmp) / "adv.sqlite", [zpath], "bench")
        out["import_seconds"] = round(time.perf_counter() - t0, 2)
        out["advisories"] = rep.imported
        out["ranges"] = sum(len(a["ranges"]) for r in recs for a in r["affected"])
        for label, ranged in (("locked", False), ("ranges", True)):
            files = dependencies(args.packages, random.Random(args.seed + 1), ranged)
            log(f"auditing {args.packages} {label} packages ...")
            seconds, cpu, counts = timed(Path(tmp) / "adv.sqlite", files, args.repeat)
            out[f"audit_{label}_seconds"] = {
                "median": round(statistics.median(seconds), 3),
                "min": round(min(seconds), 3),
                "max": round(max(seconds), 3),
                "cpu_median": round(statistics.median(cpu), 3),
            }
            out[f"audit_{label}_counts"] = counts
    out["packages"] = args.packages
    out["target_seconds"] = 2.0
    out["load_average_end"] = os.getloadavg()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
