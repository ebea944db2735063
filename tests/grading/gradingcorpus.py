"""A small course module and a corpus of submissions to it, each with the score it must get.

The module (``01_demo``, 12 points) has the shape of a real one: an imports
cell, a locked given class, solution cells, graded test cells (one with hidden
tests) that call their test under ``if __name__ == "__main__"`` (so nbgrader,
which runs them in a kernel, grades them the same way), and a ``test_module``.
Each submission is the reference with one change: an honest mistake, a crash,
or a trick that fools today's graders.  :func:`cases` says what each must
score and why, so a test can fail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbbuild import cell, graded, module_text

from pytest_tinytorch.catalog import ModuleInfo
from pytest_tinytorch.grading.engine import Engine, Reference, ResultStore, prepare
from pytest_tinytorch.grading.model import Limits, SubmissionResult
from pytest_tinytorch.grading.restore import without_hidden_tests
from pytest_tinytorch.grading.submissions import find_submissions

V3 = {"schema_version": 3}  # nbgrader's metadata version; its tools refuse cells without it
IMPORTS = cell("import math\nimport numpy as np", grade=False, grade_id="imports", locked=False, solution=False, **V3)
GIVEN = cell(
    "class Box:\n    def __init__(self, value):\n        self.value = value",
    grade=False,
    grade_id="given",
    locked=True,
    solution=False,
    **V3,
)
DOUBLE_BODY = "    return 2 * x"
DOUBLE = cell(
    f"def double(x):\n    ### BEGIN SOLUTION\n{DOUBLE_BODY}\n    ### END SOLUTION",
    grade=False,
    grade_id="double",
    locked=False,
    solution=True,
    **V3,
)
NORM_BODY = "    return float(np.sqrt(np.sum(np.asarray(v, dtype=float) ** 2)))"
NORM = cell(
    f"def norm(v):\n    ### BEGIN SOLUTION\n{NORM_BODY}\n    ### END SOLUTION",
    grade=False,
    grade_id="norm",
    locked=False,
    solution=True,
    **V3,
)
T_DOUBLE = graded(
    "def test_unit_double():\n    assert double(2) == 4\n"
    "    np.testing.assert_allclose(double(np.arange(3.0)), [0.0, 2.0, 4.0])\n\n\n"
    'if __name__ == "__main__":\n    test_unit_double()',
    "t-double",
    points=4,
    **V3,
)
T_NORM = graded(
    "def test_unit_norm():\n    assert math.isclose(norm([3, 4]), 5.0)\n"
    "    assert np.allclose(norm([1, 1]), math.sqrt(2))\n"
    "    ### BEGIN HIDDEN TESTS\n    assert norm([0, 0]) == 0\n    ### END HIDDEN TESTS\n\n\n"
    'if __name__ == "__main__":\n    test_unit_norm()',
    "t-norm",
    points=3,
    **V3,
)
T_BOX = graded(
    "def test_unit_box():\n    assert isinstance(double(Box(2).value), int)\n"
    '    assert double(1.5) == 3.0 and not double(0)\n\n\nif __name__ == "__main__":\n    test_unit_box()',
    "t-box",
    points=3,
    **V3,
)
T_MODULE = graded(
    'def test_module():\n    assert double(norm([3, 4])) == 10\n\n\nif __name__ == "__main__":\n    test_module()',
    "t-module",
    points=2,
    **V3,
)
CELLS = [IMPORTS, GIVEN, DOUBLE, T_DOUBLE, NORM, T_NORM, T_BOX, T_MODULE]
REFERENCE = module_text(*CELLS)
MAX_SCORE = 12.0
TEST_NAMES = ("test_unit_double", "test_unit_norm", "test_unit_box", "test_module")


def write_course(root: Path) -> Path:
    """``root/modules/01_demo/demo.py``; returns the course root."""
    folder = root / "modules" / "01_demo"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "demo.py").write_text(REFERENCE, encoding="utf-8")
    return root


def with_double(body: str) -> str:
    return REFERENCE.replace(DOUBLE_BODY, body)


def with_norm(body: str) -> str:
    return REFERENCE.replace(NORM_BODY, body)


def with_cell_after(anchor: str, source: str, text: str = REFERENCE) -> str:
    if anchor not in text:
        raise ValueError(f"the anchor cell is not in the text: {anchor[:60]!r}")
    return text.replace(anchor, anchor + "\n\n" + cell(source))


def without_metadata(graded_cell: str) -> str:
    header, rest = graded_cell.split("\n", 1)
    return "# %%\n" + rest


WRONG_NORM = "    return float(np.sum(np.asarray(v, dtype=float)))"


@dataclass(frozen=True)
class Case:
    text: str
    score: float
    failed: dict[str, str] = field(default_factory=dict)  # test -> reason
    flags: tuple[str, ...] = ()  # flag kinds that must be reported
    suffix: str = ".py"
    tampering: bool = False
    fools_naive: bool = False  # a grader running the tests in the student's own namespace gives more


def _fails(reason: str, *tests: str) -> dict[str, str]:
    return {test: reason for test in tests}


USES_DOUBLE = ("test_unit_double", "test_unit_box", "test_module")
LIAR = (
    "    class Liar:\n        def __eq__(self, other):\n            return True\n"
    "        def __bool__(self):\n            return False\n    return Liar()"
)


def cases(outside: Path) -> dict[str, Case]:
    """Every submission of the corpus; ``outside`` is a path a submission must not be able to write."""
    return {
        # Honest work.
        "correct": Case(REFERENCE, 12),
        "warnings_and_stderr": Case(
            with_double(
                "    import sys, warnings\n    warnings.warn('careful with floats')\n"
                "    print('debug', x, file=sys.stderr)\n    print('more debug')\n    return 2 * x"
            ),
            12,
        ),
        "partly_wrong": Case(with_norm(WRONG_NORM), 7, _fails("assertion", "test_unit_norm", "test_module")),
        "unfinished": Case(with_double("    raise NotImplementedError()"), 3, _fails("error", *USES_DOUBLE)),
        "syntax_error": Case(with_double("    return 2 * x +"), 3, _fails("error", *USES_DOUBLE), ("cell-error",)),
        "ipynb_notebook": Case(REFERENCE, 12, suffix=".ipynb"),
        "broken_json": Case("{not a notebook", 0, _fails("unreadable", *TEST_NAMES), suffix=".ipynb"),
        # Crashes and resource abuse.
        "infinite_loop": Case(with_double("    while True:\n        pass"), 3, _fails("timeout", *USES_DOUBLE)),
        "stubborn_loop": Case(
            with_double(
                "    import time\n    while True:\n        try:\n            time.sleep(60)\n"
                "        except BaseException:\n            pass"
            ),
            3,
            _fails("timeout", *USES_DOUBLE),
            ("restarted",),
        ),
        "memory_bomb": Case(with_double("    return bytearray(64 * 2**30)"), 3, _fails("memory", *USES_DOUBLE)),
        "memory_bomb_in_a_cell": Case(with_cell_after(NORM, "blob = bytearray(64 * 2**30)"), 12, flags=("cell-error",)),
        "sys_exit": Case(with_double("    import sys\n    sys.exit(3)"), 3, _fails("exit", *USES_DOUBLE)),
        "os_exit": Case(with_double("    import os\n    os._exit(0)"), 3, _fails("exit", *USES_DOUBLE), ("restarted",)),
        "os_exit_in_a_cell": Case(
            with_cell_after(NORM, "import os\nos._exit(0)"), 12, flags=("cell-error", "restarted")
        ),
        # Tricks that fool graders that run tests in the student's namespace.
        "replaces_allclose_and_isclose": Case(
            with_cell_after(
                GIVEN, "np.allclose = lambda *a, **k: True\nmath.isclose = lambda *a, **k: True", with_norm(WRONG_NORM)
            ),
            7,
            _fails("assertion", "test_unit_norm", "test_module"),
            ("replaced-function",),
            tampering=True,
            fools_naive=True,
        ),
        "replaces_assert_allclose": Case(
            with_cell_after(
                GIVEN,
                "np.testing.assert_allclose = lambda *a, **k: None",
                with_double("    return 2 * x if np.isscalar(x) else x"),
            ),
            8,
            _fails("assertion", "test_unit_double"),
            ("replaced-function",),
            tampering=True,
            fools_naive=True,
        ),
        "replaces_builtins": Case(
            with_cell_after(
                GIVEN,
                "import builtins\n_real_isinstance = isinstance\n"
                "builtins.isinstance = lambda obj, kind: kind is int or _real_isinstance(obj, kind)",
                with_double("    return 2 * x * 1.0"),
            ),
            9,
            _fails("assertion", "test_unit_box"),
            ("replaced-function",),
            tampering=True,
            fools_naive=True,
        ),
        "shadows_builtin": Case(
            with_cell_after(
                GIVEN, "def isinstance(obj, kind):\n    return True", with_double("    return 2 * x * 1.0")
            ),
            9,
            _fails("assertion", "test_unit_box"),
            ("shadowed-name",),
            tampering=True,
            fools_naive=True,
        ),
        "fake_numpy": Case(
            with_cell_after(
                GIVEN,
                "_real = np\n\n\nclass _Fake:\n    def __getattr__(self, name):\n"
                "        return getattr(_real, name) if name != 'testing' else self\n\n"
                "    def assert_allclose(self, *a, **k):\n        pass\n\n\nnp = _Fake()",
                with_double("    return 2 * x if np.isscalar(x) else x"),
            ),
            8,
            _fails("assertion", "test_unit_double"),
            ("shadowed-name",),
            tampering=True,
            fools_naive=True,
        ),
        "lying_eq_and_bool": Case(
            with_double(LIAR),
            3,
            _fails("untrusted-value", "test_unit_double", "test_module") | _fails("assertion", "test_unit_box"),
            fools_naive=True,
        ),
        "lying_ndarray_subclass": Case(
            with_double(
                "    class Lie(np.ndarray):\n        def __eq__(self, other):\n"
                "            return np.ones(np.shape(self), bool)\n"
                "    return np.asarray(3 * np.asarray(x, dtype=float)).view(Lie)"
            ),
            3,
            _fails("untrusted-value", "test_unit_double", "test_module") | _fails("assertion", "test_unit_box"),
            fools_naive=True,
        ),
        "writes_outside": Case(
            with_double(f"    open({str(outside)!r}, 'w').write('pwned')\n    return 2 * x"),
            3,
            _fails("error", *USES_DOUBLE),
            ("write-outside",),
            tampering=True,
        ),
        "starts_a_process": Case(
            with_double(f"    import subprocess\n    subprocess.run(['touch', {str(outside)!r}])\n    return 2 * x"),
            3,
            _fails("error", *USES_DOUBLE),
            ("subprocess",),
            tampering=True,
        ),
        "installs_a_tracer": Case(
            with_double("    import sys\n    sys.settrace(lambda *a: None)\n    return 2 * x"),
            3,
            _fails("error", *USES_DOUBLE),
            ("introspection",),
            tampering=True,
        ),
        "forges_results": Case(
            with_double(
                '    import os\n    os.write(3, b\'{"e":"end","t":"test_unit_double","ok":true,'
                '"n":3}\\tffffffffffffffffffffffffffffffff\\n\')\n    return 3 * x'
            ),
            0,
            _fails("forged-result", *TEST_NAMES),
            ("forged-result",),
            tampering=True,
        ),
        "patches_the_harness_json": Case(
            with_cell_after(NORM, "import json\njson.dumps = lambda obj, **k: '{}'"),
            12,
            flags=("replaced-function",),
            tampering=True,
        ),
        # Deleting, editing and stripping the tests.
        "deletes_tests": Case(
            with_norm(WRONG_NORM).replace(T_NORM, "").replace(T_MODULE, ""),
            7,
            _fails("assertion", "test_unit_norm", "test_module"),
            ("locked-cell-removed",),
            tampering=True,
        ),
        "edits_a_test": Case(
            with_norm(WRONG_NORM).replace(
                "    assert math.isclose(norm([3, 4]), 5.0)\n    assert np.allclose(norm([1, 1]), math.sqrt(2))\n",
                "    pass\n",
            ),
            7,
            _fails("assertion", "test_unit_norm", "test_module"),
            ("locked-cell-changed",),
            tampering=True,
            fools_naive=True,
        ),
        "strips_test_metadata": Case(
            with_norm(WRONG_NORM).replace(
                T_NORM, without_metadata(T_NORM).replace("assert math.isclose(norm([3, 4]), 5.0)", "return")
            ),
            7,
            _fails("assertion", "test_unit_norm", "test_module"),
            ("locked-cell-stripped",),
            tampering=True,
            fools_naive=True,
        ),
        "duplicates_a_test_cell": Case(
            REFERENCE.replace(T_BOX, T_BOX + "\n\n" + T_BOX), 12, flags=("locked-cell-duplicated",), tampering=True
        ),
        "claims_extra_points": Case(
            with_cell_after(T_MODULE, "def test_unit_bonus():\n    pass").replace(
                "# %%\ndef test_unit_bonus",
                '# %% nbgrader={"grade": true, "grade_id": "bonus", "locked": true, "points": 100, '
                '"solution": false}\ndef test_unit_bonus',
            ),
            12,
            flags=("unknown-graded-cell",),
            tampering=True,
        ),
    }


def write_submissions(folder: Path, corpus: dict[str, Case]) -> None:
    """One file per case, without the hidden tests (a student's copy never has them).

    ``.ipynb`` cases are converted the way a student's notebook would be.
    """
    import jupytext

    folder.mkdir(parents=True, exist_ok=True)
    for name, case in corpus.items():
        path = folder / f"{name}{case.suffix}"
        text = without_hidden_tests(case.text)
        if case.suffix == ".ipynb" and text.startswith("# ---"):
            path.write_text(jupytext.writes(jupytext.reads(text, fmt="py:percent"), fmt="ipynb"), encoding="utf-8")
        else:
            path.write_text(text, encoding="utf-8")


def scores(results: list) -> dict[str, float]:
    return {result.student: result.score for result in results}


def dump(result) -> str:
    """A readable account of one result, for assertion messages."""
    return json.dumps(
        {
            "score": result.score,
            "tests": [(t.name, t.outcome, t.reason) for t in result.tests],
            "flags": [(f.kind, f.detail[:120]) for f in result.flags],
        },
        indent=1,
    )


# Short limits keep the hang and crash cases quick; the grace is how long past a
# deadline the parent waits before it kills a worker.
FAST = Limits(test_seconds=1.0, submission_seconds=30.0, memory_mib=512, grace_seconds=0.5)


def demo_module(root: Path) -> ModuleInfo:
    return ModuleInfo(1, "demo", root / "modules" / "01_demo")


def grade_folder(
    root: Path, submissions: Path, output: Path, limits: Limits = FAST, **engine: Any
) -> list[SubmissionResult]:
    """Grade every submission in a folder with the engine directly (no pytest)."""
    module = demo_module(root)
    reference = Reference.load(module)
    prepared = [prepare(s, reference, limits) for s in find_submissions(submissions, module)]
    engine.setdefault("workers", 2)
    return Engine(reference, limits, ResultStore(output), **engine).run(prepared)


POINTS = {"test_unit_double": 4.0, "test_unit_norm": 3.0, "test_unit_box": 3.0, "test_module": 2.0}

# What a grader that runs the tests in the student's own namespace does (nbgrader,
# the public TinyTorch tito): every cell in one namespace, then each test called.
# One process imports NumPy once and forks a child per file, which prints its score.
NAIVE_GRADER = """
import json, os, sys
import numpy
from pytest_tinytorch.notebook import read_notebook
points = json.loads(sys.argv[1])
for path in sys.argv[2:]:
    reader, writer = os.pipe()
    if os.fork() == 0:
        os.close(reader)
        namespace = {"__name__": "__naive__"}
        for cell in read_notebook(path).code_cells:
            try:
                exec(compile(cell.source, "cell", "exec"), namespace)
            except BaseException:
                pass
        score = 0.0
        for name, value in points.items():
            try:
                namespace[name]()
                score += value
            except BaseException:
                pass
        os.write(writer, str(score).encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as result:
        print(path, result.read() or "nan")
    os.wait()
"""


def naive_scores(paths: list[Path]) -> dict[str, float]:
    """The scores a naive grader gives (in a subprocess: a submission is not ours to run in-process)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", NAIVE_GRADER, json.dumps(POINTS), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = {}
    for line in done.stdout.splitlines():
        path, score = line.rsplit(" ", 1)
        found[Path(path).stem] = float(score)
    return found
