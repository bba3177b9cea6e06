"""Conflicts between manifests and lockfiles, on records with known answers."""

from __future__ import annotations

from planvec.kinds.dependencies.conflicts import INCOMPATIBLE, MISMATCH, find_conflicts
from planvec.kinds.dependencies.records import Dependency, DepFile


def dep(
    eco: str, name: str, spec: str = "", version: str | None = None, line: int = 1, **kw: object
) -> Dependency:
    return Dependency(eco, name, spec, version, str(kw.pop("dep_type", "runtime")), True, line, **kw)  # type: ignore[arg-type]


def manifest(path: str, *deps: Dependency) -> DepFile:
    return DepFile(path, "manifest", False, deps)


def lockfile(path: str, *deps: Dependency) -> DepFile:
    return DepFile(path, "lock", True, deps)


def test_same_specifiers_no_conflict() -> None:
    r = find_conflicts(
        [
            manifest("a/package.json", dep("npm", "lodash", "^4.17.21", line=5)),
            manifest("b/package.json", dep("npm", "lodash", "^4.17.21", line=9)),
        ]
    )
    assert r.conflicts == [] and r.skipped == []


def test_mismatch_only() -> None:
    r = find_conflicts(
        [
            manifest("a/package.json", dep("npm", "lodash", "^4.17.0", line=5)),
            manifest("b/package.json", dep("npm", "lodash", "^4.17.21", line=9)),
        ]
    )
    assert [c.level for c in r.conflicts] == [MISMATCH]
    (c,) = r.conflicts
    assert c.reason == "specifiers_differ" and c.name == "lodash"
    assert [s.where for s in c.sides] == ["a/package.json:5", "b/package.json:9"]
    assert not r.incompatible


def test_pypi_equivalent_specifiers_are_not_a_mismatch() -> None:
    r = find_conflicts(
        [
            manifest("a/requirements.txt", dep("pypi", "requests", ">=2,<3")),
            manifest("b/requirements.txt", dep("pypi", "requests", "<3, >=2")),
        ]
    )
    assert r.conflicts == []


def test_incompatible_by_ranges_names_both_sides() -> None:
    r = find_conflicts(
        [
            manifest("svc/requirements.txt", dep("pypi", "requests", ">=2.28,<3", line=3)),
            manifest("tools/requirements.txt", dep("pypi", "requests", "<2", line=7)),
            manifest("web/requirements.txt", dep("pypi", "requests", ">=2.30", line=2)),
        ]
    )
    assert len(r.mismatches) == 1 and len(r.mismatches[0].sides) == 3
    (c,) = r.incompatible  # one conflict per package, each disjoint pair named
    assert c.reason == "no_common_version"
    assert [s.where for s in c.sides] == [
        "svc/requirements.txt:3",
        "tools/requirements.txt:7",
        "web/requirements.txt:2",
    ]
    assert sorted(c.pairs) == [(0, 1), (1, 2)]
    assert "'>=2.28,<3' and '<2'" in c.message


def test_npm_majors_are_incompatible_cargo_minor_zero_too() -> None:
    r = find_conflicts(
        [
            manifest("a/package.json", dep("npm", "react", "^17.0.2")),
            manifest("b/package.json", dep("npm", "react", "^18.2.0")),
            manifest("a/Cargo.toml", dep("cargo", "rand", "0.7")),
            manifest("b/Cargo.toml", dep("cargo", "rand", "0.8.5")),
        ]
    )
    assert sorted((c.ecosystem, c.name) for c in r.incompatible) == [("cargo", "rand"), ("npm", "react")]


def test_locked_version_violating_another_manifest() -> None:
    r = find_conflicts(
        [
            manifest("app/package.json", dep("npm", "lodash", "^4.17.0", line=12)),
            lockfile("app/package-lock.json", dep("npm", "lodash", "", "4.17.21", line=300)),
            manifest("lib/package.json", dep("npm", "lodash", "~4.16.0", line=8)),
        ]
    )
    locked = [c for c in r.incompatible if c.reason == "locked_outside"]
    assert len(locked) == 1
    assert [s.where for s in locked[0].sides] == ["lib/package.json:8", "app/package-lock.json:300"]
    assert (
        locked[0].message
        == "app/package-lock.json locks lodash 4.17.21, outside '~4.16.0' of lib/package.json"
    )
    assert locked[0].sides[1].lockfile and locked[0].sides[1].version == "4.17.21"
    # ... and ^4.17.0 vs ~4.16.0 admit no common version either
    assert any(c.reason == "no_common_version" for c in r.incompatible)


def test_one_lockfile_conflict_lists_every_manifest_it_violates() -> None:
    r = find_conflicts(
        [
            lockfile("package-lock.json", dep("npm", "@types/node", "", "16.18.126", line=20)),
            manifest("a/package.json", dep("npm", "@types/node", "^22.10.7", line=67)),
            manifest("b/package.json", dep("npm", "@types/node", "^18.11.18", line=47)),
            manifest("c/package.json", dep("npm", "@types/node", "^16.11.7", line=99)),
        ]
    )
    (locked,) = [c for c in r.incompatible if c.reason == "locked_outside"]
    assert [s.where for s in locked.sides] == [
        "a/package.json:67",
        "b/package.json:47",
        "package-lock.json:20",
    ]
    (disjoint,) = [c for c in r.incompatible if c.reason == "no_common_version"]
    assert len(disjoint.sides) == 3 and len(disjoint.pairs) == 3


def test_lockfile_holding_one_satisfying_version_is_fine() -> None:
    # npm nests: a lockfile may hold several versions of one package
    r = find_conflicts(
        [
            manifest("lib/package.json", dep("npm", "debug", "^2.6.0")),
            lockfile(
                "app/package-lock.json",
                dep("npm", "debug", "", "4.3.4", line=10),
                dep("npm", "debug", "", "2.6.9", line=40),
            ),
        ]
    )
    assert r.incompatible == []


def test_same_file_twice_is_not_a_mismatch() -> None:
    # one requirements file may pin differently per marker
    r = find_conflicts(
        [
            manifest(
                "requirements.txt",
                dep("pypi", "numpy", "<2", line=1, marker='python_version < "3.9"'),
                dep("pypi", "numpy", ">=2", line=2, marker='python_version >= "3.9"'),
            )
        ]
    )
    assert r.conflicts == []


def test_unreadable_specifiers_are_listed_not_dropped() -> None:
    r = find_conflicts(
        [
            manifest("a/package.json", dep("npm", "left-pad", "latest", line=4)),
            manifest("b/package.json", dep("npm", "left-pad", "^1.3.0", line=6)),
            manifest("c/pom.xml", dep("maven", "org.x:y", "${y.version}", line=30)),
            manifest("d/pom.xml", dep("maven", "org.x:y", "[1.0,2.0)", line=31)),
        ]
    )
    assert {(s.file, s.line) for s in r.skipped} == {("a/package.json", 4), ("c/pom.xml", 30)}
    assert all(s.reason for s in r.skipped)
    assert len(r.mismatches) == 2 and r.incompatible == []


def test_urls_and_paths_do_not_take_part() -> None:
    r = find_conflicts(
        [
            manifest("a/requirements.txt", dep("pypi", "mylib", "", source="-e ./mylib")),
            manifest("b/requirements.txt", dep("pypi", "mylib", ">=1")),
        ]
    )
    assert r.conflicts == []


def test_maven_soft_versions_mismatch_ranges_conflict() -> None:
    r = find_conflicts(
        [
            manifest("a/pom.xml", dep("maven", "com.google.guava:guava", "31.1-jre")),
            manifest("b/pom.xml", dep("maven", "com.google.guava:guava", "32.0.0-jre")),
            manifest("a/pom.xml", dep("maven", "org.slf4j:slf4j-api", "[1.7,2.0)")),
            manifest("b/pom.xml", dep("maven", "org.slf4j:slf4j-api", "[2.0.9]")),
        ]
    )
    assert [(c.level, c.name) for c in r.conflicts] == [
        (MISMATCH, "com.google.guava:guava"),
        (MISMATCH, "org.slf4j:slf4j-api"),
        (INCOMPATIBLE, "org.slf4j:slf4j-api"),
    ]


def test_go_versions_only_mismatch_major_paths_conflict() -> None:
    r = find_conflicts(
        [
            manifest(
                "go.mod",
                dep("go", "github.com/redis/go-redis/v9", "v9.11.0", line=12),
                dep("go", "github.com/spf13/cobra", "v1.8.0", line=13),
            ),
            manifest(
                "svc/go.mod",
                dep("go", "github.com/redis/go-redis/v8", "v8.11.5", line=5),
                dep("go", "github.com/spf13/cobra", "v1.7.0", line=6),
            ),
        ]
    )
    levels = sorted((c.level, c.reason, c.name) for c in r.conflicts)
    assert levels == [
        (INCOMPATIBLE, "major_paths", "github.com/redis/go-redis"),
        (MISMATCH, "specifiers_differ", "github.com/spf13/cobra"),
    ]
    major = r.incompatible[0]
    assert {(s.name, s.where) for s in major.sides} == {
        ("github.com/redis/go-redis/v9", "go.mod:12"),
        ("github.com/redis/go-redis/v8", "svc/go.mod:5"),
    }


def test_go_v1_and_v2_paths() -> None:
    r = find_conflicts(
        [
            manifest("a/go.mod", dep("go", "example.com/mod", "v1.5.0")),
            manifest("b/go.mod", dep("go", "example.com/mod/v2", "v2.0.1")),
        ]
    )
    assert [(c.reason, c.name) for c in r.conflicts] == [("major_paths", "example.com/mod")]


def test_go_replace_conflicts() -> None:
    r = find_conflicts(
        [
            manifest(
                "a/go.mod",
                dep("go", "example.com/lib", "v1.4.0", line=3),
                dep("go", "example.com/lib", "", line=9, source="=> example.com/fork/lib v1.1.0"),
            ),
            manifest("b/go.mod", dep("go", "example.com/lib", "v1.4.0", line=4)),
            manifest("c/go.mod", dep("go", "example.com/lib", "", line=7, source="=> ../lib")),
        ]
    )
    reasons = sorted(c.reason for c in r.incompatible)
    assert reasons == ["replace_below_required", "replace_targets_differ"]
    below = next(c for c in r.incompatible if c.reason == "replace_below_required")
    assert [s.where for s in below.sides] == ["a/go.mod:9", "b/go.mod:4"]


def test_go_local_replace_alone_is_fine() -> None:
    r = find_conflicts(
        [
            manifest("go.mod", dep("go", "example.com/x/errors", "", line=20, source="=> ./errors")),
            manifest("errors/go.mod", dep("go", "github.com/pkg/errors", "v0.9.1")),
        ]
    )
    assert r.conflicts == []


def test_to_dict_is_json_ready() -> None:
    import json

    r = find_conflicts(
        [
            manifest("a/package.json", dep("npm", "react", "^17.0.2")),
            manifest("b/package.json", dep("npm", "react", "^18.2.0")),
        ]
    )
    data = json.loads(json.dumps([c.to_dict() for c in r.conflicts]))
    assert {d["level"] for d in data} == {"mismatch", "incompatible"}
    assert data[0]["sides"][0]["where"] == "a/package.json:1"
