"""The one notebook parser, checked directly and against jupytext itself."""

from __future__ import annotations

import json
from pathlib import Path

import jupytext
import pytest
from nbbuild import HEADER

from pytest_tinytorch.errors import NotebookFormatError
from pytest_tinytorch.notebook import comment_out_magics, parse_ipynb, parse_percent, read_notebook

REPO = Path(__file__).resolve().parents[2]
JUPYTEXT_ONLY_KEYS = {"lines_to_next_cell", "cell_marker", "title"}


def test_cells_kinds_sources_and_lines():
    text = HEADER + (
        '\n# %% [markdown]\n"""\n# Title\n\nText.\n"""\n\n'
        "# %% [markdown]\n# ## Comment style\n# more\n\n"
        '# %% Setup nbgrader={"grade": false, "grade_id": "imports"} tags=["x"]\n'
        "#| default_exp core.thing\n#| export\nimport math\n\n\n"
        "#%%\nx = 1\n"
    )
    nb = parse_percent(text, "m.py")
    assert [c.kind for c in nb.cells] == ["markdown", "markdown", "code", "code"]
    assert nb.cells[0].source == "# Title\n\nText."
    assert nb.cells[1].source == "## Comment style\nmore"
    setup = nb.cells[2]
    assert setup.metadata == {"title": "Setup", "nbgrader": {"grade": False, "grade_id": "imports"}, "tags": ["x"]}
    assert setup.directives == {"default_exp": "core.thing", "export": ""}
    assert setup.first_line == 26 and setup.header_line == 25
    assert setup.code_without_directives() == "import math"
    assert nb.default_exp == "core.thing"
    assert nb.cells[3].source == "x = 1" and nb.cells[3].first_line == 32


def test_code_before_the_first_marker_is_a_cell():
    nb = parse_percent("import os\n\n# %%\ny = 2\n")
    assert [c.source for c in nb.cells] == ["import os", "y = 2"]


def test_python_literal_metadata_is_accepted_like_jupytext():
    nb = parse_percent("# %% nbgrader={'grade': True}\nx = 1\n")
    assert nb.cells[0].nbgrader == {"grade": True}


def test_text_after_metadata_is_an_error():
    with pytest.raises(NotebookFormatError, match=r"m.py:1: unexpected text 'junk'"):
        parse_percent('# %% nbgrader={"grade": true} junk\nx = 1\n', "m.py")


def test_two_default_exports_are_an_error():
    nb = parse_percent("# %%\n#| default_exp a\n\n# %%\n#| default_exp b\n", "m.py")
    with pytest.raises(NotebookFormatError, match="default_exp appears 2 times"):
        nb.default_exp


def test_directive_spellings():
    nb = parse_percent("# %%\n# | export\n#|hide\n# a comment\nx = 1\n#| not_a_directive_after_code\n")
    assert nb.cells[0].directives == {"export": "", "hide": ""}


def test_ipynb_sources_as_lists_or_strings():
    data = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Hi\n", "there"]},
            {
                "cell_type": "code",
                "metadata": {"nbgrader": {"grade": True, "points": 2}},
                "source": "x = 1",
                "outputs": [],
                "execution_count": None,
            },
        ],
    }
    nb = parse_ipynb(json.dumps(data), "n.ipynb")
    assert [c.source for c in nb.cells] == ["# Hi\nthere", "x = 1"]
    assert nb.cells[1].points == 2.0 and nb.cells[1].index == 2


def test_old_nbformat_is_refused_with_the_fix():
    with pytest.raises(NotebookFormatError, match="nbformat 3 is too old.*re-save"):
        parse_ipynb(json.dumps({"nbformat": 3, "cells": []}), "old.ipynb")


def test_magics_become_pass_statements_keeping_lines_and_indentation():
    source = "x = 1\nif x:\n    %time y = 2\n!ls\nfiles = !ls\nz = 3"
    cleaned, changed = comment_out_magics(source)
    assert cleaned.splitlines()[2] == "    pass  # %time y = 2"
    assert len(cleaned.splitlines()) == 6
    assert [n for n, _ in changed] == [3, 4, 5]
    compile(cleaned, "<cell>", "exec")


def course_files() -> list[Path]:
    return sorted((REPO / "modules").glob("[0-9][0-9]_*/*.py"))


@pytest.mark.parametrize("path", course_files(), ids=lambda p: p.parent.name)
def test_agrees_with_jupytext_on_every_course_module(path):
    ours = read_notebook(path)
    theirs = jupytext.read(path)
    assert len(ours.cells) == len(theirs.cells)
    for mine, reference in zip(ours.cells, theirs.cells):
        assert mine.kind == reference.cell_type
        assert mine.source == reference.source
        expected = {k: v for k, v in reference.metadata.items() if k not in JUPYTEXT_ONLY_KEYS}
        assert {k: v for k, v in mine.metadata.items() if k != "title"} == expected
