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
#     requires: [1, 2]
#     points: 85
# ---

# %% [markdown]
"""
# Module 03: Layers - parameters, modules and the Linear layer

Module 02 gave you activations: functions with nothing to learn. This module
adds the pieces that *do* learn. A **parameter** is a tensor whose numbers
training will adjust; a **layer** owns some parameters and uses them in its
`forward`; a **model** is layers inside layers. You will build the same
skeleton PyTorch uses:

```
Module                 the base class: finds its parameters, switches train/eval
 |- Linear             y = x @ W.T + b        (the fully connected layer)
 |- Dropout            randomly zeroes inputs while training
 '- Sequential         runs layers one after the other
```

## Learning objectives

1. Explain what a parameter is and why a model must be able to list all of
   its parameters (the optimizer in a later module updates exactly those).
2. Implement `Module.named_parameters()` that *discovers* parameters by
   walking a model's attributes, including nested modules and lists of
   modules, without counting a shared parameter twice.
3. Implement `Linear` with PyTorch's weight layout and initialisation, and
   explain why the scale of the initial weights matters.
4. Implement inverted `Dropout` and the `train()` / `eval()` switch.
5. Measure how parameter memory and forward time grow with layer size.

## Prerequisites

- **Module 01 (Tensor)**: `Tensor`, `@`, `+`, `.T`, `.shape`, `.dtype`,
  `.grad`, `.requires_grad`.
- **Module 02 (Activations)**: `ReLU`, `Tanh`, `Softmax`; a `Sequential`
  model mixes them with layers.
- Python classes: inheritance, `super().__init__()`, `vars(obj)` (the
  dictionary of an object's attributes) and generator functions (`yield`).

## Where this code lives

`tito source export 03` copies the `#| export` cells to
`tinytorch/core/layers.py`:

```python
from tinytorch.core.layers import Module, Parameter, Linear, Dropout, Sequential
```
"""

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": false, "schema_version": 3, "solution": false}
#| default_exp core.layers
#| export
import math

import numpy as np

from tinytorch.core.tensor import ShapeError, Tensor

# %% [markdown]
"""
## 1. What is a parameter?

A `Linear` layer computes `y = x @ W.T + b`. The input `x` changes with every
batch; `W` and `b` stay with the layer and are what training changes, a
little after every batch, until the outputs are good. Tensors like `W` and
`b` are the layer's **parameters**. A model with one hidden layer of 128
units on 784-pixel images has about 100,000 of them; GPT-3 has 175 billion.

An optimizer needs the list of *all* parameters of a model. We could ask
every layer author to maintain that list by hand, but people forget; PyTorch
instead marks parameters with a type, `nn.Parameter`, and finds them by
itself. We do the same:

- `Parameter` is a `Tensor` subclass, so it works everywhere a `Tensor`
  does (`x @ layer.weight.T`), always with `requires_grad=True` and
  `float32`.
- `Module.named_parameters()` looks through the module's attributes and
  returns every `Parameter`, and every parameter of every sub-module.

Why a type and not simply "every tensor with `requires_grad=True`"? Because
the two questions differ. Freezing a layer (`weight.requires_grad = False`,
common when fine-tuning) must not make its weight vanish from the model's
parameter list, or saving and loading the model would silently drop it; and
a layer that keeps some other tensor that needs gradients (say, a cached
input) must not suddenly acquire a new "parameter". The type says what the
tensor *is*; the flag says what we currently do with it.
"""


# %% nbgrader={"grade": false, "grade_id": "parameter", "locked": true, "schema_version": 3, "solution": false}
#| export
class Parameter(Tensor):
    """A Tensor that is a learnable part of a Module (PyTorch: ``torch.nn.Parameter``).

    Always float32 (other numbers are converted) and ``requires_grad=True``
    unless told otherwise. Modules find their parameters by this type.
    """

    __slots__ = ()  # like Tensor: no per-object __dict__

    def __init__(self, data, requires_grad: bool = True) -> None:
        if isinstance(data, Tensor):
            data = data.data
        super().__init__(data, dtype=np.float32, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


def _check_positive_int(owner: str, name: str, value) -> None:
    """Raise a clear error unless ``value`` is a positive int (bools are not sizes)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(
            f"{owner}: {name}={value!r} must be a positive int, got {type(value).__name__}"
        )
    if value <= 0:
        raise ValueError(f"{owner}: {name}={value!r} must be a positive int (a number of features)")


def _attribute_items(module):
    """Yield ``(name, value)`` for each attribute of ``module``, one level into lists,
    tuples and dicts: ``self.blocks = [a, b]`` yields ``("blocks.0", a)``, ``("blocks.1", b)``.
    """
    for name, value in vars(module).items():
        if isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                yield f"{name}.{i}", item
        elif isinstance(value, dict):
            for key, item in value.items():
                yield f"{name}.{key}", item
        else:
            yield name, value


# %% [markdown]
"""
## 2. The Module base class

Every layer and every model is a `Module`. The base class gives them all:

| method | what it does |
|---|---|
| `forward(x)` | the computation; each subclass writes its own |
| `module(x)` | calls `forward` (`__call__`), so models look like functions |
| `named_children()` | the direct sub-modules, with attribute names |
| `named_modules()` | this module and every module inside it, at any depth |
| `named_parameters()` | every `Parameter` in the tree, named like `"encoder.0.weight"` |
| `parameters()` | the same without names, for optimizers |
| `train()` / `eval()` | set the `training` flag on every module in the tree |
| `zero_grad()` | forget all parameter gradients (`p.grad = None`) |

**Finding things.** The given helper `_attribute_items(module)` lists a
module's attributes as `(name, value)` pairs and looks one level into lists,
tuples and dicts, so `self.blocks = [Linear(..), Linear(..)]` shows up as
`("blocks.0", ...)`, `("blocks.1", ...)`. You filter those pairs by type.

**The same object twice.** A model may use one layer in two places (weight
sharing), or two attributes may point at the same module. It must still be
counted once, or the optimizer would update it twice per step. Remember the
`id(...)` of everything you have already yielded in a `set` and skip
repeats. The set also stops an endless walk if a module refers back to its
parent.

**Training vs evaluation.** Some layers behave differently while training
(Dropout drops units only then). `train()` and `eval()` set a `training`
flag on *every* module of the tree, so calling `model.eval()` once is
enough.
"""


# %% nbgrader={"grade": false, "grade_id": "module-class", "locked": false, "schema_version": 3, "solution": true}
#| export
class Module:
    """Base class for layers and models (PyTorch: ``torch.nn.Module``).

    Subclasses call ``super().__init__()``, store their Parameters and
    sub-modules as attributes (directly or in lists / tuples / dicts), and
    implement ``forward``.
    """

    training = True  # class default, so a subclass that forgets super().__init__() still works

    def __init__(self) -> None:
        self.training = True

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def named_children(self):
        """Yield ``(name, module)`` for each direct sub-module, each module once.

        TODO: go through _attribute_items(self) and yield the values that are
        Modules, skipping any module object you have already yielded.

        APPROACH:
        1. seen = set() of id(...) of the modules yielded so far.
        2. For each (name, value) from _attribute_items(self): if value is a
           Module whose id is not in seen, add it and yield (name, value).

        HINTS:
        - isinstance(value, Module) is True for Linear, Sequential, ...
        - This is a generator: use `yield`, not `return [...]`.

        EXAMPLE:
        >>> class Net(Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc = Linear(2, 3)
        ...         self.blocks = [Linear(3, 3), Dropout()]
        >>> [name for name, _ in Net().named_children()]
        ['fc', 'blocks.0', 'blocks.1']
        """
        ### BEGIN SOLUTION
        seen = set()
        for name, value in _attribute_items(self):
            if isinstance(value, Module) and id(value) not in seen:
                seen.add(id(value))
                yield name, value
        ### END SOLUTION

    def children(self):
        """The direct sub-modules (see ``named_children``)."""
        return (module for _, module in self.named_children())

    def named_modules(self, prefix: str = "", memo: set | None = None):
        """Yield ``(name, module)`` for this module and every module inside it, each once.

        TODO: yield (prefix, self) first, then walk every child recursively,
        extending the prefix with the child's name ("encoder" + "." + "0").

        APPROACH:
        1. memo is the set of id(...) already yielded; create it if it is None.
        2. If id(self) is already in memo, stop (return). Otherwise add it and
           yield (prefix, self).
        3. For each (name, child) in self.named_children(): build the child's
           full name (just `name` if prefix is empty, else prefix + "." + name)
           and `yield from child.named_modules(full_name, memo)`.

        HINTS:
        - Pass the *same* memo set down the recursion: that is what makes a
          module shared by two parents appear only once.

        EXAMPLE:
        >>> model = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
        >>> [name for name, _ in model.named_modules()]
        ['', 'layers.0', 'layers.2']
        """
        ### BEGIN SOLUTION
        if memo is None:
            memo = set()
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name, memo)
        ### END SOLUTION

    def modules(self):
        """This module and every module inside it (see ``named_modules``)."""
        return (module for _, module in self.named_modules())

    def named_parameters(self):
        """Yield ``(dotted_name, parameter)`` for every Parameter in the tree, each once.

        TODO: for every module of the tree, yield its own Parameters, named
        with the module's prefix: "layers.0" + "." + "weight".

        APPROACH:
        1. seen = set() of id(...) of the parameters yielded so far.
        2. For each (prefix, module) in self.named_modules():
             for each (name, value) in _attribute_items(module):
                 if value is a Parameter not yet seen: remember it and yield
                 (prefix + "." + name if prefix else name, value).

        HINTS:
        - isinstance(value, Parameter), not Tensor: inputs or constants a layer
          keeps are Tensors but not parameters.
        - A shared Parameter keeps the first name it was found under.

        EXAMPLE:
        >>> [name for name, _ in Linear(2, 3).named_parameters()]
        ['weight', 'bias']
        """
        ### BEGIN SOLUTION
        seen = set()
        for prefix, module in self.named_modules():
            for name, value in _attribute_items(module):
                if isinstance(value, Parameter) and id(value) not in seen:
                    seen.add(id(value))
                    yield (f"{prefix}.{name}" if prefix else name), value
        ### END SOLUTION

    def parameters(self):
        """Every Parameter of the tree, each once, in a stable order (for optimizers)."""
        return (param for _, param in self.named_parameters())

    def train(self, mode: bool = True):
        """Set ``training = mode`` on this module and every module inside it; return self.

        TODO: set the training flag of every module in the tree.

        APPROACH:
        1. For each module in self.modules(): module.training = mode.
        2. Return self, so that `model = Net().train()` works.

        EXAMPLE:
        >>> model = Sequential(Linear(2, 2), Dropout(0.5))
        >>> model.train(False)[1].training
        False
        """
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode={mode!r}): mode must be True or False")
        ### BEGIN SOLUTION
        for module in self.modules():
            module.training = mode
        return self
        ### END SOLUTION

    def eval(self):
        """Switch to evaluation mode (same as ``train(False)``); return self."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Forget the gradients of all parameters: ``p.grad = None`` for each.

        TODO: set .grad to None on every parameter (as PyTorch does by default).

        APPROACH:
        1. For each p in self.parameters(): p.grad = None.

        HINTS:
        - None (rather than an array of zeros) costs no memory and tells the
          next backward pass "there is nothing to add to yet".
        """
        ### BEGIN SOLUTION
        for param in self.parameters():
            param.grad = None
        ### END SOLUTION

    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr, e.g. ``in_features=2, ...``."""
        return ""

    def __repr__(self) -> str:
        lines = [
            f"  ({name}): " + repr(child).replace("\n", "\n  ")
            for name, child in self.named_children()
        ]
        body = "\n" + "\n".join(lines) + "\n" if lines else ""
        return f"{type(self).__name__}({self.extra_repr()}{body})"


# %% [markdown]
"""
### Unit test: Module

The test builds small modules by hand from `Parameter`s (no `Linear` yet),
including a nested module, a list of modules and a shared parameter.
"""


# %% nbgrader={"grade": true, "grade_id": "test-module-class", "locked": true, "points": 20, "schema_version": 3, "solution": false}
class _Affine(Module):
    """A toy layer for the tests: y = x * scale + shift, with a non-parameter tensor."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.scale = Parameter(np.ones(n))
        self.shift = Parameter(np.zeros(n))
        self.constant = Tensor(np.ones(n))  # a Tensor, but not a Parameter

    def forward(self, x):
        return x * self.scale + self.shift


class _Net(Module):
    def __init__(self) -> None:
        super().__init__()
        self.first = _Affine(3)
        self.blocks = [_Affine(3), _Affine(3)]
        self.blocks[1].scale = self.first.scale  # one Parameter used by two layers (weight tying)
        self.alias = self.blocks[0]  # the same module under a second name
        self.note = "not a module"

    def forward(self, x):
        for layer in (self.first, *self.blocks):
            x = layer(x)
        return x


def test_unit_module():
    """Module finds nested and listed parameters once each, and propagates train/eval."""
    net = _Net()
    names = [name for name, _ in net.named_parameters()]
    assert names == [
        "first.scale",
        "first.shift",
        "blocks.0.scale",
        "blocks.0.shift",
        "blocks.1.shift",
    ], f"named_parameters() gave {names}"
    params = list(net.parameters())
    assert len(params) == 5 and len({id(p) for p in params}) == 5, "each parameter exactly once"
    assert params[0] is net.first.scale and all(isinstance(p, Parameter) for p in params)
    assert [name for name, _ in net.named_children()] == ["first", "blocks.0", "blocks.1"]
    assert list(net.children()) == [net.first, *net.blocks]
    assert [name for name, _ in net.named_modules()] == ["", "first", "blocks.0", "blocks.1"]
    assert list(net.modules())[0] is net
    # train / eval reach every module, and return the module itself
    assert net.eval() is net
    assert [m.training for m in net.modules()] == [False] * 4
    assert net.train() is net and all(m.training for m in net.modules())
    net.blocks[1].eval()
    assert [m.training for m in net.modules()] == [True, True, True, False], (
        "eval() on a child only"
    )
    # zero_grad forgets every gradient
    for p in net.parameters():
        p.grad = Tensor(np.ones(3, dtype=np.float32))
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters()), "zero_grad must set every .grad to None"
    out = net(Tensor([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(out.data, [1.0, 2.0, 3.0])


if __name__ == "__main__":
    test_unit_module()

# %% [markdown]
"""
## 3. Linear: the fully connected layer

`Linear(in_features, out_features)` maps each input vector of length
`in_features` to an output vector of length `out_features`:

```
y = x @ W.T + b        x: (batch, in)   W: (out, in)   b: (out,)   y: (batch, out)
```

Every output is a weighted sum of every input, plus a bias. The weight is
stored as `(out_features, in_features)`, PyTorch's layout: row `i` holds
the weights of output `i`. Hence the `.T` in the formula. The bias is added
to every row of the batch by broadcasting.

Use the Tensor operations `@`, `.T` and `+` (not `x.data`): in Module 05
those operations learn to compute gradients, and then `Linear` trains
without any change.

### Why the initial scale matters

Parameters start as random numbers: if every weight started equal, every
output unit would compute the same thing and receive the same update, and
they would stay identical forever. But *how large* should they be? Each
output sums `in_features` random products, and a sum of `n` random terms
grows like `sqrt(n)`. With weights of size ~1 every layer of 256 inputs
multiplies the size of the signal by about `sqrt(256) = 16`: after 10
layers that is up to `16^10 ~ 10^12` (Sigmoid and Tanh saturate, Softmax
becomes one-hot, `float32` eventually overflows). With weights that are too
small, signals shrink towards 0 instead, and so, in Module 05, do the
gradients.

PyTorch scales the range by the number of inputs: every weight and bias
starts uniformly random in `[-k, k]` with `k = 1 / sqrt(in_features)`.
The `sqrt(in_features)` growth is cancelled, so the size of the signal no
longer depends on the layer's width. (It still shrinks by a constant factor
per layer; the systems analysis measures by how much, next to the Kaiming
initialisation designed to avoid that.)

Use `np.random.uniform(low, high, size)`: it follows `np.random.seed(...)`,
so seeding NumPy makes a model's initialisation reproducible.
"""


# %% nbgrader={"grade": false, "grade_id": "linear", "locked": false, "schema_version": 3, "solution": true}
#| export
class Linear(Module):
    """y = x @ weight.T + bias (PyTorch: ``torch.nn.Linear``).

    ``weight``: Parameter of shape (out_features, in_features); ``bias``:
    Parameter of shape (out_features,) or None. Both start uniform in
    [-1/sqrt(in_features), 1/sqrt(in_features)], as in PyTorch.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        """Create the weight and (optionally) the bias with PyTorch's initialisation.

        TODO: validate the sizes, then create self.weight and self.bias.

        APPROACH:
        1. _check_positive_int("Linear", "in_features", in_features), and the
           same for out_features: clear errors for 0, -3, 2.5 or True.
        2. Store self.in_features and self.out_features.
        3. k = 1 / sqrt(in_features).
        4. self.weight = Parameter(uniform in [-k, k] of shape (out_features, in_features)).
        5. self.bias = Parameter(uniform in [-k, k] of shape (out_features,)) if bias, else None.

        HINTS:
        - np.random.uniform(-k, k, size=(rows, cols)) returns float64;
          Parameter converts it to float32.
        - Mind the order: (out_features, in_features), not the other way round.

        EXAMPLE:
        >>> layer = Linear(4, 2)
        >>> layer.weight.shape, layer.bias.shape, layer.weight.dtype
        ((2, 4), (2,), dtype('float32'))
        """
        super().__init__()
        ### BEGIN SOLUTION
        _check_positive_int("Linear", "in_features", in_features)
        _check_positive_int("Linear", "out_features", out_features)
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        bound = 1.0 / math.sqrt(self.in_features)
        self.weight = Parameter(
            np.random.uniform(-bound, bound, size=(self.out_features, self.in_features))
        )
        self.bias = (
            Parameter(np.random.uniform(-bound, bound, size=self.out_features)) if bias else None
        )
        ### END SOLUTION

    def forward(self, x: Tensor) -> Tensor:
        """Compute x @ weight.T + bias with Tensor operations.

        TODO: check the input's last dimension, then apply the affine map.

        APPROACH:
        1. If x has no dimensions, or x.shape[-1] != self.in_features, raise a
           ShapeError (Module 01's error for shapes that do not fit; it is
           also a ValueError) naming the expected size and the shape you got.
        2. out = x @ self.weight.T
        3. If there is a bias, out = out + self.bias (broadcasts over the batch).

        HINTS:
        - Use Tensor operations (@, .T, +), not x.data: Module 05 makes exactly
          those differentiable.
        - Works for any leading dimensions: (in,), (batch, in), (b, t, in).

        EXAMPLE:
        >>> Linear(3, 5)(Tensor(np.zeros((8, 3)))).shape
        (8, 5)
        """
        ### BEGIN SOLUTION
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ShapeError(
                f"Linear(in_features={self.in_features}) got input of shape {tuple(x.shape)}: "
                f"the last dimension must be {self.in_features} (one row of {self.in_features} "
                "features per sample)"
            )
        out = x @ self.weight.T
        if self.bias is not None:
            out = out + self.bias
        return out
        ### END SOLUTION

    def extra_repr(self) -> str:
        bias = self.bias is not None
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={bias}"


# %% nbgrader={"grade": true, "grade_id": "test-linear", "locked": true, "points": 20, "schema_version": 3, "solution": false}
def _expect_error(exc_type, fn, *args, contains: str = ""):
    """Assert that fn(*args) raises exc_type whose message contains ``contains``."""
    try:
        fn(*args)
    except exc_type as exc:
        assert contains in str(exc), (
            f"{exc_type.__name__} message {str(exc)!r} should mention {contains!r}"
        )
        return
    raise AssertionError(f"{fn.__name__}{args} should raise {exc_type.__name__}")


def test_unit_linear():
    """Linear: PyTorch layout and init, float32, matches a float64 oracle, clear errors."""
    np.random.seed(0)
    layer = Linear(400, 30)
    w, b = layer.weight, layer.bias
    assert isinstance(w, Parameter) and isinstance(b, Parameter), (
        "weight and bias must be Parameters"
    )
    assert w.shape == (30, 400) and b.shape == (30,), f"shapes {w.shape}, {b.shape}"
    assert w.dtype == np.float32 and b.dtype == np.float32, f"dtypes {w.dtype}, {b.dtype}"
    assert w.requires_grad and b.requires_grad
    k = 1 / math.sqrt(400)
    assert np.abs(w.data).max() <= k and np.abs(b.data).max() <= k, (
        "init must lie in [-1/sqrt(in), 1/sqrt(in)]"
    )
    assert abs(w.data.std() - k / math.sqrt(3)) < 0.05 * k, (
        f"weight std {w.data.std():.4f}: not U(-k, k)"
    )
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    # forward against the float64 oracle, batched and unbatched
    x = np.random.default_rng(1).standard_normal((16, 400)).astype(np.float32)
    out = layer(Tensor(x))
    oracle = x.astype(np.float64) @ w.data.T.astype(np.float64) + b.data
    assert out.shape == (16, 30) and out.dtype == np.float32, f"got {out.shape}, {out.dtype}"
    np.testing.assert_allclose(out.data, oracle, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer(Tensor(x[0])).data, oracle[0], rtol=1e-4, atol=1e-5)
    # no bias
    plain = Linear(3, 2, bias=False)
    assert plain.bias is None and [n for n, _ in plain.named_parameters()] == ["weight"]
    np.testing.assert_allclose(plain(Tensor(np.eye(3))).data, plain.weight.data.T, rtol=1e-6)
    # clear errors, naming the argument and its value
    _expect_error(ValueError, Linear, 0, 3, contains="in_features=0")
    _expect_error(ValueError, Linear, 3, -2, contains="out_features=-2")
    _expect_error(TypeError, Linear, 2.5, 3, contains="in_features=2.5")
    _expect_error(ShapeError, layer, Tensor(np.zeros((2, 399))), contains="400")


if __name__ == "__main__":
    test_unit_linear()

# %% [markdown]
"""
## 4. Dropout: training with random holes

A big network can memorise its training set instead of learning patterns
that generalise. **Dropout** fights this: while training, each input value
is set to 0 with probability `p`, a different random subset every batch, so
no unit can rely on any particular other unit being there.

If a fraction `p` of the values is dropped, the expected sum shrinks by a
factor `1 - p`. **Inverted dropout** compensates during training by scaling
the kept values by `1 / (1 - p)`, so that the expected value of every output
equals its input. Then evaluation needs nothing at all: in `eval()` mode
Dropout returns its input unchanged.

```
training, p = 0.5:   [1, 2, 3, 4]  ->  mask [1, 0, 0, 1] / 0.5  ->  [2, 0, 0, 8]
evaluation:          [1, 2, 3, 4]  ->  [1, 2, 3, 4]
```

`p` must be in `[0, 1)`: `p = 1` would drop everything and divide by zero.
"""


# %% nbgrader={"grade": false, "grade_id": "dropout", "locked": false, "schema_version": 3, "solution": true}
#| export
class Dropout(Module):
    """Inverted dropout (PyTorch: ``torch.nn.Dropout(p=0.5)``).

    Training: zero each element with probability ``p`` and scale the rest by
    ``1 / (1 - p)``. Evaluation (``eval()``): return the input unchanged.
    """

    def __init__(self, p: float = 0.5) -> None:
        """Store the drop probability after checking it.

        TODO: raise a ValueError unless 0 <= p < 1, then store self.p.

        HINTS:
        - Reject bools and non-numbers too (p=True is almost certainly a bug).
        - Put the value in the message: f"Dropout: p={p!r} must be ...".
        """
        super().__init__()
        ### BEGIN SOLUTION
        if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)) or not 0 <= p < 1:
            raise ValueError(
                f"Dropout: p={p!r} must be a probability in [0, 1) (the fraction of values to drop)"
            )
        self.p = float(p)
        ### END SOLUTION

    def forward(self, x: Tensor) -> Tensor:
        """Drop and rescale while training; pass x through unchanged in eval mode.

        TODO: implement inverted dropout.

        APPROACH:
        1. If not self.training, or self.p == 0: return x.
        2. keep = 1 - self.p
        3. mask = (np.random.random(x.shape) < keep) as float32, times 1 / keep.
        4. Return x * Tensor(mask): a Tensor operation, so Module 05's
           autograd sends gradients only through the kept values.

        HINTS:
        - np.random.random(shape) is uniform in [0, 1): it is < keep with
          probability keep.
        - .astype(np.float32) turns True/False into 1.0/0.0; multiplying a
          float32 array by a Python float keeps float32.

        EXAMPLE:
        >>> np.random.seed(0)
        >>> Dropout(0.5)(Tensor(np.ones(6))).data
        array([0., 0., 0., 0., 2., 0.], dtype=float32)
        """
        ### BEGIN SOLUTION
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        mask = (np.random.random(x.shape) < keep).astype(np.float32) * (1.0 / keep)
        return x * Tensor(mask)
        ### END SOLUTION

    def extra_repr(self) -> str:
        return f"p={self.p}"


# %% nbgrader={"grade": true, "grade_id": "test-dropout", "locked": true, "points": 15, "schema_version": 3, "solution": false}
def test_unit_dropout():
    """Dropout drops about p, rescales by 1/(1-p), keeps the mean, and is the identity in eval."""
    np.random.seed(0)
    x = Tensor(np.random.default_rng(5).uniform(1, 2, size=(200, 500)).astype(np.float32))
    for p in (0.1, 0.5, 0.8):
        out = Dropout(p)(x)
        assert out.shape == x.shape and out.dtype == np.float32, f"p={p}: {out.shape}, {out.dtype}"
        dropped = out.data == 0
        assert abs(dropped.mean() - p) < 0.01, f"p={p}: dropped fraction {dropped.mean():.3f}"
        np.testing.assert_allclose(out.data[~dropped], x.data[~dropped] / (1 - p), rtol=1e-6)
        assert abs(out.data.mean() / x.data.mean() - 1) < 0.02, f"p={p}: mean not preserved"
    a, b = Dropout(0.5)(x), Dropout(0.5)(x)
    assert not np.array_equal(a.data, b.data), "every call must draw a new random mask"
    layer = Dropout(0.5)
    assert layer.eval() is layer and not layer.training
    np.testing.assert_array_equal(layer(x).data, x.data, err_msg="eval mode must be the identity")
    np.testing.assert_array_equal(Dropout(0.0)(x).data, x.data, err_msg="p=0 must be the identity")
    for bad in (1.0, -0.1, 1.5, True, "0.5"):
        _expect_error(ValueError, Dropout, bad, contains=f"p={bad!r}")


if __name__ == "__main__":
    test_unit_dropout()

# %% [markdown]
"""
## 5. Sequential: a model from a list of layers

Most simple models are a pipeline: layer, activation, layer, ... .
`Sequential(*layers)` stores the layers in a list and its `forward` passes
the data through each in turn:

```python
model = Sequential(Linear(784, 128), ReLU(), Dropout(0.2), Linear(128, 10))
logits = model(images)          # (batch, 784) -> (batch, 10)
```

Layers can be `Module`s or the activation objects from Module 02: anything
you can call. Because the list is an attribute, `model.parameters()` already
finds both `Linear` layers' parameters and `model.eval()` reaches the
`Dropout` (activations have no parameters and no training mode, so they are
simply skipped). `model[0]` and `len(model)` work like a list.

A common mistake is passing a list, `Sequential([a, b])`, or a class,
`Sequential(ReLU)`: check every layer and say what went wrong.
"""


# %% nbgrader={"grade": false, "grade_id": "sequential", "locked": false, "schema_version": 3, "solution": true}
#| export
class Sequential(Module):
    """Apply layers one after the other (PyTorch: ``torch.nn.Sequential``).

    Accepts Modules and any other callable object such as the activations of
    Module 02. Supports ``len(model)``, ``model[i]``, ``model[a:b]`` and iteration.
    """

    def __init__(self, *layers) -> None:
        """Check the layers and store them in the list ``self.layers``.

        TODO: reject anything that is not a layer object, then store the list.

        APPROACH:
        1. For each (i, layer) in enumerate(layers):
           - a class (isinstance(layer, type)), e.g. ReLU instead of ReLU():
             TypeError suggesting the instance;
           - not callable (a list, a number): TypeError explaining that layers
             are passed as separate arguments, Sequential(a, b).
        2. self.layers = list(layers)

        HINTS:
        - callable(obj) tells whether obj(...) can be called.
        - Name the position and value: f"Sequential: layers[{i}]={layer!r} ...".
        """
        super().__init__()
        ### BEGIN SOLUTION
        for i, layer in enumerate(layers):
            if isinstance(layer, type):
                raise TypeError(
                    f"Sequential: layers[{i}]={layer.__name__} is a class; pass an instance, "
                    f"e.g. {layer.__name__}()"
                )
            if not callable(layer):
                raise TypeError(
                    f"Sequential: layers[{i}]={layer!r} is not a layer; pass layers as separate "
                    "arguments, Sequential(a, b, c), or unpack a list with Sequential(*layers)"
                )
        self.layers = list(layers)
        ### END SOLUTION

    def forward(self, x):
        """Feed x through every layer in order and return the result.

        TODO: x = layer(x) for each layer; return x.
        """
        ### BEGIN SOLUTION
        for layer in self.layers:
            x = layer(x)
        return x
        ### END SOLUTION

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self) -> str:
        lines = [
            f"  ({i}): " + repr(layer).replace("\n", "\n  ") for i, layer in enumerate(self.layers)
        ]
        return "Sequential(\n" + "\n".join(lines) + "\n)" if lines else "Sequential()"


# %% nbgrader={"grade": false, "grade_id": "import-activations", "locked": true, "schema_version": 3, "solution": false}
from tinytorch.core.activations import ReLU, Softmax, Tanh


# %% nbgrader={"grade": true, "grade_id": "test-sequential", "locked": true, "points": 15, "schema_version": 3, "solution": false}
def test_unit_sequential():
    """Sequential chains Modules and activations, exposes their parameters, indexes like a list."""
    np.random.seed(1)
    model = Sequential(Linear(4, 8), ReLU(), Dropout(0.5), Linear(8, 3))
    assert len(model) == 4 and isinstance(model[1], ReLU) and isinstance(model[-1], Linear)
    assert [type(layer).__name__ for layer in model] == ["Linear", "ReLU", "Dropout", "Linear"]
    assert [n for n, _ in model.named_parameters()] == [
        "layers.0.weight",
        "layers.0.bias",
        "layers.3.weight",
        "layers.3.bias",
    ]
    model.eval()
    assert not model[2].training, "eval() must reach the Dropout inside Sequential"
    x = np.random.default_rng(2).standard_normal((5, 4)).astype(np.float32)
    out = model(Tensor(x))
    w1, b1 = model[0].weight.data.astype(np.float64), model[0].bias.data
    w2, b2 = model[3].weight.data.astype(np.float64), model[3].bias.data
    oracle = np.maximum(x @ w1.T + b1, 0) @ w2.T + b2
    assert out.shape == (5, 3), f"got {out.shape}"
    np.testing.assert_allclose(out.data, oracle, rtol=1e-4, atol=1e-5)
    head = model[:2]
    assert isinstance(head, Sequential) and len(head) == 2 and head[0] is model[0]
    _expect_error(TypeError, Sequential, [Linear(2, 2)], contains="Sequential(*layers)")
    _expect_error(TypeError, Sequential, Linear(2, 2), ReLU, contains="ReLU()")


if __name__ == "__main__":
    test_unit_sequential()

# %% [markdown]
"""
## 6. Systems analysis

### Parameter memory and forward time

A `Linear(n, n)` layer stores `n * n + n` float32 numbers. The function
below builds layers of growing width and measures the bytes the parameters
occupy, the *peak* memory NumPy allocated while building them (measured with
`tracemalloc`), and the forward time for a batch of 64 compared with the
bare NumPy expression.
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


# %% nbgrader={"grade": false, "grade_id": "analysis-memory", "locked": true, "schema_version": 3, "solution": false}
def analyze_linear_memory_and_time(widths=(64, 256, 1024, 2048), batch: int = 64) -> None:
    """Parameters, bytes, construction peak and forward time of Linear(n, n) vs NumPy."""
    print(
        f"{'Linear(n, n)':>12} {'params':>11} {'param MB':>9} {'build peak MB':>14} "
        f"{'fwd ms':>8} {'numpy ms':>9} {'overhead':>9}"
    )
    for n in widths:
        tracemalloc.start()
        layer = Linear(n, n)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        count = sum(p.numel() for p in layer.parameters())
        nbytes = sum(p.data.nbytes for p in layer.parameters())
        x = Tensor(np.random.default_rng(0).standard_normal((batch, n)).astype(np.float32))
        w, b, a = layer.weight.data, layer.bias.data, x.data
        t_layer = _best_seconds(lambda layer=layer, x=x: layer(x))
        t_numpy = _best_seconds(lambda a=a, w=w, b=b: a @ w.T + b)
        print(
            f"{n:>12} {count:>11,} {nbytes / 1e6:>9.2f} {peak / 1e6:>14.2f} "
            f"{t_layer * 1e3:>8.3f} {t_numpy * 1e3:>9.3f} {(t_layer - t_numpy) * 1e6:>7.1f}us"
        )
    print("build peak > param MB: np.random.uniform makes float64 arrays (2x the bytes) before the")
    print("float32 copy. 'overhead' is the time our Tensor/Module layers add on top of NumPy.")


if __name__ == "__main__":
    analyze_linear_memory_and_time()

# %% [markdown]
"""
### Initial scale, measured

Send a batch of random inputs through 10 layers of `Linear(256, 256)` each
followed by an activation, and print the standard deviation of the
activations after every other layer, for three ways of initialising the
weights:

- `N(0, 1)`: weights of size about 1, ignoring `in_features`;
- PyTorch's default, which you implemented: `U(-k, k)`, `k = 1/sqrt(in)`;
- Kaiming/He: `N(0, 2 / in)`, designed to keep the size constant under ReLU.
"""


# %% nbgrader={"grade": false, "grade_id": "analysis-init", "locked": true, "schema_version": 3, "solution": false}
def analyze_init_scale(depth: int = 10, width: int = 256, batch: int = 512) -> None:
    """Std of the activations layer by layer, for three initialisations, with ReLU and Tanh."""
    x0 = Tensor(np.random.default_rng(0).standard_normal((batch, width)).astype(np.float32))
    inits = {
        "N(0,1)": lambda shape: np.random.standard_normal(shape),
        "U(-k,k) [ours]": None,  # keep what Linear.__init__ created
        "Kaiming N(0,2/n)": lambda shape: np.random.normal(0, math.sqrt(2 / width), shape),
    }
    for act_name, act in (("ReLU", ReLU()), ("Tanh", Tanh())):
        np.random.seed(0)
        stds, outputs = {}, {}
        for name, init in inits.items():
            layers = [Linear(width, width) for _ in range(depth)]
            if init is not None:
                for layer in layers:
                    layer.weight = Parameter(init(layer.weight.shape))
            x, stds[name] = x0, []
            with np.errstate(over="ignore", invalid="ignore"):
                for layer in layers:
                    x = act(layer(x))
                    stds[name].append(float(np.std(x.data)))
            outputs[name] = x.data
        print(
            f"std of the activations after each {act_name} layer, "
            f"Linear({width}, {width}) x {depth},"
            f" input std {float(np.std(x0.data)):.3f}"
        )
        print(f"{'layer':>5} " + " ".join(f"{name:>17}" for name in inits))
        for i in range(depth):
            print(f"{i + 1:>5} " + " ".join(f"{stds[name][i]:>17.3g}" for name in inits))
        if act_name == "Tanh":
            print(
                f"{'|y|>0.99':>5} "
                + " ".join(f"{np.mean(np.abs(outputs[name]) > 0.99):>16.0%} " for name in inits)
                + " <- share of saturated Tanh outputs after the last layer"
            )
        print()


if __name__ == "__main__":
    analyze_init_scale()

# %% [markdown]
"""
## 7. Integration test
"""


# %% nbgrader={"grade": true, "grade_id": "test-module", "locked": true, "points": 15, "schema_version": 3, "solution": false}
def test_module():
    """A small classifier: parameters counted, train/eval behaviour, forward vs oracle."""
    np.random.seed(42)

    class Classifier(Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = Sequential(Linear(6, 16), Tanh(), Dropout(0.25))
            self.heads = [Linear(16, 3), Linear(16, 3)]
            self.softmax = Softmax(dim=-1)

        def forward(self, x):
            h = self.body(x)
            return self.softmax(self.heads[0](h) + self.heads[1](h))

    model = Classifier()
    params = list(model.parameters())
    assert sum(p.numel() for p in params) == (6 * 16 + 16) + 2 * (16 * 3 + 3), "parameter count"
    assert all(p.dtype == np.float32 and p.requires_grad for p in params)
    x = Tensor(np.random.default_rng(7).standard_normal((10, 6)).astype(np.float32))
    model.eval()
    first, second = model(x), model(x)
    np.testing.assert_array_equal(
        first.data, second.data, err_msg="eval mode must be deterministic"
    )
    np.testing.assert_allclose(first.data.sum(axis=1), 1.0, rtol=1e-5)
    lin = model.body[0]
    h = np.tanh(x.data.astype(np.float64) @ lin.weight.data.T + lin.bias.data)
    logits = sum(h @ head.weight.data.T.astype(np.float64) + head.bias.data for head in model.heads)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(first.data, e / e.sum(axis=1, keepdims=True), rtol=1e-4, atol=1e-6)
    model.train()
    assert model.body[2].training
    assert not np.array_equal(model(x).data, model(x).data), "training mode: dropout must vary"


if __name__ == "__main__":
    test_module()
    print("Module 03 (layers): all tests passed.")

# %% [markdown]
"""
## Reflection questions

1. `Linear(784, 128)` followed by `Linear(128, 10)`: how many parameters, and
   how many megabytes in float32? The analysis showed building a layer
   temporarily needs more memory than the layer itself. Why, and how would
   you avoid it for a layer with a billion parameters?
2. Our `parameters()` finds Parameters by walking attributes and one level
   into lists. Write a module whose parameter it would *miss*. How does
   PyTorch avoid the problem (look up `nn.ModuleList` and `__setattr__`)?
3. Why must a shared Parameter appear only once in `parameters()`? What
   would go wrong in an optimizer step if it appeared twice?
4. In the init analysis, PyTorch's default `U(-k, k)` first shrinks ReLU
   activations by a roughly constant factor per layer. Predict the factor
   from `Var(U(-k, k)) = k^2 / 3` and the fact that ReLU keeps half of a
   symmetric distribution's second moment. After a few layers the
   shrinking stops at a floor: which parameter sets that floor?
5. Inverted dropout scales at training time. The original paper scaled at
   test time instead (multiply by `1 - p` in eval). Why do frameworks prefer
   the inverted form?
"""
