"""Every submission in the corpus gets the score it earns, with a named reason.

One engine run grades the whole corpus (honest work, crashes, resource abuse
and each trick that fools today's graders); each case is then checked on its
own: the score, which tests failed and why, and what was flagged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from gradingcorpus import (
    FAST,
    MAX_SCORE,
    Case,
    cases,
    dump,
    grade_folder,
    naive_scores,
    write_course,
    write_submissions,
)

from pytest_tinytorch.grading.model import REASONS, SubmissionResult


@dataclass
class CorpusRun:
    corpus: dict[str, Case]
    results: dict[str, SubmissionResult]
    outside: Path
    seconds: float
    folder: Path


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory: pytest.TempPathFactory) -> CorpusRun:
    root = write_course(tmp_path_factory.mktemp("course"))
    outside = tmp_path_factory.mktemp("outside") / "pwned.txt"
    corpus = cases(outside)
    write_submissions(root / "submissions", corpus)
    started = time.monotonic()
    results = grade_folder(root, root / "submissions", root / "grades", FAST)
    return CorpusRun(corpus, {r.student: r for r in results}, outside, time.monotonic() - started, root / "submissions")


@pytest.mark.parametrize("name", sorted(cases(Path("/nowhere"))))
def test_each_submission_gets_the_score_it_earns(corpus_run: CorpusRun, name: str) -> None:
    case, result = corpus_run.corpus[name], corpus_run.results[name]
    assert result.max_score == MAX_SCORE
    assert result.score == case.score, dump(result)
    assert {t.name: t.reason for t in result.tests if not t.passed} == case.failed, dump(result)
    assert set(case.flags) <= {f.kind for f in result.flags}, dump(result)
    assert result.tampered == case.tampering, dump(result)


def test_every_failure_names_a_known_reason_and_says_what_happened(corpus_run: CorpusRun) -> None:
    for result in corpus_run.results.values():
        for test in result.tests:
            if not test.passed:
                assert test.reason in REASONS, (result.student, test.reason)
                assert test.message.strip(), (result.student, test.name)


def test_nothing_was_written_outside_the_submissions_folders(corpus_run: CorpusRun) -> None:
    assert not corpus_run.outside.exists()


def test_a_failed_visible_test_shows_the_students_line_and_the_values(corpus_run: CorpusRun) -> None:
    result = corpus_run.results["partly_wrong"]
    message = next(t.message for t in result.tests if t.name == "test_module")
    assert "assert double(norm([3, 4])) == 10" in message
    assert "14.0 == 10 is false" in message


def test_lying_objects_fail_with_a_message_that_names_the_object(corpus_run: CorpusRun) -> None:
    message = next(t.message for t in corpus_run.results["lying_eq_and_bool"].tests if t.name == "test_unit_double")
    assert "UntrustedValue" in message and "Liar" in message


def test_the_hidden_test_is_marked_hidden(corpus_run: CorpusRun) -> None:
    hidden = {t.name for t in corpus_run.results["correct"].tests if t.hidden}
    assert hidden == {"test_unit_norm"}


def test_output_is_captured_and_capped(corpus_run: CorpusRun) -> None:
    result = corpus_run.results["warnings_and_stderr"]
    assert "careful with floats" in result.stderr and "debug" in result.stderr
    assert "more debug" in result.stdout
    assert len(result.stdout) <= FAST.output_bytes


def test_each_trick_does_fool_a_grader_that_runs_tests_in_the_students_namespace(corpus_run: CorpusRun) -> None:
    """The corpus is worth something only if its tricks work on today's graders."""
    fooling = {name: case for name, case in corpus_run.corpus.items() if case.fools_naive}
    naive = naive_scores([corpus_run.folder / f"{name}{case.suffix}" for name, case in fooling.items()])
    fooled = {name: (naive[name], corpus_run.results[name].score) for name in fooling}
    assert all(theirs > ours for theirs, ours in fooled.values()), fooled
    assert len(fooled) >= 8
