"""What the secret step costs: the index of the shared corpora (plans + roadmaps-more) with and
without it, side by side in this one run (the machine is shared and noisy: the two variants
alternate, best of ``--repeat``). Prints one JSON object to stdout (progress on stderr).

Two measures:
- ``parse_documents``: the walk, reading, parsing and building of every store document (what the
  step adds to; no embedding), best of ``--repeat`` runs of each variant;
- ``full_index``: a full index into a fresh data directory (embedding included), once per variant
  (``--no-full`` skips it); the added share is what the target (<= 15 %) is about.

"Without" is the pipeline with the step switched off: no file withheld, texts and documents as the
kinds make them.

Usage: python benchmarks/bench_secrets.py [--repeat N] [--no-full] [CORPUS_DIR ...]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

import planvec.sync.pipeline as pipeline  # noqa: E402
from planvec.engine import Engine  # noqa: E402
from planvec.records import StoreDoc  # noqa: E402
from planvec.secrets import Guard  # noqa: E402
from planvec.settings import Settings  # noqa: E402
from planvec.wiring import embedder_from_settings  # noqa: E402

SHARED = HERE.parent.parent / "shared" / "corpus"
CORPORA = (SHARED / "plans", SHARED / "roadmaps-more")


class _Off(Guard):
    """The step switched off: what the pipeline did before it."""

    def withholds_name(self, rel: str) -> bool:
        return False

    def withholds_content(self, rel: str, text: str) -> bool:
        return False

    def clean_source(self, text: str, rel: str) -> str:
        return text

    def clean_doc(self, doc: StoreDoc, model_key: str) -> StoreDoc:
        return doc


@contextmanager
def step(on: bool) -> Iterator[None]:
    original = pipeline.guard_of
    if not on:
        pipeline.guard_of = lambda settings: _Off()  # type: ignore[assignment]
    try:
        yield
    finally:
        pipeline.guard_of = original


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def parse_documents(eng: Engine, paths: list[Path]) -> tuple[float, float, int, Any]:
    """Wall and CPU seconds of the walk, parse and documents of ``paths``, documents, the guard."""
    t0, c0 = time.perf_counter(), time.process_time()
    parsed = eng.parse(paths)
    docs = eng.build_docs(parsed)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return wall, cpu, sum(len(d) for d in docs.values()), parsed.guard


def full_index(embedder: Any, paths: list[Path], on: bool) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-secrets-"))
    try:
        with step(on), Engine(Settings(data_dir=tmp / "data"), embedder=embedder) as eng:
            t0, c0 = time.perf_counter(), time.process_time()
            report = eng.index(paths)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        return {
            "seconds": round(wall, 2),
            "cpu_seconds": round(cpu, 2),
            "embedded": report.embedded,
            "secrets": report.secrets,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="*", type=Path, default=list(CORPORA))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-full", action="store_true", help="Skip the two full indexes (embedding).")
    args = ap.parse_args()
    embedder = embedder_from_settings(Settings())
    out: dict[str, Any] = {"paths": [str(p) for p in args.paths]}
    times: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    with tempfile.TemporaryDirectory() as tmp, Engine(Settings(data_dir=tmp), embedder=embedder) as eng:
        for i in range(args.repeat):
            for on in (False, True):
                with step(on):
                    wall, cpu, n_docs, guard = parse_documents(eng, args.paths)
                times[on].append((wall, cpu))
                log(
                    f"parse+documents run {i + 1} step {'on' if on else 'off'}: {wall:.2f} s, cpu {cpu:.2f} s"
                )
    out["documents"] = n_docs
    out["findings"] = {"secrets": guard.counts(), "personal": dict(guard.personal)}
    out["parse_documents"] = {}
    for j, unit in enumerate(("wall", "cpu")):
        off, on = min(t[j] for t in times[False]), min(t[j] for t in times[True])
        out["parse_documents"][unit] = {
            "without_s": round(off, 3),
            "with_s": round(on, 3),
            "added_s": round(on - off, 3),
            "added_pct": round(100 * (on - off) / off, 1),
        }
    cpu_added = out["parse_documents"]["cpu"]["added_s"]
    if not args.no_full:
        runs = {}
        for on_ in (False, True):
            log(f"full index, step {'on' if on_ else 'off'} ...")
            runs[on_] = full_index(embedder, args.paths, on_)
            log(f"  {runs[on_]}")
        a, b = runs[False]["cpu_seconds"], runs[True]["cpu_seconds"]
        out["full_index"] = {
            "without": runs[False],
            "with": runs[True],
            "added_cpu_pct": round(100 * (b - a) / a, 1),
            # The step's own CPU cost (measured above, without embedding) over the full index's:
            # what it adds, free of the noise of two long runs on a shared machine.
            "step_share_cpu_pct": round(100 * cpu_added / b, 1),
        }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
