"""Files that are secrets by nature, by name and by content; their templates are not."""

from __future__ import annotations

import pytest

from planvec.secrets import sensitive_content, sensitive_name


@pytest.mark.parametrize(
    "rel",
    [
        ".env",
        "deploy/.env.production",
        "prod.env",
        "home/.ssh/id_rsa",
        "keys/id_ed25519",
        "tls/server.pem",
        "tls/server.key",
        "certs/client.p12",
        "certs/client.pfx",
        "credentials.json",
        ".aws/credentials",
    ],
)
def test_secret_by_name(rel: str) -> None:
    assert sensitive_name(rel) is not None


@pytest.mark.parametrize(
    "rel",
    [
        ".env.example",
        "config/.env.sample",
        ".env.template",
        "credentials.example.json",
        "id_rsa.pub",
        "plan.md",
        "keys.md",
        "docs/credentials-guide.md.sample",
    ],
)
def test_not_secret_by_name(rel: str) -> None:
    assert sensitive_name(rel) is None


def test_secret_by_content() -> None:
    assert sensitive_content(".npmrc", "//registry.npmjs.org/:_authToken=npm_abcdefghijklmnopqrstuvwxyz\n")
    assert sensitive_content("x/.pypirc", "[pypi]\nusername = __token__\npassword = pypi-AgEI\n")
    assert sensitive_content(".npmrc", "registry=https://registry.npmjs.org/\n") is None
    kube = "apiVersion: v1\nkind: Config\nusers:\n- name: ci\n  user:\n    token: abc\n"
    assert sensitive_content("ci/kubeconfig.yaml", kube)
    assert sensitive_content("k/deploy.yaml", kube.replace("    token: abc\n", "    exec: {}\n")) is None
    assert sensitive_content("k/deploy.yaml", "kind: Deployment\nspec:\n  token: x\n") is None
    assert sensitive_content(".npmrc.example", "_authToken=x\n") is None
