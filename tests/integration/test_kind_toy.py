"""A kind is one folder and one registry line: a toy ``.todo.txt`` kind, defined whole in this file,
registered with one ``REGISTRY.register`` call, then indexed, searched and checked through the public
API (the Engine and the CLI) next to the plans kind, on a real Qdrant Edge store."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from planvec.cli import main
from planvec.engine import Engine, SearchFilters
from planvec.errors import UsageError
from planvec.kinds import REGISTRY, DocContext, KindConfig, Source
from planvec.kinds.base import claims_by_globs, configure_from
from planvec.records import FileProblem, StoreDoc, finish_doc
from planvec.settings import Settings
from planvec.store import Filters, Match


# -- the toy kind: one line per item, "x " in front when it is done -------------------------------
@dataclass(frozen=True, slots=True)
class TodoItem:
    line: int
    title: str
    done: bool


@dataclass(frozen=True, slots=True)
class TodoFile:
    path: str
    items: tuple[TodoItem, ...] = ()
    warnings: tuple[str, ...] = ()
    problems: tuple[FileProblem, ...] = ()


class TodoFilters:
    names: tuple[str, ...] = ("done",)

    def check(self, values: Mapping[str, Any]) -> None:
        if str(values.get("done", "true")).lower() not in ("true", "false"):
            raise UsageError(f"done must be true or false, not {values['done']!r}")

    def to_store(self, values: Mapping[str, Any], distinct: Callable[[str], list[str]]) -> Filters:
        self.check(values)
        if "done" not in values:
            return Filters()
        return Filters((Match("done", str(values["done"]).lower() == "true"),))


class TodoKind:
    name: str = "todo"
    collections: Mapping[str, str] = {"items": "todo_items"}
    include: tuple[str, ...] = ("**/*.todo.txt",)
    payload_indexes: Mapping[str, str] = {"done": "bool", "file": "keyword", "kind": "keyword"}
    filters = TodoFilters()
    hit_fields: tuple[str, ...] = ("title", "file", "line", "done")

    def configure(self, settings: Settings) -> KindConfig:
        return configure_from(self, settings)

    def claims(self, rel: str, config: KindConfig) -> bool:
        return claims_by_globs(rel, config)

    def parse(self, source: Source) -> TodoFile:
        items, problems = [], []
        for n, raw in enumerate(source.text.split("\n"), 1):
            line = raw.strip()
            if not line:
                continue
            done = line.startswith("x ")
            title = line[2:].strip() if done else line
            if line == "x" or not title:
                problems.append(FileProblem(source.rel, "an item without a title", n))
                continue
            items.append(TodoItem(n, title, done))
        return TodoFile(source.rel, tuple(items), source.warnings, tuple(problems))

    def documents(self, parsed: TodoFile, root: str, ctx: DocContext) -> dict[str, list[StoreDoc]]:
        coll = ctx.collections["items"]
        docs = []
        for it in parsed.items:
            payload: dict[str, Any] = {
                "kind": "todo_item",
                "root": root,
                "file": parsed.path,
                "line": it.line,
                "anchor": it.title,
                "title": it.title,
                "done": it.done,
            }
            docs.append(
                finish_doc(coll, root, parsed.path, it.title, it.title, it.title, payload, ctx.model_key)
            )
        return {"items": docs}


# -- fixtures -------------------------------------------------------------------------------------
@pytest.fixture
def todo_kind() -> Iterator[TodoKind]:
    kind = TodoKind()
    REGISTRY.register(kind)  # the one registry line a new kind needs
    try:
        yield kind
    finally:
        REGISTRY.unregister(kind.name)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "plans").mkdir(parents=True)
    (root / "plans" / "plan.md").write_text(
        "# Plan\n\n## Shopping\n\n- [ ] 1.1 Buy oat milk for the team\n- [x] 1.2 Book the meeting room\n",
        encoding="utf-8",
    )
    (root / "home.todo.txt").write_text(
        "buy fresh milk and bread\nx water the garden plants\nrepair the bicycle tyre\n", encoding="utf-8"
    )
    return root


@pytest.fixture
def eng(tmp_path: Path, embedder) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    with Engine(Settings(data_dir=tmp_path / "data"), embedder=embedder) as e:
        yield e


# -- the public API -------------------------------------------------------------------------------
def test_toy_kind_indexes_next_to_plans_and_resyncs_to_nothing(todo_kind, eng: Engine, tree: Path) -> None:  # type: ignore[no-untyped-def]
    report = eng.index([tree])
    assert report.problems == []
    assert set(report.kinds) == {"plans", "todo"}
    todo = report.kinds["todo"]
    assert todo.files == 1 and todo.documents == {"items": 3}
    assert [(c.name, c.added) for c in todo.collections] == [("todo_items", 3)]
    assert report.tasks == 2 and report.files == 2
    info = eng.store.collection_info("todo_items")
    assert info is not None and info.points == 3
    # the kind's indexes, content_hash's (sync finds vectors by it) and sensitivity (planvec.secrets):
    # the indexes every collection gets
    expected = {
        "done": "bool",
        "file": "keyword",
        "kind": "keyword",
        "content_hash": "keyword",
        "sensitivity": "keyword",
    }
    assert info.payload_indexes == expected
    again = eng.index([tree])
    assert (again.embedded, again.added, again.deleted, again.updated) == (0, 0, 0, 0)


def test_toy_kind_index_restricted_by_kind(todo_kind, eng: Engine, tree: Path) -> None:  # type: ignore[no-untyped-def]
    report = eng.index([tree], kinds=["todo"])
    assert list(report.kinds) == ["todo"] and report.tasks == 0
    assert eng.store.collection_info("roadmap_tasks") is None
    # The plans run leaves the todo points alone, and the other way round.
    eng.index([tree], kinds=["plans"])
    assert eng.store.count("todo_items") == 3
    (tree / "home.todo.txt").write_text("buy fresh milk and bread\n", encoding="utf-8")
    eng.index([tree], kinds=["plans"])
    assert eng.store.count("todo_items") == 3
    assert eng.index([tree], kinds=["todo"]).deleted == 2


def test_toy_kind_search_filters_and_all_kinds(todo_kind, eng: Engine, tree: Path) -> None:  # type: ignore[no-untyped-def]
    eng.index([tree])
    hits = eng.search("milk", kind="todo", limit=3)
    assert hits[0].title == "buy fresh milk and bread"
    assert {(h.kind_name, h.collection) for h in hits} == {("todo", "todo_items")}
    done = eng.search("garden", {"done": "true"}, kind="todo")
    assert [h.title for h in done] == ["water the garden plants"]
    # A generic store condition on the kind's own field, answered by the store.
    assert eng.store.count("todo_items", Filters((Match("done", False),))) == 2
    with pytest.raises(UsageError, match="kind 'todo' has no filter status"):
        eng.search("milk", SearchFilters(status="pending"), kind="todo")
    with pytest.raises(UsageError, match="done must be true or false"):
        eng.search("milk", {"done": "maybe"}, kind="todo")
    fused = eng.search("milk", kind="all", limit=10)
    kinds = {(h.kind_name, h.collection) for h in fused}
    assert {("todo", "todo_items"), ("plans", "roadmap_tasks")} <= kinds
    assert fused == sorted(fused, key=lambda h: -h.score)
    assert {h.title for h in fused[:2]} == {"buy fresh milk and bread", "Buy oat milk for the team"}


def test_toy_kind_check(todo_kind, eng: Engine, tree: Path) -> None:  # type: ignore[no-untyped-def]
    eng.index([tree])
    clean = eng.check([tree], kind="todo")
    assert clean.collection == "todo_items" and clean.tasks == 3 and clean.problems == []
    (tree / "home.todo.txt").write_text(
        "buy fresh milk and bread\nx water the garden plants\nwash the car\n", encoding="utf-8"
    )
    report = eng.check([tree], kind="todo")
    assert [r.title for r in report.missing] == ["wash the car"]
    assert [r.title for r in report.orphaned] == ["repair the bicycle tyre"]
    assert {p.code for p in report.problems} >= {"missing", "orphaned"}


def test_toy_kind_bad_line_is_a_reported_problem(todo_kind, eng: Engine, tree: Path) -> None:  # type: ignore[no-untyped-def]
    (tree / "home.todo.txt").write_text("buy fresh milk and bread\nx\n", encoding="utf-8")
    report = eng.index([tree])
    assert report.problems == [FileProblem("home.todo.txt", "an item without a title", 2)]
    assert report.exit_code == 3 and eng.store.count("todo_items") == 1


def test_toy_kind_through_the_cli(todo_kind, tree: Path, tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PLANVEC_HOME", str(tmp_path / "cli-home"))
    code = main(["index", str(tree), "--kind", "todo", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and list(report["kinds"]) == ["todo"] and report["added"] == 3
    code = main(["search", "bicycle", "--kind", "todo", "--json", "--limit", "1"])
    hits = json.loads(capsys.readouterr().out)
    assert code == 0 and hits[0]["title"] == "repair the bicycle tyre" and hits[0]["kind_name"] == "todo"
    code = main(["search", "garden", "--kind", "todo", "--filter", "done=true", "--json"])
    assert code == 0 and [h["title"] for h in json.loads(capsys.readouterr().out)] == [
        "water the garden plants"
    ]
    code = main(["check", str(tree), "--kind", "todo", "--json", "--no-report"])
    checked = json.loads(capsys.readouterr().out)
    assert code == 0 and checked["collection"] == "todo_items" and checked["tasks"] == checked["points"] == 3
    todo = tree / "home.todo.txt"
    before = todo.read_bytes()
    todo.write_text("buy fresh milk and bread\nfeed the cat\n", encoding="utf-8")
    code = main(["check", str(tree), "--kind", "todo", "--json", "--no-report"])
    checked = json.loads(capsys.readouterr().out)
    assert code == 1 and checked["missing"] == 1 and checked["orphaned"] == 2
    todo.write_bytes(before)
    code = main(["search", "milk", "--kind", "todo", "--status", "pending"])
    err = capsys.readouterr().err
    assert code == 2 and "kind 'todo' has no filter status" in err
    code = main(["index", str(tree)])  # both kinds: one summary line per kind under the totals
    out = capsys.readouterr().out
    assert code == 0 and "files 2  tasks 2" in out
    assert "  plans        files 1  tasks 2 sections 0" in out and "  todo         files 1  items 3" in out
    monkeypatch.setenv("PLANVEC_KINDS", json.dumps({"todo": {"enabled": False}}))
    code = main(["index", str(tree), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and list(report["kinds"]) == ["plans"]
    code = main(["index", str(tree), "--kind", "todo"])
    assert code == 2 and "kind 'todo' is disabled" in capsys.readouterr().err


def test_plans_kind_settings_from_toml(tree: Path, tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """[kinds.plans] in planvec.toml renames its collections; the historical settings still count."""
    toml = tmp_path / "planvec.toml"
    toml.write_text(
        'index_sections = false\n[kinds.plans]\ncollections = { tasks = "team_tasks" }\n', encoding="utf-8"
    )
    monkeypatch.setenv("PLANVEC_CONFIG", str(toml))
    monkeypatch.setenv("PLANVEC_HOME", str(tmp_path / "cli-home"))
    code = main(["index", str(tree), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and [c["name"] for c in report["kinds"]["plans"]["collections"]] == ["team_tasks"]
    code = main(["search", "oat milk", "--json", "--limit", "1"])
    assert code == 0 and json.loads(capsys.readouterr().out)[0]["collection"] == "team_tasks"
    # every built-in kind off (the other kinds would index nothing here, but are still enabled)
    others = "".join(f"[kinds.{n}]\nenabled = false\n" for n in REGISTRY.names() if n != "plans")
    toml.write_text("[kinds.plans]\nenabled = false\n" + others, encoding="utf-8")
    code = main(["index", str(tree)])
    assert code == 2 and "every kind is disabled" in capsys.readouterr().err


def test_toy_kind_over_http(todo_kind, tree: Path, tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    """The kind's filters pass over HTTP as ``filter=NAME=VALUE``; hits carry the kind's fields;
    ``/api/v1/kinds`` lists the kind for the page."""
    from fastapi.testclient import TestClient

    from planvec.service import create_app

    settings = Settings(data_dir=tmp_path / "http-home")
    with Engine(settings, embedder=embedder) as e:
        e.index([tree])
    with TestClient(
        create_app(settings, embedder=embedder), base_url="http://127.0.0.1:8080", client=("127.0.0.1", 50000)
    ) as client:
        kinds = client.get("/api/v1/kinds").json()["kinds"]
        todo = next(k for k in kinds if k["name"] == "todo")
        assert todo["filters"] == ["done"] and todo["collections"] == {"items": "todo_items"}
        body = client.get("/api/v1/search", params={"q": "garden", "kind": "todo", "filter": "done=true"})
        assert body.status_code == 200, body.text
        hits = body.json()["hits"]
        assert [h["title"] for h in hits] == ["water the garden plants"]
        assert hits[0]["fields"] == {
            "title": "water the garden plants",
            "file": "home.todo.txt",
            "line": 2,
            "done": True,
        }
        post = client.post(
            "/api/v1/search", json={"query": "garden", "kind": "todo", "filter": ["done=false"]}
        )
        assert "water the garden plants" not in [h["title"] for h in post.json()["hits"]]
        bad = client.get("/api/v1/search", params={"q": "x", "kind": "todo", "filter": "done"})
        assert bad.status_code == 400 and "NAME=VALUE" in bad.text


def test_combine_sees_every_file_of_the_kind(todo_kind, eng: Engine, tree: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A kind with ``combine`` gets all its parsed files of a run at once (with their roots), and
    sync indexes what it returns; each Source knows its root."""
    (tree / "work.todo.txt").write_text("file the tax return\n", encoding="utf-8")
    seen: list[tuple[str, str]] = []
    roots: list[str] = []
    parse = todo_kind.parse

    def parse_with_root(source: Source) -> TodoFile:
        roots.append(source.root)
        return parse(source)

    def combine(files, config):  # type: ignore[no-untyped-def]
        seen.extend((root, pf.path) for root, pf in files)
        return [(root, pf) for root, pf in files if pf.path != "work.todo.txt"]

    monkeypatch.setattr(todo_kind, "parse", parse_with_root, raising=False)
    monkeypatch.setattr(todo_kind, "combine", combine, raising=False)
    eng.index([tree], kinds=["todo"])
    assert sorted(p for _, p in seen) == ["home.todo.txt", "work.todo.txt"]
    assert set(roots) == {tree.resolve().as_posix()}
    assert eng.store.count("todo_items") == 3


def test_filters_narrow_kind_all_to_the_kinds_that_have_them(todo_kind, eng: Engine, tree: Path) -> None:  # type: ignore[no-untyped-def]
    eng.index([tree])
    plans_only = eng.search("milk", SearchFilters(status="pending"), kind="all", limit=10)
    assert plans_only and {h.kind_name for h in plans_only} == {"plans"}
    todo_only = eng.search("garden", {"done": "true"}, kind="all", limit=10)
    assert [h.title for h in todo_only] == ["water the garden plants"]
    with pytest.raises(UsageError, match="no kind has the filter"):
        eng.search("milk", {"done": "true", "status": "pending"}, kind="all")
