"""Progress while grading: a bar with counts and ETA on a terminal, plain lines otherwise."""

from __future__ import annotations

from pytest_tinytorch.grading.model import Flag, SubmissionResult, TestResult
from pytest_tinytorch.grading.terminal import Progress, eta_text


def result(student: str, cached: bool = False, tampered: bool = False) -> SubmissionResult:
    r = SubmissionResult(student, f"{student}.py", "01_demo", "k", [TestResult("t", "g", 2, "passed")], seconds=0.5)
    r.cached = cached
    if tampered:
        r.flags.append(Flag("replaced-function", "numpy.allclose was replaced"))
    return r


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_on_a_terminal_one_line_is_rewritten_with_counts_and_eta():
    lines: list[str] = []
    rewrites: list[str] = []
    clock = Clock()
    progress = Progress(lines.append, rewrites.append, tty=True, clock=clock)
    progress(result("old", cached=True), 1, 4)  # unchanged: free, so no rate yet
    assert rewrites[-1].endswith("1/4 submissions, 1 unchanged  eta --:--")
    clock.now += 10
    progress(result("alice"), 2, 4)  # one graded in 10 s, two to go
    assert "[############............] 2/4 submissions" in rewrites[-1] and rewrites[-1].endswith("eta 0:20")
    progress(result("bob"), 3, 4)
    progress(result("carol"), 4, 4)
    assert "4/4" in rewrites[-1] and lines == [""]  # the bar's line is finished once done


def test_without_a_terminal_each_submission_gets_a_plain_line():
    lines: list[str] = []
    progress = Progress(lines.append, lambda line: None, tty=False)
    progress(result("alice"), 1, 2)
    progress(result("mallory", tampered=True), 2, 2)
    progress(result("old", cached=True), 2, 2)
    assert lines == [
        "[1/2] alice: 2/2 (0.50 s)",
        "[2/2] mallory: 2/2 (0.50 s) TAMPERING",
        "[2/2] old: 2/2 (unchanged, not regraded)",
    ]


def test_eta_text():
    assert (eta_text(None), eta_text(59.6), eta_text(61), eta_text(7300)) == ("--:--", "1:00", "1:01", "2h01m")
