"""QA gate: the student version, the jupytext round trip, the integration tests, the points."""

from __future__ import annotations

import os

from gate_helpers import DEMO, INTEGRATION_TEST, NB, SOLUTION, lines, run, run_many, where, write_course
from nbbuild import cell, graded

from pytest_tinytorch.gates.checks import BUILTIN

CHECK = {check.id: check for check in BUILTIN}
STUDENT = [CHECK["qa.student-version"], CHECK["qa.stub-tests-fail"]]


def replace(cells, old, new):
    return [new if c == old else c for c in cells]


def test_a_graded_test_that_passes_against_the_stub_is_named(tmp_path):
    free = graded("def test_unit_free_points():\n    assert callable(double)", "free", points=4, **NB)
    root = write_course(tmp_path, [*DEMO, free], points=7)
    outcomes = run_many(STUDENT, root)
    assert outcomes["qa.student-version"].passed, lines(outcomes["qa.student-version"])
    [line] = lines(outcomes["qa.stub-tests-fail"])
    assert (
        f"{where(root, 'def test_unit_free_points')} graded test test_unit_free_points (free, 4 points) passed" in line
    )
    assert "does not test the student's work" in line


def test_a_student_version_that_is_not_python(tmp_path):
    split = cell(
        "#| export\ndef double(x):\n    return (\n"
        "        ### BEGIN SOLUTION\n        2 * x\n        ### END SOLUTION\n    )",
        grade=False,
        grade_id="double",
        locked=False,
        solution=True,
        **NB,
    )
    root = write_course(tmp_path, replace(DEMO, SOLUTION, split))
    found = lines(run_many(STUDENT, root)["qa.student-version"])
    assert any("(cell 'double'): the student version of this cell is not Python" in line for line in found), found


def test_a_student_version_that_does_not_load(tmp_path):
    eager = cell("RESULT = double(2)")  # module-level code calling student code
    root = write_course(tmp_path, [*DEMO, eager])
    outcomes = run_many(STUDENT, root)
    [line] = lines(outcomes["qa.student-version"])
    assert "the student version does not execute: 2 of 2 tests could not start" in line
    assert "NotImplementedError" in line
    assert outcomes["qa.stub-tests-fail"].passed  # they do fail; the reason is reported once, above


def test_roundtrip_catches_a_cell_marker_inside_a_string(tmp_path):
    tricky = cell('HELP = """\nRun cells one by one:\n# %% marks a cell\n"""')
    root = write_course(tmp_path, [*DEMO, tricky])
    [line] = lines(run(CHECK["qa.roundtrip"], root))
    assert where(root, 'HELP = """')[:-1].rsplit(":", 1)[0] in line
    assert "reads differently as .ipynb (what students get)" in line
    assert "The harness reads 9 cells from the .py and 8 from the .ipynb" in line


def test_roundtrip_keeps_the_tinytorch_header(course):
    assert run(CHECK["qa.roundtrip"], course).passed  # the good course declares requires/points in its header


def test_integration_tests_are_found_by_their_imports_and_failures_are_named(tmp_path):
    root = write_course(tmp_path)
    (root / "tests" / "test_demo_integration.py").write_text(INTEGRATION_TEST.replace("42", "43"))
    (root / "tests" / "test_unrelated.py").write_text("def test_nothing():\n    assert False\n")
    [line] = lines(run(CHECK["qa.integration-tests"], root))
    assert line.startswith("tests/test_demo_integration.py: test_double_integrates failed (1 test files import")
    assert "assert 42 == 43" in line


def test_integration_tests_missing(tmp_path):
    root = write_course(tmp_path)
    os.remove(root / "tests" / "test_demo_integration.py")
    [line] = lines(run(CHECK["qa.integration-tests"], root))
    assert "no test file under tests/ imports tinytorch.core.demo" in line


def test_integration_tests_refuse_a_stale_export(tmp_path):
    root = write_course(tmp_path)
    path = root / "modules" / "01_demo" / "demo.py"
    path.write_text(path.read_text().replace("return 2 * x", "return x + x"))
    [line] = lines(run(CHECK["qa.integration-tests"], root))
    assert "tinytorch/core/demo.py is out of date" in line and "tito source export 01_demo" in line


def test_points_total_mismatch_and_undeclared(tmp_path):
    root = write_course(tmp_path / "wrong", points=10)
    [line] = lines(run(CHECK["qa.points-total"], root))
    assert f"{where(root, 'points: 10')} declares 10 points but its 2 graded cells add up to 3" in line
    assert "(test-double=2, test-module=1)" in line
    root = write_course(tmp_path / "none", points=None)
    [line] = lines(run(CHECK["qa.points-total"], root))
    assert "'tinytorch: points: 3'" in line
