"""Python manifests and lockfiles: the real files of the shared corpus, the fixtures under
tests/fixtures/deps/python/ and malformed inline inputs (each problem with its line)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from planvec.kinds.base import Source
from planvec.kinds.dependencies import python
from planvec.kinds.dependencies.formats import parser_for
from planvec.kinds.dependencies.records import Dependency, DepFile
from planvec.parsing.files import read_text

SHARED = Path(os.environ.get("PLANVEC_SHARED_DIR") or Path(__file__).resolve().parents[2].parent / "shared")
REPO = SHARED / "corpus" / "repo"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "deps" / "python"

Parser = Callable[[Source], DepFile]


def parse(parser: Parser, rel: str, text: str, root: Path | str = "") -> DepFile:
    return parser(Source(rel, text, (), str(root)))


def from_disk(root: Path, rel: str) -> DepFile:
    """A file as the kind parses it: read with the shared hygiene, the parser the formats pick."""
    parser = parser_for(rel)
    assert parser is not None, rel
    text, warnings = read_text(root / rel)
    return parser(Source(rel, text, tuple(warnings), str(root)))


def by_name(df: DepFile) -> dict[str, Dependency]:
    return {d.name: d for d in df.dependencies}


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def repo() -> Path:
    if not REPO.is_dir():
        pytest.skip(f"shared corpus not found at {REPO} (set PLANVEC_SHARED_DIR)")
    return REPO


# --------------------------------------------------------------------------------------------------
# requirements files: the corpus


@pytest.mark.parametrize(
    ("rel", "count"),
    [
        ("src/mcp/python/examples/fastapi_example/requirements.txt", 6),
        ("src/mcp/python/examples/django_example/requirements.txt", 5),
        ("src/mcp/python/examples/flask_example/requirements.txt", 5),
        ("src/langchain/requirements.txt", 8),
    ],
)
def test_corpus_requirements_parse_without_problems(repo: Path, rel: str, count: int) -> None:
    df = from_disk(repo, rel)
    assert (df.format, df.lockfile, df.problems) == ("requirements", False, ())
    assert len(df.dependencies) == count
    assert [d.line for d in df.dependencies] == list(range(1, count + 1))
    assert {(d.ecosystem, d.dep_type, d.direct) for d in df.dependencies} == {("pypi", "runtime", True)}


def test_corpus_requirements_fields(repo: Path) -> None:
    deps = by_name(from_disk(repo, "src/mcp/python/examples/fastapi_example/requirements.txt"))
    assert list(deps) == ["fastapi", "uvicorn", "pymcpfy", "python-jose", "python-multipart", "pydantic"]
    assert (deps["pymcpfy"].specifier, deps["pymcpfy"].extras) == ("", ("fastapi",))
    assert (deps["python-jose"].specifier, deps["python-jose"].extras) == (">=3.3.0", ("cryptography",))
    assert deps["fastapi"].version is None


def test_corpus_requirements_with_an_npm_name_reports_that_line(repo: Path) -> None:
    # projet/config/requirements.txt lists an npm package (@suekou/mcp-notion-server==1.1.1): pip
    # rejects that line, so it is a problem on its line and the other three pins are indexed.
    df = from_disk(repo, "projet/config/requirements.txt")
    assert [(d.name, d.version, d.line) for d in df.dependencies] == [
        ("n8n-nodes-mcp", "0.1.14", 5),
        ("python-dotenv", "1.0.0", 16),
        ("requests", "2.31.0", 17),
    ]
    assert [(p.path, p.line) for p in df.problems] == [("projet/config/requirements.txt", 6)]
    assert "@suekou/mcp-notion-server" in df.problems[0].reason


# --------------------------------------------------------------------------------------------------
# requirements files: lines


def test_requirement_lines_markers_extras_hashes_and_continuations() -> None:
    text = (
        "# pinned for the API\n"
        "\n"
        "Requests[socks,security] >= 2.31 , <3  # a comment\n"
        'importlib_metadata>=6; python_version < "3.10"\n'
        "numpy==1.26.4 \\\n"
        "    --hash=sha256:aaaa \\\n"
        "    --hash=sha256:bbbb\n"
        "Django==4.2.*\n"
        "legacy===1.0-weird\n"
        "zope.interface\n"
    )
    df = parse(python.parse_requirements, "requirements.txt", text)
    assert df.problems == ()
    got = [(d.name, d.specifier, d.version, d.line, d.marker, d.extras) for d in df.dependencies]
    assert got == [
        ("requests", ">=2.31,<3", None, 3, "", ("security", "socks")),
        ("importlib-metadata", ">=6", None, 4, 'python_version < "3.10"', ()),
        ("numpy", "==1.26.4", "1.26.4", 5, "", ()),
        ("django", "==4.2.*", None, 8, "", ()),
        ("legacy", "===1.0-weird", "1.0-weird", 9, "", ()),
        ("zope-interface", "", None, 10, "", ()),
    ]


def test_pip_option_lines_are_neither_dependencies_nor_problems() -> None:
    text = (
        "--index-url https://pypi.example.com/simple\n"
        "-i https://pypi.example.com/simple\n"
        "--extra-index-url=https://mirror.example.com/simple\n"
        "--pre\n"
        "-f ./wheels\n"
        "--find-links https://example.com/links\n"
        "--trusted-host pypi.example.com\n"
        "--require-hashes\n"
        "six==1.16.0\n"
    )
    df = parse(python.parse_requirements, "requirements.txt", text)
    assert df.problems == ()
    assert [d.name for d in df.dependencies] == ["six"]


def test_bad_lines_are_problems_and_the_rest_is_kept() -> None:
    text = "flask>=2\nthis is not a requirement\nrequests>=\n--no-such-option\nclick==8.1.7\nfoo==1 --bogus\n"
    df = parse(python.parse_requirements, "requirements.txt", text)
    assert [d.name for d in df.dependencies] == ["flask", "click", "foo"]
    assert [p.line for p in df.problems] == [2, 3, 4, 6]
    assert "invalid requirement 'this is not a requirement'" in df.problems[0].reason
    assert "unknown pip option '--no-such-option'" in df.problems[2].reason
    assert "'--bogus'" in df.problems[3].reason


@pytest.mark.parametrize(
    ("rel", "dep_type"),
    [
        ("requirements.txt", "runtime"),
        ("requirements-dev.txt", "dev"),
        ("dev-requirements.txt", "dev"),
        ("requirements_test.txt", "dev"),
        ("requirements/test.txt", "dev"),
        ("requirements/base.txt", "runtime"),
        ("requirements/prod.txt", "runtime"),
    ],
)
def test_dep_type_comes_from_the_file_name(rel: str, dep_type: str) -> None:
    df = parse(python.parse_requirements, rel, "six\n")
    assert [d.dep_type for d in df.dependencies] == [dep_type]


def test_editables_urls_and_local_paths_keep_their_source(tmp_path: Path) -> None:
    root = write(tmp_path, {"proj/libs/mylib/setup.py": "", "proj/requirements.txt": ""})
    text = (
        "-e git+https://github.com/org/Foo_Bar.git@v1.2#egg=Foo_Bar\n"
        "-e .\n"
        "--editable=./libs/mylib\n"
        "./libs/mylib[extra1]\n"
        "libs/mylib\n"
        "https://example.com/pkgs/shiny-1.2.0.tar.gz\n"
        "./wheels/bar_baz-2.0-py3-none-any.whl\n"
        "git+https://github.com/org/tool.git@v2 ; sys_platform == 'linux'\n"
        "pkg @ https://example.com/pkg-3.0.zip\n"
        "./dist/old_style-0.9.tar.bz2\n"
        "./dist/odd.name.tgz\n"
    )
    df = parse(python.parse_requirements, "proj/requirements.txt", text, root)
    assert df.problems == ()
    got = [(d.name, d.version, d.source, d.marker, d.extras) for d in df.dependencies]
    assert got == [
        ("foo-bar", None, "-e git+https://github.com/org/Foo_Bar.git@v1.2#egg=Foo_Bar", "", ()),
        ("proj", None, "-e .", "", ()),
        ("mylib", None, "-e ./libs/mylib", "", ()),
        ("mylib", None, "./libs/mylib[extra1]", "", ("extra1",)),
        ("mylib", None, "libs/mylib", "", ()),
        ("shiny", "1.2.0", "https://example.com/pkgs/shiny-1.2.0.tar.gz", "", ()),
        ("bar-baz", "2.0", "./wheels/bar_baz-2.0-py3-none-any.whl", "", ()),
        (
            "tool",
            None,
            "git+https://github.com/org/tool.git@v2 ; sys_platform == 'linux'",
            "sys_platform == 'linux'",
            (),
        ),
        ("pkg", None, "https://example.com/pkg-3.0.zip", "", ()),
        ("old-style", "0.9", "./dist/old_style-0.9.tar.bz2", "", ()),
        ("odd-name", None, "./dist/odd.name.tgz", "", ()),
    ]


def test_a_url_without_a_name_is_a_problem() -> None:
    df = parse(python.parse_requirements, "requirements.txt", "-e\nhttps://example.com/\n")
    assert df.dependencies == ()
    assert [p.line for p in df.problems] == [1, 2]
    assert "#egg=NAME" in df.problems[1].reason


# --------------------------------------------------------------------------------------------------
# requirements files: -r / -c includes


def test_includes_are_followed_relative_to_the_file(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "svc/requirements.txt": (
                "flask>=2\n-r common/base.txt\n-r requirements-dev.txt\n--constraint ../constraints.txt\n"
            ),
            "svc/common/base.txt": "requests>=2.31\n-r extra.txt\n",
            "svc/common/extra.txt": "idna==3.7\n",
            "svc/requirements-dev.txt": "pytest>=8\n",
            "constraints.txt": "requests<2.33\nurllib3==2.2.2\n",
        },
    )
    df = from_disk(root, "svc/requirements.txt")
    assert df.problems == ()
    got = [(d.name, d.line, d.group, d.dep_type) for d in df.dependencies]
    assert got == [
        ("flask", 1, "", "runtime"),
        ("requests", 2, "svc/common/base.txt", "runtime"),
        ("idna", 2, "svc/common/extra.txt", "runtime"),  # nested: the line of the top file's -r
        ("requests", 4, "constraint", "runtime"),
        ("urllib3", 4, "constraint", "runtime"),
    ]
    # requirements-dev.txt is indexed on its own: listed, its dependencies not copied.
    assert df.includes == (
        "svc/common/base.txt",
        "svc/common/extra.txt",
        "svc/requirements-dev.txt",
        "constraints.txt",
    )


def test_include_loops_are_problems_not_hangs(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "requirements.txt": "six\n-r a.txt\n-r requirements.txt\n",
            "a.txt": "attrs\n-r b.txt\n",
            "b.txt": "# back to a\n-r a.txt\nidna\n",
        },
    )
    df = from_disk(root, "requirements.txt")
    assert [(d.name, d.line, d.group) for d in df.dependencies] == [
        ("six", 1, ""),
        ("attrs", 2, "a.txt"),
        ("idna", 2, "b.txt"),
    ]
    assert [(p.path, p.line) for p in df.problems] == [("b.txt", 2), ("requirements.txt", 3)]
    assert df.problems[0].reason == "include loop: requirements.txt -> a.txt -> b.txt -> a.txt"
    assert df.problems[1].reason == "include loop: requirements.txt -> requirements.txt"


def test_a_missing_include_is_a_problem_with_its_line(tmp_path: Path) -> None:
    root = write(tmp_path, {"requirements.txt": "six\n-r missing.txt\n-c\nattrs\n"})
    df = from_disk(root, "requirements.txt")
    assert [d.name for d in df.dependencies] == ["six", "attrs"]
    assert [p.line for p in df.problems] == [2, 3]
    assert df.problems[0].reason.startswith("cannot read include missing.txt: no such file")
    assert df.problems[1].reason == "-c without a file name"
    assert df.includes == ()


def test_include_spellings_and_reading_warnings(tmp_path: Path) -> None:
    root = write(tmp_path, {"a.txt": "six\n", "b.txt": "attrs\n", "c.txt": "idna\n"})
    text = "--requirement=a.txt\n-rb.txt\n--constraint c.txt\n"
    df = python.parse_requirements(
        Source("requirements.txt", text, ("invalid UTF-8 at byte offset 3",), str(root))
    )
    assert [(d.name, d.line, d.group) for d in df.dependencies] == [
        ("six", 1, "a.txt"),
        ("attrs", 2, "b.txt"),
        ("idna", 3, "constraint"),
    ]
    assert (df.problems, df.warnings) == ((), ("invalid UTF-8 at byte offset 3",))


def test_includes_need_a_root() -> None:
    df = parse(python.parse_requirements, "requirements.txt", "six\n-r base.txt\n")
    assert [d.name for d in df.dependencies] == ["six"]
    assert [(p.line, p.reason) for p in df.problems] == [(2, "cannot follow include base.txt without a root")]


def test_a_remote_include_is_not_fetched() -> None:
    df = parse(python.parse_requirements, "requirements.txt", "-r https://example.com/r.txt\n", "/x")
    assert df.problems[0].line == 1
    assert "not fetched" in df.problems[0].reason


# --------------------------------------------------------------------------------------------------
# pyproject.toml


def test_corpus_pyproject_poetry(repo: Path) -> None:
    df = from_disk(repo, "output/mem0-analysis/files/pyproject.toml")  # starts with a BOM
    assert (df.format, df.project, df.problems) == ("pyproject", "mem0ai", ())
    assert len(df.dependencies) == 16
    counts: dict[str, int] = {}
    for d in df.dependencies:
        counts[d.dep_type] = counts.get(d.dep_type, 0) + 1
    assert counts == {"runtime": 9, "dev": 6, "build": 1}
    got = {(d.name, d.group): (d.specifier, d.line) for d in df.dependencies}
    assert got[("qdrant-client", "")] == (">=1.9.1,<2.0.0", 24)
    assert got[("pytz", "")] == (">=2024.1,<2025.0", 28)
    assert got[("rank-bm25", "")] == (">=0.2.2,<0.3.0", 32)
    assert got[("pytest", "test")] == (">=8.2.2,<9.0.0", 38)
    assert got[("pytest-asyncio", "test")] == (">=0.23.7,<0.24.0", 40)
    assert got[("pytest", "dev")] == (">=8.2.2,<9.0.0", 45)
    assert got[("poetry-core", "")] == ("", 48)
    assert "python" not in {d.name for d in df.dependencies}


PEP621 = """\
[build-system]
requires = ["hatchling>=1.24", "hatch-vcs"]
build-backend = "hatchling.build"

[project]
name = "My_Service"
dynamic = ["version"]
dependencies = [
    "httpx>=0.27",
    "tenacity==8.5.0",
    'tomli>=2; python_version < "3.11"',
]

[project.optional-dependencies]
socks = ["httpx[socks]"]
all = [
    "my-service[socks]",
    "orjson",
]

[dependency-groups]
test = ["pytest>=8", "pytest-cov"]
lint = ["ruff"]
dev = [{include-group = "test"}, {include-group = "lint"}, "ipython"]
"""


def test_pep621_and_pep735() -> None:
    df = parse(python.parse_pyproject, "pyproject.toml", PEP621)
    assert (df.project, df.problems, df.warnings) == ("my-service", (), ())
    got = [
        (d.name, d.specifier, d.version, d.dep_type, d.group, d.line, d.marker, d.extras)
        for d in df.dependencies
    ]
    assert got == [
        ("httpx", ">=0.27", None, "runtime", "", 9, "", ()),
        ("tenacity", "==8.5.0", "8.5.0", "runtime", "", 10, "", ()),
        ("tomli", ">=2", None, "runtime", "", 11, 'python_version < "3.11"', ()),
        ("httpx", "", None, "optional", "socks", 15, "", ("socks",)),
        ("my-service", "", None, "optional", "all", 17, "", ("socks",)),
        ("orjson", "", None, "optional", "all", 18, "", ()),
        ("pytest", ">=8", None, "dev", "test", 22, "", ()),
        ("pytest-cov", "", None, "dev", "test", 22, "", ()),
        ("ruff", "", None, "dev", "lint", 23, "", ()),
        ("pytest", ">=8", None, "dev", "dev", 24, "", ()),
        ("pytest-cov", "", None, "dev", "dev", 24, "", ()),
        ("ruff", "", None, "dev", "dev", 24, "", ()),
        ("ipython", "", None, "dev", "dev", 24, "", ()),
        ("hatchling", ">=1.24", None, "build", "", 2, "", ()),
        ("hatch-vcs", "", None, "build", "", 2, "", ()),
    ]


def test_dependency_group_loops_and_unknown_groups_are_problems() -> None:
    text = (
        "[dependency-groups]\n"
        'a = ["six", {include-group = "b"}]\n'
        'b = [{include-group = "a"}, "attrs"]\n'
        'c = [{include-group = "nope"}, 42]\n'
    )
    df = parse(python.parse_pyproject, "pyproject.toml", text)
    assert {(d.name, d.group) for d in df.dependencies} == {
        ("six", "a"),
        ("attrs", "a"),
        ("attrs", "b"),
        ("six", "b"),
    }
    reasons = sorted((p.line, p.reason) for p in df.problems)
    assert reasons == [
        (2, "include-group loop: b -> a -> b"),
        (3, "include-group loop: a -> b -> a"),
        (4, "dependency group 'c': 42 is not a requirement"),
        (4, "include-group 'nope': no such dependency group"),
    ]


def test_pyproject_bad_entries_are_problems_with_lines() -> None:
    text = (
        "[project]\n"
        'name = "x"\n'
        'dynamic = ["dependencies"]\n'
        'optional-dependencies = {a = ["ok", "not valid !"], b = "oops"}\n'
        "\n"
        "[build-system]\n"
        'requires = "setuptools"\n'
    )
    df = parse(python.parse_pyproject, "pyproject.toml", text)
    assert [d.name for d in df.dependencies] == ["ok"]
    assert [p.line for p in df.problems] == [4, 4, 7]
    assert df.warnings == ("[project] dependencies are dynamic (declared by the build backend)",)


def test_invalid_toml_is_a_problem_with_the_decoder_line() -> None:
    text = '[project]\nname = "x"\ndependencies = ["a",\n  "b"\n[tool]\n'
    for parser in (
        python.parse_pyproject,
        python.parse_poetry_lock,
        python.parse_uv_lock,
        python.parse_pipfile,
    ):
        df = parse(parser, "f.toml", text)
        assert df.dependencies == ()
        assert len(df.problems) == 1
        assert df.problems[0].line == 5
        assert df.problems[0].reason.startswith("invalid TOML: ")


POETRY = """\
[tool.poetry]
name = "demo"

[tool.poetry.dependencies]
python = "^3.9"
requests = "^2.31"
zero = "^0.2.3"
tiny = "~1.4"
any = "*"
exact = "1.2.3"
ranged = ">= 1.0, < 2.0"
mylib = {git = "https://github.com/example/mylib.git", tag = "v1.0"}
local = {path = "../local", develop = true}
fancy = {version = "^1.0", extras = ["speed"], optional = true}
oldpy = {version = "^1.0", python = "<3.10", markers = "sys_platform == 'linux'"}
multi = [
    {version = "<=1.9", python = ">=3.6,<3.8"},
    {version = "^2.0", python = ">=3.8"},
]
either = "^1.0 || ^2.0"

[tool.poetry.extras]
speed = ["fancy"]

[tool.poetry.group.main.dependencies]
attrs = "^23"

[tool.poetry.group.docs.dependencies]
sphinx = "^7"

[tool.poetry.dev-dependencies]
black = "^24.1"

[tool.poetry.dependencies.tabled]
version = "^3.1"
"""


def test_poetry_tables_and_specifiers() -> None:
    df = parse(python.parse_pyproject, "pyproject.toml", POETRY)
    assert (df.project, df.problems) == ("demo", ())
    assert df.warnings == (
        "either: constraint '^1.0 || ^2.0' (an 'or') has no PEP 440 form; kept as written",
    )
    got = [(d.name, d.specifier, d.version, d.dep_type, d.group, d.line) for d in df.dependencies]
    assert got == [
        ("requests", ">=2.31,<3.0", None, "runtime", "", 6),
        ("zero", ">=0.2.3,<0.3.0", None, "runtime", "", 7),
        ("tiny", ">=1.4,<1.5", None, "runtime", "", 8),
        ("any", "", None, "runtime", "", 9),
        ("exact", "==1.2.3", "1.2.3", "runtime", "", 10),
        ("ranged", ">=1.0,<2.0", None, "runtime", "", 11),
        ("mylib", "", None, "runtime", "", 12),
        ("local", "", None, "runtime", "", 13),
        ("fancy", ">=1.0,<2.0", None, "optional", "speed", 14),
        ("oldpy", ">=1.0,<2.0", None, "runtime", "", 15),
        ("multi", "<=1.9", None, "runtime", "", 16),
        ("multi", ">=2.0,<3.0", None, "runtime", "", 16),
        ("either", "^1.0 || ^2.0", None, "runtime", "", 20),
        ("tabled", ">=3.1,<4.0", None, "runtime", "", 34),
        ("black", ">=24.1,<25.0", None, "dev", "dev", 32),
        ("attrs", ">=23,<24", None, "runtime", "main", 26),
        ("sphinx", ">=7,<8", None, "dev", "docs", 29),
    ]
    deps = {(d.name, d.specifier): d for d in df.dependencies}
    assert deps[("mylib", "")].source == "git+https://github.com/example/mylib.git@v1.0"
    assert deps[("local", "")].source == "-e ../local"
    assert deps[("fancy", ">=1.0,<2.0")].extras == ("speed",)
    assert deps[("oldpy", ">=1.0,<2.0")].marker == 'sys_platform == "linux" and python_version < "3.10"'
    assert deps[("multi", "<=1.9")].marker == 'python_version < "3.8" and python_version >= "3.6"'


@pytest.mark.parametrize(
    ("constraint", "spec"),
    [
        ("^1.2.3", ">=1.2.3,<2.0.0"),
        ("^1.2", ">=1.2,<2.0"),
        ("^1", ">=1,<2"),
        ("^0.2.3", ">=0.2.3,<0.3.0"),
        ("^0.0.3", ">=0.0.3,<0.0.4"),
        ("^0.0", ">=0.0,<0.1"),
        ("^0", ">=0,<1"),
        ("~1.2.3", ">=1.2.3,<1.3.0"),
        ("~1.2", ">=1.2,<1.3"),
        ("~1", ">=1,<2"),
        ("~=1.2", "~=1.2"),
        ("1.2.*", "==1.2.*"),
        ("!=1.5", "!=1.5"),
    ],
)
def test_poetry_constraints_become_pep440(constraint: str, spec: str) -> None:
    from planvec.kinds.dependencies.python_poetry import poetry_specifier

    assert poetry_specifier(constraint) == spec


def test_poetry_bad_entries_are_problems_with_lines() -> None:
    text = (
        "[tool.poetry.dependencies]\n"
        'good = "^1"\n'
        'bad = "^not.a.version"\n'
        "weird = 3\n"
        '"@scope/x" = "1"\n'
        'marked = {version = "*", markers = "nonsense ="}\n'
    )
    df = parse(python.parse_pyproject, "pyproject.toml", text)
    assert [d.name for d in df.dependencies] == ["good"]
    assert [p.line for p in df.problems] == [3, 4, 5, 6]


# --------------------------------------------------------------------------------------------------
# lockfiles


def test_poetry_lock() -> None:
    df = from_disk(FIXTURES, "poetry.lock")
    assert (df.format, df.lockfile, df.problems) == ("poetry.lock", True, ())
    got = [(d.name, d.version, d.dep_type, d.direct, d.line, d.specifier) for d in df.dependencies]
    assert got == [
        ("certifi", "2024.7.4", "runtime", False, 3, ""),
        ("pytest", "8.2.2", "runtime", False, 13, ""),
        ("pysocks", "1.7.1", "optional", False, 28, ""),
        ("mylib", "0.3.0", "runtime", False, 36, ""),
        ("black", "24.4.2", "dev", False, 51, ""),
    ]
    deps = by_name(df)
    assert deps["certifi"].description == "Python package for providing Mozilla's CA Bundle."
    assert (
        deps["mylib"].source
        == "git+https://github.com/example/mylib.git@3f2c1e0b9a8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"
    )
    assert deps["certifi"].source == ""


def test_poetry2_lock_groups() -> None:
    text = (
        '[[package]]\nname = "requests"\nversion = "2.32.3"\ngroups = ["main"]\n'
        'markers = "python_version >= \\"3.9\\""\n\n'
        '[[package]]\nname = "mypy"\nversion = "1.11.0"\ngroups = ["dev", "typing"]\n\n'
        '[[package]]\nname = "nameless"\n\n'
        '[metadata]\nlock-version = "2.1"\n'
    )
    df = parse(python.parse_poetry_lock, "poetry.lock", text)
    got = [(d.name, d.version, d.dep_type, d.group, d.marker, d.line) for d in df.dependencies]
    assert got == [
        ("requests", "2.32.3", "runtime", "", 'python_version >= "3.9"', 1),
        ("mypy", "1.11.0", "dev", "dev,typing", "", 7),
        ("nameless", None, "runtime", "", "", 12),
    ]


def test_uv_lock() -> None:
    df = from_disk(FIXTURES, "uv.lock")
    assert (df.format, df.lockfile, df.project, df.problems) == ("uv.lock", True, "myapp", ())
    got = [(d.name, d.version, d.dep_type, d.group, d.line) for d in df.dependencies]
    assert got == [
        ("certifi", "2026.7.22", "runtime", "", 5),  # pulled in by requests
        ("iniconfig", "2.0.0", "dev", "dev", 14),  # pulled in by pytest
        ("pysocks", "1.7.1", "optional", "socks", 45),
        ("pytest", "8.3.2", "dev", "dev", 50),
        ("requests", "2.32.3", "runtime", "", 58),
        ("tool", "2.0.0", "runtime", "", 66),
    ]
    assert {d.direct for d in df.dependencies} == {False}
    tool = by_name(df)["tool"]
    assert (
        tool.source == "git+https://github.com/example/tool?rev=v2#0123456789abcdef0123456789abcdef01234567"
    )


def test_uv_lock_workspace_members_are_not_dependencies() -> None:
    text = (
        'version = 1\n\n[manifest]\nmembers = ["app", "lib"]\n\n'
        '[[package]]\nname = "app"\nversion = "0.1.0"\nsource = { editable = "." }\n'
        'dependencies = [{ name = "lib" }, { name = "six" }]\n\n'
        '[[package]]\nname = "lib"\nversion = "0.1.0"\nsource = { editable = "packages/lib" }\n\n'
        '[[package]]\nname = "six"\nversion = "1.16.0"\nsource = { registry = "https://pypi.org/simple" }\n'
        "\n[[package]]\nversion = 3\n"
    )
    df = parse(python.parse_uv_lock, "uv.lock", text)
    assert [(d.name, d.version, d.dep_type) for d in df.dependencies] == [("six", "1.16.0", "runtime")]
    assert df.project == "app"
    assert [(p.line, p.reason) for p in df.problems] == [(22, "[[package]] without a name")]


# --------------------------------------------------------------------------------------------------
# Pipfile and Pipfile.lock


def test_pipfile() -> None:
    df = from_disk(FIXTURES, "Pipfile")
    assert (df.format, df.lockfile, df.problems) == ("Pipfile", False, ())
    got = [(d.name, d.specifier, d.version, d.dep_type, d.group, d.line) for d in df.dependencies]
    assert got == [
        ("requests", "", None, "runtime", "", 7),
        ("django", "==4.2.11", "4.2.11", "runtime", "", 8),
        ("celery", ">=5.3", None, "runtime", "", 9),
        ("pywin32", "", None, "runtime", "", 10),
        ("mylib", "", None, "runtime", "", 11),
        ("localpkg", "", None, "runtime", "", 12),
        ("pytest", ">=8", None, "dev", "", 15),
        ("black", "", None, "dev", "", 16),
        ("sphinx", "~=7.2", None, "dev", "docs", 19),
    ]
    deps = by_name(df)
    assert deps["celery"].extras == ("redis",)
    assert deps["pywin32"].marker == 'sys_platform == "win32"'
    assert deps["black"].marker == 'python_version >= "3.9"'
    assert deps["mylib"].source == "-e git+https://github.com/example/mylib.git@v1.0"
    assert deps["localpkg"].source == "-e ./localpkg"


def test_pipfile_bad_entries() -> None:
    text = '[packages]\nok = "*"\nbad = ">>1"\nodd = 3\n[dev-packages]\nm = {version="*", os_name="is nt"}\n'
    df = parse(python.parse_pipfile, "Pipfile", text)
    assert [d.name for d in df.dependencies] == ["ok"]
    assert [p.line for p in df.problems] == [3, 4, 6]


def test_pipfile_lock() -> None:
    df = from_disk(FIXTURES, "Pipfile.lock")
    assert (df.format, df.lockfile, df.problems) == ("Pipfile.lock", True, ())
    got = [(d.name, d.version, d.dep_type, d.direct, d.line) for d in df.dependencies]
    assert got == [
        ("certifi", "2024.7.4", "runtime", False, 19),
        ("requests", "2.32.3", "runtime", False, 26),
        ("mylib", None, "runtime", False, 33),
        ("pytest", "8.2.2", "dev", False, 40),
        ("requests", "2.32.3", "dev", False, 45),
    ]
    deps = by_name(df)
    assert deps["certifi"].marker == 'python_version >= "3.6"'
    assert (
        deps["mylib"].source
        == "-e git+https://github.com/example/mylib.git@3f2c1e0b9a8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"
    )


def test_pipfile_lock_that_is_not_json() -> None:
    df = parse(python.parse_pipfile_lock, "Pipfile.lock", '{\n  "default": {\n    "six": {,}\n')
    assert (df.dependencies, len(df.problems)) == ((), 1)
    assert df.problems[0].line == 3
    assert df.problems[0].reason.startswith("invalid JSON: ")
    df = parse(python.parse_pipfile_lock, "Pipfile.lock", "[1, 2]")
    assert [(p.line, p.reason) for p in df.problems] == [(1, "Pipfile.lock must be a JSON object")]


# --------------------------------------------------------------------------------------------------
# never raise


ODD = [
    "",
    "\ufeff",
    "[project]\ndependencies = [1, {a = 2}, []]\noptional-dependencies = [1]\n",
    "project = 3\ntool = 4\ndependency-groups = 5\nbuild-system = 6\n",
    "[tool.poetry]\ndependencies = 3\ngroup = {x = 3, y = {dependencies = [1]}}\nextras = {a = 1}\n",
    "package = 3\n",
    'package = [1, {name = 3}, {name = "x", version = [1]}]\n',
    '[[package]]\nname = "a"\nsource = 5\ndependencies = 7\noptional-dependencies = 3\n',
    '[[package]]\nname = "a"\nsource = { editable = "." }\ndependencies = [{name = 1}, 2]\n'
    'dev-dependencies = {d = 3}\noptional-dependencies = {x = [{name = "b"}]}\n',
    "packages = [1]\n[dev-packages]\na = [1]\nb = {version = 3}\nc = {extras = 4}\n",
    "[manifest]\nmembers = 3\n",
    '{"default": [], "develop": {"a": 3, "b": {"version": 7}, "c": {"extras": 4}}}',
    "null",
]


@pytest.mark.parametrize("text", ODD)
@pytest.mark.parametrize(
    "parser",
    [
        python.parse_requirements,
        python.parse_pyproject,
        python.parse_poetry_lock,
        python.parse_uv_lock,
        python.parse_pipfile,
        python.parse_pipfile_lock,
    ],
)
def test_odd_input_never_raises(parser: Parser, text: str) -> None:
    df = parse(parser, "odd", text)
    assert isinstance(df, DepFile)
    assert df.path == "odd"
    for p in df.problems:
        assert p.path == "odd" and p.reason
        assert not p.reason.startswith("cannot parse"), p.reason  # the last resort, for bugs only


def test_an_unexpected_error_is_a_problem_for_the_file() -> None:
    # A Source whose text is not a string is no input any reader gives: it stands for a parser bug.
    bad = Source("requirements.txt", None, ("a warning",))  # type: ignore[arg-type]
    df = python.parse_requirements(bad)
    assert (df.dependencies, df.warnings) == ((), ("a warning",))
    assert [(p.path, p.line) for p in df.problems] == [("requirements.txt", None)]
    assert df.problems[0].reason.startswith("cannot parse requirements: AttributeError")
