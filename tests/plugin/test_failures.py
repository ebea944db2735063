"""Failures point at the real place: file and line (or cell), numbered source, values."""

from __future__ import annotations

from nbbuild import cell, graded, to_ipynb

STUDENT = cell(
    "def double(x):\n    return x * 3\n\ndef halve(x):\n    raise NotImplementedError()",
    grade=False,
    grade_id="impl",
    solution=True,
    locked=False,
)


def test_assertion_shows_file_line_source_and_values(pytester, write_module):
    write_module(STUDENT, graded("def test_unit_double():\n    result = double(2)\n    assert result == 4", "t"))
    result = pytester.runpytest("modules")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "AssertionError: assert 6 == 4 (modules/01_demo/demo.py:25, cell 2)",
            "modules/01_demo/demo.py:25: in test_unit_double (cell 2)",
            "      23 | def test_unit_double():",
            "      24 |     result = double(2)",
            "    > 25 |     assert result == 4",
            "E   AssertionError: assert 6 == 4",
            "FAILED modules/01_demo/demo.py::test_unit_double - AssertionError: assert 6*",
        ]
    )


def test_error_inside_student_code_shows_both_places(pytester, write_module):
    write_module(STUDENT, graded("def test_unit_halve():\n    assert halve(4) == 2", "t"))
    result = pytester.runpytest("modules")
    result.stdout.fnmatch_lines(
        [
            "NotImplementedError (modules/01_demo/demo.py:19, cell 1)",
            "modules/01_demo/demo.py:24: in test_unit_halve (cell 2)",
            "modules/01_demo/demo.py:19: in halve (cell 1)",
            "    >*19 |     raise NotImplementedError()",
            "E   NotImplementedError",
        ]
    )


def test_ipynb_failures_name_the_cell_and_line(pytester, write_module):
    path = write_module(STUDENT, graded("def test_unit_double():\n    assert double(2) == 4", "t"))
    notebook = to_ipynb(path, pytester.path / "student.ipynb")
    result = pytester.runpytest(str(notebook))
    result.stdout.fnmatch_lines(
        [
            "AssertionError: assert 6 == 4 (student.ipynb cell 2, line 2)",
            "student.ipynb cell 2, line 2: in test_unit_double (cell 2)",
            "    > 2 |     assert double(2) == 4",
        ]
    )


def test_error_in_a_non_test_cell_errors_that_module_only(pytester, write_module):
    write_module(
        cell("import math"),
        cell("table = build_table()"),
        graded("def test_unit_a():\n    assert 1", "a"),
        graded("def test_unit_b():\n    assert 2", "b"),
    )
    write_module(graded("def test_unit_ok():\n    assert 3 == 3", "ok"), number=2, name="fine")
    result = pytester.runpytest("modules")
    result.assert_outcomes(errors=2, passed=1)
    result.stdout.fnmatch_lines(
        [
            "demo.py: the module's cells did not run, so none of its tests can.",
            "NameError: name 'build_table' is not defined",
            "  raised in cell 2 (modules/01_demo/demo.py:19)",
            "*a name is used before it is defined*",
            "    > 19 | table = build_table()",
        ]
    )


def test_syntax_error_in_a_cell_names_the_line(pytester, write_module):
    write_module(cell("x = 1"), cell("def broken(:\n    pass"), graded("def test_unit_a():\n    assert x", "a"))
    result = pytester.runpytest("modules")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["SyntaxError: invalid syntax", "  raised in cell 2 (modules/01_demo/demo.py:19)*"])


def test_student_stub_at_module_level_is_named(pytester, write_module):
    write_module(STUDENT, cell("half = halve(10)"), graded("def test_unit_a():\n    assert half == 5", "a"))
    result = pytester.runpytest("modules")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "NotImplementedError: ",
            "  raised in cell 1 (modules/01_demo/demo.py:19)",
            "*a solution here is not written yet*",
        ]
    )


def test_hanging_test_times_out_with_a_clear_message(pytester, write_module):
    write_module(
        graded("def test_unit_spin():\n    while True:\n        pass", "spin"),
        graded("def test_unit_after():\n    assert 1 == 1", "after"),
    )
    result = pytester.runpytest("modules", "--tinytorch-timeout=0.3")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(
        ["*TestTimeout: test_unit_spin did not finish within 0.3 s*", "    > * |     while True:"]
    )


def test_timeout_from_ini_and_hanging_module_cells(pytester, write_module):
    pytester.makeini("[pytest]\ntinytorch_timeout = 0.3\n")
    write_module(
        cell("import time\nwhile True:\n    time.sleep(0.01)"), graded("def test_unit_a():\n    assert 1", "a")
    )
    result = pytester.runpytest("modules")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*Running the cells of demo.py did not finish within 0.3 s*"])


def test_native_traceback_style_falls_back_to_pytest(pytester, write_module):
    write_module(STUDENT, graded("def test_unit_double():\n    assert double(2) == 4", "t"))
    result = pytester.runpytest("modules", "--tb=native")
    result.stdout.fnmatch_lines(
        [
            "Traceback (most recent call last):",
            '  File "*demo.py", line 24, in test_unit_double',
            "AssertionError: assert 6 == 4*",
        ]
    )
    result.stdout.no_fnmatch_line("*site-packages/_pytest*")  # starts at the notebook, not in pytest's runner


def test_long_traceback_style_starts_at_the_notebook(pytester, write_module):
    write_module(STUDENT, graded("def test_unit_double():\n    assert double(2) == 4", "t"))
    result = pytester.runpytest("modules", "--tb=long")
    result.stdout.fnmatch_lines(
        [">       assert double(2) == 4", "E       assert 6 == 4", "*demo.py:24: AssertionError"]
    )
    result.stdout.no_fnmatch_line("*site-packages/_pytest*")
