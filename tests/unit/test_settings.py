"""Settings from the environment and planvec.toml, with the documented precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from planvec.settings import Settings


def test_comma_separated_globs_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANVEC_INCLUDE", "**/*.md, **/*.txt")
    monkeypatch.setenv("PLANVEC_EXCLUDE", "**/drafts/**")
    s = Settings()
    assert s.include == ("**/*.md", "**/*.txt")
    assert s.exclude == ("**/drafts/**",)


def test_home_env_and_toml_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    toml = tmp_path / "planvec.toml"
    toml.write_text('data_dir = "/from/toml"\nbatch_size = 8\nsearch_mode = "dense"\n', encoding="utf-8")
    monkeypatch.setenv("PLANVEC_CONFIG", str(toml))
    monkeypatch.setenv("PLANVEC_HOME", "/from/env")
    s = Settings()
    assert s.data_dir == Path("/from/env")  # env beats the file
    assert s.batch_size == 8 and s.search_mode == "dense"  # the file beats defaults
    assert Settings(batch_size=3).batch_size == 3  # arguments beat everything


def test_task_text_variants_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    for variant in ("title", "title_section", "context", "context_body"):
        monkeypatch.setenv("PLANVEC_TASK_TEXT", variant)
        assert Settings().task_text == variant


def test_hnsw_ef_reaches_the_embedded_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from planvec.engine import Engine

    monkeypatch.setenv("PLANVEC_HNSW_EF", "256")
    with Engine(Settings(data_dir=tmp_path)) as eng:
        assert eng.store.hnsw_ef == 256  # type: ignore[attr-defined]
    monkeypatch.setenv("PLANVEC_HNSW_EF", "0")
    with pytest.raises(ValueError, match="hnsw_ef"):
        Settings(data_dir=tmp_path)
