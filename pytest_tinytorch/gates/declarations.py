"""What a module declares about itself in its jupytext header (``tinytorch:``).

    # ---
    # jupyter:
    #   jupytext: ...
    #   kernelspec: ...
    #   tinytorch:
    #     requires: [1, 2]          # the earlier modules whose exports this module imports
    #     points: 100               # the total points of its graded cells
    #     gates:
    #       skip:
    #         qa.integration-tests: "why this check does not apply here"
    # ---

Notebook-level metadata survives jupytext's round trip to ``.ipynb`` and back,
so the declarations travel with the notebook.  Exports are declared by the
``#| default_exp`` directive, as the exporter reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pytest_tinytorch.errors import NotebookFormatError
from pytest_tinytorch.notebook import Notebook

KEY = "tinytorch"
KNOWN_KEYS = ("requires", "points", "gates")


@dataclass(frozen=True)
class Declarations:
    requires: tuple[int, ...] | None = None  # None: not declared
    points: float | None = None
    skip: dict[str, str] = field(default_factory=dict)  # check id -> reason (non-empty reasons only)
    problems: tuple[str, ...] = ()  # malformed declarations, as fixable sentences

    @property
    def declared(self) -> bool:
        return self.requires is not None or self.points is not None or bool(self.skip)


def read_declarations(nb: Notebook) -> Declarations:
    """The ``tinytorch:`` block of ``nb``'s header; malformed parts are listed in ``problems``."""
    try:
        block = nb.metadata().get(KEY)
    except NotebookFormatError as error:
        return Declarations(problems=(str(error),))
    if block is None:
        return Declarations()
    if not isinstance(block, dict):
        return Declarations(problems=(f"{KEY}: must be a mapping with requires/points/gates, not {block!r}",))
    problems: list[str] = [
        f"{KEY}.{key}: unknown key (known: {', '.join(KNOWN_KEYS)})" for key in block if key not in KNOWN_KEYS
    ]
    requires = _requires(block.get("requires"), problems)
    points = _points(block.get("points"), problems)
    skip = _skip(block.get("gates"), problems)
    return Declarations(requires, points, skip, tuple(problems))


def _requires(value: Any, problems: list[str]) -> tuple[int, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(n, int) and not isinstance(n, bool) for n in value):
        problems.append(f"{KEY}.requires={value!r}: write a list of module numbers, e.g. requires: [1, 2]")
        return None
    return tuple(sorted(set(value)))


def _points(value: Any, problems: list[str]) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        problems.append(
            f"{KEY}.points={value!r}: write the module's total points as a positive number, e.g. points: 100"
        )
        return None
    return float(value)


def _skip(value: Any, problems: list[str]) -> dict[str, str]:
    if value is None:
        return {}
    skip = value.get("skip") if isinstance(value, dict) else None
    if not isinstance(value, dict) or set(value) - {"skip"} or not isinstance(skip, dict):
        problems.append(f'{KEY}.gates={value!r}: write gates: skip: {{check-id: "reason"}}')
        return {}
    found: dict[str, str] = {}
    for check_id, reason in skip.items():
        if not isinstance(reason, str) or not reason.strip():
            problems.append(
                f"{KEY}.gates.skip.{check_id}: turning a check off needs a reason the report can show, "
                f'e.g. {check_id}: "no integration tests yet; tracked in issue 12"'
            )
            continue
        found[str(check_id)] = reason.strip()
    return found


def header_line(nb: Notebook, text: str) -> int:
    """The 1-based line of the header that mentions ``text`` (1 if none does or there is no file)."""
    if nb.fmt != "percent":
        return 1
    try:
        lines = nb.path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 1
    for number, line in enumerate(lines, start=1):
        if text in line:
            return number
        if number > 1 and line.rstrip() == "# ---":
            break
    return 1
