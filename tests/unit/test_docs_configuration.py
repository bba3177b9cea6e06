"""The configuration reference (docs/configuration.md) and the README's list of keys name every
setting of the code: a new setting without its documentation fails here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

TOOL = Path(__file__).resolve().parents[2] / "tools" / "config_docs.py"


def test_configuration_docs_are_up_to_date(capsys) -> None:  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("config_docs", TOOL)
    assert spec and spec.loader
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.main(["--check"]) == 0, capsys.readouterr().err
    from planvec.settings import Settings

    doc = (TOOL.parents[1] / "docs" / "configuration.md").read_text(encoding="utf-8")
    for key in Settings.model_fields:
        assert f"| `{key}` |" in doc
