"""What the index-health operations share: problems found, each with the command that fixes it.

Below the operations (check, verify, diagnose, fix) and :mod:`.reports`, which renders them.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from ..settings import Settings


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing found wrong, with the exact command that fixes it (None when no command can)."""

    code: str  # stable identifier, e.g. "dimension_mismatch"
    message: str
    fix: str | None = None
    severity: str = "error"  # "error" (exit 1) or "warning" (reported, exit code unaffected)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Report(Protocol):
    @property
    def ok(self) -> bool: ...

    def to_dict(self) -> dict[str, Any]: ...


def cli_prefix(settings: Settings) -> str:
    """``planvec`` plus the global options that select this store, so a printed command is exact."""
    parts = ["planvec"]
    if settings.qdrant_url:
        parts += ["--qdrant-url", settings.qdrant_url]
    elif Path(settings.data_dir).expanduser() != _default_data_dir():
        parts += ["--data-dir", str(settings.data_dir)]
    return " ".join(shlex.quote(p) for p in parts)


def _default_data_dir() -> Path:
    default = Settings.model_fields["data_dir"].get_default(call_default_factory=True)
    return Path(default).expanduser()


def fix_command(settings: Settings, roots: Iterable[str] = (), *extra: str) -> str:
    """The exact ``planvec fix`` command line for this store (roots: the plan directories)."""
    args = [shlex.quote(r) for r in sorted(set(roots))]
    return " ".join([cli_prefix(settings), "fix", *args, *extra, "--yes"])
