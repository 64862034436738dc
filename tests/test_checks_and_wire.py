"""mlgrade.checks (the comparison students' visible tests use) and mlgrade.wire (plain data across the
sandbox wall: no pickle, size and depth limits)."""

import json

import numpy as np
import pytest

from mlgrade import wire
from mlgrade.checks import check_close
from mlgrade.spec import KernelFault, decode_reply


def test_check_close_passes_on_equal_numbers():
    check_close([1.0, 2.0], np.array([1.0, 2.0]))
    check_close(3, 3.0)


@pytest.mark.parametrize("got, message", [
    (None, "return"),
    ("abc", "numbers"),
    ("1.0", "numbers"),  # a numeric string is still the wrong type
    (["1.0", "2.0"], "numbers"),
    ([[1.0], [1.0, 2.0]], "numbers"),  # ragged
    (np.zeros(3), r"shape \(2,\).*\(3,\)"),
    (np.array([1.0, np.nan]), "NaN"),
    (np.array([1.0, 2.5]), r"wrong values: 1 of 2 entries differ \(largest difference 0.5\).*index \(1,\) is 2.5"),
])
def test_check_close_explains_type_then_shape_then_values(got, message):
    with pytest.raises(AssertionError, match=message):
        check_close(got, np.array([1.0, 2.0]), name="f(x)")


class AlwaysEqual:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


@pytest.mark.parametrize("value", [
    None, True, 3, 2.5, float("nan"), "text", np.float32(1.5), np.int64(7), np.array(2.0), np.arange(6.0).reshape(2, 3).T,
    np.array([True, False]), np.zeros((0, 3), dtype=np.float32), (1, [2.0, {"a": np.ones(2)}]), {1: "x", "k": (None,)},
])
def test_wire_round_trip_keeps_values_types_and_shapes(value):
    back = wire.decode(wire.dumps(value))
    assert type(back) is type(value)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and back.shape == value.shape and np.array_equal(back, value)
    elif isinstance(value, float) and np.isnan(value):
        assert np.isnan(back)
    elif not isinstance(value, (tuple, dict)):
        assert back == value


def test_objects_that_cannot_cross_come_back_as_their_type_name():
    assert wire.decode(wire.dumps(AlwaysEqual())) == wire.Opaque("AlwaysEqual")
    assert wire.decode(wire.dumps((x for x in [])))  == wire.Opaque("generator")
    assert wire.decode(wire.dumps(np.array([AlwaysEqual()], dtype=object))) == wire.Opaque("ndarray")
    with pytest.raises(AssertionError, match="numbers"):
        check_close(wire.Opaque("AlwaysEqual"), 1.0)


@pytest.mark.parametrize("text, why", [
    ("x" * 200, "limit"),
    ("[" * 5000 + "]" * 5000, "malformed|deep"),
    (json.dumps({"t": "nd", "dtype": "object", "shape": [1], "b64": ""}), "malformed array"),
    (json.dumps({"t": "nd", "dtype": "float64", "shape": [1000], "b64": "AAAA"}), "does not fit"),
    (json.dumps({"t": "pickle", "v": "gASV"}), "unknown tag"),
    (json.dumps([1, 2]), "untagged"),
])
def test_malformed_or_huge_data_is_refused(text, why):
    with pytest.raises(wire.WireError, match=why):
        wire.decode(text, max_bytes=100 if why == "limit" else 10 ** 8)


def test_a_reply_that_is_not_plain_data_is_a_kernel_fault():
    with pytest.raises(KernelFault, match="plain data"):
        decode_reply(json.dumps({"ok": True, "values": [{"t": "pickle"}]}))
    with pytest.raises(KernelFault, match="limit"):
        decode_reply("x" * 100, max_bytes=10)
