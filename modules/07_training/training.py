# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   tinytorch:
#     requires: [1, 2, 3, 4, 5, 6]
#     points: 80
# ---

# %% [markdown]
"""
# Module 07: Training - the loop, and everything a real run needs around it

You can now compute a loss (Module 04), its gradients (Module 05) and an
update (Module 06). Training repeats those three steps over a data set many
times. This module turns the repetition into a reusable `Trainer` and adds
the tools every real training run needs:

| tool | problem it solves |
|---|---|
| `Trainer.train_epoch` / `evaluate` / `fit` | the loop itself, with the train / eval switch, `no_grad()` for evaluation and losses averaged correctly |
| `clip_grad_norm_` | one bad batch produces a huge gradient and throws the weights far away |
| `StepLR`, `CosineAnnealingLR` | a learning rate that is right at the start is too large at the end |
| `save_checkpoint` / `load_checkpoint` | a run that crashes after 6 hours must resume where it was, **exactly** |

```python
trainer = Trainer(model, Adam(model.parameters(), lr=1e-3), CrossEntropyLoss(),
                  scheduler=None, max_grad_norm=1.0)
history = trainer.fit(train_batches, epochs=10, val_batches=test_batches)
trainer.save("run.npz")          # later: trainer.load("run.npz"), then fit(...) again
```

## Learning objectives

1. Write a training loop that averages the loss over *samples* (not
   batches), switches `train()` / `eval()`, and evaluates without building a
   graph.
2. Implement gradient clipping by global norm exactly as PyTorch does.
3. Implement step and cosine learning-rate schedules in closed form.
4. Save and load a checkpoint that round-trips **bit for bit** (weights,
   optimizer state, schedule, history) in a pickle-free format, written
   atomically so a crash can never leave half a file.
5. Measure the loop's overhead against a hand-written loop, the size and
   speed of checkpoints, and what clipping and schedules change.

## Prerequisites

- **Modules 01-05**: `Tensor`, layers, losses, `backward()`, `no_grad()`.
- **Module 06 (Optimizers)**: `optimizer.lr`, `zero_grad()`, `step()`,
  `state_dict()` / `load_state_dict()`.
- A "batch source" here is anything you can loop over that yields
  `(inputs, targets)` pairs: a list of arrays is enough. Module 08 builds
  the real `DataLoader`.

## Where this code lives

`tito source export 07` writes `tinytorch/core/training.py`:

```python
from tinytorch.core.training import (Trainer, clip_grad_norm_, StepLR, CosineAnnealingLR,
                                     save_checkpoint, load_checkpoint)
```
"""

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": false, "schema_version": 3, "solution": false}
#| default_exp core.training
#| export
import contextlib
import json
import math
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from tinytorch.core.autograd import no_grad
from tinytorch.core.layers import Module
from tinytorch.core.optimizers import Optimizer, _check_number
from tinytorch.core.tensor import Tensor, TinyTorchError

# %% [markdown]
"""
## 1. Gradient clipping

Most batches give gradients of a reasonable size, but now and then one does
not: an outlier, a sharp cliff in the loss surface, a recurrent network
multiplying the same matrix many times. A single step of `lr * g` with a
huge `g` can undo hours of training (the loss jumps to `nan`).

**Clipping by global norm** measures the size of *all* gradients together,

```
total_norm = sqrt( sum over every parameter p of sum(p.grad ** 2) )
```

and if it exceeds `max_norm`, scales every gradient by the same factor
`max_norm / total_norm`. The direction of the step is unchanged; only its
length is capped. PyTorch's `torch.nn.utils.clip_grad_norm_` does exactly
this (the trailing `_` means "modifies its argument in place"), with a tiny
`1e-6` added to the denominator, and returns the norm *before* clipping, so
you can log it.
"""


# %% nbgrader={"grade": false, "grade_id": "clip-grad-norm", "locked": false, "schema_version": 3, "solution": true}
#| export
def clip_grad_norm_(parameters, max_norm) -> float:
    """Scale all gradients in place so that their global L2 norm is at most ``max_norm``.

    Returns the global norm before clipping, as a Python float.
    (PyTorch: ``torch.nn.utils.clip_grad_norm_``.)

    TODO: compute the global norm over every parameter that has a gradient;
    if ``max_norm / (norm + 1e-6) < 1``, multiply each gradient by that factor.

    APPROACH:
    1. max_norm = _check_number("clip_grad_norm_", "max_norm", max_norm, open_low=True)
    2. grads = [p.grad for p in parameters if p.grad is not None]
       (``parameters`` may be a generator: read it once). None -> return 0.0.
    3. total = sqrt(sum over g of float(np.sum(g * g))).
    4. coef = max_norm / (total + 1e-6); if coef < 1: ``g *= coef`` for each g.
    5. Return total.

    HINTS:
    - ``g *= coef`` changes the gradient array itself: that is the point.
    - ``np.dot(g.ravel(), g.ravel())`` computes sum(g * g) without a temporary.

    EXAMPLE:
    >>> w = Parameter([0.0, 0.0]); w.grad = np.array([3.0, 4.0], np.float32)
    >>> clip_grad_norm_([w], max_norm=1.0)
    5.0
    >>> w.grad
    array([0.6, 0.8], dtype=float32)
    """
    ### BEGIN SOLUTION
    max_norm = _check_number("clip_grad_norm_", "max_norm", max_norm, open_low=True)
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return 0.0
    total = math.sqrt(sum(float(np.dot(g.ravel(), g.ravel())) for g in grads))
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for g in grads:
            g *= coef
    return total
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "test-helpers", "locked": true, "schema_version": 3, "solution": false}
from tinytorch.core.activations import ReLU, Tanh  # noqa: E402
from tinytorch.core.layers import Linear, Parameter, Sequential  # noqa: E402
from tinytorch.core.losses import CrossEntropyLoss  # noqa: E402
from tinytorch.core.optimizers import SGD, Adam  # noqa: E402


def _expect_error(exc_type, fn, *args, contains="", **kwargs):
    """Assert that fn(*args, **kwargs) raises exc_type whose message contains ``contains``."""
    try:
        fn(*args, **kwargs)
    except exc_type as exc:
        assert contains in str(exc), f"{exc_type.__name__} message {str(exc)!r} should mention {contains!r}"
        return
    raise AssertionError(f"{getattr(fn, '__name__', fn)} should raise {exc_type.__name__} ({contains!r})")


def _blobs(n=240, classes=3, seed=0):
    """Three noisy clusters in 2-D, as (points float32, labels int64)."""
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])[:classes]
    labels = rng.integers(0, classes, size=n)
    points = centers[labels] + rng.normal(0, 0.7, size=(n, 2))
    return points.astype(np.float32), labels.astype(np.int64)


def _batches(points, labels, size=32):
    """The simplest batch source: a list of (inputs, targets) slices."""
    return [(points[i : i + size], labels[i : i + size]) for i in range(0, len(points), size)]


# %% nbgrader={"grade": true, "grade_id": "test-clip-grad-norm", "locked": true, "points": 10, "schema_version": 3, "solution": false}
def test_unit_clip_grad_norm():
    """Global norm matches NumPy; clipping keeps the direction; small gradients untouched."""
    rng = np.random.default_rng(0)
    params = [Parameter(rng.standard_normal(shape)) for shape in [(3, 4), (4,), (2, 2)]]
    grads = [rng.standard_normal(p.shape).astype(np.float32) * 10 for p in params]
    for p, g in zip(params, grads, strict=True):
        p.grad = g.copy()
    params.append(Parameter([1.0]))  # no gradient: ignored
    expected = np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads))
    kept = [p.grad for p in params[:3]]
    total = clip_grad_norm_(iter(params), max_norm=2.0)
    assert isinstance(total, float), f"return a Python float, got {type(total).__name__}"
    assert abs(total - expected) < 1e-5 * expected, f"norm {total}, expected {expected}"
    assert all(p.grad is k for p, k in zip(params, kept, strict=False)), "clip in place: same gradient arrays"
    new_norm = np.sqrt(sum(np.sum(p.grad.astype(np.float64) ** 2) for p in params[:3]))
    assert abs(new_norm - 2.0) < 1e-4, f"after clipping the norm is {new_norm}, expected 2.0"
    for p, g in zip(params[:3], grads, strict=True):
        np.testing.assert_allclose(p.grad, g * (2.0 / (expected + 1e-6)), rtol=1e-5)
    # below the limit: untouched
    small = Parameter([0.0, 0.0])
    small.grad = np.array([0.3, 0.4], np.float32)
    assert abs(clip_grad_norm_([small], 1.0) - 0.5) < 1e-7
    np.testing.assert_array_equal(small.grad, np.array([0.3, 0.4], np.float32))
    assert clip_grad_norm_([Parameter([1.0])], 1.0) == 0.0, "no gradients: norm 0"
    _expect_error(ValueError, clip_grad_norm_, [small], 0.0, contains="max_norm=0.0")


if __name__ == "__main__":
    test_unit_clip_grad_norm()

# %% [markdown]
"""
## 2. Learning-rate schedules

Early in training, large steps make fast progress; near a minimum, the same
steps bounce around it. Lowering the learning rate as training goes on gets
both. A **scheduler** owns that decision: after every epoch you call
`scheduler.step()`, and it sets `optimizer.lr` for the next epoch.

```
StepLR(opt, step_size=10, gamma=0.1):  lr = base_lr * gamma ** (epoch // step_size)
    0.1 for epochs 0-9, 0.01 for 10-19, 0.001 for 20-29, ...
CosineAnnealingLR(opt, T_max=50, eta_min=0):
    lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2
    a smooth half cosine from base_lr down to eta_min at epoch T_max
```

`epoch` is `self.last_epoch`: how many times `step()` has been called.
PyTorch computes some schedules recursively (each lr from the previous one);
we use the **closed forms** above (PyTorch's `_get_closed_form_lr`): the
same numbers, and a resumed run can jump straight to any epoch.

The base class is given. You write each schedule's `get_lr()` (and
`StepLR`'s argument checks).
"""


# %% nbgrader={"grade": false, "grade_id": "lr-scheduler-base", "locked": true, "schema_version": 3, "solution": false}
#| export
class LRScheduler:
    """Base class of learning-rate schedules (PyTorch: ``torch.optim.lr_scheduler.LRScheduler``).

    Remembers the optimizer's learning rate at creation as ``base_lr``;
    each ``step()`` advances ``last_epoch`` and sets ``optimizer.lr`` to
    ``get_lr()``. (PyTorch keeps one rate per parameter group; we have one.)
    """

    def __init__(self, optimizer) -> None:
        if not isinstance(optimizer, Optimizer) or not hasattr(optimizer, "lr"):
            raise TypeError(
                f"{type(self).__name__}: optimizer={optimizer!r} must be an Optimizer with an lr, "
                "e.g. SGD(model.parameters(), lr=0.1)"
            )
        self.optimizer = optimizer
        self.base_lr = float(optimizer.lr)
        self.last_epoch = 0

    def get_lr(self) -> float:
        """The learning rate for epoch ``self.last_epoch`` (each schedule defines it)."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_lr()")

    def step(self) -> None:
        """Call once per epoch, after training it: move to the next epoch's learning rate."""
        self.last_epoch += 1
        self.optimizer.lr = self.get_lr()

    def get_last_lr(self) -> float:
        """The learning rate the optimizer uses now."""
        return self.optimizer.lr

    def state_dict(self) -> dict:
        return {"base_lr": self.base_lr, "last_epoch": self.last_epoch}

    def load_state_dict(self, state_dict: dict) -> None:
        self.base_lr = float(state_dict["base_lr"])
        self.last_epoch = int(state_dict["last_epoch"])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self.get_last_lr()!r})"


# %% nbgrader={"grade": false, "grade_id": "schedulers", "locked": false, "schema_version": 3, "solution": true}
#| export
class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs (PyTorch: ``StepLR``)."""

    def __init__(self, optimizer, step_size, gamma=0.1) -> None:
        """Check and store ``step_size`` (a positive int) and ``gamma`` (in (0, 1]).

        TODO: validate, then store self.step_size and self.gamma.

        APPROACH:
        1. step_size: an int (not a bool) >= 1, else ValueError / TypeError
           naming ``step_size=...``.
        2. self.gamma = _check_number("StepLR", "gamma", gamma, 0.0, 1.0,
           open_low=True, closed_high=True)
        """
        super().__init__(optimizer)
        ### BEGIN SOLUTION
        if isinstance(step_size, bool) or not isinstance(step_size, (int, np.integer)):
            raise TypeError(f"StepLR: step_size={step_size!r} must be a positive int (epochs)")
        if step_size < 1:
            raise ValueError(f"StepLR: step_size={step_size!r} must be >= 1 (epochs)")
        self.step_size = int(step_size)
        self.gamma = _check_number("StepLR", "gamma", gamma, 0.0, 1.0, open_low=True, closed_high=True)
        ### END SOLUTION

    def get_lr(self) -> float:
        """The learning rate for epoch ``self.last_epoch``: base_lr * gamma ** (last_epoch // step_size).

        EXAMPLE (step_size=2, gamma=0.5, base_lr=0.1):
        last_epoch  0    1    2     3     4      5
        lr          0.1  0.1  0.05  0.05  0.025  0.025
        """
        ### BEGIN SOLUTION
        return self.base_lr * self.gamma ** (self.last_epoch // self.step_size)
        ### END SOLUTION


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from ``base_lr`` down to ``eta_min`` over ``T_max`` epochs (PyTorch: ``CosineAnnealingLR``)."""

    def __init__(self, optimizer, T_max, eta_min=0.0) -> None:
        super().__init__(optimizer)
        if isinstance(T_max, bool) or not isinstance(T_max, (int, np.integer)) or T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max={T_max!r} must be a positive int (epochs)")
        self.T_max = int(T_max)
        self.eta_min = _check_number("CosineAnnealingLR", "eta_min", eta_min)

    def get_lr(self) -> float:
        """eta_min + (base_lr - eta_min) * (1 + cos(pi * last_epoch / T_max)) / 2

        HINT: math.cos and math.pi; at last_epoch = 0 this is base_lr, at
        last_epoch = T_max it is eta_min.
        """
        ### BEGIN SOLUTION
        progress = math.pi * self.last_epoch / self.T_max
        return self.eta_min + (self.base_lr - self.eta_min) * (1.0 + math.cos(progress)) / 2.0
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-schedulers", "locked": true, "points": 10, "schema_version": 3, "solution": false}
def test_unit_schedulers():
    """Both schedules match their formulas epoch by epoch and set optimizer.lr."""
    opt = SGD([Parameter([1.0])], lr=0.1)
    step = StepLR(opt, step_size=3, gamma=0.5)
    seen = [opt.lr]
    for _ in range(8):
        step.step()
        seen.append(opt.lr)
    expected = [0.1 * 0.5 ** (epoch // 3) for epoch in range(9)]
    np.testing.assert_allclose(seen, expected, rtol=1e-12, err_msg="StepLR")
    assert step.get_last_lr() == opt.lr and step.last_epoch == 8
    opt = Adam([Parameter([1.0])], lr=0.02)
    cosine = CosineAnnealingLR(opt, T_max=10, eta_min=0.001)
    seen = [opt.lr]
    for _ in range(10):
        cosine.step()
        seen.append(opt.lr)
    expected = [0.001 + 0.019 * (1 + math.cos(math.pi * t / 10)) / 2 for t in range(11)]
    np.testing.assert_allclose(seen, expected, rtol=1e-12, err_msg="CosineAnnealingLR")
    assert abs(seen[-1] - 0.001) < 1e-15 and abs(seen[5] - 0.0105) < 1e-12
    _expect_error(ValueError, StepLR, opt, 0, contains="step_size=0")
    _expect_error(TypeError, StepLR, opt, 2.5, contains="step_size=2.5")
    _expect_error(ValueError, StepLR, opt, 2, gamma=1.5, contains="gamma=1.5")


if __name__ == "__main__":
    test_unit_schedulers()

# %% [markdown]
"""
## 3. Checkpoints that round-trip exactly

A checkpoint is everything needed to continue a run as if it had never
stopped:

- every parameter of the model, by name (`"layers.0.weight"`);
- the optimizer's hyper-parameters and state (momentum buffers, Adam's
  moments and step counts: without them, resuming Adam restarts its
  averages from zero and the run takes a different path);
- the scheduler's position, and anything else you pass (`epoch=`,
  `history=`).

**Format: one `.npz` file, no pickle.** `np.savez` stores named arrays in a
zip file, each in NumPy's own `.npy` format: exact bytes, exact dtype.
Everything that is not an array (class names, hyper-parameters, step
counts, history) goes into one JSON string stored under the key
`"__meta__"`; Python floats survive JSON exactly. We load with
`allow_pickle=False`: unpickling runs arbitrary code, so a checkpoint
downloaded from the internet must never be unpickled (PyTorch switched
`torch.load` to `weights_only=True` in 2.6 for this reason).

**Atomic writes.** If the program dies halfway through writing, a plain
`open(path, "wb")` has already destroyed the previous checkpoint and left
half a new one. Instead, write to a temporary file *in the same folder*,
flush it to disk (`os.fsync`), then `os.replace(tmp, path)`: the operating
system swaps the name in one step, so a reader sees either the old file or
the new one, never a mix.

The given helpers `_checkpoint_contents` and `_restore_contents` do the
bookkeeping (names, shapes, which optimizer); you write the file handling.
"""


# %% nbgrader={"grade": false, "grade_id": "checkpoint-helpers", "locked": true, "schema_version": 3, "solution": false}
#| export
CHECKPOINT_FORMAT = 1
_META = "__meta__"


class CheckpointError(TinyTorchError, ValueError):
    """A checkpoint that does not fit the model / optimizer it is loaded into."""


def _checkpoint_contents(model, optimizer=None, scheduler=None, extra=None):
    """(arrays, meta): every array under a unique key, everything else in a JSON-able dict."""
    arrays, params = {}, []
    for name, p in model.named_parameters():
        arrays[f"model/{name}"] = p.data
        params.append([name, list(p.shape), str(p.dtype)])
    meta = {"format": CHECKPOINT_FORMAT, "model": type(model).__name__, "params": params, "extra": extra or {}}
    if optimizer is not None:
        saved = optimizer.state_dict()
        scalars = []
        for i, entry in enumerate(saved["state"]):
            scalars.append({k: v for k, v in entry.items() if not isinstance(v, np.ndarray)})
            for key, value in entry.items():
                if isinstance(value, np.ndarray):
                    arrays[f"optimizer/{i}/{key}"] = value
        meta["optimizer"] = {
            "class": type(optimizer).__name__,
            "hyperparameters": saved["hyperparameters"],
            "scalars": scalars,
        }
    if scheduler is not None:
        meta["scheduler"] = {"class": type(scheduler).__name__, "state": scheduler.state_dict()}
    return arrays, meta


def _check_compatible(meta, model, optimizer, scheduler, path):
    """Raise CheckpointError naming every mismatch between the file and the objects."""
    problems = []
    if meta.get("format") != CHECKPOINT_FORMAT:
        problems.append(f"format={meta.get('format')!r}, this code reads format {CHECKPOINT_FORMAT}")
    saved = {name: (tuple(shape), dtype) for name, shape, dtype in meta["params"]}
    current = {name: (p.shape, str(p.dtype)) for name, p in model.named_parameters()}
    for name in sorted(saved.keys() - current.keys()):
        problems.append(f"the file has parameter {name!r}, the model does not")
    for name in sorted(current.keys() - saved.keys()):
        problems.append(f"the model has parameter {name!r}, the file does not")
    for name in sorted(saved.keys() & current.keys()):
        if saved[name] != current[name]:
            problems.append(f"{name}: file shape/dtype {saved[name]}, model {current[name]}")
    for label, obj in (("optimizer", optimizer), ("scheduler", scheduler)):
        if obj is None:
            continue
        if label not in meta:
            problems.append(f"a {label} was given but the file has no {label} state")
        elif meta[label]["class"] != type(obj).__name__:
            problems.append(f"the file holds {meta[label]['class']} state, the {label} is {type(obj).__name__}")
    if problems:
        raise CheckpointError(f"{path} does not fit:\n  " + "\n  ".join(problems))


def _restore_contents(data, meta, model, optimizer, scheduler):
    """Copy the arrays of an open npz file (and the meta values) into the objects."""
    for name, p in model.named_parameters():
        np.copyto(p.data, data[f"model/{name}"])
    if optimizer is not None:
        info = meta["optimizer"]
        state = []
        for i, scalars in enumerate(info["scalars"]):
            entry = dict(scalars)
            prefix = f"optimizer/{i}/"
            for key in data.files:
                if key.startswith(prefix):
                    entry[key[len(prefix) :]] = data[key]
            state.append(entry)
        optimizer.load_state_dict({"hyperparameters": info["hyperparameters"], "state": state})
    if scheduler is not None:
        scheduler.load_state_dict(meta["scheduler"]["state"])


# %% nbgrader={"grade": false, "grade_id": "checkpoint", "locked": false, "schema_version": 3, "solution": true}
#| export
def save_checkpoint(path, model, optimizer=None, scheduler=None, **extra) -> Path:
    """Write model (+ optimizer, scheduler, extra values) to ``path`` atomically; return the path.

    ``extra`` values must be JSON-able (numbers, strings, lists, dicts).

    TODO: gather the contents, then write them to a temporary file next to
    ``path`` and rename it over ``path``.

    APPROACH:
    1. path = Path(path); arrays, meta = _checkpoint_contents(model, optimizer, scheduler, extra)
    2. arrays[_META] = np.array(json.dumps(meta))   (a 0-d string array)
    3. fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    4. try: with os.fdopen(fd, "wb") as f: np.savez(f, **arrays); f.flush();
       os.fsync(f.fileno()). Then os.replace(tmp, path).
       except BaseException: remove tmp (os.unlink, ignoring
       FileNotFoundError) and re-raise.
    5. Return path.

    HINTS:
    - np.savez(file_object, ...) writes to an open file; given a *name*
      without ".npz" it would append the suffix itself.
    - The temporary file must be in the same folder: os.replace is atomic
      only within one file system.
    - json.dumps raises TypeError for a value it cannot store (say, a NumPy
      float32): convert extra values to plain Python numbers first.
    """
    ### BEGIN SOLUTION
    path = Path(path)
    arrays, meta = _checkpoint_contents(model, optimizer, scheduler, extra)
    arrays[_META] = np.array(json.dumps(meta))
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path
    ### END SOLUTION


def load_checkpoint(path, model, optimizer=None, scheduler=None) -> dict:
    """Load what ``save_checkpoint`` wrote into the given objects; return the extra values.

    TODO: open the file without pickle, check it fits, restore, return extra.

    APPROACH:
    1. with np.load(path, allow_pickle=False) as data:
    2.     meta = json.loads(str(data[_META]))
    3.     _check_compatible(meta, model, optimizer, scheduler, path)  (raises CheckpointError)
    4.     _restore_contents(data, meta, model, optimizer, scheduler)
    5. return meta["extra"]

    HINT: a missing file should raise FileNotFoundError, which np.load does
    by itself; a file that is not a checkpoint (no "__meta__" key) deserves
    a CheckpointError saying so.
    """
    ### BEGIN SOLUTION
    with np.load(path, allow_pickle=False) as data:
        if _META not in data.files:
            raise CheckpointError(f"{path} is not a TinyTorch checkpoint (no {_META!r} entry)")
        meta = json.loads(str(data[_META]))
        _check_compatible(meta, model, optimizer, scheduler, path)
        _restore_contents(data, meta, model, optimizer, scheduler)
    return meta["extra"]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-checkpoint", "locked": true, "points": 20, "schema_version": 3, "solution": false}
def test_unit_checkpoint():
    """Save/load is bit-exact for weights and Adam state; mismatches and crashes are safe."""
    import shutil

    folder = Path(tempfile.mkdtemp())
    try:
        np.random.seed(0)
        model = Sequential(Linear(3, 5), Tanh(), Linear(5, 2))
        opt = Adam(model.parameters(), lr=0.01)
        sched = StepLR(opt, step_size=2)
        x, y = Tensor(np.random.default_rng(0).standard_normal((8, 3))), np.arange(8) % 2
        for _ in range(3):
            opt.zero_grad()
            CrossEntropyLoss()(model(x), y).backward()
            opt.step()
            sched.step()
        path = save_checkpoint(folder / "run.npz", model, opt, sched, epoch=3, history={"loss": [0.1, 1 / 3]})
        assert path == folder / "run.npz" and path.exists()
        assert [f.name for f in folder.iterdir()] == ["run.npz"], "no temporary files may remain"
        np.random.seed(1)  # different weights, fresh optimizer and scheduler
        model2 = Sequential(Linear(3, 5), Tanh(), Linear(5, 2))
        opt2 = Adam(model2.parameters(), lr=0.5)
        sched2 = StepLR(opt2, step_size=2)
        extra = load_checkpoint(path, model2, opt2, sched2)
        assert extra == {"epoch": 3, "history": {"loss": [0.1, 1 / 3]}}, f"extra values: {extra}"
        for (name, a), b in zip(model.named_parameters(), model2.parameters(), strict=True):
            assert a.data.dtype == b.data.dtype and np.array_equal(a.data, b.data), f"{name} differs"
        assert opt2.lr == opt.lr and opt2.betas == opt.betas and sched2.last_epoch == 3
        for s1, s2 in zip(opt.state, opt2.state, strict=True):
            assert s1["step"] == s2["step"] == 3 and type(s2["step"]) is int
            assert np.array_equal(s1["exp_avg"], s2["exp_avg"]) and np.array_equal(s1["exp_avg_sq"], s2["exp_avg_sq"])
        with np.load(path, allow_pickle=False) as data:  # readable without pickle
            assert "model/layers.0.weight" in data.files
        # a model that does not fit: every mismatch named
        _expect_error(CheckpointError, load_checkpoint, path, Sequential(Linear(3, 4)), contains="layers.2.weight")
        _expect_error(CheckpointError, load_checkpoint, path, model2, SGD(model2.parameters(), lr=0.1), contains="Adam")
        # a crash while writing leaves the old checkpoint intact and no temporary file
        before = path.read_bytes()
        real_savez = np.savez

        def broken_savez(handle, **arrays):
            handle.write(b"half a file")
            raise OSError("disk full")

        np.savez = broken_savez
        try:
            _expect_error(OSError, save_checkpoint, path, model, contains="disk full")
        finally:
            np.savez = real_savez
        assert path.read_bytes() == before, "a failed save must not touch the existing checkpoint"
        assert [f.name for f in folder.iterdir()] == ["run.npz"], "a failed save must remove its temporary file"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    test_unit_checkpoint()

# %% [markdown]
"""
## 4. The Trainer

One **epoch** is one pass over the training data, batch by batch:

```
model.train()                         Dropout on (Module 03)
for inputs, targets in batches:
    loss = loss_fn(model(inputs), targets)
    optimizer.zero_grad()             forget the last batch's gradients
    loss.backward()                   fill p.grad
    clip_grad_norm_(...)              optional
    optimizer.step()                  update
```

Three details make the numbers right:

- **Average over samples, not batches.** With 100 samples and batches of
  32, the last batch has 4 samples. Its mean loss counts for 4 samples,
  not for as much as a full batch: add `loss.item() * len(targets)`, divide
  by the number of samples at the end.
- **Evaluate in `eval()` mode under `no_grad()`**: no dropout, no graph
  (less memory, faster), and then restore the mode the model was in.
- **Accuracy** makes sense for classification: targets are class indices
  `(N,)` and outputs are scores `(N, C)`; the prediction is the `argmax`.
  For other tasks `evaluate` reports `accuracy=None`.

`fit` runs `epochs` epochs, evaluates after each when validation batches
are given, steps the scheduler, and appends one entry per epoch to
`self.history` (`train_loss`, `val_loss`, `val_accuracy`, `lr` used for
that epoch, `seconds`). `self.epoch` counts the epochs done, so calling
`fit` again continues the same run.

`save(path)` / `load(path)` are given: they checkpoint the model,
optimizer, scheduler, `epoch` and `history` with your functions above.
"""


# %% nbgrader={"grade": false, "grade_id": "trainer", "locked": false, "schema_version": 3, "solution": true}
#| export
def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _class_indices(targets):
    """Targets as an integer array if they are class indices, else None."""
    t = targets.data if isinstance(targets, Tensor) else np.asarray(targets)
    return t if t.dtype.kind in "iu" and t.ndim == 1 else None


class Trainer:
    """Train a model with an optimizer and a loss; evaluate, schedule, clip, checkpoint."""

    def __init__(self, model, optimizer, loss_fn, scheduler=None, max_grad_norm=None) -> None:
        if not isinstance(model, Module):
            raise TypeError(f"Trainer: model={type(model).__name__} must be a Module (e.g. a Sequential)")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"Trainer: optimizer={optimizer!r} must be an Optimizer such as SGD or Adam")
        if not callable(loss_fn):
            raise TypeError(f"Trainer: loss_fn={loss_fn!r} must be callable, e.g. CrossEntropyLoss()")
        if scheduler is not None and scheduler.optimizer is not optimizer:
            raise ValueError("Trainer: the scheduler was created for a different optimizer")
        if max_grad_norm is not None:
            max_grad_norm = _check_number("Trainer", "max_grad_norm", max_grad_norm, open_low=True)
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.scheduler, self.max_grad_norm = scheduler, max_grad_norm
        self.epoch = 0
        self.history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "lr": [], "seconds": []}

    def train_epoch(self, batches) -> float:
        """One pass over ``batches`` of (inputs, targets), updating the model; the mean loss per sample.

        TODO: the loop in the box above, with the sample-weighted average.

        APPROACH:
        1. self.model.train(); total, count = 0.0, 0
        2. For inputs, targets in batches:
           - loss = self.loss_fn(self.model(_as_tensor(inputs)), targets)
           - self.optimizer.zero_grad(); loss.backward()
           - if self.max_grad_norm is not None:
               clip_grad_norm_(self.optimizer.params, self.max_grad_norm)
           - self.optimizer.step()
           - n = len(targets); total += loss.item() * n; count += n
        3. No batches at all: raise ValueError (an empty loader is a bug).
        4. Return total / count.
        """
        ### BEGIN SOLUTION
        self.model.train()
        total, count = 0.0, 0
        for inputs, targets in batches:
            loss = self.loss_fn(self.model(_as_tensor(inputs)), targets)
            self.optimizer.zero_grad()
            loss.backward()
            if self.max_grad_norm is not None:
                clip_grad_norm_(self.optimizer.params, self.max_grad_norm)
            self.optimizer.step()
            n = len(targets)
            total += loss.item() * n
            count += n
        if count == 0:
            raise ValueError("Trainer.train_epoch: the batch source yielded no batches")
        return total / count
        ### END SOLUTION

    def evaluate(self, batches) -> dict:
        """Mean loss and accuracy over ``batches``, in eval mode, without a graph.

        Returns ``{"loss": float, "accuracy": float or None}``.

        TODO: like train_epoch, but no updates, under no_grad(), in eval mode;
        count correct predictions when the targets are class indices.

        APPROACH:
        1. was_training = self.model.training; self.model.eval()
        2. try: with no_grad(): for each batch: out = self.model(_as_tensor(inputs));
           add loss_fn(out, targets).item() * n to the total; if
           labels := _class_indices(targets) is not None and out.ndim == 2:
           correct += (out.data.argmax(axis=1) == labels).sum(), and count
           those samples.
        3. finally: self.model.train(was_training)
        4. accuracy = correct / classified if any sample was classified, else None.
        """
        ### BEGIN SOLUTION
        was_training = self.model.training
        self.model.eval()
        total, count, correct, classified = 0.0, 0, 0, 0
        try:
            with no_grad():
                for inputs, targets in batches:
                    out = self.model(_as_tensor(inputs))
                    n = len(targets)
                    total += self.loss_fn(out, targets).item() * n
                    count += n
                    labels = _class_indices(targets)
                    if labels is not None and out.ndim == 2:
                        correct += int((out.data.argmax(axis=1) == labels).sum())
                        classified += n
        finally:
            self.model.train(was_training)
        if count == 0:
            raise ValueError("Trainer.evaluate: the batch source yielded no batches")
        return {"loss": total / count, "accuracy": correct / classified if classified else None}
        ### END SOLUTION

    def fit(self, train_batches, epochs, val_batches=None) -> dict:
        """Train for ``epochs`` more epochs; evaluate, schedule and record each; return history.

        TODO: for each epoch: time it, train, evaluate if val_batches is not
        None, step the scheduler, count the epoch, append to self.history.

        APPROACH:
        1. epochs must be an int >= 1 (ValueError naming ``epochs=...``).
        2. For each epoch:
           start = time.perf_counter(); lr = self.optimizer.lr (the rate this epoch uses)
           train_loss = self.train_epoch(train_batches)
           val = self.evaluate(val_batches) if val_batches is not None
           if self.scheduler is not None: self.scheduler.step()
           self.epoch += 1
           append train_loss, val["loss"] / val["accuracy"] (None without
           validation), lr and the elapsed seconds to self.history's lists.
        3. Return self.history.

        HINT: store plain Python floats (float(...)): the history is saved
        as JSON in checkpoints.
        """
        ### BEGIN SOLUTION
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ValueError(f"Trainer.fit: epochs={epochs!r} must be an int >= 1")
        for _ in range(int(epochs)):
            start = time.perf_counter()
            lr = float(self.optimizer.lr)
            train_loss = self.train_epoch(train_batches)
            val = self.evaluate(val_batches) if val_batches is not None else {"loss": None, "accuracy": None}
            if self.scheduler is not None:
                self.scheduler.step()
            self.epoch += 1
            self.history["train_loss"].append(float(train_loss))
            self.history["val_loss"].append(val["loss"])
            self.history["val_accuracy"].append(val["accuracy"])
            self.history["lr"].append(lr)
            self.history["seconds"].append(time.perf_counter() - start)
        return self.history
        ### END SOLUTION

    def save(self, path) -> Path:
        """Checkpoint the whole run: model, optimizer, scheduler, epoch and history."""
        return save_checkpoint(path, self.model, self.optimizer, self.scheduler, epoch=self.epoch, history=self.history)

    def load(self, path) -> None:
        """Continue a run saved with ``save``."""
        extra = load_checkpoint(path, self.model, self.optimizer, self.scheduler)
        self.epoch = int(extra["epoch"])
        self.history = {key: list(values) for key, values in extra["history"].items()}


# %% nbgrader={"grade": true, "grade_id": "test-trainer", "locked": true, "points": 20, "schema_version": 3, "solution": false}
class _Recorder(Sequential):
    """A Sequential that records, for each forward call, the training flag and whether a graph is built."""

    def __init__(self, *layers):
        super().__init__(*layers)
        self.calls = []

    def forward(self, x):
        out = super().forward(x)
        self.calls.append((self.training, out.requires_grad, len(x)))
        return out


def test_unit_trainer():
    """train_epoch updates and averages per sample; evaluate is graph-free; fit records history."""
    points, labels = _blobs(n=100)
    batches = _batches(points, labels, size=32)  # 32, 32, 32, 4
    np.random.seed(0)
    model = _Recorder(Linear(2, 16), ReLU(), Linear(16, 3))
    before = [p.data.copy() for p in model.parameters()]
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1), CrossEntropyLoss())
    # evaluate first: no change to the weights, eval mode, no graph, sample-weighted mean
    result = trainer.evaluate(batches)
    assert set(result) == {"loss", "accuracy"}
    assert [(t, g) for t, g, _ in model.calls] == [(False, False)] * 4, f"evaluate calls: {model.calls}"
    assert model.training, "evaluate must put the model back in training mode"
    with no_grad():
        logits = model(Tensor(points))
    expected_loss = CrossEntropyLoss()(logits, labels).item()
    assert abs(result["loss"] - expected_loss) < 1e-5, f"mean over samples {expected_loss}, got {result['loss']}"
    assert abs(result["accuracy"] - (logits.data.argmax(axis=1) == labels).mean()) < 1e-12
    assert all(np.array_equal(a, p.data) for a, p in zip(before, model.parameters(), strict=True))
    # one epoch: 4 updates in training mode, mean loss over 100 samples
    model.calls.clear()
    loss = trainer.train_epoch(batches)
    assert [(t, g, n) for t, g, n in model.calls] == [(True, True, 32)] * 3 + [(True, True, 4)]
    assert isinstance(loss, float) and 0 < loss < 3
    assert not any(np.array_equal(a, p.data) for a, p in zip(before, model.parameters(), strict=True))
    # fit: history per epoch, the scheduler moves the lr, epochs accumulate across calls
    np.random.seed(1)
    model = Sequential(Linear(2, 16), ReLU(), Linear(16, 3))
    opt = SGD(model.parameters(), lr=0.2, momentum=0.9)
    trainer = Trainer(model, opt, CrossEntropyLoss(), scheduler=StepLR(opt, step_size=2, gamma=0.5))
    history = trainer.fit(batches, epochs=3, val_batches=batches)
    history = trainer.fit(batches, epochs=2, val_batches=batches)
    assert trainer.epoch == 5 and len(history["train_loss"]) == 5
    np.testing.assert_allclose(history["lr"], [0.2, 0.2, 0.1, 0.1, 0.05], rtol=1e-12)
    assert history["train_loss"][-1] < history["train_loss"][0], f"not learning: {history['train_loss']}"
    assert history["val_accuracy"][-1] > 0.85, f"accuracy {history['val_accuracy'][-1]}"
    assert all(isinstance(v, float) for v in history["val_loss"] + history["seconds"])
    assert trainer.fit(batches, epochs=1)["val_loss"][-1] is None, "no validation: None"
    _expect_error(ValueError, trainer.fit, batches, 0, contains="epochs=0")
    _expect_error(ValueError, trainer.train_epoch, [], contains="no batches")


if __name__ == "__main__":
    test_unit_trainer()

# %% [markdown]
"""
## 5. Systems analysis: what does the loop cost, and what do its tools buy?

Run this file as a script (`OPENBLAS_NUM_THREADS=1 python modules/07_training/training.py`):

1. `analyze_loop_overhead`: an epoch through `Trainer` against the same
   epoch written by hand: what the convenience costs per step.
2. `analyze_checkpoints`: checkpoint size and save / load time against
   model size; how much of the file is Adam's state.
3. `analyze_clipping`: a learning rate that is too large, with and without
   gradient clipping.
4. `analyze_schedules`: the same training with a constant, a step and a
   cosine learning rate.
"""


# %% nbgrader={"grade": false, "grade_id": "analysis", "locked": true, "schema_version": 3, "solution": false}
def _data(n=1000, features=64, classes=10, seed=0):
    """A synthetic classification set: labels from a random linear teacher plus noise."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features)).astype(np.float32)
    scores = x @ rng.standard_normal((features, classes))
    return x, (scores + rng.standard_normal(scores.shape)).argmax(axis=1)


def _model(seed=0, sizes=(64, 128, 10)):
    np.random.seed(seed)
    return Sequential(Linear(sizes[0], sizes[1]), ReLU(), Linear(sizes[1], sizes[2]))


def analyze_loop_overhead(batch=32, repeat=5):
    """Seconds per epoch: Trainer.train_epoch vs a bare hand-written loop, same model and data."""
    x, y = _data()
    batches = [(Tensor(x[i : i + batch]), y[i : i + batch]) for i in range(0, len(x), batch)]
    loss_fn = CrossEntropyLoss()
    model = _model()
    opt = SGD(model.parameters(), lr=0.01)
    trainer = Trainer(model, opt, loss_fn)

    def bare_epoch():
        for inputs, targets in batches:
            loss = loss_fn(model(inputs), targets)
            opt.zero_grad()
            loss.backward()
            opt.step()

    timings = {"bare loop": bare_epoch, "Trainer.train_epoch": lambda: trainer.train_epoch(batches)}
    timings["Trainer + clipping"] = lambda: Trainer(model, opt, loss_fn, max_grad_norm=1.0).train_epoch(batches)
    print(f"\nOne epoch: {len(x)} samples, batch {batch} ({len(batches)} steps), MLP 64-128-10, SGD")
    best = {}
    for name, run in timings.items():
        best[name] = min(_seconds(run) for _ in range(repeat))
    base = best["bare loop"]
    for name, seconds in best.items():
        per_step = (seconds - base) / len(batches) * 1e6
        print(f"  {name:>20}: {seconds * 1e3:7.2f} ms/epoch  ({per_step:+6.1f} us per step vs bare)")
    print("Per step the Trainer adds loss.item(), len(targets) and a type check: differences of a")
    print("few microseconds are within timing noise next to forward + backward + step; clipping")
    print("adds one pass over every gradient.")


def _seconds(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def analyze_checkpoints(widths=(128, 512, 2048)):
    """Checkpoint file size and save/load time vs model size, with SGD and with Adam state."""
    folder = Path(tempfile.mkdtemp())
    print(f"\n{'model':>18} {'params MB':>10} {'optimizer':>9} {'file MB':>8} {'save ms':>8} {'load ms':>8}")
    try:
        for width in widths:
            model = _model(sizes=(width, width, 10))
            param_mb = sum(p.data.nbytes for p in model.parameters()) / 1e6
            for name, opt in (("SGD", SGD(model.parameters(), lr=0.1)), ("Adam", Adam(model.parameters()))):
                for p in model.parameters():
                    p.grad = np.ones_like(p.data)
                opt.step()
                path = folder / "ckpt.npz"
                save = min(_seconds(lambda p=path, m=model, o=opt: save_checkpoint(p, m, o)) for _ in range(3))
                load = min(_seconds(lambda p=path, m=model, o=opt: load_checkpoint(p, m, o)) for _ in range(3))
                print(
                    f"{f'{width}-{width}-10':>18} {param_mb:>10.2f} {name:>9} {path.stat().st_size / 1e6:>8.2f} "
                    f"{save * 1e3:>8.2f} {load * 1e3:>8.2f}"
                )
    finally:
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()
    print("The file is the raw bytes (np.savez does not compress) plus a small header per array:")
    print("with Adam it is 3x the weights. Save time includes os.fsync, the price of durability.")


def analyze_clipping(lr=0.3, epochs=5):
    """Training with a too-large learning rate: plain vs gradient clipping."""
    x, y = _data()
    batches = _batches(x, y, size=32)
    print(f"\nSGD lr={lr} momentum 0.9 (too large), {epochs} epochs: train loss per epoch")
    for max_norm in (None, 1.0):
        model = _model()
        opt = SGD(model.parameters(), lr=lr, momentum=0.9)
        trainer = Trainer(model, opt, CrossEntropyLoss(), max_grad_norm=max_norm)
        with np.errstate(all="ignore"):
            losses = trainer.fit(batches, epochs=epochs)["train_loss"]
        label = "no clipping" if max_norm is None else f"clip at {max_norm}"
        print(f"  {label:>12}: " + " ".join(f"{v:8.3f}" for v in losses))


def analyze_schedules(epochs=20, lr=0.1):
    """Final train loss and held-out accuracy with a constant, step and cosine learning rate."""
    x, y = _data(n=1200)
    train, test = _batches(x[:1000], y[:1000]), _batches(x[1000:], y[1000:])
    print(f"\nSGD momentum 0.9, base lr {lr}, {epochs} epochs, 1000 train / 200 held-out samples")
    for name in ("constant", "StepLR(5, 0.5)", "Cosine(T_max=epochs)"):
        model = _model()
        opt = SGD(model.parameters(), lr=lr, momentum=0.9)
        sched = {
            "constant": None,
            "StepLR(5, 0.5)": StepLR(opt, step_size=5, gamma=0.5),
            "Cosine(T_max=epochs)": CosineAnnealingLR(opt, T_max=epochs),
        }[name]
        history = Trainer(model, opt, CrossEntropyLoss(), scheduler=sched).fit(train, epochs, val_batches=test)
        print(
            f"  {name:>20}: final train loss {history['train_loss'][-1]:.4f}, "
            f"held-out accuracy {history['val_accuracy'][-1]:.1%}, final lr {opt.lr:.5f}"
        )


if __name__ == "__main__":
    analyze_loop_overhead()
    analyze_checkpoints()
    analyze_clipping()
    analyze_schedules()

# %% [markdown]
"""
## 6. Integration test

`test_module` uses everything together on a small classification problem:
an MLP, Adam, a cosine schedule, clipping, a validation set, and a
checkpoint in the middle of the run. The run that stops after 3 epochs,
saves, and continues in **new** objects loaded from the file must end with
exactly the same weights, optimizer state, learning rate and history as the
run that never stopped.
"""


# %% nbgrader={"grade": true, "grade_id": "test-module", "locked": true, "points": 20, "schema_version": 3, "solution": false}
def test_module():
    """Train with every tool; a run resumed from a checkpoint equals the uninterrupted run exactly."""
    import shutil

    points, labels = _blobs(n=300, seed=1)
    train, val = _batches(points[:240], labels[:240]), _batches(points[240:], labels[240:])

    def make_trainer(seed):
        np.random.seed(seed)
        model = Sequential(Linear(2, 32), Tanh(), Linear(32, 3))
        opt = Adam(model.parameters(), lr=0.02)
        return Trainer(model, opt, CrossEntropyLoss(), scheduler=CosineAnnealingLR(opt, T_max=6), max_grad_norm=5.0)

    straight = make_trainer(seed=7)
    straight.fit(train, epochs=6, val_batches=val)
    assert straight.history["val_accuracy"][-1] > 0.85, f"accuracy {straight.history['val_accuracy']}"
    assert straight.history["train_loss"][-1] < 0.6 * straight.history["train_loss"][0]

    folder = Path(tempfile.mkdtemp())
    try:
        first = make_trainer(seed=7)
        first.fit(train, epochs=3, val_batches=val)
        first.save(folder / "half.npz")
        resumed = make_trainer(seed=123)  # other initial weights: everything must come from the file
        resumed.load(folder / "half.npz")
        assert resumed.epoch == 3 and resumed.scheduler.last_epoch == 3
        resumed.fit(train, epochs=3, val_batches=val)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for (name, a), b in zip(straight.model.named_parameters(), resumed.model.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data, err_msg=f"{name}: resumed run differs")
    for s1, s2 in zip(straight.optimizer.state, resumed.optimizer.state, strict=True):
        assert s1["step"] == s2["step"] and np.array_equal(s1["exp_avg_sq"], s2["exp_avg_sq"])
    assert straight.optimizer.lr == resumed.optimizer.lr
    for key in ("train_loss", "val_loss", "val_accuracy", "lr"):
        assert straight.history[key] == resumed.history[key], f"history[{key!r}] differs"


if __name__ == "__main__":
    test_module()
    print("\nAll Module 07 tests passed.")

# %% [markdown]
"""
## Reflection questions

1. `train_epoch` weights each batch's loss by its number of samples. With
   1,000 samples, batches of 64 and a last batch of 40, how wrong is the
   plain average of the batch losses in the worst case? When does the
   difference vanish?
2. `analyze_loop_overhead` measured what the Trainer adds per step. Which
   line of `train_epoch` forces NumPy to finish the step before Python can
   go on (hint: `loss.item()`), and why would that matter on a GPU?
3. Gradient clipping rescales *all* gradients by one factor. What would
   change if you clipped each parameter's gradient separately? Why does
   PyTorch's default use the global norm?
4. Why must the optimizer's state be in the checkpoint? Describe what goes
   wrong if you resume Adam with fresh moments (think of the bias
   correction at `t = 1` against the real step count).
5. `save_checkpoint` writes to a temporary file and renames it. List two
   failures that this protects against, and one it does not (hint: what if
   the disk itself lies about `fsync`, or two programs save at once?).
"""
