"""The IDX file format of MNIST and Fashion-MNIST: a tiny reader and writer.

An IDX file is a header followed by the array's values in C order, every number big-endian:

    bytes 0–1   0x00 0x00                 (magic)
    byte  2     type code                 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                                          0x0D float32, 0x0E float64
    byte  3     number of dimensions k
    then        k × uint32 sizes          e.g. 60000, 28, 28 for train-images-idx3-ubyte
    then        the values                 n₁ · n₂ ⋯ n_k of them

Files are often gzip-compressed (``*.gz``); the reader recognises gzip by its magic bytes ``1f 8b``,
so the file name does not matter.
"""

from __future__ import annotations

import gzip
import os
import secrets
import struct
import zlib
from pathlib import Path

import numpy as np

GZIP_MAGIC = b"\x1f\x8b"

# IDX type code -> big-endian numpy dtype
_CODE_TO_DTYPE = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_KIND_SIZE_TO_CODE = {(dt.kind, dt.itemsize): code for code, dt in _CODE_TO_DTYPE.items()}


def decompress_if_gzip(data: bytes, source: str = "data") -> bytes:
    """``data`` itself, or its decompressed contents if it starts with the gzip magic bytes ``1f 8b``.

    A damaged or truncated gzip stream raises ``ValueError``.
    """
    if data[:2] != GZIP_MAGIC:
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as err:
        raise ValueError(f"{source} is a damaged or truncated gzip file: {err}") from err


def parse_idx(data: bytes, source: str = "data") -> np.ndarray:
    """Parse the bytes of an (uncompressed) IDX file into an array in native byte order.

    The result may be a read-only view of ``data``. A malformed header, an unknown type code, or a file
    whose length does not match the sizes in its header raises ``ValueError`` naming expected vs received.
    """
    data = memoryview(data).cast("B")
    if len(data) < 4:
        raise ValueError(
            f"{source} is not an IDX file: expected at least a 4-byte header, got {len(data)} bytes"
        )
    zero0, zero1, code, ndim = data[0], data[1], data[2], data[3]
    if zero0 != 0 or zero1 != 0:
        raise ValueError(
            f"{source} is not an IDX file: expected magic bytes 00 00, got {zero0:02x} {zero1:02x}"
        )
    if code not in _CODE_TO_DTYPE:
        known = ", ".join(f"0x{c:02X}" for c in _CODE_TO_DTYPE)
        raise ValueError(f"{source}: unknown IDX type code 0x{code:02X}; expected one of {known}")
    if ndim == 0:
        raise ValueError(f"{source}: IDX header declares 0 dimensions; expected at least 1")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise ValueError(
            f"{source} is truncated: the header of a {ndim}-D IDX file needs {header_len} bytes, "
            f"got {len(data)}"
        )
    shape = struct.unpack(f">{ndim}I", data[4:header_len])
    dtype = _CODE_TO_DTYPE[code]
    expected = header_len + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "longer than its header says"
        raise ValueError(
            f"{source} is {what}: an IDX array of shape {shape} and dtype {dtype.name} needs "
            f"{expected} bytes, got {len(data)}"
        )
    values = np.frombuffer(data, dtype=dtype, offset=header_len).reshape(shape)
    native = dtype.newbyteorder("=")
    return values if dtype.itemsize == 1 else values.astype(native)


def read_idx(path) -> np.ndarray:
    """Read an IDX file (raw or gzip-compressed, detected by its magic bytes) into a writable ndarray.

    >>> images = read_idx("train-images-idx3-ubyte.gz")     # uint8, shape (60000, 28, 28)
    """
    path = Path(path)
    data = decompress_if_gzip(path.read_bytes(), source=str(path))
    return np.array(parse_idx(data, source=str(path)))


def idx_bytes(array) -> bytes:
    """The bytes of the uncompressed IDX file holding ``array`` (see the module docstring)."""
    arr = np.asarray(array)
    code = _KIND_SIZE_TO_CODE.get((arr.dtype.kind, arr.dtype.itemsize))
    if code is None:
        raise ValueError(
            "IDX stores uint8, int8, int16, int32, float32 or float64 arrays, "
            f"got dtype {arr.dtype}"
        )
    if not 1 <= arr.ndim <= 255:
        raise ValueError(f"IDX stores arrays with 1 to 255 dimensions, got shape {arr.shape} ({arr.ndim}-D)")
    if any(s > 0xFFFFFFFF for s in arr.shape):
        raise ValueError(f"IDX sizes must fit in 32 bits, got shape {arr.shape}")
    header = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + np.ascontiguousarray(arr, dtype=_CODE_TO_DTYPE[code]).tobytes()


def write_idx(path, array, compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file; gzip-compressed if ``compress`` (default: the name ends in ``.gz``).

    The file is written by ``write_atomically``, so a reader never sees half a file. Returns the path written.
    """
    path = Path(path)
    data = idx_bytes(array)
    if compress is None:
        compress = path.suffix == ".gz"
    if compress:
        data = gzip.compress(data, mtime=0)
    write_atomically(path, data)
    return path


def write_atomically(path, data: bytes) -> Path:
    """Write ``data`` to a temporary file next to ``path``, then rename it into place.

    A reader (or a second process fetching the same file) sees the old file or the complete new one, never
    half a file; if writing fails, the temporary file is removed. Returns the path written.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.part")  # a name no one else uses
    try:
        with open(tmp, "xb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
