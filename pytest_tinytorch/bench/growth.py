"""Is backward's cost linear in the number of nodes? Compare the marginal cost per node.

A straight line through (nodes, seconds) has the same slope everywhere,
whatever its intercept (the fixed cost of one backward call). So the check
fits the slope on the smallest graphs and on the largest ones and compares
them: ~1 when every node costs the same, however deep the graph; about
``n_large / n_small`` for a cost quadratic in the nodes (e.g. a list
scanned per node); astronomically more for one walk per path, which the
series stops before it gets there (a stopped series is not linear).
Comparing slopes rather than absolute times keeps the check meaningful on
any machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pytest_tinytorch.bench.results import OK, STOPPED, Result

LIMIT = 1.5  # largest-graphs slope / smallest-graphs slope; measured ~0.95-1.1 here (see README)


@dataclass(frozen=True)
class Growth:
    case: str
    nodes: tuple[float, ...]
    seconds: tuple[float, ...]
    small_slope: float  # seconds per added node, fitted on the smallest graphs
    large_slope: float  # ... on the largest graphs
    stopped: str  # why the series stopped early ('' if it did not)
    limit: float = LIMIT

    @property
    def ratio(self) -> float:
        return self.large_slope / self.small_slope if self.small_slope > 0 else float("inf")

    @property
    def linear(self) -> bool:
        return not self.stopped and self.ratio <= self.limit

    def describe(self) -> str:
        if self.stopped:
            return f"NOT LINEAR: {self.stopped}"
        verdict = "linear" if self.linear else "NOT LINEAR"
        return (
            f"growth: {self.small_slope * 1e6:.2f} us per added node at {self.span(0)} nodes, "
            f"{self.large_slope * 1e6:.2f} us at {self.span(-1)}: x{self.ratio:.2f}, "
            f"{verdict} (limit x{self.limit:g})"
        )

    def span(self, end: int) -> str:
        k = _window(len(self.nodes))
        chosen = self.nodes[:k] if end == 0 else self.nodes[-k:]
        return f"{chosen[0]:.0f}-{chosen[-1]:.0f}"


def _window(points: int) -> int:
    """How many points each end's slope is fitted on: half the series, at least two."""
    return max(2, points // 2)


def slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of ys against xs."""
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def growth(results: Sequence[Result], limit: float = LIMIT) -> Growth | None:
    """The growth of one backward series (all rows of one case).

    None when there is nothing to judge: fewer than three depths timed and
    no runaway (skipped, or an error reported in its own row).
    """
    timed = sorted((r for r in results if r.status == OK and r.x and r.tinytorch), key=lambda r: r.x or 0)
    stopped = next((r.message for r in results if r.status == STOPPED), "")
    if len(timed) < 3:
        return None if not stopped else Growth(results[0].case, (), (), 0.0, 0.0, stopped, limit)
    nodes = tuple(float(r.x or 0) for r in timed)
    seconds = tuple(float(r.tinytorch or 0) for r in timed)
    k = _window(len(timed))
    return Growth(
        case=timed[0].case,
        nodes=nodes,
        seconds=seconds,
        small_slope=slope(nodes[:k], seconds[:k]),
        large_slope=slope(nodes[-k:], seconds[-k:]),
        stopped=stopped,
        limit=limit,
    )
