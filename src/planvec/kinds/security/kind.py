"""The security policies kind: policy documents, structured policies, Rego and Kubernetes security
objects → ``security_policies``.

Which files: Markdown, YAML and JSON under ``security/``, ``policies/``, ``docs/security*``, every
``SECURITY.md``, every ``*.rego``, and every ``*.yaml`` / ``*.yml``: a YAML file outside those
directories is a policy file only when it holds a Kubernetes RBAC, NetworkPolicy, pod-template or
Namespace object (a quick look at its ``kind:`` lines comes first), otherwise its parse is empty
(no point, no problem). The schemas kind may read the same YAML files: two kinds may claim a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import yaml

from ...records import FileProblem, StoreDoc
from ...settings import Settings
from ..base import DocContext, FilterModel, KindConfig, Source, claims_by_globs, configure_from
from .documents import policy_docs
from .filters import SecurityFilters
from .kubernetes import KIND_LINE_RE, is_kubernetes, parse_kubernetes
from .markdown import parse_policy_markdown
from .nodes import load_documents, problem_line
from .records import PolicyFile
from .rego import parse_rego
from .structured import parse_structured

COLLECTION = "security_policies"
_POLICY_DIRS = ("**/security/**", "**/policies/**", "**/docs/security*/**")
INCLUDE: tuple[str, ...] = (
    "**/SECURITY.md",
    "**/security.md",
    "**/docs/security*.md",
    *(f"{d}/*.{ext}" for d in _POLICY_DIRS for ext in ("md", "markdown", "json")),
    "**/*.rego",
    "**/*.yaml",
    "**/*.yml",
)
PAYLOAD_INDEXES: dict[str, str] = {
    "kind": "keyword",
    "file": "keyword",
    "category": "keyword",
    "severity": "keyword",
    "format": "keyword",
    "tags": "keyword",
    "enabled": "bool",
}
HIT_FIELDS = (
    "title",
    "kind",
    "category",
    "severity",
    "format",
    "file",
    "line",
    "section",
    "policy_id",
    "enabled",
)


def in_policy_dir(rel: str) -> bool:
    parts = rel.lower().split("/")[:-1]
    return any(
        p in ("security", "policies") or (p.startswith("security") and i and parts[i - 1] == "docs")
        for i, p in enumerate(parts)
    )


class SecurityKind:
    """Security policies, rules, sections and Kubernetes security objects (``security_policies``)."""

    name: str = "security"
    collections: Mapping[str, str] = {"policies": COLLECTION}
    include: tuple[str, ...] = INCLUDE
    payload_indexes: Mapping[str, str] = PAYLOAD_INDEXES
    filters: FilterModel = SecurityFilters()
    hit_fields: tuple[str, ...] = HIT_FIELDS

    def configure(self, settings: Settings) -> KindConfig:
        return configure_from(self, settings)

    def claims(self, rel: str, config: KindConfig) -> bool:
        return claims_by_globs(rel, config)

    def parse(self, source: Source) -> PolicyFile | FileProblem:
        rel = source.rel
        ext = rel.rsplit(".", 1)[-1].lower() if "." in rel.rsplit("/", 1)[-1] else ""
        try:
            if ext in ("md", "markdown"):
                parsed = parse_policy_markdown(source.text, rel)
            elif ext == "rego":
                parsed = parse_rego(source.text, rel)
            elif ext in ("yaml", "yml", "json"):
                parsed = self._structured(source, "json" if ext == "json" else "yaml")
            else:
                parsed = PolicyFile(rel, "markdown")
        except (yaml.YAMLError, ValueError) as exc:
            return FileProblem(rel, f"not valid {ext.upper()}: {_first_line(exc)}", problem_line(exc))
        except RecursionError:
            return FileProblem(rel, "nested too deeply to parse")
        if source.warnings:
            parsed = replace(parsed, warnings=(*source.warnings, *parsed.warnings))
        return parsed

    def _structured(self, source: Source, fmt: str) -> PolicyFile:
        policy_dir = in_policy_dir(source.rel)
        if fmt == "yaml" and not policy_dir and not KIND_LINE_RE.search(source.text):
            return PolicyFile(source.rel, fmt)  # (a YAML file without a security object)
        docs = load_documents(source.text, fmt)
        if is_kubernetes(docs):
            return parse_kubernetes(docs, source.text, source.rel)
        return parse_structured(docs, source.rel, fmt) if policy_dir else PolicyFile(source.rel, fmt)

    def documents(self, parsed: PolicyFile, root: str, ctx: DocContext) -> dict[str, list[StoreDoc]]:
        if "policies" not in ctx.collections:
            return {}
        coll = ctx.collections["policies"]
        return {
            "policies": list(policy_docs(parsed, root, coll, ctx.model_key, ctx.count_tokens, ctx.max_tokens))
        }


def _first_line(exc: Exception) -> str:
    return str(exc).strip().split("\n", 1)[0][:200]


SECURITY = SecurityKind()
