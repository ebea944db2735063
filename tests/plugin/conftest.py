"""Plugin tests run pytest in-process through ``pytester`` with only this plugin loaded.

Autoloading every installed plugin (hypothesis, benchmark, xdist, ...) in each
inner run costs ~0.7 s here, because PYTHONDONTWRITEBYTECODE makes pytest
re-rewrite them every time.  ``test_packaging.py`` checks the real entry point.
"""

from __future__ import annotations

# Imported before pytester snapshots sys.modules: a module first imported
# inside a test is dropped from sys.modules afterwards, and NumPy refuses to
# be initialised twice, while jupytext's yaml would mix old and new classes.
import jupytext  # noqa: F401
import numpy  # noqa: F401
import pytest


@pytest.fixture(autouse=True)
def only_this_plugin(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("PYTEST_PLUGINS", "pytest_tinytorch.plugin")
