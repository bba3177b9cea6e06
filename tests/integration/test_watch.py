"""Watch mode with real file events (watchfiles on a tmp dir) and a real Qdrant Edge store: after the
events stop, the index equals a fresh ``planvec index`` of the tree (point ids, content and payload
hashes), whatever the events were."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from planvec.cli import main
from planvec.cli.watch import _Sayer, run_watch
from planvec.engine import Engine
from planvec.settings import Settings
from planvec.sync.watch import watch_roots

WAIT = 20.0

PLAN = """# Plan {n}

## Cache

- [ ] **{n}.1** Implement the in-memory LRU cache
  - [x] **{n}.1.1** Choose the eviction policy
- [ ] **{n}.2** Write the Redis cache adapter

Some prose about the cache of plan {n}.
"""


def _state(eng: Engine) -> dict[str, dict[str, tuple[object, object]]]:
    out = {}
    for name in sorted(eng.store.list_collections()):
        pts = eng.store.scroll(name, fields=["content_hash", "payload_hash"])
        out[name] = {p.id: (p.payload.get("content_hash"), p.payload.get("payload_hash")) for p in pts}
    return out


def _fresh(tree: Path, tmp: Path, embedder) -> dict[str, dict[str, tuple[object, object]]]:  # type: ignore[no-untyped-def]
    data = tmp / f"fresh-{time.monotonic_ns()}"
    with Engine(Settings(data_dir=data), embedder=embedder) as eng:
        eng.index([tree])
        state = _state(eng)
    shutil.rmtree(data)
    return state


def _atomic_save(path: Path, text: str) -> None:
    """As editors save: a temporary sibling written, then renamed over the file."""
    tmp = path.with_name(f".{path.name}.swp-{os.getpid()}")
    tmp.write_bytes(text.encode("utf-8"))
    os.replace(tmp, path)


class Watching:
    def __init__(self, eng: Engine, tree: Path) -> None:
        self.eng = eng
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.error: BaseException | None = None
        say = _Sayer(json_out=True)
        original = say.event

        def event(name: str, text: str, **data: object) -> None:
            original(name, text, **data)
            if name == "watching":
                self.ready.set()

        say.event = event  # type: ignore[method-assign]
        self.thread = threading.Thread(target=self._run, args=(tree, say), daemon=True)

    def _run(self, tree: Path, say: _Sayer) -> None:
        try:
            run_watch(self.eng, watch_roots([tree]), say, stop=self.stop)
        except BaseException as e:  # the test reports it
            self.error = e

    def converge(self, expected: Callable[[], object]) -> None:
        """Wait until the watched index equals ``expected()`` (bounded)."""
        want = expected()
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            assert self.error is None, self.error
            if _state(self.eng) == want:
                return
            time.sleep(0.1)
        assert _state(self.eng) == want


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    d = tmp_path / "tree"
    (d / "team").mkdir(parents=True)
    for n in range(3):
        (d / f"plan-{n}.md").write_text(PLAN.format(n=n), encoding="utf-8")
    (d / "team" / "notes.md").write_text(PLAN.format(n=9), encoding="utf-8")
    return d


@pytest.fixture
def watching(tmp_path: Path, tree: Path, embedder) -> Iterator[Watching]:  # type: ignore[no-untyped-def]
    with Engine(Settings(data_dir=tmp_path / "data"), embedder=embedder) as eng:
        w = Watching(eng, tree)
        w.thread.start()
        assert w.ready.wait(WAIT), "the watcher did not start"
        try:
            yield w
        finally:
            w.stop.set()
            w.thread.join(WAIT)
            assert not w.thread.is_alive()


def test_atomic_save_delete_rename_converge(watching: Watching, tree: Path, tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    fresh = lambda: _fresh(tree, tmp_path, embedder)  # noqa: E731
    watching.converge(fresh)  # the initial index
    _atomic_save(tree / "plan-0.md", PLAN.format(n=0).replace("Redis cache adapter", "Valkey adapter"))
    watching.converge(fresh)
    (tree / "plan-1.md").unlink()
    watching.converge(fresh)
    os.rename(tree / "plan-2.md", tree / "renamed.md")
    watching.converge(fresh)
    os.rename(tree / "team", tree / "crew")  # a directory: one event for all it holds
    watching.converge(fresh)
    shutil.rmtree(tree / "crew")
    watching.converge(fresh)
    assert {p.payload["file"] for p in watching.eng.store.scroll("roadmap_tasks", fields=["file"])} == {
        "plan-0.md",
        "renamed.md",
    }


def test_many_files_at_once_and_edits_during_a_sync(
    watching: Watching, tree: Path, tmp_path: Path, embedder
) -> None:  # type: ignore[no-untyped-def]
    fresh = lambda: _fresh(tree, tmp_path, embedder)  # noqa: E731
    subprocess.run(["git", "init", "-q", "-b", "main", str(tree)], check=True)
    git = ["git", "-C", str(tree), "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "a"], check=True)
    subprocess.run([*git, "checkout", "-qb", "other"], check=True)
    for n in range(200):  # the same tasks in every file: their vectors are computed once
        (tree / "team" / f"p{n:03}.md").write_text(
            "# Plan\n\n- [ ] Ship it\n- [x] Plan it\n", encoding="utf-8"
        )
    (tree / "plan-0.md").unlink()
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "b"], check=True)
    watching.converge(fresh)
    subprocess.run([*git, "checkout", "-q", "main"], check=True)  # 201 files change at once
    watching.converge(fresh)
    subprocess.run([*git, "checkout", "-q", "other"], check=True)
    watching.converge(fresh)
    # A file written over and over while its syncs run: the last text wins.
    for i in range(30):
        _atomic_save(tree / "plan-2.md", PLAN.format(n=2).replace("LRU", f"LRU {i}"))
        time.sleep(0.03)
    watching.converge(fresh)
    texts = {p.payload.get("title") for p in watching.eng.store.scroll("roadmap_tasks", fields=["title"])}
    assert any("LRU 29" in str(t) for t in texts)


def test_ignores_files_no_kind_reads(watching: Watching, tree: Path, tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    fresh = lambda: _fresh(tree, tmp_path, embedder)  # noqa: E731
    watching.converge(fresh)
    (tree / ".git").mkdir()
    (tree / ".git" / "x.md").write_text("- [ ] not a plan\n", encoding="utf-8")
    (tree / "notes.txt").write_text("- [ ] not a plan\n", encoding="utf-8")
    _atomic_save(tree / "plan-0.md", PLAN.format(n=0) + "- [ ] A new task\n")
    watching.converge(fresh)


def test_cli_watch_prints_lines_holds_the_store_and_stops_on_sigint(tmp_path: Path, tree: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "planvec", "--data-dir", str(data), "watch", str(tree), "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        lines = _lines_until(proc, "watching", 120)
        assert lines[0]["event"] == "indexed" and lines[0]["added"] > 0
        # The data directory is the watcher's while it runs.
        assert main(["--data-dir", str(data), "index", str(tree)]) != 0
        _atomic_save(tree / "plan-0.md", PLAN.format(n=0) + "- [ ] Added while watching\n")
        sync = _lines_until(proc, "sync", WAIT)[-1]
        assert sync["files"] == ["plan-0.md"] and sync["added"] == 1 and sync["deleted"] == 0
        proc.send_signal(2)  # SIGINT, as Ctrl-C
        out, err = proc.communicate(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert '"event": "stopped"' in out
    assert "Traceback" not in err
    with Engine(Settings(data_dir=data), read_only=True) as eng:  # the lock was released
        assert eng.store.count("roadmap_tasks") == 4 * 3 + 1


def _lines_until(proc: subprocess.Popen[str], event: str, timeout: float) -> list[dict[str, object]]:
    import json

    assert proc.stdout is not None
    got: list[dict[str, object]] = []
    deadline = time.monotonic() + timeout
    timer = threading.Timer(timeout, proc.kill)  # a hung watcher fails the test, never hangs it
    timer.start()
    try:
        for line in proc.stdout:
            got.append(json.loads(line))
            if got[-1]["event"] == event or time.monotonic() > deadline:
                break
    finally:
        timer.cancel()
    assert got and got[-1]["event"] == event, got
    return got


def test_watch_refuses_a_missing_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--data-dir", str(tmp_path / "d"), "watch", str(tmp_path / "nope")])
    assert code == 2
    err = capsys.readouterr().err
    assert "path not found" in err and "hint:" in err
