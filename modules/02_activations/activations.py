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
#     requires: [1]
#     points: 80
# ---

# %% [markdown]
"""
# Module 02: Activations - the nonlinearity that makes depth worth it

A neural network alternates two kinds of steps: a *linear* step (multiply by
a weight matrix, add a bias; Module 03) and an *activation*, a simple
function applied to every number on its own. This module builds the five
activations you will meet in almost every model: ReLU, Sigmoid, Tanh, GELU
and Softmax.

## Learning objectives

By the end of this module you will be able to:

1. Explain why a network without activations is just one big linear map,
   no matter how many layers it has.
2. Implement ReLU, Sigmoid, Tanh, GELU and Softmax on whole arrays at once
   (vectorized NumPy, no Python loops), with PyTorch's names.
3. Recognise **numerical overflow** and fix it: a stable Sigmoid and a stable
   Softmax that work for inputs like 1000 where the textbook formula returns
   `nan`.
4. Measure what an activation costs in time and memory, and compare it with
   the plain NumPy expression underneath.

## Prerequisites

- **Module 01 (Tensor)**: you need `Tensor`, its `.data` array (a NumPy
  `ndarray`), `.shape` and `.dtype`. We import it from the package you
  exported: `from tinytorch.core.tensor import Tensor`.
- NumPy element-wise functions (`np.exp`, `np.tanh`, `np.maximum`) and the
  `axis=` / `keepdims=` arguments of reductions such as `np.max` and `np.sum`.

## Where this code lives

You edit `modules/02_activations/activations.py`. Cells marked `#| export`
are copied into the package by `tito source export 02`, after which

```python
from tinytorch.core.activations import ReLU, Sigmoid, Tanh, GELU, Softmax
```

works everywhere, just like `torch.nn.ReLU` and friends in PyTorch.
"""

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": false, "schema_version": 3, "solution": false}
#| default_exp core.activations
#| export
import math

import numpy as np

from tinytorch.core.tensor import Tensor, from_numpy

# %% [markdown]
"""
## 1. Why nonlinearity?

A linear layer computes `y = x @ W + b`. Stack two of them:

```
y = (x @ W1 + b1) @ W2 + b2  =  x @ (W1 @ W2) + (b1 @ W2 + b2)  =  x @ W + b
```

Two layers collapse into one: a hundred linear layers can draw nothing but
a straight line (a flat plane, in more dimensions). Put a nonlinear function
`f` between them, `y = f(x @ W1 + b1) @ W2 + b2`, and the collapse no longer
happens; with enough hidden units such a network can approximate any
continuous function. That `f` is the activation.

Activations act **element-wise** (Softmax is the exception: it looks at a
whole row), so they never change a tensor's shape, and they have no
parameters to learn.

### How an activation looks in code

Every activation is a small class with a `forward(x)` method that

1. reads the NumPy array `x.data`,
2. computes the result with vectorized NumPy (one call works on millions of
   numbers; a Python `for` loop over the elements is orders of magnitude
   slower, as the systems analysis measures), and
3. returns a **new** tensor with `from_numpy(result)`, the helper from
   Module 01 that wraps an operation's result without copying it or
   changing its dtype. Never modify `x` in place: the caller may still need
   it, and in Module 05 autograd will need it to compute gradients.

The given base class `Activation` lets you call an activation like a
function, `relu(x)`, which simply runs `relu.forward(x)`, the same
convention PyTorch uses. In Module 05 we will wrap each `forward` so that it
also records how to compute gradients; that is why all the work must happen
inside `forward`.

### Keeping float32

Neural networks compute in `float32`: half the memory of `float64` and
about twice the speed, with more precision than training needs. NumPy keeps
`float32` as long as you only mix it with Python numbers (`0.5 * a` stays
`float32`), but mixing in a `float64` *array* silently upgrades the result.
The tests check that a `float32` input gives a `float32` output (and a
`float64` input, used for precise gradient checks later, stays `float64`).

Sigmoid, Tanh, GELU and Softmax produce fractions, so they need floating
point input: the given helper `_float_array(x)` returns `x.data` unchanged
when it already holds floats and a `float32` copy when it holds integers
(`Tensor([1, 2])` is `int64`; `np.exp` of it would be `float64`).
"""


# %% nbgrader={"grade": false, "grade_id": "activation-base", "locked": true, "schema_version": 3, "solution": false}
#| export
class Activation:
    """Base class for the activations: calling the object runs its ``forward``.

    Subclasses implement ``forward(x: Tensor) -> Tensor``. Activations have no
    parameters and no state, so one object can be reused everywhere.
    """

    def forward(self, x: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement forward(x)")

    def __call__(self, x: Tensor) -> Tensor:
        return self.forward(x)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _float_array(x: Tensor) -> np.ndarray:
    """``x.data`` as floating point: float arrays as they are (no copy), integers as float32."""
    data = x.data
    return data if data.dtype.kind == "f" else data.astype(np.float32)


# %% [markdown]
"""
## 2. ReLU: the workhorse

```
ReLU(x) = max(0, x)

 x:       -2   -1    0    1    2
 ReLU(x):  0    0    0    1    2
```

ReLU keeps positive numbers and replaces negative ones by zero. It is the
default activation for hidden layers because it is almost free to compute
(one comparison per number) and, unlike Sigmoid and Tanh, it does not
flatten out for large positive inputs, so gradients keep flowing through
deep networks.
"""


# %% nbgrader={"grade": false, "grade_id": "relu", "locked": false, "schema_version": 3, "solution": true}
#| export
class ReLU(Activation):
    """ReLU(x) = max(0, x), element-wise (PyTorch: ``torch.nn.ReLU``)."""

    def forward(self, x: Tensor) -> Tensor:
        """Apply ReLU to every element of ``x`` and return a new Tensor.

        TODO: keep the positive entries of x, replace the negative ones by 0.

        APPROACH:
        1. Take the NumPy array x.data.
        2. Compare every element with 0 and keep the larger one.
        3. Wrap the result with from_numpy(...).

        HINTS:
        - np.maximum(a, 0) works element-wise and keeps a's dtype.
        - Do not write into x.data: that would change the caller's tensor.

        EXAMPLE:
        >>> ReLU()(Tensor([-2.0, 0.0, 3.0])).data
        array([0., 0., 3.], dtype=float32)
        """
        ### BEGIN SOLUTION
        return from_numpy(np.maximum(x.data, 0))
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-relu", "locked": true, "points": 10, "schema_version": 3, "solution": false}
def test_unit_relu():
    """ReLU matches max(0, x), keeps shape and float32, leaves its input alone."""
    relu = ReLU()
    x = Tensor(np.array([[-2.0, -0.5, 0.0], [0.25, 1.0, 7.0]], dtype=np.float32))
    before = x.data.copy()
    out = relu(x)
    assert isinstance(out, Tensor), f"ReLU must return a Tensor, got {type(out).__name__}"
    assert out is not x, "ReLU must return a new Tensor, not its input"
    assert out.shape == (2, 3), f"shape changed: {out.shape}"
    assert out.dtype == np.float32, f"float32 in must give float32 out, got {out.dtype}"
    np.testing.assert_array_equal(out.data, [[0, 0, 0], [0.25, 1.0, 7.0]])
    np.testing.assert_array_equal(x.data, before, err_msg="ReLU modified its input")
    # a larger random input against the float64 oracle
    data = np.random.default_rng(0).standard_normal((4, 5, 6)).astype(np.float32)
    np.testing.assert_array_equal(
        relu.forward(Tensor(data)).data, np.maximum(data.astype(np.float64), 0)
    )


if __name__ == "__main__":
    test_unit_relu()

# %% [markdown]
"""
## 3. Sigmoid: squashing to (0, 1), and your first overflow

```
sigmoid(x) = 1 / (1 + exp(-x))

 x:          -1000   -2      0     2      1000
 sigmoid(x):  0.0    0.119  0.5   0.881   1.0
```

Sigmoid turns any number into something between 0 and 1, which is why it is
used for probabilities ("how sure is the model that this email is spam?").

### The overflow problem

`float32` cannot hold numbers above about `3.4e38`, and `exp(89)` is
already bigger than that. So for `x = -1000` the textbook formula computes
`exp(1000) = inf`, NumPy prints `RuntimeWarning: overflow encountered in
exp`, and you only get the right answer (`1 / inf = 0`) by luck; one step
further, as in `exp(x) / (1 + exp(x))`, you get `inf / inf = nan`. A
single `nan` spreads through every later computation and silently ruins
training.

### The stable version

Only ever exponentiate a number that is `<= 0`, so the result lies in
`(0, 1]` and cannot overflow. Write the sigmoid in the form that suits each
sign of `x`:

```
x >= 0:  sigmoid(x) = 1 / (1 + exp(-x))         exp(-x) = exp(-|x|)
x <  0:  sigmoid(x) = exp(x) / (1 + exp(x))     exp(x)  = exp(-|x|)
```

The denominators are the same, `1 + exp(-|x|)`. The numerators are `1` and
`exp(x)`, which are both `exp(min(x, 0))`. So, for every sign at once:

```
sigmoid(x) = exp(min(x, 0)) / (1 + exp(-|x|))      both exponents <= 0
```

No `if`, no Python loop: `np.minimum`, `np.abs` and `np.exp` work on whole
arrays. (An `np.where(x >= 0, ..., ...)` version is correct too, but on
random signs it is slower: the CPU cannot predict which branch comes next.
The systems analysis measures both.)
"""


# %% nbgrader={"grade": false, "grade_id": "sigmoid", "locked": false, "schema_version": 3, "solution": true}
#| export
class Sigmoid(Activation):
    """sigmoid(x) = 1 / (1 + exp(-x)), element-wise (PyTorch: ``torch.nn.Sigmoid``).

    Numerically stable: no overflow, no warnings, for any finite input.
    """

    def forward(self, x: Tensor) -> Tensor:
        """Apply the sigmoid to every element of ``x``, without overflow.

        TODO: compute 1 / (1 + exp(-x)) in a form that never overflows.

        APPROACH:
        1. data = _float_array(x)
        2. numerator = exp(min(data, 0)): 1 for data >= 0, exp(data) below 0.
        3. denominator = 1 + exp(-|data|).
        4. Divide and wrap the result with from_numpy(...).

        HINTS:
        - np.minimum(a, 0), np.abs and np.exp work element-wise on whole arrays.
        - Use Python numbers (1.0), not np.float64 arrays, so float32 stays float32.
        - Never compute np.exp(-x) directly: for x = -1000 it overflows.

        EXAMPLE:
        >>> Sigmoid()(Tensor([-1000.0, 0.0, 1000.0])).data
        array([0. , 0.5, 1. ], dtype=float32)
        """
        ### BEGIN SOLUTION
        data = _float_array(x)
        # both exponents are <= 0, so both exps lie in (0, 1] and cannot overflow
        return from_numpy(np.exp(np.minimum(data, 0)) / (1.0 + np.exp(-np.abs(data))))
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-sigmoid", "locked": true, "points": 15, "schema_version": 3, "solution": false}
def test_unit_sigmoid():
    """Sigmoid matches a float64 oracle, stays in [0, 1], and never overflows."""
    sigmoid = Sigmoid()
    data = np.linspace(-30, 30, 121, dtype=np.float32).reshape(11, 11)
    out = sigmoid(Tensor(data))
    oracle = 1.0 / (1.0 + np.exp(-data.astype(np.float64)))
    assert out.shape == data.shape and out.dtype == np.float32, (
        f"got shape {out.shape}, dtype {out.dtype}"
    )
    np.testing.assert_allclose(out.data, oracle, rtol=1e-6, atol=1e-7)
    assert out.data[5, 5] == 0.5, f"sigmoid(0) must be exactly 0.5, got {out.data[5, 5]}"
    # stability: extreme inputs give exact limits, and NumPy reports no overflow
    extreme = Tensor(np.array([-1e30, -1000.0, -200.0, 200.0, 1000.0, 1e30], dtype=np.float32))
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        result = sigmoid(extreme).data
    assert np.all(np.isfinite(result)), f"non-finite outputs for extreme inputs: {result}"
    np.testing.assert_array_equal(result, [0, 0, 0, 1, 1, 1])
    # negative side keeps *relative* precision (the naive 1 - sigmoid(-x) would not)
    np.testing.assert_allclose(sigmoid(Tensor([-20.0])).data, [2.0611537e-09], rtol=1e-5)


if __name__ == "__main__":
    test_unit_sigmoid()

# %% [markdown]
"""
## 4. Tanh: zero-centred squashing

```
tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x))      range (-1, 1)
```

Tanh is a stretched Sigmoid, `tanh(x) = 2 * sigmoid(2x) - 1`, centred on 0:
negative inputs give negative outputs. Zero-centred activations make the
next layer's inputs average around zero, which often trains faster than
Sigmoid's always-positive outputs. It is the activation inside classic
recurrent networks (RNN, LSTM).

Writing out the formula above has the same overflow problem as Sigmoid;
`np.tanh` is already implemented stably in C, so use it.
"""


# %% nbgrader={"grade": false, "grade_id": "tanh", "locked": false, "schema_version": 3, "solution": true}
#| export
class Tanh(Activation):
    """tanh(x), element-wise, range (-1, 1) (PyTorch: ``torch.nn.Tanh``)."""

    def forward(self, x: Tensor) -> Tensor:
        """Apply tanh to every element of ``x`` and return a new Tensor.

        TODO: compute tanh(x) element-wise.

        APPROACH:
        1. Apply NumPy's tanh to _float_array(x).
        2. Wrap the result with from_numpy(...).

        HINTS:
        - np.tanh is stable for any input: np.tanh(1000.0) is exactly 1.0.

        EXAMPLE:
        >>> Tanh()(Tensor([-1000.0, 0.0, 0.5])).data
        array([-1.       ,  0.       ,  0.4621172], dtype=float32)
        """
        ### BEGIN SOLUTION
        return from_numpy(np.tanh(_float_array(x)))
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-tanh", "locked": true, "points": 5, "schema_version": 3, "solution": false}
def test_unit_tanh():
    """Tanh matches a float64 oracle, is odd (tanh(-x) = -tanh(x)) and saturates at +-1."""
    tanh = Tanh()
    data = np.random.default_rng(1).normal(0, 3, size=(3, 7)).astype(np.float32)
    out = tanh(Tensor(data))
    assert out.shape == (3, 7) and out.dtype == np.float32, (
        f"got shape {out.shape}, dtype {out.dtype}"
    )
    np.testing.assert_allclose(out.data, np.tanh(data.astype(np.float64)), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(tanh(Tensor(-data)).data, -out.data)
    with np.errstate(over="raise", invalid="raise"):
        ends = tanh(Tensor(np.array([-1e30, 1e30], dtype=np.float32))).data
    np.testing.assert_array_equal(ends, [-1.0, 1.0])


if __name__ == "__main__":
    test_unit_tanh()

# %% [markdown]
"""
## 5. GELU: the smooth ReLU of transformers

ReLU has a sharp corner at 0 and throws away all negative information. GELU
(Gaussian Error Linear Unit) weighs each input by how likely a standard
normal variable is to be smaller than it: `GELU(x) = x * Phi(x)`, where
`Phi` is the normal CDF. Large positive `x` pass through (`Phi ~ 1`),
large negative `x` become 0 (`Phi ~ 0`), and near 0 the curve is smooth and
dips slightly below zero (its minimum is about -0.17 at x = -0.75). BERT and
GPT use it.

`Phi` needs the error function `erf`, which NumPy does not have. We use the
**tanh approximation** from the GELU paper, the one GPT-2 uses and PyTorch
offers as `torch.nn.GELU(approximate="tanh")`:

```
GELU(x) ~ 0.5 * x * (1 + tanh( sqrt(2/pi) * (x + 0.044715 * x^3) ))
```

It differs from the exact `x * Phi(x)` by less than 0.0005 everywhere.

**One more overflow trap:** `x^3` overflows `float32` once `|x|` passes
about `7e12`. But the `tanh` already equals exactly +-1 once `|x| > 10`,
so clip `x` to `[-10, 10]` *inside* the tanh (and only there): the result is
identical and the overflow is gone.
"""


# %% nbgrader={"grade": false, "grade_id": "gelu", "locked": false, "schema_version": 3, "solution": true}
#| export
class GELU(Activation):
    """GELU with the tanh approximation (PyTorch: ``torch.nn.GELU(approximate="tanh")``).

    ``GELU(x) = 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x**3)))``.
    Only ``approximate="tanh"`` exists: the exact form needs ``erf``, which
    NumPy does not provide.
    """

    def __init__(self, approximate: str = "tanh") -> None:
        if approximate != "tanh":
            raise ValueError(
                f"approximate={approximate!r} is not supported: TinyTorch's GELU uses the tanh "
                "approximation (the exact form needs erf, which NumPy lacks); "
                "pass approximate='tanh'."
            )
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        """Apply the tanh-approximated GELU to every element of ``x``.

        TODO: compute 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x**3))).

        APPROACH:
        1. data = _float_array(x); u = data clipped to [-10, 10] (np.clip),
           used only for the cubic inside tanh.
        2. t = tanh(sqrt(2/pi) * (u + 0.044715 * u**3)).
        3. Return from_numpy(0.5 * data * (1 + t)): the *unclipped* data here.

        HINTS:
        - Compute sqrt(2/pi) with the math module (a Python float), not np.sqrt
          of a float64 array, so float32 inputs stay float32.
        - Clipping outside the tanh would be wrong: GELU(100) is 100, not 10.
        - Write the cube as u * u * u: NumPy's u ** 3 calls the general power
          routine and is far slower (the systems analysis measures it).

        EXAMPLE:
        >>> GELU()(Tensor([-3.0, 0.0, 1.0, 100.0])).data
        array([-3.6373436e-03,  0.0000000e+00,  8.4119201e-01,  1.0000000e+02],
              dtype=float32)
        """
        ### BEGIN SOLUTION
        data = _float_array(x)
        u = np.clip(data, -10.0, 10.0)  # tanh saturates long before 10; avoids u**3 overflow
        t = np.tanh(math.sqrt(2.0 / math.pi) * (u + 0.044715 * u * u * u))
        return from_numpy(0.5 * data * (1.0 + t))
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-gelu", "locked": true, "points": 15, "schema_version": 3, "solution": false}
def test_unit_gelu():
    """GELU matches the float64 tanh formula, is close to exact GELU, and handles huge inputs."""
    gelu = GELU()
    data = np.linspace(-6, 6, 97, dtype=np.float32)
    out = gelu(Tensor(data))
    x64 = data.astype(np.float64)
    oracle = 0.5 * x64 * (1 + np.tanh(np.sqrt(2 / np.pi) * (x64 + 0.044715 * x64**3)))
    assert out.shape == data.shape and out.dtype == np.float32, (
        f"got shape {out.shape}, dtype {out.dtype}"
    )
    np.testing.assert_allclose(out.data, oracle, rtol=1e-5, atol=1e-6)
    exact = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x64])
    assert np.max(np.abs(out.data - exact)) < 1e-3, "GELU is too far from x * Phi(x)"
    with np.errstate(over="raise", invalid="raise"):
        big = gelu(Tensor(np.array([-1e30, -50.0, 50.0, 1e30], dtype=np.float32))).data
    np.testing.assert_allclose(big, [0.0, 0.0, 50.0, 1e30], rtol=1e-6, atol=1e-6)


if __name__ == "__main__":
    test_unit_gelu()

# %% [markdown]
"""
## 6. Softmax: from scores to probabilities

A classifier's last layer produces one raw score ("logit") per class.
Softmax turns a row of scores into probabilities: all positive, summing to 1,
and the largest score gets the largest share.

```
softmax(x)_i = exp(x_i) / sum_j exp(x_j)

 logits: [2.0, 1.0, 0.1]   ->   probabilities: [0.659, 0.242, 0.099]
```

Unlike the other activations it is *not* element-wise: each output depends
on a whole slice. `Softmax(dim=-1)` normalises along the last axis, so for a
batch of shape `(batch, classes)` every row becomes a distribution (the
`dim` name is PyTorch's; NumPy calls it `axis`).

### Overflow again, and the max trick

Logits of 1000 are not unusual. `exp(1000)` is `inf` and `inf / inf` is
`nan`. The fix uses one identity: subtracting the same number `c` from every
score changes nothing,

```
exp(x_i - c) / sum_j exp(x_j - c) = exp(x_i) / sum_j exp(x_j)
```

because the factor `exp(-c)` cancels. Choose `c = max(x)`: now every exponent
is `<= 0`, every `exp` lies in `(0, 1]`, and the largest is exactly `1`, so the
sum is at least 1 and never 0.
"""


# %% nbgrader={"grade": false, "grade_id": "softmax", "locked": false, "schema_version": 3, "solution": true}
#| export
class Softmax(Activation):
    """softmax along ``dim`` (PyTorch: ``torch.nn.Softmax(dim=-1)``); stable for any logits."""

    def __init__(self, dim: int = -1) -> None:
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"dim={dim!r} must be an int (the axis to normalise over)")
        self.dim = int(dim)

    def __repr__(self) -> str:
        return f"Softmax(dim={self.dim})"

    def forward(self, x: Tensor) -> Tensor:
        """Turn scores into probabilities along ``self.dim``, without overflow.

        TODO: compute exp(x - max) / sum(exp(x - max)) along self.dim.

        APPROACH:
        1. data = _float_array(x); m = its maximum along self.dim, keepdims=True.
        2. e = exp(data - m): every exponent is now <= 0.
        3. Divide e by its sum along self.dim (keepdims=True again) and wrap
           the result with from_numpy(...).

        HINTS:
        - keepdims=True keeps the reduced axis with length 1, so (4, 10) - (4, 1)
          broadcasts row by row.
        - e is a fresh array that nobody else holds, so dividing in place
          (e /= ...) saves allocating one more array of the same size.

        EXAMPLE:
        >>> Softmax()(Tensor([[1000.0, 1001.0], [0.0, 0.0]])).data
        array([[0.2689414, 0.7310586],
               [0.5      , 0.5      ]], dtype=float32)
        """
        ### BEGIN SOLUTION
        data = _float_array(x)
        e = np.exp(data - data.max(axis=self.dim, keepdims=True))  # exponents <= 0
        e /= e.sum(axis=self.dim, keepdims=True)  # e is our own new array: divide in place
        return from_numpy(e)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-softmax", "locked": true, "points": 20, "schema_version": 3, "solution": false}
def _softmax_oracle(a: np.ndarray, axis: int) -> np.ndarray:
    a = a.astype(np.float64)
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def test_unit_softmax():
    """Softmax matches a float64 oracle on any dim, sums to 1, and survives huge logits."""
    data = np.random.default_rng(2).normal(0, 4, size=(3, 4, 5)).astype(np.float32)
    for dim in (-1, 0, 1):
        out = Softmax(dim=dim)(Tensor(data))
        assert out.shape == data.shape and out.dtype == np.float32, (
            f"dim={dim}: {out.shape}, {out.dtype}"
        )
        np.testing.assert_allclose(
            out.data,
            _softmax_oracle(data, dim),
            rtol=1e-5,
            atol=1e-7,
            err_msg=f"Softmax(dim={dim})",
        )
        np.testing.assert_allclose(out.data.sum(axis=dim), 1.0, rtol=1e-6)
    # stability: huge logits, and shifting all logits by a constant changes nothing
    logits = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        probs = Softmax()(Tensor(logits)).data
    expected = _softmax_oracle(np.array([[0.0, 1.0, 2.0], [0.0, -1.0, -2.0]]), -1)
    np.testing.assert_allclose(probs, expected, rtol=1e-6)
    x = Tensor(data)
    before = x.data.copy()
    Softmax()(x)
    np.testing.assert_array_equal(x.data, before, err_msg="Softmax modified its input")


if __name__ == "__main__":
    test_unit_softmax()

# %% [markdown]
"""
## 7. Systems analysis: what do activations cost?

Activations have no parameters, so they cost nothing to *store*; all their
cost is in *time* and in the *temporary arrays* they create while running.
The functions below measure both on this machine, for arrays of one million
`float32` numbers (4 MB), and compare each activation with the bare NumPy
expression it wraps: the difference is the price of the `Tensor` wrapper and
of the stability tricks. It also measures three claims this module makes:
Python loops are slow, `np.where` on random signs is slow, `u ** 3` is slow.
"""

# %% nbgrader={"grade": false, "grade_id": "analysis-helpers", "locked": true, "schema_version": 3, "solution": false}
import time
import tracemalloc


def _best_seconds(fn, repeat: int = 7) -> float:
    """The fastest of ``repeat`` timed calls (the least disturbed by other programs)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _peak_bytes(fn) -> int:
    """Peak memory NumPy allocated while ``fn`` ran (tracemalloc sees NumPy's buffers)."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# %% nbgrader={"grade": false, "grade_id": "analysis-cost", "locked": true, "schema_version": 3, "solution": false}
def analyze_activation_cost(n: int = 1_000_000) -> None:
    """Time and peak memory of each activation vs the plain NumPy expression."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal(n).astype(np.float32)
    rows = a.reshape(-1, 1000)
    x, x_rows = Tensor(a), Tensor(rows)
    c = math.sqrt(2 / math.pi)
    cases = [
        ("ReLU", lambda: ReLU()(x), lambda: np.maximum(a, 0)),
        ("Sigmoid", lambda: Sigmoid()(x), lambda: 1 / (1 + np.exp(-a))),
        ("Tanh", lambda: Tanh()(x), lambda: np.tanh(a)),
        (
            "GELU",
            lambda: GELU()(x),
            lambda: 0.5 * a * (1 + np.tanh(c * (a + 0.044715 * a * a * a))),
        ),
        (
            "Softmax",
            lambda: Softmax()(x_rows),
            lambda: np.exp(rows) / np.exp(rows).sum(-1, keepdims=True),
        ),
    ]
    print(
        f"{n:,} float32 values ({a.nbytes / 1e6:.0f} MB); 'naive NumPy' is the unstabilised formula"
    )
    print(
        f"{'activation':<10} {'ours ms':>8} {'naive ms':>9} {'ratio':>6} "
        f"{'ns/elem':>8} {'peak MB':>8}"
    )
    with np.errstate(over="ignore"):
        for name, ours, naive in cases:
            t_ours, t_naive = _best_seconds(ours), _best_seconds(naive)
            peak = _peak_bytes(ours)
            print(
                f"{name:<10} {t_ours * 1e3:8.2f} {t_naive * 1e3:9.2f} {t_ours / t_naive:6.2f} "
                f"{t_ours / n * 1e9:8.2f} {peak / 1e6:8.1f}"
            )
    print("peak MB includes the 4 MB output; everything above that is temporary arrays.")
    analyze_design_choices(a)


def analyze_design_choices(a: np.ndarray) -> None:
    """Measure three claims this module makes: loops are slow, where() is slow, ** 3 is slow."""
    small = a[:10_000]
    t_loop = _best_seconds(lambda: [v if v > 0 else 0.0 for v in small], repeat=3)
    t_vec = _best_seconds(lambda: np.maximum(small, 0))
    print(
        f"ReLU of {small.size:,} values: Python loop {t_loop * 1e3:.2f} ms, "
        f"np.maximum {t_vec * 1e3:.3f} ms ({t_loop / t_vec:.0f}x)"
    )

    def sigmoid_where() -> np.ndarray:
        z = np.exp(-np.abs(a))
        return np.where(a >= 0, 1.0, z) / (1.0 + z)

    t_where = _best_seconds(sigmoid_where)
    t_ours = _best_seconds(lambda: Sigmoid().forward(Tensor(a)))
    print(
        f"stable sigmoid of {a.size:,} values: np.where version {t_where * 1e3:.2f} ms, "
        f"ours {t_ours * 1e3:.2f} ms ({t_where / t_ours:.1f}x)"
    )
    t_pow, t_mul = _best_seconds(lambda: a**3), _best_seconds(lambda: a * a * a)
    print(
        f"cube of {a.size:,} float32: a**3 {t_pow * 1e3:.2f} ms, a*a*a {t_mul * 1e3:.2f} ms "
        f"({t_pow / t_mul:.0f}x)"
    )


if __name__ == "__main__":
    analyze_activation_cost()

# %% [markdown]
"""
### Naive vs stable Softmax

How large do logits have to be before the textbook formula breaks? The
function below scales the same random logits by growing factors and counts
the `nan`s each version produces, comparing both with a float64 oracle.
"""


# %% nbgrader={"grade": false, "grade_id": "analysis-softmax-stability", "locked": true, "schema_version": 3, "solution": false}
def analyze_softmax_stability() -> None:
    """Count nan outputs and the worst error of naive vs stable softmax as logits grow."""
    base = np.random.default_rng(1).standard_normal((256, 10))
    print(
        f"{'logit scale':>11} {'max |logit|':>11} {'naive nan':>10} {'stable nan':>11} "
        f"{'stable max err':>15}"
    )
    for scale in (1, 10, 50, 100, 1000):
        logits = (base * scale).astype(np.float32)
        oracle = _softmax_oracle(logits, -1)
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(logits)
            naive = e / e.sum(axis=-1, keepdims=True)
        stable = Softmax()(Tensor(logits)).data
        print(
            f"{scale:>11} {np.abs(logits).max():>11.1f} {int(np.isnan(naive).sum()):>10} "
            f"{int(np.isnan(stable).sum()):>11} {np.abs(stable - oracle).max():>15.2e}"
        )
    print(
        "float32 exp overflows above x = 88.7: naive softmax breaks as soon as one logit passes it."
    )


if __name__ == "__main__":
    analyze_softmax_stability()

# %% [markdown]
"""
## 8. Integration test

`test_module()` runs the activations together the way a network uses them:
a tiny two-layer classifier written with raw weight tensors (Module 03 will
turn these into `Linear` layers).
"""


# %% nbgrader={"grade": true, "grade_id": "test-module", "locked": true, "points": 15, "schema_version": 3, "solution": false}
def test_module():
    """A tiny MLP forward pass with every activation matches a float64 NumPy oracle."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((8, 4)).astype(np.float32)
    w1 = rng.standard_normal((4, 16)).astype(np.float32)
    w2 = rng.standard_normal((16, 3)).astype(np.float32)
    hidden = Tensor(x) @ Tensor(w1)
    mixed = [ReLU()(hidden), Sigmoid()(hidden), Tanh()(hidden), GELU()(hidden)]
    h = Tensor((mixed[0].data + mixed[1].data + mixed[2].data + mixed[3].data) / 4)
    probs = Softmax(dim=1)(h @ Tensor(w2))

    h64 = x.astype(np.float64) @ w1.astype(np.float64)
    gelu64 = 0.5 * h64 * (1 + np.tanh(np.sqrt(2 / np.pi) * (h64 + 0.044715 * h64**3)))
    mix64 = (np.maximum(h64, 0) + 1 / (1 + np.exp(-h64)) + np.tanh(h64) + gelu64) / 4
    oracle = _softmax_oracle(mix64 @ w2.astype(np.float64), 1)
    assert probs.shape == (8, 3) and probs.dtype == np.float32, f"got {probs.shape}, {probs.dtype}"
    np.testing.assert_allclose(probs.data, oracle, rtol=1e-4, atol=1e-6)
    assert all(m.dtype == np.float32 for m in mixed), [m.dtype for m in mixed]
    # dtype policy: float64 stays float64 (for precise checks later); ints become float32
    x64, ints = Tensor(h64[:2], dtype=np.float64), Tensor([[-2, 0, 3]])
    for act in (Sigmoid(), Tanh(), GELU(), Softmax()):
        assert act(x64).dtype == np.float64, f"{act!r} turned float64 into {act(x64).dtype}"
        assert act(ints).dtype == np.float32, f"{act!r} turned int64 into {act(ints).dtype}"
    assert ReLU()(ints).dtype == np.int64 and ReLU()(x64).dtype == np.float64
    np.testing.assert_allclose(
        Sigmoid()(ints).data, 1 / (1 + np.exp(-np.array([[-2.0, 0.0, 3.0]]))), rtol=1e-6
    )
    assert repr(Softmax(dim=0)) == "Softmax(dim=0)" and repr(ReLU()) == "ReLU()"


if __name__ == "__main__":
    test_module()
    print("Module 02 (activations): all tests passed.")

# %% [markdown]
"""
## Reflection questions

1. Two `Linear` layers with no activation between them collapse into one.
   Does the same happen with ReLU between them? Give a two-number input
   where `ReLU(x @ W1) @ W2` differs from `x @ (W1 @ W2)`.
2. Your Sigmoid computes `exp(-|x|)` instead of `exp(-x)`. What does each
   return for `x = -100` in `float32`, and which later computation would turn
   the bad one into `nan`?
3. The systems analysis shows Softmax is slower per element than ReLU.
   Count the passes over memory each one makes (reads and writes of a full
   array). Does that count explain the measured ratio better than the number
   of arithmetic operations does?
4. Softmax subtracts the row maximum. Would subtracting the row *mean*
   also prevent overflow? Find logits where it fails.
5. ReLU outputs exactly 0 for about half of random inputs. What does that
   mean for the memory a sparse format could save, and for the gradient of
   those units once we train (Module 05)?
"""
