"""``tito system`` and ``tito module list`` on a small course."""

from __future__ import annotations

from tito_helpers import lines


def test_health_finds_the_course_package_hidden_until_the_course_has_its_own(tito, course):
    # No tinytorch/ in the course yet: 'import tinytorch' there finds the repository's editable install.
    before = tito("system", "health")
    assert before.returncode == 1
    hidden = [line for line in lines(before) if line.startswith("[FAIL] tinytorch package:")]
    assert len(hidden) == 1 and f"not {course / 'tinytorch'}" in hidden[0]
    assert "[ok  ] progress store: .tito/progress.json not created yet" in before.stdout

    (course / "tinytorch").mkdir()
    (course / "tinytorch" / "__init__.py").write_text("")
    after = tito("system", "health")
    assert after.returncode == 0, after.stdout
    assert "[ok  ] tinytorch package: imports from tinytorch/" in lines(after)
    checks = [line for line in lines(after) if line.startswith("[")]
    ok = [line for line in checks if line.startswith("[ok  ]")]
    assert lines(after)[-1].startswith(f"{len(ok)} of {len(checks)} checks ok")
    assert "failed" not in lines(after)[-1]


def test_info_names_the_course(tito, course):
    result = tito("system", "info")
    assert result.returncode == 0
    assert f"course:      {course} (2 modules)" in lines(result)


def test_list_shows_the_catalog(tito):
    result = tito("module", "list")
    assert result.returncode == 0
    assert lines(result) == [
        "NN  module  exports to            tests  points",
        "01  demo    tinytorch.core.demo   2      5",
        "02  twice   tinytorch.core.twice  1      1",
        "2 modules in modules",
    ]
