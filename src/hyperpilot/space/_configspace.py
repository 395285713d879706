"""Conversion between :class:`~hyperpilot.space.Space` and ``ConfigSpace`` (version 1.2).

Everything ConfigSpace can express is written natively, so that other tools see it:
ranges, log scales, choices, conditions (nested ``And``/``Or`` conjunctions) and forbidden
clauses. Numeric priors become ``NormalFloat``/``NormalInteger`` hyperparameters, categorical
priors become ``weights``. What ConfigSpace cannot hold exactly is kept in each
hyperparameter's ``meta["hyperpilot"]`` (declaration order, prior and confidence, explicit
default, float bounds that ConfigSpace would round) and, for forbidden clauses, in the
space's ``meta["hyperpilot"]``; :func:`from_configspace` prefers these records, so a round
trip is exact.

Spaces written by other tools (no record) are read from their distributions: a normal
prior sits at ``mu`` with confidence ``1 - 2 sigma`` (sigma measured in hyperpilot's unit
space, the confidence clipped to [0.01, 0.99]); a beta prior sits at its mode with the
confidence of its standard deviation; categorical weights put the prior on the heaviest
choice with the confidence that gives it that weight.

ConfigSpace 1.2 keeps ``mu`` of a normal hyperparameter in value space and, on a log scale,
maps ``sigma`` into its unit space as ``|log(lower + sigma)| / (log(upper) - log(lower))``.
The conversion inverts exactly that rule. No positive ``sigma`` reaches a width below
``log(lower) / (log(upper) - log(lower))``, so a narrow log-scale prior with ``lower > 1``
is written as a beta hyperparameter with the prior as its mode and the standard deviation
of the truncated normal prior.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from itertools import product
from typing import TYPE_CHECKING, Any

import numpy as np

from hyperpilot.exceptions import SpaceError, require
from hyperpilot.space._conditions import DNF, Atom, Clause, Op, clauses_to_json
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


# ---------------------------------------------------------------------- Space -> ConfigSpace
def to_configspace(
    space: Space, *, name: str | None = None, seed: int | None = None
) -> ConfigurationSpace:
    """Convert *space* into a ``ConfigSpace.ConfigurationSpace`` seeded with *seed*.

    ConfigSpace demands that its default configuration is allowed; when the space's
    defaults fall into a forbidden combination, the ConfigSpace defaults are taken from an
    allowed configuration drawn with *seed* (the space's own defaults stay in ``meta``).

    Raises:
        MissingDependencyError: when ConfigSpace is not installed.
        SpaceError: when ConfigSpace rejects a part of the space, naming it.

    """
    require("ConfigSpace", "configspace")
    import ConfigSpace as CS

    defaults = _allowed_defaults(space, seed)
    hps: dict[str, Any] = {}
    for index, (hp_name, param) in enumerate(space.hyperparameters.items()):
        with _rejected(f"hyperparameter {hp_name!r}"):
            hps[hp_name] = _hp_to_cs(hp_name, param, index, defaults[hp_name])
    conditions = []
    for hp_name in space:
        if space.conditions(hp_name):
            with _rejected(f"the condition of {hp_name!r}"):
                conditions.append(_dnf_to_cs(hps[hp_name], hps, space.conditions(hp_name)))
    forbidden = []
    for clause in space.forbidden:
        with _rejected(f"forbidden {clauses_to_json((clause,))}"):
            native = _forbidden_to_cs(hps, space, clause)
        if native is not None:
            forbidden.append(native)
    meta = None
    if space.forbidden:  # ConfigSpace reorders forbidden clauses and lacks "ne"
        meta = {META_KEY: {"forbidden": [clauses_to_json((c,)) for c in space.forbidden],
                           "native": sorted(str(f) for f in forbidden)}}
    cs = CS.ConfigurationSpace(name=name, seed=seed, meta=meta)
    with _rejected("the space"):
        cs.add(list(hps.values()), conditions, forbidden)
    return cs


@contextmanager
def _rejected(what: str) -> Iterator[None]:
    """Turn ConfigSpace's errors into a one-line :class:`SpaceError` about *what*."""
    try:
        yield
    except (ValueError, TypeError) as exc:
        lines = str(exc).strip().splitlines() or [type(exc).__name__]
        raise SpaceError(f"{what}: ConfigSpace rejects it: {lines[0]}") from None


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
    meta: dict[Hashable, Any] = {META_KEY: record}
    if isinstance(param, Constant):
        return CS.Constant(name, param.value, meta=meta)
    if isinstance(param, Ordinal):
        return CS.OrdinalHyperparameter(name, list(param.choices), default, meta=meta)
    if isinstance(param, Categorical):
        weights = None if param.prior is None else _weights(param)
        return CS.CategoricalHyperparameter(name, list(param.choices), default, meta, weights)
    if not isinstance(param, (Float, Int)):
        raise TypeError(f"unknown hyperparameter type {type(param).__name__}")
    if isinstance(param, Float) and any(
        round(float(b), _ROUND_PLACES) != b for b in (param.low, param.high)
    ):
        record.update(low=param.low, high=param.high)
    family, shape = _distribution(param)
    cls = getattr(CS, f"{family}{'Integer' if isinstance(param, Int) else 'Float'}Hyperparameter")
    return cls(name, lower=param.low, upper=param.high, default_value=default, log=param.log,
               meta=meta, **shape)


def _weights(param: Categorical) -> list[float]:
    k = len(param.choices)
    mass = 1.0 / k + confidence_value(param.confidence, "?") * (1.0 - 1.0 / k)
    rest = (1.0 - mass) / max(k - 1, 1)
    prior = param.index(param.prior)
    return [mass if i == prior else rest for i in range(k)]


def _x(value: float, log: bool) -> float:
    """Map a value onto the axis on which ConfigSpace scales linearly (log for log scales)."""
    return math.log(value) if log else float(value)


def _width(param: Float | Int) -> float:
    """Return the width of hyperpilot's unit interval on that axis (Int: half steps added)."""
    if isinstance(param, Int):
        lo, hi = param._edges()
        return hi - lo
    return _x(param.high, param.log) - _x(param.low, param.log)


def _distribution(param: Float | Int) -> tuple[str, dict[str, float]]:
    """Return the ConfigSpace family (Uniform, Normal, Beta) and shape of the prior."""
    if param.prior is None:
        return "Uniform", {}
    axis_sigma = (1.0 - confidence_value(param.confidence, "?")) / 2.0 * _width(param)
    if not param.log:
        return "Normal", {"mu": float(param.prior), "sigma": axis_sigma}
    sigma = math.exp(axis_sigma) - param.low  # inverts |log(lower + sigma)| = axis_sigma
    if round(sigma, _ROUND_PLACES) > 0:
        return "Normal", {"mu": float(param.prior), "sigma": sigma}
    unit_std = _truncated_std(param.to_unit(param.prior), axis_sigma / _width(param))
    lo, hi = _x(param.low, True), _x(param.high, True)
    mode, std = (_x(param.prior, True) - lo) / (hi - lo), unit_std * _width(param) / (hi - lo)
    # the concentration k = alpha + beta - 2 that gives the beta distribution that std
    k = _solve(lambda k: -_beta_std(1 + mode * k, 1 + (1 - mode) * k), -std, 0.0, 1e6)
    return "Beta", {"alpha": 1 + mode * k, "beta": 1 + (1 - mode) * k}


def _beta_std(a: float, b: float) -> float:
    return math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))


def _truncated_std(mu: float, sigma: float) -> float:
    """Return the std of the normal (*mu*, *sigma*) truncated to [0, 1]."""
    from scipy.stats import truncnorm

    return float(truncnorm.std(-mu / sigma, (1 - mu) / sigma, mu, sigma))


def _solve(f: Callable[[float], float], target: float, lo: float, hi: float) -> float:
    """Find x in [lo, hi] with f(x) = target for an increasing f, by bisection."""
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f(mid) < target else (lo, mid)
    return (lo + hi) / 2


def _dnf_to_cs(child: Any, hps: Mapping[str, Any], dnf: DNF) -> Any:
    import ConfigSpace as CS

    def condition(a: Atom) -> Any:
        if a.op == "in":
            return CS.InCondition(child, hps[a.name], list(a.value))
        cls = {"eq": CS.EqualsCondition, "ne": CS.NotEqualsCondition,
               "gt": CS.GreaterThanCondition, "lt": CS.LessThanCondition}[a.op]
        return cls(child, hps[a.name], a.value)

    clauses = [_join(CS.AndConjunction, [condition(a) for a in clause]) for clause in dnf]
    return _join(CS.OrConjunction, clauses)


def _join(cls: Any, parts: list[Any]) -> Any:
    return parts[0] if len(parts) == 1 else cls(*parts)


def _forbidden_to_cs(hps: Mapping[str, Any], space: Space, clause: Clause) -> Any:
    """Translate one forbidden clause; ``None`` when it can never hold."""
    import ConfigSpace as CS

    parts: list[Any] = []
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
        elif isinstance(param, (Categorical, Ordinal)):  # "ne" on a choice: any other choice
            others = [c for c in param.choices if c != a.value]
            if not others:
                return None
            parts.append(CS.ForbiddenInClause(hp, others))
        else:  # "ne" on a number: below or above
            parts.append(CS.ForbiddenOrConjunction(
                CS.ForbiddenLessThanClause(hp, a.value), CS.ForbiddenGreaterThanClause(hp, a.value)
            ))
    return _join(CS.ForbiddenAndConjunction, parts)


# ---------------------------------------------------------------------- ConfigSpace -> Space
def from_configspace(cs: ConfigurationSpace) -> Space:
    """Build a :class:`Space` from a ``ConfigSpace.ConfigurationSpace``.

    Reads uniform, normal and beta floats and integers, categoricals (with or without
    weights), ordinals and constants; equals, not-equals, in, greater-than and less-than
    conditions nested in ``And``/``Or`` conjunctions (turned into disjunctive normal form);
    forbidden equals, in and greater/less(-or-equal) clauses and their ``And``/``Or``
    conjunctions. The ``meta["hyperpilot"]`` records that :func:`to_configspace` writes
    take precedence over what the distributions say.

    Raises:
        MissingDependencyError: when ConfigSpace is not installed.
        SpaceError: for a construct hyperpilot cannot represent, naming the hyperparameters.

    """
    require("ConfigSpace", "configspace")

    dnfs = {c.child.name: _dnf(c, f"the condition of {c.child.name!r}") for c in cs.conditions}
    params: dict[str, Hyperparameter] = {}
    positions: dict[str, tuple[float, int]] = {}
    for position, hp in enumerate(cs.values()):
        record = _record(hp.meta)
        params[hp.name] = _param_from_cs(hp, record, dnfs.get(hp.name, ()))
        index = (record or {}).get("index")
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


def _forbidden_from_cs(cs: Any) -> list[Any]:
    native = list(cs.forbidden_clauses)
    record = _record(cs.meta)
    if record is not None and record.get("native") == sorted(str(f) for f in native):
        return list(record.get("forbidden", []))
    dnf = [cl for f in native for cl in _dnf(f, "forbidden clause")]
    return [clauses_to_json((clause,)) for clause in dnf]


def _dnf(node: Any, what: str) -> DNF:
    """Turn a ConfigSpace condition or forbidden clause into disjunctive normal form."""
    import ConfigSpace as CS

    ops: dict[type, tuple[Op, ...]] = {
        CS.EqualsCondition: ("eq",), CS.NotEqualsCondition: ("ne",),
        CS.GreaterThanCondition: ("gt",), CS.LessThanCondition: ("lt",),
        CS.ForbiddenEqualsClause: ("eq",), CS.ForbiddenGreaterThanClause: ("gt",),
        CS.ForbiddenLessThanClause: ("lt",), CS.ForbiddenGreaterThanEqualsClause: ("gt", "eq"),
        CS.ForbiddenLessThanEqualsClause: ("lt", "eq"),
    }
    kind = type(node)
    if kind in ops or kind in (CS.InCondition, CS.ForbiddenInClause):
        name = (node.parent if hasattr(node, "parent") else node.hyperparameter).name
        if kind in ops:
            return tuple((Atom(name, op, _py(node.value)),) for op in ops[kind])
        return ((Atom(name, "in", tuple(_py(v) for v in node.values)),),)
    if kind in (CS.AndConjunction, CS.ForbiddenAndConjunction):
        return _and([_dnf(c, what) for c in node.components])
    if kind in (CS.OrConjunction, CS.ForbiddenOrConjunction):
        return tuple(clause for c in node.components for clause in _dnf(c, what))
    names = [getattr(node, a).name for a in ("hyperparameter", "parent", "left", "right")
             if hasattr(node, a)]
    raise SpaceError(f"{what} on {' and '.join(map(repr, names))}: unsupported ConfigSpace "
                     f"construct {kind.__name__} ({node!r})")


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
        base, prior, confidence = _numeric_from_cs(hp, record or {})
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


def _level(confidence: float) -> str | float:
    """Clip *confidence* to [0.01, 0.99]; return a level name when one matches."""
    c = min(max(float(confidence), 0.01), 0.99)
    named = [n for n, v in CONFIDENCE_LEVELS.items() if math.isclose(v, c, abs_tol=1e-9)]
    return named[0] if named else c


def _weights_prior(choices: Any, weights: Any) -> tuple[Any, str | float]:
    if weights is None or len(choices) < 2:
        return None, "medium"
    p = np.asarray(weights, dtype=float) / float(np.sum(weights))
    k, best = len(p), int(np.argmax(p))
    if np.allclose(p, 1.0 / k):
        return None, "medium"
    return _py(choices[best]), _level((p[best] - 1.0 / k) / (1.0 - 1.0 / k))


def _numeric_from_cs(hp: Any, record: dict[str, Any]) -> tuple[Float | Int, Any, str | float]:
    import ConfigSpace as CS
    from ConfigSpace.hyperparameters import IntegerHyperparameter

    low, high = record.get("low", _py(hp.lower)), record.get("high", _py(hp.upper))
    base: Float | Int = (Int(int(low), int(high), log=hp.log)
                         if isinstance(hp, IntegerHyperparameter)
                         else Float(float(low), float(high), log=hp.log))
    axis_lo, axis_hi = _x(hp.lower, hp.log), _x(hp.upper, hp.log)
    if isinstance(hp, (CS.NormalFloatHyperparameter, CS.NormalIntegerHyperparameter)):
        axis_sigma = abs(math.log(hp.lower + hp.sigma)) if hp.log else hp.sigma
        return base, _clip(base, hp.mu), _level(1.0 - 2.0 * axis_sigma / _width(base))
    if isinstance(hp, (CS.BetaFloatHyperparameter, CS.BetaIntegerHyperparameter)):
        a, b = hp.alpha, hp.beta
        if a <= 1 and b <= 1:  # the uniform distribution: no mode
            return base, None, "medium"
        mode = axis_lo + (a - 1) / (a + b - 2) * (axis_hi - axis_lo)
        prior = _clip(base, math.exp(mode) if hp.log else mode)
        # the prior whose truncated normal has the beta's std
        std, mu = _beta_std(a, b) * (axis_hi - axis_lo) / _width(base), base.to_unit(prior)
        sigma = _solve(lambda s: _truncated_std(mu, s), std, 1e-6, 1e3)
        return base, prior, _level(1.0 - 2.0 * sigma)
    return base, None, "medium"


def _clip(param: Float | Int, value: float) -> float | int:
    value = min(max(float(value), param.low), param.high)
    return int(min(max(round(value), param.low), param.high)) if isinstance(param, Int) else value
