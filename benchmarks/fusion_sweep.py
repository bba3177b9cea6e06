"""Recall of hybrid search with score fusion at several dense weights, on an index eval_recall.py built.

Usage: python benchmarks/fusion_sweep.py [--data-dir /tmp/pv-eval/minilm-context] [--backend onnx]
       [--task-text context] 0.5 0.6 0.7 0.8
Prints one line per weight: lexical and paraphrase (R@1, R@5, R@10, MRR). Searches only (read-only).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

import eval_recall as ev  # noqa: E402
import planvec.embedding.scoring as scoring  # noqa: E402
from planvec.embedding import load_embedder  # noqa: E402
from planvec.engine import Engine  # noqa: E402
from planvec.settings import Settings  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default="/tmp/pv-eval/minilm-context")
    ap.add_argument("--backend", default="onnx")
    ap.add_argument("--task-text", default="context")
    ap.add_argument("weights", nargs="+", type=float)
    args = ap.parse_args()
    settings = Settings(  # type: ignore[call-arg]
        data_dir=Path(args.data_dir), task_text=args.task_text, index_sections=False, fusion="score"
    )
    sets = {n: ev.load_set(n) for n in ("lexical", "paraphrase")}
    with Engine(settings, embedder=load_embedder(args.backend), read_only=True) as eng:
        for w in args.weights:
            scoring.DENSE_WEIGHT = w  # read at each fusion
            out = {n: ev.evaluate(eng, q, "hybrid-score")["all"] for n, q in sets.items()}
            row = {n: (m["recall@1"], m["recall@5"], m["recall@10"], m["mrr"]) for n, m in out.items()}
            print(w, row, flush=True)


if __name__ == "__main__":
    main()
