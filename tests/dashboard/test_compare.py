"""The comparison of several studies (``/api/compare``, ``/compare``) through the app."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from starlette.testclient import TestClient

import hyperpilot as hp
from hyperpilot.dashboard import _compare, create_app
from hyperpilot.trial._trial import TrialState

SPACE = {"x": hp.Float(-5.0, 5.0), "y": hp.Float(0.0, 1.0)}


def _objective(config: dict[str, Any]) -> float:
    return float((config["x"] - 1.0) ** 2 + 0.1 * config["y"])


@pytest.fixture
def url(tmp_path: Path) -> str:
    """Studies ``rs`` (random, 30 trials, 3 failed), ``sobol`` (25) and ``up`` (maximized)."""
    url = f"sqlite:///{tmp_path / 'compare.db'}"
    rs = hp.create_study(name="rs", storage=url, optimizer="random", seed=1, space=SPACE)
    for k in range(30):
        trial = rs.ask()
        if k in (4, 11, 17):
            rs.tell(trial, state=TrialState.FAILED, error="diverged")
        else:
            rs.tell(trial, _objective(trial.config))
    sobol = hp.create_study(name="sobol", storage=url, optimizer="sobol", seed=2, space=SPACE)
    sobol.optimize(_objective, n_trials=25, show_progress=False)
    up = hp.create_study(name="up", storage=url, optimizer="random", seed=3, space=SPACE,
                         objectives="maximize")
    up.optimize(lambda c: c["y"], n_trials=5, show_progress=False)
    for study in (rs, sobol, up):
        study.storage.close()
    return url


@pytest.fixture
def client(url: str) -> Iterator[TestClient]:
    with TestClient(create_app(url)) as client:
        yield client


def test_compare_answers_table_curves_and_distributions(client: TestClient, url: str) -> None:
    answer = client.get("/api/compare", params={"studies": "rs,sobol"})
    assert answer.status_code == 200
    data = answer.json()
    assert [s["name"] for s in data["studies"]] == ["rs", "sobol"]
    assert data["notes"] == []
    for part in data["studies"]:
        study = hp.load_study(part["name"], url)
        trials = study.trials
        values = np.array([t.values["value"] for t in trials if t.values is not None])
        assert part["n_trials"] == len(trials)
        assert part["counts"]["complete"] == len(values)
        assert part["counts"]["failed"] == sum(t.state == TrialState.FAILED for t in trials)
        best = study.best_trial
        assert part["best"] == {"number": best.number, "value": best.value,
                                "config": best.config}
        assert part["optimizer"] == study.spec.optimizer["name"]
        # the curve: every improvement of the best so far, ending at the best value
        curve = part["curve"]
        numbers = [t.number for t in trials if t.values]
        running = np.minimum.accumulate(values)
        improved = [numbers[k] for k in range(len(values))
                    if k == 0 or running[k] < running[k - 1]]
        assert curve["number"] == improved and curve["best"][-1] == best.value
        assert curve["best"] == sorted(curve["best"], reverse=True)
        assert curve["last"] == len(trials) - 1 and not curve["sampled"]
        # by wall time: the same points, seconds since the first trial, not decreasing
        assert part["time"]["best"] == curve["best"]
        assert part["time"]["elapsed"] == sorted(part["time"]["elapsed"])
        assert part["time"]["elapsed"][0] >= 0
        # the distribution: quantiles, not the values
        spread = part["distribution"]
        assert spread["n"] == len(values) and len(spread["quantiles"]) == _compare.N_QUANTILES
        assert spread["quantiles"][0] == spread["min"] == values.min()
        assert spread["quantiles"][-1] == spread["max"] == values.max()
        assert spread["median"] == pytest.approx(np.median(values))
        study.storage.close()
    assert data["studies"][0]["counts"]["failed"] == 3


def test_compare_names_studies_in_either_form_and_notes_other_objectives(
        client: TestClient) -> None:
    both = client.get("/api/compare?study=sobol&study=rs&studies=sobol").json()
    assert [s["name"] for s in both["studies"]] == ["sobol", "rs"]
    mixed = client.get("/api/compare", params={"studies": "rs,up"}).json()
    assert mixed["studies"][1]["direction"] == "maximize"
    assert mixed["studies"][1]["curve"]["best"] == sorted(mixed["studies"][1]["curve"]["best"])
    assert len(mixed["notes"]) == 1 and "objectives differ" in mixed["notes"][0]


@pytest.mark.parametrize(("query", "status", "text"), [
    ("studies=rs,nope", 404, "no study named 'nope'"),
    ("study=rs&study=a/b%3Fc", 404, "no study named 'a/b?c'"),
    ("studies=", 400, "studies: name the studies to compare"),
    ("", 400, "studies: name the studies to compare"),
    ("studies=" + ",".join(f"s{k}" for k in range(11)), 400, "at most 10 studies"),
    ("studies=rs&objective=loss", 400, "has no objective 'loss'"),
])
def test_bad_comparisons_are_one_line(client: TestClient, query: str, status: int,
                                      text: str) -> None:
    answer = client.get("/api/compare?" + query)
    assert answer.status_code == status
    error = answer.json()["error"]
    assert text in error and "\n" not in error


def test_large_studies_are_thinned_and_say_so(client: TestClient, url: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    study = hp.create_study(name="steady", storage=url, optimizer="random", seed=0,
                            space=SPACE)
    for k in range(60):  # every trial improves: 60 improvements
        study.tell(study.ask(), 100.0 - k)
    study.storage.close()
    monkeypatch.setattr(_compare, "MAX_CURVE_POINTS", 7)
    monkeypatch.setattr(_compare, "MAX_TIME_POINTS", 4)
    data = client.get("/api/compare", params={"studies": "steady,rs"}).json()
    steady, rs = data["studies"]
    assert steady["curve"]["n_improvements"] == 60 and steady["curve"]["sampled"]
    assert len(steady["curve"]["number"]) == 7
    assert steady["curve"]["number"][0] == 0 and steady["curve"]["number"][-1] == 59
    assert steady["curve"]["best"][-1] == 41.0
    assert len(steady["time"]["elapsed"]) == 4 and steady["time"]["sampled"]
    assert len(steady["distribution"]["quantiles"]) == _compare.N_QUANTILES
    assert not rs["curve"]["sampled"] or rs["curve"]["n_improvements"] > 7
    assert any("steady: the best-so-far curve shows 7 of its 60 improvements" in n
               for n in data["notes"])
    assert any("steady: the curve by wall time shows 4 of its 60" in n for n in data["notes"])


def _array(value: Any) -> list[Any]:
    """A plotly JSON array: a list, or typed (``{"dtype", "bdata"}``, base64)."""
    if isinstance(value, dict):
        decoded: list[Any] = np.frombuffer(base64.b64decode(value["bdata"]),
                                           dtype=value["dtype"]).tolist()
        return decoded
    return list(value)


def test_importance_side_by_side_is_computed_in_the_background(client: TestClient) -> None:
    first = client.get("/api/compare/importance", params={"studies": "rs,sobol"}).json()
    assert first["status"] == "running" and first["figure"] is None
    assert [s["name"] for s in first["studies"]] == ["rs", "sobol"]
    assert first["studies"][0]["progress"]["stage"] in ("queued", "computing")
    deadline = time.time() + 60
    data = first
    while data["status"] == "running" and time.time() < deadline:
        time.sleep(0.2)
        data = client.get("/api/compare/importance", params={"studies": "rs,sobol"}).json()
    assert data["status"] == "done"
    assert [s["status"] for s in data["studies"]] == ["done", "done"]
    assert all(s["trust"] and s["trust"][0]["cv_r2"] is not None for s in data["studies"])
    bars = data["figure"]["data"]
    assert [b["name"] for b in bars] == ["rs", "sobol"] and all(b["type"] == "bar" for b in bars)
    assert set(_array(bars[0]["x"])) == {"x", "y"}
    # the same results the analysis page shows: served from the shared cache
    view = client.get("/api/studies/rs/analysis/fanova").json()
    assert view["status"] == "done" and not view["stale"]
    main = {r["hyperparameter"]: r["importance"] for r in view["rows"] if r["kind"] == "main"}
    assert dict(zip(_array(bars[0]["x"]), _array(bars[0]["y"]), strict=True)) == pytest.approx(main)


def test_importance_refuses_other_views_and_reports_failures(client: TestClient) -> None:
    answer = client.get("/api/compare/importance", params={"studies": "rs", "view": "history"})
    assert answer.status_code == 400 and "view must be one of" in answer.json()["error"]
    deadline = time.time() + 60
    while time.time() < deadline:  # 'up' has 5 trials: too few for a forest
        data = client.get("/api/compare/importance",
                          params={"studies": "up", "view": "ped_anova"}).json()
        if data["status"] != "running":
            break
        time.sleep(0.2)
    assert data["status"] == "done" and data["figure"] is None
    assert data["studies"][0]["status"] == "error" and data["studies"][0]["error"]


def test_the_page_is_served_and_linked_from_the_list(client: TestClient) -> None:
    page = client.get("/compare?studies=rs,sobol")
    assert page.status_code == 200 and "/static/compare.js" in page.text
    script = client.get("/static/compare.js")
    assert script.status_code == 200 and "/api/compare" in script.text
    assert "/compare?" in client.get("/static/studies.js").text


def test_an_objective_of_studies_with_several_is_compared(client: TestClient,
                                                          url: str) -> None:
    two = hp.create_study(name="two", storage=url, optimizer="random", seed=4, space=SPACE,
                          objectives={"loss": "min", "speed": "max"})
    two.optimize(lambda c: {"loss": c["x"] ** 2, "speed": c["y"]}, n_trials=12,
                 show_progress=False)
    fastest = max(two.trials, key=lambda t: t.values["speed"])  # type: ignore[index]
    two.storage.close()
    data = client.get("/api/compare", params={"studies": "two", "objective": "speed"}).json()
    part = data["studies"][0]
    assert (part["objective"], part["direction"]) == ("speed", "maximize")
    assert part["best"]["number"] == fastest.number
    assert part["best"]["config"] == fastest.config
    assert part["curve"]["best"][-1] == fastest.values["speed"]  # type: ignore[index]
    refused = client.get("/api/compare", params={"studies": "two,up", "objective": "speed"})
    assert refused.status_code == 400 and "'up' has no objective 'speed'" in refused.text
