"""Write-back: edit one task of a Markdown plan in place, with the smallest diff.

Only the bytes of the task's own line that carry the change are touched; every other byte of the
file (BOM, line endings CRLF or LF, trailing newline, other lines, the rest of the line) stays as
it was, so a diff shows one changed line. The edit works on the raw bytes of that line, never on a
re-rendered Markdown (no Markdown library writes a document back byte-exact).

* **status**: the checkbox character. ``pending`` → ``[ ]``; ``completed`` → ``[x]``, or ``[X]``
  when the file's ticked tasks mostly use ``X`` (its own style). A box already in the asked state is
  left as it is (``[X]`` stays ``[X]``).
* **priority**: a marker on the task's line (any form :mod:`.markdown` reads: ``(P1)``, ``[P1]``,
  ``{P1}``, ``**P1**``, ``Priorité : P1``, ``P1 -``...) has its value replaced in place; with none,
  one is appended to the line in the form the file's task lines use most (default ``(P1)``);
  ``None`` removes the line's marker (the task then inherits its parent's or heading's priority).
  A priority stated only as a ``Priorité : P1`` field under the task is not edited: the title marker
  added wins over it (rule 1 of :mod:`.markdown`).

Every edit is checked by parsing the result: the task at that line must have the status and the
priority asked, or the edit is refused (:class:`~planvec.errors.UsageError`), nothing written.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ...errors import UsageError
from .markdown import _PRIO_MARKER_RE, _TASK_LINE_RE, parse_markdown

__all__ = ["KEEP", "TaskEdit", "edit_task"]

KEEP = "keep"  # TaskEdit.priority: leave the priority as it is
_BOM = b"\xef\xbb\xbf"
_MARKER_STYLE_RE = re.compile(r"(\(|\[|\{|\*\*|__)P[0-3](\)|\]|\}|\*\*|__)")


@dataclass(frozen=True, slots=True)
class TaskEdit:
    status: str | None = None  # "completed" | "pending" | None (keep)
    priority: str | None = KEEP  # "P0".."P3", None (remove the line's marker) or KEEP


def edit_task(data: bytes, line: int, edit: TaskEdit) -> bytes:
    """``data`` with the task at 1-based ``line`` edited as ``edit`` says."""
    lines = data.splitlines(keepends=True)
    if not 1 <= line <= len(lines):
        raise UsageError(f"line {line} is not in the file ({len(lines)} lines)", hint="re-read the task")
    raw = lines[line - 1]
    bom = _BOM if line == 1 and raw.startswith(_BOM) else b""
    body = raw[len(bom) :]
    content = body.rstrip(b"\r\n")
    ending = body[len(content) :]
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"line {line} is not UTF-8: it cannot be edited in place") from None
    m = _TASK_LINE_RE.match(text)
    if m is None:
        raise UsageError(f"line {line} is not a task line (no checkbox)", hint="re-read the task")
    if edit.status is not None:
        text = _set_box(text, m.end() - 2, edit.status, data)
    if edit.priority != KEEP:
        text = _set_priority(text, m.end(), edit.priority, data)
    lines[line - 1] = bom + text.encode("utf-8") + ending
    out = b"".join(lines)
    _check(out, line, edit)
    return out


def _set_box(text: str, at: int, status: str, data: bytes) -> str:
    current = text[at]
    if status == "pending":
        new = " "
    elif status == "completed":
        new = current if current in "xX" else _tick_style(data)
    else:
        raise UsageError(f"status {status!r} is not completed or pending")
    return text[:at] + new + text[at + 1 :]


def _tick_style(data: bytes) -> str:
    """``X`` when the file's ticked boxes are mostly ``[X]``, else ``x``."""
    upper, lower = data.count(b"[X]"), data.count(b"[x]")
    return "X" if upper > lower else "x"


def _set_priority(text: str, start: int, priority: str | None, data: bytes) -> str:
    if priority is not None and not re.fullmatch(r"P[0-3]", priority):
        raise UsageError(f"priority {priority!r} is not one of P0, P1, P2, P3", hint="e.g. --priority P1")
    lead = len(text[start:]) - len(text[start:].lstrip())
    at = start + lead
    pm = _PRIO_MARKER_RE.search(text[at:])
    if pm is None:
        if priority is None:
            return text  # (no marker on the line: nothing to remove)
        stripped = text.rstrip()
        return f"{stripped} {_marker_style(data, priority)}{text[len(stripped) :]}"
    if priority is not None:
        group = next(i for i, g in enumerate(pm.groups(), 1) if g and g.startswith("P"))
        s, e = at + pm.start(group), at + pm.end(group)
        return text[:s] + priority + text[e:]
    s, e = at + pm.start(), at + pm.end()
    if s > 0 and text[s - 1] == " ":
        s -= 1
    elif e < len(text) and text[e] == " ":
        e += 1
    return text[:s] + text[e:]


def _marker_style(data: bytes, priority: str) -> str:
    """A new marker in the bracket form the file uses most (``(P1)`` when it has none)."""
    forms = Counter(
        (m.group(1), m.group(2)) for m in _MARKER_STYLE_RE.finditer(data.decode("utf-8", "replace"))
    )
    pairs = {("(", ")"), ("[", "]"), ("{", "}"), ("**", "**"), ("__", "__")}
    best = next(((o, c) for (o, c), _ in forms.most_common() if (o, c) in pairs), ("(", ")"))
    return f"{best[0]}{priority}{best[1]}"


def _check(out: bytes, line: int, edit: TaskEdit) -> None:
    text = out.decode("utf-8-sig", "replace").replace("\r\n", "\n").replace("\r", "\n")
    task = next((t for t in parse_markdown(text, "check").tasks if t.line == line), None)
    if task is None:
        raise UsageError(f"the edit of line {line} would not leave a task there: nothing was written")
    wrong = edit.status is not None and task.status != edit.status
    if edit.priority not in (KEEP, None) and task.priority != edit.priority:
        wrong = True
    if wrong:
        raise UsageError(
            f"line {line} cannot be edited in place to say that (the result reads as "
            f"{task.status}, {task.priority or 'no priority'}): nothing was written",
            hint="edit the file by hand",
        )
