"""Hyperparameter types: Float, Int, Categorical, Ordinal and Constant.

Each hyperparameter maps its values to the unit interval and back (the *encoding* that
samplers and surrogate models work in) and may carry a **prior**: the value the user
believes is good and a confidence in it.

Encoding. Floats map linearly (or linearly in the logarithm, ``log=True``) onto [0, 1].
Integers are widened by half a step at each end so that every integer owns an equal share
of [0, 1]. Categorical and ordinal choices own equal bins: choice ``i`` of ``k`` encodes to
``(i + 0.5) / k`` and any ``u`` in ``[i/k, (i+1)/k)`` decodes to it.

Priors. A confidence is ``"low"``, ``"medium"``, ``"high"`` (0.25, 0.5, 0.75) or a number
``c`` in (0, 1). A numeric prior is a normal distribution truncated to [0, 1] in the
encoded space, centred on the prior value, with standard deviation ``(1 - c) / 2``
(0.375, 0.25, 0.125). A categorical or ordinal prior puts probability
``1/k + c (1 - 1/k)`` on the prior choice and spreads the rest evenly over the others.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from hyperpilot.exceptions import SpaceError
from hyperpilot.space._conditions import (
    DNF,
    clauses_to_json,
    json_ready,
    parse_clauses,
    same_value,
    value_kind,
)

CONFIDENCE_LEVELS: dict[str, float] = {"low": 0.25, "medium": 0.5, "high": 0.75}

INT_LIMIT = 2**53
"""Integer bounds lie in [-INT_LIMIT, INT_LIMIT]: beyond it floats skip integers, so the
encoding could no longer give each integer its own share of [0, 1]."""


def confidence_value(confidence: str | float, name: str) -> float:
    """Return the numeric confidence in (0, 1) for a level name or number."""
    if isinstance(confidence, str):
        if confidence not in CONFIDENCE_LEVELS:
            raise SpaceError(
                f"hyperparameter {name!r}: confidence must be one of "
                f"{sorted(CONFIDENCE_LEVELS)} or a number in (0, 1), got {confidence!r}"
            )
        return CONFIDENCE_LEVELS[confidence]
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)):
        raise SpaceError(
            f"hyperparameter {name!r}: confidence must be a level name or a number, "
            f"got {type(confidence).__name__} {confidence!r}"
        )
    if not 0.0 < confidence < 1.0:
        raise SpaceError(
            f"hyperparameter {name!r}: confidence must lie in (0, 1), got {confidence!r}"
        )
    return float(confidence)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def _is_finite(value: Any) -> bool:
    """Whether the number *value* is finite as a float (integers past 1.8e308 are not)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


@dataclass(frozen=True, kw_only=True)
class Hyperparameter(ABC):
    """Common part of every hyperparameter: prior, confidence, default and condition.

    A hyperparameter knows nothing of its name; :class:`~hyperpilot.Space` binds names and
    checks each definition with :meth:`check`, so that messages can name the culprit.
    """

    prior: Any = None
    confidence: str | float = "medium"
    default: Any = None
    active_if: Any = None
    kind: ClassVar[str] = ""

    @property
    def conditions(self) -> DNF:
        """The ``active_if`` specification in disjunctive normal form."""
        return parse_clauses(self.active_if, "active_if")

    def check(self, name: str) -> None:
        """Raise :class:`SpaceError` naming *name* if this definition is invalid."""
        self._check(name)
        try:
            self.conditions  # noqa: B018 - parsing validates the specification
        except ValueError as exc:
            raise SpaceError(f"hyperparameter {name!r}: {exc}") from None
        if self.prior is not None:
            self._check_value(name, self.prior, "prior")
            confidence_value(self.confidence, name)
        if self.default is not None:
            self._check_value(name, self.default, "default")

    def _check_value(self, name: str, value: Any, what: str) -> None:
        problem = self.problem(value)
        if problem:
            raise SpaceError(f"hyperparameter {name!r}: {what} {problem}")

    @property
    def default_value(self) -> Any:
        """The default: ``default`` if given, else the prior, else the centre of the range."""
        if self.default is not None:
            return self.default
        if self.prior is not None:
            return self.prior
        return self.from_unit(0.5)

    @property
    def prior_unit(self) -> float | None:
        """The prior value in encoded space, or ``None`` without a prior."""
        return None if self.prior is None else self.to_unit(self.prior)

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready description that :func:`hyperparameter_from_json` reads."""
        out: dict[str, Any] = {"type": self.kind, **self._json_fields()}
        if self.prior is not None:
            out["prior"] = self.prior
            out["confidence"] = self.confidence
        if self.default is not None:
            out["default"] = self.default
        if self.active_if is not None:
            out["active_if"] = clauses_to_json(self.conditions)
        ready: dict[str, Any] = json_ready(out)
        return ready

    @abstractmethod
    def _check(self, name: str) -> None:
        """Validate the type-specific fields."""

    @abstractmethod
    def _json_fields(self) -> dict[str, Any]:
        """Return the type-specific fields of :meth:`to_json`."""

    @abstractmethod
    def problem(self, value: Any) -> str:
        """Return why *value* is not a valid value, or ``""`` if it is."""

    @abstractmethod
    def normalize(self, value: Any) -> Any:
        """Return *value* as the canonical Python type (int, float or the choice itself)."""

    @abstractmethod
    def to_unit(self, value: Any) -> float:
        """Encode a valid value into [0, 1]."""

    @abstractmethod
    def from_unit(self, u: float) -> Any:
        """Decode a point of [0, 1] into a value."""

    def sample_unit(self, rng: np.random.Generator, n: int, from_prior: bool) -> np.ndarray:
        """Draw *n* encoded values, uniformly or from the prior."""
        if not from_prior or self.prior is None:
            return rng.random(n)
        return self._sample_prior_unit(rng, n)

    def prior_pdf(self, u: np.ndarray) -> np.ndarray:
        """Density of the prior at encoded points *u* (1 everywhere without a prior)."""
        if self.prior is None:
            return np.ones_like(u, dtype=float)
        return self._prior_pdf(u)

    def prior_ppf(self, q: np.ndarray) -> np.ndarray:
        """Map uniform quantiles *q* to encoded values distributed as the prior.

        Without a prior this is the identity. Quasi-random designs use it to follow a prior
        while keeping their even coverage.
        """
        q = np.asarray(q, dtype=float)
        return q if self.prior is None else self._prior_ppf(q)

    @abstractmethod
    def _sample_prior_unit(self, rng: np.random.Generator, n: int) -> np.ndarray: ...

    @abstractmethod
    def _prior_ppf(self, q: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def _prior_pdf(self, u: np.ndarray) -> np.ndarray: ...


class _Numeric(Hyperparameter):
    """Float and Int: a range, optionally on a log scale, with a truncated-normal prior."""

    low: float
    high: float
    log: bool

    def _check(self, name: str) -> None:
        for attr in ("low", "high"):
            if not _is_number(getattr(self, attr)) or not _is_finite(getattr(self, attr)):
                raise SpaceError(
                    f"hyperparameter {name!r}: {attr} must be a finite number, "
                    f"got {getattr(self, attr)!r}"
                )
        if not self.low < self.high:
            raise SpaceError(
                f"hyperparameter {name!r}: low must be less than high, "
                f"got low={self.low!r}, high={self.high!r}"
            )
        if not isinstance(self.log, (bool, np.bool_)):
            raise SpaceError(
                f"hyperparameter {name!r}: log must be True or False, got {self.log!r}"
            )
        if self.log and self.low <= 0:
            raise SpaceError(
                f"hyperparameter {name!r}: a log scale needs low > 0, got low={self.low!r}"
            )
        scale = math.log if self.log else float
        width = scale(self.high) - scale(self.low)
        if not 0.0 < width < math.inf:
            problem = ("too wide (high - low overflows)" if width > 0
                       else "too narrow (low and high are the same float)")
            raise SpaceError(
                f"hyperparameter {name!r}: the range is {problem} to encode, "
                f"got low={self.low!r}, high={self.high!r}"
            )

    def _json_fields(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "log": self.log}

    def problem(self, value: Any) -> str:
        if not _is_number(value):
            return f"must be a number, got {type(value).__name__} {value!r}"
        if not _is_finite(value):
            return f"must be finite, got {value!r}"
        if not self.low <= value <= self.high:
            return f"= {value!r} is outside [{self.low!r}, {self.high!r}]"
        return ""

    @property
    def _sigma(self) -> float:
        return (1.0 - confidence_value(self.confidence, "?")) / 2.0

    def _bounds(self) -> tuple[float, float, float]:
        from scipy import special  # imported on first use: it costs a third of a second

        mu = float(self.to_unit(self.prior))
        sigma = self._sigma
        return mu, special.ndtr((0.0 - mu) / sigma), special.ndtr((1.0 - mu) / sigma)

    def _sample_prior_unit(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self._prior_ppf(rng.random(n))

    def _prior_ppf(self, q: np.ndarray) -> np.ndarray:
        from scipy import special

        mu, lo, hi = self._bounds()
        out: np.ndarray = np.clip(
            mu + self._sigma * special.ndtri(lo + q * (hi - lo)), 0.0, 1.0
        )
        return out

    def _prior_pdf(self, u: np.ndarray) -> np.ndarray:
        mu, lo, hi = self._bounds()
        sigma = self._sigma
        z = (np.asarray(u, dtype=float) - mu) / sigma
        pdf = np.exp(-0.5 * z * z) / (sigma * math.sqrt(2 * math.pi) * (hi - lo))
        return np.where((u >= 0.0) & (u <= 1.0), pdf, 0.0)


@dataclass(frozen=True)
class Float(_Numeric):
    """A real-valued hyperparameter in ``[low, high]``, linear or log scale."""

    low: float
    high: float
    log: bool = field(default=False, kw_only=True)
    kind: ClassVar[str] = "float"

    def normalize(self, value: Any) -> float:
        return float(value)

    def to_unit(self, value: Any) -> float:
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high)
            return (math.log(value) - lo) / (hi - lo)
        return (float(value) - self.low) / (self.high - self.low)

    def from_unit(self, u: float) -> float:
        u = min(max(float(u), 0.0), 1.0)
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high)
            value = math.exp(lo + u * (hi - lo))
        else:
            value = self.low + u * (self.high - self.low)
        return min(max(value, float(self.low)), float(self.high))


@dataclass(frozen=True)
class Int(_Numeric):
    """An integer in ``[low, high]`` (both included, within +-2**53), linear or log scale."""

    low: int
    high: int
    log: bool = field(default=False, kw_only=True)
    kind: ClassVar[str] = "int"

    def _check(self, name: str) -> None:
        for attr in ("low", "high"):
            value = getattr(self, attr)
            if not _is_number(value) or not _is_finite(value) or int(value) != value:
                raise SpaceError(
                    f"hyperparameter {name!r}: {attr} must be an integer, got {value!r}"
                )
            if abs(value) > INT_LIMIT:
                raise SpaceError(
                    f"hyperparameter {name!r}: {attr} must lie within +-2**53, got {value!r}"
                )
        super()._check(name)

    def problem(self, value: Any) -> str:
        issue = super().problem(value)
        if issue:
            return issue
        if int(value) != value:
            return f"must be an integer, got {value!r}"
        return ""

    def normalize(self, value: Any) -> int:
        return int(value)

    def _edges(self) -> tuple[float, float]:
        if self.log:
            return math.log(self.low - 0.5 if self.low > 0.5 else self.low * 0.5), math.log(
                self.high + 0.5
            )
        return self.low - 0.5, self.high + 0.5

    def to_unit(self, value: Any) -> float:
        lo, hi = self._edges()
        x = math.log(value) if self.log else float(value)
        return (x - lo) / (hi - lo)

    def from_unit(self, u: float) -> int:
        lo, hi = self._edges()
        x = lo + min(max(float(u), 0.0), 1.0) * (hi - lo)
        value = round(math.exp(x)) if self.log else round(x)
        return int(min(max(value, self.low), self.high))


class _Choice(Hyperparameter):
    """Categorical and Ordinal: a finite list of choices, each owning an equal bin of [0, 1]."""

    choices: Sequence[Any]

    def _check(self, name: str) -> None:
        if len(self.choices) == 0:
            raise SpaceError(f"hyperparameter {name!r}: needs at least one choice, got none")
        for choice in self.choices:
            if choice is not None and not isinstance(choice, (str, int, float, bool)):
                raise SpaceError(
                    f"hyperparameter {name!r}: choices must be str, int, float, bool or None, "
                    f"got {type(choice).__name__} {choice!r}"
                )
            if isinstance(choice, float) and not math.isfinite(choice):
                raise SpaceError(
                    f"hyperparameter {name!r}: a numeric choice must be finite, got {choice!r}"
                )
        # Values that match each other (1 and 1.0, 0 and -0.0) count as repeats.
        keys = [(value_kind(c), c) for c in self.choices]
        if len(set(keys)) != len(keys):
            raise SpaceError(f"hyperparameter {name!r}: choices repeat a value: {self.choices!r}")

    def index(self, value: Any) -> int:
        """Return the position of *value* among the choices.

        Kinds must agree: ``1`` does not match ``True`` nor ``"1"``; numpy scalars match
        their Python counterparts.
        """
        for i, choice in enumerate(self.choices):
            if same_value(choice, value):
                return i
        raise ValueError(value)

    @property
    def default_value(self) -> Any:
        """The default: ``default`` if given, else the prior, else the first choice."""
        if self.default is not None:
            return self.default
        return self.prior if self.prior is not None else self.choices[0]

    def problem(self, value: Any) -> str:
        try:
            self.index(value)
        except ValueError:
            return f"= {value!r} is not one of {list(self.choices)!r}"
        return ""

    def normalize(self, value: Any) -> Any:
        return self.choices[self.index(value)]

    def to_unit(self, value: Any) -> float:
        return (self.index(value) + 0.5) / len(self.choices)

    def from_unit(self, u: float) -> Any:
        k = len(self.choices)
        return self.choices[min(int(float(u) * k), k - 1) if u > 0 else 0]

    @property
    def _prior_mass(self) -> float:
        k = len(self.choices)
        return 1.0 / k + confidence_value(self.confidence, "?") * (1.0 - 1.0 / k)

    def _prior_masses(self) -> np.ndarray:
        k = len(self.choices)
        p = np.full(k, (1.0 - self._prior_mass) / max(k - 1, 1))
        p[self.index(self.prior)] = self._prior_mass
        out: np.ndarray = p / p.sum()
        return out

    def _sample_prior_unit(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self._prior_ppf(rng.random(n))

    def _prior_ppf(self, q: np.ndarray) -> np.ndarray:
        k = len(self.choices)
        cdf = np.cumsum(self._prior_masses())
        idx = np.minimum(np.searchsorted(cdf, q, side="right"), k - 1)
        return (idx + 0.5) / k

    def _prior_pdf(self, u: np.ndarray) -> np.ndarray:
        k = len(self.choices)
        idx = np.minimum((np.asarray(u, dtype=float) * k).astype(int), k - 1)
        other = (1.0 - self._prior_mass) / max(k - 1, 1)
        return np.where(idx == self.index(self.prior), self._prior_mass, other) * k


def _as_tuple(values: Any, what: str) -> tuple[Any, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, set, frozenset)):
        raise SpaceError(f"{what} needs a list of values, got {values!r}")
    return tuple(values)


@dataclass(frozen=True)
class Categorical(_Choice):
    """An unordered choice among values (str, int, float, bool or None)."""

    choices: Sequence[Any]
    kind: ClassVar[str] = "categorical"

    def __post_init__(self) -> None:
        object.__setattr__(self, "choices", _as_tuple(self.choices, "Categorical"))

    def _json_fields(self) -> dict[str, Any]:
        return {"choices": list(self.choices)}


@dataclass(frozen=True)
class Ordinal(_Choice):
    """An ordered choice: neighbours in ``sequence`` are treated as similar."""

    sequence: Sequence[Any]
    kind: ClassVar[str] = "ordinal"

    def __post_init__(self) -> None:
        object.__setattr__(self, "sequence", _as_tuple(self.sequence, "Ordinal"))

    @property
    def choices(self) -> Sequence[Any]:  # type: ignore[override]
        """The values in their order."""
        return self.sequence

    def _json_fields(self) -> dict[str, Any]:
        return {"sequence": list(self.choices)}


@dataclass(frozen=True)
class Constant(_Choice):
    """A fixed value, part of every configuration where it is active."""

    value: Any
    kind: ClassVar[str] = "constant"

    @property
    def choices(self) -> Sequence[Any]:  # type: ignore[override]
        """The single choice."""
        return (self.value,)

    def _check(self, name: str) -> None:
        if self.prior is not None or self.default is not None:
            raise SpaceError(f"hyperparameter {name!r}: a Constant takes no prior or default")
        super()._check(name)

    def _json_fields(self) -> dict[str, Any]:
        return {"value": self.value}


_TYPES: dict[str, type[Hyperparameter]] = {
    cls.kind: cls for cls in (Float, Int, Categorical, Ordinal, Constant)
}


def hyperparameter_from_json(name: str, data: Any) -> Hyperparameter:
    """Build a hyperparameter from the description that :meth:`Hyperparameter.to_json` wrote."""
    if not isinstance(data, dict) or "type" not in data:
        raise SpaceError(f"hyperparameter {name!r}: expected a mapping with a 'type', got {data!r}")
    data = dict(data)
    kind = data.pop("type")
    if not isinstance(kind, str) or kind not in _TYPES:
        raise SpaceError(
            f"hyperparameter {name!r}: unknown type {kind!r}; expected one of {sorted(_TYPES)}"
        )
    cls = _TYPES[kind]
    positional = {"float": ("low", "high"), "int": ("low", "high"), "categorical": ("choices",),
                  "ordinal": ("sequence",), "constant": ("value",)}[kind]
    try:
        args = [data.pop(key) for key in positional]
        return cls(*args, **data)
    except KeyError as exc:
        raise SpaceError(f"hyperparameter {name!r}: type {kind!r} needs the field {exc}") from None
    except SpaceError as exc:  # raised by a constructor, which does not know the name
        raise SpaceError(f"hyperparameter {name!r}: {exc}") from None
    except TypeError as exc:
        raise SpaceError(f"hyperparameter {name!r}: {exc}") from None
