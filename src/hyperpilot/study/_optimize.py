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
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hyperpilot.exceptions import (
    InvalidResultError,
    OptimizerError,
    ResultShapeError,
    ResultTypeError,
    StudyStoppedError,
    TooManyFailuresError,
    TrialStateError,
)
from hyperpilot.execution._call import run_in_process
from hyperpilot.execution._heartbeat import Heartbeat
from hyperpilot.execution._isolation import CallOutcome
from hyperpilot.execution._limits import can_time_limit
from hyperpilot.execution._main_guard import check_main_guard
from hyperpilot.storage._base import NewIntermediate
from hyperpilot.storage._url import default_storage_url, display_url
from hyperpilot.study._failures import counts_text, error_head
from hyperpilot.trial._objectives import normalize_result
from hyperpilot.trial._trial import Trial, TrialState

if TYPE_CHECKING:
    from hyperpilot.study._settings import RunSettings
    from hyperpilot.study._study import Study

logger = logging.getLogger("hyperpilot")

_KEYWORDS = ("trial", "budget", "seed", "instance")


def _keyword_args(objective: Callable[..., Any]) -> tuple[str, ...]:
    try:
        params = inspect.signature(objective).parameters
    except (TypeError, ValueError):
        return ()
    return tuple(name for name in _KEYWORDS if name in params)


def _check_workers(n_workers: int | None) -> None:
    if n_workers is not None and (isinstance(n_workers, bool) or not isinstance(n_workers, int)
                                  or n_workers < 1):
        raise OptimizerError(f"n_workers must be a positive integer, got {n_workers!r}")


class _Progress:
    """A tqdm bar: the study's finished trials, trials per second, best value, failures.

    With *total_trials* the bar counts the whole study (a resumed run starts where the
    study stands); otherwise it counts this run's trials. The best value is the study's.
    """

    def __init__(self, study: Study, total: int | None, enabled: bool, *,
                 initial: int = 0) -> None:
        self._bar: Any = None
        self._study = study
        self._best: tuple[float, float, float] | None = None  # Study.rank_key
        self._value = 0.0
        self._failed = 0
        if len(study.objectives) == 1 and any(
                t.state == TrialState.COMPLETE for t in study.get_trials()):
            self._consider(study.best_trial)
        if enabled:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, initial=initial, unit="trial", desc=study.name,
                             file=sys.stderr, dynamic_ncols=True, mininterval=0.25)
            self._show()

    def _consider(self, trial: Trial) -> None:
        """Take *trial* as the best when it beats the best so far (as best_trial ranks)."""
        key = self._study.rank_key(trial)
        if self._best is None or key < self._best:
            values = (trial.values or {}) if self._study.instances is None else (
                self._study.configuration_mean(trial).values)  # a mean over instances
            self._best, self._value = key, values[self._study.objectives[0].name]

    def _show(self) -> None:
        parts = []
        if self._best is not None:
            parts.append(f"best={self._value:.6g}")
        if self._failed:
            parts.append(f"failed={self._failed}")
        self._bar.set_postfix_str(", ".join(parts), refresh=False)

    def update(self, trial: Trial) -> None:
        if trial.state == TrialState.FAILED:
            self._failed += 1
        elif (trial.state == TrialState.COMPLETE and trial.values
              and len(self._study.objectives) == 1):
            self._consider(trial)
        if self._bar is None:
            return
        self._show()
        self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


class _Report:
    """What one run did: logs each failure as it happens and sums the run up at the end.

    The first failure of a run is logged with the objective's traceback, later ones with
    one line that says where the traceback is kept.
    """

    def __init__(self, study: Study) -> None:
        self.study = study
        self.counts: Counter[TrialState] = Counter()
        self.errors: Counter[str] = Counter()
        self.had_complete = any(t.state == TrialState.COMPLETE for t in study.get_trials())

    def traceback_hint(self, number: int) -> str:
        if self.study.storage.persistent:
            command = f"hyperpilot studies show {self.study.name} --trial {number}"
            url = self.study.storage.url
            if url != default_storage_url():
                command += f" --storage {display_url(url)}"
            return command
        return f"study.trials[{number}].error"

    def add(self, trial: Trial) -> None:
        self.counts[trial.state] += 1
        if trial.state != TrialState.FAILED:
            return
        head = error_head(trial.error)
        first = not self.errors
        self.errors[head] += 1
        if first and trial.error and "\n" in trial.error.strip():
            detail = trial.error.strip().split("\n", 1)[1]
            logger.warning("trial %d failed: %s (later failures of this run get one line; "
                           "traceback: %s)\n%s", trial.number, head,
                           self.traceback_hint(trial.number), detail)
        else:
            logger.warning("trial %d failed: %s (traceback: %s)", trial.number, head,
                           self.traceback_hint(trial.number))

    def summary(self) -> str:
        """``study 'x': 10 trials in this run (4 complete, 6 failed; ...); ...``."""
        study = self.study
        ran = sum(self.counts.values())
        text = f"study {study.name!r}: {ran} trial{'s' if ran != 1 else ''} in this run"
        if ran:
            text += f" ({counts_text(self.counts)}"
            if self.errors:
                error, count = self.errors.most_common(1)[0]
                text += f"; most common error, {count}x: {error}"
            text += ")"
        trials = study.get_trials()
        finished = sum(1 for t in trials if t.state.is_finished)
        text += f"; {finished} finished in the study"
        if len(study.objectives) == 1:
            if any(t.state == TrialState.COMPLETE for t in trials):
                best = study.best_trial
                value = best.value if study.instances is None else study.best_value
                text += f", best {study.objectives[0].name}={value:.6g} (trial {best.number})"
            else:
                text += ", none complete"
        else:
            text += f", Pareto front of {len(study.best_trials)}"
        return text


class _Loop:
    """What every optimize loop shares: which trials start, and what follows each one."""

    def __init__(self, study: Study, *, budget: int | None, deadline: float,
                 max_trials: int | None, progress: _Progress,
                 callbacks: Sequence[Callable[[Study, Trial], None]],
                 max_consecutive_failures: int | None, heartbeat: Heartbeat,
                 report: _Report | None = None, max_budget: float | None = None) -> None:
        self.study = study
        self.max_budget = max_budget
        self.spent = 0.0
        self.report = report if report is not None else _Report(study)
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
        self.workers = 1  # trials run at once; the parallel engine sets its slots

    def start(self, *, wait: bool = True) -> Trial | None:
        """Ask for the next trial, or return ``None`` when no further trial may start.

        A paused study starts nothing until it is resumed: with *wait* this waits for the
        resume (checked every heartbeat interval, at most every second), else it returns
        ``None`` at once. A stopped study ends the loop.
        """
        if self.full or (self.budget is not None and self.started >= self.budget):
            return None
        if time.monotonic() >= self.deadline:
            return None
        if not self._may_start(wait):
            return None
        left = None if self.max_budget is None else self.max_budget - self.spent
        trial = self.study._start(heartbeat_interval=self.heartbeat.interval,
                                  max_trials=self.max_trials, max_budget=left,
                                  workers=self.workers)
        if trial is None:
            self.full = True  # other workers reached the study's total, or budget spent
            return None
        self.started += 1
        self.spent += self.study.cost(trial.budget)
        self.heartbeat.add(trial.id)
        return trial

    def _may_start(self, wait: bool) -> bool:
        """Whether a trial may start: not while stopped, nor paused (waiting with *wait*)."""
        announced = False
        while True:
            status = self.study.steering().status
            if status == "running":
                if announced:
                    logger.info("study %r resumed", self.study.name)
                return True
            if status == "stopped":
                logger.info("study %r was stopped: no new trial starts", self.study.name)
                self.full = True
                return False
            if not wait:
                return False
            if not announced:
                logger.info("study %r is paused: no new trial starts until it is resumed",
                            self.study.name)
                announced = True
            if time.monotonic() >= self.deadline:
                return False
            time.sleep(min(self.heartbeat.interval, 1.0))

    def record(self, trial: Trial, outcome: CallOutcome) -> Trial:
        """Tell *outcome*; a trial failed meanwhile by another worker is returned as stored.

        Learning-curve points the outcome carries (a worker could not store them while the
        trial ran) are stored first.
        """
        self.heartbeat.discard(trial.id)
        try:
            if outcome.intermediate:
                self.study.storage.add_intermediate(trial.id, [
                    NewIntermediate(step, value, at) for step, value, at in outcome.intermediate])
            if outcome.state == TrialState.COMPLETE:
                return self.study._finish(trial, outcome.result, state=TrialState.COMPLETE,
                                          meta=outcome.meta)
            return self.study._finish(trial, state=outcome.state, error=outcome.error,
                                      meta=outcome.meta)
        except TrialStateError:
            stored = self.study.storage.get_trial(trial.id)
            logger.warning("trial %d was finished by another worker meanwhile (%s); its "
                           "result is dropped", trial.number, stored.error or stored.state)
            return stored

    def misfit(self, outcome: CallOutcome, finished: Trial) -> InvalidResultError | None:
        """The error that stops the run when *outcome*'s result cannot fit the study.

        A missing or unknown key (or one number for several objectives) is a bug in the
        objective, not bad luck; so is a value that is not a number before any trial of
        the study has completed. Values that are not finite only fail their trial. The
        result is read again only when telling it failed the trial.
        """
        if outcome.state != TrialState.COMPLETE or finished.state != TrialState.FAILED:
            return None
        study = self.study
        try:
            normalize_result(outcome.result, study.objectives, study.constraints)
        except ResultShapeError as exc:
            return exc
        except ResultTypeError as exc:
            return None if self.report.had_complete or self.report.counts[
                TrialState.COMPLETE] else exc
        except InvalidResultError:
            return None
        return None

    def finish(self, trial: Trial, outcome: CallOutcome) -> Trial:
        """Record *outcome*, then update progress, run callbacks, apply the failure policy."""
        finished = self.record(trial, outcome)
        misfit = self.misfit(outcome, finished)
        self.report.add(finished)
        self.progress.update(finished)
        if misfit is not None:
            raise type(misfit)(
                f"study {self.study.name!r} stopped: trial {finished.number} returned "
                f"{outcome.result!r:.80}, which does not fit the study's objectives "
                f"({misfit}); fix the objective; {self.study.kept_note()}"
            )
        for callback in self.callbacks:
            callback(self.study, finished)
        self.failures = self.failures + 1 if finished.state == TrialState.FAILED else 0
        limit = self.max_consecutive_failures
        if limit is not None and self.failures >= limit:
            raise TooManyFailuresError(
                f"the objective failed {self.failures} times in a row, so study "
                f"{self.study.name!r} stopped; last error: {error_head(finished.error)}; "
                f"{self.study.kept_note()}"
            )
        return finished

    def abandon(self, trials: Sequence[Trial], reason: str) -> None:
        """Fail *trials* (still running) with *reason*."""
        for trial in trials:
            self.heartbeat.discard(trial.id)
            with contextlib.suppress(TrialStateError):
                self.study._finish(trial, state=TrialState.FAILED, error=reason)


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
    settings: RunSettings,
    *,
    n_workers: int | None = None,
    executor: Any = None,
) -> None:
    """Run the optimization loop of :meth:`Study.optimize` (see there)."""
    if not callable(objective):
        raise OptimizerError(f"objective must be callable, got {type(objective).__name__}")
    _check_workers(n_workers)
    n_trials, total_trials, timeout = settings.n_trials, settings.total_trials, settings.timeout
    trial_timeout, isolated = settings.trial_timeout, settings.isolated
    sequential = executor is None and (n_workers or 1) == 1 and not isolated
    if sequential and trial_timeout is not None and not can_time_limit():
        raise OptimizerError(
            "trial_timeout needs the main thread of a POSIX process; call optimize() there, "
            "or pass isolation='process'"
        )
    stopped = [e for e in study.events() if e.kind in ("stop", "resume")]
    if stopped and stopped[-1].kind == "stop":
        event = stopped[-1]
        by = f" by {event.author}" if event.author else ""
        raise StudyStoppedError(
            f"study {study.name!r} was stopped ({event.origin}{by}, at trial {event.at_trial}); "
            f"resume it first: study.resume(), or hyperpilot steer {study.name} resume"
        )
    study.fail_abandoned()
    budget = n_trials
    done = 0
    if total_trials is not None:
        done = sum(1 for t in study.get_trials() if t.state.is_finished)
        remaining = max(total_trials - done, 0)
        budget = remaining if budget is None else min(budget, remaining)
    if budget is None and timeout is None and settings.max_budget is None:
        logger.info("study %r: no n_trials, total_trials or timeout given, so trials run "
                    "until interrupted (Ctrl-C)", study.name)
    if not sequential and executor is None and not isolated:
        check_main_guard(n_workers or 1)
    keywords = _keyword_args(objective)
    deadline = math.inf if timeout is None else time.monotonic() + timeout
    if total_trials is not None and (n_trials is None or done + n_trials >= total_trials):
        progress = _Progress(study, max(total_trials, done), settings.show_progress,
                             initial=done)
    else:
        progress = _Progress(study, budget, settings.show_progress)
    heartbeat = Heartbeat(study.storage.heartbeat, interval=settings.heartbeat_interval,
                          reap=study.fail_abandoned)
    report = _Report(study)
    loop = _Loop(study, budget=budget, deadline=deadline, max_trials=total_trials,
                 progress=progress, callbacks=settings.callbacks,
                 max_consecutive_failures=settings.max_consecutive_failures,
                 heartbeat=heartbeat, report=report, max_budget=settings.max_budget)
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
                          memory=settings.memory)
        study.fail_abandoned()  # leave no trial of a dead worker behind
    finally:
        progress.close()
        if loop.started:
            logger.info("%s", report.summary())
