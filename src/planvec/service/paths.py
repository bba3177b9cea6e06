"""Confining client-given paths to configured server folders (no traversal, symlinks resolved), and the
one check of client text that becomes (part of) a file name: every OS-level limit is refused up front
with a 400 and a stable code, never met later as an ``OSError``/``ValueError`` (a 500)."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path, PurePosixPath

from .errors import ApiError

MARKDOWN_SUFFIXES = (".md", ".markdown")
NAME_MAX = 255  # bytes in one path component (Linux and the usual file systems)
PATH_MAX = 4096  # bytes in a whole path, the terminating NUL included
# A document is written through a temporary sibling (tempfile's ".upload.XXXXXXXX"): its path has to fit too.
_TEMP_NAME_BYTES = 16


def check_name_text(given: str, *, what: str, code: str = "invalid_path") -> None:
    """Refuse client text that no file name here can hold (400 ``code``): empty, a NUL byte or another
    control character, a lone surrogate or U+FFFD (bytes that were not UTF-8), a ``/``-separated
    component over :data:`NAME_MAX` bytes or a whole over ``PATH_MAX - 1`` bytes (UTF-8)."""
    if not given:
        raise ApiError(400, code, f"{what}: empty")
    if "\x00" in given:
        raise ApiError(400, code, f"{what}: contains a NUL byte", hint="remove it from the name")
    bad = next((c for c in given if unicodedata.category(c) in ("Cc", "Cs") or c == "\ufffd"), None)
    if bad is not None and unicodedata.category(bad) == "Cc":
        raise ApiError(
            400,
            code,
            f"{what}: contains a control character (U+{ord(bad):04X})",
            hint="remove it from the name",
        )
    if bad is not None:
        raise ApiError(
            400,
            code,
            f"{what}: contains text that is not UTF-8 (U+{ord(bad):04X})",
            hint="send names as UTF-8",
        )
    size = len(given.encode("utf-8"))
    if size > PATH_MAX - 1:
        raise ApiError(
            400,
            code,
            f"{what}: {size} bytes, over the {PATH_MAX - 1}-byte path limit",
            hint="use a shorter path",
        )
    longest = max(len(part.encode("utf-8")) for part in given.replace("\\", "/").split("/"))
    if longest > NAME_MAX:
        raise ApiError(
            400,
            code,
            f"{what}: a name of {longest} bytes, over the {NAME_MAX}-byte limit of one path component",
            hint="use a shorter name",
        )


def _check_fits(target: Path, given: str, *, what: str) -> None:
    """The resolved path (the folder's own path included) and a temporary sibling fit in PATH_MAX."""
    full = len(os.fsencode(target))
    sibling = len(os.fsencode(target.parent)) + 1 + _TEMP_NAME_BYTES
    if max(full, sibling) > PATH_MAX - 1:
        raise ApiError(
            400,
            "invalid_path",
            f"{what}: {len(given.encode('utf-8'))} bytes, too long once inside the server's folder "
            f"(its full path would be over the {PATH_MAX - 1}-byte limit)",
            hint="use a shorter path",
        )


def resolve_inside(root: Path, given: str, *, what: str, allow_absolute: bool = False) -> Path:
    """``given`` resolved (every symlink followed) and checked to lie inside ``root``; else 400/403."""
    check_name_text(given, what=what)
    pure = PurePosixPath(given.replace("\\", "/"))
    if pure.is_absolute() and not allow_absolute:
        raise ApiError(400, "invalid_path", f"{what}: must be a relative path", hint="e.g. team/plan.md")
    if ".." in pure.parts:
        raise ApiError(403, "path_outside_root", f"{what}: '..' is not allowed")
    try:
        base = Path(os.path.realpath(Path(root).expanduser()))
        target = Path(os.path.realpath(base / Path(*pure.parts) if not pure.is_absolute() else Path(given)))
    except (OSError, ValueError) as e:
        raise ApiError(400, "invalid_path", f"{what}: {e}") from None
    if target != base and base not in target.parents:
        raise ApiError(403, "path_outside_root", f"{what}: the path leaves the allowed folder")
    _check_fits(target, given, what=what)
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
