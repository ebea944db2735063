"""Every output of a grading run, from the same results: JSON, CSV, JUnit XML, Gradescope, feedback.

    <output>/grades.json                  per student and per test, with messages (instructor)
    <output>/grades.csv                   one row per student: total, then points per test
    <output>/tests.csv                    one row per student and test: points, outcome, reason
    <output>/junit.xml                    one <testsuite> per student, points as <properties>
    <output>/gradescope/<student>/results.json   Gradescope's autograder format
    <output>/feedback/<student>.md        what a student may read: no hidden-test text

Student-facing files never contain a hidden test's message, and any line of
a message that repeats a line of a hidden-test region is redacted (a visible
test's failure context could otherwise show a neighbouring hidden line).
All files are written atomically.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pytest_tinytorch.fsutil import atomic_write_text
from pytest_tinytorch.grading.model import REASONS, SubmissionResult, TestResult
from pytest_tinytorch.notebook import Notebook

HIDDEN_NOTE = "This test includes hidden checks, so its details are not shown."
_SOURCE_LINE = re.compile(r"^\s*>?\s*\d+\s\|\s(.*)$")


def safe_name(student: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.@+-]", "_", student)


def _fmt(points: float) -> str:
    return f"{points:g}"


# --- hidden text -------------------------------------------------------------------------


def hidden_lines(reference: Notebook) -> frozenset[str]:
    """The stripped text of every line inside a BEGIN/END HIDDEN TESTS region of the instructor's copy."""
    found: set[str] = set()
    for cell in reference.code_cells:
        inside = False
        for line in cell.source.split("\n"):
            if "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END HIDDEN TESTS" in line:
                inside = False
            elif inside and len(line.strip()) > 3:
                found.add(line.strip())
    return frozenset(found)


def redact(message: str, hidden: frozenset[str]) -> str:
    """The message with every line that shows hidden-test source replaced."""
    out = []
    for line in message.splitlines():
        match = _SOURCE_LINE.match(line)
        text = (match.group(1) if match else line).strip()
        out.append("    | (hidden)" if text in hidden else line)
    return "\n".join(out)


def student_message(test: TestResult, hidden: frozenset[str]) -> str:
    if test.passed:
        return ""
    if test.hidden:
        return f"{REASONS.get(test.reason, test.reason)}. {HIDDEN_NOTE}"
    return redact(test.message, hidden)


# --- instructor files -----------------------------------------------------------------------


def grades_json(module: str, results: list[SubmissionResult]) -> str:
    tests = [
        {"name": t.name, "grade_id": t.grade_id, "points": t.max_points, "hidden": t.hidden}
        for t in (results[0].tests if results else [])
    ]
    data = {
        "module": module,
        "max_score": results[0].max_score if results else 0,
        "tests": tests,
        "students": [result.to_json() for result in results],
    }
    return json.dumps(data, indent=1) + "\n"


def grades_csv(results: list[SubmissionResult]) -> str:
    names = [t.name for t in results[0].tests] if results else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "score", "max_score", *names, "tampered", "flags"])
    for r in results:
        points = [_fmt(t.points) for t in r.tests]
        flags = "; ".join(sorted({f.kind for f in r.flags}))
        writer.writerow([r.student, _fmt(r.score), _fmt(r.max_score), *points, "yes" if r.tampered else "no", flags])
    return buffer.getvalue()


def tests_csv(results: list[SubmissionResult]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "test", "grade_id", "points", "max_points", "outcome", "reason", "hidden"])
    for r in results:
        for t in r.tests:
            writer.writerow(
                [
                    r.student,
                    t.name,
                    t.grade_id,
                    _fmt(t.points),
                    _fmt(t.max_points),
                    t.outcome,
                    t.reason,
                    "yes" if t.hidden else "no",
                ]
            )
    return buffer.getvalue()


def junit_xml(module: str, results: list[SubmissionResult]) -> str:
    failures = sum(not t.passed for r in results for t in r.tests)
    root = ET.Element(
        "testsuites",
        name=f"tinytorch grading {module}",
        tests=str(sum(len(r.tests) for r in results)),
        failures=str(failures),
    )
    for r in results:
        suite = ET.SubElement(
            root,
            "testsuite",
            name=r.student,
            tests=str(len(r.tests)),
            failures=str(sum(not t.passed for t in r.tests)),
            time=f"{r.seconds:.3f}",
        )
        _properties(
            suite,
            {
                "score": _fmt(r.score),
                "max_score": _fmt(r.max_score),
                "file": r.path,
                "tampered": str(r.tampered).lower(),
            },
        )
        for t in r.tests:
            case = ET.SubElement(
                suite, "testcase", classname=f"{module}.{r.student}", name=t.name, time=f"{t.seconds:.3f}"
            )
            _properties(
                case,
                {
                    "grade_id": t.grade_id,
                    "points": _fmt(t.points),
                    "max_points": _fmt(t.max_points),
                    "hidden": str(t.hidden).lower(),
                },
            )
            if not t.passed:
                failure = ET.SubElement(case, "failure", type=t.reason, message=REASONS.get(t.reason, t.reason))
                failure.text = t.message
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _properties(parent: ET.Element, values: dict[str, str]) -> None:
    holder = ET.SubElement(parent, "properties")
    for name, value in values.items():
        ET.SubElement(holder, "property", name=name, value=value)


# --- student files ---------------------------------------------------------------------------


def gradescope_json(result: SubmissionResult, hidden: frozenset[str]) -> str:
    tests = [
        {
            "name": t.name,
            "score": t.points,
            "max_score": t.max_points,
            "status": "passed" if t.passed else "failed",
            "output": student_message(t, hidden),
            "visibility": "after_published" if t.hidden else "visible",
        }
        for t in result.tests
    ]
    notes = [f"{f.summary}: {redact(f.detail, hidden)}" for f in result.flags if f.tamper]
    data = {"score": result.score, "output": "\n".join(notes), "tests": tests}
    return json.dumps(data, indent=1) + "\n"


def feedback_markdown(module: str, result: SubmissionResult, hidden: frozenset[str]) -> str:
    lines = [
        f"# {module}: {_fmt(result.score)} / {_fmt(result.max_score)} points",
        "",
        "| test | points | result |",
        "|---|---|---|",
    ]
    for t in result.tests:
        outcome = "passed" if t.passed else REASONS.get(t.reason, t.reason)
        lines.append(
            f"| `{t.name}`{' (hidden checks)' if t.hidden else ''} "
            f"| {_fmt(t.points)} / {_fmt(t.max_points)} | {outcome} |"
        )
    failed = [t for t in result.tests if not t.passed]
    if failed:
        lines += ["", "## What failed"]
        for t in failed:
            lines += [
                "",
                f"### `{t.name}` ({_fmt(t.points)} / {_fmt(t.max_points)})",
                "",
                "```",
                student_message(t, hidden),
                "```",
            ]
    if result.flags:
        lines += ["", "## Notes from the grader", ""]
        lines += [f"- {f.summary}: {redact(f.detail, hidden)}" for f in result.flags]
    return "\n".join(lines) + "\n"


# --- all of them ------------------------------------------------------------------------------


def write_reports(output: Path, module: str, reference: Notebook, results: list[SubmissionResult]) -> dict[str, Path]:
    """Write every report; returns what was written, by kind."""
    hidden = hidden_lines(reference)
    files = {
        output / "grades.json": grades_json(module, results),
        output / "grades.csv": grades_csv(results),
        output / "tests.csv": tests_csv(results),
        output / "junit.xml": junit_xml(module, results),
    }
    for result in results:
        name = safe_name(result.student)
        files[output / "gradescope" / name / "results.json"] = gradescope_json(result, hidden)
        files[output / "feedback" / f"{name}.md"] = feedback_markdown(module, result, hidden)
    # Each atomic write ends in an fsync (milliseconds each); overlapping them keeps
    # a class's hundreds of files from taking seconds.
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda item: atomic_write_text(*item), files.items()))
    return {
        "json": output / "grades.json",
        "csv": output / "grades.csv",
        "tests_csv": output / "tests.csv",
        "junit": output / "junit.xml",
        "gradescope": output / "gradescope",
        "feedback": output / "feedback",
    }


def score_table(results: Iterable[SubmissionResult]) -> list[str]:
    """One line per student for a terminal: score, and what was flagged."""
    rows = list(results)
    width = max((len(r.student) for r in rows), default=7)
    lines = []
    for r in rows:
        kinds = sorted({f.kind for f in r.flags if f.tamper})
        note = f"  TAMPERING: {', '.join(kinds)}" if kinds else ""
        cached = " (unchanged, not regraded)" if r.cached else ""
        lines.append(f"  {r.student:<{width}}  {_fmt(r.score):>6} / {_fmt(r.max_score):<6}{note}{cached}")
    return lines
