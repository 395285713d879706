"""The trial record: one evaluation of one configuration, its states and learning curve."""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import numbers
import time
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias

from hyperpilot.exceptions import IntermediateValueError, TrialStateError

USER_ATTRS = "user_attrs"
"""The key of ``Trial.meta`` under which an objective's own attributes are stored."""

Step: TypeAlias = int | float
"""A step of a learning curve: an epoch, an iteration, a fraction of the data..."""

_MAX_STEP = 2**53  # beyond it, a 64-bit float (how storages keep steps) skips integers


def check_point(step: object, value: object) -> tuple[Step, float]:
    """A point of a learning curve as it is stored: ``(step, value)``.

    A step is a finite number, kept as an ``int`` when it is a whole number (``2.0`` is
    step ``2``) and as a ``float`` otherwise, at most 2**53 in magnitude (storages keep
    steps as 64-bit floats); a value is a finite number, kept as a ``float``. NumPy
    numbers are accepted.

    Raises:
        IntermediateValueError: naming what was expected and what was got.

    """
    if not isinstance(step, numbers.Real) or isinstance(step, bool) or not math.isfinite(
            float(step)):
        raise IntermediateValueError(
            f"a learning-curve step must be a finite number (int or float), got "
            f"{type(step).__name__} {step!r:.40}")
    number = float(step)
    if abs(number) > _MAX_STEP:
        raise IntermediateValueError(
            f"a learning-curve step must be at most 2**53 in magnitude, got {step!r:.40}")
    kept: Step = int(number) if number.is_integer() else number
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(
            float(value)):
        raise IntermediateValueError(
            f"the value at step {kept} must be a finite number, got {type(value).__name__} "
            f"{value!r:.40}")
    return kept, float(value)


class Reporter(Protocol):
    """Where a running trial's learning curve goes; the study or engine running it sets it.

    hyperpilot's reporters are in :mod:`hyperpilot.study._report` and
    :mod:`hyperpilot.execution._child`; their docstrings say where each value goes.
    """

    travels: bool
    """Whether it goes with the trial when the trial is pickled (to a pool or Dask worker);
    a reporter holding a connection or a lock does not, and the copy has none."""

    def report(self, trial: Trial, step: Step, value: float, at: float) -> None:
        """Deliver one checked point, reported at Unix time *at*; raise if refused."""

    def should_stop(self, trial: Trial) -> bool:
        """The optimizer's pruning rule on *trial* and its curve so far."""

    def curve(self, trial: Trial) -> dict[Step, float]:
        """*trial*'s learning curve as stored, steps in the order reported."""

    def drain(self) -> list[tuple[Step, float, float]]:
        """Points kept back to travel with the trial's result, handed over once; no more come."""


class TrialState(str, enum.Enum):
    """Where a trial is in its life.

    ``pending`` trials wait in the queue (enqueued by a user), ``running`` ones are being
    evaluated, and the other three are final: a finished trial never changes again.
    """

    PENDING = "pending"
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    PRUNED = "pruned"

    @property
    def is_finished(self) -> bool:
        """Whether the state is final."""
        return self in _FINISHED

    def __str__(self) -> str:
        return self.value


_FINISHED = frozenset({TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED})
FINISHED_STATES: frozenset[TrialState] = _FINISHED


class _Curve:
    """The slots of a trial that are not part of its record.

    Not dataclass fields, so not compared, shown or turned into a dict: the curve as the
    object knows it (unset or ``None``: ask the reporter) and where its reports go.
    """

    __slots__ = ("_curve", "_reporter")

    _curve: dict[Step, float] | None
    _reporter: Reporter | None

    def _keep(self, curve: dict[Step, float] | None, reporter: Reporter | None) -> None:
        self._curve = curve
        self._reporter = reporter


@dataclass(slots=True)
class Trial(_Curve):
    """One evaluation of a configuration.

    Attributes:
        id: unique within the storage.
        number: 0, 1, 2, ... within its study, in the order trials were created.
        study_id: the storage id of the study.
        config: the active hyperparameters and their values.
        state: see :class:`TrialState`.
        budget: the fidelity it was evaluated at (epochs, data fraction...), if any.
        seed: the seed handed to the objective, if any.
        instance: the problem instance (algorithm configuration), if any.
        values: objective name to value, once complete.
        constraints: constraint name to measured value, once complete.
        error: why it failed, if it failed.
        worker: ``host:pid`` of the process that ran it.
        created_at, started_at, finished_at: Unix times in seconds.
        meta: free-form JSON-ready data (e.g. who enqueued it and why).
        heartbeat_at: when the process running it last said it is alive (Unix time), for
            trials run by a loop that sends heartbeats; ``None`` otherwise.

    Its learning curve is not a field: :meth:`report` adds to it while the trial runs and
    :attr:`intermediate` reads it (from the storage, for a trial read through a study).

    """

    id: int
    number: int
    study_id: int
    config: dict[str, Any]
    state: TrialState = TrialState.RUNNING
    budget: float | None = None
    seed: int | None = None
    instance: str | None = None
    values: dict[str, float] | None = None
    constraints: dict[str, float] | None = None
    error: str | None = None
    worker: str | None = None
    created_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    heartbeat_at: float | None = None

    @property
    def value(self) -> float | None:
        """The objective value of a single-objective trial (``None`` until complete)."""
        if not self.values:
            return None
        if len(self.values) != 1:
            raise ValueError(
                f"trial {self.number} has {len(self.values)} objectives; read trial.values"
            )
        return next(iter(self.values.values()))

    @property
    def user_attrs(self) -> dict[str, Any]:
        """What the objective recorded with :meth:`set_user_attr` (a copy)."""
        attrs = self.meta.get(USER_ATTRS)
        return dict(attrs) if isinstance(attrs, dict) else {}

    def set_user_attr(self, key: str, value: Any) -> None:
        """Record *value* under *key* with this trial (stored in ``meta["user_attrs"]``).

        Call it from an objective that takes a ``trial`` argument, wherever the trial runs
        (in the loop, in worker processes, on Dask, isolated): the attributes are stored
        when the trial finishes, whether it completes, fails or is pruned.

        Raises:
            TypeError: when *key* is not a string or *value* cannot be stored as JSON.

        """
        if not isinstance(key, str):
            raise TypeError(f"set_user_attr: key must be a string, got {type(key).__name__} "
                            f"{key!r}")
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"set_user_attr({key!r}, ...): the value must be JSON-ready "
                            f"(numbers, strings, lists, dicts), got {type(value).__name__}: "
                            f"{exc}") from None
        attrs = self.meta.get(USER_ATTRS)
        if not isinstance(attrs, dict):
            attrs = self.meta[USER_ATTRS] = {}
        attrs[key] = value

    @property
    def duration(self) -> float | None:
        """Seconds from start to finish, once finished."""
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    def report(self, step: Step, value: float) -> None:
        """Add *value* at *step* to this trial's learning curve, while it runs.

        Call it from an objective that takes a ``trial`` argument (or on a trial from
        :meth:`~hyperpilot.Study.ask`), wherever the trial runs: in the loop, in pool or
        Dask workers, or isolated; ``docs/architecture.md`` ("Intermediate values") says
        when each value reaches the storage. Steps must increase: each step is reported
        once. Whole-number steps are kept as ``int`` (``2.0`` is step ``2``).

        Raises:
            IntermediateValueError: when *step* or *value* is not a finite number, or
                *step* is not after the last step reported; nothing is stored then, and
                the values reported before are kept.
            TrialStateError: when the trial is not running (finished, or pending), or
                not attached to a study.

        """
        step, value = check_point(step, value)
        if self.state != TrialState.RUNNING:
            raise TrialStateError(f"trial {self.number} is {self.state.value}; report() "
                                  "needs a running trial")
        reporter = getattr(self, "_reporter", None)
        if reporter is None:
            raise TrialStateError(
                f"trial {self.number} is not attached to a study; report() works on the "
                "trial that optimize() passes to the objective or that study.ask() returns")
        curve = getattr(self, "_curve", None)
        if curve is None:
            curve = reporter.curve(self)
            self._keep(curve, reporter)
        if curve:
            last = next(reversed(curve))
            if step <= last:
                said = "was already reported" if step in curve else (
                    f"comes before step {last}, the last one reported")
                raise IntermediateValueError(
                    f"trial {self.number}: step {step} {said}; steps must increase")
        reporter.report(self, step, value, time.time())
        curve[step] = value

    def should_stop(self) -> bool:
        """Whether the optimizer's pruning rule says to stop this trial now.

        Ask it after :meth:`report`; when it says True, raise
        :class:`~hyperpilot.TrialPruned` to end the trial as pruned (its curve is kept).
        The rule is :meth:`hyperpilot.Optimizer.should_prune`, which never prunes unless
        the optimizer has a pruning rule. False for a trial that is not running or not
        attached to a study.
        """
        reporter = getattr(self, "_reporter", None)
        if reporter is None or self.state != TrialState.RUNNING:
            return False
        return bool(reporter.should_stop(self))

    @property
    def intermediate(self) -> dict[Step, float]:
        """The learning curve: step -> value, steps in the order reported (a copy).

        Inside the objective, the values this trial reported; on a trial read through a
        study (``study.trials``, ``study.best_trial``...), what the storage holds, read
        when asked (once, for a finished trial). Empty for a trial not attached to a study.
        """
        curve = getattr(self, "_curve", None)
        reporter = getattr(self, "_reporter", None)
        if curve is None and reporter is not None:
            curve = reporter.curve(self)
            if self.state.is_finished:
                self._keep(curve, reporter)  # finished trials never change
        return dict(curve or {})

    def __getstate__(self) -> dict[str, Any]:
        state = {name: getattr(self, name) for name in _FIELDS}
        state["_curve"] = getattr(self, "_curve", None)
        reporter = getattr(self, "_reporter", None)
        if getattr(reporter, "travels", False):
            state["_reporter"] = reporter
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name in _FIELDS:
            setattr(self, name, state[name])
        self._keep(state.get("_curve"), state.get("_reporter"))


_FIELDS = tuple(f.name for f in dataclasses.fields(Trial))


def bind_reporter(trial: Trial, reporter: Reporter | None, *, fresh: bool = False) -> Trial:
    """Send *trial*'s reports through *reporter*; return *trial*.

    The study does this for the trials it hands out, the engines for the copies they send
    to other processes. *fresh*: the trial is known to have no values yet (it was just
    started), so its first report needs no read of the stored curve.
    """
    trial._keep({} if fresh else getattr(trial, "_curve", None), reporter)
    return trial


def drain_reports(trial: Any) -> tuple[tuple[Step, float, float], ...]:
    """The points *trial*'s reporter kept back, as ``(step, value, time)``, handed over once.

    Reporters that deliver each value at once keep none; ``()`` for anything but a trial.
    """
    reporter = getattr(trial, "_reporter", None) if isinstance(trial, Trial) else None
    return tuple(reporter.drain()) if reporter is not None else ()
