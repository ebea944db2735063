"""Restoring the instructor's locked cells, and flagging what a submission did to them."""

from __future__ import annotations

from gradingcorpus import REFERENCE, T_BOX, T_DOUBLE, T_MODULE, T_NORM, without_metadata
from nbbuild import cell

from pytest_tinytorch.grading.restore import is_protected, restore_locked_cells, without_hidden_tests
from pytest_tinytorch.notebook import parse_percent

REF = parse_percent(REFERENCE, "modules/01_demo/demo.py")


def restore(text: str):
    return restore_locked_cells(parse_percent(text, "alice.py"), REF)


def kinds(restoration) -> list[str]:
    return [flag.kind for flag in restoration.flags]


def protected_sources(nb) -> list[str]:
    return [c.source for c in nb.code_cells if is_protected(c)]


def test_the_student_version_restores_without_flags_and_runs_the_full_tests():
    restoration = restore(without_hidden_tests(REFERENCE))
    assert kinds(restoration) == []
    assert protected_sources(restoration.notebook) == protected_sources(REF)  # hidden tests are back
    assert (
        "BEGIN HIDDEN TESTS"
        in restoration.notebook.cells[[c.grade_id for c in restoration.notebook.cells].index("t-norm")].source
    )


def test_a_changed_test_cell_is_replaced_and_flagged():
    restoration = restore(REFERENCE.replace("assert double(2) == 4", "assert True"))
    assert kinds(restoration) == ["locked-cell-changed"]
    assert "assert double(2) == 4" in restoration.notebook.cells[3].source
    assert "alice.py:" in restoration.flags[0].detail


def test_a_removed_test_cell_is_put_back_after_the_cell_it_followed():
    restoration = restore(REFERENCE.replace(T_NORM, ""))
    assert kinds(restoration) == ["locked-cell-removed"]
    ids = [c.grade_id for c in restoration.notebook.cells]
    assert ids.index("t-norm") == ids.index("norm") + 1


def test_a_cell_stripped_of_its_metadata_is_recognised_by_its_text():
    restoration = restore(REFERENCE.replace(T_BOX, without_metadata(T_BOX)))
    assert kinds(restoration) == ["locked-cell-stripped"]
    restored = [c for c in restoration.notebook.cells if c.grade_id == "t-box"]
    assert len(restored) == 1 and restored[0].is_graded and restored[0].points == 3


def test_a_stripped_and_edited_cell_is_recognised_by_the_tests_it_defines():
    edited = without_metadata(T_MODULE).replace("assert double(norm([3, 4])) == 10", "return")
    restoration = restore(REFERENCE.replace(T_MODULE, edited))
    assert kinds(restoration) == ["locked-cell-stripped"]
    assert "assert double(norm([3, 4])) == 10" in restoration.notebook.cells[-1].source


def test_a_test_cell_whose_grade_flag_was_turned_off_is_flagged():
    restoration = restore(
        REFERENCE.replace('"grade": true, "grade_id": "t-box"', '"grade": false, "grade_id": "t-box"')
    )
    assert kinds(restoration) == ["locked-cell-stripped"]
    assert next(c for c in restoration.notebook.cells if c.grade_id == "t-box").is_graded


def test_a_duplicated_locked_cell_keeps_only_its_first_place():
    restoration = restore(REFERENCE.replace(T_DOUBLE, T_DOUBLE + "\n\n" + T_DOUBLE))
    assert kinds(restoration) == ["locked-cell-duplicated"]
    assert [c.grade_id for c in restoration.notebook.cells].count("t-double") == 1


def test_a_cell_claiming_points_the_instructor_never_gave_loses_its_grade():
    bonus = cell("def test_unit_bonus():\n    pass", grade=True, grade_id="bonus", locked=True, points=100)
    restoration = restore(REFERENCE + "\n\n" + bonus)
    assert kinds(restoration) == ["unknown-graded-cell"]
    last = restoration.notebook.cells[-1]
    assert "test_unit_bonus" in last.source and not last.is_graded and last.grade_id is None


def test_the_students_own_cells_are_kept_in_place():
    restoration = restore(REFERENCE.replace(T_NORM, cell("scratch = double(21)") + "\n\n" + T_NORM))
    sources = [c.source for c in restoration.notebook.cells]
    assert kinds(restoration) == []
    assert sources.index("scratch = double(21)") == [c.grade_id for c in restoration.notebook.cells].index("t-norm") - 1


def test_solution_cells_keep_the_students_code_with_the_instructors_metadata():
    text = REFERENCE.replace('"grade_id": "double", "locked": false', '"grade_id": "double", "locked": true')
    restoration = restore(text.replace("return 2 * x", "return x + x"))
    double = next(c for c in restoration.notebook.cells if c.grade_id == "double")
    assert "return x + x" in double.source and not double.is_locked
