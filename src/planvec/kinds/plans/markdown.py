"""Markdown plan files → :class:`~planvec.records.ParsedFile` (tasks, prose sections, plan metadata).

Everything structural comes from markdown-it-py *tokens* (CommonMark + tables), never from regexes over
the raw file: a list item inside a fenced or indented code block, an HTML block or comment, or a table
is never a task because markdown-it never makes it a list item. Regexes are only applied to the text of
one inline token (a task title, a heading, a paragraph) to pull out an id, a priority or a percentage.

Rules (the decisions behind each field of :class:`~planvec.records.Task`):

* **Task**: a list item (any bullet ``-`` ``*`` ``+`` or ordered ``1.`` ``1)``, any depth) whose first
  paragraph starts with ``[ ]``, ``[x]`` or ``[X]`` followed by a space or the end of the paragraph.
  ``[x]``/``[X]`` → ``completed``, ``[ ]`` → ``pending``.
* **task_id**: a number with at least two components at the very start of the title, bold or not, with
  an optional trailing ``.`` or ``)`` and an optional ``:``/``-`` separator (``**1.2.3**``, ``1.2.3.``,
  ``1.2.3)``, ``1.2 :``), or a ``Tâche``/``Task`` label (``Tâche 3 :``, ``Task 1.2``). Step labels such as
  ``Étape 2 :`` or ``Sous-étape 1.4 :`` are *not* ids (they restart under every parent) and stay in the
  title. A single bare integer (``3 fichiers…``) is not an id.
* **title**: the first paragraph of the item as plain text (emphasis, code, links and images reduced
  to their text, HTML dropped, whitespace collapsed) without the checkbox, the id and the priority
  marker. Other decorations (``✅ **COMPLÉTÉ** :``) are kept.
* **body**: the item's nested non-task content — paragraphs, micro-step bullets, table rows, one line
  per block — capped at :data:`BODY_MAX_CHARS`. Nested *task* items and their subtrees are not part of
  the body (they are tasks of their own). Code blocks are left out unless ``include_code=True``.
* **priority** ``P0``..``P3``, first match wins:

  1. a marker in the task's own title: ``(P1)``, ``[P1]``, ``{P1}``, ``**P1**``, ``Priorité : P1`` /
     ``Priority: P1`` / ``prio: P1`` (bold or not) anywhere, or ``P1 -``/``P1:`` at the start. The
     marker is removed from the title. A bare ``P1`` inside a sentence (``tests P4 avancés``) is not a
     marker;
  2. a ``Priorité : Px`` field line in the task's own body (a nested non-task paragraph or bullet);
  3. the (resolved) priority of the enclosing task, by nesting;
  4. the nearest enclosing heading that states one, either in its text (a marker as in 1., e.g.
     ``## Phase 1 (P0)``) or as a ``Priorité : Px`` field line in that section's own prose (the style
     ``### 1.1 … / - **Priorité** : P0`` used by the corpus). A field in the preamble (before any
     heading) applies to the whole file.

* **is_mvp**: an MVP *tag* — ``[MVP]``, ``(MVP)``, ``{MVP}``, ``**MVP**``, ``#mvp``, the word ``MVP``
  (upper case) first (``MVP : …``), or last after a dash or colon (``Phase 1 - MVP``) — in the task's
  title, in any heading of its breadcrumb, or on an enclosing task. A mere mention in a sentence
  (``étapes d'évolution (MVP, version avancée)``, ``livrer le MVP``) does not count.
* **section**: heading breadcrumb (plain text, ``{#id}`` attribute suffixes removed), outermost first.
* **depth**: number of enclosing list items (0 for a top-level item), whatever they are.
* **parent**: anchor of the nearest enclosing *task* item (by nesting only).
  **parent_task_id**: the parent's explicit id; else, for a task with an id such as ``1.2.3``, the id
  of the nearest existing prefix task in the same file (``1.2``, then ``1``).
* **line**: 1-based line of the list item in the file as given.
* **depth limit**: lists and blockquotes nest at most :data:`MAX_BLOCK_DEPTH` deep (the parser recurses
  once per level; the limit keeps it far from Python's recursion limit). A task nested deeper is not
  indexed: it comes back in ``ParsedFile.problems`` with its line, and other lines past the limit in a
  warning. Nothing past the limit is dropped unseen.
* **anchor** (unique within the file): the explicit id when no other task of the file has the same id;
  otherwise ``"§" + " > ".join(norm(section)) + "§" + norm(title)`` with ``"#n"`` (n ≥ 2) appended
  only for the n-th task having that same section and normalised title. ``norm`` is NFKC + casefold,
  words only (punctuation, emoji and markdown dropped), without status words at either end
  (``complete``, ``complété``, ``terminé``, ``done``, ``en cours``…), so ticking a task or decorating
  it or its heading with ``✅ COMPLETE`` never changes an anchor. The document title — the file's first
  heading when it is an H1 — is left out of the section part (retitling a plan keeps its anchors); it
  stays in ``section``. An anchor depends only on the task's own section, title and id and on its
  same-key duplicates, so editing or inserting another task leaves it alone (except: a same-title
  duplicate earlier in the same section, or a new task that reuses its id).

Sections (:class:`~planvec.records.Section`): one per heading (plus a preamble for text before the
first heading), holding the prose *directly* under that heading up to the next heading of any level:
paragraphs, non-task list items, blockquotes, table rows (cells joined with ``" | "``), one line per
block. Task items and everything nested in them are excluded (they are in the tasks' bodies). Code blocks
and HTML blocks are excluded unless ``include_code=True`` (code only). Sections without prose are
skipped. Anchor: ``"§" + " > ".join(norm(breadcrumb))`` (document title left out, as for tasks) plus
``"#n"`` for the n-th heading with the same key (counted over all headings, empty ones and the
preamble included).

Plan metadata (:class:`~planvec.records.PlanMeta`): title from a YAML front matter ``title:`` key, else
the first H1; version ``vNN`` from the file name, else from the title; progress from a front matter
``progress:`` key, else the first ``Progression globale : 35%``-like statement (``progression``,
``progress``, ``avancement``, ``statut``, ``status``, ``complétion`` followed by ``:`` and a
percentage) in the preamble: before the first level-2+ heading and within the first 50 lines.

Hygiene done here (so that :func:`parse_markdown` can be called on any string): a leading BOM is
dropped, CRLF/CR become LF, a YAML front matter block is hidden from markdown (line numbers kept), and
**code fences closed with an info string** (```` ```plaintext```` used as a closing fence, or a closing
fence with the next line glued to it) are repaired: CommonMark does not accept those as closing fences,
so one such line turns the rest of a file into code. When the parse shows a fenced block containing a
fence line with an info string at the block's own indentation, that line is taken as the closing fence
(the text glued after it goes to a line of its own) and the file is parsed again; the repair is kept
only if it does not leave more unclosed fences than before, and it is reported in ``warnings``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.parser_block import ParserBlock
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token

from planvec.kinds.plans.records import ParsedFile, PlanMeta, Section, Task, TaskStatus
from planvec.records import FileProblem

__all__ = ["BODY_MAX_CHARS", "MAX_BLOCK_DEPTH", "parse_markdown"]

BODY_MAX_CHARS = 2000
_PREAMBLE_MAX_LINES = 50
_MAX_FENCE_PASSES = 8

# Depth limit of the block parser: lists and blockquotes nested in each other, at most this deep. Each
# level is one recursion of markdown-it's block parser (three Python frames), so the limit bounds the
# stack: about 300 frames, well inside the default recursion limit of 1000 whoever the caller is.
# Content nested deeper is not parsed; _DepthLimitedBlockParser records it so that every task in it
# comes back as a problem. markdown-it's own maxNesting (two levels per list, one per blockquote) is set
# so that it is never reached first: it drops what lies past it without a trace.
MAX_BLOCK_DEPTH = 100
_MAX_NESTING = 2 * MAX_BLOCK_DEPTH + 2
_DEPTH = "planvec_block_depth"  # env key: how many block parsers are running (the recursion depth)
_TOO_DEEP = "planvec_too_deep"  # env key: [(0-based line, its text from the nesting point)], not parsed

_CHECKBOX_RE = re.compile(r"\[([ xX])\](?=\s|$)")
_PLAIN_CHECKBOX_RE = re.compile(r"^\[[ xX]\]\s*")
_ID_RE = re.compile(
    r"^(?:(?i:t[âa]che|task)\s+(\d+(?:\.\d+)*)|(\d+(?:\.\d+)+))"
    r"\.?\)?(?:\s*[:\-–—])?(?=\s|$)\s*"
)
_LEADING_SEP_RE = re.compile(r"^[\s:\-–—|,;]+")
_TRAILING_SEP_RE = re.compile(r"[\s:\-–—|,;]+$")
_PRIO_WORD = r"(?i:priorit[ée]|priority|prio)"
_B = r"(?:\*\*|__)?"
_PRIO_MARKER_RE = re.compile(
    r"\((P[0-3])\)"
    r"|\[(P[0-3])\]"
    r"|\{(P[0-3])\}"
    rf"|(\*\*|__)(?:{_PRIO_WORD}\s*:?\s*)?(P[0-3])\4(?!\w)"
    rf"|{_B}{_PRIO_WORD}{_B}\s*:\s*{_B}(P[0-3])(?!\w){_B}"
    r"|^(P[0-3])\s*[:\-–—]\s*"
)
_PRIO_FIELD_RE = re.compile(rf"^{_PRIO_WORD}\s*:\s*(P[0-3])(?!\w)")
_MVP_PLAIN_RE = re.compile(r"[\[({]\s*MVP\s*[\])}]|^\W*MVP\b|[-–—:|]\s*MVP\W*$|(?i:#mvp)\b")
_MVP_BOLD_RE = re.compile(r"(\*\*|__)\s*MVP\s*\1")
_HEADING_ATTR_RE = re.compile(r"\s*\{\s*[#.][^}]*\}\s*$")
_VERSION_RE = re.compile(r"(?<![A-Za-z0-9])[vV](\d+(?:\.\d+)*)(?![A-Za-z0-9])")
_PROGRESS_RE = re.compile(
    r"(?i:progression|progress|avancement|statut|status|compl[ée]tion|achèvement)"
    r"[^:\n]{0,20}:\s*[^%\n]{0,40}?(\d{1,3}(?:[.,]\d+)?)\s*%"
)
_FENCE_LINE_RE = re.compile(r"^([ \t]*)(`{3,}|~{3,})(.*)$")
_GLUED_BLOCK_RE = re.compile(r"^(?:[-*+]|\d{1,9}[.)]|#{1,6})\s+\S")
_WORD_RE = re.compile(r"\w+(?:[.\-'’]\w+)*")
_STATUS_WORD = (
    r"(?:complete|completed|complet|complète|complété|complétée|completé|terminé|terminée|done|fait"
    r"|finished|wip|todo|validé|validée|en cours|in progress)"
)
_STATUS_EDGES_RE = re.compile(rf"^(?:{_STATUS_WORD}(?:\s+|$))+|(?:(?:^|\s+){_STATUS_WORD})+$")
# A line that opens a task item, seen from where the parser stopped: list or quote markers, then a list
# marker and a checkbox (``- [ ] x``, ``> 1. [x] x``, ``- - [ ] x``).
_MARKERS = r"^[ \t]*(?:>[ \t]*|(?:[-*+]|\d{1,9}[.)])[ \t]+)*"
_TASK_LINE_RE = re.compile(_MARKERS + r"(?:[-*+]|\d{1,9}[.)])[ \t]+\[[ xX]\](?=\s|$)")
_FENCE_START_RE = re.compile(_MARKERS + r"(`{3,}|~{3,})")


class _DepthLimitedBlockParser(ParserBlock):
    """markdown-it's block parser with a depth limit that loses nothing unseen.

    A list item or a blockquote parses its content with a nested call of :meth:`tokenize`. Past
    :data:`MAX_BLOCK_DEPTH` nested calls the content is not parsed: the block ends where markdown-it would
    end it anyway (the first non-blank line indented less than the block) and its lines go to
    ``env[_TOO_DEEP]``. (markdown-it's own limit drops everything from that point to the end of the
    enclosing range without a trace: a 500-level list lost every task past level 30 and the
    less-indented lines after it too.)
    """

    def tokenize(self, state: StateBlock, startLine: int, endLine: int) -> None:
        depth: int = state.env.get(_DEPTH, 0)
        if depth <= MAX_BLOCK_DEPTH:
            state.env[_DEPTH] = depth + 1
            try:
                super().tokenize(state, startLine, endLine)
            finally:
                state.env[_DEPTH] = depth
            return
        dropped: list[tuple[int, str]] = state.env.setdefault(_TOO_DEEP, [])
        # In a list item, the list rule has consumed the item's marker: put one back so that the item's
        # first line reads as the item it is (``- [ ] title``).
        marker = "- " if state.tokens and state.tokens[-1].type == "list_item_open" else ""
        line = startLine
        while line < endLine and (state.isEmpty(line) or state.sCount[line] >= state.blkIndent):
            if not state.isEmpty(line):
                text = state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]
                dropped.append((line, marker + text))
                marker = ""
            line += 1
        state.line = line


def _markdown_it() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"maxNesting": _MAX_NESTING}).enable("table")
    limited = _DepthLimitedBlockParser()
    limited.ruler = md.block.ruler  # the rules as the preset configured them
    md.block = limited
    return md


# Inline parsing only (titles, paragraphs): inline nesting past the limit (emphasis, links) stays text.
_MD = MarkdownIt("commonmark", {"maxNesting": 64}).enable("table")
# Block structure only (no inline pass): what the fence repair loop needs, at about half the cost.
_MD_BLOCK = _markdown_it()
_MD_BLOCK.core.ruler.disable(["inline", "text_join"])


def parse_markdown(text: str, path: str, *, include_code: bool = False) -> ParsedFile:
    """Parse one Markdown plan file.

    ``path`` is stored as is in every record (the caller passes the POSIX path relative to the indexed
    root). ``include_code`` adds code blocks to task bodies and section text. See the module docstring
    for the rules. Never raises for odd Markdown: CommonMark has no syntax errors.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    front = _strip_front_matter(lines)
    origin = list(range(1, len(lines) + 1))
    warnings: list[str] = []
    env: dict[str, Any] = {}
    tokens = _MD_BLOCK.parse("\n".join(lines), env)
    tokens, lines, origin, env = _repair_fences(tokens, lines, origin, env, warnings)
    _parse_inlines(tokens, env)
    walker = _Walker(tokens, origin, env, include_code)
    walker.run()
    problems = _too_deep(env.get(_TOO_DEEP, []), origin, path, warnings)
    return ParsedFile(
        path=path,
        plan=_plan_meta(path, front, walker),
        tasks=walker.tasks(path),
        sections=walker.sections(path),
        warnings=tuple(warnings),
        problems=problems,
    )


def _too_deep(
    dropped: list[tuple[int, str]], origin: list[int], path: str, warnings: list[str]
) -> tuple[FileProblem, ...]:
    """One problem per task line nested past the limit (fenced lines excepted); a warning for the rest."""
    problems: list[FileProblem] = []
    fence: str | None = None
    others: list[int] = []
    for ln, text in dropped:
        number = origin[ln] if ln < len(origin) else ln + 1
        m = _FENCE_START_RE.match(text)
        if fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            others.append(number)
        elif m:
            fence = m.group(1)
            others.append(number)
        elif _TASK_LINE_RE.match(text):
            problems.append(
                FileProblem(
                    path,
                    f"line {number}: task nested more than {MAX_BLOCK_DEPTH} lists or quotes deep "
                    "(the Markdown parser stops at that depth); flatten the list",
                    line=number,
                )
            )
        else:
            others.append(number)
    if others:
        shown = ", ".join(str(n) for n in others[:5]) + (", …" if len(others) > 5 else "")
        warnings.append(
            f"{len(others)} line(s) nested more than {MAX_BLOCK_DEPTH} lists or quotes deep are not indexed "
            f"(line {shown})"
        )
    return tuple(problems)


# --------------------------------------------------------------------------------------------------
# front matter and code fence repair


def _strip_front_matter(lines: list[str]) -> dict[str, str]:
    """Blank a leading YAML front matter block in place (keeping line numbers); return its simple keys."""
    if not lines or lines[0].rstrip() != "---":
        return {}
    for end in range(1, min(len(lines), 200)):
        if lines[end].rstrip() in ("---", "..."):
            break
    else:
        return {}
    body = lines[1:end]
    pairs = [re.match(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$", line) for line in body]
    if not any(pairs):
        return {}
    meta = {m.group(1).lower(): m.group(2).strip().strip("'\"") for m in pairs if m}
    for i in range(end + 1):
        lines[i] = ""
    return meta


def _closing_line(tok: Token, lines: list[str]) -> bool:
    """Whether a fence token's last line is a real closing fence (same char, long enough, no info)."""
    if tok.map is None:
        return True
    start, end = tok.map
    if end - 1 <= start or end - 1 >= len(lines):
        return False
    m = _FENCE_LINE_RE.match(lines[end - 1])
    return bool(
        m and m.group(2)[0] == tok.markup[0] and len(m.group(2)) >= len(tok.markup) and not m.group(3).strip()
    )


def _runaway(tokens: list[Token], lines: list[str]) -> int:
    """Number of fenced blocks that run to the end of the document without a closing fence."""
    last = len(lines) - (1 if lines and not lines[-1].strip() else 0)
    fences = [t for t in tokens if t.type == "fence" and t.map is not None and t.map[1] >= last]
    return sum(1 for tok in fences if not _closing_line(tok, lines))


def _fence_repairs(tokens: list[Token], lines: list[str]) -> dict[int, list[str]]:
    """Lines (0-based) that were meant as closing fences, with their replacement lines.

    * Inside a fenced block F, a fence line with the same character, at least as long, at F's own
      indentation (+3) and with an info string is read as F's closing fence: a one-word info string
      (```` ```plaintext````) is dropped, several words are text glued to the fence and go to a line of
      their own. The next such line then opens a block, the one after closes it, and so on.
    * Exception: a ``markdown``/``md`` block that CommonMark closes is an example that nests fences; it
      is read as CommonMark reads it.
    * A fence line that opens a block although what follows it is a list item or a heading
      (```` ```  - [x] task````) is a stray closing fence with the next line glued to it: the fence is
      dropped and the text kept.
    """
    repairs: dict[int, list[str]] = {}
    for tok in tokens:
        if tok.type != "fence" or tok.map is None:
            continue
        start, end = tok.map
        opener = _FENCE_LINE_RE.match(lines[start])
        if not opener:
            continue  # fence inside a blockquote or similar: leave it alone
        info = opener.group(3).strip()
        if _GLUED_BLOCK_RE.match(info):
            repairs[start] = [opener.group(3).rstrip()]
            continue
        lang = info.split()[0].lower() if info else ""
        if lang in ("markdown", "md") and _closing_line(tok, lines):
            continue
        char = opener.group(2)[0]
        need = len(opener.group(2))
        indent = len(opener.group(1).expandtabs(4))
        inside = True
        for ln in range(start + 1, min(end, len(lines))):
            m = _FENCE_LINE_RE.match(lines[ln])
            if not m or m.group(2)[0] != char or len(m.group(1).expandtabs(4)) > indent + 3:
                continue
            rest = m.group(3).rstrip()
            if char == "`" and "`" in rest:
                continue
            if not inside:  # after a repaired close, the next fence line opens a block
                inside, need = True, len(m.group(2))
                continue
            if len(m.group(2)) < need or not rest.strip():
                continue
            fence = m.group(1) + m.group(2)
            repairs[ln] = [fence, rest] if len(rest.split()) > 1 else [fence]
            inside = False
    return repairs


def _repair_fences(
    tokens: list[Token],
    lines: list[str],
    origin: list[int],
    env: dict[str, Any],
    warnings: list[str],
) -> tuple[list[Token], list[str], list[int], dict[str, Any]]:
    """Repair fences closed with an info string (see module docstring); keep the original if worse."""
    repairs = _fence_repairs(tokens, lines)
    if not repairs:
        return tokens, lines, origin, env
    runaway_before = _runaway(tokens, lines)
    new_lines, new_origin = list(lines), list(origin)
    fixed: list[int] = []
    new_tokens, new_env = tokens, env
    for _ in range(_MAX_FENCE_PASSES):
        if not repairs:
            break
        for ln in sorted(repairs, reverse=True):
            fixed.append(new_origin[ln])
            new_lines[ln : ln + 1] = repairs[ln]
            new_origin[ln : ln + 1] = [new_origin[ln]] * len(repairs[ln])
        new_env = {}
        new_tokens = _MD_BLOCK.parse("\n".join(new_lines), new_env)
        repairs = _fence_repairs(new_tokens, new_lines)
    if _runaway(new_tokens, new_lines) > runaway_before:
        warnings.append(
            "code fences look unbalanced (a fence line with an info string inside a code block); "
            "parsed as strict CommonMark"
        )
        return tokens, lines, origin, env
    fixed.sort()
    shown = ", ".join(str(n) for n in fixed[:5]) + (", …" if len(fixed) > 5 else "")
    warnings.append(
        f"repaired {len(fixed)} code fence(s) closed with an info string (line {shown}); "
        "CommonMark would have read the rest of the block as code"
    )
    return new_tokens, new_lines, new_origin, new_env


def _parse_inlines(tokens: list[Token], env: dict[str, Any]) -> None:
    """The inline pass markdown-it's core would run after the block pass (``_MD_BLOCK`` skips it)."""
    for tok in tokens:
        if tok.type == "inline":
            children: list[Token] = []
            _MD.inline.parse(tok.content, _MD, env, children)
            tok.children = children


# --------------------------------------------------------------------------------------------------
# inline text helpers


def _plain(children: Sequence[Token] | None) -> str:
    """Plain text of inline tokens, markdown stripped, whitespace collapsed."""
    if not children:
        return ""
    out: list[str] = []
    for c in children:
        t = c.type
        if t == "text" or t == "code_inline" or t == "text_special":
            out.append(c.content)
        elif t == "softbreak" or t == "hardbreak":
            out.append(" ")
        elif t == "image":
            out.append(_plain(c.children) or c.content)
    return " ".join("".join(out).split())


def _norm(s: str) -> str:
    """Normalised form used in anchors: NFKC, casefold, words only, no status word at either end."""
    words = " ".join(_WORD_RE.findall(unicodedata.normalize("NFKC", s).casefold()))
    return _STATUS_EDGES_RE.sub("", words)


def _priority_marker(raw: str) -> re.Match[str] | None:
    return _PRIO_MARKER_RE.search(raw)


def _marker_value(m: re.Match[str]) -> str:
    return next(g for g in m.groups() if g and g.startswith("P"))


def _is_mvp(plain: str, raw: str) -> bool:
    return bool(_MVP_PLAIN_RE.search(plain) or _MVP_BOLD_RE.search(raw))


def _field_priority(plain: str) -> str | None:
    m = _PRIO_FIELD_RE.match(plain)
    return m.group(1) if m else None


def _cap(parts: list[str], limit: int = BODY_MAX_CHARS) -> str:
    text = "\n".join(parts)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip() + "…"


# --------------------------------------------------------------------------------------------------
# the token walk


@dataclass(eq=False)
class _Heading:
    level: int
    text: str
    priority: str | None = None
    mvp: bool = False
    doc_title: bool = False  # the file's first heading, an H1: left out of anchors


@dataclass(eq=False)
class _TaskDraft:
    line: int
    status: TaskStatus
    title: str
    task_id: str | None
    priority: str | None
    mvp: bool
    depth: int
    headings: tuple[_Heading, ...]
    parent: int | None
    body: list[str] = field(default_factory=list)
    body_priority: str | None = None


@dataclass(eq=False)
class _SectionDraft:
    line: int
    headings: tuple[_Heading, ...]
    parts: list[str] = field(default_factory=list)


class _Walker:
    def __init__(self, tokens: list[Token], origin: list[int], env: dict[str, Any], include_code: bool):
        self.tokens = tokens
        self.origin = origin
        self.env = env
        self.include_code = include_code
        self.root = _Heading(0, "")
        self.stack: list[_Heading] = [self.root]
        self.drafts: list[_TaskDraft] = []
        self.section_drafts: list[_SectionDraft] = [_SectionDraft(1, ())]
        self.items: list[int | None] = []  # open list items: draft index for task items, else None
        self.first_h1: str | None = None
        self.progress: float | None = None
        self.seen_h2 = False

    def line_of(self, tok: Token) -> int:
        if tok.map is None:
            return 1
        i = tok.map[0]
        return self.origin[i] if i < len(self.origin) else i + 1

    def owner(self) -> int | None:
        for idx in reversed(self.items):
            if idx is not None:
                return idx
        return None

    def emit(self, text: str) -> None:
        if not text:
            return
        owner = self.owner()
        prio = _field_priority(text)
        if owner is not None:
            draft = self.drafts[owner]
            draft.body.append(text)
            if prio and draft.body_priority is None:
                draft.body_priority = prio
        else:
            self.section_drafts[-1].parts.append(text)
            if prio and self.stack[-1].priority is None:
                self.stack[-1].priority = prio

    def run(self) -> None:
        tokens = self.tokens
        n = len(tokens)
        i = 0
        cells: list[str] | None = None
        while i < n:
            tok = tokens[i]
            t = tok.type
            if t == "heading_open":
                self.heading(tok, tokens[i + 1])
                i += 3
                continue
            if t == "list_item_open":
                if self.task_start(tokens, i):
                    i += 4
                    continue
                self.items.append(None)
            elif t == "list_item_close":
                self.items.pop()
            elif t == "inline":
                text = _plain(tok.children)
                if cells is not None:
                    cells.append(text)
                else:
                    self.check_progress(tok, text)
                    self.emit(text)
            elif t == "tr_open":
                cells = []
            elif t == "tr_close":
                if cells is not None:
                    self.emit(" | ".join(c for c in cells if c))
                cells = None
            elif (t == "fence" or t == "code_block") and self.include_code:
                self.emit(tok.content.rstrip("\n"))
            i += 1

    def heading(self, tok: Token, inline: Token) -> None:
        level = int(tok.tag[1:]) if tok.tag[1:].isdigit() else 1
        raw = inline.content
        text = _HEADING_ATTR_RE.sub("", _plain(inline.children))
        first = len(self.section_drafts) == 1
        node = _Heading(level, text, mvp=_is_mvp(text, raw), doc_title=first and level == 1)
        m = _priority_marker(raw)
        if m:
            node.priority = _marker_value(m)
        while len(self.stack) > 1 and self.stack[-1].level >= level:
            self.stack.pop()
        self.stack.append(node)
        self.section_drafts.append(_SectionDraft(self.line_of(tok), tuple(self.stack[1:])))
        if level == 1 and self.first_h1 is None:
            self.first_h1 = text
        if level >= 2:
            self.seen_h2 = True

    def check_progress(self, tok: Token, text: str) -> None:
        if self.progress is not None or self.seen_h2 or self.owner() is not None:
            return
        if tok.map is None or tok.map[0] >= _PREAMBLE_MAX_LINES:
            return
        m = _PROGRESS_RE.search(text)
        if m:
            value = float(m.group(1).replace(",", "."))
            if value <= 100:
                self.progress = value

    def task_start(self, tokens: list[Token], i: int) -> bool:
        if i + 3 >= len(tokens) or tokens[i + 1].type != "paragraph_open":
            return False
        inline = tokens[i + 2]
        if inline.type != "inline":
            return False
        m = _CHECKBOX_RE.match(inline.content)
        if not m:
            return False
        raw = inline.content[m.end() :].lstrip()
        priority: str | None = None
        pm = _priority_marker(raw)
        if pm:
            priority = _marker_value(pm)
            cleaned = (raw[: pm.start()] + " " + raw[pm.end() :]).strip()
            parsed = _MD.parseInline(cleaned, dict(self.env))
            plain = _plain(parsed[0].children if parsed else None)
            plain = _TRAILING_SEP_RE.sub("", plain)
        else:
            plain = _PLAIN_CHECKBOX_RE.sub("", _plain(inline.children), count=1)
        task_id: str | None = None
        im = _ID_RE.match(plain)
        if im:
            task_id = im.group(1) or im.group(2)
            plain = plain[im.end() :]
        title = _LEADING_SEP_RE.sub("", plain) if task_id or pm else plain
        status: TaskStatus = "pending" if m.group(1) == " " else "completed"
        self.drafts.append(
            _TaskDraft(
                line=self.line_of(tokens[i]),
                status=status,
                title=title,
                task_id=task_id,
                priority=priority,
                mvp=_is_mvp(title, raw),
                depth=len(self.items),
                headings=tuple(self.stack),
                parent=self.owner(),
            )
        )
        self.items.append(len(self.drafts) - 1)
        return True

    # ---- results

    def tasks(self, path: str) -> tuple[Task, ...]:
        drafts = self.drafts
        id_count = Counter(d.task_id for d in drafts if d.task_id)
        anchors: list[str] = []
        key_count: Counter[tuple[str, str]] = Counter()
        for d in drafts:
            if d.task_id and id_count[d.task_id] == 1:
                anchors.append(d.task_id)
                continue
            sec = _anchor_path(d.headings[1:])
            title = _norm(d.title)
            key_count[(sec, title)] += 1
            k = key_count[(sec, title)]
            anchors.append(f"§{sec}§{title}" + (f"#{k}" if k > 1 else ""))

        by_id: dict[str, list[int]] = {}
        for idx, d in enumerate(drafts):
            if d.task_id:
                by_id.setdefault(d.task_id, []).append(idx)

        prios: list[str | None] = []
        mvps: list[bool] = []
        out: list[Task] = []
        for idx, d in enumerate(drafts):
            prio = d.priority or d.body_priority
            if prio is None and d.parent is not None:
                prio = prios[d.parent]
            if prio is None:
                prio = next((h.priority for h in reversed(d.headings) if h.priority), None)
            mvp = d.mvp or any(h.mvp for h in d.headings)
            if d.parent is not None:
                mvp = mvp or mvps[d.parent]
            prios.append(prio)
            mvps.append(mvp)
            parent_task_id = drafts[d.parent].task_id if d.parent is not None else None
            if parent_task_id is None and d.task_id:
                parent_task_id = _prefix_parent(d.task_id, idx, by_id)
            out.append(
                Task(
                    file=path,
                    line=d.line,
                    title=d.title,
                    status=d.status,
                    depth=d.depth,
                    section=tuple(h.text for h in d.headings[1:]),
                    anchor=anchors[idx],
                    task_id=d.task_id,
                    body=_cap(d.body),
                    priority=prio,
                    is_mvp=mvp,
                    parent=anchors[d.parent] if d.parent is not None else None,
                    parent_task_id=parent_task_id,
                )
            )
        return tuple(out)

    def sections(self, path: str) -> tuple[Section, ...]:
        seen: Counter[str] = Counter()
        out: list[Section] = []
        for s in self.section_drafts:
            key = _anchor_path(s.headings)
            seen[key] += 1
            if not s.parts:
                continue
            k = seen[key]
            out.append(
                Section(
                    file=path,
                    line=s.line,
                    heading=tuple(h.text for h in s.headings),
                    text="\n".join(s.parts),
                    anchor=f"§{key}" + (f"#{k}" if k > 1 else ""),
                )
            )
        return tuple(out)


def _anchor_path(headings: Sequence[_Heading]) -> str:
    return " > ".join(_norm(h.text) for h in headings if not h.doc_title)


def _prefix_parent(task_id: str, idx: int, by_id: dict[str, list[int]]) -> str | None:
    parts = task_id.split(".")
    while len(parts) > 1:
        parts.pop()
        candidate = ".".join(parts)
        if candidate in by_id:
            others = [j for j in by_id[candidate] if j != idx]
            if others:
                return candidate
    return None


# --------------------------------------------------------------------------------------------------
# plan metadata


def _version(s: str | None) -> str | None:
    if not s:
        return None
    m = _VERSION_RE.search(s)
    return f"v{m.group(1)}" if m else None


def _plan_meta(path: str, front: dict[str, str], walker: _Walker) -> PlanMeta:
    title = front.get("title") or walker.first_h1 or None
    version = _version(PurePath(path).stem) or _version(title)
    progress = walker.progress
    raw_progress = front.get("progress")
    if raw_progress:
        m = re.match(r"^(\d{1,3}(?:[.,]\d+)?)\s*%?$", raw_progress)
        if m and float(m.group(1).replace(",", ".")) <= 100:
            progress = float(m.group(1).replace(",", "."))
    return PlanMeta(title=title, version=version, progress=progress)
