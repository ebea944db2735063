"""Where the course is: the root folder and its module catalog, found once per command."""

from __future__ import annotations

from pathlib import Path

from pytest_tinytorch.catalog import Catalog, find_course_root
from pytest_tinytorch.errors import TinyTorchError


class CourseNotFoundError(TinyTorchError, FileNotFoundError):
    """tito was run outside a course folder."""


def course_root(explicit: str | None) -> Path:
    if explicit:
        root = Path(explicit).resolve()
        if not (root / "modules").is_dir():
            raise CourseNotFoundError(f"root={explicit!r} has no modules/ folder; point --root at the course folder.")
        return root
    found = find_course_root(Path.cwd())
    if found is None:
        raise CourseNotFoundError(
            f"no course folder at or above {Path.cwd()} (looked for a modules/ folder); "
            "cd into the course, or pass --root PATH."
        )
    return found


def load_catalog(explicit_root: str | None) -> Catalog:
    return Catalog.discover(course_root(explicit_root))
