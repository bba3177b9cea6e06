"""The dependencies kind: manifests and lockfiles of Python, npm, Go, Rust and Maven projects."""

from .filters import DependencyFilters
from .kind import COLLECTION, DEPENDENCIES, PAYLOAD_INDEXES, DependenciesKind
from .records import DEP_TYPES, ECOSYSTEMS, OSV_ECOSYSTEMS, Dependency, DepFile

__all__ = [
    "COLLECTION",
    "DEPENDENCIES",
    "DEP_TYPES",
    "ECOSYSTEMS",
    "OSV_ECOSYSTEMS",
    "PAYLOAD_INDEXES",
    "DepFile",
    "DependenciesKind",
    "Dependency",
    "DependencyFilters",
]
