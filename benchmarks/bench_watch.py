"""Watch mode and write-back latency; prints one JSON object.

    python benchmarks/bench_watch.py                 # 50 edits, 4 corpus plan files
    python benchmarks/bench_watch.py --edits 10 --files 2

* ``watch``: ``planvec watch`` in this process (its loop in a thread, as the command runs it); each
  edit is an editor-style atomic save (a temporary sibling renamed over the file) changing one
  task's title; the time runs from the rename until the engine's search finds the new text (polled
  every 10 ms with a keyword search for a word only the new title has).
* ``serve_watch``: the same edits against a ``planvec serve --watch`` process, found through HTTP
  search on loopback.
* ``writeback``: ``write_task`` (``planvec task done|reopen``) on one task, alternately done and
  reopened: the time to the file (read, check, edit, write) and to the end of the re-sync, and
  whether a search filtered on the new status finds the task right after.

Targets: edit → searchable p50 ≤ 0.5 s and p99 ≤ 1.5 s; write-back ≤ 100 ms to the file, searchable
at once. ``machine`` gives the load average: the machines are shared, read the figures with it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from planvec.cli.watch import _Sayer, run_watch  # noqa: E402
from planvec.engine import Engine  # noqa: E402
from planvec.ops.writeback import TaskEdit, write_task  # noqa: E402
from planvec.settings import Settings  # noqa: E402
from planvec.sync.watch import watch_roots  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "plans"
FILES = (
    "plan-dev-v18-repo-mgmt.md",
    "plan-dev-v20-observabilite-monitoring.md",
    "plan-dev-v31-migration-mcp-manager.md",
    "plan-dev-v56-go-native-vectorization-migration.md",
)
TASK = "- [ ] "
TIMEOUT = 30.0


def _pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return round(s[min(len(s) - 1, int(q * len(s)))], 4) if s else float("nan")


def _stats(xs: list[float]) -> dict[str, Any]:
    return {"n": len(xs), "p50": _pct(xs, 0.5), "p99": _pct(xs, 0.99), "max": round(max(xs), 4)}


def _save(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.bench~")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class Edits:
    """Atomic saves of one file, each giving its first pending task a new word ``zqw<tag><i>``."""

    def __init__(self, path: Path, tag: str) -> None:
        self.path, self.tag = path, tag
        self.base = path.read_text(encoding="utf-8")
        start = self.base.index(TASK)
        self.at = len(self.base[:start] + self.base[start:].split("\n", 1)[0].rstrip("\r"))

    def save(self, i: int) -> str:
        word = f"zqw{self.tag}{i}"
        _save(self.path, self.base[: self.at] + " " + word + self.base[self.at :])
        return word


def _wait(found: Any) -> float:
    """Seconds until ``found()`` is true (polled every 10 ms), or raise after TIMEOUT."""
    t0 = time.perf_counter()
    while not found():
        if time.perf_counter() - t0 > TIMEOUT:
            raise TimeoutError("the edit did not become searchable")
        time.sleep(0.01)
    return time.perf_counter() - t0


def bench_watch(tree: Path, data: Path, embedder: Any, edits: int) -> dict[str, Any]:
    with Engine(Settings(data_dir=data), embedder=embedder) as eng:
        stop, ready = threading.Event(), threading.Event()
        say = _Sayer(json_out=True)
        say._json = lambda d: ready.set() if d.get("event") == "watching" else None  # type: ignore[method-assign]
        t = threading.Thread(
            target=run_watch, args=(eng, watch_roots([tree]), say), kwargs={"stop": stop, "initial": False}
        )
        t.start()
        ready.wait(TIMEOUT)
        ed = Edits(tree / FILES[0], "w")
        lat = []
        for i in range(edits):
            word = ed.save(i)
            lat.append(
                _wait(lambda w=word: any(w in h.title for h in eng.search(w, mode="keyword", limit=1)))
            )
        stop.set()
        t.join(TIMEOUT)
        _save(ed.path, ed.base)
        eng.sync_changed(tree, [ed.path.name])
        wb = bench_writeback(eng, tree)
    return {"watch": _stats(lat), "writeback": wb}


def bench_writeback(eng: Engine, tree: Path) -> dict[str, Any]:
    hit = eng.search("migration", {"status": "pending"}, mode="keyword", limit=1)[0]
    to_file, total, at_once = [], [], 0
    for i in range(20):
        status = "completed" if i % 2 == 0 else "pending"
        t0 = time.perf_counter()
        r = write_task(eng, hit.point_id, TaskEdit(status=status))
        total.append(time.perf_counter() - t0)
        to_file.append(r.write_ms / 1000)
        got = eng.search(hit.title, {"status": status}, mode="keyword", limit=20)
        at_once += any(h.point_id == hit.point_id for h in got)
    return {"to_file": _stats(to_file), "with_resync": _stats(total), "searchable_at_once": f"{at_once}/20"}


def bench_serve_watch(tree: Path, data: Path, edits: int) -> dict[str, Any]:
    from serving import serve_env, served

    env = serve_env(home=data, keys_file=data / "keys.json", index_paths=tree)
    with served(env, data.parent / "serve.log", args=["--watch"]) as srv, httpx.Client(base_url=srv.url) as c:

        def found(word: str) -> bool:
            r = c.get("/api/v1/search", params={"q": word, "mode": "keyword", "limit": 1})
            return r.status_code == 200 and any(word in h["title"] for h in r.json()["hits"])

        def initial_done() -> bool:
            jobs = c.get("/api/v1/jobs").json()["jobs"]
            return bool(jobs) and all(j["status"] == "succeeded" for j in jobs)

        _wait(initial_done)
        ed = Edits(tree / FILES[0], "s")
        lat = []
        for i in range(edits):
            word = ed.save(i)
            lat.append(_wait(lambda w=word: found(w)))
        _save(ed.path, ed.base)
    return {"serve_watch": _stats(lat)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--edits", type=int, default=50)
    ap.add_argument("--files", type=int, default=4, choices=range(1, len(FILES) + 1))
    args = ap.parse_args()
    from planvec.wiring import embedder_from_settings

    out: dict[str, Any] = {"machine": {"cores": os.cpu_count(), "loadavg_start": os.getloadavg()}}
    embedder = embedder_from_settings(Settings())
    with tempfile.TemporaryDirectory(prefix="pv-bench-watch-") as tmp:
        base = Path(tmp)
        tree = base / "plans"
        tree.mkdir()
        for name in FILES[: args.files]:
            shutil.copy(CORPUS / name, tree / name)
        with Engine(Settings(data_dir=base / "data"), embedder=embedder) as eng:
            t0 = time.perf_counter()
            r = eng.index([tree])
            out["tree"] = {"files": r.files, "tasks": r.tasks, "sections": r.sections}
            out["initial_index_s"] = round(time.perf_counter() - t0, 2)
        shutil.copytree(base / "data", base / "serve-data")
        (base / "serve-data" / ".lock").unlink(missing_ok=True)
        out.update(bench_watch(tree, base / "data", embedder, args.edits))
        out.update(bench_serve_watch(tree, base / "serve-data", args.edits))
    out["machine"]["loadavg_end"] = os.getloadavg()
    out["targets"] = {"p50_s": 0.5, "p99_s": 1.5, "writeback_to_file_s": 0.1}
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
