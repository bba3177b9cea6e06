"""The sources of ``planvec security scan``: configuration rules, sensitive files, secrets in the
files (planvec's secret detector, when installed) and vulnerable dependencies (the offline OSV
audit, when advisories were imported). See :mod:`.security_findings` for the protocol.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

from ..settings import Settings
from .security_findings import Finding, ScanTarget, Unavailable, fingerprint
from .security_rules import check_config, is_config, is_template


class ConfigRules:
    """The rules of :mod:`.security_rules` over every configuration file."""

    name = "config"

    def run(self, target: ScanTarget, settings: Settings) -> list[Finding]:
        out = []
        for sf in target.files():
            if not is_config(sf.rel):
                continue
            text = target.text(sf)
            if text is None:
                continue
            name = target.name_of(sf)
            for rule, entry, detail in check_config(sf.rel, text):
                out.append(
                    Finding(
                        rule.id,
                        self.name,
                        rule.severity,
                        rule.title,
                        name,
                        entry.line,
                        detail,
                        rule.fix,
                        fingerprint(rule.id, sf.rel, entry.raw),
                    )
                )
        return out


_SSH_KEYS = frozenset({"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"})
_KEY_SUFFIXES = (".pem", ".key", ".p12", ".pfx", ".jks", ".keystore", ".ppk")
_PRIVATE_KEY_RE = re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")
_KUBECONFIG_RE = re.compile(r"^kind:\s*['\"]?Config['\"]?\s*$", re.M)
_KUBE_SECRET_RE = re.compile(r"^\s*(?:token|client-key-data|password):\s*\S", re.M)
_RC_SECRET_RE = re.compile(r"_auth(?:Token)?\s*=\s*\S|^\s*password\s*[=:]?\s*\S", re.M)
_RC_FILES = frozenset({".npmrc", ".pypirc", ".netrc", "_netrc"})
SENSITIVE_FIX = (
    "remove it from the repository (and its history), rotate what it holds, and list it in .gitignore"
)


def sensitive_reason(rel: str, read: Any) -> tuple[str, str] | None:
    """(severity, why) when the file at ``rel`` is a secret by nature; ``read()`` gives its text
    (None when unreadable) and is only called for names whose content decides."""
    name = rel.rsplit("/", 1)[-1]
    low = name.lower()
    if is_template(rel):
        return None
    if low == ".env" or low.startswith(".env.") or low.endswith(".env"):
        return "high", "an environment file (.env) next to the code"
    if low in _SSH_KEYS:
        return "critical", "an SSH private key"
    if low.startswith("credentials"):
        return "high", "a credentials file"
    if low.endswith(_KEY_SUFFIXES):
        text = read() if low.endswith((".pem", ".key")) else None
        if text is not None and not _PRIVATE_KEY_RE.search(text):
            return None  # (a certificate or a public key)
        return "critical", f"a private key or key store (*{low[low.rfind('.') :]})"
    if low in _RC_FILES:
        text = read()
        if text and _RC_SECRET_RE.search(text):
            return "high", f"a {low} file holding a token or a password"
    if low.endswith((".yaml", ".yml")) or "kubeconfig" in low or low == "config":
        text = read()
        if text and _KUBECONFIG_RE.search(text) and _KUBE_SECRET_RE.search(text):
            return "high", "a kubeconfig holding a token or a client key"
    return None


class SensitiveFiles:
    """Files that are secrets by nature: ``.env`` (not ``.env.example``), private keys and key
    stores, ``credentials*``, rc files and kubeconfigs holding a token."""

    name = "sensitive_files"

    def run(self, target: ScanTarget, settings: Settings) -> list[Finding]:
        out = []
        for sf in target.files():
            found = sensitive_reason(sf.rel, lambda sf=sf: target.text(sf))
            if found is None:
                continue
            severity, why = found
            name = target.name_of(sf)
            out.append(
                Finding(
                    "sensitive-file",
                    self.name,
                    severity,
                    "sensitive file",
                    name,
                    None,
                    why,
                    SENSITIVE_FIX,
                    fingerprint("sensitive-file", sf.rel),
                )
            )
        return out


SECRET_FIX = "remove the value from the file, rotate it, and read it from the environment or a secret store"


class Secrets:
    """planvec's secret detector (``planvec.secrets.scan_text``) over every text file: type, file,
    line and fingerprint of each secret, never its value."""

    name = "secrets"

    def run(self, target: ScanTarget, settings: Settings) -> list[Finding]:
        try:
            detector = importlib.import_module("planvec.secrets")
        except ImportError:
            raise Unavailable("secret detection not available (planvec.secrets is not installed)") from None
        salt = detector.load_salt(Path(settings.data_dir).expanduser())
        out = []
        for sf in target.files():
            if sensitive_reason(sf.rel, lambda: None) is not None:
                continue  # (reported whole by sensitive_files)
            text = target.text(sf)
            if not text:
                continue
            name = target.name_of(sf)
            for f in detector.scan_text(text, sf.rel, salt):
                out.append(
                    Finding(
                        f"secret:{f.type}",
                        self.name,
                        "critical" if f.type == "private-key" else "high",
                        f"secret ({f.type})",
                        name,
                        f.line,
                        f"{f.type} value, redacted (fingerprint {f.fingerprint})",
                        SECRET_FIX,
                        fingerprint("secret", sf.rel, f.hash),
                    )
                )
        return out


class Dependencies:
    """The offline dependency audit (``planvec.ops.deps_checks.run_audit``) over the manifests
    under the PATHs: affected dependencies are ``high``, possibly affected ones ``medium``."""

    name = "dependencies"

    def run(self, target: ScanTarget, settings: Settings) -> list[Finding]:
        try:
            checks = importlib.import_module("planvec.ops.deps_checks")
        except ImportError:
            raise Unavailable(
                "dependency audit not available (the dependencies kind is not installed)"
            ) from None
        audit = checks.run_audit(None, settings, list(target.paths)).report
        if not audit.imported:
            raise Unavailable("no advisories imported: planvec advisories import FILE")
        out = []
        for f in audit.findings:
            ids = ", ".join(a.id for a in f.advisories)
            fixed = ", ".join(f.fixed) or "no fixed version known"
            out.append(
                Finding(
                    "vulnerable-dependency",
                    self.name,
                    "high" if f.state == "affected" else "medium",
                    f"vulnerable dependency {f.name}",
                    f.file,
                    f.line,
                    f"{f.ecosystem} {f.name} {f.version or f.specifier}: {f.state.replace('_', ' ')}"
                    f" by {ids}",
                    f"upgrade to {fixed}",
                    fingerprint("dependency", f.ecosystem, f.name, f.version or f.specifier, ids),
                )
            )
        return out


DEFAULT_SOURCES = (Secrets(), SensitiveFiles(), Dependencies(), ConfigRules())
