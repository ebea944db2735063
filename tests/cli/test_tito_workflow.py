"""``tito workflow`` end to end: tito as a subprocess in a course made in ``tmp_path``.

Two courses: ``tito_helpers``' course (its modules state no objectives and declare
nothing, so the design gate refuses them) and the gate tests' good course
(``tests/gates/gate_helpers.py``), which passes the design, implementation and QA gates.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from gates.gate_helpers import write_course as write_good_course
from tito_helpers import lines, tito_command


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return write_good_course(tmp_path / "good")


def run(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "TITO_USER": "alice"}
    return subprocess.run([*tito_command(), *args], cwd=root, env=env, capture_output=True, text=True, timeout=300)


def state(root: Path, slug: str = "01_demo") -> dict:
    return json.loads((root / "workflow" / f"{slug}.json").read_text())


def test_a_fresh_course_is_planned_and_says_what_is_next(course):
    status = run(course, "workflow", "status")
    assert status.returncode == 0, status.stderr
    assert lines(status)[1].split() == ["01_demo", "PLANNED", "-", "-", "design"]
    nxt = run(course, "workflow", "next", "1")
    assert lines(nxt) == [
        "01_demo (PLANNED): pass the design gate to reach IN_DEVELOPMENT: tito workflow validate 01_demo"
    ]
    gates = run(course, "workflow", "gates", "01")
    assert gates.returncode == 0, gates.stderr
    assert "design gate (PLANNED -> IN_DEVELOPMENT)   <- 01_demo is here" in lines(gates)
    assert any(line.split()[0] == "qa.stub-tests-fail" for line in lines(gates)[1:] if line.startswith("  "))
    assert not (course / "workflow").exists()  # reading writes nothing


def test_validate_refuses_to_advance_and_names_the_blocking_checks(course):
    refused = run(course, "workflow", "validate", "01")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    out = refused.stdout
    assert "Refused: 01_demo stays PLANNED; 3 of 5 design checks block it:" in out
    assert "  design.objectives (failed):" in out
    assert "    modules/01_demo/demo.py:1: no 'Learning objectives' heading in any markdown cell. Fix: add" in out
    assert "    modules/01_demo/demo.py:1: the header does not declare which earlier modules this module needs" in out
    assert not (course / "workflow").exists()  # nothing recorded
    blockers = run(course, "workflow", "blockers", "01")
    assert blockers.returncode == 1
    assert lines(blockers)[0] == "01_demo: 3 design check(s) block it:"


def test_a_module_advances_gate_by_gate_and_the_history_is_recorded(good):
    first = run(good, "workflow", "validate")  # every module, each at its own gate (one pytest run per gate)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "01_demo: PLANNED -> IN_DEVELOPMENT (design gate: 5 checks passed)." in first.stdout
    assert "02_twice: PLANNED -> IN_DEVELOPMENT (design gate: 5 checks passed)." in first.stdout
    second = run(good, "workflow", "validate", "01", "--by", "bob")
    assert "01_demo: IN_DEVELOPMENT -> READY_FOR_QA (implementation gate: 7 checks passed)." in second.stdout
    assert "Next: hand it to qa (QA_IN_PROGRESS): tito workflow handoff 01_demo developer qa" in second.stdout
    waiting = run(good, "workflow", "validate", "01")
    assert waiting.returncode == 2 and "it waits for qa to pick it up, not for a gate" in waiting.stderr
    handoff = run(good, "workflow", "handoff", "01", "developer", "qa")
    assert "handed off developer -> qa; READY_FOR_QA -> QA_IN_PROGRESS" in handoff.stdout
    record = state(good)
    assert record["state"] == "QA_IN_PROGRESS" and record["assignee"] == "qa"
    assert [(e["event"], e["from"], e["to"], e["by"]) for e in record["history"]] == [
        ("validate", "PLANNED", "IN_DEVELOPMENT", "alice"),
        ("validate", "IN_DEVELOPMENT", "READY_FOR_QA", "bob"),
        ("handoff", "READY_FOR_QA", "QA_IN_PROGRESS", "alice"),
    ]
    assert record["history"][0]["gate"] == "design" and record["history"][0]["checks"] == {"passed": 5, "turned_off": 0}
    timeline = lines(run(good, "workflow", "timeline", "01"))
    assert len(timeline) == 3 and timeline[0][:2] == "20" and "01_demo" in timeline[0]
    assert timeline[1].endswith(
        "validate, implementation gate passed: IN_DEVELOPMENT -> READY_FOR_QA (7 checks passed)  (by bob)"
    )
    status = lines(run(good, "workflow", "status"))
    assert status[1].split()[:3] == ["01_demo", "QA_IN_PROGRESS", "qa"]
    assert status[2].split()[:3] == ["02_twice", "IN_DEVELOPMENT", "-"]


def test_handoff_from_a_role_that_does_not_hold_the_module_is_refused(good):
    assert run(good, "workflow", "assign", "02", "developer").returncode == 0
    refused = run(good, "workflow", "handoff", "02", "qa", "publisher")
    assert refused.returncode == 2
    assert "02_twice is held by 'developer', not 'qa', so qa cannot hand it off" in refused.stderr
    assert state(good, "02_twice")["assignee"] == "developer"
    typo = run(good, "workflow", "assign", "02", "infrastrcture")
    assert typo.returncode == 2 and "did you mean 'infrastructure'?" in typo.stderr


def test_a_turned_off_check_passes_the_gate_and_its_reason_is_recorded(course):
    path = course / "modules" / "01_demo" / "demo.py"
    path.write_text(
        path.read_text().replace(
            "#     name: python3\n",
            "#     name: python3\n#   tinytorch:\n#     requires: []\n#     gates:\n#       skip:\n"
            '#         design.objectives: "the lecture states them"\n#         design.prerequisites: "none"\n',
        )
    )
    gates = run(course, "workflow", "gates", "01")
    assert any("design.objectives" in line and "[turned off: the lecture states them]" in line for line in lines(gates))
    done = run(course, "workflow", "validate", "01")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 checks passed, 2 turned off (design.objectives, design.prerequisites)" in done.stdout
    event = state(course)["history"][0]
    assert event["turned_off"]["design.objectives"].endswith("the lecture states them")


def test_a_damaged_state_file_is_reported_and_left_alone(good):
    (good / "workflow").mkdir()
    (good / "workflow" / "01_demo.json").write_text('{"state": "DONE", "history": []}')
    result = run(good, "workflow", "status")
    assert result.returncode == 2
    assert "workflow/01_demo.json cannot be read: it needs 'state' (one of PLANNED, " in result.stderr
    assert "git checkout -- workflow/01_demo.json" in result.stderr
    assert (good / "workflow" / "01_demo.json").read_text() == '{"state": "DONE", "history": []}'
