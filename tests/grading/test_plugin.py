"""The grading plugin through pytest: options, items per student and test, reports, the restore hook."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy  # noqa: F401  (imported before pytester snapshots sys.modules: NumPy cannot be loaded twice)
import pytest
from gradingcorpus import REFERENCE, T_DOUBLE, WRONG_NORM, with_norm, write_course


@pytest.fixture(autouse=True)
def both_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inner runs load only this project's two plugins (see tests/plugin/conftest.py for why)."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("PYTEST_PLUGINS", "pytest_tinytorch.plugin,pytest_tinytorch.grading.plugin")


@pytest.fixture
def graded_course(pytester: pytest.Pytester):
    write_course(pytester.path)
    subs = pytester.path / "subs"
    subs.mkdir()
    (subs / "alice.py").write_text(REFERENCE)
    (subs / "bob.py").write_text(with_norm(WRONG_NORM))
    return pytester.path


def grade(pytester: pytest.Pytester, *extra: str) -> pytest.RunResult:
    return pytester.runpytest("--tinytorch-grade=subs", "--tinytorch-module", "1", "--tinytorch-timeout", "5", *extra)


def test_one_item_per_student_and_test_with_the_students_outcome(pytester, graded_course):
    result = grade(pytester, "-v")
    result.assert_outcomes(passed=6, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*subs/bob.py::test_unit_norm FAILED*",
            "*[[]assertion[]] a check in the test failed*",
            "*tinytorch grading*",
            "*alice*12 / 12*",
            "*bob*7 / 12*",
        ]
    )


def test_every_report_and_the_gradebook_come_from_one_run(pytester, graded_course):
    grade(pytester, "--tinytorch-gradebook=none")
    out = graded_course / "grades" / "01_demo"
    grades = json.loads((out / "grades.json").read_text())
    assert [(s["student"], s["score"]) for s in grades["students"]] == [("alice", 12), ("bob", 7)]
    assert {p.name for p in out.iterdir()} >= {
        "grades.csv",
        "tests.csv",
        "junit.xml",
        "gradescope",
        "feedback",
        "results",
    }
    assert "BEGIN HIDDEN" not in (out / "feedback" / "bob.md").read_text()


def test_k_grades_only_the_selected_students(pytester, graded_course):
    grade(pytester, "-k", "alice").assert_outcomes(passed=4)
    grades = json.loads((graded_course / "grades" / "01_demo" / "grades.json").read_text())
    assert [s["student"] for s in grades["students"]] == ["alice"]


def test_junitxml_carries_the_student_and_the_points(pytester, graded_course):
    grade(pytester, "--junitxml=report.xml")
    cases = ET.parse(graded_course / "report.xml").getroot().iter("testcase")
    props = [{p.get("name"): p.get("value") for p in case.iter("property")} for case in cases]
    bob_norm = next(p for p in props if p["student"] == "bob" and p["grade_id"] == "t-norm")
    assert (bob_norm["max_points"], bob_norm["points"]) == ("3.0", "0.0")


def test_markers_select_hidden_tests(pytester, graded_course):
    grade(pytester, "-m", "tinytorch_hidden").assert_outcomes(passed=1, failed=1)


def test_collect_only_grades_nothing(pytester, graded_course):
    result = grade(pytester, "--collect-only", "-q")
    result.stdout.fnmatch_lines(["subs/alice.py::test_unit_double", "*8 tests collected*"])
    assert not (graded_course / "grades").exists()


def test_a_conftest_planted_among_the_submissions_is_never_imported(pytester, graded_course):
    trap = "raise SystemExit('a planted conftest.py was imported by the grader')\n"
    (graded_course / "subs" / "conftest.py").write_text(trap)
    (graded_course / "subs" / "carol").mkdir()
    (graded_course / "subs" / "carol" / "demo.py").write_text(REFERENCE)
    (graded_course / "subs" / "carol" / "conftest.py").write_text(trap)
    grade(pytester).assert_outcomes(passed=10, failed=2)


@pytest.mark.parametrize(
    "args, message",
    [
        ((), "*--tinytorch-grade needs exactly one --tinytorch-module*"),
        (
            ("--tinytorch-module", "1", "--tinytorch-grade-workers", "0"),
            "*--tinytorch-grade-workers='0': must be 1 or more*",
        ),
        (("--tinytorch-module", "1", "--tinytorch-grade=missing"), "*does not exist*"),
    ],
)
def test_bad_options_are_usage_errors(pytester, graded_course, args, message):
    result = pytester.runpytest(
        *(args if args and args[-1].startswith("--tinytorch-grade=") else ("--tinytorch-grade=subs", *args))
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_restore_locked_runs_the_instructors_tests_in_an_ordinary_run(pytester):
    write_course(pytester.path)
    tampered = pytester.path / "alice.py"
    tampered.write_text(with_norm(WRONG_NORM).replace("assert math.isclose(norm([3, 4]), 5.0)", "return"))
    pytester.runpytest("alice.py", "--tinytorch-module", "1").assert_outcomes(passed=3, failed=1)
    result = pytester.runpytest("alice.py", "--tinytorch-module", "1", "--tinytorch-restore-locked", "-W", "default")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(["*a locked cell was edited*t-norm*"])


def test_another_plugin_can_take_over_restoring_through_the_hook(pytester, graded_course):
    (graded_course / "subs" / "bob.py").write_text(REFERENCE.replace(T_DOUBLE, ""))
    pytester.makeconftest("""
        import pytest

        @pytest.hookimpl(tryfirst=True)
        def pytest_tinytorch_prepare_notebook(config, notebook, module):
            return notebook  # the submission as it is: no restoring
    """)
    grade(pytester, "--tinytorch-grade-fresh").assert_outcomes(passed=7, failed=1)


@pytest.mark.parametrize(("value", "message"), [("soon", "expected a number of seconds"), ("0", "must be more than 0")])
def test_bad_submission_timeout_is_a_usage_error(pytester, value, message):
    result = pytester.runpytest(f"--tinytorch-grade-submission-timeout={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*--tinytorch-grade-submission-timeout={value!r}: {message}*"])
