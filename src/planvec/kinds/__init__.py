"""Kinds of knowledge planvec indexes. A kind is one folder here and one ``REGISTRY.register`` line
below; see :mod:`planvec.kinds.base` and docs/adding-a-kind.md."""

from __future__ import annotations

from .base import (
    ALL,
    REGISTRY,
    DocContext,
    FilterModel,
    Kind,
    KindConfig,
    Parsed,
    Registry,
    Source,
    filter_pairs,
)
from .dependencies import DEPENDENCIES
from .plans import PLANS
from .schemas import SCHEMAS
from .security import SECURITY

REGISTRY.register(PLANS)
REGISTRY.register(DEPENDENCIES)
REGISTRY.register(SCHEMAS)
REGISTRY.register(SECURITY)

DEFAULT_KIND = PLANS.name  # what search and check read unless told otherwise

__all__ = [
    "ALL",
    "DEFAULT_KIND",
    "DEPENDENCIES",
    "PLANS",
    "REGISTRY",
    "SCHEMAS",
    "DocContext",
    "FilterModel",
    "Kind",
    "KindConfig",
    "Parsed",
    "Registry",
    "Source",
    "filter_pairs",
]
