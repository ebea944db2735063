"""The milestone scripts in milestones/: each runs as a student runs it (a subprocess) and tells the truth.

Fast tests run each script on a reduced budget against a reduced target;
the full targets run under ``pytest -m slow`` (about a second each here).
A missed target must print TARGET NOT MET and exit 1; a missing module,
exit 2 with the fix.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((REPO / "milestones").glob("[0-9][0-9]_*.py"))
ALLOWED_IMPORTS = {"__future__", "argparse", "json", "sys", "time", "pathlib", "numpy", "tinytorch", "_common"}


def run(
    script: Path, *args: str, tmp_path: Path, cwd: Path | None = None
) -> tuple[subprocess.CompletedProcess, dict | None]:
    result = tmp_path / f"{script.stem}.json"
    proc = subprocess.run(
        [sys.executable, str(script), *args, "--result-json", str(result)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd or tmp_path,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )
    return proc, json.loads(result.read_text()) if result.exists() else None


def script(name: str) -> Path:
    return REPO / "milestones" / f"{name}.py"


REDUCED = {
    "01_perceptron": (["--epochs", "5", "--points", "60", "--target", "95"], "accuracy", 0.95),
    "02_xor": (["--epochs", "30"], "hidden_accuracy", 1.0),
    "03_mlp_digits": (["--epochs", "3", "--target", "80"], "test_accuracy", 0.80),
}
FULL = {
    "01_perceptron": ("accuracy", 1.0),
    "02_xor": ("hidden_accuracy", 1.0),
    "03_mlp_digits": ("test_accuracy", 0.95),
}


def test_every_script_is_covered():
    assert sorted(s.stem for s in SCRIPTS) == sorted(REDUCED) == sorted(FULL)


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_scripts_import_only_tinytorch_numpy_and_the_standard_library(path):
    """matplotlib only lazily (inside a function, for --plot); no scikit-learn, no torch."""
    modules = [path, REPO / "milestones" / "_common.py"]
    for file in modules:
        tree = ast.parse(file.read_text())
        top_level = [
            n
            for n in ast.walk(tree)
            if isinstance(n, (ast.Import, ast.ImportFrom))
            and not any(isinstance(p, ast.FunctionDef) for p in _parents(tree, n))
        ]
        names = {
            (n.module if isinstance(n, ast.ImportFrom) else a.name).split(".")[0]
            for n in top_level
            for a in (n.names if isinstance(n, ast.Import) else [n])
        }
        assert names <= ALLOWED_IMPORTS, f"{file.name} imports {sorted(names - ALLOWED_IMPORTS)} at module level"


def _parents(tree, target):
    stack = [(tree, [])]
    while stack:
        node, parents = stack.pop()
        if node is target:
            return parents
        stack.extend((child, [*parents, node]) for child in ast.iter_child_nodes(node))
    return []


@pytest.mark.parametrize("name", sorted(REDUCED))
def test_reduced_budget_reaches_reduced_target(name, tmp_path):
    args, key, least = REDUCED[name]
    proc, verdict = run(script(name), *args, tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "result:   TARGET MET" in proc.stdout and "target:" in proc.stdout and "measured:" in proc.stdout
    assert verdict["target_met"] is True and verdict["measured"][key] >= least
    assert verdict["official"] is False and verdict["custom_settings"], "a reduced run is not the official target"
    assert "not the milestone's official target" in proc.stdout


def test_a_missed_target_is_reported_and_exits_1(tmp_path):
    proc, verdict = run(script("03_mlp_digits"), "--epochs", "1", "--target", "99.5", tmp_path=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "result:   TARGET NOT MET" in proc.stdout and "TARGET MET\n" not in proc.stdout
    assert verdict["target_met"] is False and verdict["measured"]["test_accuracy"] < 0.995


def test_the_time_limit_is_part_of_the_target(tmp_path):
    proc, verdict = run(
        script("03_mlp_digits"), "--epochs", "1", "--target", "10", "--time-limit", "0.0001", tmp_path=tmp_path
    )
    assert proc.returncode == 1 and "over the 0.0001 s limit" in proc.stdout
    assert verdict["target_met"] is False and verdict["measured"]["test_accuracy"] >= 0.10


def copy_course(tmp_path: Path, skip: str | None = None) -> Path:
    course = tmp_path / "course"
    ignore = shutil.ignore_patterns("__pycache__")
    for folder in ("milestones", "tinytorch", "datasets"):
        shutil.copytree(REPO / folder, course / folder, ignore=ignore)
    if skip:
        (course / skip).unlink()
    return course


def test_a_script_uses_the_package_of_its_own_course_and_plots(tmp_path):
    course = copy_course(tmp_path)
    proc, verdict = run(
        course / "milestones" / "02_xor.py", "--epochs", "30", "--plot", "out/curve.png", tmp_path=tmp_path
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"Using tinytorch from {(course / 'tinytorch').resolve()}" in proc.stdout
    png = tmp_path / "out" / "curve.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"plot:     {Path('out/curve.png')}" in proc.stdout


def test_a_module_missing_from_the_course_is_never_taken_from_elsewhere(tmp_path):
    """The editable install would supply /work/main's tinytorch.data: the script must refuse, not use it."""
    course = copy_course(tmp_path, skip="tinytorch/data.py")
    proc, verdict = run(course / "milestones" / "03_mlp_digits.py", tmp_path=tmp_path)
    assert proc.returncode == 2 and verdict is None, proc.stdout + proc.stderr
    own = (course / "tinytorch").resolve()
    assert f"must run this course's own package, {own}, but these came from elsewhere" in proc.stdout
    assert (
        "tinytorch.data (" in proc.stdout
        and "complete and export modules 01, 02, 03, 04, 05, 06, 07, 08" in proc.stdout
    )


def test_without_any_fallback_a_missing_module_is_explained(tmp_path):
    """No installed tinytorch to fall back on (the editable finder removed): ImportError, exit 2, the fix."""
    course = copy_course(tmp_path, skip="tinytorch/data.py")
    path = course / "milestones" / "03_mlp_digits.py"
    code = (
        "import runpy, sys; "
        "sys.meta_path[:] = [f for f in sys.meta_path if 'Editable' not in getattr(f, '__name__', type(f).__name__)]; "
        f"sys.path.insert(0, {str(path.parent)!r}); sys.argv = [{str(path)!r}]; "
        f"runpy.run_path({str(path)!r}, run_name='__main__')"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "needs modules 01, 02, 03, 04, 05, 06, 07, 08 exported into tinytorch/" in proc.stdout
    assert "ModuleNotFoundError: No module named 'tinytorch.data'" in proc.stdout
    assert "tito module complete NN" in proc.stdout


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FULL))
def test_full_target(name, tmp_path):
    key, least = FULL[name]
    proc, verdict = run(script(name), tmp_path=tmp_path)
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert verdict["official"] is True and verdict["target_met"] is True
    assert verdict["measured"][key] >= least
    if name == "03_mlp_digits":
        assert verdict["measured"]["seconds"] < 30.0
    if name == "02_xor":
        assert verdict["measured"]["single_layer_best_accuracy"] <= 0.75
