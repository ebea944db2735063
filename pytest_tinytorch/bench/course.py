"""Which measurements belong to which course module, and which exports a run still lacks.

Derived from the module catalog, never from a list of module numbers: a
case names the exported modules it imports (``core.autograd``), the
catalog says which course module exports each one (``#| default_exp``),
and a case belongs to the *last* of those modules in course order, the
one that completes it. So ``add`` belongs to 01, ``softmax`` to 02,
``linear`` to 03, the loss to 04, and backward and the training steps to
05. A case that needs a class (``Conv2d``) belongs to the module whose
exported file defines it.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_tinytorch import export
from pytest_tinytorch.bench.base import Case
from pytest_tinytorch.catalog import Catalog, ModuleInfo
from pytest_tinytorch.errors import NotebookFormatError, TinyTorchError


class BenchmarkSetupError(TinyTorchError, RuntimeError):
    """The course's package cannot be benchmarked yet (missing exports, wrong package)."""


def _export_target(info: ModuleInfo) -> str | None:
    try:
        return info.default_exp
    except NotebookFormatError:
        return None


def exported_path(root: Path, info: ModuleInfo) -> Path | None:
    target = _export_target(info)
    return export.target_path(root, target) if target else None


def is_exported(root: Path, info: ModuleInfo) -> bool:
    path = exported_path(root, info)
    return path is not None and path.is_file()


def defining_module(catalog: Catalog, class_name: str) -> ModuleInfo | None:
    """The module whose exported file defines ``class_name`` (read statically, not imported)."""
    for info in catalog:
        path = exported_path(catalog.root, info)
        if path is not None and path.is_file() and class_name in _classes(path):
            return info
    return None


def _classes(path: Path) -> set[str]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return set()
    return {node.name for node in tree.body if isinstance(node, ast.ClassDef)}


def needed_modules(case: Case, catalog: Catalog) -> list[ModuleInfo] | None:
    """The course modules ``case`` imports, in course order; None if one has no module."""
    found = [catalog.by_export(target) for target in case.needs]
    if any(info is None for info in found):
        return None
    if case.needs_class:
        owner = defining_module(catalog, case.needs_class)
        if owner is not None:
            found.append(owner)
    return sorted({info.number: info for info in found if info is not None}.values(), key=lambda i: i.number)


def owning_module(case: Case, catalog: Catalog) -> ModuleInfo | None:
    """The module that completes ``case`` (the last one it needs), or None if it has none here."""
    modules = needed_modules(case, catalog)
    if not modules or (case.needs_class and defining_module(catalog, case.needs_class) is None):
        return None
    return modules[-1]


def cases_for(module: ModuleInfo, cases: Sequence[Case], catalog: Catalog) -> list[Case]:
    owner_numbers = {case.id: getattr(owning_module(case, catalog), "number", None) for case in cases}
    return [case for case in cases if owner_numbers[case.id] == module.number]


@dataclass(frozen=True)
class Plan:
    """What a ``tito benchmark`` run will measure, and what it cannot measure yet."""

    runnable: list[Case]
    blocked: dict[str, list[ModuleInfo]]  # case id -> modules it needs that are not exported

    def missing(self) -> list[ModuleInfo]:
        found = {info.number: info for infos in self.blocked.values() for info in infos}
        return [found[n] for n in sorted(found)]


def plan(cases: Sequence[Case], catalog: Catalog) -> Plan:
    runnable, blocked = [], {}
    for case in cases:
        modules = needed_modules(case, catalog)
        if modules is None:
            continue  # this course has no module exporting what the case imports
        missing = [info for info in modules if not is_exported(catalog.root, info)]
        if missing:
            blocked[case.id] = missing
        else:
            runnable.append(case)
    return Plan(runnable, blocked)


def how_to_export(root: Path, modules: Sequence[ModuleInfo]) -> str:
    """One line per module: what is missing and the command that completes it."""
    lines = []
    for info in modules:
        path = exported_path(root, info)
        where = path.relative_to(root) if path is not None else f"the export of {info.slug}"
        source = info.file_to_test()
        shown = source.relative_to(root) if source.is_relative_to(root) else source
        lines.append(
            f"module {info.slug} is not exported yet ({where} does not exist): finish {shown} "
            f"and run 'tito module complete {info.number:02d}' (course authors: "
            f"'tito source export {info.number:02d}')"
        )
    return "\n".join(lines)


def check_package_location(package_file: str | None, root: Path) -> None:
    """Raise if the imported ``tinytorch`` is not ``<root>/tinytorch``."""
    expected = (root / export.PACKAGE).resolve()
    actual = Path(package_file).resolve().parent if package_file else None
    if actual != expected:
        raise BenchmarkSetupError(
            f"imported tinytorch from {actual}, not this course's package {expected}; "
            "tito benchmark measures the package exported in the course folder. Export it "
            "('tito module complete 01'), or point --root at the course folder."
        )
