"""The security policies kind: policy documents, structured policies, Rego, Kubernetes RBAC,
NetworkPolicy and pod security → ``security_policies``."""

from __future__ import annotations

from .filters import SecurityFilters
from .kind import COLLECTION, SECURITY, SecurityKind
from .records import FORMATS, POLICY_KINDS, SEVERITIES, Policy, PolicyFile

__all__ = [
    "COLLECTION",
    "FORMATS",
    "POLICY_KINDS",
    "SECURITY",
    "SEVERITIES",
    "Policy",
    "PolicyFile",
    "SecurityFilters",
    "SecurityKind",
]
