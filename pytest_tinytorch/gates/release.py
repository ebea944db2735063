"""Release gate: nbgrader itself builds the release and grades it.

:func:`build_release` makes a throw-away nbgrader course (the project's
``nbgrader/nbgrader_config.py``, the grading code's :class:`~pytest_tinytorch.grading.course.Course`
layout), runs nbgrader's ``generate_assignment`` on the module, then submits
the reference (the instructor's notebook) and the generated student version
as two students and runs nbgrader's own ``autograde`` on both, reading the
scores back from nbgrader's gradebook.  It runs in a subprocess
(``python -m pytest_tinytorch.gates.release``): nbgrader changes the working
directory and executes notebooks, and none of that belongs in the checking
process.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pytest_tinytorch.catalog import Catalog, ModuleInfo
from pytest_tinytorch.gates.context import ModuleContext, clean_env
from pytest_tinytorch.gates.model import Finding, Violation
from pytest_tinytorch.notebook import HIDDEN_BEGIN, SOLUTION_BEGIN

REFERENCE, STUB = "reference", "student-version"
TIMEOUT = 1800.0


@dataclass
class Score:
    student: str
    score: float
    max_score: float
    cells: dict[str, list[float]] = field(default_factory=dict)  # grade_id -> [score, max_score]


@dataclass
class ReleaseBuild:
    """What building and autograding a module's release with nbgrader gave."""

    release_notebook: str | None = None
    error: str | None = None  # the nbgrader step that failed, with its log
    leaks: list[str] = field(default_factory=list)  # release cells that still hold solutions / hidden tests
    scores: dict[str, Score] = field(default_factory=dict)


def build_release(root: Path, info: ModuleInfo, workdir: Path) -> ReleaseBuild:
    """Generate, release-check and autograde ``info`` with nbgrader in a fresh course under ``workdir``."""
    from pytest_tinytorch.grading.course import CONFIG_FILE, COURSE_FOLDER, Course, NbgraderError

    config = root / COURSE_FOLDER / CONFIG_FILE
    if not config.is_file():
        # The project ships one nbgrader configuration; the release is built with it or not at all.
        return ReleaseBuild(
            error=f"no {COURSE_FOLDER}/{CONFIG_FILE} in {root}: the release is built with the "
            f"course's own nbgrader configuration (restore it: git checkout -- {COURSE_FOLDER}/{CONFIG_FILE})"
        )
    folder = workdir / COURSE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(config, folder / CONFIG_FILE)
    course = Course(workdir)
    build = ReleaseBuild()
    try:
        release = course.generate(info)
    except NbgraderError as error:
        build.error = str(error)
        return build
    build.release_notebook = str(release)
    build.leaks = _leaks(release)
    submitted = {REFERENCE: course.source(info), STUB: release}
    for student, notebook in submitted.items():
        target = course.submitted() / student / info.slug / notebook.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(notebook, target)
        try:
            course.autograde(info, student)
        except NbgraderError as error:
            build.error = str(error)
            return build
    build.scores = _scores(course.gradebook, info)
    return build


def _leaks(release: Path) -> list[str]:
    cells = json.loads(release.read_text(encoding="utf-8"))["cells"]
    found = []
    for index, cell in enumerate(cells, start=1):
        source = "".join(cell.get("source", ""))
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", f"cell {index}")
        for marker in (SOLUTION_BEGIN, HIDDEN_BEGIN):
            if marker in source:
                found.append(f"{grade_id}: {marker}")
    return found


def _scores(gradebook: Path, info: ModuleInfo) -> dict[str, Score]:
    from nbgrader.api import Gradebook

    from pytest_tinytorch.grading.course import nbgrader_tools

    scores: dict[str, Score] = {}
    with nbgrader_tools(), Gradebook(f"sqlite:///{gradebook}", "tinytorch") as gb:
        for student in (REFERENCE, STUB):
            submission = gb.find_submission(info.slug, student)
            score = Score(student, float(submission.score), float(submission.max_score))
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.max_score:
                        score.cells[grade.name] = [float(grade.score), float(grade.max_score)]
            scores[student] = score
    return scores


# --- the subprocess -----------------------------------------------------------------------------


def run_release_build(ctx: ModuleContext) -> ReleaseBuild:
    """:func:`build_release` for ``ctx``'s module in a subprocess (cached on the context)."""
    if "release" in ctx.cache:
        return ctx.cache["release"]
    workdir = ctx.tmpdir() / "nbgrader-course"
    report = ctx.tmpdir() / "release.json"
    command = [
        sys.executable,
        "-m",
        "pytest_tinytorch.gates.release",
        str(ctx.root),
        ctx.info.slug,
        str(workdir),
        str(report),
    ]
    try:
        done = subprocess.run(command, cwd=ctx.root, env=clean_env(), capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        build = ReleaseBuild(error=f"building and autograding the release took longer than {TIMEOUT:g} s")
    else:
        if report.exists():
            build = _from_json(json.loads(report.read_text(encoding="utf-8")))
        else:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            build = ReleaseBuild(error=f"the release build crashed (exit code {done.returncode}):\n{tail}")
    ctx.cache["release"] = build
    return build


def _from_json(data: dict[str, Any]) -> ReleaseBuild:
    scores = {name: Score(**value) for name, value in data.get("scores", {}).items()}
    return ReleaseBuild(data.get("release_notebook"), data.get("error"), data.get("leaks", []), scores)


def main(argv: list[str]) -> int:
    root, slug, workdir, report = Path(argv[0]), argv[1], Path(argv[2]), Path(argv[3])
    info = Catalog.discover(root).resolve(slug)
    build = build_release(root, info, workdir)
    report.write_text(json.dumps(asdict(build), indent=1), encoding="utf-8")
    return 0


# --- the checks -------------------------------------------------------------------------------------


def nbgrader_release(ctx: ModuleContext) -> Iterator[Finding]:
    build = run_release_build(ctx)
    if build.release_notebook is None:
        yield Violation(
            ctx.where_line(1),
            f"nbgrader could not build the release: {build.error}",
            "fix what nbgrader reports (usually cell metadata), then run the gate again.",
        )
        return
    for leak in build.leaks:
        yield Violation(
            ctx.where_line(1),
            f"the release notebook still contains {leak}.",
            "check that cell's nbgrader metadata (solution / grade) so nbgrader removes it.",
        )


def nbgrader_autograde(ctx: ModuleContext) -> Iterator[Finding]:
    build = run_release_build(ctx)
    if build.error or not build.scores:
        yield Violation(
            ctx.where_line(1),
            f"nbgrader's autograde did not finish: {build.error or 'no scores'}",
            "fix the release build first (release.nbgrader-release).",
        )
        return
    cells = {cell.grade_id: cell for cell in ctx.notebook.cells if cell.grade_id}
    reference, stub = build.scores[REFERENCE], build.scores[STUB]
    if reference.score < reference.max_score:
        lost = [f"{gid} {got:g}/{most:g}" for gid, (got, most) in reference.cells.items() if got < most]
        first = cells.get(lost[0].split()[0]) if lost else None
        yield Violation(
            ctx.where_cell(first) if first else ctx.where_line(1),
            f"nbgrader's autograde gives the reference solution {reference.score:g} of {reference.max_score:g} "
            f"points; it loses points in {', '.join(lost)}.",
            "those tests fail in a Jupyter kernel under nbgrader (where __name__ == '__main__' and cells run in "
            "order): run the notebook top to bottom in Jupyter and fix what fails.",
        )
    if stub.score > 0:
        earned = [f"{gid} {got:g}/{most:g}" for gid, (got, most) in stub.cells.items() if got > 0]
        first = cells.get(earned[0].split()[0]) if earned else None
        yield Violation(
            ctx.where_cell(first) if first else ctx.where_line(1),
            f"nbgrader's autograde gives the unchanged student version {stub.score:g} points ({', '.join(earned)}): "
            "those tests do not test the student's work.",
            "make each graded test call the code the student writes.",
        )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
