"""The written report in a real browser: every figure draws, nothing errs, nothing is fetched.

Debian's Chromium, headless, driven by playwright (``chromium`` fixture: skipped without
them locally, failing in CI).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import hyperpilot as hp
from hyperpilot.analysis import report

DRAWN = ("Array.from(document.querySelectorAll('.js-plotly-plot'))"
         ".filter(d => d.querySelector('svg.main-svg')).length")


def _open(browser: Any, path: Path, expected: int) -> dict[str, Any]:
    """Load the page, wait until *expected* figures are drawn; what was drawn and logged."""
    errors: list[str] = []
    requests: list[str] = []
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_function(f"{DRAWN} >= {expected}", timeout=30_000)
    page.wait_for_timeout(200)  # let late errors arrive
    seen = {"drawn": page.evaluate(DRAWN), "boxes": page.locator(".hp-figure").count(),
            "meta": int(page.locator('meta[name="hyperpilot-figures"]').get_attribute(
                "content") or -1),
            "errors": errors,
            "remote": [u for u in requests if not u.startswith(("file:", "data:", "blob:"))]}
    page.close()
    return seen


@pytest.mark.browser
@pytest.mark.slow
def test_every_figure_draws_without_errors_or_requests(
        tmp_path: Path, built: Callable[[str], hp.Study], chromium: str) -> None:
    from playwright.sync_api import sync_playwright

    # every section of a study (two objectives, so their views too), then the comparison
    one = report(built("two-objective-one"), tmp_path / "one.html", n_bootstrap=0)
    two = report([built("conditional"), built("constant")], tmp_path / "two.html",
                 sections=["overview", "comparison", "edf"], n_bootstrap=0)
    for written in (one, two):
        assert [(s.key, s.reason) for s in written.sections if s.status != "ok"] == []
    assert one.figures >= 15 and two.figures == 2
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        try:
            pages = [_open(browser, w.path, w.figures) for w in (one, two)]
        finally:
            browser.close()
    for written, seen in zip((one, two), pages, strict=True):
        assert seen == {"drawn": written.figures, "boxes": written.figures,
                        "meta": written.figures, "errors": [], "remote": []}
