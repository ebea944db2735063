"""Where each course module stands on its way from planned to published: states, roles, history.

Seven states; a module moves forward only when the checks of the gate its
state names pass (run through the gates plugin, in a subprocess), or, for the
one people step, when QA picks it up::

    PLANNED --design--> IN_DEVELOPMENT --implementation--> READY_FOR_QA
      --(assigned or handed off to qa)--> QA_IN_PROGRESS --qa--> QA_APPROVED
      --release--> INFRASTRUCTURE_READY --publish--> PUBLISHED

The record is reviewable text in the repository, one file per module:
``workflow/NN_name.json`` (state, assigned role, and the history of every
change: when, who, from which state to which, and the gate's result).  A
module without a file is PLANNED.  Files are written atomically
(:func:`fsutil.atomic_write_text`) and never overwritten when unreadable.
"""

from __future__ import annotations

import getpass
import json
import os
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pytest_tinytorch.catalog import ModuleInfo
from pytest_tinytorch.errors import TinyTorchError
from pytest_tinytorch.fsutil import atomic_write_text

FOLDER = "workflow"
SCHEMA = 1

STATES = (
    "PLANNED",
    "IN_DEVELOPMENT",
    "READY_FOR_QA",
    "QA_IN_PROGRESS",
    "QA_APPROVED",
    "INFRASTRUCTURE_READY",
    "PUBLISHED",
)
# state -> (the gate whose checks must pass, the state that passing it leads to)
GATE_STEPS: dict[str, tuple[str, str]] = {
    "PLANNED": ("design", "IN_DEVELOPMENT"),
    "IN_DEVELOPMENT": ("implementation", "READY_FOR_QA"),
    "QA_IN_PROGRESS": ("qa", "QA_APPROVED"),
    "QA_APPROVED": ("release", "INFRASTRUCTURE_READY"),
    "INFRASTRUCTURE_READY": ("publish", "PUBLISHED"),
}
# The one step people take: a module READY_FOR_QA is in QA once the qa role has it.
PICKUP = {"READY_FOR_QA": ("qa", "QA_IN_PROGRESS")}
ROLES = ("developer", "qa", "infrastructure", "publisher")
# Who is expected to hold a module in each state.
OWNER = {
    "PLANNED": "developer",
    "IN_DEVELOPMENT": "developer",
    "READY_FOR_QA": "qa",
    "QA_IN_PROGRESS": "qa",
    "QA_APPROVED": "infrastructure",
    "INFRASTRUCTURE_READY": "publisher",
    "PUBLISHED": None,
}


class WorkflowError(TinyTorchError, ValueError):
    """A workflow file cannot be read, or a change is not allowed."""


def now() -> str:
    """The current local time, ISO 8601 to the second, with its UTC offset."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def who(explicit: str | None = None) -> str:
    """Who is acting: ``--by``, else ``$TITO_USER``, else git's user.name, else the login name."""
    if explicit:
        return explicit
    if os.environ.get("TITO_USER"):
        return os.environ["TITO_USER"]
    try:
        name = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        name = ""
    return name or getpass.getuser()


@dataclass
class Record:
    """One module's workflow state and its history (newest last)."""

    module: str
    state: str = "PLANNED"
    assignee: str | None = None  # a role from ROLES
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def since(self) -> str | None:
        """When the state last changed."""
        return next((e["at"] for e in reversed(self.history) if e.get("to") and e.get("to") != e.get("from")), None)

    def next_gate(self) -> str | None:
        step = GATE_STEPS.get(self.state)
        return step[0] if step else None

    def to_json(self) -> str:
        data = {
            "schema": SCHEMA,
            "module": self.module,
            "state": self.state,
            "assignee": self.assignee,
            "history": self.history,
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


class WorkflowStore:
    """``<root>/workflow/NN_name.json``, one file per module."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.folder = self.root / FOLDER

    def path(self, info: ModuleInfo) -> Path:
        return self.folder / f"{info.slug}.json"

    def load(self, info: ModuleInfo) -> Record:
        path = self.path(info)
        if not path.exists():
            return Record(info.slug)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise WorkflowError(self._damaged(path, f"it is not valid JSON ({error})")) from None
        if not isinstance(data, dict) or data.get("state") not in STATES or not isinstance(data.get("history"), list):
            raise WorkflowError(
                self._damaged(path, f"it needs 'state' (one of {', '.join(STATES)}) and a 'history' list")
            )
        if data.get("schema", SCHEMA) > SCHEMA:
            raise WorkflowError(f"{path} was written by a newer tito (schema {data['schema']}); upgrade tito.")
        assignee = data.get("assignee")
        if assignee is not None and assignee not in ROLES:
            raise WorkflowError(self._damaged(path, f"assignee={assignee!r} is not a role ({', '.join(ROLES)})"))
        return Record(info.slug, data["state"], assignee, data["history"])

    def save(self, record: Record, info: ModuleInfo) -> Path:
        path = self.path(info)
        atomic_write_text(path, record.to_json(), mode=0o644)  # the team's record: readable, committed
        return path

    def _damaged(self, path: Path, why: str) -> str:
        return (
            f"{path} cannot be read: {why}. It has not been changed. It is the team's record under version "
            f"control: restore it with 'git checkout -- {path.relative_to(self.root).as_posix()}' or fix it by hand."
        )


# --- changes -----------------------------------------------------------------------------------------


@dataclass
class Validation:
    """What ``validate`` did: advanced (from -> to), or refused with the blocking checks."""

    module: str
    gate: str
    before: str
    after: str
    passed: int
    blocking: list[Any]  # gates.run.CheckResult that failed or errored
    turned_off: dict[str, str]
    run: Any  # gates.run.GateRun

    @property
    def advanced(self) -> bool:
        return self.after != self.before


def validate(root: Path, infos: list[ModuleInfo], by: str | None = None, *, stream: bool = True) -> list[Validation]:
    """Run, for each module, the checks of the gate it is at (one pytest run per gate); advance each
    module (and record that) only if all its checks pass.  Modules with no gate to pass are left out;
    if none has one, :class:`WorkflowError` says why."""
    store = WorkflowStore(root)
    records = {info.slug: store.load(info) for info in infos}
    by_gate: dict[str, list[ModuleInfo]] = {}
    for info in infos:
        step = GATE_STEPS.get(records[info.slug].state)
        if step is not None:
            by_gate.setdefault(step[0], []).append(info)
    if not by_gate:
        raise WorkflowError(
            _no_gate_message(records[infos[0].slug], infos[0]) if len(infos) == 1 else "no module has a gate to pass."
        )
    results = []
    for gate, group in by_gate.items():
        results += _validate_group(store, group, records, gate, by, stream)
    return results


def _validate_group(
    store: WorkflowStore, group: list[ModuleInfo], records: dict[str, Record], gate: str, by: str | None, stream: bool
) -> list[Validation]:
    from pytest_tinytorch.gates.run import run_gates

    run = run_gates(store.root, [info.slug for info in group], [gate], stream=stream)
    if not run.ran:
        detail = f":\n{run.output.strip()[-3000:]}" if run.output else " (its output is above)"
        raise WorkflowError(
            f"the {gate} gate could not run on {', '.join(i.slug for i in group)}: pytest exited with code "
            f"{run.exit_code}{detail}\nCommand: {' '.join(run.command)}"
        )
    return [_advance_if_passed(store, info, records[info.slug], gate, run, by) for info in group]


def _advance_if_passed(
    store: WorkflowStore, info: ModuleInfo, record: Record, gate: str, run: Any, by: str | None
) -> Validation:
    results = run.for_module(info.slug)
    blocking = [r for r in results if r.outcome in ("failed", "error")]
    turned_off = {r.check: r.message for r in results if r.outcome == "skipped"}
    passed = sum(1 for r in results if r.outcome == "passed")
    result = Validation(info.slug, gate, record.state, record.state, passed, blocking, turned_off, run)
    if blocking or not results:
        return result
    current = store.load(info)
    if current.state != record.state:
        raise WorkflowError(
            f"{info.slug} changed from {record.state} to {current.state} while its {gate} gate ran "
            f"(someone else's tito); run 'tito workflow validate {info.slug}' again."
        )
    target = GATE_STEPS[record.state][1]
    current.state = target
    checks = {"passed": passed, "turned_off": len(turned_off)}
    off = dict(sorted(turned_off.items())) or None
    current.history.append(_event(by, "validate", record.state, target, gate=gate, checks=checks, turned_off=off))
    store.save(current, info)
    result.after = target
    return result


def _no_gate_message(record: Record, info: ModuleInfo) -> str:
    if record.state in PICKUP:
        role, target = PICKUP[record.state]
        return (
            f"{info.slug} is {record.state}: it waits for {role} to pick it up, not for a gate. "
            f"'tito workflow handoff {info.slug} {record.assignee or 'developer'} {role}' (or "
            f"'tito workflow assign {info.slug} {role}') moves it to {target}."
        )
    return f"{info.slug} is {record.state}: every gate has passed; there is nothing left to validate."


def assign(root: Path, info: ModuleInfo, role: str, by: str | None = None) -> Record:
    store = WorkflowStore(root)
    record = store.load(info)
    _check_role(role)
    before = record.state
    record.assignee = role
    after = _picked_up(record, role)
    record.history.append(_event(by, "assign", before, after, role=role))
    store.save(record, info)
    return record


def handoff(root: Path, info: ModuleInfo, from_role: str, to_role: str, by: str | None = None) -> Record:
    store = WorkflowStore(root)
    record = store.load(info)
    _check_role(from_role)
    _check_role(to_role)
    if record.assignee is not None and record.assignee != from_role:
        raise WorkflowError(
            f"{info.slug} is held by {record.assignee!r}, not {from_role!r}, so {from_role} cannot hand it off: "
            f"'tito workflow handoff {info.slug} {record.assignee} {to_role}', or "
            f"'tito workflow assign {info.slug} {from_role}' first if {from_role} really holds it."
        )
    if from_role == to_role:
        raise WorkflowError(f"handoff {info.slug} {from_role} {to_role}: from and to are the same role.")
    before = record.state
    record.assignee = to_role
    after = _picked_up(record, to_role)
    record.history.append(_event(by, "handoff", before, after, from_role=from_role, to_role=to_role))
    store.save(record, info)
    return record


def _check_role(role: str) -> None:
    if role not in ROLES:
        import difflib

        close = difflib.get_close_matches(role, ROLES, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise WorkflowError(f"role={role!r} is not a role.{hint} Roles: {', '.join(ROLES)}.")


def _picked_up(record: Record, role: str) -> str:
    pickup = PICKUP.get(record.state)
    if pickup and pickup[0] == role:
        record.state = pickup[1]
    return record.state


def _event(by: str | None, kind: str, before: str, after: str, **details: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"at": now(), "by": who(by), "event": kind, "from": before, "to": after}
    event.update({k: v for k, v in details.items() if v is not None})
    return event


# --- reading ------------------------------------------------------------------------------------------


def next_step(record: Record, info: ModuleInfo) -> str:
    """What to do next with this module, as a command."""
    if record.state in GATE_STEPS:
        gate, target = GATE_STEPS[record.state]
        page = f"tito workflow page {info.slug}, then " if gate == "publish" else ""
        return f"pass the {gate} gate to reach {target}: {page}tito workflow validate {info.slug}"
    if record.state in PICKUP:
        role, target = PICKUP[record.state]
        holder = record.assignee or OWNER["IN_DEVELOPMENT"]
        return f"hand it to {role} ({target}): tito workflow handoff {info.slug} {holder} {role}"
    return "published; nothing to do"


def describe(event: dict[str, Any]) -> str:
    """One history entry as a line of text (without its date and module)."""
    kind = event.get("event")
    moved = f": {event['from']} -> {event['to']}" if event.get("from") != event.get("to") else ""
    if kind == "validate":
        checks = event.get("checks", {})
        off = event.get("turned_off") or {}
        detail = (
            f" ({checks.get('passed', 0)} checks passed, {len(off)} turned off: {', '.join(off)})"
            if off
            else (f" ({checks.get('passed', 0)} checks passed)")
        )
        return f"validate, {event.get('gate')} gate passed{moved}{detail}"
    if kind == "assign":
        return f"assigned to {event.get('role')}{moved}"
    if kind == "handoff":
        return f"handed off {event.get('from_role')} -> {event.get('to_role')}{moved}"
    return f"{kind}{moved}"
