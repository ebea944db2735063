"""What a gate check is, and what it reports: plain data, no pytest.

A :class:`Check` is a named function from a :class:`~pytest_tinytorch.gates.context.ModuleContext`
to the :class:`Violation` objects it finds (and, optionally, :class:`Note` objects:
facts worth reporting that block nothing, such as links that could not be
fetched).  The pytest plugin turns each check into one item; the checks
themselves run and test without pytest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_tinytorch.gates.context import ModuleContext

# The course's five gates, in the order a module passes them.
from pytest_tinytorch.gates.names import GATES  # noqa: F401  (re-exported)

DOCS = "docs/authoring-modules.md"


@dataclass(frozen=True)
class Violation:
    """One thing wrong: where it is, what is wrong (with numbers), and how to fix it."""

    where: str  # "modules/01_tensor/tensor.py:335" or "... cell 7"
    what: str
    fix: str

    def line(self) -> str:
        return f"{self.where}: {self.what} Fix: {self.fix}"


@dataclass(frozen=True)
class Note:
    """A fact the report shows that blocks nothing (e.g. an external link that was not fetched)."""

    where: str
    text: str

    def line(self) -> str:
        return f"{self.where}: {self.text}"


Finding = Violation | Note
CheckFunction = Callable[["ModuleContext"], Iterable[Finding]]


@dataclass(frozen=True)
class Check:
    """One gate check: ``id`` is ``<gate>.<name>`` (e.g. ``qa.stub-tests-fail``)."""

    id: str
    gate: str
    summary: str  # one line: what it verifies
    run: CheckFunction = field(repr=False)
    docs: str = DOCS  # where to read more

    def __post_init__(self) -> None:
        if self.gate not in GATES:
            raise ValueError(f"Check(id={self.id!r}, gate={self.gate!r}): gate must be one of {', '.join(GATES)}")
        if not self.id or any(ch.isspace() for ch in self.id) or "::" in self.id:
            raise ValueError(f"Check(id={self.id!r}): ids are one word such as 'qa.my-check' (no spaces, no '::')")


@dataclass
class Outcome:
    """What running one check on one module found."""

    check: Check
    violations: list[Violation] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.violations


def run_check(check: Check, context: ModuleContext) -> Outcome:
    outcome = Outcome(check)
    for finding in check.run(context) or ():
        if isinstance(finding, Violation):
            outcome.violations.append(finding)
        elif isinstance(finding, Note):
            outcome.notes.append(finding)
        else:
            raise TypeError(
                f"check {check.id!r} produced {finding!r}; a check yields Violation(where, what, fix) "
                "or Note(where, text) objects from pytest_tinytorch.gates"
            )
    return outcome


class GateCheckFailed(AssertionError):
    """A gate check found violations; the message is one line per violation."""

    def __init__(self, outcome: Outcome, module: str) -> None:
        self.outcome = outcome
        super().__init__(format_failure(outcome, module))


def format_failure(outcome: Outcome, module: str) -> str:
    check = outcome.check
    count = len(outcome.violations)
    lines = [
        f"{module}: gate check {check.id} failed ({check.gate} gate: {check.summary}); "
        f"{count} violation{'s' if count != 1 else ''}:"
    ]
    lines += [f"  {violation.line()}" for violation in outcome.violations]
    lines.append(
        f"Read more: {check.docs}. If this check does not apply to {module}, turn it off in the module's "
        f'header with a reason: tinytorch: gates: skip: {{{check.id}: "why"}}.'
    )
    return "\n".join(lines)
