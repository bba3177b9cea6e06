"""The secret detector: planted fake secrets of each type are found with their line, the real files
of the shared corpora give exactly the findings judged in the note (no false positive), and odd
input never raises."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from planvec.secrets import scan_text, secret_spans
from planvec.secrets.keys import is_placeholder, key_type

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def _b64url(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


JWT = f"{_b64url({'alg': 'HS256'})}.{_b64url({'sub': 'x'})}.c2lnbmF0dXJlLXBsYW52ZWMtdGVzdA"


def _found(text: str, path: str = "notes.md") -> list[tuple[str, int, str]]:
    return [(s.type, s.line, text[s.start : s.end]) for s in secret_spans(text, path)]


@pytest.mark.parametrize(
    ("line", "type_", "value"),
    [
        ("key AKIAIOSFODNN7EXAMPLE here", "aws-key", "AKIAIOSFODNN7EXAMPLE"),
        (
            'aws_secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
            "aws-key",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        (
            "gh ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8 ok",
            "github-token",
            "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
        ),
        ("glpat-AbCdEfGhIjKlMnOpQrSt12", "gitlab-token", "glpat-AbCdEfGhIjKlMnOpQrSt12"),
        ("slack xoxb-123456789012-abcdefghijkl", "slack-token", "xoxb-123456789012-abcdefghijkl"),
        ("stripe sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "stripe-key", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
        (f"jwt {JWT} end", "jwt", JWT),
        ("clone https://ci:Pa55w0rdQ9@git.lan/r.git", "basic-auth", "Pa55w0rdQ9"),
        ('db_pass = "Zq9-vK2mN5pL"', "password", "Zq9-vK2mN5pL"),
        ('conn.login(user, password="Zq9-vK2mN5pL")', "secret-keyword", "Zq9-vK2mN5pL"),
        (
            'headers = {"Authorization": "Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0ffeeddcc"}',
            "bearer-token",
            "9f8e7d6c5b4a39281706f5e4d3c2b1a0ffeeddcc",
        ),
    ],
)
def test_planted_secrets_are_found(line: str, type_: str, value: str) -> None:
    text = f"# Notes\n\n{line}\n"
    assert _found(text) == [(type_, 3, value)]


def test_config_key_rules_in_config_files() -> None:
    env = "API_TOKEN=tok_9f8e7d6c5b\nDB_PASSWORD=admin123\nGEMINI_API_KEY=your_gemini_api_key_here\n"
    env += "PASSWORD_MIN_LENGTH=12\nSECRET_NAME=app-secret\nJWT_SECRET=\nexport PRIVATE_KEY=k3y-Mat3rial\n"
    assert _found(env, "deploy/.env") == [
        ("token", 1, "tok_9f8e7d6c5b"),
        ("default-password", 2, "admin123"),
        ("private-key", 7, "k3y-Mat3rial"),
    ]
    yaml = 'db:\n  password: "CHANGE_ME_DB_PASSWORD"\n  credentials: config/credentials/gcp.json\n'
    yaml += "  secretName: x\n  api-key: {{ .Values.key }}\n  token: ${TOKEN}\n  jwt-private-key: |\n"
    yaml += "  passphrase: hunter2hunter2\n"
    assert _found(yaml, "k8s/app.yaml") == [("password", 8, "hunter2hunter2")]


def test_prose_is_not_a_secret() -> None:
    prose = "\n".join(
        [
            "- Token: JWT",
            "- password: required, at least 12 characters",
            "Set `max_tokens: 4096` and `token_ttl: 3600s`.",
            "The secret is to keep tasks small.",
            'token = os.getenv("NOTION_TOKEN")',
            "Use a tokenizer: bert-base",
            "-----BEGIN PUBLIC KEY-----",
            "api_key_env: OPENAI_API_KEY",
        ]
    )
    assert _found(prose) == []


def test_private_key_block_spans_its_lines() -> None:
    body = ["MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun"] * 3
    text = (
        "intro\n-----BEGIN RSA PRIVATE KEY-----\n"
        + "\n".join(body)
        + "\n-----END RSA PRIVATE KEY-----\nafter\n"
    )
    [(type_, line, value)] = _found(text)
    assert (type_, line) == ("private-key", 2) and value.count("\n") == 4 and value.endswith("KEY-----")
    # Without an END line: as far as the lines look like the key's body.
    cut = "intro\n-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(body) + "\nplain words after\n"
    [(_, _, value)] = _found(cut)
    assert value.endswith(body[0]) and "plain" not in value


def test_findings_carry_no_value() -> None:
    text = "password: 'Zq9-vK2mN5pLw'\n"
    [f] = scan_text(text, "a.yaml", b"salt")
    assert (f.type, f.file, f.line) == ("password", "a.yaml", 1)
    assert "Zq9" not in json.dumps(f.to_dict()) and f.hash.startswith(f.fingerprint)
    assert scan_text(text, "a.yaml", b"other")[0].hash != f.hash  # salted


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\x00\x01\x02 binary password=\x00",
        "-----BEGIN RSA PRIVATE KEY-----",
        "password: '",
        "x" * 200_000,
        "token: " + "A" * 5000,
        "key=" + "é" * 100 + "\n" * 50,
        'password = "unterminated',
    ],
)
def test_odd_input_never_raises(text: str) -> None:
    for path in ("a.md", "a.yaml", ".env", "package-lock.json", ""):
        secret_spans(text, path)


def test_key_names_and_placeholders() -> None:
    assert key_type("dbPassword") == "password" and key_type("client-secret") == "api-key"
    assert key_type("password_min_length") is None and key_type("tokenizer") is None
    assert key_type("secretKeyRef") is None and key_type("max_tokens") is None
    for v in (
        "",
        "${X}",
        "{{ x }}",
        "<your key>",
        "your_key_here",
        "xxxx",
        "****",
        "[REDACTED:token]",
        "null",
    ):
        assert is_placeholder(v), v
    assert not is_placeholder("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


# Every finding of the detector on the shared corpora, each judged in the note (all true positives:
# a default password or a literal secret in an example manifest).
CORPUS_FINDINGS = {
    ("plans", "plan-dev-v34-rag-go.md", 1083, "default-password"),
    ("plans", "plan-dev-v55-planning-ecosystem-sync.md", 1830, "basic-auth"),
    ("roadmaps-more", "scripts-open-source.md", 1095, "default-password"),
    ("repo", ".env.example", 44, "default-password"),
    ("repo", "development/managers/contextual-memory-manager/config/.env.example", 9, "default-password"),
    ("repo", "kubernetes/enterprise/auth.yaml", 207, "password"),
    ("repo", "kubernetes/enterprise/auth.yaml", 208, "password"),
    ("repo", "kubernetes/enterprise/auth.yaml", 209, "api-key"),
    ("repo", "kubernetes/enterprise/auth.yaml", 210, "api-key"),
    ("repo", "kubernetes/enterprise/auth.yaml", 211, "secret"),
    ("repo", "kubernetes/enterprise/auth.yaml", 213, "private-key"),
}


def test_shared_corpora_findings_are_the_judged_ones() -> None:
    if not (SHARED / "repo").is_dir():
        pytest.skip(f"shared corpora not found at {SHARED}")
    found = set()
    for corpus in ("plans", "roadmaps-more", "repo"):
        for path in sorted(p for p in (SHARED / corpus).rglob("*") if p.is_file()):
            rel = path.relative_to(SHARED / corpus).as_posix()
            text = path.read_text(encoding="utf-8", errors="replace")
            found.update((corpus, rel, s.line, s.type) for s in secret_spans(text, rel))
    assert found == CORPUS_FINDINGS
