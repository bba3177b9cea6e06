"""Forms sqlglot does not parse, rewritten in the tokens of a statement before parsing, where what is
removed changes nothing indexed (or is kept aside as a table option).

* ``CREATE INDEX … ON ONLY parent`` (pg_dump's index of a partitioned table): ``ONLY`` dropped;
* ``CREATE UNIQUE INDEX … NULLS [NOT] DISTINCT``: dropped (a property of uniqueness on NULLs);
* ``CREATE MATERIALIZED VIEW … WITH [NO] DATA``: dropped (whether it is filled now);
* ``CREATE RECURSIVE VIEW``: ``RECURSIVE`` dropped (the same view to a reader of its columns);
* ``CREATE VIEW v WITH (security_barrier, …) AS``: the options dropped;
* MySQL ``CREATE TABLE … PARTITION BY RANGE (…) (PARTITION p0 …)``: the partitioning clause is cut
  and kept as the table's ``partition_by`` option.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot.tokens import Token, TokenType


def simplify(tokens: Sequence[Token], kind: str, text: str) -> tuple[list[Token], dict[str, str]]:
    """The statement's tokens without the forms above, and the options cut from it."""
    out = list(tokens)
    options: dict[str, str] = {}
    up = [t.text.upper() for t in out]
    if kind == "INDEX":
        drop = {i for i in range(1, len(up)) if up[i] == "ONLY" and up[i - 1] == "ON"}
        for i in range(len(up) - 2):
            if up[i] == "NULLS" and up[i + 1 : i + 3] == ["NOT", "DISTINCT"]:
                drop |= {i, i + 1, i + 2}
            elif up[i] == "NULLS" and up[i + 1] == "DISTINCT":
                drop |= {i, i + 1}
        out = [t for i, t in enumerate(out) if i not in drop]
    elif kind == "VIEW":
        out = _view(out, up)
    elif kind == "TABLE":
        cut = _mysql_partitions(out, up)
        if cut is not None:
            options["partition_by"] = " ".join(text[out[cut].start : out[-1].end + 1].split())[
                len("PARTITION BY ") :
            ]
            out = out[:cut]
    return out, options


def _view(out: list[Token], up: list[str]) -> list[Token]:
    if up[-2:] == ["WITH", "DATA"]:
        out, up = out[:-2], up[:-2]
    elif up[-3:] == ["WITH", "NO", "DATA"]:
        out, up = out[:-3], up[:-3]
    head = up.index("AS") if "AS" in up else len(up)
    drop = {i for i in range(min(head, 6)) if up[i] == "RECURSIVE"}
    with_at = next((i for i in range(head) if up[i] == "WITH"), None)
    if with_at is not None and with_at + 1 < head and out[with_at + 1].token_type == TokenType.L_PAREN:
        drop |= set(range(with_at, head))
    return [t for i, t in enumerate(out) if i not in drop]


def _mysql_partitions(out: list[Token], up: list[str]) -> int | None:
    """Index of a top-level ``PARTITION BY`` after the column list whose partitions are defined in
    parentheses (MySQL), None otherwise (PostgreSQL's ``PARTITION BY RANGE (col)`` parses)."""
    depth, body_closed = 0, False
    for i, tok in enumerate(out):
        if tok.token_type == TokenType.L_PAREN:
            depth += 1
        elif tok.token_type == TokenType.R_PAREN:
            depth -= 1
            body_closed = body_closed or depth == 0
        elif depth == 0 and body_closed and (up[i] == "PARTITION BY" or up[i : i + 2] == ["PARTITION", "BY"]):
            rest = up[i + 1 :]
            return i if "PARTITION" in rest or "PARTITIONS" in rest else None
    return None
