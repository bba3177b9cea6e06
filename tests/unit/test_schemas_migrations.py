"""apply_migrations: ordered migration folders give the schema after the last migration, each element
in the file (and at the line) that last defined or altered it; other files unchanged."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from planvec.kinds.base import Source
from planvec.kinds.schemas import Element, SchemaFile
from planvec.kinds.schemas.migrations import apply_migrations, migration_of
from planvec.kinds.schemas.sql import parse_sql

SHARED = Path(os.environ.get("PLANVEC_SHARED_DIR") or Path(__file__).resolve().parents[2].parent / "shared")
REPO = SHARED / "corpus" / "repo"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "schemas" / "sql"
ROOT = "/repo"


def load(root: Path, under: str) -> list[tuple[str, SchemaFile]]:
    """The SQL files under ``root/under`` parsed as a run would give them to the kind's combine."""
    base = root / under
    if not base.is_dir():
        pytest.skip(f"not found: {base}")
    paths = sorted(p for p in base.rglob("*.sql"))
    return [
        (str(root), parse_sql(Source(p.relative_to(root).as_posix(), p.read_text(encoding="utf-8"))))
        for p in paths
    ]


def inline(files: dict[str, str]) -> list[tuple[str, SchemaFile]]:
    return [(ROOT, parse_sql(Source(rel, text))) for rel, text in files.items()]


def located(out: list[tuple[str, SchemaFile]]) -> dict[str, tuple[str, Element]]:
    """element name -> (file it is returned in, element)."""
    found: dict[str, tuple[str, Element]] = {}
    for _, sf in out:
        for el in sf.elements:
            assert el.name not in found, f"{el.name} returned twice"
            found[el.name] = (sf.path, el)
    return found


def where(out: list[tuple[str, SchemaFile]], name: str) -> tuple[str, int]:
    path, el = located(out)[name]
    return path.rsplit("/", 1)[-1], el.line


# --- versions ---


@pytest.mark.parametrize(
    ("name", "order", "applied"),
    [
        ("0001_init.sql", (0, (1,)), True),
        ("20240101120000_add_users.sql", (0, (20240101120000,)), True),
        ("001_create.up.sql", (0, (1,)), True),
        ("001_create.down.sql", (0, (1,)), False),
        ("V2__add_email.sql", (0, (2,)), True),
        ("V1_10__x.sql", (0, (1, 10)), True),
        ("V1.9__x.sql", (0, (1, 9)), True),
        ("U2__undo.sql", (0, (2,)), False),
        ("R__views.sql", (1, ()), True),
        ("7.sql", (0, (7,)), True),
        ("2024-01-02-030405_x.sql", (0, (20240102030405,)), True),
    ],
)
def test_version_prefixes(name: str, order: tuple[int, tuple[int, ...]], applied: bool) -> None:
    m = migration_of(f"db/migrations/{name}")
    assert m is not None and m.order[:2] == order and m.applied is applied
    assert m.folder == "db/migrations"


@pytest.mark.parametrize(
    ("path", "order", "applied"),
    [
        ("prisma/migrations/20240101120000_init/migration.sql", (0, (20240101120000,)), True),
        ("migrations/2024-01-01-120000_create_users/up.sql", (0, (20240101120000,)), True),
        ("migrations/2024-01-01-120000_create_users/down.sql", (0, (20240101120000,)), False),
    ],
)
def test_versions_in_directory_names(path: str, order: tuple[int, tuple[int, ...]], applied: bool) -> None:
    m = migration_of(path)
    assert m is not None and m.order[:2] == order and m.applied is applied
    assert m.folder == path.split("/2024")[0]


@pytest.mark.parametrize("name", ["schema.sql", "init.sql", "v2_users.sql", "V__x.sql", "R_x.sql"])
def test_files_without_a_version_prefix(name: str) -> None:
    assert migration_of(f"db/{name}") is None


# --- the fixture folder: numeric order, renames, drops, type changes, rollbacks ---


def test_the_folder_gives_the_schema_after_the_last_migration() -> None:
    out = apply_migrations(load(FIXTURES, "migrations_shop"))
    found = located(out)
    tables = sorted(n for n, (_, el) in found.items() if el.element == "table")
    assert tables == ["public.purchases", "public.users", "scratch"]  # orders renamed, legacy_notes dropped
    users = found["public.users"][1]
    assert users.attributes["columns"] == ["id", "full_name", "email", "phone"]  # fax dropped by 11
    assert found["public.users.email"][1].type == "VARCHAR(320)"
    assert found["public.users.email"][1].description == "login e-mail address"
    assert found["public.purchases.user_id"][1].references == ("public.users.id",)
    assert found["public.idx_orders_user"][1].parent == "public.purchases"
    assert "public.users.name" not in found and "public.users.fax" not in found


def test_each_element_points_at_the_migration_that_last_defined_or_altered_it() -> None:
    out = apply_migrations(load(FIXTURES, "migrations_shop"))
    assert where(out, "public.users.id") == ("1_create_users.up.sql", 3)
    assert where(out, "public.users.full_name") == ("10_rename.up.sql", 2)
    assert where(out, "public.users.email") == ("10_rename.up.sql", 4)
    assert where(out, "public.users.phone") == ("9_add_contact.up.sql", 1)
    assert where(out, "public.users") == ("11_drop_fax.up.sql", 1)
    assert where(out, "public.purchases") == ("10_rename.up.sql", 7)
    assert where(out, "public.purchases.total") == ("2_create_orders.up.sql", 4)
    assert where(out, "public.idx_orders_user") == ("2_create_orders.up.sql", 7)
    # Elements keep file "" (the SchemaFile they are returned in is the file that defines them).
    assert all(el.file == "" for _, sf in out for el in sf.elements)


def test_rollbacks_are_not_applied_and_give_no_elements() -> None:
    out = apply_migrations(load(FIXTURES, "migrations_shop"))
    downs = [sf for _, sf in out if sf.path.endswith(".down.sql")]
    assert len(downs) == 5
    assert all(sf.elements == () and sf.statements for sf in downs)
    # 11's rollback re-adds fax: not applied, so fax stays dropped.
    assert "public.users.fax" not in located(out)


def test_files_outside_the_folder_order_and_non_versioned_files_are_unchanged() -> None:
    files = load(FIXTURES, "migrations_shop")
    out = apply_migrations(files)
    assert [sf.path for _, sf in out] == [sf.path for _, sf in files]  # the order given
    readme_in = next(sf for _, sf in files if sf.path.endswith("README.sql"))
    readme_out = next(sf for _, sf in out if sf.path.endswith("README.sql"))
    assert readme_out is readme_in


def test_numeric_not_lexical_order_whatever_the_order_given() -> None:
    files = load(FIXTURES, "migrations_shop")
    expected = located(apply_migrations(files))
    shuffled = list(files)
    random.Random(7).shuffle(shuffled)
    got = located(apply_migrations(shuffled))
    assert {k: (p, e.line) for k, (p, e) in got.items()} == {k: (p, e.line) for k, (p, e) in expected.items()}


def test_one_versioned_file_alone_is_not_a_migrations_folder() -> None:
    files = inline(
        {"db/001_init.sql": "CREATE TABLE a (x int);\nALTER TABLE a RENAME TO b;", "db/schema.sql": "x"}
    )
    assert apply_migrations(files) == files


def test_flyway_versions_and_repeatables_in_order() -> None:
    out = apply_migrations(
        inline(
            {
                "sql/R__views.sql": "CREATE VIEW active_users AS SELECT id, email FROM users;",
                "sql/V1_10__type.sql": "ALTER TABLE users ALTER COLUMN email TYPE text;",
                "sql/V1_9__email.sql": "ALTER TABLE users ADD COLUMN email varchar(50);",
                "sql/V1__init.sql": "CREATE TABLE users (id bigint PRIMARY KEY);",
                "sql/U1_10__undo.sql": "ALTER TABLE users ALTER COLUMN email TYPE varchar(50);",
            }
        )
    )
    found = located(out)
    assert where(out, "users.email") == ("V1_10__type.sql", 1)
    assert found["users.email"][1].type == "TEXT"
    assert where(out, "active_users") == ("R__views.sql", 1)
    assert next(sf for _, sf in out if sf.path.endswith("U1_10__undo.sql")).elements == ()


def test_timestamped_migrations_and_folder_dialect_from_its_postgres_files() -> None:
    out = apply_migrations(
        inline(
            {
                "m/20240301090000_add_flag.sql": "ALTER TABLE accounts ADD COLUMN active boolean;",
                "m/20240101120000_init.sql": "CREATE TABLE accounts (id uuid DEFAULT gen_random_uuid());",
            }
        )
    )
    # The second file has no PostgreSQL marker: its folder's dialect still puts it in public.
    assert where(out, "public.accounts.active") == ("20240301090000_add_flag.sql", 1)
    assert {sf.dialect for _, sf in out} == {"postgres"}


def test_two_folders_apply_independently_and_other_roots_too() -> None:
    a = {"svc_a/migrations/1_a.sql": "CREATE TABLE t (x int);", "svc_a/migrations/2_a.sql": "DROP TABLE t;"}
    b = {
        "svc_b/migrations/1_b.sql": "CREATE TABLE t (y int);",
        "svc_b/migrations/2_b.sql": "ALTER TABLE t ADD z int;",
    }
    out = apply_migrations(
        inline(a) + inline(b) + [("/other", parse_sql(Source("svc_a/migrations/3_a.sql", "x")))]
    )
    names = [(sf.path, el.name) for _, sf in out for el in sf.elements]
    assert names == [
        ("svc_b/migrations/1_b.sql", "t.y"),
        ("svc_b/migrations/2_b.sql", "t"),
        ("svc_b/migrations/2_b.sql", "t.z"),
    ]


def test_a_problem_in_one_migration_is_kept_and_the_rest_applies() -> None:
    out = apply_migrations(
        inline(
            {
                "m/1_init.sql": "CREATE TABLE t (x int);",
                "m/2_bad.sql": "ALTER TABLE t ADD y int;\nGARBAGE HERE;",
            }
        )
    )
    bad = next(sf for _, sf in out if sf.path == "m/2_bad.sql")
    assert [p.line for p in bad.problems] == [2]
    assert where(out, "t.y") == ("2_bad.sql", 1)


# --- real folders of the corpus ---


def test_golang_migrate_folder_of_the_corpus() -> None:
    under = "development/managers/contextual-memory-manager"
    out = apply_migrations(load(REPO, under))
    by_file = {sf.path.rsplit("/", 1)[-1]: sf for _, sf in out}
    assert all(sf.problems == () for sf in by_file.values())
    assert by_file["001_create_contextual_actions.down.sql"].elements == ()
    assert by_file["002_create_contextual_sessions.down.sql"].elements == ()
    actions = by_file["001_create_contextual_actions.up.sql"]
    assert [e.name for e in actions.elements if e.element == "table"] == ["public.contextual_actions"]
    assert len([e for e in actions.elements if e.element == "column"]) == 9
    sessions = by_file["002_create_contextual_sessions.up.sql"]
    assert len([e for e in sessions.elements if e.element == "column"]) == 8
    assert len([e for e in sessions.elements if e.element == "index"]) == 7
    # postgresql/001_… is alone in its folder: an ordinary file, unchanged (its own contextual_actions).
    other = by_file["001_create_contextual_tables.sql"]
    assert [e.name for e in other.elements if e.element == "table"] == [
        "public.contextual_actions",
        "public.contextual_embeddings",
    ]


def test_analytics_folder_of_the_corpus() -> None:
    out = apply_migrations(load(REPO, "analytics/postgresql_analytics"))
    assert all(sf.problems == () and sf.dialect == "postgres" for _, sf in out)
    found = located(out)
    assert where(out, "documentation_analytics.documents") == ("002_create_tables_managers_documents.sql", 8)
    assert where(out, "documentation_analytics.latest_document") == ("003_functions_plpgsql.sql", 12)
    view = found["documentation_analytics.dashboard_manager_stats"][1]
    assert view.references == ("documentation_analytics.managers", "documentation_analytics.documents")
    assert len([n for n, (_, e) in found.items() if e.element == "column"]) == 3 + 5 + 4


def test_non_sql_files_pass_through() -> None:
    other = SchemaFile("api/openapi.yaml", "openapi")
    files = [(ROOT, other), *inline({"m/1_a.sql": "CREATE TABLE a (x int);", "m/2_a.sql": "DROP TABLE a;"})]
    out = apply_migrations(files)
    assert out[0] == (ROOT, other) and all(sf.elements == () for _, sf in out)


def test_search_path_set_schema_and_renames_of_views_indexes_and_constraints() -> None:
    out = apply_migrations(
        inline(
            {
                "m/1_init.sql": "SET search_path TO app, public;\n"
                "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n"
                "CREATE INDEX users_email_idx ON users (email);\n"
                "CREATE MATERIALIZED VIEW user_stats AS SELECT count(*) AS n FROM users;\n"
                "CREATE VIEW v_users AS SELECT id, email FROM users;\n",
                "m/2_more.sql": "SET search_path TO app;\n"
                "ALTER TABLE users ADD COLUMN IF NOT EXISTS created_at timestamptz;\n"
                "ALTER TABLE users ALTER COLUMN email SET DEFAULT 'x@y';\n"
                "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n"
                "ALTER INDEX users_email_idx RENAME TO ix_users_email;\n"
                "DROP MATERIALIZED VIEW user_stats;\n"
                "CREATE OR REPLACE VIEW v_users AS SELECT id, email, created_at FROM users;\n"
                "ALTER TABLE users RENAME CONSTRAINT users_pkey TO pk_users;\n"
                "ALTER TABLE users SET SCHEMA archive;\n",
            }
        )
    )
    assert [p for _, sf in out for p in sf.problems] == []
    found = located(out)
    assert sorted(n for n, (_, e) in found.items() if e.element in ("table", "view", "index")) == [
        "app.v_users",
        "archive.ix_users_email",
        "archive.users",
    ]
    email = found["archive.users.email"][1]
    assert (email.type, email.attributes["default"], email.attributes["nullable"]) == ("TEXT", "'x@y'", False)
    assert found["app.v_users"][1].references == ("archive.users",)
    assert found["archive.users"][1].attributes["primary_key"] == ["id"]
    assert where(out, "archive.users") == ("2_more.sql", 2)


def test_prisma_folder_of_versioned_directories() -> None:
    base = "prisma/migrations"
    out = apply_migrations(
        inline(
            {
                f"{base}/20240301000000_email/migration.sql": 'ALTER TABLE "User" ADD COLUMN "email" TEXT;',
                f"{base}/20240101000000_init/migration.sql": 'CREATE TABLE "User" ("id" SERIAL PRIMARY KEY);',
                f"{base}/migration_lock.sql": "-- not a migration",
            }
        )
    )
    assert where(out, "public.User.email") == ("migration.sql", 1)
    assert located(out)["public.User.email"][0] == f"{base}/20240301000000_email/migration.sql"


def test_diesel_up_and_down_files_in_versioned_directories() -> None:
    out = apply_migrations(
        inline(
            {
                "migrations/2024-01-01-000000_users/up.sql": "CREATE TABLE users (id SERIAL PRIMARY KEY);",
                "migrations/2024-01-01-000000_users/down.sql": "DROP TABLE users;",
                "migrations/2024-02-01-000000_name/up.sql": "ALTER TABLE users ADD COLUMN name TEXT;",
                "migrations/2024-02-01-000000_name/down.sql": "ALTER TABLE users DROP COLUMN name;",
            }
        )
    )
    assert sorted(located(out)) == ["public.users", "public.users.id", "public.users.name"]
    assert all(sf.elements == () for _, sf in out if sf.path.endswith("down.sql"))


@pytest.mark.parametrize(
    ("up", "down"),
    [("-- +goose Up", "-- +goose Down"), ("-- migrate:up", "-- migrate:down")],
)
def test_goose_and_dbmate_rollback_sections_are_not_schema(up: str, down: str) -> None:
    sf = parse_sql(
        Source(
            "db/migrations/00002_add_email.sql",
            f"{up}\nCREATE TABLE users (id int);\nALTER TABLE users ADD COLUMN email text;\n\n"
            f"{down}\nALTER TABLE users DROP COLUMN email;\nDROP TABLE users;\nnot even sql;\n",
        )
    )
    assert sf.problems == ()
    assert [e.name for e in sf.elements] == ["users", "users.id", "users.email"]
