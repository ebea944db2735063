"""Which modules a module builds on, derived from its own imports.

A module's prerequisites are the modules whose exports it imports
(``from tinytorch.core.tensor import Tensor`` -> the module whose
``#| default_exp`` is ``core.tensor``), followed transitively.  Nothing is
hand-maintained: the imports are the truth, because an import of a module
that is not exported yet is exactly what breaks a student's tests.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from pytest_tinytorch.catalog import Catalog, ModuleInfo
from pytest_tinytorch.errors import NotebookFormatError
from pytest_tinytorch.export import PACKAGE
from pytest_tinytorch.notebook import parse_cell_code, read_notebook


def imported_names(info: ModuleInfo) -> list[str]:
    """Every ``tinytorch.*`` module the module's code cells import, in order of appearance."""
    try:
        nb = read_notebook(info.source)
    except (NotebookFormatError, OSError):
        return []
    found: dict[str, None] = {}
    for cell in nb.code_cells:
        try:
            tree, _ = parse_cell_code(cell.source)
        except SyntaxError:
            continue  # a broken cell reports itself when the module runs
        for name in _tinytorch_imports(tree):
            found[name] = None
    return list(found)


def _tinytorch_imports(tree: ast.Module) -> Iterator[str]:
    # Walk the whole tree: imports inside test functions are dependencies too.
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.startswith(f"{PACKAGE}."))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.startswith(f"{PACKAGE}."):
                yield node.module
            if node.module == PACKAGE or node.module.startswith(f"{PACKAGE}."):  # from tinytorch.core import tensor
                yield from (f"{node.module}.{alias.name}" for alias in node.names)


class Dependencies:
    """The import graph of a catalog's modules, read once."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._direct: dict[ModuleInfo, dict[ModuleInfo, list[str]]] = {}

    def direct(self, info: ModuleInfo) -> dict[ModuleInfo, list[str]]:
        """The modules ``info`` imports directly, each with the import names that need it."""
        if info not in self._direct:
            found: dict[ModuleInfo, list[str]] = {}
            for name in imported_names(info):
                owner = self.catalog.by_export(name.removeprefix(f"{PACKAGE}."))
                if owner is not None and owner != info:
                    found.setdefault(owner, []).append(name)
            self._direct[info] = found
        return self._direct[info]

    def prerequisites(self, info: ModuleInfo) -> list[ModuleInfo]:
        """Every module ``info`` builds on, directly or through another, in course order."""
        seen: set[ModuleInfo] = set()
        todo = [info]
        while todo:
            for needed in self.direct(todo.pop()):
                if needed not in seen and needed != info:
                    seen.add(needed)
                    todo.append(needed)
        return sorted(seen, key=lambda m: m.number)

    def dependents(self, info: ModuleInfo) -> list[ModuleInfo]:
        """The modules that build on ``info`` (directly or not), in course order."""
        return [other for other in self.catalog if other != info and info in self.prerequisites(other)]
