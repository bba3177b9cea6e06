"""Records of the security policies kind: one :class:`Policy` per policy, rule, Markdown section,
RBAC object, NetworkPolicy or pod security context; one :class:`PolicyFile` per parsed file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...records import FileProblem

#: What a point is (payload ``kind``).
POLICY_KINDS = ("policy", "rule", "section", "rbac", "network_policy", "pod_security")
#: Where it comes from (payload ``format``).
FORMATS = ("markdown", "yaml", "json", "rego", "kubernetes")
#: Severities, least to most severe (the scan uses the same scale).
SEVERITIES = ("info", "low", "medium", "high", "critical")


@dataclass(frozen=True, slots=True)
class Policy:
    """One searchable unit of a security policy file."""

    anchor: str  # unique in its file, independent of line numbers (a policy id, a heading path)
    kind: str  # one of POLICY_KINDS
    title: str
    text: str  # what is embedded (and, with the title and the section, what BM25 reads)
    line: int
    format: str  # one of FORMATS
    category: str = "general"
    severity: str | None = None  # one of SEVERITIES, None when the source says nothing
    tags: tuple[str, ...] = ()
    enabled: bool = True
    section: tuple[str, ...] = ()  # heading breadcrumb, package, or object path, outermost first
    # The source system's fields, where the file has them (structured policies, Rego metadata).
    policy_id: str | None = None
    name: str | None = None
    description: str | None = None
    rules: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)  # kind-specific (namespace, subjects, ...)


@dataclass(frozen=True, slots=True)
class PolicyFile:
    path: str
    format: str
    policies: tuple[Policy, ...] = ()
    warnings: tuple[str, ...] = ()
    problems: tuple[FileProblem, ...] = ()
