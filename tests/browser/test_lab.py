"""Every lesson with an explorer, run in a real JupyterLab in a real Chromium.

For each lesson in ``lessons/`` whose code builds an explorer (a call to ``..._explorer(``),
the test opens it in JupyterLab (1280 x 900, the file browser open), runs all cells, checks
that every slider's track is at least ``MIN_TRACK_PX`` wide (a mouse can drag it), then in
every explorer moves every slider one step with the keyboard and back, and checks each time
that the picture in the widget's output changes to that of the new setting, that the explorer
reports no error, and that no "Error displaying widget" text appears anywhere on the page. It
prints, per slider, the seconds from the key press to the new picture for a setting touched
for the first time and for one seen before (on the page's clock, from the key press to the new
picture). This is what unit tests and nbval cannot see: the widget JavaScript, the kernel
comms and the browser working together. Screenshots go to ``tests/browser/screenshots/``
(git-ignored) and the time per lesson is printed.

Until a lesson uses an explorer, a small scratch notebook that builds the bottleneck explorer
on the digits data stands in, so the machinery itself stays tested.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
LESSONS = REPO / "lessons"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
# Flags for a headless Chromium in a container: no sandbox (we may run as root), no GPU, and
# none of the background traffic (updates, sync, first-run pages) a test machine cannot reach.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
SERVER_START_TIMEOUT_S = 90

# JupyterLab user settings written into the throw-away settings folder.
LAB_SETTINGS = {
    # No "Would you like to get notified about official Jupyter news?" toast.
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                     "checkForUpdates": False},
    # Attach every cell to the page, so widgets below the fold are rendered and can be found.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}

CHROMIUM_MISSING = (
    f"BROWSER TEST SKIPPED: Chromium is not installed at {CHROMIUM}. This test drives a real "
    "JupyterLab in Debian's Chromium and never downloads a browser. Install it with "
    "`sudo apt-get install chromium` (or run `make test`, which does so where apt-get is "
    "available) to check that the lessons' widgets really render in a browser.")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LabServer:
    """A running JupyterLab: where it serves, its token, and the folder it serves."""

    port: int
    token: str
    root: Path
    log: Path

    def url(self, path: str = "lab") -> str:
        sep = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}/{path}{sep}token={self.token}"

    def api(self, path: str, method: str = "GET") -> object:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/{path}", method=method,
            headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """End every notebook session, so each lesson starts with a fresh kernel."""
        for session in self.api("sessions"):
            self.api(f"sessions/{session['id']}", method="DELETE")

    def log_tail(self, n: int = 40) -> str:
        lines = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        return "\n".join(lines[-n:])


def _write_settings(settings_dir: Path) -> None:
    for plugin, values in LAB_SETTINGS.items():
        package, name = plugin.rsplit("/", 1)
        target = settings_dir / package / f"{name}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values, indent=2))


@pytest.fixture(scope="session")
def jupyter_lab(tmp_path_factory) -> LabServer:
    """Start JupyterLab on a throw-away copy of lessons/; stop it after the session."""
    if not CHROMIUM.exists():
        pytest.skip(CHROMIUM_MISSING)
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "lessons"
    if LESSONS.is_dir():
        shutil.copytree(LESSONS, root, ignore=shutil.ignore_patterns(
            ".ipynb_checkpoints", "__pycache__"))
    else:
        root.mkdir()
    dirs = {name: base / name for name in ("settings", "workspaces", "runtime", "config")}
    for folder in dirs.values():
        folder.mkdir()
    _write_settings(dirs["settings"])

    env = os.environ.copy()
    # Kernels must see what a student's kernel sees: the inline matplotlib backend, not the
    # Agg backend the test suite sets for itself.
    env.pop("MPLBACKEND", None)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(JUPYTERLAB_SETTINGS_DIR=str(dirs["settings"]),
               JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]),
               JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
               JUPYTER_CONFIG_DIR=str(dirs["config"]))
    token = os.urandom(16).hex()
    port = free_port()
    log = base / "jupyterlab.log"
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", "--port-retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
               "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI often run as root
        command.append("--allow-root")
    with open(log, "wb") as log_file:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=log_file,
                                   stderr=subprocess.STDOUT)
    server = LabServer(port=port, token=token, root=root, log=log)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"JupyterLab exited with code {process.returncode} before it "
                            f"answered; its log ends with:\n{server.log_tail()}")
            try:
                server.api("status")
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer on port {port} within "
                                f"{SERVER_START_TIMEOUT_S} s; its log ends with:\n"
                                f"{server.log_tail()}")
                time.sleep(0.5)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def chromium(jupyter_lab):
    """Debian's Chromium, headless, driven by Playwright (one browser for the session)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


EXPLORER_CALL = "_explorer("
SCRATCH = "scratch_bottleneck.ipynb"
KERNEL_READY_TIMEOUT_S = 120
RUN_ALL_TIMEOUT_S = 300  # a lesson must run in under a minute; this is the hard stop
SLIDER_TIMEOUT_S = 120   # one new setting may train a few small models
READ_TIMEOUT_S = 180     # the longest the test "reads" while the background prepares settings
WIDGET_LOAD_TIMEOUT_S = 20
MIN_TRACK_PX = 150       # narrower, and a mouse can hardly drag the slider
VIEWPORT = {"width": 1280, "height": 900}


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


def uses_explorer(notebook: Path) -> bool:
    """Whether any code cell of ``notebook`` calls a function whose name ends in _explorer."""
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    return any(cell.get("cell_type") == "code" and EXPLORER_CALL in _source(cell)
               for cell in cells)


def explorer_lessons(folder: Path = LESSONS) -> list[str]:
    """Names of the notebooks directly in ``folder`` that use an explorer, sorted."""
    if not folder.is_dir():
        return []
    return [nb.name for nb in sorted(folder.glob("*.ipynb")) if uses_explorer(nb)]


def write_scratch_notebook(folder: Path) -> str:
    """A minimal notebook that shows the bottleneck explorer; it has no kernel metadata, so
    JupyterLab asks which kernel to use, as it does for a notebook a student creates."""
    code = ("import aekit\n"
            "from aekit.widgets import bottleneck_explorer\n"
            "\n"
            "aekit.seed_everything(0)\n"
            "data = aekit.data.load(\"digits\")\n"
            "# few code sizes and epochs: this checks the widget machinery, not the lesson\n"
            "bottleneck_explorer(data, code_dims=(2, 4, 8), epochs=5)\n")
    notebook = {"cells": [{"cell_type": "code", "execution_count": None, "id": "explorer",
                           "metadata": {}, "outputs": [], "source": code}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (folder / SCRATCH).write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return SCRATCH


NOTEBOOKS = explorer_lessons() or [SCRATCH]

# ----------------------------------------------------------------------------- page scripts
# JupyterLab is started with expose_app_in_browser, so `window.jupyterapp` is its app object.
KERNEL_STATE_JS = """() => {
  const dialog = document.querySelector('.jp-Dialog');
  if (dialog) return 'dialog: ' + dialog.innerText.slice(0, 200);
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  const ctx = panel && panel.sessionContext;
  if (!ctx || !ctx.session || !ctx.session.kernel) return 'no kernel yet';
  return 'kernel ' + ctx.session.kernel.status;
}"""

START_RUN_ALL_JS = """() => {
  window.__aekitRun = undefined;
  window.jupyterapp.commands.execute('notebook:run-all-cells').then(
    ok => { window.__aekitRun = {ok: ok}; },
    err => { window.__aekitRun = {error: String(err)}; });
}"""

CELL_ERRORS_JS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const errors = [];
  panel.content.widgets.forEach((cell, index) => {
    if (cell.model.type !== 'code') return;
    for (const out of cell.model.outputs.toJSON()) {
      if (out.output_type === 'error')
        errors.push(`cell ${index}: ${out.ename}: ${out.evalue}`);
    }
  });
  return errors;
}"""

# Mark each explorer with data-aekit-explorer=<n>, so Playwright can address it: the smallest
# element around an Output that shows an image which also holds a slider, looking no further
# than the cell output it belongs to. Returns how many were found.
TAG_EXPLORERS_JS = """() => {
  const SLIDER = '.widget-slider .noUi-handle';
  let n = 0;
  for (const out of document.querySelectorAll('.jp-Notebook .widget-output')) {
    if (!out.querySelector('img')) continue;
    let box = out.parentElement;
    while (box && !box.querySelector(SLIDER) && !box.classList.contains('jp-OutputArea-output'))
      box = box.parentElement;
    if (!box || !box.querySelector(SLIDER) || box.hasAttribute('data-aekit-explorer')) continue;
    box.setAttribute('data-aekit-explorer', String(n));
    n += 1;
  }
  return n;
}"""

# Resolves when the explorer shows the picture of the new setting, or when its Output shows
# text on stderr (how an Explorer reports an error); returns what happened. The new picture
# must (1) say in its alt text that exactly one control changed (the one moved), and (2) differ
# from the old one below the title band: a figure whose title alone changed is not the figure
# of the new setting.
PICTURE_CHANGED_JS = """([index, beforeSrc, beforeAlt]) => {
  const box = document.querySelector(`[data-aekit-explorer="${index}"]`);
  if (!box) return false;
  const err = box.querySelector(
    '.widget-output [data-mime-type="application/vnd.jupyter.stderr"]');
  if (err) return 'error: ' + err.innerText;
  const img = box.querySelector('.widget-output img');
  if (!img || img.getAttribute('src') === beforeSrc || !img.complete || img.naturalWidth === 0)
    return false;
  const settings = (alt) => {
    const words = (alt || '').split(': ').slice(1).join(': ');
    return Object.fromEntries(words.split(', ').map((pair) => pair.split('=')));
  };
  const alt = img.getAttribute('alt');
  if (!alt) return 'the new picture has no alt text naming its setting';
  const before = settings(beforeAlt), after = settings(alt);
  const moved = Object.keys(after).filter((name) => after[name] !== before[name]);
  if (moved.length !== 1)
    return `the alt text should name one changed setting, got "${beforeAlt}" -> "${alt}"`;
  const a = window.aekitBeforePicture, b = img;   // the old picture, loaded before the move
  if (!a || !a.complete) return false;
  if (a.naturalWidth !== b.naturalWidth || a.naturalHeight !== b.naturalHeight) return 'changed';
  const canvas = document.createElement('canvas');
  canvas.width = a.naturalWidth; canvas.height = a.naturalHeight;
  const ctx = canvas.getContext('2d');
  const top = Math.floor(a.naturalHeight * 0.15), rows = a.naturalHeight - top;
  ctx.drawImage(a, 0, 0);
  const pa = ctx.getImageData(0, top, canvas.width, rows).data;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(b, 0, 0);
  const pb = ctx.getImageData(0, top, canvas.width, rows).data;
  for (let i = 0; i < pa.length; i++) if (pa[i] !== pb[i]) return 'changed';
  return `only the title band changed after moving ${moved[0]}: not the figure of the new setting`;
}"""

# [description, track width in px] of every slider in explorer `index`.
TRACK_WIDTHS_JS = """(index) => {
  const box = document.querySelector(`[data-aekit-explorer="${index}"]`);
  return [...box.querySelectorAll('.widget-slider')].map((slider) => {
    const label = slider.querySelector('.widget-label');
    const track = slider.querySelector('.noUi-target');
    return [label ? label.innerText : '', track ? track.getBoundingClientRect().width : 0];
  });
}"""

# Opens JupyterLab's file browser in the left sidebar if it is not open; returns its width.
FILE_BROWSER_JS = """async () => {
  const app = window.jupyterapp;
  if (!document.querySelector('#filebrowser') ||
      document.querySelector('#filebrowser').getBoundingClientRect().width === 0)
    await app.commands.execute('filebrowser:activate');
  const browser = document.querySelector('#filebrowser');
  return browser ? browser.getBoundingClientRect().width : 0;
}"""

# Keeps the old picture as an image element, so the check above can compare pixels.
KEEP_BEFORE_JS = """(src) => { window.aekitBeforePicture = new Image(); window.aekitBeforePicture.src = src; }"""


def _screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def _assert_widgets_displayed(page, notebook: str, moment: str) -> None:
    """No "Error displaying widget" anywhere, and no widget stuck at "Loading widget..."."""
    stem = Path(notebook).stem
    try:  # a widget whose model cannot be found first shows "Loading widget..." for a while
        page.wait_for_function(
            "() => !document.body.innerText.includes('Loading widget...')",
            timeout=WIDGET_LOAD_TIMEOUT_S * 1000, polling=500)
    except PlaywrightTimeoutError:
        _screenshot(page, f"{stem}-loading.png")
        pytest.fail(f"{notebook}: a widget still shows 'Loading widget...' "
                    f"{WIDGET_LOAD_TIMEOUT_S} s {moment}: its model never reached the page")
    errors = [line for line in page.locator("body").inner_text().splitlines()
              if "Error displaying widget" in line]
    if errors:
        _screenshot(page, f"{stem}-widget-error.png")
    assert not errors, (
        f"{notebook}: JupyterLab shows {errors[:3]} {moment} (see {stem}-widget-error.png): "
        "the page refers to a widget model the kernel does not have, as happens when a "
        "notebook is saved with widget state")


def _dismiss_news_toast(page) -> None:
    """Answer "No" to JupyterLab's news toast, should it appear despite the settings."""
    toast = page.locator(".jp-Notification-Toast, .Toastify__toast").filter(has_text="news")
    if toast.count():
        no = toast.first.get_by_role("button", name="No")
        (no if no.count() else toast.first.locator(".Toastify__close-button")).first.click()


def _wait_for_kernel(page) -> None:
    """Wait for an idle kernel, accepting the "Select Kernel" dialog if JupyterLab asks."""
    deadline = time.monotonic() + KERNEL_READY_TIMEOUT_S
    state = ""
    while time.monotonic() < deadline:
        state = page.evaluate(KERNEL_STATE_JS)
        if state.startswith("dialog"):
            # The default choice is the notebook's kernel, or the preferred Python kernel.
            page.locator(".jp-Dialog .jp-mod-accept").first.click()
        elif state == "kernel idle":
            return
        page.wait_for_timeout(250)
    pytest.fail(f"the kernel was not ready within {KERNEL_READY_TIMEOUT_S} s "
                f"(last state: {state})")


def _run_all_cells(page, notebook: str) -> None:
    page.evaluate(START_RUN_ALL_JS)
    try:
        page.wait_for_function("() => window.__aekitRun !== undefined",
                               timeout=RUN_ALL_TIMEOUT_S * 1000, polling=500)
    except PlaywrightTimeoutError:
        pytest.fail(f"{notebook}: 'Run All Cells' had not finished after {RUN_ALL_TIMEOUT_S} s")
    errors = page.evaluate(CELL_ERRORS_JS)
    assert not errors, f"{notebook}: cells raised errors in JupyterLab:\n" + "\n".join(errors)
    result = page.evaluate("() => window.__aekitRun")
    assert result.get("ok") is True, f"{notebook}: 'Run All Cells' did not finish: {result}"


def _narrow_tracks(page, index: int) -> list[tuple[str, float]]:
    """The sliders of explorer ``index`` whose track is narrower than ``MIN_TRACK_PX``."""
    widths = page.evaluate(TRACK_WIDTHS_JS, index)
    return [(label, width) for label, width in widths if width < MIN_TRACK_PX]


def _move_slider(page, notebook: str, index: int, expect: str = "changed", slider: int = 0,
                 key: str | None = None) -> float:
    """Move slider ``slider`` of explorer ``index`` one step with ``key`` (default: right,
    or left at the end); return seconds until redrawn. The outcome must start with ``expect``
    ("changed": the picture of the new setting)."""
    box = page.locator(f'[data-aekit-explorer="{index}"]')
    box.scroll_into_view_if_needed()
    picture = box.locator(".widget-output img").first
    before, before_alt = picture.get_attribute("src"), picture.get_attribute("alt")
    page.evaluate(KEEP_BEFORE_JS, before)
    handle = box.locator(".widget-slider .noUi-handle").nth(slider)
    at_end = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
    # (the key pressed is kept on the page, so the way back can press the other one)
    stem = Path(notebook).stem
    box.screenshot(path=str(SCREENSHOTS / f"{stem}-explorer{index}-before.png"))
    handle.focus()
    key = key or ("ArrowLeft" if at_end else "ArrowRight")
    page.evaluate(PRESS_CLOCK_JS, key)
    start = time.perf_counter()
    handle.press(key)
    try:
        outcome = page.wait_for_function(TIMED_PICTURE_CHANGED_JS,
                                         arg=[index, before, before_alt],
                                         timeout=SLIDER_TIMEOUT_S * 1000,
                                         polling="raf").json_value()
    except PlaywrightTimeoutError:
        outcome = (f"the picture did not change within {SLIDER_TIMEOUT_S} s of moving the "
                   f"slider (see {stem}-explorer{index}-after.png)")
    seconds = time.perf_counter() - start
    box.screenshot(path=str(SCREENSHOTS / f"{stem}-explorer{index}-after.png"))
    assert isinstance(outcome, str) and outcome.startswith(expect), (
        f"{notebook}, explorer {index}: {outcome}")
    if outcome == "changed":  # the page's own clock: from the key press to the new picture
        seconds = page.evaluate("() => (window.aekitChangedAt - window.aekitPressedAt) / 1000")
    return seconds


# The explorer's status line (aekit.widgets.base.Explorer.status) while its background work
# is planned says "preparing ..."; afterwards how many nearby settings are ready.
STATUS_JS = """(index) => {
  const box = document.querySelector(`[data-aekit-explorer="${index}"]`);
  const status = box && box.querySelector('.aekit-status');
  return status ? status.innerText : '';
}"""


def _read(page, index: int) -> float:
    """Wait as a student reading the picture would, until explorer ``index`` has prepared
    the settings near the one on show (its status line stops saying "preparing"); return the
    seconds waited."""
    start = time.perf_counter()
    try:
        page.wait_for_function(f"() => !({STATUS_JS})({index}).includes('preparing')",
                               timeout=READ_TIMEOUT_S * 1000, polling=100)
    except PlaywrightTimeoutError:
        pytest.fail(f"explorer {index}: still preparing its nearby settings after "
                    f"{READ_TIMEOUT_S} s: {page.evaluate(STATUS_JS, index)!r}")
    status = page.evaluate(STATUS_JS, index)
    assert "could not" not in status, f"explorer {index}: {status}"
    return time.perf_counter() - start


# The page's clock, so a latency leaves out the test's own round trips to the browser: the
# key press is timed by a capturing listener, the new picture when the check above first sees it
# (at the next animation frame).
PRESS_CLOCK_JS = """(key) => {
  window.aekitLastKey = key;
  window.aekitPressedAt = undefined;
  document.addEventListener('keydown', () => { window.aekitPressedAt = performance.now(); },
                            {capture: true, once: true});
}"""
TIMED_PICTURE_CHANGED_JS = f"""(args) => {{
  const outcome = ({PICTURE_CHANGED_JS})(args);
  if (outcome === 'changed') window.aekitChangedAt = performance.now();
  return outcome;
}}"""


def _open(chromium, jupyter_lab: LabServer, notebook: str):
    """A new page with ``notebook`` open in JupyterLab and its kernel ready."""
    page = chromium.new_page(viewport=VIEWPORT)
    page.set_default_timeout(60_000)
    page.goto(jupyter_lab.url(f"lab/tree/{notebook}?reset"))
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell")
    _wait_for_kernel(page)
    _dismiss_news_toast(page)
    assert page.evaluate(FILE_BROWSER_JS) > 100, "the file browser should be open beside the notebook"
    return page


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_explorers_work_in_jupyterlab(notebook: str, jupyter_lab: LabServer, chromium,
                                      capsys) -> None:
    if notebook == SCRATCH:
        write_scratch_notebook(jupyter_lab.root)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    stem = Path(notebook).stem
    start = time.perf_counter()
    page = _open(chromium, jupyter_lab, notebook)
    try:
        # A notebook saved with widget state shows errors as soon as it is opened.
        _assert_widgets_displayed(page, notebook, "when the notebook was opened")
        opened = time.perf_counter()

        _run_all_cells(page, notebook)
        ran = time.perf_counter()
        _screenshot(page, f"{stem}-ran.png")

        n_explorers = page.evaluate(TAG_EXPLORERS_JS)
        assert n_explorers >= 1, (
            f"{notebook} calls an explorer, but after 'Run All Cells' no widget with a slider "
            f"and a picture was found on the page (see {stem}-ran.png)")
        for i in range(n_explorers):
            narrow = _narrow_tracks(page, i)
            if narrow:
                _screenshot(page, f"{stem}-narrow-slider.png")
            assert not narrow, (
                f"{notebook}, explorer {i}: slider tracks narrower than {MIN_TRACK_PX} px at "
                f"{VIEWPORT['width']} x {VIEWPORT['height']} with the file browser open: "
                f"{narrow} (see {stem}-narrow-slider.png)")
        latencies = []  # (explorer, slider, description, first touch s, seen before s, read s)
        for i in range(n_explorers):
            for j, (label, _) in enumerate(page.evaluate(TRACK_WIDTHS_JS, i)):
                read = _read(page, i)
                first = _move_slider(page, notebook, i, slider=j)
                went = page.evaluate("() => window.aekitLastKey")
                read += _read(page, i)
                again = _move_slider(page, notebook, i, slider=j,
                                     key="ArrowLeft" if went == "ArrowRight" else "ArrowRight")
                latencies.append((i, j, label, first, again, read))

        _screenshot(page, f"{stem}-end.png")
        _assert_widgets_displayed(page, notebook, "after moving the sliders")
    except (Exception, pytest.fail.Exception):
        _screenshot(page, f"{stem}-FAILED.png")
        raise
    finally:
        page.close()
        jupyter_lab.shutdown_kernels()
    total = time.perf_counter() - start
    with capsys.disabled():
        print(f"\n[browser] {notebook}: {total:.1f} s in all (open + kernel "
              f"{opened - start:.1f} s, run all cells {ran - opened:.1f} s, "
              f"{n_explorers} explorer(s))")
        for i, j, label, first, again, read in latencies:
            print(f"[slider] {notebook} explorer {i} slider {j} ({label}): first touch "
                  f"{first:.3f} s, seen before {again:.3f} s (after {read:.1f} s of reading "
                  f"while the background prepared nearby settings)")


TITLE_ONLY = "title_only_explorer.ipynb"


@contextlib.contextmanager
def _one_explorer_page(chromium, jupyter_lab: LabServer, notebook: str):
    """The notebook opened and run, with its one explorer tagged; closed afterwards."""
    page = _open(chromium, jupyter_lab, notebook)
    try:
        _run_all_cells(page, notebook)
        assert page.evaluate(TAG_EXPLORERS_JS) == 1
        yield page
    finally:
        page.close()
        jupyter_lab.shutdown_kernels()


def _write_one_cell_notebook(path: Path, code: str) -> None:
    """A notebook of one code cell, with the Python kernel named (no kernel dialog)."""
    notebook = {"cells": [{"cell_type": "code", "execution_count": None, "id": path.stem,
                           "metadata": {}, "outputs": [], "source": code}],
                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                            "language": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")


def test_a_picture_whose_title_alone_changes_is_not_taken_for_the_new_setting(
        jupyter_lab: LabServer, chromium) -> None:
    """The negative control of the check above: an explorer whose figure ignores its slider
    (only the title follows it) must fail the test that every lesson's explorer passes."""
    code = ("import ipywidgets as widgets\n"
            "from matplotlib.figure import Figure\n"
            "from aekit.widgets import Explorer\n"
            "\n"
            "def render(size):\n"
            "    fig = Figure(figsize=(4, 3))\n"
            "    ax = fig.subplots()\n"
            "    ax.plot([0, 1], [0, 1])          # the same curve whatever the size\n"
            "    fig.suptitle(f'size {size}')\n"
            "    return fig\n"
            "\n"
            "Explorer(render, {'size': widgets.IntSlider(value=1, min=1, max=5)}, title='broken')\n")
    _write_one_cell_notebook(jupyter_lab.root / TITLE_ONLY, code)
    with _one_explorer_page(chromium, jupyter_lab, TITLE_ONLY) as page:
        _move_slider(page, TITLE_ONLY, 0, expect="only the title band changed")


SQUEEZED = "squeezed_slider.ipynb"


def test_a_slider_squeezed_by_its_label_is_caught(jupyter_lab: LabServer, chromium) -> None:
    """The negative control of the track check: two sliders with long labels in one plain
    row (the layout explorers had before), where the labels leave the tracks no room."""
    code = ("import ipywidgets as widgets\n"
            "from IPython.display import display\n"
            "from aekit.plot import to_png\n"
            "from matplotlib.figure import Figure\n"
            "\n"
            "label = 'a description long enough to crowd out the track of its slider'\n"
            "sliders = [widgets.SelectionSlider(options=[1, 2, 3], description=f'{label} {i}',\n"
            "                                   style={'description_width': 'initial'})\n"
            "           for i in range(2)]\n"
            "out = widgets.Output()\n"
            "with out:\n"
            "    display(widgets.Image(value=to_png(Figure(figsize=(2, 1)))))\n"
            "    display(widgets.HTML('<img src=\"data:,\" alt=\"x\">'))\n"
            "widgets.VBox([widgets.HBox(sliders), out])\n")
    _write_one_cell_notebook(jupyter_lab.root / SQUEEZED, code)
    with _one_explorer_page(chromium, jupyter_lab, SQUEEZED) as page:
        narrow = _narrow_tracks(page, 0)
        assert len(narrow) == 2, f"both squeezed sliders should be caught, got {narrow}"
