"""Run a module notebook's cells in-process, in a fresh module object.

The module gets a real entry in ``sys.modules`` (so dataclasses, pickling
and ``inspect`` work), a ``__name__`` that is not ``"__main__"`` (so the
``if __name__ == "__main__":`` test calls stay quiet), and cell code
compiled with the file's real line numbers and pytest's assertion
rewriting, so a failing ``assert`` points at the right line and shows its
values.  No pytest import at module level: this is plain Python, and the
rewriter is used only when pytest is present.
"""

from __future__ import annotations
import __future__

import ast
import hashlib
import linecache
import re
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from pytest_tinytorch.errors import TinyTorchError
from pytest_tinytorch.notebook import Cell, Notebook, parse_cell_code
from pytest_tinytorch.timeout import deadline


@dataclass(frozen=True)
class Location:
    """A place in a notebook: a cell and a 1-based line within it."""

    cell: Cell
    line_in_cell: int


class CellExecutionError(TinyTorchError, RuntimeError):
    """A non-test cell raised while the module was being run."""

    def __init__(self, nb: Notebook, location: Location | None, error: BaseException) -> None:
        self.nb = nb
        self.location = location
        self.error = error
        super().__init__(self.describe())

    def describe(self) -> str:
        # A kernel error carries the kernel's exception name and message.
        kind = getattr(self.error, "ename", None) or type(self.error).__name__
        detail = getattr(self.error, "evalue", None)
        if detail is None:
            detail = self.error.msg if isinstance(self.error, SyntaxError) else str(self.error)
        where = "while running the module"
        if self.location is not None:
            where = (
                f"in cell {self.location.cell.index} ({self.nb.where(self.location.cell, self.location.line_in_cell)})"
            )
        hint = _HINTS.get(kind, "")
        return f"{kind}: {detail}\n  raised {where}{hint}"


_HINTS = {
    "NotImplementedError": "\n  a solution here is not written yet: replace `raise NotImplementedError()` with your code.",
    "NameError": "\n  a name is used before it is defined: run the cells above it, or check the spelling.",
    "SyntaxError": "\n  this cell is not valid Python; fix the marked line.",
    "ModuleNotFoundError": "\n  an import failed: is the earlier module it needs completed and exported?",
    "ImportError": "\n  an import failed: is the earlier module it needs completed and exported?",
}


@dataclass
class SkippedMagic:
    location: Location
    text: str


@dataclass
class _Compiled:
    cell: Cell
    code: types.CodeType | None
    error: SyntaxError | None = None
    magics: list[tuple[int, str]] = field(default_factory=list)


def module_name_for(path: Path) -> str:
    """A unique, importable-looking name for one notebook's module object."""
    stem = re.sub(r"\W", "_", path.stem)
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]
    return f"_tinytorch_nb_{stem}_{digest}"


def cell_filename(nb: Notebook, cell: Cell) -> str:
    """The filename tracebacks show for a cell's code.

    A ``.py`` module's cells use the real file (so editors and linecache
    find the lines); an ``.ipynb`` cell gets a name that says which cell.
    """
    if nb.fmt == "percent":
        return str(nb.path)
    return f"{nb.path}[cell {cell.index}]"


def rewrite_assertions(tree: ast.Module, source: str, filename: str, config: Any = None) -> None:
    """Apply pytest's assertion rewriting to a cell's syntax tree, if pytest is here.

    This is the one use of pytest internals in the harness: pytest exposes
    rewriting only for importable modules, and notebook cells are not files.
    If the function ever moves, asserts still work, just with plain messages.
    """
    try:
        from _pytest.assertion.rewrite import rewrite_asserts
    except ImportError:  # pragma: no cover - pytest is a dependency
        return
    rewrite_asserts(tree, source.encode("utf-8"), filename, config)
    _complete_end_positions(tree)


def _complete_end_positions(tree: ast.AST) -> None:
    """Give nodes the rewriter inserted (its imports) an end position.

    Without one, ``ast.fix_missing_locations`` (IPython calls it) fills in
    line 1, an end before the start, and compiling the cell then fails.
    """
    for node in ast.walk(tree):
        if isinstance(node, (ast.stmt, ast.expr, ast.alias)) and node.end_lineno is None:
            node.end_lineno = node.lineno
            node.end_col_offset = node.col_offset


class PackageSnapshot:
    """The attributes of a package's modules and classes, to undo a notebook's patches.

    Module 05 upgrades Tensor's methods in place (``Tensor.__add__ = ...``);
    run in-process, that would outlive the notebook and leak into every later
    module of the same pytest run (a stub version would break them all).
    Restoring rebinds every attribute whose identity changed, removes added
    ones, and puts back deleted ones; modules of the package that the
    notebook imported for the first time are dropped, so the next import
    loads them fresh.  In-place mutation of a mutable value is not undone.
    """

    def __init__(self, package: str) -> None:
        self._package = package
        self._saved: dict[Any, dict[str, Any]] = {}
        self._imported_before = set(self._package_modules())
        for name in self._imported_before:
            module = sys.modules[name]
            self._saved[module] = dict(vars(module))
            for value in list(vars(module).values()):
                if isinstance(value, type) and value.__module__ == name:
                    self._saved[value] = dict(vars(value))

    def _package_modules(self) -> list[str]:
        prefix = self._package + "."
        return [n for n, m in list(sys.modules.items()) if m is not None and (n == self._package or n.startswith(prefix))]

    def restore(self) -> None:
        for name in self._package_modules():
            if name not in self._imported_before:
                del sys.modules[name]
        for owner, saved in self._saved.items():
            current = vars(owner)
            for key in [k for k in current if k not in saved]:
                delattr(owner, key)
            for key, value in saved.items():
                if current.get(key, _MISSING) is not value and key not in ("__dict__", "__weakref__"):
                    setattr(owner, key, value)


_MISSING = object()


def imports_package(nb: Notebook, package: str = "tinytorch") -> bool:
    """Does any code cell import ``package`` (``import tinytorch...`` / ``from tinytorch... import``)?"""
    pattern = re.compile(rf"^\s*(?:from|import)\s+{re.escape(package)}\b", re.MULTILINE)
    return any(pattern.search(cell.source) for cell in nb.code_cells)


def loaded_package_files(package: str = "tinytorch") -> list[str]:
    """The files of every loaded module of ``package`` (the package and its submodules)."""
    prefix = package + "."
    return sorted(
        str(getattr(module, "__file__", None))
        for name, module in list(sys.modules.items())
        if (name == package or name.startswith(prefix)) and getattr(module, "__file__", None)
    )


def package_location_problem(package_files: list[str], root: Path | None, package: str = "tinytorch") -> str | None:
    """Why the loaded package is not (all) the course's own, or None if it is.

    Every submodule is checked, not only the package: an editable install's
    import finder can serve a submodule the course has not exported yet from
    another checkout, while ``tinytorch/__init__.py`` itself is the course's.
    """
    if root is None:
        return None
    base = root.resolve()
    foreign = [Path(f).resolve() for f in package_files if not Path(f).resolve().is_relative_to(base)]
    if not foreign:
        return None
    own = root / package
    has_own = f"this course's own package is at {own}" if own.is_dir() else f"this course has no {package}/ yet"
    return (
        f"the module imported {package} code from {foreign[0]}, not from the course at {root} ({has_own}). "
        f"Its tests ran against that code. Run from the course folder, complete and export the earlier "
        f"modules there (tito module complete NN), or install the course with 'pip install -e {root}'."
    )


class InProcessExecutor:
    """Runs one notebook's cells in this process and calls its tests by name."""

    kind = "in-process"

    def __init__(
        self,
        nb: Notebook,
        *,
        rewrite: bool = True,
        timeout: float | None = None,
        config: Any = None,
        isolate_package: str | None = "tinytorch",
        course_root: Path | None = None,
    ):
        self.nb = nb
        self.rewrite = rewrite
        self.timeout = timeout
        self.config = config
        self.isolate_package = isolate_package
        self.name = module_name_for(nb.path)
        self.module: types.ModuleType | None = None
        self.skipped_magics: list[SkippedMagic] = []
        self._ipynb_files: list[str] = []
        self._snapshot: PackageSnapshot | None = None
        self.course_root = course_root
        self._added_path: str | None = None
        self.package_problem: str | None = None

    # -- running the module -------------------------------------------------

    def start(self) -> None:
        """Run every code cell in order; raise :class:`CellExecutionError` on the first failure."""
        if self.isolate_package:
            self._snapshot = PackageSnapshot(self.isolate_package)
        self._put_course_first()
        module = types.ModuleType(self.name)
        module.__file__ = str(self.nb.path)
        sys.modules[self.name] = module
        self.module = module
        flags = 0
        with deadline(self.timeout, f"Running the cells of {self.nb.path.name}"):
            for cell in self.nb.code_cells:
                compiled = self._compile(cell, flags)
                if compiled.error is not None:
                    line = compiled.error.lineno or 1
                    raise CellExecutionError(self.nb, Location(cell, line), compiled.error)
                assert compiled.code is not None  # no error means it compiled
                flags |= _future_flags(compiled.code)
                self.skipped_magics += [SkippedMagic(Location(cell, n), t) for n, t in compiled.magics]
                try:
                    exec(compiled.code, module.__dict__)
                except Exception as error:  # any failure in a cell stops the module
                    raise CellExecutionError(self.nb, self.locate_error(error, cell), error) from error
        if self.isolate_package and imports_package(self.nb, self.isolate_package):
            files = loaded_package_files(self.isolate_package)
            self.package_problem = package_location_problem(files, self.course_root, self.isolate_package)

    def _put_course_first(self) -> None:
        """Make ``import tinytorch`` find the course's own package, however pytest was started."""
        if self.course_root is None:
            return
        entry = str(self.course_root)
        if entry not in sys.path:
            sys.path.insert(0, entry)
            self._added_path = entry

    def _compile(self, cell: Cell, flags: int) -> _Compiled:
        try:
            tree, magics = parse_cell_code(cell.source)
        except SyntaxError as error:
            return _Compiled(cell, None, error)
        filename = cell_filename(self.nb, cell)
        if self.nb.fmt == "percent":
            ast.increment_lineno(tree, cell.first_line - 1)
        else:
            self._register_source(filename, cell.source)
        if self.rewrite:
            # The rewriter may look lines up in the source (the assertion-pass
            # hook does), so give it text whose line numbers match the tree's.
            padding = "\n" * (cell.first_line - 1) if self.nb.fmt == "percent" else ""
            rewrite_assertions(tree, padding + cell.source, filename, self.config)
        code = compile(tree, filename, "exec", flags=flags, dont_inherit=True)
        return _Compiled(cell, code, magics=magics)

    def _register_source(self, filename: str, source: str) -> None:
        lines = [line + "\n" for line in source.splitlines()]
        linecache.cache[filename] = (len(source), None, lines, filename)
        self._ipynb_files.append(filename)

    # -- running a test -----------------------------------------------------

    def run_test(self, name: str) -> None:
        """Call the test function ``name`` defined by the module's cells."""
        __tracebackhide__ = True
        if self.module is None:
            raise RuntimeError("start() must run before run_test()")
        function = self.module.__dict__.get(name)
        if not callable(function):
            raise MissingTestError(
                f"{name} is not defined after running the module's cells; it may be defined inside "
                "an if-block, deleted, or overwritten by a later cell."
            )
        with deadline(self.timeout, name):
            function()

    # -- mapping tracebacks back to cells -----------------------------------

    def locate(self, filename: str, lineno: int) -> Location | None:
        """The cell and cell line for a traceback entry, if it is notebook code."""
        if self.nb.fmt == "percent":
            if filename != str(self.nb.path):
                return None
            for cell in reversed(self.nb.code_cells):
                if cell.first_line <= lineno:
                    return Location(cell, lineno - cell.first_line + 1)
            return None
        for cell in self.nb.code_cells:
            if filename == cell_filename(self.nb, cell):
                return Location(cell, lineno)
        return None

    def locate_error(self, error: BaseException, default: Cell | None = None) -> Location | None:
        """The deepest notebook line an exception passed through."""
        if isinstance(error, SyntaxError) and error.filename:
            found = self.locate(error.filename, error.lineno or 1)
            if found:
                return found
        found = None
        tb: TracebackType | None = error.__traceback__
        while tb is not None:
            here = self.locate(tb.tb_frame.f_code.co_filename, tb.tb_lineno)
            found = here or found
            tb = tb.tb_next
        return found or (Location(default, 1) if default else None)

    def close(self) -> None:
        if self._added_path is not None and self._added_path in sys.path:
            sys.path.remove(self._added_path)
            self._added_path = None
        if self._snapshot is not None:
            self._snapshot.restore()
            self._snapshot = None
        sys.modules.pop(self.name, None)
        for filename in self._ipynb_files:
            linecache.cache.pop(filename, None)
        self.module = None


class MissingTestError(TinyTorchError, LookupError):
    """A collected test function does not exist once the module has run."""


def _future_flags(code: types.CodeType | None) -> int:
    """Compiler flags of ``from __future__`` imports, carried into later cells as IPython does."""
    if code is None:
        return 0
    flags = 0
    for feature in __future__.all_feature_names:
        flag = getattr(__future__, feature).compiler_flag
        if code.co_flags & flag:
            flags |= flag
    return flags
