"""tinytorch.core.training (Module 07): clipping, schedules, checkpoints and the Trainer.

Oracles: NumPy for the gradient norm; PyTorch's closed-form *and* recursive
schedule formulas (written out in NumPy) for the learning rates; bit-for-bit
equality for checkpoints and resumed runs; a float64 NumPy cross-entropy for
the Trainer's sample-weighted averages.
"""

from __future__ import annotations

import json
import math
import zipfile

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from oracle import FAST, NUMPY, Tolerance, assert_close

from tinytorch.core.activations import ReLU, Tanh
from tinytorch.core.layers import Linear, Parameter, Sequential
from tinytorch.core.losses import CrossEntropyLoss, MSELoss
from tinytorch.core.optimizers import SGD, Adam, AdamW
from tinytorch.core.tensor import Tensor
from tinytorch.core.training import (
    CheckpointError,
    CosineAnnealingLR,
    StepLR,
    Trainer,
    clip_grad_norm_,
    load_checkpoint,
    save_checkpoint,
)

EXACT = Tolerance(rtol=1e-12, atol=1e-15)


def blobs(n=120, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, size=n)
    centers = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
    return (centers[labels] + rng.normal(0, 0.6, (n, 2))).astype(np.float32), labels


def batches(x, y, size=32):
    return [(x[i : i + size], y[i : i + size]) for i in range(0, len(x), size)]


def mlp(seed=0):
    np.random.seed(seed)
    return Sequential(Linear(2, 16), Tanh(), Linear(16, 3))


# --- clip_grad_norm_ ---------------------------------------------------------------------------


@FAST
@given(
    grads=st.lists(
        hnp.arrays(np.float32, hnp.array_shapes(max_dims=3, max_side=4), elements=st.floats(-1e3, 1e3, width=32)),
        min_size=1,
        max_size=4,
    ),
    max_norm=st.floats(1e-3, 1e3),
)
def test_clip_grad_norm_matches_numpy(grads, max_norm):
    params = [Parameter(np.zeros(g.shape)) for g in grads]
    for p, g in zip(params, grads, strict=True):
        p.grad = g.copy()
    total = np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads))
    returned = clip_grad_norm_(params, max_norm)
    assert returned == pytest.approx(total, rel=1e-5, abs=1e-6)
    coef = min(1.0, max_norm / (total + 1e-6))
    for p, g in zip(params, grads, strict=True):
        assert_close(p.grad, g.astype(np.float64) * coef, Tolerance(rtol=1e-5, atol=1e-6))
    after = np.sqrt(sum(np.sum(p.grad.astype(np.float64) ** 2) for p in params))
    assert after <= max_norm * (1 + 1e-5) + 1e-6


def test_clip_grad_norm_edge_cases():
    w = Parameter([0.0])
    assert clip_grad_norm_([w], 1.0) == 0.0  # no gradients at all
    w.grad = np.array([3.0], np.float32)
    assert clip_grad_norm_((p for p in [w]), 1.0) == pytest.approx(3.0)  # a generator, read once
    assert w.grad[0] == pytest.approx(1.0 / (1 + 1e-6 / 3), rel=1e-6)
    for bad in (0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="max_norm="):
            clip_grad_norm_([w], bad)


# --- schedules: closed form and PyTorch's recursive form ----------------------------------------


def step_lr_recursive(base, step_size, gamma, epochs):
    lrs, lr = [base], base
    for epoch in range(1, epochs + 1):
        if epoch % step_size == 0:
            lr *= gamma
        lrs.append(lr)
    return lrs


def cosine_recursive(base, t_max, eta_min, epochs):
    """torch.optim.lr_scheduler.CosineAnnealingLR.get_lr (the chainable form), one group."""
    lrs, lr = [base], base
    for e in range(1, epochs + 1):
        if (e - 1 - t_max) % (2 * t_max) == 0:
            lr = lr + (base - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
        else:
            lr = (1 + math.cos(math.pi * e / t_max)) / (1 + math.cos(math.pi * (e - 1) / t_max)) * (
                lr - eta_min
            ) + eta_min
        lrs.append(lr)
    return lrs


@pytest.mark.parametrize(("step_size", "gamma"), [(1, 0.5), (3, 0.1), (7, 0.9)])
def test_step_lr_matches_both_forms(step_size, gamma):
    opt = SGD([Parameter([1.0])], lr=0.3)
    sched = StepLR(opt, step_size=step_size, gamma=gamma)
    seen = [opt.lr]
    for _ in range(20):
        sched.step()
        seen.append(opt.lr)
    assert_close(seen, [0.3 * gamma ** (e // step_size) for e in range(21)], EXACT)
    assert_close(seen, step_lr_recursive(0.3, step_size, gamma, 20), Tolerance(1e-10, 1e-15))


@pytest.mark.parametrize(("t_max", "eta_min"), [(1, 0.0), (5, 0.0), (10, 1e-3), (50, 1e-4)])
def test_cosine_matches_both_forms(t_max, eta_min):
    opt = Adam([Parameter([1.0])], lr=0.01)
    sched = CosineAnnealingLR(opt, T_max=t_max, eta_min=eta_min)
    seen = [opt.lr]
    for _ in range(t_max):
        sched.step()
        seen.append(sched.get_last_lr())
    closed = [eta_min + (0.01 - eta_min) * (1 + math.cos(math.pi * e / t_max)) / 2 for e in range(t_max + 1)]
    assert_close(seen, closed, EXACT)
    assert_close(seen, cosine_recursive(0.01, t_max, eta_min, t_max), Tolerance(1e-9, 1e-15))
    assert seen[-1] == pytest.approx(eta_min, abs=1e-15)


def test_scheduler_errors_and_state():
    opt = SGD([Parameter([1.0])], lr=0.1)
    with pytest.raises(TypeError, match="must be an Optimizer"):
        StepLR("optimizer", 1)
    with pytest.raises(ValueError, match="T_max=0"):
        CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(ValueError, match="gamma=0"):
        StepLR(opt, 2, gamma=0)
    sched = StepLR(opt, 2)
    sched.step()
    sched.step()
    other = StepLR(SGD([Parameter([1.0])], lr=5.0), 2)
    other.load_state_dict(sched.state_dict())
    assert other.base_lr == 0.1 and other.last_epoch == 2 and other.get_lr() == pytest.approx(0.01)


# --- checkpoints ------------------------------------------------------------------------------


def trained(optimizer_class, steps=3, seed=0, **options):
    model = mlp(seed)
    opt = optimizer_class(model.parameters(), **options)
    x, y = blobs(40)
    for _ in range(steps):
        loss = CrossEntropyLoss()(model(Tensor(x)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model, opt


@pytest.mark.parametrize(
    ("cls", "options"),
    [
        (SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
        (Adam, {"lr": 0.01, "betas": (0.8, 0.99)}),
        (AdamW, {"lr": 0.01, "weight_decay": 0.05}),
    ],
)
def test_checkpoint_round_trips_bit_for_bit(tmp_path, cls, options):
    model, opt = trained(cls, **options)
    sched = CosineAnnealingLR(opt, T_max=10)
    sched.step()
    path = save_checkpoint(tmp_path / "c.npz", model, opt, sched, note="é ∑", values=[0.1, 1 / 3, None])
    model2 = mlp(seed=5)  # other weights, a fresh optimizer: everything must come from the file
    opt2 = cls(model2.parameters(), lr=0.5)
    sched2 = CosineAnnealingLR(opt2, T_max=10)
    extra = load_checkpoint(path, model2, opt2, sched2)
    assert extra == {"note": "é ∑", "values": [0.1, 1 / 3, None]}
    for (name, a), b in zip(model.named_parameters(), model2.parameters(), strict=True):
        assert a.data.tobytes() == b.data.tobytes() and a.data.dtype == b.data.dtype, name
    for name in opt.hyperparameters:
        assert getattr(opt2, name) == getattr(opt, name) and type(getattr(opt2, name)) is type(getattr(opt, name))
    for s1, s2 in zip(opt.state, opt2.state, strict=True):
        assert s1.keys() == s2.keys()
        for key in s1:
            if isinstance(s1[key], np.ndarray):
                assert s1[key].tobytes() == s2[key].tobytes() and s2[key].flags.writeable
            else:
                assert s1[key] == s2[key] and type(s1[key]) is type(s2[key])
    assert (sched2.base_lr, sched2.last_epoch) == (sched.base_lr, sched.last_epoch)
    # loading copies: training the loaded model does not touch the original's arrays
    model2[0].weight.data += 1
    assert not np.array_equal(model[0].weight.data, model2[0].weight.data)


def test_checkpoint_file_is_plain_npz_without_pickle(tmp_path):
    model, opt = trained(Adam, lr=0.01)
    path = save_checkpoint(tmp_path / "c.npz", model, opt, epoch=2)
    with zipfile.ZipFile(path) as archive:
        names = sorted(archive.namelist())
    assert "__meta__.npy" in names and "model/layers.0.weight.npy" in names and "optimizer/0/exp_avg.npy" in names
    with np.load(path, allow_pickle=False) as data:
        assert all(data[k].dtype != object for k in data.files)
        meta = json.loads(str(data["__meta__"]))
    assert meta["optimizer"]["class"] == "Adam" and meta["extra"] == {"epoch": 2}
    assert meta["params"][0] == ["layers.0.weight", [16, 2], "float32"]


def test_checkpoint_mismatches_are_named(tmp_path):
    model, opt = trained(SGD, lr=0.1, momentum=0.9)
    path = save_checkpoint(tmp_path / "c.npz", model, opt)
    np.random.seed(0)
    wider = Sequential(Linear(2, 8), Tanh(), Linear(8, 3), ReLU(), Linear(3, 3))
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path, wider)
    message = str(info.value)
    assert "layers.0.weight: file shape/dtype ((16, 2), 'float32'), model ((8, 2), 'float32')" in message
    assert "the model has parameter 'layers.4.weight', the file does not" in message
    with pytest.raises(CheckpointError, match="the file holds SGD state, the optimizer is Adam"):
        load_checkpoint(path, model, Adam(model.parameters()))
    with pytest.raises(CheckpointError, match="no scheduler state"):
        load_checkpoint(path, model, opt, StepLR(opt, 1))
    np.savez(tmp_path / "other.npz", weights=np.ones(3))
    with pytest.raises(CheckpointError, match="not a TinyTorch checkpoint"):
        load_checkpoint(tmp_path / "other.npz", model)
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.npz", model)
    assert isinstance(CheckpointError("x"), ValueError)


def test_a_failed_save_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    model, opt = trained(Adam, lr=0.01)
    path = save_checkpoint(tmp_path / "c.npz", model, opt)
    before = path.read_bytes()

    def broken(handle, **arrays):
        handle.write(b"partial")
        raise OSError("No space left on device")

    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(OSError, match="No space left"):
        save_checkpoint(path, model, opt)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]
    with pytest.raises(TypeError):  # not JSON-able: refused before anything is written
        save_checkpoint(tmp_path / "new.npz", model, opt, step=np.float32(1.0))
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]


# --- Trainer ------------------------------------------------------------------------------------


def test_evaluate_averages_over_samples_against_numpy():
    x, y = blobs(101)
    model = mlp()
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1), CrossEntropyLoss())
    result = trainer.evaluate(batches(x, y, size=25))  # 25, 25, 25, 25, 1
    w1, b1 = model[0].weight.data.astype(np.float64), model[0].bias.data
    w2, b2 = model[2].weight.data.astype(np.float64), model[2].bias.data
    logits = np.tanh(x @ w1.T + b1) @ w2.T + b2
    assert result["loss"] == pytest.approx(NUMPY["cross_entropy"](logits, y), rel=1e-5)
    assert result["accuracy"] == pytest.approx((logits.argmax(axis=1) == y).mean())


def test_evaluate_reports_no_accuracy_for_regression_and_restores_eval_mode():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 2)).astype(np.float32)
    target = x.sum(axis=1, keepdims=True)
    np.random.seed(0)
    model = Sequential(Linear(2, 1))
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1), MSELoss())
    model.eval()
    result = trainer.evaluate([(x, target)])
    assert result["accuracy"] is None and not model.training, "evaluate must restore the mode it found"
    history = trainer.fit([(x, target)], epochs=30, val_batches=[(x, target)])
    assert history["val_loss"][-1] < 0.01 * history["val_loss"][0] and history["val_accuracy"][-1] is None


def test_clipping_bounds_every_step():
    """SGD without momentum moves the parameters by lr * (clipped gradient): at most lr * max_norm."""
    x, y = blobs(64)
    model = mlp()
    trainer = Trainer(model, SGD(model.parameters(), lr=10.0), CrossEntropyLoss(), max_grad_norm=0.01)
    for inputs, targets in batches(x, y, 16):
        before = [p.data.astype(np.float64) for p in model.parameters()]
        trainer.train_epoch([(inputs, targets)])
        moved = math.sqrt(sum(np.sum((p.data - b) ** 2) for p, b in zip(model.parameters(), before, strict=True)))
        assert moved <= 10.0 * 0.01 * (1 + 1e-4), f"a step moved the parameters by {moved}"


def test_resuming_equals_the_uninterrupted_run(tmp_path):
    x, y = blobs(150, seed=3)
    train, val = batches(x[:120], y[:120], 16), batches(x[120:], y[120:], 16)

    def make(seed):
        model = mlp(seed)
        opt = AdamW(model.parameters(), lr=0.02)
        return Trainer(model, opt, CrossEntropyLoss(), scheduler=StepLR(opt, 2, 0.5), max_grad_norm=2.0)

    straight = make(1)
    straight.fit(train, 5, val)
    first = make(1)
    first.fit(train, 2, val)
    first.save(tmp_path / "run.npz")
    resumed = make(99)
    resumed.load(tmp_path / "run.npz")
    resumed.fit(train, 3, val)
    for a, b in zip(straight.model.parameters(), resumed.model.parameters(), strict=True):
        assert a.data.tobytes() == b.data.tobytes()
    assert resumed.epoch == straight.epoch == 5
    for key in ("train_loss", "val_loss", "val_accuracy", "lr"):
        assert resumed.history[key] == straight.history[key], key


def test_trainer_argument_errors():
    model = mlp()
    opt = SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="must be a Module"):
        Trainer(lambda x: x, opt, CrossEntropyLoss())
    with pytest.raises(TypeError, match="must be an Optimizer"):
        Trainer(model, "adam", CrossEntropyLoss())
    with pytest.raises(TypeError, match="loss_fn="):
        Trainer(model, opt, "ce")
    with pytest.raises(ValueError, match="max_grad_norm=-1"):
        Trainer(model, opt, CrossEntropyLoss(), max_grad_norm=-1)
    with pytest.raises(ValueError, match="different optimizer"):
        Trainer(model, opt, CrossEntropyLoss(), scheduler=StepLR(SGD(model.parameters(), lr=0.1), 1))
    trainer = Trainer(model, opt, CrossEntropyLoss())
    with pytest.raises(ValueError, match="epochs=1.5"):
        trainer.fit([], 1.5)
    with pytest.raises(ValueError, match="no batches"):
        trainer.evaluate([])
