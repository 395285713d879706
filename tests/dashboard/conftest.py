"""A small stored study for the dashboard's tests: numbers, a choice, failures, a queue."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

import hyperpilot as hp

pytest.importorskip("starlette")


def objective(config: dict[str, Any]) -> float:
    if config["x"] > 4.0:
        raise RuntimeError("x too large for this model")
    return (config["x"] - 1.0) ** 2 + (0.5 if config["kind"] == "b" else 0.0) + config["n"] / 10


@pytest.fixture
def db(tmp_path: Path) -> str:
    """An SQLite storage URL holding study ``toy`` (30 trials, some failed) and ``other``."""
    url = f"sqlite:///{tmp_path / 'dash.db'}"
    study = hp.create_study(
        name="toy", storage=url, optimizer="random", seed=1,
        space={"x": hp.Float(-5.0, 5.0), "kind": hp.Categorical(["a", "b"]),
               "n": hp.Int(1, 20)})
    study.optimize(objective, n_trials=30, show_progress=False, max_consecutive_failures=None)
    other = hp.create_study(name="other", storage=url, optimizer="random", seed=2,
                            objectives="maximize", space={"x": hp.Float(0.0, 1.0)})
    other.optimize(lambda c: c["x"], n_trials=3, show_progress=False)
    study.storage.close()
    other.storage.close()
    return url


@contextmanager
def serve_dashboard(storage_url: str) -> Iterator[str]:
    """The dashboard over *storage_url*, served by uvicorn in a thread on a free loopback
    port; yields its base address and stops the server on exit."""
    import uvicorn

    from hyperpilot.dashboard import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    served = uvicorn.Server(uvicorn.Config(create_app(storage_url), log_level="warning"))
    thread = threading.Thread(target=served.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(200):
        if served.started:
            break
        thread.join(0.05)
    assert served.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        served.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def serve() -> Callable[[str], AbstractContextManager[str]]:
    """:func:`serve_dashboard`, for the browser tests' ``server`` fixtures."""
    return serve_dashboard


@contextmanager
def console_page(chromium: str, errors: list[str]) -> Iterator[Any]:
    """A page of a new headless Chromium (*chromium*: its executable), 1300 x 900; its
    console errors and uncaught exceptions are appended to *errors*."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            yield page
        finally:
            browser.close()


@pytest.fixture
def open_page() -> Callable[[str, list[str]], AbstractContextManager[Any]]:
    """:func:`console_page`, for the browser tests."""
    return console_page
