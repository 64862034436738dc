"""Plain data across the sandbox wall: JSON with tagged arrays, tuples and dicts. Never pickle.

The judge sends inputs into the student's kernel and receives results back in this format. Encoding a
value the format cannot carry (a class instance, a generator, a function) gives an :class:`Opaque` that
only names the type, so a check can say "expected an array, got a generator".

    encode(value) -> JSON text          decode(text, max_bytes) -> value

Tags: ``{"t": "nd", "dtype", "shape", "b64"}`` (numeric or boolean arrays), ``{"t": "np", "dtype", "v"}``
(numpy scalars), ``{"t": "tuple" | "list", "v": [...]}``, ``{"t": "dict", "v": [[key, value], ...]}``,
``{"t": "opaque", "type": name}``. None, bool, int, float (NaN and inf included) and str are plain JSON.

The kernel side (mlgrade/_kernel_side.py) has its own copy of :func:`encode`, because it runs where this
package is not importable.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import numpy as np

MAX_DEPTH = 32
DTYPES = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16",
          "float32", "float64", "complex64", "complex128"}


class WireError(ValueError):
    """The data that came back cannot be read as plain data (too big, too deep, malformed)."""


@dataclass(frozen=True)
class Opaque:
    """A value of a type that cannot cross the wall; only its type name came back."""

    type: str

    def __repr__(self):
        return f"<{self.type} object>"


def encode(value, depth: int = 0):
    """A JSON-able tagged structure for ``value`` (arrays as base64 of their bytes)."""
    if depth > MAX_DEPTH:
        raise WireError(f"data nested more than {MAX_DEPTH} levels deep")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.ndarray) and value.dtype.name in DTYPES:
        return {"t": "nd", "dtype": value.dtype.name, "shape": list(value.shape),
                "b64": base64.b64encode(value.tobytes(order="C")).decode("ascii")}
    if isinstance(value, np.generic) and value.dtype.name in DTYPES:
        return {"t": "np", "dtype": value.dtype.name, "v": value.item()}
    if isinstance(value, (tuple, list)):
        return {"t": type(value).__name__, "v": [encode(v, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"t": "dict", "v": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    return {"t": "opaque", "type": type(value).__name__}


def dumps(value) -> str:
    return json.dumps(encode(value))


def _decode(obj, depth: int):
    if depth > MAX_DEPTH:
        raise WireError(f"data nested more than {MAX_DEPTH} levels deep")
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if not isinstance(obj, dict) or not isinstance(obj.get("t"), str):
        raise WireError(f"untagged {type(obj).__name__} in the data")
    tag = obj["t"]
    if tag == "nd":
        dtype, shape = obj.get("dtype"), obj.get("shape")
        if dtype not in DTYPES or not isinstance(shape, list) or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
            raise WireError(f"malformed array (dtype {dtype!r}, shape {shape!r})")
        raw = base64.b64decode(obj.get("b64", ""), validate=True)
        if len(raw) != int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize:
            raise WireError(f"array data of {len(raw)} bytes does not fit shape {shape} and dtype {dtype}")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    if tag == "np":
        if obj.get("dtype") not in DTYPES or not isinstance(obj.get("v"), (bool, int, float, list)):
            raise WireError("malformed numpy scalar")
        value = obj["v"]
        if isinstance(value, list):  # a complex scalar
            value = complex(*value)
        return np.dtype(obj["dtype"]).type(value)
    if tag in ("tuple", "list"):
        items = [_decode(v, depth + 1) for v in obj.get("v", [])]
        return tuple(items) if tag == "tuple" else items
    if tag == "dict":
        pairs = [(_decode(k, depth + 1), _decode(v, depth + 1)) for k, v in obj.get("v", [])]
        try:
            return dict(pairs)
        except TypeError:
            raise WireError("a dict key that is not hashable") from None
    if tag == "opaque":
        return Opaque(str(obj.get("type", "?"))[:100])
    raise WireError(f"unknown tag {tag!r}")


def decode(text: str, max_bytes: int = 64_000_000):
    """The value encoded in ``text``; :class:`WireError` if it is larger than ``max_bytes`` or malformed."""
    if not isinstance(text, str):
        raise WireError(f"expected JSON text, got {type(text).__name__}")
    if len(text) > max_bytes:
        raise WireError(f"the result is {len(text):,} bytes, more than the limit of {max_bytes:,}")
    try:
        return _decode(json.loads(text), 0)
    except (ValueError, TypeError, RecursionError, KeyError) as err:
        if isinstance(err, WireError):
            raise
        raise WireError(f"malformed data ({type(err).__name__}: {err})"[:300]) from None
