"""Grading: nbgrader-compatible releases and fast, tamper-resistant autograding.

The parent process (pytest or ``tito``) never runs student code.  It parses
each submission, restores the instructor's locked cells, and hands the result
to a fork server (:mod:`.zygote`) that forks one sandboxed worker per
submission (:mod:`.worker`).  Workers stream one record per cell and per test
back over a pipe; the parent (:mod:`.engine`) enforces the time limits,
decides every outcome from those records and from how the worker ended, and
computes the points from the instructor's copy.  See docs/grading.md for the
threat model.

Module map:

| module | its one job |
|---|---|
| ``plugin`` | the ``tinytorch-grading`` pytest11 entry point: options and hooks, imports nothing heavy |
| ``items`` | pytest nodes that replay each submission's results as one item per test |
| ``model`` | limits, results, flags and their JSON form |
| ``submissions`` | find the submissions in a folder (flat, per-student folders, nbgrader ``submitted/``) |
| ``restore`` | put the instructor's locked cells back and flag changed / removed / stripped ones |
| ``engine`` | schedule workers, enforce limits, turn records into results, resume from a store |
| ``zygote`` | the fork server: preloads NumPy and the harness once, forks a worker per launch |
| ``sandbox`` | rlimits, Landlock and seccomp for a worker |
| ``worker`` | the harness inside a worker: runs cells, then each test right after its cell |
| ``guards`` | trusted comparisons, protected functions, the audit hook |
| ``protocol`` | the authenticated record format between worker and parent |
| ``reports`` | JSON, CSV, JUnit XML, Gradescope ``results.json`` and student feedback |
| ``gradebook`` | results into nbgrader's gradebook through ``nbgrader.api.Gradebook`` |
| ``course`` | the nbgrader course layout and the nbgrader steps (generate, release, ...) |
| ``github`` | job summary and annotations for the GitHub Classroom workflow |
| ``terminal`` | the progress bar (TTY) or plain progress lines |
"""
