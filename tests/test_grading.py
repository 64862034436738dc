"""The exercise-grading helpers: friendly comparisons and the guard against calling the reference."""

import sys

import numpy as np
import pytest
import torch

import mlkit.activations
from mlkit.activations import Sigmoid
from mlkit.grading import ReferenceCalled, check_close, forbid_calls


def test_check_close_passes_on_equal_numbers():
    check_close([1.0, 2.0], np.array([1.0, 2.0]))
    check_close(3, 3.0)


@pytest.mark.parametrize("got, message", [
    (None, "return"),
    ("abc", "numbers"),
    ("1.0", "numbers"),  # a numeric string is still the wrong type
    (["1.0", "2.0"], "numbers"),
    (np.zeros(3), r"shape \(2,\).*\(3,\)"),
    (np.array([1.0, np.nan]), "NaN"),
    (np.array([1.0, 2.5]), "wrong values"),
])
def test_check_close_explains_type_then_shape_then_values(got, message):
    with pytest.raises(AssertionError, match=message):
        check_close(got, np.array([1.0, 2.0]), name="f(x)")


class AlwaysEqual:
    """An object that claims equality with everything."""

    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


def test_fake_equality_earns_nothing():
    with pytest.raises(AssertionError):
        check_close(AlwaysEqual(), np.array([1.0, 2.0]))


def honest_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def lazy_sigmoid(z):
    return Sigmoid().forward(z)


def sneaky_sigmoid(z):
    return getattr(mlkit.activations, "Sigmoid")()(z)


def torch_sigmoid(z):
    return torch.sigmoid(torch.as_tensor(z)).numpy()


def tensor_method_sigmoid(z):
    return torch.as_tensor(z).sigmoid().numpy()


def threaded_sigmoid(z):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: Sigmoid().forward(z)).result()


def tampering_sigmoid(z):
    sys.setprofile(None)
    return Sigmoid().forward(z)


def test_honest_code_passes_the_guard():
    with forbid_calls("mlkit.activations", "torch"):
        out = honest_sigmoid(np.zeros(3))
    check_close(out, [0.5] * 3)


@pytest.mark.parametrize("fn", [lazy_sigmoid, sneaky_sigmoid, torch_sigmoid, tensor_method_sigmoid,
                                threaded_sigmoid, tampering_sigmoid])
def test_calling_the_reference_is_caught(fn):
    with pytest.raises(ReferenceCalled):
        with forbid_calls("mlkit.activations", "torch", what="sigmoid"):
            fn(np.zeros(3))
    assert sys.getprofile() is None  # the guard leaves no hook behind


def test_guard_restores_a_previous_profiler_and_reraises_errors():
    def boom(z):
        raise KeyError("student bug")

    with pytest.raises(KeyError):
        with forbid_calls("torch"):
            boom(1)
    assert sys.getprofile() is None
    with pytest.raises(ValueError, match="modules"):
        with forbid_calls(42):
            pass


def test_sandbox_confines_reads_to_the_submission_folder(tmp_path):
    """In a child process (an audit hook cannot be removed): the course's other files are out of reach,
    the submission's own folder, Python files and the Python installation are not."""
    import subprocess
    import textwrap

    course = tmp_path / "course"
    own = course / "autograded" / "alice" / "01"
    own.mkdir(parents=True)
    (course / "nbgrader_config.py").write_text("")
    (course / "solutions").mkdir()
    (course / "solutions" / "secret.ipynb").write_text("{}")
    (own / "data.txt").write_text("mine")
    script = textwrap.dedent(f"""
        import os, subprocess, sys
        import numpy
        from mlkit.grading import install_sandbox
        assert install_sandbox() == {str(course.resolve())!r}
        assert open("data.txt").read() == "mine"
        assert open(os.path.join(os.path.dirname(numpy.__file__), "__init__.py")).read()
        for attempt in (lambda: open("../../../solutions/secret.ipynb"),
                        lambda: subprocess.run(["cat", "../../../solutions/secret.ipynb"])):
            try:
                attempt()
            except PermissionError:
                continue
            sys.exit("not blocked")
        print("confined")
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=own, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "confined"
