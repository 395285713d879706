"""The trial record: one evaluation of one configuration, and its states."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any

USER_ATTRS = "user_attrs"
"""The key of ``Trial.meta`` under which an objective's own attributes are stored."""


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


@dataclass(slots=True)
class Trial:
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
