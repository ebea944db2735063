"""The milestone catalog: which historical milestones exist and which modules each needs.

Derived from the scripts themselves: ``milestones/NN_name.py`` declares a
top-level ``MILESTONE = {...}`` literal, read here without running the script::

    MILESTONE = {
        "year": 1957,
        "title": "Rosenblatt's perceptron",
        "requires": [1, 2, 3, 4, 5, 6],       # module numbers
        "target": "100% accuracy on a linearly separable set",
    }
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pytest_tinytorch.errors import TinyTorchError, UnknownModuleError

MILESTONES_DIR = "milestones"
_SCRIPT = re.compile(r"^(\d{2})_([a-z][a-z0-9_]*)\.py$")
_REQUIRED_KEYS = {"year", "title", "requires", "target"}


class MilestoneFormatError(TinyTorchError, ValueError):
    """A milestone script whose MILESTONE declaration is missing or malformed."""


@dataclass(frozen=True)
class Milestone:
    number: int
    name: str
    script: Path
    year: int
    title: str
    requires: tuple[int, ...]
    target: str

    @property
    def slug(self) -> str:
        return f"{self.number:02d}_{self.name}"


def read_declaration(script: Path) -> dict:
    """The ``MILESTONE`` literal of a script, without executing it."""
    tree = ast.parse(script.read_text(encoding="utf-8"), filename=str(script))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "MILESTONE" for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError as error:
                raise MilestoneFormatError(
                    f"{script}:{node.lineno}: MILESTONE must be a literal dict ({error})"
                ) from None
            missing = _REQUIRED_KEYS - set(value) if isinstance(value, dict) else _REQUIRED_KEYS
            if missing:
                raise MilestoneFormatError(f"{script}:{node.lineno}: MILESTONE lacks {sorted(missing)}")
            return value
    raise MilestoneFormatError(f"{script}: no top-level MILESTONE = {{...}} declaration")


def discover(root: str | Path) -> list[Milestone]:
    """Every milestone under ``<root>/milestones``, in number order."""
    folder = Path(root) / MILESTONES_DIR
    found = []
    for script in sorted(folder.glob("[0-9][0-9]_*.py")) if folder.is_dir() else []:
        match = _SCRIPT.match(script.name)
        if not match:
            continue
        spec = read_declaration(script)
        found.append(
            Milestone(
                int(match.group(1)),
                match.group(2),
                script,
                int(spec["year"]),
                str(spec["title"]),
                tuple(int(n) for n in spec["requires"]),
                str(spec["target"]),
            )
        )
    return found


def resolve(milestones: Iterable[Milestone], spec: str | int) -> Milestone:
    """A milestone by number (``1``, ``"01"``), name (``perceptron``) or slug."""
    items = list(milestones)
    text = str(spec).strip()
    for item in items:
        if text in (item.name, item.slug) or (text.isdigit() and int(text) == item.number):
            return item
    valid = ", ".join(item.slug for item in items) or "none found"
    raise UnknownModuleError(f"milestone={text!r} is not a milestone. Valid milestones: {valid}.")


def unlocked_by(milestones: Iterable[Milestone], completed: set[int], module: int) -> list[Milestone]:
    """Milestones that completing ``module`` makes runnable (all their modules now complete)."""
    done = completed | {module}
    return [m for m in milestones if module in m.requires and set(m.requires) <= done]


def missing_modules(milestone: Milestone, completed: set[int]) -> list[int]:
    return [number for number in milestone.requires if number not in completed]
