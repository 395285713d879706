"""trial.report reaches the storage while the trial runs, wherever it runs; should_stop too.

A watcher thread follows the study's intermediate values with a cursor, as a dashboard
would (through a second handle when the storage is a file), and leaves a file for each
trial whose value it saw while the trial was still running; the objective waits for that
file before it goes on. So "seen while running" means the storage held the value before
the objective returned.
"""

from __future__ import annotations

import functools
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import hyperpilot as hp
from hyperpilot.storage import Storage, get_storage
from hyperpilot.trial._trial import TrialState

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX")

SPACE = {"x": hp.Float(0.0, 1.0)}


@contextmanager
def _watching(storage: Storage, study_id: int, folder: Path) -> Iterator[set[int]]:
    """Follow the study's values; return the numbers of trials seen while running."""
    seen: set[int] = set()
    stop = threading.Event()

    def follow() -> None:
        cursor = 0
        while not stop.is_set():
            rows = storage.get_intermediate(study_id, min_id=cursor)
            for row in rows:
                trial = storage.get_trial(row.trial_id)
                if trial.state == TrialState.RUNNING:
                    seen.add(trial.number)
                    (folder / f"seen-{trial.number}").touch()
            if rows:
                cursor = rows[-1].id + 1
            time.sleep(0.01)

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join(timeout=10)


def _reporting_run(objectives: ModuleType, tmp_path: Path, storage: str, *, wait: float = 20.0,
                   **how: Any) -> tuple[hp.Study, set[int]]:
    name = None if storage == "memory" else "curves"
    study = hp.create_study(space=SPACE, storage=storage, name=name, optimizer="random",
                            seed=2)
    reader = study.storage if storage == "memory" else get_storage(storage)
    objective = functools.partial(objectives.report_and_wait, folder=str(tmp_path), wait=wait)
    with _watching(reader, study.id, tmp_path) as seen:
        study.optimize(objective, n_trials=3, show_progress=False, **how)
    return study, seen


def _check_curves(study: hp.Study, *, while_running: bool) -> None:
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3, [t.error for t in trials]
    for trial in trials:
        x = trial.config["x"]
        assert trial.intermediate == {0: x, 1: x / 2}
        assert trial.user_attrs["seen_while_running"] is while_running
        assert trial.user_attrs["stop"] is False  # random search has no pruning rule


PLACES_THAT_STORE_AT_ONCE = {
    "loop": ("memory", {}),
    "pool on a file": ("sqlite", {"n_workers": 2}),
    "isolated": ("memory", {"isolation": "process"}),
    "isolated, two at once, on a file": ("sqlite", {"n_workers": 2, "isolation": "process"}),
}


@pytest.mark.parametrize("place", sorted(PLACES_THAT_STORE_AT_ONCE))
def test_reports_reach_the_storage_while_the_trial_runs(
        objectives: ModuleType, tmp_path: Path, place: str) -> None:
    kind, how = PLACES_THAT_STORE_AT_ONCE[place]
    storage = "memory" if kind == "memory" else f"sqlite:///{tmp_path / 'c.db'}"
    study, seen = _reporting_run(objectives, tmp_path, storage, **how)
    assert seen == {0, 1, 2}
    _check_curves(study, while_running=True)


def test_a_pool_that_cannot_reach_a_study_in_memory_sends_the_curve_with_the_result(
        objectives: ModuleType, tmp_path: Path) -> None:
    study, seen = _reporting_run(objectives, tmp_path, "memory", wait=0.3, n_workers=2)
    assert seen == set()  # stored with each result, before the trial was finished
    _check_curves(study, while_running=False)


def test_a_worker_without_the_file_keeps_the_values_for_the_result(
        objectives: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pool worker that finds no file at the URL (another machine) never creates one."""
    import hyperpilot.study._parallel as parallel

    elsewhere = tmp_path / "elsewhere.db"
    monkeypatch.setattr(parallel, "worker_url", lambda storage: f"sqlite:///{elsewhere}")
    study = hp.create_study(space=SPACE, storage=f"sqlite:///{tmp_path / 'c.db'}", name="c",
                            optimizer="random", seed=2)
    objective = functools.partial(objectives.report_and_wait, folder=str(tmp_path), wait=0.2)
    study.optimize(objective, n_trials=2, n_workers=2, show_progress=False)
    assert not elsewhere.exists()
    for trial in study.trials:
        assert trial.state == TrialState.COMPLETE
        assert trial.intermediate == {0: trial.config["x"], 1: trial.config["x"] / 2}


PRUNING_PLACES = {
    "loop": ("memory", {}),
    "pool on a file": ("sqlite", {"n_workers": 2}),
    "isolated": ("memory", {"isolation": "process"}),
    "isolated, two at once": ("memory", {"n_workers": 2, "isolation": "process"}),
}


def _pruning_run(objectives: ModuleType, storage: str, **how: Any) -> hp.Study:
    name = None if storage == "memory" else "pruned"
    study = hp.create_study(space=SPACE, storage=storage, name=name,
                            optimizer=objectives.PruneAbove(), seed=0)
    for x in (0.2, 0.7, 0.4, 0.9):
        study.enqueue({"x": x})
    study.optimize(objectives.prunable, n_trials=4, show_progress=False, **how)
    return study


def _check_pruned(study: hp.Study, *, pruned: bool = True) -> None:
    for trial in study.trials:
        x = trial.config["x"]
        if x > 0.5 and pruned:
            assert (trial.state, trial.error) == (TrialState.PRUNED, "pruned at step 1")
            assert trial.intermediate == {0: x, 1: x}, "a pruned trial keeps its curve"
        else:
            assert trial.state == TrialState.COMPLETE, trial.error
            assert trial.intermediate == dict.fromkeys(range(4), x)


@pytest.mark.parametrize("place", sorted(PRUNING_PLACES))
def test_should_stop_answers_from_the_optimizers_rule_wherever_the_trial_runs(
        objectives: ModuleType, tmp_path: Path, place: str) -> None:
    kind, how = PRUNING_PLACES[place]
    storage = "memory" if kind == "memory" else f"sqlite:///{tmp_path / 'p.db'}"
    _check_pruned(_pruning_run(objectives, storage, **how))


def test_a_pool_on_a_study_in_memory_cannot_prune_and_says_so(
        objectives: ModuleType, caplog: pytest.LogCaptureFixture) -> None:
    study = _pruning_run(objectives, "memory", n_workers=2)
    assert "trial.should_stop() answers False there" in caplog.text
    _check_pruned(study, pruned=False)


@pytest.mark.parametrize("how", [{}, {"n_workers": 2}, {"isolation": "process"}])
def test_a_value_that_is_not_finite_fails_the_trial_and_keeps_the_curve(
        objectives: ModuleType, how: dict[str, Any]) -> None:
    study = hp.create_study(space=SPACE, storage="memory", seed=0, optimizer="random")
    study.optimize(objectives.reports_nan, n_trials=1, show_progress=False, **how)
    (trial,) = study.trials
    assert trial.state == TrialState.FAILED
    assert (trial.error or "").splitlines()[0] == (
        "IntermediateValueError: the value at step 2 must be a finite number, got float nan")
    assert trial.intermediate == {0: 1.0, 1: 0.5}


@pytest.mark.postgres
def test_pool_workers_on_postgresql_store_reports_while_running_and_prune(
        objectives: ModuleType, tmp_path: Path, postgres_url: str) -> None:
    study, seen = _reporting_run(objectives, tmp_path, postgres_url, n_workers=2)
    assert seen == {0, 1, 2}
    _check_curves(study, while_running=True)
    _check_pruned(_pruning_run(objectives, postgres_url, n_workers=2))


# ---------------------------------------------------------------------- Dask
@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster, \
            distributed.Client(cluster) as client:
        yield client


@pytest.mark.slow
@pytest.mark.parametrize("isolated", [False, True])
def test_dask_workers_store_reports_while_the_trial_runs(
        dask_client: Any, objectives: ModuleType, tmp_path: Path, isolated: bool) -> None:
    # A trial time limit makes a Dask worker run the trial in an isolated child, whose
    # supervisor (in the Dask worker) stores what the child reports.
    limit = {"trial_timeout": 60.0} if isolated else {}
    study, seen = _reporting_run(objectives, tmp_path, f"sqlite:///{tmp_path / 'd.db'}",
                                 executor=dask_client, **limit)
    assert seen == {0, 1, 2}
    _check_curves(study, while_running=True)


@pytest.mark.slow
def test_dask_workers_prune_by_the_optimizers_rule(
        dask_client: Any, objectives: ModuleType, tmp_path: Path) -> None:
    _check_pruned(_pruning_run(objectives, f"sqlite:///{tmp_path / 'p.db'}",
                               executor=dask_client))


@pytest.mark.slow
def test_dask_on_a_study_in_memory_sends_the_curve_with_the_result(
        dask_client: Any, objectives: ModuleType, tmp_path: Path) -> None:
    study, seen = _reporting_run(objectives, tmp_path, "memory", wait=0.3, executor=dask_client)
    assert seen == set()
    _check_curves(study, while_running=False)
