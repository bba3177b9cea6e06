"""The security policies kind on a real Qdrant Edge store: the fixture tree (known answers) and
the shared corpus' security files, indexed, searched with each filter, re-synced and checked."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from planvec.engine import Engine
from planvec.errors import UsageError
from planvec.settings import Settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "security"
REPO = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "repo"
COLLECTION = "security_policies"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES, root)
    return root


@pytest.fixture
def eng(tmp_path: Path, embedder) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    with Engine(Settings(data_dir=tmp_path / "data"), embedder=embedder) as e:
        yield e


def _files(eng: Engine) -> dict[str, int]:
    """Records per file (a long record is several chunks: its first one counts)."""
    out: dict[str, int] = {}
    for p in eng.store.scroll(COLLECTION, fields=["file", "chunk"]):
        if not p.payload.get("chunk"):
            out[p.payload["file"]] = out.get(p.payload["file"], 0) + 1
    return out


def test_fixture_tree_indexes_one_point_per_policy_rule_and_section(eng: Engine, tree: Path) -> None:
    report = eng.index([tree], kinds=["security"])
    assert report.problems == []
    assert _files(eng) == {
        "SECURITY.md": 3,
        "docs/security-hardening.md": 3,
        "policies/access.yaml": 4,
        "policies/retention.json": 1,
        "k8s/rbac.yaml": 4,
        "k8s/deploy.yaml": 1,
        "opa/authz.rego": 5,
    }
    info = eng.store.collection_info(COLLECTION)
    assert info is not None and {"category", "severity", "format", "kind", "file"} <= set(
        info.payload_indexes
    )
    again = eng.index([tree], kinds=["security"])
    assert (again.embedded, again.added, again.deleted, again.updated) == (0, 0, 0, 0)


def test_questions_find_the_right_policy(eng: Engine, tree: Path) -> None:
    eng.index([tree], kinds=["security"])
    hits = eng.search("how do we report a vulnerability?", kind="security", limit=3)
    assert "Reporting a vulnerability" in [h.title for h in hits]
    hits = eng.search("who may read secrets in the cluster?", kind="security", limit=3)
    assert {"Role secret-reader", "RoleBinding platform-reads-secrets"} & {h.title for h in hits}
    top = hits[0]
    assert top.kind_name == "security" and top.fields["format"] == "kubernetes"
    assert top.fields["category"] == "access-control"


def test_filters(eng: Engine, tree: Path) -> None:
    eng.index([tree], kinds=["security"])
    rego = eng.search("privileged containers", {"format": "rego"}, kind="security", limit=20)
    assert rego and {h.file for h in rego} == {"opa/authz.rego"}
    critical = eng.search("policy", {"severity": "critical"}, kind="security", limit=50)
    assert {h.title for h in critical} == {
        "Two approvals for admin roles",
        "Deployment node-agent security context",
        "Deny privileged pods (critical).",
        "Who may read secrets in the cluster.",
    }
    floor = eng.search("policy", {"severity": "high+"}, kind="security", limit=50)
    assert {h.title for h in critical} < {h.title for h in floor}
    assert "Least privilege for production access" in {h.title for h in floor}
    access = eng.search("access", {"category": "access-control", "format": "yaml"}, kind="security")
    assert {h.title for h in access} == {
        "Least privilege for production access",
        "Access requests expire after 8 hours",
        "Two approvals for admin roles",
    }
    k8s = eng.search("network", {"file_glob": "k8s/*", "kind": "network_policy"}, kind="security")
    assert [h.title for h in k8s] == ["NetworkPolicy default-deny-ingress"]
    with pytest.raises(UsageError, match="unknown severity 'severe'"):
        eng.search("x", {"severity": "severe"}, kind="security")
    with pytest.raises(UsageError, match="unknown format toml"):
        eng.search("x", {"format": "toml"}, kind="security")


def test_edit_then_check_and_resync(eng: Engine, tree: Path) -> None:
    eng.index([tree], kinds=["security"])
    (tree / "SECURITY.md").write_text(
        "# Security Policy\n\n## Reporting a vulnerability\n\nWrite to security@example.org.\n",
        encoding="utf-8",
    )
    report = eng.check([tree], kind="security")
    assert report.collection == COLLECTION
    assert {x.title for x in report.orphaned} == {"Supported versions", "Disclosure"}
    assert [x.title for x in report.stale] == ["Reporting a vulnerability"]
    again = eng.index([tree], kinds=["security"])
    assert (again.deleted, again.updated) == (2, 1)
    assert _files(eng)["SECURITY.md"] == 1


def test_broken_files_are_problems_and_the_rest_is_indexed(eng: Engine, tree: Path) -> None:
    (tree / "policies" / "broken.json").write_text('{"id": "X", "name": ', encoding="utf-8")
    (tree / "opa" / "open.rego").write_text("package open\n\nallow {\n  input.x\n", encoding="utf-8")
    report = eng.index([tree], kinds=["security"])
    reasons = {(p.path, p.line): p.reason for p in report.problems}
    assert reasons[("opa/open.rego", 3)] == "rule 'allow': braces never close"
    assert any(path == "policies/broken.json" and "not valid JSON" in r for (path, _), r in reasons.items())
    files = _files(eng)
    assert files["opa/open.rego"] == 2 and "policies/broken.json" not in files
    assert files["SECURITY.md"] == 3


@pytest.mark.skipif(not REPO.is_dir(), reason="shared corpus not found")
def test_shared_corpus_security_files(eng: Engine, tmp_path: Path) -> None:
    """Counts checked by hand: security.yaml holds a ClusterRole, its ClusterRoleBinding and a
    NetworkPolicy (ServiceAccount, Secrets and the PodDisruptionBudget are not policies); auth.yaml
    a Deployment with security contexts and a NetworkPolicy; the French report 32 headings of
    which 6 only open deeper ones; protection-config.json the document and its 10 structured keys."""
    report = eng.index([REPO], kinds=["security"])
    assert report.problems == []
    assert _files(eng) == {
        "kubernetes/enterprise/security.yaml": 3,
        "kubernetes/enterprise/auth.yaml": 2,
        "projet/security/audits/rapport-vulnerabilites.md": 26,
        "projet/security/protection-config.json": 11,
    }
    hits = eng.search("who may read secrets in the cluster?", kind="security", limit=3)
    assert "ClusterRole branching-framework-enterprise" in [h.title for h in hits]
    hits = eng.search("Move-Item sans validation des chemins", kind="security", limit=3)
    move = next(h for h in hits if h.title == "🔴 CRITIQUE - Move-Item sans validation")
    assert move.fields["severity"] == "critical" and move.line == 22
