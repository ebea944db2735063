"""One SGD training step through TinyTorch, hand-written NumPy, and PyTorch when installed.

The step is what a student's training loop does: forward, cross-entropy,
``loss.backward()``, then plain SGD ``p.data -= lr * p.grad`` and
``p.grad = None`` (as ``zero_grad`` does). Each implementation trains its
own copy of the same initial parameters on the same batch; before any
timing, the first steps must give the same loss in all of them (a
benchmark of a wrong step would be meaningless).

* MLP: ``Sequential(Linear(64, 128), ReLU(), Linear(128, 10))``, Modules 02-05.
* CNN: ``Conv2d(1, 8, 3)``, ReLU, flatten, ``Linear(288, 10)`` on 8x8
  images (the course's digits size), once some exported module defines a
  PyTorch-style ``Conv2d(in_channels, out_channels, kernel_size)`` with
  ``weight`` (out, in, k, k) and ``bias`` (out,); until then it is
  skipped and says so.

The NumPy steps are the floor for any framework built on NumPy: the same
arithmetic with no graph, no wrappers, no Python per operation beyond the
NumPy calls themselves.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from pytest_tinytorch.bench import timing
from pytest_tinytorch.bench.base import Settings, Subject, framework, optional_torch, timed_result
from pytest_tinytorch.bench.results import ERROR, SKIPPED, Result, not_measured

LR = 0.01
MLP_SIZES = (64, 128, 10)
CNN_SHAPE = dict(channels=1, side=8, filters=8, kernel=3, classes=10)
AGREE_STEPS = 3
AGREE_RTOL = 1e-4
STEP_NEEDS = ("core.tensor", "core.activations", "core.layers", "core.losses", "core.autograd")


class StepMismatchError(AssertionError):
    """Two implementations of the same step computed different losses."""


# --- the MLP -----------------------------------------------------------------------------


class MLPSteps:
    """The model, a batch, and the NumPy and TinyTorch implementations of one SGD step."""

    def __init__(self, batch: int, seed: int = 0) -> None:
        layers, Tensor = framework("core.layers"), framework("core.tensor").Tensor
        ReLU, CrossEntropyLoss = framework("core.activations").ReLU, framework("core.losses").CrossEntropyLoss
        Linear, Sequential = layers.Linear, layers.Sequential
        rng = np.random.default_rng(seed)
        np.random.seed(seed)  # Linear draws its initial weights from np.random
        n_in, n_hidden, n_out = MLP_SIZES
        self.model = Sequential(Linear(n_in, n_hidden), ReLU(), Linear(n_hidden, n_out))
        self.params = list(self.model.parameters())
        self.loss_fn = CrossEntropyLoss()
        self.x = Tensor(rng.standard_normal((batch, n_in)).astype(np.float32))
        self.y = rng.integers(0, n_out, size=batch)
        self.initial = [p.data.copy() for p in self.params]  # w1, b1, w2, b2
        self.w1, self.b1, self.w2, self.b2 = (a.copy() for a in self.initial)
        self.rows = np.arange(batch)

    def framework(self) -> float:
        loss = self.loss_fn(self.model(self.x), self.y)
        loss.backward()
        for p in self.params:
            p.data -= LR * p.grad
            p.grad = None
        return loss.item()

    def numpy(self) -> float:
        x, y, rows = self.x.data, self.y, self.rows
        w1, b1, w2, b2 = self.w1, self.b1, self.w2, self.b2
        h = x @ w1.T
        h += b1
        r = np.maximum(h, 0)
        z = r @ w2.T
        z += b2
        e, loss = _softmax_ce_grad(z, y, rows)
        grad_w2, grad_b2 = e.T @ r, e.sum(axis=0)
        grad_r = e @ w2
        grad_r *= h > 0
        grad_w1, grad_b1 = grad_r.T @ x, grad_r.sum(axis=0)
        for p, g in ((w1, grad_w1), (b1, grad_b1), (w2, grad_w2), (b2, grad_b2)):
            p -= LR * g
        return loss

    def torch_step(self, torch) -> Callable[[], float]:
        n_in, n_hidden, n_out = MLP_SIZES
        model = torch.nn.Sequential(torch.nn.Linear(n_in, n_hidden), torch.nn.ReLU(), torch.nn.Linear(n_hidden, n_out))
        return _torch_sgd_step(torch, model, self.initial, self.x.data, self.y)


def _softmax_ce_grad(z: np.ndarray, y: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, float]:
    """Cross-entropy of logits ``z`` (log-sum-exp) and its gradient ``(softmax - one_hot) / N``."""
    n = len(rows)
    s = z - z.max(axis=1, keepdims=True)
    e = np.exp(s)
    sums = e.sum(axis=1)
    loss = float((np.log(sums) - s[rows, y]).sum() / n)
    e /= sums[:, None]
    e[rows, y] -= 1.0
    e /= n
    return e, loss


def _torch_sgd_step(torch, model, initial: list[np.ndarray], x: np.ndarray, y: np.ndarray):
    params = list(model.parameters())
    with torch.no_grad():
        for p, value in zip(params, initial, strict=True):
            p.copy_(torch.from_numpy(value))
    loss_fn = torch.nn.CrossEntropyLoss()
    tx, ty = torch.from_numpy(x.copy()), torch.from_numpy(y)

    def step() -> float:
        loss = loss_fn(model(tx), ty)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        return loss.item()

    return step


# --- the CNN -----------------------------------------------------------------------------


def find_class(name: str) -> type | None:
    """A class ``name`` defined in any loaded ``tinytorch`` module (``import tinytorch`` loads all)."""
    framework()  # `import tinytorch` loads every exported module
    for module_name, module in sorted(sys.modules.items()):
        if module_name.split(".")[0] != "tinytorch" or module is None:
            continue
        candidate = getattr(module, name, None)
        if isinstance(candidate, type) and candidate.__module__ == module_name:
            return candidate
    return None


def _patches(x: np.ndarray, k: int) -> np.ndarray:
    """im2col: (B, C, H, W) -> (B * H' * W', C * k * k), one row per output position."""
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))  # B,C,H',W',k,k
    b, c, oh, ow = windows.shape[:4]
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(b * oh * ow, c * k * k)


class CNNSteps:
    """Conv2d -> ReLU -> flatten -> Linear -> cross-entropy, in NumPy and in TinyTorch."""

    def __init__(self, batch: int, conv_class: type, seed: int = 0) -> None:
        Linear, Tensor = framework("core.layers").Linear, framework("core.tensor").Tensor
        ReLU, CrossEntropyLoss = framework("core.activations").ReLU, framework("core.losses").CrossEntropyLoss
        rng = np.random.default_rng(seed)
        np.random.seed(seed)
        c, side, f, k, classes = (CNN_SHAPE[key] for key in ("channels", "side", "filters", "kernel", "classes"))
        self.out_side = side - k + 1
        features = f * self.out_side**2
        self.conv, self.relu, self.fc = conv_class(c, f, k), ReLU(), Linear(features, classes)
        self.loss_fn = CrossEntropyLoss()
        self.params = [self.conv.weight, self.conv.bias, self.fc.weight, self.fc.bias]
        self.x = Tensor(rng.standard_normal((batch, c, side, side)).astype(np.float32))
        self.y = rng.integers(0, classes, size=batch)
        self.initial = [np.asarray(p.data).copy() for p in self.params]
        self.cw, self.cb, self.fw, self.fb = (a.copy() for a in self.initial)
        self.rows, self.k, self.batch = np.arange(batch), k, batch
        self.cols = _patches(self.x.data, k)  # the input never changes, nor do its patches

    def framework(self) -> float:
        h = self.relu(self.conv(self.x))
        loss = self.loss_fn(self.fc(h.reshape(self.batch, -1)), self.y)
        loss.backward()
        for p in self.params:
            p.data -= LR * p.grad
            p.grad = None
        return loss.item()

    def numpy(self) -> float:
        loss, grads = cnn_numpy_grads(self.cols, self.y, self.rows, self.cw, self.cb, self.fw, self.fb, self.out_side)
        for p, g in zip((self.cw, self.cb, self.fw, self.fb), grads, strict=True):
            p -= LR * g
        return loss

    def torch_step(self, torch) -> Callable[[], float]:
        c, f, k = CNN_SHAPE["channels"], CNN_SHAPE["filters"], CNN_SHAPE["kernel"]
        model = torch.nn.Sequential(
            torch.nn.Conv2d(c, f, k),
            torch.nn.ReLU(),
            torch.nn.Flatten(),
            torch.nn.Linear(f * self.out_side**2, CNN_SHAPE["classes"]),
        )
        return _torch_sgd_step(torch, model, self.initial, self.x.data, self.y)


def cnn_numpy_grads(cols, y, rows, cw, cb, fw, fb, out_side: int):
    """Loss and gradients (conv weight, conv bias, fc weight, fc bias) of the CNN, by hand."""
    batch, filters = len(rows), cw.shape[0]
    h = cols @ cw.reshape(filters, -1).T  # (B*H'*W', F)
    h += cb
    r = np.maximum(h, 0)
    # flatten in (F, H', W') order, as reshape(B, -1) of a (B, F, H', W') tensor does
    flat = r.reshape(batch, out_side, out_side, filters).transpose(0, 3, 1, 2).reshape(batch, -1)
    z = flat @ fw.T
    z += fb
    e, loss = _softmax_ce_grad(z, y, rows)
    grad_fw, grad_fb = e.T @ flat, e.sum(axis=0)
    grad_flat = e @ fw
    grad_h = grad_flat.reshape(batch, filters, out_side, out_side).transpose(0, 2, 3, 1)
    grad_h = grad_h.reshape(-1, filters) * (h > 0)
    grad_cw = (grad_h.T @ cols).reshape(cw.shape)
    return loss, (grad_cw, grad_h.sum(axis=0), grad_fw, grad_fb)


# --- the cases ---------------------------------------------------------------------------


def check_agreement(steps: Any, torch_step: Callable[[], float] | None) -> None:
    """The first steps of every implementation give the same loss, or StepMismatchError."""
    for number in range(1, AGREE_STEPS + 1):
        losses = {"tinytorch": steps.framework(), "numpy": steps.numpy()}
        if torch_step is not None:
            losses["torch"] = torch_step()
        reference = losses["numpy"]
        for name, value in losses.items():
            if not np.isclose(value, reference, rtol=AGREE_RTOL, atol=1e-6):
                raise StepMismatchError(
                    f"step {number}: {name} loss={value!r}, NumPy loss={reference!r}; the two "
                    "implementations do not compute the same step, so timing them means nothing"
                )


@dataclass(frozen=True)
class StepCase:
    model: str  # "mlp" or "cnn"
    batch: int
    kind: str = "step"

    @property
    def id(self) -> str:
        return f"step/{self.model}/b{self.batch}"

    @property
    def group(self) -> str:
        return f"{self.model.upper()} training step"

    @property
    def needs(self) -> tuple[str, ...]:
        return STEP_NEEDS

    @property
    def needs_class(self) -> str | None:
        return "Conv2d" if self.model == "cnn" else None

    @property
    def explain(self) -> str:
        return (
            "unfused softmax + cross-entropy, zero-filled or copied gradients, gradients nobody "
            "needs (w.r.t. the input batch), or allocator churn at larger batches"
        )

    @property
    def label(self) -> str:
        return f"{self.model.upper()} step, batch {self.batch}"

    def build(self) -> MLPSteps | CNNSteps | Result:
        """The steps object, or a skipped row when the framework cannot run this model yet."""
        if self.model == "mlp":
            return MLPSteps(self.batch)
        conv = find_class("Conv2d")
        if conv is None:
            return not_measured(
                self.id,
                self.kind,
                self.label,
                SKIPPED,
                "tinytorch has no Conv2d yet (no exported module defines one); the CNN step is "
                "measured once a module exports Conv2d(in_channels, out_channels, kernel_size)",
            )
        return CNNSteps(self.batch, conv)

    def measure(self, settings: Settings) -> list[Result]:
        steps = self.build()
        if isinstance(steps, Result):
            return [steps]
        torch, note = optional_torch(settings)
        torch_step = steps.torch_step(torch) if torch is not None else None
        try:
            check_agreement(steps, torch_step)
        except StepMismatchError as error:
            return [not_measured(self.id, self.kind, self.label, ERROR, str(error))]
        contenders = {"tinytorch": timing.calls(steps.framework), "numpy": timing.calls(steps.numpy)}
        if torch_step is not None:
            contenders["torch"] = timing.calls(torch_step)
        return [timed_result(self, self.id, self.label, self.batch, contenders, settings, note)]

    def subject(self) -> Subject | None:
        steps = self.build()
        return None if isinstance(steps, Result) else Subject(steps.framework)


def step_cases() -> list[StepCase]:
    return [StepCase("mlp", 32), StepCase("mlp", 256), StepCase("cnn", 32)]
