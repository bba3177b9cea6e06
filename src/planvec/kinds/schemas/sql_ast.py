"""sqlglot syntax trees of DDL statements into :mod:`.sql_ops` operations.

``CREATE TABLE`` (columns, inline and table constraints, partitions, ``AS SELECT``), ``CREATE INDEX``,
``CREATE [MATERIALIZED] VIEW``, ``ALTER TABLE`` (add/drop/rename/alter/modify column, add/drop
constraint, rename) and ``DROP TABLE/VIEW/INDEX/FUNCTION`` come from sqlglot's trees; types and
defaults are sqlglot's SQL for them in the file's dialect (``TIMESTAMP WITH TIME ZONE`` →
``TIMESTAMPTZ``), so two files spelling a type differently compare equal.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from . import sql_ops as op

Fold = Callable[[str, bool], str]  # (identifier, quoted) -> the name the database stores


class Reader:
    """Converts the trees of one file (one dialect) to operations."""

    def __init__(self, dialect: Dialect, fold: Fold, types: Dialect | None = None) -> None:
        self.dialect = dialect
        self.fold = fold
        # SQLite's generator maps types to its storage classes (BOOLEAN -> INTEGER): its columns'
        # types are written in sqlglot's generic dialect instead, as declared.
        self.types = types or dialect
        # One generator per dialect for the file: building one per expression costs more than
        # generating the expression.
        self._gen = dialect.generator()
        self._type_gen = self.types.generator()

    # --- names ---

    def ident(self, e: exp.Expr | None) -> str:
        if isinstance(e, exp.Identifier):
            return self.fold(e.name, bool(e.args.get("quoted")))
        if isinstance(e, exp.Column | exp.Table):
            return self.ident(e.this)
        return "" if e is None else self.fold(e.name, False)

    def table(self, t: exp.Expr | None) -> op.Name:
        if isinstance(t, exp.Schema):
            t = t.this
        if not isinstance(t, exp.Table):
            return ("", self.ident(t))
        return (self.ident(t.args.get("db")), self.ident(t.this))

    def sql(self, e: exp.Expr | None) -> str:
        return "" if e is None else self._gen.generate(e)

    def type_sql(self, e: exp.Expr | None) -> str:
        return "" if e is None else self._type_gen.generate(e)

    def names(self, items: list[exp.Expr] | None) -> tuple[str, ...]:
        """Column names (a MySQL prefix ``c(10)`` is the column ``c``), or the SQL of expressions."""
        items = [i.this if isinstance(i, exp.ColumnPrefix) else i for i in items or ()]
        return tuple(
            self.ident(i) if isinstance(i, exp.Identifier | exp.Column) else self.sql(i) for i in items or ()
        )

    # --- CREATE TABLE ---

    def create_table(self, e: exp.Create, line: int, description: str) -> list[object]:
        name = self.table(e.this)
        props = self.properties(e)
        desc = str(props.pop("description", "")) or description
        if "partition_of" in props:
            parent = props.pop("partition_of")
            return [op.CreateTable(name, line, partition_of=parent[0], bound=parent[1])]  # type: ignore[index]
        columns: list[op.ColumnSpec] = []
        keys: list[op.KeySpec] = []
        indexes: list[object] = []
        if isinstance(e.this, exp.Schema):
            for item in e.this.expressions:
                if isinstance(item, exp.ColumnDef):
                    columns.append(self.column(item, line))
                elif isinstance(item, exp.Identifier):  # SQLite: a column without a type
                    columns.append(op.ColumnSpec(self.ident(item), item.meta.get("line", line)))
                elif isinstance(item, exp.IndexColumnConstraint):
                    indexes.append(self.inline_index(item, name, line))
                else:
                    keys.extend(self.keys(item, line))
        elif isinstance(e.expression, exp.Query):
            columns = [op.ColumnSpec(c, line) for c in self.projection(e.expression)]
        options = tuple((k, str(v)) for k, v in props.items())
        create = op.CreateTable(
            name, line, tuple(columns), tuple(keys), desc, options=options, replace=not e.args.get("exists")
        )
        return [create, *indexes]

    def properties(self, e: exp.Create) -> dict[str, object]:
        out: dict[str, object] = {}
        for p in getattr(e.args.get("properties"), "expressions", None) or ():
            if isinstance(p, exp.PartitionedOfProperty):
                out["partition_of"] = (self.table(p.this), self.sql(p.expression))
            elif isinstance(p, exp.PartitionedByProperty):
                out["partition_by"] = self.sql(p.this)
            elif isinstance(p, exp.InheritsProperty):
                out["inherits"] = ", ".join(".".join(filter(None, self.table(t))) for t in p.expressions)
            elif isinstance(p, exp.EngineProperty):
                out["engine"] = self.sql(p.this)
            elif isinstance(p, exp.SchemaCommentProperty):
                out["description"] = p.this.name
            elif isinstance(p, exp.WithoutRowidProperty):
                out["without_rowid"] = "true"
            elif isinstance(p, exp.TemporaryProperty):
                out["temporary"] = "true"
        return out

    def column(self, cd: exp.ColumnDef, line: int) -> op.ColumnSpec:
        name = self.ident(cd.this)
        kwargs: dict[str, object] = {}
        extra: list[tuple[str, str]] = []
        for c in cd.args.get("constraints") or ():
            self._constraint(c.args.get("kind"), kwargs, extra)
        comments = cd.comments or cd.this.comments or []
        desc = str(kwargs.pop("description", "")) or " ".join(c.strip() for c in comments if c.strip())
        kind = cd.args.get("kind")
        return op.ColumnSpec(
            name,
            cd.this.meta.get("line", line),
            self.type_sql(kind),
            description=desc,
            extra=tuple(extra),
            **kwargs,  # type: ignore[arg-type]
        )

    def _constraint(self, k: exp.Expr | None, kw: dict[str, object], extra: list[tuple[str, str]]) -> None:
        if isinstance(k, exp.NotNullColumnConstraint):
            kw["not_null"] = not k.args.get("allow_null")
        elif isinstance(k, exp.PrimaryKeyColumnConstraint):
            kw["primary_key"] = True
        elif isinstance(k, exp.UniqueColumnConstraint):
            kw["unique"] = True
        elif isinstance(k, exp.DefaultColumnConstraint):
            kw["default"] = self.sql(k.this)
        elif isinstance(k, exp.Reference):
            cols = self.names(k.this.expressions) if isinstance(k.this, exp.Schema) else ()
            kw["references"] = (self.table(k.this), cols[0] if cols else "")
        elif isinstance(k, exp.CommentColumnConstraint):
            kw["description"] = k.this.name
        elif isinstance(k, exp.AutoIncrementColumnConstraint):
            extra.append(("auto_increment", "true"))
        elif isinstance(k, exp.GeneratedAsIdentityColumnConstraint):
            extra.append(("identity", "true"))
        elif isinstance(k, exp.ComputedColumnConstraint | exp.GeneratedAsRowColumnConstraint):
            extra.append(("generated", self.sql(k.this) if k.this else "true"))
        elif isinstance(k, exp.CheckColumnConstraint):
            extra.append(("check", self.sql(k.this)))
        elif isinstance(k, exp.CollateColumnConstraint):
            extra.append(("collate", self.sql(k.this)))

    def keys(self, item: exp.Expr, line: int, name: str = "") -> list[op.KeySpec]:
        """Table constraints: PRIMARY KEY (…), UNIQUE (…), FOREIGN KEY (…) REFERENCES t (…),
        ``CONSTRAINT name …`` around any of them (CHECK and others are not keys)."""
        if isinstance(item, exp.Constraint):
            inner = self.ident(item.this)
            return [k for sub in item.expressions for k in self.keys(sub, line, inner)]
        if isinstance(item, exp.PrimaryKey):
            return [op.KeySpec("primary_key", self.names(item.expressions), line, name)]
        if isinstance(item, exp.UniqueColumnConstraint) and isinstance(item.this, exp.Schema):
            key_name = name or (self.ident(item.this.this) if item.this.this else "")
            return [op.KeySpec("unique", self.names(item.this.expressions), line, key_name)]
        if isinstance(item, exp.ForeignKey):
            ref = item.args.get("reference")
            target = ref.this if ref is not None else None
            cols = self.names(target.expressions) if isinstance(target, exp.Schema) else ()
            return [
                op.KeySpec("foreign_key", self.names(item.expressions), line, name, self.table(target), cols)
            ]
        return []

    def inline_index(self, item: exp.IndexColumnConstraint, table: op.Name, line: int) -> op.CreateIndex:
        """MySQL ``KEY name (cols)`` inside CREATE TABLE."""
        at = item.this.meta.get("line", line) if item.this is not None else line
        return op.CreateIndex((table[0], self.ident(item.this)), at, table, self.names(item.expressions))

    def projection(self, q: exp.Query) -> tuple[str, ...]:
        """Output column names of a query; () when a ``*`` makes them unknown here."""
        names = [self.fold(n, False) for n in q.named_selects]
        return () if any(n in ("*", "") for n in names) or len(names) < len(q.selects) else tuple(names)

    # --- CREATE INDEX / VIEW ---

    def create_index(self, e: exp.Create, line: int) -> list[object]:
        idx = e.this
        if not isinstance(idx, exp.Index):
            return []
        table = self.table(idx.args.get("table"))
        params = idx.args.get("params")
        cols = []
        for o in getattr(params, "args", {}).get("columns") or ():
            inner = o.this if isinstance(o, exp.Ordered) else o
            cols.append(self.ident(inner) if isinstance(inner, exp.Column) else self.sql(inner))
        name = self.ident(idx.this) if idx.this else f"{table[1]}_{'_'.join(cols)}_idx"
        using = params.args.get("using") if params is not None else None
        where = params.args.get("where") if params is not None else None
        return [
            op.CreateIndex(
                (table[0], name), line, table, tuple(cols), bool(e.args.get("unique")),
                self.sql(using).lower(), self.sql(where.this if isinstance(where, exp.Where) else where),
            )
        ]  # fmt: skip

    def create_view(self, e: exp.Create, line: int, materialized: bool) -> list[object]:
        name = self.table(e.this)
        query = e.expression
        cols: tuple[str, ...] = ()
        if isinstance(e.this, exp.Schema):
            cols = self.names(e.this.expressions)
        elif isinstance(query, exp.Query):
            cols = self.projection(query)
        sources: list[op.Name] = []
        if isinstance(query, exp.Expr):
            ctes = {self.fold(c.alias, False) for c in query.find_all(exp.CTE)}
            for t in query.find_all(exp.Table):
                n = self.table(t)
                if n[1] and not (not n[0] and n[1] in ctes) and n not in sources:
                    sources.append(n)
        return [op.CreateView(name, line, cols, tuple(sources), materialized)]

    # --- ALTER TABLE / DROP ---

    def alter(self, e: exp.Alter, line: int) -> list[object]:
        table = self.table(e.this)
        out: list[object] = []
        for a in e.args.get("actions") or ():
            out.extend(self._action(table, a, line))
        return out

    def _action(self, table: op.Name, a: exp.Expr, line: int) -> list[object]:
        if isinstance(a, exp.ColumnDef):
            return [op.AddColumn(table, line, self.column(a, line))]
        if isinstance(a, exp.Drop):
            kind = str(a.args.get("kind") or "").upper()
            targets = a.args.get("tables") or a.expressions
            if kind == "COLUMN":
                return [op.DropColumn(table, line, self.ident(c)) for c in targets]
            if kind == "CONSTRAINT":
                return [op.DropKey(table, line, self.ident(c)) for c in targets]
            if kind in ("INDEX", "KEY"):
                names = [self.ident(c) for c in targets]
                return [
                    *(op.DropKey(table, line, n) for n in names),
                    *(op.DropIndex(("", n), line, table) for n in names),
                ]
            return []
        if isinstance(a, exp.DropPrimaryKey):
            return [op.DropKey(table, line, "PRIMARY KEY")]
        if isinstance(a, exp.RenameColumn):
            return [op.RenameColumn(table, line, self.ident(a.this), self.ident(a.args.get("to")))]
        if isinstance(a, exp.AlterRename):
            new = self.table(a.this)
            return [op.RenameTable(table, line, (new[0] or table[0], new[1]))]
        if isinstance(a, exp.AlterColumn):
            return [self._alter_column(table, a, line)]
        if isinstance(a, exp.AddConstraint):
            indexes = [
                self.inline_index(i, table, line)
                for i in a.expressions
                if isinstance(i, exp.IndexColumnConstraint)
            ]
            return [
                *indexes,
                *(op.AddKey(table, line, k) for item in a.expressions for k in self.keys(item, line)),
            ]
        if isinstance(a, exp.ModifyColumn):
            col = self.column(a.this, line)
            old = a.args.get("rename_from")
            return [op.ReplaceColumn(table, line, self.ident(old) if old else col.name, col)]
        return []

    def _alter_column(self, table: op.Name, a: exp.AlterColumn, line: int) -> op.AlterColumn:
        name = self.ident(a.this)
        allow = a.args.get("allow_null")
        if a.args.get("dtype"):
            return op.AlterColumn(table, line, name, type=self.type_sql(a.args["dtype"]))
        if allow is not None:
            return op.AlterColumn(table, line, name, not_null=not allow)
        if a.args.get("default") is not None:
            return op.AlterColumn(table, line, name, default=self.sql(a.args["default"]))
        return op.AlterColumn(table, line, name, drop_default=bool(a.args.get("drop")))

    def drop(self, e: exp.Drop, line: int) -> list[object]:
        kind = str(e.args.get("kind") or "").upper()
        names = [self.table(t) for t in e.args.get("tables") or ()]
        if kind in ("TABLE", "VIEW"):
            return [op.DropTable(n, line) for n in names]
        if kind == "INDEX":
            return [op.DropIndex(n, line) for n in names]
        if kind in ("FUNCTION", "PROCEDURE"):
            return [op.DropFunction(n, line) for n in names]
        return []
