"""docs/typology.md lists every code of every partnership vocabulary, with its label, group, transitions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import models
from django.utils import translation

from interschool.algorithms import continuum
from interschool.partnerships import vocabularies as v

GUIDE = (Path(__file__).resolve().parents[3] / "docs" / "typology.md").read_text(encoding="utf-8")
VOCABULARIES = sorted(
    (obj for obj in vars(v).values() if isinstance(obj, type) and issubclass(obj, models.Choices)),
    key=lambda choices: choices.__name__,
)
CODE = re.compile(r"`([^`]+)`")


def _section(choices: type[models.Choices]) -> str:
    """The text under the heading that names the class, up to the next heading of the same level."""
    match = re.search(rf"^## [^\n]*`{choices.__name__}`[^\n]*\n(.*?)(?=^## |\Z)", GUIDE, re.M | re.S)
    assert match, f"docs/typology.md has no section headed with `{choices.__name__}`"
    return match.group(1)


def _rows(section: str) -> dict[str, list[str]]:
    """Table rows keyed by the code in their first cell: the other cells, stripped."""
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 4 and (code := CODE.fullmatch(cells[0])):
            rows[code.group(1)] = cells[1:]
    return rows


def test_every_text_choices_class_is_in_the_guide():
    names = {choices.__name__ for choices in VOCABULARIES}
    assert {"Model", "Motive", "Reason", "ActivityType", "Facilitator", "Barrier", "State"} <= names
    assert issubclass(v.Model, models.TextChoices)
    for choices in VOCABULARIES:
        _section(choices)


@pytest.mark.parametrize("choices", VOCABULARIES, ids=lambda choices: choices.__name__)
def test_every_code_has_a_row_with_its_label_definition_and_source(choices):
    rows = _rows(_section(choices))
    with translation.override("en"):
        for value, label in choices.choices:
            code = str(value)
            assert code in rows, f"{choices.__name__}: `{code}` is missing from docs/typology.md"
            label_cell, definition, *_, source = rows[code]
            assert label_cell == str(label), f"{choices.__name__}.{code}: the label differs"
            assert len(definition) > 5 and source, f"{choices.__name__}.{code}: no definition or source"
    unknown = set(rows) - {str(value) for value in choices.values}
    assert not unknown, f"{choices.__name__}: docs/typology.md lists unknown codes {unknown}"


def test_activity_types_name_their_continuum_group():
    rows = _rows(_section(v.ActivityType))
    for code in v.ActivityType.values:
        group = rows[code][2]
        if code in continuum.FORUM_KINDS:
            assert group == "forum", code
        elif code in continuum.KNOWLEDGE_KINDS:
            assert group == "knowledge", code
        elif code in continuum.RESOURCE_KINDS:
            assert group == f"resource: {continuum.RESOURCE_KINDS[code]}", code
        else:
            assert group == "—", code


def test_barriers_name_their_group():
    group_of = {code: group for group, codes in v.BARRIER_GROUPS.items() for code in codes}
    rows = _rows(_section(v.Barrier))
    for code in v.Barrier.values:
        assert rows[code][2] == group_of.get(code, "—"), code


def test_transitions_and_size_thresholds_match_the_product():
    section = _section(v.State)
    listed = {}
    for line in section.splitlines():
        if match := re.match(r"^- `(\w+)` → (.*)$", line):
            listed[match.group(1)] = set(CODE.findall(match.group(2)))
    assert listed == {state: set(targets) for state, targets in v.TRANSITIONS.items()}
    assert f"`VERY_LARGE_FROM` = {v.VERY_LARGE_FROM}" in _section(v.Size)
    assert v.size_of(v.VERY_LARGE_FROM - 1) == v.Size.EXTENDED and v.size_of(3) == v.Size.TRIAD
