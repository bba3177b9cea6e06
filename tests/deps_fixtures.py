"""What the dependencies kind's tests share: a small project tree with known answers, and stand-in
parsers for the formats whose real parser is not written yet.

The stand-ins (requirements, package.json, package-lock.json v2/v3) read only what the sample tree
holds. They replace a parser only while it still returns the placeholder problem ("parser not
written yet"): once the real parsers are merged, the same tests run on them unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from planvec.kinds import Source
from planvec.kinds.dependencies import Dependency, DepFile, formats
from planvec.records import FileProblem

PLACEHOLDER = "parser not written yet"


def is_placeholder(parser: Callable[[Source], DepFile]) -> bool:
    return any(p.reason == PLACEHOLDER for p in parser(Source("x", "")).problems)


def _line_of(text: str, needle: str, start: int = 0) -> int:
    at = text.find(needle, start)
    return text.count("\n", 0, at) + 1 if at >= 0 else 1


def stand_in_requirements(source: Source) -> DepFile:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    dev = "dev" in source.rel.rsplit("/", 1)[-1] or "test" in source.rel.rsplit("/", 1)[-1]
    deps, problems = [], []
    for n, raw in enumerate(source.text.split("\n"), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement as exc:
            problems.append(FileProblem(source.rel, f"invalid requirement: {exc}", n))
            continue
        spec = str(req.specifier)
        pins = [s.version for s in req.specifier if s.operator in ("==", "===") and "*" not in s.version]
        version = pins[0] if len(req.specifier) == 1 and pins else None
        deps.append(
            Dependency(
                "pypi", canonicalize_name(req.name), spec, version, "dev" if dev else "runtime", True, n
            )
        )
    return DepFile(source.rel, "requirements", False, tuple(deps), problems=tuple(problems))


def _json(source: Source, fmt: str) -> tuple[dict | None, DepFile | None]:
    try:
        data = json.loads(source.text)
    except json.JSONDecodeError as exc:
        return None, DepFile(source.rel, fmt, False, problems=(FileProblem(source.rel, exc.msg, exc.lineno),))
    return data, None


def stand_in_package_json(source: Source) -> DepFile:
    data, bad = _json(source, "package.json")
    if bad is not None or data is None:
        return bad or DepFile(source.rel, "package.json", False)
    deps = []
    for table, dep_type in (("dependencies", "runtime"), ("devDependencies", "dev")):
        start = source.text.find(f'"{table}"')
        for name, spec in (data.get(table) or {}).items():
            line = _line_of(source.text, f'"{name}"', max(start, 0))
            version = spec if re.fullmatch(r"\d+\.\d+\.\d+", spec) else None
            deps.append(Dependency("npm", name, spec, version, dep_type, True, line))
    return DepFile(source.rel, "package.json", False, tuple(deps), project=str(data.get("name") or ""))


def stand_in_package_lock(source: Source) -> DepFile:
    data, bad = _json(source, "package-lock.json")
    if bad is not None or data is None:
        return bad or DepFile(source.rel, "package-lock.json", True)
    packages = data.get("packages") or {}
    root = packages.get("") or {}
    declared = {**(root.get("dependencies") or {}), **(root.get("devDependencies") or {})}
    deps = []
    for key, entry in packages.items():
        if not key:
            continue
        name = key.rsplit("node_modules/", 1)[-1]
        line = _line_of(source.text, f'"{key}"')
        dep_type = "dev" if entry.get("dev") else "optional" if entry.get("optional") else "runtime"
        direct = name in declared and key == f"node_modules/{name}"
        deps.append(Dependency("npm", name, "", entry.get("version"), dep_type, direct, line))
    return DepFile(source.rel, "package-lock.json", True, tuple(deps), project=str(data.get("name") or ""))


STAND_INS: dict[str, Callable[[Source], DepFile]] = {
    "requirements*.txt": stand_in_requirements,
    "package.json": stand_in_package_json,
    "package-lock.json": stand_in_package_lock,
}


def use_stand_ins(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Put the stand-ins in place of the placeholder parsers; the patterns replaced."""
    replaced, table = [], []
    for pattern, parser in formats.PARSERS:
        if pattern in STAND_INS and is_placeholder(parser):
            parser = STAND_INS[pattern]
            replaced.append(pattern)
        table.append((pattern, parser))
    monkeypatch.setattr(formats, "PARSERS", tuple(table))
    return replaced


PACKAGE_JSON = """{
  "name": "web",
  "version": "1.0.0",
  "dependencies": {
    "axios": "^1.6.0",
    "lodash": "^4.17.0"
  },
  "devDependencies": {
    "jest": "^29.0.0"
  }
}
"""

PACKAGE_LOCK = {
    "name": "web",
    "version": "1.0.0",
    "lockfileVersion": 3,
    "requires": True,
    "packages": {
        "": {
            "name": "web",
            "version": "1.0.0",
            "dependencies": {"axios": "^1.6.0", "lodash": "^4.17.0"},
            "devDependencies": {"jest": "^29.0.0"},
        },
        "node_modules/axios": {
            "version": "1.6.2",
            "resolved": "https://registry.npmjs.org/axios/-/axios-1.6.2.tgz",
            "dependencies": {"follow-redirects": "^1.15.0"},
        },
        "node_modules/follow-redirects": {
            "version": "1.15.4",
            "resolved": "https://registry.npmjs.org/follow-redirects/-/follow-redirects-1.15.4.tgz",
        },
        "node_modules/jest": {
            "version": "29.7.0",
            "resolved": "https://registry.npmjs.org/jest/-/jest-29.7.0.tgz",
            "dev": True,
        },
        "node_modules/lodash": {
            "version": "4.17.21",
            "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz",
        },
    },
}

METADATA = (
    "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: {summary}\n\n{name}: the long text.\n"
)


def write_project(root: Path) -> Path:
    """A project of two parts with known answers:

    - ``web/``: package.json (axios ^1.6.0, lodash ^4.17.0; dev jest ^29.0.0) and its v3 lockfile
      (axios 1.6.2, follow-redirects 1.15.4 transitive, jest 29.7.0 dev, lodash 4.17.21), axios and
      jest installed in node_modules (with descriptions);
    - ``api/``: requirements.txt (requests==2.31.0, flask>=2.0), requirements-dev.txt (pytest>=7.0),
      requests and pytest installed in .venv (with summaries).
    """
    web = root / "web"
    (web / "node_modules" / "axios").mkdir(parents=True)
    (web / "node_modules" / "jest").mkdir(parents=True)
    (web / "package.json").write_text(PACKAGE_JSON, encoding="utf-8")
    (web / "package-lock.json").write_text(json.dumps(PACKAGE_LOCK, indent=2) + "\n", encoding="utf-8")
    (web / "node_modules" / "axios" / "package.json").write_text(
        json.dumps({"name": "axios", "description": "Promise based HTTP client for the browser and node.js"}),
        encoding="utf-8",
    )
    (web / "node_modules" / "jest" / "package.json").write_text(
        json.dumps({"name": "jest", "description": "Delightful JavaScript Testing."}), encoding="utf-8"
    )
    api = root / "api"
    site = api / ".venv" / "lib" / "python3.12" / "site-packages"
    for name, version, summary in (
        ("requests", "2.31.0", "Python HTTP for Humans."),
        ("pytest", "8.0.0", "pytest: simple powerful testing with Python"),
    ):
        info = site / f"{name}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            METADATA.format(name=name, version=version, summary=summary), encoding="utf-8"
        )
    (api / "requirements.txt").write_text("requests==2.31.0\nflask>=2.0  # web framework\n", encoding="utf-8")
    (api / "requirements-dev.txt").write_text("pytest>=7.0\n", encoding="utf-8")
    return root
