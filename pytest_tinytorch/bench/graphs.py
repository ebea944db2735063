"""Backward cost against graph size: chains and stacked diamonds of growing depth.

* chain: ``y = y * 1.0`` repeated, then ``.sum()``: one path, ``n`` nodes.
* diamond: ``u = y * 0.5; v = y * 0.5; y = u + v`` repeated ``k`` times,
  then ``.sum()``: ``3k + 1`` nodes but ``2**k`` paths from the loss to
  ``x`` (every block's output is a shared subexpression of the next).

A backward that visits each node once costs the same per node at every
depth; one that walks every path (a recursion per path) doubles its work
per diamond. Both graphs keep every value and gradient exactly 1, so the
result is checked too. The NumPy floor is the hand-written backward of
the same graph: the same array operations, no graph.

Only backward is timed: every timed call runs on a graph built beforehand
(not every implementation lets backward run twice on one graph).
Depths are measured smallest first; if one backward is far more expensive
per node than at the smallest depth, the series stops there, reported,
rather than waiting for ``2**k`` paths.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from pytest_tinytorch.bench import timing
from pytest_tinytorch.bench.base import Settings, Subject, framework, interleaved_passes, optional_torch
from pytest_tinytorch.bench.results import ERROR, OK, STOPPED, Result, not_measured

WIDTH = 32  # elements per tensor: small, so the per-node bookkeeping is what is measured
PROBE_BUDGET_S = 0.02  # a backward slower than this ...
PROBE_GROWTH = 20.0  # ... and this many times the smallest depth's per-node cost stops the series


@dataclass(frozen=True)
class Graph:
    name: str
    depths: tuple[int, ...]  # repetitions of the graph's block
    nodes_per_block: int
    build: Callable[[Any, int], Any]  # (x, depth) -> the loss tensor
    numpy_backward: Callable[[np.ndarray, int], np.ndarray]  # (upstream ones, depth) -> grad of x
    torch_build: Callable[[Any, int], Any]

    def nodes(self, depth: int) -> int:
        return self.nodes_per_block * depth + 1  # + the final sum


def _chain(x, depth: int):
    y = x
    for _ in range(depth):
        y = y * 1.0
    return y.sum()


def _chain_numpy(g: np.ndarray, depth: int) -> np.ndarray:
    for _ in range(depth):
        g = g * 1.0
    return g


def _diamonds(x, depth: int):
    y = x
    for _ in range(depth):
        y = y * 0.5 + y * 0.5
    return y.sum()


def _diamonds_numpy(g: np.ndarray, depth: int) -> np.ndarray:
    for _ in range(depth):  # Add hands g to both branches; each Mul scales it; they add up at y
        g = g * 0.5 + g * 0.5
    return g


CHAIN = Graph("chain", (16, 32, 64, 128, 256, 512, 1024), 1, _chain, _chain_numpy, _chain)
DIAMOND = Graph("diamond", (4, 8, 16, 32, 64, 128, 256), 3, _diamonds, _diamonds_numpy, _diamonds)
GRAPHS = (CHAIN, DIAMOND)


def _leaf():
    return framework("core.tensor").Tensor(np.ones(WIDTH, dtype=np.float32), requires_grad=True)


def _backward_block(graph: Graph, depth: int) -> Callable[[int], float]:
    """Times ``number`` backward passes, each on its own graph built before the clock starts."""

    def block(number: int) -> float:
        losses = [graph.build(_leaf(), depth) for _ in range(number)]
        start = timing.clock()
        for loss in losses:
            loss.backward()
        return timing.clock() - start

    return block


def _numpy_block(graph: Graph, depth: int) -> Callable[[int], float]:
    def block(number: int) -> float:
        start = timing.clock()
        for _ in range(number):
            # the sum's backward: a broadcast of the seed, as an autograd Sum node does
            graph.numpy_backward(np.broadcast_to(np.float32(1.0), (WIDTH,)), depth)
        return timing.clock() - start

    return block


def _torch_block(torch, graph: Graph, depth: int) -> Callable[[int], float]:
    def block(number: int) -> float:
        losses = [graph.torch_build(torch.ones(WIDTH, requires_grad=True), depth) for _ in range(number)]
        start = timing.clock()
        for loss in losses:
            loss.backward()
        return timing.clock() - start

    return block


def probe(graph: Graph, depth: int) -> tuple[float, str]:
    """Seconds of one backward at ``depth`` and a problem with its gradient ('' if exact)."""
    x = _leaf()
    loss = graph.build(x, depth)
    start = timing.clock()
    loss.backward()
    elapsed = timing.clock() - start
    grad = getattr(x, "grad", None)
    if grad is None or not np.allclose(np.asarray(grad, dtype=np.float64), 1.0):
        return elapsed, f"x.grad should be all ones after backward, got {grad!r:.80}"
    return elapsed, ""


@dataclass(frozen=True)
class BackwardSeries:
    graph: Graph
    kind: str = "backward"
    needs: tuple[str, ...] = ("core.tensor", "core.autograd")
    needs_class: str | None = None
    explain: str = (
        "high at every depth: Python work per node (zero-filled or copied gradients); "
        "growing with depth: nodes visited once per path (recursion) instead of once"
    )

    @property
    def id(self) -> str:
        return f"backward/{self.graph.name}"

    @property
    def group(self) -> str:
        return f"backward: {self.graph.name}"

    def depths(self, settings: Settings) -> tuple[int, ...]:
        cap = settings.max_nodes
        return tuple(d for d in self.graph.depths if cap is None or self.graph.nodes(d) <= cap)

    def measure(self, settings: Settings) -> list[Result]:
        """Probe the depths smallest first, then time every depth that passed, all interleaved.

        Interleaving the depths too (each round times every depth) matters
        for the growth check: a burst of load then hits every depth alike,
        instead of inflating whichever depths ran during it.
        """
        torch, note = optional_torch(settings)
        depths, stop = self._probed_depths(settings)
        contenders: dict[str, Callable[[int], float]] = {}
        for depth in depths:
            contenders[f"{depth}/tinytorch"] = _backward_block(self.graph, depth)
            contenders[f"{depth}/numpy"] = _numpy_block(self.graph, depth)
            if torch is not None:
                contenders[f"{depth}/torch"] = _torch_block(torch, self.graph, depth)
        times = interleaved_passes(contenders, settings) if depths else {}
        results = [self._result(depth, times, note) for depth in depths]
        return results + ([stop] if stop else [])

    def _probed_depths(self, settings: Settings) -> tuple[list[int], Result | None]:
        """The depths safe to time, and a row saying why the series stopped early (or None)."""
        depths: list[int] = []
        first_per_node: float | None = None
        for depth in self.depths(settings):
            nodes = self.graph.nodes(depth)
            elapsed, wrong = probe(self.graph, depth)
            if wrong:
                return depths, self._not_timed(nodes, ERROR, wrong)
            if first_per_node is None:
                first_per_node = elapsed / nodes
            elif self._runaway(elapsed, nodes, first_per_node):
                elapsed = min(elapsed, probe(self.graph, depth)[0])
                if self._runaway(elapsed, nodes, first_per_node):  # not one scheduler hiccup
                    return depths, self._not_timed(
                        nodes, STOPPED, self._runaway_message(nodes, elapsed, first_per_node)
                    )
            depths.append(depth)
        return depths, None

    def _not_timed(self, nodes: int, status: str, message: str) -> Result:
        return not_measured(self.id, self.kind, self._label(nodes), status, message, id=f"{self.id}/{nodes}")

    @staticmethod
    def _runaway_message(nodes: int, elapsed: float, first_per_node: float) -> str:
        growth = elapsed / nodes / first_per_node
        return (
            f"stopped at {nodes} nodes: one backward took {elapsed * 1e3:.1f} ms, "
            f"{elapsed / nodes * 1e6:.1f} us per node, {growth:.0f}x the per-node cost of the "
            "smallest graph: the cost grows with the number of paths, not of nodes "
            "(visit each node once, in topological order)"
        )

    def _result(self, depth: int, times: dict[str, timing.Timing], note: str) -> Result:
        nodes = self.graph.nodes(depth)
        torch_time, torch_numpy = times.get(f"{depth}/torch"), times.get(f"{depth}/torch_numpy")
        return Result(
            id=f"{self.id}/{nodes}",
            case=self.id,
            kind=self.kind,
            label=self._label(nodes),
            x=nodes,
            tinytorch=times[f"{depth}/tinytorch"].median,
            numpy=times[f"{depth}/numpy"].median,
            torch=torch_time.median if torch_time else None,
            torch_numpy=torch_numpy.median if torch_numpy else None,
            torch_note=note,
            status=OK,
        )

    @staticmethod
    def _runaway(elapsed: float, nodes: int, first_per_node: float) -> bool:
        return elapsed > PROBE_BUDGET_S and elapsed / nodes > PROBE_GROWTH * first_per_node

    def _label(self, nodes: int) -> str:
        return f"{self.graph.name}, {nodes} nodes"

    def subject(self) -> Subject:
        """Backward of the deepest graph, on a fresh graph every round."""
        depth = self.graph.depths[-1]

        def setup() -> tuple[tuple, dict]:
            return (self.graph.build(_leaf(), depth),), {}

        return Subject(lambda loss: loss.backward(), setup)


def backward_cases() -> list[BackwardSeries]:
    return [BackwardSeries(graph) for graph in GRAPHS]
