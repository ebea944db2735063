"""The pytest entry point (``pytest11``): options, settings, and which files to collect.

Loaded on every pytest run anywhere this package is installed, so it imports
nothing beyond pytest and the standard library; parsing, execution and
reporting live in modules imported only when a course module is collected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

DEFAULT_TIMEOUT = 60.0
EXECUTORS = ("inprocess", "kernel")


@dataclass(frozen=True)
class Settings:
    """Per-run options, resolved once from the command line and the ini file."""

    root: Path
    executor: str
    timeout: float
    kernel_name: str
    selected: tuple[Any, ...]  # ModuleInfo of each --tinytorch-module


SETTINGS = pytest.StashKey[Settings]()
CATALOGS = pytest.StashKey[dict[Path, Any]]()


def catalog_for(config: pytest.Config, root: Path) -> Any:
    """The module catalog of the course at ``root``, discovered once per run."""
    cache = config.stash.setdefault(CATALOGS, {})
    if root not in cache:
        from pytest_tinytorch.catalog import Catalog

        cache[root] = Catalog.discover(root)
    return cache[root]


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_tinytorch import hookspec

    pluginmanager.add_hookspecs(hookspec)


def seconds_option(option: str, *, zero_means_none: bool) -> Callable[[str], float]:
    """An argparse ``type=`` for a number of seconds that raises pytest.UsageError on bad input."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise pytest.UsageError(f"{option}={text!r}: expected a number of seconds, e.g. 30") from None
        if value < 0 or (value == 0 and not zero_means_none):
            limit = "0 (no limit) or more" if zero_means_none else "more than 0"
            raise pytest.UsageError(f"{option}={text!r}: must be {limit}")
        return value

    return parse


_seconds = seconds_option("--tinytorch-timeout", zero_means_none=True)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tinytorch", "TinyTorch course modules")
    group.addoption(
        "--tinytorch-module",
        action="append",
        dest="tinytorch_modules",
        default=[],
        metavar="NN",
        help="run the inline tests of this course module: number (1, 01), name (tensor) or folder "
        "(01_tensor). Repeatable, or comma-separated.",
    )
    group.addoption(
        "--tinytorch-executor",
        dest="tinytorch_executor",
        choices=EXECUTORS,
        default=None,
        help="where module cells run: 'inprocess' (fast, default) or 'kernel' (a real Jupyter "
        "kernel through nbclient, for notebooks that need IPython). ini: tinytorch_executor",
    )
    group.addoption(
        "--tinytorch-timeout",
        dest="tinytorch_timeout",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help=f"fail a test (or a module's cells) that runs longer than this; 0 = no limit "
        f"(default {DEFAULT_TIMEOUT:g}). ini: tinytorch_timeout",
    )
    group.addoption(
        "--tinytorch-root",
        dest="tinytorch_root",
        default=None,
        metavar="PATH",
        help="the course folder holding modules/ (default: the pytest rootdir). ini: tinytorch_root",
    )
    parser.addini("tinytorch_executor", "default executor: inprocess or kernel", default="inprocess")
    parser.addini("tinytorch_timeout", "per-test time limit in seconds (0 = none)", default=str(DEFAULT_TIMEOUT))
    parser.addini("tinytorch_root", "the course folder holding modules/", default="")
    parser.addini("tinytorch_kernel", "Jupyter kernel name for the kernel executor", default="python3")


_MARKERS = (
    "tinytorch(module, name): an inline test of a TinyTorch course module; select with -m 'tinytorch(module=5)'",
    "tinytorch_graded(grade_id, points): an inline test in an nbgrader grade cell",
    "tinytorch_hidden: an inline test inside a BEGIN/END HIDDEN TESTS block",
)


def pytest_configure(config: pytest.Config) -> None:
    for line in _MARKERS:
        config.addinivalue_line("markers", line)
    config.stash[SETTINGS] = _resolve_settings(config)
    selected = config.stash[SETTINGS].selected
    if selected and config.args_source != pytest.Config.ArgsSource.ARGS:
        # No paths on the command line: the selected modules are the paths.
        config.args[:] = [str(_module_path(config, info)) for info in selected]


def _resolve_settings(config: pytest.Config) -> Settings:
    root_text = config.getoption("tinytorch_root") or config.getini("tinytorch_root")
    root = (config.rootpath / root_text).resolve() if root_text else config.rootpath
    executor = config.getoption("tinytorch_executor") or config.getini("tinytorch_executor")
    if executor not in EXECUTORS:
        raise pytest.UsageError(f"tinytorch_executor={executor!r}: choose one of {', '.join(EXECUTORS)}")
    timeout = config.getoption("tinytorch_timeout")
    if timeout is None:
        timeout = _seconds(config.getini("tinytorch_timeout"))
    specs = [s for option in config.getoption("tinytorch_modules") for s in option.split(",") if s.strip()]
    return Settings(root, executor, timeout, config.getini("tinytorch_kernel"), _select(root, specs))


def _select(root: Path, specs: list[str]) -> tuple[Any, ...]:
    if not specs:
        return ()
    from pytest_tinytorch.catalog import Catalog
    from pytest_tinytorch.errors import UnknownModuleError

    catalog = Catalog.discover(root)
    try:
        return tuple(dict.fromkeys(catalog.resolve(spec) for spec in specs))
    except UnknownModuleError as error:
        raise pytest.UsageError(str(error)) from None


def _module_path(config: pytest.Config, info: Any) -> Path:
    chosen = config.hook.pytest_tinytorch_module_path(config=config, module=info)
    return Path(chosen) if chosen else info.file_to_test()


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = config.stash[SETTINGS]
    lines = [f"tinytorch: executor={settings.executor}, timeout={settings.timeout:g}s"]
    for info in settings.selected:
        path = _module_path(config, info)
        whose = "student working copy" if path == info.working_copy else "module source"
        lines.append(f"tinytorch: module {info.slug} from {path} ({whose})")
    return lines


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Any:
    collected = yield
    if not _claims(file_path, parent.session):
        return collected
    from pytest_tinytorch.items import NotebookModule

    # pytest's python plugin would import a module file named on the command
    # line as an ordinary test module; the notebook collector replaces it.
    collected = [node for node in collected if not isinstance(node, pytest.Module)]
    return [*collected, NotebookModule.from_parent(parent, path=file_path)]


def _claims(path: Path, session: pytest.Session) -> bool:
    """Is this a course module (``NN_name/name.py|ipynb``) or a notebook named on the command line?"""
    if path.suffix not in (".py", ".ipynb"):
        return False
    from pytest_tinytorch.catalog import is_module_file

    if not (is_module_file(path) or session.isinitpath(path)):
        return False
    return path.suffix == ".ipynb" or _looks_like_percent(path)


def _looks_like_percent(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return head.lstrip().startswith("# ---") or "\n# %%" in head or head.startswith("# %%")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    selected = config.stash[SETTINGS].selected
    if not selected:
        return
    wanted = {info.number for info in selected}
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        marker = item.get_closest_marker("tinytorch")
        other_module = marker is not None and marker.kwargs.get("module") not in wanted
        (drop if other_module else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(trylast=True)
def pytest_tinytorch_make_executor(config: pytest.Config, notebook: Any, module: Any) -> Any:
    from pytest_tinytorch.catalog import course_root_of

    settings = config.stash[SETTINGS]
    root = course_root_of(notebook.path) or settings.root
    if settings.executor == "kernel":
        from pytest_tinytorch.kernel import KernelExecutor

        return KernelExecutor(notebook, timeout=settings.timeout, kernel_name=settings.kernel_name, course_root=root)
    from pytest_tinytorch.execute import InProcessExecutor

    return InProcessExecutor(notebook, timeout=settings.timeout, config=config, course_root=root)
