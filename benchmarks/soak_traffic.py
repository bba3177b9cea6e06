"""The soak benchmark's traffic (benchmarks/soak.py runs it): search clients, a document writer, a
periodic check and an RSS sampler, all in one asyncio loop (an httpx.AsyncClient per API key), and
the per-route statistics they fill.

Every loop ends at the deadline and every request has a timeout: the last PUT's job is polled to
completion for at most ``JOB_TIMEOUT_S``, then one check (``CHECK_TIMEOUT_S``) ends the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

SEARCH_TIMEOUT_S = 30.0
PUT_TIMEOUT_S = 30.0
CHECK_TIMEOUT_S = 120.0
JOB_TIMEOUT_S = 120.0
JOB_POLL_S = 0.1
MAX_ERROR_SAMPLES = 10

MODES = ("hybrid", "hybrid", "hybrid", "dense", "keyword")  # hybrid is the default and most used
LIMITS = (5, 10, 10, 10, 20, 50)


def pct(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile in milliseconds (None when there is no value)."""
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, max(0, math.ceil(q / 100 * len(s)) - 1))] * 1000, 1)


@dataclass
class RouteStats:
    """What one route answered: status codes, transport errors (by exception class), latencies."""

    statuses: Counter[int] = field(default_factory=Counter)
    transport: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        classes = Counter(f"{code // 100}xx" for code in self.statuses.elements())
        return {
            "requests": sum(self.statuses.values()) + sum(self.transport.values()),
            "2xx": classes["2xx"],
            "3xx": classes["3xx"],
            "4xx": classes["4xx"],
            "5xx": classes["5xx"],
            "connection_errors": sum(self.transport.values()),
            "status_codes": {str(k): v for k, v in sorted(self.statuses.items())},
            "connection_error_kinds": dict(self.transport),
            "p50_ms": pct(self.latencies, 50),
            "p95_ms": pct(self.latencies, 95),
            "p99_ms": pct(self.latencies, 99),
            "max_ms": pct(self.latencies, 100),
        }


@dataclass
class Traffic:
    """Shared state of one run: the client, the deadline, and everything measured."""

    client: httpx.AsyncClient  # the read key's: searches, job polls, checks
    write_client: httpx.AsyncClient  # the write key's: PUTs
    t0: float
    deadline: float
    routes: dict[str, RouteStats] = field(default_factory=dict)
    error_samples: list[dict[str, Any]] = field(default_factory=list)
    jobs: Counter[str] = field(default_factory=Counter)
    job_seconds: list[float] = field(default_factory=list)
    puts: int = 0
    server_gone_at: float | None = None
    final_check: dict[str, Any] | None = None
    interrupted: bool = False
    puts_late: int = 0
    ended: float = 0.0
    checks: list[dict[str, Any]] = field(default_factory=list)
    rss: list[tuple[float, float, float, float]] = field(default_factory=list)  # t, RSS, anon, file

    stopped: asyncio.Event = field(default_factory=asyncio.Event)

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def stop_now(self) -> None:
        """End the run early: every loop sees the deadline passed, every sleep wakes up."""
        self.deadline = time.monotonic()
        self.stopped.set()

    async def sleep(self, seconds: float) -> None:
        """``asyncio.sleep`` that ``stop_now`` cuts short."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopped.wait(), timeout=max(0.0, seconds))

    async def call(
        self, label: str, method: str, url: str, timeout: float, *, write: bool = False, **kw: Any
    ) -> httpx.Response | None:
        """One timed request; None on a transport error (connection refused or reset, timeout)."""
        stats = self.routes.setdefault(label, RouteStats())
        client = self.write_client if write else self.client
        t = time.perf_counter()
        try:
            r = await client.request(method, url, timeout=timeout, **kw)
        except httpx.HTTPError as e:
            stats.transport[type(e).__name__] += 1
            self._sample(label, type(e).__name__, str(e))
            return None
        stats.latencies.append(time.perf_counter() - t)
        stats.statuses[r.status_code] += 1
        if r.status_code >= 400:
            self._sample(label, str(r.status_code), r.text)
        return r

    def _sample(self, label: str, what: str, detail: str) -> None:
        if len(self.error_samples) < MAX_ERROR_SAMPLES:
            at = round(time.monotonic() - self.t0, 1)
            self.error_samples.append({"t_s": at, "route": label, "error": what, "detail": detail[:400]})


class QueryMix:
    """Realistic searches: the labelled queries of benchmarks/queries.json, half of them asked as
    is (the query cache answers those after the first time) and half with a word of another query
    added (new texts: embedded), in every mode, with the filters a user sets, by GET and POST."""

    def __init__(self, queries: list[dict[str, Any]], seed: int, fresh_share: float) -> None:
        self.queries = queries
        self.rng = random.Random(seed)
        self.fresh_share = fresh_share
        self.words = sorted({w for q in queries for w in re.findall(r"\w{4,}", q["query"])})

    def next(self) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        q = rng.choice(self.queries)
        text = q["query"]
        if rng.random() < self.fresh_share:
            text = f"{text} {rng.choice(self.words)}"
        opts: dict[str, Any] = {"mode": rng.choice(MODES), "limit": rng.choice(LIMITS)}
        if rng.random() < 0.3:
            opts["status"] = rng.choice(("pending", "completed"))
        if rng.random() < 0.15:
            opts["priority"] = rng.sample(["P0", "P1", "P2", "P3"], k=rng.randint(1, 2))
        if rng.random() < 0.15:
            m = re.match(r"plan-dev-v\d+", q["file"])
            opts["file"] = (m.group(0) if m else q["file"]) + "*"
        if rng.random() < 0.1:
            opts["mvp"] = True
        if rng.random() < 0.5:
            return "GET", {"params": {"q": text, **opts}}
        return "POST", {"json": {"query": text, **opts}}


async def search_client(tr: Traffic, mix: QueryMix) -> None:
    """One client: its next search as soon as the last answer arrives, until the deadline (a
    connection error pauses it briefly: no busy loop against a server that is gone)."""
    while tr.left() > 0:
        method, kw = mix.next()
        r = await tr.call(f"{method} /api/v1/search", method, "/api/v1/search", SEARCH_TIMEOUT_S, **kw)
        if r is None:
            await tr.sleep(min(0.2, tr.left()))


def plan_text(rev: int) -> str:
    """The soak's plan file at revision ``rev``: one task's text changes on every PUT (re-embedded),
    another task's checkbox flips every other PUT (a payload change), the rest stays."""
    done = "x" if rev % 2 else " "
    lines = [
        "# Plan de test d'endurance (soak)",
        "",
        "## Phase 1 : ingestion des plans",
        "",
        "- [x] **1.1** Lire les fichiers Markdown du dossier des documents",
        f"- [{done}] **1.2** Valider le schéma des tâches (P1)",
        f"- [ ] **1.3** Révision {rev} : ré-indexer le fichier après chaque envoi (P0, MVP)",
        f"  - [ ] 1.3.1 Vérifier que la révision {rev} est trouvée par la recherche",
        "- [ ] **1.4** Mesurer la latence p99 des recherches pendant l'écriture (P2)",
        "",
        "## Phase 2 : surveillance",
        "",
        "- [ ] **2.1** Suivre la mémoire résidente du serveur (P1)",
        "- [ ] **2.2** Compter les erreurs 5xx par route (P0)",
        "- [x] **2.3** Lancer une vérification de l'index chaque minute",
        "",
    ]
    return "\n".join(lines)


async def put_once(tr: Traffic, doc_path: str, rev: int) -> None:
    """PUT the plan at revision ``rev`` (wait=0: answered at once) and poll its job to the end."""
    start = time.perf_counter()
    url = f"/api/v1/documents/{doc_path}"
    r = await tr.call("PUT /api/v1/documents/{path}", "PUT", url, PUT_TIMEOUT_S, write=True,
                      params={"wait": 0}, json={"content": plan_text(rev)})  # fmt: skip
    if r is None or r.status_code not in (200, 202):
        tr.jobs["not_submitted"] += 1
        return
    job = r.json()["job"]
    give_up = time.monotonic() + JOB_TIMEOUT_S
    while job["status"] not in ("succeeded", "failed") and time.monotonic() < give_up:
        await asyncio.sleep(JOB_POLL_S)
        r = await tr.call("GET /api/v1/jobs/{id}", "GET", f"/api/v1/jobs/{job['id']}", PUT_TIMEOUT_S)
        if r is not None and r.status_code == 200:
            job = r.json()["job"]
    status = job["status"] if job["status"] in ("succeeded", "failed") else "unfinished"
    tr.jobs[status] += 1
    if status == "succeeded":
        tr.job_seconds.append(time.perf_counter() - start)
    elif status == "failed":
        tr._sample("job", "failed", str(job.get("error")))


async def writer(tr: Traffic, doc_path: str, every: float) -> int:
    """One PUT every ``every`` seconds, each polled to completion before the next; a PUT whose
    slot has passed by more than a period is counted late and the schedule restarts from now."""
    rev = 0
    next_at = time.monotonic()
    while tr.left() > 0:
        now = time.monotonic()
        if next_at > now:
            await tr.sleep(min(next_at - now, tr.left()))
            continue
        if now - next_at > every:
            tr.puts_late += 1
            next_at = now
        next_at += every
        rev += 1
        await put_once(tr, doc_path, rev)
    return rev


async def checker(tr: Traffic, every: float) -> None:
    """``POST /api/v1/check`` (every configured path) half a period in, then once a period. A check
    that overlaps a PUT can report the changing task as stale: the file and its points are read
    at different moments; the check after the traffic (``check_once`` in soak.py) cannot."""
    next_at = time.monotonic() + every / 2
    while True:
        wait = next_at - time.monotonic()
        if wait >= tr.left():
            return
        await tr.sleep(wait)
        if tr.left() <= 0:
            return
        next_at += every
        if (rep := await check_once(tr, "POST /api/v1/check")) is not None:
            tr.checks.append(rep)


async def check_once(tr: Traffic, label: str) -> dict[str, Any] | None:
    """One check of every configured path: its counts and how long it took (None if it failed)."""
    t = time.perf_counter()
    r = await tr.call(label, "POST", "/api/v1/check", CHECK_TIMEOUT_S, json={})
    if r is None or r.status_code != 200:
        return None
    rep = r.json()
    keep = ("ok", "tasks", "points", "missing", "orphaned", "stale", "duplicates")
    end = round(time.monotonic() - tr.t0, 1)
    return {"t_end_s": end, "seconds": round(time.perf_counter() - t, 2), **{k: rep.get(k) for k in keep}}


def proc_memory(pid: int) -> dict[str, float] | None:
    """The memory lines of /proc/PID/status in MiB: ``VmRSS`` (resident) is ``RssAnon`` (heap:
    where a leak shows) + ``RssFile`` (mapped files: the store's segments, libraries) + ``RssShmem``;
    ``VmHWM`` is its peak. None once the process is gone (a zombie has no memory lines)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    mem = {
        k: int(v.split()[0]) / 1024
        for k, _, v in (ln.partition(":") for ln in text.splitlines())
        if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile")
    }
    return mem if "VmRSS" in mem else None


async def sampler(tr: Traffic, pid: int, every: float, log: Callable[[str], None]) -> None:
    """The server's RSS every ``every`` seconds and once more at the deadline; progress on ``log``
    about every 30 s. A server that has exited ends the run at once (``server_gone_at``)."""
    n = 0
    while True:
        t, mem = time.monotonic() - tr.t0, proc_memory(pid)
        if mem is None:
            tr.server_gone_at = round(t, 1)
            tr.stop_now()
            log(f"  t={t:4.0f} s  the server has exited: the run stops")
            return
        mb = mem["VmRSS"]
        anon, mapped = mem.get("RssAnon", 0.0), mem.get("RssFile", 0.0)
        tr.rss.append((round(t, 1), round(mb, 1), round(anon, 1), round(mapped, 1)))
        if n % max(1, round(30 / every)) == 0 or tr.left() <= 0:
            searches = sum(sum(s.statuses.values()) for k, s in tr.routes.items() if k.endswith("/search"))
            jobs = dict(tr.jobs)
            log(f"  t={t:4.0f} s  RSS {mb:6.1f} MiB (anon {anon:6.1f})  searches {searches}  jobs {jobs}")
        n += 1
        if tr.left() <= 0:
            return
        await tr.sleep(min(every, tr.left()))
