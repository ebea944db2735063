"""tinytorch.core.layers (Module 03): Parameter, Module, Linear, Dropout, Sequential.

Parameter discovery (nesting, containers, sharing, cycles), train/eval
propagation, Linear against a float64 oracle and PyTorch's initialisation,
Dropout statistics under a seed, and the error messages.
"""

from __future__ import annotations

import math
import re

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from oracle import F32_ACCUMULATED, FAST, assert_close

from tinytorch.core.activations import ReLU, Tanh
from tinytorch.core.autograd import no_grad
from tinytorch.core.layers import Dropout, Linear, Module, Parameter, Sequential
from tinytorch.core.tensor import ShapeError, Tensor


class Affine(Module):
    """y = x * scale + shift; also holds a plain Tensor that is not a parameter."""

    def __init__(self, n: int = 3) -> None:
        super().__init__()
        self.scale = Parameter(np.ones(n))
        self.shift = Parameter(np.zeros(n))
        self.cache = Tensor(np.ones(n, dtype=np.float32), requires_grad=True)

    def forward(self, x):
        return x * self.scale + self.shift


def names(module: Module) -> list[str]:
    return [name for name, _ in module.named_parameters()]


# --- Parameter ---------------------------------------------------------------------------


def test_parameter_is_a_float32_tensor_that_requires_grad():
    p = Parameter([[1, 2], [3, 4]])
    assert isinstance(p, Tensor)
    assert p.dtype == np.float32 and p.requires_grad and p.grad is None
    assert Parameter(np.zeros(3, dtype=np.float64)).dtype == np.float32
    assert Parameter(Tensor([1.0, 2.0])).shape == (2,)
    assert not Parameter([1.0], requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:\ntensor(")


def test_operations_on_parameters_return_plain_tensors():
    """Intermediate results must not look like parameters, or models would 'find' them."""
    p = Parameter(np.ones((2, 2)))
    for result in (p + 1, p * p, p @ p, p.T, -p, p.sum()):
        assert type(result) is Tensor, f"{type(result).__name__} from an operation on a Parameter"


# --- parameter discovery -------------------------------------------------------------------


def test_named_parameters_of_nested_modules_and_containers():
    class Net(Module):
        def __init__(self) -> None:
            super().__init__()
            self.first = Affine()
            self.blocks = [Affine(), Affine()]
            self.pair = (Affine(),)
            self.by_name = {"head": Affine()}
            self.extra = Parameter(np.ones(2))
            self.note = "text"
            self.numbers = [1, 2, 3]

    net = Net()
    assert names(net) == [
        "extra",  # the module's own parameters come first, like PyTorch
        "first.scale", "first.shift",
        "blocks.0.scale", "blocks.0.shift",
        "blocks.1.scale", "blocks.1.shift",
        "pair.0.scale", "pair.0.shift",
        "by_name.head.scale", "by_name.head.shift",
    ]  # fmt: skip
    params = list(net.parameters())
    assert [id(p) for p in params] == [id(p) for _, p in net.named_parameters()]
    assert all(isinstance(p, Parameter) for p in params)


def test_plain_tensors_are_not_parameters_and_frozen_parameters_still_are():
    layer = Affine()
    assert names(layer) == ["scale", "shift"], "a Tensor with requires_grad=True is not a parameter"
    layer.scale.requires_grad = False
    assert names(layer) == ["scale", "shift"], "freezing must not remove a parameter"


def test_shared_parameters_and_modules_are_listed_once():
    shared = Affine()

    class Tied(Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = shared
            self.decoder = Affine()
            self.decoder.scale = shared.scale  # weight tying
            self.again = [shared, shared]

    tied = Tied()
    assert names(tied) == ["encoder.scale", "encoder.shift", "decoder.shift"]
    assert [name for name, _ in tied.named_children()] == ["encoder", "decoder"]
    assert [name for name, _ in tied.named_modules()] == ["", "encoder", "decoder"]


def test_reference_cycles_terminate():
    parent, child = Affine(), Affine()
    parent.child = child
    child.parent = parent  # a child that points back at its parent
    assert names(parent) == ["scale", "shift", "child.scale", "child.shift"]
    assert list(parent.modules()) == [parent, child]


def test_children_and_modules():
    model = Sequential(Linear(2, 3), ReLU(), Sequential(Linear(3, 3), Dropout()), Linear(3, 1))
    children = list(model.children())
    assert children == [model[0], model[2], model[3]], "activations are not Modules: skipped"
    assert [name for name, _ in model.named_modules()] == [
        "", "layers.0", "layers.2", "layers.2.layers.0", "layers.2.layers.1", "layers.3",
    ]  # fmt: skip
    assert list(model.modules())[0] is model


@FAST
@given(st.lists(st.integers(1, 5), min_size=1, max_size=6))
def test_parameter_count_of_an_mlp(widths):
    dims = [3, *widths]
    layers = [Linear(a, b) for a, b in zip(dims, dims[1:])]
    model = Sequential(*[item for layer in layers for item in (layer, Tanh())])
    expected = sum(a * b + b for a, b in zip(dims, dims[1:]))
    assert sum(p.numel() for p in model.parameters()) == expected
    assert len(list(model.parameters())) == 2 * len(layers)


# --- train / eval, zero_grad, base behaviour -------------------------------------------------


def test_train_and_eval_reach_every_module():
    inner = Sequential(Linear(2, 2), Dropout(0.3))
    model = Sequential(Linear(2, 2), inner, Dropout(0.5))
    assert model.training and all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    assert model.train() is model
    assert all(m.training for m in model.modules())
    inner.eval()
    assert [m.training for m in model.modules()] == [True, True, False, False, False, True]
    model.train(False)
    assert not any(m.training for m in model.modules())


@pytest.mark.parametrize("mode", [1, "yes", None])
def test_train_rejects_non_bool(mode):
    with pytest.raises(TypeError, match="mode="):
        Linear(2, 2).train(mode)


def test_zero_grad_clears_every_gradient():
    model = Sequential(Linear(2, 3), Sequential(Linear(3, 1)))
    for p in model.parameters():
        p.grad = np.ones(p.shape, dtype=np.float32)
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_module_without_super_init_still_has_training_flag():
    class Forgetful(Module):
        def __init__(self) -> None:  # no super().__init__()
            self.w = Parameter([1.0])

        def forward(self, x):
            return x * self.w

    m = Forgetful()
    assert m.training and names(m) == ["w"]
    assert not m.eval().training


def test_base_module_forward_is_abstract_and_call_delegates():
    with pytest.raises(NotImplementedError, match="Module must implement forward"):
        Module()(Tensor([1.0]))

    class Twice(Module):
        def forward(self, x, factor=2):
            return x * factor

    np.testing.assert_array_equal(Twice()(Tensor([1.0]), factor=3).data, [3.0])


def test_repr_nests_like_pytorch():
    model = Sequential(Linear(2, 3, bias=False), ReLU(), Dropout(0.1))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=False)\n"
        "  (1): ReLU()\n"
        "  (2): Dropout(p=0.1)\n"
        ")"
    )
    net = Affine()
    net.inner = Linear(1, 1)
    assert repr(net) == "Affine(\n  (inner): Linear(in_features=1, out_features=1, bias=True)\n)"


# --- Linear -------------------------------------------------------------------------------


@st.composite
def linear_cases(draw):
    in_features = draw(st.integers(1, 12))
    out_features = draw(st.integers(1, 12))
    lead = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=5))
    x = draw(
        hnp.arrays(np.float32, (*lead, in_features), elements=st.floats(-10, 10, width=32))
    )
    bias = draw(st.booleans())
    return in_features, out_features, bias, x


@FAST
@given(case=linear_cases())
def test_linear_forward_matches_float64_oracle(case):
    in_features, out_features, bias, x = case
    layer = Linear(in_features, out_features, bias=bias)
    out = layer(Tensor(x))
    w = layer.weight.data.astype(np.float64)
    expected = x.astype(np.float64) @ w.T
    if bias:
        expected = expected + layer.bias.data
    assert out.shape == (*x.shape[:-1], out_features)
    assert out.dtype == np.float32
    assert_close(out, expected, F32_ACCUMULATED)


def test_linear_layout_and_pytorch_initialisation():
    np.random.seed(0)
    layer = Linear(300, 200)
    k = 1 / math.sqrt(300)
    for p, shape in ((layer.weight, (200, 300)), (layer.bias, (200,))):
        assert isinstance(p, Parameter) and p.shape == shape and p.dtype == np.float32
        assert p.requires_grad
        assert np.all(np.abs(p.data) <= k)
    w = layer.weight.data
    assert abs(w.mean()) < 0.01 * k
    assert abs(w.std() - k / math.sqrt(3)) < 0.01 * k, "U(-k, k) has std k / sqrt(3)"
    assert w.max() > 0.99 * k and w.min() < -0.99 * k, "the whole range [-k, k] is used"
    assert abs(np.mean(w > 0) - 0.5) < 0.01
    assert names(layer) == ["weight", "bias"]


def test_linear_init_follows_numpy_seed():
    np.random.seed(123)
    a = Linear(4, 3)
    np.random.seed(123)
    b = Linear(4, 3)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)
    assert not np.array_equal(a.weight.data, Linear(4, 3).weight.data)


def test_linear_without_bias():
    layer = Linear(3, 2, bias=False)
    assert layer.bias is None and names(layer) == ["weight"]
    np.testing.assert_array_equal(layer(Tensor(np.eye(3, dtype=np.float32))).data, layer.weight.data.T)


def test_linear_forward_goes_through_tensor_matmul(monkeypatch):
    """Module 03's Linear is built from Tensor operations, not raw NumPy.

    With gradients on, module 05 records Linear as one fused node, so look at
    the forward-only path it wraps (the one a student finishing module 03 has).
    """
    calls = []
    original = Tensor.__matmul__

    def spy(self, other):
        calls.append((self.shape, other.shape))
        return original(self, other)

    monkeypatch.setattr(Tensor, "__matmul__", spy)
    with no_grad():
        Linear(4, 2)(Tensor(np.ones((5, 4), dtype=np.float32)))
    assert calls == [((5, 4), (4, 2))]


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((0, 3), ValueError, "in_features=0"),
        ((-1, 3), ValueError, "in_features=-1"),
        ((3, 0), ValueError, "out_features=0"),
        ((2.5, 3), TypeError, "in_features=2.5"),
        (("4", 3), TypeError, "in_features='4'"),
        ((True, 3), TypeError, "in_features=True"),
        ((3, None), TypeError, "out_features=None"),
    ],
)
def test_linear_rejects_invalid_sizes(args, error, message):
    with pytest.raises(error, match=re.escape(message)):
        Linear(*args)


def test_linear_accepts_numpy_integers():
    layer = Linear(np.int64(3), np.int32(2))
    assert layer.weight.shape == (2, 3) and type(layer.in_features) is int


@pytest.mark.parametrize("shape", [(2, 5), (5,), (3, 2, 2), ()])
def test_linear_rejects_wrong_input_shape(shape):
    with pytest.raises(ShapeError, match=r"in_features=4.*" + re.escape(str(shape))):
        Linear(4, 2)(Tensor(np.zeros(shape, dtype=np.float32)))


# --- Dropout --------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_statistics(p):
    np.random.seed(1)
    x = np.random.default_rng(0).uniform(1, 2, size=(100, 1000)).astype(np.float32)
    out = Dropout(p)(Tensor(x))
    assert out.shape == x.shape and out.dtype == np.float32
    dropped = out.data == 0
    n = x.size
    assert abs(dropped.mean() - p) < 5 * math.sqrt(p * (1 - p) / n), "dropped fraction is not p"
    np.testing.assert_allclose(out.data[~dropped], x[~dropped] / (1 - p), rtol=1e-6)
    # E[mask] = 1, and the relative std of the mean of n scaled masks is sqrt(p / ((1 - p) n))
    mean_bound = 6 * math.sqrt(p / ((1 - p) * n))
    assert abs(out.data.mean() / x.mean() - 1) < mean_bound, "inverted dropout preserves the mean"


def test_dropout_is_reproducible_with_seed_and_varies_between_calls():
    x = Tensor(np.ones((20, 20), dtype=np.float32))
    layer = Dropout(0.5)
    np.random.seed(7)
    a = layer(x).data
    b = layer(x).data
    np.random.seed(7)
    np.testing.assert_array_equal(layer(x).data, a)
    assert not np.array_equal(a, b)


def test_dropout_identity_in_eval_and_for_p_zero():
    x = Tensor(np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32))
    layer = Dropout(0.5).eval()
    assert layer(x) is x
    assert Dropout(0.0)(x) is x


def test_dropout_keeps_float64_and_goes_through_tensor_mul(monkeypatch):
    x = Tensor(np.ones((3, 3)), dtype=np.float64)
    assert Dropout(0.5)(x).dtype == np.float64
    calls = []
    original = Tensor.__mul__
    monkeypatch.setattr(Tensor, "__mul__", lambda self, other: calls.append(1) or original(self, other))
    Dropout(0.5)(x)
    assert calls, "Dropout must scale with a Tensor operation so Module 05 can differentiate it"


@pytest.mark.parametrize("p", [1.0, -0.1, 1.5, True, "0.5", None, float("nan")])
def test_dropout_rejects_invalid_p(p):
    with pytest.raises(ValueError, match=r"p=" + re.escape(repr(p))):
        Dropout(p)


def test_dropout_default_and_repr():
    assert Dropout().p == 0.5 and repr(Dropout(0.2)) == "Dropout(p=0.2)"


# --- Sequential ---------------------------------------------------------------------------


def test_sequential_forward_matches_oracle():
    np.random.seed(3)
    model = Sequential(Linear(4, 6), ReLU(), Linear(6, 2), Tanh())
    x = np.random.default_rng(1).standard_normal((7, 4)).astype(np.float32)
    (w1, b1), (w2, b2) = [(m.weight.data.astype(np.float64), m.bias.data) for m in (model[0], model[2])]
    expected = np.tanh(np.maximum(x @ w1.T + b1, 0) @ w2.T + b2)
    assert_close(model(Tensor(x)), expected, F32_ACCUMULATED)


def test_sequential_container_protocol():
    layers = [Linear(2, 2), ReLU(), Linear(2, 1)]
    model = Sequential(*layers)
    assert len(model) == 3 and list(model) == layers
    assert model[0] is layers[0] and model[-1] is layers[-1]
    head = model[:2]
    assert isinstance(head, Sequential) and list(head) == layers[:2]
    assert names(model) == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]


def test_empty_sequential_is_identity():
    x = Tensor([1.0, 2.0])
    assert Sequential()(x) is x and len(Sequential()) == 0


def test_sequential_accepts_plain_callables():
    model = Sequential(Linear(2, 2), lambda t: t * 0)
    np.testing.assert_array_equal(model(Tensor([[1.0, 2.0]])).data, [[0.0, 0.0]])


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        (([Linear(2, 2), ReLU()],), r"Sequential\(\*layers\)"),
        ((Linear(2, 2), ReLU), r"ReLU\(\)"),
        ((Linear(2, 2), 3), r"layers\[1\]=3"),
    ],
)
def test_sequential_rejects_non_layers(layers, message):
    with pytest.raises(TypeError, match=message):
        Sequential(*layers)

