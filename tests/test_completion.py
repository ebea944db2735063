"""``tito module complete``'s steps without the CLI: reading pytest's JUnit report, rolling back an export."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from test_export import make_course

from pytest_tinytorch import completion, export
from pytest_tinytorch.errors import ExportError

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="5">
  <testcase classname="workspace.01_demo.demo.ipynb" name="test_unit_a">
    <properties><property name="grade_id" value="a"/><property name="points" value="3.3333333333333335"/></properties>
  </testcase>
  <testcase classname="workspace.01_demo.demo.ipynb" name="test_unit_b">
    <properties><property name="grade_id" value="b"/><property name="points" value="5"/></properties>
    <failure message="assert 1 == 2">...</failure>
  </testcase>
  <testcase classname="workspace.01_demo.demo.ipynb" name="test_unit_c">
    <properties><property name="grade_id" value="c"/><property name="points" value="2"/></properties>
    <skipped message="skipped by the solution" type="pytest.skip">...</skipped>
  </testcase>
  <testcase classname="workspace.01_demo.demo.ipynb" name="test_unit_ungraded"/>
  <testcase classname="workspace.01_demo.demo.ipynb" name="test_module">
    <properties><property name="grade_id" value="m"/><property name="points" value="1"/></properties>
  </testcase>
  <testcase classname="workspace.01_demo.demo.ipynb" name="test_module">
    <properties><property name="grade_id" value="m"/><property name="points" value="1"/></properties>
    <error message="failed on teardown">...</error>
  </testcase>
</testsuite></testsuites>
"""


def test_points_and_outcomes_come_from_the_junit_report(tmp_path):
    path = tmp_path / "results.xml"
    path.write_text(JUNIT)
    run = completion.TestRun(exit_code=1, command=[], tests=completion.read_junit(path))
    assert [(t.name, t.outcome) for t in run.tests] == [
        ("test_unit_a", "passed"),
        ("test_unit_b", "failed"),
        ("test_unit_c", "skipped"),
        ("test_unit_ungraded", "passed"),
        ("test_module", "error"),  # the worse of its two reports
    ]
    assert run.points_possible == pytest.approx(3.3333333333333335 + 5 + 2 + 1)
    assert run.points_earned == pytest.approx(3.3333333333333335)
    assert not run.all_passed


@pytest.mark.parametrize(
    ("exit_code", "outcomes", "complete"),
    [
        (0, ["passed", "passed"], True),
        (0, ["passed", "skipped"], False),  # a skipped test shows nothing works
        (0, [], False),  # no tests at all
        (1, ["passed"], False),  # pytest itself said no
    ],
)
def test_a_module_is_complete_only_when_every_test_ran_and_passed(exit_code, outcomes, complete):
    tests = [completion.TestOutcome(f"t{i}", o, 1.0, None) for i, o in enumerate(outcomes)]
    assert completion.TestRun(exit_code, [], tests).all_passed is complete


def snapshot_of(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*.py")) if "tinytorch" in p.parts}


def test_a_failed_export_puts_the_package_back_as_it_was(tmp_path):
    catalog = make_course(tmp_path)
    export.export_module(tmp_path, catalog, catalog.resolve("alpha"))
    before = snapshot_of(tmp_path)
    beta = catalog.resolve("beta")
    target = export.target_path(tmp_path, beta.default_exp)
    with pytest.raises(RuntimeError), completion.rollback_on_failure(tmp_path, target):
        export.export_module(tmp_path, catalog, beta)
        assert target.exists() and "beta" in (tmp_path / "tinytorch" / "__init__.py").read_text()
        raise RuntimeError("the import check failed")
    assert snapshot_of(tmp_path) == before
    assert not stat.S_IMODE(os.stat(tmp_path / "tinytorch" / "__init__.py").st_mode) & stat.S_IWUSR


def test_a_failed_first_export_leaves_no_package_behind(tmp_path):
    catalog = make_course(tmp_path)
    info = catalog.resolve("alpha")
    target = export.target_path(tmp_path, info.default_exp)
    with pytest.raises(RuntimeError), completion.rollback_on_failure(tmp_path, target):
        export.export_module(tmp_path, catalog, info)
        raise RuntimeError("the import check failed")
    assert not (tmp_path / "tinytorch").exists()


def test_a_copy_with_a_changed_export_target_is_refused(tmp_path):
    catalog = make_course(tmp_path)
    info = catalog.resolve("alpha")
    copy = tmp_path / "copy.py"
    copy.write_text(info.source.read_text().replace("core.alpha", "core.renamed"))
    with pytest.raises(ExportError, match="'#| default_exp core.renamed' but module 01_alpha exports to 'core.alpha'"):
        completion.export_target(info, copy, tmp_path)
    assert completion.export_target(info, info.source, tmp_path) == tmp_path / "tinytorch" / "core" / "alpha.py"


def test_a_file_that_cannot_be_collected_is_not_a_test(tmp_path):
    path = tmp_path / "results.xml"
    path.write_text(
        '<testsuites><testsuite name="pytest" errors="1" tests="1">'
        '<testcase classname="" name="workspace.01_demo.demo.ipynb">'
        '<error message="collection failure">bad JSON</error>'
        "</testcase></testsuite></testsuites>"
    )
    run = completion.TestRun(exit_code=2, command=[], tests=completion.read_junit(path))
    assert run.uncollected == ["workspace.01_demo.demo.ipynb"]
    assert run.test_count == 0 and not run.all_passed
