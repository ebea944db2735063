"""Design gate: the module says what it teaches, what it builds on, and what it exports."""

from __future__ import annotations

from collections.abc import Iterator

from pytest_tinytorch.errors import NotebookFormatError
from pytest_tinytorch.gates.context import ModuleContext
from pytest_tinytorch.gates.declarations import KEY, header_line
from pytest_tinytorch.gates.model import Finding, Violation
from pytest_tinytorch.gates.source import export_owner, find_heading, has_list_item, section_cells, tinytorch_imports

OBJECTIVES = r"^(?:\d+[.)]?\s*)?learning (?:objectives|goals)\b"
PREREQUISITES = r"^(?:\d+[.)]?\s*)?prerequisites\b"


def objectives(ctx: ModuleContext) -> Iterator[Finding]:
    yield from _listed_section(
        ctx,
        OBJECTIVES,
        "Learning objectives",
        "a markdown cell near the top with '## Learning objectives' followed by a numbered list of what the "
        "student will be able to do (e.g. '1. Implement matrix multiplication with useful shape errors').",
    )


def prerequisites(ctx: ModuleContext) -> Iterator[Finding]:
    yield from _listed_section(
        ctx,
        PREREQUISITES,
        "Prerequisites",
        "a markdown section '## Prerequisites' listing the earlier modules (e.g. '- Module 01 (Tensor): ...') "
        "and the Python/NumPy background it assumes.",
    )


def _listed_section(ctx: ModuleContext, pattern: str, title: str, fix: str) -> Iterator[Finding]:
    heading = find_heading(ctx.notebook, pattern)
    if heading is None:
        yield Violation(ctx.where_line(1), f"no '{title}' heading in any markdown cell.", f"add {fix}")
        return
    text, _ = section_cells(ctx.notebook, heading)
    if not has_list_item(text):
        yield Violation(
            ctx.where_text(heading.cell, heading.text),
            f"the '{heading.text}' section has no list items, so it states nothing a reader can check.",
            f"list them under the heading, one '- ' or '1. ' item each: {fix}",
        )


def exports(ctx: ModuleContext) -> Iterator[Finding]:
    nb = ctx.notebook
    try:
        target = nb.default_exp
    except NotebookFormatError as error:
        yield Violation(ctx.where_line(1), str(error), "keep one '#| default_exp' line, in the first code cell.")
        return
    exported = [cell for cell in nb.code_cells if cell.is_exported]
    if target is None:
        yield Violation(
            ctx.where_line(1),
            f"no '#| default_exp' line, so it is not declared what the module exports "
            f"({len(exported)} '#| export' cells).",
            f"add '#| default_exp core.{ctx.info.name}' as the first line of the first code cell.",
        )
        return
    declaring = next(cell for cell in nb.code_cells if "default_exp" in cell.directives)
    parts = target.split(".")
    if not all(part.isidentifier() for part in parts):
        yield Violation(
            ctx.where_cell(declaring),
            f"'#| default_exp {target}' is not a dotted Python module path.",
            f"write it like '#| default_exp core.{ctx.info.name}'.",
        )
    if not exported:
        yield Violation(
            ctx.where_cell(declaring),
            f"declares '#| default_exp {target}' but no cell is marked '#| export', so it exports nothing.",
            "mark the cells that belong in the package with '#| export' on their first line.",
        )
    elif exported[0].index < declaring.index:
        yield Violation(
            ctx.where_cell(exported[0]),
            f"this '#| export' cell comes before the '#| default_exp' line ({ctx.where_cell(declaring)}).",
            "move '#| default_exp' into the first code cell, above every '#| export' cell.",
        )
    clash = [info.slug for info in ctx.catalog if info.number != ctx.info.number and _exp(info) == target]
    if clash:
        yield Violation(
            ctx.where_cell(declaring),
            f"'#| default_exp {target}' is also declared by {', '.join(clash)}; both would write the same file.",
            "give each module its own export path.",
        )


def _exp(info) -> str | None:
    try:
        return info.default_exp
    except NotebookFormatError:
        return None


def actual_requirements(ctx: ModuleContext) -> dict[int, str]:
    """The earlier modules the code imports (number -> where first imported), from its ``tinytorch`` imports."""
    found: dict[int, str] = {}
    for ref in tinytorch_imports(ctx.notebook):
        owner = export_owner(ctx.catalog, ref.candidates)
        if owner is not None and owner.number != ctx.info.number:
            found.setdefault(owner.number, ctx.where(ref.cell, ref.line_in_cell))
    return dict(sorted(found.items()))


def requires(ctx: ModuleContext) -> Iterator[Finding]:
    declared = ctx.declarations.requires
    actual = actual_requirements(ctx)
    wanted = sorted(set(declared or []) | set(actual))
    suggestion = f"{KEY}: requires: [{', '.join(str(n) for n in wanted)}]"
    if declared is None:
        yield Violation(
            ctx.where_line(1),
            "the header does not declare which earlier modules this module needs (its code imports "
            + (f"modules {sorted(actual)})." if actual else "no earlier module)."),
            f"add to the jupytext header, under 'jupyter:': '{suggestion}'.",
        )
        return
    where = ctx.where_line(header_line(ctx.notebook, "requires"))
    numbers = {info.number: info for info in ctx.catalog}
    for number in declared:
        if number not in numbers:
            yield Violation(where, f"requires lists {number}, which is not a course module.", f"write '{suggestion}'.")
        elif number >= ctx.info.number:
            yield Violation(
                where,
                f"requires lists {numbers[number].slug}, which is not an earlier module (this is {ctx.info.slug}).",
                f"a module can only build on earlier ones; write '{suggestion}'.",
            )
        # Declared but not imported is fine: a module can need an earlier one
        # without naming it (module 06's tests train through module 05's
        # autograd, which `import tinytorch` switches on).
    for number, first in actual.items():
        if number not in declared and number in numbers:
            yield Violation(
                first,
                f"imports tinytorch.{_exp(numbers[number])} ({numbers[number].slug}) "
                f"but requires does not list {number}.",
                f"write '{suggestion}'.",
            )


def declarations(ctx: ModuleContext) -> Iterator[Finding]:
    decl = ctx.declarations
    for problem in decl.problems:
        yield Violation(ctx.where_line(header_line(ctx.notebook, KEY + ":")), problem, "correct the header.")
    if ctx.known_check_ids:
        for check_id in decl.skip:
            if check_id not in ctx.known_check_ids:
                import difflib

                close = difflib.get_close_matches(check_id, sorted(ctx.known_check_ids), n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                yield Violation(
                    ctx.where_line(header_line(ctx.notebook, check_id)),
                    f"gates.skip names {check_id!r}, which is not a gate check, so nothing is turned off.{hint}",
                    "use a check id as 'tito workflow gates' lists them.",
                )
