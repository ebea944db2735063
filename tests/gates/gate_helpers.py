"""Small courses for the gate tests: one good module, and ways to break each part of it.

``write_course(root)`` writes ``modules/01_demo`` (passes every design,
implementation and QA check), ``modules/02_twice`` (builds on it), their
export in ``tinytorch/``, and an integration test in ``tests/``.  Tests replace
one cell or header line to break exactly one check.
"""

from __future__ import annotations

import shutil

from pathlib import Path

from nbbuild import HEADER, cell, graded, markdown

from pytest_tinytorch import export
from pytest_tinytorch.catalog import Catalog
from pytest_tinytorch.gates.context import ModuleContext
from pytest_tinytorch.gates.model import Check, Outcome, run_check

NB = {"schema_version": 3}


def header(requires: list[int] | None = None, points: float | None = None, extra: str = "") -> str:
    lines = []
    if requires is not None:
        lines.append(f"#     requires: [{', '.join(map(str, requires))}]")
    if points is not None:
        lines.append(f"#     points: {points:g}")
    lines += [line for line in extra.splitlines() if line]
    if not lines:
        return HEADER
    return HEADER.replace("#     name: python3\n", "#     name: python3\n#   tinytorch:\n" + "\n".join(lines) + "\n")


INTRO = markdown(
    "# Module 01: Demo\n\nDoubling numbers.\n\n## Learning objectives\n\n1. Double a number.\n\n"
    "## Prerequisites\n\n- Python functions."
)
SETUP = cell(
    "#| default_exp core.demo\n#| export\nimport time",
    grade=False,
    grade_id="imports",
    locked=False,
    solution=False,
    **NB,
)
SOLUTION = cell(
    '#| export\ndef double(x):\n    """TODO: return twice x."""\n'
    "    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
    grade=False,
    grade_id="double",
    locked=False,
    solution=True,
    **NB,
)
# Graded cells call their tests under a main guard: nbgrader's autograde scores a cell by whether it runs.
TEST = graded(
    "def test_unit_double():\n    assert double(2) == 4\n    assert double(-1.5) == -3.0\n\n\n"
    'if __name__ == "__main__":\n    test_unit_double()',
    "test-double",
    points=2,
    **NB,
)
ANALYSIS_TEXT = markdown("## Systems analysis\n\nHow long does doubling take?")
ANALYSIS = cell(
    "def analyze_double():\n    start = time.perf_counter()\n    double(3)\n    return time.perf_counter() - start\n\n"
    'if __name__ == "__main__":\n    print(analyze_double())',
    grade=False,
    grade_id="analysis",
    locked=True,
    solution=False,
    **NB,
)
MODULE_TEST = graded(
    "def test_module():\n    assert [double(i) for i in range(3)] == [0, 2, 4]\n\n\n"
    'if __name__ == "__main__":\n    test_module()',
    "test-module",
    points=1,
    **NB,
)
REPO = Path(__file__).resolve().parents[2]

DEMO = [INTRO, SETUP, SOLUTION, TEST, ANALYSIS_TEXT, ANALYSIS, MODULE_TEST]

TWICE = [
    markdown("# Module 02: Twice\n\n## Learning objectives\n\n- Quadruple.\n\n## Prerequisites\n\n- Module 01 (Demo)."),
    cell("#| default_exp core.twice\n#| export\nimport time\nfrom tinytorch.core.demo import double"),
    cell(
        "#| export\ndef quadruple(x):\n    ### BEGIN SOLUTION\n    return double(double(x))\n    ### END SOLUTION",
        grade=False,
        grade_id="quadruple",
        locked=False,
        solution=True,
        **NB,
    ),
    graded(
        "def test_unit_quadruple():\n    assert quadruple(3) == 12\n\n\n"
        'if __name__ == "__main__":\n    test_unit_quadruple()',
        "test-quadruple",
        points=1,
        **NB,
    ),
    markdown("## Systems analysis"),
    cell(
        "def analyze():\n    start = time.perf_counter()\n    quadruple(1)\n    return time.perf_counter() - start",
        grade=False,
        grade_id="analysis",
        locked=True,
        solution=False,
        **NB,
    ),
]
INTEGRATION_TEST = (
    "from tinytorch.core.demo import double\n\n\ndef test_double_integrates():\n    assert double(21) == 42\n"
)


def module_source(
    cells: list[str], requires: list[int] | None = None, points: float | None = None, extra: str = ""
) -> str:
    return header(requires, points, extra) + "\n" + "\n\n".join(cells)


def write_module(root: Path, cells: list[str], number: int = 1, name: str = "demo", **declared) -> Path:
    path = root / "modules" / f"{number:02d}_{name}" / f"{name}.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(module_source(cells, **declared), encoding="utf-8")
    return path


def write_course(root: Path, demo: list[str] | None = None, **declared) -> Path:
    """The good two-module course (``declared`` overrides module 01's header), exported, with tests/."""
    declared = {"requires": [], "points": 3, **declared}
    write_module(root, demo or DEMO, **declared)
    write_module(root, TWICE, number=2, name="twice", requires=[1], points=1)
    # The nbgrader configuration the project ships, as every course has it.
    (root / "nbgrader").mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "nbgrader" / "nbgrader_config.py", root / "nbgrader" / "nbgrader_config.py")
    (root / "tests").mkdir(parents=True, exist_ok=True)
    (root / "tests" / "test_demo_integration.py").write_text(INTEGRATION_TEST, encoding="utf-8")
    export_all(root)
    return root


def export_all(root: Path) -> None:
    catalog = Catalog.discover(root)
    for info in catalog:
        export.export_module(root, catalog, info)


def context(root: Path, spec: str | int = 1) -> ModuleContext:
    catalog = Catalog.discover(root)
    return ModuleContext(root, catalog.resolve(spec), catalog)


def run(check: Check, root: Path, spec: str | int = 1) -> Outcome:
    ctx = context(root, spec)
    try:
        return run_check(check, ctx)
    finally:
        ctx.close()


def lines(outcome: Outcome) -> list[str]:
    return [violation.line() for violation in outcome.violations]


def line_of(path: Path, text: str, nth: int = 1) -> int:
    """The 1-based line of the ``nth`` line of ``path`` that contains ``text``."""
    found = [number for number, line in enumerate(path.read_text().splitlines(), start=1) if text in line]
    return found[nth - 1]


def where(root: Path, text: str, number: int = 1, name: str = "demo", nth: int = 1) -> str:
    """``modules/NN_name/name.py:LINE`` of the line holding ``text``, as a violation names it."""
    path = root / "modules" / f"{number:02d}_{name}" / f"{name}.py"
    return f"modules/{number:02d}_{name}/{name}.py:{line_of(path, text, nth)}:"


def run_many(checks: list[Check], root: Path, spec: str | int = 1) -> dict[str, Outcome]:
    """Run several checks on one context, so they share its runs (the student version, its tests)."""
    ctx = context(root, spec)
    try:
        return {check.id: run_check(check, ctx) for check in checks}
    finally:
        ctx.close()


# Module 02 broken once for every design, implementation, QA and publish check (see test_gates_plugin.py).
BROKEN = [
    markdown("# Module 02: Broken\n\nSee [the guide](../../docs/missing.md)."),  # no objectives, prerequisites
    cell("#| export\nEARLY = 1"),  # an export cell before the declaration
    cell("#| default_exp core.broken\n#| export\nfrom tinytorch.core.nowhere import thing"),
    cell("def helper():\n    return 2"),
    cell("#| export\nFACTOR = helper()"),  # the export needs a helper it does not export
    cell(
        "#| export\ndef triple(x):\n    ### BEGIN SOLUTION\n    return 3 * x",  # never closed
        grade=False,
        grade_id="triple",
        locked=False,
        solution=True,
        **NB,
    ),
    cell(
        "def test_unit_triple():\n    ### BEGIN HIDDEN TESTS\n    assert 1 == 2",
        grade=True,
        grade_id="t",
        locked=False,
        points=1,
        **NB,
    ),  # unlocked; hidden tests never closed; a failing test
    cell('HELP = """\n# %% starts a cell\n"""'),
]
BROKEN_HEADER = {"points": 5, "extra": '#     gates:\n#       skip:\n#         qa.roundtrip: ""'}
