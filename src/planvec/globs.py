"""Glob patterns over POSIX paths relative to a root: compile, validate, select.

``*`` and ``?`` stay within one path segment, ``**`` spans segments (``**/`` also matches no directory
at all, so ``**/*.md`` matches ``a.md``), ``[abc]``, ``[a-z]`` and ``[!abc]`` (or ``[^abc]``) match one
character, and a pattern without ``/`` matches the file name at any depth (``*.md`` = ``**/*.md``).

A file name extension ending a pattern is compared without regard to case (``*.md`` matches
``x.MD``): the extension says what kind of file it is, and ``x.MD`` is as much a Markdown file as
``x.md``. Everything else is case-sensitive. An unclosed ``[`` or an invalid range is a
:class:`~planvec.errors.UsageError`, never a silent literal.

This module imports nothing heavy: the sync (which decides what an index run may delete) and file
discovery share it, so that both agree on which files a run looks at.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from .errors import UsageError

__all__ = ["check_globs", "glob_regex", "matches", "selects"]

# A literal extension ending the pattern: '.md', '.markdown', '.tar.gz' keeps only '.gz'.
_EXTENSION_RE = re.compile(r"\.([A-Za-z0-9]+)\Z")
_LITERAL_HINT = "to match a literal '[', write '[[]'"


@lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """Compile a glob (``*``, ``?``, ``[...]``, ``**``) to a regex over POSIX relative paths."""
    if not pattern:
        raise UsageError("invalid glob '': empty pattern", hint="e.g. '*.md' or 'team/**/*.md'")
    full = pattern if "/" in pattern or "**" in pattern else "**/" + pattern
    ext = _EXTENSION_RE.search(full)
    body, suffix = (full[: ext.start()], ext.group(1)) if ext else (full, "")
    out = _translate(body, pattern)
    if suffix:
        out += r"\.(?i:" + re.escape(suffix) + ")"
    try:
        return re.compile("(?s:" + out + r")\Z")
    except re.error as e:
        raise UsageError(
            f"invalid glob {pattern!r}: {e.msg}", hint="write a range low-high, e.g. [a-z]; " + _LITERAL_HINT
        ) from None


def _translate(body: str, pattern: str) -> str:
    out: list[str] = []
    i, n = 0, len(body)
    while i < n:
        if body.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif body.startswith("**", i):
            out.append(".*")
            i += 2
        elif body[i] == "*":
            out.append("[^/]*")
            i += 1
        elif body[i] == "?":
            out.append("[^/]")
            i += 1
        elif body[i] == "[":
            i = _translate_class(body, i, pattern, out)
        else:
            out.append(re.escape(body[i]))
            i += 1
    return "".join(out)


def _translate_class(body: str, i: int, pattern: str, out: list[str]) -> int:
    """Append the regex of the ``[...]`` starting at ``body[i]``; return the index after it."""
    start = i + 1
    negate = start < len(body) and body[start] in "!^"
    if negate:
        start += 1
    # A ']' right after '[' (or '[!') is a member, not the end.
    j = body.find("]", start + 1)
    if j == -1:
        raise UsageError(f"invalid glob {pattern!r}: '[' is never closed", hint=_LITERAL_HINT)
    members = "".join(c if c == "-" else re.escape(c) for c in body[start:j])
    out.append("[" + ("^" if negate else "") + members + "]")
    return j + 1


def check_globs(patterns: Sequence[str]) -> None:
    """Raise :class:`UsageError` for the first invalid pattern."""
    for p in patterns:
        glob_regex(p)


def matches(rel: str, patterns: Sequence[str]) -> bool:
    """True when the POSIX relative path ``rel`` matches one of ``patterns``."""
    return any(glob_regex(p).match(rel) for p in patterns)


def selects(rel: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    """True when ``rel`` is one of the files that ``include`` and ``exclude`` together select."""
    return matches(rel, include) and not matches(rel, exclude)
