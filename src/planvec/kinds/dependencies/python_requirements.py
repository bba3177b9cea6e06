"""pip requirements files (``requirements*.txt``, ``requirements/*.txt``) into dependencies.

``packaging`` parses each requirement (PEP 508); the file syntax around it (line continuations,
comments, ``-r``/``-c``/``-e`` and pip's options) is pip's own and pip offers no supported API for
it (``pip._internal`` is private), so the few rules are written here after pip's ``req_file.py``.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from ...errors import ParseError
from ...parsing.files import read_text
from ..base import Source
from .python_common import Collected, Req, parse_pep508
from .records import DepFile

_COMMENT_RE = re.compile(r"(^|\s+)#.*$")
# Options pip accepts on a line of their own in a requirements file: they configure pip, they
# declare nothing (``-r``, ``-c`` and ``-e`` are handled apart).
_PIP_OPTIONS = frozenset(
    [
        "-i",
        "--index-url",
        "--extra-index-url",
        "--no-index",
        "-f",
        "--find-links",
        "--no-binary",
        "--only-binary",
        "--prefer-binary",
        "--require-hashes",
        "--pre",
        "--trusted-host",
        "--use-feature",
    ]
)
# Options pip accepts after a requirement on its line.
_REQ_OPTIONS = frozenset(["--hash", "--config-settings", "--global-option", "--install-option"])
_INCLUDES = (("--requirement", "-r"), ("--constraint", "-c"), ("--editable", "-e"))
_NAME_AT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@")
_VCS_RE = re.compile(r"^(git|hg|svn|bzr)\+", re.IGNORECASE)
_EGG_RE = re.compile(r"[#&]egg=([^&\s]+)")
_ARCHIVES = (".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar.xz", ".tar")
_DEV_WORDS = frozenset(
    ["dev", "devel", "develop", "development", "test", "tests", "testing", "lint", "docs", "doc", "ci"]
)


def dep_type_of(rel: str) -> str:
    """ "dev" when the file's name says dev or test (``requirements-dev.txt``, ``requirements/test.txt``,
    ``dev-requirements.txt``), else "runtime"."""
    stem = posixpath.basename(rel).lower().rsplit(".", 1)[0]
    return "dev" if set(re.split(r"[-_.]+", stem)) & _DEV_WORDS else "runtime"


def indexed_on_its_own(rel: str) -> bool:
    """Whether the kind indexes the file at ``rel`` itself (the names the formats table gives to
    this parser): its dependencies are then not copied into the files that include it."""
    name = posixpath.basename(rel)
    in_folder = posixpath.basename(posixpath.dirname(rel)) == "requirements" and name.endswith(".txt")
    return fnmatch.fnmatchcase(name, "requirements*.txt") or in_folder


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(1-based first line, text) of each logical line: ``\\`` continuations joined, comments removed."""
    pending: list[str] = []
    first = 0
    for number, line in enumerate(text.split("\n"), 1):
        if line.endswith("\\") and not _COMMENT_RE.match(line):
            if not pending:
                first = number
            pending.append(line[:-1])
            continue
        if pending:
            joined, start, pending = "".join([*pending, line]), first, []
        else:
            joined, start = line, number
        stripped = _COMMENT_RE.sub("", joined).strip()
        if stripped:
            yield start, stripped
    if pending:
        stripped = _COMMENT_RE.sub("", "".join(pending)).strip()
        if stripped:
            yield first, stripped


def split_include(line: str) -> tuple[str, str] | None:
    """``("-r" | "-c" | "-e", value)`` of an include or editable line, None for other lines."""
    for long, short in _INCLUDES:
        if line.startswith(long):
            rest = line[len(long) :]
            if rest[:1] == "=" or rest[:1].isspace():
                return short, rest.lstrip("=").strip()
        elif line.startswith(short) and not line.startswith("--"):
            return short, line[len(short) :].lstrip("=").strip()
    return None


def parse_requirements(source: Source) -> DepFile:
    walk = _Walk(source.root, dep_type_of(source.rel), Collected(source.rel))
    walk.parse(source.rel, source.text, (source.rel,), None, "")
    return DepFile(
        source.rel,
        "requirements",
        False,
        dependencies=tuple(walk.out.deps),
        includes=tuple(walk.includes),
        warnings=source.warnings,
        problems=tuple(walk.out.problems),
    )


@dataclass
class _Walk:
    """One requirements file and the files it includes, walked depth first."""

    root: str
    dep_type: str
    out: Collected
    includes: list[str] = field(default_factory=list)

    def parse(self, rel: str, text: str, stack: tuple[str, ...], via: int | None, group: str) -> None:
        """Add the dependencies of ``text`` (the file ``rel``); ``via`` is the line of the top file's
        ``-r``/``-c`` that led here (None for the top file itself)."""
        for line, content in logical_lines(text):
            where = via if via is not None else line
            include = split_include(content)
            if include is not None and include[0] != "-e":
                self._include(rel, line, include, stack, where, group)
            elif include is not None:
                self._editable(rel, line, include[1], where, group)
            elif content.startswith("-"):
                flag = content.split("=", 1)[0].split(None, 1)[0]
                if flag not in _PIP_OPTIONS:
                    self.out.problem(f"unknown pip option {flag!r}", line, rel)
            else:
                self._requirement(rel, line, content, where, group)

    def _add(self, req: Req, where: int, group: str) -> None:
        self.out.deps.append(req.dep(self.dep_type, where, group))

    def _requirement(self, rel: str, line: int, content: str, where: int, group: str) -> None:
        args, options = _split_options(content)
        for opt in options:
            if opt.split("=", 1)[0] not in _REQ_OPTIONS:
                self.out.problem(f"unknown option {opt.split('=', 1)[0]!r} after a requirement", line, rel)
        if not args:
            self.out.problem("options without a requirement", line, rel)
            return
        folder = posixpath.dirname(rel)
        if not _NAME_AT_RE.match(args) and _is_location(args, self.root, folder):
            found = location_req(args, "", self.root, folder)
        else:
            found = parse_pep508(args)
        if isinstance(found, str):
            self.out.problem(found, line, rel)
        else:
            self._add(found, where, group)

    def _editable(self, rel: str, line: int, value: str, where: int, group: str) -> None:
        if not value:
            self.out.problem("-e without a path or URL", line, rel)
            return
        found = location_req(value, "-e ", self.root, posixpath.dirname(rel))
        if isinstance(found, str):
            self.out.problem(found, line, rel)
        else:
            self._add(found, where, group)

    def _include(
        self, rel: str, line: int, include: tuple[str, str], stack: tuple[str, ...], where: int, group: str
    ) -> None:
        flag, target = include
        target = target.strip("'\"")
        if not target:
            self.out.problem(f"{flag} without a file name", line, rel)
            return
        if "://" in target:
            self.out.problem(f"include {target} is a URL: not fetched (planvec works offline)", line, rel)
            return
        if not self.root:
            self.out.problem(f"cannot follow include {target} without a root", line, rel)
            return
        inc = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
        if inc in stack:
            self.out.problem(f"include loop: {' -> '.join([*stack, inc])}", line, rel)
            return
        try:
            text, _ = read_text(Path(self.root) / inc)
        except ParseError as exc:
            self.out.problem(f"cannot read include {target}: {_reason(exc)}", line, rel)
            return
        if inc not in self.includes:
            self.includes.append(inc)
        if flag == "-c":
            self.parse(inc, text, (*stack, inc), where, "constraint")
        elif group == "constraint" or not indexed_on_its_own(inc):
            self.parse(inc, text, (*stack, inc), where, group if group == "constraint" else inc)


def _reason(exc: ParseError) -> str:
    """The error without the absolute path it starts with (the problem names the include)."""
    msg = exc.message
    return msg.split(": ", 1)[1] if ": " in msg and msg.startswith(os.sep) else msg


def _split_options(content: str) -> tuple[str, list[str]]:
    """The requirement and the options after it (pip: the first word starting with ``-`` on)."""
    words = content.split(" ")
    for i, word in enumerate(words):
        if word.startswith("-"):
            return " ".join(words[:i]).strip(), [w for w in words[i:] if w.startswith("-")]
    return content.strip(), []


def _is_location(text: str, root: str, folder: str) -> bool:
    """Whether a requirement line names a URL, an archive or a local path rather than a package."""
    head = re.split(r"\s;|;\s", text, maxsplit=1)[0].strip()
    if "://" in head or head.startswith(("file:", ".", "/", "~")) or _VCS_RE.match(head):
        return True
    if head.lower().endswith(_ARCHIVES):
        return True
    # pip takes a bare ``a/b`` for a path only when that directory exists.
    return bool(root) and "/" in head and (Path(root) / folder / head).is_dir()


def location_req(text: str, prefix: str, root: str, folder: str) -> Req | str:
    """A URL, VCS or local path requirement (``prefix`` "-e " for editables): its name from
    ``#egg=``, else the archive's file name, else the last path segment."""
    parts = re.split(r"\s;|;\s", text, maxsplit=1)
    target, marker = parts[0].strip(), (parts[1].strip() if len(parts) > 1 else "")
    extras: tuple[str, ...] = ()
    bare = target
    m = re.search(r"\[([^\]]*)\]$", target)
    if m and "#" not in target:
        bare = target[: m.start()]
        extras = tuple(sorted(e.strip() for e in m.group(1).split(",") if e.strip()))
    name, version = _location_name(bare, root, folder)
    if not name:
        return f"cannot tell the package name of {target!r}; add #egg=NAME"
    return Req(canonicalize_name(name), "", version, marker, extras, f"{prefix}{text.strip()}")


def _location_name(target: str, root: str, folder: str) -> tuple[str, str | None]:
    egg = _EGG_RE.search(target)
    if egg:
        return egg.group(1).split("[", 1)[0], None
    vcs = bool(_VCS_RE.match(target))
    path = target.split("#", 1)[0].split("?", 1)[0]
    url = "://" in path
    if url:  # the URL's path, never its host
        path = urlsplit(path.split("+", 1)[-1] if vcs else path).path
    path = path.rstrip("/")
    segment = path.rsplit("/", 1)[-1]
    if segment.lower().endswith(_ARCHIVES):
        return _archive_name(segment)
    if vcs and "@" in segment:
        segment = segment.split("@", 1)[0]
    segment = segment.removesuffix(".git")
    if segment in ("", ".", "..") and root and not url:
        segment = Path(os.path.normpath(Path(root) / folder / path)).name
    return (segment if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", segment) else ""), None


def _archive_name(filename: str) -> tuple[str, str | None]:
    """(name, version) of a wheel or source archive file name; for names ``packaging`` does not
    read (``.tar.bz2``, non-standard ones), ``NAME-VERSION.ext`` split at its last ``-``."""
    try:
        if filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
            return name, str(version)
        name, version = parse_sdist_filename(filename)
        return name, str(version)
    except (InvalidWheelFilename, InvalidSdistFilename):
        pass
    stem = next(filename[: -len(ext)] for ext in _ARCHIVES if filename.lower().endswith(ext))
    m = re.fullmatch(r"(.+?)-(\d[^-]*)", stem)
    if m:
        try:
            return m.group(1), str(Version(m.group(2)))
        except InvalidVersion:
            pass
    return stem, None
