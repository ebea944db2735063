"""Static facts about a module's source that several checks need: its markdown
sections and its ``tinytorch`` imports.  Plain Python; nothing runs."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from pytest_tinytorch.catalog import Catalog, ModuleInfo
from pytest_tinytorch.notebook import Cell, Notebook, parse_cell_code

PACKAGE = "tinytorch"
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\S")


# --- markdown ------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    cell: Cell
    line_in_cell: int
    level: int
    text: str


def markdown_lines(cell: Cell) -> list[tuple[int, str, bool]]:
    """(1-based line, text, inside a fenced code block) for each line of a markdown cell."""
    found, fenced = [], False
    for number, line in enumerate(cell.source.splitlines(), start=1):
        if _FENCE.match(line):
            fenced = not fenced
            found.append((number, line, True))
            continue
        found.append((number, line, fenced))
    return found


def headings(nb: Notebook) -> list[Heading]:
    found = []
    for cell in nb.cells:
        if cell.kind != "markdown":
            continue
        for number, line, fenced in markdown_lines(cell):
            match = None if fenced else _HEADING.match(line)
            if match:
                found.append(Heading(cell, number, len(match.group(1)), match.group(2).strip()))
    return found


def find_heading(nb: Notebook, pattern: str) -> Heading | None:
    """The first heading whose text matches ``pattern`` (a case-insensitive regex)."""
    regex = re.compile(pattern, re.IGNORECASE)
    return next((h for h in headings(nb) if regex.search(h.text)), None)


def section_cells(nb: Notebook, heading: Heading) -> tuple[str, list[Cell]]:
    """The markdown text under ``heading`` in its own cell, and the cells after it in its section.

    A section ends at the next heading of the same or a higher level.
    """
    text_lines: list[str] = []
    for number, line, fenced in markdown_lines(heading.cell):
        if number <= heading.line_in_cell:
            continue
        match = None if fenced else _HEADING.match(line)
        if match and len(match.group(1)) <= heading.level:
            return "\n".join(text_lines), []
        text_lines.append(line)
    cells: list[Cell] = []
    for cell in nb.cells[heading.cell.index :]:
        if cell.kind == "markdown":
            ends = [h for h in headings_in(cell) if h[0] <= heading.level]
            if ends:
                break
        cells.append(cell)
    return "\n".join(text_lines), cells


def headings_in(cell: Cell) -> list[tuple[int, str]]:
    found = []
    for _, line, fenced in markdown_lines(cell):
        match = None if fenced else _HEADING.match(line)
        if match:
            found.append((len(match.group(1)), match.group(2)))
    return found


def has_list_item(text: str) -> bool:
    return any(_LIST_ITEM.match(line) for line in text.splitlines())


# --- tinytorch imports --------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRef:
    """One import of the course package, e.g. ``from tinytorch.core.tensor import Tensor``."""

    cell: Cell
    line_in_cell: int
    path: str  # the imported module path, e.g. "tinytorch.core.tensor"
    candidates: tuple[str, ...]  # dotted paths below tinytorch that it may name, most specific first


def tinytorch_imports(nb: Notebook) -> list[ImportRef]:
    """Every import of ``tinytorch...`` in the code cells (top level or nested), in order."""
    found: list[ImportRef] = []
    for cell in nb.code_cells:
        try:
            tree, _ = parse_cell_code(cell.source)
        except SyntaxError:
            continue
        nodes = sorted((n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))), key=_position)
        for node in nodes:
            found.extend(ImportRef(cell, node.lineno, path, cands) for path, cands in import_targets(node))
    return found


def _position(node: ast.stmt) -> tuple[int, int]:
    return node.lineno, node.col_offset


def import_targets(node: ast.Import | ast.ImportFrom) -> list[tuple[str, tuple[str, ...]]]:
    """(imported path, candidate export paths) for each ``tinytorch`` module an import statement names."""
    prefix = PACKAGE + "."
    if isinstance(node, ast.Import):
        return [(a.name, (a.name[len(prefix) :],)) for a in node.names if a.name.startswith(prefix)]
    if node.level or not node.module or not (node.module == PACKAGE or node.module.startswith(prefix)):
        return []
    base = node.module[len(prefix) :] if node.module != PACKAGE else ""
    found: list[tuple[str, tuple[str, ...]]] = []
    for alias in node.names:
        inner = f"{base}.{alias.name}" if base else alias.name
        found.append((node.module, (inner, base) if base else (inner,)))
    return found


def export_owner(catalog: Catalog, candidates: tuple[str, ...]) -> ModuleInfo | None:
    """The module whose ``#| default_exp`` is (a parent of) one of ``candidates``."""
    exports = {info.default_exp: info for info in catalog if _safe_default_exp(info)}
    for candidate in candidates:
        parts = candidate.split(".")
        for size in range(len(parts), 0, -1):
            owner = exports.get(".".join(parts[:size]))
            if owner is not None:
                return owner
    return None


def is_package_path(catalog: Catalog, candidate: str) -> bool:
    """``core`` is a package path when some module exports below it (``core.tensor``)."""
    return candidate == "" or any((_safe_default_exp(info) or "").startswith(candidate + ".") for info in catalog)


def _safe_default_exp(info: ModuleInfo) -> str | None:
    try:
        return info.default_exp
    except Exception:  # a module that does not parse exports nothing we can know
        return None
