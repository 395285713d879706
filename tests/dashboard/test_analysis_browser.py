"""The analysis page in a real browser: the interaction graph drawn, a pair chosen in the
select and an edge clicked each load that pair's 2-D partial dependence, the Pareto front of
a two-objective study, and the warm-start form creating a study; no console errors.

Debian's Chromium, headless, driven by playwright (``chromium`` fixture: skipped without
them locally, failing in CI), against uvicorn serving the app on a free loopback port.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import hyperpilot as hp

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def url(tmp_path: Path) -> str:
    """``toy`` (three hyperparameters, 40 trials) and ``mo`` (two objectives, 40 trials)."""
    url = f"sqlite:///{tmp_path / 'analysis.db'}"
    toy = hp.create_study(name="toy", storage=url, optimizer="random", seed=1,
                          space={"x": hp.Float(-3.0, 3.0), "kind": hp.Categorical(["a", "b"]),
                                 "n": hp.Int(1, 20)})
    toy.optimize(lambda c: (c["x"] - 1) ** 2 + c["x"] * c["n"] / 10
                 + (0.5 if c["kind"] == "b" else 0.0), n_trials=40, show_progress=False)
    mo = hp.create_study(name="mo", storage=url, optimizer="random", seed=2,
                         objectives={"loss": "minimize", "acc": "maximize"},
                         space={"x": hp.Float(0.0, 1.0), "y": hp.Float(0.0, 1.0)})
    mo.optimize(lambda c: {"loss": c["x"] ** 2 + c["y"], "acc": c["x"] - (c["y"] - 0.5) ** 2},
                n_trials=40, show_progress=False)
    toy.storage.close()
    mo.storage.close()
    return url


@pytest.fixture
def server(url: str, serve: Any) -> Iterator[str]:
    """The dashboard over *url*, served by uvicorn in a thread; its base address."""
    with serve(url) as address:
        yield address


@pytest.fixture
def page(server: str, chromium: str, open_page: Any) -> Iterator[tuple[Any, list[str]]]:
    """A Chromium page and the console errors it logs."""
    errors: list[str] = []
    with open_page(chromium, errors) as tab:
        yield tab, errors
        tab.wait_for_timeout(300)  # let late errors arrive


def test_the_interaction_graph_loads_the_partial_dependence_of_a_pair(
        server: str, page: tuple[Any, list[str]]) -> None:
    tab, errors = page
    tab.goto(server + "/study/toy/analysis#interactions")
    tab.wait_for_selector("#view-interactions .graph .figure svg.main-svg", timeout=30_000)
    assert "surrogate R²" in tab.inner_text("#view-interactions .graph .trust-line")
    names = tab.eval_on_selector("#view-interactions .graph .figure",
                                 "f => f.data.find(t => t.name === 'hyperparameters').text")
    assert sorted(names) == ["kind", "n", "x"]
    # the strongest pair's surface comes by itself
    tab.wait_for_selector("#view-interactions .pdp[data-pair] .figure .heatmaplayer",
                          timeout=30_000)
    options = tab.eval_on_selector_all("#view-interactions .pdp select[name='pair'] option",
                                       "os => os.map(o => o.value)")
    assert len(options) >= 2
    assert tab.get_attribute("#view-interactions .pdp", "data-pair") == options[0]

    # chosen in the select
    tab.select_option("#view-interactions .pdp select[name='pair']", options[1])
    tab.wait_for_selector(f"#view-interactions .pdp[data-pair='{options[1]}'] .figure "
                          f".heatmaplayer", timeout=30_000)
    assert "surrogate R²" in tab.inner_text("#view-interactions .pdp .trust-line")
    a, b = options[1].split(",")
    assert f"{a} and {b}" in (tab.text_content("#view-interactions .pdp .gtitle") or "")

    # clicked on the graph: the middle of the strongest pair's edge
    box = tab.evaluate("""() => {
        const figure = document.querySelector('#view-interactions .graph .figure');
        const index = figure.data.findIndex(t => t.name === 'pairs');
        const traces = figure.querySelectorAll('.scatterlayer g.trace');
        return traces[index].querySelector('path.point').getBoundingClientRect().toJSON();
    }""")
    tab.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tab.wait_for_selector(f"#view-interactions .pdp[data-pair='{options[0]}'] .figure "
                          f".heatmaplayer", timeout=30_000)
    assert tab.input_value("#view-interactions .pdp select[name='pair']") == options[0]
    assert errors == []


def test_the_pareto_front_of_two_objectives(server: str, page: tuple[Any, list[str]]) -> None:
    tab, errors = page
    tab.goto(server + "/study/mo/analysis#pareto_front")
    tab.wait_for_selector("#view-pareto_front .figure .main-svg", timeout=30_000)
    traces = tab.eval_on_selector("#view-pareto_front .figure", "f => f.data.map(t => t.name)")
    assert "Pareto front" in traces
    assert tab.eval_on_selector_all("#view-fanova select[name='objective'] option",
                                    "os => os.map(o => o.value)") == ["loss", "acc"]
    tab.click("#view-hypervolume button.open")
    tab.wait_for_selector("#view-hypervolume .figure .main-svg", timeout=30_000)
    assert errors == []


def test_the_warm_start_form_creates_a_study(server: str, url: str,
                                             page: tuple[Any, list[str]]) -> None:
    tab, errors = page
    tab.goto(server + "/study/toy/analysis#refine")
    tab.wait_for_selector("#warm-start-form", timeout=30_000)
    assert tab.inner_text("#view-refine .summary").startswith(("freezing", "nothing"))
    tab.fill("#warm-start-form input[name='name']", "toy-next")
    tab.click("#warm-start-form button[type='submit']")
    tab.wait_for_selector("#warm-start-result a[href='/study/toy-next']", timeout=30_000)
    study = hp.load_study("toy-next", url)
    try:
        carried = len(study.get_trials([hp.TrialState.COMPLETE]))
    finally:
        study.storage.close()
    assert f"with {carried} of this study's trials" in tab.inner_text("#warm-start-result")

    assert errors == []

    # the same name again: one line, nothing made
    tab.click("#warm-start-form button[type='submit']")
    tab.wait_for_selector("#warm-start-result .alert")
    assert "already exists" in tab.inner_text("#warm-start-result")

    # the new study is in the list
    tab.goto(server + "/")
    tab.wait_for_selector("#studies tr[data-study='toy-next']")
    assert tab.locator("#studies tr[data-study]").count() == 3
    # the refused request is the one error the browser logs
    assert len(errors) == 1 and "status of 400" in errors[0]
