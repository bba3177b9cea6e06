"""SQL DDL (sqlglot) into :class:`SchemaFile` records.

``parse_sql(source, dialect=None)`` reads one file: its dialect is guessed from markers
(:func:`.sql_text.guess_dialect`) unless given (the kind passes ``options["sql_dialect"]``); the
text is tokenized once and split into statements (:mod:`.sql_text`: why we split ourselves), each
statement becomes DDL operations (:mod:`.sql_read`, :mod:`.sql_ast`) kept in order in
``SchemaFile.statements`` (for ordered migrations, :mod:`.migrations`), and the operations applied to
an empty schema (:mod:`.sql_apply`) give the elements:

* ``table``: ``schema.table`` (``public`` when unqualified in PostgreSQL, no schema in other dialects);
  attributes ``columns``, ``primary_key``, ``unique``, ``foreign_keys``, ``partitions`` (partitions are
  attributes of their parent, never tables of their own), ``partition_by``, ``inherits``, ``engine``;
  ``references``: the tables its foreign keys point at; description from ``COMMENT ON TABLE``, MySQL
  ``COMMENT=``, or a ``--`` comment on the line right above ``CREATE TABLE``;
* ``column``: ``<table>.column`` with ``type`` (sqlglot's spelling in the dialect), attributes
  ``nullable``, ``default``, ``primary_key``, ``unique`` (and ``auto_increment``, ``identity``,
  ``generated``, ``check``, ``collate`` when set), ``references`` ``schema.table.column`` of its
  foreign keys, description from ``COMMENT ON COLUMN``, MySQL ``COMMENT '…'`` or a ``--`` comment on
  its line (or the line above it);
* ``index`` (attributes ``table``, ``columns``, ``unique``, ``method``, ``where``), ``view`` (a view
  or materialized view: attribute ``materialized``, its ``columns`` when the SELECT names them, the
  tables it reads as ``references``; its columns are ``column`` elements with ``view: true``),
  ``function`` (``kind`` function/procedure, ``args``, ``returns``, ``language``; bodies not read)
  and ``enum`` (a PostgreSQL enum type: attribute ``values``; its columns reference it).

Statements without schema (``SET``, ``GRANT``, ``OWNER TO``, ``COPY`` data, triggers, sequences,
temporary tables) are skipped and are not problems; a statement sqlglot cannot parse is a problem with
its line, the rest of the file still read. docs/schemas-sql.md is the user's reference.
"""

from __future__ import annotations

from dataclasses import replace

from sqlglot.tokens import Token

from ...records import FileProblem
from ..base import Source
from .records import Element, SchemaFile
from .sql_apply import apply
from .sql_read import StatementReader
from .sql_state import SchemaState, elements
from .sql_text import GENERIC, blank_data, dialect_name, guess_dialect, split, sqlglot_dialect, tokenize

__all__ = ["GENERIC", "dialect_name", "parse_sql", "read_statements"]


def parse_sql(source: Source, dialect: str | None = None) -> SchemaFile:
    """The elements and DDL statements of one SQL file; ``dialect`` (a sqlglot dialect name such as
    ``postgres``, ``mysql``, ``sqlite``) overrides the guess."""
    chosen = guess_dialect(source.text) if not dialect else dialect_name(dialect)
    if chosen is None:
        reason = (
            f"unknown SQL dialect {dialect!r} (sql_dialect): use postgres, mysql, sqlite "
            "or another sqlglot dialect"
        )
        return SchemaFile(source.rel, "sql", problems=(FileProblem(source.rel, reason),))
    ops, problems = read_statements(source.text, chosen)
    state = SchemaState(chosen)
    apply(state, ops, source.rel)
    found = tuple(el for _, el in elements(state))
    return SchemaFile(
        source.rel,
        "sql",
        elements=tuple(_local(el) for el in found),
        dialect=chosen,
        statements=tuple(ops),
        warnings=source.warnings,
        problems=tuple(FileProblem(source.rel, reason, line) for line, reason in problems),
    )


def _local(el: Element) -> Element:
    """Elements of the parsed file itself leave ``file`` empty (see :class:`Element`)."""
    return replace(el, file="")


def read_statements(text: str, dialect: str) -> tuple[list[object], list[tuple[int, str]]]:
    """The DDL operations of ``text`` in order, and ``(line, reason)`` of what could not be read."""
    d = sqlglot_dialect(dialect)
    prepared = blank_data(text)
    tokens, text_problems = tokenize(prepared, d)
    problems = [(p.line, p.reason) for p in text_problems]
    reader = StatementReader(prepared, dialect)
    ops: list[object] = []
    for stmt in split(tokens):
        found, problem = _read_one(reader, stmt)
        ops.extend(found)
        if problem:
            problems.append((stmt[0].line, problem))
    problems.sort()
    return ops, problems


def _read_one(reader: StatementReader, stmt: list[Token]) -> tuple[list[object], str | None]:
    """One statement; whatever sqlglot raises on it (nesting deeper than Python's recursion limit,
    an internal error on odd input) is a problem of that statement, never of the file."""
    try:
        return reader.read(stmt)
    except RecursionError:
        return [], "nested too deeply to read"
    except Exception as e:  # a library failure on one statement must not lose the file
        return [], f"sqlglot failed on this statement ({type(e).__name__}: {e})"
