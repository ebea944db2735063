"""Bad input gets a clear message and a non-zero exit, never a traceback."""

from __future__ import annotations

import pytest
from nbbuild import cell, graded


def test_unknown_module_lists_valid_ones(pytester, write_module):
    write_module(graded("def test_unit_a():\n    assert 1", "a"))
    write_module(graded("def test_unit_b():\n    assert 1", "b"), number=2, name="activations")
    result = pytester.runpytest("--tinytorch-module", "activation")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*module='activation' is not a course module. Did you mean 'activations'? "
            "Valid modules (by number, name or folder): 01_demo, 02_activations.*"
        ]
    )


def test_no_modules_folder_says_where_it_looked(pytester):
    result = pytester.runpytest("--tinytorch-module", "1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*no course modules found under *modules*--tinytorch-root*"])


def test_bad_timeout_value(pytester):
    result = pytester.runpytest("--tinytorch-timeout", "soon")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--tinytorch-timeout='soon': expected a number of seconds*"])


def test_malformed_notebook_json(pytester):
    bad = pytester.path / "broken.ipynb"
    bad.write_text('{"cells": [{"cell_type": "code", "source": "x = 1"')
    result = pytester.runpytest(str(bad))
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*broken.ipynb: not a readable notebook: invalid JSON at line 1*re-save it*"])


def test_json_that_is_not_a_notebook(pytester):
    bad = pytester.path / "list.ipynb"
    bad.write_text("[1, 2, 3]")
    result = pytester.runpytest(str(bad))
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*list.ipynb: not a Jupyter notebook (no 'cells' list)*"])


def test_cell_header_metadata_that_is_not_json(pytester, write_module):
    path = write_module(graded("def test_unit_a():\n    assert 1", "a"))
    text = path.read_text().replace('"grade": true', "'grade': tru")
    path.write_text(text)
    result = pytester.runpytest("modules")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*demo.py:14: the cell metadata nbgrader= is not valid JSON*Write it as JSON*"])


def test_duplicate_grade_ids_name_every_cell(pytester, write_module):
    write_module(graded("def test_unit_a():\n    assert 1", "same"), graded("def test_unit_b():\n    assert 1", "same"))
    result = pytester.runpytest("modules")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [
            "*duplicate nbgrader grade_id values*",
            "*grade_id='same' is used by 2 cells: modules/01_demo/demo.py:14, modules/01_demo/demo.py:19*",
        ]
    )


def test_duplicate_test_names(pytester, write_module):
    write_module(graded("def test_unit_a():\n    assert 1", "one"), graded("def test_unit_a():\n    assert 0", "two"))
    result = pytester.runpytest("modules")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*test function 'test_unit_a' is defined 2 times*one of them would never run*"])


def test_unclosed_jupytext_header(pytester):
    folder = pytester.path / "modules" / "01_demo"
    folder.mkdir(parents=True)
    (folder / "demo.py").write_text("# ---\n# jupyter:\n#   kernelspec: {}\n\n# %%\nx = 1\n")
    result = pytester.runpytest("modules")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*demo.py:1: the jupytext header opened with '# ---' is never closed*"])


def test_a_broken_module_does_not_stop_other_modules_collecting(pytester, write_module):
    write_module(graded("def test_unit_a():\n    assert 1", "same"), graded("def test_unit_b():\n    assert 1", "same"))
    write_module(cell("y = 2"), graded("def test_unit_c():\n    assert y == 2", "c"), number=2, name="good")
    result = pytester.runpytest("modules", "--continue-on-collection-errors")
    result.assert_outcomes(passed=1, errors=1)
