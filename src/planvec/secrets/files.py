"""Files that are secrets by nature: ``.env`` files (not ``.env.example``, ``.sample``,
``.template``), SSH private keys, key stores (``*.pem``, ``*.key``, ``*.p12``, ``*.pfx``),
``credentials*``, and, by their content, ``.npmrc``/``.pypirc``/``.netrc`` holding a token or a
password and kubeconfigs holding a token or a client key. The index pipeline gives them to no kind
(unless ``index_secret_files``) and reports them.
"""

from __future__ import annotations

import re

_TEMPLATE_WORDS = frozenset({"example", "examples", "sample", "template", "dist", "tpl", "default"})
_SSH_KEYS = frozenset({"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk"})
_KEY_SUFFIXES = (".pem", ".key", ".p12", ".pfx", ".jks", ".keystore", ".ppk")
_TOKEN_RC = frozenset({".npmrc", ".pypirc", ".netrc", "_netrc", ".yarnrc"})
_RC_SECRET_RE = re.compile(
    r"_auth(?:Token)?\s*=|^\s*password\s*[=:]|\bpassword\s+\S|npm_[A-Za-z0-9]{20}", re.M
)
_KUBECONFIG_RE = re.compile(r"^kind:\s*['\"]?Config['\"]?\s*$", re.M)
_KUBE_SECRET_RE = re.compile(r"^\s*(?:token|client-key-data|password|auth-provider):", re.M)


def _is_template(name: str) -> bool:
    return any(part in _TEMPLATE_WORDS for part in name.lower().split(".")[1:])


def sensitive_name(rel: str) -> str | None:
    """Why the file at ``rel`` is a secret by its name alone, or None."""
    name = rel.rsplit("/", 1)[-1]
    low = name.lower()
    if _is_template(low):
        return None
    if low == ".env" or low.startswith(".env.") or low.endswith(".env"):
        return "an environment file (.env)"
    if low in _SSH_KEYS:
        return "an SSH private key"
    if low.endswith(_KEY_SUFFIXES):
        return f"a key or certificate store (*{low[low.rfind('.') :]})"
    if low.startswith("credentials"):
        return "a credentials file"
    return None


def sensitive_content(rel: str, text: str) -> str | None:
    """Why the file at ``rel`` is a secret by what it holds (package-manager rc files with a token or
    a password, kubeconfigs with a token or a client key), or None."""
    low = rel.rsplit("/", 1)[-1].lower()
    if _is_template(low):
        return None
    if low in _TOKEN_RC and _RC_SECRET_RE.search(text):
        return f"a {low} file holding a token or a password"
    if "Config" in text and _KUBECONFIG_RE.search(text) and _KUBE_SECRET_RE.search(text):
        return "a kubeconfig holding a token or a client key"
    return None
