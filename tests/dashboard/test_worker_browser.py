"""Steering a separately running worker from the page, in a real browser.

A worker process (``run_worker``) evaluates a cheap objective on an SQLite file while
Debian's Chromium, driven by playwright, uses the overview's real buttons and forms:
a pause stops the worker from starting trials and a resume lets it go on; a configuration
queued through the form is the next trial the worker evaluates; a prior set through the
form is stored as an event and the worker's next ``bo`` proposals follow it.

The objective holds while a *hold* file exists, so a test can keep the worker inside one
trial; every wait polls the storage or the page with a timeout.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import hyperpilot as hp
from hyperpilot.trial._trial import Trial, TrialState

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(sys.platform == "win32", reason="POSIX")]

HEARTBEAT = 0.2

WORKER = """
import sys, time
from pathlib import Path
import hyperpilot as hp

url, name, hold = sys.argv[1], sys.argv[2], Path(sys.argv[3])


def objective(config):
    time.sleep(0.05)
    while hold.exists():
        time.sleep(0.01)
    return (config["x"] - 3.0) ** 2 + (config["y"] + 2.0) ** 2


hp.run_worker(name, objective, storage=url, total_trials=100_000,
              heartbeat_interval=HEARTBEAT)
""".replace("HEARTBEAT", repr(HEARTBEAT))

SPACE = {"x": hp.Float(-5.0, 5.0), "y": hp.Float(-5.0, 5.0)}


def _wait(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll *condition* every 20 ms until it is truthy; return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


@dataclass
class Setup:
    """A study, the dashboard over it, a worker on it and the file that holds the worker."""

    study: hp.Study
    base: str
    hold: Path
    worker: subprocess.Popen[str]

    def trials(self) -> list[Trial]:
        return self.study.trials

    def finished(self) -> list[Trial]:
        return [t for t in self.trials() if t.state.is_finished]


@contextmanager
def _setup(tmp_path: Path, optimizer: Any, serve: Any) -> Iterator[Setup]:
    url = f"sqlite:///{tmp_path / 'steer.db'}"
    study = hp.create_study(name="live", storage=url, space=SPACE, optimizer=optimizer, seed=4)
    script = tmp_path / "worker.py"
    script.write_text(WORKER, encoding="utf-8")
    hold = tmp_path / "hold"
    worker = subprocess.Popen(
        [sys.executable, str(script), url, "live", str(hold)], stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
    try:
        with serve(url) as base:
            yield Setup(study, base, hold, worker)
    finally:
        hold.unlink(missing_ok=True)
        worker.kill()
        output = worker.communicate(timeout=10)[0]
        study.storage.close()
        if worker.returncode not in (0, -9):
            pytest.fail(f"the worker failed:\n{output}")


@contextmanager
def _page(open_page: Any, chromium: str, url: str) -> Iterator[Any]:
    """An overview page in headless Chromium; fails the test on any console error."""
    errors: list[str] = []
    with open_page(chromium, errors) as page:
        page.set_default_timeout(10_000)
        page.goto(url)
        page.wait_for_selector("#status")
        yield page
    assert errors == []


def test_a_pause_in_the_page_stops_the_worker_and_a_resume_lets_it_go_on(
        tmp_path: Path, chromium: str, serve: Any, open_page: Any) -> None:
    with _setup(tmp_path, "random", serve) as s, _page(open_page, chromium, s.base + "/study/live") as page:
        _wait(lambda: len(s.finished()) >= 3, 10.0, "the worker's first trials")
        page.click("#btn-pause")
        page.wait_for_selector("#status:text-is('paused')")
        assert [e.kind for e in s.study.events()] == ["pause"]
        # the trial in flight finishes; then nothing starts for several heartbeats
        held = _wait(lambda: (t := s.trials()) and all(x.state.is_finished for x in t) and t,
                     5.0, "the trial in flight to finish")
        time.sleep(6 * HEARTBEAT)
        assert len(s.trials()) == len(held), "a trial started while the study was paused"
        assert s.worker.poll() is None, "a pause must not end the worker"

        page.click("#btn-resume")
        page.wait_for_selector("#status:text-is('running')")
        _wait(lambda: len(s.finished()) >= len(held) + 2, 10.0, "trials after the resume")
        resumed_at = s.study.events()[-1].created_at
        assert all(t.created_at > resumed_at for t in s.trials()[len(held):])


def test_a_configuration_queued_in_the_page_is_the_next_trial_the_worker_evaluates(
        tmp_path: Path, chromium: str, serve: Any, open_page: Any) -> None:
    with _setup(tmp_path, "random", serve) as s, _page(open_page, chromium, s.base + "/study/live") as page:
        _wait(lambda: len(s.finished()) >= 2, 10.0, "the worker's first trials")
        s.hold.touch()  # keep the worker inside its current trial
        inside = _wait(lambda: [t for t in s.trials() if t.state == TrialState.RUNNING],
                       5.0, "a running trial")[0]
        page.fill("#enqueue-form input[name='x']", "1.25")
        page.fill("#enqueue-form input[name='y']", "-0.75")
        page.click("#enqueue-form button[type='submit']")
        page.wait_for_selector("#message.ok:has-text('queued as trial')")
        queued = [t for t in s.trials() if t.state == TrialState.PENDING]
        assert [t.config for t in queued] == [{"x": 1.25, "y": -0.75}]
        assert [(e.kind, e.origin) for e in s.study.events()] == [("enqueue", "dashboard")]
        s.hold.unlink()

        number = queued[0].number
        done = _wait(lambda: (t := s.trials()[number]).state.is_finished and t, 10.0,
                     "the queued trial to be evaluated")
        assert done.state == TrialState.COMPLETE and done.worker == inside.worker
        assert done.values == {"value": pytest.approx((1.25 - 3.0) ** 2 + (-0.75 + 2.0) ** 2)}
        # the next trial the worker started after the one it was in is the queued one
        assert done.started_at is not None and inside.started_at is not None
        started = sorted((t for t in s.trials() if t.started_at is not None
                          and t.started_at > inside.started_at), key=lambda t: t.started_at or 0)
        assert started[0].number == number


def test_a_prior_set_in_the_page_is_an_event_and_the_workers_proposals_follow_it(
        tmp_path: Path, chromium: str, serve: Any, open_page: Any) -> None:
    optimizer = hp.BayesianOptimizer(n_trials=40, n_initial=5)
    with _setup(tmp_path, optimizer, serve) as s, _page(open_page, chromium, s.base + "/study/live") as page:
        _wait(lambda: len(s.finished()) >= 7, 60.0, "the worker's first trials")
        # focus stays in the form, so the live updates do not redraw it under us
        page.focus("#prior-form select[name='name']")
        page.select_option("#prior-form select[name='name']", "x")
        page.fill("#prior-form input[name='x']", "3")
        page.focus("#prior-form select[name='confidence']")
        page.select_option("#prior-form select[name='confidence']", "high")
        page.click("#prior-form button[type='submit']")
        page.wait_for_function("document.querySelector(\"#space tr[data-param='x'] "
                               ".runtime-prior\").textContent.startsWith('3 (high')")
        events = s.study.events()
        assert [(e.kind, e.origin, e.payload) for e in events] == [
            ("set_prior", "dashboard", {"name": "x", "value": 3.0, "confidence": "high"})]
        since = events[0].at_trial
        prior = [{"name": "x", "value": 3.0, "confidence": "high", "since": since}]

        def steered() -> list[Trial]:
            return [t for t in s.finished() if t.number >= since
                    and t.meta.get("steering", {}).get("priors") == prior]

        after = _wait(lambda: (found := steered()) and len(found) >= 3 and found[:3], 60.0,
                      "three proposals made with the prior in force")
        # only a proposal made before the event, stored after it, may lack the prior
        assert after[0].number <= since + 1
        for trial in after:
            bo = trial.meta["bo"]
            if bo["kind"] == "model":
                assert [(p["name"], p["since"]) for p in bo["runtime_priors"]] == [("x", since)]
        assert any(p["verdict"] == "used" for t in after
                   for p in t.meta["bo"].get("runtime_priors", []))
        # a prior that holds weighs the acquisition (β / k on its own clock)
        assert all(p["weight"] > 0 for t in after
                   for p in t.meta["bo"].get("runtime_priors", []) if p["verdict"] == "used")
