"""The paraphrase dev set and its checker (benchmarks/check_paraphrases.py)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

SHARED = Path(os.environ.get("PLANVEC_SHARED_DIR") or Path(__file__).resolve().parents[2].parent / "shared")
BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_paraphrases", BENCH / "check_paraphrases.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


check = _checker()


@pytest.mark.parametrize(
    ("query", "title", "shared"),
    [
        ("configurer les tâches", "Tâche de configuration", ["configurer", "tâches"]),
        ("securite des taches", "Sécurité des tâches", ["securite", "taches"]),  # accents folded
        ("running the tests", "Run test suites", ["running", "tests"]),  # English stems
        ("le cache de la base", "Vider le cache", ["cache"]),  # stop words never count
        ("quarantine dangerous uploads", "Développer l'isolation des fichiers suspects", []),
        ("les fichiers", "CrÃ©er les fichiers", ["fichiers"]),
        ("créer un tableau", "CrÃ©er les fichiers", ["créer"]),  # mojibake repaired before comparing
    ],
)
def test_shared_words(query: str, title: str, shared: list[str]) -> None:
    assert check.shared_words(query, title) == shared


def test_problems_reports_each_bad_row(tmp_path: Path) -> None:
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "p.md").write_text("# Plan\n\n- [ ] Configurer le cache Redis\n", encoding="utf-8")
    good = {
        "query": "mémoire tampon",
        "lang": "fr",
        "root": "plans",
        "file": "p.md",
        "line": 3,
        "title": "Configurer le cache Redis",
    }
    rows = [
        good,
        {**good, "query": "le cache partagé"},  # a shared word, and the same target again
        {**good, "line": 1},  # not a task
        {**good, "title": "Autre chose"},
        {"query": "x"},
    ]
    found = check.problems(rows, corpus=tmp_path)
    assert any(p.startswith("#2:") and "shares cache" in p for p in found)
    assert any(p.startswith("#2:") and "another query" in p for p in found)
    assert any(p.startswith("#3:") and "no task" in p for p in found)
    assert any(p.startswith("#4:") and "'Configurer le cache Redis', not 'Autre chose'" in p for p in found)
    assert any(p.startswith("#5:") and "missing" in p for p in found)
    assert not any(p.startswith("#1:") for p in found)


def test_dev_set_passes_the_checker() -> None:
    corpus = SHARED / "corpus"
    if not (corpus / "roadmaps-more").is_dir():
        pytest.skip(f"shared corpus not found at {corpus} (set PLANVEC_SHARED_DIR)")
    rows = check.load()
    assert len(rows) >= 120
    fr = sum(r["lang"] == "fr" for r in rows)
    assert fr / len(rows) >= 0.6 and len(rows) - fr >= len(rows) / 4
    assert sum(bool(r.get("cross")) for r in rows) >= 20
    assert check.problems(rows, corpus=corpus) == []
