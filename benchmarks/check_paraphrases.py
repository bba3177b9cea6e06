"""Check the paraphrase dev set: each query names an existing task and shares no content word with it.

Usage: python benchmarks/check_paraphrases.py [benchmarks/queries/paraphrase-dev.jsonl]  (exit 1 on a problem)

A line of the set is ``{"query", "lang": "fr"|"en", "cross": bool, "root", "file", "line", "title"}``:
``root`` is the corpus folder (``plans`` or ``roadmaps-more``), ``file`` is relative to it, ``line``
is where the task's list item starts and ``title`` is the task's title as planvec parses it.

Content words are compared the way a search engine would match them: lower-cased, accents folded,
stop words of French and English dropped, and stemmed by the Snowball stemmers of *both* French
and English (a word is shared when either stem matches). The tokeniser, stop words and Snowball
stemmers are those of ``qdrant_edge.Bm25`` (through planvec's :class:`Bm25Encoder`), the maintained
library planvec already uses for keyword search: no second stemmer to install or hand-write.
A title spoilt by mojibake (UTF-8 read as Latin-1) is compared both as stored and as repaired by
``ftfy``, so a query cannot slip a word through the garbling.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

import ftfy  # noqa: E402

from planvec.embedding.bm25 import Bm25Encoder  # noqa: E402
from planvec.kinds.plans import parse_markdown  # noqa: E402

DEV_SET = HERE / "queries" / "paraphrase-dev.jsonl"
CORPUS = Path(os.environ.get("PLANVEC_SHARED_DIR") or HERE.parent.parent / "shared") / "corpus"
_WORD = re.compile(r"\w+", re.UNICODE)


@lru_cache(maxsize=1)
def _encoders() -> tuple[Bm25Encoder, Bm25Encoder]:
    stops = ("french", "english")
    return Bm25Encoder("french", stopwords=stops), Bm25Encoder("english", stopwords=stops)


def _tokens(text: str) -> set[tuple[int, int]]:
    """(stemmer, token) pairs of the content words of ``text``."""
    return {(i, t) for i, enc in enumerate(_encoders()) for t in enc.embed_query(text).indices}


def shared_words(query: str, title: str) -> list[str]:
    """The words of ``query`` whose stem (French or English) is a content word of ``title``."""
    title_tokens = _tokens(title) | _tokens(ftfy.fix_text(title))
    return [w for w in dict.fromkeys(_WORD.findall(query)) if _tokens(w) & title_tokens]


@lru_cache(maxsize=512)
def _tasks(path: Path) -> dict[int, str]:
    parsed = parse_markdown(path.read_text(encoding="utf-8", errors="replace"), path.name)
    return {t.line: t.title for t in parsed.tasks}


def problems(rows: Iterable[dict[str, Any]], corpus: Path = CORPUS) -> list[str]:
    """Every problem of the set: a missing field, a target that is not a task with that title, a
    query sharing a content word with its target, a target named twice."""
    out: list[str] = []
    seen: set[tuple[str, str, int]] = set()
    for n, row in enumerate(rows, 1):
        missing = [k for k in ("query", "lang", "root", "file", "line", "title") if k not in row]
        if missing:
            out.append(f"#{n}: missing {', '.join(missing)}")
            continue
        if row["lang"] not in ("fr", "en"):
            out.append(f"#{n}: lang must be fr or en, not {row['lang']!r}")
        key = (row["root"], row["file"], int(row["line"]))
        if key in seen:
            out.append(f"#{n}: {row['file']}:{row['line']} is the target of another query")
        seen.add(key)
        path = corpus / row["root"] / row["file"]
        title = _tasks(path).get(int(row["line"])) if path.is_file() else None
        if title is None:
            out.append(f"#{n}: no task at {row['root']}/{row['file']}:{row['line']}")
        elif title != row["title"]:
            out.append(f"#{n}: the task at {row['file']}:{row['line']} is {title!r}, not {row['title']!r}")
        shared = shared_words(row["query"], row["title"])
        if shared:
            out.append(f"#{n}: {row['query']!r} shares {', '.join(shared)} with {row['title']!r}")
    return out


def load(path: Path = DEV_SET) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEV_SET
    rows = load(path)
    found = problems(rows)
    for p in found:
        print(p)
    langs = {lang: sum(r.get("lang") == lang for r in rows) for lang in ("fr", "en")}
    cross = sum(bool(r.get("cross")) for r in rows)
    print(
        f"{len(rows)} queries ({langs['fr']} fr, {langs['en']} en, {cross} cross-lingual): "
        f"{len(found)} problem(s)"
    )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
