"""Pruning rules with four trials at once: a pool, isolated children, Dask.

The median rule and ASHA's rungs judge each run from the curves stored by all the others,
wherever the runs go: four pool workers (``n_workers=4``), four isolated children
(``isolation="process"``), the workers of a Dask cluster. Four good runs (a large rate:
the loss falls fast; alike, so none is ever worse than another) are enqueued first and
take the four slots; four bad ones follow and take longer per step, so that the good ones
have completed while the bad ones still run, whatever the order of the workers. A pruned
run's curve, up to the step where it stopped, is read back from the storage through a
second handle.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import hyperpilot as hp
from hyperpilot.trial._trial import Trial, TrialState

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX")

SPACE = {"rate": hp.Float(0.0, 1.0)}
STEPS = 9
GOOD = [0.9] * 4
BAD = [0.05, 0.1, 0.02, 0.15]


def curve(rate: float, step: int) -> float:
    """A loss that falls with the steps, faster for a larger rate."""
    return 1.0 / (1.0 + rate * step)


def train(config: dict[str, Any], trial: hp.Trial) -> float:
    """Report the loss at steps 1..9 (good runs 20 ms apart, bad ones 50), stop if told."""
    for step in range(1, STEPS + 1):
        time.sleep(0.02 if config["rate"] > 0.5 else 0.05)
        trial.report(step, curve(config["rate"], step))
        if trial.should_stop():
            raise hp.TrialPruned(f"stopped at step {step}")
    return curve(config["rate"], STEPS)


RULES: dict[str, dict[str, Any]] = {
    "median": {"optimizer": {"name": "random", "pruner": {"name": "median", "n_startup": 4}}},
    "asha": {"optimizer": "asha", "fidelity": hp.Fidelity("epochs", 1, STEPS)},
}


Run = tuple[Trial, dict[Any, float]]  # a trial and its curve (whole steps), as stored


def _run(tmp_path: Path, rule: str, **how: Any) -> list[Run]:
    """Run the eight trials with *rule*; return them as read from the file afterwards."""
    url = f"sqlite:///{tmp_path / 'prune.db'}"
    study = hp.create_study(space=SPACE, storage=url, name="prune", seed=0, **RULES[rule])
    for rate in GOOD + BAD:
        study.enqueue({"rate": rate}, budget=STEPS if rule == "asha" else None)
    study.optimize(train, n_trials=len(GOOD + BAD), show_progress=False, **how)
    study.storage.close()
    reader = hp.load_study("prune", url)
    try:
        return [(trial, dict(trial.intermediate)) for trial in reader.trials]
    finally:
        reader.storage.close()


def _most_at_once(runs: list[Run]) -> int:
    """The largest number of trials that ran at the same moment."""
    edges = sorted([(t.started_at or 0.0, 1) for t, _ in runs]
                   + [(t.finished_at or 0.0, -1) for t, _ in runs])
    running = most = 0
    for _, change in edges:
        running += change
        most = max(most, running)
    return most


def _check(runs: list[Run], rule: str) -> None:
    assert len(runs) == len(GOOD + BAD)
    pruned = [t for t, _ in runs if t.state == TrialState.PRUNED]
    for trial, points in runs:
        rate = trial.config["rate"]
        if trial.state == TrialState.PRUNED:
            last = max(points)
            assert trial.error == f"stopped at step {last}"
            assert points == {step: curve(rate, step) for step in range(1, last + 1)}
            assert last < STEPS
        else:
            assert trial.state == TrialState.COMPLETE, trial.error
            assert points == {step: curve(rate, step) for step in range(1, STEPS + 1)}
    # The median rule: a good run is never worse than a median, a bad one is worse than
    # the good ones' once they completed. ASHA (rungs at epochs 1 and 3): a good run is
    # never behind the best third, a bad one is once the good ones reached the rung.
    assert sorted(t.config["rate"] for t in pruned) == sorted(BAD), rule


PLACES: dict[str, dict[str, Any]] = {
    "pool of four": {"n_workers": 4},
    "four isolated": {"n_workers": 4, "isolation": "process"},
    "isolated": {"isolation": "process"},
}


@pytest.mark.parametrize("rule", sorted(RULES))
@pytest.mark.parametrize("place", sorted(PLACES))
def test_runs_are_pruned_by_the_rule_and_keep_their_curves(
        tmp_path: Path, place: str, rule: str) -> None:
    runs = _run(tmp_path, rule, **PLACES[place])
    if place == "isolated":
        _check_one_at_a_time(runs, rule)
    else:
        assert _most_at_once(runs) >= 2
        _check(runs, rule)


def _check_one_at_a_time(runs: list[Run], rule: str) -> None:
    """One isolated child at a time: the four good runs complete, then each bad one stops
    at its first step (the median rule after four complete trials; ASHA's first rung)."""
    assert _most_at_once(runs) == 1
    assert [(t.config["rate"], t.state, max(points)) for t, points in runs] == [
        *[(rate, TrialState.COMPLETE, STEPS) for rate in GOOD],
        *[(rate, TrialState.PRUNED, 1) for rate in BAD]], rule
    _check(runs, rule)


# ---------------------------------------------------------------------- Dask
@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster, \
            distributed.Client(cluster) as client:
        yield client


@pytest.mark.slow
@pytest.mark.parametrize("rule", sorted(RULES))
def test_dask_workers_prune_four_runs_at_once(
        dask_client: Any, tmp_path: Path, rule: str) -> None:
    runs = _run(tmp_path, rule, executor=dask_client, n_workers=4)
    assert _most_at_once(runs) >= 2
    _check(runs, rule)
