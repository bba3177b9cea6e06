"""Kubernetes security objects → ``rbac``, ``network_policy`` and ``pod_security`` records.

* Role / ClusterRole: what it grants, one line per rule (with the YAML comment above the rule), and
  who it is bound to by the bindings of the same file; severity ``high`` for a wildcard verb or
  resource, ``medium`` when it reads secrets, else ``low``.
* RoleBinding / ClusterRoleBinding: which subjects get which role (and, when the role is in the same
  file, what that grants).
* NetworkPolicy: the pods it selects, its policy types, each ingress and egress rule in words.
* Pod templates (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) that set a
  security context, host namespaces or a service account: the pod's and each container's settings;
  severity ``critical`` for a privileged container, ``high`` for privilege escalation or root.
* Namespaces with Pod Security Admission labels (``pod-security.kubernetes.io/*``).

Other objects (ConfigMaps, Secrets, Services...) are not policies and give no record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .classify import unique_anchor
from .nodes import LDict, LList, line_of
from .records import Policy, PolicyFile

RBAC_KINDS = frozenset({"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"})
WORKLOADS = frozenset({"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"})
POLICY_OBJECTS = RBAC_KINDS | WORKLOADS | {"NetworkPolicy", "Namespace", "PodSecurityPolicy"}
# A cheap look at the text before YAML parsing: a YAML file without such a ``kind:`` gives no record.
KIND_LINE_RE = re.compile(
    r"^\s*kind:\s*['\"]?(?:" + "|".join(sorted(POLICY_OBJECTS)) + r")['\"]?\s*(?:#.*)?$", re.M
)
_PSA_LABEL = "pod-security.kubernetes.io/"


def is_kubernetes(docs: list[Any]) -> bool:
    return any(isinstance(d, Mapping) and "apiVersion" in d and "kind" in d for d in docs)


def parse_kubernetes(docs: list[Any], text: str, path: str) -> PolicyFile:
    lines = text.split("\n")
    objs = [d for d in docs if isinstance(d, LDict) and str(d.get("kind")) in POLICY_OBJECTS]
    bindings = [d for d in objs if d.get("kind") in ("RoleBinding", "ClusterRoleBinding")]
    roles = {_name(d): d for d in objs if d.get("kind") in ("Role", "ClusterRole")}
    seen: dict[str, int] = {}
    out: list[Policy] = []
    for d in objs:
        kind = str(d["kind"])
        rec: Policy | None
        if kind in ("Role", "ClusterRole"):
            rec = _role(d, lines, [b for b in bindings if _role_ref(b) == (kind, _name(d))])
        elif kind in ("RoleBinding", "ClusterRoleBinding"):
            rec = _binding(d, roles.get(_role_ref(d)[1]), lines)
        elif kind == "NetworkPolicy":
            rec = _network_policy(d)
        elif kind in WORKLOADS:
            rec = _workload(d)
        else:
            rec = _namespace(d) if kind == "Namespace" else _psp(d)
        if rec is not None:
            out.append(_anchored(rec, seen))
    return PolicyFile(path, "kubernetes", tuple(out))


def _anchored(rec: Policy, seen: dict[str, int]) -> Policy:
    return replace(rec, anchor=unique_anchor(rec.anchor, seen))


def _map(v: Any) -> Mapping[str, Any]:
    return v if isinstance(v, Mapping) else {}


def _meta(d: Mapping[str, Any]) -> Mapping[str, Any]:
    m = d.get("metadata")
    return m if isinstance(m, Mapping) else {}


def _name(d: Mapping[str, Any]) -> str:
    return str(_meta(d).get("name") or "?")


def _ns(d: Mapping[str, Any]) -> str | None:
    ns = _meta(d).get("namespace")
    return str(ns) if ns else None


def _where(d: Mapping[str, Any]) -> str:
    ns = _ns(d)
    return f"{d.get('kind')} {_name(d)}" + (f" (namespace {ns})" if ns else "")


def _role_ref(b: Mapping[str, Any]) -> tuple[str, str]:
    ref = _map(b.get("roleRef"))
    return str(ref.get("kind") or ""), str(ref.get("name") or "")


def _list(v: Any) -> list[Any]:
    return list(v) if isinstance(v, list) else []


def _comment_above(lines: list[str], line: int) -> str:
    """The comment line just above 1-based ``line`` (the YAML composer drops comments)."""
    i = line - 2
    while 0 <= i < len(lines) and not lines[i].strip():
        i -= 1
    text = lines[i].strip() if 0 <= i < len(lines) else ""
    return text.lstrip("#").strip() if text.startswith("#") else ""


_READ = frozenset({"get", "list", "watch"})


def _access(verbs: list[str]) -> str:
    """'read', 'write', 'read and write' or 'full access' for a rule's verbs (in words, for search)."""
    if "*" in verbs:
        return "full access"
    reads, writes = bool(_READ & set(verbs)), bool(set(verbs) - _READ)
    return "read and write" if reads and writes else "read" if reads else "write" if writes else "no access"


def _rule_text(r: Mapping[str, Any]) -> str:
    verb_list = [str(v) for v in _list(r.get("verbs"))]
    verbs = f"{_access(verb_list)} ({', '.join(verb_list)})" if verb_list else "nothing"
    res = ", ".join(str(v) for v in _list(r.get("resources")) or _list(r.get("nonResourceURLs"))) or "nothing"
    groups = ", ".join(str(g) or "core" for g in _list(r.get("apiGroups")))
    names = _list(r.get("resourceNames"))
    only = f" (only {', '.join(map(str, names))})" if names else ""
    return f"{verbs} on {res}{only}" + (f" [api groups: {groups}]" if groups else "")


def _subjects(b: Mapping[str, Any]) -> list[str]:
    out = []
    for s in _list(b.get("subjects")):
        if isinstance(s, Mapping):
            ns = f"{s.get('namespace')}/" if s.get("namespace") else ""
            out.append(f"{s.get('kind')} {ns}{s.get('name')}")
    return out


def _role_severity(rules: list[Any]) -> str:
    flat = [
        (set(map(str, _list(r.get("verbs")))), set(map(str, _list(r.get("resources")))))
        for r in rules
        if isinstance(r, Mapping)
    ]
    if any("*" in v or "*" in res for v, res in flat):
        return "high"
    if any("secrets" in res and v & {"get", "list", "watch"} for v, res in flat):
        return "medium"
    return "low"


def _role(d: LDict, lines: list[str], bindings: list[LDict]) -> Policy:
    rules = _list(d.get("rules"))
    grants = []
    for i, r in enumerate(rules):
        if not isinstance(r, Mapping):
            continue
        line = d["rules"].line_at(i) if isinstance(d.get("rules"), LList) else line_of(d, 1)
        note = _comment_above(lines, line)
        grants.append(_rule_text(r) + (f" — {note}" if note else ""))
    subjects = [f"{s} (via {b.get('kind')} {_name(b)})" for b in bindings for s in _subjects(b)]
    text = "\n".join(
        [
            f"{_where(d)}: who may do what in the cluster",
            *(f"grants {g}" for g in grants),
            *(f"bound to {s}" for s in subjects),
        ]
    )
    return Policy(
        anchor=f"{d.get('kind')}:{_ns(d) or ''}/{_name(d)}",
        kind="rbac",
        title=f"{d.get('kind')} {_name(d)}",
        text=text,
        line=line_of(d, 1),
        format="kubernetes",
        category="access-control",
        severity=_role_severity(rules),
        section=(str(d.get("kind")), _name(d)),
        name=_name(d),
        rules=tuple(grants),
        extra={"namespace": _ns(d), "subjects": subjects},
    )


def _binding(d: LDict, role: LDict | None, lines: list[str]) -> Policy:
    ref_kind, ref_name = _role_ref(d)
    subjects = _subjects(d)
    grants = [_rule_text(r) for r in _list(role.get("rules")) if isinstance(r, Mapping)] if role else []
    text = "\n".join(
        [
            f"{_where(d)} gives {ref_kind} {ref_name} to {', '.join(subjects) or 'no subject'}",
            *(f"{', '.join(subjects) or 'they'} may {g}" for g in grants),
        ]
    )
    return Policy(
        anchor=f"{d.get('kind')}:{_ns(d) or ''}/{_name(d)}",
        kind="rbac",
        title=f"{d.get('kind')} {_name(d)}",
        text=text,
        line=line_of(d, 1),
        format="kubernetes",
        category="access-control",
        severity=_role_severity(_list(role.get("rules"))) if role else "low",
        section=(str(d.get("kind")), _name(d)),
        name=_name(d),
        rules=tuple(grants),
        extra={"namespace": _ns(d), "subjects": subjects, "role": f"{ref_kind} {ref_name}"},
    )


def _selector(sel: Any) -> str:
    if not isinstance(sel, Mapping):
        return "any"
    labels = _map(sel.get("matchLabels"))
    parts = [f"{k}={v}" for k, v in labels.items()]
    parts += [
        f"{e.get('key')} {e.get('operator')} {e.get('values') or ''}".strip()
        for e in _list(sel.get("matchExpressions"))
        if isinstance(e, Mapping)
    ]
    return ", ".join(parts) or "all"


def _peer(p: Any) -> str:
    if not isinstance(p, Mapping):
        return "?"
    if isinstance(p.get("ipBlock"), Mapping):
        return f"addresses {p['ipBlock'].get('cidr')}"
    parts = []
    if "namespaceSelector" in p:
        parts.append(f"namespaces {_selector(p['namespaceSelector'])}")
    if "podSelector" in p:
        parts.append(f"pods {_selector(p['podSelector'])}")
    return " and ".join(parts) or "?"


def _ports(rule: Mapping[str, Any]) -> str:
    ports = [
        f"{p.get('protocol', 'TCP')} {p.get('port', 'any')}"
        for p in _list(rule.get("ports"))
        if isinstance(p, Mapping)
    ]
    return f" on {', '.join(ports)}" if ports else " on every port"


def _network_policy(d: LDict) -> Policy:
    spec = _map(d.get("spec"))
    lines = [f"{_where(d)}: network access of pods {_selector(spec.get('podSelector'))}"]
    types = ", ".join(map(str, _list(spec.get("policyTypes")))) or "Ingress"
    lines.append(f"policy types: {types}")
    for direction, key, peers in (("ingress", "ingress", "from"), ("egress", "egress", "to")):
        for r in _list(spec.get(key)):
            if isinstance(r, Mapping):
                who = ", ".join(_peer(p) for p in _list(r.get(peers))) or "anywhere"
                lines.append(f"allows {direction} {peers} {who}{_ports(r)}")
        if direction.capitalize() in types and not _list(spec.get(key)):
            lines.append(f"denies all {direction}")
    open_rules = [
        r
        for r in _list(spec.get("ingress"))
        if isinstance(r, Mapping) and not r.get("from") and not r.get("ports")
    ]
    return Policy(
        anchor=f"NetworkPolicy:{_ns(d) or ''}/{_name(d)}",
        kind="network_policy",
        title=f"NetworkPolicy {_name(d)}",
        text="\n".join(lines),
        line=line_of(d, 1),
        format="kubernetes",
        category="network",
        severity="medium" if open_rules else "low",
        section=("NetworkPolicy", _name(d)),
        name=_name(d),
        rules=tuple(lines[2:]),
        extra={"namespace": _ns(d)},
    )


_POD_FIELDS = ("hostNetwork", "hostPID", "hostIPC", "serviceAccountName", "automountServiceAccountToken")


def _pod_spec(d: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = _map(d.get("spec"))
    if d.get("kind") == "Pod":
        return spec
    if d.get("kind") == "CronJob":
        spec = _map(_map(spec.get("jobTemplate")).get("spec"))
    tpl = _map(spec.get("template"))
    pod = tpl.get("spec")
    return pod if isinstance(pod, Mapping) else {}


def _context(ctx: Any) -> list[str]:
    if not isinstance(ctx, Mapping):
        return []
    out = []
    for k, v in ctx.items():
        if isinstance(v, Mapping):
            out.append(f"{k}: " + ", ".join(f"{a}={b}" for a, b in v.items()))
        else:
            out.append(f"{k}={v}")
    return out


def _workload(d: LDict) -> Policy | None:
    pod = _pod_spec(d)
    lines, flags = [], []
    pod_ctx = _context(pod.get("securityContext"))
    if pod_ctx:
        lines.append("pod security context: " + "; ".join(pod_ctx))
    lines += [f"{f}={pod[f]}" for f in _POD_FIELDS if f in pod]
    for c in [*_list(pod.get("initContainers")), *_list(pod.get("containers"))]:
        if isinstance(c, Mapping) and c.get("securityContext"):
            ctx = c["securityContext"]
            lines.append(f"container {c.get('name')}: " + "; ".join(_context(ctx)))
            if isinstance(ctx, Mapping):
                flags += [k for k in ("privileged", "allowPrivilegeEscalation") if ctx.get(k) is True]
                flags += ["root"] if ctx.get("runAsUser") == 0 or ctx.get("runAsNonRoot") is False else []
    if not lines:
        return None
    flags += (
        ["root"]
        if isinstance(pod.get("securityContext"), Mapping) and pod["securityContext"].get("runAsUser") == 0
        else []
    )
    severity = (
        "critical" if "privileged" in flags else "high" if flags or pod.get("hostNetwork") is True else "low"
    )
    return Policy(
        anchor=f"{d.get('kind')}:{_ns(d) or ''}/{_name(d)}",
        kind="pod_security",
        title=f"{d.get('kind')} {_name(d)} security context",
        text="\n".join(
            [f"{_where(d)}: how its pods and containers run (privileges, user, file system)", *lines]
        ),
        line=line_of(d, 1),
        format="kubernetes",
        category="workload-security",
        severity=severity,
        section=(str(d.get("kind")), _name(d)),
        name=_name(d),
        rules=tuple(lines),
        extra={"namespace": _ns(d)},
    )


def _namespace(d: LDict) -> Policy | None:
    labels = _meta(d).get("labels")
    psa = (
        {k: v for k, v in labels.items() if str(k).startswith(_PSA_LABEL)}
        if isinstance(labels, Mapping)
        else {}
    )
    if not psa:
        return None
    lines = [f"{k[len(_PSA_LABEL) :]}: {v}" for k, v in psa.items()]
    privileged = any(str(v) == "privileged" for k, v in psa.items() if k.endswith("/enforce"))
    return Policy(
        anchor=f"Namespace:/{_name(d)}",
        kind="pod_security",
        title=f"Pod Security Admission of namespace {_name(d)}",
        text="\n".join([f"Namespace {_name(d)}: pod security standard", *lines]),
        line=line_of(d, 1),
        format="kubernetes",
        category="workload-security",
        severity="high" if privileged else "low",
        section=("Namespace", _name(d)),
        name=_name(d),
        rules=tuple(lines),
    )


def _psp(d: LDict) -> Policy:
    spec = _map(d.get("spec"))
    lines = [f"{k}: {v}" for k, v in spec.items() if not isinstance(v, dict | list)]
    return Policy(
        anchor=f"PodSecurityPolicy:/{_name(d)}",
        kind="pod_security",
        title=f"PodSecurityPolicy {_name(d)}",
        text="\n".join([f"PodSecurityPolicy {_name(d)}", *lines]),
        line=line_of(d, 1),
        format="kubernetes",
        category="workload-security",
        severity="critical" if spec.get("privileged") is True else "low",
        section=("PodSecurityPolicy", _name(d)),
        name=_name(d),
        rules=tuple(lines),
    )
