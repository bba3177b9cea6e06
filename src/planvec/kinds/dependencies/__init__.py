"""The dependencies kind: manifests and lockfiles of Python, npm, Go, Rust and Maven projects."""

from .records import DEP_TYPES, ECOSYSTEMS, OSV_ECOSYSTEMS, Dependency, DepFile

__all__ = ["DEP_TYPES", "ECOSYSTEMS", "OSV_ECOSYSTEMS", "DepFile", "Dependency"]
