"""planvec's configuration-key rules: the value of a key named like a secret (``password``,
``secret``, ``token``, ``api_key``, ``private_key``, ``credential`` ...) is a secret unless it is
empty or an obvious placeholder; a well-known default password (``admin123``, ``changeme``) is a
finding of its own type, ``default-password``.

detect-secrets' KeywordDetector covers code (``password = "..."`` with quotes); these rules cover
what it leaves out: unquoted values of ``.env`` files, YAML and INI keys, and the key names it does
not know (``token``, ``credential``). They are hand-written because no maintained library knows
these placeholder conventions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .findings import Span

# A key = value (or key: value) line: YAML, .env (optionally ``export``), INI, TOML, JSON, a
# Markdown list item. Group ``value`` is the rest of the line.
_ASSIGN_RE = re.compile(
    r"""(?P<lead>^[ \t]*(?:[-*][ \t]+)?(?:export[ \t]+)?)["']?(?P<key>[A-Za-z_][\w.\-]{0,80}?)["']?[ \t]*"""
    r"""(?P<op>:(?!:)|=)[ \t]*(?P<value>.*?)[ \t]*$""",
    re.MULTILINE,
)
# Matched against the key in snake case (``dbPassword`` -> ``db_password``, dots and dashes as
# underscores): a secret word must be a whole word of the key (``tokenizer`` is not one).
_SECRET_KEY_RE = re.compile(
    r"(?:^|_)(?:(?P<password>passw(?:or)?d|passwd|pwd|pass|passphrase|contrase[nñ]a|mot_de_passe)"
    r"|(?P<private_key>private_?key|priv_?key)"
    r"|(?P<api_key>api_?key|access_?key|auth_?key|secret_?key|client_secret|account_?key)"
    r"|(?P<token>(?:auth_?|access_?|refresh_?|bearer_?|api_?)?token)"
    r"|(?P<credential>credentials?|creds)"
    r"|(?P<secret>secrets?))(?:_|$)"
)
# Keys that hold a setting about a secret, not the secret (``password_min_length``, ``token_url``,
# ``secret_name``, ``max_tokens``): their last word, or their first.
_SETTING_WORDS = frozenset(
    [
        "length",
        "len",
        "min",
        "max",
        "ttl",
        "expiry",
        "expires",
        "expire",
        "expiration",
        "lifetime",
        "timeout",
        "type",
        "url",
        "uri",
        "endpoint",
        "file",
        "path",
        "dir",
        "name",
        "header",
        "policy",
        "prefix",
        "env",
        "count",
        "size",
        "limit",
        "enabled",
        "enable",
        "required",
        "algorithm",
        "algo",
        "rotation",
        "field",
        "param",
        "id",
        "ref",
        "mode",
        "format",
        "version",
        "source",
        "provider",
        "store",
        "manager",
        "validation",
        "strength",
        "reset",
        "hint",
        "regex",
        "pattern",
        "placeholder",
        "label",
        "description",
        "message",
        "tokens",
    ]
)
_FIRST_WORDS = frozenset(["max", "min", "num", "n", "use", "require", "show"])

#: Values that work as passwords out of the box: reported as ``default-password`` wherever a
#: secret key holds one.
DEFAULT_PASSWORDS = frozenset(
    [
        "admin",
        "admin123",
        "admin1234",
        "administrator",
        "password",
        "password1",
        "password123",
        "passw0rd",
        "p@ssw0rd",
        "p@ssword",
        "changeme",
        "changeit",
        "secret",
        "secret123",
        "root",
        "toor",
        "123456",
        "1234567",
        "12345678",
        "123456789",
        "qwerty",
        "azerty",
        "letmein",
        "default",
        "guest",
        "test",
        "test123",
        "testing",
        "postgres",
        "mysql",
        "redis",
        "welcome",
        "pass",
        "pass123",
        "1234",
        "12345",
        "demo",
        "user",
    ]
)
_PLACEHOLDER_RE = re.compile(
    r"""^(?:|null|none|nil|~|true|false|yes|no|on|off|undefined|required|optional|todo|tbd|fixme|
    n/?a|example|sample|dummy|placeholder|redacted|hidden|secret_here|\.{2,}|…|-+|x+|\*+|\#+|0+)$
    |^(?:your|my|insert|enter|put|replace|add|set)[_\- ]  # your_api_key_here, replace-me
    |[_\-](?:here|goes[_\-]here|me)$                     # ..._here, replace_me
    |^[$%&*!@]                                           # $VAR, ${VAR}, %(x)s, YAML alias/tag
    |^\{\{|^\{%|^<.*>$|^\{.*\}$|^\[.*\]$|^\(.*\)$        # templates, <placeholder>, {...}, [...]
    |REDACTED:|change_?me_|^change_me$               # CHANGE_ME_POSTGRES_PASSWORD
    |^[|>][+-]?$|^[\[{]                                 # a YAML block follows, a flow collection
    |^[A-Za-z_][\w.]*\(                                 # os.getenv("X"), get_secret()
    |^(?:\.{1,2}/|~/)|^/?(?:[\w.\-]+/)+[\w\-]+\.[a-z]{2,5}$  # a path: config/credentials/gcp.json
    |^(?:env|process\.env|os\.environ|getenv|secret|vault|ssm|file)[\[(.:]
    """,
    re.IGNORECASE | re.VERBOSE,
)
_NUMBER_OR_DURATION_RE = re.compile(r"^-?\d+(?:\.\d+)?\s*(?:ms|s|m|h|d|w|y|kb|mb|gb|%)?$", re.IGNORECASE)
_CONFIG_SUFFIXES = (".env", ".yaml", ".yml", ".ini", ".cfg", ".conf", ".cnf", ".toml", ".json",
                    ".properties", ".tfvars", ".npmrc", ".pypirc", ".netrc")  # fmt: skip


def is_config_file(path: str) -> bool:
    name = path.rsplit("/", 1)[-1].lower()
    return name.startswith(".env") or name.endswith(_CONFIG_SUFFIXES) or ".env." in name


def key_type(key: str) -> str | None:
    """The secret type a key name announces (``password``, ``api-key`` ...), None for another key."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).lower().replace(".", "_").replace("-", "_")
    m = _SECRET_KEY_RE.search(snake)
    words = [w for w in snake.split("_") if w]
    if m is None or not words or words[-1] in _SETTING_WORDS or words[0] in _FIRST_WORDS:
        return None
    return (m.lastgroup or "secret").replace("_", "-")


def is_placeholder(value: str) -> bool:
    v = value.strip()
    return bool(_PLACEHOLDER_RE.search(v)) or bool(_NUMBER_OR_DURATION_RE.match(v))


def _unquote(raw: str, config: bool) -> tuple[int, int, bool] | None:
    """Where the value lies in ``raw`` (start, end) and whether it was quoted; None: no value."""
    if raw[:1] in ('"', "'"):
        close = raw.find(raw[0], 1)
        return (1, close, True) if close > 1 else None
    end = len(raw)
    for stop in (" #", "\t#", " //", " ;"):
        cut = raw.find(stop)
        if cut != -1:
            end = min(end, cut)
    value = raw[:end].rstrip().rstrip(",;")
    if not value or (not config and any(c.isspace() for c in value)):
        return None
    return 0, len(value), False


def _looks_secret(value: str, quoted: bool, config: bool) -> bool:
    """An unquoted value in prose must look like a secret (six characters or more, letters with
    digits or symbols): ``Token: JWT`` or ``password: required`` in a plan is not one."""
    if quoted or config:
        return True
    classes = sum(bool(re.search(p, value)) for p in (r"[A-Za-z]", r"\d", r"[^\w\s]"))
    return len(value) >= 6 and classes >= 2


def key_spans(text: str, path: str) -> Iterator[Span]:
    """The values of secret-named keys in ``text`` (the whole file or one string)."""
    config = is_config_file(path)
    for m in _ASSIGN_RE.finditer(text):
        kind = key_type(m["key"])
        if kind is None:
            continue
        raw = m["value"]
        where = _unquote(raw, config)
        if where is None:
            continue
        a, b, quoted = where
        value = raw[a:b]
        if not value.strip():
            continue
        if value.lower() in DEFAULT_PASSWORDS:
            kind = "default-password"
        elif is_placeholder(value) or not _looks_secret(value, quoted, config):
            continue
        start = m.start("value") + a
        yield Span(kind, start, start + len(value), text.count("\n", 0, start) + 1)
