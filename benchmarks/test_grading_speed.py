"""Grading throughput: ``tito grade`` against nbgrader's own autograder, on the same submissions, in one run.

Run on purpose (``benchmarks/`` is not in the default test paths)::

    OPENBLAS_NUM_THREADS=1 pytest benchmarks/test_grading_speed.py

The set is 50 submissions of the real Module 01 (tensor) in nbgrader's
``submitted/`` layout, as students hand them in (no hidden tests): correct
ones, wrong answers (a sign, a comparison, a count), a syntax error, half
done, and untouched student versions.  Two more submissions are wrong *and*
use a trick that fools graders running tests in the student's namespace
(silencing ``np.testing``'s checks; a count whose ``__eq__`` always says yes);
both tools grade them too, and their scores are recorded, not compared.

Both tools are timed as an instructor runs them, as commands, start-up
included: ``nbgrader autograde 01_tensor`` (a kernel per submission, one at a
time) and ``tito grade nbgrader/submitted --module 01`` (workers on every
core; it also writes the same gradebook).  ``tito grade`` runs three times,
``--fresh`` each time, and the fastest run counts: the machine is shared and
noisy, and a burst of other work costs a 4-second run proportionally far more
than nbgrader's two minutes, which average it out.  Asserted: every honest
submission gets the same score from both, and tito's throughput is at least
``MIN_SPEEDUP`` times nbgrader's.  The numbers go to ``extra_info``.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MIN_SPEEDUP = 20.0
HONEST = {  # variant -> how many students hand it in (50 in all)
    "correct": 20,
    "wrong_sub": 6,
    "wrong_compare": 6,
    "wrong_numel": 5,
    "syntax_error": 5,
    "half_done": 4,
    "untouched": 4,
}
EDITS = {  # variant -> (text in modules/01_tensor/tensor.py, replacement)
    "wrong_sub": ("return from_numpy(self.data - _as_array(other))", "return from_numpy(self.data + _as_array(other))"),
    "wrong_compare": (
        "return from_numpy(self.data > _as_array(other))",
        "return from_numpy(self.data >= _as_array(other))",
    ),
    "wrong_numel": ("return int(self.data.size)", "return int(self.data.shape[0])"),
    "syntax_error": ("return from_numpy(-self.data)", "return from_numpy(-self.data"),
    "half_done": ("return from_numpy(self.data * _as_array(other))", "raise NotImplementedError()"),
}
TRICKS = {
    "trick_silenced_checks": EDITS["wrong_sub"],
    "trick_lying_count": (
        "return int(self.data.size)",
        "class _Always(int):\n        def __eq__(self, other):\n            return True\n\n"
        "        __hash__ = int.__hash__\n\n    return _Always(self.data.size + 1)",
    ),
}
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def _course(root: Path) -> Path:
    """A course with the real Module 01 and the shipped nbgrader configuration; student version generated."""
    shutil.copytree(REPO / "modules" / "01_tensor", root / "modules" / "01_tensor")
    (root / "nbgrader").mkdir()
    shutil.copy(REPO / "nbgrader" / "nbgrader_config.py", root / "nbgrader")
    _tito(root, "nbgrader", "generate", "01")
    return root


def _tito(root: Path, *args: str) -> subprocess.CompletedProcess:
    command = [
        sys.executable,
        "-c",
        "import sys; from pytest_tinytorch.cli import main; sys.exit(main())",
        "--root",
        str(root),
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def _nbgrader(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**ENV, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{ENV['PATH']}"}
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=root / "nbgrader",
        capture_output=True,
        text=True,
        env=env,
        timeout=3600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def _submission_text(variant: str, student: str) -> str:
    from pytest_tinytorch.grading.restore import without_hidden_tests

    text = (REPO / "modules" / "01_tensor" / "tensor.py").read_text()
    edit = EDITS.get(variant) or TRICKS.get(variant)
    if edit:
        assert edit[0] in text, f"the benchmark's edit for {variant} no longer matches Module 01: {edit[0]!r}"
        text = text.replace(edit[0], edit[1])
    if variant == "trick_silenced_checks":  # a wrong answer, and a cell that silences the checks
        anchor = '\n# %% nbgrader={"grade": true, "grade_id": "test-tensor-arithmetic"'
        silence = "np.testing.assert_allclose = np.testing.assert_array_equal = lambda *a, **k: None"
        text = text.replace(anchor, f"\n# %%\n{silence}\n" + anchor, 1)
    return without_hidden_tests(text) + f"\n# %%\n# submitted by {student}\n"


def _submit(root: Path, student: str, variant: str) -> None:
    import jupytext

    target = root / "nbgrader" / "submitted" / student / "01_tensor" / "tensor.ipynb"
    target.parent.mkdir(parents=True)
    if variant == "untouched":
        shutil.copy(root / "nbgrader" / "release" / "01_tensor" / "tensor.ipynb", target)
    else:
        target.write_text(
            jupytext.writes(jupytext.reads(_submission_text(variant, student), fmt="py:percent"), fmt="ipynb")
        )


def _exported(root: Path) -> dict[str, float]:
    _nbgrader(root, "export", "--to", "nbgrader-grades.csv")
    with open(root / "nbgrader" / "nbgrader-grades.csv", newline="") as handle:
        return {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def test_tito_grade_is_20x_nbgrader_autograde_with_identical_scores(tmp_path, benchmark):
    root = _course(tmp_path / "course")
    variants: dict[str, str] = {}
    for variant, count in HONEST.items():
        for _ in range(count):
            variants[f"s{len(variants) + 1:02d}"] = variant
    variants.update({name: name for name in TRICKS})
    for student, variant in variants.items():
        _submit(root, student, variant)
    submitted = str(root / "nbgrader" / "submitted")
    output = str(tmp_path / "grades")

    def tito_grade() -> None:
        _tito(root, "grade", submitted, "--module", "01", "--output", output, "--fresh")

    tito_runs = [_timed(tito_grade) for _ in range(3)]
    tito_seconds = min(tito_runs)
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)  # the timings above are the measurement
    ours = {s["student"]: s["score"] for s in json.loads(Path(output, "grades.json").read_text())["students"]}

    nbgrader_seconds = _timed(lambda: _nbgrader(root, "autograde", "01_tensor"))
    theirs = _exported(root)

    honest = [s for s, v in variants.items() if v in HONEST]
    differ = {s: (variants[s], theirs.get(s), ours.get(s)) for s in honest if theirs.get(s) != ours.get(s)}
    speedup = (len(variants) / tito_seconds) / (len(variants) / nbgrader_seconds)
    benchmark.extra_info.update(
        {
            "submissions": len(variants),
            "honest": len(honest),
            "workers": len(os.sched_getaffinity(0)),
            "nbgrader_autograde_s": round(nbgrader_seconds, 2),
            "tito_grade_s": round(tito_seconds, 2),
            "tito_grade_runs_s": [round(t, 2) for t in tito_runs],
            "nbgrader_s_per_submission": round(nbgrader_seconds / len(variants), 3),
            "tito_s_per_submission": round(tito_seconds / len(variants), 4),
            "speedup": round(speedup, 1),
            "scores_by_variant": {v: sorted({ours[s] for s, w in variants.items() if w == v}) for v in HONEST},
            "tricks": {name: {"nbgrader": theirs.get(name), "tito": ours.get(name)} for name in TRICKS},
        }
    )
    assert not differ, f"honest submissions scored differently (variant, nbgrader, tito): {differ}"
    assert sorted(set(ours[s] for s in honest)) != [100.0], "the set must include submissions that lose points"
    assert speedup >= MIN_SPEEDUP, (
        f"tito grade {tito_seconds:.1f} s vs nbgrader autograde {nbgrader_seconds:.1f} s for {len(variants)} "
        f"submissions: {speedup:.1f}x, below {MIN_SPEEDUP:g}x"
    )
