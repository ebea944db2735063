"""``tito grade`` and ``tito nbgrader``: thin commands over the grading plugin and the course."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from gradingcorpus import REFERENCE, WRONG_NORM, with_norm

from pytest_tinytorch.cli import build_parser
from pytest_tinytorch.cli import main as tito
from pytest_tinytorch.cli.grade import pytest_arguments

TITO = "import sys; from pytest_tinytorch.cli import main; sys.exit(main())"


def test_tito_grade_is_pytest_with_the_grading_option(tmp_path):
    args = build_parser().parse_args(
        ["grade", "subs", "--module", "01", "--workers", "3", "--fresh", "--gradebook", "gb.db"]
    )
    argv = pytest_arguments(args, tmp_path)
    assert f"--tinytorch-grade={Path('subs').resolve()}" in argv and "--tinytorch-module=01" in argv
    assert {
        "--tinytorch-grade-workers=3",
        "--tinytorch-grade-fresh",
        "--tinytorch-gradebook=gb.db",
        "--noconftest",
    } <= set(argv)
    assert "-q" in argv and "--tb=no" in argv


def test_tito_grade_grades_a_folder_and_says_where_everything_went(course):
    subs = course / "subs"
    subs.mkdir()
    (subs / "alice.py").write_text(REFERENCE)
    (subs / "bob.py").write_text(with_norm(WRONG_NORM))
    done = subprocess.run(
        [sys.executable, "-c", TITO, "--root", str(course), "grade", str(subs), "--module", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr  # graded, whatever the scores
    lines = done.stdout.splitlines()
    assert "[2/2] bob: 7/12" in "\n".join(lines) or "[1/2] bob: 7/12" in "\n".join(lines)
    assert any("alice" in line and "12 / 12" in line for line in lines)
    assert any(line.strip().startswith("junit") and line.strip().endswith("grades/01_demo/junit.xml") for line in lines)
    assert (course / "grades" / "01_demo" / "feedback" / "bob.md").is_file()


def test_tito_grade_names_an_unknown_module(course, capsys):
    assert tito(["--root", str(course), "grade", str(course), "--module", "99"]) == 2
    assert "module='99'" in capsys.readouterr().err
    assert "PYTEST_DISABLE_PLUGIN_AUTOLOAD" not in os.environ  # nothing leaks into the caller's process


def test_tito_nbgrader_generate_needs_a_module(course, capsys):
    assert tito(["--root", str(course), "nbgrader", "generate"]) == 2
    assert "pass --all" in capsys.readouterr().out


def test_tito_help_lists_the_grading_commands():
    help_text = build_parser().format_help()
    assert "grade" in help_text and "nbgrader" in help_text
    nbgrader = build_parser()._subparsers._group_actions[0].choices["nbgrader"]  # type: ignore[union-attr]
    assert isinstance(nbgrader, argparse.ArgumentParser)
    assert all(step in nbgrader.format_help() for step in ("generate", "release", "collect", "autograde", "feedback"))
