"""Objectives and constraints of a study, and turning an objective's return into a result."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from hyperpilot.exceptions import (
    InvalidResultError,
    ObjectiveSpecError,
    ResultShapeError,
    ResultTypeError,
)

Direction = Literal["minimize", "maximize"]
_DIRECTIONS = ("minimize", "maximize")
_SPELLINGS: dict[str, Direction] = {
    "minimize": "minimize", "min": "minimize", "maximize": "maximize", "max": "maximize",
}


def parse_direction(text: Any, *, what: str = "direction") -> Direction:
    """Read a direction: ``minimize`` / ``maximize`` (or ``min`` / ``max``), any case.

    Raises:
        ObjectiveSpecError: naming *what* and, for a near miss, the direction meant.

    """
    if isinstance(text, str):
        key = text.strip().lower()
        if key in _SPELLINGS:
            return _SPELLINGS[key]
        close = difflib.get_close_matches(key, list(_SPELLINGS), n=1, cutoff=0.6)
        if not close and len(key) >= 3:
            # "maximise", "Maximum", "minimal": a prefix of a direction is meant as it.
            close = [d for d in _DIRECTIONS if d[:3] == key[:3]]
        if close:
            hint = f"; did you mean {_SPELLINGS[close[0]]!r}?"
        elif what == "objectives":
            hint = f"; to name the objective, pass a mapping such as {{{text!r}: 'minimize'}}"
        else:
            hint = " (or 'min' / 'max')"
        raise ObjectiveSpecError(
            f"{what} must be 'minimize' or 'maximize', got {text!r}{hint}"
        )
    raise ObjectiveSpecError(
        f"{what} must be 'minimize' or 'maximize', got {type(text).__name__} {text!r}"
    )


@dataclass(frozen=True)
class Objective:
    """One quantity to optimize: its name and whether lower or higher is better."""

    name: str = "value"
    direction: Direction = "minimize"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ObjectiveSpecError(
                f"objective names must be non-empty strings, got {self.name!r}"
            )
        direction = parse_direction(self.direction,
                                    what=f"objective {self.name!r}: direction")
        object.__setattr__(self, "direction", direction)  # "max" is stored as "maximize"

    @property
    def sign(self) -> float:
        """+1 for minimize, -1 for maximize: ``sign * value`` is always to be minimized."""
        return 1.0 if self.direction == "minimize" else -1.0


@dataclass(frozen=True)
class Constraint:
    """A measured quantity that must stay at or below ``upper`` for a trial to be feasible."""

    name: str
    upper: float

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ObjectiveSpecError(
                f"constraint names must be non-empty strings, got {self.name!r}"
            )
        if not _is_real(self.upper):
            raise ObjectiveSpecError(
                f"constraint {self.name!r}: upper bound must be a finite number, got {self.upper!r}"
            )


def _is_real(value: Any) -> bool:
    return (
        isinstance(value, (int, float, np.integer, np.floating))
        and not isinstance(value, (bool, np.bool_))
        and math.isfinite(float(value))
    )


def parse_objectives(spec: Any) -> tuple[Objective, ...]:
    """Normalize the ``objectives`` argument of ``create_study``.

    Accepts a direction (one objective named ``value``), a mapping of names to directions,
    a sequence of :class:`Objective`, or a sequence of names (all minimized). Directions are
    ``"minimize"`` / ``"maximize"`` or ``"min"`` / ``"max"``, in any case; a single string
    that is not one of them is refused (it used to be taken for an objective's name, which
    silently minimized a ``"Maximize"``).
    """
    if isinstance(spec, str):
        return (Objective("value", parse_direction(spec, what="objectives")),)
    if isinstance(spec, Objective):
        return (spec,)
    if isinstance(spec, Mapping):
        items = [Objective(str(k), v) for k, v in spec.items()]
    elif isinstance(spec, Sequence):
        items = [o if isinstance(o, Objective) else Objective(str(o)) for o in spec]
    else:
        raise ObjectiveSpecError(
            "objectives must be 'minimize', 'maximize', a mapping of names to directions or "
            f"a list of names; got {spec!r}"
        )
    if not items:
        raise ObjectiveSpecError("a study needs at least one objective, got none")
    names = [o.name for o in items]
    if len(set(names)) != len(names):
        raise ObjectiveSpecError(f"objective names repeat: {names}")
    return tuple(items)


def parse_constraints(spec: Mapping[str, float] | Sequence[Constraint] | None) -> tuple[
    Constraint, ...
]:
    """Normalize ``constraints``: a mapping of names to upper bounds, or Constraint objects."""
    if spec is None:
        return ()
    if isinstance(spec, Mapping):
        return tuple(Constraint(str(k), float(v) if _is_real(v) else v) for k, v in spec.items())
    items = tuple(spec)
    for item in items:
        if not isinstance(item, Constraint):
            raise ObjectiveSpecError(
                "constraints must be a mapping of names to upper bounds or a list of "
                f"Constraint, got {type(item).__name__} {item!r}"
            )
    names = [c.name for c in items]
    if len(set(names)) != len(names):
        raise ObjectiveSpecError(f"constraint names repeat: {names}")
    return items


@dataclass(frozen=True)
class Result:
    """What an objective may return instead of a number or a mapping.

    ``values`` maps objective names to values (or is a single number), ``constraints``
    maps constraint names to measured values, ``meta`` is stored with the trial.
    """

    values: float | Mapping[str, float]
    constraints: Mapping[str, float] | None = None
    meta: Mapping[str, Any] | None = None


def _number(name: str, value: Any) -> float:
    if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(
        value, (bool, np.bool_)
    ):
        if isinstance(value, np.ndarray) and value.size == 1:
            return _number(name, value.item())
        raise ResultTypeError(
            f"{name}: expected a number, got {type(value).__name__} {value!r:.80}"
        )
    number = float(value)
    if not math.isfinite(number):
        raise InvalidResultError(f"{name}: expected a finite number, got {number!r}")
    return number


def normalize_result(
    result: Any, objectives: Sequence[Objective], constraints: Sequence[Constraint]
) -> tuple[dict[str, float], dict[str, float] | None, dict[str, Any]]:
    """Split what an objective returned into objective values, constraint values and meta.

    Raises:
        ResultShapeError: naming a missing or unknown key, or a number where a mapping of
            several objectives is needed.
        ResultTypeError: naming a value that is not a number.
        InvalidResultError: naming a value that is not finite.

    """
    meta: dict[str, Any] = {}
    raw_constraints: Mapping[str, Any] | None = None
    if isinstance(result, Result):
        raw_constraints = result.constraints
        meta = dict(result.meta or {})
        result = result.values
    names = [o.name for o in objectives]
    cnames = [c.name for c in constraints]
    if isinstance(result, Mapping):
        unknown = [k for k in result if k not in names and k not in cnames]
        if unknown:
            raise ResultShapeError(
                f"result has unknown key {unknown[0]!r}; objectives: {names}, constraints: {cnames}"
            )
        missing = [n for n in names if n not in result]
        if missing:
            raise ResultShapeError(
                f"result lacks objective {missing[0]!r}; got keys {list(result)}"
            )
        values = {n: _number(f"objective {n!r}", result[n]) for n in names}
        found = {k: result[k] for k in cnames if k in result}
        if found:
            raw_constraints = {**(raw_constraints or {}), **found}
    else:
        if len(names) != 1:
            raise ResultShapeError(
                f"the study has {len(names)} objectives {names}; return a mapping of them, "
                f"got {type(result).__name__} {result!r:.80}"
            )
        values = {names[0]: _number(f"objective {names[0]!r}", result)}
    constraint_values: dict[str, float] | None = None
    if constraints:
        given = dict(raw_constraints or {})
        missing = [c for c in cnames if c not in given]
        if missing:
            raise ResultShapeError(f"result lacks constraint {missing[0]!r}")
        constraint_values = {c: _number(f"constraint {c!r}", given[c]) for c in cnames}
    return values, constraint_values, meta
