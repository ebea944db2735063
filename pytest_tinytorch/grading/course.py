"""The nbgrader course: its folder, its configuration, and nbgrader's own steps run on it.

The course folder is ``<course root>/nbgrader/`` with the project's
``nbgrader_config.py``; everything else in it is nbgrader's standard layout
(``source/``, ``release/``, ``submitted/``, ``autograded/``, ``feedback/``,
``gradebook.db``, ``exchange/``).  ``tito nbgrader generate`` writes
``source/NN_name/name.ipynb`` from ``modules/`` and then runs nbgrader's
``generate_assignment``; the other steps are nbgrader's, through its
``NbGraderAPI``.  An instructor can equally ``cd nbgrader`` and run
``nbgrader generate_assignment 01_tensor`` or ``nbgrader autograde 01_tensor``.

:func:`student_preprocessors` is the one definition of how a student version
is made, shared with :mod:`pytest_tinytorch.student`: nbgrader's own
``GenerateAssignment`` list, minus the one step that needs a gradebook.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pytest_tinytorch.catalog import ModuleInfo
from pytest_tinytorch.errors import TinyTorchError
from pytest_tinytorch.fsutil import atomic_write_text

COURSE_FOLDER = "nbgrader"
CONFIG_FILE = "nbgrader_config.py"


class NbgraderError(TinyTorchError, RuntimeError):
    """An nbgrader step failed; the message carries nbgrader's own log."""


@contextmanager
def nbgrader_tools() -> Iterator[None]:
    """What nbgrader needs around it: its ``alembic`` on PATH, and its own warnings kept to itself.

    nbgrader runs ``alembic`` from PATH when it creates a gradebook, and warns
    about its dependencies' deprecated calls; neither should fail a run.
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


def student_preprocessors() -> list[Any]:
    """The preprocessors that make a student version, in nbgrader's order.

    Taken from nbgrader's ``GenerateAssignment`` itself (so an nbgrader upgrade
    is followed), without ``SaveCells``, which records the cells in a
    gradebook and is the only step that needs one.
    """
    from nbgrader.converters import GenerateAssignment
    from nbgrader.preprocessors import SaveCells

    classes = GenerateAssignment.class_traits()["preprocessors"].default()
    return [cls() for cls in classes if cls is not SaveCells]


class Course:
    """An nbgrader course folder with the project's configuration."""

    def __init__(self, root: str | Path) -> None:
        self.folder = Path(root).resolve() / COURSE_FOLDER
        if not (self.folder / CONFIG_FILE).is_file():
            raise NbgraderError(
                f"no {CONFIG_FILE} in {self.folder}; the course ships one in nbgrader/ (restore it from the "
                "repository: git checkout -- nbgrader/nbgrader_config.py)."
            )

    @property
    def gradebook(self) -> Path:
        return self.folder / "gradebook.db"

    def source(self, module: ModuleInfo) -> Path:
        return self.folder / "source" / module.slug / f"{module.name}.ipynb"

    def release_notebook(self, module: ModuleInfo) -> Path:
        return self.folder / "release" / module.slug / f"{module.name}.ipynb"

    def submitted(self) -> Path:
        return self.folder / "submitted"

    # -- nbgrader's API ------------------------------------------------------------------

    def config(self) -> Any:
        from traitlets.config.loader import PyFileConfigLoader

        return PyFileConfigLoader(CONFIG_FILE, path=str(self.folder)).load_config()

    @contextmanager
    def api(self) -> Iterator[Any]:
        """nbgrader's ``NbGraderAPI`` for this course, run from the course folder as ``nbgrader`` would be."""
        with nbgrader_tools():
            from nbgrader.apps.api import NbGraderAPI
            from nbgrader.coursedir import CourseDirectory

            config = self.config()
            (self.folder / "exchange").mkdir(exist_ok=True)
            previous = Path.cwd()
            os.chdir(self.folder)
            try:
                yield NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
            finally:
                os.chdir(previous)

    def _check(self, step: str, result: dict[str, Any]) -> str:
        if not result.get("success"):
            log = (result.get("log") or "").strip()[-3000:]
            error = (result.get("error") or "").strip()[-3000:]
            raise NbgraderError(f"nbgrader {step} failed in {self.folder}:\n{error or log}")
        return result.get("log") or ""

    # -- the steps --------------------------------------------------------------------------

    def write_source(self, module: ModuleInfo) -> Path:
        """``source/NN_name/name.ipynb`` from the module's percent file (the instructor's version)."""
        import jupytext

        target = self.source(module)
        atomic_write_text(target, jupytext.writes(jupytext.read(module.source), fmt="ipynb"))
        return target

    def generate(self, module: ModuleInfo) -> Path:
        """Write the source notebook, then run nbgrader's generate_assignment on it."""
        self.write_source(module)
        with self.api() as api:
            self._check(
                f"generate_assignment {module.slug}", api.generate_assignment(module.slug, force=True, create=True)
            )
        return self.release_notebook(module)

    def release(self, module: ModuleInfo) -> str:
        with self.api() as api:
            return self._check(f"release_assignment {module.slug}", api.release_assignment(module.slug))

    def collect(self, module: ModuleInfo) -> str:
        with self.api() as api:
            return self._check(f"collect {module.slug}", api.collect(module.slug, update=True))

    def autograde(self, module: ModuleInfo, student: str = "*") -> str:
        """nbgrader's own autograder (a kernel per submission), for every student by default."""
        with self.api() as api:
            return self._check(f"autograde {module.slug}", api.autograde(module.slug, student, force=True, create=True))

    def feedback(self, module: ModuleInfo, student: str | None = None) -> str:
        with self.api() as api:
            return self._check(
                f"generate_feedback {module.slug}", api.generate_feedback(module.slug, student, force=True)
            )
