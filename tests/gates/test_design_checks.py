"""Design gate: each check passes on the good course and fails, saying where and how to fix, on a broken one."""

from __future__ import annotations

import pytest
from gate_helpers import DEMO, INTRO, SETUP, TWICE, line_of, lines, run, where, write_course, write_module
from nbbuild import cell, markdown

from pytest_tinytorch.gates.checks import BUILTIN, builtin_checks

CHECK = {check.id: check for check in BUILTIN}


def replace(cells, old, new):
    return [new if c == old else c for c in cells]


@pytest.mark.parametrize("check", builtin_checks("design"), ids=lambda c: c.id)
def test_design_checks_pass_on_the_good_course(course, check):
    for module in (1, 2):
        assert run(check, course, module).passed, lines(run(check, course, module))


def test_objectives_missing_is_named_with_the_fix(tmp_path):
    intro = markdown("# Module 01: Demo\n\n## Prerequisites\n\n- Python.")
    root = write_course(tmp_path, replace(DEMO, INTRO, intro))
    [line] = lines(run(CHECK["design.objectives"], root))
    assert "modules/01_demo/demo.py:1: no 'Learning objectives' heading" in line
    assert "Fix: add a markdown cell near the top with '## Learning objectives'" in line


def test_objectives_without_a_list_point_at_the_heading(tmp_path):
    intro = markdown(
        "# Module 01: Demo\n\n## Learning objectives\n\nYou will learn things.\n\n## Prerequisites\n\n- Py."
    )
    root = write_course(tmp_path, replace(DEMO, INTRO, intro))
    [line] = lines(run(CHECK["design.objectives"], root))
    # The heading's own line, inside the triple-quoted markdown cell.
    assert f"{where(root, '## Learning objectives')} the 'Learning objectives' section has no list items" in line


def test_prerequisites_missing(tmp_path):
    intro = markdown("# Module 01: Demo\n\n## Learning objectives\n\n1. Double.")
    root = write_course(tmp_path, replace(DEMO, INTRO, intro))
    [line] = lines(run(CHECK["design.prerequisites"], root))
    assert "no 'Prerequisites' heading" in line


def test_exports_undeclared(tmp_path):
    root = tmp_path
    write_module(root, replace(DEMO, SETUP, cell("import time")), requires=[], points=3)
    [line] = lines(run(CHECK["design.exports"], root))
    assert "no '#| default_exp' line" in line and "Fix: add '#| default_exp core.demo'" in line


def test_exports_cell_before_the_declaration(tmp_path):
    early = cell("#| export\nSCALE = 2")
    root = tmp_path
    write_module(root, [INTRO, early, *DEMO[1:]], requires=[], points=3)
    [line] = lines(run(CHECK["design.exports"], root))
    header = line_of(root / "modules/01_demo/demo.py", "SCALE = 2") - 2  # the early cell's '# %%' line
    assert f"demo.py:{header}: this '#| export' cell comes before the '#| default_exp' line" in line


def test_requires_undeclared_suggests_the_exact_line(tmp_path):
    root = write_course(tmp_path)
    write_module(root, TWICE, number=2, name="twice", points=1)
    [line] = lines(run(CHECK["design.requires"], root, 2))
    assert "does not declare which earlier modules" in line and "'tinytorch: requires: [1]'" in line


def test_requires_missing_an_imported_module_points_at_the_import(tmp_path):
    root = write_course(tmp_path)
    write_module(root, TWICE, number=2, name="twice", requires=[], points=1)
    [line] = lines(run(CHECK["design.requires"], root, 2))
    at = where(root, "from tinytorch.core.demo import double", 2, "twice")
    assert f"{at} imports tinytorch.core.demo (01_demo) but requires does not list 1" in line


def test_requires_listing_a_module_it_does_not_import(tmp_path):
    root = write_course(tmp_path, requires=[2])
    found = lines(run(CHECK["design.requires"], root))
    assert any("requires lists 02_twice, which is not an earlier module" in line for line in found)
    assert where(root, "requires: [2]") in found[0]


def test_requires_may_list_an_earlier_module_used_without_importing_it(tmp_path):
    """Module 06 trains through module 05's autograd without importing tinytorch.core.autograd."""
    root = write_course(tmp_path)
    write_module(root, TWICE, number=3, name="user", requires=[1, 2], points=1)  # imports only module 01
    assert lines(run(CHECK["design.requires"], root, 3)) == []


def test_declarations_need_a_reason_to_turn_a_check_off(tmp_path):
    root = write_course(tmp_path, extra='#     gates:\n#       skip:\n#         qa.roundtrip: ""\n#     pionts: 3')
    found = lines(run(CHECK["design.declarations"], root))
    assert any("tinytorch.gates.skip.qa.roundtrip: turning a check off needs a reason" in line for line in found)
    assert any("tinytorch.pionts: unknown key" in line for line in found)


def test_declarations_name_an_unknown_check_with_a_suggestion(tmp_path):
    from gate_helpers import context

    from pytest_tinytorch.gates.model import run_check

    root = write_course(tmp_path, extra='#     gates:\n#       skip:\n#         qa.round-trip: "reason"')
    ctx = context(root)
    ctx.known_check_ids = frozenset(CHECK)
    [line] = [v.line() for v in run_check(CHECK["design.declarations"], ctx).violations]
    assert f"{where(root, 'qa.round-trip')} gates.skip names 'qa.round-trip', which is not a gate check" in line
    assert "Did you mean 'qa.roundtrip'?" in line
