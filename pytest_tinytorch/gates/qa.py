"""QA gate: the student version works as a test of the student, the notebook survives
jupytext, the integration tests in ``tests/`` pass, and the points add up."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from pytest_tinytorch.gates.context import ModuleContext, run_pytest
from pytest_tinytorch.gates.declarations import KEY, header_line
from pytest_tinytorch.gates.model import Finding, Violation
from pytest_tinytorch.gates.source import PACKAGE, export_owner, import_targets
from pytest_tinytorch.inline import find_tests
from pytest_tinytorch.notebook import HIDDEN_BEGIN, SOLUTION_BEGIN, Cell, parse_cell_code, parse_ipynb

# --- the student version ------------------------------------------------------------------------


def student_version(ctx: ModuleContext) -> Iterator[Finding]:
    student = ctx.student
    if student.notebook is None:
        yield Violation(
            ctx.where_line(1),
            f"the student version could not be generated: {student.error}",
            "fix the nbgrader metadata the message names.",
        )
        return
    reference = {cell.index: cell for cell in ctx.notebook.cells}
    for cell in student.notebook.code_cells:
        where = ctx.where_cell(reference[cell.index]) if cell.index in reference else f"student cell {cell.index}"
        try:
            parse_cell_code(cell.source)
        except SyntaxError as error:
            yield Violation(
                where,
                f"the student version of this cell is not Python ({error.msg} at its line {error.lineno}: "
                f"{(error.text or '').strip()!r}) once the solution is replaced by 'raise NotImplementedError()'.",
                "put ### BEGIN/END SOLUTION around whole statements inside a function body.",
            )
        for marker, what in ((SOLUTION_BEGIN, "a solution"), (HIDDEN_BEGIN, "hidden tests")):
            if marker in cell.source:
                yield Violation(
                    where,
                    f"the student version still contains {what} ({marker}).",
                    "check the cell's nbgrader metadata (solution / grade) so nbgrader removes it.",
                )
    run = ctx.stub_run
    if run is None:
        return
    if run.timed_out or not run.tests:
        yield Violation(
            ctx.where_line(1),
            f"the student version's tests did not run (exit code {run.exit_code}):\n"
            + "\n".join("    " + line for line in run.tail().splitlines()),
            "generate it (tito module start) and run pytest on it to see why.",
        )
        return
    errored = [t for t in run.tests if t.outcome == "error"]
    if errored:
        raised, where = _load_error(ctx, run.messages.get(errored[0].name, ""))
        yield Violation(
            where,
            f"the student version does not execute: {len(errored)} of {len(run.tests)} tests could not start "
            f"because loading the notebook raised {raised}",
            "no module-level code may call student code, except under 'if __name__ == \"__main__\":'; "
            "a fresh student version must run as definitions only.",
        )


def _load_error(ctx: ModuleContext, message: str) -> tuple[str, str]:
    """The exception and the reference cell it was raised in, from the plugin's module-error report."""
    error = next(
        (line.strip() for line in message.splitlines() if re.match(r"^\w+(Error|Exception|Exit)\b", line)),
        _first_line(message),
    )
    match = re.search(r"raised in cell (\d+)", message)
    cells = {cell.index: cell for cell in ctx.notebook.cells}
    if match and int(match.group(1)) in cells:
        cell = cells[int(match.group(1))]
        return f"{error} (in cell {cell.index}, called while the cells ran)", ctx.where_cell(cell)
    return error, ctx.where_line(1)


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0][:300] if lines else "(no message)"


def stub_tests_fail(ctx: ModuleContext) -> Iterator[Finding]:
    student, run = ctx.student, ctx.stub_run
    if student.notebook is None or run is None or not run.tests:
        yield Violation(
            ctx.where_line(1),
            "no student version ran, so it is unknown whether its graded tests fail.",
            "fix what qa.student-version reports first.",
        )
        return
    reference = {t.name: t for t in ctx.inline_tests}
    graded = [t for t in find_tests(student.notebook) if t.graded]
    if not graded:
        yield Violation(
            ctx.where_line(1),
            "the student version has no graded tests.",
            "add graded test cells (grade: true, points) that call the student's code.",
        )
    for test in graded:
        outcome = run.outcome(test.name)
        if outcome in ("failed", "error"):
            continue
        ref = reference.get(test.name)
        where = ctx.where(ref.cell, ref.line_in_cell) if ref else ctx.where_line(1)
        status = outcome or "was not run"
        yield Violation(
            where,
            f"graded test {test.name} ({test.grade_id}, {test.points:g} points) {status} against the student "
            "version (every solution replaced by 'raise NotImplementedError()'), so it does not test the "
            "student's work and would give free points.",
            "make the test call the code the student writes and assert on its result.",
        )


# --- the jupytext round trip ------------------------------------------------------------------------


def roundtrip(ctx: ModuleContext) -> Iterator[Finding]:
    """``.py`` -> ``.ipynb`` -> ``.py`` with jupytext keeps every cell and the metadata; the harness reads
    the ``.ipynb`` (what students get) exactly as it reads the ``.py``."""
    import jupytext

    if ctx.notebook.fmt != "percent":
        return
    text = ctx.info.source.read_text(encoding="utf-8")
    first = jupytext.reads(text, fmt="py:percent")
    ipynb = jupytext.writes(first, fmt="ipynb")
    back = jupytext.reads(jupytext.writes(jupytext.reads(ipynb, fmt="ipynb"), fmt="py:percent"), fmt="py:percent")
    if _notebook_meta(first.metadata) != _notebook_meta(back.metadata):
        yield Violation(
            ctx.where_line(1),
            "the notebook metadata (jupytext header) changes in the round trip: "
            f"{_notebook_meta(first.metadata)!r} -> {_notebook_meta(back.metadata)!r}.",
            "write the header as jupytext writes it (jupytext --to py:percent).",
        )
    jt_first = [_jcell(c) for c in first.cells]
    jt_back = [_jcell(c) for c in back.cells]
    if jt_first != jt_back:
        index = next(
            (i for i, (a, b) in enumerate(zip(jt_first, jt_back, strict=False)) if a != b),
            min(len(jt_first), len(jt_back)),
        )
        yield Violation(
            ctx.where_line(1),
            f"jupytext's round trip changes the cells from cell {index + 1} on "
            f"({len(jt_first)} cells before, {len(jt_back)} after).",
            "run jupytext --to ipynb and back and compare; write those cells as jupytext writes them.",
        )
    ours = ctx.notebook.cells
    theirs = parse_ipynb(ipynb, ctx.info.source.with_suffix(".ipynb")).cells
    for mine, other in zip(ours, theirs, strict=False):
        difference = _difference(mine, other)
        if difference:
            yield Violation(
                ctx.where_cell(mine),
                f"cell {mine.index} reads differently as .ipynb (what students get): {difference}. "
                f"The harness reads {len(ours)} cells from the .py and {len(theirs)} from the .ipynb.",
                "a line starting with '# %%' inside a string or a cell starts a new cell for the harness but "
                "not for jupytext; reword it (e.g. '#%%' -> '# (cell)') so both agree.",
            )
            return
    if len(ours) != len(theirs):
        yield Violation(
            ctx.where_line(1),
            f"the harness reads {len(ours)} cells from the .py but {len(theirs)} from its .ipynb.",
            "compare the two with jupytext --to ipynb; make the cell markers agree.",
        )


def _notebook_meta(meta: dict) -> dict:
    meta = {k: v for k, v in dict(meta).items()}
    jt = dict(meta.get("jupytext", {}))
    representation = dict(jt.get("text_representation", {}))
    representation.pop("jupytext_version", None)
    if representation:
        jt["text_representation"] = representation
    if jt:
        meta["jupytext"] = jt
    return meta


def _jcell(cell) -> tuple:
    return cell.cell_type, cell.source, dict(cell.metadata)


# jupytext's own layout keys (how many blank lines, which quote marks): not content.
_LAYOUT = ("cell_marker", "lines_to_next_cell", "lines_to_end_of_cell_marker", "skipline", "noskipline")


def _difference(mine: Cell, other: Cell) -> str:
    if mine.kind != other.kind:
        return f"a {mine.kind} cell in the .py is a {other.kind} cell in the .ipynb"
    meta_a = {k: v for k, v in mine.metadata.items() if k not in _LAYOUT}
    meta_b = {k: v for k, v in other.metadata.items() if k not in _LAYOUT}
    if meta_a != meta_b:
        return f"metadata {meta_a!r} becomes {meta_b!r}"
    a, b = _unmagic(mine.source), _unmagic(other.source)
    if a != b:
        for number, (left, right) in enumerate(
            zip(a.splitlines() + [""], b.splitlines() + [""], strict=False), start=1
        ):
            if left != right:
                return f"line {number} {left!r} becomes {right!r}"
    return ""


_COMMENTED_MAGIC = re.compile(r"^(\s*)# ((?:%{1,2}[A-Za-z]|!).*)$")


def _unmagic(source: str) -> str:
    """jupytext comments IPython magics in a .py ('# %time'); compare them uncommented."""
    return "\n".join(_COMMENTED_MAGIC.sub(r"\1\2", line) for line in source.splitlines())


# --- the integration tests in tests/ ------------------------------------------------------------------


def integration_test_files(ctx: ModuleContext) -> list[Path]:
    """Files under ``tests/`` that import this module's exported package path (their own imports say so)."""
    tests = ctx.root / "tests"
    if not tests.is_dir() or ctx.notebook.default_exp is None:
        return []
    found = []
    for path in sorted(tests.rglob("test_*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and any(
                (owner := export_owner(ctx.catalog, cands)) is not None and owner.number == ctx.info.number
                for _, cands in import_targets(node)
            ):
                found.append(path)
                break
    return found


def integration_tests(ctx: ModuleContext) -> Iterator[Finding]:
    from pytest_tinytorch import export

    target = ctx.notebook.default_exp
    if target is None:
        yield Violation(
            ctx.where_line(1),
            "no '#| default_exp', so no test can import this module's package.",
            "declare the export (design gate).",
        )
        return
    plan = export.plan_export(ctx.notebook, ctx.root, _label(ctx))
    if plan is not None and (not plan.target.exists() or plan.target.read_text(encoding="utf-8") != plan.text):
        state = "missing" if not plan.target.exists() else "out of date"
        yield Violation(
            ctx.where_line(1),
            f"{_rel(ctx, plan.target)} is {state}: the integration tests would test other code than this module's.",
            f"run 'tito source export {ctx.info.slug}'.",
        )
        return
    files = integration_test_files(ctx)
    if not files:
        yield Violation(
            ctx.where_line(1),
            f"no test file under tests/ imports {PACKAGE}.{target}, so nothing tests the exported package.",
            f"add tests/framework/test_{ctx.info.name}.py that imports {PACKAGE}.{target} and checks it against an "
            "oracle (NumPy, finite differences).",
        )
        return
    junit = ctx.tmpdir() / "integration.xml"
    run = run_pytest(["--rootdir", str(ctx.root), *map(str, files)], cwd=ctx.root, junit=junit, autoload=True)
    if run.timed_out or not run.tests:
        yield Violation(
            ctx.where_line(1),
            f"the integration tests did not run (exit code {run.exit_code}):\n"
            + "\n".join("    " + line for line in run.tail().splitlines()),
            "run them with pytest to see why.",
        )
        return
    for case in run.cases:
        if case.outcome in ("failed", "error"):
            where = _test_file(ctx, files, case.classname)
            yield Violation(
                where,
                f"{case.name} {case.outcome} ({len(files)} test files import {PACKAGE}.{target}): "
                f"{_first_line(case.message)}",
                f"run 'pytest {where}::{case.name}' and fix {ctx.info.slug} or the test.",
            )


def _label(ctx: ModuleContext) -> str:
    return _rel(ctx, ctx.info.source)


def _rel(ctx: ModuleContext, path: Path) -> str:
    try:
        return path.resolve().relative_to(ctx.root).as_posix()
    except ValueError:
        return str(path)


def _test_file(ctx: ModuleContext, files: list[Path], classname: str) -> str:
    """The test file a JUnit classname (``tests.framework.test_x[.TestClass]``) comes from."""
    for path in files:
        dotted = _rel(ctx, path).removesuffix(".py").replace("/", ".")
        if classname == dotted or classname.startswith(dotted + "."):
            return _rel(ctx, path)
    return "tests/"


# --- points ---------------------------------------------------------------------------------------------


def points_total(ctx: ModuleContext) -> Iterator[Finding]:
    declared = ctx.declarations.points
    graded = [cell for cell in ctx.notebook.code_cells if cell.is_graded]
    total = sum(cell.points for cell in graded)
    if declared is None:
        yield Violation(
            ctx.where_line(1),
            f"the header does not declare the module's total points (its {len(graded)} "
            f"graded cells add up to {total:g}).",
            f"add to the jupytext header, under 'jupyter:': '{KEY}: points: {total:g}'.",
        )
        return
    if abs(declared - total) > 1e-9:
        per_cell = ", ".join(f"{c.grade_id}={c.points:g}" for c in graded)
        yield Violation(
            ctx.where_line(header_line(ctx.notebook, "points")),
            f"declares {declared:g} points but its {len(graded)} graded cells add up to {total:g} ({per_cell}).",
            "change the points of the graded cells, or the declared total if the cells are right.",
        )
