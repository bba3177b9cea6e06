"""The security kind's parsers on small inline inputs, odd ones included (each problem with its
line), and its routing, claims and filters."""

from __future__ import annotations

import pytest

from planvec.errors import UsageError
from planvec.kinds import Source
from planvec.kinds.security import SECURITY, PolicyFile
from planvec.kinds.security.classify import category_of, severity_in, severity_of
from planvec.kinds.security.markdown import parse_policy_markdown
from planvec.kinds.security.rego import parse_rego
from planvec.records import FileProblem
from planvec.settings import Settings
from planvec.store.base import MatchAny


def parse(rel: str, text: str) -> PolicyFile | FileProblem:
    return SECURITY.parse(Source(rel, text))


def test_markdown_sections_breadcrumbs_and_severity() -> None:
    text = (
        "# Security Policy\n\n## Reporting\n\n### 🔴 CRITIQUE - Injection\n\nDétails.\n\n"
        "```\n# not a heading\n```\n\n#### Fix\n\nEscape.\n\n## Notes\n\nSeverity: low\n"
    )
    pf = parse_policy_markdown(text, "SECURITY.md")
    got = [(p.title, p.line, p.severity, p.section, p.anchor) for p in pf.policies]
    assert got == [
        (
            "🔴 CRITIQUE - Injection",
            5,
            "critical",
            ("Security Policy", "Reporting", "🔴 CRITIQUE - Injection"),
            "§reporting > critique-injection",
        ),
        (
            "Fix",
            13,
            "critical",
            ("Security Policy", "Reporting", "🔴 CRITIQUE - Injection", "Fix"),
            "§reporting > critique-injection > fix",
        ),
        ("Notes", 17, "low", ("Security Policy", "Notes"), "§notes"),
    ]
    assert "# not a heading" in pf.policies[0].text
    # Retitling the document keeps the anchors.
    again = parse_policy_markdown(text.replace("# Security Policy", "# Our policy"), "SECURITY.md")
    assert [p.anchor for p in again.policies] == [a for *_, a in got]


def test_markdown_preamble_repeats_and_empty() -> None:
    pf = parse_policy_markdown("Intro text.\n\n## A\n\nx\n\n## A\n\ny\n", "docs/security.md")
    assert [(p.title, p.anchor) for p in pf.policies] == [("security.md", "§"), ("A", "§a"), ("A", "§a#2")]
    assert parse_policy_markdown("", "SECURITY.md").policies == ()


def test_structured_policies_rules_and_problems() -> None:
    text = (
        "- id: P1\n  name: MFA for admins\n  severity: High\n  category: Authentication\n  tags: [iam]\n"
        "  rules:\n    - id: R1\n      name: TOTP or WebAuthn\n    - just a string rule\n"
        "- name: Odd one\n  severity: urgent\n  enabled: 'no'\n"
        "- description: no name\n  actions: [alert]\n"
    )
    pf = parse("security/policies.yaml", text)
    assert isinstance(pf, PolicyFile)
    got = [(p.kind, p.title, p.line, p.severity, p.category, p.enabled) for p in pf.policies]
    assert got == [
        ("policy", "MFA for admins", 1, "high", "Authentication", True),
        ("rule", "TOTP or WebAuthn", 7, "high", "Authentication", True),
        ("policy", "Odd one", 10, None, "general", False),
        ("policy", "policy at line 13", 13, None, "general", True),
    ]
    assert pf.policies[0].rules == ("id: R1; name: TOTP or WebAuthn", "just a string rule")
    assert [(p.reason, p.line) for p in pf.problems] == [
        ("unknown severity 'urgent'", 11),
        ("a policy without id or name: indexed under its line", 13),
    ]


def test_json_config_document_and_json_only_escapes() -> None:
    pf = parse(
        "policies/p.json",
        '{\n  "description": "Protection",\n  "Critical\\/Files": ["a"],\n  "Limits": {"max": 3}\n}',
    )
    assert isinstance(pf, PolicyFile)
    assert [(p.kind, p.title, p.line) for p in pf.policies] == [
        ("policy", "Protection", 1),
        ("section", "Critical/Files", 3),
        ("section", "Limits", 4),
    ]


def test_broken_yaml_and_json_are_file_problems() -> None:
    bad = parse("k8s/x.yaml", "kind: Role\nmetadata: {name: [\n")
    assert isinstance(bad, FileProblem) and bad.reason.startswith("not valid YAML") and bad.line == 3
    bad = parse("policies/x.json", '{"a": ')
    assert isinstance(bad, FileProblem) and bad.reason.startswith("not valid JSON")


def test_yaml_outside_policy_dirs_without_security_objects_is_empty() -> None:
    assert parse("app/config.yaml", "server:\n  port: 80\n") == PolicyFile("app/config.yaml", "yaml")
    # (a Kubernetes file of other objects: parsed, no record)
    assert (
        parse("k8s/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\nkind: Pod\n").policies
        == ()
    )


def test_kubernetes_objects() -> None:
    text = (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: admin-all}\n"
        "rules:\n  - apiGroups: ['*']\n    resources: ['*']\n    verbs: ['*']\n---\n"
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: legacy\n  labels:\n"
        "    pod-security.kubernetes.io/enforce: privileged\n---\n"
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly}\nspec:\n  jobTemplate:\n    spec:\n"
        "      template:\n        spec:\n          containers:\n            - name: c\n"
        "              securityContext: {allowPrivilegeEscalation: true}\n"
    )
    pf = parse("deploy/all.yml", text)
    assert isinstance(pf, PolicyFile) and pf.format == "kubernetes"
    got = [(p.kind, p.title, p.line, p.severity) for p in pf.policies]
    assert got == [
        ("rbac", "ClusterRole admin-all", 1, "high"),
        ("pod_security", "Pod Security Admission of namespace legacy", 9, "high"),
        ("pod_security", "CronJob nightly security context", 16, "high"),
    ]
    assert "grants full access (*) on *" in pf.policies[0].text


def test_rego_rules_comments_metadata_and_problems() -> None:
    text = (
        "# Admission rules.\npackage k8s.admission\n\nimport rego.v1\n\n"
        "# METADATA\n# title: No latest tag\n# custom:\n#   severity: medium\n"
        'deny contains msg if {\n  endswith(input.image, ":latest")\n  msg := "a { in a string"\n}\n\n'
        "default allow := false\n"
    )
    pf = parse_rego(text, "a.rego")
    assert [(p.kind, p.anchor, p.title, p.line, p.severity) for p in pf.policies] == [
        ("policy", "package", "Admission rules.", 2, "medium"),
        ("rule", "rule:deny", "No latest tag", 10, "medium"),
        ("rule", "default:allow", "k8s.admission.allow", 15, None),
    ]
    assert pf.problems == ()
    odd = parse_rego("allow {\n  true\n", "b.rego")
    assert [(p.reason, p.line) for p in odd.problems] == [
        ("no package declaration: not a Rego module", 1),
        ("rule 'allow': braces never close", 1),
    ]
    assert [p.name for p in odd.policies] == ["b.rego", "allow"]


def test_claims() -> None:
    config = SECURITY.configure(Settings())
    claims = {
        rel: SECURITY.claims(rel, config)
        for rel in (
            "SECURITY.md",
            "a/b/SECURITY.md",
            "security/x.md",
            "policies/p.json",
            "docs/security-guide.md",
            "docs/security/tls.md",
            "opa/x.rego",
            "k8s/a.yaml",
            "README.md",
            "data/x.json",
            "security/run.sh",
        )
    }
    assert [r for r, c in claims.items() if not c] == ["README.md", "data/x.json", "security/run.sh"]


def test_classification() -> None:
    assert [severity_of(x) for x in ("High", "P0", "critique", "blah", None)] == [
        "high",
        "critical",
        "critical",
        None,
        None,
    ]
    assert severity_in("🟡 MAJEUR - Variables") == "high" and severity_in("Rapport annuel") is None
    assert (
        category_of(["Reporting a vulnerability", "", "send it to security@"]) == "vulnerability-disclosure"
    )
    assert category_of(["Rapport", "", "support"]) == "general"  # 'port' only at a word start


def test_filters() -> None:
    f = SECURITY.filters
    store = f.to_store(
        {"severity": "high+", "format": "rego,markdown", "category": "Access-Control"}, lambda _: []
    )
    assert store.must == (
        MatchAny("category", ("access-control",)),
        MatchAny("format", ("rego", "markdown")),
        MatchAny("severity", ("high", "critical")),
    )
    files = f.to_store({"file_glob": "k8s/*"}, lambda _: ["k8s/a.yaml", "x/k8s/b.yaml", "c.md"])
    assert files.must == (MatchAny("file", ("k8s/a.yaml", "x/k8s/b.yaml")),)
    with pytest.raises(UsageError, match="unknown kind widget"):
        f.check({"kind": "widget"})
    with pytest.raises(UsageError, match="unknown severity 'p9'"):
        f.check({"severity": ["high", "p9"]})
