"""Which parser reads which manifest or lockfile, by file name."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from posixpath import basename

from ..base import Source
from . import golang, maven, npm, python, rust
from .records import DepFile

Parser = Callable[[Source], DepFile]

# (file-name pattern, parser), first match wins.
PARSERS: tuple[tuple[str, Parser], ...] = (
    ("requirements*.txt", python.parse_requirements),
    ("pyproject.toml", python.parse_pyproject),
    ("poetry.lock", python.parse_poetry_lock),
    ("uv.lock", python.parse_uv_lock),
    ("Pipfile", python.parse_pipfile),
    ("Pipfile.lock", python.parse_pipfile_lock),
    ("package.json", npm.parse_package_json),
    ("package-lock.json", npm.parse_package_lock),
    ("npm-shrinkwrap.json", npm.parse_package_lock),
    ("yarn.lock", npm.parse_yarn_lock),
    ("go.mod", golang.parse_go_mod),
    ("go.sum", golang.parse_go_sum),
    ("Cargo.toml", rust.parse_cargo_toml),
    ("Cargo.lock", rust.parse_cargo_lock),
    ("pom.xml", maven.parse_pom),
)

INCLUDE = (*(f"**/{pattern}" for pattern, _ in PARSERS), "**/requirements/*.txt")


def parser_for(rel: str) -> Parser | None:
    """The parser of the file at ``rel`` (relative path), None for a file no parser reads."""
    name = basename(rel)
    for pattern, parser in PARSERS:
        if fnmatch.fnmatchcase(name, pattern):
            return parser
    if rel.rsplit("/", 2)[-2:-1] == ["requirements"] and name.endswith(".txt"):
        return python.parse_requirements
    return None
