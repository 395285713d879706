"""What a benchmark problem is: a space, objectives, an evaluation, and what is known.

Problems are plain objects with methods (no lambdas), so that they pickle into worker
processes when the runner evaluates several runs at once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from hyperpilot.space._space import Config, Space
from hyperpilot.trial._objectives import Objective


@dataclass(frozen=True)
class Fidelity:
    """The budget axis of a multi-fidelity problem (e.g. boosting rounds, epochs)."""

    name: str
    low: float
    high: float
    log: bool = False
    integer: bool = True


class Problem(ABC):
    """A benchmark problem.

    Subclasses set :attr:`family` and implement :attr:`space`, :attr:`objectives` and
    :meth:`evaluate`; the rest has defaults.

    Attributes:
        name: unique across all suites, e.g. ``"bbob-f01-d05-i01"`` or ``"ml-svm-digits"``.
        family: ``"bbob"``, ``"ml"``, ``"mf"`` or ``"mo"``.

    """

    family: ClassVar[str] = ""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    @property
    @abstractmethod
    def space(self) -> Space:
        """The search space optimizers see."""

    @property
    @abstractmethod
    def objectives(self) -> tuple[Objective, ...]:
        """What is optimized (one for most problems, several for ``mo``)."""

    @abstractmethod
    def evaluate(self, config: Config, *, budget: float | None = None,
                 seed: int = 0) -> dict[str, float]:
        """Return the objective values the optimizer sees (validation under the tuning seed).

        Args:
            config: a valid configuration of :attr:`space`.
            budget: for multi-fidelity problems, where on :attr:`fidelity` to evaluate;
                ``None`` means the full budget.
            seed: the tuning seed (cross-validation split, model seed).

        """

    def test(self, config: Config, *, seed: int) -> dict[str, float]:
        """Return the values of *config* on data no optimizer saw, under a *test* seed.

        Synthetic problems have no held-out data: the default is :meth:`evaluate` at full
        budget.
        """
        return self.evaluate(config, seed=seed)

    @property
    def optimum(self) -> dict[str, float] | None:
        """The known best objective values, if known (BBOB: exact), for regret."""
        return None

    @property
    def fidelity(self) -> Fidelity | None:
        """The budget axis of a multi-fidelity problem, else ``None``."""
        return None

    @property
    def reference_point(self) -> dict[str, float] | None:
        """For multi-objective problems: the hypervolume reference point."""
        return None

    def describe(self) -> dict[str, Any]:
        """A JSON-ready summary stored with every result."""
        return {
            "name": self.name,
            "family": self.family,
            "dimension": len(self.space),
            "objectives": [{"name": o.name, "direction": o.direction} for o in self.objectives],
            "optimum": self.optimum,
            "fidelity": None if self.fidelity is None else vars(self.fidelity),
        }
