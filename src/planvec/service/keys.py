"""API keys: scopes, a hashed keys file, and keys from the environment.

A key is ``pvk_`` + 43 URL-safe random characters (256 bits). Only its SHA-256 is stored (a fast hash
is enough for a key this random: no dictionary to try). Keys come from the keys file (JSON, written
atomically, mode 0600; ``planvec keys create|list|revoke``) and from ``PLANVEC_API_KEYS``
(comma-separated ``NAME:SCOPE:KEY`` where KEY is the key itself or ``sha256:HEX``).

The file is re-read when it changes on disk, so keys created or revoked while the server runs take
effect on the next request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import UsageError

SCOPES = ("read", "write", "admin")
SCOPE_RANK = {s: i for i, s in enumerate(SCOPES)}
KEY_PREFIX = "pvk_"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_HEX_RE = re.compile(r"^[0-9a-f]{64}$")


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def scope_allows(have: str, need: str) -> bool:
    return SCOPE_RANK.get(have, -1) >= SCOPE_RANK[need]


@dataclass(frozen=True, slots=True)
class ApiKey:
    name: str
    scope: str
    sha256: str
    created: str | None = None
    source: str = "file"

    def public(self) -> dict[str, Any]:
        """What ``keys list`` shows: never the hash."""
        return {"name": self.name, "scope": self.scope, "created": self.created, "source": self.source}


def parse_env_keys(spec: str | None) -> list[ApiKey]:
    """``NAME:SCOPE:KEY[,NAME:SCOPE:KEY...]``; KEY may be ``sha256:HEX``."""
    out: list[ApiKey] = []
    for item in (spec or "").split(","):
        item = item.strip()
        if not item:
            continue
        parts = item.split(":", 2)
        if len(parts) != 3 or not parts[2]:
            raise UsageError(
                "PLANVEC_API_KEYS: each entry must be NAME:SCOPE:KEY",
                hint="e.g. PLANVEC_API_KEYS='ci:read:sha256:<64 hex>' (or the key itself)",
            )
        name, scope, key = parts
        _check_name(name)
        _check_scope(scope)
        if key.startswith("sha256:"):
            digest = key[len("sha256:") :].lower()
            if not _HEX_RE.match(digest):
                raise UsageError(f"PLANVEC_API_KEYS: {name}: sha256 must be 64 hex digits")
        else:
            digest = hash_key(key)
        out.append(ApiKey(name, scope, digest, None, "env"))
    return out


def _check_name(name: str) -> None:
    if not _NAME_RE.match(name):
        raise UsageError(
            f"invalid key name {name!r}", hint="use 1-64 letters, digits, '.', '_' or '-' (no spaces)"
        )


def _check_scope(scope: str) -> None:
    if scope not in SCOPE_RANK:
        raise UsageError(f"unknown scope {scope!r}", hint="use read, write or admin")


class KeyStore:
    """Keys from a JSON file plus the environment; thread-safe; verification in constant time."""

    def __init__(self, path: Path, env_spec: str | None = None) -> None:
        self.path = Path(path).expanduser()
        self._env = parse_env_keys(env_spec)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._file_keys: list[ApiKey] = []

    # -- reading ----------------------------------------------------------------------------------
    def _stat(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def _load(self) -> list[ApiKey]:
        stamp = self._stat()
        if stamp == self._stamp:
            return self._file_keys
        keys: list[ApiKey] = []
        if stamp is not None:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                for k in data.get("keys", []):
                    keys.append(ApiKey(k["name"], k["scope"], k["sha256"], k.get("created"), "file"))
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
                raise UsageError(
                    f"cannot read the API keys file {self.path}: {e}",
                    hint="fix or remove it, then create keys with planvec keys create",
                ) from None
        self._stamp, self._file_keys = stamp, keys
        return keys

    def keys(self) -> list[ApiKey]:
        with self._lock:
            return [*self._load(), *self._env]

    @property
    def empty(self) -> bool:
        return not self.keys()

    def verify(self, raw: str) -> ApiKey | None:
        """The key whose hash matches ``raw``; every stored hash is compared (hmac.compare_digest)."""
        digest = hash_key(raw)
        found: ApiKey | None = None
        for k in self.keys():
            if hmac.compare_digest(digest, k.sha256) and found is None:
                found = k
        return found

    # -- writing ----------------------------------------------------------------------------------
    def create(self, name: str, scope: str) -> tuple[ApiKey, str]:
        """A new key: returns its record and the raw key (shown once, never stored)."""
        _check_name(name)
        _check_scope(scope)
        with self._lock:
            keys = list(self._load())
            if any(k.name == name for k in [*keys, *self._env]):
                raise UsageError(f"a key named {name!r} exists", hint=f"planvec keys revoke {name} first")
            raw = KEY_PREFIX + secrets.token_urlsafe(32)
            key = ApiKey(name, scope, hash_key(raw), datetime.now(UTC).isoformat(timespec="seconds"))
            self._write([*keys, key])
        return key, raw

    def revoke(self, name: str) -> ApiKey:
        with self._lock:
            keys = list(self._load())
            gone = [k for k in keys if k.name == name]
            if not gone:
                env = any(k.name == name for k in self._env)
                raise UsageError(
                    f"no key named {name!r} in {self.path}",
                    hint="remove it from PLANVEC_API_KEYS" if env else "planvec keys list",
                )
            self._write([k for k in keys if k.name != name])
        return gone[0]

    def _write(self, keys: list[ApiKey]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"keys": [{k: v for k, v in asdict(x).items() if k != "source"} for x in keys]}
        fd, tmp = tempfile.mkstemp(prefix=".api_keys.", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=2)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._stamp = None  # re-read on next access
