"""Soak test of ``planvec serve``: minutes of mixed traffic on the indexed shared corpus. Prints one
JSON object (progress on stderr); exit code 1 when a verdict fails.

Indexes the shared corpus with ``planvec index`` into a temporary data dir, creates two API keys
with ``planvec keys create`` (a read key for the searches and the check, a write key for the PUTs),
starts ``planvec serve`` on a free loopback port (its log: ``build/soak/serve-<time>.log``) and, for
``--duration`` seconds (default 600), runs in one asyncio process (httpx.AsyncClient):

- 32 search clients (``--clients``), each sending its next search when the last answer arrives:
  the queries of benchmarks/queries.json, half asked as is and half with a word added (new texts),
  hybrid/dense/keyword, with status/priority/file/MVP filters and limits, half GET, half POST;
- one ``PUT /api/v1/documents/soak/soak-plan.md`` per second (``--put-every``), a plan whose task
  text changes on every PUT, its job polled at ``GET /api/v1/jobs/{id}`` to completion;
- one ``POST /api/v1/check`` (every configured path) per minute (``--check-every``);
- the server's RSS (/proc/PID/status VmRSS) every 2 s (``--sample-every``).

It reports requests and errors per route (status classes, 5xx separately, connection errors),
p50/p95/p99 per route, search throughput, the server's RSS at the start, after the warm-up
(``--warmup``, default 10 % of the duration, and at least until the first check has finished:
the first check grows the heap by a fixed step, once), at the end, its peak and growth, the CPU used by the
server and by this load generator, the machine, and verdicts under ``pass``: no 5xx answer at
all, RSS growth after the warm-up at most 5 %, no connection error, every PUT indexed, the server
up to the end, a check after the traffic finding the index equal to the files, the full duration
run (``all``: every one). The server's per-key rate limit is off unless ``--rate-limit`` sets one
(32 clients on one key would otherwise measure the limiter). Ctrl-C ends the traffic early and
still prints the figures (``interrupted``); a second Ctrl-C stops at once.

Usage: python benchmarks/soak.py [--duration 600] [--clients 32] [--corpus plans|all] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from serve_process import free_port, wait_ready
from soak_traffic import (
    QueryMix,
    Traffic,
    check_once,
    checker,
    pct,
    proc_memory,
    sampler,
    search_client,
    writer,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = Path(os.environ.get("PLANVEC_SHARED_DIR") or ROOT.parent / "shared")
CORPORA = {"plans": ["plans"], "all": ["plans", "roadmaps-more"]}
DOC_PATH = "soak/soak-plan.md"
RSS_GROWTH_MAX_PCT = 5.0
DRAIN_S = 150.0  # after the deadline: the slowest timeout (a job polled to completion) plus margin


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=600.0, help="seconds of traffic (default 600)")
    ap.add_argument("--warmup", type=float, help="seconds before the RSS baseline (default 10%% of duration)")
    ap.add_argument("--clients", type=int, default=32, help="concurrent search clients (default 32)")
    ap.add_argument("--put-every", type=float, default=1.0, help="seconds between PUTs (default 1)")
    ap.add_argument("--check-every", type=float, default=60.0, help="seconds between checks (default 60)")
    ap.add_argument("--sample-every", type=float, default=2.0, help="seconds between RSS samples")
    ap.add_argument("--fresh-share", type=float, default=0.5, help="share of searches with a new text")
    ap.add_argument(
        "--corpus", choices=sorted(CORPORA), default="plans", help="plans or all (+roadmaps-more)"
    )
    ap.add_argument("--data-dir", type=Path, help="an already indexed data dir (copied, not changed)")
    ap.add_argument("--rate-limit", type=float, default=0.0, help="requests/s per key (default 0: off)")
    ap.add_argument("--log-dir", type=Path, default=ROOT / "build" / "soak", help="where the server log goes")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if min(args.duration, args.clients, args.put_every, args.check_every, args.sample_every) <= 0:
        ap.error("--duration, --clients, --put-every, --check-every and --sample-every must be positive")
    if args.warmup is None:
        args.warmup = args.duration / 10
    if not 0 <= args.warmup < args.duration:
        ap.error("--warmup must be at least 0 and shorter than --duration")
    return args


def machine() -> dict[str, Any]:
    model = next(
        (ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
         if ln.startswith("model name")),
        platform.processor() or "unknown",
    )  # fmt: skip
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }


def cli_env(home: Path) -> dict[str, str]:
    """The environment of every planvec subprocess: this checkout's code, the soak's data dir and
    keys file, no keys from the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANVEC_")}
    src = str(ROOT / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env |= {"PLANVEC_HOME": str(home), "PLANVEC_KEYS_FILE": str(home / "api_keys.json")}
    return env


def planvec(env: dict[str, str], *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "planvec", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def index_corpus(env: dict[str, str], corpus: list[Path]) -> dict[str, Any]:
    """``planvec index --json`` of the corpus (exit 3, some files unreadable, is reported, not fatal)."""
    t = time.monotonic()
    proc = planvec(env, "index", *map(str, corpus), "--json", timeout=3600)
    if proc.returncode not in (0, 3):
        raise SystemExit(f"planvec index failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    rep = json.loads(proc.stdout)
    keep = ("files", "tasks", "sections", "added", "embedded")
    return {**{k: rep.get(k) for k in keep}, "problems": len(rep.get("problems") or []),
            "seconds": round(time.monotonic() - t, 1)}  # fmt: skip


def create_key(env: dict[str, str], name: str, scope: str) -> str:
    proc = planvec(env, "keys", "create", "--name", name, "--scope", scope, timeout=120)
    if proc.returncode != 0:
        raise SystemExit(f"planvec keys create failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return proc.stdout.strip().splitlines()[-1].strip()


def _terminate_with_parent() -> None:
    """In the server's process, before exec: SIGTERM when the soak dies (Linux prctl PDEATHSIG)."""
    import ctypes

    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


class Server:
    """``planvec serve`` on a free loopback port, its stdout and stderr in ``log_path``."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("wb")
        cmd = [sys.executable, "-m", "planvec", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        # Its own session: a Ctrl-C in the terminal reaches the soak only, which ends the traffic
        # first and then stops the server; SIGTERM reaches it if the soak itself is killed.
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=_terminate_with_parent,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 180.0) -> None:
        wait_ready(self.url, self.proc, timeout, f"planvec serve did not start; its log: {self.log_path}")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> int | None:
        """SIGTERM (graceful: uvicorn closes the store), SIGKILL after 60 s. The exit code."""
        try:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=10)
            return self.proc.returncode
        finally:
            self._log.close()


def log_problems(path: Path) -> dict[str, Any]:
    """Lines of the server log that say something went wrong (tracebacks, errors, warnings)."""
    lines = path.read_text(errors="replace").splitlines()
    bad = [ln for ln in lines if any(w in ln for w in ("Traceback", "ERROR", "CRITICAL", "WARNING"))]
    return {
        "lines": len(lines),
        "graceful_shutdown": any("Application shutdown complete" in ln for ln in lines),
        "problem_lines": len(bad),
        "first_problems": [ln[:300] for ln in bad[:10]],
    }


async def traffic(args: argparse.Namespace, srv: Server, keys: dict[str, str]) -> Traffic:
    """Every loop of the run at once, until the deadline (then the in-flight work, bounded)."""
    queries = json.loads((HERE / "queries.json").read_text())
    n = args.clients + 4
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with (
        httpx.AsyncClient(base_url=srv.url, limits=limits, headers=_bearer(keys["read"])) as client,
        httpx.AsyncClient(base_url=srv.url, headers=_bearer(keys["write"])) as write_client,
    ):
        t0 = time.monotonic()
        tr = Traffic(client, write_client, t0, t0 + args.duration)
        _stop_early_on_signals(tr)
        mixes = [QueryMix(queries, args.seed * 1000 + i, args.fresh_share) for i in range(args.clients)]
        tasks: list[asyncio.Task[Any]] = [asyncio.create_task(search_client(tr, m)) for m in mixes]
        put_task = asyncio.create_task(writer(tr, DOC_PATH, args.put_every))
        tasks += [put_task, asyncio.create_task(checker(tr, args.check_every))]
        tasks.append(asyncio.create_task(sampler(tr, srv.proc.pid, args.sample_every, log)))
        done, pending = await asyncio.wait(tasks, timeout=args.duration + DRAIN_S)
        for t in pending:
            t.cancel()
        for t in done:
            if (exc := t.exception()) is not None:
                raise exc
        tr.ended = time.monotonic()
        tr.puts = put_task.result() if put_task in done else -1
        if tr.server_gone_at is None and not tr.interrupted:  # quiet now: the index must match the files
            tr.final_check = await check_once(tr, "POST /api/v1/check (after the traffic)")
        return tr


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def rss_summary(samples: list[tuple[float, float, float, float]], warmup: float, peak: float | None) -> Any:
    """RSS at the start, after the warm-up (the first sample at or past it) and at the end, the growth
    between the last two, and the least-squares slope of the samples after the warm-up (MiB per
    minute); the same for the anonymous (heap) part, where a leak shows."""
    if not samples:
        return {"samples": []}
    after = [s for s in samples if s[0] >= warmup] or samples[-1:]
    first, base, last = samples[0], after[0], samples[-1]
    return {
        "start_mb": first[1],
        "after_warmup_mb": base[1],
        "end_mb": last[1],
        "peak_sampled_mb": max(s[1] for s in samples),
        "peak_mb": round(peak, 1) if peak is not None else None,  # VmHWM: the kernel's high-water mark
        "growth_after_warmup_pct": _growth(base[1], last[1]),
        "slope_after_warmup_mb_per_min": _slope([(s[0], s[1]) for s in after]),
        "anon_after_warmup_mb": base[2],
        "anon_end_mb": last[2],
        "anon_growth_after_warmup_pct": _growth(base[2], last[2]),
        "anon_slope_after_warmup_mb_per_min": _slope([(s[0], s[2]) for s in after]),
        "file_after_warmup_mb": base[3],
        "file_end_mb": last[3],
        "samples_columns": ["t_s", "rss_mb", "anon_mb", "file_mb"],
        "samples": [list(s) for s in samples],
    }


def _growth(base: float, end: float) -> float:
    return round((end - base) / base * 100, 2) if base else 0.0


def _slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MiB) points in MiB per minute (None under 3 points)."""
    if len(points) < 3:
        return None
    mt = sum(t for t, _ in points) / len(points)
    mm = sum(m for _, m in points) / len(points)
    var = sum((t - mt) ** 2 for t, _ in points)
    return round(sum((t - mt) * (m - mm) for t, m in points) / var * 60, 2) if var else None


def report(args: argparse.Namespace, tr: Traffic, run: dict[str, Any]) -> dict[str, Any]:
    """The JSON object the soak prints: ``run`` holds what main measured around the traffic."""
    elapsed = tr.ended - tr.t0
    routes = {k: v.summary() for k, v in sorted(tr.routes.items())}
    classes = ("requests", "2xx", "4xx", "5xx", "connection_errors")
    totals = {c: sum(r[c] for r in routes.values()) for c in classes}
    searches = sum(r["2xx"] for k, r in routes.items() if k.endswith("/search"))
    # The warm-up lasts until the first check is over: the first check leaves the server's heap
    # larger by a fixed step that the next checks reuse (the same with MALLOC_ARENA_MAX=1, so not
    # allocator fragmentation): a one-time step, not a trend.
    warmup = max([args.warmup, *(c["t_end_s"] for c in tr.checks[:1])])
    rss = rss_summary(tr.rss, warmup, run["peak_rss_mb"])
    jobs = {k: tr.jobs[k] for k in ("succeeded", "failed", "unfinished", "not_submitted")}
    verdicts = {
        "no_5xx": totals["5xx"] == 0,
        "rss_growth_after_warmup_le_5pct": rss.get("growth_after_warmup_pct", 1e9) <= RSS_GROWTH_MAX_PCT,
        "no_connection_errors": totals["connection_errors"] == 0,
        "every_put_indexed": jobs["succeeded"] == tr.puts and tr.puts > 0,
        "server_stayed_up": tr.server_gone_at is None,
        "index_matches_files_after": bool(tr.final_check and tr.final_check["ok"]),
        "ran_full_duration": not tr.interrupted and tr.server_gone_at is None,
    }
    return {
        "benchmark": "soak: planvec serve under searches, a PUT per second and a check per minute",
        "duration_s": round(elapsed, 1),
        "interrupted": tr.interrupted,
        "config": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "warmup_ended_s": warmup,
            "search_clients": args.clients,
            "put_every_s": args.put_every,
            "check_every_s": args.check_every,
            "rss_sample_every_s": args.sample_every,
            "fresh_query_share": args.fresh_share,
            "rate_limit_per_key": args.rate_limit or "off",
            "auth": "API keys: read (searches, job polls, checks), write (PUTs)",
            "load_generator": "httpx.AsyncClient, one asyncio process, same machine as the server",
        },
        "corpus": run["corpus"],
        "totals": totals,
        "routes": routes,
        "search_throughput_rps": round(searches / elapsed, 1),
        "puts": {
            "sent": tr.puts,
            "late": tr.puts_late,
            **jobs,
            "put_to_indexed_p50_ms": pct(tr.job_seconds, 50),
            "put_to_indexed_p99_ms": pct(tr.job_seconds, 99),
        },
        "checks": tr.checks,
        "check_after_traffic": tr.final_check,
        "rss": rss,
        "cpu": {
            "server_cpu_s": round(run["server_cpu_s"], 1),
            "server_cores_used": round(run["server_cpu_s"] / elapsed, 2),
            "client_cpu_s": round(run["client_cpu_s"], 1),
            "client_cores_used": round(run["client_cpu_s"] / elapsed, 2),
        },
        "machine": run["machine"] | {"loadavg_end": [round(x, 2) for x in os.getloadavg()]},
        "error_samples": tr.error_samples,
        "pass": verdicts | {"all": all(verdicts.values())},
    }


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # SIGTERM outside the traffic: the same clean-up as Ctrl-C


def _stop_early_on_signals(tr: Traffic) -> None:
    """During the traffic, Ctrl-C or SIGTERM ends it at once: the loops see the deadline passed,
    the figures so far are printed (``interrupted``); a second signal stops without figures."""
    loop = asyncio.get_running_loop()

    def stop() -> None:
        if tr.interrupted:
            raise KeyboardInterrupt
        tr.interrupted = True
        tr.stop_now()
        log("interrupted: ending the traffic (again to stop at once, without figures)")

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)


def prepare(
    args: argparse.Namespace, work: Path, corpus: list[Path]
) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """The data dir (indexed now, or a copy of ``--data-dir``): the planvec environment, what was
    indexed, and two API keys (read, write)."""
    home = work / "home"
    env = cli_env(home)
    if args.data_dir is not None:
        shutil.copytree(args.data_dir, home)
        (home / ".lock").unlink(missing_ok=True)
        (home / "api_keys.json").unlink(missing_ok=True)
        indexed: dict[str, Any] = {"copied_from": str(args.data_dir)}
    else:
        log(f"indexing {', '.join(map(str, corpus))} ...")
        indexed = index_corpus(env, corpus)
        log(f"  indexed: {indexed}")
    keys = {"read": create_key(env, "soak-reader", "read"), "write": create_key(env, "soak-writer", "write")}
    return env, {"paths": [str(p) for p in corpus], "index": indexed}, keys


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, _interrupt)
    corpus = [SHARED / "corpus" / name for name in CORPORA[args.corpus]]
    if missing := [p for p in corpus if not p.is_dir()]:
        raise SystemExit(f"shared corpus not found: {', '.join(map(str, missing))} (set PLANVEC_SHARED_DIR)")
    run: dict[str, Any] = {"machine": machine()}
    work = Path(tempfile.mkdtemp(prefix="planvec-soak-"))
    srv: Server | None = None
    try:
        env, run["corpus"], keys = prepare(args, work, corpus)
        (work / "documents").mkdir()
        env |= {
            "PLANVEC_INDEX_PATHS": ",".join(map(str, corpus)),
            "PLANVEC_DOCUMENTS_ROOT": str(work / "documents"),
            "PLANVEC_RATE_LIMIT": f"{args.rate_limit:g}",
        }
        srv = Server(env, args.log_dir / f"serve-{time.strftime('%Y%m%dT%H%M%S')}.log")
        log(f"planvec serve on {srv.url} (log: {srv.log_path}); {args.duration:g} s of traffic ...")
        srv.wait_ready()
        cpu_server, cpu_client = srv.cpu_seconds(), time.process_time()
        tr = asyncio.run(traffic(args, srv, keys))
        run["server_cpu_s"] = srv.cpu_seconds() - cpu_server
        run["client_cpu_s"] = time.process_time() - cpu_client
        run["peak_rss_mb"] = (proc_memory(srv.proc.pid) or {}).get("VmHWM")
        out = report(args, tr, run)
    except KeyboardInterrupt:
        log("interrupted: the server is stopped, no figures")
        return 130
    finally:
        exit_code = srv.stop() if srv is not None else None
        shutil.rmtree(work, ignore_errors=True)
    assert srv is not None
    out["server"] = {"exit_code": exit_code, "log_file": str(srv.log_path), **log_problems(srv.log_path)}
    print(json.dumps(out, indent=1))
    return 0 if out["pass"]["all"] else 1


if __name__ == "__main__":
    sys.exit(main())
