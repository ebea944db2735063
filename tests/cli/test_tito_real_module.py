"""The loop on the real ``modules/01_tensor``: start, solve every solution cell, complete.

A copy of the module in a fresh course folder, so the package that gets
exported and imported is the course's own, not the repository's.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tito_helpers import lines, progress

from pytest_tinytorch.inline import find_tests
from pytest_tinytorch.notebook import SOLUTION_BEGIN, SOLUTION_END, read_notebook

REPO = Path(__file__).resolve().parents[2]


def solve(copy: Path, reference: Path) -> int:
    """Write the reference solution into every solution cell of the working copy, as a student would."""
    answers = {cell.grade_id: cell.source for cell in read_notebook(reference).code_cells if cell.is_solution}
    nb = json.loads(copy.read_text())
    solved = 0
    for item in nb["cells"]:
        grade_id = item["metadata"].get("nbgrader", {}).get("grade_id")
        if item["metadata"].get("nbgrader", {}).get("solution") and grade_id in answers:
            kept = [
                line for line in answers[grade_id].splitlines() if line.strip() not in (SOLUTION_BEGIN, SOLUTION_END)
            ]
            item["source"] = "\n".join(kept)
            solved += 1
    copy.write_text(json.dumps(nb, indent=1))
    return solved


def test_module_01_tensor_end_to_end(tito, tmp_path):
    course = tmp_path / "real"  # not the synthetic course the tito fixture also makes
    shutil.copytree(REPO / "modules" / "01_tensor", course / "modules" / "01_tensor")
    copy = course / "workspace" / "01_tensor" / "tensor.ipynb"

    started = tito("module", "start", "tensor", "--no-browser", cwd=course)
    assert started.returncode == 0, started.stderr
    student = read_notebook(copy)
    tests = find_tests(student)
    points = sum(t.points for t in tests)
    solutions = sum(1 for cell in student.code_cells if cell.is_solution)
    assert (
        f"Created workspace/01_tensor/tensor.ipynb: {solutions} solution cell(s) to write, "
        f"{len(tests)} test(s) worth {points:g} points."
    ) in lines(started)
    assert solve(copy, course / "modules" / "01_tensor" / "tensor.py") == solutions

    done = tito("module", "complete", "01", cwd=course, env={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": ""})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    out = lines(done)
    assert f"      {len(tests)} of {len(tests)} tests passed; {points:g} of {points:g} points." in out
    assert "      imported tinytorch/core/tensor.py (this course's package: tinytorch/)" in out
    assert out[-1] == "Next: nothing left: all 1 modules are completed."
    assert progress(course)["modules"]["01_tensor"]["points_earned"] == points

    code = (
        "import tinytorch; from tinytorch.core.tensor import Tensor; "
        "print(tinytorch.__file__, (Tensor([[1, 2]]) @ Tensor([[3], [4]])).data.item())"
    )
    used = subprocess.run([sys.executable, "-c", code], cwd=course, capture_output=True, text=True, check=True)
    assert used.stdout.split() == [str(course / "tinytorch" / "__init__.py"), "11"]
