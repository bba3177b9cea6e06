"""Confining client-given paths to configured server folders (no traversal, symlinks resolved)."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from .errors import ApiError

MARKDOWN_SUFFIXES = (".md", ".markdown")


def resolve_inside(root: Path, given: str, *, what: str, allow_absolute: bool = False) -> Path:
    """``given`` resolved (every symlink followed) and checked to lie inside ``root``; else 400/403."""
    if not given or "\x00" in given or len(given) > 4096:
        raise ApiError(400, "invalid_path", f"{what}: empty or invalid path")
    try:
        os.fsencode(given)
    except UnicodeError:
        raise ApiError(400, "invalid_path", f"{what}: not a valid file name") from None
    pure = PurePosixPath(given.replace("\\", "/"))
    if pure.is_absolute() and not allow_absolute:
        raise ApiError(400, "invalid_path", f"{what}: must be a relative path", hint="e.g. team/plan.md")
    if ".." in pure.parts:
        raise ApiError(403, "path_outside_root", f"{what}: '..' is not allowed")
    if any(len(part.encode("utf-8", "surrogatepass")) > 255 for part in pure.parts):
        raise ApiError(400, "invalid_path", f"{what}: a path component is longer than 255 bytes")
    try:
        base = Path(os.path.realpath(Path(root).expanduser()))
        target = Path(os.path.realpath(base / Path(*pure.parts) if not pure.is_absolute() else Path(given)))
    except (OSError, ValueError) as e:
        raise ApiError(400, "invalid_path", f"{what}: {e}") from None
    if target != base and base not in target.parents:
        raise ApiError(403, "path_outside_root", f"{what}: the path leaves the allowed folder")
    return target


def within_any(roots: list[Path], given: str, *, what: str) -> Path:
    """An absolute or root-relative path that lies inside one of ``roots``."""
    last: ApiError | None = None
    for root in roots:
        try:
            return resolve_inside(root, given, what=what, allow_absolute=True)
        except ApiError as e:
            last = e
    raise last or ApiError(400, "not_configured", f"{what}: no folder is configured")


def markdown_relpath(given: str) -> str:
    if not given.lower().endswith(MARKDOWN_SUFFIXES):
        raise ApiError(400, "invalid_path", "a document path must end in .md or .markdown")
    return given
