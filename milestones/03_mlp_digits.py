"""Milestone 03 (1986): a multi-layer perceptron trained by backpropagation reads handwritten digits.

In 1986 Rumelhart, Hinton and Williams showed that backpropagation trains
networks with hidden layers, which then learn their own internal features.
Three years later LeCun's group used such networks to read the handwritten
digits of US zip codes. This milestone does the same on the course's digits
set (8x8 grayscale scans from the UCI / scikit-learn digits, 1,000 for
training and 200 held out for testing; see datasets/make_digits.py), with
everything you built:

    load_digits -> TensorDataset -> DataLoader(batch 32, shuffled, seeded)
    -> Sequential(Linear(64, 128), ReLU(), Linear(128, 10))
    -> CrossEntropyLoss, Adam with a cosine learning-rate schedule,
       Trainer (fit, evaluate on the test set after each epoch)

The model never sees the 200 test images while training; the reported
accuracy is the one after the last epoch (no picking the best epoch on the
test set). The clock runs from loading the data to the last evaluation.

Target: at least 95% test accuracy, in under 30 seconds of wall time.

    python milestones/03_mlp_digits.py [--epochs N] [--target PCT] [--time-limit S] [--seed S] [--plot curve.png]
"""

from __future__ import annotations

import sys

import _common
import numpy as np

MILESTONE = {
    "year": 1986,
    "title": "MLP with backpropagation on handwritten digits",
    "requires": [1, 2, 3, 4, 5, 6, 7, 8],
    "target": ">= 95% test accuracy on the digits set in under 30 s",
}
SLUG = "03_mlp_digits"

_common.use_course_package()
try:
    from tinytorch.core.activations import ReLU
    from tinytorch.core.layers import Linear, Sequential
    from tinytorch.core.losses import CrossEntropyLoss
    from tinytorch.core.optimizers import Adam
    from tinytorch.core.training import CosineAnnealingLR, Trainer
    from tinytorch.data import DataLoader, TensorDataset, load_digits
except ImportError as error:
    _common.cannot_import(MILESTONE, error)
_common.check_own_package(MILESTONE)


def main() -> int:
    p = _common.parser(MILESTONE, __doc__, epochs=30, target=95.0)
    p.add_argument("--time-limit", type=float, default=30.0, help="wall-clock budget in seconds (default 30)")
    args = p.parse_args()
    custom = _common.custom_settings(p, args, ("epochs", "target", "time_limit"))
    _common.header(MILESTONE, SLUG)

    clock = _common.Stopwatch()
    (train_x, train_y), (test_x, test_y) = load_digits()
    train = DataLoader(
        TensorDataset(train_x.reshape(len(train_x), -1), train_y), batch_size=32, shuffle=True, seed=args.seed
    )
    test = DataLoader(TensorDataset(test_x.reshape(len(test_x), -1), test_y), batch_size=200)
    np.random.seed(args.seed)
    model = Sequential(Linear(64, 128), ReLU(), Linear(128, 10))
    optimizer = Adam(model.parameters(), lr=2e-3)
    schedule = CosineAnnealingLR(optimizer, T_max=args.epochs)
    trainer = Trainer(model, optimizer, CrossEntropyLoss(), scheduler=schedule)
    print(f"{len(train_x)} training / {len(test_x)} test images of 8x8; MLP 64-128-10, batch 32,")
    print(f"Adam lr 2e-3 decayed to 0 over {args.epochs} epochs (cosine)")
    for _ in range(args.epochs):
        history = trainer.fit(train, epochs=1, val_batches=test)
        print(
            f"  epoch {trainer.epoch:3d}: train loss {history['train_loss'][-1]:.4f}, "
            f"test loss {history['val_loss'][-1]:.4f}, test accuracy {100 * history['val_accuracy'][-1]:6.2f}%"
            f"  ({clock.seconds():.2f} s)"
        )
    seconds = clock.seconds()

    final = 100 * history["val_accuracy"][-1]
    met = final >= args.target and seconds < args.time_limit
    if final >= args.target and not met:
        print(f"!! accuracy reached, but it took {seconds:.1f} s, over the {args.time_limit:g} s limit")
    return _common.finish(
        args,
        SLUG,
        target=f"test accuracy >= {args.target:g}% after {args.epochs} epochs, in under {args.time_limit:g} s",
        summary=f"test accuracy {final:.2f}% ({round(final * len(test_x) / 100)}/{len(test_x)}) in {seconds:.2f} s",
        measured={
            "test_accuracy": final / 100,
            "seconds": round(seconds, 3),
            "epochs": args.epochs,
            "train_loss": history["train_loss"][-1],
            "test_loss": history["val_loss"][-1],
        },
        met=met,
        custom=custom,
        curves={
            "train loss": history["train_loss"],
            "test loss": history["val_loss"],
            "test accuracy %": [100 * a for a in history["val_accuracy"]],
        },
    )


if __name__ == "__main__":
    sys.exit(main())
