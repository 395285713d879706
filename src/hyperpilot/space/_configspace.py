"""Conversion between :class:`~hyperpilot.space.Space` and ``ConfigSpace`` (version 1.2).

Everything ConfigSpace can express is written natively, so that other tools see it:
ranges, log scales, choices, conditions (nested ``And``/``Or`` conjunctions) and forbidden
clauses. Numeric priors become ``NormalFloat``/``NormalInteger`` hyperparameters, categorical
priors become ``weights``. What ConfigSpace cannot hold exactly is kept in each
hyperparameter's ``meta["hyperpilot"]`` (declaration order, prior value and confidence,
explicit default, float bounds that ConfigSpace rounds) and, for forbidden clauses, in the
space's ``meta["hyperpilot"]``; :func:`from_configspace` prefers that record, so a round trip
is exact.

Spaces written by other tools (no record) are read from their distributions: a normal
prior sits at ``mu`` with confidence ``1 - 2 sigma`` (sigma in hyperpilot's unit space,
clipped to [0.01, 0.99]); a beta prior sits at its mode with the confidence of its standard
deviation; categorical weights give a prior on the heaviest choice with the confidence that
puts that weight on it.

ConfigSpace 1.2 keeps ``mu`` of a normal hyperparameter in value space and, on a log scale,
turns ``sigma`` into its unit space as ``|log(lower + sigma)| / (log(upper) - log(lower))``.
The conversion inverts exactly that rule; where no positive ``sigma`` reaches the wanted
width (log scale with ``lower`` above 1 and a narrow prior), the hyperparameter is written
as uniform and the prior lives in ``meta`` only.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from itertools import product
from typing import TYPE_CHECKING, Any

import numpy as np

from hyperpilot.exceptions import SpaceError, require
from hyperpilot.space._conditions import DNF, Atom, Clause, clauses_to_json
from hyperpilot.space._params import (
    CONFIDENCE_LEVELS,
    Categorical,
    Constant,
    Float,
    Hyperparameter,
    Int,
    Ordinal,
    confidence_value,
)
from hyperpilot.space._space import Space

if TYPE_CHECKING:
    from ConfigSpace import ConfigurationSpace

META_KEY = "hyperpilot"
_ROUND_PLACES = 13  # ConfigSpace rounds float bounds, mu and sigma to this many decimals
_CONDITION_OPS = {
    "EqualsCondition": "eq",
    "NotEqualsCondition": "ne",
    "GreaterThanCondition": "gt",
    "LessThanCondition": "lt",
}
_FORBIDDEN_OPS = {
    "ForbiddenEqualsClause": ("eq",),
    "ForbiddenGreaterThanClause": ("gt",),
    "ForbiddenLessThanClause": ("lt",),
    "ForbiddenGreaterThanEqualsClause": ("gt", "eq"),
    "ForbiddenLessThanEqualsClause": ("lt", "eq"),
}


# ---------------------------------------------------------------------- Space -> ConfigSpace
def to_configspace(
    space: Space, *, name: str | None = None, seed: int | None = None
) -> ConfigurationSpace:
    """Convert *space* into a ``ConfigSpace.ConfigurationSpace``.

    ConfigSpace demands that its default configuration is not forbidden; when the space's
    defaults fall into a forbidden combination, the ConfigSpace defaults are taken from one
    allowed configuration drawn with *seed* (the space's own defaults are kept in ``meta``).

    Raises:
        MissingDependencyError: when ConfigSpace is not installed.
        SpaceError: when ConfigSpace rejects a part of the space, naming it.
    """
    require("ConfigSpace", "configspace")
    import ConfigSpace as CS

    defaults = _allowed_defaults(space, seed)
    hps: dict[str, Any] = {}
    for index, (hp_name, param) in enumerate(space.hyperparameters.items()):
        try:
            hps[hp_name] = _hp_to_cs(hp_name, param, index, defaults[hp_name])
        except (ValueError, TypeError) as exc:
            raise SpaceError(f"hyperparameter {hp_name!r}: ConfigSpace rejects it: "
                             f"{_first_line(exc)}") from None
    conditions = []
    for hp_name in space:
        dnf = space.conditions(hp_name)
        if dnf:
            try:
                conditions.append(_dnf_to_cs(hps[hp_name], hps, dnf))
            except (ValueError, TypeError) as exc:
                raise SpaceError(f"hyperparameter {hp_name!r}: ConfigSpace rejects its "
                                 f"condition: {_first_line(exc)}") from None
    forbidden = []
    for clause in space.forbidden:
        try:
            native = _forbidden_to_cs(hps, space, clause)
        except (ValueError, TypeError) as exc:
            raise SpaceError(f"forbidden {clauses_to_json((clause,))}: ConfigSpace rejects "
                             f"it: {_first_line(exc)}") from None
        if native is not None:
            forbidden.append(native)
    meta = None
    if space.forbidden:
        meta = {META_KEY: {"forbidden": [clauses_to_json((c,)) for c in space.forbidden],
                           "native": sorted(str(f) for f in forbidden)}}
    cs = CS.ConfigurationSpace(name=name, seed=seed, meta=meta)
    cs.add(list(hps.values()), conditions, forbidden)
    return cs


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _allowed_defaults(space: Space, seed: int | None) -> dict[str, Any]:
    config = space.default_config()
    if space.forbidden and space.is_forbidden(config):
        config = space.sample(1, seed if seed is not None else 0)[0]
    own = {n: p.default_value for n, p in space.hyperparameters.items()}
    return {n: space[n].normalize(v) for n, v in {**own, **config}.items()}


def _hp_to_cs(name: str, param: Hyperparameter, index: int, default: Any) -> Any:
    import ConfigSpace as CS

    record: dict[str, Any] = {"index": index}
    if param.prior is not None:
        record.update(prior=param.prior, confidence=param.confidence)
    if param.default is not None:
        record["default"] = param.default
    meta = {META_KEY: record}
    if isinstance(param, Constant):
        return CS.Constant(name, param.value, meta=meta)
    if isinstance(param, Ordinal):
        return CS.OrdinalHyperparameter(name, list(param.choices), default, meta=meta)
    if isinstance(param, Categorical):
        weights = None if param.prior is None else _weights(param)
        return CS.CategoricalHyperparameter(
            name, list(param.choices), default, meta=meta, weights=weights
        )
    if not isinstance(param, (Float, Int)):
        raise TypeError(f"unknown hyperparameter type {type(param).__name__}")
    sigma = None if param.prior is None else _cs_sigma(param)
    if isinstance(param, Int):
        if sigma is None:
            return CS.UniformIntegerHyperparameter(
                name, param.low, param.high, default, log=param.log, meta=meta
            )
        return CS.NormalIntegerHyperparameter(
            name, mu=float(param.prior), sigma=sigma, lower=param.low, upper=param.high,
            default_value=default, log=param.log, meta=meta,
        )
    if any(round(float(b), _ROUND_PLACES) != b for b in (param.low, param.high)):
        record.update(low=param.low, high=param.high)
    if sigma is None:
        return CS.UniformFloatHyperparameter(
            name, param.low, param.high, default, log=param.log, meta=meta
        )
    return CS.NormalFloatHyperparameter(
        name, mu=float(param.prior), sigma=sigma, lower=param.low, upper=param.high,
        default_value=default, log=param.log, meta=meta,
    )


def _weights(param: Categorical) -> list[float]:
    k = len(param.choices)
    mass = 1.0 / k + confidence_value(param.confidence, "?") * (1.0 - 1.0 / k)
    rest = (1.0 - mass) / max(k - 1, 1)
    prior = param.index(param.prior)
    return [mass if i == prior else rest for i in range(k)]


def _x(value: float, log: bool) -> float:
    """Map a value to the axis on which ConfigSpace scales linearly (log for log scales)."""
    return math.log(value) if log else float(value)


def _width(param: Float | Int) -> float:
    """Width of hyperpilot's unit interval on the linear axis (half steps added for Int)."""
    if isinstance(param, Int):
        lo, hi = param._edges()
        return hi - lo
    return _x(param.high, param.log) - _x(param.low, param.log)


def _cs_sigma(param: Float | Int) -> float | None:
    """The ConfigSpace ``sigma`` giving the prior's width, or ``None`` if none exists."""
    unit_sigma = (1.0 - confidence_value(param.confidence, "?")) / 2.0
    axis_sigma = unit_sigma * _width(param)
    if not param.log:
        return axis_sigma
    for sigma in (math.exp(axis_sigma) - param.low, math.exp(-axis_sigma) - param.low):
        if sigma > 0 and round(sigma, _ROUND_PLACES) > 0:
            return sigma
    return None


def _dnf_to_cs(child: Any, hps: Mapping[str, Any], dnf: DNF) -> Any:
    import ConfigSpace as CS

    def atom(a: Atom) -> Any:
        parent = hps[a.name]
        if a.op == "in":
            return CS.InCondition(child, parent, list(a.value))
        cls = {"eq": CS.EqualsCondition, "ne": CS.NotEqualsCondition,
               "gt": CS.GreaterThanCondition, "lt": CS.LessThanCondition}[a.op]
        return cls(child, parent, a.value)

    clauses = [_join(CS.AndConjunction, [atom(a) for a in clause]) for clause in dnf]
    return _join(CS.OrConjunction, clauses)


def _join(cls: Any, parts: list[Any]) -> Any:
    return parts[0] if len(parts) == 1 else cls(*parts)


def _forbidden_to_cs(hps: Mapping[str, Any], space: Space, clause: Clause) -> Any:
    """Translate one forbidden clause; ``None`` when it can never hold."""
    import ConfigSpace as CS

    parts = []
    for a in clause:
        hp, param = hps[a.name], space[a.name]
        if a.op == "eq":
            parts.append(CS.ForbiddenEqualsClause(hp, a.value))
        elif a.op == "in":
            parts.append(CS.ForbiddenInClause(hp, list(a.value)))
        elif isinstance(param, Constant):  # a constant is never above, below or unlike itself
            return None
        elif a.op in ("gt", "lt"):
            cls = CS.ForbiddenGreaterThanClause if a.op == "gt" else CS.ForbiddenLessThanClause
            parts.append(cls(hp, a.value))
        elif isinstance(param, (Float, Int)):  # "ne" on a number: below or above
            parts.append(CS.ForbiddenOrConjunction(
                CS.ForbiddenLessThanClause(hp, a.value), CS.ForbiddenGreaterThanClause(hp, a.value)
            ))
        else:  # "ne" on a choice: any of the other choices
            others = [c for c in param.choices if c != a.value]
            if not others:
                return None
            parts.append(CS.ForbiddenInClause(hp, others))
    return _join(CS.ForbiddenAndConjunction, parts)


# ---------------------------------------------------------------------- ConfigSpace -> Space
def from_configspace(cs: ConfigurationSpace) -> Space:
    """Build a :class:`Space` from a ``ConfigSpace.ConfigurationSpace``.

    Reads uniform, normal and beta floats and integers, categoricals (with or without
    weights), ordinals and constants; equals, not-equals, in, greater-than and less-than
    conditions nested in ``And``/``Or`` conjunctions (turned into disjunctive normal form);
    forbidden equals, in, greater/less(-or-equal) clauses and their ``And``/``Or``
    conjunctions. The ``meta["hyperpilot"]`` records written by :func:`to_configspace` take
    precedence over what is read from the distributions.

    Raises:
        MissingDependencyError: when ConfigSpace is not installed.
        SpaceError: for a construct hyperpilot cannot represent, naming the hyperparameters.
    """
    require("ConfigSpace", "configspace")

    dnfs: dict[str, DNF] = {}
    for condition in cs.conditions:
        child = condition.child.name
        dnfs[child] = _condition_dnf(condition, child)
    params: dict[str, Hyperparameter] = {}
    positions: dict[str, tuple[float, int]] = {}
    for position, hp in enumerate(cs.values()):
        record = _record(hp.meta)
        params[hp.name] = _param_from_cs(hp, record, dnfs.get(hp.name, ()))
        index = record.get("index") if record is not None else None
        positions[hp.name] = (index if isinstance(index, int) else math.inf, position)
    ordered = {name: params[name] for name in sorted(params, key=positions.__getitem__)}
    return Space(ordered, forbidden=_forbidden_from_cs(cs))


def _py(value: Any) -> Any:
    """Turn numpy scalars (as ConfigSpace may hand out) into plain Python values."""
    return value.item() if isinstance(value, np.generic) else value


def _record(meta: Any) -> dict[str, Any] | None:
    record = meta.get(META_KEY) if isinstance(meta, Mapping) else None
    return dict(record) if isinstance(record, Mapping) else None


def _and(dnfs: list[DNF]) -> DNF:
    """Distribute a conjunction of disjunctions into one disjunction of clauses."""
    return tuple(tuple(a for clause in combo for a in clause) for combo in product(*dnfs))


def _condition_dnf(condition: Any, child: str) -> DNF:
    import ConfigSpace as CS

    kind = type(condition).__name__
    if kind in _CONDITION_OPS and isinstance(condition, CS.conditions.Condition):
        return ((Atom(condition.parent.name, _CONDITION_OPS[kind], _py(condition.value)),),)
    if type(condition) is CS.InCondition:
        values = tuple(_py(v) for v in condition.values)
        return ((Atom(condition.parent.name, "in", values),),)
    if type(condition) is CS.AndConjunction:
        return _and([_condition_dnf(c, child) for c in condition.components])
    if type(condition) is CS.OrConjunction:
        return tuple(cl for c in condition.components for cl in _condition_dnf(c, child))
    raise SpaceError(f"hyperparameter {child!r}: unsupported ConfigSpace condition {kind} "
                     f"({condition!r})")


def _forbidden_from_cs(cs: Any) -> list[Any]:
    native = list(cs.forbidden_clauses)
    record = _record(cs.meta)
    if record is not None and record.get("native") == sorted(str(f) for f in native):
        return list(record.get("forbidden", []))
    clauses = [clause for f in native for clause in _forbidden_dnf(f)]
    return [clauses_to_json((clause,)) for clause in clauses]


def _forbidden_dnf(forbidden: Any) -> DNF:
    import ConfigSpace as CS

    kind = type(forbidden).__name__
    if kind in _FORBIDDEN_OPS and isinstance(forbidden, CS.forbidden.ForbiddenClause):
        name, value = forbidden.hyperparameter.name, _py(forbidden.value)
        return tuple((Atom(name, op, value),) for op in _FORBIDDEN_OPS[kind])
    if type(forbidden) is CS.ForbiddenInClause:
        values = tuple(_py(v) for v in forbidden.values)
        return ((Atom(forbidden.hyperparameter.name, "in", values),),)
    if type(forbidden) is CS.ForbiddenAndConjunction:
        return _and([_forbidden_dnf(c) for c in forbidden.components])
    if type(forbidden) is CS.ForbiddenOrConjunction:
        return tuple(cl for c in forbidden.components for cl in _forbidden_dnf(c))
    if isinstance(forbidden, CS.forbidden.ForbiddenRelation):
        names = f"{forbidden.left.name!r} and {forbidden.right.name!r}"
    else:
        names = repr(getattr(getattr(forbidden, "hyperparameter", None), "name", "?"))
    raise SpaceError(f"forbidden clause on {names}: unsupported ConfigSpace construct {kind} "
                     f"({forbidden!r}); hyperpilot forbids values, not relations between "
                     "hyperparameters")


def _param_from_cs(hp: Any, record: dict[str, Any] | None, dnf: DNF) -> Hyperparameter:
    import ConfigSpace as CS

    active_if = clauses_to_json(dnf) if dnf else None
    if isinstance(hp, CS.Constant):
        return Constant(_py(hp.value), active_if=active_if)
    prior: Any = None
    confidence: str | float = "medium"
    base: Hyperparameter
    if isinstance(hp, CS.OrdinalHyperparameter):
        base = Ordinal(tuple(_py(v) for v in hp.sequence))
    elif isinstance(hp, CS.CategoricalHyperparameter):
        base = Categorical(tuple(_py(v) for v in hp.choices))
        prior, confidence = _weights_prior(hp.choices, hp.weights)
    elif isinstance(hp, (CS.UniformFloatHyperparameter, CS.UniformIntegerHyperparameter,
                         CS.NormalFloatHyperparameter, CS.NormalIntegerHyperparameter,
                         CS.BetaFloatHyperparameter, CS.BetaIntegerHyperparameter)):
        base, prior, confidence = _numeric_from_cs(hp, record)
    else:
        raise SpaceError(f"hyperparameter {hp.name!r}: unsupported ConfigSpace type "
                         f"{type(hp).__name__}")
    if record is not None and "prior" in record:
        prior, confidence = record["prior"], record.get("confidence", "medium")
    base = dataclasses.replace(base, prior=prior, confidence=confidence, active_if=active_if)
    if record is not None:
        default = record.get("default")
    else:
        theirs = _py(hp.default_value)
        default = None if _same(base.default_value, theirs) else theirs
    return dataclasses.replace(base, default=default)


def _same(ours: Any, theirs: Any) -> bool:
    if isinstance(ours, float) or isinstance(theirs, float):
        return math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12)
    return bool(ours == theirs)


def _confidence(unit_sigma: float) -> str | float:
    """Confidence whose prior has *unit_sigma*; a level name when one matches."""
    c = float(np.clip(1.0 - 2.0 * unit_sigma, 0.01, 0.99))
    named = [n for n, v in CONFIDENCE_LEVELS.items() if math.isclose(v, c, abs_tol=1e-9)]
    return named[0] if named else c


def _weights_prior(choices: Any, weights: Any) -> tuple[Any, str | float]:
    if weights is None or len(choices) < 2:
        return None, "medium"
    p = np.asarray(weights, dtype=float) / float(np.sum(weights))
    k, best = len(p), int(np.argmax(p))
    if np.allclose(p, 1.0 / k):
        return None, "medium"
    mass = (p[best] - 1.0 / k) / (1.0 - 1.0 / k)
    return _py(choices[best]), _confidence((1.0 - mass) / 2.0)


def _numeric_from_cs(
    hp: Any, record: dict[str, Any] | None
) -> tuple[Float | Int, Any, str | float]:
    import ConfigSpace as CS

    is_int = isinstance(hp, CS.hyperparameters.IntegerHyperparameter)
    exact = record if record is not None and "low" in record else {}
    low, high = exact.get("low", _py(hp.lower)), exact.get("high", _py(hp.upper))
    base: Float | Int = (Int(int(low), int(high), log=hp.log) if is_int
                         else Float(float(low), float(high), log=hp.log))
    axis_lo, axis_hi = _x(hp.lower, hp.log), _x(hp.upper, hp.log)
    if isinstance(hp, (CS.NormalFloatHyperparameter, CS.NormalIntegerHyperparameter)):
        axis_sigma = abs(math.log(hp.lower + hp.sigma)) if hp.log else hp.sigma
        return base, _clip(base, hp.mu), _confidence(axis_sigma / _width(base))
    if isinstance(hp, (CS.BetaFloatHyperparameter, CS.BetaIntegerHyperparameter)):
        a, b = hp.alpha, hp.beta
        if a <= 1 and b <= 1:  # uniform: no mode
            return base, None, "medium"
        mode = axis_lo + (a - 1) / (a + b - 2) * (axis_hi - axis_lo)
        std = math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1))) * (axis_hi - axis_lo)
        value = math.exp(mode) if hp.log else mode
        return base, _clip(base, value), _confidence(std / _width(base))
    return base, None, "medium"


def _clip(param: Float | Int, value: float) -> float | int:
    value = min(max(float(value), param.low), param.high)
    return int(min(max(round(value), param.low), param.high)) if isinstance(param, Int) else value
