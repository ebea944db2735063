"""pytest-tinytorch: the harness that collects, runs and grades TinyTorch course modules.

Kept empty on purpose: pytest imports this package on every run, so nothing
here may import NumPy, nbformat, jupytext or nbclient.
"""

__version__ = "0.1.0"
