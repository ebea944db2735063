"""Shared machinery of the tensor/autograd benchmarks (``test_ops``, ``test_backward``,
``test_training_step``, ``test_memory``).

The measurements themselves live in ``pytest_tinytorch.bench`` (one
implementation, also used by ``tito benchmark``). Here:

* ``measure(case)``: run a case, record its rows, put the ratios into
  pytest-benchmark's ``extra_info``, and fail if a ratio regressed past
  ``benchmarks/baseline.json`` (a suspect is re-measured once first);
* ``time_subject(benchmark, case)``: pytest-benchmark's own statistics of
  TinyTorch's side of the case;
* at the end of the session every row goes to ``--bench-json`` (default
  ``.benchmarks/tinytorch-ratios.json``), and with
  ``--bench-update-baseline`` the measured ratios become the new baseline.

Nothing here is autouse: other benchmark files in this folder are untouched.
"""

from __future__ import annotations

import json
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # effective only if NumPy is not loaded yet

from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from pytest_tinytorch.bench import baseline as baselines  # noqa: E402
from pytest_tinytorch.bench import timing  # noqa: E402
from pytest_tinytorch.bench.base import Case, Settings  # noqa: E402
from pytest_tinytorch.bench.results import OK, SKIPPED, Result  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / baselines.BASELINE_FILE
RECORDED = pytest.StashKey[list[Result]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tinytorch-bench", "TinyTorch benchmarks (benchmarks/)")
    group.addoption(
        "--bench-update-baseline",
        action="store_true",
        help="write the ratios measured in this run to benchmarks/baseline.json (and do not check against the old one)",
    )
    group.addoption(
        "--bench-json",
        metavar="PATH",
        default=".benchmarks/tinytorch-ratios.json",
        help="where to save every measured row as JSON (default: %(default)s)",
    )
    group.addoption(
        "--bench-rounds",
        type=int,
        default=Settings.rounds,
        metavar="N",
        help="interleaved rounds per measurement (default: %(default)s)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[RECORDED] = []


@pytest.fixture(scope="session")
def bench_settings(request: pytest.FixtureRequest) -> Settings:
    return Settings(rounds=request.config.getoption("--bench-rounds"))


@pytest.fixture(scope="session")
def bench_baseline(request: pytest.FixtureRequest) -> baselines.Baseline | None:
    if request.config.getoption("--bench-update-baseline"):
        return None
    return baselines.Baseline.load(BASELINE)


@pytest.fixture(scope="session", autouse=False)
def one_blas_thread():
    with timing.one_blas_thread():
        yield


@pytest.fixture
def measure(
    request: pytest.FixtureRequest, bench_settings: Settings, bench_baseline, one_blas_thread
) -> Callable[..., list[Result]]:
    """Measure a case: record it, skip or fail on its status, check it against the baseline."""

    def run(case: Case, benchmark=None) -> list[Result]:
        from pytest_tinytorch.bench.runner import regression_check

        if bench_baseline is None:
            results, regressions = case.measure(bench_settings), []
        else:
            results, regressions = regression_check([case], bench_baseline, bench_settings)
        request.config.stash[RECORDED].extend(results)
        if benchmark is not None:
            benchmark.extra_info.update(extra_info(results))
        skipped = [r for r in results if r.status == SKIPPED]
        if skipped and len(skipped) == len(results):
            pytest.skip(skipped[0].message)
        errors = [f"{r.id}: {r.message}" for r in results if r.status not in (OK, SKIPPED)]
        assert not errors, "\n".join(errors)
        assert not regressions, "ratio above its limit in benchmarks/baseline.json in all 3 attempts:\n" + "\n".join(
            f"  {r}\n    if high: {case.explain}" for r in regressions
        )
        return results

    return run


def extra_info(results: list[Result]) -> dict[str, object]:
    """Per row: the medians and the ratios, for pytest-benchmark's JSON."""
    info: dict[str, object] = {}
    for r in results:
        if r.status != OK:
            continue
        key = r.id.split("/", 1)[1]
        info[key] = {
            "unit": r.unit,
            "tinytorch": r.tinytorch,
            "numpy": r.numpy,
            "ratio": round(r.ratio or 0, 4),
            "torch": r.torch,
            "torch_ratio": round(r.torch_ratio, 4) if r.torch_ratio else r.torch_note,
        }
    return info


@pytest.fixture
def time_subject(benchmark, bench_settings: Settings) -> Callable[[Case], None]:
    """pytest-benchmark's statistics of TinyTorch's side of a case (wall clock, its own timer)."""

    def run(case: Case) -> None:
        subject = case.subject()
        if subject is None:
            return
        benchmark.group = case.group
        if subject.setup is not None:  # fresh arguments every round (a graph to run backward on)
            benchmark.pedantic(subject.function, setup=subject.setup, rounds=bench_settings.rounds)
            return
        number = timing.calibrate(timing.calls(subject.function), bench_settings.block_s)
        benchmark.pedantic(subject.function, rounds=bench_settings.rounds, iterations=number, warmup_rounds=1)

    return run


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if not hasattr(config, "stash") or RECORDED not in config.stash:
        return
    recorded = config.stash[RECORDED]
    if not recorded:
        return
    path = Path(config.getoption("--bench-json"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"machine": baselines.machine(), "results": [r.to_json() for r in recorded]}, indent=1),
        encoding="utf-8",
    )
    if config.getoption("--bench-update-baseline") and session.testsfailed == 0:
        command = "OPENBLAS_NUM_THREADS=1 pytest benchmarks/ --bench-update-baseline"
        fresh = baselines.from_results(recorded, command=command)
        if BASELINE.exists():  # a partial run (one file) updates its own ids only
            fresh = baselines.Baseline.load(BASELINE).updated(fresh)
        fresh.save(BASELINE)
