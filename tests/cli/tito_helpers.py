"""Helpers for ``tito`` end-to-end tests: a small course, running tito, reading and editing notebooks.

tito runs as a subprocess (the installed console script), in the course
folder, exactly as a student runs it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from nbbuild import cell, graded, module_text

# nbgrader refuses cell metadata without its schema version.
NB = {"schema_version": 3}

DEMO = (
    cell("#| default_exp core.demo\n#| export\nimport math"),
    cell(
        "#| export\ndef double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
        grade=False,
        grade_id="double",
        locked=False,
        solution=True,
        **NB,
    ),
    graded(
        "def test_unit_double():\n    assert double(2) == 4\n    assert double(-1.5) == -3.0",
        "test-double",
        points=3,
        **NB,
    ),
    graded("def test_module():\n    assert [double(i) for i in range(3)] == [0, 2, 4]", "test-module", points=2, **NB),
)
TWICE = (
    cell("#| default_exp core.twice\n#| export\nfrom tinytorch.core.demo import double"),
    cell(
        "#| export\ndef quadruple(x):\n    ### BEGIN SOLUTION\n    return double(double(x))\n    ### END SOLUTION",
        grade=False,
        grade_id="quadruple",
        locked=False,
        solution=True,
        **NB,
    ),
    graded("def test_unit_quadruple():\n    assert quadruple(3) == 12", "test-quadruple", points=1, **NB),
)
MILESTONE = 'MILESTONE = {"year": 1900, "title": "Doubling", "requires": [1], "target": "double anything"}\n'


def write_course(root: Path) -> Path:
    for folder, cells in (("01_demo", DEMO), ("02_twice", TWICE)):
        path = root / "modules" / folder / f"{folder[3:]}.py"
        path.parent.mkdir(parents=True)
        path.write_text(module_text(*cells), encoding="utf-8")
    (root / "milestones").mkdir()
    (root / "milestones" / "01_doubling.py").write_text(MILESTONE, encoding="utf-8")
    return root


Tito = Callable[..., subprocess.CompletedProcess]


def tito_command() -> list[str]:
    script = Path(sys.executable).with_name("tito")
    return (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "import sys; from pytest_tinytorch.cli import main; sys.exit(main())"]
    )


def lines(result: subprocess.CompletedProcess) -> list[str]:
    return result.stdout.splitlines()


def progress(root: Path) -> dict:
    return json.loads((root / ".tito" / "progress.json").read_text())


def notebook_cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def cell_source(path: Path, grade_id: str) -> str:
    found = [c for c in notebook_cells(path) if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id]
    assert len(found) == 1, f"no single cell with grade_id={grade_id!r} in {path}"
    source = found[0]["source"]
    return "".join(source) if isinstance(source, list) else source


def edit_cell(path: Path, grade_id: str, source: str) -> None:
    """Write ``source`` into the cell with ``grade_id``, as a student editing in Jupyter would."""
    nb = json.loads(path.read_text())
    for item in nb["cells"]:
        if item["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            item["source"] = source
    path.write_text(json.dumps(nb, indent=1))


def insert_cell(path: Path, index: int, source: str) -> None:
    nb = json.loads(path.read_text())
    nb["cells"].insert(
        index,
        {
            "cell_type": "code",
            "execution_count": None,
            "id": f"added{index}",
            "metadata": {},
            "outputs": [],
            "source": source,
        },
    )
    path.write_text(json.dumps(nb, indent=1))
