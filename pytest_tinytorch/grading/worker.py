"""The harness inside one worker process: run a submission's cells and its graded tests.

Like a Jupyter kernel running the notebook top to bottom, every code cell runs
in order and a cell that raises does not stop the next one (nbgrader's
semantics, so partial work earns partial credit).  Each graded test is called
right after the cell that defines it, in the state the notebook has at that
point, with a per-test deadline.  Tests are the function objects the
instructor's cell created, captured when it ran: a later cell cannot delete
or redefine them.

The worker only *reports*: one record per cell and per test (:mod:`protocol`).
The parent decides scores, and also decides what happened when the worker
never reports (it hung, exited or crashed).  ``__name__`` is not
``"__main__"``, so ``if __name__ == "__main__": test_x()`` lines stay quiet.
"""

from __future__ import annotations

import ast
import contextlib
import linecache
import os
import signal
import sys
import time
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from pytest_tinytorch.execute import CellExecutionError, Location, _future_flags, cell_filename, module_name_for
from pytest_tinytorch.failures import describe_failure, exception_text
from pytest_tinytorch.grading import guards
from pytest_tinytorch.grading.protocol import make_writer
from pytest_tinytorch.notebook import Cell, Notebook, parse_cell_code

MESSAGE_LIMIT = 8000


class GraderTimeout(BaseException):
    """Raised by the alarm: a BaseException, so ``except Exception`` in student code cannot swallow it."""


GraderTimeout.__module__ = "builtins"  # reported as "GraderTimeout: ...", like a builtin exception


@dataclass(frozen=True)
class Trusted:
    """What the fork server captured before any student code: the harness's anchors."""

    is_plain: Callable[[Any], bool]
    baseline: guards.Baseline
    write: Callable[[int, Any], int] = os.write
    exit: Callable[[int], NoReturn] = os._exit
    clock: Callable[[], float] = time.monotonic
    compile: Callable[..., Any] = compile
    exec: Callable[..., Any] = exec
    # The instructor's cells, parsed and assert-rewritten once in the fork server (source -> tree).
    # A worker may change its copy of a tree: it is the worker's own memory after the fork.
    trees: dict[str, ast.Module] = field(default_factory=dict)


def notebook_from_job(job: dict[str, Any]) -> Notebook:
    cells = tuple(
        Cell(
            index=c["index"], kind="code", source=c["source"], first_line=c["first_line"], header_line=c["header_line"]
        )
        for c in job["cells"]
    )
    return Notebook(path=Path(job["path"]), cells=cells, fmt=job["fmt"])


def top_level_names(tree: ast.Module) -> list[str]:
    """Names a cell binds at top level (defs, classes, assignments, imports)."""
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [(alias.asname or alias.name).split(".")[0] for alias in node.names]
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    return names


def only_definitions(tree: ast.Module) -> bool:
    """Does running this cell only define things (so no code of the submission can run)?

    Imports, docstrings, undecorated defs whose defaults are constants, and
    ``if __name__ == "__main__":`` blocks (which do not run here).
    """
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        if (
            isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and not node.decorator_list
            and all(d is None or isinstance(d, ast.Constant) for d in [*node.args.defaults, *node.args.kw_defaults])
        ):
            continue
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("__name__ == '__main__'", '__name__ == "__main__"'):
            continue
        return False
    return True


def loaded_names(tree: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


class CellRunner:
    """Compiles and runs cells in one fresh module, and maps tracebacks back to cells."""

    def __init__(self, nb: Notebook, trusted: Trusted) -> None:
        self.nb = nb
        self.trusted = trusted
        self.module = types.ModuleType(module_name_for(nb.path))
        self.module.__file__ = str(nb.path)
        sys.modules[self.module.__name__] = self.module
        self.namespace: dict[str, Any] = self.module.__dict__
        self.flags = 0
        self._by_line = sorted(nb.code_cells, key=lambda c: c.first_line)

    def compile(
        self, cell: Cell, trusted_asserts: bool
    ) -> tuple[types.CodeType | None, ast.Module | None, SyntaxError | None]:
        cached = self.trusted.trees.pop(cell.source, None) if trusted_asserts else None
        if cached is not None:
            tree = cached
        else:
            try:
                tree, _ = parse_cell_code(cell.source)
            except SyntaxError as error:
                return None, None, error
            if trusted_asserts:
                tree = guards.trust_asserts(tree)
        filename = cell_filename(self.nb, cell)
        if self.nb.fmt == "percent":
            ast.increment_lineno(tree, cell.first_line - 1)
        else:
            lines = [line + "\n" for line in cell.source.splitlines()]
            linecache.cache[filename] = (len(cell.source), None, lines, filename)
        try:
            code = self.trusted.compile(tree, filename, "exec", flags=self.flags, dont_inherit=True)
        except SyntaxError as error:  # e.g. 'return' outside a function
            return None, tree, error
        self.flags |= _future_flags(code)
        return code, tree, None

    def locate(self, filename: str, lineno: int) -> Location | None:
        if self.nb.fmt == "percent":
            if filename != str(self.nb.path):
                return None
            found = None
            for cell in self._by_line:  # cells sorted by line: the last one starting at or before lineno
                if cell.first_line <= lineno:
                    found = Location(cell, lineno - cell.first_line + 1)
            return found
        for cell in self.nb.code_cells:
            if filename == cell_filename(self.nb, cell):
                return Location(cell, lineno)
        return None

    def locate_error(self, error: BaseException, cell: Cell) -> Location:
        if isinstance(error, SyntaxError):
            return (
                Location(cell, error.lineno or 1)
                if self.nb.fmt == "ipynb"
                else Location(cell, max(1, (error.lineno or cell.first_line) - cell.first_line + 1))
            )
        found = None
        tb = error.__traceback__
        while tb is not None:
            found = self.locate(tb.tb_frame.f_code.co_filename, tb.tb_lineno) or found
            tb = tb.tb_next
        return found or Location(cell, 1)


class Harness:
    """One launch: the cells from the top, each not-yet-reported test after its cell."""

    def __init__(self, job: dict[str, Any], trusted: Trusted, result_fd: int) -> None:
        self.job = job
        self.trusted = trusted
        self.send = make_writer(result_fd, bytes.fromhex(job["key"]), trusted.write)
        self.nb = notebook_from_job(job)
        self.runner = CellRunner(self.nb, trusted)
        self.protected = {c["index"] for c in job["cells"] if c["protected"]}
        self.tests_by_cell: dict[int, list[str]] = {}
        for test in job["tests"]:
            self.tests_by_cell.setdefault(test["cell"], []).append(test["name"])
        self.done = set(job["done"])
        self.skip = set(job["skip"])
        self.seconds = float(job["test_seconds"])
        self.current_test = ""
        helpers, self.helper_state = guards.make_helpers(trusted.is_plain)
        self.runner.namespace.update(helpers)
        self.guard = guards.NamespaceGuard(
            self.runner.namespace,
            trusted.baseline,
            job["imports"],
            frozenset(job["reference_names"]),
            frozenset(self._used_names()),
        )
        self.guard.capture(guards.HELPERS)
        self.restore_modules = trusted.baseline.make_restorer()
        self.dirty = True  # has code other than the harness run since the last full repair?
        self.restore_core = trusted.baseline.make_restorer(core_only=True)

    def _used_names(self) -> set[str]:
        used: set[str] = set()
        for cell in self.nb.code_cells:
            if cell.index in self.protected:
                with contextlib.suppress(SyntaxError):  # the instructor's cell; reported when it runs
                    used |= loaded_names(ast.parse(cell.source))
        return used

    def report_flag(self, kind: str, detail: str) -> None:
        self.send({"e": "flag", "kind": kind, "detail": detail[:500], "t": self.current_test})

    # -- the run --------------------------------------------------------------------

    def run(self) -> None:
        self.send({"e": "sandbox", "applied": self.job.get("sandbox", {})})
        guards.install_audit_hook(os.getcwd(), self.report_flag, self.guard.is_protected_function)
        for cell in self.nb.code_cells:
            if cell.index in self.skip:
                continue
            self.send({"e": "cell", "i": cell.index})
            self._run_cell(cell)
            for name in self.tests_by_cell.get(cell.index, []):
                if name not in self.done:
                    self._run_test(name)
        self.send({"e": "done"})

    def _run_cell(self, cell: Cell) -> None:
        protected = cell.index in self.protected
        if protected:  # the instructor's code is parsed and run with the genuine builtins
            self._repair_if_dirty()
        code, tree, syntax_error = self.runner.compile(cell, trusted_asserts=protected)
        error: BaseException | None = syntax_error
        if code is not None:
            run = self.trusted.exec
            self.dirty = self.dirty or not (protected and tree is not None and only_definitions(tree))
            error = self._call(lambda: run(code, self.runner.namespace), self.seconds)
            for entry in self.restore_core():  # before the harness formats or sends anything
                self.report_flag("replaced-function", f"{entry} was replaced")
        if protected and tree is not None:
            self.guard.capture(top_level_names(tree))
        if error is not None:
            kind = "timeout" if isinstance(error, GraderTimeout) else type(error).__name__
            where = self.runner.locate_error(error, cell)
            detail = (
                CellExecutionError(self.nb, where, error).describe()
                if kind != "timeout"
                else (
                    f"cell {cell.index} ran past {self.seconds:g} s and was stopped "
                    f"({self.nb.where(where.cell, where.line_in_cell)})"
                )
            )
            self.send({"e": "cell_error", "i": cell.index, "kind": kind, "msg": detail[:MESSAGE_LIMIT]})

    def _call(self, function: Callable[[], Any], seconds: float) -> BaseException | None:
        """Run ``function`` under the alarm; the exception it raised, or None."""

        def on_alarm(signum: int, frame: Any) -> None:
            __tracebackhide__ = True
            raise GraderTimeout(f"stopped after {seconds:g} s")

        try:
            signal.signal(signal.SIGALRM, on_alarm)
            signal.setitimer(signal.ITIMER_REAL, seconds)
            try:
                function()
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except BaseException as error:  # anything at all: the harness must survive the submission
            return error
        return None

    def _repair_if_dirty(self) -> None:
        if self.dirty:
            for kind, detail in self._repair():
                self.report_flag(kind, detail)
            self.dirty = False

    def _run_test(self, name: str) -> None:
        self.current_test = name
        self._repair_if_dirty()
        captured = self.guard.bound.get(name)
        self.send({"e": "start", "t": name})
        if captured is None:
            self._end(
                name,
                False,
                "missing",
                f"{name} was not defined: the cell that defines it raised before reaching it (see the cell errors).",
                0.0,
            )
            return
        self.helper_state["last"] = None
        started = self.trusted.clock()
        self.dirty = True
        error = self._call(captured[0], self.seconds)
        elapsed = self.trusted.clock() - started
        tampering = self._repair()  # first thing after the test: nothing of the submission's runs in between
        self.dirty = False
        for kind, detail in tampering:
            self.report_flag(kind, detail)
        ok, reason, message = self._verdict(name, error, tampering)
        self._end(name, ok, reason, message, elapsed)

    def _repair(self) -> list[tuple[str, str]]:
        found = [("replaced-function", f"{entry} was replaced") for entry in self.restore_modules()]
        return found + self.guard.restore()

    def _verdict(
        self, name: str, error: BaseException | None, tampering: list[tuple[str, str]]
    ) -> tuple[bool, str, str]:
        if error is None:
            if tampering:
                replaced = "; ".join(detail for _, detail in tampering)
                return False, "tampered", f"the test passed only while something it relies on was replaced ({replaced})"
            return True, "", ""
        reason = _reason(error)
        message = self._message(name, error, reason)
        return False, reason, message

    def _message(self, name: str, error: BaseException, reason: str) -> str:
        text = ""

        def build() -> None:
            nonlocal text
            last = self.helper_state["last"]
            comparison = ""
            if reason == "assertion" and last is not None:
                comparison = f"{guards.safe_repr(last[0])} {last[1]} {guards.safe_repr(last[2])} is false"
                if not error.args:  # a bare assert: the comparison is the message
                    error.args = (comparison,)
                    comparison = ""
            text = describe_failure(self.nb, self.runner.locate, name, error)
            if reason == "timeout":
                text = f"{name} did not finish within {self.seconds:g} s and was stopped (an infinite loop?).\n" + text
            if comparison:
                text += f"\n  the failing comparison: {comparison}"

        problem = self._call(build, 5.0)
        if problem is not None:
            text = f"{type(error).__name__} (the failure could not be described: {type(problem).__name__})"
        return text[:MESSAGE_LIMIT]

    def _end(self, name: str, ok: bool, reason: str, message: str, seconds: float) -> None:
        self.send({"e": "end", "t": name, "ok": ok, "reason": reason, "msg": message, "s": round(seconds, 4)})
        self.current_test = ""


def _reason(error: BaseException) -> str:
    if isinstance(error, GraderTimeout):
        return "timeout"
    if isinstance(error, guards.UntrustedValue):
        return "untrusted-value"
    if isinstance(error, AssertionError):
        return "assertion"
    if isinstance(error, MemoryError):
        return "memory"
    if isinstance(error, SystemExit):
        return "exit"
    return "error"


def trusted_tree(source: str) -> ast.Module | None:
    """An instructor cell parsed and assert-rewritten, for :attr:`Trusted.trees`."""
    try:
        tree, _ = parse_cell_code(source)
    except SyntaxError:
        return None
    return guards.trust_asserts(tree)


def run_job(job: dict[str, Any], trusted: Trusted, result_fd: int) -> NoReturn:
    """The worker's whole life after the sandbox is in place; never returns."""
    workdir = os.getcwd()
    sys.path.insert(0, workdir)  # like a kernel started in the notebook's folder
    sys.argv = [job["path"]]
    status = 0
    try:
        Harness(job, trusted, result_fd).run()
    except BaseException as error:  # a harness failure: report it, the parent treats it as a crash
        status = 70
        with contextlib.suppress(OSError):  # stderr closed by the submission: the exit status still tells
            os.write(2, f"tinytorch grading harness error: {exception_text(error)}\n".encode())
    for stream in (sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except BaseException:  # noqa: S110 - a closed or replaced stream must not stop the exit
            pass
    trusted.exit(status)  # skip atexit handlers and finalizers the submission may have registered
