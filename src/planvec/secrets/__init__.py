"""Secrets never leave the file; personal data is classified (and, on request, redacted).

* :func:`secret_spans` / :func:`scan_text`: the detector (detect-secrets plugins + planvec's
  configuration-key rules), reusable by a security scan: findings of one text with file and line;
* :func:`personal_spans`: e-mail addresses, phone numbers, IBANs, card numbers;
* :class:`Guard`: the step of the index pipeline between reading a file and storing documents, for
  every kind (see :mod:`.redact`);
* :func:`sensitive_name` / :func:`sensitive_content`: files that are secrets by nature;
* :func:`sensitivity_filter`: the generic ``sensitivity`` search filter of every kind.
"""

from __future__ import annotations

from .detect import secret_spans
from .files import sensitive_content, sensitive_name
from .filters import SENSITIVITY_FIELD, SENSITIVITY_INDEX, sensitivity_filter, split_sensitivity
from .findings import PERSONAL_TYPES, SENSITIVITY_LEVELS, Finding, Span, finding, marker
from .personal import personal_spans
from .redact import Guard, redact, sensitivity
from .salt import SALT_NAME, load_salt

__all__ = [
    "PERSONAL_TYPES",
    "SALT_NAME",
    "SENSITIVITY_FIELD",
    "SENSITIVITY_INDEX",
    "SENSITIVITY_LEVELS",
    "Finding",
    "Guard",
    "Span",
    "finding",
    "load_salt",
    "marker",
    "personal_spans",
    "redact",
    "scan_text",
    "secret_spans",
    "sensitive_content",
    "sensitive_name",
    "sensitivity",
    "sensitivity_filter",
    "split_sensitivity",
]


def scan_text(text: str, file: str, salt: bytes, *, personal: bool = False) -> list[Finding]:
    """The findings of one text (secrets; with ``personal`` also personal data), in text order,
    with file and line and without the values: what a security scan reports."""
    spans = secret_spans(text, file)
    if personal:
        spans = sorted([*spans, *personal_spans(text)], key=lambda s: s.start)
    return [finding(sp, text, file, salt) for sp in spans]
