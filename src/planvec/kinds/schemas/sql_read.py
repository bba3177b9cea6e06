"""One SQL statement (its tokens) into :mod:`.sql_ops` operations, or a problem.

The leading words decide: schema statements (``CREATE TABLE/INDEX/VIEW``, ``ALTER TABLE``,
``DROP …``) are parsed by sqlglot (:mod:`.sql_ast`); statements that hold no schema (``SET``,
``GRANT``/``REVOKE``, ``ALTER … OWNER TO``, ``SELECT``/``INSERT``/``COPY``, ``BEGIN``/``COMMIT``,
``CREATE TRIGGER/SEQUENCE/EXTENSION/SCHEMA/TYPE`` …) are skipped unparsed, so a dump's data and
privileges cost nothing and are no problems; any other statement is parsed only to tell whether it is
SQL at all (garbage is a problem). A few forms are read from the tokens because sqlglot has no tree
for them: ``COMMENT ON`` (sqlglot refuses ``IS NULL``), ``CREATE FUNCTION/PROCEDURE`` (sqlglot falls
back to an opaque command for most PostgreSQL function options; only the name, arguments, return type
and language are wanted, never the body), ``ALTER TABLE … ATTACH/DETACH PARTITION``, MySQL ``RENAME
TABLE``, ``ALTER INDEX … RENAME TO`` and ``SET search_path``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.tokens import Token, TokenType

from . import sql_ops as op
from .sql_ast import Reader
from .sql_text import GENERIC, sqlglot_dialect


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
    [
        "OWNER",
        "ENABLE",
        "DISABLE",
        "FORCE",
        "NO",
        "REPLICA",
        "CLUSTER",
        "SET",
        "RESET",
        "INHERIT",
        "OF",
        "NOT",
        "VALIDATE",
    ]
)
_FUNC_END = frozenset(
    [
        "LANGUAGE",
        "AS",
        "IMMUTABLE",
        "STABLE",
        "VOLATILE",
        "SECURITY",
        "STRICT",
        "CALLED",
        "COST",
        "ROWS",
        "SET",
        "PARALLEL",
        "LEAKPROOF",
        "WINDOW",
        "NOT",
        "BEGIN",
        "RETURN",
        "DETERMINISTIC",
        "NO",
        "READS",
        "MODIFIES",
        "CONTAINS",
        "COMMENT",
        "SQL",
        "EXTERNAL",
    ]
)


class StatementReader:
    """Reads the statements of one file (one dialect)."""

    def __init__(self, text: str, dialect: str) -> None:
        self.text = text
        self.dialect = sqlglot_dialect(dialect)
        self.folds = dialect == "postgres"  # PostgreSQL stores unquoted names in lower case
        types = sqlglot_dialect(GENERIC) if dialect == "sqlite" else None
        self.ast = Reader(self.dialect, self.fold, types)

    def fold(self, name: str, quoted: bool) -> str:
        return name.lower() if self.folds and not quoted else name

    def read(self, tokens: Sequence[Token]) -> tuple[list[object], str | None]:
        """The operations of one statement, or a problem (the reason)."""
        words = [
            t.text.upper() for t in tokens[:8] if t.token_type not in (TokenType.STRING, TokenType.IDENTIFIER)
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
            trees = self.dialect.parser().parse(list(tokens), self.text)
        except SqlglotError as e:
            return _reason(e)
        found = [t for t in trees if t is not None]
        return found[0] if len(found) == 1 else "not one SQL statement"

    def _parsed(
        self, tokens: Sequence[Token], line: int, schema: bool = True
    ) -> tuple[list[object], str | None]:
        tree = self._tree(tokens)
        if isinstance(tree, str):
            return [], f"sqlglot cannot parse this statement: {tree}"
        if isinstance(tree, exp.Condition | exp.Alias | exp.Identifier | exp.Literal):
            return [], "not a SQL statement (a bare expression)"
        if not schema:
            return [], None
        if isinstance(tree, exp.Command):
            return [], "sqlglot cannot read this statement (it falls back to an opaque command)"
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
        above = self.text.splitlines()[tokens[0].line - 2].strip() if tokens[0].line >= 2 else ""
        last = comments[-1].strip()
        return last if above.startswith("--") and above[2:].strip() == last else ""

    # --- statements read from their tokens ---

    def _create(
        self, tokens: Sequence[Token], words: list[str], line: int
    ) -> tuple[list[object], str | None]:
        kind = next((w for w in words[1:] if w in _CREATE_READ or w in _CREATE_SKIPPED), "")
        if kind == "TYPE":
            return self._enum(tokens, line), None
        if kind in _CREATE_SKIPPED:
            return [], None
        if kind in ("FUNCTION", "PROCEDURE"):
            return self._function(tokens, kind.lower(), line)
        if kind:
            return self._parsed(_pg_forms(tokens, kind), line)
        return self._parsed(tokens, line, schema=False)

    def _alter(self, tokens: Sequence[Token], words: list[str], line: int) -> tuple[list[object], str | None]:
        if len(words) > 1 and words[1] == "TYPE":
            return self._enum_value(tokens, line), None
        if len(words) < 2 or words[1] not in ("TABLE", "INDEX"):
            return [], None
        i, name = self._name_after(tokens, 2, skip=("ONLY", "IF", "EXISTS"))
        action = tokens[i].text.upper() if i < len(tokens) else ""
        nxt = tokens[i + 1].text.upper() if i + 1 < len(tokens) else ""
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

    def _add_identity(
        self, tokens: Sequence[Token], i: int, table: op.Name, line: int
    ) -> op.AlterColumn | None:
        """``ALTER TABLE t ALTER [COLUMN] c ADD GENERATED … AS IDENTITY (…)`` (pg_dump's identity
        columns), which sqlglot reads as an opaque command."""
        up = [t.text.upper() for t in tokens[i : i + 5]]
        if not up or up[0] != "ALTER":
            return None
        j = 2 if len(up) > 1 and up[1] == "COLUMN" else 1
        if len(up) > j + 2 and up[j + 1] == "ADD" and up[j + 2] == "GENERATED":
            return op.AlterColumn(table, line, self._part(tokens[i + j]), identity=True)
        return None

    def _comment(self, tokens: Sequence[Token], line: int) -> tuple[list[object], str | None]:
        """``COMMENT ON kind name [(args)] IS 'text' | NULL``."""
        up = [t.text.upper() for t in tokens]
        if len(up) < 4 or up[1] != "ON" or "IS" not in up:
            return [], "COMMENT is not COMMENT ON … IS '…'"
        kind_words = []
        i = 2
        while i < len(tokens) and up[i] in (
            "MATERIALIZED",
            "VIEW",
            "TABLE",
            "COLUMN",
            "INDEX",
            "FUNCTION",
            "PROCEDURE",
            "TYPE",
        ):
            kind_words.append(up[i])
            i += 1
        if not kind_words:
            return [], None  # COMMENT ON SCHEMA/EXTENSION/TYPE/...: nothing indexed has it
        parts = []
        while i < len(tokens) and up[i] != "IS" and tokens[i].token_type != TokenType.L_PAREN:
            if tokens[i].token_type != TokenType.DOT:
                parts.append(self._part(tokens[i]))
            i += 1
        is_at = up.index("IS", i)
        value = tokens[is_at + 1] if is_at + 1 < len(tokens) else None
        if value is None or (value.token_type != TokenType.STRING and value.text.upper() != "NULL"):
            return [], "COMMENT ON … IS needs a string or NULL"
        target = {
            "COLUMN": "column",
            "INDEX": "index",
            "FUNCTION": "function",
            "PROCEDURE": "function",
            "TYPE": "type",
        }
        text = value.text if value.token_type == TokenType.STRING else ""
        return [op.Comment(target.get(kind_words[-1], "table"), tuple(parts), line, text)], None

    def _function(self, tokens: Sequence[Token], kind: str, line: int) -> tuple[list[object], str | None]:
        up = [t.text.upper() for t in tokens]
        start = up.index(kind.upper()) + 1
        i, name = self._name_after(tokens, start, skip=("IF", "NOT", "EXISTS"))
        if i >= len(tokens) or tokens[i].token_type != TokenType.L_PAREN:
            return [], f"CREATE {kind.upper()} without an argument list"
        close = _closing(tokens, i)
        if close is None:
            return [], f"CREATE {kind.upper()}: unbalanced parentheses in the argument list"
        args = tuple(a for a in _split_args(self._slice_between(tokens[i], tokens[close])) if a)
        returns, language = "", ""
        j = close + 1
        while j < len(tokens):
            if up[j] == "RETURNS":
                k = j + 1
                while k < len(tokens) and up[k] not in _FUNC_END:
                    k += 1
                returns = self._slice(tokens[j + 1], tokens[k - 1]) if k > j + 1 else ""
                j = k
                continue
            if up[j] == "LANGUAGE" and j + 1 < len(tokens):
                language = tokens[j + 1].text.strip("'\"").lower()
            j += 1
        return [op.CreateFunction(name, line, args, " ".join(returns.split()), language, kind)], None

    def _enum(self, tokens: Sequence[Token], line: int) -> list[object]:
        """``CREATE TYPE name AS ENUM ('a', …)``; other types (composite, range) are not elements."""
        i, name = self._name_after(tokens, 2)
        up = [t.text.upper() for t in tokens[i : i + 3]]
        if up[:2] != ["AS", "ENUM"] or len(up) < 3 or tokens[i + 2].token_type != TokenType.L_PAREN:
            return []
        values = tuple(t.text for t in tokens[i + 3 :] if t.token_type == TokenType.STRING)
        return [op.CreateEnum(name, line, values)]

    def _enum_value(self, tokens: Sequence[Token], line: int) -> list[object]:
        """``ALTER TYPE name ADD VALUE [IF NOT EXISTS] 'v' [BEFORE|AFTER 'w']``."""
        i, name = self._name_after(tokens, 2)
        up = [t.text.upper() for t in tokens]
        strings = [t.text for t in tokens[i:] if t.token_type == TokenType.STRING]
        if up[i : i + 2] != ["ADD", "VALUE"] or not strings:
            return []
        where = next((w for w in ("BEFORE", "AFTER") if w in up[i:]), "")
        other = strings[1] if len(strings) > 1 else ""
        return [
            op.AddEnumValue(
                name, line, strings[0], other if where == "BEFORE" else "", other if where == "AFTER" else ""
            )
        ]

    def _drop_types(self, tokens: Sequence[Token], line: int) -> list[object]:
        out: list[object] = []
        i = 2
        while i < len(tokens):
            i, name = self._name_after(tokens, i, skip=("IF", "EXISTS"))
            if name[1] and name[1].upper() not in ("CASCADE", "RESTRICT"):
                out.append(op.DropEnum(name, line))
            i += 1  # the comma
        return out

    def _rename_tables(self, tokens: Sequence[Token], line: int) -> tuple[list[object], str | None]:
        """MySQL ``RENAME TABLE a TO b [, c TO d]`` (the tokenizer keeps what follows ``RENAME`` as
        one string: it is tokenized again here)."""
        if len(tokens) == 2 and tokens[1].token_type == TokenType.STRING:
            try:
                rest = self.dialect.tokenize(tokens[1].text)
            except SqlglotError:
                return [], "RENAME is not RENAME TABLE a TO b"
            tokens = [tokens[0], *rest]
        if len(tokens) < 2 or tokens[1].text.upper() != "TABLE":
            return [], "RENAME is not RENAME TABLE a TO b"
        out: list[object] = []
        i = 2
        while i < len(tokens):
            i, old = self._name_after(tokens, i)
            if i >= len(tokens) or tokens[i].text.upper() != "TO":
                return [], "RENAME TABLE: expected TO"
            i, new = self._name_after(tokens, i + 1)
            out.append(op.RenameTable(old, line, new))
            i += 1  # the comma
        return out, None

    def _set(self, tokens: Sequence[Token], line: int) -> list[object]:
        """PostgreSQL ``SET [SESSION|LOCAL] search_path TO|= s, …``: the first schema."""
        up = [t.text.upper() for t in tokens]
        i = 1 + sum(1 for w in up[1:3] if w in ("SESSION", "LOCAL"))
        if not self.folds or i + 2 >= len(tokens) or up[i] != "SEARCH_PATH" or up[i + 1] not in ("TO", "="):
            return []
        for t in tokens[i + 2 :]:
            if t.token_type == TokenType.COMMA:
                continue
            value = t.text if t.token_type in (TokenType.STRING, TokenType.IDENTIFIER) else t.text.lower()
            if value and value != "$user":
                return [op.SetSchema(value, line)]
        return []

    # --- token helpers ---

    def _part(self, tok: Token) -> str:
        return self.fold(tok.text, tok.token_type == TokenType.IDENTIFIER)

    def _name_after(self, tokens: Sequence[Token], i: int, skip: Sequence[str] = ()) -> tuple[int, op.Name]:
        """The dotted name starting at ``i`` (after any ``skip`` words), and the index after it."""
        while (
            i < len(tokens)
            and tokens[i].text.upper() in skip
            and tokens[i].token_type != TokenType.IDENTIFIER
        ):
            i += 1
        parts: list[str] = []
        while i < len(tokens):
            parts.append(self._part(tokens[i]))
            if i + 1 < len(tokens) and tokens[i + 1].token_type == TokenType.DOT:
                i += 2
                continue
            i += 1
            break
        return i, (parts[-2] if len(parts) > 1 else "", parts[-1] if parts else "")

    def _slice(self, first: Token, last: Token) -> str:
        return self.text[first.start : last.end + 1]

    def _slice_between(self, open_: Token, close: Token) -> str:
        return self.text[open_.end + 1 : close.start]


def _pg_forms(tokens: Sequence[Token], kind: str) -> list[Token]:
    """PostgreSQL forms sqlglot does not parse, removed where they change nothing indexed: the
    ``ONLY`` of ``CREATE INDEX … ON ONLY parent`` (pg_dump's index of a partitioned table) and the
    trailing ``WITH [NO] DATA`` of ``CREATE MATERIALIZED VIEW``."""
    out = list(tokens)
    if kind == "INDEX":
        out = [
            t
            for i, t in enumerate(out)
            if not (t.text.upper() == "ONLY" and i and out[i - 1].text.upper() == "ON")
        ]
    if kind == "VIEW":
        tail = [t.text.upper() for t in out[-3:]]
        if tail[-2:] == ["WITH", "DATA"]:
            out = out[:-2]
        elif tail == ["WITH", "NO", "DATA"]:
            out = out[:-3]
    return out


def _closing(tokens: Sequence[Token], i: int) -> int | None:
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j].token_type == TokenType.L_PAREN:
            depth += 1
        elif tokens[j].token_type == TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                return j
    return None


def _split_args(text: str) -> list[str]:
    """Top-level comma-separated parts, whitespace collapsed."""
    out: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in text:
        if ch == "," and depth == 0:
            out.append("".join(cur))
            cur = []
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur.append(ch)
    out.append("".join(cur))
    return [" ".join(p.split()) for p in out]


def _reason(e: SqlglotError) -> str:
    errors = getattr(e, "errors", None) or []
    if errors and isinstance(errors[0], dict):
        return str(errors[0].get("description") or e).splitlines()[0]
    return str(e).splitlines()[0] if str(e) else type(e).__name__
