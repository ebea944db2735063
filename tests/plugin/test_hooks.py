"""The plugin's own hooks (hookspec.py), as another plugin or a conftest uses them."""

from __future__ import annotations

from nbbuild import cell, graded


def test_prepare_notebook_can_replace_cells_before_collection(pytester, write_module):
    write_module(
        cell("def add(a, b):\n    return a - b"), graded("def test_unit_add():\n    assert add(2, 2) == 4", "t")
    )
    pytester.makeconftest("""
        import dataclasses

        def pytest_tinytorch_prepare_notebook(config, notebook, module):
            fixed = [dataclasses.replace(c, source=c.source.replace("a - b", "a + b")) for c in notebook.cells]
            return dataclasses.replace(notebook, cells=tuple(fixed))
    """)
    pytester.runpytest("modules").assert_outcomes(passed=1)


def test_make_executor_can_supply_another_executor(pytester, write_module):
    write_module(graded("def test_unit_a():\n    assert False", "a"))
    pytester.makeconftest("""
        class Recorder:
            calls = []
            def __init__(self, notebook):
                self.notebook = notebook
            def start(self):
                self.calls.append("start")
            def run_test(self, name):
                self.calls.append(name)
            def locate(self, filename, lineno):
                return None
            def close(self):
                self.calls.append("close")

        def pytest_tinytorch_make_executor(config, notebook, module):
            return Recorder(notebook)

        def pytest_sessionfinish(session):
            assert Recorder.calls == ["start", "test_unit_a", "close"], Recorder.calls
    """)
    result = pytester.runpytest("modules")
    result.assert_outcomes(passed=1)
    assert result.ret == 0


def test_module_path_hook_chooses_the_file_for_the_module_option(pytester, write_module):
    write_module(graded("def test_unit_reference():\n    assert 1", "r"))
    copy = pytester.path / "work" / "01_demo" / "demo.py"
    copy.parent.mkdir(parents=True)
    copy.write_text(
        (pytester.path / "modules/01_demo/demo.py").read_text().replace("test_unit_reference", "test_unit_copy")
    )
    pytester.makeconftest("""
        def pytest_tinytorch_module_path(config, module):
            return config.rootpath / "work" / module.slug / (module.name + ".py")
    """)
    result = pytester.runpytest("--tinytorch-module", "1", "-v")
    result.stdout.fnmatch_lines(["tinytorch: module 01_demo from */work/01_demo/demo.py*", "*::test_unit_copy PASSED*"])


def test_module_started_hook_sees_the_executed_module(pytester, write_module):
    write_module(cell("ANSWER = 42"), graded("def test_unit_a():\n    assert ANSWER", "a"))
    pytester.makeconftest("""
        seen = []
        def pytest_tinytorch_module_started(config, notebook, executor):
            seen.append(executor.module.ANSWER)
        def pytest_sessionfinish(session):
            assert seen == [42]
    """)
    result = pytester.runpytest("modules")
    result.assert_outcomes(passed=1)
    assert result.ret == 0
