"""What the dependencies kind does over all its files of a run (its ``combine`` hook):

1. pairs each manifest with its lockfile in the same directory of the same root (``package.json``
   with ``npm-shrinkwrap.json``, ``package-lock.json`` or ``yarn.lock``; ``pyproject.toml`` with
   ``poetry.lock`` or ``uv.lock``; ``Pipfile`` with ``Pipfile.lock``; ``Cargo.toml`` with
   ``Cargo.lock``; ``go.mod`` with ``go.sum``): the manifest's dependencies get the locked version,
   the lockfile's entries the manifest declares directly become direct, with the manifest's type;
2. describes the dependencies from what is installed next to the file (:mod:`.describe`);
3. assesses each dependency against the imported advisories (:mod:`.advisories`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from posixpath import basename, dirname
from typing import Any

from .advisories import AdvisoryDB, Assessment
from .describe import npm_descriptions, python_descriptions
from .documents import UNKNOWN, Resolved
from .records import Dependency, DepFile

# manifest file name -> its lockfiles' names, the one that wins first (npm: the shrinkwrap does)
LOCKFILES: dict[str, tuple[str, ...]] = {
    "package.json": ("npm-shrinkwrap.json", "package-lock.json", "yarn.lock"),
    "pyproject.toml": ("poetry.lock", "uv.lock"),
    "Pipfile": ("Pipfile.lock",),
    "Cargo.toml": ("Cargo.lock",),
    "go.mod": ("go.sum",),
}


def combine(files: Sequence[tuple[str, Any]], advisories: str | None) -> list[tuple[str, Any]]:
    """The run's files paired, described and assessed, as :class:`Resolved` (same order)."""
    out: list[tuple[str, Any]] = list(files)
    for manifest, lock in _pairs(out):
        out[manifest], out[lock] = _paired(out[manifest], out[lock])
    _describe(out)
    db, warning = _open(advisories)
    resolved: list[tuple[str, Any]] = []
    try:
        for i, (root, df) in enumerate(out):
            if not isinstance(df, DepFile):
                resolved.append((root, df))
                continue
            found, failed = _assess_all(db, df.dependencies)
            notes = [warning] if warning and i == 0 else []
            if failed:
                count = len(failed)
                notes.append(
                    f"advisories: {count} dependencies not assessed (state unknown), first: {failed[0]}"
                )
            if notes:
                df = replace(df, warnings=(*df.warnings, *notes))
            resolved.append((root, Resolved(df, found)))
    finally:
        close = getattr(db, "close", None)  # (the database is read once per run: not kept open)
        if close is not None:
            close()
    return resolved


def _pairs(files: Sequence[tuple[str, Any]]) -> list[tuple[int, int]]:
    """(manifest index, lockfile index) of every manifest that has a lockfile beside it."""
    where: dict[tuple[str, str, str], int] = {}
    for i, (root, df) in enumerate(files):
        if isinstance(df, DepFile):
            where[(root, dirname(df.path), basename(df.path))] = i
    pairs = []
    for (root, folder, name), i in where.items():
        for lock in LOCKFILES.get(name, ()):
            j = where.get((root, folder, lock))
            if j is not None:
                pairs.append((i, j))
                break
    return pairs


def _paired(manifest: tuple[str, DepFile], lock: tuple[str, DepFile]) -> tuple[tuple[str, DepFile], ...]:
    (mroot, mdf), (lroot, ldf) = manifest, lock
    entries = list(ldf.dependencies)
    by_name: dict[tuple[str, str], list[int]] = {}
    for n, entry in enumerate(entries):
        by_name.setdefault((entry.ecosystem, entry.name), []).append(n)
    declared = []
    for dep in mdf.dependencies:
        i = _locked_entry(dep, by_name.get((dep.ecosystem, dep.name), []), entries)
        if i is None:
            declared.append(dep)
            continue
        entry = entries[i]
        # (a go.mod "// indirect" require is declared but not direct: its go.sum entry is neither)
        entries[i] = replace(entry, direct=entry.direct or dep.direct, dep_type=dep.dep_type)
        declared.append(replace(dep, version=entry.version or dep.version))
    paired_manifest = replace(mdf, dependencies=tuple(declared))
    return (mroot, paired_manifest), (lroot, replace(ldf, dependencies=tuple(entries)))


def _locked_entry(dep: Dependency, candidates: list[int], entries: list[Dependency]) -> int | None:
    """The lockfile entry that resolves ``dep``: the one of its version (go.sum lists every version
    of the module graph: only that one counts), else the one the lockfile marks direct (the top
    level of node_modules), else the first."""
    same = [i for i in candidates if dep.version and entries[i].version == dep.version]
    if same or dep.ecosystem == "go":
        return same[0] if same else None
    direct = [i for i in candidates if entries[i].direct]
    chosen = direct or candidates
    return chosen[0] if chosen else None


def _describe(files: list[tuple[str, Any]]) -> None:
    """Descriptions from the packages installed next to each file, read once per directory."""
    wanted: dict[tuple[str, str, str], set[str]] = {}
    for root, df in files:
        if isinstance(df, DepFile) and root:
            for dep in df.dependencies:
                if not dep.description and dep.ecosystem in ("npm", "pypi"):
                    wanted.setdefault((root, dirname(df.path), dep.ecosystem), set()).add(dep.name)
    found = {key: _descriptions(*key, names) for key, names in wanted.items()}
    for i, (root, df) in enumerate(files):
        if not isinstance(df, DepFile) or not root:
            continue
        deps = tuple(
            _described(d, found.get((root, dirname(df.path), d.ecosystem), {})) for d in df.dependencies
        )
        if deps != df.dependencies:
            files[i] = (root, replace(df, dependencies=deps))


def _descriptions(root: str, folder: str, ecosystem: str, names: set[str]) -> dict[str, str]:
    directory = Path(root) / folder
    if ecosystem == "npm":
        return npm_descriptions(directory, sorted(names))
    found = python_descriptions(directory, sorted(names))
    if not found and directory.name == "requirements":  # requirements/*.txt: the venv is one level up
        found = python_descriptions(directory.parent, sorted(names))
    return found


def _described(dep: Dependency, descriptions: dict[str, str]) -> Dependency:
    text = descriptions.get(dep.name) if not dep.description else None
    return replace(dep, description=text) if text else dep


def _open(path: str | None) -> tuple[AdvisoryDB | None, str]:
    if not path:
        return None, ""
    try:
        return AdvisoryDB.open(Path(path)), ""
    except Exception as exc:  # a damaged database: the index goes on, states unknown, and says why
        reason = f"{type(exc).__name__}: {exc}"
        return None, f"advisories database {path} could not be read ({reason}): advisory states unknown"


def _assess_all(
    db: AdvisoryDB | None, deps: Sequence[Dependency]
) -> tuple[tuple[Assessment, ...], list[str]]:
    """Each dependency's assessment, and what went wrong for those that could not be assessed (an
    odd version string must not stop the index: that dependency stays unknown, and it is said)."""
    if db is None:
        return (UNKNOWN,) * len(deps), []
    found: list[Assessment] = []
    failed: list[str] = []
    for dep in deps:
        try:
            found.append(db.assess(dep))
        except Exception as exc:
            found.append(UNKNOWN)
            failed.append(f"{dep.name} {dep.version or dep.specifier}: {type(exc).__name__}: {exc}")
    return tuple(found), failed
