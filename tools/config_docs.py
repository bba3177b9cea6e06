"""Write (or check) the configuration reference from the Settings model, so the docs always name
every key: ``docs/configuration.md`` (a table: key, environment variable, default, meaning) and the
README's one-paragraph list of keys between its ``<!-- config-keys -->`` markers.

    python tools/config_docs.py          # rewrite both
    python tools/config_docs.py --check  # exit 1 when either is out of date (the tests run this)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pydantic_core import PydanticUndefined

from planvec.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "configuration.md"
README = ROOT / "README.md"
BEGIN, END = "<!-- config-keys -->", "<!-- /config-keys -->"

GROUPS = (
    ("Store", ("data_dir", "qdrant_url", "qdrant_api_key", "qdrant_timeout", "qdrant_retries", "hnsw_ef",
               "disk_reserve_mb", "upsert_batch")),
    ("Model", ("embedder", "model_path", "cache_dir", "batch_size", "threads")),
    ("Files", ("include", "exclude", "max_file_bytes", "kinds")),
    ("Plans", ("tasks_collection", "sections_collection", "index_sections", "task_text")),
    ("Search", ("search_mode", "fusion")),
    ("Embedding cache and index lock", ("cache_l1_size", "redis_url", "cache_l2_ttl", "cache_l2_size",
        "cache_l3_size", "cache_l3_path", "index_lock_wait", "index_lock_ttl")),
    ("Secrets and personal data", ("redact_personal", "index_secret_files")),
    ("Live sync", ("watch",)),
)  # fmt: skip


def _env(name: str, field: Any) -> str:
    alias = field.validation_alias
    choices = getattr(alias, "choices", None)
    if choices:
        envs = [c for c in choices if isinstance(c, str) and c.isupper()]
        if envs:
            return ", ".join(f"`{e}`" for e in envs)
    return f"`PLANVEC_{name.upper()}`"


def _default(field: Any) -> str:
    if field.default_factory is not None:
        return "computed" if field.annotation is not dict else "`{}`"
    value = field.default
    if value is PydanticUndefined or value is None:
        return "none"
    if isinstance(value, tuple):
        return ", ".join(f"`{v}`" for v in value) or "none"
    return f"`{value}`"


def groups() -> list[tuple[str, list[str]]]:
    """Every settings key, in groups (what no group names is a service or other key)."""
    names = list(Settings.model_fields)
    out: list[tuple[str, list[str]]] = []
    seen: set[str] = set()
    for title, keys in GROUPS:
        present = [k for k in keys if k in names]
        seen.update(present)
        out.append((title, present))
    service = [k for k in names if k not in seen and k in _SERVICE]
    seen.update(service)
    out.append(("HTTP service", service))
    rest = [k for k in names if k not in seen]
    if rest:
        out.append(("Other", rest))
    return out


# Meanings of the keys whose Field has no description yet.
_MEANING = {
    "qdrant_api_key": "API key of the Qdrant server (also `QDRANT_API_KEY`).",
    "qdrant_timeout": "Seconds a Qdrant server call may take.",
    "qdrant_retries": "Retries of a failed Qdrant server call.",
    "embedder": "Embedding backend: `onnx` (bundled model) or `sentence-transformers` (with `model_path`).",
    "batch_size": "Texts per embedding batch.",
    "threads": "ONNX Runtime threads (default: every core).",
    "include": "Globs of the plan files (the plans kind's default; `[kinds.NAME] include` for others).",
    "exclude": "Globs no kind reads (added to by `--exclude` and `[kinds.NAME] exclude`).",
    "max_file_bytes": "Larger files are not indexed (a reported problem).",
    "tasks_collection": "Collection of the plans' tasks.",
    "sections_collection": "Collection of the plans' prose sections.",
    "index_sections": "Index prose sections too (`--no-sections` turns it off for one run).",
    "task_text": "What is embedded per task: `title`, `title_section`, `context`, `context_body`.",
    "search_mode": "Default search mode: `dense`, `keyword` or `hybrid`.",
    "upsert_batch": "Points per store write.",
    "port": "Port `planvec serve` binds to (0: any free port).",
    "rate_burst": "Burst of the per-key rate limit.",
    "max_body_bytes": "Larger request bodies get 413.",
    "unauth_rate_burst": "Burst of the per-address limit for requests without a valid key.",
    "job_wait_seconds": "How long a write request waits for its job before answering 202.",
    "kinds": "Per-kind settings (`[kinds.NAME]`: enabled, include, exclude, collections, options).",
}

_SERVICE = {
    "host", "port", "keys_file", "api_keys", "index_paths", "documents_root", "import_dir", "rate_limit",
    "rate_burst", "max_body_bytes", "cors_origins", "allowed_hosts", "audit_log", "audit_max_bytes",
    "audit_backups", "unauth_rate_limit", "unauth_rate_burst", "open_mode", "search_threads",
    "batch_window_ms", "job_wait_seconds",
}  # fmt: skip


def reference() -> str:
    lines = [
        "# Configuration reference",
        "",
        "Every key of `planvec.toml`, with its environment variable, default and meaning; generated",
        "from `planvec.settings.Settings` by `python tools/config_docs.py` (the tests fail when it is",
        "out of date). Precedence: command-line flags > environment > `planvec.toml` > defaults.",
        "",
    ]
    fields = Settings.model_fields
    for title, keys in groups():
        lines += [f"## {title}", "", "| key | environment | default | meaning |", "|---|---|---|---|"]
        for k in keys:
            f = fields[k]
            meaning = (f.description or _MEANING.get(k, "")).replace("|", "\\|").replace("\n", " ")
            lines.append(f"| `{k}` | {_env(k, f)} | {_default(f)} | {meaning} |")
        lines.append("")
    return "\n".join(lines)


def readme_block() -> str:
    parts = [f"**{title}**: " + ", ".join(f"`{k}`" for k in keys) + "." for title, keys in groups() if keys]
    return "\n".join([BEGIN, "Keys: " + " ".join(parts), END])


def _readme_with(block: str) -> str:
    text = README.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[:start] + block + text[end:]


def main(argv: list[str]) -> int:
    doc, readme = reference(), _readme_with(readme_block())
    if "--check" in argv:
        pairs = ((DOC, doc), (README, readme))
        stale = [p.name for p, want in pairs if p.read_text(encoding="utf-8") != want]
        if stale:
            print(f"out of date: {', '.join(stale)}: run python tools/config_docs.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(doc, encoding="utf-8")
    README.write_text(readme, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
