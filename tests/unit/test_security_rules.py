"""The configuration rules of the security scan, one positive and one negative case each, the
``key: value`` reader on each configuration syntax, and the sensitive-file names."""

from __future__ import annotations

from pathlib import Path

import pytest

from planvec.ops.security_rules import RULES, check_config, config_entries, is_config, is_template
from planvec.ops.security_sources import sensitive_reason


def found(rel: str, text: str) -> list[tuple[str, int]]:
    return [(rule.id, entry.line) for rule, entry, _ in check_config(rel, text)]


def test_every_rule_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "security-rules.md").read_text(encoding="utf-8")
    for rule in RULES:
        assert f"## {rule.id}" in doc and rule.severity in doc


@pytest.mark.parametrize(
    ("rel", "text", "expected"),
    [
        ("config/prod.yaml", "debug: true\n", [("SEC001", 1)]),
        ("app.yaml", "environment: production\nlog: info\nDEBUG: 'on'\n", [("SEC001", 3)]),
        ("config/dev.yaml", "debug: true\n", []),
        ("nginx.conf", "[server]\nssl_protocols = TLSv1 TLSv1.2\n", [("SEC002", 2)]),
        ("s.yaml", "server:\n  tls:\n    min_version: '1.1'\n", [("SEC002", 3)]),
        ("s.yaml", "server:\n  tls:\n    min_version: '1.2'\napp:\n  min_version: 1.0\n", []),
        ("pod.yaml", "securityContext:\n  privileged: true\n", [("SEC003", 2)]),
        (
            "pod.yaml",
            "securityContext:\n  allowPrivilegeEscalation: true\n  runAsUser: 0\n",
            [("SEC004", 2), ("SEC005", 3)],
        ),
        ("compose.yml", "services:\n  web:\n    user: root\n", [("SEC005", 3)]),
        ("pod.yaml", "securityContext:\n  privileged: false\n  runAsNonRoot: true\n", []),
        ("svc.toml", '[http]\nhost = "0.0.0.0"\n', [("SEC006", 2)]),
        ("svc.toml", '[http]\nhost = "0.0.0.0"\n[auth]\ntoken_file = "/run/t"\n', []),
        (".env.example", "DB_PASSWORD=changeme\nADMIN_PASS=admin123\n", [("SEC007", 1), ("SEC007", 2)]),
        ("c.json", '{\n  "db": {\n    "password": "password",\n  }\n}\n', [("SEC007", 3)]),
        (".env.example", "DB_PASSWORD=\nAPI_KEY=your_api_key_here\n", []),
        ("k8s/secret.yaml", "stringData:\n  password: CHANGE_ME_DB\n", [("SEC008", 2)]),
        ("client.ini", "[tls]\nverify_ssl = false\n", [("SEC009", 2)]),
        (
            "kubeconfig.yaml",
            "clusters:\n  - cluster:\n      insecure-skip-tls-verify: true\n",
            [("SEC009", 3)],
        ),
    ],
)
def test_rules(rel: str, text: str, expected: list[tuple[str, int]]) -> None:
    assert found(rel, text) == expected


def test_entries_with_parents_on_each_syntax() -> None:
    yaml_e = [
        (e.line, e.path, e.value) for e in config_entries("a:\n  b:\n    c: 1 # note\n  d: 'x'\ne: [1]\n")
    ]
    assert yaml_e == [(3, "a.b.c", "1"), (4, "a.d", "x"), (5, "e", "[1]")]
    json_e = [
        (e.path, e.value) for e in config_entries('{\n  "tls": {\n    "min": "1.0",\n  },\n  "x": true\n}')
    ]
    assert json_e == [("tls.min", "1.0"), ("x", "true")]
    toml_e = [(e.path, e.value) for e in config_entries('[server.tls]\nmin = "1.2"\n')]
    assert toml_e == [("server.tls.min", "1.2")]
    env_e = [(e.key, e.value) for e in config_entries("export A=1\n# B=2\nnot a line\n")]
    assert env_e == [("A", "1")]


def test_files_the_rules_read() -> None:
    assert [is_config(x) for x in (".env", ".env.example", "a/values.yaml", "package-lock.json", "x.md")] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert is_template(".env.example") and is_template("config.sample.yaml") and not is_template("prod.yaml")


def test_sensitive_files() -> None:
    def reason(rel: str, text: str | None = None) -> str | None:
        got = sensitive_reason(rel, lambda: text)
        return None if got is None else f"{got[0]}: {got[1]}"

    assert reason(".env") == "high: an environment file (.env) next to the code"
    assert reason("deploy/prod.env") == "high: an environment file (.env) next to the code"
    assert reason(".env.example") is None and reason(".env.sample") is None
    assert reason("keys/id_rsa") == "critical: an SSH private key"
    assert (
        reason("tls/server.pem", "-----BEGIN PRIVATE KEY-----\n")
        == "critical: a private key or key store (*.pem)"
    )
    assert reason("tls/ca.pem", "-----BEGIN CERTIFICATE-----\n") is None
    assert reason("store.p12") == "critical: a private key or key store (*.p12)"
    assert reason("credentials.json") == "high: a credentials file"
    kube = "apiVersion: v1\nkind: Config\nusers:\n  - user:\n      token: abc\n"
    assert reason("ops/kubeconfig.yaml", kube) == "high: a kubeconfig holding a token or a client key"
    assert reason("ops/kubeconfig.yaml", kube.replace("token: abc", "exec: {}")) is None
    assert (
        reason(".npmrc", "//registry.npmjs.org/:_authToken=npm_xxx\n")
        == "high: a .npmrc file holding a token or a password"
    )


def test_a_secret_finding_where_a_rule_says_more_is_left_out() -> None:
    from planvec.ops.security_findings import Finding
    from planvec.ops.security_scan import without_overlaps

    def f(rule: str, source: str, line: int) -> Finding:
        return Finding(rule, source, "high", rule, ".env.example", line, "d", "fix", f"{rule}{line}")

    found = [
        f("SEC007", "config", 3),
        f("secret:default-password", "secrets", 3),
        f("secret:default-password", "secrets", 4),
    ]
    assert [(x.rule, x.line) for x in without_overlaps(found)] == [
        ("SEC007", 3),
        ("secret:default-password", 4),
    ]
