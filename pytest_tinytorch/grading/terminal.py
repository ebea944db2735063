"""Progress while grading: a bar with counts and ETA on a terminal, one plain line per submission otherwise."""

from __future__ import annotations

import time
from collections.abc import Callable

from pytest_tinytorch.grading.model import SubmissionResult

BAR_WIDTH = 24


def eta_text(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(seconds + 0.5)
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class Progress:
    """Called once per finished submission (cached ones included)."""

    def __init__(
        self,
        write_line: Callable[[str], None],
        rewrite: Callable[[str], None],
        tty: bool,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.write_line = write_line
        self.rewrite = rewrite
        self.tty = tty
        self.clock = clock
        self.started = clock()
        self.graded = 0
        self.cached = 0

    def __call__(self, result: SubmissionResult, done: int, total: int) -> None:
        if result.cached:
            self.cached += 1
        else:
            self.graded += 1
        if self.tty:
            self.rewrite(self.bar(done, total))
            if done == total:
                self.write_line("")
        else:
            self.write_line(self.line(result, done, total))

    def eta(self, done: int, total: int) -> float | None:
        """Seconds left, from the rate of submissions actually graded (cached ones are free)."""
        if self.graded == 0:
            return None
        per_submission = (self.clock() - self.started) / self.graded
        return per_submission * (total - done)

    def bar(self, done: int, total: int) -> str:
        filled = BAR_WIDTH * done // max(total, 1)
        cached = f", {self.cached} unchanged" if self.cached else ""
        return (
            f"grading [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} submissions"
            f"{cached}  eta {eta_text(self.eta(done, total))}"
        )

    def line(self, result: SubmissionResult, done: int, total: int) -> str:
        how = "unchanged, not regraded" if result.cached else f"{result.seconds:.2f} s"
        tamper = " TAMPERING" if result.tampered else ""
        return f"[{done}/{total}] {result.student}: {result.score:g}/{result.max_score:g} ({how}){tamper}"
