"""Find the submissions in a folder: one notebook (or percent ``.py``) per student.

Three layouts, told apart by where the files are:

    subs/alice.ipynb                                   flat: the student is the file name
    subs/alice/tensor.ipynb                            a folder per student
    nbgrader/submitted/alice/01_tensor/tensor.ipynb    nbgrader's submitted layout

The student id is the first path component below the folder (``alice``).
When a student's folder holds several notebooks, the one named after the
module (``tensor.ipynb``, or inside ``01_tensor/``) is the submission; if
none is, the submission is ambiguous and reported as such, never guessed.
Nothing here reads more than file names: submissions are parsed later.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from pytest_tinytorch.catalog import ModuleInfo
from pytest_tinytorch.errors import TinyTorchError

SUFFIXES = (".ipynb", ".py")
_SKIP_DIRS = {".ipynb_checkpoints", "__pycache__", ".git", ".tinytorch-grades"}
MAX_BYTES = 16 * 2**20  # a notebook bigger than this is not a course submission


class SubmissionError(TinyTorchError, ValueError):
    """A submissions folder that cannot be graded as given."""


@dataclass(frozen=True)
class Submission:
    """One student's file.  ``problem`` is set when the file cannot be graded."""

    student: str
    path: Path  # absolute
    relative: str  # relative to the submissions folder, for reports
    problem: str = ""

    def read_bytes(self) -> bytes:
        return self.path.read_bytes() if not self.problem else b""


def find_submissions(root: str | Path, module: ModuleInfo) -> list[Submission]:
    """Every student's submission under ``root`` (a folder, or one file), sorted by student."""
    root = Path(root).resolve()
    if root.is_file():
        return [_checked(Submission(root.stem, root, root.name))]
    if not root.is_dir():
        raise SubmissionError(f"submissions={str(root)!r} does not exist; pass a folder of notebooks or one notebook.")
    by_student: dict[str, list[Path]] = {}
    for path in _candidate_files(root):
        student = path.relative_to(root).parts[0]
        if len(path.relative_to(root).parts) == 1:
            student = path.stem
        by_student.setdefault(student, []).append(path)
    found = [_choose(student, paths, root, module) for student, paths in sorted(by_student.items())]
    if not found:
        raise SubmissionError(
            f"no submissions under {root}: expected student.ipynb files, student/ folders, or "
            f"nbgrader's submitted/<student>/{module.slug}/{module.name}.ipynb."
        )
    return found


def _candidate_files(root: Path) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if any(part in _SKIP_DIRS or part.startswith(".") for part in parts):
            continue
        if path.suffix in SUFFIXES and path.is_file() and path.name != "conftest.py":
            found.append(path)
    return found


def _choose(student: str, paths: list[Path], root: Path, module: ModuleInfo) -> Submission:
    if len(paths) > 1:
        named = [p for p in paths if p.stem == module.name or module.slug in p.relative_to(root).parts]
        notebooks = [p for p in named if p.suffix == ".ipynb"] or named
        if len(notebooks) != 1:
            listing = ", ".join(p.relative_to(root).as_posix() for p in paths)
            return Submission(
                student,
                paths[0],
                paths[0].relative_to(root).as_posix(),
                problem=f"{len(paths)} candidate files ({listing}) and none is unambiguously "
                f"{module.name}.ipynb / {module.name}.py; keep one per student.",
            )
        paths = notebooks
    path = paths[0]
    return _checked(Submission(student, path, path.relative_to(root).as_posix()))


def _checked(submission: Submission) -> Submission:
    size = submission.path.stat().st_size
    if size > MAX_BYTES:
        return dataclasses.replace(
            submission,
            problem=f"the file is {size / 2**20:.1f} MiB; submissions over "
            f"{MAX_BYTES // 2**20} MiB are not graded (clear the outputs and resubmit).",
        )
    return submission
