"""Analysis views in the background: a request never waits, results are cached until a trial
finishes, at most the given number compute at once, failures are one line.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

import hyperpilot as hp
from hyperpilot.dashboard import _analysis, create_app

pytest.importorskip("plotly")


@pytest.fixture
def client(db: str) -> Iterator[TestClient]:
    with TestClient(create_app(db)) as test_client:
        yield test_client


def _wait(client: TestClient, path: str, timeout: float = 120.0) -> dict[str, Any]:
    """Poll *path* until the view is done (and not stale) or failed."""
    deadline = time.monotonic() + timeout
    while True:
        data = client.get(path).json()
        if data["status"] == "error" or (data["status"] == "done" and not data["stale"]):
            return data
        assert time.monotonic() < deadline, f"{path} still {data}"
        time.sleep(0.1)


def test_the_views_are_listed(client: TestClient) -> None:
    views = client.get("/api/studies/toy/analysis").json()
    assert [v["view"] for v in views] == list(_analysis.VIEWS)
    assert {"fanova", "ped_anova", "lpi", "ablation", "hypershap", "partial_dependence",
            "parallel_coordinates", "footprint", "history"} == set(_analysis.VIEWS)


def test_fanova_runs_in_the_background_then_comes_from_the_cache(client: TestClient) -> None:
    first = client.get("/api/studies/toy/analysis/fanova").json()
    assert first["status"] == "running" and first["progress"]["stage"] in ("queued",
                                                                           "computing")
    done = _wait(client, "/api/studies/toy/analysis/fanova")
    assert done["status"] == "done" and done["title"] == "fANOVA importance"
    assert done["figure"]["data"] and done["figure"]["data"][0]["type"] == "bar"
    assert {"hyperparameter", "importance", "cv_r2", "warning"} <= set(done["columns"])
    assert {r["hyperparameter"] for r in done["rows"] if r["kind"] == "main"} == {
        "x", "kind", "n"}
    [trust] = done["trust"]
    assert trust["n_trials"] == client.get("/api/studies/toy").json()["counts"]["complete"]
    assert trust["verdict"] in ("trustworthy", "rough", "not to be trusted")
    assert all(w["level"] in ("caution", "danger") for w in done["warnings"])
    assert "fanova" in done["cache_key"]
    again = client.get("/api/studies/toy/analysis/fanova").json()
    assert again == done  # from the cache, nothing started


def test_a_new_finished_trial_invalidates_the_view(client: TestClient, db: str) -> None:
    before = _wait(client, "/api/studies/toy/analysis/fanova")
    study = hp.load_study("toy", db)
    try:
        study.optimize(lambda config: 0.0, n_trials=1, show_progress=False)
    finally:
        study.storage.close()
    refreshing = client.get("/api/studies/toy/analysis/fanova").json()
    assert refreshing["status"] == "done" and refreshing["stale"]  # the old one meanwhile
    assert refreshing["cache_key"] == before["cache_key"]
    after = _wait(client, "/api/studies/toy/analysis/fanova")
    assert after["cache_key"] != before["cache_key"]


def test_requests_never_wait_and_one_view_computes_at_a_time(
        monkeypatch: pytest.MonkeyPatch, client: TestClient) -> None:
    release = threading.Event()
    started: list[str] = []

    def blocking(name: str) -> Any:
        def compute(study: hp.Study) -> Any:
            started.append(name)
            release.wait(30)
            return _analysis.VIEWS["history"].compute(study)
        return compute

    views = {name: _analysis.View(name, False, blocking(name)) for name in ("one", "two")}
    monkeypatch.setattr(_analysis, "VIEWS", {**_analysis.VIEWS, **views})
    try:
        tick = time.monotonic()
        one = client.get("/api/studies/toy/analysis/one").json()
        two = client.get("/api/studies/toy/analysis/two").json()
        assert time.monotonic() - tick < 5
        assert one["status"] == two["status"] == "running"
        for _ in range(100):
            if started:
                break
            time.sleep(0.05)
        one = client.get("/api/studies/toy/analysis/one").json()
        two = client.get("/api/studies/toy/analysis/two").json()
        assert one["progress"]["stage"] == "computing"
        assert two["progress"]["stage"] == "queued" and started == ["one"]
    finally:
        release.set()
    assert _wait(client, "/api/studies/toy/analysis/two")["status"] == "done"
    assert started == ["one", "two"]


def test_too_few_trials_and_unknown_views_are_one_line(client: TestClient) -> None:
    failed = _wait(client, "/api/studies/other/analysis/fanova")
    assert failed["status"] == "error" and "\n" not in failed["error"]
    assert "trials" in failed["error"]
    response = client.get("/api/studies/toy/analysis/tsne")
    assert response.status_code == 404 and "unknown analysis view" in response.json()["error"]


@pytest.mark.slow
@pytest.mark.parametrize("view", list(_analysis.VIEWS))
def test_every_view_renders_a_figure(client: TestClient, view: str) -> None:
    done = _wait(client, f"/api/studies/toy/analysis/{view}")
    assert done["status"] == "done", done.get("error")
    assert done["figure"]["data"] and done["n_rows"] >= len(done["rows"]) > 0
    if _analysis.VIEWS[view].importance:
        assert done["trust"] and done["trust"][0]["cv_r2"] is not None


def test_past_the_limit_a_view_is_fitted_on_a_sample_and_says_so(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    complete = client.get("/api/studies/toy").json()["counts"]["complete"]
    monkeypatch.setattr(_analysis, "MAX_MODEL_TRIALS", complete - 5)
    done = _wait(client, "/api/studies/toy/analysis/fanova")
    assert done["status"] == "done"
    [trust] = done["trust"]
    assert trust["n_trials"] == complete - 5
    assert any(f"uniform sample of {complete - 5:,}" in note for note in done["notes"])
