"""Kinds of knowledge: the :class:`Kind` protocol and the registry of kinds.

A kind is one folder under ``planvec/kinds/`` and one line in ``planvec/kinds/__init__.py``: a small
object that says which collections it writes, which discovered files it claims, how it parses one
file into records (never raising for odd input: problems are returned with file and line), how
records become store documents, which payload fields it indexes, how user filters become store
conditions and which fields of a hit the CLI, the API and the web page show. Everything above
(sync, ops, engine, CLI, service) works over kinds and knows none of their fields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ..errors import UsageError
from ..globs import selects
from ..records import FileProblem, StoreDoc
from ..settings import KindSettings, Settings
from ..store.base import Filters

ALL = "all"  # ``--kind all``: every enabled kind


@dataclass(frozen=True, slots=True)
class Source:
    """One discovered file, read once with the shared hygiene (:func:`planvec.parsing.read_text`)."""

    rel: str  # path relative to the root it was found under, POSIX separators
    text: str
    warnings: tuple[str, ...] = ()  # what reading it repaired (BOM, invalid UTF-8, ...)
    # The absolute root the file was found under ("" when parsed from text alone): a kind whose
    # format points at other files (requirements ``-r``, a lockfile beside a manifest) reads them
    # relative to ``root/rel`` with :func:`planvec.parsing.read_text`.
    root: str = ""


class Parsed(Protocol):
    """What a kind's ``parse`` returns for a file it could read: its records, plus these fields."""

    @property
    def path(self) -> str: ...

    @property
    def warnings(self) -> tuple[str, ...]: ...

    @property
    def problems(self) -> tuple[FileProblem, ...]: ...


@dataclass(frozen=True, slots=True)
class KindConfig:
    """A kind as the settings configure it for one run."""

    enabled: bool
    collections: Mapping[str, str]  # role -> collection name, every role of the kind
    include: tuple[str, ...]  # globs (relative to each PATH) of the files the kind claims
    exclude: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)  # kind-specific (plans: task_text)
    skip: frozenset[str] = frozenset()  # roles the settings do not index (plans: index_sections off)

    @property
    def indexed(self) -> dict[str, str]:
        """role -> collection name of the roles a run writes."""
        return {r: c for r, c in self.collections.items() if r not in self.skip}

    @property
    def search_collection(self) -> str:
        """The collection a search of this kind reads unless told otherwise: the first role's."""
        return next(iter(self.collections.values()))


@dataclass(frozen=True, slots=True)
class DocContext:
    """What a kind needs to turn parsed files into store documents."""

    collections: Mapping[str, str]  # role -> collection name
    model_key: str  # dense model + BM25 configuration: part of every content hash
    count_tokens: Callable[[str], int]
    max_tokens: int
    options: Mapping[str, Any] = field(default_factory=dict)


class FilterModel(Protocol):
    """A kind's user-level filters (CLI flags, HTTP query parameters) and their store conditions.

    ``values`` maps filter names (``names``) to values; absent or empty values mean "any".
    """

    names: tuple[str, ...]

    def check(self, values: Mapping[str, Any]) -> None:
        """Raise :class:`UsageError` for a value that can never match, before any store access."""

    def to_store(self, values: Mapping[str, Any], distinct: Callable[[str], list[str]]) -> Filters:
        """Generic store conditions for ``values``; ``distinct(field)`` lists the values a keyword
        field holds in the collection (to resolve a glob)."""


@runtime_checkable
class Kind(Protocol):
    """One kind of knowledge. See the module docstring and docs/adding-a-kind.md."""

    name: str
    collections: Mapping[str, str]  # role -> default collection name (the first role is searched)
    include: tuple[str, ...]  # default globs of the files it claims
    payload_indexes: Mapping[str, str]  # payload field -> schema ("keyword", "bool", ...)
    filters: FilterModel
    hit_fields: tuple[str, ...]  # payload fields a hit shows, besides score, collection and point id

    def configure(self, settings: Settings) -> KindConfig:
        """The kind's settings for a run (see :func:`configure_from`)."""

    def claims(self, rel: str, config: KindConfig) -> bool:
        """Whether the kind parses the discovered file ``rel`` (see :func:`claims_by_globs`)."""

    def parse(self, source: Source) -> Any:
        """Records of one file (a :class:`Parsed`); a file it cannot parse at all is a FileProblem.
        Never raises."""

    def documents(self, parsed: Any, root: str, ctx: DocContext) -> Mapping[str, list[StoreDoc]]:
        """Store documents of one parsed file per role (only the roles in ``ctx.collections``)."""


class Combining(Protocol):
    """A kind whose records depend on several files at once (ordered SQL migrations, a manifest and
    its lockfile) also has ``combine``: sync calls it once per run, after every file of the kind was
    parsed, with all of them as ``(root, parsed)`` in walk order, and indexes what it returns."""

    def combine(self, files: Sequence[tuple[str, Any]], config: KindConfig) -> list[tuple[str, Any]]: ...


def combine(kind: Kind, files: Sequence[tuple[str, Any]], config: KindConfig) -> list[tuple[str, Any]]:
    """The kind's ``combine`` over ``files`` when it has one, else ``files`` unchanged."""
    hook = getattr(kind, "combine", None)
    return list(files) if hook is None else list(hook(files, config))


def filter_pairs(items: Sequence[str]) -> dict[str, str]:
    """``NAME=VALUE`` filter arguments (CLI ``--filter``, HTTP ``filter=``) as a mapping; the kind's
    filter model then checks names and values."""
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"filter {item!r} is not NAME=VALUE", hint="e.g. filter=status=pending")
        out[name.strip()] = value
    return out


def configure_from(kind: Kind, settings: Settings) -> KindConfig:
    """The configuration of a kind from ``settings.kinds[name]`` (``[kinds.NAME]`` in planvec.toml,
    ``PLANVEC_KINDS`` as JSON), defaults from the kind."""
    ks = settings.kinds.get(kind.name) or KindSettings()
    return KindConfig(
        enabled=ks.enabled,
        collections={role: ks.collections.get(role, name) for role, name in kind.collections.items()},
        include=tuple(ks.include) if ks.include else tuple(kind.include),
        exclude=tuple(ks.exclude),
        options=dict(ks.options),
    )


def claims_by_globs(rel: str, config: KindConfig) -> bool:
    """The usual ``claims``: the file's path relative to its PATH matches the kind's globs."""
    return selects(rel, config.include, config.exclude)


class Registry:
    """The kinds planvec knows, by name (in registration order)."""

    def __init__(self) -> None:
        self._kinds: dict[str, Kind] = {}

    def register(self, kind: Kind) -> Kind:
        if kind.name in self._kinds or kind.name == ALL:
            raise ValueError(f"a kind named {kind.name!r} is already registered")
        self._kinds[kind.name] = kind
        return kind

    def unregister(self, name: str) -> None:
        self._kinds.pop(name, None)

    def names(self) -> list[str]:
        return list(self._kinds)

    def __iter__(self) -> Iterator[Kind]:
        return iter(list(self._kinds.values()))

    def get(self, name: str) -> Kind:
        kind = self._kinds.get(name)
        if kind is None:
            raise UsageError(f"unknown kind {name!r}", hint=f"use one of {', '.join(self._kinds)} (or all)")
        return kind

    def select(self, settings: Settings, names: Sequence[str] | None = None) -> list[tuple[Kind, KindConfig]]:
        """The kinds a run works on, configured: those named (``all``: every enabled one), else
        every enabled kind. Naming a kind the settings disable is a usage error."""
        wanted = list(dict.fromkeys(names or ()))
        if not wanted or ALL in wanted:
            out = [(k, k.configure(settings)) for k in self]
            return [(k, c) for k, c in out if c.enabled]
        selected = []
        for name in wanted:
            kind = self.get(name)
            config = kind.configure(settings)
            if not config.enabled:
                raise UsageError(
                    f"kind {name!r} is disabled in the settings",
                    hint=f"enable it: [kinds.{name}] enabled = true in planvec.toml",
                )
            selected.append((kind, config))
        return selected

    def owner(self, settings: Settings, collection: str) -> tuple[Kind, KindConfig] | None:
        """The enabled kind that writes ``collection`` (any of its roles), if any."""
        for kind in self:
            config = kind.configure(settings)
            if config.enabled and collection in config.collections.values():
                return kind, config
        return None


REGISTRY = Registry()
