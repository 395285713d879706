"""Study names with URL-special characters (``/``, ``?``, ``#``, ``%``, spaces, unicode)
reach the right study on every page and API route."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

import hyperpilot as hp
from hyperpilot.dashboard import create_app

NAMES = ["a/b", "what?#x y", "ünï/cødé ✓", "100%", "%2F", "s/events", "s", "s/trials/1"]
"""Names to reach; ``s/events`` and ``s/trials/1`` look like routes of study ``s``."""

PAGES = ["", "/trials", "/trials/1", "/events", "/analysis"]
API = ["", "/poll", "/trials", "/trials/1", "/events", "/analysis", "/analysis/history"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app over one study per name, each with a different number of trials."""
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('names')) / 'names.db'}"
    for k, name in enumerate(NAMES):
        study = hp.create_study(name=name, storage=url, optimizer="random", seed=k,
                                space={"x": hp.Float(0.0, 1.0)})
        study.optimize(lambda c: c["x"], n_trials=3 + k, show_progress=False)
        study.storage.close()
    with TestClient(create_app(url)) as client:
        yield client


def _path(name: str) -> str:
    return quote(name, safe="")  # as encodeURIComponent: '/' is %2F


@pytest.mark.parametrize("name", NAMES)
def test_every_api_route_reaches_the_named_study(client: TestClient, name: str) -> None:
    base = "/api/studies/" + _path(name)
    for suffix in API:
        answer = client.get(base + suffix)
        assert answer.status_code == 200, (suffix, answer.text)
    assert client.get(base).json()["name"] == name
    assert client.get(base + "/poll").json()["n_trials"] == 3 + NAMES.index(name)
    assert client.get(base + "/trials/1").json()["number"] == 1
    assert client.get(base + "/trials").json()["total"] == 3 + NAMES.index(name)
    assert client.get(base + "/events").json() == []


@pytest.mark.parametrize("name", NAMES)
def test_every_page_is_served_and_the_study_can_be_steered(client: TestClient,
                                                          name: str) -> None:
    for suffix in PAGES:
        page = client.get("/study/" + _path(name) + suffix)
        assert page.status_code == 200 and "<html" in page.text, suffix
    base = "/api/studies/" + _path(name)
    assert client.post(base + "/steer", json={"action": "pause"}).status_code == 200
    assert client.get(base).json()["status"] == "paused"
    assert client.post(base + "/steer", json={"action": "resume"}).status_code == 200
    events = client.get(base + "/events").json()  # this study's only (each runs once)
    assert [(e["kind"], e["origin"]) for e in events] == [("pause", "dashboard"),
                                                         ("resume", "dashboard")]


def test_the_list_and_the_comparison_carry_the_names(client: TestClient) -> None:
    assert [r["name"] for r in client.get("/api/studies").json()] == NAMES
    data = client.get("/api/compare", params=[("study", n) for n in NAMES]).json()
    assert [s["name"] for s in data["studies"]] == NAMES
    assert [s["n_trials"] for s in data["studies"]] == [3 + k for k in range(len(NAMES))]
    commas = client.get("/api/compare", params={"studies": "a/b,what?#x y"}).json()
    assert [s["name"] for s in commas["studies"]] == ["a/b", "what?#x y"]
    missing = client.get("/api/studies/" + _path("a/b/c"))
    assert missing.status_code == 404 and "no study named 'a/b/c'" in missing.json()["error"]


def test_every_route_naming_a_study_decodes_the_name(client: TestClient) -> None:
    paths = [r.path for r in client.app.routes if isinstance(r, Route)]  # type: ignore[attr-defined]
    named = [p for p in paths if "{name" in p]
    assert named and all("{name:study}" in p for p in named), named
