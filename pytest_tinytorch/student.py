"""Generate the student version of a module with nbgrader's own preprocessors.

The steps ``nbgrader generate_assignment`` runs on a notebook (taken from
nbgrader itself, in :func:`pytest_tinytorch.grading.course.student_preprocessors`):
validate the nbgrader metadata, lock read-only and test cells, replace each
``### BEGIN SOLUTION`` block with ``raise NotImplementedError()``, remove
hidden tests, clear outputs, and checksum the locked cells (so tampering
can be detected at grading time).  Never hand-written, never a copy of
the reference.

nbgrader takes about a second to import, so everything here is imported
on first use; the pytest plugin never loads this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_tinytorch.errors import NotebookFormatError
from pytest_tinytorch.fsutil import atomic_write_text
from pytest_tinytorch.notebook import SOLUTION_BEGIN, Notebook


def _preprocessors() -> list[Any]:
    # One definition, shared with `tito nbgrader generate`: nbgrader's own
    # GenerateAssignment steps, in its order (see grading/course.py).
    from pytest_tinytorch.grading.course import student_preprocessors

    return student_preprocessors()


def read_as_notebook(source: str | Path) -> Any:
    """Read a percent ``.py`` or an ``.ipynb`` as an nbformat notebook (through jupytext)."""
    import jupytext

    return jupytext.read(Path(source))


def student_notebook(source: str | Path) -> Any:
    """The student version of ``source`` as an nbformat notebook."""
    nb = read_as_notebook(source)
    resources: dict[str, Any] = {"language": "python"}
    try:
        for step in _preprocessors():
            nb, resources = step.preprocess(nb, resources)
    except Exception as error:  # nbgrader raises bare RuntimeErrors for bad metadata
        raise NotebookFormatError(f"{source}: nbgrader could not generate the student version: {error}") from error
    return nb


def write_student_version(source: str | Path, target: str | Path) -> Path:
    """Write the student version of ``source`` to ``target`` (``.ipynb`` or percent ``.py``)."""
    import jupytext

    target = Path(target)
    nb = student_notebook(source)
    fmt = "ipynb" if target.suffix == ".ipynb" else "py:percent"
    atomic_write_text(target, jupytext.writes(nb, fmt=fmt))
    return target


def has_solutions(nb: Notebook) -> bool:
    """Does this notebook still contain reference solutions?"""
    return any(SOLUTION_BEGIN in cell.source for cell in nb.code_cells)
