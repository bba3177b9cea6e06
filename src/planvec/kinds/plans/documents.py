"""Plan records → store documents: the text that is embedded, the BM25 text, the payload, the point id.

Which text is embedded for a task is a choice measured on the labelled query set
(``benchmarks/eval_recall.py``); see :func:`task_text` for the variants.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ...records import StoreDoc, finish_doc, point_id
from .records import ParsedFile, Section, Task

BODY_IN_TEXT = 300  # characters of the body added to the embedded text by the "context_body" variant
_TOKEN_RE = re.compile(r"[0-9a-z]+")


def fold(text: str) -> str:
    """Lower-case, strip accents: 'Sécurité' -> 'securite'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def word_tokens(text: str) -> list[str]:
    """Accent-folded lower-case word tokens, used for ``--section`` matching."""
    return _TOKEN_RE.findall(fold(text))


def id_prefixes(task_id: str | None) -> list[str]:
    """'1.2.3' -> ['1', '1.2', '1.2.3'] so that a prefix filter is an exact keyword match."""
    if not task_id:
        return []
    parts = task_id.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def task_text(task: Task, parent_title: str | None, variant: str) -> str:
    """The text embedded for a task.

    - ``title``: the task title alone.
    - ``title_section``: the title, then the innermost heading.
    - ``context``: innermost heading, parent task title, then the title (``A > B: title``).
    - ``context_body``: ``context`` plus the start of the body (micro-steps).
    """
    if variant == "title":
        return task.title
    if variant == "title_section":
        return f"{task.title} ({task.section[-1]})" if task.section else task.title
    ctx = [p for p in (task.section[-1] if task.section else None, parent_title) if p]
    text = f"{' > '.join(ctx)}: {task.title}" if ctx else task.title
    if variant == "context_body" and task.body:
        text = f"{text}\n{task.body[:BODY_IN_TEXT]}"
    return text


def _plan_payload(pf: ParsedFile) -> dict[str, Any]:
    return {
        "plan_title": pf.plan.title,
        "plan_version": pf.plan.version,
        "plan_progress": pf.plan.progress,
    }


def task_docs(pf: ParsedFile, root: str, collection: str, variant: str, model_key: str) -> Iterator[StoreDoc]:
    """Store documents for the tasks of one parsed file."""
    by_anchor = {t.anchor: t for t in pf.tasks}
    plan = _plan_payload(pf)
    for t in pf.tasks:
        parent = by_anchor.get(t.parent) if t.parent else None
        text = task_text(t, parent.title if parent else None, variant)
        sparse_text = " ".join(p for p in (t.task_id, t.title, " ".join(t.section), t.body) if p)
        payload: dict[str, Any] = {
            "kind": "task",
            "root": root,
            "file": pf.path,
            "line": t.line,
            "anchor": t.anchor,
            "task_id": t.task_id,
            "task_id_prefixes": id_prefixes(t.task_id),
            "title": t.title,
            "body": t.body,
            "status": t.status,
            "priority": t.priority,
            "is_mvp": t.is_mvp,
            "section": " > ".join(t.section),
            "section_path": list(t.section),
            "section_tokens": sorted(set(word_tokens(" ".join(t.section)))),
            "depth": t.depth,
            "parent": t.parent,
            "parent_task_id": t.parent_task_id,
            "parent_id": point_id(collection, f"{root}/{pf.path}", t.parent) if t.parent else None,
            **plan,
        }
        yield finish_doc(collection, root, pf.path, t.anchor, text, sparse_text, payload, model_key)


def split_to_tokens(text: str, count_tokens: Callable[[str], int], max_tokens: int) -> list[str]:
    """Split prose into chunks of at most ``max_tokens`` model tokens (special tokens included).

    Splits on paragraph boundaries first, then on lines, then on words for a single huge line.
    """
    if count_tokens(text) <= max_tokens:
        return [text]
    chunks: list[str] = []
    current: list[str] = []
    for unit in _units(text, count_tokens, max_tokens):
        candidate = "\n".join([*current, unit])
        if current and count_tokens(candidate) > max_tokens:
            chunks.append("\n".join(current))
            current = [unit]
        else:
            current.append(unit)
    if current:
        chunks.append("\n".join(current))
    return chunks


def _units(text: str, count_tokens: Callable[[str], int], max_tokens: int) -> Iterator[str]:
    for line in (ln for ln in text.split("\n") if ln.strip()):
        if count_tokens(line) <= max_tokens:
            yield line
            continue
        words, part = line.split(), list[str]()
        for word in words:
            if part and count_tokens(" ".join([*part, word])) > max_tokens:
                yield " ".join(part)
                part = []
            part.append(word)
        if part:
            yield " ".join(part)


def section_docs(
    pf: ParsedFile,
    root: str,
    collection: str,
    model_key: str,
    count_tokens: Callable[[str], int],
    max_tokens: int,
) -> Iterator[StoreDoc]:
    """Store documents for the prose sections of one parsed file, split to the token limit."""
    plan = _plan_payload(pf)
    for s in pf.sections:
        yield from _section_chunks(s, pf, root, collection, model_key, count_tokens, max_tokens, plan)


def _section_chunks(
    s: Section,
    pf: ParsedFile,
    root: str,
    collection: str,
    model_key: str,
    count_tokens: Callable[[str], int],
    max_tokens: int,
    plan: dict[str, Any],
) -> Iterable[StoreDoc]:
    heading = " > ".join(s.heading)
    for i, chunk in enumerate(split_to_tokens(s.text, count_tokens, max_tokens)):
        payload: dict[str, Any] = {
            "kind": "section",
            "root": root,
            "file": pf.path,
            "line": s.line,
            "anchor": f"{s.anchor}#chunk{i}",
            "task_id": None,
            "task_id_prefixes": [],
            "title": s.heading[-1] if s.heading else (pf.plan.title or pf.path),
            "status": None,
            "priority": None,
            "is_mvp": False,
            "section": heading,
            "section_path": list(s.heading),
            "section_tokens": sorted(set(word_tokens(heading))),
            "chunk": i,
            **plan,
        }
        yield finish_doc(
            collection, root, pf.path, f"{s.anchor}#chunk{i}", chunk, f"{heading} {chunk}", payload, model_key
        )
