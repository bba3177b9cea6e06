"""Schemas kind benchmark: a 50-table / 500-column SQL schema and a 70-operation OpenAPI spec,
indexed into an empty data directory with the real model. Prints one JSON object (progress on
stderr). Target: ≤ 5 s including embedding; an unchanged re-index embeds 0.

Two measures, each into its own empty data directory, the model loaded (and warmed up) first:

- ``files``: ``planvec index`` on the generated files (discovery, parsing, documents, embedding,
  writing) — what a user meets; it depends on the SQL and OpenAPI parsers;
- ``records``: the same schema as parsed records (one SchemaFile per file, built here) through the
  same pipeline from the documents on — the kind's share (documents, embedding, writing) whatever
  the parsers cost.

``calibration`` is the embedding rate of the machine at the time on short titles (443 texts/s in
docs/benchmarks.md on a quiet machine): on a shared, loaded machine the seconds above scale with it.

Usage: python benchmarks/bench_schemas.py [--tables 50] [--columns 10] [--operations 70]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from planvec.engine import Engine  # noqa: E402
from planvec.kinds.schemas import Element, SchemaFile  # noqa: E402
from planvec.settings import Settings  # noqa: E402
from planvec.sync import KindFiles, ParsedPaths, Scope, index_paths  # noqa: E402

TYPES = ("bigint", "varchar(255)", "text", "integer", "boolean", "timestamptz", "numeric(12,2)", "jsonb")
WORDS = (
    "account",
    "invoice",
    "order",
    "product",
    "customer",
    "shipment",
    "payment",
    "coupon",
    "review",
    "team",
)
RESOURCES = (
    "users",
    "teams",
    "projects",
    "invoices",
    "orders",
    "products",
    "payments",
    "reviews",
    "tags",
    "webhooks",
    "tokens",
    "reports",
    "exports",
    "comments",
)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def table_name(i: int) -> str:
    return f"{WORDS[i % len(WORDS)]}_{i:02d}"


def column_spec(t: int, c: int) -> tuple[str, str, str]:
    """(name, type, comment) of column ``c`` of table ``t``; column 0 is the key."""
    if c == 0:
        return "id", "bigint", "primary key"
    if c == 1 and t > 0:
        return f"{table_name(t - 1)}_id", "bigint", f"the {table_name(t - 1)} it belongs to"
    return (
        f"{WORDS[(t + c) % len(WORDS)]}_field_{c}",
        TYPES[(t + c) % len(TYPES)],
        f"field {c} of {table_name(t)}",
    )


def write_sql(path: Path, tables: int, columns: int) -> None:
    out = ["-- generated for bench_schemas.py"]
    for t in range(tables):
        name = table_name(t)
        cols = []
        for c in range(columns):
            col, typ, _ = column_spec(t, c)
            extra = (
                " PRIMARY KEY"
                if c == 0
                else (f" NOT NULL REFERENCES {table_name(t - 1)}(id)" if c == 1 and t else "")
            )
            cols.append(f"    {col} {typ}{extra}")
        out.append(f"CREATE TABLE {name} (\n" + ",\n".join(cols) + "\n);")
        out.append(f"CREATE INDEX idx_{name}_2 ON {name} ({column_spec(t, 2)[0]});")
        out.append(f"COMMENT ON TABLE {name} IS 'The {name.replace('_', ' ')} records';")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def operations(n: int) -> list[tuple[str, str, str, str, str]]:
    """(method, path, operationId, summary, response schema) of ``n`` operations over the
    resources (one component schema per resource)."""
    ops = []
    verbs = (
        ("get", "", "list", "List {r}"),
        ("post", "", "create", "Create one of the {r}"),
        ("get", "/{id}", "get", "Read one of the {r}"),
        ("patch", "/{id}", "update", "Update one of the {r}"),
        ("delete", "/{id}", "delete", "Delete one of the {r}"),
    )
    for i in range(n):
        r = RESOURCES[(i // len(verbs)) % len(RESOURCES)]
        method, suffix, verb, summary = verbs[i % len(verbs)]
        prefix = f"/v{1 + i // (len(verbs) * len(RESOURCES))}"
        ops.append((method, f"{prefix}/{r}{suffix}", f"{verb}{r.title()}{i}", summary.format(r=r), r.title()))
    return ops


def write_openapi(path: Path, n: int) -> None:
    lines = ["openapi: 3.0.3", "info:", "  title: bench", "  version: '1'", "paths:"]
    by_path: dict[str, list[tuple[str, str, str, str]]] = {}
    for method, p, op_id, summary, schema in operations(n):
        by_path.setdefault(p, []).append((method, op_id, summary, schema))
    for p, ops in by_path.items():
        lines.append(f"  {p}:")
        for method, op_id, summary, schema in ops:
            lines += [f"    {method}:", f"      operationId: {op_id}", f"      summary: {summary}"]
            if "{id}" in p:
                lines += [
                    "      parameters:",
                    "        - {name: id, in: path, required: true, schema: {type: string}}",
                ]
            lines += [
                "      responses:",
                "        '200':",
                "          description: ok",
                "          content:",
                "            application/json:",
                f"              schema: {{$ref: '#/components/schemas/{schema}'}}",
            ]
    lines += ["components:", "  schemas:"]
    for schema in sorted({o[4] for o in operations(n)}):
        lines += [
            f"    {schema}:",
            "      type: object",
            "      properties:",
            "        id: {type: string}",
            "        name: {type: string, description: a display name}",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def records(tables: int, columns: int, n_ops: int) -> tuple[SchemaFile, SchemaFile]:
    """The generated schema as the parsers would give it."""
    els: list[Element] = []
    for t in range(tables):
        name = f"public.{table_name(t)}"
        els.append(Element("table", name, "sql", 1 + t * 14, description=f"The {table_name(t)} records"))
        for c in range(columns):
            col, typ, comment = column_spec(t, c)
            refs = (f"public.{table_name(t - 1)}.id",) if c == 1 and t else ()
            attrs = {"nullable": c > 1, "primary_key": c == 0}
            els.append(
                Element("column", f"{name}.{col}", "sql", 2 + t * 14 + c, typ, comment, name, refs, attrs)
            )
        els.append(
            Element(
                "index",
                f"public.idx_{table_name(t)}_2",
                "sql",
                12 + t * 14,
                parent=name,
                attributes={"table": name, "columns": [column_spec(t, 2)[0]], "unique": False},
            )
        )
    ops = [
        Element(
            "operation",
            f"{m.upper()} {p}",
            "openapi",
            6 + i * 9,
            m,
            "",
            attributes={
                "operation_id": op_id,
                "path": p,
                "summary": summary,
                "parameters": [{"name": "id", "in": "path", "required": True}] if "{id}" in p else [],
                "responses": {"200": schema},
            },
        )
        for i, (m, p, op_id, summary, schema) in enumerate(operations(n_ops))
    ]
    for schema in sorted({o[4] for o in operations(n_ops)}):
        comp = f"components.{schema}"
        ops += [
            Element("schema", comp, "openapi", 1, "object"),
            Element("property", f"{comp}.id", "openapi", 2, "string", "", comp),
            Element("property", f"{comp}.name", "openapi", 3, "string", "a display name", comp),
        ]
    return SchemaFile("db/schema.sql", "sql", tuple(els), dialect="postgres"), SchemaFile(
        "api/openapi.yaml", "openapi", tuple(ops)
    )


def calibrate(eng: Engine, n: int = 200) -> dict[str, Any]:
    """This machine's embedding rate right now on short task-like titles (docs/benchmarks.md
    measured 443 texts/s on them on a quiet machine): read the figures above against it."""
    texts = [f"Configure the cache invalidation for service {i} before the release" for i in range(n)]
    t0 = time.perf_counter()
    eng.embedder.embed(texts)
    seconds = time.perf_counter() - t0
    return {"texts": n, "seconds": round(seconds, 3), "texts_per_second": round(n / seconds, 1)}


def run(eng: Engine, repo: Path, parsed_files: tuple[SchemaFile, ...] | None) -> dict[str, Any]:
    """Index, then index again unchanged; seconds and counts of both runs."""
    out: dict[str, Any] = {}
    for label in ("first", "again"):
        t0 = time.perf_counter()
        if parsed_files is None:
            rep = eng.index([repo], kinds=["schemas"])
        else:
            kinds = eng.kinds(["schemas"])
            kind, config = kinds[0]
            base = repo.resolve().as_posix()
            parsed = ParsedPaths(
                [KindFiles(kind, config, [(base, f) for f in parsed_files])],
                [],
                Scope(dirs=(base,), include=config.include, exclude=config.exclude),
            )
            rep = index_paths(
                [repo], kinds, eng.store, eng.embedder, eng.sparse_encoder, eng.settings, parsed=parsed
            )
        seconds = time.perf_counter() - t0
        out[label] = {
            "seconds": round(seconds, 3),
            "points": rep.kinds["schemas"].documents.get("elements", 0) if "schemas" in rep.kinds else 0,
            "embedded": rep.embedded,
            "added": rep.added,
            "deleted": rep.deleted,
            "problems": len(rep.problems),
            "first_problems": sorted({f"{p.path}: {p.reason}" for p in rep.problems})[:4],
            "parse_seconds": round(rep.parse_seconds, 3),
            "embed_seconds": round(rep.embed_seconds, 3),
            "write_seconds": round(rep.write_seconds, 3),
        }
        log(f"  {label}: {out[label]['points']} points, {rep.embedded} embedded in {out[label]['seconds']} s")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", type=int, default=50)
    ap.add_argument("--columns", type=int, default=10, help="columns per table")
    ap.add_argument("--operations", type=int, default=70)
    args = ap.parse_args()
    result: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "load_average_start": os.getloadavg(),
        "tables": args.tables,
        "columns": args.tables * args.columns,
        "operations": args.operations,
        "target_seconds": 5.0,
    }
    with tempfile.TemporaryDirectory(prefix="planvec-bench-schemas-") as tmp:
        repo = Path(tmp) / "repo"
        (repo / "db").mkdir(parents=True)
        (repo / "api").mkdir()
        write_sql(repo / "db" / "schema.sql", args.tables, args.columns)
        write_openapi(repo / "api" / "openapi.yaml", args.operations)
        embedder = None
        for mode in ("files", "records"):
            log(f"{mode}:")
            with Engine(Settings(data_dir=Path(tmp) / f"data-{mode}"), embedder=embedder) as eng:
                embedder = eng.embedder
                embedder.embed(["warm up"])
                files = None if mode == "files" else records(args.tables, args.columns, args.operations)
                result[mode] = run(eng, repo, files)
                if mode == "records":
                    result["calibration"] = calibrate(eng)
    for mode in ("files", "records"):
        first = result[mode]["first"]
        result[mode]["meets_target"] = first["seconds"] <= 5.0 and result[mode]["again"]["embedded"] == 0
    result["load_average_end"] = os.getloadavg()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
