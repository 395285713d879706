"""How a run goes: its limits, failure policy, progress, callbacks and trial execution.

:meth:`Study.optimize` and :func:`~hyperpilot.run_worker` take these settings as keyword
arguments (that is where users look for them) and hand the optimize loop one
:class:`RunSettings`, validated once here. What the engine is (``n_workers``, an
``executor``) stays apart: a worker of a shared study has no pool.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hyperpilot.exceptions import OptimizerError
from hyperpilot.execution._heartbeat import DEFAULT_INTERVAL
from hyperpilot.execution._limits import parse_memory

if TYPE_CHECKING:
    from hyperpilot.study._study import Study
    from hyperpilot.trial._trial import Trial

ISOLATION = ("none", "process")


def _count(name: str, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                              or value < 0):
        raise OptimizerError(f"{name} must be a non-negative integer, got {value!r}")


def _seconds(name: str, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                              or not value > 0):
        raise OptimizerError(f"{name} must be a positive number of seconds, got {value!r}")


@dataclass(frozen=True)
class RunSettings:
    """One run's settings, as :meth:`Study.optimize` documents each of them.

    Raises:
        OptimizerError: at construction, one line naming the first setting that is wrong.

    """

    n_trials: int | None = None
    total_trials: int | None = None
    timeout: float | None = None
    max_budget: float | None = None
    trial_timeout: float | None = None
    max_consecutive_failures: int | None = 10
    show_progress: bool = True
    callbacks: Sequence[Callable[[Study, Trial], None]] = ()
    isolation: str | None = None
    memory_limit: int | float | str | None = None
    heartbeat_interval: float = DEFAULT_INTERVAL
    memory: int | None = field(init=False, default=None)
    """:attr:`memory_limit` in bytes."""

    def __post_init__(self) -> None:
        _count("n_trials", self.n_trials)
        _count("total_trials", self.total_trials)
        _seconds("timeout", self.timeout)
        _seconds("trial_timeout", self.trial_timeout)
        if self.heartbeat_interval is None:
            raise OptimizerError("heartbeat_interval must be a positive number of seconds, "
                                 "got None")
        _seconds("heartbeat_interval", self.heartbeat_interval)
        budget = self.max_budget
        if budget is not None and (isinstance(budget, bool) or not isinstance(
                budget, (int, float)) or not budget >= 0):
            raise OptimizerError(f"max_budget must be a non-negative number, got {budget!r}")
        failures = self.max_consecutive_failures
        if failures is not None and (isinstance(failures, bool) or not isinstance(failures, int)
                                     or failures < 1):
            raise OptimizerError("max_consecutive_failures must be a positive integer or None, "
                                 f"got {failures!r}")
        if self.isolation is not None and self.isolation not in ISOLATION:
            raise OptimizerError(f"isolation must be one of {list(ISOLATION)}, "
                                 f"got {self.isolation!r}")
        memory = parse_memory(self.memory_limit)
        if memory is not None and self.isolation == "none":
            raise OptimizerError(
                "memory_limit needs isolation='process': a limit is enforced on a child process"
            )
        object.__setattr__(self, "memory", memory)
        object.__setattr__(self, "callbacks", tuple(self.callbacks))

    @property
    def isolated(self) -> bool:
        """Whether each trial runs in a fresh child process."""
        return self.isolation == "process" or self.memory is not None
