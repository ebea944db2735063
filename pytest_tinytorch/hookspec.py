"""Hooks the plugin offers to other plugins (grading, quality gates, tito, course authors).

Added through ``pytest_addhooks``; every name has the ``pytest_tinytorch_`` prefix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_tinytorch.catalog import ModuleInfo
    from pytest_tinytorch.notebook import Notebook


@pytest.hookspec(firstresult=True)
def pytest_tinytorch_module_path(config: pytest.Config, module: ModuleInfo) -> Any:
    """Return the file to collect for ``--tinytorch-module``.

    Default: the student's working copy (``workspace/NN_name/name.ipynb``) if
    it exists, else the module's source in ``modules/``.
    """


@pytest.hookspec(firstresult=True)
def pytest_tinytorch_prepare_notebook(
    config: pytest.Config, notebook: Notebook, module: ModuleInfo | None
) -> Notebook | None:
    """Return a replacement for ``notebook`` before its tests are collected, or None.

    Grading uses this to restore locked test cells from the instructor's copy.
    """


@pytest.hookspec(firstresult=True)
def pytest_tinytorch_make_executor(config: pytest.Config, notebook: Notebook, module: ModuleInfo | None) -> Any:
    """Return the executor that runs ``notebook`` (an object with ``start()``,
    ``run_test(name)``, ``close()``, ``locate(filename, lineno)``), or None to
    leave it to the next implementation.  The built-in ones are chosen by
    ``--tinytorch-executor``."""


def pytest_tinytorch_module_started(config: pytest.Config, notebook: Notebook, executor: Any) -> None:
    """Called after a module's cells ran successfully, before its first test."""


def pytest_tinytorch_gate_checks(config: pytest.Config, module: ModuleInfo, gate: str) -> Any:
    """Return extra quality-gate checks for ``module`` at ``gate`` (one of ``design``,
    ``implementation``, ``qa``, ``release``, ``publish``), as a list of
    :class:`pytest_tinytorch.gates.Check` whose ``gate`` is ``gate``; or None.

    Called for every gate when a module's gate checks are collected
    (``--tinytorch-gates``); each check becomes one item with the
    ``tinytorch_gate(gate, check)`` marker, and can be turned off per module
    like the built-in ones (``tinytorch: gates: skip: {id: "reason"}``).
    """
