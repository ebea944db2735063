"""Stop a test that runs too long, with a message instead of a hung run.

On the main thread of a POSIX process (pytest's normal case, and each
xdist worker's) a SIGALRM timer raises inside the running code, so the
traceback shows exactly where the test was stuck.  Elsewhere (Windows, or
a non-main thread) a watchdog thread injects the exception asynchronously;
that reaches pure-Python loops, which is what hangs in student code.
"""

from __future__ import annotations

import ctypes
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from pytest_tinytorch.errors import TinyTorchError


class TestTimeout(TinyTorchError, TimeoutError):
    """A test or a module's cells ran past the time limit."""

    __test__ = False  # not a test class, whatever its name says


def timeout_message(what: str, seconds: float) -> str:
    return (
        f"{what} did not finish within {seconds:g} s and was stopped. "
        "Usual causes: an infinite loop (a while-loop whose condition never changes), "
        "or Python loops over array elements where one NumPy call would do. "
        "The traceback shows the line it was running when stopped. "
        "Raise the limit with --tinytorch-timeout=SECONDS (or ini tinytorch_timeout) if it is just slow."
    )


@contextmanager
def deadline(seconds: float | None, what: str) -> Iterator[None]:
    """Raise :class:`TestTimeout` in the body if it runs longer than ``seconds``."""
    if not seconds or seconds <= 0:
        yield
        return
    use_signal = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    with (_alarm if use_signal else _watchdog)(seconds, timeout_message(what, seconds)):
        yield


@contextmanager
def _alarm(seconds: float, message: str) -> Iterator[None]:
    def on_alarm(signum: int, frame: object) -> None:
        raise TestTimeout(message)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _watchdog(seconds: float, message: str) -> Iterator[None]:
    target = threading.get_ident()
    finished = threading.Event()

    class _Timeout(TestTimeout):
        def __init__(self) -> None:
            super().__init__(message)

    def fire() -> None:
        if not finished.wait(seconds):
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(_Timeout))

    watcher = threading.Thread(target=fire, name="tinytorch-timeout", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        finished.set()
        watcher.join()
