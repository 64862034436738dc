"""Build the offline course site, build/site/, from the executed lectures (scripts/run_lectures.py).

    build/site/index.html               the lectures in order, their exercises, the API reference
    build/site/lectures/NN_topic.html   each executed lecture, with its figures
    build/site/exercises/NN_topic.html  each exercise as students receive it
    build/site/api/mlkit/*.html         mlkit's reference, generated from its docstrings (pdoc)
    build/site/_static/mathjax/         MathJax 2.7 (Debian's libjs-mathjax): math typesets with no network

Pages are written by nbconvert with the template in site/templates/mlkit (the JupyterLab look, a navigation
bar, long drawing cells folded); the API pages by pdoc with site/pdoc (a link back to the course). Nothing on
any page is fetched from the network, so the site works from a USB stick: open build/site/index.html.

Usage:  python scripts/build_site.py [--executed build/lectures] [--out build/site]
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parents[1]
MATHJAX_SOURCES = [Path("/usr/share/javascript/mathjax"), Path("/usr/share/mathjax")]
MATHJAX_CONFIG = "TeX-AMS_SVG-full"
# The part of MathJax a TeX-to-SVG page loads (the full package is 54 MB, this part about 3 MB).
MATHJAX_PARTS = ["MathJax.js", f"config/{MATHJAX_CONFIG}.js", "config/Safe.js", "extensions", "jax/element",
                 "jax/input/TeX", "jax/output/SVG/jax.js", "jax/output/SVG/config.js",
                 "jax/output/SVG/autoload", "jax/output/SVG/fonts/TeX", "localization/en"]
FOLD_LINES = 15  # drawing cells at least this long are folded (a click shows them)

# The exercise that practises each lecture (lecture number -> exercise folder).
EXERCISES = {"01": "01_perceptron", "04": "02_activations_losses", "05": "03_backprop",
             "06": "04_optimizers", "08": "05_mnist_mlp", "09": "06_autoencoders"}


def title_of(nb) -> str:
    """The first markdown heading of a notebook, without its '#'."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return "untitled"


def modules_used(nb) -> list[str]:
    """The mlkit modules a notebook's code imports or names (``mlkit.optim``, ``from mlkit import data``)."""
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    names = set(re.findall(r"\bmlkit\.([a-z_]+)", code))
    for group in re.findall(r"from mlkit import \(?([\w\s,]+)\)?", code):
        names.update(n.strip() for n in group.split(",") if n.strip())
    return sorted(n for n in names if (ROOT / "mlkit" / f"{n}.py").exists())


def copy_mathjax(dest: Path) -> None:
    source = next((p for p in MATHJAX_SOURCES if (p / "MathJax.js").exists()), None)
    if source is None:
        raise SystemExit("MathJax is not installed: `sudo apt-get install libjs-mathjax` (Debian/Ubuntu). "
                         "The site bundles it so that formulas typeset without a network.")
    for part in MATHJAX_PARTS:
        src, dst = source / part, dest / part
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)


def write_favicon(dest: Path) -> None:
    """A small icon (two inputs, one unit) so that browsers find one at the site's root."""
    from PIL import Image, ImageDraw
    image = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(8, 8), (24, 16), (8, 24)], fill=(85, 85, 85, 255), width=2)
    for (x, y), colour in (((8, 8), (11, 92, 173, 255)), ((8, 24), (11, 92, 173, 255)), ((24, 16), (227, 98, 9, 255))):
        draw.ellipse([x - 5, y - 5, x + 5, y + 5], fill=colour)
    image.save(dest, sizes=[(32, 32), (16, 16)])


def nav_bar(depth: str, prev: tuple | None, next_: tuple | None, extra: str = "") -> str:
    """The navigation bar; ``prev``/``next_`` are (href, label) or None; ``depth`` leads back to the root."""
    parts = [f'<a class="mlkit-home" href="{depth}index.html">mlkit course</a>']
    if prev:
        parts.append(f'<a rel="prev" href="{prev[0]}">&larr; {html.escape(prev[1])}</a>')
    if next_:
        parts.append(f'<a rel="next" href="{next_[0]}">{html.escape(next_[1])} &rarr;</a>')
    return f'<nav class="mlkit-nav">{" ".join(parts)}{extra}</nav>'


FONT_AWESOME = "https://maxcdn.bootstrapcdn.com/font-awesome/4.4.0/css/font-awesome.min.css"


def offline_outputs(nb) -> None:
    """Outputs that would fetch from the network, made local: matplotlib's animation player links Font
    Awesome from a CDN for its button icons; site.css draws them instead."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/html")
            if isinstance(text, str) and FONT_AWESOME in text:
                output["data"]["text/html"] = text.replace(FONT_AWESOME, "../_static/site.css")


def export(nb, dest: Path, site: dict) -> None:
    offline_outputs(nb)
    exporter = HTMLExporter(template_name="mlkit", extra_template_basedirs=[str(ROOT / "site" / "templates")])
    body, _ = exporter.from_notebook_node(nb, resources={"site": site})
    dest.write_text(body, encoding="utf-8")


def build(executed: Path, out: Path, log=print) -> dict:
    """Write the site into ``out`` (replaced); return what was written (pages, lectures, exercises)."""
    lectures = sorted(executed.glob("[0-9][0-9]_*.ipynb"))
    if not lectures:
        raise SystemExit(f"no executed lectures in {executed}: run scripts/run_lectures.py first")
    if out.exists():
        shutil.rmtree(out)
    for folder in ("lectures", "exercises", "_static"):
        (out / folder).mkdir(parents=True)
    copy_mathjax(out / "_static" / "mathjax")
    shutil.copy(ROOT / "site" / "site.css", out / "_static" / "site.css")
    write_favicon(out / "favicon.ico")

    log("  API reference (pdoc) ...")
    subprocess.run([sys.executable, "-m", "pdoc", "mlkit", "mlkit.plotting", "-o", str(out / "api"), "--no-search",
                    "--docformat", "restructuredtext", "-t", str(ROOT / "site" / "pdoc")], check=True, cwd=ROOT)

    notebooks = {p.stem: nbformat.read(p, as_version=4) for p in lectures}
    titles = {stem: title_of(nb) for stem, nb in notebooks.items()}
    lecture_of = {}  # the exercises of the lectures being built -> the lecture each one practises
    for stem in notebooks:
        if stem[:2] in EXERCISES:
            lecture_of.setdefault(EXERCISES[stem[:2]], stem)
    exercises = {name: nbformat.read(ROOT / "exercises" / name / f"{name}.ipynb", as_version=4)
                 for name in sorted(lecture_of)}
    exercise_titles = {name: title_of(nb) for name, nb in exercises.items()}
    common = {"mathjax": f"../_static/mathjax/MathJax.js?config={MATHJAX_CONFIG},Safe",
              "css": "../_static/site.css", "favicon": "../favicon.ico", "fold_lines": FOLD_LINES}

    stems = list(notebooks)
    for i, stem in enumerate(stems):
        nb = notebooks[stem]
        prev = (f"{stems[i - 1]}.html", titles[stems[i - 1]]) if i else None
        next_ = (f"{stems[i + 1]}.html", titles[stems[i + 1]]) if i + 1 < len(stems) else None
        extra = ""
        exercise = EXERCISES.get(stem[:2])
        if exercise:
            extra += f' <a class="mlkit-exercise" href="../exercises/{exercise}.html">' \
                     f'{html.escape(exercise_titles[exercise])}</a>'
        used = modules_used(nb)
        if used:
            extra += ' <span class="mlkit-modules">mlkit: ' + ", ".join(
                f'<a href="../api/mlkit/{m}.html">{m}</a>' for m in used) + "</span>"
        bar = nav_bar("../", prev, next_, extra)
        export(nb, out / "lectures" / f"{stem}.html", {**common, "nav": bar, "footer": nav_bar("../", prev, next_)})
        log(f"  page {i + 1}/{len(stems)}: lectures/{stem}.html")

    for name, nb in exercises.items():
        lecture = lecture_of[name]
        extra = (f' <a href="../lectures/{lecture}.html">Lecture: {html.escape(titles[lecture])}</a>'
                 f' <span class="mlkit-modules">To work on it, open exercises/{name}/{name}.ipynb in Jupyter'
                 ' (<code>make lab</code>).</span>')
        bar = nav_bar("../", None, None, extra)
        export(nb, out / "exercises" / f"{name}.html", {**common, "nav": bar, "footer": ""})

    write_index(out, stems, titles, exercise_titles)
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html") if "_static" not in p.parts)
    return {"pages": pages, "lectures": len(stems), "exercises": len(exercise_titles)}


def write_index(out: Path, stems: list[str], titles: dict, exercise_titles: dict) -> None:
    rows = []
    for stem in stems:
        exercise = EXERCISES.get(stem[:2])
        cell = (f'<a href="exercises/{exercise}.html">{html.escape(exercise_titles[exercise])}</a>'
                if exercise else "")
        rows.append(f'<tr><td><a href="lectures/{stem}.html">{html.escape(titles[stem])}</a></td>'
                    f"<td>{cell}</td></tr>")
    page = f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>mlkit: neural networks from first principles</title>
<link rel="stylesheet" href="_static/site.css"><link rel="icon" href="favicon.ico"></head>
<body class="mlkit-index">
<h1>Neural networks from first principles</h1>
<p>{len(stems)} lectures, from a single perceptron and logic gates to a multilayer perceptron on MNIST,
autoencoders and PyTorch. Each lecture derives the math, implements it in <code>mlkit</code> (a small numpy
package you are meant to read) and plots what happens. {len(exercise_titles)} exercises let you write the
pieces yourself; their visible tests tell you when you are right.</p>
<table class="mlkit-toc">
<thead><tr><th>Lecture</th><th>Exercise</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
<p><a href="api/mlkit.html">The mlkit API reference</a>, generated from the docstrings of the package.</p>
<p class="mlkit-note">This site was built by <code>make run</code> and needs no network: open it from disk or
serve the folder with <code>python -m http.server</code>.</p>
</body>
</html>
"""
    (out / "index.html").write_text(page, encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--executed", type=Path, default=ROOT / "build" / "lectures")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    print("building the course site ...", flush=True)
    result = build(args.executed, args.out, log=lambda m: print(m, flush=True))
    print(f"site: {len(result['pages'])} pages in {time.perf_counter() - start:.0f} s; "
          f"open {args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
