"""Severity and category of a policy text when the source does not state them in a field.

Severity words are read in English and French (``CRITIQUE``, ``MAJEUR``, ``mineur``...): a heading
``### 🔴 CRITIQUE - Move-Item sans validation`` is a ``critical`` section. A category is the first
of :data:`CATEGORIES` whose words occur most often in the title, the breadcrumb and the start of
the text (accents folded); ``general`` when none does.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from .records import SEVERITIES

_SEVERITY_WORDS: dict[str, str] = {
    "critical": "critical",
    "critique": "critical",
    "crit": "critical",
    "blocker": "critical",
    "bloquant": "critical",
    "high": "high",
    "haute": "high",
    "haut": "high",
    "eleve": "high",
    "elevee": "high",
    "major": "high",
    "majeur": "high",
    "majeure": "high",
    "important": "high",
    "medium": "medium",
    "moderate": "medium",
    "moyen": "medium",
    "moyenne": "medium",
    "modere": "medium",
    "moderee": "medium",
    "warning": "medium",
    "low": "low",
    "faible": "low",
    "minor": "low",
    "mineur": "low",
    "mineure": "low",
    "info": "info",
    "informational": "info",
    "information": "info",
}

# (category, words): the words are accent-folded, lower case, matched as word prefixes.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "vulnerability-disclosure",
        ("disclos", "report a vuln", "reporting", "signaler", "bug bounty", "contact"),
    ),
    (
        "access-control",
        ("rbac", "role", "permission", "authoriz", "authoris", "privilege", "access", "acces"),
    ),
    ("authentication", ("authenti", "login", "password", "mfa", "oauth", "oidc", "jwt", "saml", "sso")),
    ("secrets", ("secret", "credential", "token", "api key", "api-key", "cles", "keys")),
    ("network", ("network", "ingress", "egress", "firewall", "tls", "port", "reseau", "cors")),
    ("workload-security", ("container", "pod", "securitycontext", "run as root", "runasroot", "capabilit")),
    (
        "data-protection",
        ("encrypt", "chiffr", "personal data", "gdpr", "rgpd", "privacy", "backup", "sauvegard"),
    ),
    ("audit-logging", ("audit", "logging", "logs", "journal", "monitor", "alert")),
    ("vulnerability", ("vulnerab", "cve", "patch", "remediat", "correctif", "exploit", "faille")),
    ("incident-response", ("incident", "breach", "response plan", "forensic")),
    ("compliance", ("complian", "conformite", "iso 27001", "soc 2", "soc2", "pci", "hipaa")),
    ("file-protection", ("protect", "critical files", "fichiers critiques", "forbidden")),
)
_WORD_RE = re.compile(r"[a-z0-9]+")
# One pattern per category: its words at the start of a word ('port' in 'ports', not in 'rapport').
_CATEGORY_RES = tuple(
    (name, re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + ")")) for name, words in CATEGORIES
)


def fold(text: str) -> str:
    """Lower-case, accents removed: 'Sécurité' -> 'securite'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def severity_of(value: object) -> str | None:
    """A severity from a field value (``High``, ``P1``, ``critique``), or None when it is not one."""
    if value is None:
        return None
    text = fold(str(value)).strip()
    if text in SEVERITIES:
        return text
    if re.fullmatch(r"p[0-3]", text):
        return ("critical", "high", "medium", "low")[int(text[1])]
    return _SEVERITY_WORDS.get(text)


def severity_in(text: str) -> str | None:
    """The first severity word of a heading or a short line (``🟡 MAJEUR - ...``), or None."""
    for word in _WORD_RE.findall(fold(text)):
        found = _SEVERITY_WORDS.get(word)
        if found is not None:
            return found
    return None


def category_of(parts: Iterable[str], default: str = "general") -> str:
    """The category whose words occur most in ``parts`` (the first, the title, counts double)."""
    items = list(parts)
    if not items:
        return default
    texts = [fold(items[0]), fold(items[0]), *(fold(p)[:600] for p in items[1:])]
    blob = " ".join(texts)
    best, best_n = default, 0
    for name, pattern in _CATEGORY_RES:
        n = len(pattern.findall(blob))
        if n > best_n:
            best, best_n = name, n
    return best


def slug(text: str) -> str:
    """A short stable identifier of a heading or a name: folded words joined by '-'."""
    return "-".join(_WORD_RE.findall(fold(text)))[:120] or "-"


def unique_anchor(base: str, seen: dict[str, int]) -> str:
    """``base``, then ``base#2``, ``base#3``... for its repeats in one file."""
    n = seen.get(base, 0) + 1
    seen[base] = n
    return base if n == 1 else f"{base}#{n}"
