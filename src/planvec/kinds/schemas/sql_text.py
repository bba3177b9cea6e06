"""SQL text into statements: dialect guess, pg_dump data blocks, tokens with recovery, splitting.

The file is tokenized **once** with sqlglot's tokenizer of the dialect (it knows strings, quoted
names, comments and ``$$`` bodies, and every token carries its line), then split into statements at
the top-level ``;`` tokens. sqlglot's own ``parse`` splits the same way but gives no line per
statement and stops at the first error; splitting the token list ourselves gives each statement its
first line and lets one bad statement be a problem while the others are read.

Hand-written here, because no library does it for a DDL reader:

* the **dialect guess**: a score of markers per dialect (PostgreSQL ``$$``, ``SERIAL``, ``::``,
  ``JSONB``, ``CREATE EXTENSION``, ``plpgsql``; MySQL backticks, ``ENGINE=``, ``AUTO_INCREMENT``;
  SQLite ``AUTOINCREMENT``, ``WITHOUT ROWID``, ``PRAGMA``); no marker → sqlglot's generic dialect;
* **dump data and rollbacks**: the rows of ``COPY … FROM stdin;`` up to ``\\.`` and psql
  meta-commands (``\\connect``, ``\\restrict``) are not SQL, one-line ``INSERT INTO … );``
  statements hold only data, and the ``-- +goose Down`` / ``-- migrate:down`` section of a goose or
  dbmate migration is its rollback, never schema: they are blanked (line numbers kept) before
  tokenizing;
* **recovery** from what the tokenizer cannot read (an unterminated string, quoted name, comment or
  ``$$`` body, which would swallow the rest of the file): the statement it starts is one problem, and
  reading resumes at the next line that starts a DDL statement;
* **trigger and routine bodies** without ``$$`` (SQLite ``CREATE TRIGGER … BEGIN …; END;``,
  ``BEGIN ATOMIC``) hold ``;``: inside a ``CREATE TRIGGER/FUNCTION/PROCEDURE`` the split waits for
  the ``END`` closing its ``BEGIN``.

* the MySQL client's ``DELIMITER`` command (mysqldump ``--routines``, hand-written procedures): the
  custom delimiter ending a line within its region is read as ``;`` (inside the routine bodies the
  ``BEGIN … END`` rule above keeps their ``;``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.tokens import Token, TokenType

GENERIC = "generic"  # sqlglot's default dialect, when no marker says which

_MARKERS: dict[str, tuple[str, ...]] = {
    "postgres": (
        r"\$\$",
        r"\$[A-Za-z_]\w*\$",
        r"\b(?:BIG|SMALL)?SERIAL\b",
        r"::\s*\w",
        r"\bJSONB\b",
        r"\bTIMESTAMPTZ\b",
        r"\bCREATE\s+EXTENSION\b",
        r"\bplpgsql\b",
        r"\bgen_random_uuid\s*\(",
        r"\bUSING\s+(?:GIN|GIST|BRIN)\b",
        r"\bOWNER\s+TO\b",
        r"\bpg_catalog\.",
        r"\bPARTITION\s+OF\b",
    ),
    "mysql": (
        r"`\w[^`\n]*`",
        r"\bENGINE\s*=",
        r"\bAUTO_INCREMENT\b",
        r"\bUNSIGNED\b",
        r"\bDEFAULT\s+CHARSET\b",
        r"\b(?:TINY|MEDIUM|LONG)TEXT\b",
    ),
    "sqlite": (
        r"\bAUTOINCREMENT\b",
        r"\bWITHOUT\s+ROWID\b",
        r"\bPRAGMA\b",
    ),
}
_MARKER_RES = {d: [re.compile(p, re.IGNORECASE) for p in ps] for d, ps in _MARKERS.items()}
_ALIASES = {
    "postgresql": "postgres",
    "pg": "postgres",
    "pgsql": "postgres",
    "sqlite3": "sqlite",
    "mariadb": "mysql",
}


_GUESS_CHARS = 200_000  # markers sit in the DDL, which comes before a dump's data


def guess_dialect(text: str) -> str:
    """The dialect whose markers occur most in the DDL of ``text`` (distinct markers count once);
    ``generic`` when none occurs or two dialects tie."""
    head = blank_data(text[: _GUESS_CHARS * 2])[:_GUESS_CHARS]
    scores = {d: sum(1 for r in rs if r.search(head)) for d, rs in _MARKER_RES.items()}
    best = max(scores.values())
    winners = [d for d, s in scores.items() if s == best]
    return winners[0] if best > 0 and len(winners) == 1 else GENERIC


def dialect_name(name: str) -> str | None:
    """The sqlglot name of a configured dialect (``postgresql`` → ``postgres``), None when sqlglot
    has no such dialect."""
    key = _ALIASES.get(name.strip().lower(), name.strip().lower())
    if key == GENERIC:
        return GENERIC
    try:
        Dialect.get_or_raise(key)
    except ValueError:
        return None
    return key


def sqlglot_dialect(name: str) -> Dialect:
    return Dialect.get_or_raise(None if name == GENERIC else name)


# --- pg_dump data blocks and psql meta-commands ---------------------------------------------------

_COPY_STDIN = re.compile(r"^\s*COPY\s.*\bFROM\s+stdin\b.*;\s*$", re.IGNORECASE)
_PSQL_META = re.compile(r"^\\[A-Za-z!?]")
_INSERT_LINE = re.compile(r"^\s*INSERT\s+INTO\s.*\)\s*;\s*$", re.IGNORECASE)
_ESCAPES = re.compile(r"\\.")
_LINES = re.compile(r"[^\n]*\n|[^\n]+$")  # lines as the tokenizer counts them ("\n" only)
_DELIMITER = re.compile(r"^\s*DELIMITER\s+(\S+)\s*$", re.IGNORECASE)
# goose (``-- +goose Up`` / ``-- +goose Down``) and dbmate (``-- migrate:up`` / ``-- migrate:down``)
# keep a migration and its rollback in one file.
_UP_DOWN = re.compile(r"^\s*--\s*(?:\+goose\s+|migrate:)(up|down)\b", re.IGNORECASE)


def _whole_insert(line: str) -> bool:
    """A one-line ``INSERT INTO … );`` with balanced quotes (mysqldump's extended inserts): data,
    never schema, and costly to tokenize."""
    return bool(_INSERT_LINE.match(line)) and _ESCAPES.sub("", line).count("'") % 2 == 0


def blank_data(text: str) -> str:
    """``text`` with the rows of ``COPY … FROM stdin;`` blocks (up to ``\\.``), psql
    meta-command lines, one-line INSERTs and the rollback sections of goose and dbmate migrations
    (``-- +goose Down``, ``-- migrate:down``) replaced by empty lines, and the MySQL client's
    ``DELIMITER`` regions rewritten to ``;``: line numbers stay (offsets are those of the returned
    text, which is what the statements are read from)."""
    out: list[str] = []
    in_copy = in_down = False
    delimiter = ""  # the MySQL client's statement delimiter when not ";"
    for line in _LINES.findall(text):
        body = line.rstrip("\r\n")
        end = line[len(body) :]
        if marker := _UP_DOWN.match(body):
            in_down = marker.group(1).lower() == "down"
            out.append(line)
        elif in_down:
            out.append(end)
        elif in_copy:
            in_copy = body != "\\."
            out.append(end)
        elif m := _DELIMITER.match(body):
            delimiter = "" if m.group(1) == ";" else m.group(1)
            out.append(end)
        elif _PSQL_META.match(body) or (body[:1] in "Ii" and _whole_insert(body)):
            out.append(end)
        else:
            in_copy = bool(_COPY_STDIN.match(body))
            if delimiter and body.rstrip().endswith(delimiter):
                body = body.rstrip()[: -len(delimiter)] + ";"
            out.append(body + end)
    return "".join(out)


def _blank(s: str) -> str:
    """Spaces for every character but line breaks (offsets and line numbers stay)."""
    return re.sub(r"[^\r\n]", " ", s)


# --- tokens with recovery -------------------------------------------------------------------------

_RESUME = re.compile(
    r"^[ \t]*(?:CREATE|ALTER|DROP|COMMENT|RENAME|GRANT|REVOKE)\b", re.IGNORECASE | re.MULTILINE
)
_MAX_RECOVERIES = 100


@dataclass(frozen=True, slots=True)
class TextProblem:
    line: int
    reason: str


def tokenize(text: str, dialect: Dialect) -> tuple[list[Token], list[TextProblem]]:
    """All tokens of ``text``; what the tokenizer cannot read is blanked from the start of its
    statement to the next line starting a DDL statement, and reported with its first line."""
    problems: list[TextProblem] = []
    for _ in range(_MAX_RECOVERIES):
        tokenizer = dialect.tokenizer()
        try:
            return tokenizer.tokenize(text), problems
        except SqlglotError:
            good = list(tokenizer.tokens)
        start, resume = _bad_region(text, good)
        first, last = _line_of(text, start), _line_of(text, max(start, resume - 1))
        where = f"line {first}" if first == last else f"lines {first}-{last}"
        problems.append(
            TextProblem(
                first,
                f"unterminated string, quoted name, comment or $$ body: {where} not read "
                "(reading resumes at the next CREATE/ALTER/DROP/COMMENT line)",
            )
        )
        text = text[:start] + _blank(text[start:resume]) + text[resume:]
    return [], [*problems, TextProblem(1, "too many unreadable statements: the file is not read")]


def _bad_region(text: str, good: Sequence[Token]) -> tuple[int, int]:
    """Offsets ``[start, resume)`` to blank: from the first token of the statement the tokenizer
    stopped in to the next DDL line after the point where it stopped."""
    last_semi = max((i for i, t in enumerate(good) if t.token_type == TokenType.SEMICOLON), default=-1)
    after = good[-1].end + 1 if good else 0
    stop = len(text) - len(text[after:].lstrip())  # first character the tokenizer could not read
    start = good[last_semi + 1].start if last_semi + 1 < len(good) else stop
    line_end = text.find("\n", stop)
    m = _RESUME.search(text, line_end + 1) if line_end >= 0 else None
    return start, (m.start() if m else len(text))


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


# --- statements -----------------------------------------------------------------------------------

_BODY_OPENERS = {"TRIGGER", "FUNCTION", "PROCEDURE"}
_BODY_WORDS = 10  # CREATE DEFINER=`root`@`localhost` PROCEDURE: the kind comes within 10 tokens
_NOT_CLOSING = {"IF", "LOOP", "WHILE", "REPEAT", "FOR"}
_QUOTED = {TokenType.STRING, TokenType.IDENTIFIER, TokenType.HEREDOC_STRING}


def split(tokens: Sequence[Token]) -> list[list[Token]]:
    """Statements (token lists without their ``;``), empty ones left out."""
    out: list[list[Token]] = []
    cur: list[Token] = []
    depth = 0
    body = False  # whether cur is a CREATE TRIGGER/FUNCTION/PROCEDURE, known by its first words
    for i, tok in enumerate(tokens):
        if tok.token_type == TokenType.SEMICOLON and depth <= 0:
            if cur:
                out.append(cur)
            cur, depth, body = [], 0, False
            continue
        cur.append(tok)
        if len(cur) <= _BODY_WORDS:
            body = _has_body(cur)
        if body:
            depth += _depth_step(tokens, i)
    if cur:
        out.append(cur)
    return out


def _has_body(cur: Sequence[Token]) -> bool:
    """Whether the statement is a CREATE TRIGGER/FUNCTION/PROCEDURE (whose body may hold ``;``)."""
    if not cur or cur[0].text.upper() != "CREATE":
        return False
    return any(t.text.upper() in _BODY_OPENERS for t in cur[1:_BODY_WORDS])


def _depth_step(tokens: Sequence[Token], i: int) -> int:
    if tokens[i].token_type in _QUOTED:
        return 0
    word = tokens[i].text.upper()
    if word in ("BEGIN", "CASE"):
        return 1
    if word == "END":
        nxt = tokens[i + 1].text.upper() if i + 1 < len(tokens) else ""
        return 0 if nxt in _NOT_CLOSING else -1
    return 0
