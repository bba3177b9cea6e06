"""What the sources of ``planvec security scan`` share: a :class:`Finding`, the files of a scan
(:class:`ScanTarget`: one walk, each file read at most once) and the :class:`ScanSource` protocol.

A source has a ``name`` and ``run(target, settings) -> list[Finding]``; a source that cannot run
here (its module is not installed, no advisories were imported) raises :class:`Unavailable` with
the reason, which the report shows instead of findings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..parsing.files import DEFAULT_EXCLUDE, SourceFile, discover, read_source
from ..records import FileProblem
from ..settings import Settings

SEVERITIES = ("info", "low", "medium", "high", "critical")


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else 0


def fingerprint(*parts: object) -> str:
    """A short stable id of a finding: the same finding in the next run has the same one."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8", "surrogatepass")).hexdigest()[
        :16
    ]


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the scan reports: what (rule), how bad, where, and how to fix it."""

    rule: str  # SEC007, secret:AWSKeyDetector, sensitive-file, vulnerable-dependency...
    source: str  # the source that found it
    severity: str  # one of SEVERITIES
    title: str
    file: str
    line: int | None
    detail: str
    fix: str
    fingerprint: str

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "source": self.source,
            "severity": self.severity,
            "title": self.title,
            "file": self.file,
            "line": self.line,
            "where": self.where,
            "detail": self.detail,
            "fix": self.fix,
            "fingerprint": self.fingerprint,
        }


class Unavailable(Exception):
    """A source that cannot run here; the message says why (and how to make it run)."""


@dataclass(slots=True)
class ScanTarget:
    """The files under ``paths``: walked once, each read at most once (with the shared hygiene:
    size cap, binary files, encodings). Unreadable files are kept in ``problems``."""

    paths: Sequence[Path]
    exclude: Sequence[str] = DEFAULT_EXCLUDE
    max_bytes: int = 5_000_000
    skip_dir: Path | None = None  # planvec's data directory, when it lies under a PATH: not scanned
    problems: list[FileProblem] = field(default_factory=list)
    _files: list[SourceFile] | None = None
    _texts: dict[str, str | None] = field(default_factory=dict)

    def files(self) -> list[SourceFile]:
        if self._files is None:
            found, problems = discover(list(self.paths), ("**/*", "**/.*"), tuple(self.exclude))
            skip = self.skip_dir.resolve() if self.skip_dir is not None else None
            self._files = [sf for sf in found if skip is None or not sf.path.resolve().is_relative_to(skip)]
            self.problems.extend(problems)
        return self._files

    def name_of(self, sf: SourceFile) -> str:
        """How the report names a file: relative to its PATH, prefixed by the PATH when several."""
        if len(self.paths) < 2:
            return sf.rel
        return f"{sf.root.as_posix().rstrip('/')}/{sf.rel}"

    def text(self, sf: SourceFile) -> str | None:
        """The file's text, None for a file that cannot be read as text (a problem then)."""
        key = sf.path.as_posix()
        if key not in self._texts:
            read = read_source(sf, self.max_bytes)
            if isinstance(read, FileProblem):
                if "binary" not in read.reason:
                    self.problems.append(read)
                self._texts[key] = None
            else:
                self._texts[key] = read[0]
        return self._texts[key]


class ScanSource(Protocol):
    name: str

    def run(self, target: ScanTarget, settings: Settings) -> list[Finding]: ...
