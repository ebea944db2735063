"""Which package ``tito benchmark`` measures, and which cases a module selects (from the catalog)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from pytest_tinytorch.bench import course
from pytest_tinytorch.bench.base import Settings
from pytest_tinytorch.bench.cases import all_cases, by_id
from pytest_tinytorch.bench.worker import run_in_subprocess
from pytest_tinytorch.catalog import Catalog
from pytest_tinytorch.cli import main

FAST = Settings(rounds=1, block_s=1e-4, torch=False)


def groups_of(module: str, catalog: Catalog) -> set[str]:
    return {case.group for case in course.cases_for(catalog.resolve(module), all_cases(), catalog)}


def test_each_module_selects_the_cases_it_completes(course_copy):
    catalog = Catalog.discover(course_copy)
    assert groups_of("01", catalog) == {"add", "mul", "matmul", "sum"}
    assert groups_of("02", catalog) == {"softmax"}
    assert groups_of("03", catalog) == {"linear"}
    assert groups_of("04", catalog) == {"cross_entropy"}
    assert groups_of("05", catalog) == {
        "backward: chain",
        "backward: diamond",
        "MLP training step",
        "peak memory of one step",
    }


def test_a_cnn_case_belongs_to_the_module_that_exports_conv2d(course_copy):
    cnn = by_id(["step/cnn/b32"])[0]
    assert course.owning_module(cnn, Catalog.discover(course_copy)) is None  # no Conv2d anywhere
    source = course_copy / "modules" / "06_spatial" / "spatial.py"
    source.parent.mkdir()
    source.write_text("# %%\n#| default_exp core.spatial\n")
    (course_copy / "tinytorch" / "core" / "spatial.py").write_text("class Conv2d:\n    pass\n")
    assert course.owning_module(cnn, Catalog.discover(course_copy)).slug == "06_spatial"


def test_missing_exports_block_their_cases_and_say_how_to_complete_them(course_copy):
    (course_copy / "tinytorch" / "core" / "autograd.py").unlink()
    catalog = Catalog.discover(course_copy)
    plan = course.plan(all_cases(), catalog)
    assert {case.kind for case in plan.runnable} == {"op"}
    assert [info.slug for info in plan.missing()] == ["05_autograd"]
    text = course.how_to_export(course_copy, plan.missing())
    assert "module 05_autograd is not exported yet (tinytorch/core/autograd.py does not exist)" in text
    assert "modules/05_autograd/autograd.py" in text and "'tito module complete 05'" in text


def test_the_worker_measures_the_course_package_not_the_imported_one(course_copy):
    import tinytorch

    assert not Path(tinytorch.__file__).is_relative_to(course_copy)  # this process has the repo's
    run = run_in_subprocess(course_copy, ["op/add/1x1"], FAST)
    assert Path(run.tinytorch) == course_copy / "tinytorch" / "__init__.py"
    assert [r.id for r in run.results] == ["op/add/1x1"] and run.results[0].ratio > 0
    assert run.blas_threads in (1, None)


def test_a_package_outside_the_course_is_refused(tmp_path):
    with pytest.raises(course.BenchmarkSetupError, match="not this course's package"):
        course.check_package_location(str(tmp_path / "elsewhere" / "tinytorch" / "__init__.py"), tmp_path)
    course.check_package_location(str(tmp_path / "tinytorch" / "__init__.py"), tmp_path)  # fine


def test_a_broken_package_is_reported_with_where_it_broke(course_copy):
    tensor = course_copy / "tinytorch" / "core" / "tensor.py"
    tensor.chmod(0o644)
    tensor.write_text(tensor.read_text() + "\nraise NotImplementedError('tensor_add')\n")
    with pytest.raises(course.BenchmarkSetupError, match=r"NotImplementedError at tinytorch/core/tensor.py"):
        run_in_subprocess(course_copy, ["op/add/1x1"], FAST)


# --- tito benchmark, end to end ----------------------------------------------------------


def test_tito_benchmark_prints_the_table_and_draws_the_curves(course_copy, capsys, tmp_path):
    plot = tmp_path / "curves.png"
    code = main(
        [
            "--root",
            str(course_copy),
            "benchmark",
            "02",
            "--rounds",
            "1",
            "--no-torch",
            "--plot",
            str(plot),
            "--json",
            str(tmp_path / "out.json"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"tinytorch: {course_copy / 'tinytorch' / '__init__.py'}" in out
    assert "softmax 1x1" in out and "softmax 1000x1000" in out and "add 1x1" not in out
    assert "if softmax's ratio is high:" in out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "out.json").exists()


def test_tito_benchmark_names_the_modules_to_export_first(course_copy, capsys):
    (course_copy / "tinytorch" / "core" / "autograd.py").unlink()
    code = main(["--root", str(course_copy), "benchmark", "05"])
    err = capsys.readouterr().err
    assert code == 2
    assert "module 05_autograd is not exported yet" in err and "tito module complete 05" in err


def test_tito_benchmark_for_a_module_without_measurements_lists_the_ones_that_have_some(course_copy, capsys):
    (course_copy / "modules" / "06_later").mkdir()
    (course_copy / "modules" / "06_later" / "later.py").write_text("# %%\nx = 1\n")
    assert main(["--root", str(course_copy), "benchmark", "06"]) == 0
    out = capsys.readouterr().out
    assert "module 06_later has no measurements" in out
    assert "01_tensor: add, mul, matmul, sum" in out and "02_activations: softmax" in out


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX environment variables")
def test_the_worker_pins_blas_before_numpy_loads(course_copy, monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "8")
    run = run_in_subprocess(course_copy, ["op/sum/1x1"], FAST)
    assert run.blas_threads in (1, None), run.blas_threads
    assert os.environ["OPENBLAS_NUM_THREADS"] == "8"  # only the child's environment changed
