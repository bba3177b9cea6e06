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
