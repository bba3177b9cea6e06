"""npm parsers: package.json, package-lock.json (v1, v2, v3), yarn.lock v1, on the shared corpus and
on small inline files, the odd ones included."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from planvec.kinds.base import Source
from planvec.kinds.dependencies import npm
from planvec.kinds.dependencies.eco_common import json_lines
from planvec.kinds.dependencies.records import DepFile

SHARED = Path(os.environ.get("PLANVEC_SHARED_DIR") or Path(__file__).resolve().parents[2].parent / "shared")
REPO = SHARED / "corpus" / "repo"


def corpus(rel: str) -> Source:
    path = REPO / rel
    if not path.is_file():
        pytest.skip(f"shared corpus file not found: {path}")
    return Source(rel, path.read_text(encoding="utf-8"), root=str(REPO))


def by_name(parsed: DepFile) -> dict[str, list]:
    out: dict[str, list] = {}
    for dep in parsed.dependencies:
        out.setdefault(dep.name, []).append(dep)
    return out


# --------------------------------------------------------------------------------------------------
# the shared corpus

MANIFESTS = {  # rel -> (project, runtime, dev); counted by hand in each file
    "package.json": ("error-pattern-analyzer", 0, 4),
    ".vscode/extension/package.json": ("smart-email-sender-workspace", 0, 3),
    "indie-booking-crm/package.json": ("react_repo", 51, 16),
    "src/extensions/error-pattern-analyzer/package.json": ("error-pattern-analyzer", 0, 16),
    "src/n8n/nodes/package.json": ("n8n-nodes-mcp", 1, 12),
    "projet/roadmaps/visualization/package.json": ("metro-map-visualization", 4, 6),
    "servers/package.json": ("@upstash/context7-mcp", 3, 9),
}


@pytest.mark.parametrize("rel", sorted(MANIFESTS))
def test_corpus_manifests_parse_cleanly(rel: str) -> None:
    parsed = npm.parse_package_json(corpus(rel))
    project, runtime, dev = MANIFESTS[rel]
    assert parsed.problems == () and parsed.format == "package.json" and not parsed.lockfile
    assert parsed.project == project
    counts = Counter(d.dep_type for d in parsed.dependencies)
    assert (counts["runtime"], counts["dev"]) == (runtime, dev)
    lines = (REPO / rel).read_text(encoding="utf-8").split("\n")
    for dep in parsed.dependencies:
        assert dep.direct and dep.ecosystem == "npm"
        assert f'"{dep.name}"' in lines[dep.line - 1]  # the line of its declaration


LOCKS = {  # rel -> (entries, direct, nested copies, non-dev); counted with grep on each file
    "package-lock.json": (111, 4, 26, 0),
    ".vscode/extension/package-lock.json": (3, 3, 0, 0),
    "src/extensions/error-pattern-analyzer/package-lock.json": (275, 16, 36, 0),
    "projet/roadmaps/visualization/package-lock.json": (426, 10, 10, 10),
}


@pytest.mark.parametrize("rel", sorted(LOCKS))
def test_corpus_lockfiles_v3(rel: str) -> None:
    parsed = npm.parse_package_lock(corpus(rel))
    entries, direct, nested, non_dev = LOCKS[rel]
    assert parsed.problems == () and parsed.warnings == () and parsed.lockfile
    assert len(parsed.dependencies) == entries
    assert sum(d.direct for d in parsed.dependencies) == direct
    assert all(d.version for d in parsed.dependencies)
    lines = (REPO / rel).read_text(encoding="utf-8").split("\n")
    keys = [lines[d.line - 1].strip() for d in parsed.dependencies]
    assert all(
        k.startswith('"node_modules/') and k.endswith(f'{d.name}": {{')
        for k, d in zip(keys, parsed.dependencies, strict=True)
    )
    assert sum(k.count("node_modules/") > 1 for k in keys) == nested
    assert sum(d.dep_type != "dev" for d in parsed.dependencies) == non_dev


def test_corpus_lockfile_details() -> None:
    parsed = npm.parse_package_lock(corpus("projet/roadmaps/visualization/package-lock.json"))
    deps = by_name(parsed)
    (cytoscape,) = deps["cytoscape"]
    assert (cytoscape.specifier, cytoscape.dep_type, cytoscape.direct) == ("^3.25.0", "runtime", True)
    (fsevents,) = deps["fsevents"]
    assert fsevents.marker == "os=darwin" and fsevents.dep_type == "dev"  # dev wins over optional
    semver = sorted(d.version or "" for d in deps["semver"])
    assert len(semver) > 1 and len(set(semver)) > 1  # several copies, each kept
    assert all(not d.direct for d in deps["semver"])


# --------------------------------------------------------------------------------------------------
# package.json inline

MANIFEST = """{
  "name": "@acme/app",
  "workspaces": ["packages/*", "tools/cli"],
  "dependencies": {
    "lodash": "^4.17.21",
    "left-pad": "1.3.0",
    "exact": "=2.0.1",
    "alias": "npm:real-pkg@3.1.4",
    "gitdep": "git+https://github.com/acme/gitdep.git#v1.0.0",
    "short": "acme/short#main",
    "local": "file:../local",
    "ws": "workspace:*",
    "range": ">=1.2.3 <2",
    "tag": "latest",
    "bundled-one": "^1.0.0"
  },
  "devDependencies": {"jest": "~29.5.0"},
  "peerDependencies": {"react": "^18", "react-dom": "^18"},
  "peerDependenciesMeta": {"react-dom": {"optional": true}},
  "optionalDependencies": {"fsevents": "^2.3.2"},
  "bundledDependencies": ["bundled-one", "only-bundled"]
}
"""


def test_manifest_sections_specifiers_and_sources() -> None:
    parsed = npm.parse_package_json(Source("app/package.json", MANIFEST))
    assert parsed.problems == () and parsed.project == "@acme/app"
    deps = {d.name: d for d in parsed.dependencies}
    assert {n: (d.specifier, d.version, d.source) for n, d in deps.items() if d.dep_type == "runtime"} == {
        "lodash": ("^4.17.21", None, ""),
        "left-pad": ("1.3.0", "1.3.0", ""),
        "exact": ("=2.0.1", "2.0.1", ""),
        "alias": ("npm:real-pkg@3.1.4", "3.1.4", "npm:real-pkg@3.1.4"),
        "gitdep": (
            "git+https://github.com/acme/gitdep.git#v1.0.0",
            None,
            "git+https://github.com/acme/gitdep.git#v1.0.0",
        ),
        "short": ("acme/short#main", None, "acme/short#main"),
        "local": ("file:../local", None, "file:../local"),
        "ws": ("workspace:*", None, "workspace:*"),
        "range": (">=1.2.3 <2", None, ""),
        "tag": ("latest", None, ""),
        "bundled-one": ("^1.0.0", None, ""),
        "only-bundled": ("", None, ""),
    }
    assert (deps["jest"].dep_type, deps["react"].dep_type, deps["fsevents"].dep_type) == (
        "dev",
        "peer",
        "optional",
    )
    assert (deps["react"].group, deps["react-dom"].group) == ("", "optional")  # peerDependenciesMeta
    assert (deps["bundled-one"].group, deps["only-bundled"].group) == ("bundled", "bundled")
    assert deps["lodash"].line == 5 and deps["jest"].line == 17 and deps["only-bundled"].line == 21
    assert parsed.includes == ("app/packages/*", "app/tools/cli")  # relative to the root


def test_workspaces_object_form() -> None:
    parsed = npm.parse_package_json(Source("package.json", '{"workspaces": {"packages": ["a", "b/*"]}}'))
    assert parsed.includes == ("a", "b/*") and parsed.problems == () and parsed.project == ""


def test_bad_json_is_one_problem_with_its_line() -> None:
    parsed = npm.parse_package_json(
        Source("package.json", '{\n  "dependencies": {\n    "a": "^1",\n  }\n}\n')
    )
    assert parsed.dependencies == ()
    (problem,) = parsed.problems
    assert problem.path == "package.json" and problem.line == 4 and "invalid JSON" in problem.reason


@pytest.mark.parametrize("text", ["", "[]", '"x"', "null"])
def test_not_an_object(text: str) -> None:
    parsed = npm.parse_package_json(Source("package.json", text))
    assert parsed.dependencies == () and len(parsed.problems) == 1


def test_odd_values_are_problems_and_the_rest_is_kept() -> None:
    text = '{\n"dependencies": {"a": "^1", "b": 2, "c": {"x": 1}},\n"devDependencies": ["x"],\n'
    text += '"workspaces": 3\n}'
    parsed = npm.parse_package_json(Source("package.json", text))
    assert [d.name for d in parsed.dependencies] == ["a"]
    reasons = sorted((p.line, p.reason) for p in parsed.problems)
    assert [line for line, _ in reasons] == [2, 2, 3, 4]
    assert "dependencies.b" in reasons[0][1] + reasons[1][1] and "devDependencies" in reasons[2][1]


def test_json_lines_ignores_brackets_and_quotes_inside_strings() -> None:
    text = '{"a": "x{[\\"]}", "b":\n [1, {"c": "d"},\n "e"], "f\\u0067": {}}'
    assert json.loads(text)  # valid JSON
    lines = json_lines(text)
    assert lines[("a",)] == 1 and lines[("b",)] == 1 and lines[("b", 1)] == 2 and lines[("b", 1, "c")] == 2
    assert lines[("b", 2)] == 3 and lines[("fg",)] == 3


# --------------------------------------------------------------------------------------------------
# package-lock.json inline

LOCK_V3 = {
    "name": "root",
    "lockfileVersion": 3,
    "packages": {
        "": {
            "name": "root",
            "workspaces": ["packages/a"],
            "dependencies": {"b": "^1.0.0", "linked": "file:../linked"},
            "devDependencies": {"t": "~2.0.0"},
        },
        "node_modules/b": {"version": "1.2.0", "resolved": "https://registry.npmjs.org/b/-/b-1.2.0.tgz"},
        "node_modules/b/node_modules/c": {
            "version": "3.0.0",
            "optional": True,
            "os": ["linux"],
            "cpu": ["x64"],
        },
        "node_modules/c": {"version": "2.0.0", "peer": True},
        "node_modules/t": {"version": "2.0.5", "dev": True},
        "node_modules/g": {
            "version": "1.0.0",
            "resolved": "git+ssh://git@github.com/x/g.git#abc",
            "devOptional": True,
        },
        "node_modules/@scope/s": {"version": "0.1.0", "name": "real-s"},
        "node_modules/linked": {"resolved": "../linked", "link": True},
        "../linked": {"version": "9.9.9", "dependencies": {"t": "^2"}},
        "../linked/node_modules/t": {"version": "2.1.0"},
        "node_modules/a": {"resolved": "packages/a", "link": True},
        "packages/a": {"name": "a", "version": "0.0.1", "dependencies": {"b": "^2", "c": "^2"}},
        "packages/a/node_modules/b": {"version": "2.1.0"},
    },
}


def test_lock_v3_copies_flags_links_and_direct() -> None:
    text = json.dumps(LOCK_V3, indent=2)
    parsed = npm.parse_package_lock(Source("package-lock.json", text))
    assert parsed.problems == () and parsed.project == "root" and parsed.lockfile
    rows = {
        (d.name, d.version): (d.specifier, d.dep_type, d.direct, d.group, d.marker, d.source)
        for d in parsed.dependencies
    }
    assert rows == {
        ("b", "1.2.0"): ("^1.0.0", "runtime", True, "", "", ""),
        ("c", "3.0.0"): ("", "optional", False, "", "os=linux cpu=x64", ""),
        ("c", "2.0.0"): ("^2", "peer", True, "", "", ""),  # workspace a resolves c at the root
        ("t", "2.0.5"): ("~2.0.0", "dev", True, "", "", ""),
        ("g", "1.0.0"): ("", "optional", False, "", "", "git+ssh://git@github.com/x/g.git#abc"),
        ("@scope/s", "0.1.0"): ("", "runtime", False, "", "", "npm:real-s@0.1.0"),
        ("linked", "9.9.9"): ("file:../linked", "runtime", True, "", "", "link:../linked"),
        ("a", "0.0.1"): ("", "runtime", False, "", "", "link:packages/a"),
        ("b", "2.1.0"): ("^2", "runtime", True, "packages/a", "", ""),
        ("t", "2.1.0"): ("", "runtime", False, "", "", ""),  # a dependency of the linked package
    }
    lines = text.split("\n")
    for dep in parsed.dependencies:
        assert lines[dep.line - 1].strip().endswith(f'{dep.name}": {{')


LOCK_V1 = """{
  "name": "old",
  "lockfileVersion": 1,
  "requires": true,
  "dependencies": {
    "a": {
      "version": "1.0.0",
      "requires": {"b": "^2.0.0"},
      "dependencies": {
        "b": {"version": "2.0.0", "dev": true}
      }
    },
    "b": {"version": "1.5.0", "optional": true},
    "g": {"version": "git+https://github.com/x/g.git#abc", "from": "git+https://github.com/x/g.git"},
    "bad": 3
  }
}
"""


def test_lock_v1_without_a_manifest_takes_top_level_as_direct() -> None:
    parsed = npm.parse_package_lock(Source("package-lock.json", LOCK_V1))
    rows = [(d.name, d.version, d.dep_type, d.direct, d.line, d.source) for d in parsed.dependencies]
    assert rows == [
        ("a", "1.0.0", "runtime", True, 6, ""),
        ("b", "1.5.0", "optional", True, 13, ""),
        ("g", None, "runtime", True, 14, "git+https://github.com/x/g.git#abc"),
        ("b", "2.0.0", "dev", False, 10, ""),
    ]
    assert [p.line for p in parsed.problems] == [15]
    assert "every top-level entry is taken as direct" in parsed.warnings[0]


def test_lock_v1_with_the_manifest_beside(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "package.json").write_text('{"dependencies": {"a": "^1"}}', encoding="utf-8")
    parsed = npm.parse_package_lock(Source("app/package-lock.json", LOCK_V1, root=str(tmp_path)))
    assert [(d.name, d.specifier, d.direct) for d in parsed.dependencies if d.direct] == [("a", "^1", True)]
    assert parsed.warnings == ()


def test_bad_lockfiles() -> None:
    broken = npm.parse_package_lock(Source("package-lock.json", '{"lockfileVersion": 3,\n"packages": {\n'))
    assert broken.dependencies == () and broken.problems[0].line == 3
    odd = npm.parse_package_lock(
        Source("package-lock.json", '{"lockfileVersion": 3, "packages": {"node_modules/x": 1}}')
    )
    assert odd.dependencies == () and "is not an object" in odd.problems[0].reason
    future = npm.parse_package_lock(Source("package-lock.json", '{"lockfileVersion": 9, "packages": {}}'))
    assert future.problems == () and "lockfileVersion 9" in future.warnings[0]


# --------------------------------------------------------------------------------------------------
# yarn.lock

YARN = """# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":
  version "7.12.13"
  resolved "https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.12.13.tgz#dcfc8265"
  integrity sha512-abc
  dependencies:
    "@babel/highlight" "^7.10.4"

lodash@^4.17.20, lodash@^4.17.21:
  version "4.17.21"
  resolved "https://registry.yarnpkg.com/lodash/-/lodash-4.17.21.tgz#679591c5"

alias@npm:real@^1.0.0:
  version "1.0.3"

this line is broken
  version "0.0.0"

mine@file:../mine:
  version "0.1.0"
  resolved "file:../mine"

noversion@^1:
  resolved "https://example.test/n.tgz"
"""


def test_yarn_lock_v1(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(
        '{"dependencies": {"lodash": "^4.17.21"}, "devDependencies": {"alias": "npm:real@^1.0.0"}}',
        encoding="utf-8",
    )
    parsed = npm.parse_yarn_lock(Source("yarn.lock", YARN, root=str(tmp_path)))
    rows = [
        (d.name, d.specifier, d.version, d.dep_type, d.direct, d.line, d.source) for d in parsed.dependencies
    ]
    assert rows == [
        ("@babel/code-frame", "^7.0.0 || ^7.10.4", "7.12.13", "runtime", False, 5, ""),
        ("lodash", "^4.17.20 || ^4.17.21", "4.17.21", "runtime", True, 12, ""),
        ("alias", "npm:real@^1.0.0", "1.0.3", "dev", True, 16, "npm:real@^1.0.0"),
        ("mine", "file:../mine", "0.1.0", "runtime", False, 22, "file:../mine"),
    ]
    assert [(p.line, p.reason.split(",")[0]) for p in parsed.problems] == [
        (19, "expected a 'name@range:' header"),
        (20, "a field outside any package entry (ignored)"),
        (26, "a package entry without a version (ignored)"),
    ]
    assert parsed.warnings == ()


def test_yarn_without_manifest() -> None:
    plain = npm.parse_yarn_lock(Source("yarn.lock", 'a@^1:\n  version "1.0.0"\n'))
    assert [d.direct for d in plain.dependencies] == [False] and "no package.json beside" in plain.warnings[0]


def test_parsers_never_raise_on_garbage() -> None:
    for parse in (npm.parse_package_json, npm.parse_package_lock, npm.parse_yarn_lock):
        for text in ("\x00\x01", "{" * 5000, '{"dependencies": {"a": null}}', ":::\n  \n    x"):
            assert isinstance(parse(Source("f", text)), DepFile)


# --------------------------------------------------------------------------------------------------
# descriptions of the installed packages, offline


def _install(root: Path, folder: str, version: str, description: object) -> None:
    (root / folder).mkdir(parents=True)
    data = {"name": folder.rpartition("node_modules/")[2], "version": version, "description": description}
    (root / folder / "package.json").write_text(json.dumps(data), encoding="utf-8")


def test_descriptions_from_node_modules(tmp_path: Path) -> None:
    _install(tmp_path, "node_modules/b", "1.2.0", "  Bee:\n the first letter after a ")
    _install(tmp_path, "node_modules/b/node_modules/c", "3.0.0", "nested cee")
    _install(tmp_path, "node_modules/c", "2.0.1", "another version than the locked one")
    _install(tmp_path, "node_modules/t", "2.0.5", 42)  # not a string: no description
    manifest = npm.parse_package_json(
        Source("package.json", '{"dependencies": {"b": "^1", "c": "^2", "zz": "1"}}', root=str(tmp_path))
    )
    assert [(d.name, d.description) for d in manifest.dependencies] == [
        ("b", "Bee: the first letter after a"),
        ("c", "another version than the locked one"),  # a manifest has no version to match
        ("zz", ""),
    ]
    lock = npm.parse_package_lock(Source("package-lock.json", json.dumps(LOCK_V3), root=str(tmp_path)))
    described = {(d.name, d.version): d.description for d in lock.dependencies if d.description}
    assert described == {("b", "1.2.0"): "Bee: the first letter after a", ("c", "3.0.0"): "nested cee"}
    old = npm.parse_package_lock(Source("package-lock.json", LOCK_V1, root=str(tmp_path)))
    assert [d.description for d in old.dependencies if d.name == "b"] == ["", ""]  # 1.5.0 and 2.0.0 locked


def test_descriptions_stay_inside_the_root(tmp_path: Path) -> None:
    (tmp_path / "app" / "node_modules").mkdir(parents=True)
    _install(tmp_path, "secret", "1.0.0", "outside the project folder")
    lock = {"lockfileVersion": 3, "packages": {"": {}, "node_modules/../../secret": {"version": "1.0.0"}}}
    parsed = npm.parse_package_lock(Source("app/package-lock.json", json.dumps(lock), root=str(tmp_path)))
    assert [d.description for d in parsed.dependencies] == [""]


BERRY = """# This file is generated by running "yarn install" inside your project.

__metadata:
  version: 8
  cacheKey: 10c0

"@babel/code-frame@npm:^7.0.0, @babel/code-frame@npm:^7.10.4":
  version: 7.12.13
  resolution: "@babel/code-frame@npm:7.12.13"
  dependencies:
    "@babel/highlight": "npm:^7.10.4"
  checksum: 10c0/abc
  languageName: node
  linkType: hard

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  languageName: unknown
  linkType: soft

"lib@workspace:packages/lib, lib@workspace:^":
  version: 0.0.0-use.local
  resolution: "lib@workspace:packages/lib"
  languageName: unknown
  linkType: soft

"semver@npm:1.10":
  version: 1.10
  resolution: "semver@npm:1.10"

"forked@https://github.com/x/forked.git#commit=abc":
  version: 2.0.0
  resolution: "forked@https://github.com/x/forked.git#commit=abc"

just-a-string: 3
"""


def test_yarn_berry(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"devDependencies": {"semver": "1.10"}}', encoding="utf-8")
    parsed = npm.parse_yarn_lock(Source("yarn.lock", BERRY, root=str(tmp_path)))
    rows = [
        (d.name, d.specifier, d.version, d.dep_type, d.direct, d.line, d.source) for d in parsed.dependencies
    ]
    forked = "https://github.com/x/forked.git#commit=abc"
    assert rows == [
        ("@babel/code-frame", "^7.0.0 || ^7.10.4", "7.12.13", "runtime", False, 7, ""),
        (
            "lib",
            "workspace:packages/lib || workspace:^",
            "0.0.0-use.local",
            "runtime",
            False,
            22,
            "workspace:packages/lib",
        ),
        ("semver", "1.10", "1.10", "dev", True, 28, ""),  # BaseLoader: 1.10 stays "1.10", not 1.1
        ("forked", forked, "2.0.0", "runtime", False, 32, forked),
    ]
    assert [(p.line, "expected a package entry" in p.reason) for p in parsed.problems] == [(36, True)]


def test_yarn_berry_broken_yaml() -> None:
    parsed = npm.parse_yarn_lock(
        Source("yarn.lock", '__metadata:\n  version: 8\n"a@npm:^1":\n  version: [1\n')
    )
    (problem,) = parsed.problems
    assert parsed.dependencies == () and problem.reason.startswith("invalid YAML") and problem.line == 5


def test_reading_warnings_come_first() -> None:
    repaired = ("invalid UTF-8 at byte offset 3 (replaced)",)
    ok = npm.parse_package_json(Source("package.json", '{"name": "x\ufffd"}', warnings=repaired))
    assert ok.warnings == repaired and ok.problems == ()
    empty = npm.parse_package_lock(Source("package-lock.json", "", warnings=("empty file",)))
    assert empty.warnings == ("empty file",) and len(empty.problems) == 1
