"""The milestone catalog reads each script's MILESTONE declaration without running it."""

from __future__ import annotations

import pytest

from pytest_tinytorch import milestones
from pytest_tinytorch.errors import UnknownModuleError


def write(tmp_path, name, body):
    folder = tmp_path / "milestones"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(body)


DECL = 'MILESTONE = {{"year": {year}, "title": "{title}", "requires": {requires}, "target": "t"}}\nraise SystemExit("never run")\n'


def test_discovers_in_order_and_answers_what_unlocks(tmp_path):
    write(tmp_path, "02_xor.py", DECL.format(year=1969, title="XOR", requires=[1, 2, 3]))
    write(tmp_path, "01_perceptron.py", DECL.format(year=1957, title="Perceptron", requires=[1, 2]))
    write(tmp_path, "helpers.py", "x = 1\n")
    found = milestones.discover(tmp_path)
    assert [(m.slug, m.year, m.requires) for m in found] == [
        ("01_perceptron", 1957, (1, 2)),
        ("02_xor", 1969, (1, 2, 3)),
    ]
    assert [m.name for m in milestones.unlocked_by(found, {1}, 2)] == ["perceptron"]
    assert [m.name for m in milestones.unlocked_by(found, {1, 2}, 3)] == ["xor"]
    assert milestones.unlocked_by(found, set(), 2) == []
    assert milestones.missing_modules(found[1], {1}) == [2, 3]
    assert milestones.resolve(found, "2").name == "xor"
    with pytest.raises(UnknownModuleError, match="Valid milestones: 01_perceptron, 02_xor"):
        milestones.resolve(found, "lenet")


def test_a_script_without_a_declaration_is_named(tmp_path):
    write(tmp_path, "01_perceptron.py", "print('hi')\n")
    with pytest.raises(milestones.MilestoneFormatError, match="01_perceptron.py: no top-level MILESTONE"):
        milestones.discover(tmp_path)


def test_a_declaration_missing_keys_is_named(tmp_path):
    write(tmp_path, "01_perceptron.py", 'MILESTONE = {"year": 1957}\n')
    with pytest.raises(milestones.MilestoneFormatError, match=r"lacks \['requires', 'target', 'title'\]"):
        milestones.discover(tmp_path)
