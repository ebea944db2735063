"""Build ``datasets/digits.npz``: the course's small handwritten-digits set.

Source: scikit-learn's bundled ``load_digits`` (1,797 grayscale 8x8 images of
the digits 0-9, pixel values 0..16; shipped inside scikit-learn, so nothing is
downloaded). The same set the public TinyTorch course uses for its MLP
milestone.

Split (stated, reproducible): ``numpy.random.default_rng(SEED).permutation``
of the 1,797 images with ``SEED = 0``; the first 1,000 are the training set,
the next 200 the test set, the remaining 597 are not used.

Stored (``np.savez_compressed``, no pickle; about 32 KB):

    train_images  (1000, 8, 8) uint8, 0..16      train_labels  (1000,) uint8, 0..9
    test_images   (200, 8, 8)  uint8, 0..16      test_labels   (200,)  uint8, 0..9

``tinytorch.data.load_digits()`` (Module 08) reads it.

Usage::

    python datasets/make_digits.py           # (re)write datasets/digits.npz if its content changed
    python datasets/make_digits.py --check   # exit 1 if the committed file differs from a fresh build
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

SEED = 0
N_TRAIN = 1000
N_TEST = 200
OUTPUT = Path(__file__).resolve().parent / "digits.npz"


def build() -> dict[str, np.ndarray]:
    """The four arrays, built from scikit-learn's bundled digits."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images.astype(np.uint8)  # float64 0..16 in scikit-learn, integers in fact
    labels = digits.target.astype(np.uint8)
    assert np.array_equal(images, digits.images), "load_digits pixels are expected to be integers 0..16"
    order = np.random.default_rng(SEED).permutation(len(images))
    train, test = order[:N_TRAIN], order[N_TRAIN : N_TRAIN + N_TEST]
    return {
        "train_images": images[train],
        "train_labels": labels[train],
        "test_images": images[test],
        "test_labels": labels[test],
    }


def same_content(path: Path, arrays: dict[str, np.ndarray]) -> bool:
    if not path.exists():
        return False
    with np.load(path, allow_pickle=False) as saved:
        return set(saved.files) == set(arrays) and all(
            saved[k].dtype == v.dtype and np.array_equal(saved[k], v) for k, v in arrays.items()
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only compare the committed file with a fresh build")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"where to write (default {OUTPUT})")
    args = parser.parse_args(argv)
    arrays = build()
    if args.check:
        if same_content(args.output, arrays):
            print(f"{args.output}: up to date")
            return 0
        print(f"{args.output}: differs from a fresh build; run python datasets/make_digits.py")
        return 1
    if same_content(args.output, arrays):
        print(f"{args.output}: already up to date (not rewritten)")
        return 0
    tmp = args.output.with_name(args.output.name + ".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(args.output)
    counts = np.bincount(arrays["test_labels"], minlength=10)
    print(f"wrote {args.output} ({args.output.stat().st_size:,} bytes): {N_TRAIN} train / {N_TEST} test, seed {SEED}")
    print(f"test images per digit 0-9: {counts.tolist()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
