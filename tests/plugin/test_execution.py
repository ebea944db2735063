"""How a module's cells run: once, in a fresh real module, quietly, with rewritten asserts."""

from __future__ import annotations

import pytest
from nbbuild import cell, graded, to_ipynb


def test_cells_run_once_per_module_not_per_test(pytester, write_module):
    write_module(
        cell(
            "import pathlib\ncounter = pathlib.Path('runs.txt')\n"
            "counter.write_text(counter.read_text() + 'x' if counter.exists() else 'x')"
        ),
        graded("def test_unit_a():\n    assert counter.read_text() == 'x'", "a"),
        graded("def test_unit_b():\n    assert counter.read_text() == 'x'", "b"),
    )
    pytester.runpytest("modules").assert_outcomes(passed=2)
    assert (pytester.path / "runs.txt").read_text() == "x"


def test_main_guarded_calls_do_not_run(pytester, write_module):
    write_module(
        graded(
            "def test_unit_a():\n    assert 1 + 1 == 2\n\n"
            "if __name__ == '__main__':\n    raise SystemExit('the __main__ block ran')",
            "a",
        ),
    )
    pytester.runpytest("modules").assert_outcomes(passed=1)


def test_module_object_supports_dataclasses_pickle_and_inspect(pytester, write_module):
    write_module(
        cell("import dataclasses, inspect, pickle, sys\n\n@dataclasses.dataclass\nclass Point:\n    x: int\n"),
        graded(
            "def test_module():\n"
            "    assert pickle.loads(pickle.dumps(Point(3))) == Point(3)\n"
            "    assert 'class Point' in inspect.getsource(Point)\n"
            "    assert sys.modules[__name__].Point is Point\n"
            "    assert __name__ != '__main__'",
            "m",
        ),
    )
    pytester.runpytest("modules").assert_outcomes(passed=1)


def test_each_run_gets_a_fresh_module(pytester, write_module):
    write_module(
        cell("import sys\nstate = []"),
        graded("def test_unit_a():\n    state.append(1)\n    assert state == [1]", "a"),
    )
    pytester.runpytest("modules").assert_outcomes(passed=1)
    pytester.runpytest("modules").assert_outcomes(passed=1)


def test_future_imports_carry_to_later_cells_as_in_ipython(pytester, write_module):
    write_module(
        cell("from __future__ import annotations"),
        cell("def f(x: UndefinedType) -> int:\n    return 1"),  # would be a NameError without the future
        graded("def test_unit_a():\n    assert f(0) == 1", "a"),
    )
    pytester.runpytest("modules").assert_outcomes(passed=1)


def test_ipython_magics_are_skipped_with_a_warning(pytester, write_module):
    path = write_module(
        cell("value = 41"),
        cell("%matplotlib inline\n!echo hello\nlisting = !ls\nvalue += 1"),
        graded("def test_unit_a():\n    assert value == 42", "a"),
    )
    notebook = to_ipynb(path, pytester.path / "magic.ipynb")
    # jupytext comments magics out in the .py; the .ipynb has them for real.
    notebook.write_text(
        notebook.read_text()
        .replace("# %matplotlib", "%matplotlib")
        .replace("# !echo", "!echo")
        .replace("# listing = !ls", "listing = !ls")
    )
    result = pytester.runpytest(str(notebook), "-W", "default")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*skipped IPython-only line at *magic.ipynb cell 2, line 1: '%matplotlib inline'*"])


def test_cell_magic_cells_are_skipped_whole(pytester, write_module):
    path = write_module(cell("x = 1"), cell("%%bash\necho hi"), graded("def test_unit_a():\n    assert x == 1", "a"))
    notebook = to_ipynb(path, pytester.path / "cellmagic.ipynb")
    notebook.write_text(notebook.read_text().replace("# %%bash", "%%bash"))
    result = pytester.runpytest(str(notebook), "-W", "default")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*skipped IPython-only line*%%bash*"])


def test_prints_and_stderr_do_not_fail_a_test(pytester, write_module):
    write_module(
        cell("import sys, warnings"),
        graded(
            "def test_unit_a():\n    print('hello')\n    print('oops', file=sys.stderr)\n"
            "    warnings.warn('careful')\n    assert True is True",
            "a",
        ),
    )
    result = pytester.runpytest("modules")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*UserWarning: careful*"])


def test_patches_to_the_tinytorch_package_end_with_the_module(pytester, write_module):
    """Module 05 upgrades Tensor in place; that must not leak into the next module's run."""
    write_module(
        cell("from tinytorch.core.tensor import Tensor\n\n"
             "def broken_add(self, other):\n    raise NotImplementedError()\n\n"
             "Tensor.__add__ = broken_add\nTensor.added_by_notebook = True"),
        graded("def test_unit_patched():\n    assert Tensor.added_by_notebook", "p"),
        number=5, name="patcher",
    )
    write_module(
        cell("from tinytorch.core.tensor import Tensor"),
        graded("def test_unit_clean():\n    assert not hasattr(Tensor, 'added_by_notebook')\n"
               "    assert (Tensor([1.0]) + Tensor([2.0])).tolist() == [3.0]", "c"),
        number=6, name="after",
    )
    pytester.runpytest("modules", "-p", "no:randomly").assert_outcomes(passed=2)


def test_assertion_pass_hook_option_works_on_percent_files(pytester, write_module):
    """Regression: the rewriter was given cell text while the tree had file line numbers."""
    write_module(cell("x = 1"), graded("def test_unit_x():\n    assert x == 1", "x"))
    pytester.runpytest("modules", "-o", "enable_assertion_pass_hook=true").assert_outcomes(passed=1)


def write_course_package(root, marker: str) -> None:
    package = root / "tinytorch"
    package.mkdir()
    (package / "__init__.py").write_text(f"MARK = {marker!r}\n")


PACKAGE_CHECK = (
    cell("import tinytorch"),
    graded("def test_unit_own_package():\n    assert getattr(tinytorch, 'MARK', None) == 'this course'", "own"),
)


@pytest.mark.parametrize("executor", ["inprocess", "kernel"])
def test_modules_import_their_own_courses_package(pytester, write_module, monkeypatch, executor):
    """However pytest is started and from wherever, a module imports the tinytorch
    package of the course it belongs to (the installed one is also importable here)."""
    write_module(*PACKAGE_CHECK)
    write_course_package(pytester.path, "this course")
    elsewhere = pytester.mkdir("elsewhere")
    monkeypatch.chdir(elsewhere)  # so neither the cwd nor PYTHONPATH points at the course
    result = pytester.runpytest_subprocess(str(pytester.path / "modules"), f"--tinytorch-executor={executor}")
    result.assert_outcomes(passed=1)


def test_a_submodule_served_from_outside_the_course_is_named(pytester, write_module, tmp_path_factory):
    """The course's tinytorch/ exists but lacks a submodule; another importable copy has it."""
    write_module(cell("from tinytorch.core.tensor import Tensor"), graded("def test_unit_a():\n    assert Tensor", "a"))
    write_course_package(pytester.path, "this course")  # no core/ subpackage
    other = tmp_path_factory.mktemp("other_checkout")
    (other / "tinytorch" / "core").mkdir(parents=True)
    (other / "tinytorch" / "__init__.py").write_text("")
    (other / "tinytorch" / "core" / "__init__.py").write_text("")
    (other / "tinytorch" / "core" / "tensor.py").write_text("Tensor = object\n")
    # An import finder that serves tinytorch.core.* from the other checkout, as an editable install's does.
    (pytester.path / "conftest.py").write_text(
        "import importlib.machinery, sys\n"
        "class Finder:\n"
        "    @staticmethod\n"
        "    def find_spec(name, path=None, target=None):\n"
        "        if name.startswith('tinytorch.core'):\n"
        f"            return importlib.machinery.PathFinder.find_spec(name, [{str(other / 'tinytorch' / 'core')!r}]"
        f" if name != 'tinytorch.core' else [{str(other / 'tinytorch')!r}])\n"
        "sys.meta_path.insert(0, Finder)\n"
    )
    result = pytester.runpytest_subprocess("modules")
    result.stdout.fnmatch_lines(["*ForeignPackageWarning: *the module imported tinytorch code from */other_checkout*/tinytorch/core/*"])


def test_a_package_from_outside_the_course_is_named_in_a_warning(pytester, write_module):
    write_module(*PACKAGE_CHECK)  # this course has no tinytorch/ yet: the installed one gets imported
    result = pytester.runpytest_subprocess("modules")
    result.assert_outcomes(failed=1, warnings=1)
    result.stdout.fnmatch_lines(["*ForeignPackageWarning: modules/01_demo/demo.py: the module imported tinytorch code from *"
                                 "not from the course at * (this course has no tinytorch/ yet)*"])
