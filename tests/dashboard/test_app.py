"""The dashboard's JSON API through Starlette's TestClient: pages, sorting, filters, steering."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

import hyperpilot as hp
from hyperpilot.dashboard import create_app
from hyperpilot.dashboard._app import TOKEN_HEADER


@pytest.fixture
def client(db: str) -> Iterator[TestClient]:
    with TestClient(create_app(db)) as test_client:
        yield test_client


def _trials(db: str) -> list[hp.Trial]:
    study = hp.load_study("toy", db)
    try:
        return study.trials
    finally:
        study.storage.close()


def _events(db: str) -> list[Any]:
    study = hp.load_study("toy", db)
    try:
        return study.events()
    finally:
        study.storage.close()


def test_studies_list_has_counts_best_status_and_activity(client: TestClient, db: str) -> None:
    studies = client.get("/api/studies").json()
    assert [s["name"] for s in studies] == ["toy", "other"]
    toy = studies[0]
    trials = _trials(db)
    complete = [t for t in trials if t.state == hp.TrialState.COMPLETE]
    assert toy["counts"]["complete"] == len(complete) and toy["n_trials"] == 30
    assert toy["counts"]["failed"] == 30 - len(complete) > 0
    best = min(complete, key=lambda t: t.values["value"])  # type: ignore[index]
    assert toy["best"] == {"number": best.number, "value": best.values["value"]}  # type: ignore[index]
    assert toy["status"] == "running" and toy["last_activity"] >= toy["created_at"]
    other = studies[1]  # maximized: the best is the largest
    assert other["best"]["value"] == max(t.values["value"] for t in _trials_of(db, "other"))


def _trials_of(db: str, name: str) -> list[hp.Trial]:
    study = hp.load_study(name, db)
    try:
        return study.trials
    finally:
        study.storage.close()


def test_overview_has_best_progress_failures_and_space(client: TestClient, db: str) -> None:
    data = client.get("/api/studies/toy").json()
    trials = _trials(db)
    failed = [t for t in trials if t.state == hp.TrialState.FAILED]
    assert data["failures"] == [{"error": "RuntimeError: x too large for this model",
                                 "count": len(failed),
                                 "numbers": [t.number for t in failed][:20]}]
    complete = [t for t in trials if t.state == hp.TrialState.COMPLETE]
    progress = data["progress"]
    assert progress["number"] == [t.number for t in complete] and not progress["sampled"]
    assert progress["best"][-1] == data["best"]["values"]["value"] == min(progress["value"])
    assert [p["name"] for p in data["space"]] == ["x", "kind", "n"]
    assert data["space"][1]["choices"] == ["a", "b"]


def test_progress_is_sampled_to_two_thousand_points(monkeypatch: pytest.MonkeyPatch,
                                                     client: TestClient) -> None:
    from hyperpilot.dashboard import _data

    monkeypatch.setattr(_data, "MAX_PROGRESS_POINTS", 10)
    progress = client.get("/api/studies/toy").json()["progress"]
    assert progress["sampled"] and len(progress["number"]) <= 10 < progress["n"]
    assert progress["best"][-1] == min(progress["value"])  # the last improvement is kept


def test_trials_pages_sort_and_filter_on_the_server(client: TestClient, db: str) -> None:
    trials = _trials(db)
    page = client.get("/api/studies/toy/trials?limit=10&offset=10").json()
    assert page["total"] == 30 and [t["number"] for t in page["trials"]] == list(range(10, 20))
    assert page["params"] == ["x", "kind", "n"] and page["objectives"] == ["value"]
    by_value = client.get("/api/studies/toy/trials?order=value:value&limit=500").json()
    complete = sorted((t for t in trials if t.values), key=lambda t: (t.values["value"], t.number))  # type: ignore[index]
    assert [t["number"] for t in by_value["trials"]][:len(complete)] == [t.number for t in complete]
    by_x = client.get("/api/studies/toy/trials?order=param:x&desc=1&limit=3").json()
    assert [t["config"]["x"] for t in by_x["trials"]] == sorted(
        (t.config["x"] for t in trials), reverse=True)[:3]
    failed = client.get("/api/studies/toy/trials?state=failed").json()
    assert failed["total"] == sum(t.state == hp.TrialState.FAILED for t in trials)
    assert {t["state"] for t in failed["trials"]} == {"failed"}
    ranged = client.get("/api/studies/toy/trials?low=0&high=2").json()
    assert ranged["total"] == sum(t.values is not None and 0 <= t.values["value"] <= 2 for t in trials)


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "offset=-1", "order=param:nope",
                                   "order=value:nope", "order=banana", "state=done",
                                   "low=abc", "low=3&high=1"])
def test_malformed_trial_queries_are_one_line_400s(client: TestClient, query: str) -> None:
    response = client.get(f"/api/studies/toy/trials?{query}")
    assert response.status_code == 400
    assert "\n" not in response.json()["error"] and response.json()["error"]


def test_trial_detail_says_why_and_shows_the_error(client: TestClient, db: str) -> None:
    trials = _trials(db)
    failed = next(t for t in trials if t.state == hp.TrialState.FAILED)
    detail = client.get(f"/api/studies/toy/trials/{failed.number}").json()
    assert detail["number"] == failed.number and detail["config"] == failed.config
    assert "x too large" in detail["error"] and detail["state"] == "failed"
    assert client.get("/api/studies/toy/trials/30").status_code == 404
    assert client.get("/api/studies/nope").status_code == 404
    client.post("/api/studies/toy/steer", json={"action": "enqueue", "config": {"x": 0.5}})
    queued = client.get("/api/studies/toy/trials/30").json()
    assert queued["state"] == "pending" and queued["why"][0].startswith("queued by hand")


def test_poll_changes_when_a_trial_or_an_event_arrives(client: TestClient, db: str) -> None:
    before = client.get("/api/studies/toy/poll").json()
    assert before["n_trials"] == 30 and before["last_event"] == 0
    client.post("/api/studies/toy/steer", json={"action": "pause"})
    after = client.get("/api/studies/toy/poll").json()
    assert after["last_event"] > 0


@pytest.mark.parametrize(("body", "kind", "payload"), [
    ({"action": "set_prior", "name": "x", "value": 1.5, "confidence": "high"}, "set_prior",
     {"name": "x", "value": 1.5, "confidence": "high"}),
    ({"action": "clear_prior", "name": "x"}, "clear_prior", {"name": "x"}),
    ({"action": "pause"}, "pause", {}),
    ({"action": "resume"}, "resume", {}),
    ({"action": "stop"}, "stop", {}),
    ({"action": "exclude", "trial": 3}, "exclude", {"trial": 3}),
    ({"action": "include", "trial": 3}, "include", {"trial": 3}),
])
def test_each_steering_write_is_an_event_with_origin_dashboard(
        client: TestClient, db: str, body: dict[str, Any], kind: str,
        payload: dict[str, Any]) -> None:
    response = client.post("/api/studies/toy/steer", json=body)
    assert response.status_code == 200, response.text
    events = _events(db)
    assert [(e.kind, e.origin) for e in events] == [(kind, "dashboard")]
    assert events[0].payload == payload and response.json()["event"]["id"] == events[0].id


def test_enqueue_stores_a_pending_trial_completed_by_the_optimizer(
        client: TestClient, db: str) -> None:
    response = client.post("/api/studies/toy/steer",
                           json={"action": "enqueue", "config": {"x": 0.25, "kind": "b"}})
    assert response.status_code == 200, response.text
    trial = _trials(db)[-1]
    assert trial.number == response.json()["trial"] == 30
    assert trial.state == hp.TrialState.PENDING and trial.config["x"] == 0.25
    assert set(trial.config) == {"x", "kind", "n"}
    assert [(e.kind, e.origin) for e in _events(db)] == [("enqueue", "dashboard")]


@pytest.mark.parametrize("body", [
    {"action": "set_prior", "name": "x", "value": 99.0},
    {"action": "set_prior", "name": "nope", "value": 1.0},
    {"action": "set_prior", "name": "kind", "value": "c"},
    {"action": "set_prior", "name": "x", "value": 1.0, "confidence": "very"},
    {"action": "set_prior", "name": "x"},
    {"action": "exclude", "trial": 99},
    {"action": "exclude", "trial": "3"},
    {"action": "enqueue", "config": {"x": 10.0}},
    {"action": "enqueue", "config": [1, 2]},
    {"action": "dance"},
])
def test_bad_steering_input_is_a_one_line_400_and_stores_nothing(
        client: TestClient, db: str, body: dict[str, Any]) -> None:
    response = client.post("/api/studies/toy/steer", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error and "\n" not in error
    assert _events(db) == [] and len(_trials(db)) == 30


def test_writes_must_be_json(client: TestClient, db: str) -> None:
    form = client.post("/api/studies/toy/steer", data={"action": "pause"})
    assert form.status_code == 415
    broken = client.post("/api/studies/toy/steer", content=b"{",
                         headers={"Content-Type": "application/json"})
    assert broken.status_code == 400
    assert _events(db) == []


def test_with_a_token_writes_need_it_and_reads_stay_open(db: str) -> None:
    with TestClient(create_app(db, token="s3cret")) as client:
        assert client.get("/api/studies").status_code == 200
        assert client.get("/api/studies/toy/trials").status_code == 200
        refused = client.post("/api/studies/toy/steer", json={"action": "pause"})
        assert refused.status_code == 401 and TOKEN_HEADER in refused.json()["error"]
        wrong = client.post("/api/studies/toy/steer", json={"action": "pause"},
                            headers={TOKEN_HEADER: "guess"})
        assert wrong.status_code == 401
        assert _events(db) == []
        done = client.post("/api/studies/toy/steer", json={"action": "pause"},
                           headers={TOKEN_HEADER: "s3cret"})
        assert done.status_code == 200
        assert [e.kind for e in _events(db)] == ["pause"]


def test_pages_and_plotly_are_served_from_the_package(client: TestClient) -> None:
    for path in ("/", "/study/toy", "/study/toy/trials", "/study/toy/trials/3",
                 "/study/toy/events"):
        page = client.get(path)
        assert page.status_code == 200 and "/static/common.js" in page.text
    plotly = client.get("/static/plotly.min.js")
    assert plotly.status_code == 200 and len(plotly.content) > 1_000_000
    assert client.get("/static/style.css").status_code == 200


def test_the_overview_reads_finished_trials_once(db: str) -> None:
    from hyperpilot.dashboard._data import FinishedCache, overview
    from hyperpilot.storage._base import TrialResult

    study = hp.load_study("toy", db)
    reads: list[tuple[int, int]] = []
    get_results = study.storage.get_trial_results

    def spy(study_id: int, *, min_id: int = 0) -> list[TrialResult]:
        found = get_results(study_id, min_id=min_id)
        reads.append((min_id, len(found)))
        return found

    study.storage.get_trial_results = spy  # type: ignore[method-assign]
    try:
        cache = FinishedCache(study.storage, study.id)
        first = overview(study, cache)["progress"]
        assert reads == [(0, 30)]
        running = study.ask()  # unfinished: read again until it finishes
        reads.clear()
        overview(study, cache)
        assert len(reads) == 1 and reads[0][0] <= running.id and reads[0][1] == 1
        study.tell(running, 0.001)
        reads.clear()
        latest = overview(study, cache)["progress"]
        assert reads == [(running.id, 1)]
        assert latest["n"] == first["n"] + 1 and latest["best"][-1] == 0.001
        reads.clear()
        overview(study, cache)
        assert reads == [(running.id + 1, 0)]
    finally:
        study.storage.close()


def test_a_study_made_again_under_its_name_is_read_afresh(client: TestClient, db: str) -> None:
    assert client.get("/api/studies/other").json()["counts"]["complete"] == 3
    storage = hp.storage.get_storage(db)
    storage.delete_study("other")
    again = hp.create_study(name="other", storage=storage, optimizer="random",
                            space={"y": hp.Float(0.0, 1.0)})
    again.optimize(lambda c: c["y"], n_trials=1, show_progress=False)
    storage.close()
    listed = {s["name"]: s for s in client.get("/api/studies").json()}
    assert listed["other"]["n_trials"] == 1 and listed["other"]["best"]["number"] == 0
    overview = client.get("/api/studies/other").json()
    assert [p["name"] for p in overview["space"]] == ["y"]
    assert overview["counts"]["complete"] == 1 and overview["progress"]["n"] == 1


def test_the_overview_loads_the_shipped_basic_plotly_bundle_of_the_same_version() -> None:
    import re

    from hyperpilot.dashboard._app import STATIC, plotly_js

    basic = (STATIC / "vendor" / "plotly-basic.min.js").read_text()[:300]
    full = plotly_js().read_text()[:300]
    version = re.compile(r"v(\d+\.\d+\.\d+)")
    assert "plotly.js (basic - minified)" in basic
    assert version.search(basic).group(1) == version.search(full).group(1)  # type: ignore[union-attr]
    assert "/static/vendor/plotly-basic.min.js" in (STATIC / "overview.html").read_text()
