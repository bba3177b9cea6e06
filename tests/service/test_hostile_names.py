"""Client text that becomes a file name (document paths, import paths, upload file names) past an OS limit:
400 with a stable code and a message, never a 500, and the client goes on (on a real connection too)."""

from __future__ import annotations

import http.client
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from planvec.service.paths import NAME_MAX, PATH_MAX
from planvec.settings import Settings
from serving import serve_env, served

DOC = {"content": "# Plan\n\n- [ ] écrire le gabarit hostile\n"}
LEGACY = json.dumps({"points": []}).encode()


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("hostile")
    out = {k: base / k for k in ("home", "docs", "imports")}
    for d in out.values():
        d.mkdir()
    return out


@pytest.fixture(scope="module")
def client(dirs: dict[str, Path], make_client: Callable[..., TestClient]) -> TestClient:
    settings = Settings(
        data_dir=dirs["home"],
        documents_root=dirs["docs"],
        import_dir=dirs["imports"],
        keys_file=dirs["home"] / "api_keys.json",
        qdrant_url=":memory:",
        job_wait_seconds=60.0,
    )
    return make_client(settings)


def too_long_inside(root: Path) -> str:
    """A relative path under PATH_MAX by itself that goes over it once joined to ``root``."""
    room = PATH_MAX - 1 - len(os.fsencode(root.resolve())) - 1  # bytes left after "root/"
    parts, size = [], 0
    while size + 201 < room + 10:
        parts.append("d" * 200)
        size += 201
    name = "x" * max(1, room + 10 - size - 3) + ".md"
    path = "/".join([*parts, name])
    assert len(path) < PATH_MAX - 1
    return path


def hostile_document_paths(root: Path) -> list[tuple[str, str]]:
    """(URL path after /documents/, what the message says) for every limit."""
    return [
        ("a" * (NAME_MAX + 1 - 3) + ".md", f"over the {NAME_MAX}-byte limit of one path component"),
        ("%C3%A9" * 128 + ".md", f"a name of {256 + 3} bytes"),  # 131 characters, 259 bytes
        ("/".join(["d" * 200] * 21) + "/x.md", f"over the {PATH_MAX - 1}-byte path limit"),
        (too_long_inside(root), "too long once inside the server's folder"),
        ("a%00b.md", "contains a NUL byte"),
        ("a%01b.md", "contains a control character (U+0001)"),
        ("a%1Bb.md", "contains a control character (U+001B)"),
        ("a%7Fb.md", "contains a control character (U+007F)"),
        ("a%C2%85b.md", "contains a control character (U+0085)"),
        ("a%FFb.md", "contains text that is not UTF-8"),
        ("a%ED%A0%80b.md", "contains text that is not UTF-8"),  # an encoded lone surrogate
    ]


def test_hostile_document_paths_are_400_and_the_client_goes_on(
    client: TestClient, dirs: dict[str, Path]
) -> None:
    for method in ("PUT", "DELETE"):
        for path, says in hostile_document_paths(dirs["docs"]):
            r = client.request(method, f"/api/v1/documents/{path}", json=DOC if method == "PUT" else None)
            assert r.status_code == 400, (method, path[:60], r.text[:300])
            err = r.json()["error"]
            assert err["code"] == "invalid_path" and says in err["message"], (path[:60], err)
            assert "Traceback" not in r.text
    r = client.put("/api/v1/documents/team/ok.md", json=DOC)
    assert r.status_code == 200 and r.json()["job"]["status"] == "succeeded", r.text
    assert client.delete("/api/v1/documents/team/ok.md").status_code == 200


def test_a_path_at_the_limits_is_accepted(client: TestClient, dirs: dict[str, Path]) -> None:
    name = "n" * (NAME_MAX - 3) + ".md"
    r = client.put(f"/api/v1/documents/limits/{name}", json=DOC)
    assert r.status_code == 200 and r.json()["job"]["status"] == "succeeded", r.text
    assert (dirs["docs"] / "limits" / name).is_file()


@pytest.mark.parametrize(
    ("data_path", "status", "code", "says"),
    [
        # JSON decoding refuses a lone surrogate before any route code runs
        ("\\ud800.json", 422, "validation_error", "body.dataPath"),
        ("a\\u0000.json", 400, "invalid_path", "contains a NUL byte"),
        ("a\\u0007.json", 400, "invalid_path", "contains a control character (U+0007)"),
        ("e" * 300 + ".json", 400, "invalid_path", "a name of 305 bytes"),
        ("TOO_LONG_INSIDE", 400, "invalid_path", "too long once inside the server's folder"),
    ],
)
def test_hostile_import_paths_are_refused(
    client: TestClient, dirs: dict[str, Path], data_path: str, status: int, code: str, says: str
) -> None:
    if data_path == "TOO_LONG_INSIDE":
        data_path = too_long_inside(dirs["imports"])
    body = b'{"collection": "x", "dataPath": "' + data_path.encode() + b'"}'
    r = client.post("/api/v1/import", content=body, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code and says in r.json()["error"]["message"]
    assert client.get("/api/v1/collections").status_code == 200


def multipart(filename: bytes, content: bytes = LEGACY) -> tuple[bytes, dict[str, str]]:
    """A multipart body written by hand: a client library would escape the bytes under test."""
    boundary = b"hostile-boundary-1234"
    body = (
        b"--" + boundary + b"\r\n"
        b'Content-Disposition: form-data; name="file"; filename="' + filename + b'"\r\n'
        b"Content-Type: application/json\r\n\r\n" + content + b"\r\n--" + boundary + b"--\r\n"
    )
    return body, {"content-type": "multipart/form-data; boundary=" + boundary.decode()}


@pytest.mark.parametrize(
    ("filename", "says"),
    [
        (b"x\x00y.json", "contains a NUL byte"),
        (b"a\x01b.json", "contains a control character (U+0001)"),
        (b"f" * 300 + b".json", "a name of 305 bytes"),
        ("é".encode() * 128, "a name of 256 bytes"),
    ],
)
def test_hostile_upload_file_names_are_400(client: TestClient, filename: bytes, says: str) -> None:
    body, headers = multipart(filename)
    r = client.post("/api/v1/import/upload", params={"collection": "up"}, content=body, headers=headers)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == "invalid_filename" and says in err["message"], err


def test_a_long_but_valid_upload_file_name_is_imported(client: TestClient, dirs: dict[str, Path]) -> None:
    # 250 bytes: a name any file system holds; the server never stores the upload under it anyway
    body, headers = multipart(b"u" * 245 + b".json")
    params = {"collection": "long_name"}
    r = client.post("/api/v1/import/upload", params=params, content=body, headers=headers)
    assert r.status_code == 200 and r.json()["job"]["status"] == "succeeded", r.text
    assert not list((dirs["home"] / ".uploads").iterdir())


# ----------------------------------------------------------------------------------------------------
# the same over one keep-alive connection to a real `planvec serve`


@pytest.fixture(scope="module")
def server(dirs: dict[str, Path]) -> Iterator[tuple[int, Path]]:
    home = dirs["home"].parent / "serve-home"
    home.mkdir()
    env = serve_env(
        home=home, keys_file=home / "keys.json", documents_root=dirs["docs"], import_dir=dirs["imports"]
    )
    with served(env, home / "serve.log") as srv:
        yield int(srv.url.rsplit(":", 1)[1]), srv.log


def test_one_connection_survives_every_hostile_name(server: tuple[int, Path], dirs: dict[str, Path]) -> None:
    port, log_path = server
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.auto_open = 0  # a request after the server closed the connection fails instead of reconnecting
    conn.connect()
    local = conn.sock.getsockname()

    def send(method: str, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
        conn.request(method, url, body=body, headers={"Host": f"127.0.0.1:{port}", **headers})
        resp = conn.getresponse()
        data = json.loads(resp.read())
        assert not resp.will_close, (url[:60], data)
        return resp.status, data

    json_doc = {"content-type": "application/json"}
    for path, _ in hostile_document_paths(dirs["docs"]):
        status, data = send("PUT", f"/api/v1/documents/{path}", json.dumps(DOC).encode(), json_doc)
        assert status == 400 and data["error"]["code"] == "invalid_path", (path[:60], data)  # type: ignore[index]
    for name in (b"x\x00y.json", b"g" * 300 + b".json"):
        body, headers = multipart(name)
        status, data = send("POST", "/api/v1/import/upload?collection=up", body, headers)
        assert status == 400 and data["error"]["code"] == "invalid_filename", data  # type: ignore[index]
    status, data = send("PUT", "/api/v1/documents/served/ok.md?wait=60", json.dumps(DOC).encode(), json_doc)
    assert status == 200 and data["job"]["status"] == "succeeded", data  # type: ignore[index]
    assert conn.sock is not None and conn.sock.getsockname() == local  # the same connection throughout
    conn.close()
    log = log_path.read_text(errors="replace")
    assert "Traceback" not in log and "unexpected error" not in log
