"""One SQL statement (its tokens) into :mod:`.sql_ops` operations, or a problem.

The leading words decide: schema statements (``CREATE TABLE/INDEX/VIEW``, ``ALTER TABLE``,
``DROP …``) are parsed by sqlglot (:mod:`.sql_ast`); statements that hold no schema (``SET``,
``GRANT``/``REVOKE``, ``ALTER … OWNER TO``, ``SELECT``/``INSERT``/``COPY``, ``BEGIN``/``COMMIT``,
``CREATE TRIGGER/SEQUENCE/EXTENSION/SCHEMA/TYPE`` …) are skipped unparsed, so a dump's data and
privileges cost nothing and are no problems; any other statement is parsed only to tell whether it is
SQL at all (garbage is a problem). A few forms sqlglot has no tree for are read from their tokens
(:mod:`.sql_tokens`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import replace

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.tokens import Token, TokenType

from . import sql_ops as op
from .sql_ast import Reader
from .sql_forms import simplify
from .sql_text import GENERIC, sqlglot_dialect
from .sql_tokens import TokenReader


class _NoCommandFallbackNotice(logging.Filter):
    """sqlglot logs a warning when it reads a statement as an opaque command; this reader reports
    such statements itself (or skips them on purpose), so the notice would only be noise on stderr."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Falling back to parsing as a 'Command'" not in record.getMessage()


logging.getLogger("sqlglot").addFilter(_NoCommandFallbackNotice())

_SKIPPED_FIRST = frozenset(
    [
        "SET",
        "RESET",
        "GRANT",
        "REVOKE",
        "BEGIN",
        "START",
        "COMMIT",
        "END",
        "ROLLBACK",
        "SAVEPOINT",
        "RELEASE",
        "ABORT",
        "SELECT",
        "INSERT",
        "UPDATE",
        "DELETE",
        "MERGE",
        "UPSERT",
        "REPLACE",
        "COPY",
        "PRAGMA",
        "USE",
        "LOCK",
        "UNLOCK",
        "ANALYZE",
        "VACUUM",
        "REFRESH",
        "REINDEX",
        "CLUSTER",
        "TRUNCATE",
        "CALL",
        "DO",
        "EXPLAIN",
        "WITH",
        "VALUES",
        "DECLARE",
        "PREPARE",
        "EXECUTE",
        "DEALLOCATE",
        "LISTEN",
        "NOTIFY",
        "CHECKPOINT",
        "DISCARD",
        "SECURITY",
        "LOAD",
        "SHOW",
        "DESCRIBE",
        "ATTACH",
        "DETACH",
        "IMPORT",
        "FLUSH",
        "OPTIMIZE",
    ]
)
_CREATE_READ = frozenset({"TABLE", "INDEX", "VIEW", "FUNCTION", "PROCEDURE"})
_CREATE_SKIPPED = frozenset(
    [
        "TRIGGER",
        "SEQUENCE",
        "EXTENSION",
        "SCHEMA",
        "TYPE",
        "DOMAIN",
        "ROLE",
        "USER",
        "DATABASE",
        "POLICY",
        "RULE",
        "AGGREGATE",
        "OPERATOR",
        "CAST",
        "COLLATION",
        "CONVERSION",
        "EVENT",
        "PUBLICATION",
        "SUBSCRIPTION",
        "SERVER",
        "STATISTICS",
        "TABLESPACE",
        "LANGUAGE",
        "TRANSFORM",
        "ACCESS",
        "GROUP",
    ]
)
_DROP_READ = frozenset({"TABLE", "VIEW", "MATERIALIZED", "INDEX", "FUNCTION", "PROCEDURE"})
_ALTER_SKIPPED_ACTIONS = frozenset(
    "OWNER ENABLE DISABLE FORCE NO REPLICA CLUSTER SET RESET INHERIT OF NOT VALIDATE".split()  # noqa: SIM905
)
# An ALTER TABLE sqlglot reads as an opaque command is skipped when it only SETs or RESETs and none
# of these words says it may change what is indexed (columns, types, defaults, keys, names).
_SCHEMA_WORDS = frozenset({"ADD", "DROP", "RENAME", "TYPE", "DEFAULT", "NULL", "CHANGE", "MODIFY"})


_LEAD = 16  # the kind of a statement is in its first words (CREATE OR REPLACE ALGORITHM=… VIEW)


class StatementReader(TokenReader):
    """Reads the statements of one file (one dialect)."""

    def __init__(self, text: str, dialect: str) -> None:
        self.text = text
        self.dialect = sqlglot_dialect(dialect)
        self.folds = dialect == "postgres"  # PostgreSQL stores unquoted names in lower case
        types = sqlglot_dialect(GENERIC) if dialect == "sqlite" else None
        self.ast = Reader(self.dialect, self.fold, types)
        self._lines: list[str] | None = None
        self._parser = self.dialect.parser()  # reset by every parse

    def _line(self, n: int) -> str:
        """Line ``n`` (1-based) of the text."""
        if self._lines is None:
            self._lines = self.text.split("\n")  # the tokenizer counts "\n" only
        return self._lines[n - 1] if 0 < n <= len(self._lines) else ""

    def read(self, tokens: Sequence[Token]) -> tuple[list[object], str | None]:
        """The operations of one statement, or a problem (the reason)."""
        words = [
            t.text.upper()
            for t in tokens[:_LEAD]
            if t.token_type not in (TokenType.STRING, TokenType.IDENTIFIER)
        ]
        first = words[0] if words else ""
        line = tokens[0].line
        if first == "SET":
            return self._set(tokens, line), None
        if first in _SKIPPED_FIRST:
            return [], None
        if first == "COMMENT":
            return self._comment(tokens, line)
        if first == "RENAME":
            return self._rename_tables(tokens, line)
        if first == "CREATE":
            return self._create(tokens, words, line)
        if first == "ALTER":
            return self._alter(tokens, words, line)
        if first == "DROP":
            if len(words) > 1 and words[1] == "TYPE":
                return self._drop_types(tokens, line), None
            if len(words) > 1 and words[1] in _DROP_READ:
                return self._parsed(tokens, line)
            return [], None
        return self._parsed(tokens, line, schema=False)

    # --- sqlglot ---

    def _tree(self, tokens: Sequence[Token]) -> exp.Expr | str:
        try:
            trees = self._parser.parse(list(tokens), self.text)
        except SqlglotError as e:
            return _reason(e)
        found = [t for t in trees if t is not None]
        return found[0] if len(found) == 1 else "not one SQL statement"

    def _parsed(
        self, tokens: Sequence[Token], line: int, schema: bool = True
    ) -> tuple[list[object], str | None]:
        tree = self._tree(tokens)
        if isinstance(tree, str):
            return [], f"sqlglot cannot parse {_head(tokens)}: {tree}"
        if isinstance(tree, exp.Condition | exp.Alias | exp.Identifier | exp.Literal):
            return [], f"not a SQL statement: {_head(tokens)}"
        if not schema:
            return [], None
        if isinstance(tree, exp.Command):
            said = {t.text.upper() for t in tokens}
            if tokens[0].text.upper() == "ALTER" and said & {"SET", "RESET"} and not said & _SCHEMA_WORDS:
                return [], None  # SET STATISTICS / STORAGE / (options) …: nothing indexed changes
            return [], f"sqlglot cannot read {_head(tokens)} (it falls back to an opaque command)"
        return self._ops(tree, tokens, line), None

    def _ops(self, tree: exp.Expr, tokens: Sequence[Token], line: int) -> list[object]:
        if isinstance(tree, exp.Create):
            kind = str(tree.args.get("kind") or "").upper()
            if kind == "TABLE":
                return self.ast.create_table(tree, line, self._comment_above(tokens))
            if kind == "INDEX":
                return self.ast.create_index(tree, line)
            if kind == "VIEW":
                materialized = any(t.text.upper() == "MATERIALIZED" for t in tokens[:6])
                return self.ast.create_view(tree, line, materialized)
            return []
        if isinstance(tree, exp.Alter):
            return self.ast.alter(tree, line)
        if isinstance(tree, exp.Drop):
            return self.ast.drop(tree, line)
        return []

    def _comment_above(self, tokens: Sequence[Token]) -> str:
        """A ``--`` comment on the line right above the statement describes it (a section heading
        further up does not)."""
        comments = tokens[0].comments
        if not comments or tokens[0].line < 2:
            return ""
        above = self._line(tokens[0].line - 1).strip()
        last = comments[-1].strip()
        return last if above.startswith("--") and above[2:].strip() == last else ""

    # --- statements read from their tokens ---

    def _create(
        self, tokens: Sequence[Token], words: list[str], line: int
    ) -> tuple[list[object], str | None]:
        kind = next((w for w in words[1:] if w in _CREATE_READ or w in _CREATE_SKIPPED), "")
        if kind == "TYPE":
            return self._enum(tokens, line), None
        if kind in _CREATE_SKIPPED or (kind in ("TABLE", "VIEW") and _temporary(words, kind)):
            return [], None  # temporary tables and views live for one session: no schema
        if kind in ("FUNCTION", "PROCEDURE"):
            return self._function(tokens, kind.lower(), line)
        if kind:
            simpler, options = simplify(tokens, kind, self.text)
            ops, problem = self._parsed(simpler, line)
            return [_with_options(o, options) for o in ops], problem
        return self._parsed(tokens, line, schema=False)

    def _alter(self, tokens: Sequence[Token], words: list[str], line: int) -> tuple[list[object], str | None]:
        if len(words) > 1 and words[1] == "TYPE":
            return self._enum_value(tokens, line), None
        if len(words) > 2 and words[1:3] == ["MATERIALIZED", "VIEW"]:
            words = [words[0], "VIEW", *words[3:]]
            tokens = [tokens[0], *tokens[2:]]
        if len(words) < 2 or words[1] not in ("TABLE", "INDEX", "VIEW"):
            return [], None
        i, name = self._name_after(tokens, 2, skip=("ONLY", "IF", "EXISTS"))
        action = tokens[i].text.upper() if i < len(tokens) else ""
        nxt = tokens[i + 1].text.upper() if i + 1 < len(tokens) else ""
        moved = self._move(tokens, i, name, line) if words[1] != "INDEX" else None
        if moved is not None:
            return moved, None
        if words[1] == "VIEW":
            return [], None  # OWNER TO, SET (options), ALTER COLUMN … SET DEFAULT: nothing indexed
        if words[1] == "INDEX":
            if action == "RENAME" and nxt == "TO" and i + 2 < len(tokens):
                return [op.RenameIndex(name, line, self._part(tokens[i + 2]))], None
            return [], None
        if action in ("ATTACH", "DETACH") and nxt == "PARTITION":
            j, child = self._name_after(tokens, i + 2)
            if action == "DETACH":
                return [op.DetachPartition(name, line, child)], None
            bound = self._slice(tokens[j], tokens[-1]) if j < len(tokens) else ""
            return [op.AttachPartition(name, line, child, bound)], None
        if action in _ALTER_SKIPPED_ACTIONS and not (action == "SET" and nxt in ("SCHEMA",)):
            return [], None
        identity = self._add_identity(tokens, i, name, line)
        if identity is not None:
            return [identity], None
        return self._parsed(tokens, line)


def _temporary(words: list[str], kind: str) -> bool:
    return any(w in ("TEMP", "TEMPORARY") for w in words[1 : words.index(kind)])


def _with_options(o: object, options: dict[str, str]) -> object:
    if options and isinstance(o, op.CreateTable):
        return replace(o, options=(*o.options, *options.items()))
    return o


def _head(tokens: Sequence[Token], words: int = 5) -> str:
    """The first words of a statement, to name it in a problem: ``CREATE TABLE orders ( id …``."""
    text = " ".join(t.text for t in tokens[:words])
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"'{text}{' …' if len(tokens) > words else ''}'"


def _reason(e: SqlglotError) -> str:
    """sqlglot's first error message, without its internal class names."""
    errors = getattr(e, "errors", None) or []
    if errors and isinstance(errors[0], dict):
        text = str(errors[0].get("description") or e)
    else:
        text = str(e) or type(e).__name__
    return re.sub(r" for <class '[^']*'>", "", text.splitlines()[0])
