"""Run a module notebook in a real Jupyter kernel through nbclient.

For notebooks that need IPython itself (magics, display machinery).  It has
the same interface as :class:`~pytest_tinytorch.execute.InProcessExecutor`
(``start``, ``run_test``, ``close``), so collection and reports are the same;
only the place the code runs differs.  nbclient and nbformat are imported
when a kernel is actually wanted, never at plugin load.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import tempfile
import threading
from pathlib import Path
from typing import Any

from pytest_tinytorch.errors import TinyTorchError
from pytest_tinytorch.execute import (
    CellExecutionError,
    Location,
    imports_package,
    MissingTestError,
    module_name_for,
    package_location_problem,
)
from pytest_tinytorch.notebook import Cell, Notebook
from pytest_tinytorch.timeout import TestTimeout, timeout_message

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_REF = re.compile(r"Cell In\[(\d+)\], line (\d+)")


class KernelError(TinyTorchError, RuntimeError):
    """Code run in the kernel raised; carries the kernel's own traceback text."""

    def __init__(self, ename: str, evalue: str, traceback: str, line: int | None = None) -> None:
        self.ename, self.evalue, self.traceback = ename, evalue, traceback
        self.line = line  # the line within the executed cell, from the kernel's own traceback
        super().__init__(f"{ename}: {evalue}")


class KernelUnavailableError(TinyTorchError, RuntimeError):
    """No Jupyter kernel could be started."""


def _setup_code(name: str, course_root: Path | None) -> str:
    # Give the kernel's namespace a real module name (not "__main__", so the
    # `if __name__ == "__main__":` calls stay quiet, and registered in
    # sys.modules so dataclasses and pickling work), and rewrite asserts.
    return (
        "import sys as _tt_sys\n"
        f"__name__ = {name!r}\n"
        "_tt_sys.modules[__name__] = get_ipython().user_module\n"
        # The course's own tinytorch first, however the kernel was started.
        + (f"_tt_sys.path.insert(0, {str(course_root)!r})\n" if course_root else "")
        + "from pytest_tinytorch.kernel_support import install_assert_rewriting as _tt_install\n"
        "_tt_install(get_ipython())\n"
        "del _tt_sys, _tt_install\n"
    )


class KernelExecutor:
    """One Jupyter kernel per notebook: cells run once, then each test is a call."""

    kind = "kernel"

    def __init__(
        self,
        nb: Notebook,
        *,
        timeout: float | None = None,
        kernel_name: str = "python3",
        startup_timeout: float = 60.0,
        course_root: Path | None = None,
    ) -> None:
        self.nb = nb
        self.course_root = course_root
        self.package_problem: str | None = None
        self.timeout = timeout
        self.kernel_name = kernel_name
        self.startup_timeout = startup_timeout
        self.name = module_name_for(nb.path)
        self.skipped_magics: list[Any] = []  # the kernel runs magics itself
        self._stack = contextlib.ExitStack()
        self._client: Any = None
        self._notebook: Any = None
        self._cell_by_count: dict[int, Cell] = {}

    def start(self) -> None:
        import nbformat
        from jupyter_client.manager import KernelManager
        from nbclient import NotebookClient

        self._notebook = nbformat.v4.new_notebook()
        # IPC sockets in a private folder: no TCP port races between xdist
        # workers, nothing left in the working directory.
        sockets = self._stack.enter_context(tempfile.TemporaryDirectory(prefix="tinytorch-kernel-"))
        manager = KernelManager(kernel_name=self.kernel_name, transport="ipc", ip=str(Path(sockets) / "kernel"))
        self._client = NotebookClient(
            self._notebook,
            km=manager,
            timeout=None,  # we keep our own deadline: see _run
            startup_timeout=int(self.startup_timeout),
            kernel_name=self.kernel_name,
            shutdown_kernel="immediate",  # nothing in a test kernel is worth a graceful exit
            resources={"metadata": {"path": str(self.nb.path.parent)}},
        )
        try:
            # cleanup_kc: nbclient leaves a kernel it did not create running unless told.
            self._stack.enter_context(self._client.setup_kernel(cleanup_kc=True))
        except Exception as error:
            raise KernelUnavailableError(
                f"could not start the Jupyter kernel {self.kernel_name!r} ({type(error).__name__}: {error}). "
                "Install one with 'pip install ipykernel', or use --tinytorch-executor=inprocess."
            ) from error
        self._run(_setup_code(self.name, self.course_root), what="the kernel setup")
        for cell in self.nb.code_cells:
            try:
                self._run(cell.source, what=f"cell {cell.index}", cell=cell)
            except KernelError as error:
                raise CellExecutionError(self.nb, Location(cell, error.line or 1), error) from None
        if imports_package(self.nb):
            self.package_problem = package_location_problem(self._loaded_package_files(), self.course_root)

    def _loaded_package_files(self) -> list[str]:
        probe = self._run(
            "from pytest_tinytorch.execute import loaded_package_files as _tt_files\n"
            "print('\\n'.join(_tt_files()), end='')\ndel _tt_files",
            what="the package check",
        )
        text = "".join(out.get("text", "") for out in probe.get("outputs", []) if out.get("name") == "stdout")
        return [line for line in text.splitlines() if line.strip()]

    def run_test(self, name: str) -> None:
        __tracebackhide__ = True
        try:
            self._run(f"{name}()", what=name)
        except KernelError as error:
            if error.ename == "NameError" and f"'{name}'" in error.evalue:
                raise MissingTestError(f"{name} is not defined after running the module's cells.") from None
            raise

    def _run(self, source: str, *, what: str, cell: Cell | None = None) -> Any:
        """Execute ``source`` as a new cell; past the deadline, interrupt the kernel.

        nbclient's own interrupt-on-timeout can wait forever for output after
        the interrupt, so a timer interrupts the kernel itself and the
        resulting KeyboardInterrupt is reported as a timeout.
        """
        from nbclient.exceptions import CellExecutionError as NbCellError
        from nbformat.v4 import new_code_cell

        node = new_code_cell(source)
        self._notebook.cells.append(node)
        if cell is not None:
            # Every execution stores history, so this cell will be In[len(cells)].
            self._cell_by_count[len(self._notebook.cells)] = cell
        expired = threading.Event()

        def interrupt() -> None:
            expired.set()
            # asyncio.run closes its loop; km.interrupt_kernel() from this thread
            # would leave jupyter_core's per-thread loop open.
            asyncio.run(self._client.km.provisioner.send_signal(signal.SIGINT))

        timer = threading.Timer(self.timeout, interrupt) if self.timeout else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        try:
            self._client.execute_cell(node, len(self._notebook.cells) - 1)
        except NbCellError as error:
            if expired.is_set() and error.ename == "KeyboardInterrupt":
                raise TestTimeout(timeout_message(what, self.timeout or 0)) from None
            raw = _ANSI.sub("", error.traceback)
            count = len(self._notebook.cells)
            lines = [int(m.group(2)) for m in _CELL_REF.finditer(raw) if int(m.group(1)) == count]
            line = lines[-1] if lines else None
            raise KernelError(error.ename, error.evalue, self.clean_traceback(error.traceback), line) from None
        finally:
            if timer is not None:
                timer.cancel()
        return node

    def clean_traceback(self, text: str) -> str:
        """Strip colours and nbclient's preamble; name our cells instead of ``In[n]``."""
        text = _ANSI.sub("", text)
        start = text.find("Traceback (most recent call last)")
        if start >= 0:
            text = text[text.rfind("\n", 0, text.rfind("-" * 10, 0, start)) + 1 :]

        def rename(match: re.Match[str]) -> str:
            cell = self._cell_by_count.get(int(match.group(1)))
            if cell is None:
                return match.group(0)
            return f"cell {cell.index} ({self.nb.where(cell, int(match.group(2)))})"

        return _CELL_REF.sub(rename, text)

    def locate(self, filename: str, lineno: int) -> Location | None:
        return None  # kernel frames never reach this process

    def close(self) -> None:
        self._stack.close()
