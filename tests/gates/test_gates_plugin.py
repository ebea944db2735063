"""The gates plugin through pytester: collection only on request, markers, messages, turning a check off, the hook."""

from __future__ import annotations

import subprocess
import sys

import pytest
from gate_helpers import DEMO, INTRO, write_course
from nbbuild import markdown

pytestmark = pytest.mark.usefixtures("gates_plugin_only")

NO_OBJECTIVES = markdown("# Module 01: Demo\n\n## Prerequisites\n\n- Python functions.")


def make(pytester: pytest.Pytester, demo=None, **declared):
    return write_course(
        pytester.path,
        [NO_OBJECTIVES if c == INTRO and demo == "broken" else c for c in DEMO] if demo == "broken" else demo,
        **declared,
    )


def test_gate_checks_are_not_collected_without_the_option(pytester):
    make(pytester)
    result = pytester.runpytest("modules", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["modules/01_demo/demo.py::test_unit_double", "*3 tests collected*"])
    result.stdout.no_fnmatch_line("*design.*")


def test_one_item_per_check_of_the_chosen_gates_instead_of_the_inline_tests(pytester):
    make(pytester)
    result = pytester.runpytest("--tinytorch-gates=design", "--tinytorch-module", "1", "-v")
    result.stdout.fnmatch_lines(
        [
            "*modules/01_demo/demo.py::design.objectives PASSED*",
            "*modules/01_demo/demo.py::design.prerequisites PASSED*",
            "*modules/01_demo/demo.py::design.exports PASSED*",
            "*modules/01_demo/demo.py::design.requires PASSED*",
            "*modules/01_demo/demo.py::design.declarations PASSED*",
        ]
    )
    result.assert_outcomes(passed=5)
    result.stdout.no_fnmatch_line("*test_unit_double*")


def test_all_gates_and_marker_selection(pytester):
    make(pytester)
    result = pytester.runpytest("--tinytorch-gates=all", "--collect-only", "-q", "-m", "tinytorch_gate(gate='qa')")
    result.stdout.fnmatch_lines(
        ["modules/01_demo/demo.py::qa.student-version", "*10/42 tests collected (32 deselected)*"]
    )
    result = pytester.runpytest("--tinytorch-gates=all", "--collect-only", "-q", "-m", "tinytorch(module=2)")
    result.stdout.fnmatch_lines(["modules/02_twice/twice.py::design.objectives", "*21/42 tests collected*"])


def test_a_failing_check_says_what_where_and_how_to_fix(pytester):
    make(pytester, "broken")
    result = pytester.runpytest("--tinytorch-gates=design", "-k", "objectives")
    result.stdout.fnmatch_lines(
        [
            "*[[]design gate[]] design.objectives*",
            "01_demo: gate check design.objectives failed (design gate: the learning objectives are stated, "
            "as a list); 1 violation:",
            "  modules/01_demo/demo.py:1: no 'Learning objectives' heading in any markdown cell. Fix: add a*",
            "Read more: docs/authoring-modules.md#quality-gates. If this check does not apply to 01_demo, turn it off*",
            "FAILED modules/01_demo/demo.py::design.objectives - 01_demo: gate check*",
        ]
    )
    result.assert_outcomes(passed=1, failed=1)


def test_a_check_turned_off_in_the_module_is_skipped_with_its_reason(pytester):
    make(pytester, "broken", extra='#     gates:\n#       skip:\n#         design.objectives: "taught in the lecture"')
    result = pytester.runpytest("--tinytorch-gates=design", "--tinytorch-module", "1", "-rs")
    result.assert_outcomes(passed=4, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "SKIPPED [[]1[]] modules/01_demo/demo.py: design.objectives turned off for 01_demo "
            "(modules/01_demo/demo.py:17): taught in the lecture",
        ]
    )


def test_junit_report_carries_gate_check_and_module(pytester):
    make(pytester)
    pytester.runpytest("--tinytorch-gates=design", "--tinytorch-module", "1", "--junitxml=out.xml", "-k", "exports")
    xml = (pytester.path / "out.xml").read_text()
    assert '<property name="gate" value="design" />' in xml
    assert '<property name="check" value="design.exports" />' in xml
    assert '<property name="module" value="01_demo" />' in xml


CONFTEST = """
from pytest_tinytorch.gates import Check, Note, Violation

def no_author_todo(ctx):
    for cell in ctx.notebook.code_cells:
        if "TODO(author)" in cell.source:
            yield Violation(ctx.where_cell(cell), "an author's TODO is left in.", "resolve it or remove it.")
    yield Note(ctx.where_line(1), f"looked at {len(ctx.notebook.code_cells)} code cells")

def pytest_tinytorch_gate_checks(config, module, gate):
    if gate == "implementation":
        return [Check("implementation.no-author-todo", gate, "no author TODOs are left", no_author_todo)]
"""


def test_course_authors_add_checks_through_the_hook(pytester):
    make(pytester, [*DEMO, "# %%\nx = 1  # TODO(author): explain\n"])
    pytester.makeconftest(CONFTEST)
    result = pytester.runpytest("--tinytorch-gates=implementation", "-k", "no-author-todo", "-v")
    result.stdout.fnmatch_lines(
        [
            "*modules/01_demo/demo.py::implementation.no-author-todo FAILED*",
            "*modules/02_twice/twice.py::implementation.no-author-todo PASSED*",
            "  modules/01_demo/demo.py:*: an author's TODO is left in. Fix: resolve it or remove it.",
            "*tinytorch gate notes (block nothing)*",
            "modules/02_twice/twice.py:1: looked at 4 code cells",
        ]
    )
    result.assert_outcomes(passed=1, failed=1)


def test_hook_checks_can_be_turned_off_too(pytester):
    make(
        pytester,
        [*DEMO, "# %%\nx = 1  # TODO(author): explain\n"],
        extra='#     gates:\n#       skip:\n#         implementation.no-author-todo: "kept on purpose"',
    )
    pytester.makeconftest(CONFTEST)
    result = pytester.runpytest("--tinytorch-gates=design,implementation", "-k", "todo or declarations", "-rs")
    result.assert_outcomes(passed=3, skipped=1)  # design.declarations knows the hook's check id


def test_a_hook_returning_something_else_is_a_clear_collection_error(pytester):
    make(pytester)
    pytester.makeconftest("def pytest_tinytorch_gate_checks(config, module, gate):\n    return ['not a check']\n")
    result = pytester.runpytest("--tinytorch-gates=design")
    result.stdout.fnmatch_lines(["*pytest_tinytorch_gate_checks(gate='design') returned 'not a check'; return a list*"])
    assert result.ret != 0


def test_unknown_gate_is_a_usage_error_with_a_suggestion(pytester):
    result = pytester.runpytest("--tinytorch-gates=desgin")
    result.stderr.fnmatch_lines(
        [
            "*--tinytorch-gates='desgin': 'desgin' is not a gate. Did you mean 'design'? Gates, in order: design, "
            "implementation, qa, release, publish (or 'all').",
        ]
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_the_gates_plugin_is_an_entry_point_and_imports_nothing_heavy():
    from importlib.metadata import entry_points

    found = [ep.value for ep in entry_points(group="pytest11") if ep.name == "tinytorch-gates"]
    assert found == ["pytest_tinytorch.gates.plugin"]
    heavy = (
        "numpy",
        "nbformat",
        "nbclient",
        "jupytext",
        "yaml",
        "nbgrader",
        "nbconvert",
        "pytest_tinytorch.items",
        "pytest_tinytorch.gates.items",
        "pytest_tinytorch.gates.checks",
    )
    code = f"import sys, pytest_tinytorch.gates.plugin\nprint(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_check_runs_as_an_item_passing_on_a_good_module_and_failing_on_a_broken_one(pytester):
    from gate_helpers import BROKEN, BROKEN_HEADER, write_module

    from pytest_tinytorch.catalog import Catalog
    from pytest_tinytorch.gates import pages
    from pytest_tinytorch.gates.checks import BUILTIN

    make(pytester)
    pages.write_page(pytester.path, Catalog.discover(pytester.path).resolve(1))
    write_module(pytester.path, BROKEN, number=3, name="broken", **BROKEN_HEADER)
    gates = "design,implementation,qa,publish"
    result = pytester.runpytest_subprocess(f"--tinytorch-gates={gates}", "--tinytorch-module", "1,3", "-v")
    checked = [check.id for check in BUILTIN if check.gate != "release"]
    result.stdout.fnmatch_lines([f"*modules/01_demo/demo.py::{check} PASSED*" for check in checked], consecutive=True)
    result.stdout.fnmatch_lines(
        [f"*modules/03_broken/broken.py::{check} FAILED*" for check in checked], consecutive=True
    )
    first_lines = {  # the first violation of each check, as the failure report prints it
        "design.objectives": "broken.py:1: no 'Learning objectives' heading in any markdown cell. Fix: add *",
        "design.prerequisites": "broken.py:1: no 'Prerequisites' heading in any markdown cell. Fix: add *",
        "design.exports": "broken.py:27: this '#| export' cell comes before the '#| default_exp' line *",
        "design.requires": "broken.py:1: the header does not declare which earlier modules this module needs *",
        "design.declarations": "broken.py:12: tinytorch.gates.skip.qa.roundtrip: turning a check off needs a reason*",
        "implementation.inline-tests": "broken.py:56: test_unit_triple error against the reference solution: *",
        "implementation.solution-markers": "broken.py:51: ### BEGIN SOLUTION is never closed in this cell. Fix: *",
        "implementation.hidden-markers": "broken.py:57: ### BEGIN HIDDEN TESTS is never closed in this cell. Fix: *",
        "implementation.graded-cells": "broken.py:55 (cell 't'): graded cell: it is not locked *",
        "implementation.export-imports": "broken.py:35: the export does not import: 'import tinytorch.core.broken' *",
        "implementation.systems-analysis": "broken.py:1: no 'Systems analysis' section *",
        "implementation.imports": "broken.py:35: imports tinytorch.core.nowhere *, which no course module exports.*",
        "qa.student-version": "broken.py:1: the student version could not be generated: *no end solution statement*",
        "qa.stub-tests-fail": "broken.py:1: no student version ran, so it is unknown whether its graded tests fail.*",
        "qa.roundtrip": "broken.py:61: cell 8 reads differently as .ipynb (what students get): *",
        "qa.integration-tests": "broken.py:1: tinytorch/core/broken.py is missing: *",
        "qa.points-total": "broken.py:13: declares 5 points but its 1 graded cells add up to 1 (t=1).*",
        "publish.page": "broken.py:1: the module page does not build: *",
        "publish.links": "broken.py:23: link '../../docs/missing.md' points at docs/missing.md, which does not exist.*",
    }
    assert set(first_lines) == set(checked)
    for check, line in first_lines.items():
        result.stdout.fnmatch_lines([f"03_broken: gate check {check} failed *", f"  modules/03_broken/{line}"])
    result.assert_outcomes(passed=len(checked), failed=len(checked))
