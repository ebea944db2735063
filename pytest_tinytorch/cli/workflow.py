"""``tito workflow``: each module's path from planned to published, for course authors.

Only talking to people lives here; states and history are :mod:`pytest_tinytorch.workflow`,
the checks are :mod:`pytest_tinytorch.gates` (run through the pytest plugin).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from pytest_tinytorch import workflow
from pytest_tinytorch.catalog import Catalog, ModuleInfo
from pytest_tinytorch.cli.context import load_catalog, reports_os_errors, say
from pytest_tinytorch.gates.model import GATES

REFUSED = 1
MODULE_HELP = "module number, name or folder (e.g. 01, tensor, 01_tensor)"


def add_parser(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser(
        "workflow",
        help="course authors: quality gates and each module's state, from planned to published",
        description="Track each module through PLANNED, IN_DEVELOPMENT, READY_FOR_QA, QA_IN_PROGRESS, "
        "QA_APPROVED, INFRASTRUCTURE_READY and PUBLISHED. A module advances only when the checks of its "
        "gate pass (design, implementation, qa, release, publish). The record is workflow/NN_name.json.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    for name, help_text, handler in (
        ("status", "every module's state, owner and next gate", run_status),
        ("next", "what to do next with each module", run_next),
        ("gates", "the gates and their checks (and which the module turns off)", run_gates),
        ("blockers", "run each module's current gate and list the checks that fail", run_blockers),
        ("timeline", "the history of changes, with dates", run_timeline),
    ):
        cmd = commands.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".")
        cmd.add_argument("module", nargs="?", metavar="NN", help=MODULE_HELP + "; default: every module")
        cmd.set_defaults(handler=reports_os_errors(handler))
    cmd = commands.add_parser(
        "validate",
        help="run the checks of the module's gate; advance it if they all pass",
        description="Run the checks of the gate the module is at (through pytest and the gates plugin); "
        "if all pass (turned-off checks count as passed and are recorded), move it to the next state and "
        "record who and when in workflow/NN_name.json. Otherwise name the checks that block it; exit 1.",
    )
    cmd.add_argument("module", nargs="?", metavar="NN", help=MODULE_HELP + "; default: every module")
    _by(cmd)
    cmd.set_defaults(handler=reports_os_errors(run_validate))
    cmd = commands.add_parser(
        "assign",
        help="record which role holds a module",
        description="Record which role holds the module. Assigning a READY_FOR_QA module "
        "to qa starts QA (QA_IN_PROGRESS).",
    )
    cmd.add_argument("module", metavar="NN", help=MODULE_HELP)
    cmd.add_argument("role", choices=workflow.ROLES, metavar="ROLE", help=", ".join(workflow.ROLES))
    _by(cmd)
    cmd.set_defaults(handler=reports_os_errors(run_assign))
    cmd = commands.add_parser(
        "handoff",
        help="pass a module from one role to another",
        description="Pass the module from the role that holds it to another. Handing a "
        "READY_FOR_QA module to qa starts QA (QA_IN_PROGRESS).",
    )
    cmd.add_argument("module", metavar="NN", help=MODULE_HELP)
    cmd.add_argument("from_role", choices=workflow.ROLES, metavar="FROM", help="the role that holds it now")
    cmd.add_argument("to_role", choices=workflow.ROLES, metavar="TO", help="the role that takes it")
    _by(cmd)
    cmd.set_defaults(handler=reports_os_errors(run_handoff))
    cmd = commands.add_parser(
        "page",
        help="write the module page docs/modules/NN_name.md (the publish gate checks it)",
        description="Build the page the course publishes for each module (its student "
        "version as Markdown) into docs/modules/NN_name.md.",
    )
    cmd.add_argument("modules", nargs="*", metavar="NN", help=MODULE_HELP + "; default: every module")
    cmd.set_defaults(handler=reports_os_errors(run_page))


def _by(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--by", metavar="NAME", help="who is acting (default: $TITO_USER, git's user.name, or login)")


def _chosen(catalog: Catalog, spec: str | None) -> list[ModuleInfo]:
    return [catalog.resolve(spec)] if spec else list(catalog)


def _table(rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        say("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


# --- reading --------------------------------------------------------------------------------------


def run_status(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.root)
    store = workflow.WorkflowStore(catalog.root)
    rows = [("module", "state", "held by", "since", "next gate")]
    for info in _chosen(catalog, args.module):
        record = store.load(info)
        nxt = record.next_gate() or ("qa pickup" if record.state in workflow.PICKUP else "-")
        rows.append((info.slug, record.state, record.assignee or "-", (record.since or "-")[:10], nxt))
    _table(rows)
    return 0


def run_next(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.root)
    store = workflow.WorkflowStore(catalog.root)
    for info in _chosen(catalog, args.module):
        record = store.load(info)
        if args.module or record.state != "PUBLISHED":
            say(f"{info.slug} ({record.state}): {workflow.next_step(record, info)}")
    return 0


def run_gates(args: argparse.Namespace) -> int:
    from pytest_tinytorch.gates.run import list_checks

    catalog = load_catalog(args.root)
    chosen = _chosen(catalog, args.module)
    listed = list_checks(catalog.root, [info.slug for info in chosen[:1]] if not args.module else [chosen[0].slug])
    here = workflow.WorkflowStore(catalog.root).load(chosen[0]).next_gate() if args.module else None
    steps = {gate: (state, target) for state, (gate, target) in workflow.GATE_STEPS.items()}
    for gate in GATES:
        state, target = steps[gate]
        mark = f"   <- {chosen[0].slug} is here" if gate == here else ""
        say(f"{gate} gate ({state} -> {target}){mark}")
        for check in (c for c in listed if c.gate == gate):
            off = f"  [turned off: {check.turned_off.split('): ', 1)[-1]}]" if check.turned_off and args.module else ""
            say(f"  {check.check:<34} {check.summary}{off}")
    if not args.module:
        say("Checks a module turns off are shown by 'tito workflow gates NN'.")
    return 0


def run_blockers(args: argparse.Namespace) -> int:
    from pytest_tinytorch.gates.run import run_gates as run

    catalog = load_catalog(args.root)
    store = workflow.WorkflowStore(catalog.root)
    by_gate: dict[str, list[ModuleInfo]] = {}
    blocked = 0
    for info in _chosen(catalog, args.module):
        record = store.load(info)
        gate = record.next_gate()
        if gate is None:
            say(f"{info.slug} ({record.state}): no gate to pass; {workflow.next_step(record, info)}")
            continue
        by_gate.setdefault(gate, []).append(info)
    for gate, infos in by_gate.items():
        done = run(catalog.root, [info.slug for info in infos], [gate])
        if not done.ran:
            say(f"the {gate} gate could not run (pytest exit code {done.exit_code}):", done.output.strip()[-3000:])
            return 2
        for info in infos:
            failing = [r for r in done.for_module(info.slug) if r.outcome in ("failed", "error")]
            if not failing:
                say(f"{info.slug}: nothing blocks the {gate} gate; tito workflow validate {info.slug}")
                continue
            blocked += 1
            say(f"{info.slug}: {len(failing)} {gate} check(s) block it:")
            for result in failing:
                _say_result(result)
    return REFUSED if blocked else 0


def _say_result(result) -> None:
    lines = result.message.strip().splitlines()
    body = [line for line in lines[1:] if line.startswith("  ")] or lines[:6]
    say(f"  {result.check} ({result.outcome}):")
    for line in body:
        say(f"    {line.strip()}")


def run_timeline(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.root)
    store = workflow.WorkflowStore(catalog.root)
    entries = []
    for info in _chosen(catalog, args.module):
        for event in store.load(info).history:
            entries.append((event.get("at", ""), info.slug, event))
    if not entries:
        say("No history yet: every module is PLANNED until its design gate passes (tito workflow validate NN).")
        return 0
    for at, slug, event in sorted(entries, key=lambda e: _instant(e[0])):
        say(f"{at[:16].replace('T', ' ')}  {slug:<16} {workflow.describe(event)}  (by {event.get('by', '?')})")
    return 0


def _instant(text: str) -> float:
    """Sort key for ISO dates written in different time zones."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return 0.0


# --- changing -------------------------------------------------------------------------------------


def run_validate(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.root)
    chosen = _chosen(catalog, args.module)
    store = workflow.WorkflowStore(catalog.root)
    for info in chosen:
        record = store.load(info)
        gate = record.next_gate()
        if gate:
            say(f"{info.slug} is {record.state}: running the {gate} gate's checks")
        elif not args.module:
            say(f"{info.slug} is {record.state}: no gate to run; {workflow.next_step(record, info)}")
    results = workflow.validate(catalog.root, chosen, args.by)
    for result in results:
        _say_validation(result, store, catalog)
    return REFUSED if any(not r.advanced for r in results) else 0


def _say_validation(result: workflow.Validation, store: workflow.WorkflowStore, catalog: Catalog) -> None:
    info = catalog.resolve(result.module)
    off = f", {len(result.turned_off)} turned off ({', '.join(result.turned_off)})" if result.turned_off else ""
    if result.advanced:
        say(
            f"{info.slug}: {result.before} -> {result.after} ({result.gate} gate: {result.passed} checks passed{off}). "
            f"Recorded in workflow/{info.slug}.json."
        )
        say(f"Next: {workflow.next_step(store.load(info), info)}")
        return
    total = result.passed + len(result.blocking) + len(result.turned_off)
    say(f"Refused: {info.slug} stays {result.before}; {len(result.blocking)} of {total} {result.gate} checks block it:")
    for check in result.blocking:
        _say_result(check)
    say(
        f"Fix them, then run 'tito workflow validate {info.slug}' again ('tito workflow blockers {info.slug}' "
        "lists them without advancing)."
    )


def run_assign(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.root)
    info = catalog.resolve(args.module)
    before = workflow.WorkflowStore(catalog.root).load(info).state
    record = workflow.assign(catalog.root, info, args.role, args.by)
    moved = f"; {before} -> {record.state}" if record.state != before else ""
    say(f"{info.slug} is held by {args.role}{moved}. Recorded in workflow/{info.slug}.json.")
    return 0


def run_handoff(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.root)
    info = catalog.resolve(args.module)
    before = workflow.WorkflowStore(catalog.root).load(info).state
    record = workflow.handoff(catalog.root, info, args.from_role, args.to_role, args.by)
    moved = f"; {before} -> {record.state}" if record.state != before else ""
    say(f"{info.slug}: handed off {args.from_role} -> {args.to_role}{moved}. Recorded in workflow/{info.slug}.json.")
    return 0


def run_page(args: argparse.Namespace) -> int:
    from pytest_tinytorch.gates import pages

    catalog = load_catalog(args.root)
    chosen = [catalog.resolve(spec) for spec in args.modules] if args.modules else list(catalog)
    for info in chosen:
        path = pages.write_page(catalog.root, info)
        say(f"  {info.slug}: {path.relative_to(catalog.root).as_posix()}")
    say(f"wrote {len(chosen)} page(s); review and commit them")
    return 0
