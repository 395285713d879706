"""The in-process optimization loop: ask, evaluate, tell, show progress."""

from __future__ import annotations

import inspect
import math
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hyperpilot.exceptions import (
    OptimizerError,
    TooManyFailuresError,
    TrialTimeoutError,
)
from hyperpilot.execution._limits import can_time_limit, time_limit
from hyperpilot.trial._trial import Trial, TrialState

if TYPE_CHECKING:
    from hyperpilot.study._study import Study

_KEYWORDS = ("trial", "budget", "seed", "instance")


class TrialPruned(Exception):
    """Raise inside an objective to stop the trial early and record it as pruned."""


def _keyword_args(objective: Callable[..., Any]) -> tuple[str, ...]:
    try:
        params = inspect.signature(objective).parameters
    except (TypeError, ValueError):
        return ()
    return tuple(name for name in _KEYWORDS if name in params)


def _check_limits(n_trials: int | None, total_trials: int | None, timeout: float | None,
                  trial_timeout: float | None) -> None:
    for name, value in (("n_trials", n_trials), ("total_trials", total_trials)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 0):
            raise OptimizerError(f"{name} must be a non-negative integer, got {value!r}")
    for name, seconds in (("timeout", timeout), ("trial_timeout", trial_timeout)):
        if seconds is not None and not (isinstance(seconds, (int, float)) and seconds > 0):
            raise OptimizerError(f"{name} must be a positive number of seconds, got {seconds!r}")
    if trial_timeout is not None and not can_time_limit():
        raise OptimizerError(
            "trial_timeout needs the main thread of a POSIX process; call optimize() there"
        )


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
) -> None:
    """Run the optimization loop of :meth:`Study.optimize` (see there)."""
    if not callable(objective):
        raise OptimizerError(f"objective must be callable, got {type(objective).__name__}")
    _check_limits(n_trials, total_trials, timeout, trial_timeout)
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
    failures = 0
    count = 0
    try:
        while (budget is None or count < budget) and time.monotonic() < deadline:
            trial = study.ask()
            finished = _evaluate(study, objective, trial, keywords, trial_timeout)
            count += 1
            progress.update(finished)
            for callback in callbacks:
                callback(study, finished)
            failures = failures + 1 if finished.state == TrialState.FAILED else 0
            if max_consecutive_failures is not None and failures >= max_consecutive_failures:
                first_line = (finished.error or "").splitlines()[0] if finished.error else ""
                raise TooManyFailuresError(
                    f"the objective failed {failures} times in a row, so study {study.name!r} "
                    f"stopped; last error: {first_line}; finished trials are stored"
                )
    finally:
        progress.close()


def _evaluate(study: Study, objective: Callable[..., Any], trial: Trial,
              keywords: tuple[str, ...], trial_timeout: float | None) -> Trial:
    from hyperpilot.study._study import format_error

    kwargs = {name: trial if name == "trial" else getattr(trial, name) for name in keywords}
    try:
        with time_limit(trial_timeout):
            result = objective(dict(trial.config), **kwargs)
    except TrialPruned as exc:
        return study.tell(trial, state=TrialState.PRUNED, error=str(exc) or None)
    except TrialTimeoutError as exc:
        return study.tell(trial, state=TrialState.FAILED, error=str(exc))
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            study.tell(trial, state=TrialState.FAILED,
                       error=f"interrupted ({type(exc).__name__}) while running")
            raise
        return study.tell(trial, state=TrialState.FAILED, error=format_error(exc))
    # tell() fails the trial with the reason if the result is not valid.
    return study.tell(trial, result, state=TrialState.COMPLETE)
