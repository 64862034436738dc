"""Keep each lecture notebook on one test worker.

nbval turns every cell of a notebook into a test, and the cells share one kernel: cell 5 needs the names
cells 1-4 defined. xdist's default ``load`` scheduling may hand cells of one notebook to different workers,
so ``pytest -n 2`` uses the scheduler below: a notebook is one unit of work, every other test its own,
except the modules in ``ONE_UNIT``, whose tests share an expensive module fixture (a built site, a browser).
"""

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
