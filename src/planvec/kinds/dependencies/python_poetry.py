"""Poetry's dependency declarations (``[tool.poetry.*dependencies]``) as PEP 440 / PEP 508 fields.

Poetry's constraint syntax (``^1.2``, ``~1.2``, ``*``, bare versions) has no maintained parser
outside Poetry itself (``poetry-core`` is Poetry's build backend, not a library planvec carries),
so the few rules of Poetry's documentation ("Dependency specification") are written here. Every
converted specifier is PEP 440, so the conflicts check reads Poetry's declarations as pip's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from .python_common import Req, check_specifier, exact_version, extras_of, first_line, spec_text

_OP_RE = re.compile(r"^(===|==|!=|<=|>=|~=|<|>)\s*")


def _bump(release: list[int], index: int) -> str:
    upper = [*release[:index], release[index] + 1]
    return ".".join(str(n) for n in upper + [0] * (len(release) - len(upper)))


def _caret(text: str) -> str:
    """``^1.2.3``: >=1.2.3,<2.0.0; the first non-zero part given is the one that may not change."""
    release = list(Version(text).release)
    index = next((i for i, n in enumerate(release) if n != 0), len(release) - 1)
    return f">={text},<{_bump(release, index)}"


def _tilde(text: str) -> str:
    """``~1.2.3``: >=1.2.3,<1.3.0; ``~1``: >=1,<2."""
    release = list(Version(text).release)
    return f">={text},<{_bump(release, 0 if len(release) == 1 else 1)}"


def poetry_specifier(text: str) -> str:
    """The PEP 440 specifier of a Poetry constraint (``*``: ""); ``a || b`` has no PEP 440 form and
    stays as written. Raises ValueError with the reason for an invalid constraint."""
    text = text.strip()
    if text in ("", "*") or "|" in text:
        return "" if text in ("", "*") else text
    out = []
    try:
        for part in (p.strip() for p in text.split(",")):
            if part.startswith("^"):
                out.append(_caret(part[1:].strip()))
            elif part.startswith("~") and not part.startswith("~="):
                out.append(_tilde(part[1:].strip()))
            elif part[:1].isdigit():
                out.append(f"=={part}")
            else:
                out.append(_OP_RE.sub(lambda m: m.group(1), part))
    except InvalidVersion as exc:
        raise ValueError(f"invalid constraint {text!r}: {first_line(str(exc))}") from None
    spec = check_specifier(",".join(out))
    if isinstance(spec, str):
        raise ValueError(f"invalid constraint {text!r}")
    return spec_text(spec)


def _python_marker(constraint: str) -> str:
    """``python = "^3.8"`` as a marker; each alternative of ``a || b`` is one side of an ``or``."""
    sides = []
    for alternative in (a.strip() for a in re.split(r"\|\|?", constraint) if a.strip()):
        spec = check_specifier(poetry_specifier(alternative))
        if isinstance(spec, str):
            raise ValueError(f"invalid python constraint {constraint!r}")
        parts = (f'python_version {s.operator} "{s.version}"' for s in sorted(spec, key=str))
        sides.append(" and ".join(parts))
    sides = [s for s in sides if s]
    return sides[0] if len(sides) == 1 else " or ".join(f"({s})" for s in sides)


def _marker(table: dict[str, Any]) -> str:
    """The PEP 508 marker of a Poetry table (``markers``, ``python``, ``platform``); ValueError when
    it is not valid."""
    parts = [str(table["markers"])] if table.get("markers") else []
    if table.get("python"):
        parts.append(_python_marker(str(table["python"])))
    if table.get("platform"):
        parts.append(f'sys_platform == "{table["platform"]}"')
    parts = [p for p in parts if p]
    text = parts[0] if len(parts) == 1 else " and ".join(f"({p})" for p in parts)
    if not text:
        return ""
    try:
        return str(Marker(text))
    except InvalidMarker as exc:
        raise ValueError(f"invalid markers {text!r}: {first_line(str(exc))}") from None


def _source(table: dict[str, Any]) -> str:
    if table.get("git"):
        ref = table.get("rev") or table.get("tag") or table.get("branch")
        return f"git+{table['git']}" + (f"@{ref}" if ref else "")
    if table.get("path"):
        return ("-e " if table.get("develop") else "") + str(table["path"])
    return str(table.get("url") or "")


@dataclass
class PoetryDep:
    """What one Poetry dependency declares: each constraint's fields and whether it is optional (a
    list of tables gives several), the reasons of unusable constraints, and warnings."""

    reqs: list[tuple[Req, bool]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def poetry_dependency(name: str, value: Any) -> PoetryDep:
    """One Poetry dependency (``name = value`` in a dependencies table); ``python`` itself is not a
    dependency and gives nothing."""
    out = PoetryDep()
    if name.lower() == "python":
        return out
    if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?", name):
        out.problems.append(f"invalid package name {name!r}")
        return out
    for item in value if isinstance(value, list) else [value]:
        table = {"version": item} if isinstance(item, str) else item
        if not isinstance(table, dict):
            out.problems.append(f"dependency {name!r}: expected a constraint string or a table")
            continue
        try:
            spec = poetry_specifier(str(table.get("version", "")))
            marker = _marker(table)
            extras = extras_of(table)
        except ValueError as exc:
            out.problems.append(f"dependency {name!r}: {exc}")
            continue
        if "|" in spec:
            out.warnings.append(f"{name}: constraint {spec!r} (an 'or') has no PEP 440 form; kept as written")
        checked = check_specifier(spec)
        version = exact_version(checked) if not isinstance(checked, str) else None
        req = Req(canonicalize_name(name), spec, version, marker, extras, _source(table))
        out.reqs.append((req, bool(table.get("optional"))))
    return out
