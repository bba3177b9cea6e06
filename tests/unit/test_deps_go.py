"""Go parsers: go.mod and go.sum, on the shared corpus and on small inline files, the odd ones
included."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from planvec.kinds.base import Source
from planvec.kinds.dependencies import golang
from planvec.kinds.dependencies.records import DepFile

SHARED = Path(os.environ.get("PLANVEC_SHARED_DIR") or Path(__file__).resolve().parents[2].parent / "shared")
REPO = SHARED / "corpus" / "repo"


def corpus(rel: str) -> Source:
    path = REPO / rel
    if not path.is_file():
        pytest.skip(f"shared corpus file not found: {path}")
    return Source(rel, path.read_text(encoding="utf-8"), root=str(REPO))


GO_MODS = {  # rel -> (module, direct, indirect); counted by hand (grep -c "// indirect")
    "go.mod": ("email_sender", 10, 58),
    "core/gapanalyzer/go.mod": ("core/gapanalyzer", 0, 0),
    "core/scanmodules/go.mod": ("core/scanmodules", 0, 0),
    "development/managers/error-manager/go.mod": (
        "github.com/gerivdb/email-sender-1/managers/error-manager",
        5,
        4,
    ),
}


@pytest.mark.parametrize("rel", sorted(GO_MODS))
def test_corpus_go_mods(rel: str) -> None:
    parsed = golang.parse_go_mod(corpus(rel))
    module, direct, indirect = GO_MODS[rel]
    assert parsed.problems == () and parsed.format == "go.mod" and not parsed.lockfile
    assert parsed.project == module
    assert sum(d.direct for d in parsed.dependencies) == direct
    assert sum(not d.direct for d in parsed.dependencies) == indirect
    lines = (REPO / rel).read_text(encoding="utf-8").split("\n")
    for dep in parsed.dependencies:
        assert lines[dep.line - 1].split()[:2] == [dep.name, dep.version]
        assert dep.ecosystem == "go" and dep.dep_type == "runtime" and dep.specifier == dep.version


def test_corpus_root_go_mod_replaces() -> None:
    parsed = golang.parse_go_mod(corpus("go.mod"))
    deps = {d.name: d for d in parsed.dependencies}
    local = deps["github.com/gerivdb/email-sender-1/managers/error-manager"]
    assert local.source == "=> ./development/managers/error-manager" and local.direct and local.line == 8
    assert deps["gopkg.in/yaml.v2"].version == "v2.4.0" and not deps["gopkg.in/yaml.v2"].direct
    # the two other replaces name modules this go.mod does not require
    assert len(parsed.warnings) == 2 and all("matches no requirement" in w for w in parsed.warnings)


def test_corpus_go_sum() -> None:
    parsed = golang.parse_go_sum(corpus("go.sum"))
    # 200 lines: 116 (module, version) pairs (awk '{print $1, $2}' | sed 's#/go.mod##' | sort -u),
    # 84 of them with a module hash, the other 32 with only a go.mod hash.
    assert parsed.problems == () and parsed.lockfile and parsed.format == "go.sum"
    assert len(parsed.dependencies) == 116
    assert sum(d.group == "go.mod" for d in parsed.dependencies) == 32
    assert all(not d.direct and d.version and d.specifier == "" for d in parsed.dependencies)
    (perks,) = [d for d in parsed.dependencies if d.name == "github.com/beorn7/perks"]
    assert (perks.version, perks.line, perks.group) == ("v1.0.1", 1, "")


GO_MOD = """// a comment
module "example.com/app" // the module

go 1.22
toolchain go1.22.1
godebug default=go1.21

require example.com/single v1.0.0
require (
\texample.com/a v1.2.3
\texample.com/b v0.0.0-20200823014737-9f7001d12a5f // indirect
\texample.com/c v2.0.0+incompatible // indirect; kept for x
\t`example.com/quoted` v1.0.0
\texample.com/broken
\texample.com/badversion 1.2.3
)

replace example.com/a => example.com/fork v1.2.4
replace (
\texample.com/b v0.0.0-20200823014737-9f7001d12a5f => ../b
\texample.com/c v9.9.9 => ./never
\texample.com/nowhere => example.com/missing
)

exclude example.com/a v1.1.0
exclude (
\texample.com/b v0.1.0
)
retract [v1.0.0, v1.0.5] // broken releases
retract v0.9.0
tool example.com/tool/cmd
frobnicate all
"""


def test_go_mod_inline() -> None:
    parsed = golang.parse_go_mod(Source("go.mod", GO_MOD))
    assert parsed.project == "example.com/app"
    rows = [(d.name, d.specifier, d.version, d.direct, d.line, d.source) for d in parsed.dependencies]
    assert rows == [
        ("example.com/single", "v1.0.0", "v1.0.0", True, 8, ""),
        ("example.com/a", "v1.2.3", "v1.2.3", True, 10, "=> example.com/fork v1.2.4"),
        (
            "example.com/b",
            "v0.0.0-20200823014737-9f7001d12a5f",
            "v0.0.0-20200823014737-9f7001d12a5f",
            False,
            11,
            "=> ../b",
        ),
        ("example.com/c", "v2.0.0+incompatible", "v2.0.0+incompatible", False, 12, ""),  # v9.9.9 only
        ("example.com/quoted", "v1.0.0", "v1.0.0", True, 13, ""),
        ("example.com/a", "!= v1.1.0", None, True, 25, "exclude"),
        ("example.com/b", "!= v0.1.0", None, True, 27, "exclude"),
    ]
    assert [(p.line, p.reason.split(":")[0].split(" '")[0]) for p in parsed.problems] == [
        (14, "require needs"),
        (15, "require example.com/badversion"),
        (22, "replace example.com/nowhere"),
        (32, "unknown directive"),
    ]
    assert len(parsed.warnings) == 1 and "v9.9.9 => ./never" in parsed.warnings[0]


def test_go_mod_odd_files() -> None:
    empty = golang.parse_go_mod(Source("go.mod", ""))
    assert empty.dependencies == () and empty.problems == () and "no module directive" in empty.warnings[0]
    unclosed = golang.parse_go_mod(Source("go.mod", "module m\nrequire (\n\tx.com/a v1.0.0\n"))
    assert [d.name for d in unclosed.dependencies] == ["x.com/a"]
    assert [(p.line, "never closed" in p.reason) for p in unclosed.problems] == [(2, True)]
    stray = golang.parse_go_mod(Source("go.mod", "module m\n)\nmodule (\nx\n)\nrequire x.com/b v1.0.0\n"))
    assert [d.name for d in stray.dependencies] == ["x.com/b"] and [p.line for p in stray.problems] == [2, 3]


def test_go_sum_inline() -> None:
    text = (
        "example.com/a v1.0.0 h1:abc=\n"
        "example.com/a v1.0.0/go.mod h1:def=\n"
        "example.com/b v0.1.0/go.mod h1:ghi=\n"
        "\n"
        "broken line\n"
        "example.com/c notaversion h1:x=\n"
        "example.com/a v1.1.0/go.mod h1:jkl=\n"
    )
    parsed = golang.parse_go_sum(Source("go.sum", text))
    rows = [(d.name, d.version, d.line, d.group) for d in parsed.dependencies]
    assert rows == [
        ("example.com/a", "v1.0.0", 1, ""),
        ("example.com/b", "v0.1.0", 3, "go.mod"),
        ("example.com/a", "v1.1.0", 7, "go.mod"),
    ]
    assert [p.line for p in parsed.problems] == [5, 6]


def test_parsers_never_raise_on_garbage() -> None:
    for parse in (golang.parse_go_mod, golang.parse_go_sum):
        for text in ("\x00\x01", "(" * 5000, 'require "unterminated\n', "replace => =>\n", "`\n`"):
            assert isinstance(parse(Source("f", text)), DepFile)


def test_reading_warnings_come_first() -> None:
    parsed = golang.parse_go_mod(Source("go.mod", "", warnings=("empty file",)))
    assert parsed.warnings[0] == "empty file" and "no module directive" in parsed.warnings[1]
    assert golang.parse_go_sum(Source("go.sum", "", warnings=("empty file",))).warnings == ("empty file",)
