"""Grade many submissions in parallel workers, decide every outcome in the parent, resume after a crash.

For each submission the parent holds the list of tests the instructor's copy
defines and waits for each in turn.  A test passes only when its worker said
so in a correctly signed, in-order record *and* stayed alive and in time;
whatever the worker failed to report is failed here, with the reason read
from how it ended (killed at a deadline, exited, crashed, out of CPU).  After
a hang or a crash the parent starts a fresh worker that skips the tests
already decided and the cell that killed the last one, so one infinite loop
costs one test, not the submission.  Points come from the instructor's copy.

Results are saved per student as each submission finishes
(:class:`ResultStore`), keyed on the submission's bytes, the instructor's
copy and the grader version: an interrupted run resumes where it stopped,
and an unchanged submission is never graded twice.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
import queue
import re
import secrets
import selectors
import shutil
import signal
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_tinytorch.catalog import ModuleInfo
from pytest_tinytorch.errors import NotebookFormatError
from pytest_tinytorch.fsutil import atomic_write_text
from pytest_tinytorch.grading.model import (
    FAILED,
    GRADER_VERSION,
    PASSED,
    ExpectedTest,
    Flag,
    Limits,
    SubmissionResult,
    TestResult,
)
from pytest_tinytorch.grading.protocol import Decoder, Forged
from pytest_tinytorch.grading.restore import Restoration, is_protected, restore_locked_cells
from pytest_tinytorch.grading.submissions import Submission
from pytest_tinytorch.grading.zygote import ForkServer, GradingError
from pytest_tinytorch.inline import find_tests
from pytest_tinytorch.notebook import Notebook, read_notebook

COPY_LIMIT = 64 * 2**20  # bytes of a student's folder copied into the worker's folder


# --- the instructor's copy -------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """The instructor's copy of a module: what runs, what is tested, what it is worth."""

    module: ModuleInfo
    notebook: Notebook
    tests: tuple[ExpectedTest, ...]
    digest: str  # sha256 of the instructor's file: part of every cache key
    imports: dict[str, str]  # name -> module, from the instructor's import statements
    names: frozenset[str]  # every name the instructor's copy binds at top level

    @classmethod
    def load(cls, module: ModuleInfo) -> Reference:
        nb = read_notebook(module.source)
        tests = tuple(ExpectedTest(t.name, t.grade_id or "", t.points, t.hidden) for t in find_tests(nb) if t.graded)
        if not tests:
            raise GradingError(f"{module.source}: no graded tests (cells with nbgrader grade: true); nothing to grade.")
        imports, names = _bindings(nb)
        digest = hashlib.sha256(module.source.read_bytes()).hexdigest()
        return cls(module, nb, tests, digest, imports, frozenset(names))

    @property
    def max_score(self) -> float:
        return sum(test.points for test in self.tests)

    def preload(self) -> list[str]:
        """Modules worth importing once in the fork server: whatever the instructor's copy imports."""
        return sorted(set(self.imports.values()))


def _bindings(nb: Notebook) -> tuple[dict[str, str], set[str]]:
    imports: dict[str, str] = {}
    names: set[str] = set()
    for cell in nb.code_cells:
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    imports[alias.asname or alias.name.split(".")[0]] = (
                        alias.name if alias.asname else alias.name.split(".")[0]
                    )
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.ImportFrom):
                names.update(alias.asname or alias.name for alias in node.names)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return imports, names | set(imports)


# --- one submission, ready to run ----------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """A submission after parsing and restoring its locked cells (or the reason it cannot run)."""

    submission: Submission
    key: str
    notebook: Notebook | None
    flags: tuple[Flag, ...] = ()
    problem: str = ""


Restorer = Callable[[Notebook, Reference], Restoration]


def submission_key(content: bytes, reference: Reference, limits: Limits) -> str:
    digest = hashlib.sha256()
    for part in (
        GRADER_VERSION.encode(),
        reference.digest.encode(),
        json.dumps(limits.outcome_key(), sort_keys=True).encode(),
    ):
        digest.update(part + b"\0")
    digest.update(content)
    return digest.hexdigest()


def prepare(submission: Submission, reference: Reference, limits: Limits, restorer: Restorer | None = None) -> Prepared:
    """Parse one submission (never run it) and restore its locked cells."""
    content = submission.read_bytes()
    key = submission_key(content, reference, limits)
    if submission.problem:
        return Prepared(submission, key, None, problem=submission.problem)
    try:
        nb = read_notebook(submission.path)
    except NotebookFormatError as error:
        return Prepared(submission, key, None, problem=str(error))
    nb = Notebook(path=Path(submission.relative), cells=nb.cells, fmt=nb.fmt)
    restoration = (restorer or (lambda n, r: restore_locked_cells(n, r.notebook)))(nb, reference)
    return Prepared(submission, key, restoration.notebook, restoration.flags)


# --- the store -----------------------------------------------------------------------------------


class ResultStore:
    """One JSON file per student under ``<output>/results/``, written atomically as each finishes.

    :meth:`save_soon` hands the write (with its fsync, ~7 ms on this machine's
    disk) to a writer thread, so the event loop keeps serving workers;
    :meth:`saved` returns what has reached the disk since the last call.
    """

    def __init__(self, output: str | Path) -> None:
        self.folder = Path(output) / "results"
        self._pending: queue.Queue[SubmissionResult | None] = queue.Queue()
        self._done: queue.Queue[SubmissionResult | BaseException] = queue.Queue()
        self._writer: threading.Thread | None = None

    def path(self, student: str) -> Path:
        return self.folder / f"{re.sub(r'[^A-Za-z0-9_.@+-]', '_', student)}.json"

    def load(self, student: str, key: str) -> SubmissionResult | None:
        path = self.path(student)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if data.get("key") != key:
            return None
        result = SubmissionResult.from_json(data)
        result.cached = True
        return result

    def save(self, result: SubmissionResult) -> None:
        atomic_write_text(self.path(result.student), json.dumps(result.to_json(), indent=1) + "\n")

    def save_soon(self, result: SubmissionResult) -> None:
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_loop, name="tinytorch-results", daemon=True)
            self._writer.start()
        self._pending.put(result)

    def _write_loop(self) -> None:
        while (result := self._pending.get()) is not None:
            try:
                self.save(result)
                self._done.put(result)
            except BaseException as error:  # reported by saved(), in the caller's thread
                self._done.put(error)

    def saved(self, wait: bool = False) -> list[SubmissionResult]:
        """Results written since the last call; with ``wait``, after every pending write is done."""
        if wait and self._writer is not None:
            self._pending.put(None)
            self._writer.join()
            self._writer = None
        found = []
        while not self._done.empty():
            item = self._done.get()
            if isinstance(item, BaseException):
                raise item
            found.append(item)
        return found


# --- supervising one submission ------------------------------------------------------------------


@dataclass
class Launch:
    """One worker process for one submission."""

    id: int
    key: bytes
    fds: dict[int, str]  # read end -> "result" | "stdout" | "stderr"
    started: float
    decoder: Decoder = field(init=False)
    pidfd: int | None = None
    status: int | None = None
    position: tuple[str, Any] | None = None  # ("cell", index) or ("test", name)
    position_since: float = 0.0
    kill_reason: str = ""
    done: bool = False
    records: int = 0
    forged: str = ""

    def __post_init__(self) -> None:
        self.decoder = Decoder(self.key)

    @property
    def finished(self) -> bool:
        return not self.fds and self.status is not None


class Supervision:
    """Everything the parent knows about one submission while its workers run."""

    def __init__(self, prepared: Prepared, reference: Reference, limits: Limits, workdir: str) -> None:
        assert prepared.notebook is not None
        self.prepared = prepared
        self.reference = reference
        self.limits = limits
        self.workdir = workdir
        self.nb = prepared.notebook
        self.cell_of = {c.grade_id: c.index for c in self.nb.code_cells if c.grade_id}
        self.results: dict[str, TestResult] = {}
        self.flags: list[Flag] = list(prepared.flags)
        self.skip: set[int] = set()
        self.launches = 0
        self.first_start = 0.0
        self.output = {"stdout": bytearray(), "stderr": bytearray()}
        self.dropped = {"stdout": 0, "stderr": 0}
        self.launch: Launch | None = None
        self.sandbox: dict[str, Any] = {}  # what the worker's sandbox put in force
        for test in reference.tests:  # only if restoring was turned off: the worker cannot run these
            if test.grade_id not in self.cell_of:
                self._fail(test.name, "missing", f"the notebook has no cell {test.grade_id!r}, which defines this test")

    # -- building a job -----------------------------------------------------------------

    def pending_tests(self) -> list[ExpectedTest]:
        return [t for t in self.reference.tests if t.name not in self.results]

    def job(self, key: bytes) -> bytes:
        cells = [
            {
                "index": c.index,
                "source": c.source,
                "first_line": c.first_line,
                "header_line": c.header_line,
                "protected": is_protected(c),
            }
            for c in self.nb.code_cells
        ]
        tests = [{"name": t.name, "cell": self.cell_of.get(t.grade_id, -1)} for t in self.reference.tests]
        job = {
            "key": key.hex(),
            "path": str(self.nb.path),
            "fmt": self.nb.fmt,
            "cells": cells,
            "tests": tests,
            "done": sorted(self.results),
            "skip": sorted(self.skip),
            "test_seconds": self.limits.test_seconds,
            "imports": self.reference.imports,
            "reference_names": sorted(self.reference.names),
        }
        return json.dumps(job).encode()

    def cpu_budget(self, now: float) -> float:
        return max(1.0, self.limits.submission_seconds - (now - self.first_start))

    # -- records --------------------------------------------------------------------------

    def on_record(self, launch: Launch, record: dict[str, Any] | Forged, now: float) -> None:
        if isinstance(record, Forged):
            launch.forged = launch.forged or f"{record.why}: {record.line[:120]!r}"
            return
        launch.records += 1
        event = record.get("e")
        if launch.done:
            launch.forged = launch.forged or f"a record after the end: {record!r}"[:200]
        elif event == "cell":
            launch.position, launch.position_since = ("cell", record["i"]), now
        elif event == "cell_error":
            self.flags.append(Flag("cell-error", f"cell {record['i']}: {record['msg']}"))
            launch.position = None
        elif event == "start":
            self._on_start(launch, record, now)
        elif event == "end":
            self._on_end(launch, record)
        elif event == "flag":
            self.flags.append(Flag(str(record["kind"]), str(record["detail"]), str(record.get("t", ""))))
        elif event == "done":
            launch.done, launch.position = True, None
        elif event == "sandbox":
            self.sandbox = dict(record.get("applied", {}))

    def _on_start(self, launch: Launch, record: dict[str, Any], now: float) -> None:
        pending = self.pending_tests()
        if not pending or record["t"] != pending[0].name:
            due = pending[0].name if pending else "nothing"
            launch.forged = launch.forged or f"start of {record['t']!r} where {due!r} was due"
            return
        launch.position, launch.position_since = ("test", record["t"]), now

    def _on_end(self, launch: Launch, record: dict[str, Any]) -> None:
        if launch.position != ("test", record["t"]):
            launch.forged = launch.forged or f"end of {record['t']!r} without its start"
            return
        test = self._expected(record["t"])
        outcome = PASSED if record["ok"] is True else FAILED
        self.results[test.name] = TestResult(
            test.name,
            test.grade_id,
            test.points,
            outcome,
            record.get("reason", ""),
            str(record.get("msg", "")),
            test.hidden,
            float(record.get("s", 0.0)),
        )
        launch.position = None

    def _expected(self, name: str) -> ExpectedTest:
        return next(t for t in self.reference.tests if t.name == name)

    def on_output(self, stream: str, data: bytes) -> None:
        room = self.limits.output_bytes - len(self.output[stream])
        self.output[stream] += data[: max(room, 0)]
        self.dropped[stream] += max(len(data) - max(room, 0), 0)

    # -- deadlines --------------------------------------------------------------------------

    def deadline(self, launch: Launch) -> float:
        overall = self.first_start + self.limits.submission_seconds + self.limits.grace_seconds
        if launch.position is None:
            return overall
        return min(overall, launch.position_since + self.limits.test_seconds + self.limits.grace_seconds)

    def timed_out(self, launch: Launch, now: float) -> str:
        if now < self.deadline(launch):
            return ""
        overall = self.first_start + self.limits.submission_seconds + self.limits.grace_seconds
        return "submission-timeout" if now >= overall else "timeout"

    # -- a worker ended -----------------------------------------------------------------------

    def on_launch_end(self, launch: Launch, now: float) -> bool:
        """Record how the worker ended; True if another worker should continue."""
        if launch.forged:
            self._fail_all(
                "forged-result",
                f"the submission wrote to the grader's result channel ({launch.forged}); "
                "every test of this submission fails.",
            )
            return False
        if launch.done:
            self._fail_pending("missing", "the worker finished without reporting this test")
            return False
        reason, message = self._death(launch)
        position = launch.position
        if position and position[0] == "test":
            self._fail(position[1], reason, message)
        elif position and position[0] == "cell":
            self.skip.add(position[1])
            self.flags.append(Flag("cell-error", f"cell {position[1]}: {message}; later workers skip it"))
            for test in self.pending_tests():
                if self.cell_of.get(test.grade_id) == position[1]:
                    self._fail(test.name, reason, f"the cell defining this test never finished: {message}")
        if not self.pending_tests():
            return False
        out_of_time = now - self.first_start >= self.limits.submission_seconds
        if out_of_time or self.launches >= self.limits.max_launches:
            why = (
                ("submission-timeout", f"the submission used its {self.limits.submission_seconds:g} s")
                if out_of_time
                else ("not-run", f"the worker died {self.launches} times ({message}); no more restarts")
            )
            self._fail_pending(*why)
            return False
        self.flags.append(
            Flag("restarted", f"worker {self.launches} ended ({message}); restarted for the remaining tests")
        )
        return True

    def _death(self, launch: Launch) -> tuple[str, str]:
        status = launch.status or 0
        if launch.kill_reason:
            limit = (
                self.limits.submission_seconds
                if launch.kill_reason == "submission-timeout"
                else self.limits.test_seconds
            )
            return launch.kill_reason, f"stopped after {limit:g} s (an infinite loop, or far too slow)"
        if os.WIFSIGNALED(status):
            signum = os.WTERMSIG(status)
            try:
                name = signal.Signals(signum).name
            except ValueError:
                name = f"signal {signum}"
            if signum == signal.SIGXCPU:
                return "cpu-limit", f"killed by {name}: the CPU-time limit was used up"
            if signum == signal.SIGXFSZ:
                return "file-size", f"killed by {name}: a file grew past {self.limits.file_mib} MiB"
            if signum == signal.SIGKILL:
                return "crash", f"killed by {name} (out of memory?)"
            return "crash", f"the worker crashed ({name})"
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
        return "exit", f"the process exited with status {code} (os._exit, or sys.exit outside a test)"

    def _fail(self, name: str, reason: str, message: str) -> None:
        test = self._expected(name)
        self.results[name] = TestResult(name, test.grade_id, test.points, FAILED, reason, message, test.hidden)

    def _fail_pending(self, reason: str, message: str) -> None:
        for test in self.pending_tests():
            self._fail(test.name, reason, message)

    def _fail_all(self, reason: str, message: str) -> None:
        self.results.clear()
        self._fail_pending(reason, message)
        self.flags.append(Flag("forged-result", message))

    def result(self, seconds: float) -> SubmissionResult:
        sub = self.prepared.submission
        for stream, dropped in self.dropped.items():
            if dropped:
                self.flags.append(
                    Flag(
                        "output-truncated",
                        f"{stream}: {dropped} bytes past the first {self.limits.output_bytes} dropped",
                    )
                )
        tests = [self.results[t.name] for t in self.reference.tests]
        return SubmissionResult(
            sub.student,
            sub.relative,
            self.reference.module.slug,
            self.prepared.key,
            tests,
            self.flags,
            self.output["stdout"].decode(errors="replace"),
            self.output["stderr"].decode(errors="replace"),
            self.launches,
            round(seconds, 3),
        )


def unreadable_result(prepared: Prepared, reference: Reference) -> SubmissionResult:
    sub = prepared.submission
    tests = [
        TestResult(t.name, t.grade_id, t.points, FAILED, "unreadable", prepared.problem, t.hidden)
        for t in reference.tests
    ]
    return SubmissionResult(sub.student, sub.relative, reference.module.slug, prepared.key, tests)


# --- the engine -------------------------------------------------------------------------------


Progress = Callable[[SubmissionResult, int, int], None]


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class Engine:
    """Grades prepared submissions with ``workers`` sandboxed processes at a time."""

    def __init__(
        self,
        reference: Reference,
        limits: Limits,
        store: ResultStore,
        workers: int | None = None,
        progress: Progress | None = None,
        fresh: bool = False,
    ) -> None:
        if not hasattr(os, "pidfd_open") or not hasattr(os, "memfd_create"):
            raise GradingError(
                "fast grading needs Linux 5.3 or newer (pidfd, memfd); on other systems use "
                "'tito nbgrader autograde', which runs nbgrader's own (slower) autograder."
            )
        self.reference = reference
        self.limits = limits
        self.store = store
        self.workers = workers or default_workers()
        self.progress = progress
        self.fresh = fresh
        self.server_info: dict[str, Any] = {}
        self._scratch: str | None = None
        self._server: ForkServer | None = None

    def prestart(self) -> None:
        """Start the fork server now; it imports NumPy while the caller does other work."""
        if self._server is None:
            self._scratch = tempfile.mkdtemp(prefix="tinytorch-grading-")
            self._server = ForkServer(self.reference.preload(), self._scratch)

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def run(self, prepared: list[Prepared]) -> list[SubmissionResult]:
        results: dict[str, SubmissionResult] = {}
        todo: deque[Prepared] = deque()
        for item in prepared:
            cached = None if self.fresh else self.store.load(item.submission.student, item.key)
            if cached is not None:
                results[item.submission.student] = cached
            elif item.problem or item.notebook is None:
                results[item.submission.student] = unreadable_result(item, self.reference)
                self.store.save(results[item.submission.student])
            else:
                todo.append(item)
        for count, result in enumerate(results.values(), start=1):
            self._report(result, count, len(prepared))
        try:
            if todo:
                self._grade(todo, results, len(results), len(prepared))
        finally:
            self.close()
        return [results[item.submission.student] for item in prepared]

    def _report(self, result: SubmissionResult, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(result, done, total)

    def _grade(self, todo: deque[Prepared], results: dict[str, SubmissionResult], done: int, total: int) -> None:
        self.prestart()
        assert self._server is not None and self._scratch is not None
        server = self._server
        server.warm([c.source for c in self.reference.notebook.code_cells if is_protected(c)])
        self.server_info = dict(server.info)
        loop = _Loop(self, server, self._scratch)
        try:
            for result in loop.run(todo):
                results[result.student] = result
                self.store.save_soon(result)
                for saved in self.store.saved():  # progress counts what is on disk
                    done += 1
                    self._report(saved, done, total)
        finally:
            loop.stop()
            for saved in self.store.saved(wait=True):
                done += 1
                self._report(saved, done, total)


class _Loop:
    """The parent's event loop: worker pipes, the fork server's messages, deadlines."""

    def __init__(self, engine: Engine, server: ForkServer, scratch: str) -> None:
        self.engine = engine
        self.server = server
        self.scratch = scratch
        self.selector = selectors.DefaultSelector()
        self.selector.register(server.sock, selectors.EVENT_READ, ("server", None))
        self.active: dict[int, tuple[Supervision, Launch]] = {}  # launch id -> ...
        self.next_id = 0
        self.started: dict[Supervision, float] = {}

    def run(self, todo: deque[Prepared]) -> Iterator[SubmissionResult]:
        while todo or self.active:
            while todo and len(self.active) < self.engine.workers:
                self._start(self._supervise(todo.popleft()))
            self._wait()
            yield from self._collect_finished()

    def _supervise(self, prepared: Prepared) -> Supervision:
        workdir = tempfile.mkdtemp(prefix="sub-", dir=self.scratch)
        _copy_student_folder(prepared.submission, workdir)
        supervision = Supervision(prepared, self.engine.reference, self.engine.limits, workdir)
        self.started[supervision] = time.monotonic()
        return supervision

    def _start(self, sup: Supervision) -> None:
        now = time.monotonic()
        if sup.launches == 0:
            sup.first_start = now
        sup.launches += 1
        key = secrets.token_bytes(16)
        limits = {
            "memory_mib": sup.limits.memory_mib,
            "cpu_seconds": sup.cpu_budget(now),
            "file_mib": sup.limits.file_mib,
        }
        fds = self.server.launch(self.next_id, sup.job(key), sup.workdir, limits)
        launch = Launch(self.next_id, key, dict(zip(fds, ("result", "stdout", "stderr"), strict=True)), now)
        for fd in fds:
            self.selector.register(fd, selectors.EVENT_READ, ("pipe", self.next_id))
        self.active[self.next_id] = (sup, launch)
        sup.launch = launch
        self.next_id += 1

    def _wait(self) -> None:
        now = time.monotonic()
        deadlines = [sup.deadline(launch) for sup, launch in self.active.values() if launch.status is None]
        timeout = max(0.0, min(deadlines) - now) if deadlines else None
        for key, _ in self.selector.select(timeout):
            kind, launch_id = key.data
            if kind == "server":
                self._on_server_message()
            else:
                self._on_pipe(key.fd, launch_id)
        self._enforce_deadlines(time.monotonic())

    def _on_server_message(self) -> None:
        message, fds = self.server.receive()
        if message is None:
            raise GradingError(f"the grading fork server died. {self.server.error_output()}")
        entry = self.active.get(message["id"])
        if message["op"] == "started" and entry is not None:
            entry[1].pidfd = fds[0]
            if entry[1].kill_reason:  # the deadline passed before the pid arrived
                _kill(entry[1])
        elif message["op"] == "exited" and entry is not None:
            entry[1].status = message["status"]
        else:
            for fd in fds:
                os.close(fd)

    def _on_pipe(self, fd: int, launch_id: int) -> None:
        sup, launch = self.active[launch_id]
        try:
            data = os.read(fd, 1 << 16)
        except BlockingIOError:
            return
        stream = launch.fds[fd]
        if not data:
            self.selector.unregister(fd)
            os.close(fd)
            del launch.fds[fd]
            return
        if stream == "result":
            now = time.monotonic()
            for record in launch.decoder.feed(data):
                sup.on_record(launch, record, now)
        else:
            sup.on_output(stream, data)

    def _enforce_deadlines(self, now: float) -> None:
        for sup, launch in self.active.values():
            if launch.status is None and not launch.kill_reason and (reason := sup.timed_out(launch, now)):
                launch.kill_reason = reason
                _kill(launch)

    def _collect_finished(self) -> Iterator[SubmissionResult]:
        for launch_id, (sup, launch) in list(self.active.items()):
            if not launch.finished:
                continue
            del self.active[launch_id]
            if launch.pidfd is not None:
                os.close(launch.pidfd)
            if (
                launch.records == 0
                and os.WIFEXITED(launch.status or 0)
                and os.WEXITSTATUS(launch.status or 0) in (70, 71)
            ):
                raise GradingError(
                    f"a grading worker failed to start: {bytes(sup.output['stderr']).decode(errors='replace')[-2000:]}"
                )
            now = time.monotonic()
            if sup.on_launch_end(launch, now):
                self._start(sup)
                continue
            shutil.rmtree(sup.workdir, ignore_errors=True)
            if sup.sandbox:
                self.engine.server_info["sandbox"] = sup.sandbox
            yield sup.result(now - self.started.pop(sup))

    def stop(self) -> None:
        """Kill every worker still running (an interrupt or an error in the parent)."""
        for _, launch in self.active.values():
            _kill(launch)
            for fd in list(launch.fds):
                self.selector.unregister(fd)
                os.close(fd)
            if launch.pidfd is not None:
                os.close(launch.pidfd)
        self.active.clear()
        self.selector.close()


def _kill(launch: Launch) -> None:
    if launch.pidfd is None:
        return
    with contextlib.suppress(ProcessLookupError):  # already gone
        signal.pidfd_send_signal(launch.pidfd, signal.SIGKILL)


def _copy_student_folder(submission: Submission, workdir: str) -> None:
    """The submission file, and the rest of its student's folder when it has one (data files)."""
    source = submission.path.parent if "/" in submission.relative else None
    if source is None:
        shutil.copy2(submission.path, workdir)
        return
    copied = 0
    for path in sorted(source.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        copied += path.stat().st_size
        if copied > COPY_LIMIT:
            break
        target = Path(workdir) / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
