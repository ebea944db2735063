"""Turn a failed inline test into a report that points at the notebook.

Shows each notebook line the error passed through (file:line or cell and
line), the cell's numbered source around it, and the exception with the
values pytest's assertion rewriting recorded.  Plain Python: the pytest
item calls :func:`describe_failure` from ``repr_failure``.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from pytest_tinytorch.execute import CellExecutionError, Location
from pytest_tinytorch.notebook import Cell, Notebook

Locator = Callable[[str, int], "Location | None"]

CONTEXT_BEFORE = 6
CONTEXT_AFTER = 2


def numbered_source(
    nb: Notebook, cell: Cell, line_in_cell: int, first: int | None = None, after: int = CONTEXT_AFTER
) -> list[str]:
    """The cell's lines from ``first`` (default: a few above) to just after ``line_in_cell``."""
    lines = cell.source.splitlines()
    start = max(1, first if first is not None else line_in_cell - CONTEXT_BEFORE, line_in_cell - 12)
    stop = min(len(lines), line_in_cell + after)
    width = len(str(cell.file_line(stop) if nb.fmt == "percent" else stop))
    out = []
    for number in range(start, stop + 1):
        shown = cell.file_line(number) if nb.fmt == "percent" else number
        mark = ">" if number == line_in_cell else " "
        out.append(f"{mark} {shown:>{width}} | {lines[number - 1]}")
    return out


@dataclass(frozen=True)
class Frame:
    location: Location | None  # None: not notebook code (NumPy, the standard library, ...)
    function: str
    filename: str
    lineno: int
    function_start: Location | None  # where the function's ``def`` is, for context


def _frames(tb: TracebackType | None, locate: Locator) -> list[Frame]:
    frames = []
    while tb is not None:
        code = tb.tb_frame.f_code
        if not tb.tb_frame.f_locals.get("__tracebackhide__", False):
            frames.append(
                Frame(
                    locate(code.co_filename, tb.tb_lineno),
                    code.co_name,
                    code.co_filename,
                    tb.tb_lineno,
                    locate(code.co_filename, code.co_firstlineno),
                )
            )
        tb = tb.tb_next
    return frames


def describe_failure(nb: Notebook, locate: Locator, test_name: str, error: BaseException) -> str:
    """The failure report for ``test_name``, which raised ``error``.

    The first line is the exception and where it happened (pytest's short
    summary shows it); then every notebook line it passed through, with
    context; then the full exception text.
    """
    frames = _frames(error.__traceback__, locate)
    in_notebook = [f for f in frames if f.location is not None]
    summary = exception_text(error).splitlines()[0] if exception_text(error) else type(error).__name__
    where = ""
    if in_notebook:
        last = in_notebook[-1].location
        assert last is not None
        place = nb.where(last.cell, last.line_in_cell)
        where = f" ({place}, cell {last.cell.index})" if nb.fmt == "percent" else f" ({place})"
    out = [f"{summary}{where}", ""]
    for frame in in_notebook:
        location = frame.location
        assert location is not None
        first = None
        if frame.function_start and frame.function_start.cell is location.cell and frame.function != "<module>":
            first = frame.function_start.line_in_cell
        out.append(
            f"{nb.where(location.cell, location.line_in_cell)}: in {frame.function} (cell {location.cell.index})"
        )
        out.extend("    " + line for line in numbered_source(nb, location.cell, location.line_in_cell, first))
    if frames and frames[-1].location is None:
        out.append(f"  ... raised from {frames[-1].filename}:{frames[-1].lineno} in {frames[-1].function}")
    out.extend("E   " + line for line in exception_text(error).splitlines())
    return "\n".join(out)


def exception_text(error: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(error), error)).rstrip()


def describe_module_error(error: CellExecutionError) -> str:
    """Why none of a module's tests could run: the cell that failed, and where."""
    nb = error.nb
    out = [
        f"{nb.path.name}: the module's cells did not run, so none of its tests can.",
        "",
        str(error),
    ]
    if error.location is not None:
        cell, line = error.location.cell, error.location.line_in_cell
        out += ["", f"cell {cell.index} ({nb.where(cell, line)}):"]
        out += ["    " + text for text in numbered_source(nb, cell, line)]
    kernel_traceback = getattr(error.error, "traceback", None)
    if isinstance(kernel_traceback, str):
        out += ["", kernel_traceback.rstrip()]
    out += ["", "Fix that cell (run the notebook top to bottom to check), then run the tests again."]
    return "\n".join(out)
