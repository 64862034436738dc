"""The offline course site in a real browser (headless Chromium through Selenium, Debian's chromium and
chromium-driver): every page loads with no failed request and nothing fetched from beyond the local server,
its math is typeset (no raw TeX left in the text), its images load and its internal links resolve.

The site tested is $MLKIT_SITE_DIR when set (CI builds the whole site with `make run` first), otherwise a
site built here from two lectures. A screenshot of each page that fails a check is kept in
build/site-test-screenshots/.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "build" / "site-test-screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
MISSING = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(p)]
pytestmark = pytest.mark.skipif(bool(MISSING), reason=f"no headless browser here ({', '.join(MISSING)} missing): "
                                                      "`sudo apt-get install chromium chromium-driver`")
RAW_TEX = re.compile(r"\\(frac|theta|sum|mathbf|sigma|partial|eta|top|cdot|leftarrow|begin)\b|\$[^$\n]{1,60}\$")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    given = os.environ.get("MLKIT_SITE_DIR")
    if given:
        assert (Path(given) / "index.html").exists(), f"MLKIT_SITE_DIR={given} holds no built site"
        return Path(given)
    tmp = tmp_path_factory.mktemp("site")
    lectures = sorted((ROOT / "lectures").glob("0[14]_*.ipynb"))  # an animation, a gallery, lots of math
    for script, args in (("run_lectures.py", ["--out", str(tmp / "executed"), *map(str, lectures)]),
                         ("build_site.py", ["--executed", str(tmp / "executed"), "--out", str(tmp / "site")])):
        step = subprocess.run([sys.executable, str(ROOT / "scripts" / script), *args], capture_output=True,
                              text=True, timeout=600)
        assert step.returncode == 0, f"{script} failed:\n{step.stdout[-2000:]}\n{step.stderr[-2000:]}"
    return tmp / "site"


@pytest.fixture(scope="module")
def server(site):
    """A static file server for the site on 127.0.0.1, stopped when the tests end."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):  # the browser closing a connection early
            super().handle_error(request, client_address)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


def _pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html") if "_static" not in p.parts)


def test_the_site_has_every_part(site):
    pages = _pages(site)
    lectures = [p for p in pages if p.startswith("lectures/")]
    assert "index.html" in pages and "api/mlkit.html" in pages and lectures
    assert any(p.startswith("exercises/") for p in pages)
    assert (site / "_static" / "mathjax" / "MathJax.js").exists()


WAIT_FOR_MATHJAX = """
const done = arguments[arguments.length - 1];
if (!window.MathJax || !MathJax.Hub) { done(-1); return; }
MathJax.Hub.Queue(() => done(document.querySelectorAll('.MathJax_SVG').length));
"""

PAGE_FACTS = """
const markdown = Array.from(document.querySelectorAll('.jp-MarkdownCell, .jp-RenderedMarkdown'))
  .map(e => e.innerText).join('\\n');
return {
  markdown: markdown,
  text: document.body.innerText,
  mathErrors: document.querySelectorAll('.MathJax_Error, [data-mjx-error], merror').length,
  images: Array.from(document.images).map(i => [i.currentSrc.slice(0, 80), i.complete && i.naturalWidth > 0]),
  resources: performance.getEntriesByType('resource').map(r => [r.name, r.responseStatus || 0]),
  links: Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href')),
};
"""


def _check_page(driver, base: str, page: str, site: Path) -> list[str]:
    driver.get(base + page)
    problems = []
    typeset = driver.execute_async_script(WAIT_FOR_MATHJAX)
    facts = driver.execute_script(PAGE_FACTS)
    for entry in driver.get_log("browser"):
        if entry["level"] == "SEVERE":
            problems.append(f"browser error: {entry['message'][:200]}")
    for name, status in facts["resources"]:
        if not (name.startswith(base) or name.startswith("data:")):
            problems.append(f"fetched from outside the site: {name[:120]}")
        elif status >= 400:
            problems.append(f"request failed ({status}): {name[:120]}")
    if page.startswith(("lectures/", "exercises/")):
        if typeset <= 0:
            problems.append(f"no typeset math (MathJax: {typeset})")
        raw = RAW_TEX.findall(facts["markdown"])
        if raw:
            problems.append(f"raw TeX in the text: {raw[:5]}")
    if facts["mathErrors"]:
        problems.append(f"{facts['mathErrors']} formulas failed to typeset")
    broken_images = [src for src, ok in facts["images"] if not ok]
    if broken_images:
        problems.append(f"images not loaded: {broken_images[:3]}")
    for href in facts["links"]:
        if href.startswith(("http://", "https://", "mailto:", "#", "javascript:")):
            continue
        target = urllib.parse.urljoin(base + page, href.split("#")[0])
        try:
            urllib.request.urlopen(target, timeout=10).close()
        except urllib.error.URLError as err:
            problems.append(f"broken link {href} ({err})")
    return problems


def test_every_page_loads_offline_with_typeset_math_images_and_working_links(site, server, browser):
    pages = _pages(site)
    failures = {}
    for page in pages:
        problems = _check_page(browser, server, page, site)
        if problems:
            failures[page] = problems
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(str(SCREENSHOTS / (page.replace("/", "__") + ".png")))
    assert not failures, f"{len(failures)} of {len(pages)} pages fail (screenshots in {SCREENSHOTS}): {failures}"
    print(f"\n{len(pages)} pages checked in Chromium")


def test_a_lecture_page_shows_navigation_figures_and_folded_drawing_code(site, server, browser):
    lecture = next(p for p in _pages(site) if p.startswith("lectures/01_"))
    browser.get(server + lecture)
    browser.execute_async_script(WAIT_FOR_MATHJAX)
    nav = browser.execute_script("return document.querySelector('nav.mlkit-nav').innerText")
    assert "mlkit course" in nav and "Exercise" in nav and "perceptron" in nav
    figures = browser.execute_script("return document.querySelectorAll('.jp-OutputArea-output img').length")
    assert figures >= 3
    folded = browser.execute_script("return document.querySelectorAll('details.mlkit-fold').length")
    assert folded >= 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "lecture-01.png"))


def test_raw_tex_is_caught(site, server, browser, tmp_path):
    """The checks can fail: a page whose MathJax is missing shows raw TeX and a failed request."""
    page = site / "lectures" / "broken-for-test.html"
    source = next((site / "lectures").glob("01_*.html")).read_text(encoding="utf-8")
    page.write_text(source.replace("_static/mathjax/MathJax.js", "_static/mathjax/missing.js"), encoding="utf-8")
    try:
        problems = _check_page(browser, server, "lectures/broken-for-test.html", site)
    finally:
        page.unlink()
    assert any("request failed" in p for p in problems) and any("raw TeX" in p or "no typeset math" in p
                                                              for p in problems)
