"""The GitHub Classroom template: its workflow's own commands, run here on a student's repository.

Steps that need GitHub (``uses:`` actions) or the network (installing the
course tools, already installed in this environment) are skipped; every other
``run:`` step runs as Actions would run it (bash -eo pipefail, the workflow's
env, ``$GITHUB_STEP_SUMMARY`` pointing at a file), honouring ``if: always()``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from gradingcorpus import WRONG_NORM, with_norm

from pytest_tinytorch.grading import github

TEMPLATE = Path(__file__).parents[2] / "templates" / "github-classroom"
NEEDS_NETWORK = {"install"}  # step ids


def run_workflow(repo: Path, summary: Path) -> list[tuple[str, int, str]]:
    workflow = yaml.safe_load((repo / ".github" / "workflows" / "autograde.yml").read_text())
    env = {
        **os.environ,
        **{k: str(v) for k, v in workflow.get("env", {}).items()},
        "GITHUB_STEP_SUMMARY": str(summary),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    ran, failed = [], False
    for step in workflow["jobs"]["autograde"]["steps"]:
        if "run" not in step or step.get("id") in NEEDS_NETWORK:
            continue
        if failed and "always()" not in str(step.get("if", "")):
            continue
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        ran.append((step["name"], done.returncode, done.stdout + done.stderr))
        failed = failed or done.returncode != 0
    return ran


@pytest.fixture
def student_repo(tmp_path: Path) -> Path:
    """A student's push: the module with one wrong solution, and the template's workflow."""
    repo = tmp_path / "repo"
    shutil.copytree(TEMPLATE / ".github", repo / ".github")
    module = repo / "modules" / "01_demo"
    module.mkdir(parents=True)
    (module / "demo.py").write_text(with_norm(WRONG_NORM))
    return repo


def test_the_workflow_shows_points_in_the_summary_and_failures_on_the_students_lines(student_repo, tmp_path):
    summary = tmp_path / "summary.md"
    ran = run_workflow(student_repo, summary)
    assert [name for name, _, _ in ran] == ["Run the module's tests", "Points and annotations"]
    tests, report = ran
    assert tests[1] == 1, tests[2][-2000:]  # failing tests fail the step (a red check for the student)
    assert report[1] == 0, report[2][-2000:]
    text = summary.read_text()
    assert "## TinyTorch autograding: 7 / 12 points" in text
    assert "| `test_unit_norm` | 0 / 3 | failed |" in text and "| `test_unit_double` | 4 / 4 | passed |" in text
    annotations = [line for line in report[2].splitlines() if line.startswith("::error ")]
    assert len(annotations) == 2
    norm_line = next(
        n
        for n, line in enumerate((student_repo / "modules/01_demo/demo.py").read_text().splitlines(), 1)
        if "assert math.isclose(norm([3, 4]), 5.0)" in line
    )
    assert any(
        f"file=modules/01_demo/demo.py,line={norm_line}," in a and "test_unit_norm failed" in a for a in annotations
    )


def test_annotations_point_at_the_students_line_when_their_code_raised(tmp_path):
    report = tmp_path / "report.xml"
    report.write_text("""<?xml version="1.0"?><testsuites><testsuite>
      <testcase classname="modules.01_demo.demo" name="test_unit_double" file="modules/01_demo/demo.py" line="40">
        <properties><property name="grade_id" value="t-double"/><property name="points" value="4"/></properties>
        <failure message="TypeError: bad operand (modules/01_demo/demo.py:21, cell 3)">details, 100% sure</failure>
      </testcase>
      <testcase classname="x" name="test_unit_norm" file="work/demo.ipynb">
        <properties><property name="points" value="3"/></properties>
        <error message="NameError: x (work/demo.ipynb cell 5, line 2, cell 5)">trace</error>
      </testcase>
      <testcase classname="x" name="test_not_graded"/>
    </testsuite></testsuites>""")
    outcomes = github.read_report(report)
    assert [(o.name, o.file, o.line, o.cell, o.earned) for o in outcomes] == [
        ("test_unit_double", "modules/01_demo/demo.py", 21, None, 0.0),
        ("test_unit_norm", "work/demo.ipynb", 2, 5, 0.0),
    ]
    first, second = github.annotation_commands(outcomes)
    assert first.startswith(
        "::error file=modules/01_demo/demo.py,line=21,title=test_unit_double failed%3A 0 / 4 points::"
    )
    assert "100%25 sure" in first and "%0A" in first
    assert "(cell 5)" in second


def test_a_missing_report_is_an_annotated_error(tmp_path, capsys):
    assert github.main([str(tmp_path / "missing.xml")]) == 1
    assert capsys.readouterr().out.startswith("::error title=No test report::")
