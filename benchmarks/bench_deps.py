"""The dependencies kind's indexing benchmark. Prints one JSON object to stdout (progress on stderr).

A generated npm project in a temporary directory: a ``package-lock.json`` (lockfileVersion 3) of
``--packages`` packages (default 1,000: a tenth of them direct, a fifth dev, some nested second
copies) and the ``package.json`` that declares the direct ones. It is indexed into an empty data
directory with the real model: parse + pair + embed + write (target ≤ 5 s on 2 cores for 1,000
packages; the model is loaded before the clock starts). Then the same files again: nothing may be
embedded.

Usage: python benchmarks/bench_deps.py [--packages 1000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from planvec.engine import Engine  # noqa: E402
from planvec.settings import Settings  # noqa: E402

TARGET_SECONDS = 5.0
WORDS = [
    "http",
    "client",
    "retry",
    "cache",
    "stream",
    "parse",
    "json",
    "yaml",
    "color",
    "log",
    "test",
    "mock",
    "date",
    "time",
    "path",
    "glob",
    "file",
    "watch",
    "server",
    "router",
    "proxy",
    "auth",
    "token",
    "crypto",
    "hash",
    "zip",
    "tar",
    "image",
    "svg",
    "css",
    "html",
    "dom",
    "event",
    "queue",
    "worker",
    "pool",
    "config",
    "env",
    "schema",
    "validate",
    "format",
    "lint",
    "build",
    "bundle",
    "compile",
    "transform",
    "babel",
    "plugin",
    "loader",
    "types",
]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def project(n: int, seed: int = 7) -> tuple[dict[str, Any], dict[str, Any]]:
    """(package.json, package-lock.json) of a generated project of ``n`` locked packages."""
    rng = random.Random(seed)
    names: list[str] = []
    while len(names) < n:
        name = "-".join(rng.sample(WORDS, 2)) + f"-{len(names)}"
        names.append(f"@{rng.choice(WORDS)}/{name}" if rng.random() < 0.15 else name)
    direct = names[: max(1, n // 10)]
    dev = set(rng.sample(names, n // 5))
    version = {nm: f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 20)}" for nm in names}
    runtime = {nm: f"^{version[nm]}" for nm in direct if nm not in dev}
    devs = {nm: f"^{version[nm]}" for nm in direct if nm in dev}
    manifest = {"name": "bench", "version": "1.0.0", "dependencies": runtime, "devDependencies": devs}
    packages: dict[str, Any] = {
        "": {"name": "bench", "version": "1.0.0", "dependencies": runtime, "devDependencies": devs}
    }
    nested = 0
    for i, nm in enumerate(names):
        key = f"node_modules/{nm}"
        if i > len(direct) and rng.random() < 0.05 and nested < n // 20:  # a second copy under another
            key = f"node_modules/{names[i - 1]}/node_modules/{nm}"
            nested += 1
        entry: dict[str, Any] = {
            "version": version[nm],
            "resolved": f"https://registry.npmjs.org/{nm}/-/{nm.rsplit('/', 1)[-1]}-{version[nm]}.tgz",
            "integrity": f"sha512-{rng.getrandbits(256):064x}",
            "license": "MIT",
        }
        if nm in dev:
            entry["dev"] = True
        if i + 1 < n and rng.random() < 0.5:
            entry["dependencies"] = {names[i + 1]: f"^{version[names[i + 1]]}"}
        packages[key] = entry
    return manifest, {
        "name": "bench",
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": packages,
    }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--packages", type=int, default=1000)
    args = ap.parse_args()
    out: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "load_average_start": os.getloadavg(),
        "packages": args.packages,
    }
    with tempfile.TemporaryDirectory(prefix="planvec-bench-deps-") as tmp:
        root = Path(tmp) / "project"
        root.mkdir()
        manifest, lock = project(args.packages)
        (root / "package.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        (root / "package-lock.json").write_text(json.dumps(lock, indent=2) + "\n", encoding="utf-8")
        out["lockfile_bytes"] = (root / "package-lock.json").stat().st_size
        with Engine(Settings(data_dir=Path(tmp) / "data")) as eng:
            eng.embedder.embed(["warm up"])  # the model is loaded once per process: not the index's cost
            log(f"indexing {args.packages} locked packages ...")
            t0, cpu0 = time.perf_counter(), _cpu()
            first = eng.index([root], kinds=["dependencies"])
            seconds, cpu = time.perf_counter() - t0, _cpu() - cpu0
            if first.problems:
                out["error"] = f"problems: {[(p.path, p.reason, p.line) for p in first.problems][:5]}"
                print(json.dumps(out, indent=2))
                return 1
            t1 = time.perf_counter()
            again = eng.index([root], kinds=["dependencies"])
            out["index"] = {
                "seconds": round(seconds, 3),
                # CPU time of every thread of this process: on a shared machine the wall time
                # grows with the others' load, this does not (cpu / cores ≈ an idle machine's wall)
                "cpu_seconds": round(cpu, 3),
                "parse_seconds": round(first.parse_seconds, 3),
                "embed_seconds": round(first.embed_seconds, 3),
                "write_seconds": round(first.write_seconds, 3),
                "points": first.added,
                "embedded": first.embedded,
                "target_seconds": TARGET_SECONDS,
                "within_target": seconds <= TARGET_SECONDS,
            }
            out["reindex_unchanged"] = {
                "seconds": round(time.perf_counter() - t1, 3),
                "embedded": again.embedded,
                "added": again.added,
                "updated": again.updated,
                "deleted": again.deleted,
            }
    out["load_average_end"] = os.getloadavg()
    print(json.dumps(out, indent=2))
    ok = out["reindex_unchanged"]["embedded"] == 0 and out["index"]["points"] > args.packages
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
