"""The engine: parallel workers, results saved as each finishes, resuming, the real module 01."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from gradingcorpus import FAST, GIVEN, REFERENCE, WRONG_NORM, demo_module, grade_folder, with_cell_after, with_norm

from pytest_tinytorch.catalog import Catalog
from pytest_tinytorch.grading.engine import Engine, Reference, ResultStore, prepare
from pytest_tinytorch.grading.submissions import find_submissions


def write(folder: Path, **texts: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (folder / f"{name}.py").write_text(text)
    return folder


def test_results_are_saved_as_each_submission_finishes(course):
    subs = write(course / "subs", alice=REFERENCE, bob=with_norm(WRONG_NORM))
    seen: list[tuple[str, bool]] = []
    store = ResultStore(course / "out")
    progress = lambda result, done, total: seen.append((result.student, store.path(result.student).is_file()))  # noqa: E731
    grade_folder(course, subs, course / "out", progress=progress)
    assert sorted(seen) == [("alice", True), ("bob", True)]


def test_an_unchanged_submission_is_not_graded_again_and_a_changed_one_is(course):
    subs = write(course / "subs", alice=REFERENCE, bob=with_norm(WRONG_NORM))
    first = {r.student: r for r in grade_folder(course, subs, course / "out")}
    assert not any(r.cached for r in first.values())
    write(subs, bob=REFERENCE)
    second = {r.student: r for r in grade_folder(course, subs, course / "out")}
    assert second["alice"].cached and second["alice"].score == first["alice"].score
    assert not second["bob"].cached and (first["bob"].score, second["bob"].score) == (7, 12)


def test_changing_the_tests_regrades_everyone(course):
    subs = write(course / "subs", alice=REFERENCE)
    grade_folder(course, subs, course / "out")
    source = demo_module(course).source
    source.write_text(source.read_text().replace("assert double(2) == 4", "assert double(2) == 4.0"))
    (again,) = grade_folder(course, subs, course / "out")
    assert not again.cached


def test_workers_run_submissions_at_the_same_time(course):
    sleepy = with_cell_after(GIVEN, "import time\ntime.sleep(0.8)")
    subs = write(course / "subs", **{f"s{i}": sleepy + f"\n# student {i}\n" for i in range(4)})
    started = time.monotonic()
    results = grade_folder(course, subs, course / "out", workers=None)
    elapsed = time.monotonic() - started
    assert [r.score for r in results] == [12] * 4
    assert elapsed < 4 * 0.8, f"4 submissions sleeping 0.8 s each took {elapsed:.2f} s: not in parallel"


def test_the_real_module_01_reference_earns_everything_and_its_student_version_nothing(tmp_path):
    """The releasable check, through the grader: solutions pass every test, the release fails every one."""
    from pytest_tinytorch.student import write_student_version

    module = Catalog.discover(Path(__file__).parents[2]).resolve("01")
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "solution.py").write_text(module.source.read_text())
    write_student_version(module.source, subs / "release.ipynb")
    reference = Reference.load(module)
    prepared = [prepare(s, reference, FAST) for s in find_submissions(subs, module)]
    results = {r.student: r for r in Engine(reference, FAST, ResultStore(tmp_path / "out"), workers=2).run(prepared)}
    assert results["solution"].score == reference.max_score == 100 and not results["solution"].flags
    assert results["release"].score == 0 and not results["release"].tampered
    assert {t.reason for t in results["release"].tests} == {"error"}


TITO = "import sys; from pytest_tinytorch.cli import main; sys.exit(main())"


def _grading_processes(marker: Path) -> list[int]:
    """Processes whose working folder is under ``marker`` (the fork server and its workers)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if str(marker) in os.readlink(proc / "cwd"):
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


def test_a_killed_run_resumes_where_it_stopped(course, tmp_path):
    """Kill `tito grade` mid-run (SIGKILL: no cleanup at all), then run it again."""
    slow = with_cell_after(GIVEN, "import time\ntime.sleep(0.4)")
    subs = write(course / "subs", **{f"s{i:02d}": slow + f"\n# student {i}\n" for i in range(10)})
    out = course / "out"
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    command = [
        sys.executable,
        "-c",
        TITO,
        "--root",
        str(course),
        "grade",
        str(subs),
        "--module",
        "01",
        "--output",
        str(out),
        "--gradebook",
        "none",
        "--workers",
        "2",
    ]
    run = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while len(list((out / "results").glob("*.json"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    saved = {p.stem for p in (out / "results").glob("*.json")}
    assert 3 <= len(saved) < 10, saved
    for _ in range(100):  # the fork server and its workers die with the run (parent-death signal)
        if not _grading_processes(tmp_path):
            break
        time.sleep(0.05)
    assert _grading_processes(tmp_path) == []

    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr
    summary = next(line for line in again.stdout.splitlines() if "submissions of 01_demo" in line)
    assert f"({10 - len(saved)} graded, {len(saved)} unchanged since the last run)" in summary, summary
    assert again.stdout.count("12 / 12") == 10
