"""What the npm parsers (package.json, package-lock.json, yarn.lock) share: specifier rules, the
manifest beside a lockfile, the descriptions of installed packages."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from ...errors import PlanvecError
from ...parsing import read_text
from ..base import Source
from .eco_common import beside, load_json
from .records import Dependency

ECOSYSTEM = "npm"
SECTIONS = (
    ("dependencies", "runtime"),
    ("devDependencies", "dev"),
    ("peerDependencies", "peer"),
    ("optionalDependencies", "optional"),
)
EXACT = re.compile(r"=?\s*v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)")
_SOURCE_PREFIXES = (
    "npm:", "git:", "git+", "github:", "gitlab:", "bitbucket:", "gist:",
    "file:", "link:", "workspace:", "portal:", "patch:", "http://", "https://",
)  # fmt: skip
_GITHUB_SHORTHAND = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+(#.*)?")

Lines = Mapping[tuple[str | int, ...], int]


def exact_version(spec: str) -> str | None:
    """The version an npm specifier pins exactly, None for a range, a tag or a URL."""
    spec = spec.strip()
    if spec.startswith("npm:"):
        spec = spec.rpartition("@")[2] if "@" in spec[5:] else ""
    m = EXACT.fullmatch(spec)
    return m.group(1) if m else None


def spec_source(spec: str) -> str:
    """The specifier itself when it names a non-registry origin, else ``""``."""
    spec = spec.strip()
    if spec.startswith(_SOURCE_PREFIXES) or _GITHUB_SHORTHAND.fullmatch(spec):
        return spec
    return ""


def lock_source(resolved: Any) -> str:
    """A lockfile ``resolved`` that is not a registry tarball (git, file, a path)."""
    if not isinstance(resolved, str) or not resolved:
        return ""
    if resolved.startswith(("http://", "https://")) and resolved.split("#", 1)[0].endswith(".tgz"):
        return ""
    return resolved


class Installed:
    """Descriptions of the installed copies (``<folder>/package.json`` below the parsed file's
    folder, ``node_modules/...``), read offline; nothing when the file was parsed from text alone
    or nothing is installed beside it."""

    def __init__(self, source: Source) -> None:
        self.base: Path | None = None
        if source.root:
            base = Path(source.root) / posixpath.dirname(source.rel)
            if (base / "node_modules").is_dir():
                self.base = base

    def describe(self, folder: str, version: str | None = None) -> str:
        """The description of the package installed at ``folder`` ("" when there is none, or when
        ``version`` is given and another version is installed there)."""
        folder = posixpath.normpath(folder)
        if self.base is None or folder.startswith(("..", "/")):
            return ""
        try:
            text, _ = read_text(self.base / folder / "package.json")
            data = json.loads(text)
        except (PlanvecError, ValueError, RecursionError):
            return ""
        if not isinstance(data, dict) or (version is not None and data.get("version") != version):
            return ""
        desc = data.get("description")
        return " ".join(desc.split())[:300] if isinstance(desc, str) else ""

    def add(self, dep: Dependency, folder: str, same_version: bool = True) -> Dependency:
        """``dep`` with the description of the copy at ``folder`` (of its version, by default)."""
        if self.base is None:
            return dep
        desc = self.describe(folder, dep.version if same_version else None)
        return replace(dep, description=desc) if desc else dep


def declared(data: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """name -> (dep_type, specifier) the manifest (or a lockfile's root entry) declares; the first
    section naming a package wins (``dependencies`` before ``devDependencies`` ...)."""
    out: dict[str, tuple[str, str]] = {}
    for section, dep_type in SECTIONS:
        table = data.get(section)
        if isinstance(table, dict):
            for name, spec in table.items():
                if isinstance(spec, str):
                    out.setdefault(name, (dep_type, spec))
    return out


def manifest_beside(source: Source) -> dict[str, tuple[str, str]] | None:
    """What the ``package.json`` in the parsed file's folder declares (see :func:`declared`), None
    when there is none (or it is not a JSON object): a lockfile's direct entries come from it."""
    found = beside(source, "package.json")
    if found is None:
        return None
    _, text = found
    data, bad = load_json(Source(found[0], text), "package.json", False)
    return None if bad is not None else declared(data)
