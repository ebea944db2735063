"""Confine a freshly forked worker before any student code runs.

What this Linux offers, and what each layer stops (measured in
tests/grading/test_sandbox.py; docs/grading.md has the full story):

- **rlimits** (any POSIX): address space (memory bombs get ``MemoryError``),
  CPU seconds (``SIGXCPU``), file size (``EFBIG``), no core dumps, few fds.
- **Landlock** (Linux >= 5.13, unprivileged, applies to root too): writes,
  deletes and renames only beneath the worker's own folder (and
  ``/dev/null``); from ABI 4 no TCP bind/connect; from ABI 6 no signals to
  processes outside the sandbox.
- **seccomp** (x86_64 / aarch64): no new processes (``fork``, ``vfork``,
  non-thread ``clone``) and no ``execve``, so no fork bombs and no shell
  commands.  ``RLIMIT_NPROC`` cannot do this for root, and grading often
  runs as root in CI containers.

Each layer is applied if available and reported; a missing one never stops
grading (the audit hook in :mod:`guards` and the parent's snapshot checks
still catch the common cases).  All of it is irreversible for the process.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import platform
import resource
import signal
import struct
from typing import Any

_SYS = {  # syscall numbers: landlock_create_ruleset, _add_rule, _restrict_self
    "x86_64": (444, 445, 446),
    "aarch64": (444, 445, 446),
}
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_PR_SET_PDEATHSIG = 1
_SECCOMP_MODE_FILTER = 2

# Landlock filesystem rights that change the filesystem (reads stay allowed).
_LL_WRITE_FILE = 1 << 1
_LL_WRITE_ABI1 = _LL_WRITE_FILE | sum(1 << bit for bit in range(4, 13))  # remove/make dir, file, sock, fifo, ...
_LL_REFER = 1 << 13  # ABI 2: link/rename across folders
_LL_TRUNCATE = 1 << 14  # ABI 3
_LL_NET_TCP = 1 | 2  # ABI 4: bind, connect
_LL_SCOPE = 1 | 2  # ABI 6: abstract unix sockets, signals

KEEP_ENV = (
    "PATH",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "PYTHONHASHSEED",
    "PYTHONDONTWRITEBYTECODE",
)


def _libc() -> Any:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux only)."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: nothing to ask
        _libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def landlock_abi() -> int:
    """The Landlock ABI version this kernel offers, or 0."""
    numbers = _SYS.get(platform.machine())
    if numbers is None:
        return 0
    try:
        version = _libc().syscall(numbers[0], None, 0, 1)  # LANDLOCK_CREATE_RULESET_VERSION
    except (OSError, AttributeError):
        return 0
    return max(int(version), 0)


def scrub_environment(workdir: str) -> None:
    """Only harmless variables survive (no CI tokens); home and temp point into the folder."""
    kept = {name: os.environ[name] for name in KEEP_ENV if name in os.environ}
    os.environ.clear()
    os.environ.update(kept)
    for name in ("HOME", "TMPDIR", "MPLCONFIGDIR"):
        os.environ[name] = workdir
    os.environ["MPLBACKEND"] = "Agg"


def baseline_address_space() -> int:
    """This process's current virtual memory size in bytes."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def apply_rlimits(memory_mib: int, cpu_seconds: float, file_mib: int) -> dict[str, Any]:
    """Memory, CPU, file size, core dumps, open files.  Returns what was set."""
    address_space = baseline_address_space() + memory_mib * 2**20
    cpu = max(1, int(cpu_seconds + 0.999))
    limits = {
        resource.RLIMIT_AS: address_space,
        resource.RLIMIT_CPU: (cpu, cpu + 2),
        resource.RLIMIT_FSIZE: file_mib * 2**20,
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_NOFILE: 256,
    }
    for which, value in limits.items():
        soft, hard = value if isinstance(value, tuple) else (value, value)
        resource.setrlimit(which, (soft, hard))
    # A file past the limit should fail the write (EFBIG), not kill the worker.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    return {"address_space_mib": address_space // 2**20, "cpu_seconds": cpu, "file_mib": file_mib}


def no_new_privileges() -> bool:
    return _libc().prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0


def apply_landlock(writable_dir: str) -> int:
    """Allow filesystem changes only beneath ``writable_dir``; returns the ABI used (0: not applied)."""
    abi = landlock_abi()
    if abi < 1:
        return 0
    libc = _libc()
    create, add_rule, restrict = _SYS[platform.machine()]
    handled_fs = _LL_WRITE_ABI1 | (_LL_REFER if abi >= 2 else 0) | (_LL_TRUNCATE if abi >= 3 else 0)
    attr = struct.pack("=QQQ", handled_fs, _LL_NET_TCP if abi >= 4 else 0, _LL_SCOPE if abi >= 6 else 0)
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    buffer = ctypes.create_string_buffer(attr[:size], size)
    ruleset = libc.syscall(create, buffer, size, 0)
    if ruleset < 0:
        return 0
    try:
        file_rights = _LL_WRITE_FILE | (_LL_TRUNCATE if abi >= 3 else 0)
        rules = [(writable_dir, handled_fs), ("/dev/null", file_rights)]
        for path, rights in rules:
            if not _add_path_rule(libc, add_rule, ruleset, path, rights):
                return 0
        if not no_new_privileges() or libc.syscall(restrict, ruleset, 0) != 0:
            return 0
    finally:
        os.close(ruleset)
    return abi


def _add_path_rule(libc: Any, add_rule: int, ruleset: int, path: str, rights: int) -> bool:
    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    try:
        rule = ctypes.create_string_buffer(struct.pack("=Qi", rights, fd), 12)  # packed landlock_path_beneath_attr
        return libc.syscall(add_rule, ruleset, 1, rule, 0) == 0  # LANDLOCK_RULE_PATH_BENEATH
    finally:
        os.close(fd)


# --- seccomp: no new processes, no exec ---------------------------------------

_ARCH = {  # audit arch, fork, vfork, execve, execveat, clone, clone3  (None: no such syscall)
    "x86_64": (0xC000003E, 57, 58, 59, 322, 56, 435),
    "aarch64": (0xC00000B7, None, None, 221, 281, 220, 435),
}
_CLONE_THREAD = 0x00010000
_RET_ALLOW = 0x7FFF0000
_RET_EPERM = 0x00050000 | 1
_RET_ENOSYS = 0x00050000 | 38


def _seccomp_program(arch: tuple[int | None, ...]) -> list[tuple[int, int, int, int]]:
    """A BPF filter: deny fork/vfork/exec and non-thread clone; clone3 -> ENOSYS (glibc falls back to clone).

    Written with labels and assembled, so the jump offsets cannot drift.
    """
    audit_arch, fork, vfork, execve, execveat, clone, clone3 = arch
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    code: list[tuple[int, Any, Any, Any]] = [
        (ld, 0, 0, 4),  # seccomp_data.arch
        (jeq, 0, "deny", audit_arch),  # another ABI (e.g. i386 via int 0x80): deny
        (ld, 0, 0, 0),  # seccomp_data.nr
        (jge, "deny", 0, 0x40000000),  # x32 system calls: deny
        *((jeq, "deny", 0, n) for n in (fork, vfork, execve, execveat) if n is not None),
        (jeq, "enosys", 0, clone3),
        (jeq, 0, "allow", clone),
        (ld, 0, 0, 16),  # args[0], low 32 bits: the clone flags
        (jset, "allow", "deny", _CLONE_THREAD),
    ]
    labels = {"allow": len(code), "deny": len(code) + 1, "enosys": len(code) + 2}
    code += [(ret, 0, 0, _RET_ALLOW), (ret, 0, 0, _RET_EPERM), (ret, 0, 0, _RET_ENOSYS)]

    def offset(pc: int, target: str | int) -> int:
        return labels[target] - pc - 1 if isinstance(target, str) else target

    return [(op, offset(pc, jt), offset(pc, jf), k) for pc, (op, jt, jf, k) in enumerate(code)]


def apply_seccomp() -> bool:
    """Install the no-new-process filter; True if it is in force."""
    arch = _ARCH.get(platform.machine())
    if arch is None:
        return False
    program = _seccomp_program(arch)
    raw = b"".join(struct.pack("=HBBI", code, jt, jf, k) for code, jt, jf, k in program)
    filters = ctypes.create_string_buffer(raw, len(raw))

    class _Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = _Program(len(program), ctypes.cast(filters, ctypes.c_void_p))
    libc = _libc()
    if not no_new_privileges():
        return False
    return libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) == 0


def confine(workdir: str, memory_mib: int, cpu_seconds: float, file_mib: int) -> dict[str, Any]:
    """Everything above, in order; returns what is in force (the parent reports it)."""
    os.chdir(workdir)
    scrub_environment(workdir)
    applied: dict[str, Any] = apply_rlimits(memory_mib, cpu_seconds, file_mib)
    applied["seccomp"] = apply_seccomp()
    if not applied["seccomp"]:
        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))  # not enforced for root; better than nothing
    applied["landlock_abi"] = apply_landlock(workdir)
    return applied
