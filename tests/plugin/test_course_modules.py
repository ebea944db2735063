"""The real course modules under both executors (the in-process run is part of every `pytest`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_every_course_module_passes_in_a_jupyter_kernel_too():
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "modules", "-q", "-p", "no:cacheprovider", "--tinytorch-executor=kernel"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-4000:]
    assert " failed" not in done.stdout.splitlines()[-1]
