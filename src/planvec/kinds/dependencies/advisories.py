"""The local advisory database (OSV records imported by ``planvec advisories import``) and the
assessment of one dependency against it (placeholder: being written)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .records import Dependency

ADVISORIES_FILE = "advisories.sqlite"  # under the data directory


@dataclass(frozen=True, slots=True)
class Assessment:
    """What the advisories say about one dependency."""

    state: str  # "unknown" (no advisories imported), "none", "possibly_affected", "affected"
    ids: tuple[str, ...] = ()  # advisory ids (OSV ids / aliases) that apply
    fixed: tuple[str, ...] = ()  # versions that fix them


class AdvisoryDB:
    """Read access to the imported advisories."""

    @classmethod
    def open(cls, path: Path) -> AdvisoryDB | None:
        """The database at ``path``, None when no advisories were imported."""
        return None

    def assess(self, dep: Dependency) -> Assessment:
        return Assessment("unknown")
