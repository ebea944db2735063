"""What grading produces: limits, per-test results, flags, and their JSON form.

Plain dataclasses with no behaviour beyond (de)serialisation, shared by the
engine, the reports and the pytest items.  Points are always the instructor's:
a :class:`TestResult` gets ``max_points`` from the instructor's copy and
``points`` is ``max_points`` for a pass, ``0`` otherwise.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

# Bump when a change to the harness could change an outcome: cached results
# from another version are then regraded instead of reused.
GRADER_VERSION = "1"

PASSED = "passed"
FAILED = "failed"

# Why a test did not pass.  Every failure carries one of these codes; the
# text is what feedback and reports show next to it.
REASONS: dict[str, str] = {
    "assertion": "a check in the test failed",
    "error": "the code under test raised an exception",
    "untrusted-value": "a check compared an object that decides its own equality or truth",
    "timeout": "the test ran past its time limit and was stopped",
    "submission-timeout": "the submission ran past its total time limit",
    "exit": "the code called sys.exit / os._exit",
    "crash": "the worker process crashed",
    "memory": "the code ran out of its memory limit",
    "cpu-limit": "the submission used up its CPU-time limit",
    "file-size": "the code wrote a file larger than the limit",
    "tampered": "the code replaced a function or test the grader relies on",
    "missing": "the test was never defined (its cell failed or was removed)",
    "not-run": "the test could not be run (the submission's worker kept dying)",
    "unreadable": "the submission could not be read as a notebook",
    "forged-result": "the submission wrote to the grader's result channel",
}

# Flags: things the grader noticed about a submission, shown in every report.
# ``tamper`` ones are attempts to fool the grader; the rest are information.
FLAG_KINDS: dict[str, tuple[str, bool]] = {
    "locked-cell-changed": ("a locked cell was edited; the instructor's version was used", True),
    "locked-cell-removed": ("a locked cell was deleted; the instructor's version was put back", True),
    "locked-cell-stripped": ("a locked cell lost its nbgrader metadata; the instructor's version was used", True),
    "locked-cell-duplicated": ("a locked cell appears more than once; the copies were dropped", True),
    "unknown-graded-cell": ("a cell claims to be graded but is not in the instructor's copy; it earns nothing", True),
    "replaced-function": ("a function the tests rely on was replaced; the original was put back", True),
    "shadowed-name": ("a name the tests use was redefined; the original was put back", True),
    "test-rebound": ("a test function was redefined or changed; the instructor's test ran", True),
    "write-outside": ("the code tried to write outside its folder; the write was refused", True),
    "subprocess": ("the code tried to start a process; it was refused", True),
    "network": ("the code tried to use the network; it was refused", True),
    "introspection": ("the code tried to inspect the grader's internals (gc, tracing); refused", True),
    "forged-result": ("the submission wrote to the grader's result channel; every test fails", True),
    "cell-error": ("a cell raised an error while the notebook ran (later cells still ran)", False),
    "output-truncated": ("the code printed more than the output limit; the rest was dropped", False),
    "restarted": ("the worker died and was restarted for the remaining tests", False),
}


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission.

    ``test_seconds`` bounds each test and each cell (wall clock);
    ``submission_seconds`` bounds the whole submission including restarts.
    ``memory_mib`` is the address space a worker may use beyond the fork
    server's own (NumPy and the harness).
    """

    test_seconds: float = 60.0
    submission_seconds: float = 300.0
    memory_mib: int = 1024
    file_mib: int = 64
    output_bytes: int = 64 * 1024
    max_launches: int = 4
    grace_seconds: float = 2.0  # how long past a deadline the parent waits before SIGKILL

    def outcome_key(self) -> dict[str, Any]:
        """The limits that can change an outcome (they belong in the cache key)."""
        return {
            "test_seconds": self.test_seconds,
            "submission_seconds": self.submission_seconds,
            "memory_mib": self.memory_mib,
            "file_mib": self.file_mib,
        }


@dataclass(frozen=True)
class ExpectedTest:
    """A graded test of the instructor's copy: what the parent waits for."""

    name: str
    grade_id: str
    points: float
    hidden: bool


@dataclass
class TestResult:
    """One graded test's outcome for one submission."""

    __test__ = False  # not a pytest test class, whatever its name says

    name: str
    grade_id: str
    max_points: float
    outcome: str = FAILED
    reason: str = ""
    message: str = ""  # instructor-facing; never shown to students for hidden tests
    hidden: bool = False
    seconds: float = 0.0

    @property
    def points(self) -> float:
        return self.max_points if self.outcome == PASSED else 0.0

    @property
    def passed(self) -> bool:
        return self.outcome == PASSED


@dataclass
class Flag:
    """Something the grader noticed: tampering or a note worth reading."""

    kind: str
    detail: str
    test: str = ""

    @property
    def tamper(self) -> bool:
        return FLAG_KINDS.get(self.kind, ("", True))[1]

    @property
    def summary(self) -> str:
        return FLAG_KINDS.get(self.kind, (self.kind, True))[0]


@dataclass
class SubmissionResult:
    """Everything grading found out about one student's submission."""

    student: str
    path: str  # as given, relative to the submissions folder
    module: str  # the module's slug, e.g. 01_tensor
    key: str  # content hash of submission + tests + grader; see engine.submission_key
    tests: list[TestResult] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    stdout: str = ""
    stderr: str = ""
    launches: int = 0
    seconds: float = 0.0
    cached: bool = False

    @property
    def score(self) -> float:
        return sum(test.points for test in self.tests)

    @property
    def max_score(self) -> float:
        return sum(test.max_points for test in self.tests)

    @property
    def tampered(self) -> bool:
        return any(flag.tamper for flag in self.flags)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("cached")
        data["score"], data["max_score"] = self.score, self.max_score
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubmissionResult:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["tests"] = [TestResult(**_known(TestResult, t)) for t in data.get("tests", [])]
        values["flags"] = [Flag(**_known(Flag, f)) for f in data.get("flags", [])]
        return cls(**values)


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}
