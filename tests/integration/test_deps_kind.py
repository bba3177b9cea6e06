"""The dependencies kind end to end on a real Qdrant Edge store and the real model: index a small
project (manifests paired with lockfiles, offline descriptions), search it with each filter, list
it (``deps list``), through the Engine and the CLI; and the shared corpus's real manifests."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from deps_fixtures import PACKAGE_LOCK, is_placeholder, use_stand_ins, write_project
from planvec.cli import main
from planvec.engine import Engine
from planvec.errors import UsageError
from planvec.kinds import REGISTRY, Source
from planvec.kinds.dependencies import DEPENDENCIES, formats, golang, npm, python
from planvec.records import FileProblem
from planvec.settings import Settings

SHARED = Path(os.environ.get("PLANVEC_SHARED_DIR") or Path(__file__).resolve().parents[3] / "shared")
CORPUS_REPO = SHARED / "corpus" / "repo"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_stand_ins(monkeypatch)
    return write_project(tmp_path / "project")


@pytest.fixture
def eng(tmp_path: Path, embedder) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    with Engine(Settings(data_dir=tmp_path / "data"), embedder=embedder) as e:
        yield e


def _points(eng: Engine) -> dict[tuple[str, str], dict]:  # type: ignore[type-arg]
    return {(p.payload["file"], p.payload["name"]): p.payload for p in eng.store.scroll("dependencies")}


def test_registered_with_its_collection_and_globs() -> None:
    assert "dependencies" in REGISTRY.names() and REGISTRY.get("dependencies") is DEPENDENCIES
    config = DEPENDENCIES.configure(Settings(data_dir=Path("/tmp/x")))
    assert dict(config.collections) == {"packages": "dependencies"}
    assert config.options["advisories"] == "/tmp/x/advisories.sqlite"
    for rel in (
        "package.json",
        "a/b/go.mod",
        "req/requirements-dev.txt",
        "requirements/test.txt",
        "x/Cargo.lock",
    ):
        assert DEPENDENCIES.claims(rel, config), rel
    for rel in ("README.md", "a/package.json.bak", "notes.txt"):
        assert not DEPENDENCIES.claims(rel, config), rel


def test_a_parser_that_raises_is_a_file_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(source: Source) -> object:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(formats, "PARSERS", (("package.json", broken),))
    got = DEPENDENCIES.parse(Source("web/package.json", "{}"))
    assert got == FileProblem(
        "web/package.json", "dependency parsing failed: RecursionError: maximum recursion depth exceeded"
    )


def test_index_pairs_describes_and_resyncs_to_nothing(eng: Engine, project: Path) -> None:
    report = eng.index([project], kinds=["dependencies"])
    assert report.problems == [] and list(report.kinds) == ["dependencies"]
    assert report.kinds["dependencies"].files == 4 and report.kinds["dependencies"].documents == {
        "packages": 10
    }
    info = eng.store.collection_info("dependencies")
    assert info is not None and info.points == 10
    assert set(info.payload_indexes) == {
        "ecosystem", "name", "dep_type", "dev", "direct", "manifest", "advisory", "file", "kind",
        "content_hash", "sensitivity",  # (the indexes every collection gets: sync, secrets)
    }  # fmt: skip
    points = _points(eng)
    axios = points[("web/package.json", "axios")]
    assert (axios["specifier"], axios["version"], axios["direct"], axios["dep_type"]) == (
        "^1.6.0",
        "1.6.2",
        True,
        "runtime",
    )
    assert axios["description"] == "Promise based HTTP client for the browser and node.js"
    assert axios["title"] == "axios ^1.6.0 (locked 1.6.2)" and axios["purl"] == "pkg:npm/axios@1.6.2"
    assert (
        axios["text"]
        == "axios 1.6.2 runtime Promise based HTTP client for the browser and node.js (npm, web/package.json)"
    )
    assert (axios["kind"], axios["manifest"], axios["lockfile"], axios["advisory"]) == (
        "dependency",
        "web/package.json",
        False,
        "unknown",
    )
    locked = points[("web/package-lock.json", "axios")]
    assert locked["direct"] is True and locked["version"] == "1.6.2" and locked["lockfile"] is True
    assert points[("web/package-lock.json", "follow-redirects")]["direct"] is False
    jest = points[("web/package-lock.json", "jest")]
    assert (jest["dep_type"], jest["dev"], jest["direct"]) == ("dev", True, True)
    requests = points[("api/requirements.txt", "requests")]
    assert requests["text"] == "requests 2.31.0 runtime Python HTTP for Humans. (pypi, api/requirements.txt)"
    assert requests["title"] == "requests ==2.31.0" and requests["purl"] == "pkg:pypi/requests@2.31.0"
    assert points[("api/requirements-dev.txt", "pytest")]["dev"] is True
    assert points[("api/requirements.txt", "flask")]["description"] == ""  # not installed: no description
    again = eng.index([project], kinds=["dependencies"])
    assert (again.embedded, again.added, again.updated, again.deleted) == (0, 0, 0, 0)


def test_an_edit_of_the_lockfile_touches_its_points_only(eng: Engine, project: Path) -> None:
    eng.index([project], kinds=["dependencies"])
    ids = {k: p["content_hash"] for k, p in _points(eng).items()}
    lock = json.loads(json.dumps(PACKAGE_LOCK))
    lock["packages"]["node_modules/axios"]["version"] = "1.6.3"
    del lock["packages"]["node_modules/follow-redirects"]
    (project / "web" / "package-lock.json").write_text(json.dumps(lock, indent=2), encoding="utf-8")
    report = eng.index([project], kinds=["dependencies"])
    # the locked axios is another point (a lockfile's anchor holds the version); the manifest's
    # axios gets the new version (its text changes); follow-redirects is gone
    assert (report.added, report.deleted, report.updated) == (1, 2, 1)
    points = _points(eng)
    assert points[("web/package.json", "axios")]["version"] == "1.6.3"
    assert ("web/package-lock.json", "follow-redirects") not in points
    same = [k for k in ids if k in points and points[k]["content_hash"] == ids[k]]
    assert len(same) == 7


def test_search_with_each_filter(eng: Engine, project: Path) -> None:
    eng.index([project], kinds=["dependencies"])
    hits = eng.search("http client library", kind="dependencies", limit=3)
    assert hits[0].kind_name == "dependencies" and hits[0].fields["name"] in ("axios", "requests")
    assert {"ecosystem", "name", "version", "dep_type", "direct", "advisory"} <= set(hits[0].fields)
    testing = eng.search("testing framework", {"ecosystem": "pypi"}, kind="dependencies", limit=1)
    assert testing[0].fields["name"] == "pytest"
    dev = eng.search("javascript", {"ecosystem": "npm", "dev": "true"}, kind="dependencies")
    assert {h.file for h in dev} == {"web/package.json", "web/package-lock.json"}
    assert {h.fields["name"] for h in dev} == {"jest"}
    transitive = eng.search("redirects", {"direct": False}, kind="dependencies")
    assert [h.fields["name"] for h in transitive] == ["follow-redirects"]
    in_api = eng.search("package", {"manifest": "api/*"}, kind="dependencies")
    assert {h.file for h in in_api} == {"api/requirements.txt", "api/requirements-dev.txt"}
    assert (
        eng.search("package", {"file_glob": "requirements-dev.txt"}, kind="dependencies")[0].fields["name"]
        == "pytest"
    )
    assert eng.search("http", {"vulnerable": True}, kind="dependencies") == []  # no advisories imported
    assert len(eng.search("http", {"vulnerable": "false"}, kind="dependencies", limit=20)) == 10
    named = eng.search("x", {"name": "Requests", "dep_type": "runtime"}, kind="dependencies")
    assert [h.fields["name"] for h in named] == ["requests"]
    assert eng.search("x", {"ecosystem": "golang"}, kind="dependencies") == []
    with pytest.raises(UsageError, match="unknown ecosystem 'ruby'") as err:
        eng.search("x", {"ecosystem": "ruby"}, kind="dependencies")
    assert err.value.hint == "use one of pypi, npm, go, cargo, maven"
    with pytest.raises(UsageError, match="dev must be true or false"):
        eng.search("x", {"dev": "maybe"}, kind="dependencies")
    with pytest.raises(UsageError, match="kind 'dependencies' has no filter status"):
        eng.search("x", {"status": "pending"}, kind="dependencies")
    fused = eng.search("http client", kind="all", limit=5)
    assert {h.kind_name for h in fused} == {"dependencies"}


def test_listing_sorted_filtered_paged(eng: Engine, project: Path, tmp_path: Path) -> None:
    with Engine(Settings(data_dir=tmp_path / "empty")) as empty:
        nothing = empty.dependencies()
    assert (nothing.indexed, nothing.total, nothing.rows) == (False, 0, [])
    eng.index([project], kinds=["dependencies"])
    listing = eng.dependencies()
    assert listing.indexed and listing.total == 10
    names = [(r["ecosystem"], r["name"], r["file"]) for r in listing.rows]
    assert names == sorted(names, key=lambda t: (t[0], t[1].lower(), t[2]))
    assert names[0] == ("npm", "axios", "web/package-lock.json")
    page = eng.dependencies(limit=3, offset=8)
    assert page.total == 10 and [r["name"] for r in page.rows] == ["pytest", "requests"]
    dev = eng.dependencies({"dev": "true"})
    assert sorted((r["name"], r["file"]) for r in dev.rows) == [
        ("jest", "web/package-lock.json"),
        ("jest", "web/package.json"),
        ("pytest", "api/requirements-dev.txt"),
    ]
    assert [r["name"] for r in eng.dependencies({"direct": False}).rows] == ["follow-redirects"]
    assert eng.dependencies({"manifest": "web/package.json"}).total == 3
    assert eng.dependencies(paths=[project / "api"]).total == 3
    assert eng.dependencies({"ecosystem": ["npm", "pypi"], "vulnerable": False}).total == 10
    with pytest.raises(UsageError, match="unknown ecosystem"):
        eng.dependencies({"ecosystem": "ruby"})
    with pytest.raises(UsageError, match="has no filter status"):
        eng.dependencies({"status": "pending"})


def test_malformed_manifest_is_a_problem_the_rest_indexes(eng: Engine, project: Path) -> None:
    (project / "api" / "requirements.txt").write_text(
        "requests==2.31.0\nnot a requirement ==\n", encoding="utf-8"
    )
    (project / "web" / "package.json").write_text('{"dependencies": {"axios": }', encoding="utf-8")
    report = eng.index([project], kinds=["dependencies"])
    by_file = {p.path: p for p in report.problems}
    assert set(by_file) == {"api/requirements.txt", "web/package.json"}
    assert by_file["api/requirements.txt"].line == 2 and by_file["web/package.json"].line == 1
    assert report.exit_code == 3
    points = _points(eng)
    assert ("api/requirements.txt", "requests") in points and ("web/package-lock.json", "axios") in points


def test_cli_index_search_flags_and_list(project: Path, tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PLANVEC_HOME", str(tmp_path / "cli-home"))
    code = main(["deps", "list"])
    assert code == 0 and capsys.readouterr().out.strip() == "no dependencies indexed: planvec index PATH"
    code = main(["index", str(project), "--kind", "dependencies", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["added"] == 10 and list(report["kinds"]) == ["dependencies"]
    code = main(["search", "promise based http client", "--kind", "dependencies", "--limit", "2"])
    out = capsys.readouterr().out
    assert code == 0 and "axios ^1.6.0 (locked 1.6.2)  npm runtime direct" in out
    assert "web/package.json:5  Promise based HTTP client" in out
    code = main(["search", "testing", "--kind", "dependencies", "--ecosystem", "npm", "--dev", "--json"])
    hits = json.loads(capsys.readouterr().out)
    assert code == 0 and {h["fields"]["name"] for h in hits} == {"jest"}
    code = main(["search", "x", "--kind", "dependencies", "--transitive", "--json"])
    assert code == 0 and [h["fields"]["name"] for h in json.loads(capsys.readouterr().out)] == [
        "follow-redirects"
    ]
    code = main(
        ["search", "x", "--kind", "dependencies", "--direct", "--no-dev", "--manifest", "api/*", "--json"]
    )
    assert code == 0 and {h["fields"]["name"] for h in json.loads(capsys.readouterr().out)} == {
        "requests",
        "flask",
    }
    code = main(["search", "x", "--kind", "dependencies", "--vulnerable", "--json"])
    assert code == 0 and json.loads(capsys.readouterr().out) == []
    code = main(["search", "x", "--kind", "dependencies", "--ecosystem", "ruby"])
    err = capsys.readouterr().err
    assert code == 2 and "unknown ecosystem 'ruby'" in err and "pypi, npm, go, cargo, maven" in err
    code = main(["search", "x", "--ecosystem", "npm"])  # the plans kind has no such filter
    err = capsys.readouterr().err
    assert code == 2 and "kind 'plans' has no filter ecosystem" in err and "Traceback" not in err
    code = main(["deps", "list"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0 and lines[0].split() == [
        "ecosystem",
        "name",
        "specifier",
        "resolved",
        "type",
        "direct",
        "file:line",
        "advisory",
    ]
    first = lines[1].split()  # (a lockfile entry's specifier: "-", or what the root entry declares)
    assert first[:2] == ["npm", "axios"] and first[3:6] == ["1.6.2", "runtime", "direct"]
    assert first[6].startswith("web/package-lock.json:") and first[7] == "unknown"
    assert lines[-1] == "10 dependencies"
    code = main(["deps", "list", "--ecosystem", "pypi", "--dev", "--json"])
    listing = json.loads(capsys.readouterr().out)
    assert code == 0 and listing["total"] == 1 and listing["dependencies"][0]["name"] == "pytest"
    code = main(["deps", "list", str(project / "web"), "--transitive", "--limit", "5"])
    out = capsys.readouterr().out
    assert code == 0 and "follow-redirects" in out and "1 dependency" in out
    code = main(["deps", "list", "--filter", "dev=perhaps"])
    assert code == 2 and "dev must be true or false" in capsys.readouterr().err
    code = main(["deps", "list", "--name", "nothing-like-it"])
    assert code == 0 and "no dependency matches" in capsys.readouterr().out


def test_advisories_land_in_the_payload(project: Path, tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """With advisories imported (OSV JSON, ``planvec advisories import``), the locked axios 1.6.2 is
    affected, and ``--vulnerable`` finds it. Runs once the advisories commands exist."""
    from planvec.cli import app

    names = {g.name for g in app.registered_groups}
    if "advisories" not in names:
        pytest.skip("planvec advisories import is not there yet (merged with the audit's branch)")
    monkeypatch.setenv("PLANVEC_HOME", str(tmp_path / "cli-home"))
    osv = tmp_path / "osv"
    osv.mkdir()
    record = {
        "id": "GHSA-wf5p-g6vw-rhxx",
        "modified": "2024-01-02T00:00:00Z",
        "summary": "axios CSRF",
        "affected": [
            {
                "package": {"ecosystem": "npm", "name": "axios"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.6.3"}]}],
            }
        ],
    }
    (osv / "GHSA-wf5p-g6vw-rhxx.json").write_text(json.dumps(record), encoding="utf-8")
    assert main(["advisories", "import", str(osv)]) == 0
    capsys.readouterr()
    assert main(["index", str(project), "--kind", "dependencies"]) == 0
    capsys.readouterr()
    code = main(["deps", "list", "--vulnerable", "--json"])
    rows = json.loads(capsys.readouterr().out)["dependencies"]
    assert code == 0 and {(r["file"], r["name"]) for r in rows} >= {("web/package-lock.json", "axios")}
    locked = next(r for r in rows if r["file"] == "web/package-lock.json")
    assert locked["advisory"] == "affected" and "GHSA-wf5p-g6vw-rhxx" in locked["advisory_ids"]


REAL_PARSERS = not any(
    is_placeholder(p) for p in (golang.parse_go_mod, npm.parse_package_lock, python.parse_requirements)
)


@pytest.mark.skipif(
    not REAL_PARSERS, reason="the go.mod, package-lock.json and requirements parsers are placeholders"
)
@pytest.mark.skipif(not CORPUS_REPO.is_dir(), reason=f"shared corpus repo not found at {CORPUS_REPO}")
def test_real_repository(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The shared corpus's real manifests and lockfiles (Go, npm, Python) through the CLI."""
    repo = tmp_path / "repo"
    shutil.copytree(CORPUS_REPO, repo)
    monkeypatch.setenv("PLANVEC_HOME", str(tmp_path / "cli-home"))
    code = main(["index", str(repo), "--kind", "dependencies", "--json"])
    report = json.loads(capsys.readouterr().out)
    deps = report["kinds"]["dependencies"]
    assert deps["files"] >= 20 and deps["documents"]["packages"] > 500
    # a bad line is a problem with its line, never a whole file lost
    assert all(p["line"] is not None for p in report["problems"]), report["problems"]
    assert code in (0, 3)
    code = main(["search", "http client", "--kind", "dependencies", "--json", "--limit", "10"])
    names = {h["fields"]["name"] for h in json.loads(capsys.readouterr().out)}
    # (no descriptions offline here: the names carry the meaning, e.g. http-proxy-agent, go-client)
    assert code == 0 and any("http" in n or "client" in n for n in names), names
    code = main(["search", "testing framework", "--kind", "dependencies", "--json", "--limit", "10"])
    names = {h["fields"]["name"] for h in json.loads(capsys.readouterr().out)}
    testing = ("test", "jest", "mocha", "chai", "mock", "expect", "coverage")
    assert code == 0 and sum(any(t in n for t in testing) for n in names) >= 3, names
    code = main(
        [
            "search",
            "testing",
            "--kind",
            "dependencies",
            "--ecosystem",
            "go",
            "--direct",
            "--json",
            "--limit",
            "50",
        ]
    )
    hits = json.loads(capsys.readouterr().out)
    assert (
        code == 0 and hits and all(h["fields"]["ecosystem"] == "go" and h["fields"]["direct"] for h in hits)
    )
    assert "github.com/stretchr/testify" in {h["fields"]["name"] for h in hits}
    code = main(["deps", "list", str(repo / "go.mod"), "--ecosystem", "go", "--direct", "--json"])
    listing = json.loads(capsys.readouterr().out)
    direct = {r["name"] for r in listing["dependencies"]}  # the root go.mod's first require block
    assert code == 0 and {"github.com/gin-gonic/gin", "github.com/gorilla/mux", "gopkg.in/yaml.v3"} <= direct
    assert "github.com/beorn7/perks" not in direct  # // indirect
    code = main(["index", str(repo), "--kind", "dependencies", "--json"])
    again = json.loads(capsys.readouterr().out)
    assert again["embedded"] == 0 and again["added"] == 0 and again["deleted"] == 0


def test_a_lockfile_over_the_size_cap_is_a_problem_not_a_silent_skip(
    project: Path, tmp_path: Path, embedder
) -> None:  # type: ignore[no-untyped-def]
    """``max_file_bytes`` (default 5 MB) applies to lockfiles too: a bigger one is refused with a
    problem naming the limit (its points, if any, are kept), the rest of the project indexes; the
    manifest then has no locked versions."""
    lock = project / "web" / "package-lock.json"
    cap = lock.stat().st_size - 1
    assert all(p.stat().st_size <= cap for p in project.rglob("*") if p.is_file() and p != lock)
    with Engine(Settings(data_dir=tmp_path / "capped", max_file_bytes=cap), embedder=embedder) as eng:
        report = eng.index([project], kinds=["dependencies"])
        assert [p.path for p in report.problems] == ["web/package-lock.json"]
        assert f"over the {cap}-byte limit" in report.problems[0].reason and report.exit_code == 3
        points = _points(eng)
    assert len(points) == 6 and points[("web/package.json", "axios")]["version"] is None


def test_check_compares_files_and_points(eng: Engine, project: Path) -> None:
    eng.index([project], kinds=["dependencies"])
    clean = eng.check([project], kind="dependencies")
    assert clean.collection == "dependencies" and clean.tasks == 10 and clean.problems == []
    (project / "api" / "requirements.txt").write_text("requests==2.31.0\nhttpx>=0.27\n", encoding="utf-8")
    report = eng.check([project], kind="dependencies")
    assert [r.title for r in report.missing] == ["httpx >=0.27"]
    assert [r.title for r in report.orphaned] == ["flask >=2.0"]


def test_a_damaged_advisory_database_leaves_states_unknown_and_says_so(eng: Engine, project: Path) -> None:
    from planvec.kinds.dependencies.advisories import ADVISORIES_FILE, AdvisoryDB

    damaged = eng.settings.data_dir / ADVISORIES_FILE
    damaged.parent.mkdir(parents=True, exist_ok=True)
    damaged.write_bytes(b"this is not a database" * 100)
    try:
        AdvisoryDB.open(damaged)
        refused = False
    except Exception:
        refused = True
    report = eng.index([project], kinds=["dependencies"])
    assert report.problems == [] and report.added == 10
    assert {p["advisory"] for p in _points(eng).values()} == {"unknown"}
    said = [w for w in report.warnings if "could not be read" in w and "advisory states unknown" in w]
    assert len(said) == (1 if refused else 0)
