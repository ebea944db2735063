"""nbgrader compatibility: releases with nbgrader's own preprocessors, its gradebook, its tools on our layout.

The round trip at the end (generate with tito, autograde with nbgrader's own
tool, grade again with ``tito grade``, compare) starts nbgrader's apps several
times, ~4 s each here, so it is marked slow.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

# nbgrader (and SQLAlchemy under it) imported at collection, before any pytester test
# snapshots sys.modules: imported inside one, they would be torn out afterwards, and
# SQLAlchemy's compiled parts do not survive being imported twice.
import nbgrader.api  # noqa: F401
import nbgrader.apps.api  # noqa: F401
import pytest
from gradingcorpus import REFERENCE, WRONG_NORM, with_double, with_norm, without_hidden_tests, write_course

from pytest_tinytorch.cli import main as tito
from pytest_tinytorch.grading.course import Course, NbgraderError

SHIPPED_CONFIG = Path(__file__).parents[2] / "nbgrader" / "nbgrader_config.py"
NBGRADER = [sys.executable, "-m", "nbgrader"]


def nbgrader_course(root: Path) -> Path:
    write_course(root)
    (root / "nbgrader").mkdir()
    shutil.copy(SHIPPED_CONFIG, root / "nbgrader" / "nbgrader_config.py")
    return root


def run_nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    """nbgrader's own command line, run in the course folder as an instructor would."""
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(course), "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run(
        [*NBGRADER, *args], cwd=course / "nbgrader", capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def exported_scores(course: Path) -> dict[str, float]:
    """``nbgrader export`` (its CSV plugin), read back: student -> score."""
    run_nbgrader(course, "export", "--to", "grades.csv")
    with open(course / "nbgrader" / "grades.csv", newline="") as handle:
        return {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = nbgrader_course(tmp_path_factory.mktemp("nbgrader-course"))
    assert tito(["--root", str(root), "nbgrader", "generate", "01"]) == 0
    return root


def cells(path: Path) -> list[tuple]:
    import nbformat

    return [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in nbformat.read(path, as_version=4).cells]


def test_generate_writes_nbgraders_standard_layout(generated):
    folder = generated / "nbgrader"
    assert (folder / "source" / "01_demo" / "demo.ipynb").is_file()
    assert (folder / "release" / "01_demo" / "demo.ipynb").is_file()
    assert (folder / "gradebook.db").is_file()


def test_the_release_is_what_student_py_makes_one_definition_of_the_student_version(generated):
    from pytest_tinytorch.student import student_notebook

    release = generated / "nbgrader" / "release" / "01_demo" / "demo.ipynb"
    ours = [
        (c.cell_type, c.source, c.metadata.get("nbgrader"))
        for c in student_notebook(generated / "modules" / "01_demo" / "demo.py").cells
    ]
    assert cells(release) == ours
    text = release.read_text()
    assert "raise NotImplementedError()" in text and "BEGIN HIDDEN TESTS" not in text and "return 2 * x" not in text
    assert all(meta.get("checksum") for kind, _, meta in cells(release) if meta and meta.get("locked"))


def test_grades_written_by_tito_are_what_nbgrader_export_sees(generated, tmp_path):
    from gradingcorpus import grade_folder

    from pytest_tinytorch.catalog import ModuleInfo
    from pytest_tinytorch.grading.engine import Reference
    from pytest_tinytorch.grading.gradebook import GradebookProcess

    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.py").write_text(REFERENCE)
    (subs / "bob.py").write_text(with_norm(WRONG_NORM))
    reference = Reference.load(ModuleInfo(1, "demo", generated / "modules" / "01_demo"))
    helper = GradebookProcess(generated / "nbgrader" / "gradebook.db", reference)  # as a grading run does
    results = grade_folder(generated, subs, tmp_path / "out", progress=lambda result, done, total: helper.add(result))
    assert helper.finish(results) == 2
    assert exported_scores(generated) == {"alice": 12.0, "bob": 7.0}


def test_a_missing_configuration_is_a_clear_error(tmp_path):
    with pytest.raises(NbgraderError, match="no nbgrader_config.py"):
        Course(write_course(tmp_path))


@pytest.mark.slow
def test_round_trip_nbgraders_autograde_and_tito_grade_agree(tmp_path):
    """Generate with tito, autograde with nbgrader's own tool on our layout, grade again with tito: same scores."""
    import jupytext

    course = nbgrader_course(tmp_path / "course")
    assert tito(["--root", str(course), "nbgrader", "generate", "01"]) == 0
    run_nbgrader(course, "generate_assignment", "01_demo", "--force")  # nbgrader's own tool works on the layout too
    answers = {
        "alice": REFERENCE,
        "bob": with_norm(WRONG_NORM),
        "carol": with_double("    return 2 * x +"),
        "dave": with_double("    raise NotImplementedError()"),
    }
    for student, text in answers.items():
        target = course / "nbgrader" / "submitted" / student / "01_demo" / "demo.ipynb"
        target.parent.mkdir(parents=True)
        target.write_text(jupytext.writes(jupytext.reads(without_hidden_tests(text), fmt="py:percent"), fmt="ipynb"))

    run_nbgrader(course, "autograde", "01_demo")
    by_nbgrader = exported_scores(course)
    assert by_nbgrader == {"alice": 12.0, "bob": 7.0, "carol": 3.0, "dave": 3.0}

    assert tito(["--root", str(course), "grade", str(course / "nbgrader" / "submitted"), "--module", "01"]) == 0
    assert exported_scores(course) == by_nbgrader  # tito wrote the course's gradebook; export reads it


@pytest.mark.slow
def test_release_fetch_submit_collect_then_grade(tmp_path):
    """nbgrader's exchange through tito: release, a student fetches and submits, collect, grade."""
    import getpass

    course = nbgrader_course(tmp_path / "course")
    for step in ("generate", "release"):
        assert tito(["--root", str(course), "nbgrader", step, "01"]) == 0
    student = tmp_path / "student"
    student.mkdir()
    exchange = course / "nbgrader" / "exchange"
    (student / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\nc.CourseDirectory.course_id = 'tinytorch'\n"
    )
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(student)}
    for step in ("fetch_assignment", "submit"):
        done = subprocess.run([*NBGRADER, step, "01_demo"], cwd=student, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
    assert tito(["--root", str(course), "nbgrader", "collect", "01"]) == 0
    me = getpass.getuser()  # nbgrader files a submission under the submitting user
    assert (course / "nbgrader" / "submitted" / me / "01_demo" / "demo.ipynb").is_file()
    assert tito(["--root", str(course), "grade", str(course / "nbgrader" / "submitted"), "--module", "01"]) == 0
    assert exported_scores(course) == {me: 0.0}  # the untouched student version earns nothing
