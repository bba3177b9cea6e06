"""Go modules into :class:`DepFile` records.

``go.mod`` is read by hand: its reference parser is Go's ``golang.org/x/mod/modfile``, which has no
Python port nor binding, and no maintained Python library reads the format. The reader follows
modfile's lexical rules (``//`` comments, ``"…"`` and `````…````` quoted tokens, ``verb (`` … ``)``
blocks) and the directives of the Go reference:

- ``require path version`` (single lines and blocks): one runtime dependency, ``version`` and
  ``specifier`` the required version, ``direct`` False when the line's comment is ``// indirect``;
- ``replace old [v] => new [v]`` (single and block): the replaced requirement's ``source`` becomes
  ``=> new [v]`` (every version of ``old``, or only ``v``); a replace that matches no requirement
  is a warning;
- ``exclude path version``: a dependency with specifier ``!= version``, no version and source
  ``exclude``;
- ``module`` gives ``project``; ``go``, ``toolchain``, ``godebug``, ``retract``, ``tool`` and
  ``ignore`` name no dependency and are skipped; any other verb, a wrong number of arguments or a
  version that is not ``vMAJOR.MINOR.PATCH…`` is a problem on its line, the rest still read.

``go.sum`` lines are ``module version[/go.mod] hash``: one locked dependency per (module, version),
at the line it first appears; a version that only has a ``/go.mod`` hash (its go.mod was read for
the module graph, its code is not in the build) has ``group`` "go.mod".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...records import FileProblem
from ..base import Source
from .eco_common import guarded
from .records import Dependency, DepFile

ECOSYSTEM = "go"
_TOKEN = re.compile(r'(?P<comment>//.*)|(?P<tok>"(?:[^"\\]|\\.)*"|`[^`]*`|=>|[()]|[^\s"`()]+)')
_VERSION = re.compile(r"v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")
_BLOCK_VERBS = frozenset({"require", "replace", "exclude", "retract", "tool", "ignore", "godebug"})
_SKIPPED = frozenset({"go", "toolchain", "godebug", "retract", "tool", "ignore"})


def _lex(line: str) -> tuple[list[str], str]:
    """The tokens of one line (quotes removed) and its trailing comment's text."""
    toks: list[str] = []
    for m in _TOKEN.finditer(line):
        if m.group("comment") is not None:
            return toks, m.group("comment")[2:].strip()
        tok = m.group("tok")
        if tok[0] == '"':
            tok = tok[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        elif tok[0] == "`":
            tok = tok[1:-1]
        toks.append(tok)
    return toks, ""


@dataclass(slots=True)
class _Replace:
    old: str
    old_version: str | None
    target: str  # "=> new [v]"
    line: int
    used: bool = False


@dataclass(slots=True)
class _GoMod:
    rel: str
    module: str = ""
    requires: list[Dependency] = field(default_factory=list)
    excludes: list[Dependency] = field(default_factory=list)
    replaces: list[_Replace] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)

    def problem(self, reason: str, line: int) -> None:
        self.problems.append(FileProblem(self.rel, reason, line))


def _version_ok(mod: _GoMod, verb: str, path: str, version: str, line: int) -> bool:
    if _VERSION.fullmatch(version):
        return True
    mod.problem(f"{verb} {path}: {version!r} is not a module version (vMAJOR.MINOR.PATCH)", line)
    return False


def _require(mod: _GoMod, args: list[str], comment: str, line: int) -> None:
    if len(args) != 2:
        mod.problem(f"require needs 'path version', found {' '.join(args)!r}", line)
        return
    path, version = args
    if _version_ok(mod, "require", path, version, line):
        indirect = comment == "indirect" or comment.startswith("indirect;")
        mod.requires.append(Dependency(ECOSYSTEM, path, version, version, "runtime", not indirect, line))


def _exclude(mod: _GoMod, args: list[str], line: int) -> None:
    if len(args) != 2:
        mod.problem(f"exclude needs 'path version', found {' '.join(args)!r}", line)
        return
    path, version = args
    if _version_ok(mod, "exclude", path, version, line):
        mod.excludes.append(
            Dependency(ECOSYSTEM, path, f"!= {version}", None, "runtime", True, line, source="exclude")
        )


def _replace(mod: _GoMod, args: list[str], line: int) -> None:
    if "=>" not in args:
        mod.problem(f"replace needs 'old [version] => new [version]', found {' '.join(args)!r}", line)
        return
    at = args.index("=>")
    old, new = args[:at], args[at + 1 :]
    if len(old) not in (1, 2) or len(new) not in (1, 2):
        mod.problem(f"replace needs 'old [version] => new [version]', found {' '.join(args)!r}", line)
        return
    if len(old) == 2 and not _version_ok(mod, "replace", old[0], old[1], line):
        return
    if len(new) == 2 and not _version_ok(mod, "replace", new[0], new[1], line):
        return
    if (
        len(new) == 1
        and not new[0].startswith(("./", "../", "/"))
        and not re.match(r"[A-Za-z]:[\\/]", new[0])
    ):
        mod.problem(f"replace {old[0]}: a module path on the right needs a version ({new[0]!r})", line)
        return
    mod.replaces.append(_Replace(old[0], old[1] if len(old) == 2 else None, "=> " + " ".join(new), line))


def _directive(mod: _GoMod, verb: str, args: list[str], comment: str, line: int) -> None:
    if verb == "require":
        _require(mod, args, comment, line)
    elif verb == "replace":
        _replace(mod, args, line)
    elif verb == "exclude":
        _exclude(mod, args, line)
    elif verb == "module":
        if len(args) == 1:
            mod.module = args[0]
        else:
            mod.problem("module needs exactly one module path", line)
    elif verb not in _SKIPPED:
        mod.problem(f"unknown directive {verb!r} (ignored)", line)


def _read(mod: _GoMod, text: str) -> None:
    block: tuple[str, int] | None = None  # verb and line of the open block
    for n, raw in enumerate(text.split("\n"), 1):
        toks, comment = _lex(raw)
        if not toks:
            continue
        if block is not None:
            if toks == [")"]:
                block = None
            elif toks[0] in ("(", ")"):
                mod.problem(f"unexpected {toks[0]!r} inside the {block[0]} block", n)
            else:
                _directive(mod, block[0], toks, comment, n)
            continue
        if toks[-1] == "(" and len(toks) == 2:
            if toks[0] in _BLOCK_VERBS:
                block = (toks[0], n)
            else:
                mod.problem(f"{toks[0]!r} cannot open a block", n)
                block = (toks[0], n)  # still skip its lines up to ')'
            continue
        _directive(mod, toks[0], toks[1:], comment, n)
    if block is not None:
        mod.problem(f"the {block[0]} block opened here is never closed", block[1])


def _apply_replaces(mod: _GoMod) -> tuple[list[Dependency], list[str]]:
    out = []
    for dep in mod.requires:
        target = ""
        for rep in mod.replaces:  # the last matching replace wins, as in the go command
            if rep.old == dep.name and rep.old_version in (None, dep.version):
                target, rep.used = rep.target, True
        out.append(_with_source(dep, target) if target else dep)
    warnings = [
        f"line {rep.line}: replace {rep.old}{' ' + rep.old_version if rep.old_version else ''} {rep.target} "
        "matches no requirement of this file"
        for rep in mod.replaces
        if not rep.used
    ]
    return out, warnings


def _with_source(dep: Dependency, source: str) -> Dependency:
    return Dependency(
        dep.ecosystem,
        dep.name,
        dep.specifier,
        dep.version,
        dep.dep_type,
        dep.direct,
        dep.line,
        dep.group,
        dep.marker,
        source,
    )


@guarded("go.mod", False)
def parse_go_mod(source: Source) -> DepFile:
    mod = _GoMod(source.rel)
    _read(mod, source.text)
    requires, warnings = _apply_replaces(mod)
    if not mod.module:
        warnings.insert(0, "no module directive: the file declares no module path")
    return DepFile(
        source.rel,
        "go.mod",
        False,
        (*requires, *mod.excludes),
        project=mod.module,
        warnings=tuple(warnings),
        problems=tuple(mod.problems),
    )


@guarded("go.sum", True)
def parse_go_sum(source: Source) -> DepFile:
    seen: dict[tuple[str, str], list[int]] = {}  # (module, version) -> [line, has a module hash]
    problems = []
    for n, raw in enumerate(source.text.split("\n"), 1):
        fields = raw.split()
        if not fields:
            continue
        if len(fields) != 3 or not fields[2].startswith("h") or ":" not in fields[2]:
            problems.append(
                FileProblem(source.rel, f"expected 'module version hash', found {raw.strip()[:80]!r}", n)
            )
            continue
        module, version = fields[0], fields[1]
        mod_only = version.endswith("/go.mod")
        version = version.removesuffix("/go.mod")
        if not _VERSION.fullmatch(version):
            problems.append(FileProblem(source.rel, f"{module}: {version!r} is not a module version", n))
            continue
        entry = seen.setdefault((module, version), [n, 0])
        entry[1] |= not mod_only
    deps = tuple(
        Dependency(ECOSYSTEM, module, "", version, "runtime", False, line, group="" if full else "go.mod")
        for (module, version), (line, full) in seen.items()
    )
    return DepFile(source.rel, "go.sum", True, deps, problems=tuple(problems))
