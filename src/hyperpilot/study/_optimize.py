"""The optimization loops: ask, evaluate, tell, show progress.

:class:`_Loop` holds what every loop shares (trial budget and deadline, progress bar,
callbacks, failure policy, heartbeats); :func:`run_loop` runs trials one after the other in
this process, or hands them to :func:`hyperpilot.study._parallel.run_async` when they run
elsewhere (a pool, Dask, isolated child processes).
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import math
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hyperpilot.exceptions import (
    OptimizerError,
    TooManyFailuresError,
    TrialStateError,
)
from hyperpilot.execution._call import run_in_process
from hyperpilot.execution._heartbeat import DEFAULT_INTERVAL, Heartbeat
from hyperpilot.execution._isolation import CallOutcome
from hyperpilot.execution._limits import can_time_limit, parse_memory
from hyperpilot.trial._trial import Trial, TrialState

if TYPE_CHECKING:
    from hyperpilot.study._study import Study

logger = logging.getLogger("hyperpilot")

_KEYWORDS = ("trial", "budget", "seed", "instance")
_ISOLATION = ("none", "process")


def _keyword_args(objective: Callable[..., Any]) -> tuple[str, ...]:
    try:
        params = inspect.signature(objective).parameters
    except (TypeError, ValueError):
        return ()
    return tuple(name for name in _KEYWORDS if name in params)


def _check_limits(n_trials: int | None, total_trials: int | None, timeout: float | None,
                  trial_timeout: float | None, heartbeat_interval: float) -> None:
    for name, value in (("n_trials", n_trials), ("total_trials", total_trials)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 0):
            raise OptimizerError(f"{name} must be a non-negative integer, got {value!r}")
    for name, seconds in (("timeout", timeout), ("trial_timeout", trial_timeout),
                          ("heartbeat_interval", heartbeat_interval)):
        if seconds is not None and not (isinstance(seconds, (int, float)) and seconds > 0):
            raise OptimizerError(f"{name} must be a positive number of seconds, got {seconds!r}")


def _check_execution(n_workers: int | None, isolation: str | None,
                     memory: int | None) -> bool:
    """Validate the execution arguments; return whether trials run isolated."""
    if n_workers is not None and (isinstance(n_workers, bool) or not isinstance(n_workers, int)
                                  or n_workers < 1):
        raise OptimizerError(f"n_workers must be a positive integer, got {n_workers!r}")
    if isolation is not None and isolation not in _ISOLATION:
        raise OptimizerError(f"isolation must be one of {list(_ISOLATION)}, got {isolation!r}")
    if memory is not None and isolation == "none":
        raise OptimizerError(
            "memory_limit needs isolation='process': a limit is enforced on a child process"
        )
    return isolation == "process" or memory is not None


class _Progress:
    """A tqdm bar showing trials done, trials per second and the best value so far."""

    def __init__(self, study: Study, total: int | None, enabled: bool) -> None:
        self._bar: Any = None
        self._best: float | None = None
        self._sign = study.objectives[0].sign if len(study.objectives) == 1 else 0.0
        if enabled:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, unit="trial", desc=study.name, file=sys.stderr,
                             dynamic_ncols=True, mininterval=0.25)

    def update(self, trial: Trial) -> None:
        if self._bar is None:
            return
        if self._sign and trial.state == TrialState.COMPLETE and trial.values:
            value = next(iter(trial.values.values()))
            if self._best is None or self._sign * value < self._sign * self._best:
                self._best = value
                self._bar.set_postfix_str(f"best={value:.6g}", refresh=False)
        self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


class _Loop:
    """What every optimize loop shares: which trials start, and what follows each one."""

    def __init__(self, study: Study, *, budget: int | None, deadline: float,
                 max_trials: int | None, progress: _Progress,
                 callbacks: Sequence[Callable[[Study, Trial], None]],
                 max_consecutive_failures: int | None, heartbeat: Heartbeat) -> None:
        self.study = study
        self.budget = budget
        self.deadline = deadline
        self.max_trials = max_trials
        self.progress = progress
        self.callbacks = callbacks
        self.max_consecutive_failures = max_consecutive_failures
        self.heartbeat = heartbeat
        self.started = 0
        self.failures = 0
        self.full = False

    def start(self) -> Trial | None:
        """Ask for the next trial, or return ``None`` when no further trial may start."""
        if self.full or (self.budget is not None and self.started >= self.budget):
            return None
        if time.monotonic() >= self.deadline:
            return None
        trial = self.study._start(heartbeat_interval=self.heartbeat.interval,
                                  max_trials=self.max_trials)
        if trial is None:
            self.full = True  # other workers reached the study's total
            return None
        self.started += 1
        self.heartbeat.add(trial.id)
        return trial

    def record(self, trial: Trial, outcome: CallOutcome) -> Trial:
        """Tell *outcome*; a trial failed meanwhile by another worker is returned as stored."""
        self.heartbeat.discard(trial.id)
        try:
            if outcome.state == TrialState.COMPLETE:
                return self.study.tell(trial, outcome.result, state=TrialState.COMPLETE,
                                       meta=outcome.meta)
            return self.study.tell(trial, state=outcome.state, error=outcome.error,
                                   meta=outcome.meta)
        except TrialStateError:
            stored = self.study.storage.get_trials(self.study.id, min_id=trial.id)[0]
            logger.warning("trial %d was finished by another worker meanwhile (%s); its "
                           "result is dropped", trial.number, stored.error or stored.state)
            return stored

    def finish(self, trial: Trial, outcome: CallOutcome) -> Trial:
        """Record *outcome*, then update progress, run callbacks, apply the failure policy."""
        finished = self.record(trial, outcome)
        self.progress.update(finished)
        for callback in self.callbacks:
            callback(self.study, finished)
        self.failures = self.failures + 1 if finished.state == TrialState.FAILED else 0
        limit = self.max_consecutive_failures
        if limit is not None and self.failures >= limit:
            first_line = (finished.error or "").splitlines()[0] if finished.error else ""
            raise TooManyFailuresError(
                f"the objective failed {self.failures} times in a row, so study "
                f"{self.study.name!r} stopped; last error: {first_line}; finished trials "
                "are stored"
            )
        return finished

    def abandon(self, trials: Sequence[Trial], reason: str) -> None:
        """Fail *trials* (still running) with *reason*."""
        for trial in trials:
            self.heartbeat.discard(trial.id)
            with contextlib.suppress(TrialStateError):
                self.study.tell(trial, state=TrialState.FAILED, error=reason)


def interrupted(exc: BaseException) -> str:
    """The reason stored for trials that were running when the loop stopped with *exc*."""
    if isinstance(exc, (KeyboardInterrupt, SystemExit)):
        return f"interrupted ({type(exc).__name__}) while running"
    return f"cancelled: optimize() stopped with {type(exc).__name__} while it ran"


def keyword_values(trial: Trial, keywords: tuple[str, ...]) -> dict[str, Any]:
    """The keyword arguments the objective asked for, taken from *trial*."""
    return {name: trial if name == "trial" else getattr(trial, name) for name in keywords}


def run_loop(
    study: Study,
    objective: Callable[..., Any],
    *,
    n_trials: int | None,
    total_trials: int | None,
    timeout: float | None,
    trial_timeout: float | None,
    max_consecutive_failures: int | None,
    show_progress: bool,
    callbacks: Sequence[Callable[[Study, Trial], None]],
    n_workers: int | None = None,
    executor: Any = None,
    isolation: str | None = None,
    memory_limit: int | float | str | None = None,
    heartbeat_interval: float = DEFAULT_INTERVAL,
) -> None:
    """Run the optimization loop of :meth:`Study.optimize` (see there)."""
    if not callable(objective):
        raise OptimizerError(f"objective must be callable, got {type(objective).__name__}")
    _check_limits(n_trials, total_trials, timeout, trial_timeout, heartbeat_interval)
    memory = parse_memory(memory_limit)
    isolated = _check_execution(n_workers, isolation, memory)
    sequential = executor is None and (n_workers or 1) == 1 and not isolated
    if sequential and trial_timeout is not None and not can_time_limit():
        raise OptimizerError(
            "trial_timeout needs the main thread of a POSIX process; call optimize() there, "
            "or pass isolation='process'"
        )
    study.fail_abandoned()
    budget = n_trials
    if total_trials is not None:
        done = sum(1 for t in study.get_trials() if t.state.is_finished)
        remaining = max(total_trials - done, 0)
        budget = remaining if budget is None else min(budget, remaining)
    if budget is None and timeout is None:
        raise OptimizerError("give n_trials, total_trials or timeout, or the loop never ends")
    keywords = _keyword_args(objective)
    deadline = math.inf if timeout is None else time.monotonic() + timeout
    progress = _Progress(study, budget, show_progress)
    heartbeat = Heartbeat(study.storage.heartbeat, interval=heartbeat_interval,
                          reap=study.fail_abandoned)
    loop = _Loop(study, budget=budget, deadline=deadline, max_trials=total_trials,
                 progress=progress, callbacks=callbacks,
                 max_consecutive_failures=max_consecutive_failures, heartbeat=heartbeat)
    try:
        with heartbeat:
            if sequential:
                while (trial := loop.start()) is not None:
                    try:
                        outcome = run_in_process(objective, trial.config,
                                                 keyword_values(trial, keywords), trial_timeout)
                    except BaseException as exc:  # KeyboardInterrupt, SystemExit
                        loop.abandon([trial], interrupted(exc))
                        raise
                    loop.finish(trial, outcome)
            else:
                from hyperpilot.study._parallel import run_async

                run_async(loop, objective, keywords=keywords, trial_timeout=trial_timeout,
                          n_workers=n_workers, executor=executor, isolated=isolated,
                          memory=memory)
        study.fail_abandoned()  # leave no trial of a dead worker behind
    finally:
        progress.close()
