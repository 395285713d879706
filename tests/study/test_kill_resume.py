"""A study whose process is killed with SIGKILL loses nothing it told, and resumes.

A child process runs a study (objective: 20 ms of sleep) towards 200 trials and logs each
trial after ``tell`` returned. Once 30 trials are complete it is frozen with SIGSTOP at a
moment when a trial is running, and killed with SIGKILL. Every logged trial must be in the
database; the running one stays running until ``optimize`` in this process fails it as
abandoned and completes the study to exactly 200 finished trials.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import hyperpilot as hp
from hyperpilot.trial._trial import TrialState

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="POSIX")]

STUDY = "kill-resume"
TOTAL = 200
KILL_AFTER = 30

CHILD = """
import json, sys, time
import hyperpilot as hp

url, name, total, log_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
study = hp.create_study(space={"x": hp.Float(-5, 5)}, storage=url, name=name, seed=1)
log = open(log_path, "a", encoding="utf-8")

def objective(config):
    time.sleep(0.02)
    return config["x"] ** 2

def record(study, trial):  # runs after tell() returned
    log.write(json.dumps({"id": trial.id, "number": trial.number, "state": trial.state.value,
                          "values": trial.values}) + "\\n")
    log.flush()

study.optimize(objective, total_trials=total, show_progress=False, callbacks=[record])
"""


class StateCounter:
    """Counts the trials per state by reading the database directly, read-only."""

    def __init__(self, url: str) -> None:
        parsed = sa.engine.make_url(url)
        self._sqlite_path = parsed.database if parsed.get_backend_name() == "sqlite" else None
        self._engine: sa.engine.Engine | None = None
        if self._sqlite_path is None:
            if parsed.drivername == "postgresql":
                parsed = parsed.set(drivername="postgresql+psycopg")
            self._engine = sa.create_engine(parsed, poolclass=sa.pool.NullPool)

    def counts(self) -> dict[str, int]:
        query = "SELECT state, count(*) FROM hp_trials GROUP BY state"
        try:
            if self._engine is None:
                with sqlite3.connect(f"file:{self._sqlite_path}?mode=ro", uri=True) as conn:
                    rows = conn.execute(query).fetchall()
                conn.close()
            else:
                with self._engine.connect() as pg:
                    rows = [tuple(r) for r in pg.exec_driver_sql(query)]
        except (sqlite3.Error, sa.exc.DBAPIError):
            return {}  # not created yet
        return {state: count for state, count in rows}

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'runs.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def child(url: str, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    script, log = tmp_path / "child.py", tmp_path / "told.jsonl"
    script.write_text(CHILD, encoding="utf-8")
    stderr = (tmp_path / "child.stderr").open("wb")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("HYPERPILOT_STORAGE", None)
    process = subprocess.Popen([sys.executable, str(script), url, STUDY, str(TOTAL), str(log)],
                               stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr, env=env)
    try:
        yield process, log
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        stderr.close()


def _kill_while_a_trial_runs(process: subprocess.Popen[bytes], counter: StateCounter,
                             tmp_path: Path) -> None:
    """Wait for KILL_AFTER complete trials, then SIGKILL the child while one is running."""
    deadline = time.monotonic() + 60
    while counter.counts().get("complete", 0) < KILL_AFTER:
        if process.poll() is not None:
            err = (tmp_path / "child.stderr").read_text(errors="replace")
            pytest.fail(f"the child exited early with {process.returncode}:\n{err}")
        if time.monotonic() > deadline:
            pytest.fail(f"the child completed only {counter.counts()} trials in 60 s")
        time.sleep(0.02)
    # Freeze the child at a random moment and look: kill it only if a trial is running
    # (it is inside the objective 90% of the time), else let it go on a little.
    for _ in range(500):
        os.kill(process.pid, signal.SIGSTOP)
        if counter.counts().get("running", 0) == 1:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()  # reap it: a zombie still counts as alive for os.kill(pid, 0)
            return
        os.kill(process.pid, signal.SIGCONT)
        time.sleep(0.003)
    pytest.fail("never caught the child with a running trial")


def _read_log(log: Path) -> list[dict[str, Any]]:
    lines = log.read_text(encoding="utf-8").split("\n")
    return [json.loads(line) for line in lines[:-1]]  # a last partial line does not count


def test_killed_study_loses_nothing_and_resumes(
    url: str, child: tuple[subprocess.Popen[bytes], Path], tmp_path: Path
) -> None:
    process, log = child
    counter = StateCounter(url)
    try:
        _kill_while_a_trial_runs(process, counter, tmp_path)
    finally:
        counter.close()
    told = _read_log(log)
    study = hp.load_study(STUDY, url)
    trials = {t.id: t for t in study.trials}

    # Everything told before the kill is stored, with its values.
    assert len(told) >= KILL_AFTER - 1
    for entry in told:
        stored = trials.get(entry["id"])
        assert stored is not None, f"trial {entry['number']} was told but is not stored"
        assert (stored.number, stored.state.value, stored.values) == (
            entry["number"], entry["state"], entry["values"])
    # At most one trial was stored as finished but not logged: killed between the two.
    told_ids = {entry["id"] for entry in told}
    unlogged = [t for t in trials.values() if t.state.is_finished and t.id not in told_ids]
    assert len(unlogged) <= 1
    # The trial being evaluated is still running, on behalf of the dead child.
    running = [t for t in trials.values() if t.state == TrialState.RUNNING]
    assert len(running) == 1
    (abandoned,) = running
    assert abandoned.worker == f"{socket.gethostname()}:{process.pid}"
    assert abandoned.number == max(t.number for t in trials.values())
    assert not any(t.state == TrialState.PENDING for t in trials.values())

    study.optimize(lambda config: config["x"] ** 2, total_trials=TOTAL, show_progress=False)

    final = study.trials
    by_id = {t.id: t for t in final}
    assert by_id[abandoned.id].state == TrialState.FAILED
    assert by_id[abandoned.id].error == (
        f"abandoned: worker {abandoned.worker} died while running it")
    assert sum(t.state.is_finished for t in final) == TOTAL
    assert len(final) == TOTAL
    assert sorted(t.number for t in final) == list(range(TOTAL))
    for entry in told:  # finished trials never change
        assert by_id[entry["id"]].values == entry["values"]
    study.storage.close()
