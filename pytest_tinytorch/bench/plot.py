"""The scaling curves: per-op cost and ratio against size, backward cost against graph size.

matplotlib is optional (the ``plot`` extra) and imported only here, only
when a plot is asked for; the Agg canvas is used directly, so no GUI
backend or pyplot state is involved.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pytest_tinytorch.bench.results import OK, Result
from pytest_tinytorch.errors import TinyTorchError


class PlotUnavailableError(TinyTorchError, ImportError):
    """matplotlib is not installed."""


def _series(results: Sequence[Result], kind: str) -> dict[str, list[Result]]:
    """Measured rows of ``kind`` by case group (op name or graph), sorted by x."""
    found: dict[str, list[Result]] = {}
    for r in results:
        if r.kind == kind and r.status == OK and r.x is not None and r.unit == "s":
            name = r.case.split("/")[1]
            found.setdefault(name, []).append(r)
    return {name: sorted(rows, key=lambda r: r.x or 0) for name, rows in found.items()}


def _scaled(values: Sequence[float | None], scale: float) -> list[float]:
    """Values in the plot's unit (the rows plotted are measured: None does not occur)."""
    return [(value or 0.0) * scale for value in values]


def _empty(axes, text: str) -> None:
    axes.text(0.5, 0.5, text, ha="center", va="center", transform=axes.transAxes, color="gray")


def _op_panels(cost_axes, ratio_axes, results: Sequence[Result], colors) -> None:
    ops = _series(results, "op")
    for index, (name, rows) in enumerate(ops.items()):
        color = colors[index % len(colors)]
        xs = [r.x for r in rows]
        cost_axes.loglog(xs, _scaled([r.tinytorch for r in rows], 1e6), "o-", color=color, label=name)
        cost_axes.loglog(xs, _scaled([r.numpy for r in rows], 1e6), "--", color=color, alpha=0.6)
        ratio_axes.semilogx(xs, [r.ratio for r in rows], "o-", color=color, label=name)
    cost_axes.set(
        title="Per-op cost (solid: TinyTorch, dashed: NumPy)", xlabel="n (n x n inputs)", ylabel="time per call (us)"
    )
    ratio_axes.axhline(1.0, color="black", linewidth=0.8)
    ratio_axes.set(title="Per-op overhead: TinyTorch / NumPy", xlabel="n (n x n inputs)", ylabel="ratio")
    for axes in (cost_axes, ratio_axes):
        if ops:
            axes.legend(fontsize="small")
        else:
            _empty(axes, "not measured")


def _backward_panel(axes, results: Sequence[Result], colors) -> None:
    graphs = _series(results, "backward")
    for index, (name, rows) in enumerate(graphs.items()):
        color = colors[index % len(colors)]
        xs = [r.x for r in rows]
        axes.plot(xs, _scaled([r.tinytorch for r in rows], 1e3), "o-", color=color, label=f"{name}: TinyTorch")
        axes.plot(
            xs, _scaled([r.numpy for r in rows], 1e3), "--", color=color, alpha=0.6, label=f"{name}: NumPy by hand"
        )
        if all(r.torch is not None for r in rows):
            axes.plot(xs, _scaled([r.torch for r in rows], 1e3), ":", color=color, label=f"{name}: PyTorch")
    axes.set(
        title="Backward cost vs graph size (straight = linear)",
        xlabel="nodes in the graph",
        ylabel="time per backward (ms)",
    )
    if graphs:
        axes.legend(fontsize="small")
    else:
        _empty(axes, "not measured")


def write_plot(results: Sequence[Result], path: str | Path) -> Path:
    """Draw the three scaling panels from ``results`` into ``path`` (PNG, SVG, PDF...)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise PlotUnavailableError(
            "--plot needs matplotlib, which is not installed: pip install 'tinytorch[plot]'"
        ) from None
    figure = Figure(figsize=(16, 5), layout="constrained")
    FigureCanvasAgg(figure)
    cost, ratio, backward = figure.subplots(1, 3)
    colors = [f"C{i}" for i in range(10)]
    _op_panels(cost, ratio, results, colors)
    _backward_panel(backward, results, colors)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path
