"""The fidelity of a multi-fidelity study: what a budget is and which budgets are allowed.

A study may declare one fidelity (epochs, boosting rounds, a data fraction...) with a
range ``[min, max]``. Every trial of such a study has a budget in that range; the objective
receives it (``def objective(config, budget)`` or ``trial.budget``). The fidelity is not a
hyperparameter: optimizers choose the budget, the space holds what is tuned.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hyperpilot.exceptions import BudgetError, SpaceError


def _number(value: Any, what: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SpaceError(f"fidelity {name!r}: {what} must be a finite number, got {value!r}")
    return value


@dataclass(frozen=True)
class Fidelity:
    """A budget dimension: ``Fidelity("epochs", 1, 81, log=True)``.

    Args:
        name: what the budget is (shown in messages, tables and the dashboard).
        min: the smallest budget a trial may have (> 0).
        max: the full budget; the incumbent is judged at the highest budget reached.
        log: whether the budget's natural scale is logarithmic (epochs, rounds). Models
            and plots use it; successive halving spaces its rungs geometrically either way.

    When both bounds are integers the budgets are integers too: the objective receives
    ``3``, not ``3.0``, and successive halving rounds its rungs.

    """

    name: str
    min: float
    max: float
    log: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise SpaceError(f"fidelity name must be a non-empty string, got {self.name!r}")
        low = _number(self.min, "min", self.name)
        high = _number(self.max, "max", self.name)
        if low >= high:
            raise SpaceError(
                f"fidelity {self.name!r}: min must be below max, got min={low!r}, max={high!r}"
            )
        if low <= 0:
            raise SpaceError(f"fidelity {self.name!r}: min must be > 0 (a budget is an amount "
                             f"of training), got min={low!r}")

    @property
    def integer(self) -> bool:
        """Whether budgets are whole numbers (both bounds were given as integers)."""
        return isinstance(self.min, int) and isinstance(self.max, int)

    def cast(self, budget: float) -> float:
        """*budget* as the objective receives it: an ``int`` for an integer fidelity."""
        return round(budget) if self.integer else float(budget)

    def check(self, budget: Any, *, what: str = "budget") -> float:
        """Return *budget* (cast) if it lies in ``[min, max]``.

        Raises:
            BudgetError: naming the fidelity, its range and what was given.

        """
        if (isinstance(budget, bool) or not isinstance(budget, (int, float))
                or not math.isfinite(budget)):
            raise BudgetError(f"{what} for fidelity {self.name!r} must be a finite number, "
                              f"got {budget!r}")
        tolerance = 1e-9 * max(1.0, abs(self.max))
        if not self.min - tolerance <= budget <= self.max + tolerance:
            raise BudgetError(f"{what} {budget!r} lies outside fidelity {self.name!r}'s range "
                              f"[{self.min}, {self.max}]")
        return self.cast(min(max(budget, self.min), self.max))

    def to_json(self) -> dict[str, Any]:
        """The JSON form a study's specification keeps."""
        return {"name": self.name, "min": self.min, "max": self.max, "log": self.log}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fidelity:
        """Read :meth:`to_json`'s form back."""
        return cls(str(data["name"]), data["min"], data["max"], log=bool(data.get("log", False)))
