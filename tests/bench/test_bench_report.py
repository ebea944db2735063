"""The table and the plot, from given rows (what they show, not what was measured)."""

from __future__ import annotations

import sys

import pytest

from pytest_tinytorch.bench import plot, report
from pytest_tinytorch.bench.cases import all_cases
from pytest_tinytorch.bench.results import OK, SKIPPED, STOPPED, Result


def op(name: str, n: int, tinytorch: float, numpy: float, torch: float | None = None) -> Result:
    return Result(
        f"op/{name}/{n}x{n}",
        f"op/{name}/{n}x{n}",
        "op",
        f"{name} {n}x{n}",
        x=n,
        tinytorch=tinytorch,
        numpy=numpy,
        torch=torch,
        torch_note="" if torch else "not installed",
    )


def backward(nodes: int, seconds: float) -> Result:
    return Result(
        f"backward/chain/{nodes}",
        "backward/chain",
        "backward",
        f"chain, {nodes} nodes",
        x=nodes,
        tinytorch=seconds,
        numpy=seconds / 4,
        torch=seconds * 2,
    )


ROWS = [
    op("add", 1, 0.8e-6, 0.4e-6),
    op("add", 100, 2.0e-6, 1.6e-6, torch=2.4e-6),
    *(backward(n, 2.5e-6 * n) for n in (17, 33, 65)),
    Result(
        "memory/mlp/b32",
        "memory/mlp/b32",
        "memory",
        "MLP step, batch 32",
        x=32,
        unit="bytes",
        tinytorch=110_000,
        numpy=124_000,
        torch_note="n/a (tracemalloc ...)",
        status=OK,
    ),
    Result(
        "step/cnn/b32",
        "step/cnn/b32",
        "step",
        "CNN step, batch 32",
        status=SKIPPED,
        message="tinytorch has no Conv2d yet",
    ),
]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(3.2e-7, "320 ns"), (2.5e-6, "2.5 us"), (0.0194, "19.4 ms"), (250e-6, "250 us"), (1.5, "1.5 s")],
)
def test_format_seconds(seconds, text):
    assert report.format_seconds(seconds) == text


def test_the_table_shows_each_measurement_floor_ratio_and_explanation():
    text = report.render(ROWS, all_cases(), {"tinytorch": "/course/tinytorch/__init__.py"})
    assert "tinytorch: /course/tinytorch/__init__.py" in text
    assert "add 1x1" in text and "800 ns" in text and "400 ns" in text and "2.00x" in text
    assert "not installed" in text and "2.4 us (1.50x)" in text  # the PyTorch column, both ways
    assert "if add's ratio is high: at small sizes, Python work per call" in text
    assert "(2.50 us/node)" in text and "growth: 2.50 us per added node" in text and "linear" in text
    assert "107.4 KiB" in text and "121.1 KiB" in text and "0.89x" in text
    assert "CNN step, batch 32" + " " * 17 + "skipped: tinytorch has no Conv2d yet" in text


def test_a_stopped_series_is_shown_as_not_linear():
    rows = [
        *(backward(n, 1e-6 * n) for n in (17, 33)),
        Result(
            "backward/chain/65",
            "backward/chain",
            "backward",
            "chain, 65 nodes",
            status=STOPPED,
            message="stopped at 65 nodes: ...",
        ),
    ]
    text = report.render(rows, all_cases(), {})
    assert "chain, 65 nodes" + " " * 20 + "stopped: stopped at 65 nodes" in text
    assert "NOT LINEAR: stopped at 65 nodes" in text


def test_the_plot_is_written(tmp_path):
    path = plot.write_plot(ROWS, tmp_path / "sub" / "curves.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000


def test_a_plot_with_nothing_measured_still_draws_its_panels(tmp_path):
    assert plot.write_plot([], tmp_path / "empty.png").stat().st_size > 0


def test_without_matplotlib_the_plot_says_how_to_install_it(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(plot.PlotUnavailableError, match=r"pip install 'tinytorch\[plot\]'"):
        plot.write_plot(ROWS, tmp_path / "x.png")
