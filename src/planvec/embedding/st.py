"""Optional backend: a local sentence-transformers model (``pip install 'planvec[sentence-transformers]'``).

sentence-transformers (and torch) are imported inside the constructor only, so importing this module
costs nothing and the default ONNX path never pulls torch in.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError

EXTRA_HINT = "pip install 'planvec[sentence-transformers]'"


class SentenceTransformerEmbedder:
    """Embedder backed by ``sentence_transformers.SentenceTransformer`` (CPU or whatever torch picks)."""

    def __init__(self, model_path: str | Path, batch_size: int = 64, device: str | None = None) -> None:
        try:  # lazily, by name: importing this module never pulls in torch
            sentence_transformers = importlib.import_module("sentence_transformers")
        except ImportError as exc:
            raise ModelError(
                f"the sentence-transformers backend is not installed ({exc})", hint=EXTRA_HINT
            ) from exc
        path = Path(model_path).expanduser()
        try:
            self._model: Any = sentence_transformers.SentenceTransformer(str(path), device=device)
        except Exception as exc:
            raise ModelError(
                f"cannot load the sentence-transformers model at {path}: {exc}",
                hint="point model_path (PLANVEC_MODEL_PATH) at a local sentence-transformers model directory",
            ) from exc
        self.model_path = path
        self.batch_size = batch_size
        self.model_id = _model_id(path)
        dim = self._model.get_sentence_embedding_dimension()
        self.dimension = int(dim) if dim else int(self._model.encode(["x"]).shape[1])
        self.max_tokens = int(self._model.max_seq_length)

    def embed(
        self,
        texts: Sequence[str],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        chunks = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            vec = self._model.encode(
                batch, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
            )
            chunks.append(np.asarray(vec, dtype=np.float32))
            if progress is not None:
                progress(len(batch))
        return np.concatenate(chunks, axis=0)

    def count_tokens(self, text: str) -> int:
        tok = self._model.tokenizer
        return len(tok(text, add_special_tokens=True, truncation=False)["input_ids"])


def _model_id(path: Path) -> str:
    """The hub id of the default model when ``path`` holds it (same vectors as the ONNX backend, so no
    re-index when switching backends), else ``local/<directory name>``."""
    from .models import DEFAULT_MODEL

    p = path.resolve()
    if p.name == DEFAULT_MODEL.slug or (
        p.name == DEFAULT_MODEL.subdir and p.parent.name == DEFAULT_MODEL.package
    ):
        return DEFAULT_MODEL.model_id
    return f"local/{p.name}"
