"""The stores that ``migrate`` opens from ``--from``/``--to`` are the configured store pointed
elsewhere: every store setting (disk reserve, API key, retries, ...) applies to them."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from planvec.cli import main
from planvec.store import CollectionSpec, EdgeStore, PointData

DIM = 8


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A data directory holding one small collection (no model needed)."""
    path = tmp_path / "source"
    rng = np.random.default_rng(1)
    with EdgeStore(path) as s:
        s.create_collection(CollectionSpec(name="notes", dimension=DIM, model="test/model"))
        vecs = rng.standard_normal((20, DIM)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        s.upsert(
            "notes", [PointData(str(uuid.uuid4()), v, {"text": f"note {i}"}) for i, v in enumerate(vecs)]
        )
    return path


def test_migrate_target_keeps_the_configured_disk_reserve(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "target"
    monkeypatch.setenv("PLANVEC_DISK_RESERVE_MB", str(10**12))  # more than any disk: every write refused
    for method in ("files", "stream"):
        rc, _, err = run(capsys, "migrate", "--from", str(source), "--to", str(target), "--method", method)
        assert rc == 1 and "not enough disk space" in err and "PLANVEC_DISK_RESERVE_MB" in err, err
        assert "Traceback" not in err
    monkeypatch.delenv("PLANVEC_DISK_RESERVE_MB")
    rc, out, err = run(capsys, "migrate", "--from", str(source), "--to", str(target), "--json")
    assert rc == 0 and json.loads(out)["complete"] is True, err


class _Recorder(BaseHTTPRequestHandler):
    """Stands for a Qdrant server that refuses every request; records the API key it was sent."""

    keys: ClassVar[list[str | None]] = []

    def _refuse(self) -> None:
        type(self).keys.append(self.headers.get("api-key"))
        body = json.dumps({"status": {"error": "forbidden"}, "time": 0}).encode()
        self.send_response(403)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _refuse

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def qdrant_url() -> Iterator[str]:
    _Recorder.keys = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_migrate_to_a_url_sends_the_api_key_of_planvec_toml(
    source: Path,
    tmp_path: Path,
    qdrant_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    toml = tmp_path / "planvec.toml"
    toml.write_text('qdrant_api_key = "key-from-toml"\nqdrant_retries = 0\nqdrant_timeout = 5\n')
    monkeypatch.setenv("PLANVEC_CONFIG", str(toml))
    for var in ("QDRANT_API_KEY", "PLANVEC_QDRANT_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    rc, _, err = run(capsys, "migrate", "--from", str(source), "--to", qdrant_url)
    assert rc != 0 and "Traceback" not in err  # the stand-in server refuses everything
    assert _Recorder.keys and set(_Recorder.keys) == {"key-from-toml"}, _Recorder.keys
