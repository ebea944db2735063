"""Milestone 02 (1969): XOR, the problem one layer cannot solve and a hidden layer can.

In "Perceptrons" (1969) Minsky and Papert proved that a single-layer
perceptron cannot compute XOR: no straight line puts (0,1) and (1,0) on one
side and (0,0) and (1,1) on the other. The proof is four lines (printed
below), and it holds for *any* weights, so no training can help: at most 3 of
the 4 points can be right. The way out, a hidden layer trained by
backpropagation, became practical in 1986.

This script demonstrates both halves with your framework:

1. a single layer, your `Linear(2, 1)` with a `Sigmoid`, trained with your
   `BinaryCrossEntropyLoss` and `SGD`: its accuracy never exceeds 75%, as the
   proof says (if it ever did, your framework would be wrong, and the script
   fails);
2. the same inputs through a hidden layer, `Linear(2, 8) -> Tanh -> Linear(8, 1)
   -> Sigmoid`: 100% on the four points.

Target: the hidden-layer network classifies all 4 points correctly, and the
single layer stays at or below 75% (3 of 4).

    python milestones/02_xor.py [--epochs N] [--target PCT] [--seed S] [--plot curve.png]
"""

from __future__ import annotations

import sys

import _common
import numpy as np

MILESTONE = {
    "year": 1969,
    "title": "XOR: one layer fails, a hidden layer solves it",
    "requires": [1, 2, 3, 4, 5, 6],
    "target": "100% on the 4 XOR points with a hidden layer; a single layer provably stays <= 75%",
}
SLUG = "02_xor"
PROOF = """Why no single layer can do it: suppose w1*x1 + w2*x2 + b > 0 exactly for XOR = 1. Then
  (0,0) -> 0:  b <= 0                    (1,0) -> 1:  w1 + b > 0
  (1,1) -> 0:  w1 + w2 + b <= 0          (0,1) -> 1:  w2 + b > 0
Adding the right column: w1 + w2 + 2b > 0; adding the left: w1 + w2 + 2b <= 0. Contradiction,
for every choice of weights: at least one point is always wrong, so accuracy <= 3/4."""

_common.use_course_package()
try:
    from tinytorch.core.activations import Sigmoid, Tanh
    from tinytorch.core.autograd import no_grad
    from tinytorch.core.layers import Linear, Sequential
    from tinytorch.core.losses import BinaryCrossEntropyLoss
    from tinytorch.core.optimizers import SGD
    from tinytorch.core.tensor import Tensor
except ImportError as error:
    _common.cannot_import(MILESTONE, error)
_common.check_own_package(MILESTONE)

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
Y = np.array([[0], [1], [1], [0]], dtype=np.float32)


def train(model, epochs: int, lr: float):
    """Full-batch training on the 4 points; (losses, accuracies in %) per epoch."""
    optimizer = SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_fn, x = BinaryCrossEntropyLoss(), Tensor(X)
    losses, accuracies = [], []
    for _ in range(epochs):
        loss = loss_fn(model(x), Y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        accuracies.append(100 * accuracy(model))
    return losses, accuracies


def accuracy(model) -> float:
    with no_grad():
        predictions = (model(Tensor(X)).data > 0.5).astype(np.float32)
    return float(np.mean(predictions == Y))


def main() -> int:
    p = _common.parser(MILESTONE, __doc__, epochs=300, target=100.0)
    args = p.parse_args()
    custom = _common.custom_settings(p, args, ("epochs", "target"))
    _common.header(MILESTONE, SLUG)
    clock = _common.Stopwatch()

    np.random.seed(args.seed)
    single = Sequential(Linear(2, 1), Sigmoid())
    single_losses, single_acc = train(single, args.epochs, lr=0.5)
    print(
        f"1. single layer, {args.epochs} epochs: final loss {single_losses[-1]:.4f}, "
        f"accuracy {single_acc[-1]:.0f}%, best accuracy at any epoch {max(single_acc):.0f}%"
    )
    print(PROOF)
    single_ok = max(single_acc) <= 75.0
    if not single_ok:
        print("!! a single layer scored above 75% on XOR, which is impossible: check Linear, Sigmoid and the loss")

    np.random.seed(args.seed)
    hidden = Sequential(Linear(2, 8), Tanh(), Linear(8, 1), Sigmoid())
    hidden_losses, hidden_acc = train(hidden, args.epochs, lr=0.5)
    with no_grad():
        outputs = hidden(Tensor(X)).data[:, 0]
    print(
        f"\n2. hidden layer (2-8-1, Tanh), {args.epochs} epochs: final loss {hidden_losses[-1]:.4f}, "
        f"accuracy {hidden_acc[-1]:.0f}%"
    )
    for (a, b), out, want in zip(X, outputs, Y[:, 0], strict=True):
        print(f"   XOR({a:.0f}, {b:.0f}) = {want:.0f}   network says {out:.3f} -> {int(out > 0.5)}")
    seconds = clock.seconds()

    met = hidden_acc[-1] >= args.target and single_ok
    return _common.finish(
        args,
        SLUG,
        target=f"hidden layer >= {args.target:g}% on the 4 points after {args.epochs} epochs; single layer <= 75%",
        summary=(
            f"hidden layer {hidden_acc[-1]:.0f}%, single layer {single_acc[-1]:.0f}% "
            f"(best {max(single_acc):.0f}%), {seconds:.2f} s"
        ),
        measured={
            "hidden_accuracy": hidden_acc[-1] / 100,
            "single_layer_accuracy": single_acc[-1] / 100,
            "single_layer_best_accuracy": max(single_acc) / 100,
            "epochs": args.epochs,
            "seconds": round(seconds, 3),
        },
        met=met,
        custom=custom,
        curves={
            "loss (hidden layer)": hidden_losses,
            "loss (single layer)": single_losses,
            "accuracy % (hidden layer)": hidden_acc,
        },
    )


if __name__ == "__main__":
    sys.exit(main())
