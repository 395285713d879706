"""The dashboard reads every study's finished trials in the background when it starts."""

from __future__ import annotations

import threading

import pytest
from starlette.testclient import TestClient

import hyperpilot as hp
from hyperpilot.dashboard import _app, create_app
from hyperpilot.exceptions import StorageError
from hyperpilot.storage._base import Storage, TrialResult

WAIT = 10.0


def _spy(storage: Storage, gate: threading.Event | None = None, broken: int | None = None,
         ) -> tuple[list[tuple[int, int]], threading.Event]:
    """Record each ``get_trial_results(study_id, min_id)`` and set the event returned when
    one begins; wait for *gate* before reading, and fail every read of study id *broken*."""
    reads: list[tuple[int, int]] = []
    began = threading.Event()
    get_results = storage.get_trial_results

    def spy(study_id: int, *, min_id: int = 0) -> list[TrialResult]:
        reads.append((study_id, min_id))
        began.set()
        if gate is not None:
            assert gate.wait(WAIT), "the test never opened the gate"
        if study_id == broken:
            raise StorageError("trial id 3: vals holds text that is not JSON")
        return get_results(study_id, min_id=min_id)

    storage.get_trial_results = spy  # type: ignore[method-assign]
    return reads, began


def test_requests_are_answered_while_the_warm_up_reads(db: str) -> None:
    storage = hp.storage.get_storage(db)
    gate = threading.Event()
    reads, began = _spy(storage, gate)
    try:
        with TestClient(create_app(storage)) as client:
            warming = client.app.state.warming
            assert began.wait(WAIT), "the warm-up starts with the app"
            assert warming.is_alive()
            assert client.get("/api/studies/toy/poll").json()["n_trials"] == 30
            assert client.get("/study/toy").status_code == 200
            assert len(client.get("/api/studies").json()) == 2
            gate.set()
            warming.join(WAIT)
            assert not warming.is_alive()
            toy = hp.load_study("toy", storage)
            assert sorted(reads) == sorted(
                (s.record.id, 0) for s in storage.list_studies())
            reads.clear()
            overview = client.get("/api/studies/toy").json()
            # only what is new since the warm-up: nothing from the first trial's id on
            assert reads == [(toy.id, max(t.id for t in toy.trials) + 1)]
            assert overview["progress"]["n"] == overview["counts"]["complete"] > 0
    finally:
        storage.close()


def test_an_unreadable_study_does_not_stop_the_warm_up(db: str) -> None:
    storage = hp.storage.get_storage(db)
    toy = hp.load_study("toy", storage)
    reads, _ = _spy(storage, broken=toy.id)
    try:
        with TestClient(create_app(storage)) as client:
            client.app.state.warming.join(WAIT)
            other = hp.load_study("other", storage)
            assert (other.id, 0) in reads and (toy.id, 0) in reads
            reads.clear()
            assert client.get("/api/studies/other").json()["progress"]["n"] == 3
            assert reads == [(other.id, max(t.id for t in other.trials) + 1)]
            answer = client.get("/api/studies/toy")  # the request reports it
            assert answer.status_code == 500 and "not JSON" in answer.json()["error"]
    finally:
        storage.close()


def test_the_warm_up_stops_when_the_app_stops(db: str) -> None:
    storage = hp.storage.get_storage(db)
    gate = threading.Event()
    reads, began = _spy(storage, gate)
    try:
        app = create_app(storage)
        with TestClient(app):
            warming = app.state.warming
            assert began.wait(WAIT)
            threading.Timer(0.2, gate.set).start()  # the shutdown waits for this read only
        assert not warming.is_alive()
        assert len(reads) == 1, "no study is read after the app stopped"
    finally:
        storage.close()


def test_the_warm_up_reads_the_newest_studies_up_to_its_limit(
        db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_app, "WARM_UP_TRIALS", 32)  # "other" (3 trials, newer), not "toy" (30)
    storage = hp.storage.get_storage(db)
    reads, _ = _spy(storage)
    try:
        app = create_app(storage)
        with TestClient(app) as client:
            app.state.warming.join(WAIT)
            other = hp.load_study("other", storage)
            assert reads == [(other.id, 0)]
            assert client.get("/api/studies/toy").json()["progress"]["n"] > 0  # read now
    finally:
        storage.close()
