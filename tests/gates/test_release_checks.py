"""Release gate: nbgrader's own generate_assignment and autograde, in a throw-away course.

The nbgrader runs take 10-30 s each, so they are marked slow; the reading of
nbgrader's results into violations is tested fast with a recorded build.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from gate_helpers import DEMO, MODULE_TEST, NB, TEST, context, lines, run_many, write_course
from nbbuild import cell, graded

from pytest_tinytorch.gates import release
from pytest_tinytorch.gates.checks import builtin_checks
from pytest_tinytorch.gates.model import run_check

RELEASE = builtin_checks("release")
REPO = Path(__file__).resolve().parents[2]


def replace(cells, old, new):
    return [new if c == old else c for c in cells]


def with_build(root, build):
    ctx = context(root)
    ctx.cache["release"] = build
    return {check.id: [v.line() for v in run_check(check, ctx).violations] for check in RELEASE}


def test_scores_are_read_into_violations_naming_the_cells(course):
    scores = {
        release.REFERENCE: release.Score("reference", 2, 3, {"test-double": [2, 2], "test-module": [0, 1]}),
        release.STUB: release.Score("student-version", 2, 3, {"test-double": [2, 2], "test-module": [0, 1]}),
    }
    found = with_build(course, release.ReleaseBuild("release/01_demo/demo.ipynb", None, [], scores))
    [lost, free] = found["release.nbgrader-autograde"]
    assert (
        "(cell 'test-module'): nbgrader's autograde gives the reference solution 2 of 3 points; it loses points in "
        "test-module 0/1." in lost
    )
    assert (
        "(cell 'test-double'): nbgrader's autograde gives the unchanged student version 2 points (test-double 2/2)"
        in free
    )
    assert found["release.nbgrader-release"] == []


def test_a_failed_build_and_leaks_are_reported(course):
    found = with_build(course, release.ReleaseBuild(None, "nbgrader generate_assignment 01_demo failed: boom"))
    assert (
        "nbgrader could not build the release: nbgrader generate_assignment 01_demo failed: boom"
        in found["release.nbgrader-release"][0]
    )
    assert "nbgrader's autograde did not finish" in found["release.nbgrader-autograde"][0]
    found = with_build(course, release.ReleaseBuild("r.ipynb", None, ["double: ### BEGIN SOLUTION"], {}))
    assert "the release notebook still contains double: ### BEGIN SOLUTION." in found["release.nbgrader-release"][0]


@pytest.mark.slow
def test_nbgrader_gives_the_reference_full_points_and_the_stub_zero(course):
    outcomes = run_many(RELEASE, course)
    assert {k: lines(v) for k, v in outcomes.items()} == {
        "release.nbgrader-release": [],
        "release.nbgrader-autograde": [],
    }


@pytest.mark.slow
def test_nbgrader_finds_graded_cells_that_never_run_their_test_and_a_broken_reference(tmp_path):
    no_call = graded("def test_unit_double():\n    assert double(2) == 4", "test-double", points=2, **NB)
    broken = MODULE_TEST.replace("    test_module()", "    test_module()\n    assert double(2) == 5")
    root = write_course(tmp_path, replace(replace(DEMO, TEST, no_call), MODULE_TEST, broken))
    [lost, free] = lines(run_many(RELEASE, root)["release.nbgrader-autograde"])
    assert "gives the reference solution 2 of 3 points; it loses points in test-module 0/1" in lost
    assert "gives the unchanged student version 2 points (test-double 2/2)" in free


@pytest.mark.slow
def test_nbgrader_refusing_the_module_is_a_release_violation(tmp_path):
    stray = cell(
        "def helper():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION",
        grade=False,
        grade_id="helper",
        locked=True,
        solution=False,
        **NB,
    )
    root = write_course(tmp_path, [*DEMO, stray])
    [line] = lines(run_many(RELEASE, root)["release.nbgrader-release"])
    assert "nbgrader could not build the release: nbgrader generate_assignment 01_demo failed" in line


@pytest.mark.slow
def test_release_gate_on_the_real_module_01():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--tinytorch-gates=release",
            "--tinytorch-module",
            "01",
            "-q",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "2 passed" in done.stdout


def test_a_course_without_its_nbgrader_configuration_is_a_release_violation(tmp_path):
    from gate_helpers import write_course

    root = write_course(tmp_path)
    (root / "nbgrader" / "nbgrader_config.py").unlink()
    [line] = lines(run_many(RELEASE, root)["release.nbgrader-release"])
    assert "no nbgrader/nbgrader_config.py in" in line and "git checkout -- nbgrader/nbgrader_config.py" in line
