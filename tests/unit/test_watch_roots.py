"""Watch roots and the grouping of event paths (no watcher, no model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from planvec.errors import UsageError
from planvec.sync.changes import _excluded
from planvec.sync.watch import WatchRoot, _group, watch_roots


def test_watch_roots(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.md").write_text("x")
    roots = watch_roots([tmp_path / "d", tmp_path / "d" / "a.md", tmp_path / "d"])
    base = tmp_path.resolve().as_posix()
    assert roots == [WatchRoot(f"{base}/d"), WatchRoot(f"{base}/d", "a.md")]
    with pytest.raises(UsageError, match="path not found"):
        watch_roots([tmp_path / "missing"])
    with pytest.raises(UsageError, match="no PATH"):
        watch_roots([])


def test_group_by_deepest_root_and_file_roots() -> None:
    roots = [WatchRoot("/t"), WatchRoot("/t/sub"), WatchRoot("/f", "a.md"), WatchRoot("/f", "b.md")]
    events = iter(["/t/x.md", "/t/sub/y.md", "/t/sub", "/f/a.md", "/f/.a.md.swp", "/f/b.md", "/other/z.md"])
    assert _group(roots, events) == {"/t": {"x.md", "sub"}, "/t/sub": {"y.md"}, "/f": {"a.md", "b.md"}}
    # A directory root and a file root on the same directory: the directory wins.
    assert _group([WatchRoot("/f", "a.md"), WatchRoot("/f")], iter(["/f/c.md"])) == {"/f": {"c.md"}}


@pytest.mark.parametrize(
    ("rel", "excluded"),
    [
        ("a.md", False),
        ("team/a.md", False),
        (".git", True),
        (".git/index", True),
        ("x/node_modules/p/readme.md", True),
        ("node_modules", True),
    ],
)
def test_excluded(rel: str, excluded: bool) -> None:
    exclude = ("**/.git/**", "**/node_modules/**")
    assert _excluded(rel, exclude) is excluded
