"""Run gate checks through the plugin in a subprocess and read what they found from its JUnit report.

This is how ``tito workflow`` runs gates: ``python -m pytest -p tinytorch -p tinytorch-gates
--tinytorch-gates=GATE --tinytorch-module NN``, exactly the run an author can type, with the
outcome of every check taken from pytest's report (never from its printed output).
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pytest_tinytorch.gates.context import clean_env, read_cases


@dataclass(frozen=True)
class CheckResult:
    module: str  # slug
    gate: str
    check: str
    outcome: str  # passed, failed, error, skipped
    message: str  # the violations (failed), the error, or the reason it was turned off (skipped)


@dataclass
class GateRun:
    command: list[str]
    exit_code: int
    output: str  # empty when the output went to the terminal
    results: list[CheckResult] = field(default_factory=list)

    def for_module(self, slug: str) -> list[CheckResult]:
        return [r for r in self.results if r.module == slug]

    @property
    def ran(self) -> bool:
        """pytest ran the checks (some may have failed); not a usage or internal error."""
        return self.exit_code in (0, 1) and bool(self.results)


def gate_command(root: Path, slugs: list[str], gates: list[str], junit: Path) -> list[str]:
    modules = [arg for slug in slugs for arg in ("--tinytorch-module", slug)]
    return [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "tinytorch",
        "-p",
        "tinytorch-gates",
        f"--tinytorch-gates={','.join(gates)}",
        *modules,
        "--tinytorch-root",
        str(root),
        "--rootdir",
        str(root),
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        f"--junitxml={junit}",
    ]


def run_gates(root: Path, slugs: list[str], gates: list[str], *, stream: bool = False) -> GateRun:
    """Run ``gates`` on the modules ``slugs``; with ``stream`` pytest's output goes to the terminal."""
    with tempfile.TemporaryDirectory(prefix="tinytorch-gates-") as tmp:
        junit = Path(tmp) / "gates.xml"
        command = gate_command(root, slugs, gates, junit)
        sys.stdout.flush()
        if stream:
            exit_code, output = subprocess.run(command, cwd=root, env=clean_env(autoload=True)).returncode, ""
        else:
            done = subprocess.run(command, cwd=root, env=clean_env(autoload=True), capture_output=True, text=True)
            exit_code, output = done.returncode, done.stdout + done.stderr
        run = GateRun(command, exit_code, output)
        if junit.exists():
            run.results = _results(junit)
    return run


def _results(junit: Path) -> list[CheckResult]:
    import xml.etree.ElementTree as ET

    props: dict[tuple[str, str], dict[str, str]] = {}
    for element in ET.parse(junit).getroot().iter("testcase"):
        values = {p.get("name", ""): p.get("value", "") for p in element.iter("property")}
        props[(element.get("classname", ""), element.get("name", ""))] = values
    results = []
    for case in read_cases(junit):
        values = props.get((case.classname, case.name), {})
        if "check" not in values:
            # A module that could not be collected: pytest reports it without properties.
            results.append(CheckResult(case.classname or case.name, "", case.name, case.outcome, case.message))
            continue
        results.append(CheckResult(values["module"], values["gate"], values["check"], case.outcome, case.message))
    return results


# --- listing the checks (collection only, in this process: nothing runs) ---------------------------


@dataclass(frozen=True)
class ListedCheck:
    module: str
    gate: str
    check: str
    summary: str
    turned_off: str | None  # the reason, if the module turns it off


def list_checks(root: Path, slugs: list[str]) -> list[ListedCheck]:
    """Every check of every gate for ``slugs``, the hook's included, as the plugin collects them."""
    import pytest

    class Recorder:
        found: list[ListedCheck] = []

        def pytest_collection_finish(self, session: pytest.Session) -> None:
            from pytest_tinytorch.gates.items import GateCheckItem

            for item in session.items:
                if isinstance(item, GateCheckItem):
                    skip = item.get_closest_marker("skip")
                    reason = skip.kwargs.get("reason") if skip else None
                    self.found.append(
                        ListedCheck(item.module.slug, item.check.gate, item.check.id, item.check.summary, reason)
                    )

    recorder = Recorder()
    recorder.found = []
    modules = [arg for slug in slugs for arg in ("--tinytorch-module", slug)]
    args = [
        "-p",
        "tinytorch",
        "-p",
        "tinytorch-gates",
        "--tinytorch-gates=all",
        *modules,
        "--tinytorch-root",
        str(root),
        "--rootdir",
        str(root),
        "--collect-only",
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = pytest.main(args, plugins=[recorder])
    if code not in (0, pytest.ExitCode.NO_TESTS_COLLECTED) or not recorder.found:
        from pytest_tinytorch.errors import TinyTorchError

        raise TinyTorchError(
            f"collecting the gate checks failed (pytest exit code {int(code)}):\n"
            + "\n".join(output.getvalue().strip().splitlines()[-20:])
        )
    return recorder.found
