"""The built-in gate checks, in the order they run.  Course authors add their own
through the ``pytest_tinytorch_gate_checks`` hook (see ``hookspec.py``)."""

from __future__ import annotations

from pytest_tinytorch.gates import design, implementation, publish, qa, release
from pytest_tinytorch.gates.model import Check

DOCS = "docs/authoring-modules.md#quality-gates"

BUILTIN: tuple[Check, ...] = (
    Check("design.objectives", "design", "the learning objectives are stated, as a list", design.objectives, DOCS),
    Check("design.prerequisites", "design", "the prerequisites are stated, as a list", design.prerequisites, DOCS),
    Check(
        "design.exports",
        "design",
        "'#| default_exp' declares the export path, and cells are marked '#| export'",
        design.exports,
        DOCS,
    ),
    Check(
        "design.requires",
        "design",
        "the header's 'requires' matches the earlier modules the code imports",
        design.requires,
        DOCS,
    ),
    Check(
        "design.declarations",
        "design",
        "the header's 'tinytorch:' declarations are well formed; turned-off checks exist and give reasons",
        design.declarations,
        DOCS,
    ),
    Check(
        "implementation.inline-tests",
        "implementation",
        "the reference solution passes every inline test",
        implementation.inline_tests,
        DOCS,
    ),
    Check(
        "implementation.solution-markers",
        "implementation",
        "### BEGIN/END SOLUTION are balanced, only in solution cells, and in every solution cell",
        implementation.solution_markers,
        DOCS,
    ),
    Check(
        "implementation.hidden-markers",
        "implementation",
        "### BEGIN/END HIDDEN TESTS are balanced and only in graded cells",
        implementation.hidden_markers,
        DOCS,
    ),
    Check(
        "implementation.graded-cells",
        "implementation",
        "every graded cell is locked, has a unique grade_id, points > 0 and a test",
        implementation.graded_cells,
        DOCS,
    ),
    Check(
        "implementation.export-imports",
        "implementation",
        "the '#| export' cells, exported after the earlier modules, import in a fresh Python",
        implementation.export_imports,
        DOCS,
    ),
    Check(
        "implementation.systems-analysis",
        "implementation",
        "a 'Systems analysis' section has code that measures time or memory",
        implementation.systems_analysis,
        DOCS,
    ),
    Check(
        "implementation.imports",
        "implementation",
        "tinytorch imports name earlier modules' exports only (no later module, unknown path, or itself)",
        implementation.imports,
        DOCS,
    ),
    Check(
        "qa.student-version",
        "qa",
        "the nbgrader student version generates, parses, hides solutions and hidden tests, and loads",
        qa.student_version,
        DOCS,
    ),
    Check("qa.stub-tests-fail", "qa", "every graded test fails against the student version", qa.stub_tests_fail, DOCS),
    Check(
        "qa.roundtrip",
        "qa",
        "the .py survives jupytext .py -> .ipynb -> .py unchanged, and the harness reads the .ipynb alike",
        qa.roundtrip,
        DOCS,
    ),
    Check(
        "qa.integration-tests",
        "qa",
        "the tests/ files that import the module's package pass, against a current export",
        qa.integration_tests,
        DOCS,
    ),
    Check("qa.points-total", "qa", "the graded cells add up to the declared total points", qa.points_total, DOCS),
    Check(
        "release.nbgrader-release",
        "release",
        "nbgrader's generate_assignment builds the release notebook, without solutions or hidden tests",
        release.nbgrader_release,
        DOCS,
    ),
    Check(
        "release.nbgrader-autograde",
        "release",
        "nbgrader's autograde gives the reference full points and the student version zero",
        release.nbgrader_autograde,
        DOCS,
    ),
    Check(
        "publish.page", "publish", "docs/modules/NN_name.md builds from the module and is current", publish.page, DOCS
    ),
    Check(
        "publish.links",
        "publish",
        "relative links and anchors resolve; external links are well formed (unverified)",
        publish.links,
        DOCS,
    ),
)


def builtin_checks(gate: str | None = None) -> list[Check]:
    return [check for check in BUILTIN if gate is None or check.gate == gate]
