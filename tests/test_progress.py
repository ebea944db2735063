"""The progress store: one file, atomic updates under a lock, damage reported and never lost."""

from __future__ import annotations

import fcntl
import json
import os

import pytest

from pytest_tinytorch.progress import (
    SCHEMA,
    CorruptProgressError,
    CourseLockedError,
    ModuleRecord,
    NewerProgressError,
    ProgressStore,
)


def test_a_missing_store_is_empty_and_is_not_created_by_reading(tmp_path):
    store = ProgressStore(tmp_path)
    progress = store.load()
    assert progress.modules == {} and progress.milestones == {}
    assert progress.module("01_tensor") == ModuleRecord()
    assert not store.path.exists()


def test_update_round_trips_modules_and_milestones(tmp_path):
    store = ProgressStore(tmp_path)
    with store.update() as progress:
        progress.mark_started("01_tensor", when="2026-01-01T10:00:00+00:00")
        progress.mark_completed(
            "01_tensor",
            points_earned=50,
            points_possible=50.0,
            tested="workspace/01_tensor/tensor.ipynb",
            when="2026-01-02T10:00:00+00:00",
        )
        progress.record_milestone(
            "01_perceptron", result={"accuracy": 0.98}, target_met=True, when="2026-01-03T10:00:00+00:00"
        )
    data = json.loads(store.path.read_text())
    assert data["schema"] == SCHEMA
    assert data["modules"]["01_tensor"] == {
        "started": "2026-01-01T10:00:00+00:00",
        "completed": "2026-01-02T10:00:00+00:00",
        "points_earned": 50,
        "points_possible": 50.0,
        "tested": "workspace/01_tensor/tensor.ipynb",
    }
    again = store.load()
    assert again.milestones["01_perceptron"].result == {"accuracy": 0.98}
    assert again.milestones["01_perceptron"].target_met is True
    assert again.completed_slugs() == {"01_tensor"}


def test_a_second_start_keeps_the_first_date_and_clearing_keeps_the_start(tmp_path):
    store = ProgressStore(tmp_path)
    with store.update() as progress:
        progress.mark_started("01_tensor", when="2026-01-01T00:00:00+00:00")
        progress.mark_started("01_tensor", when="2026-02-01T00:00:00+00:00")
        progress.mark_completed("01_tensor", points_earned=1, points_possible=1, tested="x")
        progress.clear_completion("01_tensor")
    record = store.load().modules["01_tensor"]
    assert record == ModuleRecord(started="2026-01-01T00:00:00+00:00")


def test_an_update_that_raises_saves_nothing(tmp_path):
    store = ProgressStore(tmp_path)
    with store.update() as progress:
        progress.mark_started("01_tensor")
    before = store.path.read_text()
    with pytest.raises(RuntimeError), store.update() as progress:
        progress.mark_started("02_activations")
        raise RuntimeError("interrupted")
    assert store.path.read_text() == before


def test_a_milestone_result_must_be_json(tmp_path):
    with pytest.raises(TypeError), ProgressStore(tmp_path).update() as progress:
        progress.record_milestone("01_perceptron", result={"model": object()}, target_met=False)
    assert not ProgressStore(tmp_path).path.exists()


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{not json", "it is not valid JSON: Expecting property name enclosed in double quotes at line 1, column 2"),
        ("[]", 'it has no "schema" number at the top level'),
        ('{"schema": 1, "modules": []}', '"modules" should be an object of records, not list'),
        (
            '{"schema": 1, "modules": {"01_tensor": {"completed": 3}}}',
            '"modules" -> "01_tensor" -> completed=3 should be a string or null',
        ),
        (
            '{"schema": 1, "modules": {"01_tensor": {"points_earned": true}}}',
            '"modules" -> "01_tensor" -> points_earned=True should be a number or null',
        ),
        (
            '{"schema": 1, "modules": {"01_tensor": {"grade": "A"}}}',
            '"modules" -> "01_tensor" has unknown field(s) [\'grade\']',
        ),
        (
            '{"schema": 1, "milestones": {"01_perceptron": {"target_met": true}}}',
            "missing 1 required positional argument: 'date'",
        ),
    ],
)
def test_a_damaged_store_is_reported_and_left_alone(tmp_path, text, why):
    store = ProgressStore(tmp_path)
    store.path.parent.mkdir()
    store.path.write_text(text)
    with pytest.raises(CorruptProgressError) as error:
        store.load()
    assert why in str(error.value)
    assert "tito module status --repair" in str(error.value)
    with pytest.raises(CorruptProgressError), store.update():
        pass
    assert store.path.read_text() == text


def test_repair_moves_a_damaged_store_aside_and_leaves_a_good_one_alone(tmp_path):
    store = ProgressStore(tmp_path)
    with store.update() as progress:
        progress.mark_started("01_tensor")
    good = store.path.read_text()
    assert store.repair() is None
    assert store.path.read_text() == good

    store.path.write_text("{oops")
    aside = store.repair()
    assert aside is not None and aside.name.startswith("progress.json.corrupt-")
    assert aside.read_text() == "{oops"
    assert store.load().modules == {}


def test_a_store_from_a_newer_tito_is_not_overwritten(tmp_path):
    store = ProgressStore(tmp_path)
    store.path.parent.mkdir()
    store.path.write_text(json.dumps({"schema": SCHEMA + 1, "modules": {}}))
    with pytest.raises(NewerProgressError, match="written by a newer tito"):
        store.load()
    with pytest.raises(NewerProgressError):
        store.repair()  # not "corrupt": repair must not move it aside
    assert json.loads(store.path.read_text())["schema"] == SCHEMA + 1


def test_the_lock_is_reentrant_in_one_process(tmp_path):
    store = ProgressStore(tmp_path)
    with store.lock("tito module complete 01"), store.update() as progress:
        progress.mark_started("01_tensor")
    assert store.load().modules["01_tensor"].started


def test_the_lock_refuses_a_second_holder_and_names_the_first(tmp_path):
    store = ProgressStore(tmp_path)
    lock_file = tmp_path / ".tito" / "lock"
    lock_file.parent.mkdir()
    # Another process: its own open file description, holding flock, as CourseLock does.
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, json.dumps({"pid": 4242, "command": "tito module reset 01", "since": "10:00"}).encode())
        with pytest.raises(CourseLockedError) as error, store.update(wait=0.1):
            pass
        assert str(error.value).startswith("'tito module reset 01' (pid 4242, since 10:00) is changing this course")
    finally:
        os.close(fd)
    with store.update() as progress:  # released: the next one gets it
        progress.mark_started("01_tensor")
    assert store.load().modules["01_tensor"].started
