"""tito on bad input: clear message, the right exit code, no traceback, nothing changed."""

from __future__ import annotations

import os

from tito_helpers import lines, progress

from pytest_tinytorch.progress import ProgressStore


def assert_clean_error(result, *expected: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    for text in expected:
        assert text in result.stderr


def test_unknown_module_suggests_the_closest(tito, course):
    result = tito("module", "start", "dmeo", "--no-browser")
    assert_clean_error(
        result,
        "tito: error: module='dmeo' is not a course module. Did you mean 'demo'? "
        "Valid modules (by number, name or folder): 01_demo, 02_twice.",
    )
    assert not (course / "workspace").exists()


def test_mistyped_commands_suggest_at_every_level(tito):
    assert_clean_error(tito("modul", "status"), "invalid choice: 'modul'", "did you mean 'module'?")
    assert_clean_error(tito("module", "statsu"), "invalid choice: 'statsu'", "did you mean 'status'?")
    assert_clean_error(tito("system", "helth"), "did you mean 'health'?")


def test_outside_a_course(tito, tmp_path):
    result = tito("module", "status", cwd=tmp_path)
    assert_clean_error(result, f"no course folder at or above {tmp_path}", "pass --root PATH")


def test_corrupt_store_is_reported_and_kept_until_repair(tito, course):
    store = course / ".tito" / "progress.json"
    store.parent.mkdir()
    store.write_text('{"schema": 1, "modules": {"01_demo": {"started": "2026-01-01"')  # cut short
    damaged = store.read_text()

    for command in (("module", "status"), ("module", "complete", "01"), ("module", "start", "01", "--no-browser")):
        result = tito(*command)
        assert_clean_error(
            result, f"the progress store {store} is damaged: it is not valid JSON", "run 'tito module status --repair'"
        )
        assert "[1/4]" not in result.stdout  # complete stopped before running anything
    assert store.read_text() == damaged
    assert not (course / "workspace").exists()

    repaired = tito("module", "status", "--repair")
    assert repaired.returncode == 0, repaired.stderr
    aside = list(store.parent.glob("progress.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_text() == damaged
    assert lines(repaired)[0] == f"Moved the damaged progress store to .tito/{aside[0].name} and started a fresh one."
    assert progress(course) == {"schema": 1, "modules": {}, "milestones": {}}


def test_hand_edited_store_with_a_wrong_type(tito, course):
    store = course / ".tito" / "progress.json"
    store.parent.mkdir()
    store.write_text('{"schema": 1, "modules": {"01_demo": {"points_earned": "lots"}}}')
    result = tito("module", "status")
    assert_clean_error(result, """"modules" -> "01_demo" -> points_earned='lots' should be a number or null""")


def test_a_second_tito_is_refused_while_one_holds_the_course(tito, course):
    with ProgressStore(course).lock("tito module complete 01"):
        result = tito("module", "start", "01", "--no-browser")
    assert_clean_error(
        result,
        f"'tito module complete 01' (pid {os.getpid()}, since ",
        "is changing this course right now",
        "Wait for it to finish",
    )
    assert not (course / "workspace").exists()


def test_start_warns_about_earlier_modules_and_says_how_to_override(tito, course):
    result = tito("module", "start", "02", "--no-browser")
    assert result.returncode == 2
    assert lines(result) == [
        "Module 02_twice builds on the modules before it, and these are not completed yet: 01_demo.",
        "Complete them first (next: tito module complete 01_demo), or start 02_twice anyway with:",
        "    tito module start 02_twice --force",
    ]
    assert not (course / "workspace").exists()


def test_resume_with_nothing_started(tito):
    result = tito("module", "resume", "--no-browser")
    assert_clean_error(result, "nothing to resume; start the next one: tito module start 01_demo.")


def test_reset_without_a_working_copy(tito, course):
    result = tito("module", "reset", "01")
    assert_clean_error(
        result,
        "module='01_demo' has no working copy (workspace/01_demo/demo.ipynb does not exist)",
        "Start it with 'tito module start 01_demo'.",
    )
    assert not (course / ".tito" / "backups").exists()


def test_restore_of_a_missing_backup(tito, course):
    assert_clean_error(tito("module", "reset", "01", "--restore"), "module='01_demo' has no backups")
    copy = course / "workspace" / "01_demo" / "demo.ipynb"
    copy.parent.mkdir(parents=True)
    copy.write_text("my work")
    backups = course / ".tito" / "backups" / "01_demo"
    backups.mkdir(parents=True)
    (backups / "20260101-120000.ipynb").write_text("older work")
    result = tito("module", "reset", "01", "--restore", "20260101-120001")
    assert_clean_error(result, "backup='20260101-120001' is not a backup of 01_demo. Did you mean '20260101-120000'?")
    assert copy.read_text() == "my work"
    assert len(list(backups.iterdir())) == 1  # nothing backed up or restored


def test_package_hidden_by_another_install_is_rolled_back(tito, course):
    """With PYTHONSAFEPATH the course folder is not on sys.path, so the repo's editable install answers."""
    result = tito("module", "complete", "01", env={"PYTHONSAFEPATH": "1"})
    assert result.returncode == 1
    out = result.stdout
    assert (
        "[1/4] Testing the module source modules/01_demo/demo.py (there is no working copy "
        "workspace/01_demo/demo.ipynb; 'tito module start 01_demo' creates one)"
    ) in out
    assert "      2 of 2 tests passed; 5 of 5 points." in out
    assert f"not this course's package in {course / 'tinytorch'}" in out
    assert "Another TinyTorch is installed in this Python" in out
    assert not (course / "tinytorch").exists()  # the export, its __init__ files and folders: all rolled back
    assert not (course / ".tito" / "progress.json").exists()  # nothing recorded
