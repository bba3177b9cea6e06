"""Policy documents in Markdown (``SECURITY.md``, files under ``security/``, ``policies/``,
``docs/security*``) → one ``section`` record per heading and its prose.

The structure comes from markdown-it-py's tokens (a ``#`` line inside a fenced code block is not a
heading); the prose of a section is the source text between its heading and the next one. A
heading whose section is empty and is followed by a deeper heading is only part of the breadcrumb.
The document title (a first H1) stays in the breadcrumb but not in the anchors, so retitling a
document keeps its point ids. Severity: a severity word in the heading (``🔴 CRITIQUE``), else the
nearest ancestor heading's, else a ``Severity:``/``Criticité :`` field line in the section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt

from .classify import category_of, severity_in, severity_of, slug, unique_anchor
from .records import Policy, PolicyFile

_MD = MarkdownIt("commonmark", {"maxNesting": 64})
_INLINE_MARKS_RE = re.compile(r"[*_`]+|\{#[^}]*\}\s*$")
_FIELD_RE = re.compile(
    r"^\W*(?:severity|s[ée]v[ée]rit[ée]|criticit[ée]|criticality|niveau)\W*\s*[:=]\s*\W*(\w+)", re.I | re.M
)


@dataclass(slots=True)
class _Heading:
    level: int
    title: str
    start: int  # 0-based line of the heading
    body_start: int  # 0-based first line after the heading


def _headings(text: str) -> list[_Heading]:
    tokens = _MD.parse(text)
    out = []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.map and i + 1 < len(tokens):
            title = _INLINE_MARKS_RE.sub("", tokens[i + 1].content).strip()
            out.append(_Heading(int(tok.tag[1]), title, tok.map[0], tok.map[1]))
    return out


def parse_policy_markdown(text: str, path: str) -> PolicyFile:
    """The sections of a Markdown policy document (raises only what markdown-it raises on
    pathological input: the kind turns that into a FileProblem)."""
    lines = text.split("\n")
    heads = _headings(text)
    first = heads[0] if heads else None
    doc_title = first.title if first and first.level == 1 and first.start == _first_content(lines) else None
    policies: list[Policy] = []
    seen: dict[str, int] = {}
    preamble = "\n".join(lines[: heads[0].start if heads else len(lines)]).strip()
    if preamble:
        title = doc_title or path.rsplit("/", 1)[-1]
        policies.append(_section(path, (), title, preamble, 1, None, unique_anchor("§", seen)))
    stack: list[tuple[int, str, str | None, int]] = []  # (level, title, severity, heading index)
    for n, h in enumerate(heads):
        end = heads[n + 1].start if n + 1 < len(heads) else len(lines)
        body = "\n".join(ln.rstrip() for ln in lines[h.body_start : end]).strip()
        while stack and stack[-1][0] >= h.level:
            stack.pop()
        own = severity_in(h.title)
        inherited = next((s for _, _, s, _ in reversed(stack) if s), None)
        field = _FIELD_RE.search(body)
        severity = own or inherited or (severity_of(field.group(1)) if field else None)
        stack.append((h.level, h.title, own or inherited, n))
        deeper_next = n + 1 < len(heads) and heads[n + 1].level > h.level
        if not body and deeper_next:
            continue
        crumbs = tuple(t for _, t, _, _ in stack)
        # (the document title is left out of the anchors)
        anchor_parts = [t for _, t, _, i in stack if not (i == 0 and doc_title is not None)]
        base = "§" + " > ".join(slug(t) for t in anchor_parts)
        policies.append(
            _section(path, crumbs, h.title, body, h.start + 1, severity, unique_anchor(base, seen))
        )
    return PolicyFile(path, "markdown", tuple(policies))


def _first_content(lines: list[str]) -> int:
    return next((i for i, ln in enumerate(lines) if ln.strip()), 0)


def _section(
    path: str, crumbs: tuple[str, ...], title: str, body: str, line: int, severity: str | None, anchor: str
) -> Policy:
    return Policy(
        anchor=anchor,
        kind="section",
        title=title or path,
        text=f"{title}\n{body}".strip() if body else title,
        line=line,
        format="markdown",
        category=category_of([title, " ".join(crumbs), body]),
        severity=severity,
        section=crumbs,
    )
