"""The overview page in a real browser: its data is asked for before plotly.js runs, and its
text does not wait for plotly.js (nor need it).

Debian's Chromium, headless, driven by playwright (``chromium`` fixture), against uvicorn
serving the app on a free loopback port.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

# Records, in order, each fetch the page makes and the moment plotly.js defines Plotly.
TRACE = """
window.__trace = [];
const originalFetch = window.fetch;
window.fetch = function (url, ...rest) {
  window.__trace.push("fetch " + url);
  return originalFetch.call(this, url, ...rest);
};
let plotly;
Object.defineProperty(window, "Plotly", { configurable: true, get: () => plotly,
  set: value => { window.__trace.push("plotly"); plotly = value; } });
"""


@pytest.fixture
def server(db: str, serve: Any) -> Iterator[str]:
    """The dashboard over *db*, served by uvicorn in a thread; its base address."""
    with serve(db) as address:
        yield address


@pytest.fixture
def browser(chromium: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium)
        try:
            yield launched
        finally:
            launched.close()


@pytest.mark.browser
def test_the_overview_is_asked_for_before_plotly_runs(server: str, browser: Any) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.add_init_script(TRACE)
    page.goto(server + "/study/toy")
    page.wait_for_selector("#progress svg.main-svg")
    trace = page.evaluate("window.__trace")
    assert "plotly" in trace and "fetch /api/studies/toy" in trace
    assert trace.index("fetch /api/studies/toy") < trace.index("plotly"), trace
    assert trace.count("fetch /api/studies/toy") == 1, "the first render uses that answer"
    assert not errors


@pytest.mark.browser
def test_the_overview_s_text_does_not_need_plotly(server: str, browser: Any) -> None:
    page = browser.new_page()
    page.route("**/static/vendor/plotly-basic.min.js", lambda route, request: route.abort())
    page.goto(server + "/study/toy")
    page.wait_for_selector("#space tr[data-param]")
    assert "complete" in page.inner_text("#counts")
    assert "x too large" in page.inner_text("#failures")
    page.wait_for_function(
        "document.getElementById('message').textContent.includes('plotly.js did not load')")
    assert page.locator("#progress svg").count() == 0
