"""parse_sql: SQL DDL of the common dialects into schema elements, on real files of the shared corpus,
a realistic pg_dump, and broken inputs (each problem with its line, the rest of the file read)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from planvec.kinds.base import Source
from planvec.kinds.schemas import Element, SchemaFile
from planvec.kinds.schemas.sql import parse_sql
from planvec.kinds.schemas.sql_text import guess_dialect

SHARED = Path(os.environ.get("PLANVEC_SHARED_DIR") or Path(__file__).resolve().parents[2].parent / "shared")
REPO = SHARED / "corpus" / "repo"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "schemas" / "sql"


def parse(text: str, rel: str = "db/schema.sql", dialect: str | None = None) -> SchemaFile:
    return parse_sql(Source(rel, text), dialect=dialect)


def corpus(rel: str) -> SchemaFile:
    path = REPO / rel
    if not path.is_file():
        pytest.skip(f"shared corpus file not found: {path}")
    return parse_sql(Source(rel, path.read_text(encoding="utf-8")))


def by_name(sf: SchemaFile) -> dict[str, Element]:
    return {e.name: e for e in sf.elements}


def of(sf: SchemaFile, element: str) -> list[str]:
    return [e.name for e in sf.elements if e.element == element]


def problems(sf: SchemaFile) -> list[tuple[int | None, str]]:
    return [(p.line, p.reason) for p in sf.problems]


# --- real files of the corpus ---


def test_sqlite_init_script_gives_its_six_tables_36_columns_and_9_indexes() -> None:
    sf = corpus("storage/database/init.sql")
    assert sf.dialect == "sqlite" and sf.problems == ()
    assert of(sf, "table") == [
        "default_values",
        "value_metadata",
        "usage_patterns",
        "value_relationships",
        "value_history",
        "value_validations",
    ]
    assert len(of(sf, "column")) == 8 + 5 + 5 + 6 + 6 + 6
    assert len(of(sf, "index")) == 9  # the three triggers (BEGIN …; END;) are not elements nor problems
    els = by_name(sf)
    key = els["default_values.key"]
    assert (key.line, key.type, key.attributes["nullable"], key.attributes["unique"]) == (
        9,
        "TEXT",
        False,
        True,
    )
    assert els["default_values.id"].attributes["primary_key"] is True
    assert els["default_values.id"].attributes["auto_increment"] == "true"
    assert els["default_values.version"].attributes["default"] == "1"
    # A FOREIGN KEY table constraint points the column at the referenced column.
    assert els["value_relationships.target_id"].references == ("default_values.id",)
    assert els["value_relationships"].references == ("default_values",)
    # Inline comments on a column's line describe it; the comment right above a table describes it.
    assert els["usage_patterns.access_pattern"].description == "JSON string containing pattern data"
    assert els["default_values"].description == "Core table for storing default values"
    partial = els["idx_default_values_key"]
    assert partial.attributes["where"] == "is_active = 1" and partial.parent == "default_values"


def test_postgres_schema_file_qualifies_unqualified_tables_with_public() -> None:
    sf = corpus("development/managers/error-manager/storage/sql/schema_errors.sql")
    assert sf.dialect == "postgres" and sf.problems == ()
    assert of(sf, "table") == ["public.project_errors"]
    cols = [e for e in sf.elements if e.element == "column"]
    assert [c.name.rsplit(".", 1)[1] for c in cols] == [
        "id",
        "timestamp",
        "message",
        "stack_trace",
        "module",
        "error_code",
        "manager_context",
        "severity",
    ]
    els = by_name(sf)
    assert els["public.project_errors.timestamp"].type == "TIMESTAMPTZ"
    assert els["public.project_errors.manager_context"].attributes["nullable"] is True
    assert els["public.project_errors.module"].type == "VARCHAR(255)"
    assert els["public.project_errors.id"].parent == "public.project_errors"


def test_plpgsql_functions_are_listed_with_language_and_args_not_bodies() -> None:
    sf = corpus("analytics/postgresql_analytics/003_functions_plpgsql.sql")
    assert sf.problems == ()
    fns = [e for e in sf.elements if e.element == "function"]
    assert [(f.name, f.line) for f in fns] == [
        ("documentation_analytics.count_documents_by_manager", 2),
        ("documentation_analytics.latest_document", 12),
    ]
    assert fns[0].attributes["language"] == "plpgsql"
    assert fns[0].attributes["args"] == ["manager_id INT"]
    assert fns[1].type == "TABLE(id INT, title TEXT, created_at TIMESTAMP)"


def test_materialized_view_reads_its_columns_and_source_tables() -> None:
    sf = corpus("analytics/postgresql_analytics/004_materialized_views_dashboard.sql")
    assert sf.problems == ()
    view = by_name(sf)["documentation_analytics.dashboard_manager_stats"]
    assert view.element == "view" and view.attributes["materialized"] is True
    assert view.attributes["columns"] == [
        "manager_id",
        "manager_name",
        "document_count",
        "last_document_created",
    ]
    assert view.references == ("documentation_analytics.managers", "documentation_analytics.documents")
    cols = [e for e in sf.elements if e.element == "column"]
    assert {c.parent for c in cols} == {view.name} and len(cols) == 4


def test_schema_qualified_foreign_key_and_serial() -> None:
    sf = corpus("analytics/postgresql_analytics/002_create_tables_managers_documents.sql")
    els = by_name(sf)
    assert of(sf, "table") == ["documentation_analytics.managers", "documentation_analytics.documents"]
    assert els["documentation_analytics.documents.manager_id"].references == (
        "documentation_analytics.managers.id",
    )
    assert els["documentation_analytics.managers.id"].type == "SERIAL"


def test_up_migration_with_gin_indexes_trigger_and_function_has_no_problem() -> None:
    sf = corpus(
        "development/managers/contextual-memory-manager/migrations/001_create_contextual_actions.up.sql"
    )
    assert sf.dialect == "postgres" and sf.problems == ()
    assert of(sf, "table") == ["public.contextual_actions"]
    assert len(of(sf, "column")) == 9 and len(of(sf, "index")) == 9
    assert of(sf, "function") == ["public.update_updated_at_column"]
    gin = by_name(sf)["public.idx_contextual_actions_context_data"]
    assert gin.attributes["method"] == "gin" and gin.attributes["columns"] == ["context_data"]
    composite = by_name(sf)["public.idx_contextual_actions_user_type_time"]
    assert composite.attributes["columns"] == ["user_id", "action_type", "timestamp"]


def test_table_level_unique_and_expression_index() -> None:
    sf = corpus(
        "development/managers/contextual-memory-manager/migrations/postgresql/001_create_contextual_tables.sql"
    )
    assert sf.problems == ()
    emb = by_name(sf)["public.contextual_embeddings"]
    assert emb.attributes["unique"] == [["action_id", "model_name"]]
    assert emb.attributes["foreign_keys"][0]["references"] == "public.contextual_actions"
    text_idx = by_name(sf)["public.idx_contextual_actions_text_gin"]
    assert text_idx.attributes["columns"] == ["TO_TSVECTOR('english', action_text)"]


# --- pg_dump ---


def test_pg_dump_gives_the_real_tables_once_with_keys_comments_and_partitions() -> None:
    rel = "dumps/pg_dump_shop.sql"
    sf = parse_sql(Source(rel, (FIXTURES / "pg_dump_shop.sql").read_text(encoding="utf-8")))
    # SET, OWNER TO, GRANT/REVOKE, sequences, COPY data (with quotes, $$ and ; in rows), \restrict,
    # CREATE TYPE/EXTENSION/TRIGGER: none is a problem, none an element.
    assert problems(sf) == []
    assert of(sf, "table") == ["shop.customers", "shop.orders", "shop.order_items", "shop.events"]
    assert of(sf, "view") == ["shop.customer_order_totals", "shop.daily_revenue"]
    assert of(sf, "function") == ["shop.set_updated_at", "shop.order_total"]
    assert of(sf, "index") == [
        "shop.events_kind_idx",
        "shop.orders_customer_placed_idx",
        "shop.customers_lower_email_idx",
    ]
    els = by_name(sf)
    # Partitions are attributes of their parent, not tables with their columns repeated.
    events = els["shop.events"]
    assert [p["name"] for p in events.attributes["partitions"]] == [
        "shop.events_2024",
        "shop.events_2025",
        "shop.events_default",
    ]
    assert events.attributes["partitions"][2]["bound"] == "DEFAULT"
    assert events.attributes["partition_by"] == "RANGE(occurred_at)"
    assert not [e for e in sf.elements if "events_20" in e.name]
    assert len([e for e in sf.elements if e.parent == "shop.events"]) == 4 + 1  # 4 columns, 1 index
    # Keys, defaults and comments come from later statements; the table stays at its CREATE TABLE.
    customers = els["shop.customers"]
    assert (customers.line, customers.description) == (96, "People who buy from the shop")
    assert customers.attributes["primary_key"] == ["id"] and customers.attributes["unique"] == [["email"]]
    email = els["shop.customers.email"]
    assert (
        email.description == "login e-mail address, unique per customer"
        and email.attributes["unique"] is True
    )
    assert "customers_id_seq" in els["shop.customers.id"].attributes["default"]
    assert els["shop.orders.id"].attributes["identity"] == "true"
    assert els["shop.orders.customer_id"].references == ("shop.customers.id",)
    assert els["shop.order_items"].attributes["primary_key"] == ["order_id", "line_no"]
    assert els["shop.order_items.unit_price"].type == "DECIMAL(12, 2)"
    assert els["shop.orders.status"].type == "shop.order_status"
    # The enum type is an element; a column of that type references it and lists its values.
    assert of(sf, "enum") == ["shop.order_status"]
    assert els["shop.order_status"].attributes["values"] == ["pending", "paid", "shipped", "cancelled"]
    assert els["shop.orders.status"].references == ("shop.order_status",)
    assert els["shop.orders.status"].attributes["values"][0] == "pending"
    revenue = els["shop.daily_revenue"]
    assert revenue.attributes["materialized"] is True and revenue.references == (
        "shop.orders",
        "shop.order_items",
    )
    assert els["shop.order_total"].attributes == {
        "kind": "function",
        "args": ["p_order_id bigint"],
        "returns": "numeric",
        "language": "sql",
    }


# --- dialects ---


@pytest.mark.parametrize(
    ("text", "dialect"),
    [
        ("CREATE TABLE t (id SERIAL PRIMARY KEY, tags JSONB);", "postgres"),
        ("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql;", "postgres"),
        ("CREATE TABLE t (d timestamptz DEFAULT now()::date);", "postgres"),
        ("CREATE EXTENSION IF NOT EXISTS pgcrypto;", "postgres"),
        ("CREATE TABLE `t` (`id` int NOT NULL AUTO_INCREMENT) ENGINE=InnoDB;", "mysql"),
        ("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT);", "sqlite"),
        ("CREATE TABLE t (k TEXT PRIMARY KEY) WITHOUT ROWID;", "sqlite"),
        ("CREATE TABLE t (id int);", "generic"),
    ],
)
def test_dialect_is_guessed_from_markers(text: str, dialect: str) -> None:
    assert guess_dialect(text) == dialect
    assert parse(text).dialect == dialect


def test_configured_dialect_overrides_the_guess_and_sets_the_default_schema() -> None:
    text = "CREATE TABLE users (id int PRIMARY KEY);"
    assert of(parse(text), "table") == ["users"]
    assert of(parse(text, dialect="postgresql"), "table") == ["public.users"]
    assert parse(text, dialect="postgresql").dialect == "postgres"


def test_unknown_configured_dialect_is_a_problem_of_the_file_not_an_exception() -> None:
    sf = parse("CREATE TABLE t (id int);", dialect="klingon")
    assert sf.elements == () and len(sf.problems) == 1
    assert "unknown SQL dialect 'klingon'" in sf.problems[0].reason and sf.problems[0].line is None


def test_mysql_keys_comments_and_table_options() -> None:
    sf = parse(
        "CREATE TABLE `users` (\n"
        "  `id` int NOT NULL AUTO_INCREMENT,\n"
        "  `email` varchar(255) NOT NULL COMMENT 'login',\n"
        "  `org_id` int DEFAULT NULL,\n"
        "  PRIMARY KEY (`id`),\n"
        "  UNIQUE KEY `uq_email` (`email`),\n"
        "  KEY `ix_org` (`org_id`),\n"
        "  CONSTRAINT `fk_org` FOREIGN KEY (`org_id`) REFERENCES `orgs` (`id`)\n"
        ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='people who log in';\n"
    )
    assert sf.dialect == "mysql" and sf.problems == ()
    els = by_name(sf)
    users = els["users"]
    assert users.description == "people who log in" and users.attributes["engine"] == "InnoDB"
    assert users.attributes["foreign_keys"] == [
        {"name": "fk_org", "columns": ["org_id"], "references": "orgs", "ref_columns": ["id"]}
    ]
    assert els["users.email"].description == "login" and els["users.email"].attributes["unique"] is True
    assert els["users.email"].line == 3
    assert els["users.org_id"].references == ("orgs.id",)
    # MySQL index names are per table.
    assert els["users.ix_org"].element == "index" and els["users.ix_org"].attributes["columns"] == ["org_id"]


def test_postgres_folds_unquoted_names_and_keeps_quoted_ones() -> None:
    sf = parse(
        "CREATE TABLE Public.Users (Id serial, \"CamelCase\" text);\nCOMMENT ON COLUMN users.id IS 'pk';"
    )
    assert of(sf, "column") == ["public.users.id", "public.users.CamelCase"]
    assert by_name(sf)["public.users.id"].description == "pk"


def test_column_comment_above_and_comment_on_overrides_inline() -> None:
    sf = parse(
        "CREATE TABLE t (\n"
        "  -- who placed it\n"
        "  customer int,\n"
        "  total numeric, -- in cents\n"
        "  note text -- free text\n"
        ");\n"
        "COMMENT ON COLUMN t.note IS 'shown on the invoice';\n"
    )
    els = by_name(sf)
    assert els["t.customer"].description == "who placed it"
    assert els["t.total"].description == "in cents"
    assert els["t.note"].description == "shown on the invoice"


def test_table_constraints_and_default_constraint_names() -> None:
    sf = parse(
        "CREATE TABLE a (x int, y int, z int REFERENCES b, PRIMARY KEY (x, y), UNIQUE (y, z));\n"
        "CREATE TABLE b (id int PRIMARY KEY);\n",
        dialect="postgres",
    )
    a = by_name(sf)["public.a"]
    assert a.attributes["primary_key"] == ["x", "y"]
    assert a.attributes["unique"] == [["y", "z"]]
    assert a.attributes["foreign_keys"][0]["name"] == "a_z_fkey"
    # REFERENCES b without a column points at b's primary key.
    assert by_name(sf)["public.a.z"].references == ("public.b.id",)
    assert by_name(sf)["public.a.x"].attributes["nullable"] is False  # a primary key column


def test_alter_table_in_one_file_changes_the_elements() -> None:
    sf = parse(
        "CREATE TABLE users (id int PRIMARY KEY, name text, age int, fax text);\n"
        "ALTER TABLE users ADD COLUMN email text NOT NULL DEFAULT '';\n"
        "ALTER TABLE users RENAME COLUMN name TO full_name;\n"
        "ALTER TABLE users ALTER COLUMN age TYPE bigint;\n"
        "ALTER TABLE users DROP COLUMN fax;\n"
        "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);\n"
        "ALTER TABLE users DROP CONSTRAINT users_email_key;\n"
        "CREATE TABLE tmp (x int);\n"
        "DROP TABLE tmp;\n",
        dialect="postgres",
    )
    assert sf.problems == ()
    els = by_name(sf)
    assert els["public.users"].attributes["columns"] == ["id", "full_name", "age", "email"]
    assert els["public.users.age"].type == "BIGINT"
    assert els["public.users.email"].attributes["default"] == "''"
    assert els["public.users.email"].attributes["unique"] is False
    assert els["public.users.full_name"].line == 1  # within one file, the first definition's line
    assert of(sf, "table") == ["public.users"]


def test_create_table_as_select_and_view_with_column_list() -> None:
    sf = parse(
        "CREATE TABLE archive AS SELECT id, total AS amount FROM orders;\n"
        "CREATE VIEW v (a, b) AS SELECT x, y FROM t1 JOIN t2 ON t1.id = t2.id;\n"
        "CREATE VIEW star AS SELECT * FROM t1;\n"
    )
    assert of(sf, "column") == ["archive.id", "archive.amount", "v.a", "v.b"]
    assert by_name(sf)["v"].references == ("t1", "t2")
    assert by_name(sf)["star"].attributes["columns"] == []  # not derivable from SELECT *


def test_statements_hold_the_ordered_ddl_operations_with_lines() -> None:
    sf = parse("CREATE TABLE a (x int);\n\nALTER TABLE a ADD COLUMN y int;\nDROP TABLE a;\n")
    assert [(type(s).__name__, s.line) for s in sf.statements] == [
        ("CreateTable", 1),
        ("AddColumn", 3),
        ("DropTable", 4),
    ]
    assert sf.elements == ()


# --- broken inputs ---


def test_truncated_create_table_is_a_problem_with_its_line_and_the_rest_is_read() -> None:
    sf = parse(
        "CREATE TABLE users (id int PRIMARY KEY);\n"
        "CREATE TABLE orders (\n"
        "  id int,\n"
        "  user_id int REFERENCES users(id)\n"
        ";\n"
        "CREATE TABLE items (sku text);\n"
    )
    assert [line for line, _ in problems(sf)] == [2]
    assert "sqlglot cannot parse" in sf.problems[0].reason
    assert of(sf, "table") == ["users", "items"]


def test_file_cut_in_the_middle_of_the_last_statement() -> None:
    sf = parse(
        "CREATE TABLE users (id int PRIMARY KEY);\n"
        "CREATE TABLE orders (\n  id int,\n  user_id int REFERENCES users(id"
    )
    assert [line for line, _ in problems(sf)] == [2]
    assert of(sf, "table") == ["users"]


def test_garbage_between_statements_is_one_problem_per_statement() -> None:
    sf = parse(
        "CREATE TABLE a (x int);\n@@@ ### ~~~ this is not sql ;\nfoo bar baz;\nCREATE TABLE b (y int);\n"
    )
    assert [line for line, _ in problems(sf)] == [2, 3]
    assert of(sf, "table") == ["a", "b"]


def test_unterminated_dollar_body_is_a_problem_and_reading_resumes_at_the_next_ddl_line() -> None:
    sf = parse(
        "CREATE TABLE a (x serial);\n"
        "CREATE FUNCTION f() RETURNS int AS $$\n"
        "BEGIN\n"
        "  RETURN 1;\n"
        "END;\n"
        "\n"
        "CREATE TABLE b (y int);\n"
    )
    assert [line for line, _ in problems(sf)] == [2]
    assert "lines 2-6 not read" in sf.problems[0].reason
    assert of(sf, "table") == ["public.a", "public.b"]
    assert of(sf, "function") == []


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("CREATE TABLE a (x int DEFAULT 'abc);\nCREATE TABLE b (y int);\n", 1),
        ("CREATE TABLE a (x int);\n/* never closed\nCREATE TABLE b (y int);\n", 2),
        ('CREATE TABLE a (x int);\nCREATE TABLE "b (y int);\nCREATE TABLE c (z int);\n', 2),
    ],
)
def test_unterminated_string_comment_or_name(text: str, line: int) -> None:
    sf = parse(text)
    assert [p.line for p in sf.problems] == [line]
    assert of(sf, "table")[-1] in ("b", "c")


def test_empty_and_comment_only_files_give_nothing_and_no_problem() -> None:
    for text in ("", "\n\n", "-- nothing\n/* here */\n", ";;;"):
        sf = parse(text)
        assert sf.elements == () and sf.problems == ()


def test_unsupported_alter_table_is_a_problem_not_a_silent_skip() -> None:
    sf = parse("CREATE TABLE t (a int);\nALTER TABLE t FROBNICATE COLUMN a;\n")
    assert [p.line for p in sf.problems] == [2]
    assert of(sf, "column") == ["t.a"]


def test_mysqldump_gives_its_tables_and_keys_and_skips_data_and_client_settings() -> None:
    rel = "dumps/mysqldump_blog.sql"
    sf = parse_sql(Source(rel, (FIXTURES / "mysqldump_blog.sql").read_text(encoding="utf-8")))
    assert sf.dialect == "mysql" and problems(sf) == []
    # The INSERT rows hold "CREATE TABLE x (y int);": data, not a table.
    assert of(sf, "table") == ["authors", "posts"]
    assert of(sf, "index") == ["posts.posts_author_id_index", "posts.posts_status_published_at_index"]
    els = by_name(sf)
    assert els["authors"].description == "people who write posts"
    assert els["authors.email"].description == "sign-in address" and els["authors.email"].attributes["unique"]
    assert (
        els["authors.id"].type == "INT UNSIGNED" and els["authors.id"].attributes["auto_increment"] == "true"
    )
    assert els["posts.status"].type == "ENUM('draft', 'published')"
    assert els["posts.author_id"].references == ("authors.id",)
    assert els["posts.posts_status_published_at_index"].line == 61


def test_copy_rows_and_one_line_inserts_are_data_whatever_they_hold() -> None:
    sf = parse(
        "CREATE TABLE a (x text);\n"
        "COPY a (x) FROM stdin;\n"
        "CREATE TABLE not_a_table (y int);\n"
        "it's; $$ unbalanced\n"
        "\\.\n"
        "INSERT INTO a VALUES ('CREATE TABLE nope (z int);');\n"
        "INSERT INTO a VALUES ('it''s'), ('multi\n"
        "line; CREATE TABLE still_data (q int);');\n"
        "CREATE TABLE b (y int);\n"
    )
    assert problems(sf) == []
    assert of(sf, "table") == ["a", "b"]
    assert by_name(sf)["b"].line == 9


def test_enum_types_grow_and_drop() -> None:
    sf = parse(
        "CREATE TYPE mood AS ENUM ('sad', 'happy');\n"
        "ALTER TYPE mood ADD VALUE 'ok' BEFORE 'happy';\n"
        "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'ecstatic' AFTER 'happy';\n"
        "COMMENT ON TYPE mood IS 'how one feels';\n"
        "CREATE TYPE pair AS (a int, b int);\n"
        "CREATE TYPE gone AS ENUM ('x');\n"
        "DROP TYPE IF EXISTS gone, other CASCADE;\n"
        "CREATE TABLE people (feeling mood NOT NULL);\n",
        dialect="postgres",
    )
    assert sf.problems == ()
    mood = by_name(sf)["public.mood"]
    assert (mood.element, mood.description) == ("enum", "how one feels")
    assert mood.attributes["values"] == ["sad", "ok", "happy", "ecstatic"]
    assert of(sf, "enum") == ["public.mood"]  # a composite type is no enum; gone was dropped
    assert by_name(sf)["public.people.feeling"].references == ("public.mood",)


def test_nesting_deeper_than_the_recursion_limit_is_a_problem_of_its_statement() -> None:
    deep = "(" * 3000 + "1" + ")" * 3000
    sf = parse(f"CREATE TABLE a (x int DEFAULT {deep});\nCREATE TABLE b (y int);\n")
    assert problems(sf) == [(1, "nested too deeply to read")]
    assert of(sf, "table") == ["b"]


def test_mutilated_real_files_never_raise() -> None:
    """Cut, spliced and salted copies of the real files: each parse returns (problems, elements)."""
    import random

    sources = [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.rglob("*.sql"))]
    salt = ["'", '"', "$$", "(", ")", ";", "/*", "--", "`", "\\", "\n", "CREATE TABLE", "ALTER TABLE", "END"]
    rng = random.Random(15)
    for _ in range(60):
        text = rng.choice(sources)
        for _ in range(rng.randint(1, 4)):
            at = rng.randint(0, len(text))
            cut = rng.random()
            if cut < 0.3:
                text = text[:at]
            elif cut < 0.7:
                text = text[:at] + rng.choice(salt) + text[at:]
            else:
                text = text[:at] + text[at + rng.randint(1, 200) :]
        sf = parse(text)
        assert isinstance(sf, SchemaFile)
        assert all(p.line is None or p.line >= 1 for p in sf.problems)


def test_mysql_delimiter_regions_with_triggers_procedures_and_functions() -> None:
    sf = parse(
        "CREATE TABLE `a` (`x` int NOT NULL AUTO_INCREMENT, PRIMARY KEY (`x`)) ENGINE=InnoDB;\n"
        "DELIMITER ;;\n"
        "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `a_bi` BEFORE INSERT ON `a`"
        " FOR EACH ROW BEGIN\n"
        "  SET NEW.x = NEW.x + 1;\n"
        "END */;;\n"
        "DELIMITER ;\n"
        "DELIMITER $$\n"
        "CREATE DEFINER=`root`@`localhost` PROCEDURE `bump`(IN p_id INT, OUT p_total INT)\n"
        "BEGIN\n"
        "  UPDATE a SET x = x + 1 WHERE x = p_id;\n"
        "  IF p_id > 0 THEN\n"
        "    SELECT COUNT(*) INTO p_total FROM a;\n"
        "  END IF;\n"
        "END$$\n"
        "CREATE FUNCTION `twice`(v INT) RETURNS int DETERMINISTIC\n"
        "RETURN v * 2 $$\n"
        "DELIMITER ;\n"
        "CREATE TABLE b (y int);\n"
    )
    assert sf.dialect == "mysql" and problems(sf) == []
    assert of(sf, "table") == ["a", "b"] and by_name(sf)["b"].line == 18
    bump = by_name(sf)["bump"]
    assert (bump.line, bump.attributes["kind"], bump.attributes["args"]) == (
        8,
        "procedure",
        ["IN p_id INT", "OUT p_total INT"],
    )
    assert by_name(sf)["twice"].type == "int"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "postgres",
            [
                "public.a",
                "public.u",
                "public.child",
                "public.a_doc",
                "public.a_lower",
                "public.a_nulls",
                "public.f",
                "public.p",
                "public.mv",
                "public.rv",
                "public.vv",
                "public.b",
                "public.c",
                "public.events",
            ],
        ),
        ("mysql", ["t", "t.ft", "t.sp", "t.ix_c", "t.ix_n", "v"]),
        ("sqlite", ["t2", "u", "docs", "ix"]),
    ],
)
def test_valid_forms_of_each_dialect_read_without_a_problem(name: str, expected: list[str]) -> None:
    """Identity and generated columns, arrays, EXCLUDE, WITH (…), INHERITS, partial/covering/NULLS NOT
    DISTINCT indexes, RLS, SET STATISTICS, recursive and option-laden views, MySQL ON UPDATE, prefix
    and FULLTEXT keys, PARTITION BY … (PARTITION …), ALGORITHM/DEFINER views, SQLite typeless
    columns, STRICT, virtual tables: no problem, and temporary tables and views are no schema."""
    rel = f"valid_forms_{name}.sql"
    sf = parse_sql(Source(rel, (FIXTURES / rel).read_text(encoding="utf-8")))
    assert (sf.dialect, problems(sf)) == (name, [])
    assert [e.name for e in sf.elements if e.element != "column"] == expected
    els = by_name(sf)
    if name == "postgres":
        assert els["public.a.id"].attributes["identity"] == "true"
        assert els["public.a.full_name"].attributes["generated"]
        assert els["public.a.tags"].type == "TEXT[]"
        assert els["public.a.ref_id"].references == ("public.b.id",)
        assert els["public.a"].attributes["unique"] == [["email"], ["first", "last"]]
        assert els["public.a_lower"].attributes["where"] == "flag"
        assert els["public.events"].attributes["partitions"][1] == {
            "name": "public.events_d",
            "bound": "DEFAULT",
        }
        assert els["public.rv"].attributes["columns"] == ["n"]
        assert "public.tt" not in els  # CREATE TEMPORARY TABLE
    if name == "mysql":
        assert els["t"].attributes["partition_by"].startswith("RANGE (`id`) (PARTITION p0")
        assert els["t"].attributes["columns"] == [
            "id",
            "p",
            "s",
            "ts",
            "g",
            "c",
            "m",
        ]  # n renamed m, j dropped
        assert els["t.ix_c"].attributes["columns"] == ["c"]  # prefix key c(10)
        assert els["t.ix_n"].attributes["columns"] == ["m"]
    if name == "sqlite":
        assert [els[f"u.{c}"].type for c in "abc"] == ["", "", ""]
        assert "v" not in els  # CREATE TEMP VIEW


def test_windows_line_endings_give_the_same_elements_and_lines() -> None:
    text = (FIXTURES / "pg_dump_shop.sql").read_text(encoding="utf-8")
    lf, crlf = parse(text), parse(text.replace("\n", "\r\n"))
    assert crlf.problems == ()
    assert [(e.name, e.line, e.type, e.description) for e in crlf.elements] == [
        (e.name, e.line, e.type, e.description) for e in lf.elements
    ]
