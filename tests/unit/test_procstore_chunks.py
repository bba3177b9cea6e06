"""validate-migration's column chunks and query sampler (planvec.ops.procstore), without a store."""

from __future__ import annotations

import uuid
from collections import Counter

import numpy as np
import pytest

from planvec.errors import StoreError
from planvec.ops.procstore import _reservoir, build_chunk, canonical_json, id_of
from planvec.store.base import StoredPoint


def _row(i: int, dim: int = 4, *, sparse: tuple[list[int], list[float]] | None = None) -> tuple:
    vec = np.arange(dim, dtype=np.float32) + i
    return (uuid.UUID(int=i + 1), vec.tobytes(), sparse, {"n": i, "file": f"f{i}.md"})


def test_chunk_columns_match_the_rows() -> None:
    rows = [_row(0, sparse=([7, 2], [0.5, 0.25])), _row(1), (str(uuid.UUID(int=3)), None, None, {"n": 2})]
    c = build_chunk((len(rows), iter(rows)), 4)
    assert [id_of(k) for k in c.keys] == [str(uuid.UUID(int=i)) for i in (1, 2, 3)]
    assert c.has_dense.tolist() == [True, True, False]
    assert c.dense.tolist() == [[0, 1, 2, 3], [1, 2, 3, 4], [0, 0, 0, 0]]
    # sparse values in index order (2 before 7), whatever the stored order
    assert c.sparse_values.tolist() == [0.25, 0.5] and c.sparse_offsets.tolist() == [0, 2, 2, 2]
    assert c.sparse_pattern[1] == c.sparse_pattern[2] != c.sparse_pattern[0]
    # equal payloads give equal digests, key order aside; left-out keys are not compared
    other = build_chunk((1, [(rows[0][0], rows[0][1], None, {"file": "f0.md", "n": 0})]), 4)
    assert other.payload[0] == c.payload[0]
    renamed = build_chunk((1, [(rows[0][0], None, None, {"n": 0, "file": "x"})]), 4, ["file"])
    assert renamed.payload[0] == build_chunk((1, [(rows[0][0], None, None, {"n": 0})]), 4).payload[0]
    assert canonical_json({"b": 1, "a": 2}) == b'{"a":2,"b":1}'


def test_a_vector_of_another_dimension_is_a_clear_error() -> None:
    rows = [_row(0), _row(1, dim=3)]
    with pytest.raises(StoreError, match=r"3-d vector in a 4-d collection"):
        build_chunk((2, rows), 4)


def test_a_batch_shorter_than_announced_is_an_error() -> None:
    with pytest.raises(StoreError, match="announced 3 points and held 2"):
        build_chunk((3, [_row(0), _row(1)]), 4)


def _sample(total: int, batch: int, sample: int, seed: int) -> list[StoredPoint]:
    rng = np.random.default_rng(seed)
    picked: list[StoredPoint] = []
    seen = 0
    for start in range(0, total, batch):
        rows = [_row(i) for i in range(start, min(total, start + batch))]
        keep = _reservoir(len(rows), seen, sample, picked, rng)
        build_chunk((len(rows), iter(rows)), 4, keep=keep)
        seen += len(rows)
    return picked


def test_the_query_sample_is_uniform_over_the_stream() -> None:
    small = _sample(5, 2, 8, seed=0)  # fewer points than asked: all of them, in order
    assert [p.id for p in small] == [str(uuid.UUID(int=i + 1)) for i in range(5)]
    assert small[3].vector is not None and small[3].vector.tolist() == [3, 4, 5, 6]
    counts: Counter[str] = Counter()
    runs, total, sample = 400, 50, 5
    for seed in range(runs):
        picked = _sample(total, 16, sample, seed)
        assert len(picked) == sample and len({p.id for p in picked}) == sample
        counts.update(p.id for p in picked)
    expected = runs * sample / total  # 40 picks per point
    assert len(counts) == total
    # each point's count is Binomial(400, 0.1): sd 6; +-25 is over 4 sd (a biased sampler that
    # favours the first or the last batch fails it)
    assert all(abs(n - expected) < 25 for n in counts.values()), counts
    first, last = sum(counts[str(uuid.UUID(int=i + 1))] for i in range(16)), counts[str(uuid.UUID(int=50))]
    assert abs(first - 16 * expected) < 80 and last > 10
