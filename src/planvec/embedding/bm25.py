"""BM25 sparse vectors from Qdrant Edge's tokenizer (``qdrant_edge.Bm25``): no server, no model file.

Documents get term-frequency weights (``k``, ``b``, ``avg_len``); queries get weight 1 per unique
token; the store applies IDF (sparse vector ``bm25`` with the IDF modifier), so the score is BM25.

Default configuration, for plans written mostly in French with English technical words:

- ``language="french"``: French Snowball stemmer (tâches → tâche, configurée ~ configurer; it
  also strips English plural ``s``: tests → test);
- stopwords of French *and* English (le, la, de, et, the, of, and ...);
- ASCII folding on: queries typed without accents match (securite = sécurité). Folding runs
  before stemming, which costs a few French endings (configurée ≠ configurer once folded);
  typing accents or not matters more in a terminal;
- ``avg_len=32``: task texts (id + title + section path + body) average ~35 words in the shared
  corpus, far below the generic 256.

Every option is a constructor argument and goes into :attr:`Bm25Encoder.config_id`, recorded in
the collection metadata, so that changing the configuration triggers a re-index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from importlib import metadata
from typing import Any

import qdrant_edge as qe

from ..errors import UsageError
from ..store.base import SparseVec

DEFAULT_LANGUAGE = "french"
DEFAULT_STOPWORDS = ("french", "english")
DEFAULT_AVG_LEN = 32.0


def _members(enum: type) -> dict[str, Any]:
    """Members of a qdrant_edge enum (pyo3 enums are not iterable) by lower-case name."""
    return {
        n.lower(): getattr(enum, n)
        for n in dir(enum)
        if n[:1].isupper() and isinstance(getattr(enum, n), enum)
    }


_LANGUAGES = _members(qe.Language)
_SNOWBALL = _members(qe.SnowballLanguage)
_TOKENIZERS = _members(qe.TokenizerType)


def _edge_version() -> str:
    try:
        return ".".join(metadata.version("qdrant-edge-py").split(".")[:2])
    except metadata.PackageNotFoundError:  # pragma: no cover - installed from elsewhere
        return "unknown"


def _fmt(x: float) -> str:
    return f"{x:g}"


class Bm25Encoder:
    """Texts → :class:`SparseVec` (indices ascending) with a fixed, recorded configuration.

    - ``language``: Snowball stemmer language (``None``: no stemming), e.g. "french", "english".
    - ``stemmer``: override the stemmer: a Snowball language name, or ``"none"``.
    - ``stopwords``: languages whose stopwords are dropped (``()`` keeps every word).
    - ``ascii_folding`` / ``lowercase``: normalisation before tokenising.
    - ``k``, ``b``, ``avg_len``: BM25 parameters of the document weights.
    - ``tokenizer``: "word" (default), "multilingual", "whitespace", "prefix" or "code".
    - ``min_token_len`` / ``max_token_len``: drop shorter / longer tokens.
    """

    def __init__(
        self,
        language: str | None = DEFAULT_LANGUAGE,
        *,
        stemmer: str | None = None,
        stopwords: Sequence[str] = DEFAULT_STOPWORDS,
        ascii_folding: bool = True,
        lowercase: bool = True,
        k: float = 1.2,
        b: float = 0.75,
        avg_len: float = DEFAULT_AVG_LEN,
        tokenizer: str = "word",
        min_token_len: int | None = None,
        max_token_len: int | None = None,
    ) -> None:
        lang = language.lower() if language else None
        stem = (stemmer or lang or "none").lower()
        if stem != "none" and stem not in _SNOWBALL:
            raise UsageError(
                f"no Snowball stemmer for {stem!r}", hint=f"use one of {', '.join(sorted(_SNOWBALL))}"
            )
        stops = tuple(sorted({s.lower() for s in stopwords}))
        bad = [s for s in stops if s not in _LANGUAGES]
        if bad:
            raise UsageError(
                f"no stopword list for {', '.join(bad)}", hint=f"use some of {', '.join(sorted(_LANGUAGES))}"
            )
        tok = tokenizer.lower()
        if tok not in _TOKENIZERS:
            raise UsageError(
                f"unknown tokenizer {tokenizer!r}", hint=f"use one of {', '.join(sorted(_TOKENIZERS))}"
            )
        self.language = lang
        self.stemmer = stem
        self.stopwords = stops
        self.ascii_folding = ascii_folding
        self.lowercase = lowercase
        self.k, self.b, self.avg_len = float(k), float(b), float(avg_len)
        self.tokenizer = tok
        self.min_token_len, self.max_token_len = min_token_len, max_token_len
        try:
            config = qe.Bm25Config(
                k=self.k,
                b=self.b,
                avg_len=self.avg_len,
                tokenizer=_TOKENIZERS[tok],
                lowercase=lowercase,
                ascii_folding=ascii_folding,
                stopwords=qe.StopwordsSet(languages={_LANGUAGES[s] for s in stops}, custom=set()),
                stemmer=qe.DisabledStemmer() if stem == "none" else qe.SnowballParams(_SNOWBALL[stem]),
                min_token_len=min_token_len,
                max_token_len=max_token_len,
            )
            self._model = qe.Bm25(config)
        except ValueError as e:
            raise UsageError(f"invalid BM25 configuration: {e}") from e
        parts = [
            f"bm25/edge{_edge_version()}",
            f"tok={tok}",
            f"stem={stem}",
            f"stop={'+'.join(stops) or 'none'}",
            f"fold={int(ascii_folding)}",
            f"lower={int(lowercase)}",
            f"k={_fmt(self.k)}",
            f"b={_fmt(self.b)}",
            f"avg={_fmt(self.avg_len)}",
        ]
        if min_token_len is not None or max_token_len is not None:
            parts.append(f"len={min_token_len or 0}-{max_token_len or 0}")
        self.config_id: str = "/".join(parts)

    @staticmethod
    def _vec(sv: qe.SparseVector) -> SparseVec:
        pairs = sorted(zip(sv.indices, sv.values, strict=True))
        return SparseVec(tuple(int(i) for i, _ in pairs), tuple(float(v) for _, v in pairs))

    def embed_documents(self, texts: Iterable[str]) -> list[SparseVec]:
        """Document vectors (term-frequency weights); an empty text gives an empty vector."""
        return [self._vec(self._model.embed_document(t)) for t in texts]

    def embed_query(self, text: str) -> SparseVec:
        """Query vector: weight 1 for each distinct token."""
        return self._vec(self._model.embed_query(text))

    def __repr__(self) -> str:
        return f"Bm25Encoder({self.config_id!r})"
