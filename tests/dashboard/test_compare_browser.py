"""The comparison in a real browser: two studies ticked in the studies list, compared (the
table, the best-so-far curves by trial number and wall time, the distributions and the
importances side by side), then every page of a study whose name holds ``/``, ``?``,
``#``, a space and unicode, steered from its overview; no console errors on the way.

Debian's Chromium, headless, driven by playwright (``chromium`` fixture: skipped without
them locally, failing in CI), against uvicorn serving the app on a free loopback port.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest

import hyperpilot as hp

ODD = "runs/β test?#1"
"""A study name with URL-special characters."""


@pytest.fixture
def server(db: str, serve: Any) -> Iterator[str]:
    """The dashboard over *db* plus study :data:`ODD`, served by uvicorn in a thread."""
    odd = hp.create_study(
        name=ODD, storage=db, optimizer="random", seed=5,
        space={"x": hp.Float(-5.0, 5.0), "kind": hp.Categorical(["a", "b"]),
               "n": hp.Int(1, 20)})
    odd.optimize(lambda c: (c["x"] - 2.0) ** 2 + c["n"] / 20, n_trials=20, show_progress=False)
    odd.storage.close()
    with serve(db) as address:
        yield address


def _traces(page: Any, figure: str) -> list[str]:
    names: list[str] = page.eval_on_selector(figure, "box => box.data.map(t => t.name)")
    return names


@pytest.mark.browser
@pytest.mark.slow
def test_two_studies_compared_from_the_list_render_without_errors(
        server: str, db: str, chromium: str, open_page: Any) -> None:
    errors: list[str] = []
    with open_page(chromium, errors) as page:

        # the studies list: workers and last activity, two studies ticked, compared
        page.goto(server + "/")
        page.wait_for_selector("#studies tr[data-study='toy']")
        # this process finished the trials seconds ago: one worker alive
        assert page.inner_text("#studies tr[data-study='toy'] td.workers") == "1"
        assert page.get_attribute("#studies tr[data-study='toy'] td.workers", "title") == \
            f"{socket.gethostname()}:{os.getpid()}"
        assert page.is_disabled("#compare")
        page.check("#studies tr[data-study='toy'] input.pick")
        page.wait_for_timeout(2200)  # the list re-renders: the tick is kept
        page.check(f"#studies tr[data-study='{ODD}'] input.pick")
        assert page.is_checked("#studies tr[data-study='toy'] input.pick")
        page.click("#compare")

        # the comparison: the table, the curves, the distributions
        page.wait_for_selector("#curves svg.main-svg")
        assert page.url.startswith(server + "/compare?studies=")
        rows = page.eval_on_selector_all("#compare-table tr[data-study]",
                                         "rows => rows.map(r => r.dataset.study)")
        assert rows == ["toy", ODD]
        page.wait_for_selector("#box svg.main-svg")
        page.wait_for_selector("#edf svg.main-svg")
        assert _traces(page, "#curves") == ["toy", ODD]
        assert _traces(page, "#edf") == ["toy", ODD]
        page.select_option("#axis", "time")
        page.wait_for_function(
            "document.querySelector('#curves').layout.xaxis.title.text.includes('seconds')")
        page.check("#log")
        page.wait_for_function("document.querySelector('#box').layout.yaxis.type == 'log'")

        # fANOVA of each study, computed in the background, side by side
        page.click("#importance-compute")
        page.wait_for_selector("#importance-figure svg.main-svg", timeout=60_000)
        assert _traces(page, "#importance-figure") == ["toy", ODD]
        assert page.locator("#importance-figure g.trace.bars").count() == 2
        assert "surrogate R²" in page.inner_text("#importance-status")

        # the odd name's pages, reached through links, and steered from its overview
        page.click(f"#compare-table tr[data-study='{ODD}'] a:text-is('{ODD}')")
        page.wait_for_selector("#progress svg.main-svg")
        assert page.inner_text("header nav b") == ODD
        page.click("#btn-pause")
        page.wait_for_selector("#status:text-is('paused')")
        page.click("header nav a:text-is('trials')")
        page.wait_for_function("document.querySelectorAll('#trials tr[data-number]').length == 20")
        page.click("#trials tr[data-number='3'] a")
        page.wait_for_selector("#config table")
        assert "Trial 3" in page.inner_text("h1")
        page.click("header nav a:text-is('events')")
        page.wait_for_selector("#events tr[data-kind='pause'][data-origin='dashboard']")
        page.click("header nav a:text-is('analysis')")
        page.wait_for_selector("#view-fanova button.open")
        page.click("#view-fanova button.open")
        page.wait_for_selector("#view-fanova .figure svg.main-svg", timeout=60_000)

        page.wait_for_timeout(300)  # let late errors arrive
        assert errors == []

        # an unknown study is one line on the comparison page
        page.goto(server + "/compare?studies=toy,nope")
        page.wait_for_selector("#error")
        assert "no study named 'nope'" in page.inner_text("#error")
        page.wait_for_timeout(300)  # let late errors arrive
    events = hp.load_study(ODD, db).events()
    assert [(e.kind, e.origin) for e in events] == [("pause", "dashboard")]
    # the failed fetch of the unknown study is all the browser logs
    assert errors and all("404" in e for e in errors), errors
