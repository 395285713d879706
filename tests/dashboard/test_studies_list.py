"""The studies list's workers alive and last activity (``GET /api/studies``)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

import hyperpilot as hp
from hyperpilot.dashboard import create_app
from hyperpilot.storage._base import NewTrial, TrialOutcome
from hyperpilot.trial._trial import TrialState


def _dead_pid() -> int:
    """The id of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_workers_alive_are_counted_from_running_and_recent_trials(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'workers.db'}"
    study = hp.create_study(name="busy", storage=url, optimizer="random", seed=0,
                            space={"x": hp.Float(0.0, 1.0)})
    idle = hp.create_study(name="idle", storage=url, optimizer="random", seed=1,
                           space={"x": hp.Float(0.0, 1.0)})
    storage, now = study.storage, time.time()
    for _ in range(2):  # finished long ago
        trial = storage.add_trial(idle.id, NewTrial(config={"x": 0.5}, worker="old:9",
                                                     created_at=now - 400))
        storage.finish_trial(trial.id, TrialOutcome(state=TrialState.COMPLETE,
                                                    finished_at=now - 300, values={"value": 1}))
    host = socket.gethostname()

    def running(worker: str, started: float, beat: float | None = None) -> int:
        trial = storage.add_trial(study.id, NewTrial(config={"x": 0.5}, worker=worker,
                                                      created_at=started, heartbeat_at=beat))
        return trial.id

    def finished(worker: str, at: float) -> None:
        storage.finish_trial(running(worker, at - 1.0), TrialOutcome(
            state=TrialState.COMPLETE, finished_at=at, values={"value": 0.5}))

    finished("gone:1", now - 300)  # finished long ago: not alive
    finished("done:2", now - 5)  # between two trials: alive
    study.ask()  # this process, on this host: alive
    running("far:1", now - 60, beat=now + 30)  # a heartbeat within the grace
    running("far:2", now - 600, beat=now - 100)  # silent for 100 s: not alive
    running(f"{host}:{_dead_pid()}", now - 5)  # its process is gone
    running("quiet:4", now - 1000)  # no heartbeat, started long ago: unknown, not counted
    running("fresh:5", now - 2)  # no heartbeat, just started
    with TestClient(create_app(url)) as client:
        rows = {r["name"]: r for r in client.get("/api/studies").json()}
    me = f"{host}:{os.getpid()}"
    assert rows["busy"]["worker_names"] == sorted(["done:2", me, "far:1", "fresh:5"])
    assert rows["busy"]["workers"] == 4
    assert rows["busy"]["last_activity"] == pytest.approx(now + 30)  # the newest heartbeat
    assert rows["idle"]["workers"] == 0 and rows["idle"]["worker_names"] == []
    assert rows["idle"]["last_activity"] == pytest.approx(now - 300)
    study.storage.close()
    idle.storage.close()

