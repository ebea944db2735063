"""Milestone 01 (1957): Rosenblatt's perceptron separates a linearly separable set.

Frank Rosenblatt's perceptron is one artificial neuron: a weighted sum of the
inputs plus a bias, followed by a threshold, `class 1 if w . x + b > 0`. His
learning rule nudges the weights only on a mistake: `w += lr * y * x` (with
labels y in {-1, +1}). The perceptron convergence theorem (Novikoff, 1962)
guarantees that on a linearly separable set the rule stops making mistakes
after finitely many updates.

Built with your own framework: the neuron is your `Linear(2, 1)`, and the rule
is exactly gradient descent with your `SGD` on the *perceptron criterion*
`relu(-y * (w . x + b))`, whose gradient is `-y * x` on a mistake and 0
otherwise (your `ReLU` and autograd compute it). One update per point, in a
shuffled order, as Rosenblatt did.

Target: 100% of the points classified correctly (the set is separable with a
margin by construction, so the theorem says the rule must get there).

    python milestones/01_perceptron.py [--epochs N] [--target PCT] [--seed S] [--plot curve.png]
"""

from __future__ import annotations

import sys

import _common
import numpy as np

MILESTONE = {
    "year": 1957,
    "title": "Rosenblatt's perceptron",
    "requires": [1, 2, 3, 5, 6],
    "target": "100% accuracy on a linearly separable set (the perceptron rule converges)",
}
SLUG = "01_perceptron"

_common.use_course_package()
try:
    from tinytorch.core.activations import ReLU
    from tinytorch.core.autograd import no_grad
    from tinytorch.core.layers import Linear
    from tinytorch.core.optimizers import SGD
    from tinytorch.core.tensor import Tensor
except ImportError as error:
    _common.cannot_import(MILESTONE, error)
_common.check_own_package(MILESTONE)


def separable_points(n: int, seed: int, margin: float = 0.2):
    """n points in [-3, 3]^2 labelled by a hidden line, none closer to it than ``margin``."""
    rng = np.random.default_rng(seed)
    normal, offset = np.array([2.0, -1.0]) / np.sqrt(5.0), 0.5
    points = np.empty((0, 2))
    while len(points) < n:
        candidates = rng.uniform(-3, 3, size=(2 * n, 2))
        distance = candidates @ normal + offset
        points = np.concatenate([points, candidates[np.abs(distance) >= margin]])
    points = points[:n]
    labels = np.where(points @ normal + offset > 0, 1.0, -1.0)
    return points.astype(np.float32), labels.astype(np.float32)


def accuracy(neuron, points, labels) -> float:
    with no_grad():
        scores = neuron(Tensor(points)).data[:, 0]
    return float(np.mean(np.where(scores > 0, 1.0, -1.0) == labels))


def main() -> int:
    p = _common.parser(MILESTONE, __doc__, epochs=50, target=100.0)
    p.add_argument("--points", type=int, default=200, help="size of the data set (default 200)")
    args = p.parse_args()
    custom = _common.custom_settings(p, args, ("epochs", "target", "points"))
    _common.header(MILESTONE, SLUG)

    points, labels = separable_points(args.points, args.seed)
    np.random.seed(args.seed)
    neuron = Linear(2, 1)
    optimizer = SGD(neuron.parameters(), lr=0.1)
    relu = ReLU()
    rng = np.random.default_rng(args.seed)
    clock = _common.Stopwatch()
    mistakes_per_epoch, accuracies = [], []
    print(f"{len(points)} points, separable with margin 0.2; perceptron rule, lr 0.1, one update per point")
    for epoch in range(1, args.epochs + 1):
        mistakes = 0
        for i in rng.permutation(len(points)):
            x, y = Tensor(points[i : i + 1]), float(labels[i])
            score = neuron(x)
            mistakes += int(score.data[0, 0] * y <= 0)
            loss = relu(score * -y).sum()  # the perceptron criterion: 0 when correct
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        mistakes_per_epoch.append(mistakes)
        accuracies.append(100 * accuracy(neuron, points, labels))
        print(f"  epoch {epoch:3d}: {mistakes:3d} mistakes during the pass, accuracy after it {accuracies[-1]:6.2f}%")
        if mistakes == 0:
            print("  a whole pass without a mistake: the rule has converged")
            break
    seconds = clock.seconds()

    final = accuracies[-1]
    w, b = neuron.weight.data[0], neuron.bias.data[0]
    print(f"\nlearned boundary: {w[0]:+.3f} * x1 {w[1]:+.3f} * x2 {b:+.3f} = 0")
    epochs_run = len(accuracies)
    return _common.finish(
        args,
        SLUG,
        target=f"accuracy >= {args.target:g}% on {len(points)} separable points within {args.epochs} epochs",
        summary=f"accuracy {final:.2f}% after {epochs_run} epoch(s), {seconds:.2f} s",
        measured={
            "accuracy": final / 100,
            "epochs": epochs_run,
            "seconds": round(seconds, 3),
            "mistakes_per_epoch": mistakes_per_epoch,
        },
        met=final >= args.target,
        custom=custom,
        curves={"mistakes per epoch": [float(m) for m in mistakes_per_epoch], "accuracy %": accuracies},
    )


if __name__ == "__main__":
    sys.exit(main())
