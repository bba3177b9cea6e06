"""Personal data: e-mail addresses, phone numbers, IBANs and card numbers with checksums; example
domains, bad checksums and version or date strings are not personal data."""

from __future__ import annotations

from pathlib import Path

import pytest

from planvec.secrets import personal_spans

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def _found(text: str) -> list[tuple[str, int, str]]:
    return sorted((s.type, s.line, text[s.start : s.end]) for s in personal_spans(text))


def test_each_type_with_its_line() -> None:
    text = (
        "Contact: jeanne.martin@orange.fr\n"
        "Tél. 06 12 34 56 78, standard +33 1 42 68 53 00, US +1 415 555 2671\n"
        "IBAN FR76 3000 6000 0112 3456 7890 189, DE89370400440532013000\n"
        "Visa 4111 1111 1111 1111, Amex 378282246310005\n"
    )
    assert _found(text) == [
        ("card-number", 4, "378282246310005"),
        ("card-number", 4, "4111 1111 1111 1111"),
        ("email", 1, "jeanne.martin@orange.fr"),
        ("iban", 3, "DE89370400440532013000"),
        ("iban", 3, "FR76 3000 6000 0112 3456 7890 189"),
        ("phone", 2, "+1 415 555 2671"),
        ("phone", 2, "+33 1 42 68 53 00"),
        ("phone", 2, "06 12 34 56 78"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "ops@example.com, a@b.test, git@github.com:org/repo.git, noreply@github.com",
        "FR76 3000 6000 0112 3456 7890 188",  # bad IBAN checksum
        "4111 1111 1111 1112",  # bad Luhn checksum
        "9111111111111111",  # passes Luhn, no issuer starts with 9
        "version 1.2.3.4, 2024-01-15 10:00:00, task 1.2.3.4.5.6, build 20240115123045",
        "port 0.0.0.0:8080, id 0612",
        "@types/node @scope/pkg user@localhost",
    ],
)
def test_not_personal(text: str) -> None:
    assert _found(text) == []


def test_shared_corpora_emails_only() -> None:
    """The corpora hold e-mail addresses (examples and calendar ids among them: flagged, since an
    address is personal data when a person reads it) and no phone, IBAN or card number."""
    if not (SHARED / "plans").is_dir():
        pytest.skip(f"shared corpora not found at {SHARED}")
    types = set()
    for corpus in ("plans", "roadmaps-more", "repo"):
        for path in (p for p in (SHARED / corpus).rglob("*") if p.is_file()):
            types.update(s.type for s in personal_spans(path.read_text(encoding="utf-8", errors="replace")))
    assert types == {"email"}


@pytest.mark.parametrize(
    "text", ["", "\x00\x00@\x00", "0" * 10_000, "+" + "1" * 5000, "@" * 1000, "a@" * 500]
)
def test_odd_input_never_raises(text: str) -> None:
    personal_spans(text)
