"""Which language a corpus is written in, cheaply: the share of French and English stop words.

Used by ``embedder = "auto"`` to pick the model when a collection is created: plans written in
French get the multilingual model, English ones all-MiniLM-L6-v2. A full language identifier is not
needed for two candidates: over a corpus's task titles, the most frequent function words tell
French from English. Accents count as a French signal too, since French titles often have no stop
word ("Créer l'indexeur").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

FRENCH = frozenset(
    [
        "le",
        "la",
        "les",
        "l",
        "de",
        "des",
        "du",
        "d",
        "un",
        "une",
        "et",
        "en",
        "à",
        "au",
        "aux",
        "pour",
        "par",
        "sur",
        "dans",
        "avec",
        "ce",
        "ces",
        "cette",
        "est",
        "sont",
        "qui",
        "que",
        "ne",
        "pas",
        "plus",
        "ou",
        "son",
        "sa",
        "ses",
        "leur",
        "leurs",
        "nos",
        "notre",
        "vos",
        "votre",
        "se",
        "selon",
        "entre",
    ]
)
ENGLISH = frozenset(
    [
        "the",
        "of",
        "and",
        "to",
        "in",
        "for",
        "on",
        "with",
        "by",
        "from",
        "is",
        "are",
        "be",
        "this",
        "that",
        "these",
        "it",
        "its",
        "as",
        "at",
        "or",
        "an",
        "a",
        "into",
        "over",
        "not",
        "all",
        "each",
        "per",
    ]
)
_WORD = re.compile(r"[a-zà-ÿ]+", re.IGNORECASE)
_ACCENT = re.compile(r"[àâäçéèêëîïôöùûüÿœ]", re.IGNORECASE)
SAMPLE = 2000  # texts read at most


def detect(texts: Iterable[str]) -> str:
    """``"fr"`` or ``"en"`` (``"en"`` when nothing tells: an empty corpus, only identifiers)."""
    fr = en = 0
    for i, text in enumerate(texts):
        if i >= SAMPLE:
            break
        words = [w.lower() for w in _WORD.findall(text)]
        fr += sum(w in FRENCH for w in words) + (1 if _ACCENT.search(text) else 0)
        en += sum(w in ENGLISH for w in words)
    return "fr" if fr > en else "en"
