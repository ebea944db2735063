"""The kernel executor: same items and outcomes as in-process, code run in a real Jupyter kernel."""

from __future__ import annotations

from nbbuild import cell, graded, to_ipynb

MODULE = (
    cell("import os\nPID = os.getpid()\n\ndef double(x):\n    return x * 3"),
    graded("def test_unit_ok():\n    assert double(0) == 0", "ok"),
    graded("def test_unit_wrong():\n    value = double(2)\n    assert value == 4", "wrong"),
    graded(
        "def test_unit_in_a_kernel():\n    assert PID != __import__('os').getppid()\n"
        "    assert __name__ != '__main__'\n    assert 'get_ipython' in globals()",
        "where",
    ),
)


def test_same_items_and_outcomes_as_in_process(pytester, write_module):
    write_module(*MODULE)
    kernel = pytester.runpytest("modules", "--tinytorch-executor=kernel", "-v")
    inprocess = pytester.runpytest("modules", "-v")
    kernel.assert_outcomes(passed=2, failed=1)
    inprocess.assert_outcomes(passed=1, failed=2)  # test_unit_in_a_kernel fails outside a kernel
    for result in (kernel, inprocess):
        result.stdout.fnmatch_lines(["*::test_unit_ok PASSED*", "*::test_unit_wrong FAILED*"])


def test_kernel_failure_names_cell_and_file_line_with_values(pytester, write_module):
    write_module(*MODULE)
    result = pytester.runpytest("modules", "--tinytorch-executor=kernel", "-k", "wrong")
    result.stdout.fnmatch_lines(
        [
            "test_unit_wrong failed in the kernel (cell 3)",
            "cell 3 (modules/01_demo/demo.py:*), in test_unit_wrong()",
            "*assert value == 4",
            "AssertionError: assert 6 == 4",
        ]
    )


def test_kernel_runs_magics_and_reports_broken_cells(pytester, write_module):
    path = write_module(cell("value = 1"), cell("x = undefined_name"), graded("def test_unit_a():\n    assert 1", "a"))
    notebook = to_ipynb(path, pytester.path / "student.ipynb")
    notebook.write_text(notebook.read_text().replace('"value = 1"', '"%load_ext autoreload\\nvalue = 1"'))
    result = pytester.runpytest(str(notebook), "--tinytorch-executor=kernel")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["NameError: name 'undefined_name' is not defined", "  raised in cell 2 (student.ipynb cell 2, line 1)"]
    )


def test_kernel_timeout_interrupts_the_test(pytester, write_module):
    write_module(
        graded("def test_unit_spin():\n    while True:\n        pass", "spin"),
        graded("def test_unit_next():\n    assert 2 > 1", "next"),
    )
    result = pytester.runpytest("modules", "--tinytorch-executor=kernel", "--tinytorch-timeout=2")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*test_unit_spin did not finish within 2 s*"])


def test_future_import_after_directives_compiles_in_the_kernel(pytester, write_module):
    """Regression: the assertion rewriter's inserted imports had no end position,
    and IPython's location fixing then made the cell uncompilable."""
    write_module(
        cell("#| default_exp core.demo\n#| export\nfrom __future__ import annotations\nimport math"),
        graded("def test_unit_a():\n    assert math.floor(2.5) == 2", "a"),
    )
    pytester.runpytest("modules", "--tinytorch-executor=kernel").assert_outcomes(passed=1)


def test_kernel_names_the_failing_line_of_a_broken_cell(pytester, write_module):
    """Regression: the line was looked up after the traceback's cell references were renamed."""
    write_module(cell("a = 1\nb = 2\nc = 1 / 0"), graded("def test_unit_a():\n    assert a == 1", "a"))
    result = pytester.runpytest("modules", "--tinytorch-executor=kernel")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["ZeroDivisionError: division by zero", "  raised in cell 1 (modules/01_demo/demo.py:17)",
                                 "    > 17 | c = 1 / 0"])
