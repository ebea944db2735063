"""Every report from the same results; nothing of a hidden test reaches a student."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

from gradingcorpus import REFERENCE

from pytest_tinytorch.grading import reports
from pytest_tinytorch.grading.model import Flag, SubmissionResult, TestResult
from pytest_tinytorch.notebook import parse_percent

HIDDEN_LINE = "assert norm([0, 0]) == 0"
REF = parse_percent(REFERENCE, "demo.py")


def result() -> SubmissionResult:
    tests = [
        TestResult("test_unit_double", "t-double", 4, "passed"),
        TestResult(
            "test_unit_norm",
            "t-norm",
            3,
            "failed",
            "assertion",
            f"E   AssertionError\n  > 12 |     {HIDDEN_LINE}",
            hidden=True,
        ),
        TestResult(
            "test_unit_box",
            "t-box",
            3,
            "failed",
            "error",
            f"TypeError: bad\n      11 |     ok = 1\n    > 12 |     {HIDDEN_LINE}\n      13 |     visible_line()",
        ),
        TestResult("test_module", "t-module", 2, "passed"),
    ]
    return SubmissionResult(
        "alice", "alice.py", "01_demo", "k", tests, [Flag("replaced-function", "numpy.allclose was replaced")]
    )


def test_scores_come_from_the_instructors_points():
    r = result()
    assert (r.score, r.max_score) == (6, 12) and r.tampered


def test_feedback_never_shows_a_hidden_test_or_a_hidden_line():
    hidden = reports.hidden_lines(REF)
    assert HIDDEN_LINE in hidden
    text = reports.feedback_markdown("01_demo", result(), hidden) + reports.gradescope_json(result(), hidden)
    assert HIDDEN_LINE not in text
    assert reports.HIDDEN_NOTE in text and "visible_line()" in text and "(hidden)" in text
    assert "6 / 12 points" in text and "numpy.allclose was replaced" in text


def test_the_gradescope_file_has_gradescopes_fields():
    data = json.loads(reports.gradescope_json(result(), frozenset()))
    assert data["score"] == 6
    norm = data["tests"][1]
    assert norm == {
        "name": "test_unit_norm",
        "score": 0.0,
        "max_score": 3,
        "status": "failed",
        "output": norm["output"],
        "visibility": "after_published",
    }
    assert HIDDEN_LINE not in norm["output"]


def test_the_csv_files_have_a_row_per_student_and_per_test():
    wide = list(csv.reader(io.StringIO(reports.grades_csv([result()]))))
    assert wide[0] == [
        "student",
        "score",
        "max_score",
        "test_unit_double",
        "test_unit_norm",
        "test_unit_box",
        "test_module",
        "tampered",
        "flags",
    ]
    assert wide[1] == ["alice", "6", "12", "4", "0", "0", "2", "yes", "replaced-function"]
    long = list(csv.DictReader(io.StringIO(reports.tests_csv([result()]))))
    assert [(row["test"], row["points"], row["reason"]) for row in long][:2] == [
        ("test_unit_double", "4", ""),
        ("test_unit_norm", "0", "assertion"),
    ]


def test_junit_carries_points_per_test_and_the_failure():
    root = ET.fromstring(reports.junit_xml("01_demo", [result()]))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "alice" and suite.get("failures") == "2"
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    props = {p.get("name"): p.get("value") for p in cases["test_unit_box"].iter("property")}
    assert props == {"grade_id": "t-box", "points": "0", "max_points": "3", "hidden": "false"}
    failure = cases["test_unit_box"].find("failure")
    assert failure is not None and failure.get("type") == "error"


def test_write_reports_writes_every_file(tmp_path):
    written = reports.write_reports(tmp_path, "01_demo", REF, [result()])
    assert {p.name for p in tmp_path.iterdir()} == {
        "grades.json",
        "grades.csv",
        "tests.csv",
        "junit.xml",
        "gradescope",
        "feedback",
    }
    assert (tmp_path / "gradescope" / "alice" / "results.json").is_file() and (
        tmp_path / "feedback" / "alice.md"
    ).is_file()
    assert json.loads(written["json"].read_text())["students"][0]["score"] == 6
