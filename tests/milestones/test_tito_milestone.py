"""``tito milestone list|run|status`` on a copy of this course, with and without student progress.

``tito`` runs in-process (``pytest_tinytorch.cli.main``); the milestone
scripts it starts are real subprocesses, so ``capfd`` sees both outputs.
Student progress is written through the progress store's own API.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pytest_tinytorch.catalog import Catalog
from pytest_tinytorch.cli import main
from pytest_tinytorch.progress import ProgressStore

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    course = tmp_path_factory.mktemp("pristine") / "course"
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    for folder in ("modules", "milestones", "tinytorch", "datasets"):
        shutil.copytree(REPO / folder, course / folder, ignore=ignore)
    return course


@pytest.fixture
def course(pristine, tmp_path) -> Path:
    copy = tmp_path / "course"
    shutil.copytree(pristine, copy)
    for path in (copy / "tinytorch").rglob("*.py"):
        path.chmod(0o644)  # generated files are read-only; the tests delete some
    return copy


def tito(course: Path, capfd, *args: str) -> tuple[int, str]:
    code = main(["--root", str(course), "milestone", *args])
    out, err = capfd.readouterr()
    return code, out + err


def complete(course: Path, *numbers: int, started: tuple[int, ...] = ()) -> None:
    slugs = {info.number: info.slug for info in Catalog.discover(course)}
    with ProgressStore(course).update() as progress:
        for n in numbers:
            progress.mark_completed(slugs[n], points_earned=10, points_possible=10, tested=f"workspace/{slugs[n]}")
        for n in started:
            progress.mark_started(slugs[n])


def recorded(course: Path) -> dict:
    return json.loads((course / ".tito" / "progress.json").read_text())["milestones"]


def test_list_in_a_course_without_student_progress(course, capfd):
    code, out = tito(course, capfd, "list")
    assert code == 0
    assert "01  1957  Rosenblatt's perceptron" in out and "01, 02, 03, 05, 06" in out
    assert "03  1986" in out and "01, 02, 03, 04, 05, 06, 07, 08" in out
    assert "02 target: 100% on the 4 XOR points" in out
    assert "No student progress in this course" in out
    assert not (course / ".tito").exists(), "listing must not create a progress store"


def test_authors_run_says_whose_package_and_records_nothing(course, capfd):
    code, out = tito(course, capfd, "run", "02", "--epochs", "30")
    assert code == 0, out
    assert "module completion is not checked and this run will not be recorded" in out
    assert "all come from modules/, the course authors' reference solutions (not a student's work)" in out
    assert "result:   TARGET MET" in out and "Not recorded: no student progress in this course." in out
    assert not (course / ".tito" / "progress.json").exists()


def test_authors_run_refuses_a_module_that_is_not_exported(course, capfd):
    (course / "tinytorch" / "core" / "optimizers.py").unlink()
    code, out = tito(course, capfd, "run", "01")
    assert code == 2
    assert "not exported: 06" in out and "  tito source export 06_optimizers" in out


def test_missing_modules_are_refused_with_the_exact_commands(course, capfd):
    complete(course, 1, 2, 3, started=(4,))
    code, out = tito(course, capfd, "run", "xor")
    assert code == 2
    assert "Milestone 02_xor needs modules 01, 02, 03, 04, 05, 06; not completed yet: 04, 05, 06. Run:" in out
    assert "  tito module complete 04_losses\n  tito module start 05_autograd\n  tito module start 06_optimizers" in out
    assert "then: tito milestone run 02_xor" in out
    assert "Milestone 02_xor (1969)" not in out, "the script must not run"
    assert recorded(course) == {}
    code, out = tito(course, capfd, "list")
    assert "needs 04, 05, 06" in out and "needs 04, 05, 06, 07, 08" in out


def test_completed_but_unexported_module_is_refused(course, capfd):
    complete(course, 1, 2, 3, 4, 5, 6)
    (course / "tinytorch" / "core" / "optimizers.py").unlink()
    code, out = tito(course, capfd, "run", "01")
    assert code == 2 and "missing from tinytorch/" in out and "  tito module complete 06_optimizers" in out


def test_an_official_run_is_recorded_and_shown(course, capfd):
    complete(course, 1, 2, 3, 4, 5, 6)
    code, out = tito(course, capfd, "run", "01")
    assert code == 0, out
    assert "Modules 01, 02, 03, 05, 06: completed. Running your tinytorch/." in out
    assert "Recorded in .tito/progress.json: 01_perceptron, target met (accuracy 100.00%" in out
    record = recorded(course)["01_perceptron"]
    assert record["target_met"] is True and record["result"]["accuracy"] == 1.0
    assert record["result"]["summary"].startswith("accuracy 100.00% after")
    code, out = tito(course, capfd, "status")
    assert code == 0
    assert "01 1957 Rosenblatt's perceptron: TARGET MET on " in out and "    measured: accuracy 100.00% after" in out
    assert "02 1969 XOR: one layer fails, a hidden layer solves it: not run yet: tito milestone run 02_xor" in out
    assert "03 1986 MLP with backpropagation on handwritten digits: needs modules 07, 08" in out
    code, out = tito(course, capfd, "list")
    assert "target met 20" in out and "ready to run" in out


def test_a_run_with_custom_settings_is_not_recorded(course, capfd):
    complete(course, 1, 2, 3, 4, 5, 6)
    code, out = tito(course, capfd, "run", "02", "--epochs", "30")
    assert code == 0, out
    assert "Not recorded: custom settings (--epochs 30)" in out and "tito milestone run 02_xor" in out
    assert recorded(course) == {}


FAKE = """import json, sys
MILESTONE = {{"year": 2000, "title": "Fake", "requires": [1], "target": "t"}}
{body}
"""
REPORTS_MISS = """path = sys.argv[sys.argv.index("--result-json") + 1]
json.dump({"milestone": "09_fake", "target": "t", "summary": "accuracy 12%", "measured": {"accuracy": 0.12},
           "target_met": False, "official": True, "custom_settings": []}, open(path, "w"))
print("result:   TARGET NOT MET")
sys.exit(1)"""


def test_a_missed_target_and_a_crash_are_recorded_as_not_met(course, capfd):
    (course / "milestones" / "09_fake.py").write_text(FAKE.format(body=REPORTS_MISS))
    (course / "milestones" / "10_crash.py").write_text(FAKE.format(body="raise RuntimeError('student code broke')"))
    complete(course, 1)
    code, out = tito(course, capfd, "run", "09")
    assert code == 1 and "Recorded in .tito/progress.json: 09_fake, target NOT met (accuracy 12%)." in out
    code, out = tito(course, capfd, "run", "10")
    assert code == 1 and "RuntimeError: student code broke" in out
    records = recorded(course)
    assert records["09_fake"]["target_met"] is False and records["09_fake"]["result"]["accuracy"] == 0.12
    assert records["10_crash"] == {
        "date": records["10_crash"]["date"],
        "target_met": False,
        "result": {"error": "the script exited with code 1 without reporting a result"},
    }
    code, out = tito(course, capfd, "status")
    assert "10 2000 Fake: TARGET NOT MET" in out and "measured: the script exited with code 1" in out


def test_unknown_milestone_lists_the_valid_ones(course, capfd):
    code, out = tito(course, capfd, "run", "lenet")
    assert code == 2 and "Valid milestones: 01_perceptron, 02_xor, 03_mlp_digits" in out
