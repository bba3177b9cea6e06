"""Version ordering and specifiers per ecosystem (planvec.kinds.dependencies.versions), with the
answers of each ecosystem's own tools (pip/packaging, node-semver, cargo, Go, Maven)."""

from __future__ import annotations

import itertools
import random

import pytest

from planvec.kinds.dependencies.versions import (
    VersionError,
    candidates,
    check_specifier,
    comparable,
    intersect,
    parse,
    satisfies,
)


def _ordered(eco: str, versions: list[str]) -> None:
    shuffled = versions[:]
    random.Random(7).shuffle(shuffled)
    assert sorted(shuffled, key=lambda v: parse(eco, v)) == versions
    for a, b in itertools.pairwise(versions):
        assert parse(eco, a) < parse(eco, b), (a, b)


def test_pypi_ordering_is_pep440() -> None:
    _ordered("pypi", ["1.0.dev1", "1.0a1", "1.0b2", "1.0rc1", "1.0", "1.0.post1", "1.0.1", "1.1", "2.0"])
    assert parse("pypi", "1.0") == parse("pypi", "1.0.0")


def test_semver_ordering_with_prereleases() -> None:
    # the example order of the SemVer 2.0 specification
    _ordered(
        "npm",
        [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.10.0",
            "2.0.0",
        ],
    )
    assert parse("npm", "1.0.0+build.5") == parse("npm", "1.0.0")


def test_go_versions_pseudo_versions_and_incompatible() -> None:
    _ordered(
        "go",
        [
            "v0.0.0-20190101120000-abcdefabcdef",
            "v0.0.0-20200101120000-abcdefabcdef",
            "v0.1.0",
            "v1.2.3",
            "v1.2.4-0.20210101120000-abcdefabcdef",  # a pseudo-version after v1.2.3
            "v1.2.4",
            "v2.0.0+incompatible",
            "v2.1.0",
        ],
    )
    assert parse("go", "v2.0.0+incompatible") == parse("go", "v2.0.0")
    with pytest.raises(VersionError):
        parse("go", "1.2.3")  # go.mod versions carry their v


def test_maven_comparable_version_qualifiers() -> None:
    _ordered(
        "maven",
        [
            "1.0-alpha-1",
            "1.0-beta",
            "1.0-milestone-1",
            "1.0-rc1",
            "1.0-SNAPSHOT",
            "1.0",
            "1.0-sp",
            "1.0-whatever",
            "1.0.1",
            "1.1",
            "2",
        ],
    )
    assert (
        parse("maven", "1.0")
        == parse("maven", "1.0.0")
        == parse("maven", "1-ga")
        == parse("maven", "1-final")
    )
    assert parse("maven", "1.0a1") == parse("maven", "1.0-alpha-1")
    assert parse("maven", "1.0-cr1") == parse("maven", "1.0-rc1")
    with pytest.raises(VersionError):
        parse("maven", "${project.version}")


@pytest.mark.parametrize(
    ("version", "spec", "expected"),
    [
        ("1.5.0", "^1.2.3", True),
        ("2.0.0", "^1.2.3", False),
        ("0.2.9", "^0.2.3", True),
        ("0.3.0", "^0.2.3", False),
        ("0.0.4", "^0.0.3", False),
        ("1.2.9", "~1.2.3", True),
        ("1.3.0", "~1.2.3", False),
        ("1.9.9", "1.x", True),
        ("2.0.0", "1.x", False),
        ("1.2.0", "1.2.3 - 2.3.4", False),
        ("2.3.4", "1.2.3 - 2.3.4", True),
        ("2.3.9", "1.2.3 - 2.3", True),
        ("2.4.0", "1.2.3 - 2.3", False),
        ("3.1.0", "^1.0.0 || ^3.0.0", True),
        ("1.3.0", ">= 1.2.0 < 1.4", True),
        ("1.4.0", ">1.2 <1.5", True),
        ("1.2.9", ">1.2", False),
        ("9.9.9", "*", True),
        ("1.3.0-beta.1", "^1.2.3", False),  # a prerelease only when the range names one
        ("1.2.4-beta.3", "^1.2.4-beta.2", True),
        ("1.2.5-beta.3", "^1.2.4-beta.2", False),
        ("1.0.0", "workspace:^1.0.0", True),
        ("1.0.0", "npm:real-name@^1.0.0", True),
    ],
)
def test_npm_ranges(version: str, spec: str, expected: bool) -> None:
    assert satisfies("npm", version, spec) is expected


@pytest.mark.parametrize(
    ("version", "spec", "expected"),
    [
        ("1.9.0", "1.2.3", True),  # a bare requirement is ^
        ("2.0.0", "1.2.3", False),
        ("0.2.9", "0.2", True),
        ("0.3.0", "0.2", False),
        ("1.2.9", "~1.2.3", True),
        ("1.3.0", "~1.2", False),
        ("1.5.0", ">=1.2, <1.8", True),
        ("1.8.0", ">=1.2, <1.8", False),
        ("1.2.7", "=1.2", True),
        ("3.0.0", "*", True),
        ("1.4.0", "1.*", True),
    ],
)
def test_cargo_requirements(version: str, spec: str, expected: bool) -> None:
    assert satisfies("cargo", version, spec) is expected


def test_pypi_specifiers_and_prereleases() -> None:
    assert satisfies("pypi", "2.31.0", ">=2.28,<3")
    assert not satisfies("pypi", "3.0", ">=2.28,<3")
    assert satisfies("pypi", "1.4.5", "~=1.4.2") and not satisfies("pypi", "1.5", "~=1.4.2")
    assert not satisfies("pypi", "2.0b1", ">=1.0")  # prereleases only when named
    assert satisfies("pypi", "2.0b1", ">=1.0", prereleases=True)  # ... or already installed
    assert satisfies("pypi", "2.0b2", ">=2.0b1")


def test_maven_ranges_and_soft_requirements() -> None:
    assert satisfies("maven", "1.5", "[1.0,2.0)") and not satisfies("maven", "2.0", "[1.0,2.0)")
    assert satisfies("maven", "2.0", "[1.0,2.0]") and not satisfies("maven", "1.0", "(1.0,2.0]")
    assert satisfies("maven", "0.9", "(,1.0]") and satisfies("maven", "5", "[1.2,)")
    assert satisfies("maven", "1.5", "(,1.0],[1.2,)") is True
    assert satisfies("maven", "1.1", "(,1.0],[1.2,)") is False
    assert satisfies("maven", "1.2", "[1.2]") and not satisfies("maven", "1.2.1", "[1.2]")
    assert satisfies("maven", "9.0", "1.0")  # a soft requirement: Maven's mediation picks
    assert not satisfies("maven", "2.0-SNAPSHOT", "[1.0,2.0-alpha)")


def test_go_requirement_is_a_minimum() -> None:
    assert satisfies("go", "v1.9.0", "v1.2.3") and not satisfies("go", "v1.2.2", "v1.2.3")
    assert intersect("go", ["v1.2.3", "v1.9.0"])  # minimal version selection takes the highest


@pytest.mark.parametrize(
    ("eco", "specs", "expected"),
    [
        ("npm", ["^1.2.3", "^2.0.0"], False),
        ("npm", ["^1.2.3", ">=1.4 <1.5"], True),
        ("npm", ["~1.2.3", "1.3.x"], False),
        ("npm", ["1.2.3 - 2.0.0", "~2.0.5"], False),
        ("npm", ["1.2.3 - 2.0", "~2.0.5"], True),  # "- 2.0" reaches every 2.0.x
        ("npm", [">1.2.3 <1.2.4"], False),  # only prereleases lie between: npm admits none
        ("npm", ["^1.0.0 || ^3.0.0", "^3.1.0"], True),
        ("cargo", ["0.2", "0.3"], False),
        ("cargo", ["1.2", "=1.3.0"], True),
        ("pypi", [">=2,<3", "<2"], False),
        ("pypi", [">1.0", "<1.1"], True),
        ("pypi", ["==1.4.*", "!=1.4.*"], False),
        ("pypi", ["~=1.4.2", "==1.4.*"], True),
        ("pypi", ["==2.0", "!=2.0"], False),
        ("pypi", [">=2.0b1", "<2.1"], True),  # a named prerelease opens them (2.0b1 itself)
        ("pypi", [">=2.0b1", "<2.0"], False),  # "<2.0" refuses the prereleases of 2.0
        ("maven", ["[1.0,2.0)", "[2.0,3.0)"], False),
        ("maven", ["[1.0,2.0]", "[2.0,3.0)"], True),
        ("maven", ["(,1.0],[1.2,)", "[1.1]"], False),
        ("maven", ["1.0", "2.0"], True),  # soft requirements never conflict
    ],
)
def test_intersect(eco: str, specs: list[str], expected: bool) -> None:
    assert intersect(eco, specs) is expected


def test_candidates_are_sorted_and_unique() -> None:
    assert candidates("npm", ["^1.2.3"]) == ["0.0.0", "1.2.3", "1.2.4", "1.3.0", "2.0.0"]


@pytest.mark.parametrize(
    ("eco", "spec"),
    [
        ("pypi", ">=>2"),
        ("npm", "latest"),
        ("npm", "git+https://github.com/a/b.git"),
        ("npm", "file:../pkg"),
        ("cargo", ">=1.0,,"),
        ("maven", "[1.0,2.0"),
        ("maven", "[2.0,1.0]"),
        ("maven", "${spring.version}"),
        ("go", "master"),
    ],
)
def test_unreadable_specifiers_are_errors(eco: str, spec: str) -> None:
    with pytest.raises(VersionError):
        check_specifier(eco, spec)


def test_unknown_ecosystem() -> None:
    with pytest.raises(VersionError, match="unknown ecosystem"):
        parse("hex", "1.0.0")


@pytest.mark.parametrize(
    ("eco", "versions"),
    [
        (
            "pypi",
            [
                "0.9",
                "1.0.dev1",
                "1.0a1.dev1",
                "1.0a1",
                "1.0a2",
                "1.0b1",
                "1.0rc1",
                "1.0",
                "1.0.0",
                "1.0+local.1",
                "1.0+local.a",
                "1.0+2",
                "1.0.post1.dev1",
                "1.0.post1",
                "1.0.1",
                "1.1",
                "1!0.5",
                "2.0.0.0",
                "10.0",
            ],
        ),
        (
            "npm",
            [
                "0.0.0",
                "1.0.0-alpha",
                "1.0.0-alpha.1",
                "1.0.0-alpha.beta",
                "1.0.0-beta",
                "1.0.0-beta.2",
                "1.0.0-beta.11",
                "1.0.0-rc.1",
                "1.0.0",
                "1.0.1",
                "1.9.0",
                "1.10.0",
                "10.0.0",
                "2.0.0-0",
                "2.0.0",
            ],
        ),
        (
            "go",
            [
                "v0.0.0-20190101120000-abcdefabcdef",
                "v0.0.0-20200101120000-abcdefabcdef",
                "v0.1.0",
                "v1.2.4-0.20210101120000-abcdefabcdef",
                "v1.2.4",
                "v2.0.0+incompatible",
                "v2.0.0",
            ],
        ),
    ],
)
def test_stored_sort_keys_order_as_the_versions(eco: str, versions: list[str]) -> None:
    # the advisory database compares these strings instead of parsing again
    for a in versions:
        for b in versions:
            pa, pb = parse(eco, a), parse(eco, b)
            ka, kb = comparable(eco, a), comparable(eco, b)
            assert isinstance(ka, str)
            assert ((pa < pb), (pa == pb)) == ((ka < kb), (ka == kb)), (a, b)
