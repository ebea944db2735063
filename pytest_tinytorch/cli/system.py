"""``tito system``: is this machine ready for the course (``health``), and what is it (``info``)?"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pytest_tinytorch import export
from pytest_tinytorch.cli.context import course_root, say
from pytest_tinytorch.errors import TinyTorchError
from pytest_tinytorch.progress import STATE_DIR, ProgressStore
from pytest_tinytorch.workspace import relative

MIN_PYTHON = (3, 10)
# (distribution, why the course needs it); optional ones only warn.
REQUIRED = (
    ("numpy", "the framework"),
    ("pytest", "running tests"),
    ("nbformat", "notebooks"),
    ("jupytext", "reading modules"),
    ("nbgrader", "student versions"),
    ("ipykernel", "the kernel executor"),
)
OPTIONAL = (("jupyterlab", "'tito module start' opens your work in it"), ("matplotlib", "plots in modules"))


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True

    @property
    def mark(self) -> str:
        return "ok  " if self.ok else ("FAIL" if self.required else "warn")


def add_parser(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser(
        "system",
        help="check this machine's setup for the course",
        description="Check the environment (health) or show what it is (info).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    health = commands.add_parser(
        "health",
        help="check Python, packages, the course and write access; suggest fixes",
        description="Check everything the course needs; exit 1 if something required is missing.",
    )
    health.set_defaults(handler=run_health)
    info = commands.add_parser(
        "info",
        help="versions and paths of this setup",
        description="Show Python, package versions and the course's paths.",
    )
    info.set_defaults(handler=run_info)


# --- health ------------------------------------------------------------------------


def run_health(args: argparse.Namespace) -> int:
    checks = [
        _python_check(),
        *(_package_check(n, why, True) for n, why in REQUIRED),
        *(_package_check(n, why, False) for n, why in OPTIONAL),
        _plugin_check(),
    ]
    try:
        root = course_root(args.root)
    except TinyTorchError as error:
        checks.append(Check("course folder", False, str(error), "cd into the course folder, or pass --root PATH"))
    else:
        checks += [*_write_checks(root), _progress_check(root), _package_import_check(root)]
    for check in checks:
        say(f"[{check.mark}] {check.name}: {check.detail}")
        if not check.ok and check.fix:
            say(f"       fix: {check.fix}")
    failed = [c for c in checks if c.required and not c.ok]
    warned = [c for c in checks if not c.required and not c.ok]
    say(
        f"{len(checks) - len(failed) - len(warned)} of {len(checks)} checks ok"
        + (f", {len(warned)} warning(s)" if warned else "")
        + (f", {len(failed)} failed" if failed else "")
    )
    return 1 if failed else 0


def _python_check() -> Check:
    ok = sys.version_info >= MIN_PYTHON
    need = ".".join(map(str, MIN_PYTHON))
    return Check(
        "python",
        ok,
        f"{platform.python_version()} at {sys.executable}",
        f"install Python {need} or newer and recreate the virtual environment",
    )


def _package_check(name: str, why: str, required: bool) -> Check:
    try:
        version = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return Check(
            name, False, f"not installed (needed for {why})", f"{sys.executable} -m pip install {name}", required
        )
    return Check(name, True, version, required=required)


def _plugin_check() -> Check:
    points = importlib.metadata.entry_points(group="pytest11")
    found = [ep.value for ep in points if ep.name == "tinytorch"]
    return Check(
        "pytest plugin",
        bool(found),
        f"tinytorch -> {found[0]}" if found else "not registered with pytest",
        f"reinstall the course: {sys.executable} -m pip install -e .",
    )


def _write_checks(root: Path) -> list[Check]:
    checks = []
    for folder in (root, root / "workspace", root / STATE_DIR, root / export.PACKAGE):
        existing = next((p for p in (folder, *folder.parents) if p.exists()), folder)
        try:
            with tempfile.TemporaryFile(dir=existing):
                pass
            checks.append(
                Check(
                    f"write {relative(folder, root) if folder != root else 'course folder'}",
                    True,
                    "writable" + ("" if existing == folder else " (will be created)"),
                )
            )
        except OSError as error:
            checks.append(
                Check(
                    f"write {relative(folder, root)}",
                    False,
                    f"{existing}: {error.strerror}",
                    f"make {existing} writable for you (e.g. chmod u+w {existing})",
                )
            )
    return checks


def _progress_check(root: Path) -> Check:
    store = ProgressStore(root)
    try:
        progress = store.load()
    except TinyTorchError as error:
        return Check("progress store", False, str(error), "tito module status --repair")
    done = sum(1 for r in progress.modules.values() if r.completed)
    where = relative(store.path, root)
    return Check(
        "progress store",
        True,
        f"{where}: {done} module(s) completed"
        if store.path.exists()
        else f"{where} not created yet (your first 'tito module start' creates it)",
    )


def _package_import_check(root: Path) -> Check:
    code = "import tinytorch; print(tinytorch.__file__)"
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return Check(
            "tinytorch package",
            False,
            f"'import tinytorch' fails in {root}: {last}",
            "tito module start 01 creates the package; 'tito module complete NN' fills it",
        )
    found = Path(done.stdout.strip()).resolve()
    own = (root / export.PACKAGE).resolve()
    if own not in found.parents:
        return Check(
            "tinytorch package",
            False,
            f"'import tinytorch' in {root} loads {found}, not {own}",
            "another TinyTorch install hides this course's package: use a separate virtual "
            "environment, or create the course's own with 'tito module start 01'",
        )
    return Check("tinytorch package", True, f"imports from {relative(found.parent, root)}/")


# --- info --------------------------------------------------------------------------


def run_info(args: argparse.Namespace) -> int:
    say(
        f"python:      {platform.python_version()} ({sys.executable})",
        f"platform:    {platform.platform()}",
        f"virtualenv:  {sys.prefix if sys.prefix != sys.base_prefix else 'none (system Python)'}",
    )
    for name, _ in (*REQUIRED, *OPTIONAL):
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = "not installed"
        say(f"{name + ':':<12} {version}")
    try:
        root = course_root(args.root)
    except TinyTorchError as error:
        say(f"course:      not found ({error})")
        return 0
    from pytest_tinytorch.catalog import Catalog

    catalog = Catalog.discover(root)
    say(
        f"course:      {root} ({len(catalog)} modules)",
        f"workspace:   {root / 'workspace'}",
        f"progress:    {ProgressStore(root).path}",
        f"cpus:        {os.cpu_count()}",
    )
    return 0
