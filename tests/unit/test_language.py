"""Corpus language detection (embedding/language.py), what embedder=auto decides from."""

from __future__ import annotations

import pytest

from planvec.embedding.language import detect


@pytest.mark.parametrize(
    ("texts", "lang"),
    [
        (["Créer l'indexeur", "Implémenter la rotation des clés", "Tests de la mémoire tampon"], "fr"),
        (["Add the cache layer for the API", "Write tests for the parser", "Deploy to staging"], "en"),
        (["Développer les KPIs", "Créer l’API", "Add OAuth support"], "fr"),  # accents count
        ([], "en"),
        (["JWTAuthenticator", "go tool pprof"], "en"),  # only identifiers: nothing tells
        (["\x00\ud800🙂", ""], "en"),
    ],
)
def test_detect(texts: list[str], lang: str) -> None:
    assert detect(texts) == lang
