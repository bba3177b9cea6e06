"""The configuration rules of ``planvec security scan`` (documented in docs/security-rules.md).

Each rule reads ``key = value`` lines of configuration files (YAML, JSON, TOML, INI, ``.env``,
``.properties``, Docker Compose and Kubernetes manifests) through :func:`config_entries`: one entry
per line that sets a scalar, with its key, the keys it is nested under (by indentation, or by the
``[section]`` of TOML/INI) and its line. Hand-written on purpose: the rules must see every file
the same way, including files a YAML/JSON parser rejects (templates, comments in JSON), and must
give the line of each finding; a line that is not ``key: value`` is simply not an entry.

| id     | severity | what                                                                   |
|--------|----------|------------------------------------------------------------------------|
| SEC001 | high     | debug mode on in a production configuration                            |
| SEC002 | high     | TLS/SSL minimum version below 1.2                                      |
| SEC003 | critical | privileged container                                                   |
| SEC004 | high     | privilege escalation allowed                                           |
| SEC005 | high     | container running as root                                              |
| SEC006 | medium   | service bound to 0.0.0.0 in a file that configures no authentication   |
| SEC007 | high     | a well-known default password (admin123, password, changeme...)        |
| SEC008 | low      | a placeholder credential (CHANGE_ME...) in a file that is not a template |
| SEC009 | medium   | TLS certificate verification turned off                                |
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".toml", ".ini", ".cfg", ".conf", ".properties", ".env")
_LOCKFILES = frozenset({"package-lock.json", "yarn.lock", "pnpm-lock.yaml", "composer.lock", "poetry.lock"})
_TEMPLATE_WORDS = frozenset({"example", "examples", "sample", "template", "dist", "tpl", "default"})


def is_config(rel: str) -> bool:
    """Whether the rules read the file at ``rel`` (lockfiles are not configuration)."""
    name = rel.rsplit("/", 1)[-1].lower()
    if name in _LOCKFILES:
        return False
    return name.startswith(".env") or name.endswith(CONFIG_SUFFIXES) or ".env." in name


def is_template(rel: str) -> bool:
    """``.env.example``, ``config.sample.yaml``: a file meant to be copied and filled in."""
    name = rel.rsplit("/", 1)[-1].lower()
    return (
        any(part in _TEMPLATE_WORDS for part in name.split(".")[1:]) or name.split(".")[0] in _TEMPLATE_WORDS
    )


@dataclass(frozen=True, slots=True)
class Entry:
    line: int
    key: str  # as written, without quotes
    value: str  # without quotes, comments and a trailing comma
    parents: tuple[str, ...]  # the keys it is nested under, outermost first
    raw: str  # the line as written (stripped)

    @property
    def norm(self) -> str:
        """The key folded: lower case, without '_', '-' and '.' (``allow_privilege-escalation``)."""
        return re.sub(r"[_\-.\s]", "", self.key.lower())

    @property
    def path(self) -> str:
        return ".".join((*self.parents, self.key)).lower()


_ENTRY_RE = re.compile(
    r"""^(?P<indent>\s*)(?:-\s+)?(?:export\s+)?["']?(?P<key>[A-Za-z_][\w.\-/]*)["']?\s*(?P<sep>[:=])\s*(?P<value>.*)$"""
)
_SECTION_RE = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+\s*$")


def _clean(value: str) -> str:
    v = value.strip().rstrip(",").strip()
    if v[:1] in ('"', "'"):
        q = v[0]
        end = v.find(q, 1)
        return v[1:end] if end > 0 else v[1:]
    return re.split(r"\s+#", v, maxsplit=1)[0].strip()


def config_entries(text: str) -> Iterator[Entry]:
    """The ``key: value`` / ``key = value`` lines of a configuration text (see the module doc)."""
    stack: list[tuple[int, str]] = []  # (indent, key) of the open parents
    section: tuple[str, ...] = ()
    for n, raw in enumerate(text.split("\n"), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith(("#", ";", "//")):
            continue
        sec = _SECTION_RE.match(raw)
        if sec and "=" not in raw:
            section, stack = tuple(sec.group(1).split(".")), []
            continue
        m = _ENTRY_RE.match(raw)
        if not m:
            continue
        indent = len(m.group("indent")) + (2 if raw.lstrip().startswith("- ") else 0)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        key, value = m.group("key"), _clean(m.group("value"))
        parents = (*section, *(k for _, k in stack))
        if value in ("", "{", "[", "|", ">", "|-", ">-"):
            stack.append((indent, key))
            continue
        yield Entry(n, key, value, parents, stripped)


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: str
    title: str
    fix: str
    # (entries of the file, its text, its path) -> (entry, detail) pairs
    check: Callable[[list[Entry], str, str], list[tuple[Entry, str]]]


_TRUE = frozenset({"true", "1", "yes", "on", "enabled"})
_PROD_RE = re.compile(
    r"(?im)^\s*[\"']?(?:env|environment|app_env|node_env|stage|profile|deployment_profile|flask_env|rails_env)[\"']?\s*[:=]\s*[\"']?(?:prod|production)\b"
)
_AUTH_RE = re.compile(
    r"(?i)auth|api[_-]?key|token|password|passwd|oauth|jwt|basic_auth|htpasswd|client_secret|mtls"
)
DEFAULT_PASSWORDS = frozenset(
    {
        "admin",
        "admin123",
        "admin1234",
        "administrator",
        "password",
        "password1",
        "password123",
        "passw0rd",
        "p@ssw0rd",
        "changeme",
        "change_me",
        "change-me",
        "root",
        "toor",
        "secret",
        "123456",
        "12345678",
        "123456789",
        "qwerty",
        "letmein",
        "default",
        "guest",
        "test",
        "test123",
        "postgres",
        "mysql",
        "redis",
        "welcome",
        "azerty",
        "motdepasse",
    }
)
_PASSWORD_KEY_RE = re.compile(r"(?i)(?:pass(?:word|wd)?|pwd|secret|credential)s?$")
_PLACEHOLDER_RE = re.compile(r"(?i)^(?:change[_-]?me|replace[_-]?me|your[_-])|_here$")


def _is_production(rel: str, text: str) -> bool:
    parts = re.split(r"[/._-]", rel.lower())
    return "prod" in parts or "production" in parts or bool(_PROD_RE.search(text))


def _debug_in_production(entries: list[Entry], text: str, rel: str) -> list[tuple[Entry, str]]:
    if not _is_production(rel, text):
        return []
    keys = ("debug", "debugmode", "appdebug", "flaskdebug", "djangodebug")
    return [
        (e, f"{e.key} is {e.value} in a production configuration")
        for e in entries
        if e.norm in keys and e.value.lower() in _TRUE
    ]


_OLD_TLS_RE = re.compile(r"(?i)^(?:ssl\s*v?[23]|(?:tls\s*v?|versiontls)?1(?:[._]?[01])?)$")
_TLS_KEYS = frozenset(
    {
        "mintlsversion",
        "tlsminversion",
        "minversion",
        "minimumversion",
        "tlsversion",
        "sslversion",
        "sslprotocols",
        "tlsprotocol",
        "tlsprotocols",
        "minprotocolversion",
        "sslminprotocol",
    }
)


def _old_tls(entries: list[Entry], text: str, rel: str) -> list[tuple[Entry, str]]:
    out = []
    for e in entries:
        if e.norm not in _TLS_KEYS:
            continue
        if e.norm in ("minversion", "minimumversion") and not any(
            w in e.path for w in ("tls", "ssl", "https")
        ):
            continue  # (a min_version of something else)
        low = [v for v in re.split(r"[\s,]+", e.value) if v and _OLD_TLS_RE.match(v)]
        if low:
            out.append((e, f"{e.key} allows {', '.join(low)}"))
    return out


def _flag(
    names: tuple[str, ...], wanted: frozenset[str], what: str
) -> Callable[[list[Entry], str, str], list[tuple[Entry, str]]]:
    def check(entries: list[Entry], text: str, rel: str) -> list[tuple[Entry, str]]:
        return [
            (e, f"{e.key}: {e.value} ({what})")
            for e in entries
            if e.norm in names and e.value.lower() in wanted
        ]

    return check


def _root(entries: list[Entry], text: str, rel: str) -> list[tuple[Entry, str]]:
    out = []
    for e in entries:
        if (e.norm == "runasuser" and e.value == "0") or (
            e.norm == "runasnonroot" and e.value.lower() == "false"
        ):
            out.append((e, f"{e.key}: {e.value} (the container runs as root)"))
        elif e.norm == "user" and e.value.lower() in ("root", "0", "0:0") and e.parents[-1:] != ("database",):
            out.append((e, f"user: {e.value} (the container runs as root)"))
    return out


def _bind_all(entries: list[Entry], text: str, rel: str) -> list[tuple[Entry, str]]:
    if _AUTH_RE.search(text):
        return []
    keys = (
        "host",
        "bind",
        "bindaddress",
        "listen",
        "listenaddress",
        "address",
        "addr",
        "serverhost",
        "httphost",
    )
    return [
        (e, f"{e.key}: {e.value} listens on every interface and the file configures no authentication")
        for e in entries
        if (e.norm in keys or e.norm.endswith("host"))
        and re.match(r"^(?:0\.0\.0\.0|\[?::\]?)(?::\d+)?$", e.value)
    ]


def _default_password(entries: list[Entry], text: str, rel: str) -> list[tuple[Entry, str]]:
    return [
        (e, f"{e.key} is set to the well-known default password {e.value!r}")
        for e in entries
        if _PASSWORD_KEY_RE.search(e.key.replace("-", "_")) and e.value.lower() in DEFAULT_PASSWORDS
    ]


def _placeholder(entries: list[Entry], text: str, rel: str) -> list[tuple[Entry, str]]:
    if is_template(rel):
        return []
    return [
        (e, f"{e.key} holds the placeholder {e.value[:40]!r}")
        for e in entries
        if re.search(r"(?i)pass|secret|token|key", e.key)
        and _PLACEHOLDER_RE.search(e.value)
        and e.value.lower() not in DEFAULT_PASSWORDS
    ]


def _no_verify(entries: list[Entry], text: str, rel: str) -> list[tuple[Entry, str]]:
    off = frozenset({"false", "0", "no", "off"})
    keys = ("verifyssl", "sslverify", "tlsverify", "verifycertificate", "verifycerts", "rejectunauthorized")
    return [
        (e, f"{e.key}: {e.value} (certificates are not checked)")
        for e in entries
        if (e.norm in keys and e.value.lower() in off)
        or (e.norm in ("insecureskipverify", "insecureskiptlsverify") and e.value.lower() in _TRUE)
    ]


RULES: tuple[Rule, ...] = (
    Rule(
        "SEC001",
        "high",
        "debug mode on in a production configuration",
        "turn debug off for production (DEBUG=false); keep debugging in a development profile",
        _debug_in_production,
    ),
    Rule(
        "SEC002",
        "high",
        "TLS below 1.2 allowed",
        "set the minimum TLS version to 1.2 (better 1.3) and drop SSLv3/TLS 1.0/1.1",
        _old_tls,
    ),
    Rule(
        "SEC003",
        "critical",
        "privileged container",
        "remove privileged: true; grant only the capabilities the container needs (capabilities.add)",
        _flag(("privileged",), frozenset({"true"}), "full access to the host"),
    ),
    Rule(
        "SEC004",
        "high",
        "privilege escalation allowed",
        "set allowPrivilegeEscalation: false in the container's securityContext",
        _flag(
            ("allowprivilegeescalation",),
            frozenset({"true"}),
            "a process may gain more privileges than its parent",
        ),
    ),
    Rule(
        "SEC005",
        "high",
        "container runs as root",
        "set runAsNonRoot: true and a non-zero runAsUser (or USER in the image)",
        _root,
    ),
    Rule(
        "SEC006",
        "medium",
        "bound to 0.0.0.0 without authentication",
        "bind to 127.0.0.1 (or a private interface), or put authentication in front of the service",
        _bind_all,
    ),
    Rule(
        "SEC007",
        "high",
        "default password",
        "set a strong unique password from a secret store; never commit one, even in an example file",
        _default_password,
    ),
    Rule(
        "SEC008",
        "low",
        "placeholder credential in a deployed file",
        "replace the placeholder at deployment (from a secret store), or move it to an .example file",
        _placeholder,
    ),
    Rule(
        "SEC009",
        "medium",
        "TLS certificate verification off",
        "verify certificates (verify_ssl: true); trust a private CA with its bundle, never turn checks off",
        _no_verify,
    ),
)
RULE_IDS = tuple(r.id for r in RULES)


def check_config(rel: str, text: str) -> list[tuple[Rule, Entry, str]]:
    """Every (rule, entry, detail) the rules find in one configuration file."""
    entries = list(config_entries(text))
    if not entries:
        return []
    out: list[tuple[Rule, Entry, str]] = []
    for rule in RULES:
        out.extend((rule, e, detail) for e, detail in rule.check(entries, text, rel))
    return out
