"""The steps of ``tito module complete``: test, export, verify.  Recording is the caller's.

1. :func:`run_tests` runs ``python -m pytest --tinytorch-module NN`` in a
   subprocess (the plugin, exactly as a student would run it) and reads the
   outcome and points of every test from its JUnit XML report: the numbers
   come from pytest's report, never from anything the student's code prints.
2. The caller exports the tested file (``export.export_module``) and checks it
   with :func:`verify_import` (a fresh interpreter in the course folder) inside
   :func:`rollback_on_failure`: if anything fails, every package file the
   export touched is put back as it was.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pytest_tinytorch import export
from pytest_tinytorch.catalog import ModuleInfo
from pytest_tinytorch.errors import ExportError, TinyTorchError
from pytest_tinytorch.fsutil import atomic_write_text
from pytest_tinytorch.notebook import read_notebook
from pytest_tinytorch.progress import STATE_DIR

# Worst outcome wins when a test reports more than once (a failing call and a failing teardown).
_RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}


class ImportCheckError(TinyTorchError, ImportError):
    """The exported package does not import, or is not this course's package."""


# --- 1. tests --------------------------------------------------------------------


@dataclass(frozen=True)
class TestOutcome:
    name: str
    outcome: str  # passed, failed, error, skipped
    points: float  # 0 for an ungraded test
    grade_id: str | None
    collected: bool = True  # False: a file pytest could not collect (``name`` is the file)

    __test__ = False  # not a pytest test class, despite the name


@dataclass
class TestRun:
    """What one pytest run of a module reported."""

    exit_code: int
    command: list[str]
    tests: list[TestOutcome] = field(default_factory=list)

    __test__ = False  # not a pytest test class, despite the name

    def count(self, outcome: str) -> int:
        return sum(1 for t in self.tests if t.outcome == outcome and t.collected)

    @property
    def uncollected(self) -> list[str]:
        """Files pytest could not collect tests from."""
        return [t.name for t in self.tests if not t.collected]

    @property
    def test_count(self) -> int:
        return sum(1 for t in self.tests if t.collected)

    @property
    def points_possible(self) -> float:
        return sum(t.points for t in self.tests)

    @property
    def points_earned(self) -> float:
        return sum(t.points for t in self.tests if t.outcome == "passed")

    @property
    def not_passed(self) -> list[TestOutcome]:
        return [t for t in self.tests if t.outcome != "passed"]

    @property
    def all_passed(self) -> bool:
        """Every test ran and passed (a skipped test has not shown anything works)."""
        return self.exit_code == 0 and bool(self.tests) and not self.not_passed


def pytest_command(info: ModuleInfo, root: Path, junit: Path) -> list[str]:
    # "-p tinytorch" loads the plugin even where PYTEST_DISABLE_PLUGIN_AUTOLOAD is set.
    return [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "tinytorch",
        "--tinytorch-module",
        info.slug,
        "--tinytorch-root",
        str(root),
        "--rootdir",
        str(root),
        f"--junitxml={junit}",
    ]


def results_path(root: Path, info: ModuleInfo) -> Path:
    """Where the last run's JUnit XML report is kept (for the student, or an instructor, to read)."""
    return root / STATE_DIR / "results" / f"{info.slug}.xml"


def run_tests(root: Path, info: ModuleInfo) -> TestRun:
    """Run the module's inline tests; pytest's own output goes straight to the terminal."""
    junit = results_path(root, info)
    junit.parent.mkdir(parents=True, exist_ok=True)
    junit.unlink(missing_ok=True)  # never read a previous run's results
    command = pytest_command(info, root, junit)
    sys.stdout.flush()
    exit_code = subprocess.run(command, cwd=root).returncode
    tests = read_junit(junit) if junit.exists() else []
    return TestRun(exit_code, command, tests)


def read_junit(path: Path) -> list[TestOutcome]:
    """Every testcase in a JUnit XML report, with the plugin's ``points`` / ``grade_id`` properties."""
    found: dict[tuple[str, str], TestOutcome] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        key = (case.get("classname", ""), case.get("name", ""))
        outcome = _outcome(case)
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        collected = bool(key[0]) or outcome != "error"  # pytest reports collection errors with no classname
        test = TestOutcome(key[1], outcome, float(props.get("points") or 0), props.get("grade_id"), collected)
        previous = found.get(key)
        if previous is None or _RANK[outcome] > _RANK[previous.outcome]:
            found[key] = test
    return list(found.values())


def _outcome(case: ET.Element) -> str:
    tags = {child.tag for child in case}
    for tag in ("error", "failure", "skipped"):
        if tag in tags:
            return {"failure": "failed"}.get(tag, tag)
    return "passed"


# --- 2. export + verification ----------------------------------------------------------


@dataclass(frozen=True)
class Exported:
    target: Path
    imported_from: Path  # where the fresh interpreter found the exported module
    package_from: Path  # and the tinytorch package itself


class _Snapshot:
    """The package files an export may touch, as they were, so a failure can put them back."""

    def __init__(self, root: Path, target: Path) -> None:
        pkg = export.package_dir(root)
        paths = {target, *pkg.rglob("__init__.py")} if pkg.is_dir() else {target}
        self.files = {p: (p.read_text(encoding="utf-8") if p.exists() else None) for p in paths}
        self.dirs = {d for p in paths for d in _parents(p, root) if d.is_dir()}
        self.root = root

    def restore(self) -> None:
        pkg = export.package_dir(self.root)
        for path in set(pkg.rglob("__init__.py") if pkg.is_dir() else ()) - set(self.files):
            self.files[path] = None  # created by the failed export
        for path, text in self.files.items():
            if text is None:
                if path.exists():
                    os.chmod(path, 0o644)
                    path.unlink()
            elif not path.exists() or path.read_text(encoding="utf-8") != text:
                atomic_write_text(path, text, mode=export.READ_ONLY)
        self._remove_new_dirs()

    def _remove_new_dirs(self) -> None:
        for path in self.files:
            for folder in _parents(path, self.root):
                if folder not in self.dirs and folder.is_dir():
                    with contextlib.suppress(OSError):  # not empty: something else lives there
                        folder.rmdir()


def _parents(path: Path, root: Path) -> list[Path]:
    """The folders between ``root`` (exclusive) and ``path`` (exclusive), deepest first."""
    found = []
    for parent in path.parents:
        if parent == root or root not in parent.parents:
            break
        found.append(parent)
    return found


def export_target(info: ModuleInfo, source: Path, root: Path) -> Path:
    """Where exporting ``source`` writes; refuses a copy whose ``#| default_exp`` was changed."""
    expected = info.default_exp
    if expected is None:
        raise ExportError(f"{info.source} has no '#| default_exp' line, so module {info.slug} exports nothing.")
    found = read_notebook(source).default_exp
    if found != expected:
        raise ExportError(
            f"{source}: '#| default_exp {found}' but module {info.slug} exports to {expected!r}. "
            f"Put the line '#| default_exp {expected}' back in the first code cell."
        )
    return export.target_path(root, expected)


@contextlib.contextmanager
def rollback_on_failure(root: Path, target: Path) -> Iterator[None]:
    """Put the package files an export touches back as they were if the block raises."""
    snapshot = _Snapshot(root, target)
    try:
        yield
    except BaseException:
        snapshot.restore()
        raise


# Where the package comes from is printed before the module is imported, so a
# failing import can still be blamed on the right package.
_IMPORT_CHECK = """\
import importlib, sys
import tinytorch
print(tinytorch.__file__, flush=True)
print(importlib.import_module(sys.argv[1]).__file__)
"""


def verify_import(root: Path, module_name: str, target: Path) -> Exported:
    """Import ``module_name`` in a fresh interpreter run in the course folder, as the student would."""
    done = subprocess.run([sys.executable, "-c", _IMPORT_CHECK, module_name], cwd=root, capture_output=True, text=True)
    printed = done.stdout.strip().splitlines()
    own = export.package_dir(root).resolve()
    if printed and own not in Path(printed[0]).resolve().parents:
        raise ImportCheckError(
            f"'import {export.PACKAGE}' in {root} loaded {Path(printed[0]).resolve()}, not this course's "
            f"package in {own}. Another TinyTorch is installed in this Python (for example an editable "
            "install of the course authors' repository, 'pip install -e'), and it hides yours. Use a "
            f"separate virtual environment for this course, or 'pip uninstall {export.PACKAGE}' the other "
            "one; then complete the module again."
        )
    if done.returncode != 0 or len(printed) < 2:
        raise ImportCheckError(
            f"the exported package does not import: 'import {module_name}' in {root} failed with\n"
            f"{_last_lines(done.stderr)}\n"
            "Code in '#| export' cells may only use names that other exported cells define "
            "(a helper or import in a cell without '#| export' is not in the package). "
            "Export what it needs, then complete the module again."
        )
    return Exported(target, Path(printed[1]).resolve(), Path(printed[0]).resolve())


def _last_lines(text: str, count: int = 12) -> str:
    lines = text.strip().splitlines()[-count:]
    return "\n".join(f"    {line}" for line in lines) or "    (no output)"
