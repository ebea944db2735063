"""Implementation gate: the reference is complete, passes its tests, and is gradeable and exportable."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from collections.abc import Generator, Iterator
from pathlib import Path

from pytest_tinytorch.errors import ExportError, NotebookFormatError
from pytest_tinytorch.gates.context import ModuleContext, clean_env
from pytest_tinytorch.gates.model import Finding, Violation
from pytest_tinytorch.gates.source import (
    export_owner,
    find_heading,
    is_package_path,
    section_cells,
    tinytorch_imports,
)
from pytest_tinytorch.notebook import HIDDEN_BEGIN, HIDDEN_END, SOLUTION_BEGIN, SOLUTION_END, Cell

# --- the reference passes its inline tests ------------------------------------------------


def inline_tests(ctx: ModuleContext) -> Iterator[Finding]:
    try:
        tests = ctx.inline_tests
    except NotebookFormatError as error:
        yield Violation(ctx.where_line(1), str(error), "see the message above.")
        return
    if not tests:
        yield Violation(
            ctx.where_line(1),
            "the module has no inline tests (no test_unit_* / test_module functions, no test_* in a graded cell).",
            "add a graded test cell after each implementation cell and a final test_module().",
        )
        return
    run = ctx.reference_run
    if run.timed_out or not run.tests:
        reason = "timed out" if run.timed_out else f"collected nothing (exit code {run.exit_code})"
        yield Violation(
            ctx.where_line(1),
            f"running the inline tests ({' '.join(run.command[2:])}) {reason}:\n{_indent(run.tail())}",
            f"run 'pytest {ctx.label}' and fix what it reports.",
        )
        return
    by_name = {test.name: test for test in tests}
    for outcome in run.tests:
        if outcome.outcome == "passed":
            continue
        test = by_name.get(outcome.name)
        where = ctx.where(test.cell, test.line_in_cell) if test else ctx.where_line(1)
        message = _first_line(run.messages.get(outcome.name, ""))
        yield Violation(
            where,
            f"{outcome.name} {outcome.outcome} against the reference solution: {message}",
            f"run 'pytest {ctx.label} -k {outcome.name}' and fix the solution or the test.",
        )
    missing = sorted(set(by_name) - {t.name for t in run.tests})
    for name in missing:
        test = by_name[name]
        yield Violation(
            ctx.where(test.cell, test.line_in_cell),
            f"{name} was found in the source but pytest did not run it.",
            f"run 'pytest {ctx.label} -v' and look for why it is not collected.",
        )


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0][:300] if lines else "(no message)"


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


# --- markers -------------------------------------------------------------------------------


def solution_markers(ctx: ModuleContext) -> Iterator[Finding]:
    for cell in ctx.notebook.code_cells:
        regions = yield from _balanced(ctx, cell, SOLUTION_BEGIN, SOLUTION_END)
        if regions and not cell.is_solution:
            yield Violation(
                ctx.where(cell, regions[0]),
                f"{SOLUTION_BEGIN} in a cell that is not a solution cell (its nbgrader metadata lacks "
                '"solution": true), so nbgrader would refuse it or ship the solution to students.',
                'mark the cell as a solution cell (nbgrader={"solution": true, ...}) or remove the markers.',
            )
        if cell.is_solution and not regions and SOLUTION_BEGIN not in cell.source:
            yield Violation(
                ctx.where_cell(cell),
                "a solution cell without ### BEGIN SOLUTION / ### END SOLUTION: nbgrader replaces the whole "
                "cell, signatures, docstrings and '#| export' line included.",
                "put the markers around the part the student writes, inside the function body.",
            )


def hidden_markers(ctx: ModuleContext) -> Iterator[Finding]:
    for cell in ctx.notebook.code_cells:
        regions = yield from _balanced(ctx, cell, HIDDEN_BEGIN, HIDDEN_END)
        if regions and not cell.is_graded:
            yield Violation(
                ctx.where(cell, regions[0]),
                f"{HIDDEN_BEGIN} in a cell that is not a graded test cell: nbgrader only removes hidden tests "
                "from graded cells.",
                'move the hidden tests into a graded cell (nbgrader={"grade": true, "locked": true, ...}).',
            )


def _balanced(ctx: ModuleContext, cell: Cell, begin: str, end: str) -> Generator[Finding, None, list[int]]:
    """Yield violations for unbalanced or nested markers; return the lines where regions begin."""
    opened: int | None = None
    starts: list[int] = []
    for number, line in enumerate(cell.source.splitlines(), start=1):
        if begin in line:
            if opened is not None:
                yield Violation(
                    ctx.where(cell, number),
                    f"{begin} while the one at line {ctx.where(cell, opened)} is still open (markers cannot nest).",
                    f"close the first region with {end} before opening another.",
                )
            opened = number
            starts.append(number)
        elif end in line:
            if opened is None:
                yield Violation(
                    ctx.where(cell, number),
                    f"{end} without a matching {begin} above it in this cell.",
                    f"add {begin} where the region starts, or remove this line.",
                )
            opened = None
    if opened is not None:
        yield Violation(
            ctx.where(cell, opened),
            f"{begin} is never closed in this cell.",
            f"add {end} after the last line of the region (in the same cell).",
        )
    return starts


# --- nbgrader metadata -------------------------------------------------------------------------


def graded_cells(ctx: ModuleContext) -> Iterator[Finding]:
    nb = ctx.notebook
    counts = Counter(cell.grade_id for cell in nb.cells if cell.grade_id)
    for grade_id, count in counts.items():
        if count > 1:
            cells = [c for c in nb.cells if c.grade_id == grade_id]
            places = ", ".join(nb.where_cell(c) for c in cells)
            yield Violation(
                nb.where_cell(cells[1]),
                f"grade_id={grade_id!r} is used by {count} cells ({places}); grading matches cells by grade_id.",
                "give every cell its own grade_id.",
            )
    tests_by_cell = Counter(test.cell.index for test in _tests_or_empty(ctx))
    for cell in nb.code_cells:
        meta = cell.nbgrader
        if meta and (meta.get("grade") or meta.get("solution") or meta.get("locked")) and not cell.grade_id:
            yield Violation(
                ctx.where_cell(cell),
                "an nbgrader cell without a grade_id.",
                'add a unique "grade_id" to its nbgrader metadata.',
            )
        if not cell.is_graded:
            continue
        problems = []
        if not cell.is_locked:
            problems.append('it is not locked (students could edit the test): add "locked": true')
        if cell.points <= 0:
            problems.append(f'it is worth {cell.points:g} points: add "points": N with N > 0')
        if not tests_by_cell[cell.index]:
            problems.append("it defines no test_* function, so nothing would earn its points: define one")
        for problem in problems:
            what, _, fix = problem.partition(": ")
            yield Violation(ctx.where_cell(cell), f"graded cell: {what}.", fix + ".")


def _tests_or_empty(ctx: ModuleContext) -> list:
    try:
        return ctx.inline_tests
    except NotebookFormatError:
        return []


# --- the export imports ----------------------------------------------------------------------

_IMPORT_CHECK = "import importlib, sys\nmodule = importlib.import_module(sys.argv[1])\nprint(module.__file__)\n"
_CELL_COMMENT = re.compile(r"^# Cell (\d+) \((.+?):(\d+)\)$")


def export_imports(ctx: ModuleContext) -> Iterator[Finding]:
    """Export this module (and the earlier ones) into a scratch package and import it in a fresh Python."""
    from pytest_tinytorch import export
    from pytest_tinytorch.notebook import read_notebook

    try:
        target = ctx.notebook.default_exp
    except NotebookFormatError as error:
        yield Violation(ctx.where_line(1), str(error), "keep one '#| default_exp' line.")
        return
    if target is None:
        yield Violation(
            ctx.where_line(1),
            "no '#| default_exp' line: the module exports nothing.",
            f"add '#| default_exp core.{ctx.info.name}' to the first code cell.",
        )
        return
    scratch = ctx.tmpdir() / "package"
    exported: list[str] = []
    for info in ctx.catalog:
        if info.number > ctx.info.number:
            continue
        nb = ctx.notebook if info.number == ctx.info.number else read_notebook(info.source)
        try:
            plan = export.plan_export(nb, scratch, _label(ctx, info.source))
        except ExportError as error:
            if info.number == ctx.info.number:
                yield Violation(ctx.where_line(1), str(error), "fix the exported cells.")
                return
            continue  # an earlier module's problem is its own gate's business
        if plan is not None and nb.default_exp:
            plan.target.parent.mkdir(parents=True, exist_ok=True)
            plan.target.write_text(plan.text, encoding="utf-8")
            exported.append(nb.default_exp)
    for path, text in export.render_package_inits(scratch, exported).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    name = f"{export.PACKAGE}.{target}"
    env = clean_env()
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_CHECK, name], cwd=scratch, env=env, capture_output=True, text=True, timeout=300
    )
    if done.returncode == 0:
        return
    where, detail = _locate_failure(ctx, done.stderr, scratch)
    yield Violation(
        where,
        f"the export does not import: 'import {name}' (this module's '#| export' cells, with modules "
        f"{ctx.catalog.modules[0].number:02d}..{ctx.info.number:02d} exported before it) fails with {detail}",
        "an '#| export' cell may only use names defined in exported cells or imported from earlier modules; "
        "export the helper or import it.",
    )


def _label(ctx: ModuleContext, source) -> str:
    try:
        return source.resolve().relative_to(ctx.root).as_posix()
    except ValueError:
        return source.as_posix()


def _locate_failure(ctx: ModuleContext, stderr: str, scratch: Path) -> tuple[str, str]:
    """Map the deepest traceback frame in the exported file back to the module's source line."""
    lines = stderr.strip().splitlines()
    detail = lines[-1].strip() if lines else "no output"
    for filename, lineno in reversed(re.findall(r'File "([^"]+)", line (\d+)', stderr)):
        if str(scratch) not in filename:
            continue
        exported = Path(filename).read_text(encoding="utf-8").splitlines()
        number = int(lineno)
        for back in range(number - 1, -1, -1):
            match = _CELL_COMMENT.match(exported[back])
            if match is None:
                continue
            offset = number - back - 2  # 0-based line of the exported cell
            if match.group(2) != _label(ctx, ctx.info.source):
                return f"{match.group(2)}:{match.group(3)}", detail
            cell = ctx.notebook.cells[int(match.group(1)) - 1]
            kept = _exported_lines(cell)
            line = kept[offset] if 0 <= offset < len(kept) else 1
            return ctx.where(cell, line), detail
        break
    return ctx.where_line(1), detail


def _exported_lines(cell: Cell) -> list[int]:
    """The 1-based cell lines :func:`export.plan_export` keeps, in order: the lines of
    ``code_without_directives()`` found in the cell in turn, ``from __future__`` lines dropped."""
    source = cell.source.splitlines()
    kept, position = [], 0
    for line in cell.code_without_directives().splitlines():
        while position < len(source) and source[position] != line:
            position += 1
        if position < len(source):
            kept.append(position + 1)
            position += 1
    return [n for n in kept if not source[n - 1].startswith("from __future__ import")]


# --- systems analysis -------------------------------------------------------------------------

SYSTEMS_ANALYSIS = r"systems?[ -]analysis"
_MEASURES = re.compile(
    r"\b(perf_counter(?:_ns)?|process_time|monotonic|timeit|tracemalloc|nbytes|getsizeof|getrusage|memory_usage)\b"
)


def systems_analysis(ctx: ModuleContext) -> Iterator[Finding]:
    heading = find_heading(ctx.notebook, SYSTEMS_ANALYSIS)
    if heading is None:
        yield Violation(
            ctx.where_line(1),
            "no 'Systems analysis' section (a markdown heading) in the module.",
            "add '## Systems analysis: ...' followed by code that measures the time and memory of what the module "
            "built (time.perf_counter, tracemalloc, ndarray.nbytes), compared with plain NumPy.",
        )
        return
    _, cells = section_cells(ctx.notebook, heading)
    code = [cell for cell in cells if cell.kind == "code" and cell.code_without_directives().strip()]
    where = ctx.where_text(heading.cell, heading.text)
    if not code:
        yield Violation(
            where,
            f"the '{heading.text}' section has no code cell.",
            "add a code cell in the section that measures what the module built.",
        )
        return
    if not any(_MEASURES.search(cell.source) for cell in code):
        yield Violation(
            where,
            f"the '{heading.text}' section's {len(code)} code cell(s) measure nothing (no time.perf_counter, "
            "timeit, tracemalloc, .nbytes or sys.getsizeof).",
            "measure real time and memory in that section; never print numbers that were not measured.",
        )


# --- imports of other modules -------------------------------------------------------------------


def imports(ctx: ModuleContext) -> Iterator[Finding]:
    for ref in tinytorch_imports(ctx.notebook):
        where = ctx.where(ref.cell, ref.line_in_cell)
        owner = export_owner(ctx.catalog, ref.candidates)
        if owner is None:
            if not any(is_package_path(ctx.catalog, c) for c in ref.candidates):
                yield Violation(
                    where,
                    f"imports {ref.path} ({ref.candidates[0]}), which no course module exports.",
                    "import from the '#| default_exp' path of the module that defines it.",
                )
        elif owner.number > ctx.info.number:
            yield Violation(
                where,
                f"imports tinytorch.{owner.default_exp} from {owner.slug}, a later module "
                f"({ctx.info.slug} comes first, so a student has not built it yet).",
                f"move the code that needs it to {owner.slug}, or move the needed code earlier.",
            )
        elif owner.number == ctx.info.number and ref.cell.kind == "code":
            yield Violation(
                where,
                f"imports its own export tinytorch.{owner.default_exp}: the notebook would use the package's copy, "
                "not the code in this notebook.",
                "use the names defined in this notebook directly.",
            )
