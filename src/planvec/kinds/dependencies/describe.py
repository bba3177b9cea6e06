"""Offline descriptions of dependencies: what the installed packages next to a manifest say.

- npm: ``<dir>/node_modules/<name>/package.json`` "description", for the names the file lists;
- Python: the ``Summary:`` header of ``<dir>/{.venv,venv}/lib/python*/site-packages/*.dist-info/METADATA``
  (``Lib/site-packages`` on Windows), for the names the file lists.

Only what is there is read, and boundedly: no walk of the disk (one directory listing per
site-packages, one small file per described dependency, at most :data:`MAX_READS` per directory).
A file that cannot be read or parsed gives no description: descriptions are a bonus, never a
problem of the manifest.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from email.parser import HeaderParser
from pathlib import Path

from packaging.utils import canonicalize_name

from ...errors import ParseError
from ...parsing.files import read_text

MAX_CHARS = 240  # of a description: enough to say what a package is for
MAX_READS = 5000  # description files read per directory
MAX_FILE_BYTES = 1_000_000
VENVS = (".venv", "venv")


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1].rstrip() + "…"


def npm_descriptions(directory: Path, names: Iterable[str]) -> dict[str, str]:
    """name -> description from ``directory/node_modules/<name>/package.json``."""
    modules = directory / "node_modules"
    if not modules.is_dir():
        return {}
    out: dict[str, str] = {}
    for name in list(dict.fromkeys(names))[:MAX_READS]:
        if not name or ".." in name.split("/") or name.startswith("/"):
            continue
        path = modules / name / "package.json"
        try:
            data = json.loads(read_text(path, MAX_FILE_BYTES)[0])
        except (OSError, ParseError, ValueError):
            continue
        description = data.get("description") if isinstance(data, dict) else None
        if isinstance(description, str) and description.strip():
            out[name] = _short(description)
    return out


def _site_packages(directory: Path) -> list[Path]:
    found = []
    for venv in VENVS:
        base = directory / venv
        if not base.is_dir():
            continue
        found += sorted((base / "lib").glob("python*/site-packages")) if (base / "lib").is_dir() else []
        if (base / "Lib" / "site-packages").is_dir():
            found.append(base / "Lib" / "site-packages")
    return found


def _dist_infos(site: Path) -> dict[str, Path]:
    """canonical name -> its ``*.dist-info`` directory (one listing of site-packages)."""
    out: dict[str, Path] = {}
    try:
        entries = list(site.iterdir())
    except OSError:
        return out
    for entry in entries:
        if entry.name.endswith(".dist-info"):
            name = entry.name[: -len(".dist-info")].rsplit("-", 1)[0]
            out.setdefault(canonicalize_name(name), entry)
    return out


def _summary(metadata: Path) -> str:
    try:
        text = read_text(metadata, MAX_FILE_BYTES)[0]
    except (OSError, ParseError):
        return ""
    head = text.split("\n\n", 1)[0]  # the headers end at the first blank line (the body follows)
    summary = HeaderParser().parsestr(head).get("Summary") or ""
    return _short(str(summary)) if str(summary).strip().upper() != "UNKNOWN" else ""


def python_descriptions(directory: Path, names: Iterable[str]) -> dict[str, str]:
    """canonical name -> Summary of the distribution installed in a virtualenv of ``directory``."""
    infos: dict[str, Path] = {}
    for site in _site_packages(directory):
        for name, path in _dist_infos(site).items():
            infos.setdefault(name, path)
    if not infos:
        return {}
    out: dict[str, str] = {}
    for name in list(dict.fromkeys(names))[:MAX_READS]:
        info = infos.get(canonicalize_name(name))
        if info is not None and (summary := _summary(info / "METADATA")):
            out[name] = summary
    return out
