"""OSV advisories: import (zip, directory, bad files, re-import) and matching by OSV's rules, on
fixtures written here with known answers (range edge cases included)."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from planvec.errors import UsageError
from planvec.kinds.dependencies.advisories import AdvisoryDB, exact_version
from planvec.kinds.dependencies.audit import NO_ADVISORIES, audit
from planvec.kinds.dependencies.osvimport import import_advisories
from planvec.kinds.dependencies.records import Dependency, DepFile

MODIFIED = "2026-11-20T10:00:00Z"


def rec(
    id_: str, eco: str, name: str, *ranges: dict[str, Any], versions: list[str] | None = None, **kw: Any
) -> dict:
    affected: dict[str, Any] = {"package": {"ecosystem": eco, "name": name}, "ranges": list(ranges)}
    if versions is not None:
        affected["versions"] = versions
    return {
        "id": id_,
        "modified": kw.pop("modified", MODIFIED),
        "summary": f"{name} issue",
        "affected": [affected],
        **kw,
    }


def rng(kind: str, *events: tuple[str, str]) -> dict[str, Any]:
    return {"type": kind, "events": [{k: v} for k, v in events]}


RECORDS = [
    rec(
        "PYSEC-0",
        "PyPI",
        "requests",
        rng("ECOSYSTEM", ("introduced", "0"), ("fixed", "2.31.0")),
        aliases=["CVE-2023-32681"],
    ),
    rec(
        "GHSA-last", "PyPI", "urllib3", rng("ECOSYSTEM", ("introduced", "1.25"), ("last_affected", "1.26.17"))
    ),
    rec(
        "GHSA-two",
        "npm",
        "lodash",
        rng("SEMVER", ("introduced", "0"), ("fixed", "4.17.12")),
        rng("SEMVER", ("introduced", "4.17.15"), ("fixed", "4.17.21")),
    ),
    rec("PYSEC-list", "PyPI", "Django", versions=["3.2.1", "3.2.2"]),
    rec("GHSA-git", "PyPI", "flask", rng("GIT", ("introduced", "a" * 40), ("fixed", "b" * 40))),
    rec("PYSEC-pre", "PyPI", "pkgpre", rng("ECOSYSTEM", ("introduced", "1.0a1"), ("fixed", "1.0"))),
    rec(
        "RUSTSEC-pre",
        "crates.io",
        "smallvec",
        rng("SEMVER", ("introduced", "1.0.0-alpha.1"), ("fixed", "1.0.0")),
    ),
    rec(
        "GHSA-maven", "Maven", "org.example:lib", rng("ECOSYSTEM", ("introduced", "0"), ("fixed", "2.0-rc1"))
    ),
    rec("GHSA-next", "npm", "next", rng("ECOSYSTEM", ("introduced", "13.0.0"), ("fixed", "13.5.0"))),
    rec("GO-2023-1", "Go", "golang.org/x/net", rng("SEMVER", ("introduced", "0"), ("fixed", "0.17.0"))),
    rec("GHSA-gone", "npm", "left-pad", rng("SEMVER", ("introduced", "0")), withdrawn="2026-01-01T00:00:00Z"),
    rec(
        "GHSA-mixed",
        "PyPI",
        "pkgmix",
        rng("SEMVER", ("introduced", "1.0rc1"), ("fixed", "1.0")),
        rng("ECOSYSTEM", ("fixed", "3.0"), ("introduced", "2.0")),
    ),  # events out of order
    rec("DSA-other", "Debian:12", "openssl", rng("ECOSYSTEM", ("introduced", "0"), ("fixed", "3.0.11"))),
]


def write_zip(path: Path, records: list[dict]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for r in records:
            zf.writestr(f"{r['id']}.json", json.dumps(r))
    return path


@pytest.fixture
def db(tmp_path: Path) -> AdvisoryDB:
    report = import_advisories(
        tmp_path / "adv.sqlite", [write_zip(tmp_path / "all.zip", RECORDS)], "2026-12-01T00:00:00+00:00"
    )
    assert report.problems == [] and report.other_ecosystems == 1
    opened = AdvisoryDB.open(tmp_path / "adv.sqlite")
    assert opened is not None
    return opened


def d(eco: str, name: str, spec: str = "", version: str | None = None, source: str = "") -> Dependency:
    return Dependency(eco, name, spec, version, "runtime", True, 1, source=source)


@pytest.mark.parametrize(
    ("dep", "state", "fixed"),
    [
        (d("pypi", "requests", version="2.30.0"), "affected", ("2.31.0",)),  # introduced 0
        (d("pypi", "requests", version="2.31.0"), "none", ()),  # fixed is exclusive
        (d("pypi", "requests", "==2.30.0"), "affected", ("2.31.0",)),  # a pin is exact
        (d("pypi", "urllib3", version="1.26.17"), "affected", ()),  # last_affected inclusive
        (d("pypi", "urllib3", version="1.26.18"), "none", ()),
        (d("pypi", "urllib3", version="1.24.9"), "none", ()),  # before introduced
        (d("npm", "lodash", version="4.17.11"), "affected", ("4.17.12",)),  # first of two ranges
        (d("npm", "lodash", version="4.17.13"), "none", ()),  # between them
        (d("npm", "lodash", version="4.17.16"), "affected", ("4.17.21",)),  # the second
        (d("npm", "lodash", version="4.17.21"), "none", ()),
        (d("pypi", "django", version="3.2.2"), "affected", ()),  # explicit versions (name normalised)
        (d("pypi", "django", version="3.2.3"), "none", ()),
        (d("pypi", "flask", version="1.0"), "none", ()),  # GIT ranges: skipped
        (d("pypi", "pkgpre", version="1.0b1"), "affected", ("1.0",)),  # PEP 440 prerelease ordering
        (d("pypi", "pkgpre", version="1.0"), "none", ()),
        (d("cargo", "smallvec", version="1.0.0-beta"), "affected", ("1.0.0",)),  # SemVer prerelease
        (d("cargo", "smallvec", version="1.0.0"), "none", ()),
        (d("maven", "org.example:lib", version="2.0-beta"), "affected", ("2.0-rc1",)),  # beta < rc
        (d("maven", "org.example:lib", version="2.0-SNAPSHOT"), "none", ()),  # rc < snapshot
        (d("maven", "org.example:lib", version="2.0"), "none", ()),
        (d("npm", "next", version="13.5.0-canary.1"), "affected", ("13.5.0",)),  # npm prerelease < fix
        (d("npm", "next", version="13.5.0"), "none", ()),
        (d("go", "golang.org/x/net", version="v0.15.0"), "affected", ("0.17.0",)),  # SEMVER without v
        (d("go", "golang.org/x/net", version="v0.0.0-20210226172049-e18ecbb05110"), "affected", ("0.17.0",)),
        (d("go", "golang.org/x/net", version="v0.17.0"), "none", ()),
        (d("npm", "left-pad", version="1.0.0"), "none", ()),  # withdrawn
        (d("pypi", "pkgmix", version="2.5"), "affected", ("3.0",)),  # events sorted before reading
        (d("pypi", "pkgmix", version="1.0rc2"), "none", ()),  # (its SEMVER range does not read PEP 440)
        (d("npm", "unknown-pkg", version="1.0.0"), "none", ()),
    ],
)
def test_exact_versions(db: AdvisoryDB, dep: Dependency, state: str, fixed: tuple[str, ...]) -> None:
    a = db.assess(dep)
    assert (a.state, a.fixed) == (state, fixed)


@pytest.mark.parametrize(
    ("dep", "state"),
    [
        (d("pypi", "requests", ">=2.25"), "possibly_affected"),
        (d("pypi", "requests", ">=2.31"), "none"),
        (d("pypi", "requests", ""), "possibly_affected"),  # no specifier: any version
        (d("pypi", "urllib3", "~=1.26.10"), "possibly_affected"),  # admits 1.26.17
        (d("pypi", "urllib3", ">=1.26.18"), "none"),
        (d("npm", "lodash", "^4.17.13 <4.17.15"), "none"),  # between the two ranges
        (d("npm", "lodash", "^4.17.13"), "possibly_affected"),
        (d("npm", "next", "^13.4.0"), "possibly_affected"),
        (d("npm", "next", "^13.5.0"), "none"),
        (d("pypi", "django", ">=3.2,<3.3"), "possibly_affected"),  # admits listed 3.2.1
        (d("pypi", "django", ">=4"), "none"),
        (d("maven", "org.example:lib", "[2.0,3.0)"), "none"),
        (d("maven", "org.example:lib", "[1.0,2.0)"), "possibly_affected"),
        (d("pypi", "requests", "", source="git+https://example.com/requests.git"), "unknown"),
    ],
)
def test_ranges_possibly_affected(db: AdvisoryDB, dep: Dependency, state: str) -> None:
    assert db.assess(dep).state == state


def test_assessment_names_ids_aliases_and_counts_git(db: AdvisoryDB) -> None:
    a = db.assess(d("pypi", "requests", version="2.0"))
    assert a.ids == ("PYSEC-0", "CVE-2023-32681")
    assert [m.id for m in a.advisories] == ["PYSEC-0"] and a.advisories[0].summary == "requests issue"
    assert db.assess(d("pypi", "flask", version="1.0")).git_ranges == 1
    assert db.assess(d("pypi", "pkgmix", version="2.5")).unreadable_ranges == 1


def test_unreadable_version_is_unknown_with_reason(db: AdvisoryDB) -> None:
    a = db.assess(d("pypi", "requests", version="not-a-version"))
    assert a.state == "unknown" and "not-a-version" in a.reason


def test_exact_version() -> None:
    assert exact_version(d("pypi", "x", "==1.2")) == "1.2"
    assert exact_version(d("pypi", "x", "==1.*")) is None
    assert exact_version(d("npm", "x", "^1.2", version="1.2.5")) == "1.2.5"


def _files(*deps: Dependency) -> list[DepFile]:
    return [DepFile("requirements.txt", "requirements", False, deps)]


def test_audit_report(db: AdvisoryDB) -> None:
    files = _files(
        d("pypi", "requests", "==2.30.0"), d("pypi", "urllib3", ">=1.26"), d("pypi", "flask", "==1.0")
    )
    r = audit(files, db, now=datetime(2026, 12, 1, tzinfo=UTC))
    assert r.counts == {"affected": 1, "possibly_affected": 1, "unknown": 0}
    assert [f.name for f in r.findings] == ["requests", "urllib3"]  # affected first
    assert r.snapshot == MODIFIED and r.age_days == 10 and r.warnings == []
    assert r.git_ranges_skipped == 1
    assert not r.ok and r.to_dict()["findings"][0]["fixed"] == ["2.31.0"]
    assert audit(files[:0], db).ok
    only_possible = _files(d("pypi", "urllib3", ">=1.26"))
    assert audit(only_possible, db).ok
    assert not audit(only_possible, db, fail_on="possibly").ok
    assert audit(files, db, fail_on="never").ok


def test_old_snapshot_warns(db: AdvisoryDB) -> None:
    r = audit(_files(), db, now=datetime(2027, 2, 1, tzinfo=UTC))
    assert r.age_days == 72 and "72 days old" in r.warnings[0]


def test_no_advisories_says_so() -> None:
    r = audit(_files(d("pypi", "requests", "==2.30.0")), None)
    assert r.warnings == [NO_ADVISORIES] and not r.imported and r.ok and r.findings == []


def test_open_missing_or_empty_is_none(tmp_path: Path) -> None:
    assert AdvisoryDB.open(tmp_path / "nothing.sqlite") is None


def test_open_corrupt_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "adv.sqlite"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(UsageError, match="cannot be read") as e:
        AdvisoryDB.open(bad)
    assert "planvec advisories import" in (e.value.hint or "")


def test_import_directory_with_bad_files(tmp_path: Path) -> None:
    src = tmp_path / "osv"
    (src / "sub").mkdir(parents=True)
    (src / "ok.json").write_text(json.dumps(RECORDS[0]))
    (src / "sub" / "ok2.json").write_text(json.dumps(RECORDS[2]))
    (src / "broken.json").write_text("{not json")
    (src / "noid.json").write_text(json.dumps({"modified": MODIFIED, "affected": []}))
    (src / "badrange.json").write_text(
        json.dumps(rec("X-1", "PyPI", "x", {"type": "ECOSYSTEM", "events": [{"introduced": 0}]}))
    )
    (src / "fake.zip").write_text("not a zip")
    (src / "notes.txt").write_text("ignored: not an OSV file")
    r = import_advisories(tmp_path / "adv.sqlite", [src], "2026-12-01T00:00:00+00:00")
    assert sorted(p.name for p in r.problems) == ["badrange.json", "broken.json", "fake.zip", "noid.json"]
    assert all(p.reason for p in r.problems)
    assert r.imported == 2 and r.records == 4  # (records: the JSON files that decoded)
    assert {e["ecosystem"]: e["advisories"] for e in r.ecosystems} == {"npm": 1, "pypi": 1}


def test_import_zip_problems_name_the_member(tmp_path: Path) -> None:
    z = tmp_path / "all.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("PYSEC-0.json", json.dumps(RECORDS[0]))
        zf.writestr("bad.json", "[1, 2")
    r = import_advisories(tmp_path / "adv.sqlite", [z], "t")
    assert [p.name for p in r.problems] == ["all.zip:bad.json"] and r.imported == 1


def test_reimport_replaces_the_ecosystem_and_keeps_the_others(tmp_path: Path) -> None:
    path = tmp_path / "adv.sqlite"
    import_advisories(path, [write_zip(tmp_path / "all.zip", RECORDS)], "first")
    newer = rec("PYSEC-9", "PyPI", "urllib3", rng("ECOSYSTEM", ("introduced", "2.0"), ("fixed", "2.0.7")))
    r = import_advisories(path, [write_zip(tmp_path / "pypi.zip", [newer])], "second")
    assert r.ecosystems == [{"ecosystem": "pypi", "advisories": 1, "packages": 1, "snapshot": MODIFIED}]
    db = AdvisoryDB.open(path)
    assert db is not None
    with db:
        assert db.assess(d("pypi", "requests", version="2.0")).state == "none"  # the old PyPI set is gone
        assert db.assess(d("pypi", "urllib3", version="2.0.6")).state == "affected"
        assert db.assess(d("npm", "lodash", version="4.17.11")).state == "affected"  # npm kept
        st = db.status()
    assert st["imported_at"] == "second"
    assert {e["ecosystem"] for e in st["ecosystems"]} == {"pypi", "npm", "cargo", "maven", "go"}


def test_import_missing_path_or_nothing_to_read(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        import_advisories(tmp_path / "adv.sqlite", [tmp_path / "nope.zip"], "t")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no OSV file"):
        import_advisories(tmp_path / "adv.sqlite", [tmp_path / "empty"], "t")
