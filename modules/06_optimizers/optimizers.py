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
#     requires: [1, 2, 3, 4, 5]
#     points: 80
# ---

# %% [markdown]
"""
# Module 06: Optimizers - turning gradients into better weights

Module 05 gave every parameter a gradient: `p.grad` says in which direction
the loss grows fastest. Training moves each parameter a little in the
*opposite* direction, batch after batch. The rule that decides how far, and
whether to remember earlier steps, is the **optimizer**. This module builds
the three that train nearly every network today, with PyTorch's names,
arguments and exact update rules:

| optimizer | update (per parameter, `g = p.grad`) | extra memory |
|---|---|---|
| `SGD(params, lr)` | `p -= lr * g` | none |
| `SGD(..., momentum=0.9)` | a velocity `buf = 0.9 * buf + g`, then `p -= lr * buf` | 1 copy of the parameters |
| `Adam(params, lr=1e-3)` | running means of `g` and `g**2`, a step of about `lr` per coordinate | 2 copies |
| `AdamW(params, weight_decay=0.01)` | Adam, plus weight decay applied directly to `p` | 2 copies |

```python
model = Sequential(Linear(64, 128), ReLU(), Linear(128, 10))
optimizer = Adam(model.parameters(), lr=1e-3)
for x, y in batches:
    loss = CrossEntropyLoss()(model(x), y)
    optimizer.zero_grad()      # forget the previous batch's gradients
    loss.backward()            # Module 05: fill p.grad
    optimizer.step()           # this module: update every p
```

## Learning objectives

1. Write the `Optimizer` base class: collect and check the parameters,
   `zero_grad()`, and per-parameter **state** that can be saved and loaded.
2. Implement SGD with momentum, dampening, Nesterov momentum and weight
   decay exactly as PyTorch defines them.
3. Implement Adam with bias correction, and AdamW's *decoupled* weight decay,
   and explain why the two weight decays differ.
4. Validate hyper-parameters with messages that name the mistake
   (`lr=-0.1 must be >= 0`).
5. Measure what each optimizer costs: memory of its state (Adam keeps two
   extra copies of every weight), time per step against parameter count, and
   how fast each one actually reduces a loss.

## Prerequisites

- **Module 01 (Tensor)**: `.data` is a NumPy array, `.grad` is a NumPy
  array (or `None`), `.shape`, `.is_leaf`.
- **Module 03 (Layers)**: `Parameter`, `Module.parameters()`.
- **Module 05 (Autograd)**: `loss.backward()` fills `.grad`; gradients
  *accumulate* (`+=`) until something sets them back to `None`.
- NumPy in-place operations: `a -= b`, `a *= 0.9`, `np.sqrt`.

## Where this code lives

`tito source export 06` writes `tinytorch/core/optimizers.py`:

```python
from tinytorch.core.optimizers import Optimizer, SGD, Adam, AdamW
```
"""

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": false, "schema_version": 3, "solution": false}
#| default_exp core.optimizers
#| export
import math

import numpy as np

from tinytorch.core.layers import Module
from tinytorch.core.tensor import Tensor

# %% [markdown]
"""
## 1. What every optimizer shares

All optimizers have the same outside:

| member | meaning |
|---|---|
| `Optimizer(params, ...)` | `params` is any iterable of tensors, usually `model.parameters()` (a generator: read it **once**, into a list) |
| `optimizer.params` | that list |
| `optimizer.state` | one dictionary per parameter, for what the algorithm remembers between steps (a velocity, running averages, a step counter); empty at first |
| `optimizer.zero_grad()` | set every `p.grad` to `None` |
| `optimizer.step()` | update every parameter that has a gradient |
| `state_dict()` / `load_state_dict(d)` | the hyper-parameters and the state, to save a training run and resume it exactly (Module 07) |

### Why `zero_grad()` exists

`backward()` **adds** to `.grad` (Module 05): a parameter used twice in a
model must receive the sum of both contributions. The price is that the
gradients of the previous batch are still there when the next `backward()`
runs. Forgetting `optimizer.zero_grad()` is the classic bug: every step
then uses the sum of *all* gradients so far. PyTorch's default (since 2.0)
sets them to `None` rather than filling them with zeros: no memory, no work,
and the next `backward()` simply stores its gradient.

### Catching mistakes early

An optimizer built on the wrong list trains nothing, silently. These are the
mistakes we turn into clear errors:

| mistake | why it is wrong |
|---|---|
| `SGD(model, lr=0.1)` | a Module is not a list of tensors: pass `model.parameters()` |
| `SGD(model.parameters(), ...)` twice from one generator | the second sees an **empty** list |
| `SGD([w, w], ...)` | `w` would be updated twice per step |
| `SGD([x @ w], ...)` | the result of an operation (a *non-leaf*) is recomputed every forward pass; updating it changes nothing |
| `SGD(params, lr=-0.1)`, `momentum=1.5` | a hyper-parameter out of range |

The given helper `_check_number` below does the range checks for every
hyper-parameter and words the error as `name=value must be ...`.
"""


# %% nbgrader={"grade": false, "grade_id": "check-number", "locked": true, "schema_version": 3, "solution": false}
#| export
def _check_number(owner, name, value, low=0.0, high=math.inf, *, open_low=False, closed_high=False, meaning=""):
    """Return ``value`` as a float if it lies between ``low`` and ``high``; else raise.

    The interval is ``[low, high)`` by default (``open_low`` makes it
    ``(low, ...``, ``closed_high`` makes it ``..., high]``). Errors name the
    owner, the argument and its value: ``SGD: lr=-0.1 must be >= 0``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{owner}: {name}={value!r} must be a number, got {type(value).__name__}")
    number = float(value)
    above = number > low if open_low else number >= low
    below = number <= high if closed_high else number < high
    if math.isnan(number) or not (above and below):
        if high == math.inf:
            rule = f"{'>' if open_low else '>='} {low:g}"
        else:
            rule = f"in {'(' if open_low else '['}{low:g}, {high:g}{']' if closed_high else ')'}"
        raise ValueError(f"{owner}: {name}={value!r} must be {rule}" + (f" ({meaning})" if meaning else ""))
    return number


# %% [markdown]
"""
### The base class

You write `__init__` (collect and check the parameters) and `zero_grad`.
`state_dict` / `load_state_dict` are given: they copy `state` and the
hyper-parameters named in the class attribute `hyperparameters`, which each
optimizer sets (`("lr", "momentum", ...)`).
"""


# %% nbgrader={"grade": false, "grade_id": "optimizer-base", "locked": false, "schema_version": 3, "solution": true}
#| export
class Optimizer:
    """Base class of all optimizers (PyTorch: ``torch.optim.Optimizer``).

    Subclasses set ``hyperparameters`` (the names of their settings, stored
    as attributes) and implement ``step()``.
    """

    hyperparameters = ()

    def __init__(self, params) -> None:
        """Store the parameters as a list, after checking them, and one empty state dict each.

        TODO: turn ``params`` into ``self.params`` (a list) and create
        ``self.state``, rejecting the mistakes in the table above.

        APPROACH:
        1. If ``params`` is a Tensor or a Module, raise TypeError: a single
           tensor must be wrapped in a list (``[w]``), a model's parameters
           come from ``model.parameters()``. Say so in the message.
        2. ``params = list(params)``. Empty: ValueError mentioning "empty"
           (and that a generator such as ``model.parameters()`` can only be
           read once).
        3. For each ``i, p``: not a Tensor -> TypeError naming ``params[i]``
           and its type; not a leaf (``p.is_leaf`` is False) -> ValueError
           naming ``params[i]``; the *same object* as an earlier entry ->
           ValueError naming both positions.
        4. ``self.params = params`` and ``self.state = [{} for _ in params]``.

        HINTS:
        - Compare objects with ``is`` or ``id(p)``, never ``==``: on tensors
          ``==`` compares element by element.
        - A dict ``{id(p): i}`` finds the first position of a duplicate.

        EXAMPLE:
        >>> opt = SGD(Linear(3, 2).parameters(), lr=0.1)
        >>> len(opt.params), opt.state
        (2, [{}, {}])
        """
        ### BEGIN SOLUTION
        owner = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(
                f"{owner}: params must be an iterable of tensors, got a single Tensor; wrap it in a list: [w]"
            )
        if isinstance(params, Module):
            raise TypeError(
                f"{owner}: params={type(params).__name__}(...) is a Module; pass its parameters: "
                f"{owner}(model.parameters(), ...)"
            )
        params = list(params)
        if not params:
            raise ValueError(
                f"{owner}: got an empty parameter list. Note that model.parameters() is a generator: "
                "it can be read only once, so create it anew for each optimizer."
            )
        first_position = {}
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{owner}: params[{i}] is a {type(p).__name__}, not a Tensor")
            if not p.is_leaf:
                raise ValueError(
                    f"{owner}: params[{i}] is the result of an operation (a non-leaf tensor); only "
                    "leaves such as a layer's Parameters can be optimized"
                )
            if id(p) in first_position:
                raise ValueError(
                    f"{owner}: params[{i}] is the same tensor as params[{first_position[id(p)]}]; "
                    "each parameter may appear once (it would be updated twice per step)"
                )
            first_position[id(p)] = i
        self.params = params
        self.state = [{} for _ in params]
        ### END SOLUTION

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient before the next ``backward()``.

        TODO: ``p.grad = None`` for every parameter; with ``set_to_none=False``
        fill existing gradients with zeros in place instead (PyTorch's option).

        APPROACH:
        1. For each p in self.params: if set_to_none, p.grad = None;
           elif p.grad is not None, p.grad.fill(0).
        """
        ### BEGIN SOLUTION
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.fill(0)
        ### END SOLUTION

    def step(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement step()")

    def state_dict(self) -> dict:
        """Copies of the hyper-parameters and the per-parameter state."""
        return {
            "hyperparameters": {name: getattr(self, name) for name in self.hyperparameters},
            "state": [
                {key: value.copy() if isinstance(value, np.ndarray) else value for key, value in entry.items()}
                for entry in self.state
            ],
        }

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what ``state_dict()`` returned (for the same parameters, in the same order)."""
        owner = type(self).__name__
        state = list(state_dict["state"])
        if len(state) != len(self.params):
            raise ValueError(
                f"{owner}.load_state_dict: the saved state has {len(state)} parameter(s), this "
                f"optimizer has {len(self.params)}"
            )
        for i, (entry, p) in enumerate(zip(state, self.params, strict=True)):
            for key, value in entry.items():
                if isinstance(value, np.ndarray) and value.shape != p.shape:
                    raise ValueError(
                        f"{owner}.load_state_dict: state[{i}][{key!r}].shape={value.shape} does not "
                        f"match params[{i}].shape={p.shape}"
                    )
        unknown = set(state_dict["hyperparameters"]) - set(self.hyperparameters)
        if unknown:
            raise ValueError(f"{owner}.load_state_dict: unknown hyper-parameters {sorted(unknown)}")
        for name, value in state_dict["hyperparameters"].items():
            setattr(self, name, tuple(value) if isinstance(value, list) else value)
        self.state = [
            {
                key: np.array(value, copy=True) if isinstance(value, np.ndarray) else value
                for key, value in entry.items()
            }
            for entry in state
        ]

    def __repr__(self) -> str:
        settings = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.hyperparameters)
        return f"{type(self).__name__}({settings})"


# %% nbgrader={"grade": false, "grade_id": "test-helpers", "locked": true, "schema_version": 3, "solution": false}
from tinytorch.core.layers import Linear, Parameter, Sequential  # noqa: E402


def _expect_error(exc_type, fn, *args, contains="", **kwargs):
    """Assert that fn(*args, **kwargs) raises exc_type whose message contains ``contains``."""
    try:
        fn(*args, **kwargs)
    except exc_type as exc:
        assert contains in str(exc), f"{exc_type.__name__} message {str(exc)!r} should mention {contains!r}"
        return
    raise AssertionError(f"{getattr(fn, '__name__', fn)} should raise {exc_type.__name__} ({contains!r})")


class _Plain(Optimizer):
    """The smallest optimizer: plain gradient descent, to test the base class alone."""

    hyperparameters = ("lr",)

    def __init__(self, params, lr=0.1):
        super().__init__(params)
        self.lr = lr

    def step(self):
        for p in self.params:
            if p.grad is not None:
                p.data -= self.lr * p.grad


# %% nbgrader={"grade": true, "grade_id": "test-optimizer-base", "locked": true, "points": 10, "schema_version": 3, "solution": false}
def test_unit_optimizer_base():
    """Parameters collected once each, clear errors, zero_grad both ways, state round trip."""
    w, b = Parameter(np.ones((2, 3))), Parameter(np.zeros(3))
    opt = _Plain(p for p in (w, b))  # a generator, read once
    assert isinstance(opt.params, list) and len(opt.params) == 2
    assert opt.params[0] is w and opt.params[1] is b
    assert opt.state == [{}, {}], f"one empty state dict per parameter, got {opt.state}"
    # zero_grad: None by default; zeros in place on request
    w.grad, b.grad = np.full((2, 3), 5.0, np.float32), None
    kept = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is kept and not w.grad.any() and b.grad is None, "set_to_none=False zeroes in place"
    opt.zero_grad()
    assert w.grad is None and b.grad is None, "zero_grad() must set every .grad to None"
    # the mistakes from the table, each with a clear message
    model = Sequential(Linear(2, 2))
    _expect_error(TypeError, _Plain, model, contains="model.parameters()")
    _expect_error(TypeError, _Plain, w, contains="[w]")
    _expect_error(ValueError, _Plain, [], contains="empty")
    generator = model.parameters()
    _Plain(generator)
    _expect_error(ValueError, _Plain, generator, contains="empty")
    _expect_error(TypeError, _Plain, [w, np.ones(3)], contains="params[1]")
    _expect_error(ValueError, _Plain, [w, b, w], contains="params[2] is the same tensor as params[0]")
    _expect_error(ValueError, _Plain, [w * 2], contains="params[0]")
    # the given state_dict round trip, on top of your __init__
    opt.state[0]["velocity"] = np.arange(6.0).reshape(2, 3)
    saved = opt.state_dict()
    opt.state[0]["velocity"] += 100
    opt.lr = 0.5
    opt.load_state_dict(saved)
    assert opt.lr == 0.1 and np.array_equal(opt.state[0]["velocity"], np.arange(6.0).reshape(2, 3))


if __name__ == "__main__":
    test_unit_optimizer_base()

# %% [markdown]
"""
## 2. SGD: stochastic gradient descent, with momentum

**Plain SGD** takes a step against the gradient, scaled by the learning
rate: `p -= lr * g`. "Stochastic" because `g` comes from a random batch,
not the whole data set: a noisy but cheap estimate.

**Momentum.** On a long narrow valley the gradient points mostly across
the valley: plain SGD zig-zags from wall to wall and crawls along the floor.
Momentum keeps a running **velocity** `buf` (one array per parameter, kept
in `self.state[i]["momentum_buffer"]`), an average of past gradients: the
zig-zag components cancel, the steady downhill component adds up. With
`momentum=0.9` the step along a steady slope grows to `1 / (1 - 0.9) = 10`
times the plain step.

**Weight decay** adds `weight_decay * p` to the gradient: the gradient of
`weight_decay / 2 * ||p||^2`, an L2 penalty that pulls weights towards 0.

PyTorch's exact rule (`torch.optim.SGD`), for each parameter with a gradient:

```
g = p.grad
if weight_decay != 0:  g = g + weight_decay * p
if momentum != 0:
    if no buffer yet:  buf = copy of g                    (first step: no dampening)
    else:              buf = momentum * buf + (1 - dampening) * g
    if nesterov:       g = g + momentum * buf             (look ahead along the velocity)
    else:              g = buf
p = p - lr * g
```

`dampening` scales down how much each new gradient adds to the velocity.
Nesterov momentum needs `momentum > 0` and `dampening = 0` (PyTorch raises
otherwise, and so do we).
"""


# %% nbgrader={"grade": false, "grade_id": "sgd", "locked": false, "schema_version": 3, "solution": true}
#| export
class SGD(Optimizer):
    """Stochastic gradient descent with momentum (PyTorch: ``torch.optim.SGD``)."""

    hyperparameters = ("lr", "momentum", "dampening", "weight_decay", "nesterov")

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False) -> None:
        """Check and store the hyper-parameters.

        TODO: validate each argument with ``_check_number`` and store it as
        an attribute of the same name.

        APPROACH:
        1. ``self.lr = _check_number("SGD", "lr", lr)`` (>= 0); momentum and
           dampening in [0, 1]: ``_check_number(..., 0.0, 1.0, closed_high=True)``;
           weight_decay >= 0.
        2. nesterov must be a bool (TypeError otherwise). If nesterov and
           (momentum == 0 or dampening != 0): ValueError naming both values.
        3. ``self.nesterov = nesterov``.

        EXAMPLE:
        >>> SGD([Parameter([1.0])], lr=-1)
        Traceback (most recent call last):
        ValueError: SGD: lr=-1 must be >= 0 (the step size)
        """
        super().__init__(params)
        ### BEGIN SOLUTION
        self.lr = _check_number("SGD", "lr", lr, meaning="the step size")
        self.momentum = _check_number("SGD", "momentum", momentum, 0.0, 1.0, closed_high=True)
        self.dampening = _check_number("SGD", "dampening", dampening, 0.0, 1.0, closed_high=True)
        self.weight_decay = _check_number("SGD", "weight_decay", weight_decay)
        if not isinstance(nesterov, bool):
            raise TypeError(f"SGD: nesterov={nesterov!r} must be True or False")
        if nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError(
                f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={momentum!r}, dampening={dampening!r}"
            )
        self.nesterov = nesterov
        ### END SOLUTION

    def step(self) -> None:
        """Update every parameter that has a gradient, with PyTorch's rule above.

        TODO: implement the rule in the box above for each parameter.

        APPROACH:
        1. For i, p in enumerate(self.params): g = p.grad; skip p if g is None.
        2. If self.weight_decay: g = g + self.weight_decay * p.data (a new
           array: never change p.grad itself).
        3. If self.momentum: buf = self.state[i].get("momentum_buffer").
           None -> store a copy of g as an array (np.array(g)). Otherwise
           update buf *in place* (buf *= momentum; buf += (1 - dampening) * g).
           Then g = g + momentum * buf if nesterov, else g = buf.
        4. p.data -= self.lr * g

        HINTS:
        - ``buf *= ...`` changes the stored array itself: no need to store it again.
        - The first buffer must be a copy: ``g`` may be ``p.grad``, which
          the next backward() adds into. ``np.array(g)`` copies, and always
          gives an array: for a 0-d parameter, ``g + wd * p.data`` is a NumPy
          *scalar*, and ``scalar *= 0.9`` makes a new object instead of
          changing the stored buffer.

        EXAMPLE:
        >>> w = Parameter([1.0]); w.grad = np.array([0.5], np.float32)
        >>> opt = SGD([w], lr=0.1, momentum=0.9); opt.step(); opt.step()
        >>> w.data      # 1 - 0.1*0.5 - 0.1*(0.9*0.5 + 0.5)
        array([0.855], dtype=float32)
        """
        ### BEGIN SOLUTION
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            if self.momentum:
                state = self.state[i]
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = np.array(g)
                else:
                    buf *= self.momentum
                    buf += (1.0 - self.dampening) * g
                g = g + self.momentum * buf if self.nesterov else buf
            p.data -= self.lr * g
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-sgd", "locked": true, "points": 20, "schema_version": 3, "solution": false}
def _reference_sgd(p, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    """The same algorithm in plain float64 NumPy, written without in-place tricks: every iterate."""
    p, buf, path = np.array(p, dtype=np.float64), None, []
    for g in grads:
        d = g + weight_decay * p
        if momentum:
            buf = d if buf is None else momentum * buf + (1 - dampening) * d
            d = d + momentum * buf if nesterov else buf
        p = p - lr * d
        path.append(p)
    return path


def _run(make_optimizer, p0, grads):
    """Every iterate of an optimizer fed the given gradients, on a float64 tensor."""
    p = Tensor(np.array(p0), dtype=np.float64, requires_grad=True)
    opt, path = make_optimizer([p]), []
    for g in grads:
        p.grad = np.array(g)  # a fresh array each step, as backward() would give
        opt.step()
        path.append(p.data.copy())
    return path


def test_unit_sgd():
    """SGD matches the NumPy reference step by step, for every option; errors name the value."""
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal((3, 4))
    grads = [rng.standard_normal((3, 4)) for _ in range(6)]
    configs = [
        {"lr": 0.1},
        {"lr": 0.05, "momentum": 0.9},
        {"lr": 0.05, "momentum": 0.9, "dampening": 0.5},
        {"lr": 0.05, "momentum": 0.8, "nesterov": True},
        {"lr": 0.1, "weight_decay": 0.01},
        {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.1, "nesterov": True},
    ]
    for config in configs:
        got = _run(lambda params, config=config: SGD(params, **config), p0, grads)
        expected = _reference_sgd(p0, grads, **config)
        for step, (a, e) in enumerate(zip(got, expected, strict=True)):
            np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12, err_msg=f"SGD({config}) step {step + 1}")
    # the first momentum step is a plain step, and the buffer is a copy, not p.grad itself
    w = Parameter([1.0, 2.0])
    opt = SGD([w], lr=0.1, momentum=0.9)
    w.grad = np.array([1.0, -1.0], np.float32)
    opt.step()
    np.testing.assert_allclose(w.data, [0.9, 2.1], rtol=1e-6)
    assert opt.state[0]["momentum_buffer"] is not w.grad, "the first buffer must be a copy of the gradient"
    assert w.data.dtype == np.float32, "a float32 parameter must stay float32"
    # a parameter without a gradient is left alone
    frozen = Parameter([3.0])
    SGD([frozen], lr=1.0).step()
    np.testing.assert_array_equal(frozen.data, [3.0])
    # clear errors
    _expect_error(ValueError, SGD, [w], lr=-0.1, contains="lr=-0.1")
    _expect_error(ValueError, SGD, [w], lr=0.1, momentum=1.5, contains="momentum=1.5")
    _expect_error(ValueError, SGD, [w], lr=0.1, weight_decay=-1, contains="weight_decay=-1")
    _expect_error(TypeError, SGD, [w], lr="fast", contains="lr='fast'")
    _expect_error(ValueError, SGD, [w], lr=0.1, nesterov=True, contains="momentum")


if __name__ == "__main__":
    test_unit_sgd()

# %% [markdown]
"""
## 3. Adam: a step size for every coordinate

Gradients of different parameters can differ in size by orders of
magnitude: one learning rate is too large for some and too small for
others. **Adam** (Kingma & Ba, 2015) keeps, per coordinate, running averages
of the gradient (`m`, the first moment) and of its square (`v`, the second
moment), and steps by `m / sqrt(v)`: a step of about `lr` in every
coordinate, whatever the gradient's scale, smaller where the gradient keeps
changing sign.

Both averages start at 0, so for the first steps they are too small
(after one step, `m = (1 - beta1) * g = 0.1 * g`). Dividing by
`1 - beta**t` (`t` = number of steps so far) corrects this **bias**
exactly.

PyTorch's exact rule (`torch.optim.Adam`, `amsgrad=False`):

```
g = p.grad
if weight_decay != 0:  g = g + weight_decay * p       (L2 penalty, added to the gradient)
t = t + 1
m = beta1 * m + (1 - beta1) * g
v = beta2 * v + (1 - beta2) * g * g
denom = sqrt(v) / sqrt(1 - beta2**t) + eps
p = p - (lr / (1 - beta1**t)) * (m / denom)
```

State per parameter: `"step"` (the int `t`), `"exp_avg"` (`m`) and
`"exp_avg_sq"` (`v`), PyTorch's names. That is **two arrays as large as the
parameter itself**: Adam triples the memory of the weights (the systems
analysis measures it).

The update of one parameter lives in its own method, `_update(i, p, g)`,
because AdamW reuses it in the next section.
"""


# %% nbgrader={"grade": false, "grade_id": "adam", "locked": false, "schema_version": 3, "solution": true}
#| export
class Adam(Optimizer):
    """Adam with bias correction (PyTorch: ``torch.optim.Adam``, ``amsgrad=False``)."""

    hyperparameters = ("lr", "betas", "eps", "weight_decay")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0) -> None:
        """Check and store the hyper-parameters.

        TODO: validate lr (>= 0), each beta (in [0, 1)), eps (>= 0) and
        weight_decay (>= 0); store them; ``self.betas`` as a tuple of two floats.

        APPROACH:
        1. ``betas`` must be a tuple or list of two numbers: TypeError otherwise,
           naming ``betas=...``.
        2. ``_check_number(name, "betas[0]", betas[0], 0.0, 1.0)`` and the
           same for betas[1]. Use ``type(self).__name__`` as the name, so
           AdamW's errors say AdamW.

        EXAMPLE:
        >>> Adam([Parameter([1.0])], betas=(0.9, 1.0))
        Traceback (most recent call last):
        ValueError: Adam: betas[1]=1.0 must be in [0, 1)
        """
        super().__init__(params)
        ### BEGIN SOLUTION
        owner = type(self).__name__
        self.lr = _check_number(owner, "lr", lr, meaning="the step size")
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"{owner}: betas={betas!r} must be a pair of numbers, e.g. (0.9, 0.999)")
        self.betas = (
            _check_number(owner, "betas[0]", betas[0], 0.0, 1.0),
            _check_number(owner, "betas[1]", betas[1], 0.0, 1.0),
        )
        self.eps = _check_number(owner, "eps", eps)
        self.weight_decay = _check_number(owner, "weight_decay", weight_decay)
        ### END SOLUTION

    def _update(self, i, p, g) -> None:
        """Apply one Adam step to parameter ``p`` (index ``i``) with gradient ``g``.

        TODO: the lines after ``t = t + 1`` in the box above, using and
        updating ``self.state[i]``.

        APPROACH:
        1. state = self.state[i]. If it is empty, create
           state["step"] = 0, state["exp_avg"] = np.zeros_like(p.data) and
           state["exp_avg_sq"] = np.zeros_like(p.data).
        2. state["step"] += 1; t = state["step"]; beta1, beta2 = self.betas.
        3. Update m and v in place: m *= beta1; m += (1 - beta1) * g; the
           same for v with g * g.
        4. denom = np.sqrt(v) / math.sqrt(1 - beta2 ** t) + self.eps
        5. p.data -= (self.lr / (1 - beta1 ** t)) * (m / denom)

        HINTS:
        - np.zeros_like keeps the parameter's dtype: float32 state for
          float32 weights.
        - Use Python floats for beta ** t (math, not NumPy): no dtype surprises.
        """
        ### BEGIN SOLUTION
        state = self.state[i]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
        state["step"] += 1
        t = state["step"]
        beta1, beta2 = self.betas
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1.0 - beta1) * g
        v *= beta2
        v += (1.0 - beta2) * (g * g)
        denom = np.sqrt(v)
        denom /= math.sqrt(1.0 - beta2**t)
        denom += self.eps
        p.data -= (self.lr / (1.0 - beta1**t)) * (m / denom)
        ### END SOLUTION

    def step(self) -> None:
        """One Adam step for every parameter that has a gradient (L2 weight decay added to g).

        TODO: for each parameter with a gradient, add the L2 term if
        weight_decay is set (a new array), then call self._update(i, p, g).
        """
        ### BEGIN SOLUTION
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            self._update(i, p, g)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-adam", "locked": true, "points": 20, "schema_version": 3, "solution": false}
def _reference_adam(p, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    """Adam / AdamW in plain float64 NumPy, as in the paper plus PyTorch's eps placement."""
    p = np.array(p, dtype=np.float64)
    m, v, path = np.zeros_like(p), np.zeros_like(p), []
    for t, g in enumerate(grads, start=1):
        if decoupled:
            p = p * (1 - lr * weight_decay)
        elif weight_decay:
            g = g + weight_decay * p
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g**2
        m_hat, v_hat = m / (1 - betas[0] ** t), v / (1 - betas[1] ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        path.append(p)
    return path


def test_unit_adam():
    """Adam matches the NumPy reference step by step; state is PyTorch's; errors name the value."""
    rng = np.random.default_rng(1)
    p0 = rng.standard_normal((4, 3))
    grads = [rng.standard_normal((4, 3)) * 10.0 ** rng.integers(-3, 2) for _ in range(8)]
    for config in (
        {},
        {"lr": 0.01, "betas": (0.8, 0.99)},
        {"lr": 0.01, "weight_decay": 0.1},
        {"eps": 1e-3},
    ):
        got = _run(lambda params, config=config: Adam(params, **config), p0, grads)
        expected = _reference_adam(p0, grads, **config)
        for step, (a, e) in enumerate(zip(got, expected, strict=True)):
            np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12, err_msg=f"Adam({config}) step {step + 1}")
    # the first step moves every coordinate by about lr, whatever the gradient's size
    w = Parameter(np.zeros(3))
    w.grad = np.array([1e-4, 1.0, 1e4], np.float32)
    opt = Adam([w], lr=0.01)
    opt.step()
    np.testing.assert_allclose(w.data, [-0.01, -0.01, -0.01], rtol=1e-3)
    state = opt.state[0]
    assert state["step"] == 1 and set(state) == {"step", "exp_avg", "exp_avg_sq"}, f"state keys {set(state)}"
    assert state["exp_avg"].dtype == np.float32 and state["exp_avg"].shape == (3,)
    assert w.data.dtype == np.float32
    _expect_error(ValueError, Adam, [w], lr=-1e-3, contains="lr=-0.001")
    _expect_error(ValueError, Adam, [w], betas=(0.9, 1.0), contains="betas[1]=1.0")
    _expect_error(TypeError, Adam, [w], betas=0.9, contains="betas=0.9")
    _expect_error(ValueError, Adam, [w], eps=-1.0, contains="eps=-1.0")


if __name__ == "__main__":
    test_unit_adam()

# %% [markdown]
"""
## 4. AdamW: weight decay that is really weight decay

In SGD, adding `weight_decay * p` to the gradient is the same as shrinking
`p` a little every step. In Adam it is not: the added term goes through the
division by `sqrt(v)`, so weights with large gradients are barely decayed
and weights with small gradients are decayed a lot. Loshchilov & Hutter
(2019) showed that **decoupling** the decay, shrinking the weights directly
and giving Adam the plain gradient, regularizes better. AdamW is now the
default optimizer for transformers.

PyTorch's rule (`torch.optim.AdamW`, default `weight_decay=0.01`):

```
p = p * (1 - lr * weight_decay)     first, directly on the weights
then Adam's update with g = p.grad  (no L2 term added to g)
```

AdamW is an `Adam` with a different `step()`: reuse `self._update`.
"""


# %% nbgrader={"grade": false, "grade_id": "adamw", "locked": false, "schema_version": 3, "solution": true}
#| export
class AdamW(Adam):
    """Adam with decoupled weight decay (PyTorch: ``torch.optim.AdamW``)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def step(self) -> None:
        """Shrink each parameter that has a gradient, then take Adam's step with the plain gradient.

        TODO: for each parameter with a gradient:
        p.data *= 1 - self.lr * self.weight_decay, then self._update(i, p, p.grad).

        HINTS:
        - Decay only the parameters that have a gradient (PyTorch does the same).
        - Do not add weight_decay * p to the gradient here: that is Adam's L2.
        """
        ### BEGIN SOLUTION
        shrink = 1.0 - self.lr * self.weight_decay
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            if shrink != 1.0:
                p.data *= shrink
            self._update(i, p, p.grad)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-adamw", "locked": true, "points": 15, "schema_version": 3, "solution": false}
def test_unit_adamw():
    """AdamW matches the decoupled reference and differs from Adam's L2 decay."""
    rng = np.random.default_rng(2)
    p0 = rng.standard_normal(5) * 3
    grads = [rng.standard_normal(5) * 10.0 ** rng.integers(-2, 2) for _ in range(8)]
    for config in ({}, {"lr": 0.05, "weight_decay": 0.2}, {"lr": 0.01, "weight_decay": 0.0}):
        got = _run(lambda params, config=config: AdamW(params, **config), p0, grads)
        full = {"lr": 1e-3, "weight_decay": 1e-2, **config}
        expected = _reference_adam(p0, grads, decoupled=True, **full)
        for step, (a, e) in enumerate(zip(got, expected, strict=True)):
            np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12, err_msg=f"AdamW({config}) step {step + 1}")
    assert AdamW([Parameter([1.0])]).weight_decay == 0.01, "PyTorch's default weight_decay is 0.01"
    coupled = _run(lambda params: Adam(params, lr=0.05, weight_decay=0.2), p0, grads)[-1]
    assert not np.allclose(got[-1], coupled), "AdamW must not be Adam with L2 weight decay"
    # with a zero gradient, AdamW still shrinks the weights: exactly by (1 - lr * wd) per step
    w = Parameter([2.0, -4.0])
    opt = AdamW([w], lr=0.1, weight_decay=0.5)
    for _ in range(3):
        w.grad = np.zeros(2, np.float32)
        opt.step()
    np.testing.assert_allclose(w.data, np.array([2.0, -4.0]) * 0.95**3, rtol=1e-6)
    _expect_error(ValueError, AdamW, [w], weight_decay=-0.1, contains="AdamW: weight_decay=-0.1")


if __name__ == "__main__":
    test_unit_adamw()

# %% [markdown]
"""
## 5. Systems analysis: what does an optimizer cost?

Three measurements (run this file as a script; pin BLAS to one thread for
stable numbers: `OPENBLAS_NUM_THREADS=1 python modules/06_optimizers/optimizers.py`):

1. `analyze_state_memory`: bytes of optimizer state next to the bytes of
   the parameters, and the extra memory a `step()` allocates for temporary
   arrays (measured with `tracemalloc`).
2. `analyze_step_time`: time of one `step()` as the number of parameters
   grows, against the bare NumPy update `p -= lr * g`.
3. `analyze_convergence`: the same network trained on the same data with
   each optimizer: the loss after a number of steps.
"""

# %% nbgrader={"grade": false, "grade_id": "analysis", "locked": true, "schema_version": 3, "solution": false}
import time  # noqa: E402  (analysis only: not exported)
import tracemalloc  # noqa: E402


def _best_seconds(function, repeat=5, number=None):
    """Seconds per call of ``function()``, best of ``repeat`` timed runs."""
    if number is None:
        start = time.perf_counter()
        function()
        number = max(1, min(10_000, int(0.02 / max(time.perf_counter() - start, 1e-7))))
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            function()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def _optimizers(params):
    return {
        "SGD": SGD(params, lr=0.01),
        "SGD momentum": SGD(params, lr=0.01, momentum=0.9),
        "Adam": Adam(params, lr=1e-3),
        "AdamW": AdamW(params, lr=1e-3),
    }


def analyze_state_memory(sizes=(784, 256, 10)):
    """Optimizer state bytes vs parameter bytes, and temporary memory per step."""
    np.random.seed(0)
    from tinytorch.core.activations import ReLU

    model = Sequential(Linear(sizes[0], sizes[1]), ReLU(), Linear(sizes[1], sizes[2]))
    params = list(model.parameters())
    param_bytes = sum(p.data.nbytes for p in params)
    count = sum(p.data.size for p in params)
    print(f"\nMLP {sizes}: {count:,} parameters, {param_bytes / 1e6:.2f} MB (float32)")
    print(f"{'optimizer':>13} {'state MB':>9} {'state/params':>13} {'step temp MB':>13}")
    for name, make in (
        ("SGD", lambda: SGD(params, lr=0.01)),
        ("SGD momentum", lambda: SGD(params, lr=0.01, momentum=0.9)),
        ("Adam", lambda: Adam(params)),
        ("AdamW", lambda: AdamW(params)),
    ):
        for p in params:
            p.grad = np.ones_like(p.data)
        opt = make()
        opt.step()  # creates the state
        tracemalloc.start()
        opt.step()  # a later step: only temporaries
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        state_bytes = sum(v.nbytes for entry in opt.state for v in entry.values() if isinstance(v, np.ndarray))
        print(f"{name:>13} {state_bytes / 1e6:>9.2f} {state_bytes / param_bytes:>12.2f}x {peak / 1e6:>13.2f}")
    print("Training memory = weights + gradients + optimizer state (+ activations):")
    print("with Adam that is 4 copies of the weights before a single activation is stored.")


def analyze_step_time(sizes=(1_000, 10_000, 100_000, 1_000_000)):
    """Time of one step() on a single parameter of n numbers, vs the bare NumPy SGD update."""
    print(
        f"\n{'params':>10} {'numpy p-=lr*g':>14} " + " ".join(f"{name:>13}" for name in _optimizers([Parameter([0.0])]))
    )
    for n in sizes:
        rng = np.random.default_rng(0)
        p = Parameter(rng.standard_normal(n))
        p.grad = rng.standard_normal(n).astype(np.float32)
        data, grad = p.data, p.grad

        def numpy_step(data=data, grad=grad):
            data -= 0.01 * grad

        row = f"{n:>10,} {_best_seconds(numpy_step) * 1e6:>11.1f} us"
        for opt in _optimizers([p]).values():
            row += f" {_best_seconds(opt.step) * 1e6:>10.1f} us"
        print(row)
    print("Small tensors: the fixed Python cost per parameter dominates (a model with many small")
    print("tensors pays it many times). Large tensors: time grows with n, limited by memory")
    print("bandwidth. Every NumPy operation is one pass over memory (and most make a temporary):")
    print("plain SGD makes 2 passes, Adam's update about a dozen. Count them in Adam._update.")


def _spiral(n_per_class=100, classes=3, seed=0):
    """Interleaved spirals: a classic problem no straight line separates."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c in range(classes):
        r = np.linspace(0.05, 1.0, n_per_class)
        theta = np.linspace(c * 4.0, (c + 1) * 4.0, n_per_class) + rng.normal(0, 0.2, n_per_class)
        xs.append(np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1))
        ys.append(np.full(n_per_class, c))
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys)


def analyze_convergence(steps=(0, 100, 300, 1000)):
    """Full-batch training of one MLP on spirals with each optimizer: loss after k steps."""
    from tinytorch.core.activations import ReLU
    from tinytorch.core.losses import CrossEntropyLoss

    x_np, y = _spiral()
    x, loss_fn = Tensor(x_np), CrossEntropyLoss()
    settings = {
        "SGD lr=0.1": lambda ps: SGD(ps, lr=0.1),
        "SGD lr=0.1 mom=0.9": lambda ps: SGD(ps, lr=0.1, momentum=0.9),
        "Adam lr=0.01": lambda ps: Adam(ps, lr=0.01),
        "AdamW lr=0.01": lambda ps: AdamW(ps, lr=0.01),
    }
    print("\nSpirals (300 points, 3 classes), MLP 2-64-64-3, full batch: loss after k steps")
    print(f"{'optimizer':>20} " + " ".join(f"{f'k={k}':>9}" for k in steps) + f" {'accuracy':>9} {'seconds':>8}")
    for name, make in settings.items():
        np.random.seed(0)  # the same initial weights for every optimizer
        model = Sequential(Linear(2, 64), ReLU(), Linear(64, 64), ReLU(), Linear(64, 3))
        opt, losses = make(model.parameters()), {}
        start = time.perf_counter()
        for k in range(steps[-1] + 1):
            loss = loss_fn(model(x), y)
            if k in steps:
                losses[k] = loss.item()
            if k == steps[-1]:
                break
            opt.zero_grad()
            loss.backward()
            opt.step()
        seconds = time.perf_counter() - start
        accuracy = float((model(x).data.argmax(axis=1) == y).mean())
        print(f"{name:>20} " + " ".join(f"{losses[k]:>9.4f}" for k in steps) + f" {accuracy:>9.1%} {seconds:>8.2f}")


if __name__ == "__main__":
    analyze_state_memory()
    analyze_step_time()
    analyze_convergence()

# %% [markdown]
"""
## 6. Integration test

`test_module` trains real networks built from Modules 01-05 with each
optimizer, through `loss.backward()`, and checks that:

1. every optimizer solves a small non-linear problem (XOR-like quadrants);
2. a frozen layer (`requires_grad = False`, so no gradient) is not moved,
   even by AdamW's weight decay;
3. saving the optimizer's state and loading it into a fresh optimizer
   continues training **bit for bit** as if nothing had happened.
"""


# %% nbgrader={"grade": true, "grade_id": "test-module", "locked": true, "points": 15, "schema_version": 3, "solution": false}
def test_module():
    """Each optimizer trains a real MLP through backward(); frozen layers stay; state resumes exactly."""
    from tinytorch.core.activations import Tanh
    from tinytorch.core.losses import CrossEntropyLoss

    rng = np.random.default_rng(3)
    points = rng.uniform(-1, 1, size=(128, 2)).astype(np.float32)
    labels = (points[:, 0] * points[:, 1] > 0).astype(np.int64)
    x, loss_fn = Tensor(points), CrossEntropyLoss()

    def train(make, steps=150, model=None, opt=None):
        if model is None:
            np.random.seed(4)
            model = Sequential(Linear(2, 16), Tanh(), Linear(16, 2))
            opt = make(model.parameters())
        for _ in range(steps):
            loss = loss_fn(model(x), labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return model, opt

    for make in (
        lambda ps: SGD(ps, lr=0.5, momentum=0.9),
        lambda ps: SGD(ps, lr=0.3, momentum=0.9, nesterov=True, weight_decay=1e-4),
        lambda ps: Adam(ps, lr=0.05),
        lambda ps: AdamW(ps, lr=0.05),
    ):
        model, opt = train(make)
        accuracy = (model(x).data.argmax(axis=1) == labels).mean()
        assert accuracy > 0.9, f"{opt}: accuracy {accuracy:.2f} after 150 steps; expected > 0.9"

    # a frozen first layer gets no gradient and must not move
    np.random.seed(5)
    model = Sequential(Linear(2, 16), Tanh(), Linear(16, 2))
    for p in model[0].parameters():
        p.requires_grad = False
    before = model[0].weight.data.copy()
    train(None, steps=5, model=model, opt=AdamW(model.parameters(), lr=0.05, weight_decay=0.5))
    np.testing.assert_array_equal(model[0].weight.data, before, err_msg="a frozen parameter moved")

    # resume: 20 steps, save, 20 more  ==  20 steps, load into fresh objects, 20 more
    make = lambda ps: Adam(ps, lr=0.05)  # noqa: E731
    model_a, opt_a = train(make, steps=20)
    saved_weights = [p.data.copy() for p in model_a.parameters()]
    saved_state = opt_a.state_dict()
    train(None, steps=20, model=model_a, opt=opt_a)
    np.random.seed(99)
    model_b = Sequential(Linear(2, 16), Tanh(), Linear(16, 2))
    for p, w in zip(model_b.parameters(), saved_weights, strict=True):
        p.data[...] = w
    opt_b = make(model_b.parameters())
    opt_b.load_state_dict(saved_state)
    train(None, steps=20, model=model_b, opt=opt_b)
    for a, b in zip(model_a.parameters(), model_b.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data, err_msg="resuming from a state_dict changed the result")


if __name__ == "__main__":
    test_module()
    print("\nAll Module 06 tests passed.")

# %% [markdown]
"""
## Reflection questions

1. `analyze_state_memory` printed the state of each optimizer. A model with
   7 billion float32 parameters: how many gigabytes do weights, gradients
   and Adam's state need together? Why do large models keep Adam's state in
   lower precision or split it across machines?
2. With `momentum=0.9`, a steady gradient `g` makes the velocity approach
   `g / (1 - 0.9)`. Derive it. What does that mean for the learning rate you
   should pick when you add momentum to a run that worked without it?
3. Adam's first step moved every coordinate by almost exactly `lr`, whether
   its gradient was `1e-4` or `1e4` (see `test_unit_adam`). Why? When is
   that a good thing, and when could it hurt?
4. Explain, with the update formulas, why Adam's L2 weight decay shrinks a
   weight with a large gradient less than one with a small gradient, and
   why AdamW's does not.
5. In `analyze_step_time`, compare the times at 1,000 and at 1,000,000
   parameters: what share of a small step is fixed Python cost rather than
   arithmetic? A ResNet-50 has about 160 parameter tensors: estimate the
   fixed cost of one Adam step, and say how a framework could avoid it
   (look up PyTorch's `foreach` and `fused` options).
"""
