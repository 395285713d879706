"""Steering a study: every intervention checked, stored as an event, and applied."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import hyperpilot as hp
from hyperpilot.exceptions import SteeringError, StudyStoppedError
from hyperpilot.optimizers._steering import SteeringState

SPACE = hp.Space({
    "lr": hp.Float(1e-4, 1e-1, log=True),
    "layers": hp.Int(1, 8),
    "opt": hp.Categorical(["adam", "sgd"]),
    "momentum": hp.Float(0.0, 0.99, active_if={"opt": "sgd"}),
})


def loss(config: dict[str, Any]) -> float:
    return abs(config["lr"] - 0.01) + config["layers"] / 10


@pytest.fixture(params=["memory", "sqlite"])
def study(request: pytest.FixtureRequest, tmp_path: Path) -> hp.Study:
    storage = "memory" if request.param == "memory" else f"sqlite:///{tmp_path / 's.db'}"
    return hp.create_study(space=SPACE, storage=storage, name="s", seed=0, optimizer="random")


def test_every_intervention_is_an_event_with_its_origin(study: hp.Study) -> None:
    study.optimize(loss, n_trials=3, show_progress=False)
    study.set_prior("lr", 0.01, "high", author="ada")
    study.set_prior("opt", "sgd")
    study.exclude(1, origin="cli")
    study.narrow("layers", 2, 4, origin="dashboard")
    study.freeze("opt", "sgd")
    study.set_acquisition({"name": "lcb", "beta": 4.0})
    study.enqueue({"lr": 0.02})
    study.clear_prior("opt")
    study.pause()
    study.resume()
    events = study.events()
    assert [e.kind for e in events] == [
        "set_prior", "set_prior", "exclude", "narrow", "freeze", "set_acquisition", "enqueue",
        "clear_prior", "pause", "resume"]
    assert events[0].payload == {"name": "lr", "value": 0.01, "confidence": "high"}
    assert (events[0].author, events[2].origin, events[3].origin) == ("ada", "cli", "dashboard")
    assert all(e.at_trial == 3 for e in events[:6])
    assert events[6].payload["trial"] == 3 and events[7].at_trial == 4
    state = study.steering()
    assert [(p.name, p.value, p.since) for p in state.priors] == [("lr", 0.01, 3)]
    assert state.excluded == {1} and state.ranges == {"layers": (2.0, 4.0)}
    assert state.frozen == {"opt": "sgd"} and state.acquisition == {"name": "lcb", "beta": 4.0}
    assert state.status == "running"


@pytest.mark.parametrize(("act", "message"), [
    (lambda s: s.set_prior("lr", 5.0), "hyperparameter 'lr': prior "),
    (lambda s: s.set_prior("lr", "high"), "hyperparameter 'lr': prior "),
    (lambda s: s.set_prior("lr", 0.01, "sure"), "confidence must be one of"),
    (lambda s: s.set_prior("opt", "rmsprop"), "hyperparameter 'opt': prior "),
    (lambda s: s.set_prior("depth", 3), "unknown hyperparameter 'depth'; known: "),
    (lambda s: s.set_prior("lr", None), "a prior on 'lr' needs a value, got None"),
    (lambda s: s.narrow("layers", 5, 3), "'layers': the narrowed range must not be empty, got "
                                         "low=5, high=3"),
    (lambda s: s.narrow("lr", 1e-5, 1e-2), "'lr': the narrowed range [1e-05, 0.01] must lie "
                                           "within its range [0.0001, 0.1]"),
    (lambda s: s.narrow("layers", 2.2, 2.8), "'layers': no whole number lies in [2.2, 2.8]"),
    (lambda s: s.narrow("opt", 0, 1), "'opt' is categorical; only float and int ranges can be "
                                      "narrowed"),
    (lambda s: s.narrow("lr", float("nan"), 0.01), "'lr': low must be a finite number"),
    (lambda s: s.freeze("layers", 11), "cannot freeze 'layers'"),
    (lambda s: s.exclude(99), "study 's' has no trial 99 (its trials are numbered 0 to 2)"),
    (lambda s: s.exclude("2"), "a trial is named by its number, got '2'"),
    (lambda s: s.set_acquisition("qei"), "acquisition: "),
    (lambda s: s.pause(origin="email"), "origin must be one of"),
])
def test_bad_input_is_one_line_and_nothing_is_stored(study: hp.Study, act: Any,
                                                     message: str) -> None:
    study.optimize(loss, n_trials=3, show_progress=False)
    with pytest.raises(SteeringError) as info:
        act(study)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert study.events() == []
    assert len(study.trials) == 3


def test_excluding_a_trial_of_another_study_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'two.db'}"
    first = hp.create_study(space=SPACE, storage=url, name="a", optimizer="random")
    first.optimize(loss, n_trials=5, show_progress=False)
    second = hp.create_study(space=SPACE, storage=url, name="b", optimizer="random")
    second.optimize(loss, n_trials=2, show_progress=False)
    with pytest.raises(SteeringError, match="study 'b' has no trial 4"):
        second.exclude(4)
    assert second.events() == []


@pytest.mark.parametrize("optimizer", ["random", "sobol", "bo"])
def test_frozen_values_and_narrowed_ranges_hold(optimizer: str) -> None:
    study = hp.create_study(space=SPACE, seed=1, optimizer=optimizer)
    study.optimize(loss, n_trials=6, show_progress=False)
    study.freeze("opt", "sgd")
    study.narrow("layers", 3, 4)
    study.narrow("momentum", 0.5, 0.6)
    study.optimize(loss, n_trials=8, show_progress=False)
    later = study.trials[6:]
    assert all(t.config["opt"] == "sgd" for t in later)
    assert all(3 <= t.config["layers"] <= 4 for t in later)
    assert all(0.5 <= t.config["momentum"] <= 0.6 for t in later)
    assert all(t.meta["steering"]["frozen"] == {"opt": "sgd"} for t in later)
    study.release("opt")
    study.restore_range("layers")
    state = study.steering()
    assert state.frozen == {} and state.ranges == {"momentum": (0.5, 0.6)}


def test_an_excluded_trial_leaves_the_model_but_is_not_proposed_again() -> None:
    study = hp.create_study(space=SPACE, seed=2, optimizer="random")
    study.optimize(loss, n_trials=4, show_progress=False)
    study.exclude(2)
    history = study.history()
    assert [t.number for t in history.observed] == [0, 1, 3]
    assert [t.number for t in history.trials] == [0, 1, 2, 3]
    study.include(2)
    assert [t.number for t in study.history().observed] == [0, 1, 2, 3]


def test_the_state_for_a_trial_counts_only_the_events_stored_before_it() -> None:
    study = hp.create_study(space=SPACE, seed=2, optimizer="random")
    study.optimize(loss, n_trials=2, show_progress=False)
    study.freeze("opt", "adam")
    study.optimize(loss, n_trials=2, show_progress=False)
    study.release("opt")
    assert study.steering(upto=1).frozen == {}
    assert study.steering(upto=2).frozen == {"opt": "adam"}
    assert study.steering(upto=4).frozen == {}
    assert SteeringState.replay(study.events(), upto=3).frozen == {"opt": "adam"}


def test_a_reopened_study_continues_with_the_same_steering(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    study = hp.create_study(space=SPACE, storage=url, name="r", seed=5, optimizer="bo")
    study.optimize(loss, n_trials=6, show_progress=False)
    study.set_prior("lr", 0.02, "low")
    study.narrow("layers", 2, 6)
    study.set_acquisition("ei")
    study.pause()
    study.resume()
    study.freeze("opt", "adam")
    study.exclude(0)
    study.storage.close()
    reopened = hp.load_study("r", url)  # as a new process would open it
    state = reopened.steering()
    assert [(p.name, p.value, p.confidence) for p in state.priors] == [("lr", 0.02, "low")]
    assert state.ranges == {"layers": (2.0, 6.0)} and state.acquisition == "ei"
    assert state.frozen == {"opt": "adam"} and state.excluded == {0}
    assert state.status == "running"
    reopened.optimize(loss, n_trials=3, show_progress=False)
    assert all(t.config["opt"] == "adam" for t in reopened.trials[6:])


def test_a_seeded_run_with_the_same_events_at_the_same_trials_is_reproducible() -> None:
    def run() -> list[dict[str, Any]]:
        study = hp.create_study(space=SPACE, seed=11, optimizer="bo")
        study.optimize(loss, n_trials=6, show_progress=False)
        study.set_prior("lr", 0.01, "high")
        study.narrow("layers", 1, 3)
        study.optimize(loss, n_trials=4, show_progress=False)
        study.exclude(2)
        study.optimize(loss, n_trials=3, show_progress=False)
        return [t.config for t in study.trials]

    assert run() == run()


def test_a_stopped_study_refuses_to_run_until_resumed(study: hp.Study) -> None:
    study.optimize(loss, n_trials=2, show_progress=False)
    study.stop(origin="cli", author="ada")
    with pytest.raises(StudyStoppedError) as info:
        study.optimize(loss, n_trials=2, show_progress=False)
    assert str(info.value) == ("study 's' was stopped (cli by ada, at trial 2); resume it "
                               "first: study.resume(), or hyperpilot steer s resume")
    study.resume()
    study.optimize(loss, n_trials=2, show_progress=False)
    assert len(study.trials) == 4


def test_a_running_loop_stops_and_pauses_when_told(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    study = hp.create_study(space=SPACE, storage=url, name="p", seed=0, optimizer="random")
    other = hp.load_study("p", url)  # another handle, as another process would have
    started: list[float] = []

    def slow(config: dict[str, Any]) -> float:
        started.append(time.monotonic())
        time.sleep(0.05)
        return loss(config)

    def steer() -> None:
        while len(started) < 3:
            time.sleep(0.01)
        other.pause()
        time.sleep(1.5)
        paused_count = len(started)
        other.resume()
        while len(started) < paused_count + 2:
            time.sleep(0.01)
        other.stop()
        pauses.append(paused_count)

    pauses: list[int] = []
    thread = threading.Thread(target=steer)
    thread.start()
    study.optimize(slow, n_trials=1000, show_progress=False, heartbeat_interval=0.5)
    thread.join()
    gaps = [b - a for a, b in itertools.pairwise(started)]
    assert max(gaps) > 1.0, "no trial started while the study was paused"
    assert len(study.trials) < 1000, "the stop ended the loop"
    assert [e.kind for e in study.events()] == ["pause", "resume", "stop"]
