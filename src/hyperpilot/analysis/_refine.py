"""Act on an analysis: a refined search space, what it may cost, and a warm-started study.

:func:`refine` proposes a smaller space from the explanation forest and the best trials:

* **frozen**: a hyperparameter whose fANOVA share (its main effect plus every pairwise
  interaction it takes part in) and whose local share around the incumbent (LPI) are both
  below ``threshold`` becomes a constant: the incumbent's value, or where the incumbent
  leaves it inactive the most common (choices) or median (numbers) value among the top
  trials, else its default. A parent is not frozen when that would switch off a child
  that matters;
* **narrowed**: a float or integer keeps the span of its values among the top
  ``top_quantile`` of the trials (at least five), widened by ``margin`` (a share of its
  range on its own scale: logarithmic for a log scale) on both sides, kept inside the
  original range, rounded outwards to three significant digits (integers stay integers).
  A span of 90 % of the range or more is kept as it is;
* **choices dropped**: a categorical loses the choices no top trial made (an ordinal keeps
  the run from its lowest to its highest choice among them); a single choice left is a
  constant (**frozen**);
* **removed**: a hyperparameter whose conditions can no longer hold (its parent was
  frozen at, or narrowed away from, the values that switch it on);
* **kept**: the rest, and constants.

Conditions and forbidden combinations are rewritten for the new parents: a test that now
always holds is dropped (or, on a parent that is itself conditional, replaced by that
parent's own condition), one that never holds removes its clause, and a test on a value
that left the range becomes the set of remaining values it holds for. The refined space
accepts every top trial's configuration, the incumbent's included.

**The cost of refining**: the forest's predicted best in the refined space against the
full one, each from ``n_samples`` random configurations plus the trials that fit (the
refined space is a subset, so its best is never better): ``attrs["loss"]`` and a
sentence in ``attrs["summary"]`` ("freezing 4 of 9 hyperparameters ... loses an
estimated 0.2% of the predicted best").

:func:`warm_start_study` creates a study on the refined space and tells it, through
:meth:`Study.enqueue`, :meth:`Study.ask` and :meth:`Study.tell`, every complete trial of
the old study whose configuration fits the refined space, with its values, constraints
and budget. A trial fits only if every value lies in the refined space: a frozen float
keeps only the trials that have exactly its value.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from hyperpilot.analysis._data import (
    AnalysisData,
    AnalysisError,
    ObjectiveArg,
    analysis_data,
    cache_key,
)
from hyperpilot.analysis._fanova import MIN_TRIALS, forest_importances
from hyperpilot.analysis._lpi import incumbent_row, local_shares
from hyperpilot.analysis._pdp import ancestors, condition_text
from hyperpilot.analysis._surrogate import ExplanationForest, ForestSettings, surrogate_fit
from hyperpilot.analysis._trust import finish, trust_columns
from hyperpilot.exceptions import ConfigurationError
from hyperpilot.space._conditions import DNF, Atom, Clause, clauses_to_json, same_value
from hyperpilot.space._params import Constant, Float, Hyperparameter, Int, Ordinal, _Choice
from hyperpilot.space._space import Config, Space
from hyperpilot.space._vectorized import VectorSpace
from hyperpilot.trial._objectives import Result
from hyperpilot.trial._trial import TrialState

if TYPE_CHECKING:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    from hyperpilot.storage._base import Storage
    from hyperpilot.study._study import Study

logger = logging.getLogger("hyperpilot")

COLUMNS = ("budget", "hyperparameter", "change", "before", "after", "reason", "importance",
           "local_importance", "n_good", "after_low", "after_high", "kept", "n_trials",
           "cv_r2", "spearman", "warning")

MIN_GOOD = 5
"""The fewest top trials the ranges and choices are read from."""

KEEP_WIDTH = 0.9
"""A numeric range narrowed to at least this share of its width is kept as it is."""


# ---------------------------------------------------------------------- words
def _show(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else repr(value)


def describe(param: Hyperparameter | None) -> str:
    """A hyperparameter's values in a few words (``removed`` for ``None``)."""
    if param is None:
        return "removed"
    if isinstance(param, Constant):
        return f"= {_show(param.value)}"
    if isinstance(param, Ordinal):
        return f"ordinal {list(param.choices)!r}"
    if isinstance(param, _Choice):
        return repr(list(param.choices))
    assert isinstance(param, (Float, Int))
    kind = "integers " if isinstance(param, Int) else ""
    return f"{kind}[{_show(param.low)}, {_show(param.high)}]{' log' if param.log else ''}"


# ---------------------------------------------------------------------- proposals
@dataclasses.dataclass
class _Proposal:
    change: str
    param: Hyperparameter
    reason: str
    unimportant: bool = False


def _round_out(value: float, down: bool) -> float:
    """*value* rounded down (or up) to three significant digits."""
    if value == 0.0 or not math.isfinite(value):
        return value
    step = 10.0 ** (math.floor(math.log10(abs(value))) - 2)
    rounded = (math.floor if down else math.ceil)(value / step) * step
    return min(rounded, value) if down else max(rounded, value)


def _freeze_value(name: str, param: Hyperparameter, incumbent: Config,
                  good: list[Config]) -> tuple[Any, str]:
    """The value to freeze at, and where it comes from."""
    if name in incumbent:
        return incumbent[name], "the incumbent's value"
    values = [c[name] for c in good if name in c]
    if not values:
        return param.default_value, "its default (inactive at the incumbent and the top trials)"
    if isinstance(param, _Choice):
        counts = Counter(param.index(v) for v in values)
        best = max(counts, key=lambda i: (counts[i], -i))
        return param.choices[best], "the most common value among the top trials"
    return sorted(values)[(len(values) - 1) // 2], "the median of the top trials"


def _narrow(param: Float | Int, values: list[Any], margin: float, k: int) -> _Proposal:
    top = f"the top {k} trials"
    if not values:
        return _Proposal("kept", param, f"active in none of {top}")
    units = [param.to_unit(v) for v in values]
    a, b = min(units), max(units)
    if isinstance(param, Float) and b - a < 0.01:  # one value: a float range needs a width
        margin = max(margin, 0.01)
    lo_u, hi_u = max(0.0, a - margin), min(1.0, b + margin)
    if isinstance(param, Int):
        low = min(param.from_unit(lo_u), min(values))
        high = max(param.from_unit(hi_u), max(values))
        if low == high:
            high, low = (high + 1, low) if high < param.high else (high, low - 1)
        width = (high - low + 1) / (param.high - param.low + 1)
    else:
        low = max(min(_round_out(param.from_unit(lo_u), True), min(values)), param.low)
        high = min(max(_round_out(param.from_unit(hi_u), False), max(values)), param.high)
        width = param.to_unit(high) - param.to_unit(low)
    span = f"{top} span {_show(min(values))} to {_show(max(values))}"
    if width >= KEEP_WIDTH:
        return _Proposal("kept", param, f"{span}, {width:.0%} of its range with the margin")
    new = dataclasses.replace(
        param, low=low, high=high,
        prior=param.prior if param.prior is not None and low <= param.prior <= high else None,
        default=param.default if param.default is not None and low <= param.default <= high
        else None)
    scale = " on its log scale" if param.log else ""
    return _Proposal("narrowed", new, f"{span}; with a margin of {margin:.0%} of the range"
                                      f"{scale}: {width:.0%} of it")


def _drop(name: str, param: _Choice, values: list[Any], k: int) -> _Proposal:
    top = f"the top {k} trials"
    if not values:
        return _Proposal("kept", param, f"active in none of {top}")
    seen = sorted({param.index(v) for v in values})
    if isinstance(param, Ordinal):
        seen = list(range(seen[0], seen[-1] + 1))
    kept = [param.choices[i] for i in seen]
    dropped = [c for i, c in enumerate(param.choices) if i not in seen]
    if not dropped:
        return _Proposal("kept", param, f"every choice appears among {top}")
    if len(kept) == 1:
        return _Proposal("frozen", Constant(kept[0]),
                         f"every one of {top} with {name} chose {_show(kept[0])}")
    prior = param.prior if param.prior is not None and param.index(param.prior) in seen else None
    default = (param.default if param.default is not None and param.index(param.default) in seen
               else None)
    field = "sequence" if isinstance(param, Ordinal) else "choices"
    new = dataclasses.replace(param, prior=prior, default=default,
                              **{field: tuple(kept)})  # type: ignore[arg-type]
    return _Proposal("choices dropped", new,
                     f"never chosen by {top}: {', '.join(_show(c) for c in dropped)}")


# ---------------------------------------------------------------------- conditions
def _one_of(name: str, values: Sequence[Any]) -> Atom:
    """``name in values``, or ``name = value`` for one value."""
    return Atom(name, "eq", values[0]) if len(values) == 1 else Atom(name, "in", tuple(values))


def _verdict(atom: Atom, old: Hyperparameter, new: Hyperparameter) -> tuple[str, Atom | None]:
    """Whether *atom* holds always, never or maybe for a parent changed from *old* to *new*.

    With ``"maybe"`` comes the atom to keep, valid for *new*.
    """
    rank = old.index if isinstance(old, Ordinal) and atom.op in ("gt", "lt") else None
    if isinstance(new, _Choice):
        holding = [c for c in new.choices if atom.holds(c, rank)]
        if len(holding) == len(new.choices):
            return "always", None
        if not holding:
            return "never", None
        values = atom.value if atom.op == "in" else (atom.value,)
        if atom.op in ("eq", "ne") and not new.problem(atom.value):
            return "maybe", atom
        if atom.op == "in":
            return "maybe", _one_of(atom.name, [v for v in values if not new.problem(v)])
        return "maybe", _one_of(atom.name, holding)
    assert isinstance(new, (Float, Int))
    low, high, value = new.low, new.high, atom.value
    inside = atom.op == "in" or low <= value <= high
    if atom.op == "eq":
        return ("maybe", atom) if inside else ("never", None)
    if atom.op == "ne":
        return ("maybe", atom) if inside else ("always", None)
    if atom.op == "in":
        kept = [v for v in value if low <= v <= high]
        return ("maybe", _one_of(atom.name, kept)) if kept else ("never", None)
    if atom.op == "gt":
        return ("always", None) if value < low else ("never", None) if value >= high else (
            "maybe", atom)
    return ("always", None) if value > high else ("never", None) if value <= low else (
        "maybe", atom)


def _rewrite(dnf: DNF, space: Space, proposed: Mapping[str, Hyperparameter],
             activity: Mapping[str, DNF | None]) -> DNF | None:
    """*dnf* for the proposed parents: ``None`` if it can never hold, ``()`` if always."""
    clauses: list[Clause] = []
    for clause in dnf:
        alternatives: list[Clause] = [()]
        for atom in clause:
            parent = activity[atom.name]
            verdict, kept = ("never", None) if parent is None else _verdict(
                atom, space[atom.name], proposed[atom.name])
            if verdict == "never":
                alternatives = []
                break
            if kept is not None:
                alternatives = [(*c, kept) for c in alternatives]
            elif parent:  # holds wherever the parent is active: say when that is
                alternatives = [(*c, *p) for c in alternatives for p in parent]
        clauses.extend(tuple(dict.fromkeys(c)) for c in alternatives)
    if not clauses:
        return None
    if any(not c for c in clauses):
        return ()
    return tuple(dict.fromkeys(clauses))


def rebuild(space: Space, proposed: Mapping[str, Hyperparameter]) -> tuple[Space, set[str]]:
    """The space with each hyperparameter replaced as *proposed*, conditions rewritten.

    Returns the new space and the names removed because their conditions cannot hold.
    """
    order: list[str] = []

    def visit(name: str) -> None:
        if name not in order:
            for parent in sorted(space.parents(name)):
                visit(parent)
            order.append(name)

    for name in space.names:
        visit(name)
    activity: dict[str, DNF | None] = {}
    for name in order:
        dnf = space.conditions(name)
        activity[name] = _rewrite(dnf, space, proposed, activity) if dnf else ()
    forbidden: list[Any] = []
    for clause in space.forbidden:
        rewritten = _rewrite((clause,), space, proposed, activity)
        if rewritten == ():
            raise AnalysisError("refine: the refined space forbids every configuration")
        forbidden += [clauses_to_json((c,)) for c in rewritten or ()]
    params = {}
    for name in space.names:
        condition = activity[name]
        if condition is not None:
            params[name] = dataclasses.replace(
                proposed[name], active_if=clauses_to_json(condition) if condition else None)
    removed = {n for n in space.names if activity[n] is None}
    return Space(params, forbidden=forbidden or None), removed


def fitting(space: Space, config: Mapping[str, Any]) -> Config | None:
    """*config* validated by *space* (constants filled in), or ``None`` if it does not fit."""
    try:
        return space.validate(config)
    except ConfigurationError:
        return None


# ---------------------------------------------------------------------- analysis
def _check(top_quantile: float, threshold: float, margin: float, n_samples: int) -> None:
    for name, value, low, high in (("top_quantile", top_quantile, 0.0, 1.0),
                                   ("threshold", threshold, 0.0, 1.0),
                                   ("margin", margin, 0.0, 1.0)):
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or not low <= value <= high or (name == "top_quantile" and value == 0)):
            raise AnalysisError(f"refine: {name} must be a number in "
                                f"{'(' if name == 'top_quantile' else '['}{low:g}, {high:g}], "
                                f"got {value!r}")
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
        raise AnalysisError(f"refine: n_samples must be a positive integer, got {n_samples!r}")


def refine(
    study: Study,
    *,
    objective: ObjectiveArg = None,
    budget: float | Literal["all", "highest"] = "highest",
    trials: Sequence[int] | None = None,
    top_quantile: float = 0.2,
    threshold: float = 0.05,
    margin: float = 0.1,
    n_points: int = 20,
    n_samples: int = 2000,
    n_trees: int = 16,
    seed: int = 0,
) -> pd.DataFrame:
    """Propose a refined search space (see the module); the table is the difference.

    Args:
        study: the study to refine.
        objective: the objective's name (needed with several objectives), or weights.
        budget: ``"highest"`` (the highest budget with at least ten trials), ``"all"`` or
            a budget value.
        trials: trial numbers to restrict the analysis to.
        top_quantile: the share of the trials (best first) whose values are kept.
        threshold: below this fANOVA share and local share a hyperparameter is frozen.
        margin: added on both sides of a narrowed range, as a share of the whole range on
            the unit scale.
        n_points: values per continuous hyperparameter for the local importance.
        n_samples: random configurations per space for the estimated loss.
        n_trees: trees of the explanation forest.
        seed: the seed of the forest and of the random configurations.

    Returns:
        One row per hyperparameter of the study's space: ``change`` (``"frozen"``,
        ``"narrowed"``, ``"choices dropped"``, ``"removed"``, ``"kept"``), ``before`` and
        ``after`` in words, ``reason`` with its numbers, ``importance`` (fANOVA share with
        interactions), ``local_importance``, ``n_good`` (top trials where it is active),
        ``after_low``/``after_high`` (the new range on the old unit scale; a frozen value
        at both; NaN when removed), ``kept`` (the choices kept) and the trust columns.
        ``attrs``: ``space`` and ``original_space`` (JSON, see :func:`refined_space`),
        ``frozen`` (name to value), ``incumbent``, ``loss`` (``full``, ``refined``: the
        predicted bests in the objective's direction; ``loss``; ``relative`` to the full
        best) and ``summary``.

    Raises:
        AnalysisError: naming an unknown objective, or an invalid argument.
        TooFewTrialsError: with fewer than ten complete trials.

    """
    _check(top_quantile, threshold, margin, n_samples)
    data = analysis_data(study, objective=objective, budget=budget, trials=trials,
                         min_trials=MIN_TRIALS, what="refine")
    space = data.space
    names = space.names
    fit = surrogate_fit(data, ForestSettings(n_trees=n_trees, seed=seed))
    total, local, incumbent = _shares(fit.forest, data, n_points)
    k = min(data.n, max(MIN_GOOD, math.ceil(top_quantile * data.n)))
    good = [data.configs[i] for i in np.argsort(data.y, kind="stable")[:k]]
    proposals, refined, removed = _propose(space, total, local, threshold, incumbent, good,
                                           margin)
    loss = _loss(data, fit.forest, refined, n_samples, seed)
    frozen = {n: p.param.value for n, p in proposals.items()
              if isinstance(p.param, Constant) and p.change == "frozen" and n not in removed}
    narrowed = sum(p.change in ("narrowed", "choices dropped") for n, p in proposals.items()
                   if n not in removed)
    summary = _summary(len(frozen), len(names), narrowed, len(removed), loss)
    trust = trust_columns(fit, data.n)
    budget_value = math.nan if data.budget is None else data.budget
    out = []
    for j, name in enumerate(names):
        proposal = proposals[name]
        param = space[name]
        after: Hyperparameter | None = None if name in removed else refined[name]
        if after is None:
            change, reason = "removed", (
                "its conditions can no longer hold in the refined space (they needed "
                f"{condition_text(space.conditions(name))})")
            low = high = math.nan
        else:
            change, reason = proposal.change, proposal.reason
            low, high = _unit_range(param, after)
        kept = tuple(after.choices) if isinstance(after, _Choice) and isinstance(
            param, _Choice) else ()
        out.append({
            "budget": budget_value, "hyperparameter": name, "change": change,
            "before": describe(param), "after": describe(after), "reason": reason,
            "importance": float(total[j]), "local_importance": float(local[j]),
            "n_good": sum(name in c for c in good), "after_low": low, "after_high": high,
            "kept": kept, **trust,
        })
    key = cache_key("refine", data, top_quantile=top_quantile, threshold=threshold,
                    margin=margin, n_points=n_points, n_samples=n_samples, n_trees=n_trees,
                    seed=seed)
    return finish(out, COLUMNS, key, objective=data.objective, space=refined.to_json(),
                  original_space=space.to_json(), frozen=frozen, incumbent=incumbent,
                  loss=loss, summary=summary, n_good=k)


def _shares(forest: ExplanationForest, data: AnalysisData,
            n_points: int) -> tuple[np.ndarray, np.ndarray, Config]:
    """Per hyperparameter: fANOVA share with its interactions, local share; the incumbent."""
    d = len(data.space.names)
    pairs = list(combinations(range(d), 2))
    main, pair = forest_importances(forest.boxes(), pairs)
    total = main.mean(axis=0)
    for p, (i, j) in enumerate(pairs):
        total[i] += pair[:, p].mean()
        total[j] += pair[:, p].mean()
    row, incumbent = incumbent_row(data, None, "refine")
    local = local_shares(forest, row, list(range(d)), n_points)[0].mean(axis=0)
    return total, local, incumbent


def _propose(space: Space, total: np.ndarray, local: np.ndarray, threshold: float,
             incumbent: Config, good: list[Config], margin: float
             ) -> tuple[dict[str, _Proposal], Space, set[str]]:
    """Each hyperparameter's change, the refined space and the names it removed."""
    k = len(good)

    def shape(name: str) -> _Proposal:
        param = space[name]
        values = [c[name] for c in good if name in c]
        if isinstance(param, (Float, Int)):
            return _narrow(param, values, margin, k)
        assert isinstance(param, _Choice)
        return _drop(name, param, values, k)

    proposals: dict[str, _Proposal] = {}
    important = set()
    for j, name in enumerate(space.names):
        param = space[name]
        if isinstance(param, _Choice) and len(param.choices) == 1:
            proposals[name] = _Proposal("kept", param, "a constant")
        elif max(total[j], local[j]) < threshold:
            value, origin = _freeze_value(name, param, incumbent, good)
            proposals[name] = _Proposal("frozen", Constant(value), (
                f"fANOVA share {total[j]:.1%} with interactions, local share {local[j]:.1%}, "
                f"both below {threshold:.0%}: frozen at {origin}"), unimportant=True)
        else:
            important.add(name)
            proposals[name] = shape(name)
    for _ in range(len(space.names) + 1):
        refined, removed = rebuild(space, {n: p.param for n, p in proposals.items()})
        lost = removed & important
        unfreeze = {a for n in lost for a in ancestors(space, n) if proposals[a].unimportant}
        if not unfreeze:
            break
        for name in sorted(unfreeze):
            child = sorted(n for n in lost if name in ancestors(space, n))[0]
            again = shape(name)
            proposals[name] = _Proposal(again.change, again.param, (
                f"{again.reason} (not frozen as unimportant: that would switch off {child}, "
                "which matters)"))
    return proposals, refined, removed


def _unit_range(before: Hyperparameter, after: Hyperparameter) -> tuple[float, float]:
    """The new values' extent on the old unit scale."""
    if isinstance(after, _Choice):
        units = [before.to_unit(c) for c in after.choices]
        return min(units), max(units)
    assert isinstance(after, (Float, Int))
    return before.to_unit(after.low), before.to_unit(after.high)


def _loss(data: AnalysisData, forest: ExplanationForest, refined: Space, n_samples: int,
          seed: int) -> dict[str, float]:
    """The forest's predicted best in the full and the refined space (see the module)."""
    space = data.space
    rng = np.random.default_rng([seed, 11])
    full = forest.predict(np.vstack([VectorSpace(space).sample(n_samples, rng), data.X]))
    vs = VectorSpace(refined)
    configs = vs.to_configs(vs.sample(n_samples, rng))
    fits = [i for i, c in enumerate(data.configs) if fitting(refined, c) is not None]
    rows = space.encode(configs)
    if fits:
        rows = np.vstack([rows, data.X[fits]])
    inside = forest.predict(rows)
    best_refined = float(inside.min())
    best_full = min(float(full.min()), best_refined)
    loss = best_refined - best_full
    sign = float(data.sign)
    scale = abs(best_full)
    return {"full": sign * best_full, "refined": sign * best_refined, "loss": loss,
            "relative": loss / scale if scale > 0 else math.nan}


def _summary(frozen: int, d: int, narrowed: int, removed: int,
             loss: Mapping[str, float]) -> str:
    parts = [f"freezing {frozen} of {d} hyperparameters"]
    if narrowed:
        parts.append(f"narrowing {narrowed}")
    if removed:
        parts.append(f"removing {removed} that can no longer be active")
    if not (frozen or narrowed or removed):
        return "nothing to freeze, narrow or remove: the refined space is the full space"
    amount = (f"{loss['relative']:.1%} of the predicted best" if math.isfinite(
        loss["relative"]) else f"{loss['loss']:.3g}")
    return (f"{', '.join(parts[:-1])} and {parts[-1]}" if len(parts) > 1 else parts[0]) + (
        f" loses an estimated {amount} ({loss['full']:.4g} in the full space, "
        f"{loss['refined']:.4g} in the refined one, on the surrogate)")


def refined_space(result: pd.DataFrame | Study, **arguments: Any) -> Space:
    """The refined :class:`Space` of a table from :func:`refine`.

    Given a study, ``refine(study, **arguments)`` is computed first.
    """
    from hyperpilot.analysis._plots import as_table

    table = as_table(result, refine, arguments)
    if "space" not in table.attrs:
        raise AnalysisError("refined_space: the table is not a result of refine "
                            "(attrs has no 'space')")
    return Space.from_json(table.attrs["space"])


def warm_start_study(study: Study, refined: Space | pd.DataFrame, *, name: str | None = None,
                     storage: str | Storage | None = None,
                     optimizer: str | Mapping[str, Any] | None = None,
                     seed: int | None = None) -> Study:
    """A new study on the *refined* space that holds the old trials that fit it.

    Every complete trial of *study* whose configuration the refined space accepts is
    enqueued, started and told with its values and constraints (at its budget), in the
    order of the old trial numbers; ``trial.meta["warm_start"]`` names the old study and
    trial. Failed, pruned, running and pending trials are not carried over.

    Args:
        study: the study the trials come from.
        refined: the refined space, or a table from :func:`refine`.
        name: the new study's name (generated when omitted).
        storage: where the new study lives (default: *study*'s storage).
        optimizer: the new study's optimizer (default: the one *study* was created with).
        seed: the new study's seed.

    Raises:
        AnalysisError: when *refined* is neither a space nor a table from :func:`refine`.
        DuplicateStudyError: when the name is taken in the storage.

    """
    from hyperpilot.study._study import create_study

    if isinstance(refined, pd.DataFrame):
        space = refined_space(refined)
    elif isinstance(refined, Space):
        space = refined
    else:
        raise AnalysisError("warm_start_study: refined must be a Space or a table from "
                            f"refine, got {type(refined).__name__}")
    new = create_study(space=space, objectives=list(study.objectives),
                       constraints=list(study.constraints) or None,
                       optimizer=optimizer if optimizer is not None else dict(
                           study.spec.optimizer),
                       storage=storage if storage is not None else study.storage,
                       name=name, seed=seed, fidelity=study.fidelity)
    complete = sorted(study.get_trials([TrialState.COMPLETE]), key=lambda t: t.number)
    told = 0
    for trial in complete:
        config = fitting(space, trial.config)
        if config is None:
            continue
        new.enqueue(config, budget=trial.budget,
                    meta={"warm_start": {"study": study.name, "trial": trial.number}})
        started = new.ask()
        new.tell(started, Result(values=dict(trial.values or {}),
                                 constraints=dict(trial.constraints) if trial.constraints
                                 else None))
        told += 1
    logger.info("study %r: warm-started with %d of the %d complete trials of study %r",
                new.name, told, len(complete), study.name)
    return new


# ---------------------------------------------------------------------- figure
def plot_refined_space(result: pd.DataFrame | Study, **arguments: Any) -> go.Figure:
    """Each hyperparameter's range before (grey) and after (blue) on its unit scale.

    A frozen value is a diamond, kept choices are dots and dropped ones crosses; the
    summary is the title. *result* is a table from :func:`refine`, or a study (then
    ``refine(study, **arguments)`` is computed).
    """
    from hyperpilot.analysis._plots import add_warnings, as_table, graph_objects

    go = graph_objects()
    table = as_table(result, refine, arguments)
    original = Space.from_json(table.attrs["original_space"])
    names = list(table["hyperparameter"])[::-1]
    before_x: list[Any] = []
    before_y: list[Any] = []
    after_x: list[Any] = []
    after_y: list[Any] = []
    marks: dict[str, tuple[list[Any], list[Any]]] = {
        "frozen": ([], []), "kept choice": ([], []), "dropped choice": ([], []),
        "removed": ([], [])}
    for row in table.to_dict("records"):
        name = str(row["hyperparameter"])
        param = original[name]
        before_x += [0.0, 1.0, None]
        before_y += [name, name, None]
        if row["change"] == "removed":
            marks["removed"][0].append(0.5)
            marks["removed"][1].append(name)
        elif row["change"] == "frozen":
            marks["frozen"][0].append(row["after_low"])
            marks["frozen"][1].append(name)
        elif isinstance(param, _Choice):
            for choice in param.choices:
                kept = any(same_value(choice, c) for c in row["kept"])
                where = marks["kept choice" if kept else "dropped choice"]
                where[0].append(param.to_unit(choice))
                where[1].append(name)
        else:
            after_x += [row["after_low"], row["after_high"], None]
            after_y += [name, name, None]
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=before_x, y=before_y, mode="lines", name="before",
                                line={"width": 14, "color": "#e2e8f0"}))
    figure.add_trace(go.Scatter(x=after_x, y=after_y, mode="lines", name="after",
                                line={"width": 8, "color": "#1d4ed8"}))
    styles = {"frozen": {"symbol": "diamond", "size": 13, "color": "#1d4ed8"},
              "kept choice": {"symbol": "circle", "size": 10, "color": "#1d4ed8"},
              "dropped choice": {"symbol": "x", "size": 10, "color": "#dc2626"},
              "removed": {"symbol": "line-ew", "size": 1, "color": "#94a3b8"}}
    for label, (xs, ys) in marks.items():
        if xs:
            figure.add_trace(go.Scatter(
                x=xs, y=ys, mode="markers+text" if label == "removed" else "markers",
                text=["removed"] * len(xs) if label == "removed" else None, name=label,
                marker=styles[label]))
    figure.update_layout(title=str(table.attrs.get("summary", "Refined space")),
                         xaxis_title="position in the original range (unit scale)",
                         xaxis={"range": [-0.05, 1.05]},
                         yaxis={"categoryorder": "array", "categoryarray": names})
    add_warnings(figure, table)
    return figure
