"""The fork server: one process that imports NumPy and the harness once, then forks a worker per launch.

Starting a fresh interpreter and importing NumPy costs ~0.25 s; a fork costs
~5 ms.  The server imports everything a worker needs, records the trusted
baseline (:mod:`guards`) before any student code exists anywhere, and then
only forks.  It never runs student code itself: each child confines itself
(:mod:`sandbox`) and runs the harness (:mod:`worker`).

Parent and server talk over a ``SOCK_SEQPACKET`` socket pair, one JSON message
per packet, passing file descriptors alongside::

    parent -> server  {"op": "launch", "id": 3, "workdir": ..., "limits": {...}}
                      + fds [job (memfd), result pipe, stdout pipe, stderr pipe]  (write ends)
    server -> parent  {"op": "started", "id": 3, "pid": 1234} + [pidfd]
    server -> parent  {"op": "exited", "id": 3, "status": <waitpid status>}

The parent keeps the read ends and a pidfd per worker, so it can kill a worker
without racing PID reuse.  If the parent dies, the server dies (the kernel's
parent-death signal, and EOF on the socket), and takes its workers with it.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pytest_tinytorch.errors import TinyTorchError

PACKET = 1 << 16
READY_TIMEOUT = 60.0
THREAD_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}  # one BLAS thread per worker; forking after threads start can deadlock


class GradingError(TinyTorchError, RuntimeError):
    """The grading machinery itself failed (not a submission)."""


# --- parent side -------------------------------------------------------------------------


class ForkServer:
    """The parent's handle on a running fork server."""

    def __init__(self, preload: list[str], cwd: str | Path) -> None:
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115  (open for the server's lifetime; closed in close())
        env = {**os.environ, **THREAD_ENV}
        command = [
            sys.executable,
            "-I",
            "-B",
            "-m",
            "pytest_tinytorch.grading.zygote",
            str(theirs.fileno()),
            json.dumps(preload),
        ]
        self.process = subprocess.Popen(
            command,
            pass_fds=[theirs.fileno()],
            cwd=str(cwd),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
        )
        theirs.close()
        self._info: dict[str, Any] | None = None  # its "ready" message; it starts while the parent does other work

    @property
    def info(self) -> dict[str, Any]:
        """What the server reported when ready (waits for it the first time)."""
        if self._info is None:
            self._info = self._wait_ready()
        return self._info

    def _wait_ready(self) -> dict[str, Any]:
        self.sock.settimeout(READY_TIMEOUT)
        try:
            message, _ = self.receive()
        except (OSError, ValueError) as error:
            raise GradingError(f"the grading fork server did not start: {error}. {self.error_output()}") from None
        finally:
            self.sock.settimeout(None)
        if message is None or message.get("op") != "ready":
            raise GradingError(f"the grading fork server did not start. {self.error_output()}")
        return message

    def error_output(self) -> str:
        self.stderr.seek(0)
        text = self.stderr.read().decode(errors="replace").strip()
        return f"Its error output:\n{text[-4000:]}" if text else "It wrote no error output."

    def fileno(self) -> int:
        return self.sock.fileno()

    def launch(self, launch_id: int, job: bytes, workdir: str, limits: dict[str, Any]) -> tuple[int, int, int]:
        """Start a worker; returns the read ends (result, stdout, stderr).  The pid arrives later."""
        self.info  # noqa: B018  (only once it is ready)
        job_fd = _memfd(job)
        pipes = [os.pipe() for _ in range(3)]
        message = json.dumps({"op": "launch", "id": launch_id, "workdir": workdir, "limits": limits}).encode()
        try:
            socket.send_fds(self.sock, [message], [job_fd, *(w for _, w in pipes)])
        finally:
            for fd in (job_fd, *(w for _, w in pipes)):
                os.close(fd)
        for read_end, _ in pipes:
            os.set_blocking(read_end, False)
        return pipes[0][0], pipes[1][0], pipes[2][0]

    def warm(self, instructor_cells: list[str]) -> None:
        """Hand the server the instructor's cells to prepare once for all workers."""
        self.info  # noqa: B018  (only once it is ready)
        cells_fd = _memfd(json.dumps(instructor_cells).encode())
        try:
            socket.send_fds(self.sock, [json.dumps({"op": "warm"}).encode()], [cells_fd])
        finally:
            os.close(cells_fd)

    def receive(self) -> tuple[dict[str, Any] | None, list[int]]:
        """One message from the server (None: it is gone) and any file descriptors with it."""
        data, fds, _, _ = socket.recv_fds(self.sock, PACKET, 4)
        if not data:
            return None, fds
        return json.loads(data), fds

    def close(self) -> None:
        try:
            self.sock.close()
        finally:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.stderr.close()


def _memfd(data: bytes) -> int:
    """An anonymous in-memory file holding ``data``, positioned at its start."""
    fd = os.memfd_create("tinytorch-grading", os.MFD_CLOEXEC)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


# --- server side --------------------------------------------------------------------------


def _preload(names: list[str]) -> list[str]:
    import importlib

    failed = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as error:  # a module the notebook imports may simply not exist here
            failed.append(f"{name}: {type(error).__name__}")
    return failed


class _Server:
    def __init__(self, sock: socket.socket, trusted: Any) -> None:
        self.sock = sock
        self.trusted = trusted
        self.children: dict[int, int] = {}  # pid -> launch id
        self.wakeup_r, wakeup_w = os.pipe()
        os.set_blocking(self.wakeup_r, False)
        os.set_blocking(wakeup_w, False)
        self.wakeup_w = wakeup_w
        signal.set_wakeup_fd(wakeup_w)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)  # a handler makes the wakeup fd fire
        self.selector = selectors.DefaultSelector()
        self.selector.register(sock, selectors.EVENT_READ)
        self.selector.register(self.wakeup_r, selectors.EVENT_READ)

    def serve(self) -> None:
        while True:
            for key, _ in self.selector.select():
                if key.fileobj is self.sock:
                    if not self._handle_request():
                        return
                else:
                    self._reap()

    def _handle_request(self) -> bool:
        data, fds, _, _ = socket.recv_fds(self.sock, PACKET, 8)
        if not data:
            return False
        request = json.loads(data)
        if request.get("op") == "warm":
            with os.fdopen(fds[0], "rb") as handle:
                self._warm(json.loads(handle.read()))
            return True
        if request.get("op") != "launch":
            return False
        gc.freeze()  # the server's objects stay shared: a worker's GC then never touches (copies) their pages
        pid = os.fork()
        if pid == 0:
            self._become_worker(request, fds)
        for fd in fds:
            os.close(fd)
        self.children[pid] = request["id"]
        pidfd = os.pidfd_open(pid)
        try:
            socket.send_fds(
                self.sock, [json.dumps({"op": "started", "id": request["id"], "pid": pid}).encode()], [pidfd]
            )
        finally:
            os.close(pidfd)
        return True

    def _warm(self, sources: list[str]) -> None:
        """Parse the instructor's cells once here, so every worker inherits them ready to compile."""
        from pytest_tinytorch.grading.worker import trusted_tree

        for source in sources:
            tree = trusted_tree(source)
            if tree is not None:
                self.trusted.trees[source] = tree

    def _reap(self) -> None:
        try:
            while os.read(self.wakeup_r, 4096):
                pass
        except BlockingIOError:
            pass
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            launch_id = self.children.pop(pid, None)
            if launch_id is not None:
                self.sock.send(json.dumps({"op": "exited", "id": launch_id, "status": status}).encode())

    def shutdown(self) -> None:
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):  # already exited
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while self.children and time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            self.children.pop(pid, None)

    def _become_worker(self, request: dict[str, Any], fds: list[int]) -> None:
        """In the forked child: take the pipes, confine, run the harness.  Never returns."""
        try:
            self._detach()
            job_fd, result_w, out_w, err_w = fds
            with os.fdopen(job_fd, "rb", closefd=True) as handle:
                job = json.loads(handle.read())
            _arrange_fds(result_w, out_w, err_w)
            from pytest_tinytorch.grading import sandbox, worker

            limits = request["limits"]
            applied = sandbox.confine(
                request["workdir"], limits["memory_mib"], limits["cpu_seconds"], limits["file_mib"]
            )
            tempfile.tempdir = request["workdir"]
            job["sandbox"] = applied
            worker.run_job(job, self.trusted, 3)
        except BaseException as error:  # setup failed: say so on stderr, exit with a status the parent knows
            try:
                os.write(2, f"tinytorch grading worker setup failed: {type(error).__name__}: {error}\n".encode())
            finally:
                os._exit(71)

    def _detach(self) -> None:
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(signum, signal.SIG_DFL)
        self.selector.close()
        self.sock.close()
        os.close(self.wakeup_r)
        os.close(self.wakeup_w)
        os.setsid()  # its own session: no terminal, and Ctrl-C reaches the parent only
        from pytest_tinytorch.grading import sandbox

        sandbox.die_with_parent()


def _arrange_fds(result_w: int, out_w: int, err_w: int) -> None:
    """0 = /dev/null, 1 = stdout pipe, 2 = stderr pipe, 3 = result pipe; nothing else open."""
    null = os.open(os.devnull, os.O_RDONLY)
    moved = [os.dup(fd) for fd in (null, out_w, err_w, result_w)]  # above 3, so dup2 below cannot clobber
    for target, fd in enumerate(moved):
        os.dup2(fd, target, inheritable=False)
    os.closerange(4, 1 << 16)


def main(argv: list[str]) -> int:
    sock = socket.socket(fileno=int(argv[1]))
    from pytest_tinytorch.grading import sandbox

    sandbox.die_with_parent()
    import numpy  # noqa: F401  (the expensive import, done once)

    failed = _preload(json.loads(argv[2]))
    from pytest_tinytorch.grading import guards, worker

    is_plain, baseline = guards.prepare_trusted_process()
    trusted = worker.Trusted(is_plain=is_plain, baseline=baseline)
    ready = {"op": "ready", "pid": os.getpid(), "landlock_abi": sandbox.landlock_abi(), "preload_failed": failed}
    sock.send(json.dumps(ready).encode())
    server = _Server(sock, trusted)
    try:
        server.serve()
    finally:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
