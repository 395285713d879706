"""A worker started before an intervention applies it: priors, limits, exclusions, stops.

A ``hyperpilot worker`` process runs a study on SQLite and on the PostgreSQL test server;
while it runs, this process steers the study through its own handle, as a person at another
terminal (or the dashboard) would. The worker must follow each intervention from the next
trial it starts, and stop within one heartbeat interval of a stop.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import hyperpilot as hp

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="POSIX")]

CLI = "import sys; from hyperpilot.cli._main import main; sys.exit(main())"
HEARTBEAT = 0.5

RUN_FILE = '''
import time
import hyperpilot as hp

space = {"x": hp.Float(-5.0, 5.0), "kind": hp.Categorical(["a", "b", "c"]),
         "n": hp.Int(1, 9)}
optimizer = "random"
seed = 3


def objective(config):
    time.sleep(0.05)
    return config["x"] ** 2 + config["n"]
'''


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'runs.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def worker(tmp_path: Path, url: str) -> Iterator[subprocess.Popen[str]]:
    run_file = tmp_path / "steered.py"
    run_file.write_text(RUN_FILE, encoding="utf-8")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("HYPERPILOT_STORAGE", None)
    process = subprocess.Popen(
        [sys.executable, "-c", CLI, "worker", str(run_file), "--storage", url,
         "--trials", "100000", "--heartbeat-interval", str(HEARTBEAT)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        stdin=subprocess.DEVNULL)
    yield process
    if process.poll() is None:
        process.kill()
    process.wait()
    if process.stdout is not None:
        process.stdout.close()


def _wait_for(study: hp.Study, count: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while sum(t.state.is_finished for t in study.get_trials()) < count:
        assert time.monotonic() < deadline, f"fewer than {count} trials after {timeout} s"
        time.sleep(0.05)


def test_a_running_worker_follows_every_intervention(worker: subprocess.Popen[str],
                                                     url: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            study = hp.load_study("steered", url)
            break
        except hp.StudyNotFoundError:
            assert time.monotonic() < deadline, "the worker did not create the study"
            time.sleep(0.1)
    _wait_for(study, 5)
    study.freeze("kind", "c", origin="dashboard")
    study.narrow("n", 4, 5)
    frozen_at = study.events()[-1].at_trial
    _wait_for(study, frozen_at + 5)
    later = [t for t in study.get_trials() if t.number > frozen_at + 1]
    assert later and all(t.config["kind"] == "c" and 4 <= t.config["n"] <= 5 for t in later)
    assert all(t.meta["steering"]["frozen"] == {"kind": "c"} for t in later)

    study.pause()
    time.sleep(HEARTBEAT + 0.3)
    paused = len(study.get_trials())
    time.sleep(1.0)
    assert len(study.get_trials()) == paused, "a paused study started a trial"
    study.resume()
    _wait_for(study, paused + 3)

    study.stop()
    stopped_at = time.monotonic()
    worker.wait(timeout=30)
    assert time.monotonic() - stopped_at < HEARTBEAT + 0.6, "the worker outlived the stop"
    assert worker.returncode == 0
    assert [e.kind for e in study.events()] == ["freeze", "narrow", "pause", "resume", "stop"]
    assert all(t.state.is_finished for t in study.get_trials())
