"""Version ordering and specifiers per ecosystem, behind one interface.

* ``parse(eco, v)``: a comparable version (``VersionError`` when ``v`` is not one);
* ``satisfies(eco, version, specifier)``: whether a version meets a declared specifier;
* ``intersect(eco, specifiers)``: whether some version meets every one of them;
* ``candidates(eco, specifiers)``: the versions :func:`intersect` tries.

Ecosystems: ``pypi`` (``packaging``: PEP 440 versions and ``SpecifierSet``, prereleases only when a
specifier names one), ``npm`` and ``cargo`` (SemVer 2.0 with their range syntaxes, see
:mod:`.semver`), ``go`` (SemVer with a ``v`` prefix; ``+incompatible`` is build metadata, so
ignored by the ordering; pseudo-versions ``vX.Y.Z-yyyymmddhhmmss-hash`` order by their timestamp as
SemVer prereleases do; a go.mod requirement is a minimum, which minimal version selection always
meets), ``maven`` (:mod:`.mavenversion`) and ``semver`` (OSV's SEMVER range type: SemVer 2.0).

:func:`intersect` is sample-based: a set of specifiers admits a common version when one of the
*candidates* satisfies them all. The candidates are every version a specifier names, the release
after it at each level (patch, minor, major, or one more release segment for PEP 440 and Maven) and
the lowest version. Each specifier is a union of intervals bounded by named versions or by such
"next releases", so the lowest version of a non-empty intersection is a candidate, or a candidate
lies just above its exclusive bound. The sample can miss an intersection that only prereleases fill
(``>1.2.3 <1.2.4``: npm admits no release there either).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from . import mavenversion, semver

VERSION_ECOSYSTEMS = ("pypi", "npm", "cargo", "go", "maven", "semver")
MINIMUM = {"pypi": "0", "npm": "0.0.0", "cargo": "0.0.0", "go": "v0.0.0", "maven": "0", "semver": "0.0.0"}


class VersionError(ValueError):
    """A version or specifier that the ecosystem's syntax does not read."""


def _eco(eco: str) -> str:
    if eco in VERSION_ECOSYSTEMS:
        return eco
    e = eco.lower()
    if e not in VERSION_ECOSYSTEMS:
        raise VersionError(f"unknown ecosystem {eco!r}")
    return e


@lru_cache(maxsize=1 << 16)
def _parse(e: str, v: str) -> Any:
    # (cached: an audit parses the same fixed and introduced versions over and over)
    try:
        if e == "pypi":
            return Version(v)
        if e == "maven":
            return mavenversion.parse_maven(v)
        text = v.strip()
        if e == "go" and not text.startswith("v") and text != "0":
            raise VersionError(f"a Go version starts with v: {v!r}")
        if e != "go" and text.startswith("v"):
            raise VersionError(f"not a SemVer version: {v!r}")
        return semver.parse_semver("0.0.0" if text == "0" else text)
    except (InvalidVersion, semver.RangeError, mavenversion.MavenVersionError) as exc:
        raise VersionError(str(exc)) from None


def parse(eco: str, v: str) -> Any:
    """``v`` as a comparable version of ``eco``."""
    return _parse(_eco(eco), v)


def parse_lenient(eco: str, v: str) -> Any:
    """Like :func:`parse`, accepting Go versions without their ``v`` (as OSV writes them)."""
    e = _eco(eco)
    if e == "go" and v[:1] != "v" and v.strip() != "0":
        v = "v" + v.strip()
    return _parse(e, v)


# Sort keys as strings that compare (plain string comparison) as the versions do. A number is its
# digit count as a letter, then its digits ("b12" < "c100"); "!" (below every character a
# version part holds) ends a variable-length list, so a list sorts before its extensions.
def _n(number: int) -> str:
    digits = str(number)
    return chr(97 + len(digits)) + digits


def _semver_key(v: semver.SemVer) -> str:
    head = "".join(map(_n, v.release))
    if not v.pre:
        return head + "~"  # a release after all its prereleases ("~" > "-")
    return head + "-" + "".join(("0" + _n(int(p)) if p.isdigit() else "1" + p) + "!" for p in v.pre)


def _pypi_key(v: Version) -> str:
    # packaging's own sort key (_cmpkey): trailing zeros of the release dropped; a dev-only release
    # before its prereleases, a final release after them; no post before any post; no dev after
    # any dev; no local before any local, numbers after words in a local segment.
    release = list(v.release)
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    if v.pre is None and v.post is None and v.dev is not None:
        pre = "0"
    else:
        pre = "2" if v.pre is None else "1" + v.pre[0] + "!" + _n(v.pre[1])
    post = "0" if v.post is None else "1" + _n(v.post)
    dev = "2" if v.dev is None else "1" + _n(v.dev)
    local = "0"
    if v.local is not None:
        local = "1" + "".join(
            ("1" + _n(int(p)) if p.isdigit() else "0" + p) + "!" for p in v.local.split(".")
        )
    return _n(v.epoch) + "".join(map(_n, release)) + "!" + pre + post + dev + local


@lru_cache(maxsize=1 << 16)
def _comparable(e: str, v: str) -> Any:
    parsed = _parse(e, v)
    if isinstance(parsed, Version):
        return _pypi_key(parsed)
    if isinstance(parsed, semver.SemVer):
        return _semver_key(parsed)
    return parsed


def comparable(eco: str, v: str) -> Any:
    """A sort key of ``v`` (Go: ``v`` optional) that orders as :func:`parse` does: a string for
    PEP 440 and SemVer, so that the advisory database stores it and compares it without parsing
    again; the parsed version for Maven."""
    e = _eco(eco)
    if e == "go" and v[:1] != "v" and v.strip() != "0":
        v = "v" + v.strip()
    return _comparable(e, v)


def encodable(eco: str) -> bool:
    """Whether :func:`comparable` of ``eco`` is a string (storable)."""
    return _eco(eco) != "maven"


def clear_caches() -> None:
    """Forget the parsed versions and specifiers (benchmarks time a cold audit)."""
    for f in (_parse, _comparable, _pypi_spec, _semver_ranges, _maven_range):
        f.cache_clear()


def is_prerelease(eco: str, v: Any) -> bool:
    if isinstance(v, Version):
        return v.is_prerelease
    if isinstance(v, semver.SemVer):
        return v.is_prerelease
    return False


def _pypi_contains(spec: SpecifierSet, v: Version, prereleases: bool) -> bool:
    # PEP 440: a prerelease satisfies only a set that names one (the version's own exclusions
    # such as "<2.0" refusing 2.0b1 apply either way), or when it is already installed.
    if v.is_prerelease and not prereleases and spec.prereleases is not True:
        return False
    return spec.contains(v, prereleases=True)


@lru_cache(maxsize=4096)
def _pypi_spec(specifier: str) -> SpecifierSet:
    try:
        return SpecifierSet(specifier)
    except InvalidSpecifier:
        raise VersionError(f"not a PEP 440 specifier: {specifier!r}") from None


@lru_cache(maxsize=4096)
def _semver_ranges(e: str, specifier: str) -> list[list[semver.Comparator]]:
    try:
        if e == "cargo":
            return semver.parse_cargo_range(specifier)
        return semver.parse_npm_range(specifier)
    except semver.RangeError as exc:
        raise VersionError(str(exc)) from None


@lru_cache(maxsize=4096)
def _maven_range(specifier: str) -> list[mavenversion.Interval] | None:
    try:
        return mavenversion.parse_range(specifier)
    except mavenversion.MavenVersionError as exc:
        raise VersionError(str(exc)) from None


def check_specifier(eco: str, specifier: str) -> None:
    """Raise :class:`VersionError` when ``specifier`` is not one the ecosystem reads."""
    e = _eco(eco)
    if not specifier.strip():
        return
    if e == "pypi":
        _pypi_spec(specifier)
    elif e in ("npm", "cargo", "semver"):
        _semver_ranges(e, specifier)
    elif e == "maven":
        _maven_range(specifier)
    else:
        parse(e, specifier)


def satisfies(eco: str, version: str | Any, specifier: str, *, prereleases: bool = False) -> bool:
    """Whether ``version`` meets ``specifier`` ("" meets everything). ``prereleases``: a prerelease
    may satisfy a range that names none (a version already installed or locked)."""
    e = _eco(eco)
    v = parse_lenient(e, version) if isinstance(version, str) else version
    if not specifier.strip():
        return True
    if e == "pypi":
        return _pypi_contains(_pypi_spec(specifier), v, prereleases)
    if e in ("npm", "cargo", "semver"):
        return semver.range_allows(_semver_ranges(e, specifier), v, prereleases=prereleases)
    if e == "maven":
        intervals = _maven_range(specifier)
        return intervals is None or any(i.contains(v) for i in intervals)
    return bool(v >= parse(e, specifier.strip()))  # go: a minimum version


def _pypi_candidates(specifier: str) -> list[str]:
    out = []
    for spec in _pypi_spec(specifier):
        text = spec.version.removesuffix(".*")
        try:
            v = Version(text)
        except InvalidVersion:
            continue  # === arbitrary strings
        out.append(str(v))
        rel = v.release
        out.append(".".join(map(str, rel)))
        out.append(".".join(map(str, (*rel, 1))))
        for i in range(len(rel)):
            out.append(".".join(map(str, (*rel[:i], rel[i] + 1))))
    return out


def _semver_candidates(e: str, specifier: str) -> list[str]:
    out = []
    for m in semver.TOKEN_RE.finditer(specifier):
        text = m.group(0)
        parts = re.split(r"[.-]", text, maxsplit=3)
        nums = [p if p.isdigit() else "0" for p in parts[:3]] + ["0"] * (3 - min(3, len(parts)))
        pre = text.split("-", 1)[1] if "-" in text else ""
        base = semver.SemVer.make(
            int(nums[0]), int(nums[1]), int(nums[2]), tuple(pre.split(".")) if pre else ()
        )
        out += [str(v) for v in semver.neighbours(base)]
    return ["v" + c for c in out] if e == "go" else out


def _maven_candidates(specifier: str) -> list[str]:
    out = []
    for tok in mavenversion.range_tokens(specifier):
        out += [tok, tok + ".1"]
        nums = re.match(r"\d+(?:\.\d+)*", tok)
        if nums:
            parts = [int(p) for p in nums.group(0).split(".")]
            out += [".".join(map(str, (*parts[:i], parts[i] + 1))) for i in range(len(parts))]
    return out


def candidates(eco: str, specifiers: Sequence[str]) -> list[str]:
    """The versions tried by :func:`intersect` (see the module docstring), sorted, each once."""
    e = _eco(eco)
    out = [MINIMUM[e]]
    for spec in specifiers:
        if e == "pypi":
            out += _pypi_candidates(spec)
        elif e == "maven":
            out += _maven_candidates(spec)
        else:
            out += _semver_candidates(e, spec)
    keyed: dict[str, Any] = {}
    for c in out:
        try:
            keyed.setdefault(str(c), parse_lenient(e, c))
        except VersionError:
            continue
    return [c for c, _ in sorted(keyed.items(), key=lambda kv: kv[1])]


def intersect(eco: str, specifiers: Sequence[str]) -> bool:
    """Whether some version satisfies every specifier (Go: always; see the module docstring)."""
    e = _eco(eco)
    specs = [s for s in specifiers if s.strip()]
    for s in specs:
        check_specifier(e, s)
    if e == "go" or len(specs) < 1:
        return True
    if e == "pypi":  # one SpecifierSet: a prerelease named by any specifier opens them all (pip)
        combined = _pypi_spec(",".join(specs))
        return any(_pypi_contains(combined, Version(c), False) for c in candidates(e, specs))
    return any(all(satisfies(e, c, s) for s in specs) for c in candidates(e, specs))
