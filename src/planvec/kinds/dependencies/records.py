"""Records of the dependencies kind: one :class:`Dependency` per declared or locked package of a
manifest or lockfile, and :class:`DepFile`, what parsing one such file gives."""

from __future__ import annotations

from dataclasses import dataclass

from ...records import FileProblem

# planvec's ecosystem names (the ``--ecosystem`` filter); the audit maps them to OSV's names.
ECOSYSTEMS = ("pypi", "npm", "go", "cargo", "maven")
OSV_ECOSYSTEMS = {"pypi": "PyPI", "npm": "npm", "go": "Go", "cargo": "crates.io", "maven": "Maven"}
DEP_TYPES = ("runtime", "dev", "optional", "peer", "build")


@dataclass(frozen=True, slots=True)
class Dependency:
    """One package as one file declares or locks it."""

    ecosystem: str  # one of ECOSYSTEMS
    # Normalised name: PEP 503 for pypi (lower case, runs of -_. as -), npm as written (scoped
    # names keep their @scope/), the module path for go, the crate name for cargo,
    # ``groupId:artifactId`` for maven.
    name: str
    specifier: str  # as declared ("" when none): ">=2,<3", "^4.17.0", "v1.2.3", "[1.0,2.0)"
    version: str | None  # the exact version: resolved by a lockfile, or an exact pin (==, =, bare)
    dep_type: str  # one of DEP_TYPES
    direct: bool  # declared by the project itself (False: only pulled in by another package)
    line: int  # 1-based line of the declaration in the file
    group: str = ""  # extra / optional-dependencies group / dependency-group / workspace member
    marker: str = ""  # PEP 508 environment marker, cargo target cfg, npm "os"/"cpu" ...
    source: str = ""  # non-registry origin as written: URL, VCS, path, "-e ./pkg"
    description: str = ""  # found offline (node_modules/<name>/package.json, installed metadata)
    extras: tuple[str, ...] = ()  # extras the declaration asks for (pypi ``requests[socks]``: socks)


@dataclass(frozen=True, slots=True)
class DepFile:
    """What one manifest or lockfile declares; ``problems`` are per-line (the rest still indexed)."""

    path: str  # relative to the root, POSIX
    format: str  # "requirements", "pyproject", "poetry.lock", "uv.lock", "Pipfile", "Pipfile.lock",
    # "package.json", "package-lock.json", "yarn.lock", "go.mod", "go.sum", "Cargo.toml",
    # "Cargo.lock", "pom.xml"
    lockfile: bool
    dependencies: tuple[Dependency, ...] = ()
    project: str = ""  # the package or module the file declares (package.json name, go module path)
    includes: tuple[str, ...] = ()  # other files it read (requirements -r/-c), relative to the root
    warnings: tuple[str, ...] = ()
    problems: tuple[FileProblem, ...] = ()
