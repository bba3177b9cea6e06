"""Configuration values as flat ``key: value`` pairs, redacted by key name before any record holds them.

A value is replaced by ``[REDACTED:config-key]`` when its key names a secret: one of its word parts
(split at ``_ - .`` and camelCase: ``DB_PASSWORD``, ``apiKey``, ``jwt-private-key``) is one of
:data:`SECRET_WORDS`. Whole words only, so ``keyboard`` and ``monkey`` are not secrets. Everything
under a key that names secrets in the plural (``secrets:``, ``credentials:``, ``api_keys:``:
:data:`GROUP_WORDS`) is redacted too; a mapping under a singular one (``id_token: {lifetime: 1h}``)
is settings about the secret, and its keys are judged one by one. A key whose last word says the
value only points at a secret (``password_env``, ``key_file``, ``token_endpoint``, ``secretKeyRef``:
:data:`POINTER_WORDS`) is kept. Booleans and nulls are never secrets and are kept.

Redaction is by key name whatever the value looks like: ``.env.example`` placeholders are redacted
too (simpler, and safe when a real value was pasted into an example file). ``{name: DB_PASSWORD,
value: ...}`` pairs (Kubernetes ``env``) and ``KEY=value`` list items (docker-compose
``environment``) are judged by the name, and a password inside a URL (``postgres://user:pw@host``)
is redacted whatever its key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

REDACTED = "[REDACTED:config-key]"
REDACTED_URL = "[REDACTED:url-password]"
SECRET_WORDS = frozenset(
    {
        "password",
        "passwords",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "secrets",
        "token",
        "tokens",
        "key",
        "keys",
        "apikey",
        "privatekey",
        "secretkey",
        "accesskey",
        "credential",
        "credentials",
        "creds",
        "auth",
        "pass",
    }
)
GROUP_WORDS = frozenset({"passwords", "secrets", "tokens", "keys", "credentials", "creds", "apikeys"})
POINTER_WORDS = frozenset(
    {
        "file",
        "path",
        "dir",
        "env",
        "var",
        "ref",
        "name",
        "url",
        "uri",
        "endpoint",
        "enabled",
        "length",
        "policy",
        "type",
        "prefix",
        "header",
        "algorithm",
        "lifetime",
        "expiry",
        "ttl",
        "mode",
        "format",
    }
)
MAX_VALUE = 200  # characters of a value kept
MAX_KEYS = 1000  # flattened keys kept per section
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]*:)(?P<pw>[^\s@/]+)(?P<at>@)")
_ENV_ITEM = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*=(.*)$", re.S)


def words(key: str) -> list[str]:
    return [w.lower() for w in _WORDS.findall(str(key))]


def is_secret_key(key: Any) -> bool:
    """Whether a scalar under ``key`` is redacted."""
    parts = words(str(key))
    return bool(SECRET_WORDS.intersection(parts)) and parts[-1] not in POINTER_WORDS


def is_secret_group(key: Any) -> bool:
    """Whether everything under ``key`` (a mapping or a list of mappings) is redacted."""
    parts = words(str(key))
    return bool(GROUP_WORDS.intersection(parts)) and parts[-1] not in POINTER_WORDS


def secret_for(key: Any, value: Any) -> bool:
    """:func:`is_secret_group` for containers of mappings, :func:`is_secret_key` for the rest."""
    nested = isinstance(value, dict) or (
        isinstance(value, list) and any(isinstance(v, dict | list) for v in value)
    )
    return is_secret_group(key) if nested else is_secret_key(key)


def render(value: Any) -> str:
    """A scalar as text (``true``, ``3``, ``null`` as JSON writes them), at most MAX_VALUE chars,
    with URL passwords redacted."""
    if value is None or isinstance(value, bool | int | float):
        text = json.dumps(value)
    else:
        text = _URL_PASSWORD.sub(lambda m: m["head"] + REDACTED_URL + m["at"], str(value))
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def scalar(value: Any, secret: bool) -> str:
    if secret and value is not None and not isinstance(value, bool):
        return REDACTED
    return render(value)


@dataclass
class Flat:
    """The flattened keys of one section: ``spec.replicas: 6``, ``ports[0].port: 8080``."""

    keys: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    dropped: int = 0  # keys past MAX_KEYS

    def put(self, key: str, value: str, line: int | None) -> None:
        if key in self.keys or len(self.keys) < MAX_KEYS:
            self.keys[key] = value
            if line:
                self.lines[key] = line
        else:
            self.dropped += 1


# (path of the value in its document) -> its 1-based line, or None
LineOf = Callable[[tuple[Any, ...]], int | None]
# (key, multi-line text) -> parsed data and a line-of function relative to the text, or None
Embedded = Callable[[str, str], tuple[Any, LineOf] | None]


def flatten(
    value: Any,
    out: Flat,
    line_of: LineOf,
    prefix: str = "",
    path: tuple[Any, ...] = (),
    secret: bool = False,
    embedded: Embedded | None = None,
    depth: int = 0,
) -> None:
    """Every scalar under ``value`` into ``out`` as ``prefix.key[i]...``, redacted on the way;
    past 40 levels of nesting the rest of a branch is one ``…``."""
    if depth > 40:
        out.put(prefix or "(value)", "…", line_of(path))
        return
    if isinstance(value, dict):
        pair_secret = isinstance(value.get("name"), str) and is_secret_key(value["name"]) and "value" in value
        for key, child in value.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            hidden = secret or secret_for(key, child) or (pair_secret and key == "value")
            _child(child, out, line_of, name, (*path, key), hidden, embedded, depth, key)
    elif isinstance(value, list):
        if all(not isinstance(v, dict | list) for v in value):
            if value and all(isinstance(v, str) and _ENV_ITEM.match(v) for v in value):
                for i, item in enumerate(value):
                    key, raw = _ENV_ITEM.match(item).groups()  # type: ignore[union-attr]
                    out.put(
                        f"{prefix}.{key}",
                        scalar(raw.strip(), secret or is_secret_key(key)),
                        line_of((*path, i)),
                    )
                return
            text = ", ".join(render(v) for v in value)
            out.put(prefix, REDACTED if secret and value else render(text), line_of(path))
            return
        for i, child in enumerate(value):
            _child(child, out, line_of, f"{prefix}[{i}]", (*path, i), secret, embedded, depth, None)
    else:
        out.put(prefix or "(value)", scalar(value, secret), line_of(path))


def _child(
    child: Any,
    out: Flat,
    line_of: LineOf,
    name: str,
    path: tuple[Any, ...],
    secret: bool,
    embedded: Embedded | None,
    depth: int,
    key: Any,
) -> None:
    if embedded and isinstance(child, str) and "\n" in child and key is not None:
        inner = embedded(str(key), child)
        if inner is not None:
            data, inner_line = inner
            base = line_of(path) or 0

            def shifted(p: tuple[Any, ...]) -> int | None:
                found = inner_line(p)
                return base + found if found else base or None

            flatten(data, out, shifted, name, (), secret, None, depth + 1)
            return
    flatten(child, out, line_of, name, path, secret, embedded, depth + 1)
