"""DDL statements read from their tokens, where sqlglot has no tree for them.

``COMMENT ON … IS '…' | NULL`` (sqlglot refuses ``IS NULL``), ``CREATE FUNCTION/PROCEDURE`` (sqlglot
falls back to an opaque command for most PostgreSQL function options, and only the name, arguments,
return type and language are wanted, never the body), ``CREATE TYPE … AS ENUM`` / ``ALTER TYPE … ADD
VALUE`` / ``DROP TYPE``, ``ALTER TABLE … ATTACH/DETACH PARTITION`` and ``ALTER COLUMN … ADD GENERATED
… AS IDENTITY``, MySQL ``RENAME TABLE``, ``ALTER INDEX … RENAME TO`` and ``SET search_path``. Each
reader takes the tokens of one statement (sqlglot's tokenizer: strings and quoted names are already
single tokens) and returns operations, never raising.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.tokens import Token, TokenType

from . import sql_ops as op

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


class TokenReader:
    """The statements of one file read from their tokens (``text``: the file as tokenized)."""

    text: str
    dialect: Dialect
    folds: bool  # PostgreSQL stores unquoted names in lower case

    def fold(self, name: str, quoted: bool) -> str:
        return name.lower() if self.folds and not quoted else name

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
        """``SET [SESSION|LOCAL] search_path TO|= s, …`` (PostgreSQL; ``$user`` left out)."""
        up = [t.text.upper() for t in tokens]
        i = 1 + sum(1 for w in up[1:3] if w in ("SESSION", "LOCAL"))
        if i + 2 >= len(tokens) or up[i] != "SEARCH_PATH" or up[i + 1] not in ("TO", "="):
            return []
        schemas = []
        for t in tokens[i + 2 :]:
            if t.token_type == TokenType.COMMA:
                continue
            value = t.text if t.token_type in (TokenType.STRING, TokenType.IDENTIFIER) else t.text.lower()
            if value and value != "$user" and value.upper() != "DEFAULT":
                schemas.append(value)
        return [op.SetSchema(tuple(schemas), line)] if schemas else []

    def _move(self, tokens: Sequence[Token], i: int, name: op.Name, line: int) -> list[object] | None:
        """``… RENAME TO new``, ``… SET SCHEMA s`` (of a table or view) and ``… RENAME CONSTRAINT a
        TO b``, the actions at token ``i``; None for any other action."""
        up = [t.text.upper() for t in tokens[i : i + 5]]
        if up[:2] == ["SET", "SCHEMA"] and len(up) > 2:
            return [op.RenameTable(name, line, (self._part(tokens[i + 2]), name[1]))]
        if up[:2] == ["RENAME", "TO"] and len(up) > 2:
            return [op.RenameTable(name, line, (name[0], self._part(tokens[i + 2])))]
        if up[:2] == ["RENAME", "CONSTRAINT"] and len(up) > 4 and up[3] == "TO":
            return [op.RenameKey(name, line, self._part(tokens[i + 2]), self._part(tokens[i + 4]))]
        return None

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
