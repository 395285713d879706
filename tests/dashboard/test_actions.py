"""The dashboard's steering writes beyond the first increment: ranges, frozen values, the
acquisition; each stored as the Study's own event with origin dashboard, bad input refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

import hyperpilot as hp
from hyperpilot.dashboard import create_app


@pytest.fixture
def client(db: str) -> Iterator[TestClient]:
    with TestClient(create_app(db)) as test_client:
        yield test_client


def _events(db: str) -> list[Any]:
    study = hp.load_study("toy", db)
    try:
        return study.events()
    finally:
        study.storage.close()


def _steer(client: TestClient, **body: Any) -> Any:
    return client.post("/api/studies/toy/steer", json=body)


@pytest.mark.parametrize(("body", "kind", "payload"), [
    ({"action": "narrow", "name": "x", "low": -1, "high": 2.5}, "narrow",
     {"name": "x", "low": -1.0, "high": 2.5}),
    ({"action": "restore_range", "name": "x"}, "restore_range", {"name": "x"}),
    ({"action": "freeze", "name": "kind", "value": "b"}, "freeze",
     {"name": "kind", "value": "b"}),
    ({"action": "freeze", "name": "n", "value": 7}, "freeze", {"name": "n", "value": 7}),
    ({"action": "release", "name": "kind"}, "release", {"name": "kind"}),
    ({"action": "set_acquisition", "acquisition": "lcb", "weight": 9}, "set_acquisition",
     {"acquisition": {"name": "lcb", "beta": 9.0}}),
    ({"action": "set_acquisition", "acquisition": "logei"}, "set_acquisition",
     {"acquisition": "logei"}),
    ({"action": "set_acquisition", "acquisition": "ts", "weight": ""}, "set_acquisition",
     {"acquisition": "ts"}),
    ({"action": "set_acquisition", "acquisition": None}, "set_acquisition",
     {"acquisition": None}),
])
def test_each_action_is_the_studys_event_with_origin_dashboard(
        client: TestClient, db: str, body: dict[str, Any], kind: str,
        payload: dict[str, Any]) -> None:
    response = _steer(client, **body)
    assert response.status_code == 200, response.text
    assert response.json()["event"]["kind"] == kind
    [event] = _events(db)
    assert (event.kind, event.origin, event.payload) == (kind, "dashboard", payload)


def test_the_overview_shows_what_is_in_force_and_offers_the_acquisitions(
        client: TestClient) -> None:
    assert _steer(client, action="narrow", name="x", low=0, high=1).status_code == 200
    assert _steer(client, action="freeze", name="kind", value="a").status_code == 200
    assert _steer(client, action="set_acquisition", acquisition="ei",
                  weight=0.1).status_code == 200
    data = client.get("/api/studies/toy").json()
    space = {p["name"]: p for p in data["space"]}
    assert space["x"]["range"] == [0.0, 1.0] and space["kind"]["frozen"] == "a"
    assert data["acquisition"] == {"name": "ei", "xi": 0.1}
    offered = {a["name"]: a["weight"] for a in data["acquisitions"]}
    assert offered["lcb"] == "beta" and offered["ei"] == "xi" and offered["ts"] is None
    assert _steer(client, action="restore_range", name="x").status_code == 200
    assert _steer(client, action="release", name="kind").status_code == 200
    space = {p["name"]: p for p in client.get("/api/studies/toy").json()["space"]}
    assert space["x"]["range"] is None and space["kind"]["frozen"] is None


@pytest.mark.parametrize(("body", "says"), [
    ({"action": "narrow", "name": "x", "low": 2, "high": 1}, "must not be empty"),
    ({"action": "narrow", "name": "x", "low": -9, "high": 1}, "must lie within"),
    ({"action": "narrow", "name": "x", "low": "0", "high": 1}, "low must be a number"),
    ({"action": "narrow", "name": "x", "low": 0}, "'high' is missing"),
    ({"action": "narrow", "name": "kind", "low": 0, "high": 1}, "only float and int"),
    ({"action": "narrow", "name": "nope", "low": 0, "high": 1}, "unknown hyperparameter"),
    ({"action": "restore_range", "name": 3}, "name must be"),
    ({"action": "freeze", "name": "kind", "value": "c"}, "cannot freeze 'kind'"),
    ({"action": "freeze", "name": "x", "value": 99.0}, "cannot freeze 'x'"),
    ({"action": "freeze", "name": "n"}, "'value' is missing"),
    ({"action": "release", "name": "nope"}, "unknown hyperparameter"),
    ({"action": "set_acquisition", "acquisition": "ucb"}, "acquisition must be one of"),
    ({"action": "set_acquisition", "acquisition": "lcb", "weight": -1}, "finite number >= 0"),
    ({"action": "set_acquisition", "acquisition": "ei", "weight": "big"}, "finite number"),
    ({"action": "set_acquisition", "acquisition": "ts", "weight": 2}, "no exploration weight"),
    ({"action": "set_acquisition", "acquisition": {"name": "ei"}}, "acquisition must be"),
    ({"action": "widen", "name": "x"}, "action must be one of"),
])
def test_bad_input_is_a_one_line_400_and_stores_nothing(
        client: TestClient, db: str, body: dict[str, Any], says: str) -> None:
    response = _steer(client, **body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert says in error and "\n" not in error
    assert _events(db) == []


def test_every_offered_weight_is_a_keyword_of_its_acquisition() -> None:
    from hyperpilot.dashboard._actions import EXPLORATION_WEIGHTS, acquisitions
    from hyperpilot.optimizers.bo._components import SHORT_NAMES, build

    assert [a["name"] for a in acquisitions()] == list(SHORT_NAMES["acquisition"])
    for name, keyword in EXPLORATION_WEIGHTS.items():
        assert getattr(build("acquisition", {"name": name, keyword: 0.5}), keyword) == 0.5
