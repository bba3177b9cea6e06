"""Policy records → store documents: one point per record (a long text is several chunks, each a
point with ``chunk`` set, folded back into one hit by the search).

The embedded text is the record's title and breadcrumb line, then its text; the BM25 text adds
the policy id, the name, the category, the severity and the tags. The anchor (and so the point
id) is the record's anchor: a policy id, a heading path, an object's kind/namespace/name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ...records import StoreDoc, finish_doc
from .classify import fold
from .records import Policy, PolicyFile


def split_to_tokens(text: str, count_tokens: Callable[[str], int], max_tokens: int) -> list[str]:
    """``text`` in chunks of at most ``max_tokens`` model tokens, cut between lines (a line longer
    than that is cut between words)."""
    if count_tokens(text) <= max_tokens:
        return [text]
    chunks: list[str] = []
    current: list[str] = []
    for unit in _units(text, count_tokens, max_tokens):
        if current and count_tokens("\n".join([*current, unit])) > max_tokens:
            chunks.append("\n".join(current))
            current = []
        current.append(unit)
    if current:
        chunks.append("\n".join(current))
    return chunks


def _units(text: str, count_tokens: Callable[[str], int], max_tokens: int) -> Iterator[str]:
    for line in (ln for ln in text.split("\n") if ln.strip()):
        if count_tokens(line) <= max_tokens:
            yield line
            continue
        part: list[str] = []
        for word in line.split():
            if part and count_tokens(" ".join([*part, word])) > max_tokens:
                yield " ".join(part)
                part = []
            part.append(word)
        if part:
            yield " ".join(part)


def payload_of(p: Policy, pf: PolicyFile, root: str) -> dict[str, Any]:
    return {
        "kind": p.kind,
        "root": root,
        "file": pf.path,
        "line": p.line,
        "anchor": p.anchor,
        "title": p.title,
        "category": fold(p.category).strip() or "general",
        "severity": p.severity,
        "format": p.format,
        "tags": list(p.tags),
        "enabled": p.enabled,
        "section": " > ".join(p.section),
        "section_path": list(p.section),
        "policy_id": p.policy_id,
        "name": p.name,
        "description": p.description,
        "rules": list(p.rules),
        "conditions": list(p.conditions),
        "actions": list(p.actions),
        **{k: v for k, v in p.extra.items() if v not in (None, [], "")},
    }


def policy_docs(
    pf: PolicyFile,
    root: str,
    collection: str,
    model_key: str,
    count_tokens: Callable[[str], int],
    max_tokens: int,
) -> Iterator[StoreDoc]:
    for p in pf.policies:
        crumbs = " > ".join(p.section[:-1]) if len(p.section) > 1 else ""
        head = f"{crumbs}: {p.title}" if crumbs and not p.text.startswith(p.title) else ""
        full = f"{head}\n{p.text}".strip() if head else p.text
        keywords = " ".join(x for x in (p.policy_id, p.name, p.category, p.severity, *p.tags) if x)
        chunks = split_to_tokens(full, count_tokens, max_tokens)
        for i, chunk in enumerate(chunks):
            payload = payload_of(p, pf, root)
            anchor = p.anchor
            if len(chunks) > 1:
                payload["chunk"] = i
                anchor = f"{p.anchor}#chunk{i}"
            payload["anchor"] = anchor
            sparse = f"{p.title} {' '.join(p.section)} {keywords} {chunk}"
            yield finish_doc(collection, root, pf.path, anchor, chunk, sparse, payload, model_key)
