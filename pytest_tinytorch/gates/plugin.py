"""The ``tinytorch-gates`` pytest11 entry point: ``--tinytorch-gates`` and the ``tinytorch_gate`` marker.

    pytest --tinytorch-gates=design,implementation --tinytorch-module 01
    pytest --tinytorch-gates=all modules/          # every gate, every module

Without the option nothing changes: gate checks are only collected when it is
given.  With it, each course module source (``modules/NN_name/name.py``) is
collected as its gate checks (one item per check) instead of its inline tests.

Loaded on every pytest run, so this module holds only the option and the
marker; the hooks that make a gate run live in :mod:`.session`, registered
only when ``--tinytorch-gates`` is given.
"""

from __future__ import annotations

import pytest

from pytest_tinytorch.gates.names import GATES

MARKER = (
    "tinytorch_gate(gate, check): a quality-gate check of a course module; select with -m \"tinytorch_gate(gate='qa')\""
)


def parse_gates(text: str) -> tuple[str, ...]:
    """``"design,qa"`` -> ``("design", "qa")`` in gate order; ``"all"`` -> every gate."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if names == ["all"]:
        return GATES
    for name in names:
        if name not in GATES:
            import difflib

            close = difflib.get_close_matches(name, GATES, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise pytest.UsageError(
                f"--tinytorch-gates={text!r}: {name!r} is not a gate.{hint} Gates, in order: {', '.join(GATES)} "
                "(or 'all')."
            )
    if not names:
        raise pytest.UsageError(f"--tinytorch-gates={text!r}: name at least one gate, e.g. --tinytorch-gates=design")
    return tuple(gate for gate in GATES if gate in names)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tinytorch", "TinyTorch course modules")
    group.addoption(
        "--tinytorch-gates",
        dest="tinytorch_gates",
        type=parse_gates,
        default=None,
        metavar="GATES",
        help=f"run the quality-gate checks of these gates ({', '.join(GATES)}, comma-separated, or 'all') on the "
        "selected course modules (--tinytorch-module, or paths; default every module) instead of their tests",
    )


@pytest.hookimpl(trylast=True)  # after the main plugin has resolved --tinytorch-module
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)
    if config.getoption("tinytorch_gates", None):
        from pytest_tinytorch.gates import session

        config.pluginmanager.register(session, "tinytorch-gates-session")
