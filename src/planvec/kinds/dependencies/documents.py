"""Dependency records → store documents: one point per (file, dependency) in ``dependencies``.

The embedded text follows the system description's "name version type description", plus the
ecosystem and the file it comes from (``requests 2.31.0 runtime HTTP for Humans. (pypi,
src/langchain/requirements.txt)``): a search for "http client" meets the description and the name,
a search for "npm dev" meets the type and the ecosystem. The BM25 text adds the declared specifier,
the extras, the group and the marker, which a keyword search may name.

The anchor (hence the point id) is what identifies a dependency within its file whatever else the
file holds: ecosystem, name, type, group and marker; for a lockfile also the version, because a
lockfile can hold two versions of one package. Two records with the same anchor (the same package
twice in one file) get ``#2``, ``#3``... in file order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from packageurl import PackageURL

from ...records import StoreDoc, finish_doc
from .advisories import Assessment
from .records import Dependency, DepFile

KIND = "dependency"  # the payload "kind" of every point
UNKNOWN = Assessment("unknown")
_PURL_TYPES = {"pypi": "pypi", "npm": "npm", "go": "golang", "cargo": "cargo", "maven": "maven"}


@dataclass(frozen=True, slots=True)
class Resolved:
    """A dependency file after :func:`~planvec.kinds.dependencies.resolve.combine`: its records
    paired with a lockfile (versions, direct flags) and described, and each record's advisory
    assessment (same order as ``file.dependencies``)."""

    file: DepFile
    assessments: tuple[Assessment, ...] = ()

    @property
    def path(self) -> str:
        return self.file.path

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.file.warnings

    @property
    def problems(self) -> tuple[Any, ...]:
        return self.file.problems


def anchor_of(dep: Dependency, lockfile: bool) -> str:
    parts = [dep.ecosystem, dep.name, dep.dep_type, dep.group, dep.marker]
    if lockfile:
        parts.append(dep.version or "")
    return "\x1f".join(parts)


def anchors(deps: Iterable[Dependency], lockfile: bool) -> list[str]:
    """The anchor of each record, unique within the file (``#N`` for the N-th repeat)."""
    seen: Counter[str] = Counter()
    out = []
    for dep in deps:
        base = anchor_of(dep, lockfile)
        seen[base] += 1
        out.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return out


def purl(dep: Dependency) -> str:
    """The package URL of a dependency (``pkg:npm/%40types/node@20.1.0``); "" when it has none."""
    kind = _PURL_TYPES.get(dep.ecosystem)
    if kind is None or not dep.name:
        return ""
    namespace, name = None, dep.name
    if dep.ecosystem == "npm" and dep.name.startswith("@") and "/" in dep.name:
        namespace, name = dep.name.split("/", 1)
    elif dep.ecosystem == "go" and "/" in dep.name:
        namespace, name = dep.name.rsplit("/", 1)
    elif dep.ecosystem == "maven" and ":" in dep.name:
        namespace, name = dep.name.split(":", 1)
    try:
        return str(
            PackageURL(type=kind, namespace=namespace, name=name, version=dep.version or None).to_string()
        )
    except ValueError:
        return ""


def title_of(dep: Dependency) -> str:
    """One line a human reads: ``requests ==2.31.0``, ``axios ^1.6.0 (locked 1.6.2)``, ``lodash
    4.17.21`` (a lockfile's entry)."""
    detail = dep.specifier or dep.version or ""
    if dep.specifier and dep.version and dep.version not in dep.specifier:
        detail += f" (locked {dep.version})"
    return f"{dep.name} {detail}".strip()


def dense_text(dep: Dependency, path: str) -> str:
    head = " ".join(p for p in (dep.name, dep.version or dep.specifier, dep.dep_type, dep.description) if p)
    return f"{head} ({dep.ecosystem}, {path})"


def sparse_text(dep: Dependency, path: str) -> str:
    extra = " ".join(p for p in (dep.specifier, " ".join(dep.extras), dep.group, dep.marker) if p)
    return f"{dense_text(dep, path)} {extra}".rstrip()


def payload_of(dep: Dependency, df: DepFile, root: str, anchor: str, found: Assessment) -> dict[str, Any]:
    return {
        "kind": KIND,
        "root": root,
        "file": df.path,
        "line": dep.line,
        "anchor": anchor,
        "title": title_of(dep),
        "ecosystem": dep.ecosystem,
        "name": dep.name,
        "purl": purl(dep),
        "specifier": dep.specifier,
        "version": dep.version,
        "dep_type": dep.dep_type,
        "dev": dep.dep_type == "dev",
        "direct": dep.direct,
        "manifest": df.path,
        "lockfile": df.lockfile,
        "format": df.format,
        "project": df.project,
        "group": dep.group,
        "extras": list(dep.extras),
        "marker": dep.marker,
        "source": dep.source,
        "description": dep.description,
        "advisory": found.state,
        "advisory_ids": list(found.ids),
        "advisory_fixed": list(found.fixed),
    }


def dependency_docs(
    parsed: Resolved | DepFile, root: str, collection: str, model_key: str
) -> Iterator[StoreDoc]:
    """Store documents of one dependency file (a bare DepFile: no advisory assessment)."""
    resolved = parsed if isinstance(parsed, Resolved) else Resolved(parsed)
    df = resolved.file
    found = resolved.assessments or (UNKNOWN,) * len(df.dependencies)
    for dep, anchor, assessment in zip(
        df.dependencies, anchors(df.dependencies, df.lockfile), found, strict=True
    ):
        payload = payload_of(dep, df, root, anchor, assessment)
        text, sparse = dense_text(dep, df.path), sparse_text(dep, df.path)
        yield finish_doc(collection, root, df.path, anchor, text, sparse, payload, model_key)
