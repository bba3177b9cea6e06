"""Settings: PLANVEC_* environment variables, an optional ``planvec.toml``, then command-line overrides.

Precedence (highest first): explicit arguments (CLI flags) > environment > ``planvec.toml`` in the
current directory (or the file named by ``PLANVEC_CONFIG``) > defaults.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .records import SECTIONS_COLLECTION, TASKS_COLLECTION

SearchMode = Literal["dense", "keyword", "hybrid"]
TaskTextVariant = Literal["title", "title_section", "context", "context_body"]

DEFAULT_INCLUDE = ("**/*.md", "**/*.markdown")
DEFAULT_EXCLUDE = ("**/.git/**", "**/node_modules/**", "**/.venv/**", "**/venv/**", "**/__pycache__/**")


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("planvec"))


class Settings(BaseSettings):
    """Everything configurable. Field ``x`` reads env ``PLANVEC_X`` unless an alias says otherwise."""

    model_config = SettingsConfigDict(env_prefix="PLANVEC_", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        validation_alias=AliasChoices("data_dir", "PLANVEC_HOME", "PLANVEC_DATA_DIR"),
        description="Where the embedded store (Qdrant Edge shards) lives.",
    )
    cache_dir: Path | None = Field(default=None, description="Model cache (built ONNX file).")
    qdrant_url: str | None = Field(
        default=None,
        description="Use a Qdrant server (http(s)://host:6333) or ':memory:' instead of the embedded store.",
    )
    qdrant_api_key: str | None = Field(
        default=None,
        validation_alias=AliasChoices("qdrant_api_key", "QDRANT_API_KEY", "PLANVEC_QDRANT_API_KEY"),
    )
    qdrant_timeout: float = 10.0
    qdrant_retries: int = 3

    embedder: Literal["onnx", "sentence-transformers"] = "onnx"
    model_path: str | None = Field(default=None, description="Local sentence-transformers model directory.")
    batch_size: int = Field(default=64, ge=1, le=4096)
    threads: int | None = Field(default=None, ge=1, le=256)

    include: tuple[str, ...] = DEFAULT_INCLUDE
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    max_file_bytes: int = Field(default=5_000_000, ge=1)

    tasks_collection: str = TASKS_COLLECTION
    sections_collection: str = SECTIONS_COLLECTION
    index_sections: bool = True
    task_text: TaskTextVariant = "context"
    search_mode: SearchMode = "hybrid"
    upsert_batch: int = Field(default=256, ge=1, le=10_000)

    @field_validator("include", "exclude", mode="before")
    @classmethod
    def _split_globs(cls, v: Any) -> Any:
        if isinstance(v, str):
            return tuple(p.strip() for p in v.split(",") if p.strip())
        return v

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get("PLANVEC_CONFIG", "planvec.toml"))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)
