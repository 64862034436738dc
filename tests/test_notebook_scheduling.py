"""conftest.py keeps all cells of a notebook on one pytest-xdist worker (they share one kernel).

A tiny project — the root conftest.py, one notebook whose later cells need a name its first cell defines,
and a few ordinary tests — is run with ``pytest -n 2``; xdist's default scheduling would spread the cells
over both workers and the later ones would fail with NameError.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_cells_of_a_notebook_run_on_one_worker(tmp_path):
    pytest.importorskip("xdist")
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    cells = [nbformat.v4.new_code_cell("seen = 0")]
    cells += [nbformat.v4.new_code_cell(f"seen += 1\nassert seen == {k}") for k in range(1, 24)]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), tmp_path / "chain.ipynb")
    (tmp_path / "test_plain.py").write_text(
        "import pytest\n\n@pytest.mark.parametrize('i', range(24))\ndef test_plain(i):\n    assert i >= 0\n")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider", "-q",
                           "--nbval-lax", "--nbval-current-env", "-o", "addopts=", "-o", "testpaths=."],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "48 passed" in proc.stdout
