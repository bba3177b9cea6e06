"""Finding files on disk and reading them safely (for every kind of knowledge).

* :func:`discover` walks PATH arguments (directories or single files) with include/exclude globs,
  follows directory symlinks but reports symlink loops, and returns a sorted, duplicate-free list.
* :func:`read_text` reads one file with the hygiene every parser needs (size cap, binary detection,
  BOM, line endings, invalid and double-encoded UTF-8) and raises :class:`~planvec.errors.ParseError`
  with a clear reason for files that cannot be indexed.
* :func:`read_source` = :func:`read_text` that never raises for a bad file: it returns a
  :class:`~planvec.records.FileProblem` instead. Each kind then parses the text (``planvec.kinds``).

Glob patterns match the POSIX path relative to the root (see :mod:`planvec.globs`: ``**`` spans
segments, a pattern without ``/`` matches the file name at any depth, the extension ending a pattern
is compared without regard to case so ``*.md`` matches ``x.MD``).
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import ftfy

from planvec.errors import ParseError
from planvec.globs import check_globs, glob_regex, selects
from planvec.records import FileProblem

__all__ = [
    "DEFAULT_EXCLUDE",
    "DEFAULT_INCLUDE",
    "DEFAULT_MAX_BYTES",
    "SourceFile",
    "discover",
    "read_source",
    "read_text",
]

DEFAULT_INCLUDE: tuple[str, ...] = ("**/*.md", "**/*.markdown")
DEFAULT_EXCLUDE: tuple[str, ...] = (
    "**/.git/**",
    "**/.hg/**",
    "**/.svn/**",
    "**/node_modules/**",
    "**/.venv/**",
    "**/venv/**",
    "**/__pycache__/**",
    "**/.tox/**",
)
DEFAULT_MAX_BYTES = 5_000_000

_SNIFF_BYTES = 8192
# Bytes that may appear in text: TAB LF VT FF CR ESC and everything from space upwards except DEL.
_TEXT_BYTES = bytes([7, 8, 9, 10, 11, 12, 13, 27]) + bytes(range(0x20, 0x7F)) + bytes(range(0x80, 0x100))
_MIN_RATIO_SAMPLE = 32
_MAX_CONTROL_RATIO = 0.10
_MAX_REPLACEMENT_RATIO = 0.30
_MOJIBAKE_HINTS = ("Ã", "Â", "â€", "Å")
# 'Ã‰' (É double-encoded) whose '‰' was later degraded to '%': ftfy cannot undo that step.
_DEGRADED_E_ACUTE_RE = re.compile(r"Ã%(?=[a-zà-ÿ])")


@dataclass(frozen=True, slots=True, order=True)
class SourceFile:
    """One file to index: the root it was found under, its absolute path, its POSIX path relative to root."""

    root: Path
    path: Path
    rel: str


# --------------------------------------------------------------------------------------------------
# discovery


def _dir_excluded(rel_dir: str, exclude: Sequence[str]) -> bool:
    """A directory is pruned when a ``.../**`` exclude pattern matches it (and so all it contains)."""
    return any(p.endswith("/**") and glob_regex(p[:-3]).match(rel_dir) for p in exclude)


def _rel(path: str, root: str) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def _walk_root(
    root: str, include: Sequence[str], exclude: Sequence[str]
) -> tuple[list[SourceFile], list[FileProblem]]:
    found: list[SourceFile] = []
    problems: list[FileProblem] = []
    visited: set[str] = set()
    root_path = Path(root)

    def on_error(err: OSError) -> None:
        where = _rel(err.filename, root) if err.filename else "."
        problems.append(FileProblem(where, f"cannot list directory: {err.strerror or err}"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=on_error, followlinks=True):
        real_dir = os.path.realpath(dirpath)
        if real_dir in visited:  # reached twice through symlinks: walk it once
            dirnames[:] = []
            continue
        visited.add(real_dir)
        keep: list[str] = []
        for d in sorted(dirnames):
            full = os.path.join(dirpath, d)
            rel_d = _rel(full, root)
            if _dir_excluded(rel_d, exclude):
                continue
            if os.path.islink(full):
                target = os.path.realpath(full)
                if real_dir == target or real_dir.startswith(target.rstrip(os.sep) + os.sep):
                    problems.append(
                        FileProblem(rel_d, f"symlink loop: points to its own ancestor {target}; not followed")
                    )
                    continue
                if target in visited:
                    continue
            keep.append(d)
        dirnames[:] = keep
        for name in filenames:
            full = os.path.join(dirpath, name)
            rel_f = _rel(full, root)
            if not selects(rel_f, include, exclude):
                continue
            try:
                st = os.stat(full)
            except OSError as exc:
                reason = "broken symbolic link" if os.path.islink(full) else "cannot stat"
                problems.append(FileProblem(rel_f, f"{reason}: {exc.strerror or exc}"))
                continue
            if not stat.S_ISREG(st.st_mode):
                problems.append(FileProblem(rel_f, "not a regular file"))
                continue
            found.append(SourceFile(root_path, Path(full), rel_f))
    return found, problems


def discover(
    paths: Sequence[Path],
    include: Sequence[str] = DEFAULT_INCLUDE,
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
) -> tuple[list[SourceFile], list[FileProblem]]:
    """Files to index under ``paths``, sorted by (root, rel), each real file once; plus problems.

    A directory PATH is its own root; a file PATH has its parent directory as root and is taken even if
    it does not match ``include``/``exclude`` (it was named explicitly). A PATH that does not exist is
    reported as a FileProblem (path = the argument as given); the caller decides whether that is a usage
    error. Directory symlinks are followed; a symlink to one of its own ancestors is reported and not
    followed, a directory reached twice is walked once. Unreadable directories, broken symlinks and
    non-regular files (FIFOs…) matching ``include`` are reported too. An invalid glob raises
    :class:`~planvec.errors.UsageError` before anything is read.
    """
    check_globs([*include, *exclude])
    found: list[SourceFile] = []
    problems: list[FileProblem] = []
    for arg in paths:
        p = Path(os.path.abspath(os.fspath(arg)))
        if not os.path.exists(p):
            reason = "broken symbolic link" if os.path.islink(p) else "no such file or directory"
            problems.append(FileProblem(os.fspath(arg), reason))
        elif p.is_dir():
            f, pr = _walk_root(os.fspath(p), include, exclude)
            found.extend(f)
            problems.extend(pr)
        elif p.is_file():
            found.append(SourceFile(p.parent, p, p.name))
        else:
            problems.append(FileProblem(os.fspath(arg), "not a regular file or directory"))
    out: list[SourceFile] = []
    seen: set[str] = set()
    for sf in sorted(found, key=lambda s: (s.root.as_posix(), s.rel)):
        real = os.path.realpath(sf.path)
        if real in seen:
            continue
        seen.add(real)
        out.append(sf)
    unique_problems = sorted(set(problems), key=lambda pr: (pr.path, pr.reason))
    return out, unique_problems


# --------------------------------------------------------------------------------------------------
# reading


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ParseError(f"{path}: no such file", hint="it may have been deleted; run again") from None
    except OSError as exc:
        raise ParseError(f"{path}: unreadable ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise ParseError(f"{path}: is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise ParseError(f"{path}: not a regular file")
    if st.st_size > max_bytes:
        raise ParseError(
            f"{path}: file is {st.st_size} bytes, over the {max_bytes}-byte limit",
            hint="raise the size limit or exclude this file",
        )
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except PermissionError:
        raise ParseError(
            f"{path}: unreadable (permission denied)", hint="check the file's permissions"
        ) from None
    except IsADirectoryError:
        raise ParseError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise ParseError(f"{path}: unreadable ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise ParseError(
            f"{path}: file is over the {max_bytes}-byte limit",
            hint="raise the size limit or exclude this file",
        )
    return data


def _check_binary(path: Path, data: bytes) -> None:
    sample = data[:_SNIFF_BYTES]
    if b"\x00" in sample:
        raise ParseError(f"{path}: binary file (NUL bytes in the first 8 KB)", hint="exclude it")
    if len(sample) >= _MIN_RATIO_SAMPLE:  # ratios on a few bytes say nothing
        control = len(sample.translate(None, _TEXT_BYTES))
        decoded = sample.decode("utf-8", errors="replace")
        bad = decoded.count("\ufffd")
        if control / len(sample) > _MAX_CONTROL_RATIO or bad / max(len(decoded), 1) > _MAX_REPLACEMENT_RATIO:
            raise ParseError(f"{path}: binary file (mostly non-text bytes)", hint="exclude it")


def _fix_mojibake(text: str) -> tuple[str, int]:
    """Repair double-encoded UTF-8 line by line (only lines showing a marker); return text, lines fixed."""
    if not any(h in text for h in _MOJIBAKE_HINTS):
        return text, 0
    original = text.split("\n")
    lines = [ftfy.fix_encoding(ln) if any(h in ln for h in _MOJIBAKE_HINTS) else ln for ln in original]
    if lines == original:
        return text, 0
    # Only in a file shown to hold double-encoded text: also undo the degraded 'Ã%' form of 'É'.
    lines = [_DEGRADED_E_ACUTE_RE.sub("É", ln) if "Ã%" in ln else ln for ln in lines]
    fixed = sum(1 for a, b in zip(original, lines, strict=True) if a != b)
    return "\n".join(lines), fixed


def read_text(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[str, list[str]]:
    """Read a text file for parsing; return ``(text, warnings)``.

    Raises :class:`ParseError` when the file is over ``max_bytes``, unreadable (permissions, a directory,
    not a regular file) or binary (NUL bytes in the first 8 KB, or mostly control bytes / invalid
    UTF-8). Otherwise: a UTF-8 BOM is dropped (a UTF-16 BOM means UTF-16, decoded with a warning),
    CRLF and CR become LF, tabs are left for markdown-it, invalid UTF-8 is decoded with U+FFFD and a
    warning ``invalid UTF-8 at byte offset N (replaced)`` (N = first bad byte in the file), lines
    showing double-encoded UTF-8 (``Ã©``, ``â€™``…) are repaired with ``ftfy.fix_encoding`` and a
    warning ``repaired double-encoded UTF-8 (K lines)``; an empty or blank file gives ``""`` and the
    warning ``empty file``.
    """
    data = _read_bytes(Path(path), max_bytes)
    warnings: list[str] = []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not data.startswith(codecs.BOM_UTF8):
        text = data.decode("utf-16", errors="replace")
        warnings.append("decoded as UTF-16 (byte order mark)")
    else:
        bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
        body = data[bom:]
        _check_binary(Path(path), body)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            text = body.decode("utf-8", errors="replace")
            warnings.append(f"invalid UTF-8 at byte offset {exc.start + bom} (replaced)")
    text = text.lstrip("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text, fixed = _fix_mojibake(text)
    if fixed:
        warnings.append(f"repaired double-encoded UTF-8 ({fixed} line{'s' if fixed > 1 else ''})")
    if not text.strip():
        return "", [*warnings, "empty file"]
    return text, warnings


def read_source(
    source: SourceFile, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[str, list[str]] | FileProblem:
    """``(text, warnings)`` of one discovered file, or the FileProblem saying why it cannot be indexed."""
    try:
        return read_text(source.path, max_bytes)
    except ParseError as exc:
        return FileProblem(source.rel, _reason(exc, source))


def _reason(exc: ParseError, source: SourceFile) -> str:
    """The ParseError message without its path prefix (the FileProblem carries the rel path), plus hint."""
    msg = exc.message
    prefix = f"{source.path}: "
    msg = msg[len(prefix) :] if msg.startswith(prefix) else msg
    return f"{msg}; {exc.hint}" if exc.hint else msg
