"""What every command needs: the course root and catalog, output, and an argparse that suggests."""

from __future__ import annotations

import argparse
import difflib
import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

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


def say(*lines: str) -> None:
    """Print to the student now: flushed, so it stays in order with a subprocess's output."""
    for line in lines:
        print(line, flush=True)


_INVALID_CHOICE = re.compile(r"invalid choice: '?([^'\s]*)'? \(choose from (.*)\)")


class SuggestingParser(argparse.ArgumentParser):
    """argparse, plus "did you mean ...?" for a mistyped command at any level.

    Sub-parsers are created with the parent's class, so every level suggests.
    """

    def error(self, message: str) -> NoReturn:
        match = _INVALID_CHOICE.search(message)
        if match:
            choices = [c.strip().strip("'\"") for c in match.group(2).split(",")]
            close = difflib.get_close_matches(match.group(1), choices, n=1, cutoff=0.5)
            if close:
                message += f"; did you mean '{close[0]}'? (try: {self.prog} {close[0]} --help)"
        super().error(message)


class FileAccessError(TinyTorchError, OSError):
    """A file tito needs could not be read or written (permissions, disk space)."""


Handler = Callable[[argparse.Namespace], int]


def reports_os_errors(handler: Handler) -> Handler:
    """Turn an unexpected OSError into a clear error instead of a traceback."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except TinyTorchError:
            raise
        except OSError as error:
            where = f" ({error.filename})" if error.filename else ""
            raise FileAccessError(
                f"{error.strerror or error}{where}: tito could not read or write a file it needs. "
                "Check the permissions and free disk space there ('tito system health' checks write access)."
            ) from error

    return run
