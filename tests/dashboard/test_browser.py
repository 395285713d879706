"""The dashboard in a real browser: every page renders, tables page, sort and filter on the
server, an exclusion and a prior made in the pages are stored as events; no console errors
on the way.

Debian's Chromium, headless, driven by playwright (``chromium`` fixture: skipped without
them locally, failing in CI), against uvicorn serving the app on a free loopback port.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import hyperpilot as hp


@pytest.fixture
def server(db: str, serve: Any) -> Iterator[str]:
    """The dashboard over *db*, served by uvicorn in a thread; its base address."""
    with serve(db) as address:
        yield address


def _numbers(page: Any) -> list[int]:
    return [int(n) for n in page.eval_on_selector_all(
        "#trials tr[data-number]", "rows => rows.map(r => r.dataset.number)")]


@pytest.mark.browser
@pytest.mark.slow
def test_pages_render_page_sort_filter_and_steer_without_errors(
        server: str, db: str, chromium: str, open_page: Any) -> None:
    study = hp.load_study("toy", db)
    trials = study.trials
    best = min((t for t in trials if t.values), key=lambda t: t.values["value"])  # type: ignore[index]
    errors: list[str] = []
    with open_page(chromium, errors) as page:
        try:

            # the studies list, then a study's overview through its link
            page.goto(server + "/")
            page.wait_for_selector("#studies tr[data-study='toy']")
            assert page.locator("#studies tr[data-study]").count() == 2
            page.click("#studies a:text-is('toy')")
            page.wait_for_selector("#progress svg.main-svg")
            assert page.locator("#space tr[data-param]").count() == 3
            assert "x too large" in page.inner_text("#failures")

            # the trials table: page 2, a sort, a filter
            page.goto(server + "/study/toy/trials?limit=10")
            page.wait_for_function("document.querySelectorAll('#trials tr[data-number]').length == 10")
            assert _numbers(page) == list(range(10))
            page.click("#next")
            page.wait_for_function("document.querySelector('#trials tr[data-number]').dataset.number == '10'")
            assert _numbers(page) == list(range(10, 20)) and "page 2 of 3" in page.inner_text("#page")
            page.click("th[data-order='value:value']")
            page.wait_for_function(
                f"document.querySelector('#trials tr[data-number]').dataset.number == '{best.number}'")
            page.click("#state-filter input[value='failed']")
            page.wait_for_function("Array.from(document.querySelectorAll('#trials tr[data-number] td:nth-child(2)'))"
                                   ".every(td => td.textContent == 'failed')")
            n_failed = sum(t.state == hp.TrialState.FAILED for t in trials)
            assert f"{n_failed} trials match" in page.inner_text("#total")

            # a trial's detail
            page.goto(server + f"/study/toy/trials/{best.number}")
            page.wait_for_selector("#config table")
            assert f"Trial {best.number}" in page.inner_text("h1")
            assert page.locator("#config tr").count() == 3
            assert page.locator("#why").count() == 1
            page.click("#exclude")  # keep it out of the model, from its page
            page.wait_for_selector("#exclude:text-is('include in the model again')")

            # a prior set in the page is stored as an event with origin dashboard
            page.goto(server + "/study/toy")
            page.wait_for_selector("#prior-form")
            assert page.inner_text("#excluded a") == f"#{best.number}"
            page.select_option("#prior-form select[name='name']", "x")
            page.fill("#prior-form input[name='x']", "1.5")
            page.select_option("#prior-form select[name='confidence']", "high")
            page.click("#prior-form button[type='submit']")
            page.wait_for_function("document.querySelector(\"#space tr[data-param='x'] .runtime-prior\")"
                                   ".textContent.startsWith('1.5')")
            events = study.events()
            assert [(e.kind, e.origin, e.payload) for e in events] == [
                ("exclude", "dashboard", {"trial": best.number}),
                ("set_prior", "dashboard", {"name": "x", "value": 1.5, "confidence": "high"})]

            # the events timeline shows it
            page.goto(server + "/study/toy/events")
            page.wait_for_selector("#events tr[data-kind='set_prior'][data-origin='dashboard']")
            page.wait_for_timeout(300)  # let late errors arrive
        finally:
            study.storage.close()
    assert errors == []


@pytest.mark.browser
@pytest.mark.slow
def test_analysis_view_and_steering_forms_render_without_errors(
        server: str, db: str, chromium: str, open_page: Any) -> None:
    errors: list[str] = []
    study = hp.load_study("toy", db)
    with open_page(chromium, errors) as page:
        try:

            # an importance view, computed in the background, drawn with its trust line
            page.goto(server + "/study/toy/analysis")
            page.wait_for_selector("#view-fanova button.open")
            assert page.locator("section[data-view]").count() == 11  # one objective: no MO views
            page.click("#view-fanova button.open")
            page.wait_for_selector("#view-fanova .figure svg.main-svg", timeout=60_000)
            assert "surrogate R²" in page.inner_text("#view-fanova .trust-line")
            assert page.locator("#view-fanova .figure g.trace.bars").count() >= 1

            # narrow a range and choose the acquisition from the overview
            page.goto(server + "/study/toy")
            page.wait_for_selector("#narrow-form")
            page.select_option("#narrow-form select[name='name']", "x")
            page.fill("#narrow-form input[name='low']", "-1")
            page.fill("#narrow-form input[name='high']", "2")
            page.click("#narrow-form button[type='submit']")
            page.wait_for_selector("#space tr[data-param='x'] button.restore-range")
            page.select_option("#acquisition-form select[name='acquisition']", "lcb")
            page.fill("#acquisition-form input[name='weight']", "8")
            page.click("#acquisition-form button[type='submit']")
            page.wait_for_function("document.querySelector('#acquisition').textContent.includes('lcb')")
            page.click("#space tr[data-param='x'] button.restore-range")
            page.wait_for_function(
                "!document.querySelector(\"#space tr[data-param='x'] button.restore-range\")")
            assert [(e.kind, e.origin, e.payload) for e in study.events()] == [
                ("narrow", "dashboard", {"name": "x", "low": -1.0, "high": 2.0}),
                ("set_acquisition", "dashboard", {"acquisition": {"name": "lcb", "beta": 8.0}}),
                ("restore_range", "dashboard", {"name": "x"})]
            page.wait_for_timeout(300)  # let late errors arrive
        finally:
            study.storage.close()
    assert errors == []
