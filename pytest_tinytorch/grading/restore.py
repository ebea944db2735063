"""Put the instructor's locked cells back into a submission, and say what was wrong.

Locked cells (nbgrader ``locked: true``, and every test cell) belong to the
instructor: whatever the student's file holds there, the instructor's copy is
what runs.  Cells are matched by ``grade_id``, as nbgrader does, and each
mismatch becomes a flag:

- **changed**: the cell's text differs from the instructor's (hidden tests
  aside: the student version never had them);
- **stripped**: the cell lost its nbgrader metadata (found by its text or by
  the test functions it defines) or its ``locked`` / ``grade`` / ``points``;
- **removed**: no trace of it; it is put back after the cell it followed in the
  instructor's copy;
- **duplicated**: the same locked cell twice; only the first place is kept.

A cell that claims to be graded but is not in the instructor's copy loses its
grade metadata.  Everything else (the student's solutions, extra cells) is
kept as written and in order.  Plain Python, no pytest: the grading plugin
calls this from its ``pytest_tinytorch_prepare_notebook`` hook.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
from dataclasses import dataclass

from pytest_tinytorch.grading.model import Flag
from pytest_tinytorch.notebook import Cell, Notebook

_HIDDEN_BEGIN = "BEGIN HIDDEN TESTS"  # matched as nbgrader's ClearHiddenTests does: anywhere in a line
_HIDDEN_END = "END HIDDEN TESTS"
_GRADE_KEYS = ("grade", "locked", "points", "solution")


@dataclass(frozen=True)
class Restoration:
    notebook: Notebook
    flags: tuple[Flag, ...]


def is_protected(cell: Cell) -> bool:
    """A cell the student may not change: locked, or an autograder test cell."""
    return cell.kind == "code" and bool(cell.grade_id) and (cell.is_locked or (cell.is_graded and not cell.is_solution))


def without_hidden_tests(source: str) -> str:
    """The cell's text as the student version has it (nbgrader's ClearHiddenTests)."""
    kept, hidden = [], False
    for line in source.split("\n"):
        if _HIDDEN_BEGIN in line:
            hidden = True
        elif _HIDDEN_END in line:
            hidden = False
        elif not hidden:
            kept.append(line)
    return "\n".join(kept)


def _grade_id(cell: Cell) -> str:
    """The grade_id of a cell known to have one (every protected cell does)."""
    if cell.grade_id is None:
        raise ValueError(f"cell {cell.index} has no grade_id")
    return cell.grade_id


def _normalized(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip("\n").splitlines()).strip("\n")


@functools.lru_cache(maxsize=4096)
def _reference_texts(source: str) -> tuple[str, str]:
    return _normalized(source), _normalized(without_hidden_tests(source))


def matches_reference(source: str, reference: Cell) -> bool:
    """Is ``source`` the instructor's cell, as released (hidden tests removed) or in full?"""
    return _normalized(source) in _reference_texts(reference.source)


def _defined_functions(source: str) -> frozenset[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return frozenset()
    return frozenset(node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)))


class _Restorer:
    def __init__(self, submission: Notebook, reference: Notebook) -> None:
        self.sub = submission
        self.ref = reference
        self.protected = {c.grade_id: c for c in reference.cells if is_protected(c)}
        self.ref_order = {c.grade_id: i for i, c in enumerate(reference.cells) if c.grade_id}
        self.ref_meta = {c.grade_id: c.metadata for c in reference.cells if c.grade_id}
        self.present = {c.grade_id for c in submission.cells if c.grade_id in self.protected}
        self.out: list[Cell] = []
        self.placed: set[str] = set()
        self.flags: list[Flag] = []

    def run(self) -> Restoration:
        for cell in self.sub.cells:
            self._place(cell)
        self._insert_missing()
        return Restoration(dataclasses.replace(self.sub, cells=tuple(self.out)), tuple(self.flags))

    def _place(self, cell: Cell) -> None:
        grade_id = cell.grade_id
        if grade_id in self.protected:
            self._place_protected(cell, self.protected[grade_id])
        elif grade_id in self.ref_meta:
            self.out.append(
                dataclasses.replace(cell, metadata={**cell.metadata, "nbgrader": self.ref_meta[grade_id]["nbgrader"]})
            )
        elif cell.kind == "code" and (stripped := self._stripped_match(cell)) is not None:
            self.flags.append(
                Flag(
                    "locked-cell-stripped",
                    f"{stripped.grade_id}: the cell at {self.sub.where_cell(cell)} "
                    "has no nbgrader metadata but is the instructor's cell",
                )
            )
            self._emit_reference(stripped, cell)
        elif cell.is_graded or cell.is_locked:
            what = "graded" if cell.is_graded else "locked"
            self.flags.append(
                Flag(
                    "unknown-graded-cell",
                    f"{self.sub.where_cell(cell)} claims to be {what} "
                    f"(grade_id={grade_id!r}) but the instructor's copy has no such cell",
                )
            )
            self.out.append(
                dataclasses.replace(cell, metadata={k: v for k, v in cell.metadata.items() if k != "nbgrader"})
            )
        else:
            self.out.append(cell)

    def _place_protected(self, cell: Cell, reference: Cell) -> None:
        grade_id = reference.grade_id
        if grade_id in self.placed:
            self.flags.append(
                Flag("locked-cell-duplicated", f"{grade_id}: another copy at {self.sub.where_cell(cell)} was dropped")
            )
            return
        if cell.kind != "code" or not matches_reference(cell.source, reference):
            self.flags.append(
                Flag(
                    "locked-cell-changed",
                    f"{grade_id}: the cell at {self.sub.where_cell(cell)} differs "
                    "from the instructor's; the instructor's version ran",
                )
            )
        elif any(cell.nbgrader.get(key) != reference.nbgrader.get(key) for key in _GRADE_KEYS):
            self.flags.append(
                Flag(
                    "locked-cell-stripped",
                    f"{grade_id}: the cell at {self.sub.where_cell(cell)} lost "
                    "part of its nbgrader metadata (grade/locked/points)",
                )
            )
        self._emit_reference(reference, cell)

    def _stripped_match(self, cell: Cell) -> Cell | None:
        """The missing protected cell this metadata-less cell is, if any."""
        candidates = [ref for gid, ref in self.protected.items() if gid not in self.present and gid not in self.placed]
        for ref in candidates:
            if matches_reference(cell.source, ref):
                return ref
        names = _defined_functions(cell.source)
        for ref in candidates:
            tests = {n for n in _defined_functions(ref.source) if n.startswith("test_")}
            if tests and tests <= names:
                return ref
        return None

    def _emit_reference(self, reference: Cell, at: Cell) -> None:
        """The instructor's cell, at the student's cell's place (index and lines)."""
        self.placed.add(_grade_id(reference))
        self.out.append(
            dataclasses.replace(reference, index=at.index, first_line=at.first_line, header_line=at.header_line)
        )

    def _insert_missing(self) -> None:
        next_index = max((c.index for c in self.sub.cells), default=0) + 1
        for reference in self.ref.cells:
            if reference.grade_id not in self.protected or reference.grade_id in self.placed:
                continue
            position = self._position_after_predecessor(reference)
            self.flags.append(
                Flag(
                    "locked-cell-removed",
                    f"{reference.grade_id}: not in the submission; the instructor's cell was put back",
                )
            )
            self.placed.add(_grade_id(reference))
            # Lines past the end of the file: never confused with the student's own lines.
            restored = dataclasses.replace(
                reference, index=next_index, first_line=10**6 + next_index * 10**4, header_line=0
            )
            self.out.insert(position, restored)
            next_index += 1

    def _position_after_predecessor(self, reference: Cell) -> int:
        target = self.ref_order[_grade_id(reference)]
        position = 0
        for i, cell in enumerate(self.out):
            if cell.grade_id in self.ref_order and self.ref_order[cell.grade_id] < target:
                position = i + 1
        return position


def restore_locked_cells(submission: Notebook, reference: Notebook) -> Restoration:
    """The submission with every locked cell taken from ``reference``, and what differed."""
    return _Restorer(submission, reference).run()
