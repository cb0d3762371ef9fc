"""A real JupyterHub on 127.0.0.1 with throw-away system users, for the tests in this folder.

It needs root (it creates users and JupyterHub starts servers as them), the hub's environment
and proxy (`make test` installs both where it runs as root) and, for the browser steps,
Debian's Chromium. Where one is missing, the tests that need it skip and say why.
"""
from __future__ import annotations

import concurrent.futures
import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from hub.local import start_hub, why_no_hub  # noqa: E402

# The same Chromium, with the same flags, as the lessons' browser test.
_spec = importlib.util.spec_from_file_location("_lab_browser", REPO / "tests" / "browser" / "test_lab.py")
_lab_browser = sys.modules["_lab_browser"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_lab_browser)
CHROMIUM, CHROMIUM_FLAGS = _lab_browser.CHROMIUM, _lab_browser.CHROMIUM_FLAGS


@pytest.fixture(scope="session")
def class_hub():
    """A running hub with an instructor and two students."""
    reason = why_no_hub()
    if reason:
        pytest.skip(f"JUPYTERHUB TEST SKIPPED: {reason}")
    with start_hub(n_students=2) as running:
        yield running


class BrowserThread:
    """Debian's Chromium driven by Playwright in a thread of its own.

    Playwright's sync API allows one instance per thread, and the lessons' browser test
    (tests/browser) keeps its own open in the main thread for the whole session. So every
    Playwright call of these tests goes through ``run``, which runs it in this thread.
    """

    def __init__(self):
        self._thread = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="chromium")
        self.browser = self.run(self._start)

    def _start(self):
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        return self._playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                args=CHROMIUM_FLAGS)

    def run(self, function, *args):
        """``function(*args)`` in the browser's thread; its result, or its exception."""
        return self._thread.submit(function, *args).result()

    def close(self) -> None:
        def stop():
            self.browser.close()
            self._playwright.stop()
        try:
            self.run(stop)
        finally:
            self._thread.shutdown()


@pytest.fixture(scope="session")
def browser(class_hub):
    if not CHROMIUM.exists():
        pytest.skip(f"JUPYTERHUB BROWSER STEPS SKIPPED: Chromium is not installed at {CHROMIUM} "
                    f"(`make setup` installs Debian's chromium where apt-get is available).")
    chromium = BrowserThread()
    try:
        yield chromium
    finally:
        chromium.close()
