"""Cutting detected values out of what planvec stores.

Two places, both in the index pipeline so that every kind is covered without knowing it:

1. :meth:`Guard.clean_source`: a file's text, before any kind parses it. The value becomes
   ``[REDACTED:<type>]`` (a private key block keeps its line count, so every line number the kind
   reports stays true); what a kind derives from the text (lower-cased word tokens, anchors, point
   ids, problem messages) then never sees the value.
2. :meth:`Guard.clean_doc`: each store document a kind built (embedded text, BM25 text, every string
   of the payload, recursively): a net for what a kind read elsewhere (a sibling file), and where
   the document gets its ``sensitivity`` (public, personal, secret) before its hashes are computed
   again.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..records import StoreDoc, content_hash, payload_hash
from .detect import merge, multiline, path_class, secret_spans
from .files import sensitive_content, sensitive_name
from .findings import Finding, Span, category_of, finding, marker
from .personal import personal_spans
from .salt import load_salt

_MARKER_RE = re.compile(r"\[?REDACTED:([a-z0-9-]+)\]?")
_KEEP_KEYS = frozenset({"root", "file", "content_hash", "payload_hash"})  # what sync reads back
_CROSS_MIN = 8  # a value found in one string is also cut out of the others from this length on
_YAML_SUFFIXES = (".yaml", ".yml")
_BLOCK_RE = re.compile(r"[|>][+-]?\s*$")
_SCALAR_START_RE = re.compile(r"(?:^|:|^\s*-|[\[{,])\s+$|^\s*$")


def redact(text: str, spans: Iterable[Span], *, yaml: bool = False) -> str:
    """``text`` with each span replaced by its marker; the newlines a span covered are kept after
    the marker. ``yaml``: a marker that would start a plain scalar is quoted (``[`` would open a
    flow sequence)."""
    out: list[str] = []
    pos = 0
    for sp in sorted(spans, key=lambda s: s.start):
        if sp.start < pos:
            continue
        out.append(text[pos : sp.start])
        rep = marker(sp.type)
        if yaml and _starts_scalar(text, sp.start, sp.end):
            rep = f'"{rep}"'
        out.append(rep + "\n" * text.count("\n", sp.start, sp.end))
        pos = sp.end
    out.append(text[pos:])
    return "".join(out)


def _starts_scalar(text: str, start: int, end: int) -> bool:
    """Whether a value at ``start`` begins a plain YAML scalar: after ``key: ``, ``- `` or nothing."""
    line_start = text.rfind("\n", 0, start) + 1
    before = text[line_start:start]
    if text[end : end + 1] in ('"', "'"):
        return False
    if not before.strip():  # the first line of a block scalar (``key: |``) is text, not a scalar
        previous = text[text.rfind("\n", 0, max(line_start - 1, 0)) + 1 : max(line_start - 1, 0)]
        if _BLOCK_RE.search(previous):
            return False
    return bool(_SCALAR_START_RE.search(before))


def sensitivity(texts: Iterable[str], personal: bool = False, secret: bool = False) -> str:
    """``secret`` when a secret was redacted in one of ``texts``, ``personal`` when personal data
    is there (or was redacted), else ``public``."""
    for t in texts:
        if "REDACTED:" in t:
            for m in _MARKER_RE.finditer(t):
                if category_of(m.group(1)) == "secret":
                    secret = True
                else:
                    personal = True
    return "secret" if secret else "personal" if personal else "public"


class Guard:
    """The secret and personal-data step of one index run: what it found (without the values), the
    files it withheld, and the two cleaning steps (see the module docstring)."""

    def __init__(
        self,
        *,
        redact_personal: bool = False,
        index_secret_files: bool = False,
        data_dir: Path | str | None = None,
    ) -> None:
        self.redact_personal = redact_personal
        self.index_secret_files = index_secret_files
        self.data_dir = data_dir
        self.findings: list[Finding] = []  # secrets, each once per file and value
        self.personal: Counter[str] = Counter()  # personal data found, per type
        self.sensitive_files: list[dict[str, str]] = []  # {"path", "reason"}
        self._salt: bytes | None = None
        self._seen: set[tuple[str, str]] = set()
        self._personal_files: set[str] = set()
        # Lines the detectors found nothing in, per path class (see detect.path_class): a document
        # repeats its file's lines (a task's body, its heading in every task under it), and each
        # line is scanned once per run.
        self._clean: set[tuple[str, str]] = set()

    @property
    def salt(self) -> bytes:
        if self._salt is None:
            self._salt = load_salt(self.data_dir)
        return self._salt

    # -- files ----------------------------------------------------------------------------------
    def withholds_name(self, rel: str) -> bool:
        """Whether the file ``rel`` is withheld from every kind by its name (reported)."""
        return self._withhold(rel, sensitive_name(rel))

    def withholds_content(self, rel: str, text: str) -> bool:
        """Whether the file ``rel`` is withheld from every kind by what it holds (reported)."""
        return self._withhold(rel, sensitive_content(rel, text))

    def _withhold(self, rel: str, reason: str | None) -> bool:
        if reason is None:
            return False
        self.sensitive_files.append({"path": rel, "reason": reason})
        return not self.index_secret_files

    # -- texts ----------------------------------------------------------------------------------
    def clean_source(self, text: str, rel: str) -> str:
        """A file's text with its secrets (and, with ``redact_personal``, its personal data) redacted;
        the findings are recorded."""
        spans = secret_spans(text, rel)
        for sp in spans:
            self._record(finding(sp, text, rel, self.salt))
        self._remember_clean(text, spans, path_class(rel))
        people = [
            p for p in personal_spans(text) if not any(p.start < s.end and s.start < p.end for s in spans)
        ]
        if people:
            self._personal_files.add(rel)
            self.personal.update(p.type for p in people)
            if self.redact_personal:
                spans = merge([*spans, *people])
        if not spans:
            return text
        return redact(text, spans, yaml=rel.lower().endswith(_YAML_SUFFIXES))

    def _remember_clean(self, text: str, spans: list[Span], cls: str) -> None:
        hit = {ln for sp in spans for ln in range(sp.line, sp.line + text.count("\n", sp.start, sp.end) + 1)}
        self._clean.update((cls, ln) for n, ln in enumerate(text.split("\n"), 1) if n not in hit)

    def _record(self, f: Finding) -> None:
        if (f.file, f.hash) not in self._seen:
            self._seen.add((f.file, f.hash))
            self.findings.append(f)

    def clean_doc(self, doc: StoreDoc, model_key: str) -> StoreDoc:
        """The document with every value detected in its texts cut out, its ``sensitivity`` set, and
        its hashes computed again."""
        file = str(doc.payload.get("file") or "")
        line = int(doc.payload.get("line") or 0)
        # One text of every distinct string, one per line: the detectors run once per document.
        strings: list[str] = [doc.text, doc.sparse_text]
        _collect(doc.payload, strings)
        everything = joined = "\n".join(dict.fromkeys(strings))
        cls = path_class(file)
        if not multiline(joined):  # (line by line, the lines scanned before are clean)
            joined = "\n".join(ln for ln in dict.fromkeys(joined.split("\n")) if (cls, ln) not in self._clean)
        values: dict[str, str] = {}
        found = secret_spans(joined, file)
        self._remember_clean(joined, found, cls)
        for sp in found:
            _add_value(values, joined[sp.start : sp.end], sp.type)
            self._record(replace(finding(sp, joined, file, self.salt), line=line))
        personal = False
        if file in self._personal_files:
            for sp in personal_spans(everything):  # (lines clean of secrets may hold personal data)
                personal = True
                if self.redact_personal:
                    _add_value(values, everything[sp.start : sp.end], sp.type)
        level = sensitivity([everything, *(marker(t) for t in values.values())], personal=personal)
        if not values:  # (most documents: nothing to cut out)
            payload = {**doc.payload, "sensitivity": level}
            payload["payload_hash"] = payload_hash(payload)
            return StoreDoc(doc.point_id, doc.text, doc.sparse_text, payload)
        scrub = _scrubber(values)
        text, sparse = scrub(doc.text), scrub(doc.sparse_text)
        payload = {k: (v if k in _KEEP_KEYS else _walk(v, scrub, values)) for k, v in doc.payload.items()}
        payload["sensitivity"] = level
        if text != doc.text or sparse != doc.sparse_text:
            payload["content_hash"] = content_hash(f"{text}\x1e{sparse}", model_key)
        payload["payload_hash"] = payload_hash(payload)
        return StoreDoc(doc.point_id, text, sparse, payload)

    def counts(self) -> dict[str, int]:
        """Secret findings per type."""
        return dict(sorted(Counter(f.type for f in self.findings).items()))


def _add_value(values: dict[str, str], value: str, type_: str) -> None:
    """A value to cut out of every string; a value over several lines (a private key) also line by
    line, since each string holds only part of it."""
    values[value] = type_
    if "\n" in value:
        for piece in value.split("\n"):
            if len(piece.strip()) >= _CROSS_MIN:
                values[piece.strip()] = type_


def _collect(obj: Any, out: list[str]) -> None:
    """Every string of a payload (not those sync reads back: root, file, hashes), into ``out``."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            stack.extend(v for k, v in item.items() if k not in _KEEP_KEYS)
        elif isinstance(item, list | tuple):
            stack.extend(item)


def _scrubber(values: dict[str, str]) -> Callable[[str], str]:
    """A function replacing every value (longest first; from :data:`_CROSS_MIN` characters on,
    whatever its case) by its marker."""
    if not values:
        return lambda s: s
    exact = sorted(values, key=len, reverse=True)
    folded = {v.casefold(): t for v, t in values.items() if len(v) >= _CROSS_MIN}
    pattern = re.compile("|".join(re.escape(v) for v in exact))
    loose = (
        re.compile("|".join(re.escape(v) for v in sorted(folded, key=len, reverse=True)), re.I)
        if folded
        else None
    )

    def scrub(s: str) -> str:
        s = pattern.sub(lambda m: marker(values[m.group(0)]), s)
        if loose is not None:
            s = loose.sub(lambda m: marker(folded.get(m.group(0).casefold(), "secret")), s)
        return s

    return scrub


def _walk(obj: Any, scrub: Callable[[str], str], values: dict[str, str]) -> Any:
    if isinstance(obj, str):
        return scrub(obj)
    if isinstance(obj, dict):
        return {k: v if k in _KEEP_KEYS else _walk(v, scrub, values) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_token(_walk(v, scrub, values), values) for v in obj]
    return obj


def _token(item: Any, values: dict[str, str]) -> Any:
    """A word token of a list (``section_tokens``: lower-cased words of a heading) that is a piece
    of a long detected value is cut out too."""
    if isinstance(item, str) and len(item) >= 4 and " " not in item:
        low = item.casefold()
        for v, t in values.items():
            if len(v) >= _CROSS_MIN and low in v.casefold():
                return marker(t)
    return item
