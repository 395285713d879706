"""Analysis views in the background: a request never waits, results are cached until a trial
finishes, at most the given number compute at once, failures are one line; each view's
choices (objective, budget, pair, game) are checked and part of the cache key; the
interaction graph, the multi-objective views, the refined space and the warm-started study
made from it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

import hyperpilot as hp
from hyperpilot.analysis._hypershap import GAMES
from hyperpilot.dashboard import _analysis, _views, create_app

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


def test_the_views_are_listed_with_their_choices(client: TestClient) -> None:
    views = {v["view"]: v for v in client.get("/api/studies/toy/analysis").json()}
    single = [k for k, v in _analysis.VIEWS.items() if not v.multi]
    assert list(views) == single  # one objective: no Pareto front, no hypervolume
    assert {"fanova", "interactions", "ped_anova", "lpi", "ablation", "hypershap",
            "partial_dependence", "refine", "parallel_coordinates", "footprint",
            "history"} == set(single)
    assert views["fanova"]["choices"] == {}  # one objective, no budgets: nothing to choose
    assert views["hypershap"]["choices"] == {"game": list(GAMES)}
    assert views["partial_dependence"]["choices"] == {"pair": ["x", "kind", "n"]}
    assert "random" in views["refine"]["optimizers"]


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
        def compute(study: hp.Study, chosen: Any) -> Any:
            started.append(name)
            release.wait(30)
            return _analysis.VIEWS["history"].compute(study, {"budget": "all"})
        return compute

    views = {name: _views.View(name, False, blocking(name)) for name in ("one", "two")}
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
def test_every_view_renders_a_figure(several: TestClient, view: str) -> None:
    study = "mo" if _analysis.VIEWS[view].multi else "toy"
    done = _wait(several, f"/api/studies/{study}/analysis/{view}")
    assert done["status"] == "done", done.get("error")
    assert done["figure"]["data"] and done["n_rows"] >= len(done["rows"]) > 0
    if _analysis.VIEWS[view].importance:
        assert done["trust"] and done["trust"][0]["cv_r2"] is not None


def test_past_the_limit_a_view_is_fitted_on_a_sample_and_says_so(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    complete = client.get("/api/studies/toy").json()["counts"]["complete"]
    monkeypatch.setattr(_views, "MAX_MODEL_TRIALS", complete - 5)
    done = _wait(client, "/api/studies/toy/analysis/fanova")
    assert done["status"] == "done"
    [trust] = done["trust"]
    assert trust["n_trials"] == complete - 5
    assert any(f"uniform sample of {complete - 5:,}" in note for note in done["notes"])


# ---------------------------------------------------------------------- choices
@pytest.fixture
def studies(db: str) -> str:
    """*db* plus ``mo`` (two objectives), ``many`` (four) and ``budgets`` (fidelity)."""
    mo = hp.create_study(name="mo", storage=db, optimizer="random", seed=3,
                         objectives={"loss": "minimize", "acc": "maximize"},
                         space={"x": hp.Float(0.0, 1.0), "y": hp.Float(0.0, 1.0)})
    mo.optimize(lambda c: {"loss": c["x"] ** 2 + c["y"], "acc": c["x"] - (c["y"] - 0.5) ** 2},
                n_trials=40, show_progress=False)
    many = hp.create_study(name="many", storage=db, optimizer="random", seed=4,
                           objectives={f"o{i}": "minimize" for i in range(4)},
                           space={"x": hp.Float(0.0, 1.0), "y": hp.Float(0.0, 1.0)})
    many.optimize(lambda c: {"o0": c["x"], "o1": c["y"], "o2": c["x"] + c["y"],
                             "o3": c["x"] * c["y"]}, n_trials=30, show_progress=False)
    budgets = hp.create_study(name="budgets", storage=db, optimizer="random", seed=5,
                              fidelity=hp.Fidelity("epochs", 1, 9),
                              space={"x": hp.Float(-2.0, 2.0), "y": hp.Float(-2.0, 2.0)})
    for i in range(40):
        trial = budgets.enqueue({"x": (i % 13) / 3 - 2, "y": (i % 7) / 1.75 - 2},
                                budget=1 if i % 2 else 9)
        started = budgets.ask()
        assert started.number == trial.number
        budgets.tell(started, trial.config["x"] ** 2 + trial.config["y"] / started.budget)
    for study in (mo, many, budgets):
        study.storage.close()
    return db


@pytest.fixture
def several(studies: str) -> Iterator[TestClient]:
    with TestClient(create_app(studies)) as test_client:
        yield test_client


def test_objective_and_budget_choices_are_listed(several: TestClient) -> None:
    mo = {v["view"]: v for v in several.get("/api/studies/mo/analysis").json()}
    assert list(mo) == list(_analysis.VIEWS)
    assert mo["fanova"]["choices"] == {"objective": ["loss", "acc"]}
    assert mo["pareto_front"]["choices"] == mo["history"]["choices"] == {}
    budgets = {v["view"]: v for v in several.get("/api/studies/budgets/analysis").json()}
    assert budgets["fanova"]["choices"] == {"budget": ["each", "highest", "all", 1.0, 9.0]}
    assert budgets["lpi"]["choices"] == {"budget": ["highest", "all", 1.0, 9.0]}
    assert budgets["history"]["choices"] == {"budget": ["all", "highest", 1.0, 9.0]}


def test_choices_reach_the_analysis_and_key_the_cache(several: TestClient) -> None:
    loss = _wait(several, "/api/studies/mo/analysis/fanova")
    acc = _wait(several, "/api/studies/mo/analysis/fanova?objective=acc")
    assert loss["choices"]["objective"] == "loss" and acc["choices"]["objective"] == "acc"
    assert loss["cache_key"] != acc["cache_key"] and "acc" in acc["cache_key"]
    assert several.get("/api/studies/mo/analysis/fanova?objective=loss").json() == loss

    low = _wait(several, "/api/studies/budgets/analysis/lpi?budget=1")
    high = _wait(several, "/api/studies/budgets/analysis/lpi")
    assert [t["budget"] for t in low["trust"]] == [1.0] and low["trust"][0]["n_trials"] == 20
    assert [t["budget"] for t in high["trust"]] == [9.0]

    game = _wait(several, "/api/studies/toy/analysis/hypershap?game=tunability")
    assert game["status"] == "done", game.get("error")
    assert game["choices"]["game"] == "tunability"
    assert {r["game"] for r in game["rows"]} == {"tunability"}
    assert "tunability" in game["figure"]["layout"]["title"]["text"]


@pytest.mark.parametrize(("query", "words"), [
    ("fanova?pair=x,n", "unknown query parameter 'pair'"),
    ("fanova?objective=value&colour=red", "unknown query parameter 'colour'"),
    ("partial_dependence?pair=x,x", "pair must be two different hyperparameters"),
    ("partial_dependence?pair=x", "pair must be two different hyperparameters"),
    ("partial_dependence?pair=x,lr", "pair must be two different hyperparameters"),
    ("hypershap?game=chess", "game must be one of"),
    ("fanova?objective=loss", "objective must be one of ['value']"),
    ("fanova?budget=3", "budget must be one of"),
    ("lpi?budget=each", "budget must be one of"),
])
def test_unknown_choices_are_a_one_line_400(client: TestClient, query: str,
                                            words: str) -> None:
    response = client.get(f"/api/studies/toy/analysis/{query}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert words in error and "\n" not in error


def test_a_budget_the_study_has_not_is_refused(several: TestClient) -> None:
    response = several.get("/api/studies/budgets/analysis/fanova?budget=4")
    assert response.status_code == 400 and "[1.0, 9.0]" in response.json()["error"]
    assert several.get("/api/studies/budgets/analysis/fanova?budget=9").status_code == 200


# ---------------------------------------------------------------------- interactions
def test_the_interaction_graph_has_a_node_per_hyperparameter_and_a_clickable_edge_per_pair(
        client: TestClient) -> None:
    done = _wait(client, "/api/studies/toy/analysis/interactions")
    assert done["status"] == "done", done.get("error")
    [trust] = done["trust"]
    assert trust["cv_r2"] is not None
    traces = done["figure"]["data"]
    [nodes] = [t for t in traces if t.get("name") == "hyperparameters"]
    main = [r for r in done["rows"] if r["kind"] == "main"]
    assert nodes["text"] == [r["hyperparameter"] for r in main]
    sizes = nodes["marker"]["size"]
    assert sizes == sorted(sizes, reverse=True)  # the most important is the largest
    pairs = [r for r in done["rows"] if r["kind"] == "pair" and r["importance"] > 0]
    [middles] = [t for t in traces if t.get("name") == "pairs"]
    assert [c[:2] for c in middles["customdata"]] == [r["hyperparameters"] for r in pairs]
    edges = [t for t in traces if t.get("mode") == "lines"]
    assert len(edges) == len(pairs)
    widths = [e["line"]["width"] for e in edges]
    assert widths == sorted(widths, reverse=True) and widths[0] == 12


def test_the_graph_draws_the_strongest_pairs_past_its_limit_and_says_so(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_views, "MAX_EDGES", 1)
    done = _wait(client, "/api/studies/toy/analysis/interactions")
    [middles] = [t for t in done["figure"]["data"] if t.get("name") == "pairs"]
    strongest = next(r for r in done["rows"] if r["kind"] == "pair")
    assert [c[:2] for c in middles["customdata"]] == [strongest["hyperparameters"]]
    assert any("the 1 strongest of the" in note for note in done["notes"])


def test_the_partial_dependence_of_the_chosen_pair(client: TestClient) -> None:
    top = _wait(client, "/api/studies/toy/analysis/partial_dependence")
    chosen = _wait(client, "/api/studies/toy/analysis/partial_dependence?pair=n,x")
    assert chosen["status"] == "done", chosen.get("error")
    assert chosen["choices"]["pair"] == ["n", "x"]
    assert {tuple(r["hyperparameters"]) for r in chosen["rows"]} == {("n", "x")}
    assert chosen["figure"]["data"][0]["type"] == "heatmap"
    assert "n and x" in chosen["figure"]["layout"]["title"]["text"]
    assert chosen["trust"] and chosen["trust"][0]["cv_r2"] is not None
    assert top["cache_key"] != chosen["cache_key"]
    assert len(top["choices"]["pair"]) == 2  # the pair fANOVA ranks first, named


# ---------------------------------------------------------------------- several objectives
def test_the_pareto_front_of_two_objectives_marks_the_study_s_best_trials(
        several: TestClient, studies: str) -> None:
    done = _wait(several, "/api/studies/mo/analysis/pareto_front")
    assert done["status"] == "done", done.get("error")
    study = hp.load_study("mo", studies)
    try:
        best = {t.number for t in study.best_trials}
    finally:
        study.storage.close()
    assert {r["number"] for r in done["rows"] if r["front"]} == best
    names = {t.get("name") for t in done["figure"]["data"]}
    assert "Pareto front" in names and done["figure"]["data"][0]["type"] == "scattergl"
    volume = _wait(several, "/api/studies/mo/analysis/hypervolume")
    values = [r["hypervolume"] for r in volume["rows"]]
    assert len(values) == 40 and values == sorted(values) and values[-1] > 0


def test_four_objectives_are_parallel_axes_and_a_large_front_is_subsampled(
        several: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from hyperpilot.analysis import _views

    monkeypatch.setattr(_views, "MAX_POINTS", 10)
    done = _wait(several, "/api/studies/many/analysis/pareto_front")
    assert done["status"] == "done", done.get("error")
    [axes] = done["figure"]["data"]
    assert axes["type"] == "parcoords" and len(axes["dimensions"]) == 4
    front = [r for r in done["rows"] if r["front"]]
    drawn = axes["dimensions"][0]["values"]
    assert 10 <= len(drawn) < 30 and 1 <= len(front) < 10
    assert {round(r["objective.o0"], 6) for r in front} <= {round(v, 6) for v in drawn}
    assert sum(axes["line"]["color"]) == len(front)  # and in its own colour
    assert any("of 30 trials" in note and "front is drawn whole" in note
               for note in done["notes"])
    two = _wait(several, "/api/studies/mo/analysis/pareto_front")
    assert any("of 40 trials" in note for note in two["notes"])


def test_the_hypervolume_of_many_objectives_says_when_it_is_sampled(
        several: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from hyperpilot.analysis import _front

    every = _wait(several, "/api/studies/many/analysis/hypervolume")
    assert every["n_rows"] == 30 and every["notes"] == []
    monkeypatch.setattr(_front, "TRACE_POINTS", 10)
    sampled = _wait(several, "/api/studies/many/analysis/hypervolume?budget=highest")  # anew
    assert sampled["n_rows"] == 10
    assert sampled["notes"] == ["the hypervolume of 4 objectives is computed after 10 evenly "
                                "spaced of the 30 complete trials"]


def test_the_multi_objective_views_are_not_offered_for_one_objective(
        client: TestClient) -> None:
    for view in ("pareto_front", "mo_importance", "hypervolume"):
        response = client.get(f"/api/studies/toy/analysis/{view}")
        assert response.status_code == 404
        assert "needs a study with several objectives" in response.json()["error"]


# ---------------------------------------------------------------------- refine, warm start
def test_the_refined_space_view_sends_the_space_and_its_summary(client: TestClient) -> None:
    done = _wait(client, "/api/studies/toy/analysis/refine")
    assert done["status"] == "done", done.get("error")
    space = hp.Space.from_json(done["space"])
    assert set(space.names) <= {"x", "kind", "n"}
    assert done["summary"] and done["trust"]
    assert {r["hyperparameter"] for r in done["rows"]} == {"x", "kind", "n"}


def _names(client: TestClient) -> list[str]:
    return [s["name"] for s in client.get("/api/studies").json()]


def test_warm_start_creates_a_study_on_the_refined_space(client: TestClient, db: str) -> None:
    shown = _wait(client, "/api/studies/toy/analysis/refine")
    response = client.post("/api/studies/toy/warm-start",
                           json={"name": " toy-next ", "seed": 7, "optimizer": "random"})
    assert response.status_code == 200, response.json()
    made = response.json()
    assert made["study"] == "toy-next" and made["link"] == "/study/toy-next"
    assert "toy-next" in _names(client)
    new, old = hp.load_study("toy-next", db), hp.load_study("toy", db)
    try:
        assert new.space.to_json() == shown["space"]  # the space the page showed
        assert new.spec.optimizer["name"] == "random" and new.seed == 7
        carried = new.get_trials([hp.TrialState.COMPLETE])
        assert made["n_trials"] == len(carried) >= 1
        for trial in carried:
            source = old.get_trials([hp.TrialState.COMPLETE])
            origin = next(t for t in source if t.number == trial.meta["warm_start"]["trial"])
            assert trial.values == origin.values
    finally:
        new.storage.close()
        old.storage.close()
    assert client.get("/api/studies/toy-next").status_code == 200


@pytest.mark.parametrize(("body", "words"), [
    ({}, "name must be a study name"),
    ({"name": "  "}, "name must be a study name"),
    ({"name": 3}, "name must be a study name"),
    ({"name": "toy"}, "a study named 'toy' already exists"),
    ({"name": "new", "seed": "7"}, "seed must be a whole number"),
    ({"name": "new", "seed": -1}, "seed must be a whole number"),
    ({"name": "new", "seed": True}, "seed must be a whole number"),
    ({"name": "new", "seed": 1.5}, "seed must be a whole number"),
    ({"name": "new", "optimizer": "gradient-descent"}, "optimizer must be one of"),
    ({"name": "new", "choices": {"objective": "loss"}}, "objective must be one of"),
    ({"name": "new", "choices": {"pair": "x,n"}}, "unknown query parameter 'pair'"),
    ({"name": "new", "choices": ["budget"]}, "choices must map names to strings"),
])
def test_a_refused_warm_start_is_one_line_and_creates_nothing(
        client: TestClient, body: dict[str, Any], words: str) -> None:
    before = _names(client)
    response = client.post("/api/studies/toy/warm-start", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert words in error and "\n" not in error
    assert _names(client) == before


def test_warm_start_needs_the_token_when_the_dashboard_has_one(db: str) -> None:
    with TestClient(create_app(db, token="s3cret")) as guarded:
        before = _names(guarded)
        refused = guarded.post("/api/studies/toy/warm-start", json={"name": "toy-next"})
        assert refused.status_code == 401 and "token" in refused.json()["error"]
        wrong = guarded.post("/api/studies/toy/warm-start", json={"name": "toy-next"},
                             headers={"X-Hyperpilot-Token": "guess"})
        assert wrong.status_code == 401 and _names(guarded) == before
        form = guarded.post("/api/studies/toy/warm-start", data={"name": "toy-next"},
                            headers={"X-Hyperpilot-Token": "s3cret"})
        assert form.status_code == 415 and _names(guarded) == before
        made = guarded.post("/api/studies/toy/warm-start", json={"name": "toy-next"},
                            headers={"X-Hyperpilot-Token": "s3cret"})
        assert made.status_code == 200 and "toy-next" in _names(guarded)
