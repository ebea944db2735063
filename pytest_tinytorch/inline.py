"""Find a module's inline tests without running anything.

The rules (MODULE_FORMAT.md, "Inline tests"): ``test_unit_*`` and
``test_module`` functions defined at the top level of any code cell, and
any top-level ``test_*`` function in a graded cell, are tests.  Several
tests in one graded cell split that cell's points equally, so the cell's
total is what the module declares.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import dataclass

from pytest_tinytorch.errors import NotebookFormatError
from pytest_tinytorch.notebook import HIDDEN_BEGIN, HIDDEN_END, Cell, Notebook, parse_cell_code

# Fallback for cells that are not valid Python (the error surfaces when the
# module runs); we still want their tests to exist as items that then error.
_DEF_LINE = re.compile(r"^def\s+(test_\w+)\s*\(", re.MULTILINE)


@dataclass(frozen=True)
class InlineTest:
    """One test function in a module notebook."""

    name: str
    cell: Cell
    line_in_cell: int  # 1-based line of the ``def`` within the cell
    end_line_in_cell: int
    points: float  # this test's share of its graded cell's points (0 if ungraded)
    hidden: bool  # defined (partly) inside a BEGIN/END HIDDEN TESTS block

    @property
    def grade_id(self) -> str | None:
        return self.cell.grade_id if self.cell.is_graded else None

    @property
    def graded(self) -> bool:
        return self.cell.is_graded


def is_inline_test_name(name: str, graded_cell: bool) -> bool:
    if name == "test_module" or name.startswith("test_unit_"):
        return True
    return graded_cell and name.startswith("test_")


def find_tests(nb: Notebook) -> list[InlineTest]:
    """Every inline test of ``nb``, in notebook order.

    Raises :class:`NotebookFormatError` for duplicate ``grade_id`` values and
    for a test name defined twice (the second definition would silently
    replace the first, so one of them would never run).
    """
    check_grade_ids(nb)
    tests: list[InlineTest] = []
    for cell in nb.code_cells:
        found = _tests_in_cell(cell)
        share = cell.points / len(found) if found and cell.is_graded else 0.0
        hidden_spans = _hidden_spans(cell.source)
        for name, start, end in found:
            hidden = any(lo <= end and start <= hi for lo, hi in hidden_spans)
            tests.append(InlineTest(name, cell, start, end, share, hidden))
    _check_unique_names(nb, tests)
    return tests


def _tests_in_cell(cell: Cell) -> list[tuple[str, int, int]]:
    try:
        tree, _ = parse_cell_code(cell.source)
    except SyntaxError:
        return [
            (m.group(1), cell.source.count("\n", 0, m.start()) + 1, cell.source.count("\n", 0, m.start()) + 1)
            for m in _DEF_LINE.finditer(cell.source)
            if is_inline_test_name(m.group(1), cell.is_graded)
        ]
    return [
        (node.name, _first_line(node), node.end_lineno or node.lineno)
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and is_inline_test_name(node.name, cell.is_graded)
    ]


def _first_line(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    return min([node.lineno, *(d.lineno for d in node.decorator_list)])


def _hidden_spans(source: str) -> list[tuple[int, int]]:
    spans, start = [], None
    for number, line in enumerate(source.splitlines(), start=1):
        stripped = line.strip()
        if stripped == HIDDEN_BEGIN:
            start = number
        elif stripped == HIDDEN_END and start is not None:
            spans.append((start, number))
            start = None
    return spans


def check_grade_ids(nb: Notebook) -> None:
    counts = Counter(cell.grade_id for cell in nb.cells if cell.grade_id)
    duplicates = [grade_id for grade_id, n in counts.items() if n > 1]
    if not duplicates:
        return
    lines = []
    for grade_id in duplicates:
        places = ", ".join(nb.where_cell(c) for c in nb.cells if c.grade_id == grade_id)
        lines.append(f"  grade_id={grade_id!r} is used by {counts[grade_id]} cells: {places}")
    raise NotebookFormatError(
        f"{nb.path}: duplicate nbgrader grade_id values (grading matches cells by grade_id, "
        "so each must be unique within the module):\n" + "\n".join(lines) + "\nRename all but one of each."
    )


def _check_unique_names(nb: Notebook, tests: list[InlineTest]) -> None:
    counts = Counter(test.name for test in tests)
    duplicates = [name for name, n in counts.items() if n > 1]
    if duplicates:
        name = duplicates[0]
        places = ", ".join(nb.where(t.cell, t.line_in_cell) for t in tests if t.name == name)
        raise NotebookFormatError(
            f"{nb.path}: test function {name!r} is defined {counts[name]} times ({places}); "
            "the later definition replaces the earlier one, so one of them would never run. "
            "Give each test its own name."
        )
