"""ONNX Runtime embedder: ``tokenizers`` for tokenisation, planvec's own converted graph for the model.

Nothing heavy happens at import or construction time beyond loading the tokenizer (~30 ms): the ONNX
model is converted/verified and the inference session created on the first :meth:`OnnxEmbedder.embed`
(or an explicit :meth:`OnnxEmbedder.warm_up`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError
from .models import DEFAULT_MODEL, ModelSpec, check_model_dir, find_model_dir

CACHE_ENV = "PLANVEC_CACHE_DIR"
#: Cap on padded tokens per batch. Measured on 2 cores: long sequences run faster in small batches
#: (256-token texts: 49/s at 4 per batch, 36/s at 64) and peak memory stays low (64 x 256 tokens: ~1.2 GB).
DEFAULT_MAX_BATCH_TOKENS = 1024


def default_cache_dir() -> Path:
    """``$PLANVEC_CACHE_DIR`` if set (read now, not at import), else the platform's user cache dir."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("planvec"))


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


class OnnxEmbedder:
    """all-MiniLM-L6-v2 (or another BERT sentence encoder) on ONNX Runtime, CPU.

    Texts are tokenised in one call, sorted by token length and cut into batches of at most
    ``batch_size`` texts and ``max_batch_tokens`` padded tokens (None: no token cap), each padded only
    to its own longest text; rows come back in input order. ``threads``: ONNX Runtime intra-op threads
    (default: the cores this process may use).
    """

    def __init__(
        self,
        spec: ModelSpec = DEFAULT_MODEL,
        model_dir: str | Path | None = None,
        cache_dir: str | Path | None = None,
        batch_size: int = 64,
        threads: int | None = None,
        max_batch_tokens: int | None = DEFAULT_MAX_BATCH_TOKENS,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be >= 1, got {threads}")
        self.spec = spec
        self.model_id = spec.model_id
        self.dimension = spec.dimension
        self.max_tokens = spec.max_tokens
        self.batch_size = batch_size
        self.max_batch_tokens = max_batch_tokens
        self.threads = threads
        self.model_dir = check_model_dir(Path(model_dir), spec) if model_dir else find_model_dir(spec)
        self.cache_dir = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
        self.onnx_path: Path | None = None
        self._session: Any | None = None
        self._lock = threading.Lock()
        self._tok, self._tok_full = self._load_tokenizers()

    # -- setup ----------------------------------------------------------------------------------------
    def _load_tokenizers(self) -> tuple[Any, Any]:
        from tokenizers import Tokenizer

        path = self.model_dir / "tokenizer.json"
        try:
            text = path.read_text(encoding="utf-8")
            tok = Tokenizer.from_str(text)
            full = Tokenizer.from_str(text)
        except Exception as exc:  # OSError, tokenizers' own Exception
            raise ModelError(
                f"cannot load the tokenizer {path}: {exc}",
                hint=f"reinstall the model: {self.spec.install_hint}",
            ) from exc
        # tokenizer.json ships with fixed padding/truncation at 128: we pad per batch and cut at max_tokens
        tok.no_padding()
        tok.enable_truncation(max_length=self.max_tokens)
        full.no_padding()
        full.no_truncation()
        return tok, full

    def _create_session(self) -> Any:
        import onnxruntime as ort

        from .convert import OUTPUT_NAME, build_and_cache, load_onnx_model

        path, data = load_onnx_model(self.model_dir, self.cache_dir)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads or available_cores()
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        try:
            session = ort.InferenceSession(data, sess_options=opts, providers=["CPUExecutionProvider"])
        except Exception:
            # Checksum matched but the runtime refuses it (e.g. written by a buggy older build): rebuild once.
            data = build_and_cache(self.model_dir, path)
            try:
                session = ort.InferenceSession(data, sess_options=opts, providers=["CPUExecutionProvider"])
            except Exception as exc:
                raise ModelError(
                    f"ONNX Runtime cannot load the model {path}: {exc}",
                    hint=f"delete {path.parent} and retry, else reinstall: {self.spec.install_hint}",
                ) from exc
        out = session.get_outputs()[0]
        if out.name != OUTPUT_NAME or out.shape[-1] != self.dimension:
            raise ModelError(
                f"model {path} outputs {out.name}{out.shape}, "
                f"expected {OUTPUT_NAME}[batch, {self.dimension}]",
                hint="the installed weights do not match the model spec",
            )
        self.onnx_path = path
        return session

    @property
    def session(self) -> Any:
        """The ONNX Runtime session, created (and the ONNX file built/verified) on first use."""
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._session = self._create_session()
        return self._session

    @property
    def fingerprint(self) -> str:
        """What the vectors depend on besides the model id: the converter version and the key of
        the weights and configuration (part of the embedding cache's keys)."""
        from .convert import CONVERTER_VERSION, cache_key

        return f"onnx-c{CONVERTER_VERSION}-{cache_key(self.model_dir, self.cache_dir)}"

    def warm_up(self) -> None:
        """Build/verify the model and run one tiny inference so the first real call is fast."""
        self.embed(["warm up"])

    # -- Embedder protocol ------------------------------------------------------------------------------
    def count_tokens(self, text: str) -> int:
        return len(self._tok_full.encode(text).ids)

    def embed(
        self,
        texts: Sequence[str],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of strings, not a single string")
        n = len(texts)
        if n == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        session = self.session
        if n == 1:  # fast path for queries: no sorting, no copies
            ids = np.array([self._tok.encode(texts[0]).ids], dtype=np.int64)
            vec = session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0]
            if progress is not None:
                progress(1)
            return np.asarray(vec, dtype=np.float32)

        encodings = self._tok.encode_batch(list(texts))
        token_ids = [e.ids for e in encodings]
        lengths = np.fromiter((len(t) for t in token_ids), dtype=np.int64, count=n)
        order = np.argsort(lengths, kind="stable")
        out = np.empty((n, self.dimension), dtype=np.float32)
        for idx in self._batches(order, lengths):
            width = int(lengths[idx[-1]])  # sorted ascending: the last is the longest
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                seq = token_ids[i]
                ids[row, : len(seq)] = seq
                mask[row, : len(seq)] = 1
            out[idx] = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            if progress is not None:
                progress(len(idx))
        return out

    def _batches(self, order: np.ndarray, lengths: np.ndarray) -> Iterator[np.ndarray]:
        """Cut the length-sorted ``order`` into batches of at most ``batch_size`` texts and at most
        ``max_batch_tokens`` padded tokens (a batch always holds at least one text)."""
        n, bs, budget = len(order), self.batch_size, self.max_batch_tokens
        start = 0
        while start < n:
            end = min(start + bs, n)
            if budget:
                k = 1
                while start + k < end and (k + 1) * int(lengths[order[start + k]]) <= budget:
                    k += 1
                end = start + k
            yield order[start:end]
            start = end

    def __repr__(self) -> str:
        return (
            f"OnnxEmbedder(model_id={self.model_id!r}, model_dir={str(self.model_dir)!r}, "
            f"cache_dir={str(self.cache_dir)!r}, batch_size={self.batch_size}, threads={self.threads})"
        )
