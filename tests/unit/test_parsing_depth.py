"""Deep nesting: every checkbox line outside code becomes a task or a problem with its line, whatever the
depth, and hostile nesting never exhausts the stack."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planvec.kinds.plans import parse_markdown
from planvec.kinds.plans.markdown import MAX_BLOCK_DEPTH
from planvec.kinds.plans.records import ParsedFile


def accounted(pf: ParsedFile) -> list[int]:
    """Lines that became a task or a problem, each once (a one-line nest is one line)."""
    return sorted({t.line for t in pf.tasks} | {p.line for p in pf.problems if p.line is not None})


def nested_list(depth: int) -> tuple[str, list[int]]:
    """A task list nested ``depth`` deep, then a top-level task; and the lines of all its tasks."""
    lines = ["# Deep", ""] + ["  " * i + f"- [ ] task at depth {i}" for i in range(depth)]
    lines += ["", "- [ ] after the deep list", ""]
    expected = [n for n, line in enumerate(lines, 1) if "- [ ]" in line]
    return "\n".join(lines), expected


@pytest.mark.parametrize("depth", [1, 30, 31, 100, 101, 500])
def test_every_task_of_a_deep_list_is_a_task_or_a_problem(depth: int) -> None:
    md, expected = nested_list(depth)
    pf = parse_markdown(md, "deep.md")
    assert accounted(pf) == expected
    kept = min(depth, MAX_BLOCK_DEPTH)
    assert len(pf.tasks) == kept + 1 and pf.tasks[-1].title == "after the deep list"
    assert [t.depth for t in pf.tasks[:-1]] == list(range(kept))
    assert len(pf.problems) == depth - kept
    for p in pf.problems:
        assert p.path == "deep.md"
        assert p.reason.startswith(f"line {p.line}: task nested more than {MAX_BLOCK_DEPTH} lists")
        assert "flatten the list" in p.reason


@pytest.mark.parametrize(
    "md",
    [
        "- " * 2000 + "[ ] one-line nest\n",
        "> " * 2000 + "- [ ] in 2000 quotes\n",
        "> - " * 2000 + "[x] quotes and lists\n",
        "1. " * 5000 + "[ ] ordered\n",
        "- > " * 5000 + "- [ ] lists and quotes\n",
    ],
)
def test_hostile_nesting_is_a_problem_within_a_bounded_stack(md: str) -> None:
    # 400 frames more than the caller uses: the depth limit keeps the parser well inside that.
    with recursion_limit(len(inspect.stack(0)) + 400):
        pf = parse_markdown(md + "\n- [ ] sentinel\n", "hostile.md")
    assert [t.title for t in pf.tasks] == ["sentinel"]
    assert [p.line for p in pf.problems] == [1]


def test_lines_past_the_limit_that_are_not_tasks_are_a_warning() -> None:
    lines = ["  " * i + f"- [ ] task at depth {i}" for i in range(MAX_BLOCK_DEPTH + 1)]
    pad = "  " * MAX_BLOCK_DEPTH + "  "  # the content column of the item past the limit
    lines += [pad + "prose past the limit", pad + "```", pad + "- [ ] in a fence", pad + "```"]
    pf = parse_markdown("\n".join(lines) + "\n", "deep.md")
    first = MAX_BLOCK_DEPTH + 1  # the item past the limit
    assert [p.line for p in pf.problems] == [first]
    assert pf.warnings == (
        f"4 line(s) nested more than {MAX_BLOCK_DEPTH} lists or quotes deep are not indexed "
        f"(line {first + 1}, {first + 2}, {first + 3}, {first + 4})",
    )


@contextmanager
def recursion_limit(limit: int) -> Iterator[None]:
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(limit)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


# ----------------------------------------------------------------------------------------------------
# the oracle on generated documents: lists of any depth (some past the limit), bullets of every kind,
# plain items, prose, fences holding checkbox lines, optionally all inside a blockquote

_BULLETS = ("- ", "* ", "+ ", "1. ", "1) ")


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, list[int]]:
    """A document and the lines of its checkbox items (outside code)."""
    spine = draw(st.sampled_from([1, 30, 31, MAX_BLOCK_DEPTH - 1, MAX_BLOCK_DEPTH, MAX_BLOCK_DEPTH + 1, 150]))
    depths = list(range(spine))
    for _ in range(draw(st.integers(0, 30))):
        depths.append(draw(st.integers(0, depths[-1] + 1)))
    quote = draw(st.booleans())
    lines: list[str] = ["# Generated", ""]
    expected: list[int] = []
    columns: list[int] = []  # content column of the open item at each depth
    for depth in depths:
        del columns[depth:]
        indent = columns[-1] if columns else 0
        bullet = draw(st.sampled_from(_BULLETS))
        is_task = draw(st.integers(0, 4)) > 0
        box = draw(st.sampled_from(["[ ] ", "[x] ", "[X] "])) if is_task else ""
        if is_task:
            expected.append(len(lines) + 1)
        lines.append(" " * indent + bullet + box + f"item {len(lines)}")
        columns.append(indent + len(bullet))
        extra = draw(st.sampled_from(["", "", "", "prose", "fence"]))
        pad = " " * columns[-1]
        if extra == "prose":
            lines.append(pad + "more words about the item")
        elif extra == "fence":
            lines += [pad + "```", pad + "- [ ] a fenced checkbox is code", pad + "```"]
    if quote:
        lines = ["> " + line if line else ">" for line in lines]
    return "\n".join(lines) + "\n", expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_oracle_every_checkbox_line_is_a_task_or_a_problem(doc: tuple[str, list[int]]) -> None:
    md, expected = doc
    pf = parse_markdown(md, "gen.md")
    assert accounted(pf) == expected
    assert len(pf.tasks) + len(pf.problems) == len(expected)
    assert all(t.depth < MAX_BLOCK_DEPTH for t in pf.tasks)
