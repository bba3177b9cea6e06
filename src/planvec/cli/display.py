"""How hits are shown on a terminal: paths that open from where the user stands, OSC 8 links,
lines trimmed to the terminal's width, Python values in words."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.style import Style
from rich.text import Text


def absolute_path(root: str | None, file: str) -> str:
    """The file's absolute path (``root/file``), or ``file`` when the root is unknown."""
    return str(Path(root) / file) if root else file


def display_path(root: str | None, file: str, cwd: Path | None = None) -> str:
    """``root/file`` relative to the current directory when it lies below it, else absolute, so
    that ``path:line`` opens from where the command was typed."""
    if not root:
        return file
    absolute = Path(root) / file
    here = (cwd or Path.cwd()).resolve()
    try:
        return absolute.relative_to(here).as_posix()
    except ValueError:
        return absolute.as_posix()


def linked(console: Console, label: str, root: str | None, file: str, style: str = "") -> Text:
    """``label`` as a text that is an OSC 8 hyperlink to the file on terminals (rich writes the
    link only when it writes to a terminal, and no colour when ``NO_COLOR`` is set)."""
    if not root or not console.is_terminal or os.environ.get("TERM") == "dumb":
        return Text(label, style=style)
    uri = (Path(root) / file).resolve().as_uri()
    return Text(label, style=Style.parse(style) + Style(link=uri) if style else Style(link=uri))


def trimmed(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters with an ellipsis, keeping its end (a breadcrumb's last
    heading says the most)."""
    if width <= 1 or len(text) <= width:
        return text
    return "…" + text[-(width - 1) :]


def words(value: Any) -> str:
    """A payload value as people write it: yes/no, "-" for none, lists comma-separated."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(words(v) for v in value) or "-"
    return str(value)
