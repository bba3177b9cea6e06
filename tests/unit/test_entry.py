"""The console script's entry point."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from planvec import entry


class _Interrupting:
    """A module finder that is 'interrupted' (Ctrl-C) while the CLI's modules load."""

    def find_spec(self, name: str, *_: Any) -> None:
        if name == "planvec.cli":
            raise KeyboardInterrupt
        return None


def test_ctrl_c_while_the_cli_loads_exits_130_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delitem(sys.modules, "planvec.cli", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_Interrupting(), *sys.meta_path])
    assert entry.main() == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_the_entry_point_runs_the_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["planvec", "--version"])
    assert entry.main() == 0
    assert "planvec" in capsys.readouterr().out


def test_ctrl_c_during_a_command_says_interrupted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    from planvec.cli import main
    from planvec.engine import Engine

    def interrupted(*_: Any, **__: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Engine, "collections", interrupted)
    assert main(["--data-dir", str(tmp_path), "collections"]) == 130
    assert capsys.readouterr().err.strip() == "interrupted"
