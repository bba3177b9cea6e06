"""Personal data in a text: e-mail addresses, phone numbers (``phonenumbers``, French numbers and
international ones), IBANs (``stdnum.iban``, checksum) and payment card numbers (``stdnum.luhn``,
with the issuers' lengths and prefixes). Found values classify a document as ``personal``; with
``redact_personal`` they are redacted like secrets.

Addresses of the reserved example domains (RFC 2606: ``example.com``, ``*.test`` ...) are not
personal data; neither are ``git@`` or ``noreply@`` addresses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers
from stdnum import iban, luhn

from .findings import Span

_EMAIL_RE = re.compile(
    r"(?<![\w.+%-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}(?![\w-])"
)
_NOT_PERSONAL_DOMAIN_RE = re.compile(
    r"(?:^|\.)(?:example\.(?:com|org|net)|example|test|invalid|localhost|local)$", re.IGNORECASE
)
_NOT_PERSONAL_USER = frozenset({"git", "noreply", "no-reply", "donotreply"})
# A phone number starts with + or 00 (international) or 0 (French), then digits with separators.
_PHONE_GATE_RE = re.compile(r"(?:\+|\b00|\b0)[1-9][\d .()\-]{7,}")
_IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_CARD_RE = re.compile(r"(?<![\d.\-])\d(?:[ \-]?\d){12,18}(?![\d\-]|\.\d)")
# Card issuers: prefixes (as ranges of the leading digits) and valid lengths.
_CARD_ISSUERS: tuple[tuple[int, int, int, tuple[int, ...]], ...] = (
    (1, 4, 4, (13, 16, 19)),  # Visa
    (2, 51, 55, (16,)),  # Mastercard
    (4, 2221, 2720, (16,)),  # Mastercard 2-series
    (2, 34, 34, (15,)),  # American Express
    (2, 37, 37, (15,)),
    (4, 6011, 6011, (16, 19)),  # Discover
    (2, 65, 65, (16, 19)),
    (3, 644, 649, (16, 19)),
    (4, 3528, 3589, (16, 19)),  # JCB
    (2, 36, 36, (14,)),  # Diners Club
)


def personal_spans(text: str) -> list[Span]:
    """Every e-mail address, phone number, IBAN and card number of ``text``, with its line."""
    out: list[Span] = []
    if "@" in text:
        out.extend(_emails(text))
    if any(c.isdigit() for c in text):
        out.extend(_ibans(text))
        out.extend(_cards(text))
        out.extend(_phones(text))
    return out


def _line(text: str, at: int) -> int:
    return text.count("\n", 0, at) + 1


def _emails(text: str) -> Iterator[Span]:
    for m in _EMAIL_RE.finditer(text):
        user, _, domain = m.group(0).rpartition("@")
        if user.lower() in _NOT_PERSONAL_USER or _NOT_PERSONAL_DOMAIN_RE.search(domain):
            continue
        yield Span("email", m.start(), m.end(), _line(text, m.start()))


def _ibans(text: str) -> Iterator[Span]:
    for m in _IBAN_RE.finditer(text):
        if iban.is_valid(m.group(0)):
            yield Span("iban", m.start(), m.end(), _line(text, m.start()))


def _cards(text: str) -> Iterator[Span]:
    for m in _CARD_RE.finditer(text):
        digits = re.sub(r"[ \-]", "", m.group(0))
        if _card_issuer_ok(digits) and luhn.is_valid(digits):
            yield Span("card-number", m.start(), m.end(), _line(text, m.start()))


def _card_issuer_ok(digits: str) -> bool:
    return any(lo <= int(digits[:n]) <= hi and len(digits) in lengths for n, lo, hi, lengths in _CARD_ISSUERS)


def _phones(text: str) -> Iterator[Span]:
    """``phonenumbers.PhoneNumberMatcher`` (region FR, valid numbers only) on the lines that hold
    something shaped like a phone number."""
    done = -1
    for g in _PHONE_GATE_RE.finditer(text):
        if g.start() < done:
            continue
        begin = text.rfind("\n", 0, g.start()) + 1
        end = text.find("\n", g.end())
        done = end = len(text) if end == -1 else end
        line = text[begin:end]
        for m in phonenumbers.PhoneNumberMatcher(line, "FR", leniency=phonenumbers.Leniency.VALID):
            yield Span("phone", begin + m.start, begin + m.end, _line(text, begin + m.start))
