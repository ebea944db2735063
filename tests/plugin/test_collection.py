"""Which files become which items, and how users select them."""

from __future__ import annotations

import pytest
from nbbuild import cell, graded, markdown, to_ipynb

DEMO = (
    markdown("# Demo module\nAdds and multiplies."),
    cell(
        "#| default_exp core.demo\n#| export\ndef add(a, b):\n    return a + b",
        grade=False,
        grade_id="add",
        solution=True,
        locked=False,
    ),
    graded(
        "def test_unit_add():\n    assert add(2, 3) == 5\n\nif __name__ == '__main__':\n    test_unit_add()",
        "test-add",
        points=4,
    ),
    graded(
        "def test_add_commutes():\n    assert add(1, 2) == add(2, 1)\n\n"
        "def test_add_zero():\n    assert add(0, 7) == 7",
        "test-add-props",
        points=2,
    ),
    cell(
        "def test_helper_not_a_test():\n    raise AssertionError('never collected')\n\n"
        "def test_unit_in_plain_cell():\n    assert add(1, 1) == 2"
    ),
    graded("def test_module():\n    assert add(add(1, 2), 3) == 6", "test-module", points=10),
)
DEMO_TESTS = ["test_unit_add", "test_add_commutes", "test_add_zero", "test_unit_in_plain_cell", "test_module"]


def collected_names(result: pytest.RunResult) -> list[str]:
    return [line.split("::")[-1] for line in result.outlines if "::" in line]


@pytest.mark.parametrize("spec", ["01", "1", "demo", "01_demo"])
def test_module_option_accepts_number_name_and_folder(pytester, write_module, spec):
    write_module(*DEMO)
    result = pytester.runpytest("--tinytorch-module", spec, "--collect-only", "-q")
    assert collected_names(result) == DEMO_TESTS


def test_module_path_and_folder_collect_the_same_items(pytester, write_module):
    path = write_module(*DEMO)
    by_file = collected_names(pytester.runpytest(str(path), "--collect-only", "-q"))
    by_folder = collected_names(pytester.runpytest("modules", "--collect-only", "-q"))
    assert by_file == by_folder == DEMO_TESTS


def test_ipynb_collects_the_same_items_as_the_py(pytester, write_module):
    path = write_module(*DEMO)
    notebook = to_ipynb(path, pytester.path / "submission.ipynb")
    from_py = pytester.runpytest(str(path), "-v")
    from_ipynb = pytester.runpytest(str(notebook), "-v")
    from_py.assert_outcomes(passed=5)
    from_ipynb.assert_outcomes(passed=5)
    names = [n for n in collected_names(pytester.runpytest(str(notebook), "--collect-only", "-q"))]
    assert names == DEMO_TESTS


def test_each_test_is_its_own_item_for_k_and_x(pytester, write_module):
    write_module(*DEMO)
    result = pytester.runpytest("modules", "-k", "add and not zero", "-q")
    result.assert_outcomes(passed=2, deselected=3)


def test_markers_select_by_module_and_grading(pytester, write_module):
    write_module(*DEMO)
    write_module(graded("def test_unit_other():\n    assert True is not False", "t-other"), number=2, name="other")
    pytester.runpytest("modules", "-m", "tinytorch(module=2)", "-q").assert_outcomes(passed=1, deselected=5)
    graded_only = pytester.runpytest("modules/01_demo", "-m", "tinytorch_graded", "-q")
    graded_only.assert_outcomes(passed=4, deselected=1)
    by_id = pytester.runpytest("modules", "-m", "tinytorch_graded(grade_id='test-add-props')", "-q")
    by_id.assert_outcomes(passed=2, deselected=4)


def test_points_split_equally_in_a_cell_and_reach_junit(pytester, write_module):
    write_module(*DEMO)
    pytester.runpytest("modules", "--junitxml=out.xml")
    xml = (pytester.path / "out.xml").read_text()
    assert '<property name="grade_id" value="test-add-props" />' in xml
    assert xml.count('<property name="points" value="1.0" />') == 2  # 2 points shared by 2 tests
    assert '<property name="points" value="4.0" />' in xml


def test_module_option_restricts_explicit_paths(pytester, write_module):
    write_module(*DEMO)
    write_module(graded("def test_unit_other():\n    assert 1 + 1 == 2", "t-other"), number=2, name="other")
    result = pytester.runpytest("modules", "--tinytorch-module", "2", "-q")
    result.assert_outcomes(passed=1, deselected=5)


def test_collect_only_runs_no_student_code(pytester, write_module):
    write_module(cell("open('ran.txt', 'w').write('x')"), graded("def test_unit_a():\n    assert True", "a"))
    pytester.runpytest("modules", "--collect-only")
    assert not (pytester.path / "ran.txt").exists()


def test_other_python_files_are_left_alone(pytester, write_module):
    write_module(*DEMO)
    (pytester.path / "modules" / "01_demo" / "helpers.py").write_text("raise SystemExit('imported!')\n")
    pytester.makepyfile(test_plain="def test_plain():\n    assert 2 * 2 == 4\n")
    result = pytester.runpytest("-q")
    result.assert_outcomes(passed=6)


def test_public_course_style_module_runs_unmodified(pytester):
    """The shape of a module from the public TinyTorch course: triple-quoted markdown,
    nbdev directives, nbgrader metadata in headers, __main__ test calls, emoji output."""
    folder = pytester.path / "modules" / "01_tensor"
    folder.mkdir(parents=True)
    (folder / "tensor.py").write_text(PUBLIC_STYLE, encoding="utf-8")
    result = pytester.runpytest("--tinytorch-module", "tensor", "-v")
    result.assert_outcomes(passed=3)
    result.stdout.no_fnmatch_line("*Tensor creation works*")  # __main__ calls did not run


PUBLIC_STYLE = '''# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.17.1
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
"""
# Module 01: Tensor - Foundation of Machine Learning

Welcome to Tensor! **Learning objectives:** build a Tensor class.
"""

# %% nbgrader={"grade": false, "grade_id": "tensor-imports", "solution": true}
#| default_exp core.tensor
#| export
import numpy as np

# %% [markdown]
"""
## Implementation
"""

# %% nbgrader={"grade": false, "grade_id": "tensor-init", "solution": true}
#| export
class Tensor:
    """Educational tensor."""

    def __init__(self, data):
        ### BEGIN SOLUTION
        self.data = np.array(data, dtype=np.float32)
        self.shape = self.data.shape
        ### END SOLUTION

    def __add__(self, other):
        ### BEGIN SOLUTION
        return Tensor(self.data + other.data)
        ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test-tensor-creation", "locked": true, "points": 10}
def test_unit_tensor_creation():
    """🧪 Test Tensor creation."""
    print("🔬 Unit Test: Tensor Creation...")
    t = Tensor([1, 2, 3])
    assert t.shape == (3,)
    print("✅ Tensor creation works!")

if __name__ == "__main__":
    test_unit_tensor_creation()

# %% nbgrader={"grade": true, "grade_id": "test-tensor-add", "locked": true, "points": 10}
def test_unit_tensor_add():
    print("🔬 Unit Test: Addition...")
    assert np.allclose((Tensor([1, 2]) + Tensor([3, 4])).data, [4, 6])

if __name__ == "__main__":
    test_unit_tensor_add()

# %% [markdown]
"""
## 🧪 Module Integration Test
"""

# %% nbgrader={"grade": true, "grade_id": "module-integration", "locked": true, "points": 20}
def test_module():
    """Final validation."""
    test_unit_tensor_creation()
    test_unit_tensor_add()
    print("🎉 ALL TESTS PASSED!")

if __name__ == "__main__":
    test_module()
'''


def test_module_option_prefers_the_students_working_copy(pytester, write_module):
    path = write_module(*DEMO)
    reference = pytester.runpytest("--tinytorch-module", "1")
    reference.stdout.fnmatch_lines(["tinytorch: module 01_demo from *modules/01_demo/demo.py (module source)"])
    copy = pytester.path / "workspace" / "01_demo" / "demo.ipynb"
    copy.parent.mkdir(parents=True)
    to_ipynb(path, copy)
    student = pytester.runpytest("--tinytorch-module", "1", "-v")
    student.stdout.fnmatch_lines(
        [
            "tinytorch: module 01_demo from *workspace/01_demo/demo.ipynb (student working copy)",
            "workspace/01_demo/demo.ipynb::test_unit_add PASSED*",
        ]
    )
