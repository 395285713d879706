"""Trials run concurrently from one study: a process pool, Dask, isolated children."""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

import hyperpilot as hp
from hyperpilot.execution._engines import BROKEN_POOL
from hyperpilot.trial._trial import TrialState

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX")

SPACE = {"x": hp.Float(0.0, 1.0)}


class RunningRecorder(hp.RandomOptimizer):
    """Random search that notes how many trials were running at each proposal."""

    def __init__(self, *, seed: int | None = None) -> None:
        super().__init__(seed=seed)
        self.seen: list[int] = []

    def _ask(self, history: hp.History) -> hp.Proposal:
        self.seen.append(len(history.running))
        return super()._ask(history)


def _overlap(trials: list[hp.Trial]) -> bool:
    spans = sorted((t.started_at or 0.0, t.finished_at or 0.0) for t in trials)
    return any(b_start < a_end for (_, a_end), (b_start, _) in itertools.pairwise(spans))


def _check_complete(study: hp.Study, n: int) -> list[hp.Trial]:
    trials = study.trials
    assert sorted(t.number for t in trials) == list(range(n)), "numbers must be unique"
    assert all(t.state == TrialState.COMPLETE for t in trials), [t.error for t in trials]
    for t in trials:
        assert t.value == pytest.approx(float(t.config["x"]))
    return trials


@pytest.mark.slow
def test_process_pool_runs_trials_at_once_with_asynchronous_proposals(
    objectives: ModuleType, tmp_path: Any
) -> None:
    recorder = RunningRecorder()
    study = hp.create_study(space=SPACE, storage=f"sqlite:///{tmp_path / 'p.db'}", seed=3,
                            optimizer=recorder)
    start = time.monotonic()
    study.optimize(objectives.sleepy, n_trials=8, n_workers=2, show_progress=False)
    elapsed = time.monotonic() - start
    trials = _check_complete(study, 8)
    assert _overlap(trials), "trials must run at the same time"
    assert elapsed < 8 * 0.3, f"8 trials of 0.3 s on 2 workers took {elapsed:.1f} s"
    # A freed worker gets a new proposal at once, made while the other trial still runs.
    assert recorder.seen[:2] == [0, 1]
    assert max(recorder.seen[2:]) == 1
    assert len({t.worker for t in trials}) == 1, "the calling process asks and tells"


def test_lambdas_and_closures_run_in_the_pool() -> None:
    scale = 3.0
    study = hp.create_study(space=SPACE, storage="memory", seed=0)
    study.optimize(lambda c: scale * c["x"], n_trials=4, n_workers=2, show_progress=False)
    assert all(t.value == pytest.approx(scale * t.config["x"]) for t in study.trials)


def test_pool_applies_trial_timeout_and_failures_as_the_loop_does(objectives: ModuleType) -> None:
    study = hp.create_study(space={"mode": hp.Categorical(["ok", "hang", "raise"]),
                                   "x": hp.Float(0, 1)}, storage="memory", seed=0)
    for mode in ("hang", "raise", "ok"):
        study.enqueue({"mode": mode, "x": 0.5})
    study.optimize(objectives.misbehave, n_trials=3, n_workers=2, trial_timeout=0.5,
                   show_progress=False)
    by_mode = {t.config["mode"]: t for t in study.trials}
    assert by_mode["hang"].error == "trial exceeded its time limit of 0.5 s"
    assert (by_mode["raise"].error or "").startswith("ValueError: the objective said no")
    assert by_mode["ok"].state == TrialState.COMPLETE


def test_a_crash_in_the_pool_fails_trials_and_the_study_goes_on(objectives: ModuleType) -> None:
    study = hp.create_study(space=SPACE, storage="memory", seed=0)
    study.enqueue({"x": 0.5})
    study.optimize(objectives.crash_at_half, n_trials=5, n_workers=2, show_progress=False,
                   max_consecutive_failures=None)
    trials = study.trials
    assert trials[0].error == BROKEN_POOL
    assert len(trials) == 5
    assert sum(t.state == TrialState.COMPLETE for t in trials) >= 3, "a new pool takes over"


def test_too_many_failures_stop_a_parallel_loop_and_leave_nothing_running() -> None:
    def fail(config: dict[str, Any]) -> float:
        raise RuntimeError("broken")

    study = hp.create_study(space=SPACE, storage="memory", seed=0)
    with pytest.raises(hp.TooManyFailuresError, match="failed 3 times in a row"):
        study.optimize(fail, n_trials=20, n_workers=2, max_consecutive_failures=3,
                       show_progress=False)
    trials = study.trials
    assert all(t.state == TrialState.FAILED for t in trials)
    assert 3 <= len(trials) <= 4


@pytest.mark.parametrize("isolation", ["none", "process"])
def test_keyboard_interrupt_fails_running_trials_and_keeps_finished_ones(
    objectives: ModuleType, isolation: str
) -> None:
    study = hp.create_study(space={"mode": hp.Categorical(["ok", "hang"]),
                                   "x": hp.Float(0, 1)}, storage="memory", seed=0)
    study.enqueue({"mode": "ok", "x": 0.5})
    study.enqueue({"mode": "hang", "x": 0.5})
    study.enqueue({"mode": "ok", "x": 0.5})

    def stop(study: hp.Study, trial: hp.Trial) -> None:
        if trial.state == TrialState.COMPLETE and trial.number == 2:
            raise KeyboardInterrupt

    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        study.optimize(objectives.misbehave, n_trials=10, n_workers=2, isolation=isolation,
                       callbacks=[stop], show_progress=False)
    assert time.monotonic() - start < 20, "the hanging trial must be stopped, not awaited"
    by_number = {t.number: t for t in study.trials}
    assert by_number[0].state == TrialState.COMPLETE
    assert by_number[2].state == TrialState.COMPLETE
    assert by_number[1].error == "interrupted (KeyboardInterrupt) while running"
    assert not any(t.state == TrialState.RUNNING for t in study.trials)


@pytest.mark.slow
def test_isolated_trials_run_at_once_on_supervising_threads(objectives: ModuleType) -> None:
    study = hp.create_study(space=SPACE, storage="memory", seed=0)
    study.optimize(objectives.sleepy, n_trials=4, n_workers=2, isolation="process",
                   show_progress=False)
    trials = _check_complete(study, 4)
    assert _overlap(trials)


def test_executor_must_be_an_executor() -> None:
    study = hp.create_study(space=SPACE, storage="memory")
    with pytest.raises(hp.OptimizerError, match="executor must be a Dask"):
        study.optimize(lambda c: 0.0, n_trials=1, executor=object())
    with pytest.raises(hp.OptimizerError, match="n_workers must be a positive integer"):
        study.optimize(lambda c: 0.0, n_trials=1, n_workers=0)


def test_an_objective_that_cannot_be_pickled_is_refused_before_any_trial() -> None:
    import threading

    lock = threading.Lock()
    study = hp.create_study(space=SPACE, storage="memory")
    with pytest.raises(hp.OptimizerError, match="cannot be sent to other processes"):
        study.optimize(lambda c: bool(lock) and 0.0, n_trials=2, n_workers=2,
                       show_progress=False)


# ---------------------------------------------------------------------- Dask
@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster, \
            distributed.Client(cluster) as client:
        yield client


@pytest.mark.slow
def test_dask_local_cluster_completes_a_study(dask_client: Any, tmp_path: Any) -> None:
    recorder = RunningRecorder()
    study = hp.create_study(space=SPACE, storage=f"sqlite:///{tmp_path / 'd.db'}", seed=5,
                            optimizer=recorder)
    study.optimize(lambda c: time.sleep(0.2) or c["x"], n_trials=12, executor=dask_client,
                   show_progress=False)
    trials = _check_complete(study, 12)
    assert _overlap(trials)
    assert max(recorder.seen) == 1, "proposals are made while the other worker runs"
    assert len({tuple(t.config.values()) for t in trials}) == 12


@pytest.mark.slow
def test_dask_trial_timeout_runs_isolated(dask_client: Any, objectives: ModuleType) -> None:
    study = hp.create_study(space={"mode": hp.Categorical(["ok", "hang", "segfault"]),
                                   "x": hp.Float(0, 1)}, storage="memory", seed=0)
    for mode in ("hang", "segfault", "ok"):
        study.enqueue({"mode": mode, "x": 0.5})
    study.optimize(objectives.misbehave, n_trials=3, executor=dask_client, trial_timeout=1.0,
                   show_progress=False)
    by_mode = {t.config["mode"]: t for t in study.trials}
    assert by_mode["hang"].error == "trial exceeded its time limit of 1 s"
    assert (by_mode["segfault"].error or "").startswith(
        "killed by signal SIGSEGV (segmentation fault)")
    assert by_mode["ok"].state == TrialState.COMPLETE
    assert dask_client.nthreads(), "the Dask workers survived the crash"
