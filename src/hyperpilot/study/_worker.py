"""Independent workers: processes that cooperate on one study through its storage only."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from hyperpilot.execution._heartbeat import DEFAULT_INTERVAL
from hyperpilot.storage._base import Storage
from hyperpilot.study._study import Study, load_study
from hyperpilot.trial._trial import Trial


def run_worker(
    study: Study | str,
    objective: Callable[..., Any],
    *,
    storage: str | Storage | None = None,
    n_trials: int | None = None,
    total_trials: int | None = None,
    timeout: float | None = None,
    max_budget: float | None = None,
    trial_timeout: float | None = None,
    isolation: str | None = None,
    memory_limit: int | float | str | None = None,
    heartbeat_interval: float = DEFAULT_INTERVAL,
    max_consecutive_failures: int | None = 10,
    show_progress: bool = False,
    callbacks: Sequence[Callable[[Study, Trial], None]] = (),
) -> Study:
    """Work on *study* as one of many processes that share its storage; return the study.

    Start this (or ``hyperpilot worker``) N times, on one machine with an SQLite storage or
    on many with PostgreSQL: the workers coordinate through the storage alone. Trial
    numbers come from the storage, so no two workers share one; each worker proposes from
    a random stream of its own, so no two propose the same configuration (runs of
    independent workers are therefore not bit-reproducible); with *total_trials* the
    storage adds trials only while the study holds fewer, so the count is exact. Every
    worker sends heartbeats and fails trials that dead workers left running.

    Args:
        study: a :class:`Study` or the name of a study in *storage*.
        objective: as for :meth:`Study.optimize`.
        storage: the storage URL or object when *study* is a name.
        n_trials: run at most this many trials in this worker.
        total_trials: stop once the study holds this many trials (all workers together).
        timeout: seconds after which this worker starts no new trial.
        max_budget: this worker starts no trial that would make it spend more (as for
            :meth:`Study.optimize`: budgets with a fidelity, else one per trial).
        trial_timeout: as for :meth:`Study.optimize`.
        isolation: as for :meth:`Study.optimize`.
        memory_limit: as for :meth:`Study.optimize`.
        heartbeat_interval: as for :meth:`Study.optimize`.
        max_consecutive_failures: as for :meth:`Study.optimize`.
        show_progress: draw a progress bar (off by default: many workers share a terminal).
        callbacks: as for :meth:`Study.optimize`.

    """
    base = load_study(study, storage) if isinstance(study, str) else study
    worker = Study(storage=base.storage, record=base.record, optimizer=base.optimizer,
                   independent=True)
    return worker.optimize(
        objective, n_trials, total_trials=total_trials, timeout=timeout,
        max_budget=max_budget, trial_timeout=trial_timeout,
        max_consecutive_failures=max_consecutive_failures,
        show_progress=show_progress, callbacks=callbacks, isolation=isolation,
        memory_limit=memory_limit, heartbeat_interval=heartbeat_interval,
    )
