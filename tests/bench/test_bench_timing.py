"""Interleaved timing, medians and ratios, with contenders whose times are known exactly."""

from __future__ import annotations

import pytest

from pytest_tinytorch.bench import timing
from pytest_tinytorch.bench.base import Settings, interleaved_passes
from pytest_tinytorch.bench.results import Result, ratio


def fixed(per_call: float, log: list[str] | None = None, name: str = ""):
    """A block timer that 'takes' ``per_call`` seconds per call, and logs when it ran."""

    def block(number: int) -> float:
        if log is not None:
            log.append(name)
        return per_call * number

    return block


def test_calibrate_aims_at_the_block_duration():
    assert timing.calibrate(fixed(1e-6), target_s=0.002) == 2000
    assert timing.calibrate(fixed(0.01), target_s=0.002) == 1  # one call is already too long


def test_interleaved_medians_and_alternating_order():
    log: list[str] = []
    times = timing.interleaved(
        {"a": fixed(3e-6, log, "a"), "b": fixed(1e-6, log, "b")}, rounds=4, target_s=1e-4, warmup=0
    )
    assert times["a"].median == pytest.approx(3e-6)
    assert times["b"].median == pytest.approx(1e-6)
    assert len(times["a"].samples) == 4
    timed = log[-8:]  # after calibration: a b, b a, a b, b a
    assert timed == ["a", "b", "b", "a", "a", "b", "b", "a"]


def test_median_ignores_a_burst_of_noise():
    samples = iter([1.0, 1.0, 50.0, 1.0, 1.0])
    times = timing.interleaved({"x": lambda n: next(samples, 1.0) * n}, rounds=5, target_s=1e-9, warmup=0)
    assert times["x"].median == 1.0


def test_torch_gets_its_own_pass_against_numpy():
    log: list[str] = []
    contenders = {name: fixed(t, log, name) for name, t in (("tinytorch", 2e-6), ("numpy", 1e-6), ("torch", 4e-6))}
    times = interleaved_passes(contenders, Settings(rounds=3, block_s=1e-4))
    first_torch = log.index("torch")
    assert "tinytorch" not in log[first_torch:]  # never interleaved with TinyTorch
    assert times["torch_numpy"].median == pytest.approx(1e-6)
    row = Result(
        "id", "case", "op", "x", tinytorch=2e-6, numpy=1e-6, torch=4e-6, torch_numpy=times["torch_numpy"].median
    )
    assert row.ratio == pytest.approx(2.0)
    assert row.torch_ratio == pytest.approx(4.0)


@pytest.mark.parametrize(
    ("numerator", "floor", "expected"), [(2.0, 1.0, 2.0), (None, 1.0, None), (1.0, None, None), (1.0, 0.0, None)]
)
def test_ratio(numerator, floor, expected):
    assert ratio(numerator, floor) == expected


def test_result_json_round_trip_ignores_unknown_keys():
    row = Result("op/add/1x1", "op/add/1x1", "op", "add 1x1", x=1, tinytorch=2.0, numpy=1.0)
    assert Result.from_json({**row.to_json(), "added_later": 1}) == row


def test_blas_env_pins_every_library():
    env = timing.pin_blas_env({"PATH": "/bin", "OPENBLAS_NUM_THREADS": "8"})
    assert env["PATH"] == "/bin"
    assert all(env[name] == "1" for name in timing.BLAS_ENV)
