"""Quality gates: the checks a course module passes on its way from planned to published.

Five gates (:data:`GATES`), each a list of :class:`Check` functions that take a
:class:`~pytest_tinytorch.gates.context.ModuleContext` and yield
:class:`Violation` (and :class:`Note`) objects.  ``pytest --tinytorch-gates=...``
runs them as pytest items (``pytest_tinytorch.gates.plugin``); ``tito workflow``
runs them to move a module from state to state.  Add checks with the
``pytest_tinytorch_gate_checks`` hook::

    # conftest.py
    from pytest_tinytorch.gates import Check, Violation

    def no_todo(ctx):
        for cell in ctx.notebook.code_cells:
            if "TODO(author)" in cell.source:
                yield Violation(ctx.where_cell(cell), "an author's TODO is left in.", "resolve it.")

    def pytest_tinytorch_gate_checks(config, module, gate):
        if gate == "implementation":
            return [Check("implementation.no-author-todo", gate, "no author TODOs left", no_todo)]

This package's ``__init__`` imports nothing: the plugin loads it on every
pytest run, so the names below are imported on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["GATES", "Check", "Note", "Violation"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from pytest_tinytorch.gates import model

        return getattr(model, name)
    raise AttributeError(f"module 'pytest_tinytorch.gates' has no attribute {name!r}")
