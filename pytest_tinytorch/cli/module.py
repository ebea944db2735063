"""``tito module``: the student loop (start, complete, status, reset) and the catalog list.

Only talking to the student lives here; the work is done by ``workspace``
(working copies, backups), ``completion`` (tests, export, import check) and
``progress`` (the one progress store).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from pytest_tinytorch import completion, export, milestones, workspace
from pytest_tinytorch.catalog import Catalog, ModuleInfo
from pytest_tinytorch.cli.context import load_catalog, reports_os_errors, say
from pytest_tinytorch.errors import ExportError, NotebookFormatError, TinyTorchError
from pytest_tinytorch.inline import find_tests
from pytest_tinytorch.notebook import read_notebook
from pytest_tinytorch.progress import STATE_DIR, Progress, ProgressStore
from pytest_tinytorch.workspace import relative

TESTS_FAILED = 1
STATE_ERROR = 2


def add_parser(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser(
        "module",
        help="work through the course: start, complete, status, reset",
        description="Work through the course one module at a time: start a module, edit your "
        "working copy, complete it (tests, export, record), check your status.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    _add_start(commands)
    _add_complete(commands)
    _add_status(commands)
    _add_list(commands)
    _add_reset(commands)


def _add_start(commands: argparse._SubParsersAction) -> None:
    for name, help_text in (
        ("start", "create your working copy of a module and open it in Jupyter Lab"),
        ("resume", "open a module you started (default: the one you started last)"),
    ):
        cmd = commands.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".")
        cmd.add_argument(
            "module",
            nargs=None if name == "start" else "?",
            metavar="NN",
            help="module number, name or folder (e.g. 01, tensor, 01_tensor)",
        )
        cmd.add_argument(
            "--no-browser", action="store_true", help="do not open Jupyter Lab; print the working copy's path instead"
        )
        cmd.add_argument("--force", action="store_true", help="start even though earlier modules are not completed")
        cmd.set_defaults(handler=reports_os_errors(run_start))


def _add_complete(commands: argparse._SubParsersAction) -> None:
    cmd = commands.add_parser(
        "complete",
        help="test your module, export it into tinytorch/, record it as completed",
        description="Run the module's tests (pytest --tinytorch-module NN) on your working copy; only "
        "if all pass, export its '#| export' cells into tinytorch/, check that the package imports, "
        "and record the module as completed. Any failure stops there and records nothing.",
    )
    cmd.add_argument("module", metavar="NN", help="module number, name or folder")
    cmd.set_defaults(handler=reports_os_errors(run_complete))


def _add_status(commands: argparse._SubParsersAction) -> None:
    cmd = commands.add_parser(
        "status",
        help="every module: started, completed, points; and what to do next",
        description="Show your progress through the course and the next step.",
    )
    cmd.add_argument(
        "--repair",
        action="store_true",
        help="if the progress store is damaged, move it aside (kept) and start a fresh one",
    )
    cmd.set_defaults(handler=reports_os_errors(run_status))


def _add_list(commands: argparse._SubParsersAction) -> None:
    cmd = commands.add_parser("list", help="the course's modules", description="List the modules in modules/.")
    cmd.set_defaults(handler=reports_os_errors(run_list))


def _add_reset(commands: argparse._SubParsersAction) -> None:
    cmd = commands.add_parser(
        "reset",
        help="back up your working copy, then start the module over",
        description="Back up your working copy (timestamped, in .tito/backups/), replace it with the clean "
        "student version, and unexport the module. --list-backups and --restore bring old copies back.",
    )
    cmd.add_argument("module", metavar="NN", help="module number, name or folder")
    group = cmd.add_mutually_exclusive_group()
    group.add_argument("--list-backups", action="store_true", help="list this module's backups and exit")
    group.add_argument(
        "--restore",
        nargs="?",
        const="latest",
        metavar="BACKUP",
        help="put a backup back as your working copy (default: the newest); your current copy is backed up first",
    )
    cmd.set_defaults(handler=reports_os_errors(run_reset))


# --- start / resume ----------------------------------------------------------------


def run_start(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.root)
    store = ProgressStore(catalog.root)
    with store.lock():
        progress = store.load()
        info = catalog.resolve(args.module) if args.module else _module_to_resume(catalog, progress)
        if not info.working_copy.exists() and not args.force and _blocked_by_earlier(catalog, progress, info):
            return STATE_ERROR
        _prepare(catalog, store, info)
    return _open_in_jupyter(catalog.root, info, args.no_browser)


def _module_to_resume(catalog: Catalog, progress: Progress) -> ModuleInfo:
    unfinished = [
        (progress.module(m.slug).started or "", m)
        for m in catalog
        if progress.module(m.slug).started and not progress.module(m.slug).completed
    ]
    if unfinished:
        return max(unfinished, key=lambda pair: pair[0])[1]
    upcoming = _first_not_completed(catalog, progress)
    hint = f"start the next one: tito module start {upcoming.slug}" if upcoming else "every module is completed"
    raise NothingToResumeError(f"no module is started and unfinished, so there is nothing to resume; {hint}.")


class NothingToResumeError(TinyTorchError, LookupError):
    """``tito module resume`` without a module, when no module is in progress."""


def _blocked_by_earlier(catalog: Catalog, progress: Progress, info: ModuleInfo) -> bool:
    # Every earlier module, not just the ones this module imports: `import tinytorch`
    # loads all exported modules, and later modules rely on that (06 calls
    # backward() from 05 without importing it).
    missing = [m for m in catalog if m.number < info.number and not progress.module(m.slug).completed]
    if not missing:
        return False
    say(
        f"Module {info.slug} builds on the modules before it, and these are not completed yet: "
        f"{', '.join(m.slug for m in missing)}.",
        f"Complete them first (next: tito module complete {missing[0].slug}), or start {info.slug} anyway with:",
        f"    tito module start {info.slug} --force",
    )
    return True


def _prepare(catalog: Catalog, store: ProgressStore, info: ModuleInfo) -> None:
    root = catalog.root
    copy = relative(info.working_copy, root)
    if info.working_copy.exists():
        say(
            f"Your working copy {copy} is there; kept as it is "
            f"('tito module reset {info.slug}' starts over, after backing it up)."
        )
    else:
        say(
            f"Creating your working copy of {info.slug} from {relative(info.source, root)} "
            "(the student version: solutions removed) ..."
        )
        workspace.create_working_copy(root, info)
        say(f"Created {copy}: {_describe_work(info.working_copy)}.")
    for path in workspace.ensure_package(root, catalog):
        say(f"Created {relative(path, root)} (this course's own tinytorch package).")
    with store.update() as progress:
        first = not progress.module(info.slug).started
        record = progress.mark_started(info.slug)
    if first:
        say(f"Recorded: started {info.slug} on {(record.started or '?')[:10]}.")


def _describe_work(path: Path) -> str:
    nb = read_notebook(path)
    solutions = sum(1 for cell in nb.code_cells if cell.is_solution)
    tests = find_tests(nb)
    points = sum(t.points for t in tests)
    return f"{solutions} solution cell(s) to write, {len(tests)} test(s) worth {_num(points)} points"


def _open_in_jupyter(root: Path, info: ModuleInfo, no_browser: bool) -> int:
    copy = relative(info.working_copy, root)
    done_hint = f"When its tests pass in the notebook: tito module complete {info.slug}"
    if no_browser:
        say(f"Working copy: {info.working_copy}", f"Open it with: jupyter lab {copy}", done_hint)
        return 0
    command = _jupyter_lab()
    if command is None:
        say(
            f"Jupyter Lab is not installed for this Python ({sys.executable}).",
            f"Install it with: {sys.executable} -m pip install jupyterlab",
            f"then open your working copy with: jupyter lab {copy}",
            done_hint,
        )
        return 0
    log = root / STATE_DIR / "jupyter.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:  # detached: Jupyter keeps running after tito exits
        proc = subprocess.Popen(
            [*command, str(info.working_copy)],
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    say(
        f"Opening {copy} in Jupyter Lab (pid {proc.pid}; log: {relative(log, root)}). "
        "Stop it with File > Shut Down in Jupyter Lab.",
        done_hint,
    )
    return 0


def _jupyter_lab() -> list[str] | None:
    beside = Path(sys.executable).with_name("jupyter-lab")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("jupyter-lab")
    return [found] if found else None


# --- complete ----------------------------------------------------------------------


def run_complete(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.root)
    info = catalog.resolve(args.module)
    store = ProgressStore(catalog.root)
    with store.lock():
        before = store.load()  # a damaged store stops us here, before anything runs
        tested = info.file_to_test()
        run = _step_test(catalog.root, info, tested)
        if not run.all_passed:
            return _tests_failed(info, run)
        try:
            _export_and_record(catalog, store, info, tested, run)
        except (ExportError, NotebookFormatError, completion.ImportCheckError) as error:
            return _export_failed(info, error)
    _say_unlocked(catalog, before, info)
    _say_next(catalog, store.load())
    return 0


def _step_test(root: Path, info: ModuleInfo, tested: Path) -> completion.TestRun:
    if tested == info.working_copy:
        whose = f"your working copy {relative(tested, root)}"
    else:
        whose = (
            f"the module source {relative(tested, root)} (there is no working copy "
            f"{relative(info.working_copy, root)}; 'tito module start {info.slug}' creates one)"
        )
    say(f"[1/4] Testing {whose}: pytest --tinytorch-module {info.slug}")
    run = completion.run_tests(root, info)
    say(f"      {_summary(run)}")
    return run


def _summary(run: completion.TestRun) -> str:
    if run.uncollected:
        return "pytest could not read the tests: see 'ERROR collecting' above."
    if not run.test_count:
        return f"pytest ran no tests (exit code {run.exit_code}); see its output above."
    counts = ", ".join(f"{run.count(o)} {o}" for o in ("failed", "error", "skipped") if run.count(o))
    return (
        f"{run.count('passed')} of {run.test_count} tests passed{f' ({counts})' if counts else ''}; "
        f"{_num(run.points_earned)} of {_num(run.points_possible)} points."
    )


def _tests_failed(info: ModuleInfo, run: completion.TestRun) -> int:
    say(
        f"Module {info.slug} is not complete: fix what failed above (each failure names the cell and line), "
        f"then run 'tito module complete {info.slug}' again.",
        "Nothing was exported and nothing was recorded.",
    )
    return TESTS_FAILED


def _export_and_record(
    catalog: Catalog, store: ProgressStore, info: ModuleInfo, tested: Path, run: completion.TestRun
) -> None:
    root = catalog.root
    target = completion.export_target(info, tested, root)
    with completion.rollback_on_failure(root, target):
        say(f"[2/4] Exporting the '#| export' cells of {relative(tested, root)} -> {relative(target, root)}")
        export.export_module(root, catalog, info, source=tested)
        say(f"[3/4] Checking that the package imports: import {export.PACKAGE}.{info.default_exp}")
        done = completion.verify_import(root, f"{export.PACKAGE}.{info.default_exp}", target)
        say(
            f"      imported {relative(done.imported_from, root)} (this course's package: "
            f"{relative(done.package_from.parent, root)}/)"
        )
        with store.update() as progress:
            record = progress.mark_completed(
                info.slug,
                points_earned=run.points_earned,
                points_possible=run.points_possible,
                tested=relative(tested, root),
            )
        say(
            f"[4/4] Recorded: {info.slug} completed on {(record.completed or '?')[:10]} "
            f"({_num(run.points_earned)}/{_num(run.points_possible)} points)."
        )


def _export_failed(info: ModuleInfo, error: Exception) -> int:
    say(
        f"      failed: {error}",
        f"Module {info.slug} is not complete: the tests passed, but the export did not work, so tinytorch/ "
        "was put back as it was and nothing was recorded.",
        f"Fix it, then run 'tito module complete {info.slug}' again.",
    )
    return TESTS_FAILED


def _completed_numbers(catalog: Catalog, progress: Progress) -> set[int]:
    return {m.number for m in catalog if progress.module(m.slug).completed}


def _say_unlocked(catalog: Catalog, before: Progress, info: ModuleInfo) -> None:
    try:
        found = milestones.discover(catalog.root)
    except TinyTorchError as error:
        say(f"(milestones not checked: {error})")
        return
    done_before = _completed_numbers(catalog, before)
    if info.number in done_before:
        return  # completed again: whatever it unlocks was unlocked the first time
    for item in milestones.unlocked_by(found, done_before, info.number):
        say(
            f"Milestone unlocked: {item.year} {item.title} ({relative(item.script, catalog.root)}).",
            f"    {_milestone_hint(item)}",
        )


def _milestone_hint(item: milestones.Milestone) -> str:
    from pytest_tinytorch.cli import GROUPS

    if "milestone" in GROUPS:
        return f"Run it: tito milestone run {item.slug}  (target: {item.target})"
    return f"Target: {item.target}."


def _first_not_completed(catalog: Catalog, progress: Progress) -> ModuleInfo | None:
    return next((m for m in catalog if not progress.module(m.slug).completed), None)


def _say_next(catalog: Catalog, progress: Progress) -> None:
    say(f"Next: {_next_step(catalog, progress)}")


def _next_step(catalog: Catalog, progress: Progress) -> str:
    for info in catalog:
        record = progress.module(info.slug)
        if record.started and not record.completed:
            return (
                f"finish {info.slug} in {relative(info.working_copy, catalog.root)}, "
                f"then: tito module complete {info.slug}"
            )
    upcoming = _first_not_completed(catalog, progress)
    if upcoming is None:
        return f"nothing left: all {len(catalog)} modules are completed."
    return f"tito module start {upcoming.slug}"


# --- status / list -----------------------------------------------------------------


def run_status(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.root)
    store = ProgressStore(catalog.root)
    if args.repair:
        aside = store.repair()
        say(
            f"Moved the damaged progress store to {relative(aside, catalog.root)} and started a fresh one."
            if aside
            else "The progress store is readable; nothing to repair."
        )
    progress = store.load()
    rows = [("NN", "module", "status", "points")] + [_status_row(catalog.root, info, progress) for info in catalog]
    _table(rows)
    done = _completed_numbers(catalog, progress)
    say(f"{len(done)} of {len(catalog)} modules completed.")
    _say_milestones(catalog, progress, done)
    _say_next(catalog, progress)
    return 0


def _status_row(root: Path, info: ModuleInfo, progress: Progress) -> tuple[str, ...]:
    record = progress.module(info.slug)
    if record.completed:
        status = f"completed {record.completed[:10]}"
        if info.default_exp and not export.target_path(root, info.default_exp).exists():
            status += f" (export missing: tito module complete {info.slug})"
        points = f"{_num(record.points_earned or 0)}/{_num(record.points_possible or 0)}"
    else:
        status = f"started {record.started[:10]}" if record.started else "not started"
        points = f"-/{_possible_points(info.file_to_test())}"
    return (f"{info.number:02d}", info.name, status, points)


def _possible_points(path: Path) -> str:
    try:
        return _num(sum(t.points for t in find_tests(read_notebook(path))))
    except (NotebookFormatError, OSError):
        return "?"


def _say_milestones(catalog: Catalog, progress: Progress, done: set[int]) -> None:
    try:
        found = milestones.discover(catalog.root)
    except TinyTorchError as error:
        say(f"Milestones: not readable ({error})")
        return
    for item in found:
        record = progress.milestones.get(item.slug)
        missing = milestones.missing_modules(item, done)
        if record is not None:
            state = f"{'target met' if record.target_met else 'target not met'} on {record.date[:10]}"
        elif missing:
            state = "needs modules " + ", ".join(f"{n:02d}" for n in missing)
        else:
            state = "unlocked, not run yet"
        say(f"Milestone {item.number:02d} ({item.year}, {item.title}): {state}")


def run_list(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.root)
    rows = [("NN", "module", "exports to", "tests", "points")]
    for info in catalog:
        try:
            tests = find_tests(read_notebook(info.source))
            counts = (str(len(tests)), _num(sum(t.points for t in tests)))
        except NotebookFormatError:
            counts = ("?", "?")
        where = f"{export.PACKAGE}.{info.default_exp}" if info.default_exp else "-"
        rows.append((f"{info.number:02d}", info.name, where, *counts))
    _table(rows)
    say(f"{len(catalog)} modules in {relative(catalog.root / 'modules', Path.cwd())}")
    return 0


def _table(rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        say("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _num(value: float) -> str:
    return f"{round(value, 2):g}"


# --- reset -------------------------------------------------------------------------


def run_reset(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.root)
    info = catalog.resolve(args.module)
    if args.list_backups:
        return _list_backups(catalog.root, info)
    store = ProgressStore(catalog.root)
    with store.lock():
        if args.restore is not None:
            return _restore(catalog.root, info, args.restore)
        before = store.load()
        saved = workspace.reset_working_copy(catalog.root, info)
        say(
            f"Backed up your working copy to {relative(saved.path, catalog.root)}",
            f"Replaced {relative(info.working_copy, catalog.root)} with the clean student version.",
        )
        _unexport(catalog, store, info, before)
    say(f"Undo with: tito module reset {info.slug} --restore {saved.name}")
    return 0


def _unexport(catalog: Catalog, store: ProgressStore, info: ModuleInfo, before: Progress) -> None:
    removed = export.unexport_module(catalog.root, catalog, info)
    if removed is not None:
        say(f"Unexported: removed {relative(removed, catalog.root)}")
    record = before.module(info.slug)
    if record.completed:
        with store.update() as progress:
            progress.clear_completion(info.slug)
        say(f"Progress: {info.slug} is no longer completed (it was completed on {record.completed[:10]}).")
    later = [m.slug for m in catalog if m.number > info.number and before.module(m.slug).completed]
    if later:
        say(f"Note: {', '.join(later)} build on {info.slug}; their tests fail until you complete it again.")


def _restore(root: Path, info: ModuleInfo, name: str) -> int:
    chosen, saved = workspace.restore_backup(root, info, name)
    if saved is not None:
        say(f"Backed up your current working copy to {relative(saved.path, root)}")
    say(
        f"Restored {relative(info.working_copy, root)} from backup {chosen.name}.",
        f"Test and export it again with: tito module complete {info.slug}",
    )
    return 0


def _list_backups(root: Path, info: ModuleInfo) -> int:
    backups = workspace.list_backups(root, info)
    if not backups:
        say(f"{info.slug} has no backups yet ('tito module reset {info.slug}' makes one before resetting).")
        return 0
    say(f"Backups of {info.slug} in {relative(workspace.backup_dir(root, info), root)} (oldest first):")
    for backup in backups:
        say(f"  {backup.name}  {backup.created:%Y-%m-%d %H:%M:%S}  {backup.path.stat().st_size} bytes")
    say(f"Restore one with: tito module reset {info.slug} --restore NAME (default: the newest)")
    return 0
