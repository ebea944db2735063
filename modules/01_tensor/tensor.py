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
#     requires: []
#     points: 100
# ---

# %% [markdown]
"""
# Module 01: Tensor, the data structure everything else is made of

Every model in this course, from a one-neuron classifier to a small GPT,
is a chain of operations on **tensors**: n-dimensional arrays of numbers
with a shape and a dtype. In this module you build `Tensor`, the class the
rest of TinyTorch (and your own later modules) is written against. Its
names and behaviour follow PyTorch's `torch.Tensor`, so what you learn here
transfers directly.

## Learning objectives

By the end of this module you will be able to:

1. Create tensors and explain the **dtype rule** (why models use `float32`).
2. Implement element-wise arithmetic with **broadcasting**, on either side
   of a Python number or a NumPy array.
3. Implement **matrix multiplication** with a useful error for mismatched
   shapes, and say why it must not be written as Python loops.
4. Implement shape operations (`reshape`, `transpose`) as **views** that
   copy no data, and reductions (`sum`, `mean`, `max`) along an axis.
5. **Measure** the fixed per-operation cost of a Python wrapper around
   NumPy, and the speed of BLAS matrix multiplication.

## Prerequisites

- Python: classes, methods, `*args`, exceptions.
- NumPy basics: `np.array`, `.shape`, `.dtype`, slicing, `@`.
- No earlier TinyTorch module: this is the foundation.

## Where this code goes

You work in `modules/01_tensor/tensor.py`. The cells marked `#| export`
become `tinytorch/core/tensor.py` when you run `tito source export 01`
(or `tito module complete 01`); later modules then write

```python
from tinytorch.core.tensor import Tensor
```

## How to check your work

Run one test by executing its cell, all of them with
`pytest modules/01_tensor/tensor.py`, or the whole file as a script with
`python modules/01_tensor/tensor.py` (that also runs the systems analysis).
"""

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": false, "schema_version": 3, "solution": false}
#| default_exp core.tensor
#| export
from __future__ import annotations

import numpy as np


class TinyTorchError(Exception):
    """Base class of the errors TinyTorch raises for user mistakes."""


class ShapeError(TinyTorchError, ValueError):
    """Tensor shapes that do not fit the operation (also a ``ValueError``)."""


class AutogradNotEnabledError(TinyTorchError, RuntimeError):
    """``backward()`` was called before Module 05 (autograd) switched gradients on."""


# %% [markdown]
"""
## 1. What a tensor is

A tensor is a block of numbers plus two facts about it:

| fact | example | what it means |
|---|---|---|
| **shape** | `(32, 784)` | 32 rows (one per example) of 784 numbers (one per pixel) |
| **dtype** | `float32` | each number is a 4-byte floating-point value |

```
0-D  scalar   5.0                      shape ()
1-D  vector   [1., 2., 3.]             shape (3,)
2-D  matrix   [[1., 2., 3.],           shape (2, 3)
               [4., 5., 6.]]
3-D  a batch of matrices ...           shape (batch, rows, cols)
```

Our `Tensor` stores its numbers in a NumPy array, `tensor.data`. NumPy
already knows how to add, multiply and sum arrays quickly in C; `Tensor`
adds the things deep learning needs on top (a `requires_grad` flag and,
from Module 05 on, the record of how each tensor was computed, so that
gradients can flow back through it).

### The dtype rule

Deep-learning frameworks compute in 32-bit floats: half the memory of
NumPy's default `float64`, and on most hardware about twice the speed,
with more precision than training needs. TinyTorch follows PyTorch:

| you pass | the tensor's dtype |
|---|---|
| Python floats, or a float NumPy array (`float64`, `float16`, ...) | `float32` |
| Python ints | `int64` |
| an int NumPy array | unchanged (`int32` stays `int32`) |
| Python bools / a bool array | `bool` |
| anything, with `dtype=...` | exactly that dtype |
| a `Tensor` | its data, wrapped again |

Integer tensors are for **labels and indices** (class numbers, token ids);
only float tensors can ask for gradients, because a gradient says how a
value changes when it is nudged by a tiny amount, and integers cannot be
nudged.

### No copies

A `float32` NumPy array passed to `Tensor(...)` is **not copied**: the
tensor and the array share memory, exactly like `torch.from_numpy`. Copying
a 100 MB batch just to wrap it would waste both time and memory.
"""

# %% [markdown]
"""
## 2. The `Tensor` class and how we build it

The cell below is **given**: it declares the class, its storage slots and a
few conveniences (printing, `len`, converting back to NumPy). Its methods
are added one piece at a time in the cells after it, each followed by a
test, using plain assignment:

```python
def tensor_add(self, other):
    ...
Tensor.__add__ = tensor_add     # now `a + b` calls tensor_add(a, b)
```

In Python a method is just a function stored on the class, so writing
`Tensor.__add__ = tensor_add` is the same as writing the function inside
`class Tensor:`. (If you re-run the class cell, re-run the cells below it
too: re-running creates a brand-new, empty class.) Module 05 uses the same
mechanism to upgrade these methods so that they also record gradients.

Two helpers come with the class:

- `from_numpy(array)` wraps a NumPy array that an operation just produced,
  **as it is**: no dtype conversion, no copy. Your operations return
  `from_numpy(result)`. (Going through `Tensor(result)` again would waste
  time and would turn a deliberately `float64` result into `float32`.)
- `_as_array(other)` turns the *other* operand of an operation into
  something NumPy can use: a `Tensor` gives its `.data`; a Python number is
  passed through unchanged (NumPy then keeps the tensor's dtype, so
  `float32_tensor * 2.5` stays `float32`); anything else (lists, arrays)
  goes through the same dtype rule as `Tensor(...)`.

A few details of the given cell, for the curious:

- `__slots__` fixes the attributes every tensor has. That saves memory (no
  per-object dictionary) and makes creating a tensor faster; a model makes
  thousands of tensors per training step.
- `__array_ufunc__ = None` tells NumPy not to handle tensors itself, so
  `numpy_array + tensor` calls our `__radd__` and returns a `Tensor`.
- `__hash__ = object.__hash__` keeps tensors usable as dictionary keys even
  though `==` is redefined to compare element-wise (Module 05 keeps a
  dictionary of gradients keyed by tensor).
"""


# %% nbgrader={"grade": false, "grade_id": "tensor-class", "locked": true, "schema_version": 3, "solution": false}
#| export
class Tensor:
    """An n-dimensional array of numbers, with PyTorch's names and behaviour.

    ``Tensor(data, dtype=None, requires_grad=False)``: see the dtype rule in
    the module text. ``.data`` is the NumPy array holding the numbers.
    ``requires_grad`` marks a tensor whose gradient we will want (weights);
    ``grad`` holds that gradient (a NumPy array) once Module 05's
    ``backward()`` has computed it; ``grad_fn`` is the operation that
    produced this tensor (``None`` for tensors you created yourself).
    """

    __slots__ = ("data", "requires_grad", "grad", "grad_fn")
    __array_ufunc__ = None  # numpy_array + tensor -> Tensor.__radd__
    __hash__ = object.__hash__  # tensors are dict keys by identity

    @property
    def shape(self) -> tuple:
        """The size of each dimension, e.g. ``(32, 784)``."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """The number of dimensions (0 for a scalar)."""
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype of the elements, e.g. ``dtype('float32')``."""
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors you created (not produced by a tracked operation)."""
        return self.grad_fn is None

    @property
    def T(self) -> Tensor:
        """The matrix transpose: swaps the last two dimensions (a no-op below 2-D)."""
        return self if self.data.ndim < 2 else self.transpose(-2, -1)

    def numpy(self) -> np.ndarray:
        """The underlying NumPy array (shared, not copied), like ``torch.Tensor.numpy``."""
        return self.data

    def tolist(self):
        """The values as (nested) Python lists / numbers."""
        return self.data.tolist()

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Switch gradient tracking on (or off) for this tensor, in place; returns it."""
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"requires_grad=True needs a floating-point tensor, got dtype={self.data.dtype}; "
                "only floats can have gradients. Convert first: Tensor(x, dtype=np.float32)."
            )
        self.requires_grad = bool(requires_grad)
        return self

    def backward(self, gradient=None):
        """Compute gradients. Not available yet: Module 05 (autograd) installs it."""
        raise AutogradNotEnabledError(
            "backward() is not available yet: gradients arrive in Module 05 (autograd). "
            "Complete and export module 05 ('tito module complete 05'); importing "
            "tinytorch.core.autograd then switches gradient tracking on."
        )

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError(
                "len() of a 0-d tensor: a scalar has no length; use .item() for its value"
            )
        return self.data.shape[0]

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor: a scalar has no elements to loop over")
        return (self[i] for i in range(self.data.shape[0]))

    def __bool__(self) -> bool:
        return bool(self.data)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        if copy:
            return np.array(self.data, dtype=dtype, copy=True)
        return np.asarray(self.data, dtype=dtype)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extras = []
        if self.data.dtype not in (np.float32, np.int64, np.bool_):
            extras.append(f"dtype={self.data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{type(self.grad_fn).__name__}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body, *extras]) + ")"


_new_object = object.__new__
_PYTHON_NUMBERS = (int, float, bool)


def from_numpy(array) -> Tensor:
    """Wrap the NumPy result of an operation in a Tensor: no copy, dtype kept.

    The fast path every operation uses to return its result (``Tensor(...)``
    is for user data and applies the dtype rule). NumPy scalars, which
    NumPy returns for 0-d results, become 0-d arrays.
    """
    tensor = _new_object(Tensor)
    tensor.data = array if type(array) is np.ndarray else np.asarray(array)
    tensor.requires_grad = False
    tensor.grad = None
    tensor.grad_fn = None
    return tensor


def _as_array(value):
    """The other operand of an operation, ready for NumPy.

    A Tensor gives its ``.data``; a Python number stays a Python number
    (NumPy treats it as "weak", so ``float32_tensor * 2.5`` stays float32);
    anything else goes through the ``Tensor(...)`` dtype rule.
    """
    if isinstance(value, Tensor):
        return value.data
    if type(value) in _PYTHON_NUMBERS:  # exact types: np.float64 subclasses float
        return value
    return Tensor(value).data


# %% [markdown]
"""
## 3. Creating a tensor: `__init__`

`Tensor(data, dtype=None, requires_grad=False)` turns whatever the user
passes (a number, nested lists, a NumPy array, another `Tensor`) into a
NumPy array following the dtype rule, and sets up the gradient slots.

```
Tensor([[1, 2], [3, 4]])      ->  data int64,   shape (2, 2)
Tensor([0.5, 1.5])            ->  data float32, shape (2,)
Tensor(np.zeros(3))           ->  float64 array converted to float32
Tensor(f32_array)             ->  the same memory as f32_array (no copy)
Tensor([1, 2], dtype=np.float64)  ->  exactly float64
```

`np.asarray(data)` does the conversion without copying when it can;
`array.dtype.kind` is a one-letter code for the family of a dtype:
`"f"` float, `"i"` signed int, `"u"` unsigned int, `"b"` bool.
"""


# %% nbgrader={"grade": false, "grade_id": "tensor-init", "locked": false, "schema_version": 3, "solution": true}
#| export
def tensor_init(self, data, dtype=None, requires_grad=False):
    """Create a tensor from ``data`` (number, nested lists, ndarray or Tensor).

    TODO: Store the data as a NumPy array following the dtype rule, and set
    up the three gradient slots.

    APPROACH:
    1. If ``data`` is a Tensor, use its ``.data`` array instead.
    2. If ``dtype`` is given: ``np.asarray(data, dtype=dtype)``.
       Otherwise ``np.asarray(data)``, and if the result is floating point
       but not float32, convert it with ``.astype(np.float32)``.
    3. Reject anything that is not numbers (``dtype.kind`` not one of
       ``"b"``, ``"i"``, ``"u"``, ``"f"``): raise ``TypeError``.
    4. ``requires_grad=True`` is only allowed for floating-point data:
       raise ``TypeError`` otherwise (a gradient needs real numbers).
    5. Set ``self.data``, ``self.requires_grad`` (a bool),
       ``self.grad = None`` and ``self.grad_fn = None``.

    EXAMPLE:
    >>> Tensor([1.0, 2.0]).dtype
    dtype('float32')
    >>> Tensor([1, 2]).dtype
    dtype('int64')
    >>> Tensor([1, 2], dtype=np.float64).dtype
    dtype('float64')

    HINTS:
    - ``np.asarray`` returns its input unchanged when it is already an
      ndarray of the requested dtype: that is the no-copy case.
    - Error messages should say what was passed and how to fix it, e.g.
      ``f"... got dtype={array.dtype}"``.
    """
    ### BEGIN SOLUTION
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        array = np.asarray(data, dtype=dtype)
    else:
        array = np.asarray(data)
        if array.dtype.kind == "f" and array.dtype != np.float32:
            array = array.astype(np.float32)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"Tensor(data) needs numbers (bool, int or float), got data of dtype={array.dtype}; "
            "pass numbers, lists of numbers or a numeric NumPy array."
        )
    if requires_grad and array.dtype.kind != "f":
        raise TypeError(
            f"requires_grad=True needs floating-point data, got dtype={array.dtype}; "
            "only floats can have gradients. Pass float values or dtype=np.float32."
        )
    self.data = array
    self.requires_grad = bool(requires_grad)
    self.grad = None
    self.grad_fn = None
    ### END SOLUTION


Tensor.__init__ = tensor_init


# %% nbgrader={"grade": true, "grade_id": "test-tensor-init", "locked": true, "points": 10, "schema_version": 3, "solution": false}
def test_unit_tensor_init():
    """The dtype rule, no-copy wrapping, and the gradient slots."""
    floats = Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert isinstance(floats.data, np.ndarray), f"data must be an ndarray, got {type(floats.data)}"
    assert floats.shape == (2, 2) and floats.dtype == np.float32, (floats.shape, floats.dtype)
    np.testing.assert_array_equal(floats.data, [[1, 2], [3, 4]])

    assert Tensor(3.5).dtype == np.float32 and Tensor(3.5).shape == ()
    assert Tensor([1, 2, 3]).dtype == np.int64, "Python ints become int64"
    assert Tensor([True, False]).dtype == np.bool_, "bools stay bool"
    assert Tensor(np.arange(3, dtype=np.int32)).dtype == np.int32, "int arrays keep their dtype"
    assert Tensor(np.zeros(3)).dtype == np.float32, "float64 arrays become float32"
    assert Tensor([1, 2], dtype=np.float64).dtype == np.float64, "an explicit dtype wins"
    assert Tensor(np.ones(2), dtype=np.float64).dtype == np.float64

    # No copy for an ndarray that already has the right dtype.
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    shared = Tensor(array)
    assert np.shares_memory(shared.data, array), "a float32 array must be wrapped, not copied"
    wrapped = Tensor(shared)
    assert wrapped is not shared and np.shares_memory(wrapped.data, array), (
        "Tensor(tensor) wraps its data"
    )

    # Gradient slots.
    w = Tensor([0.5, -0.5], requires_grad=True)
    assert w.requires_grad is True and w.grad is None and w.grad_fn is None
    assert Tensor([1.0]).requires_grad is False
    for bad in (lambda: Tensor([1, 2], requires_grad=True), lambda: Tensor(["a", "b"])):
        try:
            bad()
        except TypeError:
            pass
        else:
            raise AssertionError(
                "integer data with requires_grad=True, and text data, must raise TypeError"
            )


if __name__ == "__main__":
    test_unit_tensor_init()

# %% [markdown]
"""
## 4. Asking a tensor about itself: `size`, `numel`, `item`

`shape`, `ndim` and `dtype` are given (they just read `self.data`). Three
more questions come up constantly:

| method | returns | example for `x` of shape `(2, 3)` |
|---|---|---|
| `x.size()` | the shape, like PyTorch's `size()` | `(2, 3)` |
| `x.size(dim)` | one dimension (negative counts from the end) | `x.size(-1) == 3` |
| `x.numel()` | the number of elements | `6` |
| `x.item()` | the single value of a one-element tensor, as a Python number | `loss.item()` |

`item()` is how you print a loss or record an accuracy; on a tensor with
more than one element it is a mistake, and should say so.
"""


# %% nbgrader={"grade": false, "grade_id": "tensor-info", "locked": false, "schema_version": 3, "solution": true}
#| export
def tensor_size(self, dim=None):
    """The shape (``dim=None``) or the size of one dimension.

    TODO: Return ``self.data.shape``, or ``self.data.shape[dim]`` when a
    dimension is given (negative ``dim`` counts from the end, as in Python).

    EXAMPLE:
    >>> Tensor([[1, 2, 3], [4, 5, 6]]).size(), Tensor([[1, 2, 3], [4, 5, 6]]).size(-1)
    ((2, 3), 3)
    """
    ### BEGIN SOLUTION
    if dim is None:
        return self.data.shape
    return self.data.shape[dim]
    ### END SOLUTION


def tensor_numel(self):
    """The number of elements (the product of the shape).

    TODO: Return it as a Python int.

    EXAMPLE:
    >>> Tensor([[1, 2, 3], [4, 5, 6]]).numel()
    6
    """
    ### BEGIN SOLUTION
    return int(self.data.size)
    ### END SOLUTION


def tensor_item(self):
    """The value of a one-element tensor as a Python number.

    TODO: Return ``self.data.item()``; raise ``ValueError`` with a helpful
    message when the tensor does not have exactly one element.

    EXAMPLE:
    >>> Tensor([[2.5]]).item()
    2.5

    HINT: Python numbers (``float``, ``int``, ``bool``) are what ``.item()``
    on a NumPy array returns.
    """
    ### BEGIN SOLUTION
    if self.data.size != 1:
        raise ValueError(
            f"item() needs a tensor with exactly one element, got shape={self.data.shape} "
            f"({self.data.size} elements); reduce it first (e.g. .sum()) or index one element."
        )
    return self.data.item()
    ### END SOLUTION


Tensor.size = tensor_size
Tensor.numel = tensor_numel
Tensor.item = tensor_item


# %% nbgrader={"grade": true, "grade_id": "test-tensor-info", "locked": true, "points": 5, "schema_version": 3, "solution": false}
def test_unit_tensor_info():
    """size(), size(dim), numel() and item()."""
    x = Tensor(np.zeros((2, 3, 4), dtype=np.float32))
    assert x.size() == (2, 3, 4), x.size()
    assert x.size(0) == 2 and x.size(-1) == 4 and x.size(1) == 3
    assert x.numel() == 24 and isinstance(x.numel(), int)
    assert Tensor(7.0).numel() == 1

    value = Tensor([[2.5]]).item()
    assert value == 2.5 and type(value) is float, (
        f"item() must return a Python float, got {value!r}"
    )
    assert Tensor(3).item() == 3 and type(Tensor(3).item()) is int
    try:
        Tensor([1.0, 2.0]).item()
    except ValueError:
        pass
    else:
        raise AssertionError("item() on a 2-element tensor must raise ValueError")


if __name__ == "__main__":
    test_unit_tensor_info()

# %% [markdown]
"""
## 5. Element-wise arithmetic and broadcasting

`a + b`, `a - b`, `a * b` and `a / b` work element by element. When the
shapes differ, NumPy **broadcasts**: it lines the shapes up from the right,
and a dimension of size 1 (or a missing one) is stretched to match, without
copying anything.

```
activations (32, 10)          (32, 10)
+ bias          (10,)   ->    (1, 10)  stretched over 32 rows  ->  (32, 10)

column (3, 1) * row (1, 4)  ->  (3, 4)   every pair multiplied
(3,) + (4,)                 ->  error: 3 and 4 cannot be lined up
```

Python decides which method runs for each operator:

| you write | Python calls |
|---|---|
| `a + b` | `a.__add__(b)` |
| `2 + a` (the left side is not a Tensor) | `a.__radd__(2)`, the *reflected* version |
| `2 - a` | `a.__rsub__(2)`: careful, that is `2 - a`, not `a - 2` |
| `-a` | `a.__neg__()` |
| `a ** 2` | `a.__pow__(2)` |

Every operation returns a **new** tensor and leaves its inputs unchanged.

About dtypes: NumPy treats Python numbers as "weak", so `float32 * 2.5`
stays `float32` (the same rule as PyTorch). That is why `_as_array` passes
Python numbers through untouched; a `float64` NumPy scalar such as
`np.sqrt(2.0)` would otherwise silently turn your `float32` model into
`float64`, so `_as_array` converts it with the dtype rule.
"""


# %% nbgrader={"grade": false, "grade_id": "tensor-arithmetic", "locked": false, "schema_version": 3, "solution": true}
#| export
def tensor_add(self, other):
    """``self + other``, element-wise with broadcasting.

    TODO: Add the two operands' arrays and wrap the result.

    APPROACH:
    1. ``_as_array(other)`` gives NumPy something it can add (a Tensor's
       data, a Python number, or a converted list/array).
    2. ``self.data + ...`` broadcasts for you.
    3. Return ``from_numpy(result)``.

    EXAMPLE:
    >>> (Tensor([[1.0, 2.0], [3.0, 4.0]]) + Tensor([10.0, 20.0])).data
    array([[11., 22.],
           [13., 24.]], dtype=float32)
    """
    ### BEGIN SOLUTION
    return from_numpy(self.data + _as_array(other))
    ### END SOLUTION


def tensor_radd(self, other):
    """``other + self`` when ``other`` is not a Tensor (e.g. ``1 + x``)."""
    ### BEGIN SOLUTION
    return from_numpy(_as_array(other) + self.data)
    ### END SOLUTION


def tensor_sub(self, other):
    """``self - other``, element-wise with broadcasting."""
    ### BEGIN SOLUTION
    return from_numpy(self.data - _as_array(other))
    ### END SOLUTION


def tensor_rsub(self, other):
    """``other - self`` (e.g. ``1 - x``): mind the order."""
    ### BEGIN SOLUTION
    return from_numpy(_as_array(other) - self.data)
    ### END SOLUTION


def tensor_mul(self, other):
    """``self * other``, element-wise (this is NOT matrix multiplication)."""
    ### BEGIN SOLUTION
    return from_numpy(self.data * _as_array(other))
    ### END SOLUTION


def tensor_rmul(self, other):
    """``other * self`` (e.g. ``0.5 * x``)."""
    ### BEGIN SOLUTION
    return from_numpy(_as_array(other) * self.data)
    ### END SOLUTION


def tensor_truediv(self, other):
    """``self / other``, element-wise true division."""
    ### BEGIN SOLUTION
    return from_numpy(self.data / _as_array(other))
    ### END SOLUTION


def tensor_rtruediv(self, other):
    """``other / self`` (e.g. ``1 / x``)."""
    ### BEGIN SOLUTION
    return from_numpy(_as_array(other) / self.data)
    ### END SOLUTION


def tensor_neg(self):
    """``-self``."""
    ### BEGIN SOLUTION
    return from_numpy(-self.data)
    ### END SOLUTION


def tensor_pow(self, exponent):
    """``self ** exponent`` for a number ``exponent`` (e.g. ``x ** 2``, ``x ** 0.5``).

    TODO: Raise each element to the power. A Tensor exponent is not
    supported: raise ``TypeError`` saying so.

    HINT: ``self.data ** exponent`` keeps float32 for a Python-number exponent.
    """
    ### BEGIN SOLUTION
    if isinstance(exponent, Tensor):
        raise TypeError(
            "x ** exponent supports a number exponent (x ** 2, x ** 0.5), got a Tensor; "
            "for a tensor-valued exponent write (exponent * x.log()).exp()."
        )
    return from_numpy(self.data**exponent)
    ### END SOLUTION


Tensor.__add__ = tensor_add
Tensor.__radd__ = tensor_radd
Tensor.__sub__ = tensor_sub
Tensor.__rsub__ = tensor_rsub
Tensor.__mul__ = tensor_mul
Tensor.__rmul__ = tensor_rmul
Tensor.__truediv__ = tensor_truediv
Tensor.__rtruediv__ = tensor_rtruediv
Tensor.__neg__ = tensor_neg
Tensor.__pow__ = tensor_pow


# %% nbgrader={"grade": true, "grade_id": "test-tensor-arithmetic", "locked": true, "points": 15, "schema_version": 3, "solution": false}
def test_unit_tensor_arithmetic():
    """+ - * / ** and unary -, with broadcasting, reflected operands and dtypes."""
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal((3, 4)).astype(np.float32)
    b_np = rng.standard_normal((4,)).astype(np.float32) + 3.0  # no zeros: we divide by it
    a, b = Tensor(a_np), Tensor(b_np)

    pairs = {
        "a + b": (a + b, a_np + b_np),
        "a - b": (a - b, a_np - b_np),
        "a * b": (a * b, a_np * b_np),
        "a / b": (a / b, a_np / b_np),
        "b - a": (b - a, b_np - a_np),
        "a + 2": (a + 2, a_np + 2),
        "2 + a": (2 + a, 2 + a_np),
        "a - 1.5": (a - 1.5, a_np - 1.5),
        "1.5 - a": (1.5 - a, 1.5 - a_np),
        "3 * a": (3 * a, 3 * a_np),
        "a * 3": (a * 3, a_np * 3),
        "a / 4": (a / 4, a_np / 4),
        "1 / b": (1 / b, 1 / b_np),
        "-a": (-a, -a_np),
        "b ** 2": (b**2, b_np**2),
        "b ** 0.5": (b**0.5, b_np**0.5),
        "ndarray + a": (b_np + a, b_np + a_np),
        "ndarray - a": (b_np - a, b_np - a_np),
        "a + list": (a + [1.0, 2.0, 3.0, 4.0], a_np + np.float32([1, 2, 3, 4])),
    }
    for name, (got, expected) in pairs.items():
        assert isinstance(got, Tensor), f"{name} must return a Tensor, got {type(got).__name__}"
        assert got.shape == expected.shape, f"{name}: shape {got.shape}, expected {expected.shape}"
        assert got.dtype == np.float32, f"{name}: dtype {got.dtype}, expected float32"
        np.testing.assert_allclose(got.data, expected, rtol=1e-6, err_msg=name)

    # Broadcasting (3, 1) with (1, 4) gives every pair.
    col, row = Tensor([[1.0], [2.0], [3.0]]), Tensor([[10.0, 20.0, 30.0, 40.0]])
    np.testing.assert_array_equal(
        (col * row).data, np.array([[1.0], [2.0], [3.0]]) * [10, 20, 30, 40]
    )
    # Inputs are left unchanged, integer tensors stay integer, float64 stays float64.
    np.testing.assert_array_equal(a.data, a_np)
    assert (Tensor([1, 2]) + 1).dtype == np.int64
    assert (Tensor([1.0], dtype=np.float64) * 2).dtype == np.float64
    assert (a * np.float64(2.0)).dtype == np.float32, (
        "a float64 NumPy scalar must not promote float32"
    )
    try:
        a ** Tensor(2.0)
    except TypeError:
        pass
    else:
        raise AssertionError("a Tensor exponent must raise TypeError")
    ### BEGIN HIDDEN TESTS
    np.testing.assert_array_equal((Tensor([3.0]) - Tensor([[1.0], [2.0]])).data, [[2.0], [1.0]])
    np.testing.assert_allclose((2.0 / Tensor([4.0, 8.0])).data, [0.5, 0.25])
    ### END HIDDEN TESTS


if __name__ == "__main__":
    test_unit_tensor_arithmetic()

# %% [markdown]
"""
## 6. Comparisons

`x > 0`, `x == y` and friends compare element-wise (with broadcasting) and
return a **bool tensor**, a mask you can multiply with (`x * (x > 0)` is
ReLU) or count (`(pred == labels).sum()` is the number of correct answers).

Because `==` now returns a tensor rather than `True`/`False`, Python would
normally make tensors unhashable; the class keeps `__hash__` as object
identity so tensors still work as dictionary keys.
"""


# %% nbgrader={"grade": false, "grade_id": "tensor-compare", "locked": false, "schema_version": 3, "solution": true}
#| export
def tensor_gt(self, other):
    """``self > other`` element-wise, as a bool tensor.

    TODO: Compare the arrays (``_as_array`` again) and wrap the bool result.
    The other five comparisons are the same with a different operator.

    EXAMPLE:
    >>> (Tensor([-1.0, 0.0, 2.0]) > 0).data
    array([False, False,  True])
    """
    ### BEGIN SOLUTION
    return from_numpy(self.data > _as_array(other))
    ### END SOLUTION


def tensor_lt(self, other):
    """``self < other`` element-wise."""
    ### BEGIN SOLUTION
    return from_numpy(self.data < _as_array(other))
    ### END SOLUTION


def tensor_ge(self, other):
    """``self >= other`` element-wise."""
    ### BEGIN SOLUTION
    return from_numpy(self.data >= _as_array(other))
    ### END SOLUTION


def tensor_le(self, other):
    """``self <= other`` element-wise."""
    ### BEGIN SOLUTION
    return from_numpy(self.data <= _as_array(other))
    ### END SOLUTION


def tensor_eq(self, other):
    """``self == other`` element-wise."""
    ### BEGIN SOLUTION
    return from_numpy(self.data == _as_array(other))
    ### END SOLUTION


def tensor_ne(self, other):
    """``self != other`` element-wise."""
    ### BEGIN SOLUTION
    return from_numpy(self.data != _as_array(other))
    ### END SOLUTION


Tensor.__gt__ = tensor_gt
Tensor.__lt__ = tensor_lt
Tensor.__ge__ = tensor_ge
Tensor.__le__ = tensor_le
Tensor.__eq__ = tensor_eq
Tensor.__ne__ = tensor_ne


# %% nbgrader={"grade": true, "grade_id": "test-tensor-compare", "locked": true, "points": 5, "schema_version": 3, "solution": false}
def test_unit_tensor_compare():
    """Comparisons return bool tensors; tensors stay hashable."""
    x_np = np.array([[-1.0, 0.0, 2.0], [3.0, -4.0, 0.5]], dtype=np.float32)
    x, y = Tensor(x_np), Tensor([0.0, 0.0, 2.0])
    for name, got, expected in [
        ("x > 0", x > 0, x_np > 0),
        ("x < 0", x < 0, x_np < 0),
        ("x >= y", x >= y, x_np >= np.float32([0, 0, 2])),
        ("x <= 0.5", x <= 0.5, x_np <= 0.5),
        ("x == y", x == y, x_np == np.float32([0, 0, 2])),
        ("x != y", x != y, x_np != np.float32([0, 0, 2])),
        ("0 < x", x > 0, x_np > 0),
    ]:
        assert isinstance(got, Tensor), f"{name} must return a Tensor"
        assert got.dtype == np.bool_, f"{name}: dtype {got.dtype}, expected bool"
        np.testing.assert_array_equal(got.data, expected, err_msg=name)
    assert (Tensor([1, 2, 3]) == Tensor([1, 5, 3])).data.tolist() == [True, False, True]
    table = {x: "x", y: "y"}
    assert table[x] == "x" and table[y] == "y", "tensors must stay usable as dict keys"


if __name__ == "__main__":
    test_unit_tensor_compare()

# %% [markdown]
"""
## 7. Matrix multiplication

`a @ b` (or `a.matmul(b)`) is the workhorse of deep learning: a linear
layer is `x @ W + b`, and attention is two matmuls. For `(M, K) @ (K, N)`
every output element is a dot product of a row of `a` with a column of `b`:

```
      K              N               N
  [ a a a ]      [ b b ]        [ c c ]
M [ a a a ]  @ K [ b b ]  =  M  [ c c ]     c[i, j] = sum_k a[i, k] * b[k, j]
                 [ b b ]
```

That is `2 * M * K * N` floating-point operations. Written as three nested
Python loops it runs at roughly a few million operations per second;
`np.matmul` calls BLAS, hand-tuned code that uses the CPU's vector units
and caches, and reaches tens of **billions** per second. The systems
analysis below measures the gap. Always call NumPy here.

Shapes follow `np.matmul`: two 2-D matrices as above; a 1-D vector on
either side acts as a row / column vector; extra leading dimensions are a
**batch** (`(B, M, K) @ (K, N)` multiplies each of the `B` matrices).

The most common bug in model code is a matmul whose inner dimensions do
not match. NumPy's message for it is cryptic (`matmul: Input operand 1 has
a mismatch in its core dimension 0 ...`), so when NumPy refuses, `matmul`
raises a `ShapeError` (a `ValueError`) that names both shapes and the fix.
It does not check *before* multiplying: matmul runs thousands of times
per second in training, and the check only needs to run when something is
already wrong ("easier to ask forgiveness than permission").
"""


# %% nbgrader={"grade": false, "grade_id": "tensor-matmul", "locked": false, "schema_version": 3, "solution": true}
#| export
def tensor_matmul(self, other):
    """Matrix product ``self @ other`` with ``np.matmul`` semantics.

    TODO: Multiply with NumPy; when the shapes do not fit, raise a
    ``ShapeError`` that says so in plain words.

    APPROACH:
    1. ``a = self.data``; ``b = _as_array(other)``.
    2. ``try: return from_numpy(a @ b)``: the common case costs nothing extra.
    3. ``except ValueError:`` NumPy refused the shapes. Work out why and
       raise ``ShapeError(...) from None``:
       - an operand with 0 dimensions (a scalar): say to use ``*``;
       - otherwise the inner sizes: ``a.shape[-1]`` against ``b.shape[-2]``
         (``b.shape[0]`` when ``b`` is 1-D); name both shapes;
       - if those match, the batch dimensions do not broadcast: say that.

    EXAMPLE:
    >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).matmul(Tensor([[5.0], [6.0]])).data
    array([[17.],
           [39.]], dtype=float32)

    HINTS:
    - "Try, and explain the failure" keeps the fast path free of checks;
      the checks run only when something is already wrong.
    - ``np.shape(b)`` works for numbers too (it is ``()``).
    - A good message: ``f"matmul: shapes {a.shape} @ {b.shape} do not fit:
      inner dimensions {k1} != {k2}"`` plus what to try (swap the operands,
      or transpose one of them with ``.T``).
    """
    ### BEGIN SOLUTION
    a, b = self.data, _as_array(other)
    try:
        return from_numpy(a @ b)
    except ValueError:
        shape_a, shape_b = np.shape(a), np.shape(b)
        if not shape_a or not shape_b:
            raise ShapeError(
                f"matmul needs tensors with at least 1 dimension, got shapes {shape_a} and "
                f"{shape_b}; for scaling by a number use * instead of @."
            ) from None
        inner_a = shape_a[-1]
        inner_b = shape_b[-2] if len(shape_b) >= 2 else shape_b[0]
        if inner_a != inner_b:
            raise ShapeError(
                f"matmul: shapes {shape_a} @ {shape_b} do not fit: inner dimensions "
                f"{inner_a} != {inner_b}. For (M, K) @ (K, N) both K's must be equal; "
                "check the order of the operands, or transpose one of them (x.T)."
            ) from None
        raise ShapeError(
            f"matmul: shapes {shape_a} @ {shape_b}: the batch dimensions {shape_a[:-2]} and "
            f"{shape_b[:-2]} do not broadcast."
        ) from None
    ### END SOLUTION


def tensor_matmul_op(self, other):
    """``self @ other``: the same as ``self.matmul(other)``."""
    return self.matmul(other)


def tensor_rmatmul(self, other):
    """``other @ self`` when ``other`` is a NumPy array or list."""
    return from_numpy(_as_array(other)).matmul(self)


Tensor.matmul = tensor_matmul
Tensor.__matmul__ = tensor_matmul_op
Tensor.__rmatmul__ = tensor_rmatmul


# %% nbgrader={"grade": true, "grade_id": "test-tensor-matmul", "locked": true, "points": 15, "schema_version": 3, "solution": false}
def test_unit_tensor_matmul():
    """Matrix, vector and batched products against NumPy, and the shape error."""
    rng = np.random.default_rng(1)
    a_np = rng.standard_normal((4, 3)).astype(np.float32)
    b_np = rng.standard_normal((3, 5)).astype(np.float32)
    a, b = Tensor(a_np), Tensor(b_np)

    out = a @ b
    assert isinstance(out, Tensor) and out.shape == (4, 5) and out.dtype == np.float32
    np.testing.assert_allclose(out.data, a_np @ b_np, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a.matmul(b).data, a_np @ b_np, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(
        (Tensor([[1.0, 2.0], [3.0, 4.0]]) @ Tensor([[5.0, 6.0], [7.0, 8.0]])).data,
        [[19, 22], [43, 50]],
    )

    v = rng.standard_normal(3).astype(np.float32)
    np.testing.assert_allclose(
        (a @ Tensor(v)).data, a_np @ v, rtol=1e-5, atol=1e-6
    )  # (4,3)@(3,) -> (4,)
    np.testing.assert_allclose(
        (Tensor(v) @ b).data, v @ b_np, rtol=1e-5, atol=1e-6
    )  # (3,)@(3,5) -> (5,)
    batch = rng.standard_normal((2, 4, 3)).astype(np.float32)
    np.testing.assert_allclose((Tensor(batch) @ b).data, batch @ b_np, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        (a_np @ b).data, a_np @ b_np, rtol=1e-5, atol=1e-6
    )  # ndarray @ Tensor

    try:
        a @ a
    except ShapeError as error:
        message = str(error)
        assert "(4, 3)" in message and "3" in message, (
            f"the message must name both shapes: {message}"
        )
    else:
        raise AssertionError("(4, 3) @ (4, 3) must raise ShapeError")
    assert issubclass(ShapeError, ValueError)
    try:
        Tensor(2.0) @ a
    except ShapeError:
        pass
    else:
        raise AssertionError("a 0-d tensor @ a matrix must raise ShapeError")


if __name__ == "__main__":
    test_unit_tensor_matmul()

# %% [markdown]
"""
## 8. Changing shape: `reshape`, `transpose`, `.T`

A NumPy array is a flat block of memory plus a **shape** and **strides**
(how many bytes to step to reach the next element along each dimension).

```
data in memory:   [0][1][2][3][4][5]

shape (2, 3), strides (12, 4):      shape (3, 2), strides (8, 4):
  [[0, 1, 2],                          [[0, 1],
   [3, 4, 5]]                           [2, 3],
                                        [4, 5]]
transpose of (2, 3): shape (3, 2), strides (4, 12)   -> [[0, 3], [1, 4], [2, 5]]
```

Reshaping a contiguous array and swapping two dimensions only change
shape and strides: they return **views** that share the same memory, so
they cost the same for 10 numbers and 10 million. (A later
`.reshape` of a transposed array may have to copy; NumPy decides.)

- `reshape(*shape)` accepts `x.reshape(2, 3)` and `x.reshape((2, 3))`,
  and one `-1` meaning "whatever size makes the element count match".
- `transpose(dim0=-2, dim1=-1)` swaps two dimensions (by default the last
  two, the matrix transpose); `.T` (given) calls it.
"""


# %% nbgrader={"grade": false, "grade_id": "tensor-shape", "locked": false, "schema_version": 3, "solution": true}
#| export
def tensor_reshape(self, *shape):
    """A view of the same elements with a new shape.

    TODO: Accept both ``reshape(2, 3)`` and ``reshape((2, 3))``, reshape the
    array, and turn NumPy's error for an impossible shape into a
    ``ShapeError`` that names the element count.

    APPROACH:
    1. If ``shape`` is a single tuple or list, unpack it.
    2. ``self.data.reshape(shape)`` inside ``try``; on ``ValueError`` raise
       ``ShapeError`` (``raise ... from None`` hides NumPy's traceback).
    3. Return ``from_numpy(...)``.

    EXAMPLE:
    >>> Tensor(np.arange(6)).reshape(2, -1).shape
    (2, 3)
    """
    ### BEGIN SOLUTION
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:
        return from_numpy(self.data.reshape(shape))
    except ValueError:
        raise ShapeError(
            f"reshape: cannot view shape={self.data.shape} ({self.data.size} elements) as {shape}; "
            "the new shape must have the same number of elements (use at most one -1)."
        ) from None
    ### END SOLUTION


def tensor_transpose(self, dim0=-2, dim1=-1):
    """Swap dimensions ``dim0`` and ``dim1`` (a view, no copy).

    TODO: Swap the axes of the array (``ndarray.swapaxes``) and wrap the result.

    EXAMPLE:
    >>> Tensor(np.zeros((2, 3, 4))).transpose(0, 2).shape
    (4, 3, 2)

    HINT: the method ``self.data.swapaxes(...)`` does the same as the
    function ``np.swapaxes(self.data, ...)`` with less Python around it.
    """
    ### BEGIN SOLUTION
    return from_numpy(self.data.swapaxes(dim0, dim1))
    ### END SOLUTION


Tensor.reshape = tensor_reshape
Tensor.transpose = tensor_transpose


# %% nbgrader={"grade": true, "grade_id": "test-tensor-shape", "locked": true, "points": 10, "schema_version": 3, "solution": false}
def test_unit_tensor_shape():
    """reshape (tuple, varargs, -1, errors), transpose and .T, as views."""
    base = np.arange(24, dtype=np.float32)
    x = Tensor(base)
    for args, expected in [
        ((4, 6), (4, 6)),
        (((2, 3, 4),), (2, 3, 4)),
        (([6, 4],), (6, 4)),
        ((3, -1), (3, 8)),
    ]:
        out = x.reshape(*args)
        assert isinstance(out, Tensor) and out.shape == expected, f"reshape{args} -> {out.shape}"
        np.testing.assert_array_equal(out.data, base.reshape(expected))
    assert np.shares_memory(x.reshape(4, 6).data, base), (
        "reshape of a contiguous tensor must be a view"
    )
    try:
        x.reshape(5, 5)
    except ShapeError as error:
        assert "24" in str(error), f"the message should give the element count: {error}"
    else:
        raise AssertionError("reshape(5, 5) of 24 elements must raise ShapeError")

    cube_np = base.reshape(2, 3, 4)
    cube = Tensor(cube_np)
    np.testing.assert_array_equal(cube.transpose().data, np.swapaxes(cube_np, -2, -1))
    np.testing.assert_array_equal(cube.transpose(0, 2).data, np.swapaxes(cube_np, 0, 2))
    assert cube.transpose(0, 1).shape == (3, 2, 4)
    assert np.shares_memory(cube.transpose(0, 2).data, base), "transpose must be a view"
    m = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert m.T.shape == (3, 2)
    np.testing.assert_array_equal(m.T.data, [[1, 4], [2, 5], [3, 6]])


if __name__ == "__main__":
    test_unit_tensor_shape()

# %% [markdown]
"""
## 9. Reductions: `sum`, `mean`, `max`

A reduction collapses one or more dimensions into one number per remaining
position. `axis` says which dimension(s) disappear; `keepdims=True` keeps
them with size 1, which is exactly the shape that broadcasts back against
the input:

```
x: shape (2, 3)      [[1, 2, 3],
                      [4, 5, 6]]
x.sum()                      -> 21                        shape ()
x.sum(axis=0)                -> [5, 7, 9]                 shape (3,)
x.sum(axis=1)                -> [6, 15]                   shape (2,)
x.sum(axis=1, keepdims=True) -> [[6], [15]]               shape (2, 1)
x - x.max(axis=1, keepdims=True)   (2, 3) - (2, 1): subtract each row's max
```

That last line is how softmax avoids overflow (Module 02). The names follow
NumPy (`axis`, `keepdims`); PyTorch calls them `dim` and `keepdim`.
"""


# %% nbgrader={"grade": false, "grade_id": "tensor-reductions", "locked": false, "schema_version": 3, "solution": true}
#| export
def tensor_sum(self, axis=None, keepdims=False):
    """Sum of the elements, over all of them (``axis=None``) or along ``axis``.

    TODO: Call the matching NumPy method on ``self.data`` with ``axis`` and
    ``keepdims``, and wrap the result (NumPy returns a scalar for a full
    reduction; ``from_numpy`` turns it into a 0-d array). ``mean`` and
    ``max`` are the same with another NumPy method.

    EXAMPLE:
    >>> Tensor([[1, 2, 3], [4, 5, 6]]).sum(axis=0).data
    array([5, 7, 9])
    """
    ### BEGIN SOLUTION
    return from_numpy(self.data.sum(axis=axis, keepdims=keepdims))
    ### END SOLUTION


def tensor_mean(self, axis=None, keepdims=False):
    """Mean of the elements, over all of them or along ``axis``."""
    ### BEGIN SOLUTION
    return from_numpy(self.data.mean(axis=axis, keepdims=keepdims))
    ### END SOLUTION


def tensor_max(self, axis=None, keepdims=False):
    """Largest element, over all of them or along ``axis`` (values only)."""
    ### BEGIN SOLUTION
    return from_numpy(self.data.max(axis=axis, keepdims=keepdims))
    ### END SOLUTION


Tensor.sum = tensor_sum
Tensor.mean = tensor_mean
Tensor.max = tensor_max


# %% nbgrader={"grade": true, "grade_id": "test-tensor-reductions", "locked": true, "points": 10, "schema_version": 3, "solution": false}
def test_unit_tensor_reductions():
    """sum / mean / max over everything, one axis, several axes, with keepdims."""
    rng = np.random.default_rng(2)
    x_np = rng.standard_normal((2, 3, 4)).astype(np.float32)
    x = Tensor(x_np)
    for name in ("sum", "mean", "max"):
        reference = getattr(x_np, name)
        for axis in (None, 0, 1, -1, (0, 2)):
            for keepdims in (False, True):
                got = getattr(x, name)(axis=axis, keepdims=keepdims)
                expected = reference(axis=axis, keepdims=keepdims)
                where = f"{name}(axis={axis}, keepdims={keepdims})"
                assert isinstance(got, Tensor), f"{where} must return a Tensor"
                assert isinstance(got.data, np.ndarray), (
                    f"{where}: .data must be an ndarray, not {type(got.data)}"
                )
                assert got.shape == np.shape(expected), (
                    f"{where}: shape {got.shape}, expected {np.shape(expected)}"
                )
                assert got.dtype == np.float32, f"{where}: dtype {got.dtype}"
                np.testing.assert_allclose(got.data, expected, rtol=1e-5, atol=1e-6, err_msg=where)
    assert x.sum(1).shape == (2, 4), "axis is the first positional argument"
    assert Tensor([[1, 2, 3], [4, 5, 6]]).sum().item() == 21


if __name__ == "__main__":
    test_unit_tensor_reductions()

# %% [markdown]
"""
## 10. Element-wise math: `exp`, `log`, `sqrt`

The building blocks of softmax, cross-entropy and normalisation. Each is
one NumPy call; the values outside a function's domain follow NumPy (and
PyTorch): `log(0)` is `-inf`, `sqrt(-1)` is `nan` (NumPy also warns).
"""


# %% nbgrader={"grade": false, "grade_id": "tensor-math", "locked": false, "schema_version": 3, "solution": true}
#| export
def tensor_exp(self):
    """e raised to each element.

    TODO: ``np.exp`` of the data, wrapped. ``log`` and ``sqrt`` likewise.
    """
    ### BEGIN SOLUTION
    return from_numpy(np.exp(self.data))
    ### END SOLUTION


def tensor_log(self):
    """Natural logarithm of each element."""
    ### BEGIN SOLUTION
    return from_numpy(np.log(self.data))
    ### END SOLUTION


def tensor_sqrt(self):
    """Square root of each element."""
    ### BEGIN SOLUTION
    return from_numpy(np.sqrt(self.data))
    ### END SOLUTION


Tensor.exp = tensor_exp
Tensor.log = tensor_log
Tensor.sqrt = tensor_sqrt


# %% nbgrader={"grade": true, "grade_id": "test-tensor-math", "locked": true, "points": 5, "schema_version": 3, "solution": false}
def test_unit_tensor_math():
    """exp, log and sqrt against NumPy, keeping float32."""
    x_np = np.array([[0.5, 1.0, 2.0], [3.0, 0.25, 9.0]], dtype=np.float32)
    x = Tensor(x_np)
    for name, function in (("exp", np.exp), ("log", np.log), ("sqrt", np.sqrt)):
        got = getattr(x, name)()
        assert isinstance(got, Tensor) and got.dtype == np.float32, f"{name}: {type(got)}"
        np.testing.assert_allclose(got.data, function(x_np), rtol=1e-6, err_msg=name)
    np.testing.assert_allclose(x.exp().log().data, x_np, rtol=1e-6)


if __name__ == "__main__":
    test_unit_tensor_math()

# %% [markdown]
"""
## 11. Indexing: `x[...]`

Indexing follows NumPy, so everything you know about slicing arrays works:

| index | meaning | result shares memory? |
|---|---|---|
| `x[0]`, `x[1:3]`, `x[:, -1]`, `x[..., ::2]` | basic indexing | yes, a view |
| `x[[0, 2, 2]]`, `x[np.arange(4), labels]` | integer-array ("fancy") indexing | no, a copy |
| `x[x > 0]` | a bool mask | no, a copy |

The second row is how cross-entropy picks each example's score for its
correct class: `logits[np.arange(batch), labels]`. An index may itself be a
`Tensor` (of ints or bools): use its `.data`, also inside a tuple.
"""


# %% nbgrader={"grade": false, "grade_id": "tensor-getitem", "locked": false, "schema_version": 3, "solution": true}
#| export
def tensor_getitem(self, key):
    """``self[key]`` with NumPy's indexing rules; Tensor indices allowed.

    TODO: Replace a Tensor ``key`` (or Tensors inside a tuple ``key``) by
    their ``.data``, index ``self.data``, and wrap the result.

    EXAMPLE:
    >>> Tensor([[1, 2], [3, 4], [5, 6]])[Tensor([2, 0]), 1].data
    array([6, 2])
    """
    ### BEGIN SOLUTION
    if isinstance(key, Tensor):
        key = key.data
    elif isinstance(key, tuple):
        key = tuple(k.data if isinstance(k, Tensor) else k for k in key)
    return from_numpy(self.data[key])
    ### END SOLUTION


Tensor.__getitem__ = tensor_getitem


# %% nbgrader={"grade": true, "grade_id": "test-tensor-getitem", "locked": true, "points": 10, "schema_version": 3, "solution": false}
def test_unit_tensor_getitem():
    """Basic, integer-array, mask and Tensor indices against NumPy."""
    x_np = np.arange(12, dtype=np.float32).reshape(3, 4)
    x = Tensor(x_np)
    labels = np.array([3, 0, 1])
    for name, key in [
        ("x[1]", 1),
        ("x[-1]", -1),
        ("x[1:3]", slice(1, 3)),
        ("x[:, -1]", (slice(None), -1)),
        ("x[..., ::2]", (Ellipsis, slice(None, None, 2))),
        ("x[[0, 2, 2]]", [0, 2, 2]),
        ("x[arange, labels]", (np.arange(3), labels)),
        ("x[mask]", x_np > 5),
    ]:
        got = x[key]
        assert isinstance(got, Tensor) and isinstance(got.data, np.ndarray), (
            f"{name} must return a Tensor"
        )
        np.testing.assert_array_equal(got.data, x_np[key], err_msg=name)
    np.testing.assert_array_equal(
        x[Tensor(np.arange(3)), Tensor(labels)].data, x_np[np.arange(3), labels]
    )
    np.testing.assert_array_equal(x[Tensor([2, 0])].data, x_np[[2, 0]])
    np.testing.assert_array_equal(x[x > 5].data, x_np[x_np > 5])
    assert x[1, 2].shape == () and x[1, 2].item() == 6.0
    assert np.shares_memory(x[1:3].data, x_np), "basic slicing must be a view"
    assert [row.shape for row in x] == [(4,)] * 3, "iterating a tensor gives its rows"


if __name__ == "__main__":
    test_unit_tensor_getitem()

# %% [markdown]
"""
## 12. Systems analysis: what does the wrapper cost?

Your `Tensor` calls NumPy for every operation, plus a little Python around
it: a method call, `_as_array`, creating the result object. That Python
work takes about the same time whatever the tensor size, so it matters for
small tensors and vanishes for large ones. The functions below **measure**
it on your machine (they run when you execute this file as a script, not
during the tests):

1. `analyze_op_overhead`: `x + y` through `Tensor` versus plain NumPy,
   across sizes.
2. `analyze_matmul_scaling`: matmul speed in GFLOP/s as matrices grow,
   and a pure-Python triple loop for comparison.
3. `analyze_memory`: bytes per element by dtype, views versus copies, and
   the size of a `Tensor` object itself.

For stable numbers, pin NumPy's BLAS to one thread before starting Python:
`OPENBLAS_NUM_THREADS=1 python modules/01_tensor/tensor.py`.
"""

# %% nbgrader={"grade": false, "grade_id": "analysis", "locked": true, "schema_version": 3, "solution": false}
import functools  # noqa: E402  (analysis only: not exported)
import operator  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402


def _best_time(function, repeat=5, number=None):
    """The fastest of ``repeat`` timings of ``function()``, in seconds per call."""
    if number is None:  # aim for ~20 ms per timing
        start = time.perf_counter()
        function()
        once = max(time.perf_counter() - start, 1e-7)
        number = max(1, min(100_000, int(0.02 / once)))
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            function()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def analyze_op_overhead(sizes=(1, 100, 10_000, 1_000_000)):
    """Time ``x + y`` with Tensors and with NumPy arrays; print the table."""
    print("\nPer-operation cost of the Tensor wrapper (x + y, float32)")
    print(f"{'elements':>10} {'NumPy us':>10} {'Tensor us':>10} {'overhead us':>12} {'ratio':>7}")
    for n in sizes:
        a = np.random.default_rng(0).standard_normal(n).astype(np.float32)
        b = a.copy()
        ta, tb = Tensor(a), Tensor(b)
        t_numpy = _best_time(functools.partial(np.add, a, b))
        t_tensor = _best_time(functools.partial(operator.add, ta, tb))
        print(
            f"{n:>10,} {t_numpy * 1e6:>10.2f} {t_tensor * 1e6:>10.2f} "
            f"{(t_tensor - t_numpy) * 1e6:>12.2f} {t_tensor / t_numpy:>6.2f}x"
        )
    print("The overhead is a fixed cost per call: large tensors hide it, tiny ones do not.")


def _matmul_loops(a, b):
    """Textbook matmul in pure Python, for comparison only."""
    rows, inner, cols = len(a), len(b), len(b[0])
    out = [[0.0] * cols for _ in range(rows)]
    for i in range(rows):
        for k in range(inner):
            a_ik, b_k, out_i = a[i][k], b[k], out[i]
            for j in range(cols):
                out_i[j] += a_ik * b_k[j]
    return out


def analyze_matmul_scaling(sizes=(64, 128, 256, 512), loop_size=48):
    """Matmul time and GFLOP/s as n grows; Python loops at a small n."""
    print("\nMatrix multiplication (n x n) @ (n x n), float32")
    print(f"{'n':>6} {'time ms':>10} {'GFLOP/s':>9} {'memory MiB':>11}")
    rng = np.random.default_rng(0)
    for n in sizes:
        a = Tensor(rng.standard_normal((n, n)).astype(np.float32))
        b = Tensor(rng.standard_normal((n, n)).astype(np.float32))
        seconds = _best_time(functools.partial(operator.matmul, a, b), repeat=3)
        mib = 3 * n * n * 4 / 2**20
        print(f"{n:>6} {seconds * 1e3:>10.3f} {2 * n**3 / seconds / 1e9:>9.1f} {mib:>11.2f}")
    a_np = rng.standard_normal((loop_size, loop_size))
    lists = a_np.tolist()
    t_loops = _best_time(lambda: _matmul_loops(lists, lists), repeat=3, number=1)
    t_blas = _best_time(lambda: a_np @ a_np, repeat=3)
    print(
        f"n={loop_size}: Python loops {t_loops * 1e3:.2f} ms, NumPy {t_blas * 1e6:.1f} us "
        f"-> loops are {t_loops / t_blas:,.0f}x slower"
    )
    print("Time grows like n^3 (8x per doubling); GFLOP/s rises until the vector units are busy.")


def analyze_memory(n=1_000_000):
    """Bytes per dtype, views versus copies, and the size of a Tensor object."""
    print(f"\nMemory of {n:,} elements")
    for dtype in (np.float64, np.float32, np.float16, np.int64, np.bool_):
        nbytes = Tensor(np.zeros(n, dtype=dtype), dtype=dtype).data.nbytes
        print(
            f"  {np.dtype(dtype).name:>8}: {nbytes / 2**20:6.2f} MiB ({nbytes // n} bytes/element)"
        )
    x = Tensor(np.zeros((1000, n // 1000), dtype=np.float32))
    for name, operation in [
        ("reshape", lambda: x.reshape(-1)),
        ("transpose", lambda: x.T),
        ("x[10:20]", lambda: x[10:20]),
        ("x + 1", lambda: x + 1),
        ("x[[1, 2]]", lambda: x[[1, 2]]),
    ]:
        tracemalloc.start()
        result = operation()
        allocated = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        view = np.shares_memory(result.data, x.data)
        print(
            f"  {name:>10}: {'view' if view else 'copy':>4}, {allocated / 1024:9.1f} KiB allocated"
        )
    print(
        f"  one Tensor object: {sys.getsizeof(from_numpy(np.zeros(1)))} bytes "
        f"(+ {sys.getsizeof(np.zeros(0))} bytes of ndarray header + the data)"
    )


if __name__ == "__main__":
    analyze_op_overhead()
    analyze_matmul_scaling()
    analyze_memory()

# %% [markdown]
"""
## 13. Putting it together

`test_module` runs the forward pass of a small two-layer network using only
what you built, and checks it against the same computation in NumPy: a
linear layer (`x @ W + b`), ReLU as a mask (`h * (h > 0)`), a second layer,
and a numerically stable softmax from `max`, `exp` and `sum`. This is what
Modules 02 to 04 package as classes.
"""


# %% nbgrader={"grade": true, "grade_id": "test-module", "locked": true, "points": 15, "schema_version": 3, "solution": false}
def test_module():
    """A 2-layer network forward pass built from Tensor operations matches NumPy."""
    rng = np.random.default_rng(42)
    x_np = rng.standard_normal((8, 5)).astype(np.float32)
    w1_np = rng.standard_normal((5, 16)).astype(np.float32) * 0.5
    b1_np = rng.standard_normal(16).astype(np.float32)
    w2_np = rng.standard_normal((16, 3)).astype(np.float32) * 0.5
    b2_np = np.zeros(3, dtype=np.float32)

    x, w1, b1, w2, b2 = (Tensor(a) for a in (x_np, w1_np, b1_np, w2_np, b2_np))
    h = x @ w1 + b1
    h = h * (h > 0)
    logits = h @ w2 + b2
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = shifted.exp()
    probs = exp / exp.sum(axis=1, keepdims=True)
    labels = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    loss = -(probs[np.arange(8), labels].log()).mean()

    h_np = np.maximum(x_np @ w1_np + b1_np, 0)
    logits_np = h_np @ w2_np + b2_np
    e = np.exp(logits_np - logits_np.max(axis=1, keepdims=True))
    probs_np = e / e.sum(axis=1, keepdims=True)
    loss_np = -np.log(probs_np[np.arange(8), labels]).mean()

    assert probs.shape == (8, 3) and probs.dtype == np.float32, (probs.shape, probs.dtype)
    np.testing.assert_allclose(probs.data, probs_np, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(probs.sum(axis=1).data, np.ones(8), rtol=1e-5)
    assert loss.shape == () and loss.dtype == np.float32
    np.testing.assert_allclose(loss.item(), loss_np, rtol=1e-5)
    assert repr(Tensor([1.0, 2.0], requires_grad=True)) == "tensor([1., 2.], requires_grad=True)"
    try:
        loss.backward()
    except (
        RuntimeError
    ) as error:  # gradients are not switched on yet: the message says where they come from
        assert "Module 05" in str(error), str(error)
    else:
        raise AssertionError("backward() must raise until Module 05 enables autograd")


if __name__ == "__main__":
    test_module()
    print("\nAll Module 01 tests passed.")

# %% [markdown]
"""
## Reflection

1. `Tensor(np_array)` does not copy a `float32` array. Name one bug this
   can cause (hint: change the array after creating the tensor) and one
   reason frameworks accept that risk.
2. In `analyze_op_overhead`, at what size did the Tensor wrapper's cost
   stop mattering on your machine? A training step of a small MLP makes
   about 20 tensor operations on `(32, 128)` arrays: estimate how much of
   its time is Python overhead.
3. `float32 * 2.5` stays `float32`, but `float32 * np.float64(2.5)` would
   become `float64` in plain NumPy 2. Why does a framework care, and where
   did your code prevent it?
4. The pure-Python matmul was thousands of times slower than NumPy. Which
   part of that gap is the interpreter, and which part is BLAS using the
   CPU's vector units and caches? (Try `n=48` with NumPy on Python lists.)
5. `transpose` is free but a later `reshape` of the transposed tensor may
   copy. Why? (Think about strides.)
"""
