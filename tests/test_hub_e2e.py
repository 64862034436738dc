"""The whole class loop in a real browser: the course's JupyterHub (deploy/, trial mode) on 127.0.0.1, headless
Chromium (Debian's chromium and chromium-driver, through Selenium), one instructor and one student.

instructor  logs in, opens Formgrader, generates and releases 01_perceptron
student     logs in, fetches it from the Assignments tab, opens the notebook, types the logic-gate weights into
            their cell, runs the cell's visible test and sees it pass, saves and submits
instructor  collects in Formgrader, autogrades with `python -m mlgrade autograde --workers 2` in the course
            directory, sees the student's score in Formgrader, generates and releases feedback
student     fetches the feedback from the Assignments tab and opens it: their score, no hidden test

The hub, its proxy and every server it started are stopped at the end, by process id. A screenshot of the
browser after each step is kept in build/hub-test-screenshots/ (FAILED-… for the step that failed).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from mlgrade.parallel import nbgrader_env

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "build" / "hub-test-screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
NEEDED = {"chromium": CHROMIUM, "chromedriver": CHROMEDRIVER, "bwrap": shutil.which("bwrap") or "/usr/bin/bwrap",
          "npm": shutil.which("npm") or "/usr/bin/npm"}
MISSING = [name for name, path in NEEDED.items() if not os.path.exists(path)]
needs_browser_and_hub = pytest.mark.skipif(
    bool(MISSING), reason=f"the hub test needs {', '.join(MISSING)}: `sudo apt-get install chromium "
                          "chromium-driver bubblewrap npm`")

ASSIGNMENT = "01_perceptron"
PASSWORD = "a-trial-password"
# What the student types into the cell `gate_weights` (worth 2 of the assignment's 16 points)
ANSWER = ["AND_WEIGHTS = (np.array([1.0, 1.0]), -1.5)", "OR_WEIGHTS = (np.array([1.0, 1.0]), -0.5)"]
CELL_SETUP, CELL_ANSWER, CELL_TEST = 1, 6, 7  # positions in the notebook: imports, the answer, its visible test


def _free_ports(count: int) -> int:
    """A port p on 127.0.0.1 such that p, p+1, ... p+count-1 are all free (the hub uses three in a row)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + count > 65535:
            continue
        try:
            with contextlib.ExitStack() as stack:
                for k in range(count):
                    probe = stack.enter_context(socket.socket())
                    probe.bind(("127.0.0.1", base + k))
            return base
        except OSError:
            continue
    raise RuntimeError("no free run of ports on 127.0.0.1")


def _processes_in(folder: Path) -> list[int]:
    """Pids of processes whose working directory lies in ``folder`` (the users' servers and kernels)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if Path(os.readlink(entry / "cwd")).is_relative_to(folder):
                    found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def hub():
    state = Path(tempfile.mkdtemp(prefix="mlkit-hub-test-"))
    port = _free_ports(3)
    log = open(state / "hub.log", "w")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "deploy" / "hub.py"), "--state", str(state / "hub"), "--port", str(port),
         "--password", PASSWORD, "--students", "student1"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # the first run installs the proxy from npm
        while True:
            assert process.poll() is None, f"the hub exited:\n{(state / 'hub.log').read_text()[-3000:]}"
            with contextlib.suppress(OSError, urllib.error.URLError):
                if urllib.request.urlopen(f"{url}/hub/login", timeout=5).status == 200:
                    break
            assert time.monotonic() < deadline, f"no hub after 180 s:\n{(state / 'hub.log').read_text()[-3000:]}"
            time.sleep(0.5)
        yield url, state / "hub"
    finally:
        process.send_signal(signal.SIGTERM)  # the hub stops the users' servers and its proxy
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for pid in _processes_in(state):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update", "--window-size=1400,950"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(90)
    yield driver
    driver.quit()


class Session:
    """The browser, the step being done (named in failures and screenshots) and small waiting helpers."""

    def __init__(self, driver, url: str):
        self.driver, self.url = driver, url
        self.step_name = "start"

    @contextlib.contextmanager
    def step(self, name: str):
        """Do one step; the browser's view at its end is kept as build/hub-test-screenshots/NN-<step>.png, with
        FAILED- in front when the step failed."""
        self.step_name, self.steps = name, getattr(self, "steps", 0) + 1
        file_name = f"{self.steps:02d}-" + re.sub(r"\W+", "-", name).strip("-") + ".png"
        try:
            yield
        except BaseException:
            self.screenshot("FAILED-" + file_name)
            print(f"\nstep '{name}' failed; screenshot: {SCREENSHOTS / ('FAILED-' + file_name)}")
            raise
        self.screenshot(file_name)

    def screenshot(self, file_name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):
            self.driver.save_screenshot(str(SCREENSHOTS / file_name))

    def wait(self, condition, what: str, timeout: float = 120):
        """Poll ``condition()`` until it returns something true; fail naming ``what`` after ``timeout``."""
        from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(StaleElementReferenceException, WebDriverException):
                value = condition()
                if value:
                    return value
            if time.monotonic() > deadline:
                raise AssertionError(f"step '{self.step_name}': waited {timeout:.0f} s for {what}")
            time.sleep(0.25)

    def css(self, selector: str, within=None):
        from selenium.webdriver.common.by import By
        return (within or self.driver).find_elements(By.CSS_SELECTOR, selector)

    def xpath(self, path: str, within=None):
        from selenium.webdriver.common.by import By
        return (within or self.driver).find_elements(By.XPATH, path)

    def log_in(self, user: str) -> None:
        from selenium.webdriver.common.by import By
        self.driver.get(f"{self.url}/hub/logout")  # whoever was logged in before
        self.driver.get(f"{self.url}/hub/login")
        self.wait(lambda: self.css("#username_input"), "the log-in form")
        self.driver.find_element(By.ID, "username_input").send_keys(user)
        self.driver.find_element(By.ID, "password_input").send_keys(PASSWORD)
        self.driver.find_element(By.ID, "login_submit").click()
        self.wait(lambda: f"/user/{user}/lab" in self.driver.current_url and self.css(".jp-LabShell"),
                  f"{user}'s JupyterLab", timeout=120)

    def lab_menu(self, menu: str, item: str) -> None:
        self.wait(lambda: self.xpath(f"//li[contains(@class,'lm-MenuBar-item')][.//*[text()='{menu}']]"),
                  f"the menu {menu}")[0].click()
        self.wait(lambda: self.xpath(f"//li[contains(@class,'lm-Menu-item')][.//*[text()='{item}']]"),
                  f"the menu item {menu} > {item}")[0].click()

    def formgrader_button(self, column: str, assignment: str = ASSIGNMENT) -> None:
        """Click the button of ``assignment``'s row in Formgrader's column ``column`` and confirm the dialog."""
        link = self.wait(lambda: self.css(f"#main-table tr:has(td.name[data-order='{assignment}']) td.{column} a"),
                         f"the {column} button of {assignment} in Formgrader")[0]
        link.click()
        modal_ok = ".modal.in .modal-footer button.btn-primary, .modal.show .modal-footer button.btn-primary"
        self.wait(lambda: [b for b in self.css(modal_ok) if b.is_displayed()],
                  f"Formgrader's dialog after {column}", timeout=120)[0].click()
        self.wait(lambda: not [m for m in self.css(".modal") if m.is_displayed()], "the dialog to close")

    def assignments_button(self, list_id: str, label: str, timeout: float = 120) -> None:
        """Click the button ``label`` of the assignment in the Assignments panel's list ``list_id``."""
        self.wait(lambda: self.xpath(f"//*[@id='{list_id}']//button[normalize-space(text())='{label}']"),
                  f"the button '{label}' in {list_id}", timeout=timeout)[0].click()


def _answer_and_test(s: Session) -> None:
    """In the open notebook: run the imports, type the answer, run it and its visible test."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    s.wait(lambda: len(s.css(".jp-Notebook .jp-Cell")) > CELL_TEST, "the notebook's cells")

    def run(index: int) -> None:
        cell = s.css(".jp-Notebook .jp-Cell")[index]
        s.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
        s.css(".jp-InputArea-editor", cell)[0].click()
        ActionChains(s.driver).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()

    def prompt(index: int) -> str:
        return s.css(".jp-InputPrompt", s.css(".jp-Notebook .jp-Cell")[index])[0].text

    run(CELL_SETUP)
    s.wait(lambda: re.fullmatch(r"\[\d+\]:", prompt(CELL_SETUP)), "the imports cell to run", timeout=180)

    cell = s.css(".jp-Notebook .jp-Cell")[CELL_ANSWER]
    s.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
    s.css(".cm-content", cell)[0].click()
    ActionChains(s.driver).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).send_keys(Keys.DELETE) \
        .perform()
    for k, line in enumerate(ANSWER):
        ActionChains(s.driver).send_keys(line + (Keys.ENTER if k < len(ANSWER) - 1 else "")).perform()
    s.wait(lambda: all(line in s.css(".cm-content", s.css(".jp-Notebook .jp-Cell")[CELL_ANSWER])[0].text
                       for line in ANSWER), "the answer typed in its cell")
    run(CELL_ANSWER)
    s.wait(lambda: re.fullmatch(r"\[\d+\]:", prompt(CELL_ANSWER)), "the answer cell to run")
    run(CELL_TEST)
    s.wait(lambda: re.fullmatch(r"\[\d+\]:", prompt(CELL_TEST)), "the visible test to run")
    test_cell = s.css(".jp-Notebook .jp-Cell")[CELL_TEST]
    errors = s.css(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']", test_cell)
    assert not errors, f"the visible test failed in the browser: {errors[0].text[:500]}"


@pytest.mark.slow
@needs_browser_and_hub
def test_student_and_instructor_loop(hub, browser):
    url, state = hub
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    s = Session(browser, url)
    course = state / "home" / "instructor" / "mlkit"
    student_home = state / "home" / "student1"
    started = time.monotonic()

    with s.step("instructor generates and releases in Formgrader"):
        s.log_in("instructor")
        browser.get(f"{url}/user/instructor/formgrader")
        s.formgrader_button("assign")   # generate the student version
        s.formgrader_button("release")  # into the exchange
        assert list((state / "exchange" / "mlkit" / "outbound" / ASSIGNMENT).glob("*.ipynb"))

    with s.step("student fetches from the Assignments tab"):
        s.log_in("student1")
        s.lab_menu("Nbgrader", "Assignment List")
        s.assignments_button("released_assignments_list", "Fetch")
        s.wait(lambda: (student_home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists(), "the fetched notebook")

    with s.step("student answers, runs the visible test, saves"):
        browser.get(f"{url}/user/student1/lab/tree/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")
        _answer_and_test(s)
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.keys import Keys
        ActionChains(browser).key_down(Keys.CONTROL).send_keys("s").key_up(Keys.CONTROL).perform()

        def saved() -> bool:
            nb = nbformat.read(student_home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
            return all(line in nb.cells[CELL_ANSWER].source for line in ANSWER)
        s.wait(saved, "the notebook saved with the answer")

    with s.step("student submits"):
        s.lab_menu("Nbgrader", "Assignment List")
        s.assignments_button("fetched_assignments_list", "Submit")
        s.wait(lambda: list((state / "exchange" / "mlkit" / "inbound").glob(f"student1+{ASSIGNMENT}+*")),
               "the submission in the exchange")

    with s.step("instructor collects in Formgrader"):
        s.log_in("instructor")
        browser.get(f"{url}/user/instructor/formgrader")
        s.formgrader_button("collect")
        assert (course / "submitted" / "student1" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()

    with s.step("instructor autogrades in parallel"):
        graded = subprocess.run([sys.executable, "-m", "mlgrade", "autograde", ASSIGNMENT, "--workers", "2"],
                                cwd=course, env=nbgrader_env(), capture_output=True, text=True, timeout=600)
        assert graded.returncode == 0, graded.stdout[-2000:] + graded.stderr[-3000:]

    with s.step("instructor sees the score in Formgrader"):
        browser.get(f"{url}/user/instructor/formgrader/manage_students")
        row = s.wait(lambda: s.xpath("//tr[td[contains(normalize-space(.), 'student1')]]"), "student1's row")[0]
        assert re.search(r"\b2(\.0+)?\s*/\s*16\b", row.text), f"expected 2 / 16 for student1, got: {row.text}"

    with s.step("instructor generates and releases feedback"):
        browser.get(f"{url}/user/instructor/formgrader")
        s.formgrader_button("generate-feedback")
        s.formgrader_button("release-feedback")

    with s.step("student fetches and opens the feedback"):
        s.log_in("student1")
        s.lab_menu("Nbgrader", "Assignment List")
        s.assignments_button("submitted_assignments_list", "Fetch Feedback")
        feedback = s.wait(lambda: list((student_home / ASSIGNMENT / "feedback").rglob(f"{ASSIGNMENT}.html")),
                          "the feedback file")[0]
        browser.get(f"{url}/user/student1/files/{feedback.relative_to(student_home).as_posix()}")
        text = s.wait(lambda: browser.find_element("tag name", "body").text, "the feedback page")
        assert re.search(r"Score:\s*2(\.0+)?\s*/\s*16", text), text[:1000]
        assert "BEGIN HIDDEN" not in browser.page_source

    print(f"\nthe loop took {time.monotonic() - started:.0f} s in the browser")


def test_the_kubernetes_starting_point_is_valid_yaml():
    yaml = pytest.importorskip("yaml")
    values = yaml.safe_load((ROOT / "deploy" / "z2jh-values.yaml").read_text())
    assert values["singleuser"]["storage"]["extraVolumeMounts"][0]["mountPath"] == "/srv/nbgrader/exchange"
    compile(values["hub"]["extraConfig"]["mlkit-roles"], "mlkit-roles", "exec")  # the hook is valid Python
