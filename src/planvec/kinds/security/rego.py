"""Rego (Open Policy Agent) files → one ``policy`` record for the package and one ``rule`` record
per rule definition, with its comments.

Hand-written: no maintained Python library parses Rego (OPA's parser is Go; the Python bindings run
policies, they do not give an AST with lines). What is read is the part a reader needs, by lines:

* ``package a.b`` (a file without one is a problem: it is not a Rego module);
* rule heads: a line at column 0 that starts with a name (or ``default NAME``) followed by ``{``,
  ``if``, ``contains``, ``[``, ``(``, ``=``, ``:=`` — ``import`` lines are not rules;
* a rule's body: from its head to the line where the braces opened on it close (braces inside
  strings and comments do not count); a body still open at the end of the file is a problem at the
  head's line (the rule is indexed up to the end);
* the comments just above a head (``#`` lines), and OPA's ``# METADATA`` annotations (YAML:
  ``title``, ``description``, ``custom.severity``, ``custom.category``, ``custom.tags``).

Several definitions of one rule (``deny`` three times) are ``deny``, ``deny#2``, ``deny#3``.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from ...records import FileProblem
from .classify import category_of, severity_in, severity_of, unique_anchor
from .records import Policy, PolicyFile

_PACKAGE_RE = re.compile(r"^package\s+([\w.\[\]\"-]+)")
_HEAD_RE = re.compile(
    r"^(default\s+)?([A-Za-z_]\w*)(?:\s*\.\s*[A-Za-z_]\w*)*\s*(?=\{|\[|\(|:=|=|\s+if\b|\s+contains\b|$)"
)
_KEYWORDS = frozenset({"package", "import", "not", "some", "every", "with", "else", "as"})
_STRING_RE = re.compile(r'"(?:\\.|[^"\\])*"|`[^`]*`')
BODY_LINES = 40  # lines of a rule's body kept in its text


def _code(line: str) -> str:
    """A line without its strings and its comment (what brace counting looks at)."""
    return _STRING_RE.sub('""', line).split("#", 1)[0]


def _comments_above(lines: list[str], i: int) -> tuple[list[str], dict[str, Any]]:
    """The comment block above line index ``i``: its plain lines and its METADATA annotation."""
    block: list[str] = []
    j = i - 1
    while j >= 0 and lines[j].lstrip().startswith("#"):
        block.insert(0, lines[j].strip()[1:])
        j -= 1
    if block and block[0].strip() == "METADATA":
        try:
            meta = yaml.safe_load("\n".join(x[1:] if x.startswith(" ") else x for x in block[1:]))
        except yaml.YAMLError:
            meta = None
        return [], meta if isinstance(meta, dict) else {}
    return [b.strip() for b in block if b.strip()], {}


def _body_end(lines: list[str], i: int) -> int | None:
    """Index of the line that closes the braces opened from line ``i`` (``i`` when none open);
    None when they never close."""
    depth = 0
    for j in range(i, len(lines)):
        code = _code(lines[j])
        depth += code.count("{") - code.count("}")
        if depth <= 0:
            return j
    return None


def parse_rego(text: str, path: str) -> PolicyFile:
    lines = text.split("\n")
    problems: list[FileProblem] = []
    package, pkg_line = None, 1
    for n, ln in enumerate(lines):
        m = _PACKAGE_RE.match(ln)
        if m:
            package, pkg_line = m.group(1), n + 1
            break
    if package is None:
        problems.append(FileProblem(path, "no package declaration: not a Rego module", 1))
    seen: dict[str, int] = {}
    rules: list[Policy] = []
    i = pkg_line if package else 0
    while i < len(lines):
        m = _HEAD_RE.match(lines[i])
        if not m or m.group(2) in _KEYWORDS:
            i += 1
            continue
        end = _body_end(lines, i)
        if end is None:
            problems.append(FileProblem(path, f"rule {m.group(2)!r}: braces never close", i + 1))
            end = len(lines) - 1
        name, default = m.group(2), bool(m.group(1))
        rules.append(_rule(name, default, lines, i, end, package or path, seen))
        i = end + 1
    head_comments, head_meta = _comments_above(lines, pkg_line - 1) if package else ([], {})
    return PolicyFile(
        path,
        "rego",
        (_package(package or path, head_comments, head_meta, rules, pkg_line), *rules),
        problems=tuple(problems),
    )


def _custom(meta: dict[str, Any], key: str) -> Any:
    custom = meta.get("custom")
    return custom.get(key) if isinstance(custom, dict) else None


def _rule(
    name: str, default: bool, lines: list[str], i: int, end: int, package: str, seen: dict[str, int]
) -> Policy:
    comments, meta = _comments_above(lines, i)
    body = [ln.rstrip() for ln in lines[i : min(end + 1, i + BODY_LINES)]]
    title = str(meta.get("title") or (comments[0] if comments else f"{package}.{name}"))
    description = str(meta["description"]) if meta.get("description") else (" ".join(comments) or None)
    severity = severity_of(_custom(meta, "severity")) or severity_in(" ".join(comments))
    tags = _custom(meta, "tags")
    return Policy(
        anchor=unique_anchor(f"{'default' if default else 'rule'}:{name}", seen),
        kind="rule",
        title=title,
        text="\n".join(x for x in (f"{package}.{name}: {title}", description, *body) if x),
        line=i + 1,
        format="rego",
        category=str(_custom(meta, "category") or category_of([title, package, description or "", *body])),
        severity=severity,
        tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
        section=(package, name),
        policy_id=f"{package}.{name}",
        name=name,
        description=description,
        conditions=tuple(ln.strip() for ln in body[1:] if ln.strip() and ln.strip() != "}"),
    )


def _package(
    package: str, comments: list[str], meta: dict[str, Any], rules: list[Policy], line: int
) -> Policy:
    title = str(meta.get("title") or (comments[0] if comments else f"package {package}"))
    names = list(dict.fromkeys(r.name or "" for r in rules))
    description = str(meta["description"]) if meta.get("description") else (" ".join(comments) or None)
    return Policy(
        anchor="package",
        kind="policy",
        title=title,
        text="\n".join(
            x for x in (f"Rego policy {package}: {title}", description, f"rules: {', '.join(names)}") if x
        ),
        line=line,
        format="rego",
        category=str(
            _custom(meta, "category")
            or category_of([title, package, description or "", *(r.title for r in rules)])
        ),
        severity=severity_of(_custom(meta, "severity"))
        or max((r.severity for r in rules if r.severity), key=_rank, default=None),
        section=(package,),
        policy_id=package,
        name=package,
        description=description,
        rules=tuple(names),
    )


def _rank(sev: str) -> int:
    return ("info", "low", "medium", "high", "critical").index(sev)
