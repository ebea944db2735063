"""The module catalog: every fact about which course modules exist comes from here.

It is derived from the ``modules/`` folder itself (``modules/NN_name/name.py``),
never from a hard-coded list, so adding a module folder is all it takes.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from pytest_tinytorch.errors import UnknownModuleError

MODULES_DIR = "modules"
WORKSPACE_DIR = "workspace"  # students' working copies: workspace/NN_name/name.ipynb
_FOLDER = re.compile(r"^(\d{2})_([a-z][a-z0-9_]*)$")


@dataclass(frozen=True)
class ModuleInfo:
    """One course module: ``modules/01_tensor/tensor.py`` is number 1, name ``tensor``."""

    number: int
    name: str
    folder: Path

    @property
    def slug(self) -> str:
        """The folder name, e.g. ``01_tensor``."""
        return f"{self.number:02d}_{self.name}"

    @property
    def source(self) -> Path:
        """The module's source of truth, a jupytext percent file."""
        return self.folder / f"{self.name}.py"

    @property
    def working_copy(self) -> Path:
        """Where a student's copy of this module lives (it may not exist yet)."""
        return self.folder.parent.parent / WORKSPACE_DIR / self.slug / f"{self.name}.ipynb"

    def file_to_test(self) -> Path:
        """The student's working copy if there is one, else the module's source."""
        copy = self.working_copy
        return copy if copy.exists() else self.source

    @cached_property
    def default_exp(self) -> str | None:
        """Where the module exports to (``core.tensor``), read from its source."""
        from pytest_tinytorch.notebook import read_notebook

        return read_notebook(self.source).default_exp

    def __str__(self) -> str:
        return self.slug


def parse_folder_name(name: str) -> tuple[int, str] | None:
    """``"05_autograd"`` -> ``(5, "autograd")``; anything else -> None."""
    match = _FOLDER.match(name)
    return (int(match.group(1)), match.group(2)) if match else None


def is_module_file(path: Path) -> bool:
    """True for ``NN_name/name.py`` and ``NN_name/name.ipynb`` (the course layout)."""
    parsed = parse_folder_name(path.parent.name)
    return parsed is not None and path.stem == parsed[1] and path.suffix in (".py", ".ipynb")


class Catalog:
    """The ordered list of modules found under ``<root>/modules``."""

    def __init__(self, root: Path, modules: tuple[ModuleInfo, ...]) -> None:
        self.root = root
        self.modules = modules

    @classmethod
    def discover(cls, root: str | Path, modules_dir: str = MODULES_DIR) -> Catalog:
        root = Path(root).resolve()
        base = root / modules_dir
        found = []
        if base.is_dir():
            for folder in base.iterdir():
                parsed = parse_folder_name(folder.name)
                if parsed and (folder / f"{parsed[1]}.py").is_file():
                    found.append(ModuleInfo(parsed[0], parsed[1], folder))
        found.sort(key=lambda info: info.number)
        return cls(root, tuple(found))

    def __iter__(self):
        return iter(self.modules)

    def __len__(self) -> int:
        return len(self.modules)

    def resolve(self, spec: str | int) -> ModuleInfo:
        """Find a module by number (``5``, ``"05"``), name or folder name.

        Raises :class:`UnknownModuleError` listing the valid choices and the
        closest match when nothing fits.
        """
        text = str(spec).strip()
        for info in self.modules:
            if text in (info.name, info.slug) or (text.isdigit() and int(text) == info.number):
                return info
        raise UnknownModuleError(self._unknown_message(text))

    def by_export(self, target: str) -> ModuleInfo | None:
        """The module whose ``#| default_exp`` is ``target`` (e.g. ``core.tensor``)."""
        return next((info for info in self.modules if info.default_exp == target), None)

    def _unknown_message(self, text: str) -> str:
        if not self.modules:
            return (
                f"module={text!r}: no course modules found under {self.root / MODULES_DIR}. "
                "Run from the course folder, or set --tinytorch-root."
            )
        choices = [info.slug for info in self.modules]
        names = [info.name for info in self.modules] + choices
        close = difflib.get_close_matches(text, names, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        return (
            f"module={text!r} is not a course module.{hint} "
            f"Valid modules (by number, name or folder): {', '.join(choices)}."
        )


def course_root_of(path: str | Path) -> Path | None:
    """The course folder of a module file in ``modules/NN_name/`` or ``workspace/NN_name/``."""
    folder = Path(path).resolve().parent
    if parse_folder_name(folder.name) and folder.parent.name in (MODULES_DIR, WORKSPACE_DIR):
        return folder.parent.parent
    return None


def find_course_root(start: str | Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds a ``modules/`` folder."""
    here = Path(start).resolve()
    for candidate in (here, *here.parents):
        if (candidate / MODULES_DIR).is_dir():
            return candidate
    return None
