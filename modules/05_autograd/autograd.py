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
#     requires: [1, 2, 3, 4]
#     points: 100
# ---

# %% [markdown]
"""
# Module 05: Autograd, the engine that makes the same code learn

After Modules 01 to 04 you have a working **forward-only** framework:
`Tensor`, activations, `Linear` layers and losses compute a prediction and
tell you how wrong it is. To *learn*, a model needs the **gradient** of the
loss with respect to every weight: which direction to nudge each number to
make the loss smaller. This module computes those gradients automatically
for any computation built from your operations, with one call:

```python
loss = CrossEntropyLoss()(model(x), y)   # your Modules 01-04, unchanged
loss.backward()                          # this module
for p in model.parameters():
    p.data -= 0.1 * p.grad               # one step of gradient descent
```

## Learning objectives

By the end of this module you will be able to:

1. Derive and implement the **gradient rule** of every operation you built
   (add, matmul, sum, a linear layer, softmax, cross-entropy, ...),
   including the **unbroadcast** step that broadcasting makes necessary.
2. Explain the **computation graph** and why the backward pass must visit
   it in **topological order**: once per node, never once per path.
3. Implement `backward()` as one iterative walk whose cost is linear in the
   size of the graph, with PyTorch's accumulation rules for `.grad`.
4. Check gradients against **finite differences**, the standard way to
   test a gradient rule.
5. **Measure** what tracking costs: time per operation, memory of the
   graph, and a full training step against hand-written NumPy.

## Prerequisites

- Module 01 (`Tensor`), 02 (activations), 03 (`Linear`, `Module`) and 04
  (losses), completed and exported: this module imports them from
  `tinytorch`.
- Calculus: the derivative of a function of one variable, and the chain
  rule. Everything else is built up here.

## Where this code goes

`modules/05_autograd/autograd.py` exports to `tinytorch/core/autograd.py`.
Importing that module (which `import tinytorch` does once it is exported)
switches gradient tracking on for everything you built before.
"""

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": false, "schema_version": 3, "solution": false}
#| default_exp core.autograd
#| export
from __future__ import annotations

import ctypes
import functools
import importlib
import os
import sys

import numpy as np

from tinytorch.core.tensor import (
    ShapeError,
    Tensor,
    _as_array,
    from_numpy,
    tensor_add,
    tensor_exp,
    tensor_getitem,
    tensor_log,
    tensor_matmul,
    tensor_max,
    tensor_mean,
    tensor_mul,
    tensor_neg,
    tensor_pow,
    tensor_reshape,
    tensor_sqrt,
    tensor_sub,
    tensor_sum,
    tensor_transpose,
    tensor_truediv,
)

# %% [markdown]
"""
## 1. The idea: the chain rule, one operation at a time

Take `L = (x * w + b) ** 2` with `x = 2`, `w = 3`, `b = 1`. Computing it is
a chain of small steps, each a Module 01 operation:

```
x=2 ──┐
      ├─[mul]─> z=6 ──┐
w=3 ──┘               ├─[add]─> u=7 ──[pow 2]─> L=49
               b=1 ───┘
```

We want `dL/dw`. The **chain rule** says: the derivative through a chain is
the product of the derivatives of the links. Walk the chain *backwards*
from `L`, carrying `dL/d(this value)`, the **gradient**:

```
dL/dL = 1                                   (start)
dL/du = dL/dL * d(u**2)/du = 1 * 2u = 14    (pow's rule)
dL/dz = dL/du * d(z+b)/dz  = 14 * 1 = 14    (add's rule, for its first input)
dL/db = dL/du * d(z+b)/db  = 14 * 1 = 14    (add's rule, for its second input)
dL/dw = dL/dz * d(x*w)/dw  = 14 * x = 28    (mul's rule: the *other* input)
```

Every operation only needs to know **its own rule**: given the gradient of
the loss with respect to its *output* (the "upstream" gradient), return the
gradient with respect to each of its *inputs*. That local rule is the
operation's `backward`. This is reverse-mode automatic differentiation; it
gets the gradient for **all** inputs in one backward sweep, which is why
it is how every deep-learning framework trains.

For tensors the rules are the same, element by element, with one twist for
matrices: if `Z = A @ B` then `dL/dA = dL/dZ @ B.T` and
`dL/dB = A.T @ dL/dZ` (section 5 shows why; check the shapes: they are the
only way to make them fit).

## 2. How this module plugs into what you built

Your Module 01 to 04 code keeps computing the forward values (two fused
operations, `Linear` and cross-entropy in section 7, compute the very same
values themselves, to save work). This module adds, for each operation, a
small **`Function`** subclass holding its gradient rule. When gradients are wanted, the operation also creates
one `Function` object, a **node** of the computation graph, and attaches it
to the result as `result.grad_fn`. The node remembers the operation's
inputs (`self.inputs`), its output array (`self.output`) and any settings
(like `axis`). `backward()` then walks the nodes from the loss back to the
weights.

```
forward (your Modules 01-04)            the graph it leaves behind
h = x @ W        -> h.grad_fn = MatMul(inputs=(x, W))
a = h + b        -> a.grad_fn = Add(inputs=(h, b))
loss = CE(a, y)  -> loss.grad_fn = CrossEntropyLossFunction(inputs=(a, y))
```

The wiring that attaches the nodes, `enable_autograd()` in section 9, is
given: it swaps each Tensor method (and the `forward` of `Linear`, the
activations and the losses) for a version that calls your original code
and then records the node. The same mechanism you used in Module 01
(`Tensor.__add__ = tensor_add`), applied once more. You write the rules
and the backward walk.

Below: the `Function` base class and the switch that turns recording off
(`no_grad()`, for evaluation, where nobody needs gradients), both given.
"""


# %% nbgrader={"grade": false, "grade_id": "function-base", "locked": true, "schema_version": 3, "solution": false}
#| export
class _GradMode:
    """The one on/off switch of gradient recording (flipped by ``no_grad``)."""

    __slots__ = ("enabled",)

    def __init__(self) -> None:
        self.enabled = True


# The switch lives on the Tensor class, so the exported package and a
# re-executed copy of this notebook share one switch.
if not hasattr(Tensor, "_grad_mode"):
    Tensor._grad_mode = _GradMode()
_GRAD_MODE = Tensor._grad_mode


def is_grad_enabled() -> bool:
    """True unless inside ``with no_grad():`` (like ``torch.is_grad_enabled``)."""
    return _GRAD_MODE.enabled


class no_grad:
    """Context manager (and decorator) that turns gradient recording off.

    Inside ``with no_grad():`` operations compute values only: no graph is
    built, nothing is kept for backward, and results have
    ``requires_grad=False``. Use it for evaluation and for updating weights.
    """

    def __enter__(self) -> None:
        self._previous = _GRAD_MODE.enabled
        _GRAD_MODE.enabled = False

    def __exit__(self, *exc_info) -> bool:
        _GRAD_MODE.enabled = self._previous
        return False

    def __call__(self, function):
        @functools.wraps(function)
        def without_grad(*args, **kwargs):
            with no_grad():
                return function(*args, **kwargs)

        return without_grad


def value_of(x):
    """The numbers behind an operation's input: a Tensor's ``.data``, or the constant itself."""
    return x.data if isinstance(x, Tensor) else x


class Function:
    """A node of the computation graph: one operation's gradient rule.

    Subclasses implement ``backward(grad)``. When an operation runs with
    gradients enabled, a new node is attached to its result as ``grad_fn``,
    with these attributes set:

    - ``inputs``: the operation's inputs, in order (Tensors, or constants
      such as the ``2`` in ``x * 2``);
    - ``needs_grad``: one bool per input, True if that input requires grad;
    - ``output``: the result's NumPy array;
    - ``layer``: the activation or loss object, for those (else ``None``);
    - the operation's settings, named like the method's parameters:
      ``axis`` and ``keepdims`` for ``sum``, ``dim0`` and ``dim1`` for
      ``transpose``, ``exponent`` for ``**``, ``key`` for indexing.

    ``backward(grad)`` receives ``dL/d(output)`` (an array shaped like the
    output) and returns a tuple with one entry per input: ``dL/d(input)``,
    an array shaped like that input, or ``None`` where
    ``needs_grad`` is False (skipping work nobody asked for).

    A subclass may also define ``forward(*arrays)``: then, while gradients
    are recorded, it computes the value itself (and keeps what its backward
    needs) instead of the original operation; cross-entropy does, to avoid
    computing its softmax twice.
    """

    layer = None

    def backward(self, grad):
        raise NotImplementedError(f"{type(self).__name__}.backward(grad) is not written yet")

    @classmethod
    def apply(cls, forward, *inputs, **options):
        """Run ``forward(*inputs, **options)`` without recording, then record a ``cls`` node.

        For using a rule directly (tests, experiments):
        ``Mul.apply(tensor_mul, a, b)``; ``Sum.apply(tensor_sum, x, axis=0)``;
        ``ReLUFunction.apply(ReLU().forward, x)``. The options become
        attributes of the node; for a bound method, its object is ``layer``.
        """
        with no_grad():
            out = forward(*inputs, **options)
        needs = tuple(isinstance(t, Tensor) and t.requires_grad for t in inputs)
        if _GRAD_MODE.enabled and any(needs):
            node = cls()
            node.inputs = tuple(t if isinstance(t, Tensor) else _as_array(t) for t in inputs)
            node.needs_grad = needs
            node.layer = getattr(forward, "__self__", None)
            for name, value in options.items():
                setattr(node, name, value)
            if hasattr(node, "forward"):  # a fused rule computes the value itself
                out = from_numpy(node.forward(*[value_of(t) for t in inputs]))
            node.output = out.data
            out.requires_grad = True
            out.grad_fn = node
        return out

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


# %% [markdown]
"""
## 3. Broadcasting in reverse: `unbroadcast`

In the forward pass a bias of shape `(10,)` is added to activations of
shape `(32, 10)`: broadcasting *copies* the bias to all 32 rows. Each copy
influenced the loss, so in the backward pass the bias's gradient is the
**sum** of the 32 rows of the upstream gradient, giving shape `(10,)` again.

```
forward:   b (10,)  --broadcast-->  (32, 10)
backward:  (32, 10) --sum rows-->   grad_b (10,)

forward:   c (3, 1) --broadcast-->  (3, 4)
backward:  (3, 4)   --sum axis 1, keepdims--> grad_c (3, 1)
```

The rule, for a gradient of shape `grad.shape` going back to an input of
shape `shape`:

1. Broadcasting added leading dimensions: sum those away.
2. Where the input had size 1 but the gradient does not: sum that axis,
   keeping it (`keepdims=True`).

Every binary operation's rule ends with `unbroadcast`; forgetting it gives
gradients of the wrong shape, the most common autograd bug.
"""


# %% nbgrader={"grade": false, "grade_id": "unbroadcast", "locked": false, "schema_version": 3, "solution": true}
#| export
def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``: the reverse of broadcasting ``shape`` up to ``grad.shape``.

    TODO: Undo broadcasting so the gradient matches the input it belongs to.

    APPROACH:
    1. If ``grad.shape == shape`` already, return ``grad`` unchanged (the
       common case; no work, no copy).
    2. ``extra = grad.ndim - len(shape)`` leading axes were added: sum them
       (``grad.sum(axis=tuple(range(extra)))``).
    3. Sum, with ``keepdims=True``, every axis ``i`` where ``shape[i] == 1``
       but ``grad.shape[i] != 1``.
    4. Return the result (its shape is now ``shape``).

    EXAMPLE:
    >>> unbroadcast(np.ones((32, 10)), (10,)).shape, unbroadcast(np.ones((32, 10)), (10,))[0]
    ((10,), 32.0)
    >>> unbroadcast(np.ones((2, 3, 4)), (3, 1)).shape
    (3, 1)

    HINT: ``shape`` is a tuple (a ``.shape``) and may be ``()`` (a
    scalar): then every axis is "extra".
    """
    ### BEGIN SOLUTION
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=0 if extra == 1 else tuple(range(extra)))
    if 1 in shape:
        axes = tuple(i for i, size in enumerate(shape) if size == 1 and grad.shape[i] != 1)
        if axes:
            grad = grad.sum(axis=axes, keepdims=True)
    return grad
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-unbroadcast", "locked": true, "points": 5, "schema_version": 3, "solution": false}
def test_unit_unbroadcast():
    """Leading axes and size-1 axes are summed; matching shapes pass through untouched."""
    rng = np.random.default_rng(0)
    g = rng.standard_normal((2, 3, 4))
    same = unbroadcast(g, (2, 3, 4))
    assert same is g, "a gradient that already has the right shape must be returned as it is"
    for shape, expected in [
        ((3, 4), g.sum(axis=0)),
        ((4,), g.sum(axis=(0, 1))),
        ((3, 1), g.sum(axis=0).sum(axis=1, keepdims=True)),
        ((1, 4), g.sum(axis=(0, 1))[None, :]),
        ((2, 1, 4), g.sum(axis=1, keepdims=True)),
        ((), g.sum()),
        ((1, 1, 1), g.sum(keepdims=True)),
    ]:
        out = unbroadcast(g, shape)
        assert np.shape(out) == shape, f"unbroadcast to {shape} gave shape {np.shape(out)}"
        np.testing.assert_allclose(out, expected, rtol=1e-12, err_msg=f"shape {shape}")


if __name__ == "__main__":
    test_unit_unbroadcast()

# %% [markdown]
"""
## 4. Gradient rules for element-wise arithmetic

For `z = a + b`, `a - b`, `a * b`, `a / b` (element-wise, `g = dL/dz`):

| op | `dL/da` | `dL/db` |
|---|---|---|
| `a + b` | `g` | `g` |
| `a - b` | `g` | `-g` |
| `a * b` | `g * b` | `g * a` |
| `a / b` | `g / b` | `-g * a / b**2`  (= `-g * z / b`) |

then `unbroadcast` each to its input's shape. Two things to get right:

- **Skip what nobody asked for.** `self.needs_grad[i]` is False for an
  input that does not require grad (input data, constants such as `2` in
  `x * 2`): return `None` for it and do not compute it. In a network,
  that skips the gradient with respect to the input batch entirely.
- **Constants.** An input can be a Python number or an array instead of a
  Tensor; `value_of(input)` gives its numbers either way.

Your rule gets `grad` and returns a tuple: `(grad_a, grad_b)`. To try a
rule on its own: `z = Mul.apply(tensor_mul, a, b)` runs Module 01's
`tensor_mul` and records a `Mul` node; `z.grad_fn.backward(g)` calls your
rule.
"""


# %% nbgrader={"grade": false, "grade_id": "functions-arithmetic", "locked": false, "schema_version": 3, "solution": true}
#| export
class Add(Function):
    """``z = a + b``: both inputs receive the upstream gradient (unbroadcast)."""

    def backward(self, grad):
        """Return ``(grad_a, grad_b)``.

        TODO: Pass ``grad`` to each input that needs it, summed to its shape.

        APPROACH:
        1. ``a, b = self.inputs``; start with ``grad_a = grad_b = None``.
        2. If ``self.needs_grad[0]``: ``grad_a = unbroadcast(grad, a.shape)``.
        3. The same for ``b`` with ``self.needs_grad[1]``.
        4. ``return grad_a, grad_b``.

        HINT: an input that needs grad is always a Tensor, so ``.shape`` works.
        """
        ### BEGIN SOLUTION
        a, b = self.inputs
        need_a, need_b = self.needs_grad
        return (
            unbroadcast(grad, a.shape) if need_a else None,
            unbroadcast(grad, b.shape) if need_b else None,
        )
        ### END SOLUTION


class Sub(Function):
    """``z = a - b``: ``dL/da = g``, ``dL/db = -g``."""

    def backward(self, grad):
        ### BEGIN SOLUTION
        a, b = self.inputs
        need_a, need_b = self.needs_grad
        return (
            unbroadcast(grad, a.shape) if need_a else None,
            unbroadcast(-grad, b.shape) if need_b else None,
        )
        ### END SOLUTION


class Mul(Function):
    """``z = a * b``: each input's gradient is ``g`` times the *other* input."""

    def backward(self, grad):
        """TODO: ``grad_a = unbroadcast(grad * value_of(b), a.shape)``, and symmetrically."""
        ### BEGIN SOLUTION
        a, b = self.inputs
        need_a, need_b = self.needs_grad
        return (
            unbroadcast(grad * value_of(b), a.shape) if need_a else None,
            unbroadcast(grad * value_of(a), b.shape) if need_b else None,
        )
        ### END SOLUTION


class Div(Function):
    """``z = a / b``: ``dL/da = g / b``, ``dL/db = -g * z / b``."""

    def backward(self, grad):
        """TODO: Use the table above; ``self.output`` is ``z = a / b``."""
        ### BEGIN SOLUTION
        a, b = self.inputs
        need_a, need_b = self.needs_grad
        b_value = value_of(b)
        return (
            unbroadcast(grad / b_value, a.shape) if need_a else None,
            unbroadcast(-grad * self.output / b_value, b.shape) if need_b else None,
        )
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-functions-arithmetic", "locked": true, "points": 10, "schema_version": 3, "solution": false}
def test_unit_functions_arithmetic():
    """Add, Sub, Mul and Div rules, with broadcasting, constants and skipped inputs."""
    rng = np.random.default_rng(1)
    a_np = rng.standard_normal((3, 4))
    b_np = rng.standard_normal((4,)) + 3.0
    g = rng.standard_normal((3, 4))
    cases = [
        (Add, tensor_add, g, g.sum(axis=0)),
        (Sub, tensor_sub, g, -g.sum(axis=0)),
        (Mul, tensor_mul, g * b_np, (g * a_np).sum(axis=0)),
        (Div, tensor_truediv, g / b_np, (-g * a_np / b_np**2).sum(axis=0)),
    ]
    for function, forward, expected_a, expected_b in cases:
        a = Tensor(a_np, dtype=np.float64, requires_grad=True)
        b = Tensor(b_np, dtype=np.float64, requires_grad=True)
        z = function.apply(forward, a, b)
        name = function.__name__
        assert isinstance(z.grad_fn, function) and z.requires_grad, (
            f"{name}.apply must record a {name} node"
        )
        grad_a, grad_b = z.grad_fn.backward(g)
        assert np.shape(grad_a) == (3, 4) and np.shape(grad_b) == (4,), (
            f"{name}: gradient shapes must match the inputs"
        )
        np.testing.assert_allclose(grad_a, expected_a, rtol=1e-10, err_msg=f"{name}: grad of a")
        np.testing.assert_allclose(
            grad_b, expected_b, rtol=1e-10, err_msg=f"{name}: grad of b (unbroadcast)"
        )

        # Only the input that needs a gradient gets one; a constant operand works.
        c = Tensor(b_np, dtype=np.float64)
        grads = function.apply(forward, a, c).grad_fn.backward(g)
        assert grads[1] is None, f"{name}: an input with requires_grad=False must get None"
        np.testing.assert_allclose(grads[0], expected_a, rtol=1e-10)
        grads = function.apply(forward, a, 2.0).grad_fn.backward(g)
        assert grads[1] is None and np.shape(grads[0]) == (3, 4), (
            f"{name} with a Python-number operand"
        )


if __name__ == "__main__":
    test_unit_functions_arithmetic()

# %% [markdown]
"""
## 5. Rules for single-input operations, and matrix multiplication

Element-wise functions multiply the upstream gradient by their derivative
(`z` is `self.output`, `x` the input):

| op | derivative | rule |
|---|---|---|
| `-x` | `-1` | `-g` |
| `x ** p` (number `p`, in `self.exponent`) | `p * x ** (p - 1)` | `g * p * x ** (p - 1)` |
| `exp(x)` | `exp(x) = z` | `g * z` (reuse the output: no second `exp`) |
| `log(x)` | `1 / x` | `g / x` |
| `sqrt(x)` | `1 / (2 sqrt(x)) = 1 / (2z)` | `g / (2 * z)` |

**Matrix multiplication.** For `Z = A @ B` with `A` `(M, K)`, `B`
`(K, N)`: `Z[i, j] = sum_k A[i, k] B[k, j]`, so `A[i, k]` affects every
`Z[i, j]` through the factor `B[k, j]`:

```
dL/dA[i, k] = sum_j g[i, j] * B[k, j]   ->   dL/dA = g @ B.T     (M, N) @ (N, K) = (M, K)
dL/dB[k, j] = sum_i A[i, k] * g[i, j]   ->   dL/dB = A.T @ g     (K, M) @ (M, N) = (K, N)
```

The shapes are the best check: each gradient must have its input's shape,
and there is only one way to combine `g` with the other matrix to get it.
For batched inputs (`(batch, M, K) @ (K, N)`) use `np.swapaxes(x, -1, -2)`
instead of `.T` and `unbroadcast` the result (a shared `B` collects the
gradient of every batch element). A 1-D input acts as a matrix with one
row (on the left) or one column (on the right): add that axis, apply the
rule, and remove it again.
"""


# %% nbgrader={"grade": false, "grade_id": "functions-unary", "locked": false, "schema_version": 3, "solution": true}
#| export
class Neg(Function):
    """``z = -x``."""

    def backward(self, grad):
        ### BEGIN SOLUTION
        return (-grad,)
        ### END SOLUTION


class Pow(Function):
    """``z = x ** p`` for a number ``p`` (``self.exponent``)."""

    def backward(self, grad):
        """TODO: ``grad * p * x ** (p - 1)``; for ``p == 0`` the gradient is 0."""
        ### BEGIN SOLUTION
        x, p = self.inputs[0].data, self.exponent
        if p == 0:
            return (np.zeros_like(grad),)
        return (grad * (p * x ** (p - 1)),)
        ### END SOLUTION


class Exp(Function):
    """``z = exp(x)``: the derivative is ``z`` itself."""

    def backward(self, grad):
        ### BEGIN SOLUTION
        return (grad * self.output,)
        ### END SOLUTION


class Log(Function):
    """``z = log(x)``: the derivative is ``1 / x``."""

    def backward(self, grad):
        ### BEGIN SOLUTION
        return (grad / self.inputs[0].data,)
        ### END SOLUTION


class Sqrt(Function):
    """``z = sqrt(x)``: the derivative is ``1 / (2 z)``."""

    def backward(self, grad):
        ### BEGIN SOLUTION
        return (grad / (2.0 * self.output),)
        ### END SOLUTION


class MatMul(Function):
    """``Z = A @ B`` (``np.matmul`` semantics: 1-D operands and batches allowed)."""

    def backward(self, grad):
        """Return ``(grad_A, grad_B)``, skipping the ones not needed.

        TODO: Apply ``g @ B^T`` and ``A^T @ g`` with the shape handling above.

        APPROACH:
        1. ``a, b = value_of(...)`` of the two inputs.
        2. Both 1-D (a dot product, ``g`` is a scalar): ``g * b`` and ``g * a``.
        3. Otherwise view a 1-D ``a`` as ``(1, K)`` (``a[None, :]``, and
           ``g`` gets an axis at -2) and a 1-D ``b`` as ``(K, 1)``
           (``b[:, None]``, ``g`` gets an axis at -1).
        4. ``grad_a = g @ swapaxes(b, -1, -2)``, ``grad_b = swapaxes(a, -1, -2) @ g``,
           each ``unbroadcast`` to the (viewed) input shape, then reshaped
           to the original input shape.

        HINT: the 2-D case is just ``grad @ b.T`` and ``a.T @ grad``; make
        that work first, then add batches and 1-D operands.
        """
        ### BEGIN SOLUTION
        a, b = value_of(self.inputs[0]), value_of(self.inputs[1])
        need_a, need_b = self.needs_grad
        if a.ndim == 2 and b.ndim == 2:  # the common case, without the general machinery
            return (grad @ b.T if need_a else None, a.T @ grad if need_b else None)
        if a.ndim == 1 and b.ndim == 1:
            return (grad * b if need_a else None, grad * a if need_b else None)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = grad
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = np.expand_dims(g2, -1)
        grad_a = grad_b = None
        if need_a:
            grad_a = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if need_b:
            grad_b = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape)
        return grad_a, grad_b
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-functions-unary", "locked": true, "points": 10, "schema_version": 3, "solution": false}
def test_unit_functions_unary():
    """Neg, Pow, Exp, Log, Sqrt and MatMul rules against their derivatives."""
    rng = np.random.default_rng(2)
    x_np = rng.uniform(0.5, 2.0, size=(3, 4))
    g = rng.standard_normal((3, 4))
    x = Tensor(x_np, dtype=np.float64, requires_grad=True)
    for function, forward, options, expected in [
        (Neg, tensor_neg, {}, -g),
        (Pow, tensor_pow, {"exponent": 3}, g * 3 * x_np**2),
        (Pow, tensor_pow, {"exponent": -0.5}, g * -0.5 * x_np**-1.5),
        (Pow, tensor_pow, {"exponent": 0}, np.zeros_like(g)),
        (Exp, tensor_exp, {}, g * np.exp(x_np)),
        (Log, tensor_log, {}, g / x_np),
        (Sqrt, tensor_sqrt, {}, g / (2 * np.sqrt(x_np))),
    ]:
        z = function.apply(forward, x, **options)
        (grad_x,) = z.grad_fn.backward(g)
        np.testing.assert_allclose(
            grad_x, expected, rtol=1e-10, err_msg=f"{function.__name__} {options}"
        )

    a_np, b_np = rng.standard_normal((3, 4)), rng.standard_normal((4, 5))
    g2 = rng.standard_normal((3, 5))
    a = Tensor(a_np, dtype=np.float64, requires_grad=True)
    b = Tensor(b_np, dtype=np.float64, requires_grad=True)
    grad_a, grad_b = MatMul.apply(tensor_matmul, a, b).grad_fn.backward(g2)
    np.testing.assert_allclose(grad_a, g2 @ b_np.T, rtol=1e-10)
    np.testing.assert_allclose(grad_b, a_np.T @ g2, rtol=1e-10)
    grads = MatMul.apply(tensor_matmul, Tensor(a_np, dtype=np.float64), b).grad_fn.backward(g2)
    assert grads[0] is None, "MatMul must skip the gradient of an input that does not need it"

    batch = Tensor(rng.standard_normal((2, 3, 4)), dtype=np.float64, requires_grad=True)
    gb = rng.standard_normal((2, 3, 5))
    grad_batch, grad_b = MatMul.apply(tensor_matmul, batch, b).grad_fn.backward(gb)
    np.testing.assert_allclose(grad_batch, gb @ b_np.T, rtol=1e-10)
    np.testing.assert_allclose(grad_b, sum(batch.data[i].T @ gb[i] for i in range(2)), rtol=1e-10)

    v = Tensor(rng.standard_normal(4), dtype=np.float64, requires_grad=True)
    gv = rng.standard_normal(3)
    grad_a, grad_v = MatMul.apply(tensor_matmul, a, v).grad_fn.backward(gv)
    np.testing.assert_allclose(grad_a, np.outer(gv, v.data), rtol=1e-10)
    np.testing.assert_allclose(grad_v, a_np.T @ gv, rtol=1e-10)
    grad_v, grad_w = MatMul.apply(tensor_matmul, v, v).grad_fn.backward(np.float64(2.0))
    np.testing.assert_allclose(grad_v, 2.0 * v.data, rtol=1e-12)


if __name__ == "__main__":
    test_unit_functions_unary()

# %% [markdown]
"""
## 6. Rules for shape operations, indexing and reductions

These move or combine numbers without arithmetic, so their gradients move
or spread the upstream gradient back to where each number came from:

| op | rule |
|---|---|
| `x.reshape(...)` | `g.reshape(x.shape)` |
| `x.transpose(dim0, dim1)` (`self.dim0`, `self.dim1`) | swap the same two axes of `g` back |
| `x[key]` (`self.key`) | a zero array shaped like `x`, with `g` **added** at `key` |
| `x.sum(axis, keepdims)` | every summed element gets `g`: broadcast `g` back to `x.shape` |
| `x.mean(axis, keepdims)` | as `sum`, divided by the number of elements averaged |
| `x.max(axis, keepdims)` | `g` goes to the position(s) of the maximum, split evenly between ties |

Two details:

- **Indexing with repeats.** `x[[0, 0, 1]]` uses row 0 twice, so row 0's
  gradient is the *sum* of two upstream rows. `zeros[key] += g` does not
  add twice (NumPy buffers the writes); `np.add.at(zeros, key, g)` does.
  For basic indices (ints and slices, no repeats possible) plain
  assignment `zeros[key] = g` is faster.
- **Reductions without keepdims** removed the reduced axes: put them back
  with `np.expand_dims(g, axis)` before broadcasting. (`axis=None` reduced
  everything: `g` is a scalar and broadcasts as it is.)
  `np.broadcast_to(g, shape)` makes a read-only view without copying.
"""


# %% nbgrader={"grade": false, "grade_id": "functions-shape", "locked": false, "schema_version": 3, "solution": true}
#| export
def _is_basic_index(key) -> bool:
    """True for ints, slices, ``...`` and ``None`` (no arrays, lists or masks)."""
    parts = key if isinstance(key, tuple) else (key,)
    return all(isinstance(k, (int, np.integer, slice)) or k is None or k is Ellipsis for k in parts)


class Reshape(Function):
    """``z = x.reshape(shape)``."""

    def backward(self, grad):
        ### BEGIN SOLUTION
        return (grad.reshape(self.inputs[0].shape),)
        ### END SOLUTION


class Transpose(Function):
    """``z = x.transpose(dim0, dim1)``; the two axes are ``self.dim0`` and ``self.dim1``."""

    def backward(self, grad):
        ### BEGIN SOLUTION
        return (np.swapaxes(grad, self.dim0, self.dim1),)
        ### END SOLUTION


class GetItem(Function):
    """``z = x[key]``; ``self.key`` holds the index (Tensors already replaced by arrays)."""

    def backward(self, grad):
        """TODO: Scatter ``grad`` into zeros shaped like ``x``, adding at repeated positions.

        HINT: ``np.zeros(x.shape, dtype=grad.dtype)``; ``_is_basic_index(key)``
        tells you when ``full[key] = grad`` is enough; otherwise ``np.add.at``.
        """
        ### BEGIN SOLUTION
        full = np.zeros(self.inputs[0].shape, dtype=grad.dtype)
        if _is_basic_index(self.key):
            full[self.key] = grad
        else:
            np.add.at(full, self.key, grad)
        return (full,)
        ### END SOLUTION


def _expand_reduced(grad, axis, keepdims):
    """Give ``grad`` back the axes a reduction removed (nothing to do for keepdims or axis=None)."""
    ### BEGIN SOLUTION
    if axis is None or keepdims:
        return grad
    return np.expand_dims(grad, axis)
    ### END SOLUTION


class Sum(Function):
    """``z = x.sum(axis, keepdims)``; settings in ``self.axis`` and ``self.keepdims``."""

    def backward(self, grad):
        """TODO: ``np.broadcast_to`` the (re-expanded) gradient to ``x.shape``."""
        ### BEGIN SOLUTION
        grad = _expand_reduced(grad, self.axis, self.keepdims)
        return (np.broadcast_to(grad, self.inputs[0].shape),)
        ### END SOLUTION


class Mean(Function):
    """``z = x.mean(axis, keepdims)``: like Sum, divided by the count averaged."""

    def backward(self, grad):
        ### BEGIN SOLUTION
        x = self.inputs[0]
        count = x.data.size // max(self.output.size, 1)
        grad = _expand_reduced(grad, self.axis, self.keepdims) / count
        return (np.broadcast_to(grad, x.shape),)
        ### END SOLUTION


class Max(Function):
    """``z = x.max(axis, keepdims)``: the gradient goes to the maxima, split between ties."""

    def backward(self, grad):
        """TODO: Build a mask of where ``x`` equals its (re-expanded) maximum,
        divide it by the number of maxima in each reduced group, and multiply
        by the (re-expanded) gradient."""
        ### BEGIN SOLUTION
        x = self.inputs[0].data
        out = _expand_reduced(self.output, self.axis, self.keepdims)
        mask = x == out
        share = mask / mask.sum(axis=self.axis, keepdims=True)
        return (share * _expand_reduced(grad, self.axis, self.keepdims),)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-functions-shape", "locked": true, "points": 10, "schema_version": 3, "solution": false}
def test_unit_functions_shape():
    """Reshape, Transpose, GetItem (with repeats), Sum, Mean and Max rules."""
    rng = np.random.default_rng(3)
    x_np = rng.standard_normal((2, 3, 4))
    x = Tensor(x_np, dtype=np.float64, requires_grad=True)

    (g,) = Reshape.apply(tensor_reshape, x, 6, 4).grad_fn.backward(np.arange(24.0).reshape(6, 4))
    np.testing.assert_array_equal(g, np.arange(24.0).reshape(2, 3, 4))
    up = rng.standard_normal((4, 3, 2))
    (g,) = Transpose.apply(tensor_transpose, x, dim0=0, dim1=2).grad_fn.backward(up)
    np.testing.assert_array_equal(g, np.swapaxes(up, 0, 2))

    m = Tensor(np.arange(12.0).reshape(3, 4), dtype=np.float64, requires_grad=True)
    (g,) = GetItem.apply(tensor_getitem, m, key=([0, 0, 2],)).grad_fn.backward(np.ones((3, 4)))
    np.testing.assert_array_equal(g, [[2, 2, 2, 2], [0, 0, 0, 0], [1, 1, 1, 1]])
    (g,) = GetItem.apply(tensor_getitem, m, key=(slice(None), 1)).grad_fn.backward(
        np.array([1.0, 2.0, 3.0])
    )
    np.testing.assert_array_equal(g, [[0, 1, 0, 0], [0, 2, 0, 0], [0, 3, 0, 0]])

    for axis, keepdims in [(None, False), (1, False), ((0, 2), False), (1, True), (-1, False)]:
        reduced_shape = np.sum(x_np, axis=axis, keepdims=keepdims).shape
        up = rng.standard_normal(reduced_shape)
        expanded = up if keepdims or axis is None else np.expand_dims(up, axis)
        (g,) = Sum.apply(tensor_sum, x, axis=axis, keepdims=keepdims).grad_fn.backward(up)
        np.testing.assert_allclose(
            g, np.broadcast_to(expanded, x_np.shape), err_msg=f"Sum axis={axis}"
        )
        (g,) = Mean.apply(tensor_mean, x, axis=axis, keepdims=keepdims).grad_fn.backward(up)
        count = x_np.size // max(np.size(up), 1)
        np.testing.assert_allclose(
            g, np.broadcast_to(expanded, x_np.shape) / count, err_msg=f"Mean axis={axis}"
        )

    ties = Tensor([[1.0, 5.0, 5.0], [7.0, 2.0, 3.0]], dtype=np.float64, requires_grad=True)
    (g,) = Max.apply(tensor_max, ties, axis=1, keepdims=False).grad_fn.backward(
        np.array([2.0, 1.0])
    )
    np.testing.assert_array_equal(g, [[0, 1, 1], [1, 0, 0]])
    (g,) = Max.apply(tensor_max, ties, axis=None, keepdims=False).grad_fn.backward(np.array(3.0))
    np.testing.assert_array_equal(g, [[0, 0, 0], [3, 0, 0]])


if __name__ == "__main__":
    test_unit_functions_shape()

# %% [markdown]
"""
## 7. Rules for the layers, activations and losses of Modules 02 to 04

Your `Linear`, activation and loss classes each get **one** node with its
own rule. `self.layer` is the layer object (for `Softmax`'s `dim`, the
loss's `eps`).

**`Linear` as one node.** Module 03 wrote `x @ self.weight.T + self.bias`:
three Tensor operations, so three nodes (transpose, matmul, add), two
output arrays and three rules to run backwards, for what is one operation
mathematically. PyTorch computes `nn.Linear` as a single fused operation
(`addmm`, one `AddmmBackward` node), and so do we: `LinearFunction` has its
own `forward` (`out = x @ W.T`, then `out += b` in place) and one rule:

```
grad_x = g @ W            (N, out) @ (out, in) = (N, in)    skipped for input data
grad_W = g.T @ x          (out, N) @ (N, in)   = (out, in)  W's own shape and layout
grad_b = g.sum(axis=0)    summed over the batch, as unbroadcast would
```

The value is bit-for-bit the one Module 03 computes; when recording is
off, Module 03's own `forward` runs.

The activations and losses:

| layer | rule (`z` = `self.output`, `x` the input) |
|---|---|
| `ReLU` | `g * (x > 0)` |
| `Sigmoid` | `g * z * (1 - z)` |
| `Tanh` | `g * (1 - z**2)` |
| `GELU` (tanh form, see below) | `g * (0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 * 0.044715 x^2))` |
| `Softmax(dim)` | `z * (g - sum(g * z, dim, keepdims=True))` |
| `MSELoss` (mean of `(p - y)^2`, `n` elements) | `dL/dp = g * 2 (p - y) / n`, `dL/dy = -dL/dp` |
| `BinaryCrossEntropyLoss` (`p` clipped) | `g (p - y) / (p (1 - p) n)`, 0 where `p` was clipped |

For GELU, `t = tanh(c (x + 0.044715 x^3))` with `c = sqrt(2/pi)`; the rule
is the product rule applied to `0.5 x (1 + t)`.

**Cross-entropy, fused.** `CrossEntropyLoss` computes
`mean_i(-log softmax(x_i)[y_i])` in one step (log-sum-exp). Its gradient
with respect to the logits is the famous

```
dL/dx = (softmax(x) - one_hot(y)) / N        (times g)
```

one subtraction instead of a chain of six nodes (`max`, `-`, `exp`, `sum`,
`log`, indexing), each with its own rule and its own temporary arrays.
Fusing it is the largest single speed-up of a training step (see the
systems analysis). It is the one Function with its own `forward`: while
gradients are recorded it computes the loss itself, exactly as Module 04
does, and keeps the exponentials it needs, so the softmax is not computed
twice.

The targets (`self.inputs[1]`) never get gradients here except in
`MSELoss` (where `y` may be a Tensor that requires grad); return `None`
for them otherwise. Targets may be a Tensor, an array or a list:
`np.asarray(value_of(targets))` gives an array.
"""

# %% nbgrader={"grade": false, "grade_id": "functions-layers", "locked": false, "schema_version": 3, "solution": true}
#| export
_GELU_C = float(np.sqrt(2.0 / np.pi))


class LinearFunction(Function):
    """Module 03's ``Linear`` as one node: ``y = x @ W.T + b`` (PyTorch's ``addmm``).

    ``inputs`` are ``(x, weight, bias)``, or ``(x, weight)`` for a layer
    without bias. Fused like cross-entropy: one node instead of three
    (transpose, matmul, add), one output array instead of two, and the
    weight's gradient comes out in the weight's own memory layout.
    """

    def forward(self, x, weight, bias=None):
        """TODO: ``out = x @ weight.T``; add the bias in place (``out`` is new); return it."""
        ### BEGIN SOLUTION
        out = x @ weight.T
        if bias is not None:
            out += bias
        return out
        ### END SOLUTION

    def backward(self, grad):
        """Return ``(grad_x, grad_weight[, grad_bias])``, skipping what is not needed.

        TODO: With ``g`` and ``x`` flattened to 2-D, ``(-1, out)`` and ``(-1, in)``:
        ``grad_x = grad @ W`` (any leading shape), ``grad_W = g.T @ x``
        (shape ``(out, in)``, like ``W``), ``grad_b = g.sum(axis=0)``.

        HINT: ``a.reshape(-1, a.shape[-1])`` flattens every leading
        dimension (a 1-D input becomes one row) without copying.
        """
        ### BEGIN SOLUTION
        x, weight = self.inputs[0].data, self.inputs[1].data
        needs = self.needs_grad
        g2 = grad if grad.ndim == 2 else grad.reshape(-1, grad.shape[-1])
        grad_x = grad @ weight if needs[0] else None
        x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
        grad_w = g2.T @ x2 if needs[1] else None
        if len(needs) == 2:
            return grad_x, grad_w
        return grad_x, grad_w, (g2.sum(axis=0) if needs[2] else None)
        ### END SOLUTION


class ReLUFunction(Function):
    """Gradient of ``ReLU``: pass ``g`` where the input was positive."""

    def backward(self, grad):
        ### BEGIN SOLUTION
        return (grad * (self.output > 0),)
        ### END SOLUTION


class SigmoidFunction(Function):
    """Gradient of ``Sigmoid``: ``g * z * (1 - z)``."""

    def backward(self, grad):
        ### BEGIN SOLUTION
        z = self.output
        return (grad * z * (1.0 - z),)
        ### END SOLUTION


class TanhFunction(Function):
    """Gradient of ``Tanh``: ``g * (1 - z**2)``."""

    def backward(self, grad):
        ### BEGIN SOLUTION
        z = self.output
        return (grad * (1.0 - z * z),)
        ### END SOLUTION


class GELUFunction(Function):
    """Gradient of the tanh-approximated ``GELU`` (see the table).

    Module 02 clips the cubic's argument to [-10, 10]; beyond that ``t`` is
    constant (+-1 in float32) and only the ``0.5 (1 + t)`` term remains.
    """

    def backward(self, grad):
        ### BEGIN SOLUTION
        x = self.inputs[0].data
        u = np.clip(x, -10.0, 10.0)
        t = np.tanh(_GELU_C * (u + 0.044715 * u * u * u))
        inside = (np.abs(x) <= 10.0) * (_GELU_C * (1.0 + 3 * 0.044715 * u * u))
        return (grad * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * inside),)
        ### END SOLUTION


class SoftmaxFunction(Function):
    """Gradient of ``Softmax(dim)``: ``z * (g - sum(g * z, dim, keepdims=True))``."""

    def backward(self, grad):
        ### BEGIN SOLUTION
        z, dim = self.output, self.layer.dim
        return (z * (grad - (grad * z).sum(axis=dim, keepdims=True)),)
        ### END SOLUTION


class MSELossFunction(Function):
    """Gradient of ``MSELoss``: ``2 (p - y) / n`` times ``g``, for both inputs."""

    def backward(self, grad):
        ### BEGIN SOLUTION
        predictions, targets = self.inputs
        need_p, need_y = self.needs_grad
        p = predictions.data
        diff = p - np.asarray(value_of(targets), dtype=p.dtype)
        grad_p = diff * (grad * (2.0 / max(p.size, 1)))
        return (grad_p if need_p else None, -grad_p if need_y else None)
        ### END SOLUTION


class CrossEntropyLossFunction(Function):
    """Fused softmax + cross-entropy: forward keeps the exponentials; backward ``(p - y) / N``."""

    def forward(self, logits, targets):
        """The loss value, computed exactly as Module 04 does, keeping what backward needs.

        TODO: Check the inputs, compute the loss by log-sum-exp, and save the
        exponentials and their row sums for ``backward``.

        APPROACH:
        1. ``t = np.asarray(targets)``. If ``logits.ndim != 2``, or
           ``t.shape != (N,)``, or ``t`` is not integer, or (for ``N > 0``)
           ``t.min() < 0``: raise ``ValueError`` (the wrapper then lets
           Module 04 report the problem with its own message).
        2. ``s = logits - logits.max(axis=1, keepdims=True)``;
           ``e = np.exp(s)``; ``sums = e.sum(axis=1)``.
        3. Save ``e``, ``sums``, ``t`` and ``rows = np.arange(N)`` on ``self``.
        4. Return the mean of ``np.log(sums) - s[rows, t]``: the same
           operations, in the same order, as Module 04, so the value is
           bit-for-bit identical. (A target ``>= C`` makes the indexing
           raise ``IndexError``: also handed to Module 04.)

        HINT: ``a.sum() / N`` is exactly what ``np.mean(a)`` computes for a
        float32 array, bit for bit, at a third of the cost on small arrays
        (``np.mean`` is Python code with several checks around the sum).
        """
        ### BEGIN SOLUTION
        t = np.asarray(targets)
        n = logits.shape[0] if logits.ndim else 0
        if logits.ndim != 2 or t.shape != (n,) or t.dtype.kind not in "iu" or (n and t.min() < 0):
            raise ValueError("CrossEntropyLoss: invalid logits or targets")
        s = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(s)
        sums = e.sum(axis=1)
        rows = np.arange(n)
        self.exps, self.sums, self.targets, self.rows = e, sums, t, rows
        return (np.log(sums) - s[rows, t]).sum() / n  # == np.mean(...), bit for bit, and 3x faster
        ### END SOLUTION

    def backward(self, grad):
        """TODO: The fused rule from the saved ``exps`` and ``sums``; ``None`` for the targets.

        APPROACH:
        1. ``p = self.exps / self.sums[:, None]``: the softmax, a new array.
        2. ``p[self.rows, self.targets] -= 1``; then ``p *= grad / N``.
        3. ``return (p, None)``.

        HINT: never modify ``self.exps`` itself: ``backward`` may run twice
        on the same graph. ``p`` is a fresh array you own, so the in-place
        ``-=`` and ``*=`` are safe and save allocating new ones.
        """
        ### BEGIN SOLUTION
        p = self.exps / self.sums[:, None]
        p[self.rows, self.targets] -= 1.0
        p *= grad / len(self.rows)
        return (p, None)
        ### END SOLUTION


class BCELossFunction(Function):
    """Gradient of ``BinaryCrossEntropyLoss`` w.r.t. the probabilities (0 where clipped)."""

    def backward(self, grad):
        ### BEGIN SOLUTION
        p_raw = self.inputs[0].data
        eps = self.layer.eps
        y = np.asarray(value_of(self.inputs[1]), dtype=p_raw.dtype)
        p = np.clip(p_raw, eps, 1.0 - eps)
        inside = (p_raw >= eps) & (p_raw <= 1.0 - eps)
        return ((grad / max(p.size, 1)) * (p - y) / (p * (1.0 - p)) * inside, None)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-functions-layers", "locked": true, "points": 15, "schema_version": 3, "solution": false}
def test_unit_functions_layers():
    """Linear, activation and loss rules against analytic values and finite differences."""
    from tinytorch.core.activations import GELU, ReLU, Sigmoid, Softmax, Tanh
    from tinytorch.core.losses import BinaryCrossEntropyLoss, CrossEntropyLoss, MSELoss

    rng = np.random.default_rng(4)

    def numeric(f, x, g, eps=1e-6):
        grad = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + eps
            plus = np.sum(f(x) * g)
            x[i] = old - eps
            minus = np.sum(f(x) * g)
            x[i] = old
            grad[i] = (plus - minus) / (2 * eps)
        return grad

    x_np = rng.standard_normal((3, 5)) * 2
    x_np[np.abs(x_np) < 0.05] = 0.3  # keep ReLU away from its kink
    g = rng.standard_normal((3, 5))
    layers = [
        (ReLUFunction, ReLU()),
        (SigmoidFunction, Sigmoid()),
        (TanhFunction, Tanh()),
        (GELUFunction, GELU()),
        (SoftmaxFunction, Softmax(dim=1)),
        (SoftmaxFunction, Softmax(dim=0)),
    ]
    for function, layer in layers:
        x = Tensor(x_np, dtype=np.float64, requires_grad=True)
        out = function.apply(layer.forward, x)
        (grad_x,) = out.grad_fn.backward(g)
        expected = numeric(
            lambda a, layer=layer: layer.forward(Tensor(a, dtype=np.float64)).data, x_np.copy(), g
        )
        np.testing.assert_allclose(grad_x, expected, rtol=1e-5, atol=1e-7, err_msg=repr(layer))

    probs = rng.uniform(0.05, 0.95, size=(4, 3))
    target = rng.uniform(0, 1, size=(4, 3))
    labels = np.array([2, 0, 1, 2])
    for function, loss, inputs in [
        (MSELossFunction, MSELoss(), (rng.standard_normal((4, 3)), target)),
        (BCELossFunction, BinaryCrossEntropyLoss(), (probs, target)),
        (CrossEntropyLossFunction, CrossEntropyLoss(), (rng.standard_normal((4, 3)) * 3, labels)),
    ]:
        p = Tensor(inputs[0], dtype=np.float64, requires_grad=True)
        out = function.apply(loss.forward, p, inputs[1])
        grads = out.grad_fn.backward(np.array(1.5))
        assert grads[1] is None, f"{loss!r}: targets that do not need grad get None"
        expected = numeric(
            lambda a, loss=loss, y=inputs[1]: loss.forward(Tensor(a, dtype=np.float64), y).data,
            inputs[0].copy(),
            1.5,
        )
        np.testing.assert_allclose(grads[0], expected, rtol=1e-5, atol=1e-7, err_msg=repr(loss))

    # Linear as one node: y = x @ W.T + b, for a batch and for one 1-D sample.
    w_np, b_np = rng.standard_normal((3, 5)), rng.standard_normal(3)
    for x_shape in [(4, 5), (5,)]:
        x_np = rng.standard_normal(x_shape)
        g = rng.standard_normal(x_shape[:-1] + (3,))
        xs, w, b = (Tensor(a, dtype=np.float64, requires_grad=True) for a in (x_np, w_np, b_np))
        out = LinearFunction.apply(lambda x, w, b: x @ w.T + b, xs, w, b)
        np.testing.assert_allclose(out.data, x_np @ w_np.T + b_np, rtol=1e-12)
        grad_x, grad_w, grad_b = out.grad_fn.backward(g)
        g2, x2 = g.reshape(-1, 3), x_np.reshape(-1, 5)
        np.testing.assert_allclose(grad_x, g @ w_np, rtol=1e-10, err_msg="Linear: grad of x")
        np.testing.assert_allclose(grad_w, g2.T @ x2, rtol=1e-10, err_msg="Linear: grad of weight")
        np.testing.assert_allclose(
            grad_b, g2.sum(axis=0), rtol=1e-10, err_msg="Linear: grad of bias"
        )
    no_bias = LinearFunction.apply(lambda x, w: x @ w.T, Tensor(np.ones((2, 5))), w)
    grads = no_bias.grad_fn.backward(np.ones((2, 3)))
    assert len(grads) == 2 and grads[0] is None, (
        "no bias: (None for x that needs no grad, grad_weight)"
    )

    y = Tensor(target, dtype=np.float64, requires_grad=True)
    p = Tensor(probs, dtype=np.float64, requires_grad=True)
    grad_p, grad_y = MSELossFunction.apply(MSELoss().forward, p, y).grad_fn.backward(np.array(1.0))
    np.testing.assert_allclose(grad_y, -grad_p, rtol=1e-12)
    np.testing.assert_allclose(grad_p, 2 * (probs - target) / 12, rtol=1e-12)


if __name__ == "__main__":
    test_unit_functions_layers()

# %% [markdown]
"""
## 8. The backward pass: one walk in topological order

Now connect the rules. Starting from the loss, each node's rule needs the
**total** gradient of its output, and a tensor used by several later
operations (a weight shared by two layers, `x` in `x * x`, a residual
connection `x + f(x)`) receives one contribution from each use, which must
all be **added up first**. So a node may run only after every node that
uses its output has run: the nodes must be visited in reverse
**topological order**.

```
        ┌──> a = x * 2 ──┐
x ──────┤                ├──> c = a + b ──> L
        └──> b = x * 3 ──┘
order (inputs first):  x, a, b, c, L      backward walks it in reverse:
L: dL/dc = 1;  c: dL/da += 1, dL/db += 1;  b: dL/dx += 3;  a: dL/dx += 2;  x: total 5
```

**Why not recursion?** The obvious recursive version ("call backward on
each input with my gradient") visits a node once for *every path* from the
loss to it. Repeat `x = x + x` 30 times: 31 nodes, but 2^30 (a billion)
paths. A recursive backward makes a billion calls; a topological walk
makes 31. (The public TinyTorch course's recursive backward took 291
seconds for one step of a small GPT; residual connections create exactly
these path explosions.) Deep graphs also overflow Python's recursion limit
(about 1000), so we build the order with an explicit **stack**, no
recursion at all.

### The pieces

1. `topological_order(root)`: every recorded tensor `root` depends on,
   each **once**, each after all of its inputs (root last). An iterative
   depth-first search: the stack holds each tensor being explored with an
   iterator over its inputs; go down into the first unvisited input; when
   a tensor has no unvisited inputs left, all of them are in the order:
   append it.
   Leaves (weights) are left out: nothing flows *out* of a leaf, and its
   gradient is a plain sum, so each contribution can be added to `.grad`
   the moment it arrives (PyTorch's `AccumulateGrad` does the same). That
   keeps the order (and the walk) to the operations only.
2. `accumulate_grad(tensor, grad, owners)`: add a gradient to a leaf's
   `.grad`, the way PyTorch does (see its docstring for the aliasing rule).
3. `backward(tensor, gradient=None)`: seed `{root: gradient}`, walk the
   order in reverse, call each node's rule, add the results into a
   dictionary of pending gradients, hand leaves their totals.
4. `detach(tensor)`: the same numbers, cut off from the graph.

`.grad` holds a NumPy array, like `.data`, so an optimizer step is plain
NumPy: `p.data -= lr * p.grad`.
"""


# %% nbgrader={"grade": false, "grade_id": "topological-order", "locked": false, "schema_version": 3, "solution": true}
#| export
def topological_order(root):
    """The recorded tensors ``root`` depends on, each once, every one after its inputs.

    Only tensors made by a recorded operation (``grad_fn`` is not None) are
    listed: leaves need no place in the order (see ``backward``).

    TODO: Iterative depth-first search: a stack of (tensor, its remaining inputs).

    APPROACH:
    1. A leaf ``root`` (no ``grad_fn``): return ``[]``.
    2. ``order, visited = [], {root}``; the stack starts with
       ``(root, iter(zip(root.grad_fn.inputs, root.grad_fn.needs_grad)))``.
    3. While the stack is not empty, look at its top ``(tensor, inputs)``
       and continue the ``for`` loop over ``inputs`` (an iterator remembers
       where it stopped): at the first input that needs grad, has a
       ``grad_fn`` and is not visited yet, mark it visited, push it with
       its own inputs' iterator, and ``break`` (go deeper first). If the
       loop ends without ``break`` (``for ... else``), every input is done:
       pop the tensor and append it to ``order``.
    4. Return ``order`` (``root`` is last).

    EXAMPLE: for ``c = a + b`` with ``a = x * 2``, ``b = x * 3`` (``x`` a
    leaf): ``[a, b, c]`` or ``[b, a, c]``.

    HINTS:
    - tensors are hashable by identity, so a ``set`` of them works.
    - ``for item in iterator: ... break`` / ``else:`` runs the ``else`` only
      when the loop was not broken out of.
    """
    ### BEGIN SOLUTION
    if root.grad_fn is None:
        return []
    order, visited = [], {root}
    stack = [(root, iter(zip(root.grad_fn.inputs, root.grad_fn.needs_grad, strict=True)))]
    while stack:
        tensor, inputs = stack[-1]
        for parent, needed in inputs:
            if needed and parent.grad_fn is not None and parent not in visited:
                visited.add(parent)
                node = parent.grad_fn
                stack.append((parent, iter(zip(node.inputs, node.needs_grad, strict=True))))
                break
        else:
            stack.pop()
            order.append(tensor)
    return order
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-topological-order", "locked": true, "points": 10, "schema_version": 3, "solution": false}
def test_unit_topological_order():
    """Every node once, inputs first; shared inputs; 2**30 paths; no recursion limit."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    a = Mul.apply(tensor_mul, x, 2.0)
    b = Mul.apply(tensor_mul, x, 3.0)
    c = Add.apply(tensor_add, a, b)
    order = topological_order(c)
    assert len(order) == 3 and len(set(order)) == 3, (
        f"a, b and c exactly once (no leaves), got {order}"
    )
    assert order[-1] is c and {id(t) for t in order[:2]} == {id(a), id(b)}
    e = Mul.apply(tensor_mul, Add.apply(tensor_add, a, 1.0), a)  # a is used twice on the way to e
    order = topological_order(e)
    assert len(order) == 3 and order[0] is a and order[-1] is e, (
        "a must come before both of its users"
    )
    assert topological_order(x) == [], "a leaf has nothing to order"

    constant = Tensor([5.0, 5.0])
    d = Mul.apply(tensor_mul, c, Mul.apply(tensor_mul, constant, 2.0))
    assert len(topological_order(d)) == 4, "tensors that do not require grad are not visited"

    y = Tensor([1.0], requires_grad=True)
    for _ in range(30):  # 2**30 paths from the end back to y
        y = Add.apply(tensor_add, y, y)
    assert len(topological_order(y)) == 30

    z = Tensor([1.0], requires_grad=True)
    for _ in range(5000):  # far deeper than Python's recursion limit
        z = Mul.apply(tensor_mul, z, 1.0)
    assert len(topological_order(z)) == 5000


if __name__ == "__main__":
    test_unit_topological_order()

# %% [markdown]
"""
### Accumulating into leaves, and who owns a gradient array

A **leaf** is a tensor you created with `requires_grad=True` (a weight):
`grad_fn is None`. Like PyTorch, `backward()` **adds** to `leaf.grad`
(several `backward()` calls accumulate, which is why training loops reset
`.grad` to `None` before each step). Non-leaf tensors get no `.grad`.

Rules pass arrays along without copying: `Add` hands the *same* `grad`
array to both inputs; `Reshape` returns a *view* of it; `Sum` returns a
read-only broadcast view. That is fast, and safe as long as nobody writes
into a gradient. But `leaf.grad` is yours to modify (an optimizer may scale
it in place), so a leaf must never receive an array it shares with another
leaf or that is read-only. The rule, in `accumulate_grad`:

- a leaf that already has a `.grad`: add in place, `leaf.grad += grad`
  (its `.grad` is its own array);
- otherwise it may keep `grad` itself unless `grad` is read-only or its
  memory was already given to another leaf in this backward pass; then it
  gets a copy. The memory an array uses is identified by its *owner*:
  `grad.base` for a view, `grad` itself otherwise. `owners` is the set of
  `id(...)`s of the owners handed out so far.
"""


# %% nbgrader={"grade": false, "grade_id": "backward", "locked": false, "schema_version": 3, "solution": true}
#| export
def accumulate_grad(tensor, grad, owners):
    """Add ``grad`` into the leaf ``tensor``'s ``.grad`` (see the rule above).

    TODO: Accumulate, making sure every leaf's ``.grad`` is its own array.

    APPROACH:
    1. NumPy returns a *scalar*, not an array, when a result has shape
       ``()`` (e.g. ``np.ones(3).sum()``): turn one into an array with
       ``np.array(grad, dtype=tensor.data.dtype)``. Otherwise, if
       ``grad.dtype`` differs from ``tensor.data.dtype``, convert it
       (``grad.astype(...)``; a new array).
    2. If ``tensor.grad`` is not None: ``tensor.grad += grad`` and return.
    3. ``owner = grad if grad.base is None else grad.base``. If ``grad`` is
       not writeable (``grad.flags.writeable``) or ``id(owner)`` is in
       ``owners``: ``grad = grad.copy()`` and ``owner = grad``.
    4. Add ``id(owner)`` to ``owners``; set ``tensor.grad = grad``.
    """
    ### BEGIN SOLUTION
    if type(grad) is not np.ndarray:  # a NumPy scalar, from a reduction to shape ()
        grad = np.array(grad, dtype=tensor.data.dtype)
    elif grad.dtype != tensor.data.dtype:
        grad = grad.astype(tensor.data.dtype)
    if tensor.grad is not None:
        tensor.grad += grad
        return
    owner = grad.base
    if owner is None:  # an array that owns its memory is writeable
        owner = grad
    elif not grad.flags.writeable:  # e.g. a broadcast view
        grad = owner = grad.copy()
    if id(owner) in owners:
        grad = owner = grad.copy()
    owners.add(id(owner))
    tensor.grad = grad
    ### END SOLUTION


def backward(tensor, gradient=None):
    """Compute ``d(tensor)/d(leaf)`` for every leaf that requires grad (``Tensor.backward``).

    TODO: Seed the output's gradient, then run every node's rule once, in
    reverse topological order.

    APPROACH:
    1. ``tensor.requires_grad`` must be True: else raise ``RuntimeError``
       ("does not require grad and has no grad_fn").
    2. The seed: if ``gradient is None``, the output must have exactly one
       element (a loss): use an array of ones of its shape and dtype
       (``np.array(1, dtype=...).reshape(shape)`` is 4x cheaper than
       ``np.ones_like`` for one element); otherwise raise
       ``RuntimeError`` explaining that a non-scalar output needs
       ``backward(gradient)``. A given ``gradient`` (array, list or Tensor)
       becomes an array of the output's dtype, and must have its shape
       (raise ``ShapeError`` otherwise).
    3. ``owners = set()``; if the seed is the caller's own array, put the
       ``id`` of its owner in ``owners`` (a leaf must not keep the
       caller's array). If ``tensor`` is itself a leaf, accumulate the
       seed into it and stop.
    4. ``pending = {tensor: seed}``. For ``t`` in
       ``reversed(topological_order(tensor))``: pop its gradient ``g``
       from ``pending`` (skip if none); ``grads = t.grad_fn.backward(g)``
       (a tuple, one entry per input: raise ``TypeError`` otherwise); for
       each input, needs-grad flag and gradient: if needed and not None,
       check its shape (a clear ``ShapeError`` naming the rule helps
       debugging), then
       - a leaf input: ``accumulate_grad(input, gradient, owners)`` right
         away: contributions to a leaf just add up, in any order;
       - otherwise add it to ``pending[input]`` (``old + new``, never in
         place: ``old`` may be shared).

    HINT: ``dict.pop(key, None)`` removes and returns, so gradients of
    intermediate tensors are freed as soon as they are used.
    """
    ### BEGIN SOLUTION
    if not tensor.requires_grad:
        raise RuntimeError(
            "backward(): this tensor does not require grad and has no grad_fn; nothing to "
            "differentiate. Create the weights with requires_grad=True, and make sure the "
            "computation did not run under no_grad()."
        )
    owners = set()
    if gradient is None:
        if tensor.data.size != 1:
            raise RuntimeError(
                f"backward(): the output has shape={tensor.shape}; a gradient can only be created "
                "implicitly for a single-element output (a loss). Pass one: "
                "out.backward(gradient) with an array of the output's shape."
            )
        seed = np.array(1, dtype=tensor.data.dtype).reshape(tensor.data.shape)
    else:
        seed = np.asarray(value_of(gradient), dtype=tensor.data.dtype)
        if seed.shape != tensor.shape:
            raise ShapeError(
                f"backward(gradient): gradient.shape={seed.shape} must equal the output's "
                f"shape={tensor.shape}."
            )
        owners.add(id(seed if seed.base is None else seed.base))
    if tensor.grad_fn is None:  # backward() on a leaf itself
        accumulate_grad(tensor, seed, owners)
        return
    pending = {tensor: seed}
    for t in reversed(topological_order(tensor)):
        g = pending.pop(t, None)
        if g is None:
            continue
        node = t.grad_fn
        grads = node.backward(g)
        if type(grads) is not tuple or len(grads) != len(node.inputs):
            raise TypeError(
                f"{type(node).__name__}.backward must return a tuple with one gradient per "
                f"input ({len(node.inputs)}; None where not needed), got {type(grads).__name__}."
            )
        for parent, needed, grad in zip(node.inputs, node.needs_grad, grads):  # noqa: B905
            if not needed or grad is None:
                continue
            if grad.shape != parent.data.shape:
                raise ShapeError(
                    f"{type(node).__name__}.backward returned a gradient of shape {grad.shape} "
                    f"for an input of shape {parent.data.shape}; a gradient must have its "
                    "input's shape (missing unbroadcast?)."
                )
            if parent.grad_fn is None:
                accumulate_grad(parent, grad, owners)
            else:
                old = pending.get(parent)
                pending[parent] = grad if old is None else old + grad
    ### END SOLUTION


def detach(tensor):
    """The same data (no copy) as a new tensor outside the graph: no grad_fn, no requires_grad."""
    ### BEGIN SOLUTION
    return from_numpy(tensor.data)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-backward", "locked": true, "points": 15, "schema_version": 3, "solution": false}
def test_unit_backward():
    """The walk: chain rule, fan-in, accumulation, seeds, errors, ownership, 2**30 paths."""
    w = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x = Tensor([[1.0, -1.0]])
    b = Tensor([0.5, 0.5], requires_grad=True)
    h = Add.apply(tensor_add, MatMul.apply(tensor_matmul, x, w), b)  # [[-1.5, -1.5]]
    loss = Sum.apply(tensor_sum, Mul.apply(tensor_mul, h, h), axis=None, keepdims=False)  # sum(h^2)
    backward(loss)
    np.testing.assert_allclose(w.grad, x.data.T @ (2 * h.data), rtol=1e-6)
    np.testing.assert_allclose(b.grad, (2 * h.data).sum(axis=0), rtol=1e-6)
    assert x.grad is None and h.grad is None, (
        "inputs without requires_grad and non-leaves get no .grad"
    )
    assert w.grad.dtype == np.float32 and isinstance(w.grad, np.ndarray)

    first = w.grad.copy()
    backward(loss)
    np.testing.assert_allclose(
        w.grad, 2 * first, rtol=1e-6, err_msg="a second backward() must add to .grad"
    )

    # Fan-in: x used twice; a non-scalar output with an explicit gradient.
    v = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = Add.apply(tensor_add, Mul.apply(tensor_mul, v, 2.0), Mul.apply(tensor_mul, v, v))
    seed = np.array([1.0, 10.0, 100.0], dtype=np.float32)
    backward(out, seed)
    np.testing.assert_allclose(v.grad, seed * (2 + 2 * v.data))
    np.testing.assert_array_equal(seed, [1.0, 10.0, 100.0])

    # Ownership: two leaves receiving the same upstream array get separate buffers.
    p, q = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    backward(Add.apply(tensor_add, p, q), np.ones(2, dtype=np.float32))
    assert not np.shares_memory(p.grad, q.grad), "two leaves must not share one gradient array"
    p.grad *= 2.0  # a leaf's .grad is writeable and its own
    np.testing.assert_array_equal(q.grad, [1.0, 1.0])
    s = Tensor([1.0, 2.0], requires_grad=True)
    backward(Sum.apply(tensor_sum, s, axis=None, keepdims=False))
    assert s.grad.flags.writeable, "a broadcast (read-only) gradient must be copied for a leaf"
    scalar = Tensor(2.0, requires_grad=True)  # shape (): its gradient arrives as a NumPy scalar
    backward(Add.apply(tensor_add, scalar, Tensor([1.0, 2.0, 3.0])), np.ones(3, dtype=np.float32))
    assert isinstance(scalar.grad, np.ndarray) and scalar.grad.shape == () and scalar.grad == 3.0

    # 2**30 paths: linear time, exact gradient.
    y0 = Tensor([1.0], requires_grad=True)
    y = y0
    for _ in range(30):
        y = Add.apply(tensor_add, y, y)
    backward(y, np.ones(1, dtype=np.float32))
    assert y0.grad[0] == 2.0**30

    for bad in (
        lambda: backward(Tensor([1.0])),
        lambda: backward(Mul.apply(tensor_mul, v, 2.0)),
    ):
        try:
            bad()
        except RuntimeError:
            pass
        else:
            raise AssertionError(
                "backward() without requires_grad, or on a vector without a gradient, must raise"
            )
    try:
        backward(Mul.apply(tensor_mul, v, 2.0), np.ones(2))
    except ShapeError:
        pass
    else:
        raise AssertionError("a gradient of the wrong shape must raise ShapeError")

    d = detach(h)
    assert d.grad_fn is None and not d.requires_grad and np.shares_memory(d.data, h.data)


if __name__ == "__main__":
    test_unit_backward()

# %% [markdown]
"""
## 9. Switching it on: `enable_autograd()`

Everything is in place; the last step (given) wires it into `Tensor` and
into your activation and loss classes. For each operation,
`enable_autograd()` installs a small wrapper in place of the method:

```python
def __mul__(self, other):                       # the installed version of Tensor.__mul__
    out = tensor_mul(self, other)               # your Module 01 code computes the value
    if gradients are on and self or other requires grad:
        out.grad_fn = Mul(), with inputs/output  # record the node
        out.requires_grad = True
    return out
```

So after `enable_autograd()`:

- every forward value is computed by exactly the same code as before (the
  tests check the results are identical), and when nothing requires grad,
  or inside `no_grad()`, no node is created at all;
- `Tensor.backward` and `Tensor.detach` are your functions above;
- `Linear.forward`, `ReLU.forward`, ..., `CrossEntropyLoss.forward` record
  their Functions.

It is **idempotent**: each wrapper remembers the original method, and
installing again wraps the original, never a wrapper. That matters because
`import tinytorch` runs it once the package's autograd is exported, and
running this notebook runs it again (with your notebook's rules).
`disable_autograd()` restores the originals (the tests use it to compare
before and after).

One more given piece, about memory rather than math: `keep_freed_memory()`
(see its docstring and the systems analysis) stops the C allocator from
handing the graph's memory back to the operating system after every step,
which otherwise costs a page fault per 4 KiB page on the next step.
"""

# %% nbgrader={"grade": false, "grade_id": "enable-autograd", "locked": true, "schema_version": 3, "solution": false}
#| export
_ORIGINAL = "__tinytorch_original__"  # attribute of an installed wrapper: the method it replaced


def _original(cls, name):
    """The method ``cls.name`` had before any autograd wrapper (None if it had none)."""
    current = cls.__dict__.get(name)
    return getattr(current, _ORIGINAL, current)


def _install(cls, name, wrapper, original):
    if original is not None:
        functools.update_wrapper(wrapper, original)
    setattr(wrapper, _ORIGINAL, original)
    setattr(cls, name, wrapper)


def _binary(function, value):
    """``tensor OP other``: value from ``value(self, other)``; inputs (self, other)."""
    mode = _GRAD_MODE

    def method(self, other):
        out = value(self, other)
        if mode.enabled:
            if isinstance(other, Tensor):
                other_grad = other.requires_grad
            else:
                other, other_grad = _as_array(other), False
            if self.requires_grad or other_grad:
                node = function()
                node.inputs = (self, other)
                node.needs_grad = (self.requires_grad, other_grad)
                node.output = out.data
                out.requires_grad = True
                out.grad_fn = node
        return out

    return method


def _reflected(function, value):
    """``other OP tensor`` (``__radd__`` & co.): inputs (other, self)."""
    mode = _GRAD_MODE

    def method(self, other):
        out = value(self, other)
        if mode.enabled and self.requires_grad:
            node = function()
            node.inputs = (_as_array(other), self)
            node.needs_grad = (False, True)
            node.output = out.data
            out.requires_grad = True
            out.grad_fn = node
        return out

    return method


def _unary(function, value, *names):
    """``tensor.op(*settings)``: the settings are stored on the node under ``names``."""
    mode = _GRAD_MODE

    def record(self, out, settings):
        node = function()
        node.inputs = (self,)
        node.needs_grad = (True,)
        node.output = out.data
        for name, setting in zip(names, settings, strict=True):
            setattr(node, name, setting)
        out.requires_grad = True
        out.grad_fn = node
        return out

    if not names:

        def method(self):
            out = value(self)
            return record(self, out, ()) if mode.enabled and self.requires_grad else out
    elif names == ("axis", "keepdims"):

        def method(self, axis=None, keepdims=False):
            out = value(self, axis, keepdims)
            return (
                record(self, out, (axis, keepdims)) if mode.enabled and self.requires_grad else out
            )
    elif names == ("dim0", "dim1"):

        def method(self, dim0=-2, dim1=-1):
            out = value(self, dim0, dim1)
            return record(self, out, (dim0, dim1)) if mode.enabled and self.requires_grad else out
    elif names == ("shape",):

        def method(self, *shape):
            out = value(self, *shape)
            return record(self, out, (shape,)) if mode.enabled and self.requires_grad else out
    elif names == ("key",):

        def method(self, key):
            out = value(self, key)
            if mode.enabled and self.requires_grad:
                return record(self, out, (_plain_index(key),))
            return out
    else:  # one positional setting, e.g. the exponent of __pow__

        def method(self, setting):
            out = value(self, setting)
            return record(self, out, (setting,)) if mode.enabled and self.requires_grad else out

    return method


def _plain_index(key):
    """An index with Tensors replaced by their arrays (what NumPy's indexing saw)."""
    if isinstance(key, Tensor):
        return key.data
    if isinstance(key, tuple):
        return tuple(k.data if isinstance(k, Tensor) else k for k in key)
    return key


def _layer(function, value):
    """``layer.forward(x, *rest)`` of an activation or loss: inputs (x, *rest).

    If ``function`` has its own ``forward`` (a fused rule such as
    cross-entropy), it computes the value when gradients are recorded; if it
    rejects the input, the original forward runs so that the error message
    is the Module 02/04 one.
    """
    mode = _GRAD_MODE
    fused = hasattr(function, "forward")

    def forward(layer, x, *rest):
        if mode.enabled:
            if not rest:
                needs = (x.requires_grad,)
            elif len(rest) == 1:
                needs = (x.requires_grad, isinstance(rest[0], Tensor) and rest[0].requires_grad)
            else:
                needs = (
                    x.requires_grad,
                    *[isinstance(r, Tensor) and r.requires_grad for r in rest],
                )
            if True in needs:
                node = function()
                node.inputs = (x, *rest)
                node.needs_grad = needs
                node.layer = layer
                if fused:
                    try:
                        if len(rest) == 1:
                            out = from_numpy(node.forward(x.data, value_of(rest[0])))
                        else:
                            out = from_numpy(node.forward(x.data, *[value_of(r) for r in rest]))
                    except Exception:
                        value(
                            layer, x, *rest
                        )  # let Module 02/04 report the problem in its own words
                        raise
                else:
                    out = value(layer, x, *rest)
                node.output = out.data
                out.requires_grad = True
                out.grad_fn = node
                return out
        return value(layer, x, *rest)

    return forward


def _linear(function, value):
    """``Linear.forward(x)`` as one node with inputs (x, weight[, bias])."""
    mode = _GRAD_MODE

    def forward(layer, x):
        if mode.enabled and isinstance(x, Tensor):
            weight, bias = layer.weight, layer.bias
            if bias is None:
                inputs, needs = (x, weight), (x.requires_grad, weight.requires_grad)
            else:
                inputs = (x, weight, bias)
                needs = (x.requires_grad, weight.requires_grad, bias.requires_grad)
            if True in needs:
                node = function()
                node.inputs, node.needs_grad, node.layer = inputs, needs, layer
                try:
                    out = from_numpy(
                        node.forward(x.data, weight.data, None if bias is None else bias.data)
                    )
                except Exception:
                    value(layer, x)  # let Module 03 report the problem in its own words
                    raise
                node.output = out.data
                out.requires_grad = True
                out.grad_fn = node
                return out
        return value(layer, x)

    return forward


def _tensor_wiring():
    """(method name, wrapper) for every Tensor operation; values from the original methods."""
    orig = {
        name: _original(Tensor, name)
        for name in (
            "__add__",
            "__radd__",
            "__sub__",
            "__rsub__",
            "__mul__",
            "__rmul__",
            "__truediv__",
            "__rtruediv__",
            "matmul",
            "__neg__",
            "__pow__",
            "exp",
            "log",
            "sqrt",
            "reshape",
            "transpose",
            "sum",
            "mean",
            "max",
            "__getitem__",
        )
    }
    matmul = orig["matmul"]
    return {
        "__add__": _binary(Add, orig["__add__"]),
        "__radd__": _reflected(Add, orig["__radd__"]),
        "__sub__": _binary(Sub, orig["__sub__"]),
        "__rsub__": _reflected(Sub, orig["__rsub__"]),
        "__mul__": _binary(Mul, orig["__mul__"]),
        "__rmul__": _reflected(Mul, orig["__rmul__"]),
        "__truediv__": _binary(Div, orig["__truediv__"]),
        "__rtruediv__": _reflected(Div, orig["__rtruediv__"]),
        "matmul": _binary(MatMul, matmul),
        "__matmul__": _binary(MatMul, matmul),
        "__rmatmul__": _reflected(
            MatMul, lambda self, other: matmul(from_numpy(_as_array(other)), self)
        ),
        "__neg__": _unary(Neg, orig["__neg__"]),
        "__pow__": _unary(Pow, orig["__pow__"], "exponent"),
        "exp": _unary(Exp, orig["exp"]),
        "log": _unary(Log, orig["log"]),
        "sqrt": _unary(Sqrt, orig["sqrt"]),
        "reshape": _unary(Reshape, orig["reshape"], "shape"),
        "transpose": _unary(Transpose, orig["transpose"], "dim0", "dim1"),
        "sum": _unary(Sum, orig["sum"], "axis", "keepdims"),
        "mean": _unary(Mean, orig["mean"], "axis", "keepdims"),
        "max": _unary(Max, orig["max"], "axis", "keepdims"),
        "__getitem__": _unary(GetItem, orig["__getitem__"], "key"),
    }


# (module, class name, Function) for the layers, activations and losses of Modules 02-04.
_LAYER_WIRING = (
    ("tinytorch.core.layers", "Linear", "LinearFunction"),
    ("tinytorch.core.activations", "ReLU", "ReLUFunction"),
    ("tinytorch.core.activations", "Sigmoid", "SigmoidFunction"),
    ("tinytorch.core.activations", "Tanh", "TanhFunction"),
    ("tinytorch.core.activations", "GELU", "GELUFunction"),
    ("tinytorch.core.activations", "Softmax", "SoftmaxFunction"),
    ("tinytorch.core.losses", "MSELoss", "MSELossFunction"),
    ("tinytorch.core.losses", "CrossEntropyLoss", "CrossEntropyLossFunction"),
    ("tinytorch.core.losses", "BinaryCrossEntropyLoss", "BCELossFunction"),
)


def _layer_classes():
    """(class, Function) for each activation / loss class that exists (exported) so far."""
    found = []
    for module_name, class_name, function_name in _LAYER_WIRING:
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # that module is not exported yet: nothing to wire
            continue
        cls = getattr(module, class_name, None)
        if cls is not None:
            found.append((cls, globals()[function_name]))
    return found


def enable_autograd():
    """Make every Tensor operation, activation and loss record the graph; install backward/detach.

    Idempotent: wraps the original methods, however often it is called.
    """
    for name, wrapper in _tensor_wiring().items():
        _install(Tensor, name, wrapper, _original(Tensor, name))
    _install(Tensor, "backward", backward, _original(Tensor, "backward"))
    _install(Tensor, "detach", detach, _original(Tensor, "detach"))
    for cls, function in _layer_classes():
        original = _original(cls, "forward")
        wrap = _linear if function is LinearFunction else _layer
        _install(cls, "forward", wrap(function, original), original)


def disable_autograd():
    """Restore the forward-only methods of Modules 01-04 (undo ``enable_autograd``)."""
    names = [*_tensor_wiring(), "backward", "detach"]
    targets = [(Tensor, name) for name in names] + [(cls, "forward") for cls, _ in _layer_classes()]
    for cls, name in targets:
        current = cls.__dict__.get(name)
        if current is None or not hasattr(current, _ORIGINAL):
            continue
        original = getattr(current, _ORIGINAL)
        if original is None:
            delattr(cls, name)
        else:
            setattr(cls, name, original)


def autograd_enabled() -> bool:
    """True if Tensor's operations currently record the graph."""
    return hasattr(Tensor.__dict__.get("__add__"), _ORIGINAL)


_M_TOP_PAD, _M_MMAP_THRESHOLD = -2, -3  # glibc's mallopt() parameter numbers


def keep_freed_memory(top_pad=16 * 2**20, mmap_threshold=32 * 2**20) -> bool:
    """Let glibc's malloc keep freed memory for the next training step (Linux only).

    A training step frees its whole graph at once, after backward. With
    glibc's defaults that memory goes straight back to the operating system,
    and the next step page-faults it in again, page by page; arrays of
    128 KiB or more are even mapped and unmapped on every allocation. Keeping
    ``top_pad`` bytes of freed memory and serving arrays below
    ``mmap_threshold`` from the heap removes that cost (it doubled a
    batch-256 MLP step when measured). Set ``TINYTORCH_KEEP_FREED_MEMORY=0``
    to leave malloc alone. Returns True if the settings were applied.
    """
    if os.environ.get("TINYTORCH_KEEP_FREED_MEMORY", "1") == "0" or not sys.platform.startswith(
        "linux"
    ):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(_M_TOP_PAD, top_pad)) and bool(mallopt(_M_MMAP_THRESHOLD, mmap_threshold))


enable_autograd()
keep_freed_memory()


# %% nbgrader={"grade": true, "grade_id": "test-enable-autograd", "locked": true, "points": 10, "schema_version": 3, "solution": false}
def test_unit_enable_autograd():
    """Before: forward-only. After: the same values, plus gradients. Idempotent."""
    from tinytorch.core.activations import GELU, ReLU, Sigmoid, Softmax, Tanh
    from tinytorch.core.losses import CrossEntropyLoss

    rng = np.random.default_rng(5)
    x_np = rng.standard_normal((4, 3)).astype(np.float32)
    w_np = rng.standard_normal((3, 2)).astype(np.float32)
    labels = np.array([0, 1, 1, 0])

    def run():
        x = Tensor(x_np)
        w = Tensor(w_np, requires_grad=True)
        h = (x @ w) * 2.0 - 1.0
        values = [
            h,
            h.T,
            h.sum(axis=0),
            h.mean(),
            h.max(axis=1, keepdims=True),
            (h**2).sqrt(),
            h[1:, 0],
        ]
        values += [layer(h) for layer in (ReLU(), Sigmoid(), Tanh(), GELU(), Softmax())]
        loss = CrossEntropyLoss()(h, labels)
        return w, loss, values + [loss]

    try:
        disable_autograd()
        assert not autograd_enabled()
        w, loss, before = run()
        assert loss.grad_fn is None and not loss.requires_grad, (
            "before enabling, nothing is recorded"
        )
        try:
            loss.backward()
        except RuntimeError as error:
            assert "Module 05" in str(error)
        else:
            raise AssertionError("before enabling, backward() must raise Module 01's error")
    finally:
        enable_autograd()
    enable_autograd()  # again: still one layer of wrapping
    assert _original(Tensor, "__add__") is not None and not hasattr(
        _original(Tensor, "__add__"), _ORIGINAL
    )
    assert _original(Tensor, "__add__").__name__ == "tensor_add"

    w, loss, after = run()
    for b_value, a_value in zip(before, after, strict=True):
        assert a_value.dtype == b_value.dtype and a_value.shape == b_value.shape
        np.testing.assert_array_equal(a_value.data, b_value.data)
    assert isinstance(loss.grad_fn, CrossEntropyLossFunction) and loss.requires_grad
    loss.backward()
    assert w.grad is not None and w.grad.shape == (3, 2) and np.abs(w.grad).sum() > 0

    with no_grad():
        assert not is_grad_enabled()
        quiet = Tensor(x_np) @ Tensor(w_np, requires_grad=True)
    assert is_grad_enabled() and quiet.grad_fn is None and not quiet.requires_grad
    plain = Tensor(x_np) * 2.0
    assert plain.grad_fn is None, "no node when no input requires grad"


if __name__ == "__main__":
    test_unit_enable_autograd()

# %% [markdown]
"""
## 10. Systems analysis: what does a gradient cost?

Three measurements (run this file as a script; pin BLAS to one thread for
stable numbers: `OPENBLAS_NUM_THREADS=1 python modules/05_autograd/autograd.py`):

1. `analyze_path_explosion`: the backward pass of `x = x + x` repeated `k`
   times, against the number of paths (2^k) a recursive backward would walk.
2. `analyze_graph_memory`: memory held by the graph of an MLP's forward
   pass with and without recording, and the cost of one tracked operation.
3. `analyze_training_step`: a full training step of a 64-128-10 MLP
   through your framework against the same step hand-written in NumPy.
"""

# %% nbgrader={"grade": false, "grade_id": "analysis", "locked": true, "schema_version": 3, "solution": false}
import time  # noqa: E402  (analysis only: not exported)
import tracemalloc  # noqa: E402


def _best(function, repeat=5, number=None):
    """Seconds per call of ``function()``, best of ``repeat`` runs."""
    if number is None:
        start = time.perf_counter()
        function()
        number = max(1, min(20_000, int(0.02 / max(time.perf_counter() - start, 1e-7))))
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            function()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def _doubling_chain(k):
    """Backward through ``y = y + y`` repeated ``k`` times; returns the leaf."""
    x = Tensor([1.0], dtype=np.float64, requires_grad=True)
    y = x
    for _ in range(k):
        y = y + y
    y.backward(np.ones(1))
    return x


def analyze_path_explosion(depths=(10, 20, 30, 60)):
    """Backward time of ``x = x + x`` repeated k times: linear in k, not in 2**k."""
    print("\nBackward through x = x + x, repeated k times")
    print(f"{'k':>4} {'nodes':>6} {'paths':>22} {'forward+backward us':>20} {'us/node':>8}")
    for k in depths:
        assert _doubling_chain(k).grad[0] == 2.0**k
        seconds = _best(functools.partial(_doubling_chain, k), repeat=3)
        per_node = seconds * 1e6 / k
        print(f"{k:>4} {k:>6} {2**k:>22,} {seconds * 1e6:>20.1f} {per_node:>8.2f}")
    print("Time per node stays flat: each node is visited once, whatever the number of paths.")


def _mlp(batch, rng, sizes=(64, 128, 10)):
    from tinytorch.core.activations import ReLU
    from tinytorch.core.layers import Linear, Sequential

    np.random.seed(0)
    model = Sequential(Linear(sizes[0], sizes[1]), ReLU(), Linear(sizes[1], sizes[2]))
    x = Tensor(rng.standard_normal((batch, sizes[0])).astype(np.float32))
    y = rng.integers(0, sizes[2], size=batch)
    return model, x, y


def analyze_graph_memory(batch=256):
    """Memory kept alive by the graph, and the time of one op with / without recording."""
    from tinytorch.core.losses import CrossEntropyLoss

    rng = np.random.default_rng(0)
    model, x, y = _mlp(batch, rng)
    loss_fn = CrossEntropyLoss()
    print(f"\nMemory of one forward pass (MLP 64-128-10, batch {batch})")
    for label, context in (("recording", None), ("no_grad", no_grad())):
        tracemalloc.start()
        if context is None:
            loss = loss_fn(model(x), y)
        else:
            with context:
                loss = loss_fn(model(x), y)
        held, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        nodes = len(topological_order(loss)) if loss.requires_grad else 0
        print(
            f"  {label:>9}: {held / 1024:8.1f} KiB held by the result, "
            f"peak {peak / 1024:8.1f} KiB, {nodes} graph nodes"
        )
        del loss
    a = Tensor(rng.standard_normal((32, 128)).astype(np.float32), requires_grad=True)
    b = Tensor(rng.standard_normal((32, 128)).astype(np.float32))
    t_plain = _best(lambda: a.data + b.data)
    t_tracked = _best(lambda: a + b)
    with no_grad():
        t_quiet = _best(lambda: a + b)
    print(
        f"  a + b on (32, 128): NumPy {t_plain * 1e6:.2f} us, "
        f"no_grad {t_quiet * 1e6:.2f} us, recorded {t_tracked * 1e6:.2f} us"
    )


def _training_steps(batch, lr=0.01):
    """(framework step, NumPy step): the same SGD step of a 64-128-10 MLP, twice."""
    from tinytorch.core.losses import CrossEntropyLoss

    model, x, y = _mlp(batch, np.random.default_rng(0))
    params = list(model.parameters())
    loss_fn = CrossEntropyLoss()
    w1, b1, w2, b2 = (p.data.copy() for p in params)
    xs, rows = x.data, np.arange(batch)

    def framework_step():
        loss = loss_fn(model(x), y)
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
            p.grad = None
        return loss.item()

    def numpy_step():
        h = xs @ w1.T
        h += b1
        r = np.maximum(h, 0)
        z = r @ w2.T
        z += b2
        s = z - z.max(axis=1, keepdims=True)
        e = np.exp(s)
        sums = e.sum(axis=1)
        loss = (np.log(sums) - s[rows, y]).sum() / batch
        e /= sums[:, None]
        e[rows, y] -= 1
        e /= batch
        grad_w2, grad_b2 = e.T @ r, e.sum(axis=0)
        grad_r = e @ w2
        grad_r *= h > 0
        grad_w1, grad_b1 = grad_r.T @ xs, grad_r.sum(axis=0)
        for p, g in ((w1, grad_w1), (b1, grad_b1), (w2, grad_w2), (b2, grad_b2)):
            p -= lr * g
        return float(loss)

    return framework_step, numpy_step


def analyze_training_step(batches=(32, 256)):
    """One SGD step through the framework vs the same step in hand-written NumPy."""
    print("\nTraining step, MLP 64-128-10 (forward, cross-entropy, backward, SGD)")
    print(f"{'batch':>6} {'NumPy us':>10} {'TinyTorch us':>13} {'ratio':>7}")
    for batch in batches:
        framework_step, numpy_step = _training_steps(batch)
        t_numpy, t_framework = _best(numpy_step), _best(framework_step)
        ratio = t_framework / t_numpy
        print(f"{batch:>6} {t_numpy * 1e6:>10.1f} {t_framework * 1e6:>13.1f} {ratio:>6.2f}x")
    print("The extra time is Python work per graph node (a handful of nodes per step),")
    print("so it is a fixed cost: the ratio shrinks as the batch grows.")


if __name__ == "__main__":
    analyze_path_explosion()
    analyze_graph_memory()
    analyze_training_step()

# %% [markdown]
"""
## 11. Putting it together: the same code now trains

`test_module` takes the pieces of Modules 01 to 04 exactly as you wrote
them, a `Sequential` of `Linear` and `Tanh` layers and a cross-entropy
loss, and:

1. checks every parameter's gradient against central finite differences
   of the loss (in float64), the standard end-to-end gradient check;
2. trains the network with plain SGD on a small two-class problem that no
   straight line separates, and checks that it learns it.
"""


# %% nbgrader={"grade": true, "grade_id": "test-module", "locked": true, "points": 15, "schema_version": 3, "solution": false}
def test_module():
    """End to end: a model from Modules 01-04 gets correct gradients and learns."""
    from tinytorch.core.activations import Tanh
    from tinytorch.core.layers import Linear, Sequential
    from tinytorch.core.losses import CrossEntropyLoss

    rng = np.random.default_rng(6)
    np.random.seed(6)
    model = Sequential(Linear(2, 8), Tanh(), Linear(8, 2))
    params = list(model.parameters())
    for p in params:  # float64 for a precise finite-difference check
        p.data = p.data.astype(np.float64)
    x = Tensor(rng.standard_normal((6, 2)), dtype=np.float64)
    y = np.array([0, 1, 1, 0, 1, 0])
    loss_fn = CrossEntropyLoss()
    loss_fn(model(x), y).backward()
    for p in params:
        numeric = np.zeros_like(p.data)
        for i in np.ndindex(p.shape):
            old = p.data[i]
            with no_grad():
                p.data[i] = old + 1e-6
                plus = loss_fn(model(x), y).item()
                p.data[i] = old - 1e-6
                minus = loss_fn(model(x), y).item()
            p.data[i] = old
            numeric[i] = (plus - minus) / 2e-6
        np.testing.assert_allclose(p.grad, numeric, rtol=1e-5, atol=1e-8)

    # Learn XOR-like quadrants: label 1 where x0 * x1 > 0.
    points = rng.uniform(-1, 1, size=(128, 2)).astype(np.float32)
    labels = (points[:, 0] * points[:, 1] > 0).astype(np.int64)
    np.random.seed(1)
    model = Sequential(Linear(2, 16), Tanh(), Linear(16, 2))
    params = list(model.parameters())
    inputs = Tensor(points)
    first = None
    for _ in range(300):
        loss = loss_fn(model(inputs), labels)
        first = loss.item() if first is None else first
        for p in params:
            p.grad = None
        loss.backward()
        for p in params:
            p.data -= 0.5 * p.grad
    with no_grad():
        predictions = model(inputs).data.argmax(axis=1)
    accuracy = (predictions == labels).mean()
    assert loss.item() < 0.5 * first, (
        f"loss went from {first:.3f} to {loss.item():.3f}: not learning"
    )
    assert accuracy > 0.9, f"accuracy {accuracy:.2f} after training; expected > 0.9"


if __name__ == "__main__":
    test_module()
    print("\nAll Module 05 tests passed.")

# %% [markdown]
"""
## Reflection

1. The recursive backward visits a node once per path. Draw a residual
   block `y = x + f(x)` stacked 20 times: how many paths lead from the
   output to the input? What does your topological walk do instead?
2. `Add.backward` returns the same array for both inputs, and `Sum`
   returns a read-only broadcast view. What would go wrong if a leaf kept
   such an array and an optimizer then did `p.grad *= 0.5`? How does
   `accumulate_grad` prevent it, and what does that cost?
3. `analyze_graph_memory` shows memory held with and without recording.
   What exactly is kept alive (look at what each node stores), and why is
   `no_grad()` the right choice for evaluation?
4. The fused cross-entropy rule replaces six nodes with one. Estimate from
   `analyze_graph_memory`'s per-operation numbers how much time that saves
   per training step at batch 32, then compare with the measured step.
5. The framework's step costs a roughly fixed number of microseconds more
   than the NumPy step. Where does that time go, and why does the ratio
   improve with larger batches?
"""
