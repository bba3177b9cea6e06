"""API keys: scopes, a hashed keys file, and keys from the environment.

A key is ``pvk_`` + 43 URL-safe random characters (256 bits). Only its SHA-256 is stored (a fast hash
is enough for a key this random: no dictionary to try). Keys come from the keys file (JSON, written
atomically, mode 0600; ``planvec keys create|list|revoke``) and from ``PLANVEC_API_KEYS``
(comma-separated ``NAME:SCOPE:KEY`` where KEY is the key itself or ``sha256:HEX``).

The file is re-read when it changes on disk, so keys created or revoked while the server runs take
effect on the next request.

Once a keys file exists (``keys revoke`` of the last key leaves ``{"keys": []}``, which differs from
no file), keys are *configured*: an empty key set then means every request is refused, never open
mode (see :attr:`KeyStore.configured`). A store built with ``tolerant=True`` (the server's) keeps
its last good key set when the file turns unreadable, and reports the problem in :attr:`problem`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
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

log = logging.getLogger("planvec.service")


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


class _Unreadable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class KeyStore:
    """Keys from a JSON file plus the environment; thread-safe; verification in constant time.

    ``tolerant``: an unreadable file keeps the last good key set (none before the first good read)
    and sets :attr:`problem`, logged once per change of the file, instead of raising UsageError.
    Writing (create, revoke) always raises on an unreadable file: it must not replace it."""

    def __init__(self, path: Path, env_spec: str | None = None, *, tolerant: bool = False) -> None:
        self.path = Path(path).expanduser()
        self._env = parse_env_keys(env_spec)
        self._tolerant = tolerant
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._file_keys: list[ApiKey] = []
        self._seen_file = False
        self._problem: str | None = None

    # -- reading ----------------------------------------------------------------------------------
    def _stat(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def _parse(self) -> list[ApiKey]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return [
                ApiKey(k["name"], k["scope"], k["sha256"], k.get("created"), "file")
                for k in data.get("keys", [])
            ]
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise _Unreadable(f"{type(e).__name__}: {e}") from None

    def _unreadable(self, reason: str) -> UsageError:
        return UsageError(
            f"cannot read the API keys file {self.path}: {reason}",
            hint="fix or remove it, then create keys with planvec keys create",
        )

    def _load(self, *, strict: bool = False) -> list[ApiKey]:
        stamp = self._stat()
        if stamp == self._stamp and not (strict and self._problem):
            return self._file_keys
        keys: list[ApiKey] = []
        if stamp is not None:
            self._seen_file = True
            try:
                keys = self._parse()
            except _Unreadable as e:
                if strict or not self._tolerant:
                    raise self._unreadable(e.reason) from None
                if stamp != self._stamp:  # once per change of the file, not once per request
                    log.error(
                        "%s; the last good key set (%d keys) stays in use",
                        self._unreadable(e.reason).message,
                        len(self._file_keys),
                    )
                # (no path in it: /readyz shows it to anyone)
                self._stamp, self._problem = stamp, f"the API keys file cannot be read ({e.reason})"
                return self._file_keys
        if self._problem is not None:
            log.warning("the API keys file %s changed: %d keys now", self.path, len(keys))
        self._stamp, self._file_keys, self._problem = stamp, keys, None
        return keys

    @property
    def problem(self) -> str | None:
        """Why the keys file cannot be read right now (the last good key set is in use), or None."""
        with self._lock:
            self._load()
            return self._problem

    @property
    def configured(self) -> bool:
        """Keys have been set up: a keys file exists or existed (it is never open mode again by
        itself), or PLANVEC_API_KEYS holds keys."""
        with self._lock:
            self._load()
            return self._seen_file or bool(self._env)

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
            keys = list(self._load(strict=True))
            if any(k.name == name for k in [*keys, *self._env]):
                raise UsageError(f"a key named {name!r} exists", hint=f"planvec keys revoke {name} first")
            raw = KEY_PREFIX + secrets.token_urlsafe(32)
            key = ApiKey(name, scope, hash_key(raw), datetime.now(UTC).isoformat(timespec="seconds"))
            self._write([*keys, key])
        return key, raw

    def revoke(self, name: str) -> ApiKey:
        with self._lock:
            keys = list(self._load(strict=True))
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
