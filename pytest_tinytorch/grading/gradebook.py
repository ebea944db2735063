"""Write grading results into nbgrader's gradebook, through nbgrader's own API.

The gradebook is nbgrader's sqlite database: once the scores are in it,
``nbgrader export`` and formgrader show them as if ``nbgrader autograde``
had run.  The assignment is the module's folder name (``01_tensor``), the
notebook its name (``tensor``), and each graded cell a grade cell scored with
the sum of its tests' points.  Everything goes through
``nbgrader.api.Gradebook`` (never raw SQL).

Importing nbgrader costs ~2.3 s of CPU, about what grading a class of 50
takes per core.  So a grading run writes the gradebook from a separate,
low-priority process (:class:`GradebookProcess`, ``python -m
pytest_tinytorch.grading.gradebook``) started when grading starts: it imports
only nbgrader's database layer (~0.5 s), stores each result as it arrives, and
commits when the run ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pytest_tinytorch.grading.course import nbgrader_tools
from pytest_tinytorch.grading.engine import Reference
from pytest_tinytorch.grading.model import SubmissionResult

COURSE_ID = "tinytorch"  # the course id nbgrader_config.py sets
NICENESS = 10  # the helper gets the CPU the graders leave idle


def grade_cells(reference: Reference) -> dict[str, float]:
    """grade_id -> points, for every graded cell of the instructor's copy."""
    cells: dict[str, float] = {}
    for test in reference.tests:
        cells[test.grade_id] = cells.get(test.grade_id, 0.0) + test.points
    return cells


def write_gradebook(
    db_path: str | Path, reference: Reference, results: list[SubmissionResult], course_id: str = COURSE_ID
) -> int:
    """Store every result as an autograded submission; returns how many were written.

    New students and submissions are created with nbgrader's ``add_*`` calls
    (each commits); the scores then go in with one commit for the class.
    """
    header = _header(Path(db_path), reference, course_id)
    with _opened(header) as store:
        for result in results:
            store(result)
    return len(results)


def _header(db_path: Path, reference: Reference, course_id: str) -> dict[str, Any]:
    return {
        "db": str(db_path.resolve()),
        "course_id": course_id,
        "assignment": reference.module.slug,
        "notebook": reference.module.name,
        "cells": grade_cells(reference),
    }


@contextmanager
def _opened(header: dict[str, Any]) -> Iterator[Callable[[SubmissionResult], None]]:
    """The gradebook with the assignment and its grade cells in place; yields a function storing one result."""
    from nbgrader.api import Gradebook

    db_path = Path(header["db"])
    db_path.parent.mkdir(parents=True, exist_ok=True)
    assignment, notebook, cells = header["assignment"], header["notebook"], header["cells"]
    with nbgrader_tools(), Gradebook(f"sqlite:///{db_path}", header["course_id"]) as gb:
        gb.update_or_create_assignment(assignment)
        gb.update_or_create_notebook(notebook, assignment)
        for grade_id, points in cells.items():
            gb.update_or_create_grade_cell(grade_id, notebook, assignment, max_score=points, cell_type="code")
        yield lambda result: _store(gb, assignment, notebook, cells, result)
        gb.db.commit()


def _store(gb: Any, assignment: str, notebook: str, cells: dict[str, float], result: SubmissionResult) -> None:
    from nbgrader.api import Grade, MissingEntry

    try:
        gb.find_student(result.student)
    except MissingEntry:
        gb.add_student(result.student)
    try:
        submission = gb.find_submission(assignment, result.student)
    except MissingEntry:
        submission = gb.add_submission(assignment, result.student)
    submitted = next(nb for nb in submission.notebooks if nb.name == notebook)
    grades = {grade.name: grade for grade in submitted.grades}
    scores = {grade_id: 0.0 for grade_id in cells}
    for test in result.tests:
        scores[test.grade_id] = scores.get(test.grade_id, 0.0) + test.points
    for grade_id, score in scores.items():
        grade = grades.get(grade_id)
        if grade is None:  # a grade cell added after this submission was first stored
            grade = Grade(cell_id=gb.find_grade_cell(grade_id, notebook, assignment).id, notebook=submitted)
            gb.db.add(grade)
        grade.auto_score = score
        grade.needs_manual_grade = False


class GradebookProcess:
    """A helper process that imports nbgrader now (niced), stores results as they come, commits at the end.

    The protocol on its stdin: one JSON line with the header (database,
    assignment, grade cells), then one line per result; end of input commits.
    """

    def __init__(self, db_path: str | Path, reference: Reference, course_id: str = COURSE_ID) -> None:
        self.db_path = Path(db_path).resolve()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pytest_tinytorch.grading.gradebook"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        with contextlib.suppress(OSError, AttributeError):  # not everywhere; a missing nice is harmless
            os.setpriority(os.PRIO_PROCESS, self.process.pid, NICENESS)
        self.sent: set[str] = set()
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._lines.put(json.dumps(_header(self.db_path, reference, course_id)))
        # A thread feeds the pipe, so a helper still importing never blocks the grading loop.
        self._feeder = threading.Thread(target=self._feed, name="tinytorch-gradebook", daemon=True)
        self._feeder.start()

    def _feed(self) -> None:
        assert self.process.stdin is not None
        try:
            while (line := self._lines.get()) is not None:
                self.process.stdin.write(line + "\n")
        except (BrokenPipeError, ValueError):
            pass  # the helper died; finish() reports its error

    def add(self, result: SubmissionResult) -> None:
        """Send one result now (called as each submission finishes)."""
        self.sent.add(result.student)
        self._lines.put(json.dumps(result.to_json()))

    def finish(self, results: list[SubmissionResult]) -> int:
        """Send whatever was not sent yet; wait until everything is committed.  Returns how many were stored."""
        for result in results:
            if result.student not in self.sent:
                self.add(result)
        self._lines.put(None)
        self._feeder.join()
        try:
            out, err = self.process.communicate(timeout=600)  # closes stdin (the end: commit), reads, waits
        except BrokenPipeError:  # the helper died early; its error output says why
            out, err = "", self.process.stderr.read() if self.process.stderr else ""
            self.process.wait()
        if self.process.returncode != 0:
            from pytest_tinytorch.grading.course import NbgraderError

            raise NbgraderError(f"writing the nbgrader gradebook {self.db_path} failed:\n{err.strip()[-3000:]}")
        return int(out.strip() or 0)

    def cancel(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self._lines.put(None)
        self._feeder.join()
        try:
            self.process.communicate()
        except BrokenPipeError:
            self.process.wait()


class _SkipOptional:
    """A meta-path entry refusing ``rfc3987_syntax``: jsonschema imports it optionally (for IRI formats),
    nbformat's validator pulls in jsonschema, and compiling its grammar costs ~1 s the gradebook never uses."""

    @staticmethod
    def find_spec(name: str, path: Any = None, target: Any = None) -> None:
        if name.split(".")[0] == "rfc3987_syntax":
            raise ImportError(f"{name} is skipped in the gradebook helper (not needed to write a gradebook)")
        return None


def _import_gradebook_api_only() -> None:
    """Import ``nbgrader.api`` without ``nbgrader/__init__.py``, which loads Jupyter server extensions.

    Only in this helper process, which does nothing but write a gradebook and
    exit: ``nbgrader`` is a bare package object here, so nothing else in the
    process should expect the real one.
    """
    import importlib.util
    import types

    sys.meta_path.insert(0, _SkipOptional())

    spec = importlib.util.find_spec("nbgrader")
    if spec is None or spec.submodule_search_locations is None:
        raise ImportError("nbgrader is not installed")
    package = types.ModuleType("nbgrader")
    package.__path__ = list(spec.submodule_search_locations)
    package.__spec__ = spec
    sys.modules.setdefault("nbgrader", package)
    import nbgrader.api  # noqa: F401


def main() -> int:
    _import_gradebook_api_only()  # the slow part, done while the first results are being graded
    header = json.loads(sys.stdin.readline())
    count = 0
    with _opened(header) as store:
        for line in sys.stdin:
            store(SubmissionResult.from_json(json.loads(line)))
            count += 1
    print(count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
