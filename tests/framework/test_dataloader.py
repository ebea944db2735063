"""tinytorch.data (Module 08): datasets, the DataLoader, the IDX / CIFAR-10 parsers, the digits set.

Oracles: set arithmetic for batching (every index exactly once, sizes,
counts), ``np.random.default_rng(seed).permutation`` for the shuffled order,
files written here byte by byte with ``struct`` for the two formats (an
encoder independent of the parser), and ``datasets/make_digits.py`` for the
committed digits file.
"""

from __future__ import annotations

import gzip
import importlib.util
import math
import struct
from pathlib import Path

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from oracle import FAST

from tinytorch.core.tensor import ShapeError, Tensor
from tinytorch.data import (
    CIFAR10_RECORD,
    DataLoader,
    Dataset,
    DatasetFormatError,
    TensorDataset,
    default_collate,
    load_cifar10,
    load_digits,
    load_mnist,
    read_cifar10_batch,
    read_idx,
)

REPO = Path(__file__).resolve().parents[2]


def ids(loader):
    """The sample ids (stored in column 0 of the first field) of each batch of one pass."""
    return [batch[0].data[:, 0].astype(np.int64).tolist() for batch in loader]


def numbered(n):
    return TensorDataset(np.arange(n, dtype=np.float32).reshape(n, 1), np.arange(n))


# --- DataLoader ---------------------------------------------------------------------------------


@FAST
@given(
    n=st.integers(0, 60),
    batch_size=st.integers(1, 17),
    shuffle=st.booleans(),
    drop_last=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
def test_batches_partition_the_dataset(n, batch_size, shuffle, drop_last, seed):
    loader = DataLoader(numbered(n), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, seed=seed)
    got = ids(loader)
    expected_batches = n // batch_size if drop_last else math.ceil(n / batch_size)
    assert len(loader) == len(got) == expected_batches
    assert all(len(b) == batch_size for b in got[: n // batch_size])
    flat = [i for b in got for i in b]
    assert len(set(flat)) == len(flat), "a sample appeared twice in one pass"
    if drop_last:
        assert len(flat) == (n // batch_size) * batch_size
    else:
        assert sorted(flat) == list(range(n)), "every sample exactly once"
    if shuffle:
        order = np.random.default_rng(seed).permutation(n).tolist()
        assert flat == order[: len(flat)]
    else:
        assert flat == list(range(len(flat)))


def test_each_pass_reshuffles_and_a_seed_repeats_the_whole_run():
    a = DataLoader(numbered(50), batch_size=8, shuffle=True, seed=7)
    b = DataLoader(numbered(50), batch_size=8, shuffle=True, seed=7)
    runs_a = [ids(a) for _ in range(3)]
    runs_b = [ids(b) for _ in range(3)]
    assert runs_a == runs_b
    assert runs_a[0] != runs_a[1] != runs_a[2]
    unseeded = [ids(DataLoader(numbered(50), batch_size=50, shuffle=True)) for _ in range(2)]
    assert unseeded[0] != unseeded[1], "seed=None: fresh randomness (equal by chance: probability 1 in 50 factorial)"


def test_both_fetch_paths_give_the_same_batches():
    class Rows(Dataset):
        def __init__(self, *arrays):
            self.arrays = arrays

        def __len__(self):
            return len(self.arrays[0])

        def __getitem__(self, i):
            return tuple(a[i] for a in self.arrays)

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((23, 3, 4)), rng.integers(0, 5, 23)
    fast = list(DataLoader(TensorDataset(x, y), batch_size=5, shuffle=True, seed=3))
    slow = list(DataLoader(Rows(x, y), batch_size=5, shuffle=True, seed=3))
    assert len(fast) == len(slow) == 5
    for (fx, fy), (sx, sy) in zip(fast, slow, strict=True):
        assert isinstance(fx, Tensor) and fx.dtype == sx.dtype == np.float32 and fy.dtype == np.int64
        np.testing.assert_array_equal(fx.data, sx.data)
        np.testing.assert_array_equal(fy.data, sy.data)


def test_collate_and_dataset_details():
    batch = default_collate([(np.ones(2), 1, np.zeros((2, 2), np.uint8)), (np.zeros(2), 0, np.ones((2, 2), np.uint8))])
    assert [t.shape for t in batch] == [(2, 2), (2,), (2, 2, 2)]
    assert [t.dtype for t in batch] == [np.float32, np.int64, np.uint8], "Module 01's dtype rule"
    with pytest.raises(ValueError):
        default_collate([])
    ds = TensorDataset(Tensor(np.ones((4, 2))), [1, 2, 3, 4])
    assert len(ds) == 4 and ds[-1][1] == 4
    with pytest.raises(ShapeError, match=r"arrays\[0\].shape=\(4, 2\), arrays\[1\].shape=\(3,\)"):
        TensorDataset(np.ones((4, 2)), np.ones(3))
    with pytest.raises(NotImplementedError):
        len(Dataset())
    assert "batch_size=4" in repr(DataLoader(ds, 4))


@pytest.mark.parametrize(
    ("options", "error", "fragment"),
    [
        ({"batch_size": 0}, ValueError, "batch_size=0"),
        ({"batch_size": True}, TypeError, "batch_size=True"),
        ({"shuffle": 1}, TypeError, "shuffle=1"),
        ({"drop_last": None}, TypeError, "drop_last=None"),
        ({"seed": 1.5}, TypeError, "seed=1.5"),
    ],
)
def test_loader_errors_name_the_value(options, error, fragment):
    with pytest.raises(error, match=fragment.replace("(", r"\(")):
        DataLoader(numbered(3), **options)


# --- IDX -----------------------------------------------------------------------------------------

IDX_CODES = {
    np.dtype(np.uint8): 0x08,
    np.dtype(np.int8): 0x09,
    np.dtype(np.int16): 0x0B,
    np.dtype(np.int32): 0x0C,
    np.dtype(np.float32): 0x0D,
    np.dtype(np.float64): 0x0E,
}
STRUCT = {0x08: "B", 0x09: "b", 0x0B: "h", 0x0C: "i", 0x0D: "f", 0x0E: "d"}


def encode_idx(array: np.ndarray) -> bytes:
    """IDX bytes written with struct, element by element (independent of NumPy's byte-order handling)."""
    code = IDX_CODES[array.dtype]
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + struct.pack(f">{array.size}{STRUCT[code]}", *array.ravel().tolist())


@FAST
@given(
    array=hnp.arrays(
        st.sampled_from(list(IDX_CODES)),
        hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4),
        elements={"allow_nan": False},
    ),
    compress=st.booleans(),
)
def test_read_idx_round_trips_every_type(tmp_path_factory, array, compress):
    path = tmp_path_factory.mktemp("idx") / "data.idx"
    payload = encode_idx(array)
    path.write_bytes(gzip.compress(payload) if compress else payload)
    got = read_idx(path)
    assert got.shape == array.shape and got.dtype == array.dtype and got.dtype.isnative
    np.testing.assert_array_equal(got, array)
    assert got.flags.writeable


def test_mnist_magic_numbers_and_loader(tmp_path):
    images = np.arange(3 * 28 * 28, dtype=np.int64).reshape(3, 28, 28).astype(np.uint8)
    labels = np.array([7, 2, 1], np.uint8)
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(encode_idx(images)))
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(encode_idx(labels))
    assert (
        struct.unpack(">I", encode_idx(images)[:4])[0] == 2051
        and struct.unpack(">I", encode_idx(labels)[:4])[0] == 2049
    )
    got_images, got_labels = load_mnist(tmp_path, train=False)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        load_mnist(tmp_path, train=True)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(encode_idx(labels[:2]))
    with pytest.raises(DatasetFormatError, match=r"labels.shape=\(2,\)"):
        load_mnist(tmp_path, train=False)


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        (b"", "not an IDX file"),
        (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "0x01000801"),
        (b"\x00\x00\x0a\x01\x00\x00\x00\x01\x05", "unknown IDX type code 0x0A"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x01", "truncated header"),
        (
            b"\x00\x00\x08\x01\x00\x00\x00\x03\x05\x06",
            "truncated: shape (3,) of uint8 needs 3 bytes after the header, found 2",
        ),
        (b"\x00\x00\x08\x01\x00\x00\x00\x01\x05\x06", "extra bytes"),
        (b"\x00\x00\x0c\x01\x00\x00\x00\x02" + b"\x00" * 7, "needs 8 bytes"),
    ],
)
def test_broken_idx_files_are_named(tmp_path, payload, fragment):
    (tmp_path / "f").write_bytes(payload)
    with pytest.raises(DatasetFormatError) as info:
        read_idx(tmp_path / "f")
    assert fragment in str(info.value) and str(tmp_path / "f") in str(info.value)
    assert isinstance(info.value, ValueError)


# --- CIFAR-10 ----------------------------------------------------------------------------------


def encode_cifar(labels, images) -> bytes:
    return b"".join(
        bytes([int(label)]) + img.astype(np.uint8).tobytes() for label, img in zip(labels, images, strict=True)
    )


@FAST
@given(n=st.integers(1, 5), seed=st.integers(0, 2**31 - 1))
def test_cifar_records_round_trip(tmp_path_factory, n, seed):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 3, 32, 32)).astype(np.uint8)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    path = tmp_path_factory.mktemp("cifar") / "data_batch_1.bin"
    path.write_bytes(encode_cifar(labels, images))
    assert path.stat().st_size == n * CIFAR10_RECORD == n * 3073
    got_images, got_labels = read_cifar10_batch(path)
    assert got_images.shape == (n, 3, 32, 32) and got_images.dtype == np.uint8 and got_images.flags.c_contiguous
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


def test_cifar_folder_layout_and_errors(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    parts = []
    for i in (1, 2, 3, 4, 5):
        images, labels = rng.integers(0, 256, (2, 3, 32, 32)).astype(np.uint8), np.array([i % 10, 9], np.uint8)
        (folder / f"data_batch_{i}.bin").write_bytes(encode_cifar(labels, images))
        parts.append((images, labels))
    (folder / "test_batch.bin").write_bytes(encode_cifar([3], rng.integers(0, 256, (1, 3, 32, 32))))
    images, labels = load_cifar10(tmp_path, train=True)  # the parent folder works too
    assert images.shape == (10, 3, 32, 32)
    np.testing.assert_array_equal(labels, np.concatenate([p[1] for p in parts]))
    assert load_cifar10(folder, train=False)[1].tolist() == [3]
    (folder / "bad.bin").write_bytes(b"\x00" * 3072)
    with pytest.raises(DatasetFormatError, match="3,072 bytes is not a whole number"):
        read_cifar10_batch(folder / "bad.bin")
    (folder / "bad.bin").write_bytes(encode_cifar([10], np.zeros((1, 3, 32, 32))))
    with pytest.raises(DatasetFormatError, match="record 0 has label 10"):
        read_cifar10_batch(folder / "bad.bin")
    with pytest.raises(FileNotFoundError, match="data_batch_1.bin"):
        load_cifar10(tmp_path / "nowhere")


# --- the digits set ----------------------------------------------------------------------------


def test_load_digits_split_and_types():
    (train_x, train_y), (test_x, test_y) = load_digits()
    assert train_x.shape == (1000, 8, 8) and test_x.shape == (200, 8, 8)
    assert train_x.dtype == test_x.dtype == np.float32 and train_y.dtype == test_y.dtype == np.int64
    assert train_x.min() == 0.0 and train_x.max() == 1.0
    assert np.all(np.isin(train_x * 16, np.arange(17))), "pixels are k/16"
    assert np.bincount(train_y, minlength=10).min() >= 80 and np.bincount(test_y, minlength=10).min() >= 10
    flat = np.concatenate([train_x, test_x]).reshape(1200, -1)
    assert len(np.unique(flat, axis=0)) == 1200, "train and test images must not overlap"


def test_load_digits_path_and_missing_file(tmp_path):
    (train_x, _), _ = load_digits(path=REPO / "datasets" / "digits.npz")
    assert train_x.shape == (1000, 8, 8)
    with pytest.raises(FileNotFoundError) as info:
        load_digits(path=tmp_path / "nope.npz")
    assert "nope.npz" in str(info.value) and "python datasets/make_digits.py" in str(info.value)


def test_committed_digits_file_matches_the_stated_split():
    """datasets/digits.npz is exactly what make_digits.py builds from scikit-learn (1000/200, seed 0).

    scikit-learn is a dev dependency: without it this test errors rather than skips.
    """
    spec = importlib.util.spec_from_file_location("make_digits", REPO / "datasets" / "make_digits.py")
    make_digits = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_digits)
    assert (make_digits.SEED, make_digits.N_TRAIN, make_digits.N_TEST) == (0, 1000, 200)
    assert make_digits.same_content(REPO / "datasets" / "digits.npz", make_digits.build())
