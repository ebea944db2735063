"""Implementation gate: each check passes on the good course and fails precisely on a module built to break it."""

from __future__ import annotations

import pytest
from gate_helpers import (
    ANALYSIS,
    ANALYSIS_TEXT,
    DEMO,
    NB,
    SOLUTION,
    TEST,
    lines,
    run,
    where,
    write_course,
    write_module,
)
from nbbuild import cell, graded, markdown

from pytest_tinytorch.gates.checks import BUILTIN, builtin_checks

CHECK = {check.id: check for check in BUILTIN}
FAST = [c for c in builtin_checks("implementation") if c.id != "implementation.inline-tests"]


def replace(cells, old, new):
    return [new if c == old else c for c in cells]


@pytest.mark.parametrize("check", FAST, ids=lambda c: c.id)
def test_implementation_checks_pass_on_the_good_course(course, check):
    for module in (1, 2):
        assert run(check, course, module).passed, lines(run(check, course, module))


def test_inline_tests_name_the_test_that_fails_against_the_reference(tmp_path):
    # (passing on the good course: test_gates_plugin.py runs every check on it)
    wrong = graded("def test_unit_double():\n    assert double(2) == 5", "test-double", points=2, **NB)
    root = write_course(tmp_path / "bad", replace(DEMO, TEST, wrong))
    [line] = lines(run(CHECK["implementation.inline-tests"], root))
    assert f"{where(root, 'def test_unit_double')} test_unit_double failed against the reference solution:" in line
    assert "assert 4 == 5" in line
    assert "Fix: run 'pytest" in line and "-k test_unit_double'" in line


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("#| export\ndef double(x):\n    ### BEGIN SOLUTION\n    return 2 * x", "### BEGIN SOLUTION is never closed"),
        ("#| export\ndef double(x):\n    return 2 * x\n    ### END SOLUTION", "### END SOLUTION without a matching"),
        (
            "#| export\ndef double(x):\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    return 2 * x\n"
            "    ### END SOLUTION",
            "while the one at line",
        ),
        ("#| export\ndef double(x):\n    return 2 * x", "a solution cell without ### BEGIN SOLUTION"),
    ],
    ids=["unclosed", "unopened", "nested", "no-markers"],
)
def test_solution_markers_broken(tmp_path, source, expected):
    broken = cell(source, grade=False, grade_id="double", locked=False, solution=True, **NB)
    root = write_course(tmp_path, replace(DEMO, SOLUTION, broken))
    found = lines(run(CHECK["implementation.solution-markers"], root))
    assert any(expected in line and "modules/01_demo/demo.py:" in line for line in found), found


def test_solution_markers_outside_a_solution_cell(tmp_path):
    leaked = cell(
        "def helper():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION",
        grade=False,
        grade_id="helper",
        locked=True,
        solution=False,
        **NB,
    )
    root = write_course(tmp_path, [*DEMO, leaked])
    [line] = lines(run(CHECK["implementation.solution-markers"], root))
    assert (
        f"{where(root, '### BEGIN SOLUTION', nth=2)} ### BEGIN SOLUTION in a cell that is not a solution cell" in line
    )


def test_hidden_markers_unclosed_and_outside_graded_cells(tmp_path):
    hidden = graded("def test_unit_more():\n    ### BEGIN HIDDEN TESTS\n    assert double(0) == 0", "more", **NB)
    stray = cell("x = 1\n### BEGIN HIDDEN TESTS\ny = 2\n### END HIDDEN TESTS")
    root = write_course(tmp_path, [*DEMO, hidden, stray], points=4)
    found = lines(run(CHECK["implementation.hidden-markers"], root))
    assert any("### BEGIN HIDDEN TESTS is never closed" in line for line in found), found
    assert any(
        "not a graded test cell" in line and where(root, "### BEGIN HIDDEN TESTS", nth=2) in line for line in found
    ), found


def test_graded_cells_unlocked_pointless_duplicate_and_testless(tmp_path):
    unlocked = cell(
        "def test_unit_a():\n    assert double(1) == 2", grade=True, grade_id="a", locked=False, points=1, **NB
    )
    pointless = cell(
        "def test_unit_b():\n    assert double(1) == 2", grade=True, grade_id="b", locked=True, points=0, **NB
    )
    duplicate = graded("def test_unit_c():\n    assert double(1) == 2", "test-double", **NB)
    testless = graded("assert double(1) == 2", "d", **NB)
    root = write_course(tmp_path, [*DEMO, unlocked, pointless, duplicate, testless])
    text = "\n".join(lines(run(CHECK["implementation.graded-cells"], root)))
    assert "(cell 'a'): graded cell: it is not locked" in text
    assert "(cell 'b'): graded cell: it is worth 0 points" in text
    assert "grade_id='test-double' is used by 2 cells" in text
    assert "(cell 'd'): graded cell: it defines no test_* function" in text


def test_export_that_needs_an_unexported_helper_does_not_import(tmp_path):
    helper = cell("def factor():\n    return 2")
    uses = cell("#| export\nFACTOR = factor()")
    root = write_course(tmp_path, [*DEMO[:2], helper, uses, *DEMO[2:]])
    [line] = lines(run(CHECK["implementation.export-imports"], root))
    assert f"{where(root, 'FACTOR = factor()')} the export does not import: 'import tinytorch.core.demo'" in line
    assert "NameError: name 'factor' is not defined" in line


def test_systems_analysis_missing_or_measuring_nothing(tmp_path):
    root = write_course(tmp_path / "missing", [c for c in DEMO if c not in (ANALYSIS_TEXT, ANALYSIS)])
    [line] = lines(run(CHECK["implementation.systems-analysis"], root))
    assert "no 'Systems analysis' section" in line
    idle = cell('print("doubling is fast: 0.1 us")', grade=False, grade_id="analysis", locked=True, **NB)
    root = write_course(tmp_path / "idle", replace(DEMO, ANALYSIS, idle))
    [line] = lines(run(CHECK["implementation.systems-analysis"], root))
    assert (
        f"{where(root, '## Systems analysis')} the 'Systems analysis' section's 2 code cell(s) measure nothing" in line
    )  # analysis + test_module


def test_import_of_a_later_module_or_an_unknown_path(tmp_path):
    root = write_course(tmp_path)
    later = cell("from tinytorch.core.twice import quadruple\nfrom tinytorch.core.nowhere import thing")
    write_module(root, [*DEMO, later], requires=[], points=3)
    found = lines(run(CHECK["implementation.imports"], root))
    assert any(where(root, "core.twice import") in line and "from 02_twice, a later module" in line for line in found)
    assert any("imports tinytorch.core.nowhere" in line and "which no course module exports" in line for line in found)


def test_a_notebook_importing_its_own_export(tmp_path):
    root = write_course(tmp_path, [*DEMO, cell("from tinytorch.core.demo import double as exported")])
    [line] = lines(run(CHECK["implementation.imports"], root))
    assert "imports its own export tinytorch.core.demo" in line


def test_markdown_mentions_of_imports_are_not_imports(tmp_path):
    root = write_course(tmp_path, [*DEMO, markdown("```python\nfrom tinytorch.core.twice import quadruple\n```")])
    assert run(CHECK["implementation.imports"], root).passed
