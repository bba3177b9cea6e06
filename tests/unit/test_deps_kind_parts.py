"""The dependencies kind's parts on records built here: filters, pairing, offline descriptions,
documents (purl, anchors, titles)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planvec.errors import UsageError
from planvec.kinds.dependencies import Dependency, DepFile, describe, resolve
from planvec.kinds.dependencies.documents import anchors, dense_text, purl, title_of
from planvec.kinds.dependencies.filters import DependencyFilters
from planvec.store.base import Filters, Match, MatchAny

FILTERS = DependencyFilters()
KNOWN = {
    "manifest": ["api/requirements.txt", "web/package.json"],
    "file": ["api/requirements.txt", "web/package.json"],
}


def _store(values: dict) -> Filters:  # type: ignore[type-arg]
    return FILTERS.to_store(values, lambda field: KNOWN[field])


def dep(
    eco: str, name: str, spec: str = "", version: str | None = None, kind: str = "runtime", **kw
) -> Dependency:  # type: ignore[no-untyped-def]
    return Dependency(eco, name, spec, version, kind, kw.pop("direct", True), kw.pop("line", 1), **kw)


# -- filters ----------------------------------------------------------------------------------------
def test_filters_accept_strings_and_typed_values() -> None:
    assert _store({"ecosystem": "npm,golang", "dev": "true", "direct": False}) == Filters(
        (MatchAny("ecosystem", ("npm", "go")), Match("dev", True), Match("direct", False))
    )
    assert _store({"ecosystem": ("Python",), "dep_type": "dev,peer"}) == Filters(
        (MatchAny("ecosystem", ("pypi",)), MatchAny("dep_type", ("dev", "peer")))
    )
    assert _store({"vulnerable": "yes"}) == Filters(
        (MatchAny("advisory", ("affected", "possibly_affected")),)
    )
    assert _store({"vulnerable": False}) == Filters((MatchAny("advisory", ("none", "unknown")),))
    assert _store({"name": "Django_REST"}) == Filters((MatchAny("name", ("Django_REST", "django-rest")),))
    assert _store({"dev": "", "manifest": " "}) == Filters()  # empty: any


def test_globs_resolve_against_the_indexed_paths() -> None:
    assert _store({"manifest": "api/*"}) == Filters((MatchAny("manifest", ("api/requirements.txt",)),))
    assert _store({"file_glob": "package.json"}) == Filters((MatchAny("file", ("web/package.json",)),))
    assert _store({"manifest": "nothing/*"}) == Filters((MatchAny("manifest", ()),))  # matches nothing


@pytest.mark.parametrize(
    ("values", "message", "hint"),
    [
        ({"ecosystem": "ruby"}, "unknown ecosystem 'ruby'", "use one of pypi, npm, go, cargo, maven"),
        (
            {"dep_type": "test"},
            "unknown dependency type test",
            "use one of runtime, dev, optional, peer, build",
        ),
        ({"direct": "maybe"}, "direct must be true or false, not 'maybe'", "e.g. filter=direct=true"),
        ({"vulnerable": 2}, "vulnerable must be true or false", "e.g. filter=vulnerable=true"),
    ],
)
def test_filter_values_that_can_never_match(values: dict, message: str, hint: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(UsageError, match=message) as err:
        FILTERS.check(values)
    assert err.value.hint == hint


# -- pairing ----------------------------------------------------------------------------------------
def _combined(files: list[tuple[str, DepFile]]) -> dict[tuple[str, str], DepFile]:
    return {(root, r.path): r.file for root, r in resolve.combine(files, None)}


def test_a_lockfile_pairs_with_the_manifest_of_its_own_directory_and_root() -> None:
    manifest = DepFile(
        "a/Pipfile", "Pipfile", False, (dep("pypi", "requests", "*"), dep("pypi", "black", "*", kind="dev"))
    )
    lock = DepFile(
        "a/Pipfile.lock",
        "Pipfile.lock",
        True,
        (
            dep("pypi", "requests", "", "2.31.0", direct=False),
            dep("pypi", "black", "", "24.1.0", direct=False),
            dep("pypi", "idna", "", "3.6", direct=False),
        ),
    )
    elsewhere = DepFile(
        "b/Pipfile.lock", "Pipfile.lock", True, (dep("pypi", "requests", "", "1.0", direct=False),)
    )
    got = _combined([("/r", manifest), ("/r", lock), ("/r", elsewhere), ("/other", lock)])
    assert [(d.name, d.version) for d in got[("/r", "a/Pipfile")].dependencies] == [
        ("requests", "2.31.0"),
        ("black", "24.1.0"),
    ]
    paired = {d.name: (d.direct, d.dep_type) for d in got[("/r", "a/Pipfile.lock")].dependencies}
    assert paired == {"requests": (True, "runtime"), "black": (True, "dev"), "idna": (False, "runtime")}
    assert [d.direct for d in got[("/r", "b/Pipfile.lock")].dependencies] == [False]  # another directory
    assert [d.direct for d in got[("/other", "a/Pipfile.lock")].dependencies] == [
        False,
        False,
        False,
    ]  # another root


def test_npm_prefers_the_top_level_copy_and_the_shrinkwrap() -> None:
    manifest = DepFile("package.json", "package.json", False, (dep("npm", "debug", "^4"),))
    lock = DepFile(
        "package-lock.json",
        "package-lock.json",
        True,
        (dep("npm", "debug", "", "2.6.9", direct=False), dep("npm", "debug", "", "4.3.4", direct=True)),
    )
    shrinkwrap = DepFile(
        "npm-shrinkwrap.json", "npm-shrinkwrap.json", True, (dep("npm", "debug", "", "4.3.5", direct=False),)
    )
    got = _combined([("/r", manifest), ("/r", lock)])
    assert got[("/r", "package.json")].dependencies[0].version == "4.3.4"
    assert [d.direct for d in got[("/r", "package-lock.json")].dependencies] == [False, True]
    got = _combined([("/r", manifest), ("/r", lock), ("/r", shrinkwrap)])
    assert got[("/r", "package.json")].dependencies[0].version == "4.3.5"  # npm reads the shrinkwrap first


def test_without_a_lockfile_nothing_changes() -> None:
    manifest = DepFile("Cargo.toml", "Cargo.toml", False, (dep("cargo", "serde", "1.0"),))
    assert _combined([("/r", manifest)])[("/r", "Cargo.toml")] == manifest


# -- descriptions -------------------------------------------------------------------------------------
def test_npm_descriptions_read_only_the_names_asked_inside_node_modules(tmp_path: Path) -> None:
    (tmp_path / "node_modules" / "@scope" / "pkg").mkdir(parents=True)
    (tmp_path / "node_modules" / "@scope" / "pkg" / "package.json").write_text(
        json.dumps({"description": "  A   scoped\npackage  "}), encoding="utf-8"
    )
    (tmp_path / "node_modules" / "broken").mkdir()
    (tmp_path / "node_modules" / "broken" / "package.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "package.json").write_text(
        json.dumps({"description": "outside"}), encoding="utf-8"
    )
    got = describe.npm_descriptions(tmp_path, ["@scope/pkg", "broken", "missing", "../secret", "/etc"])
    assert got == {"@scope/pkg": "A scoped package"}
    assert describe.npm_descriptions(tmp_path / "nowhere", ["x"]) == {}


def test_python_summaries_from_a_virtualenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    for dist, summary in (
        ("Django_REST-1.0", "REST for Django"),
        ("plain-2.0", "UNKNOWN"),
        ("long-1.0", "x" * 500),
    ):
        (site / f"{dist}.dist-info").mkdir(parents=True)
        (site / f"{dist}.dist-info" / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nSummary: {summary}\n\nSummary: not a header\n",
            encoding="utf-8",
        )
    got = describe.python_descriptions(tmp_path, ["django-rest", "plain", "long", "absent"])
    assert got["django-rest"] == "REST for Django" and "plain" not in got and "absent" not in got
    assert len(got["long"]) == describe.MAX_CHARS and got["long"].endswith("…")
    monkeypatch.setattr(describe, "MAX_READS", 1)
    assert describe.python_descriptions(tmp_path, ["django-rest", "long"]) == {
        "django-rest": "REST for Django"
    }


def test_descriptions_land_in_the_records_once_per_directory(tmp_path: Path) -> None:
    (tmp_path / "requirements").mkdir()
    site = tmp_path / ".venv" / "lib" / "python3.12" / "site-packages" / "requests-2.31.0.dist-info"
    site.mkdir(parents=True)
    (site / "METADATA").write_text("Name: requests\nSummary: Python HTTP for Humans.\n", encoding="utf-8")
    reqs = DepFile("requirements/base.txt", "requirements", False, (dep("pypi", "requests", ">=2"),))
    got = _combined([(tmp_path.as_posix(), reqs)])
    assert (
        got[(tmp_path.as_posix(), "requirements/base.txt")].dependencies[0].description
        == "Python HTTP for Humans."
    )
    assert (
        _combined([("", reqs)])[("", "requirements/base.txt")] == reqs
    )  # parsed from text alone: nothing read


# -- documents ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (dep("npm", "@types/node", "", "20.1.0"), "pkg:npm/%40types/node@20.1.0"),
        (dep("pypi", "requests", "==2.31.0", "2.31.0"), "pkg:pypi/requests@2.31.0"),
        (
            dep("go", "github.com/gin-gonic/gin", "v1.10.1", "v1.10.1"),
            "pkg:golang/github.com/gin-gonic/gin@v1.10.1",
        ),
        (dep("cargo", "serde", "1.0"), "pkg:cargo/serde"),
        (dep("maven", "org.junit:junit", "4.13", "4.13"), "pkg:maven/org.junit/junit@4.13"),
    ],
)
def test_purl(record: Dependency, expected: str) -> None:
    assert purl(record) == expected


def test_anchors_titles_and_texts() -> None:
    same = [
        dep("npm", "debug", "", "4.3.4"),
        dep("npm", "debug", "", "4.3.4"),
        dep("npm", "debug", "", "2.6.9"),
    ]
    lock_anchors = anchors(same, lockfile=True)
    assert len(set(lock_anchors)) == 3 and lock_anchors[1] == lock_anchors[0] + "#2"
    declared = [dep("pypi", "tomli", ">=2", marker='python_version < "3.11"'), dep("pypi", "tomli", ">=1")]
    assert len(set(anchors(declared, lockfile=False))) == 2  # the marker tells them apart
    assert title_of(dep("npm", "axios", "^1.6.0", "1.6.2")) == "axios ^1.6.0 (locked 1.6.2)"
    assert title_of(dep("pypi", "requests", "==2.31.0", "2.31.0")) == "requests ==2.31.0"
    assert title_of(dep("npm", "lodash", "", "4.17.21")) == "lodash 4.17.21"
    described = dep("pypi", "requests", "==2.31.0", "2.31.0", description="Python HTTP for Humans.")
    assert dense_text(described, "src/langchain/requirements.txt") == (
        "requests 2.31.0 runtime Python HTTP for Humans. (pypi, src/langchain/requirements.txt)"
    )
    assert (
        dense_text(dep("npm", "jest", "^29.0.0", kind="dev"), "package.json")
        == "jest ^29.0.0 dev (npm, package.json)"
    )
