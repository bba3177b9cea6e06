"""Secrets in a text, with their file and line: detect-secrets' plugins used as a library, line by
line (no CLI, no git, no network: ``analyze_string`` only, never a plugin's ``verify``), private key
blocks over several lines, high-entropy strings only where a keyword gives them a context, and
planvec's configuration-key rules (:mod:`.keys`).

Each line first meets one cheap regular expression, the union of what every detector's match must
contain (a plugin's literal prefix such as ``AKIA`` or ``ghp_``, ``://`` with ``@``, or a keyword
such as ``key``, ``pass``, ``secret``, ``token``): a line without any of them cannot hold a match of
any detector used here, so the gate costs no recall; it skips most lines of prose.

:func:`secret_spans` is what ``planvec index`` redacts and what a security scan reports.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from typing import Any

from detect_secrets.filters.heuristic import (
    is_indirect_reference,
    is_likely_id_string,
    is_lock_file,
    is_potential_uuid,
    is_sequential_string,
    is_templated_secret,
)
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import BasePlugin
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString, HexHighEntropyString
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.keyword import REGEX_BY_FILETYPE, KeywordDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector
from detect_secrets.util.filetype import determine_file_type

from .findings import Span
from .keys import is_config_file, is_placeholder, key_spans, key_type

# The token plugins, most specific first, with the type planvec reports and the literals (lower
# case) one of which any match of the plugin contains. Left out: the IBM, Cloudant and SoftLayer
# plugins (keyword rules that the general ones cover), Artifactory's ``AP...`` pattern and public IP
# addresses (noise in plans and manifests).
_PLUGINS: tuple[tuple[BasePlugin, str, tuple[str, ...]], ...] = (
    (AWSKeyDetector(), "aws-key", ("akia", "asia", "abia", "acca", "a3t", "aws")),
    (GitHubTokenDetector(), "github-token", ("gh",)),  # (few needles: each is a scan of the text)
    (GitLabTokenDetector(), "gitlab-token", ("gl", "gr1348941")),
    (SlackDetector(), "slack-token", ("xox", "slack")),
    (StripeDetector(), "stripe-key", ("k_live_",)),
    (OpenAIDetector(), "openai-key", ("t3blbkfj",)),
    (SendGridDetector(), "sendgrid-key", ("sg.",)),
    (PypiTokenDetector(), "pypi-token", ("pypi-",)),
    (NpmDetector(), "npm-token", ("_authtoken",)),
    (SquareOAuthDetector(), "square-oauth", ("sq0csp-",)),
    (AzureStorageKeyDetector(), "azure-storage-key", ("accountkey=",)),
    (MailchimpDetector(), "mailchimp-key", ("-us",)),
    (JwtTokenDetector(), "jwt", ("eyj",)),
    (BasicAuthDetector(), "basic-auth", ("://",)),
)
# Plugins whose matches start with no literal: their own patterns find the lines, over the whole
# text at once.
_UNPREFIXED: tuple[tuple[BasePlugin, str], ...] = (
    (DiscordBotTokenDetector(), "discord-token"),
    (TelegramBotTokenDetector(), "telegram-token"),
    (TwilioKeyDetector(), "twilio-key"),
)
# What each of them needs, as a pattern that starts with a literal (which the regex engine finds
# fast): two dots around 6 characters, a colon before 35, the two capitals.
_UNPREFIXED_GATES = (
    re.compile(r"\.[\w-]{6}\."),
    re.compile(r":[\w-]{35}"),
    re.compile(r"AC[a-z0-9]{32}|SK[a-z0-9]{32}"),
)
# The words of the keyword detector and of the high-entropy context (the lines it runs on).
_KEYWORDS = ("key", "pass", "pwd", "secret", "token", "cred", "contrase", "auth", "bearer", "priv",
             "signature", "cookie", "session")  # fmt: skip
# Which detector wins where spans overlap: a private key block, a token plugin, then planvec's key
# rules (rank 2, every other type), detect-secrets' keyword detector, and high entropy last.
_RANK = {
    "private-key": 0,
    **{type_: 1 for _, type_, _ in _PLUGINS},
    **{type_: 1 for _, type_ in _UNPREFIXED},
    "secret-keyword": 3,
    "bearer-token": 4,
    "high-entropy-string": 4,
}
_KEYWORD = KeywordDetector()
_B64 = Base64HighEntropyString(limit=4.5)
_HEX = HexHighEntropyString(limit=3.0)

# Needle -> the plugins (indexes in _PLUGINS; -1: the keyword detectors) whose matches contain it.
_NEEDLES: dict[str, list[int]] = {}
for _i, (_plugin, _type, _needles) in enumerate(_PLUGINS):
    for _n in _needles:
        _NEEDLES.setdefault(_n, []).append(_i)
for _n in _KEYWORDS:
    _NEEDLES.setdefault(_n, []).append(-1)
_BEARER_RE = re.compile(r"\bbearer\s+([A-Za-z0-9\-._~+/]{20,}=*)", re.IGNORECASE)
_PRIVATE_KEY_RE = re.compile(
    r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----|PuTTY-User-Key-File-\d+:[^\n]*"
)
_KEY_BODY_RE = re.compile(r"""^[\s>"'|]*(?:[A-Za-z0-9+/=]{16,}|[\w-]+: [^\n]*)["',\\n]*\s*$""")
_MAX_KEY_BLOCK = 20_000  # characters searched for the END line of a private key


def secret_spans(text: str, path: str) -> list[Span]:
    """Every secret in ``text`` (a file's content, or one string of a document) with its line,
    without overlaps (the most specific detector wins)."""
    if not text.strip():
        return []
    lower = text.lower()
    owners = {i for n in _NEEDLES if n in lower for i in _NEEDLES[n]}
    keywords = -1 in owners  # (every secret word of the key rules holds a keyword)
    plugins = sorted(owners - {-1})
    found = [*_private_keys(text), *_unprefixed(text)]
    if plugins or keywords:
        found.extend(_line_spans(text, lower, path, plugins, keywords))
    if keywords:
        found.extend(key_spans(text, path))
    return merge(sorted(found, key=lambda sp: _RANK.get(sp.type, 2)))


def merge(spans: Iterable[Span]) -> list[Span]:
    """Spans in text order, keeping the first of any that overlap (callers list the most specific
    detectors first)."""
    kept: list[Span] = []
    for sp in spans:
        if sp.end > sp.start and not any(sp.start < k.end and k.start < sp.end for k in kept):
            kept.append(sp)
    return sorted(kept, key=lambda s: s.start)


def _private_keys(text: str) -> Iterator[Span]:
    """``-----BEGIN ... PRIVATE KEY-----`` up to its END line; without an END line, as far as the
    lines look like the key's base64 body (and its headers)."""
    if not multiline(text):
        return
    pos = 0
    while (m := _PRIVATE_KEY_RE.search(text, pos)) is not None:
        start, end = m.start(), m.end()
        if m.group(0).startswith("-----BEGIN"):
            end_marker = f"-----END {m.group(1) or ''}PRIVATE KEY{m.group(2) or ''}-----"
            close = text.find(end_marker, end, end + _MAX_KEY_BLOCK)
            end = close + len(end_marker) if close != -1 else _body_end(text, end)
        else:
            end = _body_end(text, end)
        yield Span("private-key", start, end, text.count("\n", 0, start) + 1)
        pos = end


def _body_end(text: str, pos: int) -> int:
    """The end of the lines after ``pos`` that look like a key's body."""
    end = pos
    while end < len(text) and text[end] == "\n":
        nxt = text.find("\n", end + 1)
        line_end = len(text) if nxt == -1 else nxt
        if not _KEY_BODY_RE.match(text[end + 1 : line_end]):
            break
        end = line_end
    return end


def _line_spans(text: str, lower: str, path: str, plugins: list[int], keywords: bool) -> Iterator[Span]:
    """The one-line detectors (the token ``plugins`` that the text holds a literal of, the keyword
    ones when ``keywords``), each on the lines that hold one of its literals."""
    starts = line_starts(text)
    todo: dict[int, set[int]] = {}  # line index -> the detectors to run on it (-1: keyword ones)
    for index in plugins:
        for ln in _lines_with(lower, _PLUGINS[index][2], starts):
            todo.setdefault(ln, set()).add(index)
    if keywords:
        for ln in _lines_with(lower, _KEYWORDS, starts):
            todo.setdefault(ln, set()).add(-1)
    keyword_regexes, lockfile = _file_rules(path)
    for n in sorted(todo):
        begin = starts[n]
        end = starts[n + 1] - 1 if n + 1 < len(starts) else len(text)
        line = text[begin:end]
        for index in sorted(todo[n] - {-1}):
            plugin, type_, _ = _PLUGINS[index]
            for t, a, b in _plugin_spans(plugin, type_, line):
                yield Span(t, begin + a, begin + b, n + 1)
        if -1 in todo[n] and not lockfile:  # (lockfiles: integrity hashes, only the token plugins)
            for t, a, b in _keyword_spans(line, keyword_regexes):
                yield Span(t, begin + a, begin + b, n + 1)


def _unprefixed(text: str) -> Iterator[Span]:
    """The plugins whose matches start with no literal, over the whole text (each only when the
    text holds a character its match needs)."""
    for (plugin, type_), needed in zip(_UNPREFIXED, _UNPREFIXED_GATES, strict=True):
        if not needed.search(text):
            continue
        for regex in plugin.denylist:  # type: ignore[attr-defined]
            for m in regex.finditer(text):
                yield Span(type_, m.start(), m.end(), text.count("\n", 0, m.start()) + 1)


@functools.lru_cache(maxsize=4096)
def path_class(path: str) -> str:
    """What the detectors' results on one line depend on besides the line: the file's type (the
    keyword detector's patterns), whether it is a lockfile, whether it is a configuration file (the
    key rules). Two lines equal in the same class give the same spans."""
    return f"{determine_file_type(path).name}|{is_lock_file(path):d}|{is_config_file(path):d}"


def multiline(text: str) -> bool:
    """Whether ``text`` may hold a secret over several lines (a private key block)."""
    return "PRIVATE KEY" in text or "PuTTY" in text


@functools.lru_cache(maxsize=4096)
def _file_rules(path: str) -> tuple[Any, bool]:
    """The keyword detector's regexes for the file's type, and whether it is a lockfile."""
    return REGEX_BY_FILETYPE.get(determine_file_type(path)), is_lock_file(path)


def line_starts(text: str) -> list[int]:
    """The offset of each line of ``text``."""
    starts = [0]
    at = text.find("\n")
    while at != -1:
        starts.append(at + 1)
        at = text.find("\n", at + 1)
    return starts


def _lines_with(lower: str, needles: Iterable[str], starts: list[int]) -> set[int]:
    """Indexes of the lines of a (lower-cased) text that contain one of ``needles``."""
    lines: set[int] = set()
    for needle in needles:
        at = lower.find(needle)
        while at != -1:
            n = bisect_right(starts, at) - 1
            lines.add(n)
            nxt = starts[n + 1] if n + 1 < len(starts) else len(lower)
            at = lower.find(needle, nxt)
    return lines


def _keyword_spans(line: str, keyword_regexes: object) -> Iterator[tuple[str, int, int]]:
    for value in _KEYWORD.analyze_string(line, denylist_regex_to_group=keyword_regexes):  # type: ignore[arg-type]
        for type_, a, b in _positions(line, value, "secret-keyword"):
            if not _keyword_noise(value, line, a):
                yield type_, a, b
    for m in _BEARER_RE.finditer(line):
        if _B64.calculate_shannon_entropy(m.group(1)) > 3.5 and not is_placeholder(m.group(1)):
            yield "bearer-token", m.start(1), m.end(1)
    for plugin, minimum in ((_B64, 20), (_HEX, 32)):
        for value in plugin.analyze_string(line):
            if len(value) >= minimum and not _entropy_noise(plugin, value, line):
                yield from _positions(line, value, "high-entropy-string")


def _plugin_spans(plugin: BasePlugin, type_: str, line: str) -> Iterator[tuple[str, int, int]]:
    """Where a token plugin's patterns match: the secret's group when the pattern has one (the
    password of a basic-auth URL), else the whole match; JWTs only when formally valid."""
    for regex in plugin.denylist:  # type: ignore[attr-defined]
        for m in regex.finditer(line):
            g = 1 if (regex.groups and m.group(1) and len(m.group(1)) >= 8) or type_ == "basic-auth" else 0
            if not m.group(g):
                continue
            start, end = m.start(g), m.end(g)
            if type_ == "jwt":  # (the plugin's pattern ends lazily: the signature is the JWT's too)
                end = _JWT_TAIL_RE.match(line, end).end()  # type: ignore[union-attr]
                if not JwtTokenDetector.is_formally_valid(line[start:end]):
                    continue
            yield type_, start, end


_JWT_TAIL_RE = re.compile(r"[A-Za-z0-9\-_.+/=]*")
_KEY_BEFORE_RE = re.compile(r"""([A-Za-z_][\w.\-]*)["'\]]*\s*(?::=|=>|==|!=|[:=(])\s*[@"'`]*$""")


def _positions(line: str, value: str, type_: str) -> Iterator[tuple[str, int, int]]:
    if not value:
        return
    at = line.find(value)
    while at != -1:
        yield type_, at, at + len(value)
        at = line.find(value, at + len(value))


def _keyword_noise(value: str, line: str, at: int) -> bool:
    """detect-secrets' own false-positive filters for keyword matches, plus placeholders and keys
    that name a setting about a secret (``secretName``, ``password_env``: see :func:`.keys.key_type`)."""
    v = value.strip()
    before = _KEY_BEFORE_RE.search(line, 0, at)
    return (
        (before is not None and key_type(before.group(1)) is None)
        or len(v) < 4
        or is_templated_secret(v)
        or is_placeholder(v)
        or is_indirect_reference(line)
        or not any(c.isalnum() for c in v)
    )


def _entropy_noise(plugin: Base64HighEntropyString | HexHighEntropyString, value: str, line: str) -> bool:
    return (
        plugin.calculate_shannon_entropy(value) <= plugin.entropy_limit
        or is_sequential_string(value)
        or is_potential_uuid(value)
        or is_likely_id_string(value, line, plugin)
        or is_placeholder(value)
    )
