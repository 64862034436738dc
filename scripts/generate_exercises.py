"""Regenerate exercises/ from solutions/ with nbgrader, in a temporary course directory (no gradebook.db is
left in the repository). Usage: python scripts/generate_exercises.py [NN_topic ...]"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(names: list[str]) -> int:
    names = names or sorted(p.name for p in (ROOT / "solutions").glob("[0-9][0-9]_*") if p.is_dir())
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    with tempfile.TemporaryDirectory(prefix="mlkit-generate-") as tmp:
        course = Path(tmp)
        shutil.copy(ROOT / "nbgrader_config.py", course)
        for name in names:
            shutil.copytree(ROOT / "solutions" / name, course / "solutions" / name)
            step = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force"],
                                  cwd=course, env=env, capture_output=True, text=True, timeout=300)
            if step.returncode:
                print(step.stdout[-3000:], step.stderr[-3000:], file=sys.stderr)
                return 1
            shutil.copy(course / "exercises" / name / f"{name}.ipynb", ROOT / "exercises" / name / f"{name}.ipynb")
            print(f"exercises/{name}/{name}.ipynb regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
