"""Recall@5 of each search mode and each task-text variant on the labelled query set.

Usage: python benchmarks/eval_recall.py [--variants title,context] [--modes dense,keyword,hybrid]
Prints JSON: {"queries": N, "recall@5": {variant: {mode: r}}, "mrr@10": {...}, "by_lang": {...}}.
A hit counts when the expected task (file + line of the labelled query) is among the first 5 results.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from planvec.embedding import load_embedder  # noqa: E402
from planvec.engine import Engine  # noqa: E402
from planvec.settings import Settings  # noqa: E402

CORPUS = HERE.parent.parent / "shared" / "corpus" / "plans"


def evaluate(engine: Engine, queries: list[dict], modes: list[str]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for mode in modes:
        ranks: list[int | None] = []
        langs: dict[str, list[int]] = {}
        for q in queries:
            hits = engine.search(q["query"], limit=10, mode=mode)  # type: ignore[arg-type]
            rank = next((i for i, h in enumerate(hits) if h.file == q["file"] and h.line == q["line"]), None)
            ranks.append(rank)
            langs.setdefault(q.get("lang", "?"), []).append(1 if rank is not None and rank < 5 else 0)
        n = len(ranks)
        out[mode] = {
            "recall@5": round(sum(1 for r in ranks if r is not None and r < 5) / n, 3),
            "recall@1": round(sum(1 for r in ranks if r == 0) / n, 3),
            "mrr@10": round(sum(1 / (r + 1) for r in ranks if r is not None) / n, 3),
            **{f"recall@5_{lang}": round(sum(v) / len(v), 3) for lang, v in sorted(langs.items())},
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", default="title,title_section,context,context_body")
    ap.add_argument("--modes", default="dense,keyword,hybrid")
    ap.add_argument("--queries", default=str(HERE / "queries.json"))
    ap.add_argument("--corpus", default=str(CORPUS))
    args = ap.parse_args()
    queries = json.loads(Path(args.queries).read_text(encoding="utf-8"))
    embedder = load_embedder("onnx")
    result: dict[str, object] = {"queries": len(queries), "results": {}}
    for variant in args.variants.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            settings = Settings(data_dir=Path(tmp), task_text=variant, index_sections=False)  # type: ignore[arg-type]
            with Engine(settings, embedder=embedder) as eng:
                eng.index([Path(args.corpus)])
                index_s = time.perf_counter() - t0
                res = evaluate(eng, queries, args.modes.split(","))
        result["results"][variant] = {"index_seconds": round(index_s, 1), **res}  # type: ignore[index]
        print(f"{variant}: {json.dumps(res)}", file=sys.stderr)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
