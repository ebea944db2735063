"""Per-op forward cost: one TinyTorch call against the same NumPy call, from 1x1 to 1000x1000.

At one element the ratio is the framework's overhead per call (Python
work around NumPy's ~0.3 us); at 1000x1000 NumPy's own work dominates and
a healthy ratio is ~1. Where it approaches 1 is what the curve shows.
Inputs do not require grad: this is the forward path every operation
pays, recorded or not. ``Linear`` and the loss are layers with parameters
and so do record a node once Module 05 is exported, as in training.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from pytest_tinytorch.bench import timing
from pytest_tinytorch.bench.base import Settings, Subject, framework, optional_torch, timed_result
from pytest_tinytorch.bench.results import Result

SIZES = (1, 3, 10, 30, 100, 300, 1000)  # n x n inputs: 1 element to 1000x1000

# A built op: the three callables to time (torch's may be None), from the same inputs.
Built = tuple[Callable[[], Any], Callable[[], Any], Callable[[], Any] | None]


def _arrays(n: int, count: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((n, n)).astype(np.float32) for _ in range(count)]


def _torch_tensors(torch, arrays):
    return [torch.from_numpy(a.copy()) for a in arrays] if torch is not None else None


def _binary(operator: Callable[[Any, Any], Any]) -> Callable[[int, Any], Built]:
    def build(n: int, torch) -> Built:
        Tensor = framework("core.tensor").Tensor
        a, b = _arrays(n, 2)
        ta, tb = Tensor(a), Tensor(b)
        pt = _torch_tensors(torch, (a, b))
        torch_call = (lambda: operator(pt[0], pt[1])) if pt else None
        return (lambda: operator(ta, tb)), (lambda: operator(a, b)), torch_call

    return build


def _sum(n: int, torch) -> Built:
    Tensor = framework("core.tensor").Tensor
    (a,) = _arrays(n, 1)
    ta = Tensor(a)
    pt = _torch_tensors(torch, (a,))
    return (lambda: ta.sum()), (lambda: a.sum()), ((lambda: pt[0].sum()) if pt else None)


def numpy_softmax(a: np.ndarray) -> np.ndarray:
    """The fastest plain NumPy softmax over the last axis (the floor)."""
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    return e


def _softmax(n: int, torch) -> Built:
    Softmax, Tensor = framework("core.activations").Softmax, framework("core.tensor").Tensor
    (a,) = _arrays(n, 1)
    ta, softmax = Tensor(a), Softmax(dim=-1)
    pt = _torch_tensors(torch, (a,))
    torch_call = (lambda: torch.softmax(pt[0], dim=-1)) if pt else None
    return (lambda: softmax(ta)), (lambda: numpy_softmax(a)), torch_call


def _linear(n: int, torch) -> Built:
    Linear, Tensor = framework("core.layers").Linear, framework("core.tensor").Tensor
    np.random.seed(0)
    layer = Linear(n, n)
    (x,) = _arrays(n, 1)
    tx, w, b = Tensor(x), layer.weight.data, layer.bias.data

    def numpy_linear() -> np.ndarray:
        out = x @ w.T
        out += b
        return out

    torch_call = None
    if torch is not None:
        torch_layer = torch.nn.Linear(n, n)
        with torch.no_grad():
            torch_layer.weight.copy_(torch.from_numpy(w))
            torch_layer.bias.copy_(torch.from_numpy(b))
        px = torch.from_numpy(x.copy())
        torch_call = lambda: torch_layer(px)  # noqa: E731
    return (lambda: layer(tx)), numpy_linear, torch_call


def numpy_cross_entropy(logits: np.ndarray, targets: np.ndarray, rows: np.ndarray) -> float:
    """Mean softmax cross-entropy by log-sum-exp (the floor): no probabilities built."""
    s = logits - logits.max(axis=1, keepdims=True)
    return float((np.log(np.exp(s).sum(axis=1)) - s[rows, targets]).sum() / len(rows))


def _cross_entropy(n: int, torch) -> Built:
    CrossEntropyLoss, Tensor = framework("core.losses").CrossEntropyLoss, framework("core.tensor").Tensor
    (z,) = _arrays(n, 1)
    y = np.random.default_rng(1).integers(0, n, size=n)
    rows, tz, loss = np.arange(n), Tensor(z), CrossEntropyLoss()
    torch_call = None
    if torch is not None:
        pz, py = torch.from_numpy(z.copy()), torch.from_numpy(y)
        torch_call = lambda: torch.nn.functional.cross_entropy(pz, py)  # noqa: E731
    return (lambda: loss(tz, y)), (lambda: numpy_cross_entropy(z, y, rows)), torch_call


@dataclass(frozen=True)
class Op:
    name: str
    needs: tuple[str, ...]
    explain: str
    build: Callable[[int, Any], Built]


_OVERHEAD = "at small sizes, Python work per call (checks, conversions, Tensor(...) instead of from_numpy)"
OPS = (
    Op(
        "add", ("core.tensor",), f"{_OVERHEAD}; at large sizes, a copy or a float64 upcast", _binary(lambda a, b: a + b)
    ),
    Op(
        "mul", ("core.tensor",), f"{_OVERHEAD}; at large sizes, a copy or a float64 upcast", _binary(lambda a, b: a * b)
    ),
    Op(
        "matmul",
        ("core.tensor",),
        f"{_OVERHEAD}; at large sizes, Python loops instead of one np.matmul, or float64",
        _binary(lambda a, b: a @ b),
    ),
    Op("sum", ("core.tensor",), f"{_OVERHEAD}; at large sizes, a copy or np.mean-style extra passes", _sum),
    Op(
        "softmax",
        ("core.tensor", "core.activations"),
        "at small sizes, Python work per call; at large sizes, extra temporaries (divide in place)",
        _softmax,
    ),
    Op(
        "linear",
        ("core.tensor", "core.layers"),
        "x @ W.T + b as more than one or two NumPy calls, or a copy of W.T",
        _linear,
    ),
    Op(
        "cross_entropy",
        ("core.tensor", "core.losses"),
        "probabilities built then logged (use log-sum-exp), or np.mean's overhead",
        _cross_entropy,
    ),
)


@dataclass(frozen=True)
class OpCase:
    op: Op
    n: int
    kind: str = "op"
    needs_class: str | None = None

    @property
    def id(self) -> str:
        return f"op/{self.op.name}/{self.n}x{self.n}"

    @property
    def group(self) -> str:
        return self.op.name

    @property
    def needs(self) -> tuple[str, ...]:
        return self.op.needs

    @property
    def explain(self) -> str:
        return self.op.explain

    def measure(self, settings: Settings) -> list[Result]:
        torch, note = optional_torch(settings)
        framework, floor, torch_call = self.op.build(self.n, torch)
        contenders = {"tinytorch": timing.calls(framework), "numpy": timing.calls(floor)}
        if torch_call is not None:
            contenders["torch"] = timing.calls(torch_call)
        label = f"{self.op.name} {self.n}x{self.n}"
        return [timed_result(self, self.id, label, self.n, contenders, settings, note)]

    def subject(self) -> Subject:
        framework, _, _ = self.op.build(self.n, None)
        return Subject(framework)


def op_cases() -> list[OpCase]:
    return [OpCase(op, n) for op in OPS for n in SIZES]
