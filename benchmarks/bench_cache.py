"""The embedding cache and reuse before embedding, side by side in one run, as JSON on stdout.

    python benchmarks/bench_cache.py            # the whole shared corpus of plans
    python benchmarks/bench_cache.py --quick    # three of its files

Starts its own ``redis-server`` (Debian's package) on a free loopback port, then:

1. ``cold``: index a copy of the corpus into an empty data directory, nothing cached (Redis empty,
   no disk cache): every text computed by the model;
2. ``warm_redis``: the same files into another empty data directory, Redis filled by run 1 (a
   new Engine: its memory level is empty, no disk cache): 0 computed;
3. ``moved``: the copy moved to another folder and indexed again into run 1's data directory
   (a new Engine, Redis off, no disk cache): every vector reused from the store, 0 computed.

Each run reports seconds, texts embedded (vectors not reused from the store), computed by the
model, reused from the store and the cache hits per level. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from planvec.engine import Engine
from planvec.settings import Settings
from planvec.wiring import embedder_from_settings

SHARED = Path(os.environ.get("PLANVEC_SHARED_DIR") or Path(__file__).resolve().parents[1].parent / "shared")
QUICK_FILES = (
    "plan-dev-v31-migration-mcp-manager.md",
    "plan-dev-v56-go-native-vectorization-migration.md",
    "plan-dev-v20-observabilite-monitoring.md",
)


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(
        [*args, "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as c:
                c.sendall(b"PING\r\n")
                if c.recv(16).startswith(b"+PONG"):
                    return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit("redis-server did not answer PING")


def run(name: str, settings: Settings, embedder: Any, path: Path) -> dict[str, Any]:
    print(f"== {name}: {path} -> {settings.data_dir}", file=sys.stderr, flush=True)
    with Engine(settings, embedder=embedder) as eng:
        t0 = time.perf_counter()
        r = eng.index([path])
        seconds = time.perf_counter() - t0
    assert not r.problems, r.problems
    return {
        "seconds": round(seconds, 2),
        "embed_seconds": round(r.embed_seconds, 2),
        "points": r.added + r.updated + r.moved + r.unchanged,
        "embedded": r.embedded,
        "computed": r.computed,
        "reused_from_store": r.reused,
        "cache": r.cache,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="three files of the corpus")
    args = ap.parse_args()
    corpus = SHARED / "corpus" / "plans"
    if not corpus.is_dir():
        sys.exit(f"shared corpus not found at {corpus} (set PLANVEC_SHARED_DIR)")
    tmp = Path(tempfile.mkdtemp(prefix="planvec-bench-cache-"))
    proc, url = start_redis(tmp)
    try:
        plans = tmp / "plans"
        if args.quick:
            plans.mkdir()
            for f in QUICK_FILES:
                shutil.copy(corpus / f, plans / f)
        else:
            shutil.copytree(corpus, plans)
        embedder = embedder_from_settings(Settings(), cache=False)
        embedder.embed(["warm up"])  # the model is loaded before any run is timed
        base = {"cache_l3_size": 0}  # the disk level is left out: runs 2 and 3 measure Redis and the store
        out: dict[str, Any] = {"machine": {"cores": os.cpu_count(), "loadavg_start": os.getloadavg()}}
        out["cold"] = run("cold", Settings(data_dir=tmp / "d1", redis_url=url, **base), embedder, plans)
        out["warm_redis"] = run(
            "warm_redis", Settings(data_dir=tmp / "d2", redis_url=url, **base), embedder, plans
        )
        moved = tmp / "elsewhere" / "plans"
        moved.parent.mkdir()
        plans.rename(moved)
        out["moved"] = run("moved", Settings(data_dir=tmp / "d1", **base), embedder, moved)
        cold, warm = out["cold"]["seconds"], out["warm_redis"]["seconds"]
        out["warm_redis_speedup"] = round(cold / warm, 2) if warm else None
        out["machine"]["loadavg_end"] = os.getloadavg()
        print(json.dumps(out, indent=2))
    finally:
        proc.kill()
        proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
