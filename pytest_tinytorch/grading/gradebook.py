"""Write grading results into nbgrader's gradebook, through nbgrader's own API.

The gradebook is nbgrader's sqlite database: once the scores are in it,
``nbgrader export`` and formgrader show them as if ``nbgrader autograde``
had run.  The assignment is the module's folder name (``01_tensor``), the
notebook its name (``tensor``), and each graded cell a grade cell scored with
the sum of its tests' points.  Everything goes through
``nbgrader.api.Gradebook`` (never raw SQL), in one transaction per student.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pytest_tinytorch.grading.engine import Reference
from pytest_tinytorch.grading.model import SubmissionResult

COURSE_ID = "tinytorch"  # the course id nbgrader_config.py sets


@contextmanager
def nbgrader_tools() -> Iterator[None]:
    """nbgrader runs ``alembic`` from PATH when it creates a database; make sure ours is found.

    Its database layer also warns about its own deprecated calls; those are
    nbgrader's business, not something to fail a grading run over.
    """
    tools = str(Path(sys.executable).parent)
    previous = os.environ.get("PATH", "")
    os.environ["PATH"] = tools + os.pathsep + previous
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        os.environ["PATH"] = previous


def grade_cells(reference: Reference) -> dict[str, float]:
    """grade_id -> points, for every graded cell of the instructor's copy."""
    cells: dict[str, float] = {}
    for test in reference.tests:
        cells[test.grade_id] = cells.get(test.grade_id, 0.0) + test.points
    return cells


def write_gradebook(db_path: str | Path, reference: Reference, results: list[SubmissionResult],
                    course_id: str = COURSE_ID) -> int:
    """Store every result as an autograded submission; returns how many were written."""
    from nbgrader.api import Gradebook

    db_path = Path(db_path).resolve()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    assignment, notebook = reference.module.slug, reference.module.name
    cells = grade_cells(reference)
    with nbgrader_tools(), Gradebook(f"sqlite:///{db_path}", course_id) as gb:
        gb.update_or_create_assignment(assignment)
        gb.update_or_create_notebook(notebook, assignment)
        for grade_id, points in cells.items():
            gb.update_or_create_grade_cell(grade_id, notebook, assignment, max_score=points, cell_type="code")
        for result in results:
            _store(gb, assignment, notebook, cells, result)
    return len(results)


def _store(gb: Any, assignment: str, notebook: str, cells: dict[str, float], result: SubmissionResult) -> None:
    from nbgrader.api import Grade, MissingEntry

    gb.update_or_create_student(result.student)
    gb.update_or_create_submission(assignment, result.student)
    scores = {grade_id: 0.0 for grade_id in cells}
    for test in result.tests:
        scores[test.grade_id] = scores.get(test.grade_id, 0.0) + test.points
    for grade_id, score in scores.items():
        try:
            grade = gb.find_grade(grade_id, notebook, assignment, result.student)
        except MissingEntry:  # a grade cell added after this submission was first stored
            submitted = gb.find_submission_notebook(notebook, assignment, result.student)
            cell = gb.find_grade_cell(grade_id, notebook, assignment)
            grade = Grade(cell_id=cell.id, notebook=submitted)
            gb.db.add(grade)
        grade.auto_score = score
        grade.needs_manual_grade = False
    gb.db.commit()
