"""Heartbeats: a worker's running trials stay alive; a dead worker's trials are failed."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import hyperpilot as hp
from hyperpilot.execution._heartbeat import Heartbeat
from hyperpilot.storage._base import NewTrial
from hyperpilot.trial._trial import TrialState

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX")


def _study(url: str = "memory") -> hp.Study:
    return hp.create_study(space={"x": hp.Float(0, 1)}, storage=url, seed=0, name="hb")


def _running(study: hp.Study, worker: str, *, heartbeat_at: float | None,
             started_at: float | None = None, meta: dict[str, Any] | None = None) -> hp.Trial:
    return study.storage.add_trial(study.id, NewTrial(
        config={"x": 0.5}, worker=worker, created_at=started_at or time.time(),
        heartbeat_at=heartbeat_at, meta=meta or {},
    ))


def test_heartbeat_thread_beats_for_registered_trials_and_reaps() -> None:
    beats: list[tuple[list[int], float]] = []
    reaped = threading.Event()
    with Heartbeat(lambda ids, at: beats.append((list(ids), at)), interval=0.05,
                   reap=reaped.set) as heartbeat:
        heartbeat.add(7)
        heartbeat.add(3)
        time.sleep(0.2)
        heartbeat.discard(7)
        time.sleep(0.15)
    assert reaped.is_set()
    assert [3, 7] in [ids for ids, _ in beats]
    assert beats[-1][0] == [3]
    assert all(at <= time.time() for _, at in beats)


def test_heartbeat_survives_a_failing_storage(caplog: pytest.LogCaptureFixture,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # SMAC's logging set-up (run by the benchmark tests) disables existing loggers.
    monkeypatch.setattr(logging.getLogger("hyperpilot"), "disabled", False)
    monkeypatch.setattr(logging.getLogger("hyperpilot"), "propagate", True)
    caplog.set_level(logging.WARNING, logger="hyperpilot")
    calls = []

    def beat(ids: Any, at: float) -> None:
        calls.append(at)
        raise hp.StorageError("database is busy")

    with Heartbeat(beat, interval=0.03) as heartbeat:
        heartbeat.add(1)
        time.sleep(0.2)
    assert len(calls) >= 3, "the thread goes on after an error"
    assert "heartbeat failed" in caplog.text


def test_another_hosts_silent_trial_is_failed_after_three_intervals() -> None:
    study = _study()
    now = time.time()
    silent = _running(study, "node-7:4242", heartbeat_at=now - 31)
    recent = _running(study, "node-7:4243", heartbeat_at=now - 29)
    slow_beater = _running(study, "node-8:1", heartbeat_at=now - 100,
                           meta={"heartbeat_interval": 60.0})
    no_beats = _running(study, "node-9:1", heartbeat_at=None, started_at=now - 10_000)
    failed = study.fail_abandoned()
    assert [t.id for t in failed] == [silent.id]
    stored = {t.id: t for t in study.trials}
    assert stored[silent.id].state == TrialState.FAILED
    assert stored[silent.id].error == "abandoned: no heartbeat from worker node-7:4242 for 31 s"
    for trial in (recent, slow_beater, no_beats):
        assert stored[trial.id].state == TrialState.RUNNING
    assert [t.id for t in study.fail_abandoned(grace=5)] == [recent.id, slow_beater.id]


def test_a_live_process_of_this_host_is_never_declared_dead() -> None:
    study = _study()
    me = f"{socket.gethostname()}:{os.getpid()}"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        alive = _running(study, f"{socket.gethostname()}:{sleeper.pid}",
                         heartbeat_at=time.time() - 3600, started_at=time.time() - 1)
        mine = _running(study, me, heartbeat_at=time.time() - 3600)
        assert study.fail_abandoned() == []
        sleeper.kill()
        sleeper.wait()
        (dead,) = study.fail_abandoned()
        assert dead.id == alive.id
        assert dead.error == f"abandoned: worker {alive.worker} died while running it"
        assert {t.id: t.state for t in study.trials}[mine.id] == TrialState.RUNNING
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_reused_process_id_does_not_keep_a_trial_alive() -> None:
    import psutil

    study = _study()
    # Process 1 exists, but it started after this trial did: its id was reused.
    trial = _running(study, f"{socket.gethostname()}:1", heartbeat_at=None,
                     started_at=psutil.Process(1).create_time() - 60)
    (failed,) = study.fail_abandoned()
    assert failed.id == trial.id


WORKER = """
import sys, time
import hyperpilot as hp

url, seconds = sys.argv[1], float(sys.argv[2])
study = hp.load_study("hb", url)

def objective(config):
    print("started", flush=True)
    time.sleep(seconds)
    return config["x"]

hp.run_worker(study, objective, n_trials=2, heartbeat_interval=0.2)
print("done", flush=True)
"""


@pytest.mark.slow
def test_long_running_trials_stay_alive_and_a_killed_worker_is_noticed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """optuna#4234: a trial much longer than the grace period is never failed while alive.

    The watcher looks at the worker as if from another machine, so only heartbeats count.
    """
    url = f"sqlite:///{tmp_path / 'hb.db'}"
    study = _study(url)
    script = tmp_path / "worker.py"
    script.write_text(textwrap.dedent(WORKER), encoding="utf-8")
    worker = subprocess.Popen([sys.executable, str(script), url, "2.5"],
                              stdout=subprocess.PIPE, text=True)
    import hyperpilot.study._study as study_module

    monkeypatch.setattr(study_module.socket, "gethostname", lambda: "another-machine")
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline() == "started\n"
        deadline = time.monotonic() + 2.2  # 11 intervals, 3.7 grace periods: still alive
        while time.monotonic() < deadline:
            assert study.fail_abandoned() == [], "a live trial was declared dead"
            time.sleep(0.02)
        assert worker.stdout.readline() == "started\n"  # the first one completed
        time.sleep(0.5)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        killed_at = time.monotonic()
        failed: list[hp.Trial] = []
        while not failed and time.monotonic() - killed_at < 10:
            failed = study.fail_abandoned()
            time.sleep(0.02)
        noticed = time.monotonic() - killed_at
    finally:
        worker.kill()
        worker.wait()
    first, second = study.trials
    assert first.state == TrialState.COMPLETE
    assert [t.id for t in failed] == [second.id]
    assert (second.error or "").startswith(
        f"abandoned: no heartbeat from worker {second.worker} for ")
    assert noticed < 3.0, f"noticed after {noticed:.2f} s (grace 0.6 s)"
    study.storage.close()
