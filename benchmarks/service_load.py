"""Load test of ``planvec serve`` on the shared corpus. Prints one JSON object (progress on stderr).

Starts the server (a subprocess, loopback, rate limit off) on a copy of the indexed corpus and drives
it with a bounded-time load generator — ``wrk`` when it is installed (``apt-get install wrk``: a C
program, it leaves the server more CPU), else a built-in async httpx client: requests/s and p50/p99
latency of text searches (GET /api/v1/search, hybrid mode) at 1, 16 and 64 concurrent clients,

- with distinct, uncached queries (every text new: each one is embedded), and
- with cached queries (a small set of texts asked again and again),

on four servers side by side in this one run, plus the server's resident memory:

- the default configuration: searches that arrive together run as one batch (their new query
  texts embedded in one model call), no embedding window, query-embedding cache on;
- the same plus a 1.5 ms embedding window (``PLANVEC_BATCH_WINDOW_MS=1.5``: a lone new query waits
  that long for others to embed with);
- batching off: one search at a time (a benchmark-only switch, ``SEARCH_BATCH_MAX = 1``);
- cache off: the Engine's query cache set to 0 (a benchmark-only switch).

The load generator runs on the same cores as the server (say so when quoting the figures).

Usage: python benchmarks/service_load.py [--seconds 6] [--data-dir DIR] [--quick] [--loadgen auto|wrk|httpx]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from serve_process import free_port, wait_ready

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = Path(os.environ.get("PLANVEC_SHARED_DIR") or ROOT.parent / "shared")
CORPUS = SHARED / "corpus" / "plans"

LAUNCH = (
    "import sys, planvec.engine as e, planvec.service.state as st; e.QUERY_CACHE_SIZE = int(sys.argv[1]); "
    "st.SEARCH_BATCH_MAX = int(sys.argv[2]); from planvec.cli import main; sys.exit(main(sys.argv[3:]))"
)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def index_corpus(data: Path) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from planvec.engine import Engine
    from planvec.settings import Settings

    with Engine(Settings(data_dir=data)) as eng:
        eng.index([CORPUS])


def rss_mb(pid: int) -> dict[str, float]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            out[line.split(":")[0]] = round(int(line.split()[1]) / 1024, 1)
    return {"rss_mb": out.get("VmRSS", 0.0), "peak_rss_mb": out.get("VmHWM", 0.0)}


class Server:
    def __init__(self, indexed: Path, work: Path, *, window_ms: float, batch: int, cache: bool) -> None:
        self.home = work / f"home-w{window_ms:g}-b{batch}-c{int(cache)}"
        shutil.copytree(indexed, self.home)
        (self.home / ".lock").unlink(missing_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "PLANVEC_HOME": str(self.home),
            "PLANVEC_KEYS_FILE": str(self.home / "none.json"),
            "PLANVEC_RATE_LIMIT": "0",
            "PLANVEC_BATCH_WINDOW_MS": f"{window_ms:g}",
            "PLANVEC_SEARCH_THREADS": os.environ.get("PLANVEC_SEARCH_THREADS", "1"),
        }
        env.pop("PLANVEC_API_KEYS", None)
        cmd = [sys.executable, "-c", LAUNCH, "1024" if cache else "0", str(batch)]
        cmd += ["serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_ready(self.url, self.proc, 180, "planvec serve did not start")

    def stop(self) -> dict[str, float]:
        mem = rss_mb(self.proc.pid)
        self.proc.terminate()
        self.proc.wait(timeout=60)
        shutil.rmtree(self.home, ignore_errors=True)
        return mem


_WRK_LUA = """
local queries = {QUERIES}
local tag = "{TAG}"
local distinct = {DISTINCT}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end
local n = 0
request = function()
  n = n + 1
  local q = queries[(n % #queries) + 1]
  if distinct then q = q .. "+" .. tag .. "t" .. tostring(tid) .. "n" .. n end
  return wrk.format("GET", "/api/v1/search?q=" .. q .. "&limit=10")
end
"""


def wrk_load(
    url: str, queries: list[str], concurrency: int, seconds: float, *, distinct: bool, work: Path
) -> dict[str, Any]:
    """The same measurement with wrk (a C load generator: it leaves the server more of the cores
    than the Python one). ``distinct``: every request gets a text never asked before."""
    import re
    import urllib.parse

    lua = work / f"wrk-{int(distinct)}.lua"
    quoted = ", ".join('"' + urllib.parse.quote_plus(q) + '"' for q in queries)
    tag = f"r{time.monotonic_ns()}"
    lua.write_text(_WRK_LUA.replace("{QUERIES}", "{" + quoted + "}").replace("{TAG}", tag)
                   .replace("{DISTINCT}", "true" if distinct else "false"))  # fmt: skip
    cmd = ["wrk", f"-t{min(2, concurrency)}", f"-c{concurrency}", f"-d{seconds:g}s", "--latency",
           "--timeout", "10s", "-s", str(lua), url + "/api/v1/search"]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout

    def ms(p: int) -> float:
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        v, unit = float(m.group(1)), m.group(2)
        return round(v / 1000 if unit == "us" else v * 1000 if unit == "s" else v, 1)

    total = re.search(r"(\d+) requests in", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return {
        "concurrency": concurrency,
        "requests": int(total.group(1)) if total else 0,
        "errors": (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, errors.groups())) if errors else 0),
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50_ms": ms(50),
        "p99_ms": ms(99),
    }


async def load(url: str, queries: list[str], concurrency: int, seconds: float) -> dict[str, Any]:
    """``concurrency`` clients, each sending its next query as soon as the last answer arrives."""
    latencies: list[float] = []
    errors = 0
    counter = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        stop_at = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors, counter
            while time.perf_counter() < stop_at:
                q = queries[counter % len(queries)]
                counter += 1
                t0 = time.perf_counter()
                try:
                    r = await client.get("/api/v1/search", params={"q": q, "limit": 10})
                    ok = r.status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies.append(time.perf_counter() - t0)
                else:
                    errors += 1

        t_start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t_start
    lat = sorted(latencies)

    def pct(p: float) -> float:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 1) if lat else float("nan")

    return {
        "concurrency": concurrency,
        "requests": len(lat),
        "errors": errors,
        "rps": round(len(lat) / elapsed, 1),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(lat) * 1000, 1) if lat else float("nan"),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=6.0, help="duration of each measurement")
    ap.add_argument("--data-dir", type=Path, help="an already indexed data dir (copied, not changed)")
    ap.add_argument("--quick", action="store_true", help="2 s per measurement")
    ap.add_argument(
        "--loadgen",
        choices=("auto", "wrk", "httpx"),
        default="auto",
        help="wrk (C; auto: when installed) or the built-in httpx client (Python: takes CPU from the server)",
    )
    args = ap.parse_args()
    use_wrk = args.loadgen == "wrk" or (args.loadgen == "auto" and shutil.which("wrk") is not None)
    seconds = 2.0 if args.quick else args.seconds
    base = [q["query"] for q in json.loads((HERE / "queries.json").read_text())]
    work = Path(tempfile.mkdtemp(prefix="planvec-load-"))
    try:
        indexed = args.data_dir
        if indexed is None:
            indexed = work / "indexed"
            log("indexing the shared corpus...")
            index_corpus(indexed)
        serial = [0]

        def fresh(n: int) -> list[str]:  # distinct texts never asked before on this server
            serial[0] += 1
            return [f"{base[i % len(base)]} {serial[0]}-{i}" for i in range(n)]

        cached = base[:20]
        variants = [  # (label, embedding window ms, searches per batch, query cache, cached rows)
            ("default: batches, no window, cache on", 0.0, 64, True, True),
            ("batches + 1.5 ms embedding window", 1.5, 64, True, True),
            ("no batching (one search at a time)", 0.0, 1, True, True),
            ("cache off", 0.0, 64, False, False),
        ]
        rows: list[dict[str, Any]] = []
        load_before = os.getloadavg()
        memory: dict[str, Any] = {}
        for label, window_ms, batch, cache, run_cached in variants:
            log(f"server: {label}")
            srv = Server(indexed, work, window_ms=window_ms, batch=batch, cache=cache)
            try:
                asyncio.run(load(srv.url, cached, 4, 1.0))  # warm up (and fill the cache when on)
                for conc in (1, 16, 64):
                    if use_wrk:
                        r = wrk_load(srv.url, base, conc, seconds, distinct=True, work=work)
                    else:
                        r = asyncio.run(load(srv.url, fresh(200_000), conc, seconds))
                    rows.append({"server": label, "queries": "distinct (uncached)", **r})
                    log(f"  uncached c={conc}: {r}")
                # warm up again: the distinct runs above pushed these texts out of the LRU
                asyncio.run(load(srv.url, cached, 4, 1.0))
                for conc in (1, 16, 64) if run_cached else (64,):
                    if use_wrk:
                        r = wrk_load(srv.url, cached, conc, seconds, distinct=False, work=work)
                    else:
                        r = asyncio.run(load(srv.url, cached, conc, seconds))
                    rows.append({"server": label, "queries": "repeated (20 texts)", **r})
                    log(f"  repeated c={conc}: {r}")
            finally:
                memory[label] = srv.stop()

        def row(queries: str) -> dict[str, Any]:
            main_label = variants[0][0]
            at64 = [r for r in rows if r["server"] == main_label and r["concurrency"] == 64]
            return next(r for r in at64 if queries in r["queries"])

        head, cached64 = row("distinct"), row("repeated")
        out = {
            "benchmark": "planvec serve: GET /api/v1/search (hybrid, limit 10) on the shared corpus",
            "note": (
                f"server and load generator share the same {os.cpu_count()} cores on one machine; "
                f"{seconds:g} s per measurement; one server process (uvicorn, uvloop), rate limit off"
            ),
            "load_generator": "wrk" if use_wrk else "httpx (Python, same cores)",
            "cpus": os.cpu_count(),
            "load_average_1m_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
            "results": rows,
            "memory": memory,
            "targets": {
                "p99_ms_at_64_uncached<=100": head["p99_ms"] <= 100,
                "uncached_rps_at_64>=300": head["rps"] >= 300,
                "cached_rps_at_64>=1000": cached64["rps"] >= 1000,
                "rss_mb<=500": memory[variants[0][0]]["peak_rss_mb"] <= 500,
            },
        }
        print(json.dumps(out, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
