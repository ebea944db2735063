"""What the worker sandbox really stops on this machine (measured, not assumed).

A child process confines itself exactly as a grading worker does and then
tries each thing a submission should not be able to do; the test asserts
what was refused.  Layers the kernel lacks are skipped with the reason, so
the report says what this machine enforces.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pytest_tinytorch.grading import sandbox

PROBE = r"""
import json, os, socket, sys, threading
from pytest_tinytorch.grading import sandbox
workdir, outside = sys.argv[1], sys.argv[2]
applied = sandbox.confine(workdir, memory_mib=256, cpu_seconds=20, file_mib=1)
found = {"applied": applied}

def attempt(name, action):
    try:
        action()
        found[name] = "allowed"
    except BaseException as error:
        found[name] = type(error).__name__

def fork():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)

attempt("write_inside", lambda: open(os.path.join(workdir, "ok.txt"), "w").write("ok"))
attempt("write_outside", lambda: open(outside, "w").write("pwned"))
attempt("delete_outside", lambda: os.remove(sys.argv[3]))
attempt("fork", fork)
attempt("exec", lambda: os.execv("/bin/true", ["true"]))
attempt("thread", lambda: (lambda t: (t.start(), t.join()))(threading.Thread(target=lambda: None)))
attempt("allocate_1gib", lambda: bytearray(2**30))
attempt("file_over_limit", lambda: open(os.path.join(workdir, "big"), "wb").write(b"x" * 2 * 2**20))
attempt("tcp_connect", lambda: socket.create_connection(("127.0.0.1", 9), timeout=2))
attempt("signal_parent", lambda: os.kill(os.getppid(), 0))
found["environment"] = sorted(os.environ)
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("sandbox")
    workdir, protected = base / "work", base / "protected.txt"
    workdir.mkdir()
    protected.write_text("the instructor's file")
    env = {"PATH": "/usr/bin:/bin", "GITHUB_TOKEN": "secret", "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(workdir), str(base / "outside.txt"), str(protected)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    found["protected_intact"] = protected.read_text() == "the instructor's file"
    found["outside_written"] = (base / "outside.txt").exists()
    return found


def test_the_worker_can_still_do_its_work(probe):
    assert probe["write_inside"] == "allowed" and probe["thread"] == "allowed"


def test_memory_and_file_size_are_limited(probe):
    assert probe["allocate_1gib"] == "MemoryError"
    assert probe["file_over_limit"] == "OSError"  # EFBIG, not a killed worker


def test_no_new_processes(probe):
    if not probe["applied"]["seccomp"]:
        pytest.skip("seccomp is not available here; RLIMIT_NPROC is used instead (not enforced for root)")
    assert probe["fork"] == "PermissionError" and probe["exec"] == "PermissionError"


@pytest.mark.skipif(
    sandbox.landlock_abi() < 1, reason="this kernel has no Landlock; writes are refused by the audit hook only"
)
def test_writes_outside_the_workers_folder_are_refused_by_the_kernel(probe):
    assert probe["applied"]["landlock_abi"] >= 1
    assert probe["write_outside"] == "PermissionError" and probe["delete_outside"] == "PermissionError"
    assert not probe["outside_written"] and probe["protected_intact"]


@pytest.mark.skipif(sandbox.landlock_abi() < 4, reason="Landlock ABI < 4: no network rules on this kernel")
def test_no_network(probe):
    assert probe["tcp_connect"] == "PermissionError"


@pytest.mark.skipif(sandbox.landlock_abi() < 6, reason="Landlock ABI < 6: no signal scoping on this kernel")
def test_no_signals_to_the_grader(probe):
    assert probe["signal_parent"] == "PermissionError"


def test_secrets_in_the_environment_do_not_reach_student_code(probe):
    assert "GITHUB_TOKEN" not in probe["environment"]
    assert {"HOME", "TMPDIR", "PATH"} <= set(probe["environment"])


def test_the_seccomp_program_jumps_land_on_its_return_instructions():
    for arch in sandbox._ARCH.values():
        program = sandbox._seccomp_program(arch)
        for pc, (code, jt, jf, _) in enumerate(program):
            if code & 0x07 == 0x05:  # a jump: both targets must be inside the program
                assert pc + 1 + max(jt, jf) < len(program)
        assert [k for code, _, _, k in program[-3:]] == [sandbox._RET_ALLOW, sandbox._RET_EPERM, sandbox._RET_ENOSYS]
