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
#     requires: [1, 2, 3, 4, 5, 6, 7]
#     points: 70
# ---

# %% [markdown]
"""
# Module 08: DataLoader - feeding real data to the model

Module 07's `Trainer` loops over "anything that yields `(inputs, targets)`
batches". This module builds the real thing, with PyTorch's names:

```
Dataset                  "how many samples, and give me sample i"
 '- TensorDataset        samples are rows of arrays you already have in memory
DataLoader               batches of samples: batch_size, shuffle (with a seed), drop_last
read_idx / load_mnist    the MNIST file format (IDX), parsed from the bytes
read_cifar10_batch / load_cifar10   the CIFAR-10 binary format
load_digits              the course's small handwritten-digits set, shipped with the course
```

```python
(train_x, train_y), (test_x, test_y) = load_digits()
train = DataLoader(TensorDataset(train_x.reshape(-1, 64), train_y), batch_size=32, shuffle=True, seed=0)
for images, labels in train:          # Tensors of shape (32, 64) and (32,)
    ...
```

## Learning objectives

1. Explain the split between a `Dataset` (indexing) and a `DataLoader`
   (batching, order), and why PyTorch separates them.
2. Implement `TensorDataset`, `default_collate` and a `DataLoader` with
   batching, reproducible shuffling and `drop_last`.
3. Parse two real binary file formats (MNIST's IDX with its big-endian
   header, CIFAR-10's fixed-size records) and reject broken files with
   clear errors.
4. Measure loader throughput against batch size, the cost of per-sample
   Python work compared with one vectorized gather, and the memory of
   images stored as `uint8` versus `float32`.

## Prerequisites

- **Module 01 (Tensor)**: the dtype rule (float arrays become `float32`,
  integer arrays keep their type).
- **Module 07 (Training)**: the `Trainer` consumes what you build here
  (used in the integration test).
- NumPy fancy indexing (`a[[3, 0, 7]]` gathers rows into a new array),
  `np.random.default_rng(seed)`, bytes and `np.frombuffer`.

## Where this code lives

`tito source export 08` writes `tinytorch/data.py` (a top-level module,
like `torch.utils.data`):

```python
from tinytorch.data import Dataset, TensorDataset, DataLoader, load_digits, load_mnist, load_cifar10
```
"""

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": false, "schema_version": 3, "solution": false}
#| default_exp data
#| export
import gzip
import math
import os
from pathlib import Path

import numpy as np

from tinytorch.core.tensor import ShapeError, Tensor, TinyTorchError

# %% [markdown]
"""
## 1. Dataset: what a sample is

A **dataset** answers two questions: `len(dataset)`, and `dataset[i]`, the
i-th sample, usually a tuple `(input, target)`. That is the whole protocol
(PyTorch's "map-style" dataset). It says nothing about batches or order, so
the same dataset can be read sequentially for evaluation and shuffled for
training, and a dataset that reads images from disk one by one looks
exactly like one that holds everything in memory.

`TensorDataset(*arrays)` is the in-memory case: sample `i` is row `i` of
every array, `(images[i], labels[i])`. All arrays must have the same
number of rows: a mismatch is almost always a bug (labels for the wrong
split), so it is an error, not something to broadcast.

**Batches in one go.** Asking for 32 samples one at a time costs 32 Python
calls and then a `np.stack` to glue them together. A dataset may also
define `__getitems__(indices)` (PyTorch's name, since 2.0) returning the
whole batch at once; for in-memory arrays that is a single fancy index,
`array[indices]`. The systems analysis measures the difference.

Samples are NumPy values; the `DataLoader` turns batches into `Tensor`s.
"""


# %% nbgrader={"grade": false, "grade_id": "dataset-base", "locked": true, "schema_version": 3, "solution": false}
#| export
class DatasetFormatError(TinyTorchError, ValueError):
    """A data file that is not in the format it claims (bad magic number, truncated, ...)."""


class Dataset:
    """A map-style dataset (PyTorch: ``torch.utils.data.Dataset``): ``len(ds)`` and ``ds[i]``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index)")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__()")


# %% nbgrader={"grade": false, "grade_id": "tensor-dataset", "locked": false, "schema_version": 3, "solution": true}
#| export
class TensorDataset(Dataset):
    """Sample ``i`` is ``(a[i], b[i], ...)`` for the given arrays (PyTorch: ``TensorDataset``)."""

    def __init__(self, *arrays) -> None:
        """Store the arrays (Tensors become their ``.data``) after checking their lengths.

        TODO: keep a tuple of NumPy arrays in ``self.arrays``, all with the
        same first dimension.

        APPROACH:
        1. No arrays at all: ValueError ("at least one array").
        2. Convert each: a Tensor's .data, anything else np.asarray(...).
           A 0-d array (a single number) has no rows: ShapeError naming
           ``arrays[i]``.
        3. If the first dimensions differ: ShapeError listing every
           ``arrays[i].shape`` (the mismatch is the bug to find).
        4. self.arrays = tuple(...)

        EXAMPLE:
        >>> ds = TensorDataset(np.zeros((5, 3)), np.arange(5))
        >>> len(ds), ds[2]
        (5, (array([0., 0., 0.]), 2))
        """
        ### BEGIN SOLUTION
        if not arrays:
            raise ValueError("TensorDataset needs at least one array, e.g. TensorDataset(images, labels)")
        converted = []
        for i, a in enumerate(arrays):
            a = a.data if isinstance(a, Tensor) else np.asarray(a)
            if a.ndim == 0:
                raise ShapeError(f"TensorDataset: arrays[{i}] is a single number (shape ()); it has no rows")
            converted.append(a)
        if len({a.shape[0] for a in converted}) != 1:
            shapes = ", ".join(f"arrays[{i}].shape={a.shape}" for i, a in enumerate(converted))
            raise ShapeError(f"TensorDataset: all arrays need the same number of rows (first dimension); got {shapes}")
        self.arrays = tuple(converted)
        ### END SOLUTION

    def __len__(self) -> int:
        """The number of rows."""
        ### BEGIN SOLUTION
        return self.arrays[0].shape[0]
        ### END SOLUTION

    def __getitem__(self, index):
        """One sample: a tuple with row ``index`` of every array."""
        ### BEGIN SOLUTION
        return tuple(a[index] for a in self.arrays)
        ### END SOLUTION

    def __getitems__(self, indices):
        """A whole batch: a tuple with rows ``indices`` (an int array) of every array, in one gather each."""
        ### BEGIN SOLUTION
        return tuple(a[indices] for a in self.arrays)
        ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "test-helpers", "locked": true, "schema_version": 3, "solution": false}
def _expect_error(exc_type, fn, *args, contains="", **kwargs):
    """Assert that fn(*args, **kwargs) raises exc_type whose message contains ``contains``."""
    try:
        fn(*args, **kwargs)
    except exc_type as exc:
        assert contains in str(exc), f"{exc_type.__name__} message {str(exc)!r} should mention {contains!r}"
        return
    raise AssertionError(f"{getattr(fn, '__name__', fn)} should raise {exc_type.__name__} ({contains!r})")


# %% nbgrader={"grade": true, "grade_id": "test-tensor-dataset", "locked": true, "points": 10, "schema_version": 3, "solution": false}
def test_unit_tensor_dataset():
    """Rows of every array, one sample or a whole batch; mismatched lengths are named."""
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10) % 3
    ds = TensorDataset(Tensor(x), y)
    assert len(ds) == 10
    sample = ds[4]
    assert isinstance(sample, tuple) and len(sample) == 2
    np.testing.assert_array_equal(sample[0], [8.0, 9.0])
    assert sample[1] == 1
    batch = ds.__getitems__(np.array([9, 0, 4]))
    np.testing.assert_array_equal(batch[0], x[[9, 0, 4]])
    np.testing.assert_array_equal(batch[1], [0, 0, 1])
    assert len(TensorDataset(y)) == 10 and TensorDataset(y)[3] == (0,)
    _expect_error(ShapeError, TensorDataset, x, y[:9], contains="arrays[1].shape=(9,)")
    _expect_error(ValueError, TensorDataset, contains="at least one")
    _expect_error(ShapeError, TensorDataset, x, 5, contains="arrays[1]")


if __name__ == "__main__":
    test_unit_tensor_dataset()

# %% [markdown]
"""
## 2. DataLoader: batches, order, and the last batch

A `DataLoader` walks a dataset in batches:

```
DataLoader(dataset, batch_size=4)            10 samples ->  [0 1 2 3] [4 5 6 7] [8 9]
DataLoader(..., drop_last=True)                          ->  [0 1 2 3] [4 5 6 7]
DataLoader(..., shuffle=True, seed=0)                    ->  [7 2 9 0] [5 1 8 3] [6 4]   (new order each epoch)
```

- **Shuffle** for training: a model that sees the classes in a fixed order
  (all 0s, then all 1s, ...) learns the order, not the task. Each pass
  (`for batch in loader`) draws a **new** permutation, from one
  `np.random.default_rng(seed)` created when the loader is: with the same
  seed the whole run, epoch after epoch, is reproducible; without a seed it
  is different every time. (PyTorch passes a seeded `generator=` instead.)
- **drop_last** drops the final short batch, for code that needs equal
  batch sizes. `len(loader)` is the number of batches either way:
  `n // batch_size` with `drop_last`, `ceil(n / batch_size)` without.
- **Collate**: the loader gets the batch from `dataset.__getitems__(indices)`
  when the dataset has it, else it asks sample by sample and calls
  `collate_fn(list_of_samples)`; `default_collate` stacks field by field.
  Either way each field becomes a `Tensor` (float arrays become float32,
  integer labels keep their integer type: Module 01's rule).
"""


# %% nbgrader={"grade": false, "grade_id": "dataloader", "locked": false, "schema_version": 3, "solution": true}
#| export
def default_collate(samples):
    """Stack a list of samples into a batch (PyTorch: ``default_collate``).

    Samples that are tuples give a tuple of Tensors, stacked field by field;
    samples that are single arrays or numbers give one Tensor.

    TODO: np.stack each field across the samples and wrap it in a Tensor.

    APPROACH:
    1. Empty list: ValueError.
    2. If samples[0] is a tuple (or list): for each position k, stack
       [s[k] for s in samples] and make it a Tensor; return a tuple.
    3. Otherwise return Tensor(np.stack(samples)).

    EXAMPLE:
    >>> default_collate([(np.array([1.0, 2.0]), 0), (np.array([3.0, 4.0]), 1)])
    (tensor([[1., 2.], [3., 4.]]), tensor([0, 1]))
    """
    ### BEGIN SOLUTION
    if not samples:
        raise ValueError("default_collate: no samples to collate")
    if isinstance(samples[0], (tuple, list)):
        return tuple(Tensor(np.stack([s[k] for s in samples])) for k in range(len(samples[0])))
    return Tensor(np.stack(samples))
    ### END SOLUTION


def _check_bool(name, value):
    if not isinstance(value, bool):
        raise TypeError(f"DataLoader: {name}={value!r} must be True or False")


class DataLoader:
    """Iterate over a dataset in batches of Tensors (PyTorch: ``torch.utils.data.DataLoader``)."""

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None, collate_fn=None) -> None:
        """Check and store the settings; create the random generator for shuffling.

        TODO: validate, then store every argument and self.rng.

        APPROACH:
        1. dataset must support len() and indexing (hasattr __len__ and
           __getitem__): TypeError naming its type.
        2. batch_size: an int (not a bool) >= 1: TypeError / ValueError
           naming ``batch_size=...``. shuffle and drop_last: bools
           (``_check_bool``). seed: None or an int.
        3. self.rng = np.random.default_rng(seed)
        4. self.collate_fn = collate_fn (None means: __getitems__ if the
           dataset has it, else default_collate).
        """
        ### BEGIN SOLUTION
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(
                f"DataLoader: dataset={type(dataset).__name__} must support len() and dataset[i] "
                "(a Dataset such as TensorDataset(images, labels))"
            )
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"DataLoader: batch_size={batch_size!r} must be a positive int")
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size={batch_size!r} must be >= 1")
        _check_bool("shuffle", shuffle)
        _check_bool("drop_last", drop_last)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"DataLoader: seed={seed!r} must be None or an int")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle, self.drop_last, self.seed = shuffle, drop_last, seed
        self.collate_fn = collate_fn
        self.rng = np.random.default_rng(seed)
        ### END SOLUTION

    def __len__(self) -> int:
        """The number of batches one pass yields."""
        ### BEGIN SOLUTION
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
        ### END SOLUTION

    def __iter__(self):
        """Yield the batches of one pass (a generator: use ``yield``).

        TODO: choose the order, cut it into batches, fetch and collate each.

        APPROACH:
        1. n = len(self.dataset); order = self.rng.permutation(n) if
           self.shuffle else np.arange(n).
        2. stop = len(self) * self.batch_size if self.drop_last else n
        3. For start in range(0, stop, self.batch_size):
           indices = order[start : start + self.batch_size]
           - if self.collate_fn is None and the dataset has __getitems__:
             yield tuple(Tensor(a) for a in self.dataset.__getitems__(indices))
           - else: yield (self.collate_fn or default_collate)(
             [self.dataset[int(i)] for i in indices])

        HINTS:
        - hasattr(self.dataset, "__getitems__") tells you which path to take.
        - int(i): NumPy integers are fine for arrays, but a user's Dataset
          may expect a plain Python int.
        """
        ### BEGIN SOLUTION
        n = len(self.dataset)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        stop = len(self) * self.batch_size if self.drop_last else n
        batched = self.collate_fn is None and hasattr(self.dataset, "__getitems__")
        collate = self.collate_fn or default_collate
        for start in range(0, stop, self.batch_size):
            indices = order[start : start + self.batch_size]
            if batched:
                yield tuple(Tensor(a) for a in self.dataset.__getitems__(indices))
            else:
                yield collate([self.dataset[int(i)] for i in indices])
        ### END SOLUTION

    def __repr__(self) -> str:
        return (
            f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last}, seed={self.seed})"
        )


# %% nbgrader={"grade": true, "grade_id": "test-dataloader", "locked": true, "points": 20, "schema_version": 3, "solution": false}
class _Squares(Dataset):
    """A dataset computed on demand, without __getitems__: sample i is (i, i*i)."""

    def __init__(self, n):
        self.n, self.requested = n, []

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        assert type(i) is int, f"the loader must pass plain ints, got {type(i).__name__}"
        self.requested.append(i)
        return np.array([float(i)]), i * i


def _order(loader):
    """The sample ids a pass over ``loader`` yields, batch by batch (first field, first column)."""
    return [batch[0].data[:, 0].astype(int).tolist() for batch in loader]


def test_unit_dataloader():
    """Batches, lengths, drop_last, seeded shuffling, both fetch paths, Tensors, errors."""
    x = np.arange(10, dtype=np.float64).reshape(10, 1)
    y = np.arange(10)
    ds = TensorDataset(x, y)
    loader = DataLoader(ds, batch_size=4)
    assert len(loader) == 3 and _order(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    images, labels = next(iter(loader))
    assert isinstance(images, Tensor) and isinstance(labels, Tensor)
    assert images.dtype == np.float32 and labels.dtype == np.int64, f"{images.dtype}, {labels.dtype}"
    dropping = DataLoader(ds, batch_size=4, drop_last=True)
    assert len(dropping) == 2 and _order(dropping) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(ds, batch_size=16, drop_last=True)) == 0 and list(DataLoader(ds, 16, drop_last=True)) == []
    assert len(DataLoader(ds, batch_size=16)) == 1
    # shuffling: every sample exactly once per epoch, new order per epoch, reproducible by seed
    shuffled = DataLoader(ds, batch_size=3, shuffle=True, seed=0)
    epoch1, epoch2 = _order(shuffled), _order(shuffled)
    assert sorted(sum(epoch1, [])) == list(range(10)) and [len(b) for b in epoch1] == [3, 3, 3, 1]
    assert epoch1 != epoch2, "each pass must draw a new order"
    again = DataLoader(ds, batch_size=3, shuffle=True, seed=0)
    assert _order(again) == epoch1 and _order(again) == epoch2, "the same seed must repeat the run"
    assert _order(DataLoader(ds, batch_size=3, shuffle=True, seed=1)) != epoch1
    expected = np.random.default_rng(0).permutation(10)[:3].tolist()
    assert epoch1[0] == expected, "the order must come from np.random.default_rng(seed).permutation"
    for batch in DataLoader(ds, batch_size=3, shuffle=True, seed=5):  # rows stay paired with labels
        np.testing.assert_array_equal(batch[0].data[:, 0], batch[1].data)
    # a dataset without __getitems__: sample by sample, then collate
    squares = _Squares(5)
    batches = list(DataLoader(squares, batch_size=2))
    assert squares.requested == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(batches[1][1].data, [4, 9])
    custom = list(DataLoader(squares, batch_size=5, collate_fn=lambda samples: len(samples)))
    assert custom == [5], "collate_fn must receive the list of samples"
    single = default_collate([np.array([1.0, 2.0]), np.array([3.0, 4.0])])
    assert isinstance(single, Tensor) and single.shape == (2, 2)
    # errors
    _expect_error(ValueError, DataLoader, ds, batch_size=0, contains="batch_size=0")
    _expect_error(TypeError, DataLoader, ds, batch_size=2.5, contains="batch_size=2.5")
    _expect_error(TypeError, DataLoader, ds, shuffle="yes", contains="shuffle='yes'")
    _expect_error(TypeError, DataLoader, 42, contains="dataset=int")


if __name__ == "__main__":
    test_unit_dataloader()

# %% [markdown]
"""
## 3. Real file formats: MNIST's IDX

MNIST (70,000 handwritten digits, 28x28) is distributed in the **IDX**
format: a tiny header, then the raw numbers. Reading it teaches how
binary formats work, and the format is still used (Fashion-MNIST,
EMNIST, KMNIST use it too).

```
bytes 0-1   0x00 0x00                 always zero: a quick check that this is IDX
byte  2     type code                 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
byte  3     number of dimensions      3 for images (count, rows, cols), 1 for labels
then        one 4-byte big-endian unsigned int per dimension
then        the data, row-major, big-endian
```

The first 4 bytes read as one big-endian int are the famous **magic
numbers**: `2051` (`0x00000803`: uint8, 3 dimensions) for image files and
`2049` (`0x00000801`) for label files.

**Big-endian** means the most significant byte comes first: the dimension
`60000 = 0x0000EA60` is stored as `00 00 EA 60`. x86 and ARM computers are
little-endian, so reading those bytes as a native int gives 1,625,948,160.
NumPy handles it with a dtype: `np.dtype(">u4")` is a big-endian 4-byte
unsigned int; `np.frombuffer(data, dtype)` interprets bytes without copying.

The files are usually distributed gzipped (`train-images-idx3-ubyte.gz`):
gzip files start with the bytes `1f 8b`; `gzip.open` reads them.

A real parser must **reject** broken files instead of returning garbage: a
wrong magic number (not an IDX file), an unknown type code, or fewer bytes
than the header promises (a truncated download), each with an error that
says what was expected and what was found.
"""


# %% nbgrader={"grade": false, "grade_id": "idx", "locked": false, "schema_version": 3, "solution": true}
#| export
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path) -> bytes:
    """The file's bytes, decompressed if it is gzipped (detected by its first two bytes)."""
    with open(path, "rb") as handle:
        raw = handle.read()
    return gzip.decompress(raw) if raw[:2] == _GZIP_MAGIC else raw


def read_idx(path) -> np.ndarray:
    """Parse an IDX file (plain or gzipped) into a NumPy array of its shape, in native byte order.

    TODO: check the header, read the dimensions, interpret the data.

    APPROACH:
    1. data = _read_bytes(path). Fewer than 4 bytes, or data[0:2] != b"\\x00\\x00":
       DatasetFormatError naming the path and the first 4 bytes found (data[:4].hex()).
    2. code, ndim = data[2], data[3]. code not in IDX_TYPES: DatasetFormatError
       naming the code in hex and the known codes.
    3. dims = np.frombuffer(data, dtype=">u4", count=ndim, offset=4): the
       shape (check first that the file is long enough for them).
    4. dtype = np.dtype(IDX_TYPES[code]); expected = prod(dims) * dtype.itemsize bytes
       after the header (4 + 4 * ndim bytes). Different: DatasetFormatError
       "truncated" (or "extra bytes") with both numbers.
    5. array = np.frombuffer(data, dtype, offset=header).reshape(dims)
       and return array.astype(dtype.newbyteorder("="))  (native order, a writeable copy).

    HINTS:
    - int(np.prod(dims)) is 1 for ndim == 0 (a scalar): that is right.
    - For uint8 data byte order does not matter, but the code is the same.

    EXAMPLE:
    >>> read_idx("train-labels-idx1-ubyte.gz")[:5]
    array([5, 0, 4, 1, 9], dtype=uint8)
    """
    ### BEGIN SOLUTION
    data = _read_bytes(path)
    if len(data) < 4 or data[0:2] != b"\x00\x00":
        raise DatasetFormatError(
            f"{path}: not an IDX file: it starts with 0x{data[:4].hex() or '(empty)'}, an IDX file starts "
            "with two zero bytes (magic numbers 0x00000803 for images, 0x00000801 for labels)"
        )
    code, ndim = data[2], data[3]
    if code not in IDX_TYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_TYPES)
        raise DatasetFormatError(f"{path}: unknown IDX type code 0x{code:02X} (known: {known})")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetFormatError(f"{path}: truncated header: {ndim} dimensions need {header} bytes, found {len(data)}")
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(IDX_TYPES[code])
    expected = int(np.prod(dims)) * dtype.itemsize
    found = len(data) - header
    if found != expected:
        problem = "truncated" if found < expected else "extra bytes"
        raise DatasetFormatError(
            f"{path}: {problem}: shape {dims} of {dtype.name} needs {expected:,} bytes after the header, found {found:,}"
        )
    return np.frombuffer(data, dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))
    ### END SOLUTION


def _find(folder, names):
    """The first of ``names`` (plain or .gz) that exists in ``folder``, or a FileNotFoundError."""
    for name in names:
        for candidate in (Path(folder) / name, Path(folder) / f"{name}.gz"):
            if candidate.exists():
                return candidate
    raise FileNotFoundError(f"none of {[*names]} (or .gz) in {folder}")


def load_mnist(root, train=True):
    """``(images uint8 (N, 28, 28), labels uint8 (N,))`` from the four standard MNIST files in ``root``.

    Looks for ``train-images-idx3-ubyte`` / ``train-labels-idx1-ubyte`` (or
    ``t10k-...`` for ``train=False``), plain or ``.gz``. Nothing is downloaded.
    """
    split = "train" if train else "t10k"
    images = read_idx(_find(root, [f"{split}-images-idx3-ubyte", f"{split}-images.idx3-ubyte"]))
    labels = read_idx(_find(root, [f"{split}-labels-idx1-ubyte", f"{split}-labels.idx1-ubyte"]))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DatasetFormatError(
            f"{root}: images.shape={images.shape} and labels.shape={labels.shape} do not form a data set "
            "(expected (N, rows, cols) and (N,))"
        )
    return images, labels


# %% nbgrader={"grade": true, "grade_id": "test-idx", "locked": true, "points": 15, "schema_version": 3, "solution": false}
def _write_idx(path, array, code=0x08, compress=False):
    """Write ``array`` as an IDX file by hand: the test's own oracle of the format."""
    header = bytes([0, 0, code, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    body = header + array.astype(np.dtype(IDX_TYPES[code])).tobytes()
    Path(path).write_bytes(gzip.compress(body) if compress else body)


def test_unit_idx():
    """read_idx parses every IDX type, plain and gzipped; load_mnist pairs files; bad files are named."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp())
    try:
        rng = np.random.default_rng(0)
        images = rng.integers(0, 256, size=(7, 28, 28)).astype(np.uint8)
        labels = rng.integers(0, 10, size=7).astype(np.uint8)
        _write_idx(folder / "train-images-idx3-ubyte", images)
        _write_idx(folder / "train-labels-idx1-ubyte.gz", labels, compress=True)
        assert (folder / "train-images-idx3-ubyte").read_bytes()[:4] == bytes.fromhex("00000803"), "magic 2051"
        got_images, got_labels = load_mnist(folder, train=True)
        assert got_images.dtype == np.uint8 and got_images.shape == (7, 28, 28)
        np.testing.assert_array_equal(got_images, images)
        np.testing.assert_array_equal(got_labels, labels)
        for code, values in [
            (0x09, np.array([-128, 0, 127])),
            (0x0B, np.array([[-30000, 2], [3, 30000]])),
            (0x0C, np.array([-(2**31), 60000, 2**31 - 1])),
            (0x0D, np.array([[1.5, -2.25, 1e30]])),
            (0x0E, np.array([np.pi, -1e-300])),
        ]:
            _write_idx(folder / "x.idx", values, code)
            got = read_idx(folder / "x.idx")
            assert got.shape == values.shape and got.dtype == np.dtype(IDX_TYPES[code]).newbyteorder("=")
            assert got.dtype.isnative, "return native byte order"
            np.testing.assert_array_equal(got, values.astype(got.dtype), err_msg=f"type 0x{code:02X}")
        # broken files, each with its own message
        (folder / "bad").write_bytes(b"PK\x03\x04 a zip file")
        _expect_error(DatasetFormatError, read_idx, folder / "bad", contains="504b0304")
        (folder / "bad").write_bytes(bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 0]))
        _expect_error(DatasetFormatError, read_idx, folder / "bad", contains="0x07")
        full = (folder / "train-images-idx3-ubyte").read_bytes()
        (folder / "bad").write_bytes(full[:-100])
        _expect_error(DatasetFormatError, read_idx, folder / "bad", contains="truncated")
        _expect_error(FileNotFoundError, load_mnist, folder, train=False, contains="t10k-images")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    test_unit_idx()

# %% [markdown]
"""
## 4. CIFAR-10's binary format

CIFAR-10 (60,000 color images, 32x32, 10 classes) comes, in its "binary
version", as six files `data_batch_1.bin` ... `data_batch_5.bin` (10,000
training images each) and `test_batch.bin`, in a folder
`cifar-10-batches-bin`. There is no header at all: each file is a
sequence of fixed-size **records** of `1 + 3072` bytes:

```
byte 0          the label, 0..9
bytes 1-1024    the red channel, 32 rows of 32 pixels
bytes 1025-2048 green
bytes 2049-3072 blue
```

So a file of `n` records is exactly `3073 * n` bytes: read all bytes as
`uint8`, reshape to `(n, 3073)`, split off column 0, and reshape the rest to
`(n, 3, 32, 32)`: channels first, the layout convolutions (Module 09) and
PyTorch use. Without a header the only checks possible are the size (a
multiple of 3073) and the labels (below 10); do both.
"""


# %% nbgrader={"grade": false, "grade_id": "cifar", "locked": false, "schema_version": 3, "solution": true}
#| export
CIFAR10_RECORD = 1 + 3 * 32 * 32
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def read_cifar10_batch(path):
    """``(images uint8 (n, 3, 32, 32), labels uint8 (n,))`` from one CIFAR-10 binary batch file.

    TODO: check the size, split the records, check the labels.

    APPROACH:
    1. data = np.frombuffer(_read_bytes(path), dtype=np.uint8)
    2. If data.size is 0 or not a multiple of CIFAR10_RECORD:
       DatasetFormatError naming the size and the record length (3073).
    3. records = data.reshape(-1, CIFAR10_RECORD)
    4. labels = records[:, 0].copy(); any label >= 10: DatasetFormatError
       naming the first bad record and its value.
    5. images = np.ascontiguousarray(records[:, 1:]).reshape(-1, 3, 32, 32)

    HINTS:
    - records[:, 1:] skips one byte per row: a strided *view* of the file's
      bytes (read-only, since the bytes object is). ascontiguousarray copies
      it into a fresh, writeable, contiguous array; without it, reshape
      would happily return another strided view.

    EXAMPLE:
    >>> images, labels = read_cifar10_batch("cifar-10-batches-bin/test_batch.bin")
    >>> images.shape, labels[:3], CIFAR10_CLASSES[labels[0]]
    ((10000, 3, 32, 32), array([3, 8, 8], dtype=uint8), 'cat')
    """
    ### BEGIN SOLUTION
    data = np.frombuffer(_read_bytes(path), dtype=np.uint8)
    if data.size == 0 or data.size % CIFAR10_RECORD:
        raise DatasetFormatError(
            f"{path}: {data.size:,} bytes is not a whole number of CIFAR-10 records of {CIFAR10_RECORD} bytes "
            "(1 label byte + 3072 pixel bytes); the file is truncated or not a CIFAR-10 binary batch"
        )
    records = data.reshape(-1, CIFAR10_RECORD)
    labels = records[:, 0].copy()
    bad = np.flatnonzero(labels >= len(CIFAR10_CLASSES))
    if bad.size:
        raise DatasetFormatError(
            f"{path}: record {bad[0]} has label {labels[bad[0]]}; CIFAR-10 labels are 0..9 "
            "(is this the CIFAR-100 format, with 2 label bytes?)"
        )
    images = np.ascontiguousarray(records[:, 1:]).reshape(-1, 3, 32, 32)
    return images, labels
    ### END SOLUTION


def load_cifar10(root, train=True):
    """``(images uint8 (N, 3, 32, 32), labels uint8 (N,))`` from the CIFAR-10 binary files under ``root``.

    ``root`` is the ``cifar-10-batches-bin`` folder or the folder containing
    it. ``train=True`` reads ``data_batch_1.bin`` .. ``data_batch_5.bin``
    (those present, at least one); ``train=False`` reads ``test_batch.bin``.
    Nothing is downloaded.
    """
    folder = Path(root)
    if (folder / "cifar-10-batches-bin").is_dir():
        folder = folder / "cifar-10-batches-bin"
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] if train else ["test_batch.bin"]
    files = [folder / name for name in names if (folder / name).exists()]
    if not files:
        raise FileNotFoundError(f"no CIFAR-10 binary files ({names[0]} ...) in {folder}")
    parts = [read_cifar10_batch(f) for f in files]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


# %% nbgrader={"grade": true, "grade_id": "test-cifar", "locked": true, "points": 10, "schema_version": 3, "solution": false}
def test_unit_cifar():
    """Records split into label + channels-first image; files concatenate; bad sizes and labels named."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp())
    try:
        rng = np.random.default_rng(1)
        batches = []
        sub = folder / "cifar-10-batches-bin"
        sub.mkdir()
        for i, n in ((1, 3), (2, 2)):
            images = rng.integers(0, 256, size=(n, 3, 32, 32)).astype(np.uint8)
            labels = rng.integers(0, 10, size=n).astype(np.uint8)
            records = np.concatenate([labels[:, None], images.reshape(n, -1)], axis=1)
            (sub / f"data_batch_{i}.bin").write_bytes(records.tobytes())
            batches.append((images, labels))
        images, labels = read_cifar10_batch(sub / "data_batch_1.bin")
        assert images.shape == (3, 3, 32, 32) and images.dtype == np.uint8 and labels.shape == (3,)
        assert images.flags.c_contiguous and images.flags.writeable, "a contiguous, writeable copy"
        np.testing.assert_array_equal(images, batches[0][0])
        np.testing.assert_array_equal(labels, batches[0][1])
        # channels first: byte 1 is red (0, 0), byte 1025 is green (0, 0)
        raw = (sub / "data_batch_1.bin").read_bytes()
        assert images[0, 0, 0, 0] == raw[1] and images[0, 1, 0, 0] == raw[1025] and images[0, 2, 31, 31] == raw[3072]
        all_images, all_labels = load_cifar10(folder, train=True)
        assert all_images.shape == (5, 3, 32, 32)
        np.testing.assert_array_equal(all_labels, np.concatenate([batches[0][1], batches[1][1]]))
        _expect_error(FileNotFoundError, load_cifar10, folder, train=False, contains="test_batch.bin")
        (sub / "bad.bin").write_bytes(raw[:-5])
        _expect_error(DatasetFormatError, read_cifar10_batch, sub / "bad.bin", contains="3073")
        broken = bytearray(raw)
        broken[CIFAR10_RECORD] = 12  # the second record's label
        (sub / "bad.bin").write_bytes(bytes(broken))
        _expect_error(DatasetFormatError, read_cifar10_batch, sub / "bad.bin", contains="record 1 has label 12")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    test_unit_cifar()

# %% [markdown]
"""
## 5. The course's digits set

MNIST and CIFAR-10 must be downloaded, which this course never does at run
time. For the milestones we ship a small real data set with the course:
`datasets/digits.npz`, 1,200 grayscale **8x8** handwritten digits from
scikit-learn's bundled copy of the UCI digits (the same set the public
TinyTorch course uses): 1,000 for training and 200 for testing, split with
a fixed seed by `datasets/make_digits.py` (read it: the split is stated
there, and `--check` verifies the committed file).

**Why the file lives in `datasets/` and not in `tinytorch/`**: the package
is *generated* from the modules (`tito source export`), so anything placed
there by hand is overwritten; and data is not code. `load_digits()` looks
for `datasets/digits.npz` in the course folder that holds the `tinytorch`
package being used, then in the current folder and its parents, and says
exactly where it looked if the file is missing. Pass `path=` to use another
copy.

The file stores pixels as `uint8` (0..16) to stay small (32 KB);
`load_digits` returns `float32` images scaled to `[0, 1]` and `int64`
labels, ready for `TensorDataset`. This function is given.
"""


# %% nbgrader={"grade": false, "grade_id": "digits", "locked": true, "schema_version": 3, "solution": false}
#| export
DIGITS_FILE = Path("datasets") / "digits.npz"


def _digits_candidates():
    """Where load_digits looks: the course folder of this tinytorch package, then cwd and its parents."""
    import tinytorch

    course = Path(tinytorch.__file__).resolve().parent.parent
    here = Path(os.getcwd()).resolve()
    return list(dict.fromkeys([course / DIGITS_FILE] + [folder / DIGITS_FILE for folder in (here, *here.parents)]))


def load_digits(path=None):
    """The course's digits set: ``(train_images, train_labels), (test_images, test_labels)``.

    Images: float32 in [0, 1], shape (N, 8, 8); labels: int64 in 0..9.
    1,000 training and 200 test images (see ``datasets/make_digits.py``).
    """
    candidates = [Path(path)] if path is not None else _digits_candidates()
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        looked = "\n  ".join(str(c) for c in candidates)
        raise FileNotFoundError(
            f"the digits data set was not found; looked in:\n  {looked}\n"
            "It is committed with the course as datasets/digits.npz; to rebuild it run "
            "`python datasets/make_digits.py` (needs scikit-learn), or pass load_digits(path=...)."
        )
    with np.load(found, allow_pickle=False) as data:
        splits = []
        for split in ("train", "test"):
            images = data[f"{split}_images"].astype(np.float32) / np.float32(16.0)
            splits.append((images, data[f"{split}_labels"].astype(np.int64)))
    return tuple(splits)


# %% [markdown]
"""
## 6. Systems analysis: how fast can we feed the model?

Run this file as a script (`OPENBLAS_NUM_THREADS=1 python modules/08_dataloader/dataloader.py`):

1. `analyze_throughput`: samples per second for growing batch sizes, through
   the per-sample path (`dataset[i]` + `default_collate`) and the batched
   path (`__getitems__`), with and without shuffling.
2. `analyze_memory`: the bytes of a data set in `uint8`, `float32` and
   `float64`, and what that means for MNIST-sized data.
3. `analyze_parsing`: how fast `read_idx` reads an MNIST-sized file, plain
   and gzipped.
"""

# %% nbgrader={"grade": false, "grade_id": "analysis", "locked": true, "schema_version": 3, "solution": false}
import tempfile  # noqa: E402  (analysis only: not exported)
import time  # noqa: E402


class _RowDataset(Dataset):
    """The same arrays as a TensorDataset, but only the per-sample protocol (no __getitems__)."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def _samples_per_second(loader, min_seconds=0.03, repeat=3):
    """Samples per second of full passes over ``loader``: the best of ``repeat`` timed runs."""
    best = 0.0
    for _ in range(repeat):
        count, start = 0, time.perf_counter()
        while True:
            for batch in loader:
                count += len(batch[1])
            elapsed = time.perf_counter() - start
            if elapsed >= min_seconds:
                break
        best = max(best, count / elapsed)
    return best


def analyze_throughput(n=10_000, features=784, batch_sizes=(1, 8, 32, 128, 512)):
    """Samples/s of one pass over n MNIST-sized float32 samples, per fetch path and batch size."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, features)).astype(np.float32)
    y = rng.integers(0, 10, size=n)
    print(f"\nThroughput, {n:,} samples of {features} float32 features (thousand samples/s)")
    print(f"{'batch':>6} {'per-sample':>11} {'batched':>9} {'batched+shuffle':>16} {'MB/s batched':>13}")
    for bs in batch_sizes:
        rows = _samples_per_second(DataLoader(_RowDataset(x, y), batch_size=bs))
        batched = _samples_per_second(DataLoader(TensorDataset(x, y), batch_size=bs))
        shuffled = _samples_per_second(DataLoader(TensorDataset(x, y), batch_size=bs, shuffle=True, seed=0))
        print(
            f"{bs:>6} {rows / 1e3:>11.1f} {batched / 1e3:>9.1f} {shuffled / 1e3:>16.1f} "
            f"{batched * features * 4 / 1e6:>13.0f}"
        )
    print("Per-sample: Python work for every sample (a call, a tuple, np.stack) caps the rate")
    print("whatever the batch size. Batched: one gather per batch, so the rate grows with the")
    print("batch until copying the bytes dominates. Shuffled gathers read rows scattered in memory.")


def analyze_memory(n_mnist=70_000):
    """Bytes per data set in uint8 / float32 / float64, measured on real arrays."""
    (train_x, _), _ = load_digits()
    raw = (train_x * 16).astype(np.uint8)
    sample = np.zeros((1000, 28, 28), dtype=np.uint8)
    print(f"\n{'data set':>28} {'uint8':>10} {'float32':>10} {'float64':>10}")
    for name, array, scale in (
        ("digits train (1000 x 8x8)", raw, 1),
        ("MNIST (x 1000 28x28 measured)", sample, n_mnist / 1000),
    ):
        sizes = [array.astype(dtype).nbytes * scale / 1e6 for dtype in (np.uint8, np.float32, np.float64)]
        print(f"{name:>28} " + " ".join(f"{s:>8.2f}MB" for s in sizes))
    print(f"(MNIST row: bytes of 1,000 images measured, times {n_mnist / 1000:.0f} for all {n_mnist:,}.)")
    print("Keep images as uint8 and convert each batch to float32: 4x less memory for the data set.")


def _digit_images(n):
    """n MNIST-like 28x28 uint8 images: the course's real 8x8 digits, scaled up 3x and padded."""
    (train_x, _), _ = load_digits()
    big = np.kron(train_x, np.ones((3, 3), dtype=np.float32))  # (1000, 24, 24)
    padded = np.pad(big, ((0, 0), (2, 2), (2, 2)))
    return (padded[np.arange(n) % len(padded)] * 255).astype(np.uint8)


def analyze_parsing(n=60_000):
    """Seconds to parse an MNIST-sized IDX image file, plain and gzipped, random and digit-like pixels."""
    import gzip as _gzip

    folder = Path(tempfile.mkdtemp())
    sources = {
        "random pixels": np.random.default_rng(0).integers(0, 256, size=(n, 28, 28)).astype(np.uint8),
        "digit-like": _digit_images(n),
    }
    try:
        print(f"\nParsing {n:,} 28x28 uint8 images with read_idx")
        print(f"{'pixels':>14} {'format':>6} {'file MB':>8} {'read ms':>8}")
        for label, images in sources.items():
            header = bytes([0, 0, 0x08, 3]) + b"".join(int(d).to_bytes(4, "big") for d in images.shape)
            body = header + images.tobytes()
            for name, payload in (("plain", body), ("gzip", _gzip.compress(body, compresslevel=6))):
                path = folder / name
                path.write_bytes(payload)
                best = float("inf")
                for _ in range(3):
                    start = time.perf_counter()
                    got = read_idx(path)
                    best = min(best, time.perf_counter() - start)
                assert np.array_equal(got, images)
                print(f"{label:>14} {name:>6} {len(payload) / 1e6:>8.1f} {best * 1e3:>8.1f}")
    finally:
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()
    print("Random pixels do not compress; images with a plain background do, a lot, and")
    print("decompressing costs more time than reading the raw bytes.")


if __name__ == "__main__":
    analyze_throughput()
    analyze_memory()
    analyze_parsing()

# %% [markdown]
"""
## 7. Integration test

`test_module` trains a real classifier on the course's digits with
everything built so far: `load_digits` -> `TensorDataset` -> a shuffled,
seeded `DataLoader` -> Module 07's `Trainer` with Module 06's `Adam`; it
checks the test accuracy, and that two runs with the same seeds are
identical.
"""


# %% nbgrader={"grade": true, "grade_id": "test-module", "locked": true, "points": 15, "schema_version": 3, "solution": false}
def test_module():
    """Digits -> TensorDataset -> DataLoader -> Trainer: > 90% test accuracy, reproducible by seed."""
    from tinytorch.core.activations import ReLU
    from tinytorch.core.layers import Linear, Sequential
    from tinytorch.core.losses import CrossEntropyLoss
    from tinytorch.core.optimizers import Adam
    from tinytorch.core.training import Trainer

    (train_x, train_y), (test_x, test_y) = load_digits()
    assert train_x.shape == (1000, 8, 8) and test_x.shape == (200, 8, 8) and train_x.dtype == np.float32
    assert train_x.min() >= 0.0 and train_x.max() <= 1.0 and set(np.unique(train_y)) == set(range(10))

    def run():
        np.random.seed(0)
        train = DataLoader(TensorDataset(train_x.reshape(-1, 64), train_y), batch_size=32, shuffle=True, seed=0)
        test = DataLoader(TensorDataset(test_x.reshape(-1, 64), test_y), batch_size=100)
        model = Sequential(Linear(64, 64), ReLU(), Linear(64, 10))
        trainer = Trainer(model, Adam(model.parameters(), lr=0.01), CrossEntropyLoss())
        return trainer.fit(train, epochs=8, val_batches=test), model

    history, model = run()
    assert history["val_accuracy"][-1] > 0.9, f"test accuracy {history['val_accuracy']}"
    again, model2 = run()
    assert again["train_loss"] == history["train_loss"], "same seeds must give the same run"
    assert all(np.array_equal(a.data, b.data) for a, b in zip(model.parameters(), model2.parameters(), strict=True))


if __name__ == "__main__":
    test_module()
    print("\nAll Module 08 tests passed.")

# %% [markdown]
"""
## Reflection questions

1. `analyze_throughput` showed the per-sample path flattening out while the
   batched path keeps growing with the batch size. Where exactly does the
   per-sample time go? PyTorch's `DataLoader` answers this with
   `num_workers` (worker processes); what would those cost, and why do they
   not help the batched in-memory path?
2. Shuffling draws a new permutation every epoch from one seeded generator.
   What would go wrong if you instead called `np.random.default_rng(seed)`
   inside `__iter__`? And if you shuffled with the global `np.random`?
3. Why does `drop_last=True` exist? Think of a layer that normalizes over
   the batch (batch normalization) fed a last batch of size 1.
4. A CIFAR-10 file has no header. List what `read_cifar10_batch` cannot
   detect that `read_idx` can. How would you design a format that catches
   more corruption (hint: a length and a checksum)?
5. The digits set is 8x8 and only 1,200 images. The MLP milestone reaches
   about 97% on it; 28x28 MNIST needs a bigger input layer. How many
   parameters does `Linear(784, 128)` have compared with `Linear(64, 128)`,
   and how would the epoch time change?
"""
