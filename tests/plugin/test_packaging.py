"""The installed plugin: its entry point, its import cost, and running under xdist."""

from __future__ import annotations

import subprocess
import sys

import pytest
from nbbuild import graded

HEAVY = ("numpy", "nbformat", "nbclient", "jupytext", "yaml", "jupyter_client", "pytest_tinytorch.items",
         "nbgrader", "sqlalchemy", "pytest_tinytorch.grading.items", "pytest_tinytorch.grading.engine")


def test_plugin_is_registered_through_the_pytest11_entry_point():
    from importlib.metadata import entry_points

    found = [ep for ep in entry_points(group="pytest11") if ep.name == "tinytorch"]
    assert [ep.value for ep in found] == ["pytest_tinytorch.plugin"]
    grading = [ep for ep in entry_points(group="pytest11") if ep.name == "tinytorch-grading"]
    assert [ep.value for ep in grading] == ["pytest_tinytorch.grading.plugin"]


def test_importing_the_plugin_loads_nothing_heavy():
    code = (
        "import sys, pytest, pytest_tinytorch.plugin, pytest_tinytorch.hookspec, pytest_tinytorch.grading.plugin\n"
        "import pytest_tinytorch.gates.plugin\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_collecting_an_ordinary_test_file_loads_nothing_heavy(pytester, monkeypatch):
    """Outside course modules, the plugin must cost a project nothing."""
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD")  # the real entry point, as users have it
    monkeypatch.delenv("PYTEST_PLUGINS")
    pytester.makepyfile(
        test_plain=f"""
        import sys
        def test_nothing_heavy():
            assert sorted(m for m in {HEAVY!r} if m in sys.modules and m != "numpy") == []
    """
    )
    pytester.runpytest_subprocess("-p", "no:hypothesispytest", "-p", "no:benchmark").assert_outcomes(passed=1)


def test_runs_under_xdist_with_each_module_in_its_workers(pytester, write_module, monkeypatch):
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    monkeypatch.delenv("PYTEST_PLUGINS")
    for number in (1, 2):
        write_module(
            *(graded(f"def test_unit_{i}():\n    assert {i} == {i}", f"t{i}") for i in range(4)),
            number=number,
            name=f"mod{number}",
        )
    result = pytester.runpytest_subprocess("-n", "2", "--tinytorch-module", "1", "--tinytorch-module", "2")
    result.assert_outcomes(passed=8)


def test_last_failed_reruns_only_the_failing_inline_test(pytester, write_module):
    write_module(
        graded("def test_unit_good():\n    assert 1 == 1", "g"), graded("def test_unit_bad():\n    assert 1 == 2", "b")
    )
    pytester.runpytest("modules").assert_outcomes(passed=1, failed=1)
    rerun = pytester.runpytest("modules", "--lf")
    rerun.assert_outcomes(failed=1)  # pytest 9 filters passed tests out at collection
    rerun.stdout.fnmatch_lines(["collected 1 item", "run-last-failure: rerun previous 1 failure"])


def test_exit_first_stops_after_the_first_failure(pytester, write_module):
    write_module(*(graded(f"def test_unit_{i}():\n    assert {i} < 0", f"t{i}") for i in range(3)))
    pytester.runpytest("modules", "-x").assert_outcomes(failed=1)


@pytest.mark.parametrize("option", ["--version", "--help"])
def test_help_and_version_still_work(pytester, option):
    result = pytester.runpytest(option)
    assert result.ret == 0
    if option == "--help":
        result.stdout.fnmatch_lines(["*TinyTorch course modules*", "*--tinytorch-module=NN*"])
