"""The Embedder protocol: texts in, float32 L2-normalised vectors out. Knows nothing about files or stores."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Embedder(Protocol):
    model_id: str  # e.g. "sentence-transformers/all-MiniLM-L6-v2"
    dimension: int  # e.g. 384
    max_tokens: int  # e.g. 256 (including special tokens)

    def embed(
        self,
        texts: Sequence[str],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Return an array of shape (len(texts), dimension), float32, rows L2-normalised.

        ``progress`` is called with the number of texts just finished, after each batch.
        An empty input returns an array of shape (0, dimension).
        """

    def count_tokens(self, text: str) -> int:
        """Number of model tokens of ``text`` including special tokens, without truncation."""


def embed_queries(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """Query vectors: the embedder's ``embed_queries`` when it has one (models trained with a
    query/passage prefix, e.g. e5), else :meth:`Embedder.embed`."""
    fn = getattr(embedder, "embed_queries", None)
    if callable(fn):
        return np.asarray(fn(texts), dtype=np.float32)
    return embedder.embed(texts)
