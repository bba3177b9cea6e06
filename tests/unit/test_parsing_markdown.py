"""parse_markdown: tasks, fields, anchors, sections, plan metadata; and the shared corpus end to end."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from planvec.kinds.plans import parse_file, parse_markdown
from planvec.kinds.plans.markdown import BODY_MAX_CHARS
from planvec.kinds.plans.records import ParsedFile, Task
from planvec.parsing import SourceFile, discover, read_text

SHARED = Path(os.environ.get("PLANVEC_SHARED_DIR") or Path(__file__).resolve().parents[2].parent / "shared")
CORPUS = SHARED / "corpus" / "plans"


def tasks_of(md: str, path: str = "plan.md") -> tuple[Task, ...]:
    return parse_markdown(md, path).tasks


def titles(md: str) -> list[str]:
    return [t.title for t in tasks_of(md)]


# ----------------------------------------------------------------------------------------------------
# what is a task


def test_every_bullet_kind_and_depth() -> None:
    md = (
        "- [ ] dash\n"
        "  * [x] star child\n"
        "    + [X] plus grandchild\n"
        "      1. [ ] ordered great-grandchild\n"
        "\n"
        "1) [ ] ordered paren\n"
    )
    ts = tasks_of(md)
    assert [t.title for t in ts] == [
        "dash",
        "star child",
        "plus grandchild",
        "ordered great-grandchild",
        "ordered paren",
    ]
    assert [t.depth for t in ts] == [0, 1, 2, 3, 0]
    assert [t.status for t in ts] == ["pending", "completed", "completed", "pending", "pending"]
    assert [t.line for t in ts] == [1, 2, 3, 4, 6]


def test_depth_counts_non_task_list_items_too() -> None:
    md = "- **Tâches** :\n  - [x] inside a plain item\n"
    (t,) = tasks_of(md)
    assert t.depth == 1
    assert t.parent is None


def test_deep_nesting_is_not_dropped() -> None:
    md = "\n".join("  " * i + f"- [ ] level {i}" for i in range(20)) + "\n"
    ts = tasks_of(md)
    assert len(ts) == 20
    assert ts[-1].depth == 19


def test_tab_indented_sublists_nest() -> None:
    md = "- [ ] parent\n\t- [x] child\n\t\t- [ ] grandchild\n"
    ts = tasks_of(md)
    assert [(t.title, t.depth) for t in ts] == [("parent", 0), ("child", 1), ("grandchild", 2)]
    assert ts[1].parent == ts[0].anchor and ts[2].parent == ts[1].anchor


@pytest.mark.parametrize(
    "md",
    [
        "```\n- [ ] in a fence\n```\n",
        "~~~markdown\n- [x] in a tilde fence\n~~~\n",
        "Paragraph.\n\n    - [ ] in an indented code block\n",
        "<!--\n- [ ] in an HTML comment\n-->\n",
        "<div>\n- [ ] in an HTML block\n</div>\n",
        "| a | b |\n|---|---|\n| - [ ] in a table | [x] too |\n",
        "[ ] not in a list\n",
        "- [x]no space after the box\n",
        "- [y] not a box\n",
        "- text first [ ] then box\n",
        "> ```\n> - [ ] fenced in a quote\n> ```\n",
    ],
)
def test_not_tasks(md: str) -> None:
    assert tasks_of(md + "\n- [ ] sentinel\n")[-1].title == "sentinel"
    assert titles(md) == []


def test_tasks_in_blockquote_and_empty_title() -> None:
    ts = tasks_of("> - [ ] quoted task\n\n- [ ]\n")
    assert [t.title for t in ts] == ["quoted task", ""]


# ----------------------------------------------------------------------------------------------------
# fields


@pytest.mark.parametrize(
    ("item", "task_id", "title"),
    [
        ("- [ ] 1.2.3 Plain id", "1.2.3", "Plain id"),
        ("- [ ] **1.2.3** Bold id", "1.2.3", "Bold id"),
        ("- [ ] 1.2.3. Trailing dot", "1.2.3", "Trailing dot"),
        ("- [ ] **1.2.3.** Bold trailing dot", "1.2.3", "Bold trailing dot"),
        ("- [ ] 1.2.3) Paren", "1.2.3", "Paren"),
        ("- [ ] 1.2 : Colon", "1.2", "Colon"),
        ("- [ ] Tâche 4 : Label", "4", "Label"),
        ("- [ ] **Task 2.1** - Label", "2.1", "Label"),
        ("- [ ] Sous-étape 1.4 : step labels are not ids", None, "Sous-étape 1.4 : step labels are not ids"),
        ("- [ ] 3 fichiers à migrer", None, "3 fichiers à migrer"),
        ("- [ ] 1.2.3-beta release", None, "1.2.3-beta release"),
        ("- [ ] Version 1.2.3 in the middle", None, "Version 1.2.3 in the middle"),
    ],
)
def test_explicit_ids(item: str, task_id: str | None, title: str) -> None:
    (t,) = tasks_of(item + "\n")
    assert (t.task_id, t.title) == (task_id, title)


def test_title_markdown_is_stripped() -> None:
    md = (
        "- [ ] **Bold** and *italic* and `code` and [a link](http://x.y) and ![alt text](i.png)\n"
        "  continued   on <b>next</b> line\n"
    )
    (t,) = tasks_of(md)
    assert t.title == "Bold and italic and code and a link and alt text continued on next line"


def test_body_holds_nested_non_task_content_only() -> None:
    md = (
        "- [ ] Parent task\n"
        "  - Micro-step one\n"
        "  - Micro-step **two**\n"
        "\n"
        "  A paragraph under the item.\n"
        "\n"
        "  ```go\n"
        "  func main() {}\n"
        "  ```\n"
        "\n"
        "  - [ ] Child task\n"
        "    - child detail\n"
    )
    parent, child = tasks_of(md)
    assert parent.body == "Micro-step one\nMicro-step two\nA paragraph under the item."
    assert child.body == "child detail"
    with_code = parse_markdown(md, "p.md", include_code=True).tasks[0]
    assert "func main() {}" in with_code.body


def test_body_is_capped() -> None:
    md = "- [ ] Long one\n" + "".join(f"  - detail line number {i} with some words\n" for i in range(300))
    (t,) = tasks_of(md)
    assert len(t.body) <= BODY_MAX_CHARS
    assert t.body.endswith("…")
    assert t.body.startswith("detail line number 0")


@pytest.mark.parametrize(
    ("item", "priority", "title"),
    [
        ("- [ ] Do it (P1)", "P1", "Do it"),
        ("- [ ] [P0] Do it", "P0", "Do it"),
        ("- [ ] **P2** Do it", "P2", "Do it"),
        ("- [ ] Do it **P3**", "P3", "Do it"),
        ("- [ ] Do it - Priorité : P1", "P1", "Do it"),
        ("- [ ] **Priorité : P2** Do it", "P2", "Do it"),
        ("- [ ] Do it, **priority**: P0", "P0", "Do it"),
        ("- [ ] P3 - Do it", "P3", "Do it"),
        ("- [ ] **1.2** (P1) Do it", "P1", "Do it"),
        ("- [ ] Développer des tests P4 avancés", None, "Développer des tests P4 avancés"),
        ("- [ ] Gérer P1 et P2 dans le texte", None, "Gérer P1 et P2 dans le texte"),
        ("- [ ] Do it (P7)", None, "Do it (P7)"),
    ],
)
def test_priority_in_the_task(item: str, priority: str | None, title: str) -> None:
    (t,) = tasks_of(item + "\n")
    assert (t.priority, t.title) == (priority, title)


def test_priority_inheritance() -> None:
    md = (
        "# Plan\n\n"
        "- **Priorité** : P3\n\n"  # preamble-level field: whole file
        "## Phase 1 (P0)\n\n"
        "- [ ] from the heading marker\n"
        "  - [ ] child inherits from parent task\n"
        "- [ ] own marker wins [P2]\n"
        "  - [ ] child of a P2 task\n"
        "- [ ] field in own body\n"
        "  - Priorité : P1\n\n"
        "### 1.1 Sub-section\n\n"
        "- [ ] nearest heading that states one is Phase 1\n\n"
        "### 1.2 Sub-section with a field\n\n"
        "- **Priorité** : P1\n"
        "- **Estimation** : 2h\n\n"
        "- [ ] from the section field\n\n"
        "## Phase 2\n\n"
        "- [ ] falls back to the file-level field\n"
    )
    got = {t.title: t.priority for t in tasks_of(md)}
    assert got == {
        "from the heading marker": "P0",
        "child inherits from parent task": "P0",
        "own marker wins": "P2",
        "child of a P2 task": "P2",
        "field in own body": "P1",
        "nearest heading that states one is Phase 1": "P0",
        "from the section field": "P1",
        "falls back to the file-level field": "P3",
    }


def test_priority_field_after_the_tasks_of_its_section_still_applies() -> None:
    md = "## S\n\n- [ ] task\n\nPriorité : P2\n"
    assert tasks_of(md)[0].priority == "P2"


def test_no_priority_from_prose_mentions() -> None:
    md = "## Synthèse\n\n- **P0 (Bloquant)** : problèmes\n- classés par priorité (P0 à P3)\n\n- [ ] a task\n"
    assert tasks_of(md)[0].priority is None


def test_mvp() -> None:
    md = (
        "## 1.1 Correction [MVP]\n\n"
        "- [ ] under an MVP heading\n\n"
        "## 2 Other\n\n"
        "- [ ] (MVP) tagged task\n"
        "  - [ ] child of an MVP task\n"
        "- [ ] MVP : prefixed\n"
        "- [ ] **MVP** bold\n"
        "- [ ] Définir les étapes d’évolution (MVP, version avancée, extensions)\n"
        "- [ ] Livrer le MVP puis itérer\n"
        "- [ ] Définir le périmètre du MVP\n"
        "- [ ] Core features - MVP\n"
        "- [ ] plain task\n"
    )
    got = {t.title: t.is_mvp for t in tasks_of(md)}
    assert got == {
        "under an MVP heading": True,
        "(MVP) tagged task": True,
        "child of an MVP task": True,
        "MVP : prefixed": True,
        "MVP bold": True,
        "Définir les étapes d’évolution (MVP, version avancée, extensions)": False,
        "Livrer le MVP puis itérer": False,
        "Définir le périmètre du MVP": False,
        "Core features - MVP": True,
        "plain task": False,
    }


def test_section_breadcrumb() -> None:
    md = (
        "# Plan *v1*\n\n"
        "## Phase 1 {#phase-1}\n\n"
        "### 1.1 `Code` heading\n\n"
        "- [ ] a\n\n"
        "### 1.2 Next\n\n"
        "- [ ] b\n\n"
        "## Phase 2\n\n"
        "- [ ] c\n\n"
        "#### Skipped level\n\n"
        "- [ ] d\n"
    )
    got = {t.title: t.section for t in tasks_of(md)}
    assert got == {
        "a": ("Plan v1", "Phase 1", "1.1 Code heading"),
        "b": ("Plan v1", "Phase 1", "1.2 Next"),
        "c": ("Plan v1", "Phase 2"),
        "d": ("Plan v1", "Phase 2", "Skipped level"),
    }


def test_parent_by_nesting_and_by_id_prefix() -> None:
    md = (
        "## A\n\n"
        "- [ ] **1** root\n"  # single-component bold numbers are not ids
        "- [ ] **1.2** Parent by prefix\n\n"
        "## B\n\n"
        "- [ ] **1.2.3** Child by prefix (not nested)\n"
        "- [ ] **1.2.4.1** Grandchild: nearest existing prefix is 1.2\n"
        "- [ ] **2.1** Nested parent\n"
        "  - [ ] **9.9** Nested child: nesting wins over prefix\n"
        "  - [ ] no id under an id parent\n"
        "- [ ] no id, no parent\n"
        "  - [ ] **1.2.5** Nested under a task without id: prefix used\n"
    )
    ts = tasks_of(md)
    by_id = {t.task_id: t for t in ts if t.task_id}
    assert "1" not in by_id
    assert by_id["1.2.3"].parent is None and by_id["1.2.3"].parent_task_id == "1.2"
    assert by_id["1.2.4.1"].parent_task_id == "1.2"
    assert by_id["2.1"].parent_task_id is None
    assert by_id["9.9"].parent == "2.1" and by_id["9.9"].parent_task_id == "2.1"
    no_id = next(t for t in ts if t.title == "no id under an id parent")
    assert no_id.parent == "2.1" and no_id.parent_task_id == "2.1"
    under_plain = by_id["1.2.5"]
    assert under_plain.parent == "§b§no id no parent"
    assert under_plain.parent_task_id == "1.2"


def test_line_numbers_lf_crlf_cr_and_front_matter() -> None:
    md = "---\ntitle: Front\n---\n# T\n\n- [ ] a\n  - [x] b\n\n```\ncode\n```\n- [ ] c\n"
    expected = [6, 7, 12]
    for text in (md, md.replace("\n", "\r\n"), md.replace("\n", "\r"), "\ufeff" + md):
        assert [t.line for t in tasks_of(text)] == expected
    assert parse_markdown(md, "p.md").plan.title == "Front"


def test_front_matter_is_not_a_heading() -> None:
    md = "---\ntitle: X\nstatus: draft\n---\n\n# Objectif\n\nTexte.\n"
    pf = parse_markdown(md, "p.md")
    assert [s.heading for s in pf.sections] == [("Objectif",)]


# ----------------------------------------------------------------------------------------------------
# fences closed with an info string


def test_fence_closed_with_info_string_is_repaired() -> None:
    md = (
        "# P\n\n"
        "```bash\n"
        "make\n"
        "```plaintext\n"  # meant as the closing fence
        "\n"
        "- [ ] task after the first block\n\n"
        "```go\n"
        "func f() {}\n"
        "```plaintext\n"
        "- [x] task after the second block\n"
    )
    pf = parse_markdown(md, "p.md")
    assert [(t.title, t.line) for t in pf.tasks] == [
        ("task after the first block", 7),
        ("task after the second block", 12),
    ]
    assert any("repaired 2 code fence(s)" in w for w in pf.warnings)


def test_text_glued_to_a_closing_fence_is_split_and_lines_kept() -> None:
    md = (
        "- [x] first\n"
        "  - [x] step one\n\n"
        "    ```go\n"
        "    x := 1\n"
        "    ```  - [x] step two glued to the fence\n"
        "  - [x] step three\n"
        "- [ ] last\n"
    )
    ts = tasks_of(md)
    assert [(t.title, t.line, t.depth) for t in ts] == [
        ("first", 1, 0),
        ("step one", 2, 1),
        ("step two glued to the fence", 6, 1),
        ("step three", 7, 1),
        ("last", 8, 0),
    ]


def test_markdown_example_nesting_fences_is_read_as_commonmark() -> None:
    md = "```markdown\n# Example\n```bash\necho hi\n```\n\n- [ ] real task\n"
    pf = parse_markdown(md, "p.md")
    assert [t.title for t in pf.tasks] == ["real task"]
    assert pf.warnings == ()


def test_repair_that_would_leave_a_runaway_fence_is_dropped() -> None:
    md = "```text\n```python\nprint(1)\n```\n\n- [ ] after\n"
    pf = parse_markdown(md, "p.md")
    assert [t.title for t in pf.tasks] == ["after"]
    assert any("parsed as strict CommonMark" in w for w in pf.warnings)


# ----------------------------------------------------------------------------------------------------
# anchors


ANCHOR_DOC = (
    "# Plan v3\n\n"
    "## Phase 1\n\n"
    "- [ ] **1.1** With id\n"
    "  - [x] **1.1.1** Sub with id\n"
    "  - [ ] No id here\n"
    "- [ ] Same title\n"
    "- [ ] Same title\n"
    "- [ ] **2.2** Duplicated id A\n"
    "- [ ] **2.2** Duplicated id B\n\n"
    "## Phase 2 ✅ COMPLETE\n\n"
    "- [x] ✅ COMPLETE Same title\n"
    "- [ ] Another\n"
)


def anchors(md: str) -> list[str]:
    return [t.anchor for t in tasks_of(md)]


def test_anchor_forms() -> None:
    a = anchors(ANCHOR_DOC)
    assert a == [
        "1.1",
        "1.1.1",
        "§phase 1§no id here",
        "§phase 1§same title",
        "§phase 1§same title#2",
        "§phase 1§duplicated id a",
        "§phase 1§duplicated id b",
        "§phase 2§same title",
        "§phase 2§another",
    ]
    assert len(set(a)) == len(a)


def _anchor_map(md: str) -> dict[str, str]:
    return {t.title: t.anchor for t in tasks_of(md)}


@pytest.mark.parametrize(
    ("old", "new", "own_anchor_changes"),
    [
        ("- [ ] **1.1** With id", "- [x] **1.1** With id, reworded", False),
        ("  - [ ] No id here", "  - [x] No id here", False),
        ("  - [ ] No id here", "  - [ ] No id here, reworded", True),
        ("- [ ] Another", "- [x] ✅ COMPLETE Another", False),
        ("- [ ] **2.2** Duplicated id A", "- [ ] **2.2** Duplicated id A, edited", True),
    ],
)
def test_editing_one_task_changes_no_other_anchor(old: str, new: str, own_anchor_changes: bool) -> None:
    before = tasks_of(ANCHOR_DOC)
    after = tasks_of(ANCHOR_DOC.replace(old, new))
    edited = next(i for i, t in enumerate(before) if old.endswith(t.title))
    changed = [i for i, (b, a) in enumerate(zip(before, after, strict=True)) if b.anchor != a.anchor]
    assert changed == ([edited] if own_anchor_changes else [])


def test_status_and_heading_status_decoration_do_not_change_anchors() -> None:
    ticked = ANCHOR_DOC.replace("- [ ]", "- [x]").replace("## Phase 1", "## Phase 1 ✅ **COMPLÉTÉ**")
    assert anchors(ticked) == anchors(ANCHOR_DOC)


def test_retitling_the_plan_keeps_anchors() -> None:
    assert anchors(ANCHOR_DOC.replace("# Plan v3", "# Plan v4 (renamed)")) == anchors(ANCHOR_DOC)


def test_inserting_a_task_changes_no_other_anchor() -> None:
    before = anchors(ANCHOR_DOC)
    for needle in ("- [ ] Same title\n", "## Phase 2", "- [ ] Another\n"):
        after = anchors(ANCHOR_DOC.replace(needle, "- [ ] Brand new task\n" + needle, 1))
        assert len(after) == len(before) + 1
        new = [a for a in after if "brand new task" in a]
        assert len(new) == 1
        assert [a for a in after if a not in new] == before


def test_sections_text_and_anchors() -> None:
    md = (
        "Intro before any heading.\n\n"
        "# Title\n\n"
        "## Context\n\n"
        "Some *prose* here.\n\n"
        "- a plain bullet\n"
        "- [ ] a task, not prose\n"
        "  - task detail, not prose either\n\n"
        "| Col | Other |\n|---|---|\n| cell 1 | cell 2 |\n\n"
        "```python\nprint('code excluded')\n```\n\n"
        "<!-- comment excluded -->\n\n"
        "> quoted text\n\n"
        "## Empty\n\n"
        "- [ ] only a task\n\n"
        "## Context\n\n"
        "Second context.\n"
    )
    secs = parse_markdown(md, "p.md").sections
    assert [(s.heading, s.line, s.anchor) for s in secs] == [
        ((), 1, "§"),
        (("Title", "Context"), 5, "§context"),
        (("Title", "Context"), 29, "§context#2"),
    ]
    assert secs[0].text == "Intro before any heading."
    assert secs[1].text == "Some prose here.\na plain bullet\nCol | Other\ncell 1 | cell 2\nquoted text"
    with_code = parse_markdown(md, "p.md", include_code=True).sections
    assert "print('code excluded')" in with_code[1].text


def test_plan_meta_from_text() -> None:
    md = (
        "# Roadmap V12 : things\n\n*Version 1.0 - Progression globale : 35,5%*\n\n## A\n\nProgression : 80%\n"
    )
    meta = parse_markdown(md, "docs/roadmap.md").plan
    assert (meta.title, meta.version, meta.progress) == ("Roadmap V12 : things", "v12", 35.5)
    assert parse_markdown(md, "plans/plan-dev-v56-x.md").plan.version == "v56"
    assert parse_markdown("no heading\n", "x.md").plan == parse_markdown("", "x.md").plan
    fm = parse_markdown("---\ntitle: FM\nprogress: 40%\n---\n# H1\n", "x.md").plan
    assert (fm.title, fm.progress) == ("FM", 40.0)


def test_file_field_is_the_path_argument() -> None:
    pf = parse_markdown("## S\n\ntext\n\n- [ ] t\n", "sub/dir/p.md")
    assert pf.path == "sub/dir/p.md"
    assert pf.tasks[0].file == "sub/dir/p.md" and pf.sections[0].file == "sub/dir/p.md"


# ----------------------------------------------------------------------------------------------------
# the shared corpus

CHECKBOX_LINE = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+\[[ xX]\](?:\s|$)")
FENCE_LINE = re.compile(r"^\s*(`{3,}|~{3,})(.*)$")


def independent_checkbox_lines(text: str) -> set[int]:
    """Line-based count, no markdown parser: checkbox list-item lines outside code fences.

    Every fence line toggles "in code" (so ```` ```plaintext ```` closes a block, as the corpus means
    it); a checkbox item glued after a closing fence (```` ```  - [x] … ````) counts.
    """
    found: set[int] = set()
    in_code = False
    for no, line in enumerate(text.split("\n"), 1):
        m = FENCE_LINE.match(line)
        if m:
            in_code = not in_code
            if CHECKBOX_LINE.match(m.group(2)):
                found.add(no)
                in_code = False
            continue
        if not in_code and CHECKBOX_LINE.match(line):
            found.add(no)
    return found


@pytest.fixture(scope="module")
def corpus() -> list[tuple[SourceFile, ParsedFile, str]]:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS} (set PLANVEC_SHARED_DIR)")
    files, problems = discover([CORPUS])
    assert problems == []
    out = []
    for sf in files:
        pf = parse_file(sf)
        assert isinstance(pf, ParsedFile), pf
        out.append((sf, pf, read_text(sf.path)[0]))
    return out


def test_corpus_task_count_matches_an_independent_count(corpus) -> None:  # type: ignore[no-untyped-def]
    assert len(corpus) == 18
    total = 0
    for sf, pf, text in corpus:
        expected = independent_checkbox_lines(text)
        assert {t.line for t in pf.tasks} == expected, sf.rel
        total += len(expected)
    # On the 18-file sample: 4,654 = 4,650 checkbox lines + 4 items glued after a closing fence.
    assert total > 0


def test_corpus_titles_are_clean_and_anchors_unique(corpus) -> None:  # type: ignore[no-untyped-def]
    for sf, pf, _ in corpus:
        anchors = [t.anchor for t in pf.tasks]
        assert len(set(anchors)) == len(anchors), sf.rel
        section_anchors = [s.anchor for s in pf.sections]
        assert len(set(section_anchors)) == len(section_anchors), sf.rel
        for t in pf.tasks:
            assert not re.match(r"\[[ xX]\]", t.title), (sf.rel, t.line)
            assert "Ã©" not in t.title and "Ã" not in t.title, (sf.rel, t.line, t.title)
            assert t.file == sf.rel
            assert len(t.body) <= BODY_MAX_CHARS
        for s in pf.sections:
            assert s.text.strip()


def test_corpus_plan_metadata(corpus) -> None:  # type: ignore[no-untyped-def]
    meta = {sf.rel: pf.plan for sf, pf, _ in corpus}
    v39 = meta["plan-dev-v39-amelioration-plan-dev-ameliore.md"]
    assert v39.title == "Plan de développement v39 - Amélioration des templates plan-dev"
    assert (v39.version, v39.progress) == ("v39", 98.0)
    assert meta["plan-dev-v26.md"].progress == 88.0
    assert meta["plan-dev-v14-augment-optimization.md"].title == (
        "Plan de développement v14 - Optimisation des pratiques avec Augment"
    )
    assert meta["plan-dev-v31-migration-mcp-manager.md"].title.startswith("Plan de migration v31")
    v57 = meta["plan-dev-v57-ecosystem-consolidation-go-native.md"]
    assert (v57.title, v57.version, v57.progress) == (None, "v57", 0.0)
    assert meta["plan-dev-v2.md"].version == "v2"


def test_corpus_fields(corpus) -> None:  # type: ignore[no-untyped-def]
    by = {sf.rel: pf for sf, pf, _ in corpus}
    v9 = by["plan-dev-v9-LWM-LCM.md"]
    assert all(t.task_id for t in v9.tasks)
    t = next(t for t in v9.tasks if t.task_id == "1.1.1.2")
    assert t.parent == "1.1.1" and t.parent_task_id == "1.1.1" and t.depth == 2
    v26 = by["plan-dev-v26.md"]
    first = next(t for t in v26.tasks if t.title == "Implémenter Get-ModuleInitialized")
    assert first.priority == "P0" and first.is_mvp and first.status == "completed"
    assert first.section[-1] == "1.1.1. Créer des fonctions getter/setter pour les variables script"
    v14 = by["plan-dev-v14-augment-optimization.md"]
    assert any("Établir" in t.title for t in v14.tasks)
    assert any("repaired double-encoded UTF-8" in w for w in v14.warnings)


def test_corpus_anchor_stability_under_edits(corpus) -> None:  # type: ignore[no-untyped-def]
    names = ("plan-dev-v42-error-manager.md", "plan-dev-v10-CRUD-thematique.md", "plan-dev-v26.md")
    for name in names:
        sf, pf, text = next(c for c in corpus if c[0].rel == name)
        lines = text.split("\n")
        base = [t.anchor for t in pf.tasks]
        for idx in range(0, len(pf.tasks), max(1, len(pf.tasks) // 5)):
            line = lines[pf.tasks[idx].line - 1]
            variants = {
                "edit": line + " (reformulé zqx)",
                "tick": line.replace("[ ]", "[x]", 1) if "[ ]" in line else line.replace("[x]", "[ ]", 1),
                "insert": re.sub(r"\[[ xX]\].*", "[ ] tâche insérée zqx", line) + "\n" + line,
            }
            for kind, new_line in variants.items():
                edited = "\n".join([*lines[: pf.tasks[idx].line - 1], new_line, *lines[pf.tasks[idx].line :]])
                got = [t.anchor for t in parse_markdown(edited, sf.rel).tasks]
                if kind == "insert":
                    got = [a for a in got if "zqx" not in a]
                    assert got == base, (name, idx, kind)
                else:
                    diff = [i for i, (a, b) in enumerate(zip(base, got, strict=True)) if a != b]
                    assert diff in ([], [idx]), (name, idx, kind, diff)
                    if kind == "tick":
                        assert diff == []


def test_corpus_parses_fast(corpus) -> None:  # type: ignore[no-untyped-def]
    texts = [(sf.rel, text) for sf, _, text in corpus]
    start = time.perf_counter()
    for rel, text in texts:
        parse_markdown(text, rel)
    elapsed = time.perf_counter() - start
    assert elapsed < 5.0, f"parsing the corpus took {elapsed:.2f}s (expected well under 1 s)"
