"""The student's progress: one store, ``<course>/.tito/progress.json``.

Everything ``tito`` knows about a student's progress lives in this one file,
read and written only through this module.  The API (stable; other commands,
e.g. ``tito milestone``, build on it)::

    from pytest_tinytorch.progress import ProgressStore

    store = ProgressStore(root)              # root: the course folder
    progress = store.load()                  # a snapshot; an empty Progress if there is no file yet
    progress.modules["01_tensor"].completed  # ModuleRecord fields, see below

    with store.update() as progress:         # lock, load, change, save atomically on success
        progress.mark_started("01_tensor")
        progress.mark_completed("01_tensor", points_earned=50, points_possible=50,
                                tested="workspace/01_tensor/tensor.ipynb")
        progress.record_milestone("01_perceptron", result={"accuracy": 1.0}, target_met=True)

    with store.lock("tito module complete 01"):   # hold the course for a whole command
        ...                                        # update() inside is re-entrant

Keys are the catalog's folder names (``ModuleInfo.slug``, ``Milestone.slug``):
one key format for everything.  Dates are ISO 8601 with the local UTC offset.

Guarantees:

- Writes go through :func:`fsutil.atomic_write_text` (temp file + rename):
  a crash leaves the old file or the new one, never half of one.
- Changes happen under an exclusive file lock (``.tito/lock``), so two
  ``tito`` processes cannot interleave; a second one gets
  :class:`CourseLockedError` naming the holder (pid and command).  The lock is
  released by the OS when a process dies, so it never goes stale.
- A store that is not valid JSON, or not in this schema, raises
  :class:`CorruptProgressError` and is left exactly as it is.  Only an explicit
  :meth:`ProgressStore.repair` (``tito module status --repair``) moves it aside,
  to ``progress.json.corrupt-<timestamp>``, and starts a fresh store.
- A store written by a newer ``tito`` (higher ``schema``) raises
  :class:`NewerProgressError` instead of being overwritten by an older one.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from pytest_tinytorch.errors import TinyTorchError
from pytest_tinytorch.fsutil import atomic_write_text

STATE_DIR = ".tito"
STORE_NAME = "progress.json"
LOCK_NAME = "lock"
SCHEMA = 1


class CorruptProgressError(TinyTorchError, ValueError):
    """The progress store exists but cannot be read; it has not been changed."""


class NewerProgressError(TinyTorchError, ValueError):
    """The progress store was written by a newer tito than this one."""


class CourseLockedError(TinyTorchError, RuntimeError):
    """Another tito process is changing this course right now."""


def now() -> str:
    """The current local time, ISO 8601 to the second, with its UTC offset."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


@dataclass
class ModuleRecord:
    """What happened to one module.  ``completed`` is set only by a passing, exported, verified run."""

    started: str | None = None
    completed: str | None = None
    points_earned: float | None = None  # from the completing run's test results
    points_possible: float | None = None
    tested: str | None = None  # the file that run tested, relative to the course root


@dataclass
class MilestoneRecord:
    """The latest run of one milestone: what it measured and whether that met its target."""

    date: str
    target_met: bool
    result: dict[str, Any] = field(default_factory=dict)  # measured values, e.g. {"accuracy": 0.98}


@dataclass
class Progress:
    """The whole store in memory.  Change it only inside :meth:`ProgressStore.update`."""

    modules: dict[str, ModuleRecord] = field(default_factory=dict)
    milestones: dict[str, MilestoneRecord] = field(default_factory=dict)

    def module(self, slug: str) -> ModuleRecord:
        """The record for ``slug`` (a blank one, not stored, if there is none)."""
        return self.modules.get(slug, ModuleRecord())

    def mark_started(self, slug: str, when: str | None = None) -> ModuleRecord:
        """Note the first start of a module; a later start keeps the first date."""
        record = self.modules.setdefault(slug, ModuleRecord())
        record.started = record.started or when or now()
        return record

    def mark_completed(
        self, slug: str, *, points_earned: float, points_possible: float, tested: str, when: str | None = None
    ) -> ModuleRecord:
        record = self.mark_started(slug, when)
        record.completed = when or now()
        record.points_earned = points_earned
        record.points_possible = points_possible
        record.tested = tested
        return record

    def clear_completion(self, slug: str) -> None:
        """Forget a completion (after a reset unexported the module); the start date stays."""
        record = self.modules.get(slug)
        if record is not None:
            record.completed = record.points_earned = record.points_possible = record.tested = None

    def completed_slugs(self) -> set[str]:
        return {slug for slug, record in self.modules.items() if record.completed}

    def record_milestone(
        self, slug: str, *, result: dict[str, Any], target_met: bool, when: str | None = None
    ) -> MilestoneRecord:
        """Store a milestone run (replacing the previous one). ``result`` must be JSON-serialisable."""
        json.dumps(result)  # fail here, not halfway through a save
        record = MilestoneRecord(date=when or now(), target_met=bool(target_met), result=dict(result))
        self.milestones[slug] = record
        return record

    def to_json(self) -> str:
        data = {
            "schema": SCHEMA,
            "modules": {slug: asdict(r) for slug, r in sorted(self.modules.items())},
            "milestones": {slug: asdict(r) for slug, r in sorted(self.milestones.items())},
        }
        return json.dumps(data, indent=2) + "\n"


class ProgressStore:
    """The progress file of the course at ``root``; see the module docstring for the API."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()  # one lock path per course, however it was named
        self.dir = self.root / STATE_DIR
        self.path = self.dir / STORE_NAME

    def load(self) -> Progress:
        """Read the store; raises CorruptProgressError / NewerProgressError, never changes the file."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return Progress()
        except (OSError, UnicodeDecodeError) as error:
            raise self._corrupt(f"it cannot be read ({error})") from None
        return self._parse(text)

    @contextlib.contextmanager
    def update(self, wait: float = 5.0) -> Iterator[Progress]:
        """Lock, load, yield the progress to change, and save it if the block did not raise."""
        with self.lock(wait=wait):
            progress = self.load()
            yield progress
            atomic_write_text(self.path, progress.to_json())

    def lock(self, command: str | None = None, wait: float = 0.0) -> CourseLock:
        """The course's exclusive lock (re-entrant within one process).

        ``command`` is what a refused process is told is running (default: this
        process's command line); ``wait`` is how long to retry before giving up.
        """
        return CourseLock(self.dir / LOCK_NAME, command or _command_line(), wait)

    def repair(self) -> Path | None:
        """Move an unreadable store aside (kept, never deleted) and start a fresh one.

        Returns where the old file went, or None if the store was fine.
        """
        with self.lock("tito module status --repair"):
            try:
                self.load()
                return None
            except CorruptProgressError:
                pass
            aside = self.path.with_name(f"{STORE_NAME}.corrupt-{datetime.now():%Y%m%d-%H%M%S}")
            os.replace(self.path, aside)
            atomic_write_text(self.path, Progress().to_json())
            return aside

    # --- parsing --------------------------------------------------------------

    def _parse(self, text: str) -> Progress:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise self._corrupt(
                f"it is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("schema"), int):
            raise self._corrupt('it has no "schema" number at the top level')
        if data["schema"] > SCHEMA:
            raise NewerProgressError(
                f"{self.path} uses schema={data['schema']}, but this tito only knows schema={SCHEMA}: "
                "it was written by a newer tito. Upgrade this one (pip install -U tinytorch); "
                "the file has not been changed."
            )
        return Progress(
            modules=self._records(data, "modules", ModuleRecord),
            milestones=self._records(data, "milestones", MilestoneRecord),
        )

    def _records(self, data: dict[str, Any], key: str, kind: type) -> dict[str, Any]:
        section = data.get(key, {})
        if not isinstance(section, dict):
            raise self._corrupt(f'"{key}" should be an object of records, not {type(section).__name__}')
        known = {f.name: f for f in fields(kind)}
        records = {}
        for slug, raw in section.items():
            where = f'"{key}" -> "{slug}"'
            if not isinstance(raw, dict):
                raise self._corrupt(f"{where} should be an object, not {type(raw).__name__}")
            unknown = set(raw) - set(known)
            if unknown:
                raise self._corrupt(f"{where} has unknown field(s) {sorted(unknown)}")
            for name, value in raw.items():
                wanted = _type_problem(known[name].type, value)
                if wanted is not None:
                    raise self._corrupt(f"{where} -> {name}={value!r} should be {wanted}")
            try:
                records[slug] = kind(**raw)
            except TypeError as error:
                raise self._corrupt(f"{where}: {error}") from None
        return records

    def _corrupt(self, why: str) -> CorruptProgressError:
        return CorruptProgressError(
            f"the progress store {self.path} is damaged: {why}. Nothing has been changed. "
            "Fix the file by hand, or run 'tito module status --repair' to move it aside "
            f"(kept as {STORE_NAME}.corrupt-<time>) and start a fresh store; then "
            "'tito module complete NN' records each finished module again."
        )


# Field types as written in the dataclasses above (they are strings, from __future__ annotations).
_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "str | None": ((str, type(None)), "a string or null"),
    "float | None": ((int, float, type(None)), "a number or null"),
    "str": ((str,), "a string"),
    "bool": ((bool,), "true or false"),
    "dict[str, Any]": ((dict,), "an object"),
}


def _type_problem(annotation: Any, value: Any) -> str | None:
    """None if ``value`` fits the field's annotation, else what it should be."""
    allowed, wanted = _TYPES.get(str(annotation), ((object,), ""))
    # bool is an int: a points field of ``true`` is a hand-editing slip, not a number.
    ok = isinstance(value, allowed) and not (isinstance(value, bool) and bool not in allowed)
    return None if ok else wanted


# --- the lock ------------------------------------------------------------------

_HELD: dict[Path, tuple[int, int]] = {}  # lock path -> (fd, depth): re-entrancy within one process


class CourseLock:
    """An exclusive lock on ``.tito/lock`` (``flock``; ``msvcrt`` on Windows).

    The lock file records who holds it, so the process that is refused can say
    which command is running.  Re-entrant: nested ``with`` blocks in one process
    share one lock (tito is single-threaded; threads would share it too).
    """

    def __init__(self, path: Path, command: str, wait: float) -> None:
        self.path = path
        self.command = command
        self.wait = wait

    def __enter__(self) -> CourseLock:
        held = _HELD.get(self.path)
        if held is not None:
            _HELD[self.path] = (held[0], held[1] + 1)
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            self._acquire(fd)
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps({"pid": os.getpid(), "command": self.command, "since": now()}).encode())
        except BaseException:
            os.close(fd)
            raise
        _HELD[self.path] = (fd, 1)
        return self

    def __exit__(self, *exc: object) -> None:
        fd, depth = _HELD[self.path]
        if depth > 1:
            _HELD[self.path] = (fd, depth - 1)
            return
        del _HELD[self.path]
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        _unlock(fd)
        os.close(fd)

    def _acquire(self, fd: int) -> None:
        deadline = time.monotonic() + self.wait
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise CourseLockedError(self._held_message())
            time.sleep(0.05)

    def _held_message(self) -> str:
        try:
            holder = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            holder = {}
        who = (
            f"'{holder.get('command', 'tito')}' (pid {holder.get('pid', '?')}, since {holder.get('since', '?')})"
            if holder
            else "another tito process"
        )
        return (
            f"{who} is changing this course right now ({self.path} is locked). "
            f"Wait for it to finish, then run your command again. Nothing was changed by '{self.command}'."
        )


def _command_line() -> str:
    return " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv and sys.argv[0] else "python"


def _try_lock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
            return True
        except OSError:
            return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _unlock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        with contextlib.suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
        return
    fcntl.flock(fd, fcntl.LOCK_UN)
