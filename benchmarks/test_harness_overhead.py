"""What the harness itself costs, measured as whole commands in one run.

For one course module (the real module 01), interleaved round by round so
machine noise hits every variant alike:

- ``pytest_floor``: pytest running one trivial test file (pytest's own start-up,
  with every installed plugin loaded, ours included);
- ``inprocess``: ``pytest --tinytorch-module 01`` (the default executor);
- ``kernel``: the same with ``--tinytorch-executor=kernel``;
- ``plain``: the module's cells and tests executed by a bare ``python`` (no pytest);
- ``nbclient``: the notebook executed by nbclient in a Jupyter kernel (no pytest).

Targets (issue 2): the in-process path adds well under 0.5 s to pytest's own
start-up, and is at least 5x cheaper per module than the kernel path.  The
plugin's own load cost (import plus the assertion rewriting pytest repeats
on every run under PYTHONDONTWRITEBYTECODE) is measured directly and must
stay within a few milliseconds.
"""

from __future__ import annotations

import ast
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ROUNDS = 7

PLAIN_RUNNER = r"""
import sys, types
from pytest_tinytorch.notebook import read_notebook
from pytest_tinytorch.inline import find_tests
nb = read_notebook(sys.argv[1])
module = types.ModuleType("plain_run")
sys.modules["plain_run"] = module
# All code cells as one script, the way `python tensor.py` would run them
# (but with __name__ != "__main__", so the demo and test calls stay quiet).
source = "\n\n".join(cell.source for cell in nb.code_cells)
exec(compile(source, str(nb.path), "exec"), module.__dict__)
for test in find_tests(nb):
    module.__dict__[test.name]()
"""

NBCLIENT_RUNNER = r"""
import sys, jupytext, nbformat
from nbclient import NotebookClient
from pytest_tinytorch.inline import find_tests
from pytest_tinytorch.notebook import read_notebook
nb = jupytext.read(sys.argv[1])
calls = "\n".join(f"{t.name}()" for t in find_tests(read_notebook(sys.argv[1])))
nb.cells.append(nbformat.v4.new_code_cell(calls))
NotebookClient(nb, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}}).execute()
"""


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A course folder with module 01 and its exported package, and a trivial test file."""
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(REPO / "modules" / "01_tensor", root / "modules" / "01_tensor")
    shutil.copytree(REPO / "tinytorch", root / "tinytorch")
    (root / "test_trivial.py").write_text("def test_trivial():\n    assert 1 + 1 == 2\n")
    (root / "plain.py").write_text(PLAIN_RUNNER)
    (root / "run_nbclient.py").write_text(NBCLIENT_RUNNER)
    return root


def commands(root: Path) -> dict[str, list[str]]:
    pytest_cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    module = str(root / "modules" / "01_tensor" / "tensor.py")
    return {
        "pytest_floor": [*pytest_cmd, "test_trivial.py"],
        "inprocess": [*pytest_cmd, "--tinytorch-module", "01"],
        "kernel": [*pytest_cmd, "--tinytorch-module", "01", "--tinytorch-executor=kernel"],
        "plain": [sys.executable, "plain.py", module],
        "nbclient": [sys.executable, "run_nbclient.py", module, str(root)],
    }


def run_once(command: list[str], root: Path) -> float:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    start = time.perf_counter()
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, f"{command} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return elapsed


def test_harness_overhead_against_pytest_plain_python_and_nbclient(benchmark, course):
    variants = commands(course)
    samples: dict[str, list[float]] = {name: [] for name in variants}

    def one_round() -> None:
        for name, command in variants.items():
            samples[name].append(run_once(command, course))

    benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1)
    median = {name: statistics.median(times) for name, times in samples.items()}
    added_inprocess = median["inprocess"] - median["pytest_floor"]
    added_kernel = median["kernel"] - median["pytest_floor"]
    benchmark.extra_info.update({f"median_s_{k}": round(v, 4) for k, v in median.items()})
    benchmark.extra_info["added_by_inprocess_s"] = round(added_inprocess, 4)
    benchmark.extra_info["added_by_kernel_s"] = round(added_kernel, 4)
    benchmark.extra_info["kernel_over_inprocess_per_module"] = round(added_kernel / max(added_inprocess, 1e-3), 1)
    print("\n" + "\n".join(f"  {name:13s} median {value * 1000:8.1f} ms" for name, value in median.items()))
    print(
        f"  in-process adds {added_inprocess * 1000:.0f} ms to pytest's start-up; "
        f"the kernel path adds {added_kernel * 1000:.0f} ms ({added_kernel / max(added_inprocess, 1e-3):.1f}x)"
    )
    assert added_inprocess < 0.5
    assert added_kernel >= 5 * added_inprocess


def plugin_module_paths() -> list[Path]:
    """Every module pytest imports (and re-rewrites) when it loads our entry points."""
    from importlib.metadata import entry_points

    names = {ep.value.split(":")[0] for ep in entry_points(group="pytest11") if ep.value.startswith("pytest_tinytorch")}
    names.add("pytest_tinytorch.hookspec")  # added on every run by pytest_addhooks
    names.add("pytest_tinytorch")
    paths = []
    for name in sorted(names):
        spec = __import__("importlib.util").util.find_spec(name)
        assert spec is not None and spec.origin, name
        paths.append(Path(spec.origin))
    return paths


def rewrite_and_compile(paths: list[Path]) -> None:
    from _pytest.assertion.rewrite import rewrite_asserts

    for path in paths:
        source = path.read_bytes()
        tree = ast.parse(source, filename=str(path))
        rewrite_asserts(tree, source, str(path))
        compile(tree, str(path), "exec", dont_inherit=True)


def test_plugin_load_cost_is_a_few_milliseconds(benchmark):
    """What loading the plugin adds to every pytest run, ``pytest --version`` included.

    With PYTHONDONTWRITEBYTECODE set, pytest re-parses, re-rewrites and
    re-compiles each autoloaded plugin module on every run; that is the cost.
    """
    paths = plugin_module_paths()
    benchmark.pedantic(rewrite_and_compile, args=(paths,), rounds=30, iterations=1)
    median_ms = benchmark.stats.stats.median * 1000
    benchmark.extra_info["modules"] = [p.name for p in paths]
    benchmark.extra_info["median_ms"] = round(median_ms, 2)
    assert median_ms < 10, f"loading the plugin costs {median_ms:.1f} ms per pytest run"
