"""What the secret and personal-data detectors return: spans (with the value, internal to this
package: they only serve to cut the value out) and findings (what is reported: type, file, line, a
salted hash and a short fingerprint — never the value)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Literal

Category = Literal["secret", "personal"]

#: The types of personal data (everything else a detector reports is a secret).
PERSONAL_TYPES = frozenset({"email", "phone", "iban", "card-number"})

#: ``payload["sensitivity"]`` values, from the least to the most sensitive. ``internal`` is never set
#: by the detectors: it is reserved for kinds whose documents are internal by nature (the security
#: policies kind).
SENSITIVITY_LEVELS = ("public", "internal", "personal", "secret")


def category_of(type_: str) -> Category:
    return "personal" if type_ in PERSONAL_TYPES else "secret"


def marker(type_: str) -> str:
    """What replaces a detected value in everything stored."""
    return f"[REDACTED:{type_}]"


@dataclass(frozen=True, slots=True)
class Span:
    """A detected value at ``text[start:end]`` (``line``: 1-based line of ``start``)."""

    type: str
    start: int
    end: int
    line: int

    @property
    def category(self) -> Category:
        return category_of(self.type)


@dataclass(frozen=True, slots=True)
class Finding:
    """A detected value as it is reported: where and what kind, and a salted hash of the value (to
    recognise the same value again, e.g. in a baseline) whose first characters are the fingerprint."""

    type: str
    file: str
    line: int
    hash: str  # HMAC-SHA256 of the value with the data directory's salt, hex
    category: Category = "secret"

    @property
    def fingerprint(self) -> str:
        return self.hash[:12]

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "category": self.category,
            "file": self.file,
            "line": self.line,
            "hash": self.hash,
            "fingerprint": self.fingerprint,
        }


def salted_hash(salt: bytes, value: str) -> str:
    return hmac.new(salt, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def finding(span: Span, text: str, file: str, salt: bytes) -> Finding:
    return Finding(span.type, file, span.line, salted_hash(salt, text[span.start : span.end]), span.category)
