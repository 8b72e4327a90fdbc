"""Shared fixtures: the real app launched in-process on a free port, a gradio_client for it, and a
headless Debian chromium page driven by Playwright; `wait_for`, the one way tests await a condition."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"  # git-ignored: screenshots from browser tests
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic",
]

# Never reach the network from tests: Hub calls must use local folders or a hand-made cache.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def wait_for(condition: Callable[[], object], timeout: float, what: str, poll: float = 0.05) -> None:
    """Poll `condition` until it is true; fail naming `what` if it is still false after `timeout` seconds.

    The timeout bounds how long a hang may last (generous: the machine may be loaded); it is not a speed test.
    The condition is checked once more after the deadline passes, so a slow last poll does not fail."""
    __tracebackhide__ = True  # a failure points at the test line that waited
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(poll)


@pytest.fixture(autouse=True)
def no_warm_up_running() -> None:
    """Start each test after the page's warm-up threads are done. Importing app.py starts them (directions,
    test splits); they load models, and building a module draws its initial weights from torch's global RNG,
    so a test that trains in-process while they run (and asserts that --resume is exact) would race them."""
    wait_for(lambda: not any(t.name.endswith("warm-up") and t.is_alive() for t in threading.enumerate()),
             timeout=300, what="the app's warm-up threads")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def app_url() -> Iterator[str]:
    """The page served by app.py's `demo`, with app.py's own queue settings and its CSS (the sticky view)."""
    from app import CSS, demo

    port = _free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True,
                enable_monitoring=False, css=CSS, mcp_server=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


@pytest.fixture(scope="session")
def client(app_url: str):
    from gradio_client import Client

    return Client(app_url, verbose=False)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install chromium).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def page_at(browser, width: int, height: int) -> Iterator[object]:
    """A fresh page with its own viewport (a phone, a projector), closed afterwards."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def page(browser, app_url: str) -> Iterator[object]:
    with page_at(browser, 1400, 1800) as page:
        yield page


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
