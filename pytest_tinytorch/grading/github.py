"""Points in a GitHub Actions job summary, and failures as annotations on the student's lines.

    python -m pytest_tinytorch.grading.github report.xml

reads the JUnit XML of ``pytest --tinytorch-module NN --junitxml=report.xml``
(each graded test carries ``grade_id`` and ``points`` properties), appends a
points table to ``$GITHUB_STEP_SUMMARY``, and prints one ``::error`` workflow
command per failed test, placed at the line the failure report names (the
student's line when the error came from their code).  Used by the GitHub
Classroom template in ``templates/github-classroom/``.
"""

from __future__ import annotations

import os
import re
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

# "... (modules/01_tensor/tensor.py:123, cell 7)" or "... (tensor.ipynb cell 7, line 3, cell 7)"
_PERCENT_PLACE = re.compile(r"\(([^()\s]+\.py):(\d+)")
_IPYNB_PLACE = re.compile(r"\(([^()\s]+\.ipynb) cell (\d+), line (\d+)")


@dataclass(frozen=True)
class Outcome:
    name: str
    points: float
    earned: float
    failure: str  # the failure report, "" for a pass
    file: str
    line: int
    cell: int | None = None


def read_report(path: str | Path) -> list[Outcome]:
    """Every graded test in a JUnit XML report (tests without points are not graded)."""
    outcomes = []
    for case in ET.parse(path).getroot().iter("testcase"):
        properties = {p.get("name"): p.get("value") for p in case.iter("property")}
        if "points" not in properties:
            continue
        points = float(properties["points"] or 0)
        problem = next((case.find(tag) for tag in ("failure", "error") if case.find(tag) is not None), None)
        text = ""
        if problem is not None:
            text = (problem.get("message") or "") + "\n" + (problem.text or "")
        file, line, cell = _place(text.strip(), case)
        outcomes.append(
            Outcome(
                case.get("name", "?"), points, 0.0 if problem is not None else points, text.strip(), file, line, cell
            )
        )
    return outcomes


def _place(failure: str, case: ET.Element) -> tuple[str, int, int | None]:
    """Where to annotate: the last notebook line the failure report names, else the test's own line."""
    percent = _PERCENT_PLACE.findall(failure)
    if percent:
        file, line = percent[0]
        return file, int(line), None
    ipynb = _IPYNB_PLACE.findall(failure)
    if ipynb:
        file, cell, line = ipynb[0]
        return file, int(line), int(cell)
    return case.get("file", ""), int(case.get("line") or 0) + 1, None


def summary_markdown(outcomes: list[Outcome]) -> str:
    total, earned = sum(o.points for o in outcomes), sum(o.earned for o in outcomes)
    lines = [f"## TinyTorch autograding: {earned:g} / {total:g} points", "", "| test | points | |", "|---|---|---|"]
    for o in outcomes:
        lines.append(f"| `{o.name}` | {o.earned:g} / {o.points:g} | {'passed' if not o.failure else 'failed'} |")
    failed = [o for o in outcomes if o.failure]
    if failed:
        lines += [
            "",
            "Failures are annotated on your code in the *Files changed* / *Annotations* view. "
            "Run them yourself with `pytest --tinytorch-module NN -x`.",
        ]
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    """GitHub workflow-command escaping for messages and properties."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape(text).replace(":", "%3A").replace(",", "%2C")


def annotation_commands(outcomes: list[Outcome]) -> list[str]:
    commands = []
    for o in outcomes:
        if not o.failure:
            continue
        where = f" (cell {o.cell})" if o.cell is not None else ""
        title = _escape_property(f"{o.name} failed{where}: 0 / {o.points:g} points")
        place = f"file={_escape_property(o.file)},line={o.line}," if o.file else ""
        commands.append(f"::error {place}title={title}::{_escape(o.failure[:4000])}")
    return commands


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m pytest_tinytorch.grading.github REPORT.xml", file=sys.stderr)
        return 2
    report = Path(argv[0])
    if not report.is_file():
        print(
            f"::error title=No test report::{report} was not written; did the pytest step run? "
            "(it needs --junitxml=" + str(report) + ")"
        )
        return 1
    outcomes = read_report(report)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(summary_markdown(outcomes))
    for command in annotation_commands(outcomes):
        print(command)
    earned, total = sum(o.earned for o in outcomes), sum(o.points for o in outcomes)
    print(f"TinyTorch points: {earned:g} / {total:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
