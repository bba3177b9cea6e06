"""The zero-match test: known fake secrets planted in a plan (heading, task title, task body, prose)
and in another kind's file (the toy ``.todo.txt`` kind of test_kind_toy.py) are indexed with the CLI
into a fresh data directory and backed up; then no file under the data directory (Qdrant Edge's WAL
and segments included), neither the archive nor its decompressed frames, holds any of their bytes
or any 8-character piece of them. The findings are in the ``--json`` report, without the values;
searching for a secret's text finds nothing that holds it. Files that are secrets by nature go to
no kind and are reported; ``sensitivity`` is set on every point and filters every kind."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_kind_toy import TodoKind

from planvec.cli import main
from planvec.engine import Engine
from planvec.kinds import REGISTRY
from planvec.ops.archive import ArchiveReader
from planvec.secrets import SALT_NAME
from planvec.settings import Settings
from planvec.store import CollectionSpec


def _b64url(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


# Fake secrets of valid formats (none of them grants anything).
AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"  # AWS's documented example pair
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
GITHUB = "ghp_" + "Zq8vK2mN5pL7xR1tY4wB6cD9fH3jS0gA1uE2"
PASSWORD = "S3cr3t-Pl4nv3c-Z9qW"
JWT_SIGNATURE = "Qm9ndXNTaWduYXR1cmVQbGFudmVjWDk"
JWT = f"{_b64url({'alg': 'HS256', 'typ': 'JWT'})}.{_b64url({'sub': 'planvec-test', 'n': 42})}.{JWT_SIGNATURE}"
BASIC_PASSWORD = "B4s1cAuthPl4ntQ"
KEY_BODY = (
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK",
    "LxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo",
)
PRIVATE_KEY = "\n".join(["-----BEGIN RSA PRIVATE KEY-----", *KEY_BODY, "-----END RSA PRIVATE KEY-----"])
SECRETS = {
    "aws-key-id": AWS_KEY_ID,
    "aws-secret": AWS_SECRET,
    "github": GITHUB,
    "password": PASSWORD,
    "jwt": JWT,
    "basic-auth": BASIC_PASSWORD,
    **{f"key-line-{i}": line for i, line in enumerate(KEY_BODY)},
}
EMAIL = "jeanne.martin@orange.fr"

PLAN = f"""# Release plan

## Budget

- [ ] 1.1 Ask {EMAIL} for the budget
- [x] 1.2 Plain task with nothing to hide

## Rollout with {GITHUB}

- [ ] 2.1 Rotate {AWS_KEY_ID} before the launch
  aws_secret_access_key = "{AWS_SECRET}"
  Authorization: Bearer {JWT}

## Notes

The deploy key, kept here by mistake:

{PRIVATE_KEY}

```yaml
database:
  password: "{PASSWORD}"
```

Mirror: https://deploy:{BASIC_PASSWORD}@git.internal.lan/repo.git
"""
TODO = f"""water the garden plants
call {EMAIL} about the bicycle
deploy with {GITHUB}
password: "{PASSWORD}"
rotate {AWS_KEY_ID} now
pull from https://bot:{BASIC_PASSWORD}@mirror.lan/x.git
token {JWT}
{PRIVATE_KEY}
"""


@pytest.fixture
def todo_kind() -> Iterator[TodoKind]:
    kind = TodoKind()
    REGISTRY.register(kind)
    try:
        yield kind
    finally:
        REGISTRY.unregister(kind.name)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "plans").mkdir(parents=True)
    (root / "plans" / "release.md").write_text(PLAN, encoding="utf-8")
    (root / "home.todo.txt").write_text(TODO, encoding="utf-8")
    # Secrets by nature, claimed by the toy kind (by name, and by content: a kubeconfig).
    (root / "credentials.todo.txt").write_text(f'password: "{PASSWORD}"\n', encoding="utf-8")
    (root / ".env").write_text(f"DB_PASSWORD={PASSWORD}\n", encoding="utf-8")
    (root / "kube.todo.txt").write_text(
        f"apiVersion: v1\nkind: Config\nusers:\n- name: ci\n  user:\n    token: {GITHUB}\n", encoding="utf-8"
    )
    (root / ".env.example").write_text("DB_PASSWORD=your_password_here\n", encoding="utf-8")
    return root


def _needles() -> set[bytes]:
    """Each secret, and every 8-character piece of it, as bytes (compared in lower case)."""
    out: set[bytes] = set()
    for value in SECRETS.values():
        out.add(value.encode().lower())
        out.update(value[i : i + 8].encode().lower() for i in range(len(value) - 7))
    return out


def _blobs(data_dir: Path, archive: Path) -> Iterator[tuple[str, bytes]]:
    """Every file under the data directory (in pieces: Qdrant Edge's files are large and sparse; the
    pieces overlap so that no value is cut in two; all-zero pieces are left out), the archive, and
    the archive's frames decompressed."""
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        with path.open("rb") as f:
            tail = b""
            while chunk := f.read(1 << 20):
                if chunk.count(0) != len(chunk):
                    yield str(path), tail + chunk
                tail = chunk[-256:]
    yield str(archive), archive.read_bytes()
    with archive.open("rb") as f:
        for i, frame in enumerate(ArchiveReader(f).frames()):
            yield f"{archive} frame {i} ({frame.kind.decode()})", frame.raw


def _leaks(blob: bytes, needles: set[bytes]) -> list[bytes]:
    low = blob.lower()
    return sorted(n for n in needles if n in low)


def test_no_secret_reaches_the_data_dir_or_a_backup(
    todo_kind, tree: Path, tmp_path: Path, embedder, capsys, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "home"
    monkeypatch.setenv("PLANVEC_HOME", str(home))
    kinds = {"todo": {"include": ["**/*.todo.txt", "**/.env", "**/.env.example"]}}
    monkeypatch.setenv("PLANVEC_KINDS", json.dumps(kinds))
    code = main(["index", str(tree), "--json"])
    out = capsys.readouterr().out
    report = json.loads(out)
    assert code == 0, report["problems"]
    assert report["kinds"]["todo"]["files"] == 2 and report["kinds"]["plans"]["files"] == 1
    # The findings: type, file and line, a salted hash and its fingerprint; never the value.
    found = {(f["file"], f["line"], f["type"]) for f in report["secret_findings"]}
    assert {
        ("plans/release.md", 8, "github-token"),
        ("plans/release.md", 10, "aws-key"),
        ("plans/release.md", 11, "aws-key"),
        ("plans/release.md", 12, "jwt"),
        ("plans/release.md", 18, "private-key"),
        ("plans/release.md", 26, "password"),
        ("plans/release.md", 29, "basic-auth"),
        ("home.todo.txt", 3, "github-token"),
        ("home.todo.txt", 4, "password"),
        ("home.todo.txt", 5, "aws-key"),
        ("home.todo.txt", 6, "basic-auth"),
        ("home.todo.txt", 7, "jwt"),
        ("home.todo.txt", 8, "private-key"),
    } <= found
    assert report["secrets"] == len(report["secret_findings"]) == sum(report["secret_types"].values())
    assert all(
        len(f["hash"]) == 64 and f["hash"].startswith(f["fingerprint"]) for f in report["secret_findings"]
    )
    assert report["personal"] == {"email": 2}
    assert {f["path"] for f in report["sensitive_files"]} == {"credentials.todo.txt", ".env", "kube.todo.txt"}
    assert any(".env: not indexed: an environment file" in w for w in report["warnings"])
    salt = home / SALT_NAME
    assert salt.is_file() and (salt.stat().st_mode & 0o777) == 0o600

    archive = tmp_path / "backup.pvar"
    assert main(["backup", "--out", str(archive)]) == 0
    capsys.readouterr()
    needles = _needles()
    assert not _leaks(out.encode(), needles)
    checked = 0
    for name, blob in _blobs(home, archive):
        assert not _leaks(blob, needles), f"{name} holds a planted secret"
        checked += 1
    assert checked > 10  # (the shards' WAL and segments, the metadata, the archive and its frames)

    with Engine(Settings(data_dir=home), embedder=embedder, read_only=True) as eng:
        for value in SECRETS.values():
            for mode in ("keyword", "dense"):
                hits = eng.search(value, kind="all", mode=mode, limit=50)  # type: ignore[arg-type]
                assert not any(value.lower() in json.dumps(h.payload).lower() for h in hits)
        hits = eng.search("rotate before the launch", kind="plans", limit=3)
    assert hits[0].title.startswith("Rotate [REDACTED:aws-key] before the launch")
    assert hits[0].section == "Release plan > Rollout with [REDACTED:github-token]"


def test_sensitivity_is_set_and_filters_every_kind(
    todo_kind, tree: Path, tmp_path: Path, embedder, capsys, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path / "data")
    with Engine(settings, embedder=embedder) as eng:
        # A collection made before the sensitivity index existed gets it on the next index.
        eng.store.create_collection(
            CollectionSpec(
                "todo_items", embedder.dimension, embedder.model_id, payload_indexes={"done": "bool"}
            )
        )
        eng.index([tree])
        info = eng.store.collection_info("todo_items")
        assert info is not None and info.payload_indexes["sensitivity"] == "keyword"
        levels = {p.payload["title"]: p.payload["sensitivity"] for p in eng.store.scroll("todo_items")}
        assert levels["water the garden plants"] == "public"
        assert levels[f"call {EMAIL} about the bicycle"] == "personal"
        assert levels["deploy with [REDACTED:github-token]"] == "secret"
        public = eng.search("garden bicycle deploy", {"sensitivity": "public"}, kind="todo", limit=20)
        assert [h.title for h in public] == ["water the garden plants"]
        personal = eng.search("bicycle", {"sensitivity": "personal"}, kind="plans", limit=20)
        assert [h.task_id for h in personal] == ["1.1"]
        both = eng.search("bicycle", {"sensitivity": "personal,secret"}, kind="todo", limit=20)
        assert "water the garden plants" not in [h.title for h in both] and len(both) >= 2
        fused = eng.search("rotate", {"sensitivity": "secret"}, kind="all", limit=20)
        # every kind is filtered (the schemas kind reads the planted config file too)
        assert {"plans", "todo"} <= {h.kind_name for h in fused}
        assert {(h.payload or {}).get("sensitivity") for h in fused} == {"secret"}
        again = eng.index([tree])
        assert (again.embedded, again.added, again.updated, again.moved) == (0, 0, 0, 0)
    monkeypatch.setenv("PLANVEC_HOME", str(tmp_path / "data"))
    assert main(["search", "x", "--kind", "todo", "--filter", "sensitivity=hidden"]) == 2
    assert "unknown sensitivity hidden" in capsys.readouterr().err


def test_sensitivity_filter_over_http(todo_kind, tree: Path, tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from planvec.service import create_app

    settings = Settings(data_dir=tmp_path / "http-home")
    with Engine(settings, embedder=embedder) as e:
        e.index([tree])
    with TestClient(
        create_app(settings, embedder=embedder), base_url="http://127.0.0.1:8080", client=("127.0.0.1", 50000)
    ) as client:
        body = client.get(
            "/api/v1/search", params={"q": "bicycle", "kind": "todo", "filter": "sensitivity=personal"}
        )
        assert body.status_code == 200, body.text
        assert [h["title"] for h in body.json()["hits"]] == [f"call {EMAIL} about the bicycle"]
        bad = client.get("/api/v1/search", params={"q": "x", "kind": "todo", "filter": "sensitivity=nope"})
        assert bad.status_code == 400 and "unknown sensitivity" in bad.text


def test_redact_personal_and_index_secret_files(
    todo_kind, tree: Path, tmp_path: Path, capsys, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "home"
    monkeypatch.setenv("PLANVEC_HOME", str(home))
    monkeypatch.setenv("PLANVEC_REDACT_PERSONAL", "true")
    monkeypatch.setenv("PLANVEC_INDEX_SECRET_FILES", "true")
    code = main(["index", str(tree), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["kinds"]["todo"]["files"] == 3  # credentials and kubeconfig indexed
    assert any("indexed (index_secret_files is on)" in w for w in report["warnings"])
    for path in (p for p in home.rglob("*") if p.is_file()):
        blob = path.read_bytes().lower()
        assert EMAIL.encode() not in blob and PASSWORD.lower().encode() not in blob, path
    code = main(["search", "bicycle", "--kind", "todo", "--json", "-n", "3"])
    assert "[REDACTED:email]" in json.loads(capsys.readouterr().out)[0]["title"]
    # Without the settings, the next run withholds the secret files again: their points go.
    for var in ("PLANVEC_REDACT_PERSONAL", "PLANVEC_INDEX_SECRET_FILES"):
        monkeypatch.delenv(var)
    code = main(["index", str(tree), "--json"])
    again = json.loads(capsys.readouterr().out)
    assert code == 0 and again["deleted"] >= 2 and again["kinds"]["todo"]["files"] == 1
    assert os.environ.get("PLANVEC_REDACT_PERSONAL") is None


def test_document_put_over_http_redacts(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    """PUT /api/v1/documents indexes through the same pipeline: the stored points hold no secret."""
    from fastapi.testclient import TestClient

    from planvec.service import create_app

    docs = tmp_path / "docs"
    docs.mkdir()
    settings = Settings(data_dir=tmp_path / "http-home", documents_root=docs, job_wait_seconds=60.0)
    with TestClient(
        create_app(settings, embedder=embedder), base_url="http://127.0.0.1:8080", client=("127.0.0.1", 50000)
    ) as client:
        r = client.put("/api/v1/documents/team/release.md", json={"content": PLAN}, params={"wait": 60})
        assert r.status_code == 200, r.text
        report = r.json()["job"]["result"]["report"]
        assert report["secrets"] >= 7 and "github-token" in report["secret_types"]
        assert GITHUB not in r.text and PASSWORD not in r.text
    needles = _needles()
    for path in (p for p in (tmp_path / "http-home").rglob("*") if p.is_file()):
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                assert not _leaks(chunk, needles), path
