"""Build course-module files in code, for the plugin's tests.

Tests describe a module as a list of cells; these helpers write the
percent-format text the way a course author would.
"""

from __future__ import annotations

import json
from pathlib import Path

HEADER = """# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---
"""


def cell(source: str, **nbgrader) -> str:
    """One percent-format code cell; keyword arguments become its nbgrader metadata."""
    header = "# %%"
    if nbgrader:
        header += " nbgrader=" + json.dumps(nbgrader)
    return f"{header}\n{source.strip(chr(10))}\n"


def graded(source: str, grade_id: str, points: float = 1, **extra) -> str:
    return cell(source, grade=True, grade_id=grade_id, locked=True, points=points, solution=False, **extra)


def markdown(text: str) -> str:
    return f'# %% [markdown]\n"""\n{text.strip()}\n"""\n'


def module_text(*cells: str) -> str:
    return HEADER + "\n" + "\n\n".join(cells)


def to_ipynb(path: Path, target: Path | None = None) -> Path:
    """Convert a percent file to a notebook with jupytext, as a student's copy would be."""
    import jupytext  # tests that use pytester import it early: see tests/plugin/conftest.py

    target = target or path.with_suffix(".ipynb")
    jupytext.write(jupytext.read(path), target, fmt="ipynb")
    return target
