"""From a study to the arrays every analysis works on.

:func:`analysis_data` reads the study's complete trials once and returns an
:class:`AnalysisData`:

* ``X``: the configurations encoded by :meth:`Space.encode`, one column per hyperparameter
  in :attr:`Space.names`, every value in [0, 1] (floats linearly or in the logarithm,
  integers and choices at the centre of their bins), inactive entries NaN;
* ``y``: one number per trial, **lower is better**: the objective's value for a minimized
  objective, its negative for a maximized one. Given weights, each objective is oriented
  that way, standardized over the selected trials (mean 0, standard deviation 1; an
  objective that takes one value contributes 0) and the weighted sum is taken, so the
  weights compare objectives of different scales;
* ``numbers``: the trial numbers, row by row;
* ``key``: what the result of an analysis depends on, for caching (see :func:`cache_key`).

Only complete trials enter: failed, pruned, running and pending ones have no final value.
Trials that violate a constraint enter with their objective values.

Budgets. ``budget="all"`` pools the trials whatever their budget; a number keeps the trials
of that budget; ``"highest"`` keeps the highest budget that has enough trials;
:func:`analysis_datasets` with ``"each"`` returns one data set per budget with enough
trials (trials without a budget form a level of their own).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from hyperpilot.exceptions import HyperpilotError
from hyperpilot.space._space import Config, Space
from hyperpilot.trial._trial import Trial, TrialState

if TYPE_CHECKING:
    from hyperpilot.study._study import Study

ObjectiveArg = str | Mapping[str, float] | None
BudgetArg = float | Literal["all", "highest", "each"]


class AnalysisError(HyperpilotError, ValueError):
    """An analysis was asked for something the study cannot give (a name, enough trials)."""


class TooFewTrialsError(AnalysisError):
    """A study has fewer complete trials than an analysis needs."""


@dataclass(frozen=True, eq=False)
class AnalysisData:
    """The trials of one study (at one budget) as arrays; see the module's description.

    Attributes:
        space: the study's search space.
        X: encoded configurations, shape (n, d), inactive entries NaN.
        y: targets, shape (n,), lower is better.
        numbers: trial numbers, shape (n,).
        budget: the budget of these trials (``None``: no budget, or budgets pooled).
        objective: what ``y`` is, in words ("loss", "-accuracy", "0.5 a + 0.5 b").
        key: hashable description of the data, part of every result's cache key.
        sign: ``sign * y`` is the objective in its own direction (-1 for one maximized
            objective, else 1).
        configs: the trials' configurations, row by row.

    """

    space: Space
    X: np.ndarray
    y: np.ndarray
    numbers: np.ndarray
    budget: float | None
    objective: str
    key: tuple[Hashable, ...]
    sign: float = 1.0
    configs: tuple[Config, ...] = ()

    @property
    def n(self) -> int:
        """The number of trials."""
        return int(self.y.shape[0])

    def subset(self, rows: np.ndarray) -> AnalysisData:
        """The same data restricted to (or resampled as) *rows*, under a key of its own."""
        rows = np.asarray(rows, dtype=np.intp)
        digest = hashlib.sha1(rows.tobytes()).hexdigest()
        configs = tuple(self.configs[i] for i in rows) if self.configs else ()
        return AnalysisData(space=self.space, X=self.X[rows], y=self.y[rows],
                            numbers=self.numbers[rows], budget=self.budget,
                            objective=self.objective, key=(*self.key, ("rows", digest)),
                            sign=self.sign, configs=configs)


def freeze(value: Any) -> Hashable:
    """A hashable, order-independent copy of an argument value (mappings, sequences)."""
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [freeze(v) for v in value]
        return tuple(sorted(items, key=repr)) if isinstance(value, (set, frozenset)) else tuple(
            items)
    if isinstance(value, np.ndarray):
        return tuple(value.ravel().tolist())
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return value if isinstance(value, Hashable) else repr(value)


def cache_key(function: str, data: Sequence[AnalysisData] | AnalysisData,
              **arguments: Any) -> tuple[Hashable, ...]:
    """The key under which a result can be cached and reused.

    It holds the function's name, each data set's key (study, last finished trial, the data
    arguments) and the function's own *arguments*, so two calls with equal keys return
    equal results.
    """
    sets = [data] if isinstance(data, AnalysisData) else list(data)
    return (function, tuple(d.key for d in sets), freeze(arguments))


def study_key(study: Study) -> tuple[Hashable, ...]:
    """The study's identity and state: storage, name, id, finished trials and the last one.

    An in-memory storage is named by the object (two of them can hold equal names and ids).

    Finished trials never change and the set of them only grows, so its size tells it
    apart from every earlier state (trials of parallel workers finish out of order, so the
    last finished id alone would not), and an analysis is unchanged until another trial
    finishes.
    """
    finished = [t.id for t in study.get_trials() if t.state.is_finished]
    # an in-memory storage has no address of its own: name the object
    storage = study.storage
    where = storage.url if storage.persistent else f"{storage.url}@{id(storage):x}"
    return (where, study.name, study.id, len(finished), max(finished, default=-1))


def check_names(space: Space, names: Sequence[str] | None, what: str) -> list[str]:
    """*names* (all of the space's when ``None``), each checked to be a hyperparameter.

    Raises:
        AnalysisError: for a name that is not one of the space's.

    """
    if names is None:
        return space.names
    if isinstance(names, str):
        names = [names]
    for name in names:
        if name not in space:
            raise AnalysisError(
                f"{what}: unknown hyperparameter {name!r}; the space has {space.names}"
            )
    return list(dict.fromkeys(names))


def _check_objective(study: Study, objective: ObjectiveArg, what: str) -> str | dict[str, float]:
    """The objective's name, or the weights, checked against the study's objectives."""
    names = [o.name for o in study.objectives]
    if objective is None:
        if len(names) != 1:
            raise AnalysisError(
                f"{what}: the study has {len(names)} objectives {names}; pass objective= "
                f"one of them or weights such as {{{names[0]!r}: 0.5, {names[1]!r}: 0.5}}"
            )
        return names[0]
    if isinstance(objective, str):
        if objective not in names:
            raise AnalysisError(f"{what}: unknown objective {objective!r}; the study has {names}")
        return objective
    if not isinstance(objective, Mapping) or not objective:
        raise AnalysisError(
            f"{what}: objective must be a name or a mapping of names to weights, "
            f"got {objective!r}"
        )
    weights = {}
    for name, weight in objective.items():
        if name not in names:
            raise AnalysisError(f"{what}: unknown objective {name!r}; the study has {names}")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(
                weight):
            raise AnalysisError(
                f"{what}: the weight of objective {name!r} must be a finite number, "
                f"got {weight!r}"
            )
        weights[str(name)] = float(weight)
    return weights


def _targets(study: Study, trials: list[Trial],
             objective: str | dict[str, float]) -> tuple[np.ndarray, str, float]:
    """Oriented (lower is better) and, for weights, standardized and summed values.

    Also the description and the sign that turns the values back into the objective's
    own direction.
    """
    signs = {o.name: o.sign for o in study.objectives}

    def oriented(name: str) -> np.ndarray:
        return np.array([signs[name] * (t.values or {})[name] for t in trials], dtype=float)

    if isinstance(objective, str):
        sign = signs[objective]
        return oriented(objective), objective if sign > 0 else f"-{objective}", sign
    total = np.zeros(len(trials))
    for name, weight in objective.items():
        values = oriented(name)
        spread = float(values.std()) if values.size else 0.0
        if spread > 0.0:
            total += weight * (values - values.mean()) / spread
    return total, " + ".join(f"{w:g} {n}" for n, w in objective.items()), 1.0


def _select(study: Study, trials: Sequence[int] | None, what: str) -> tuple[list[Trial], str]:
    """The complete trials (of the given numbers), and a summary of the study for messages."""
    everything = study.get_trials()
    complete = [t for t in everything if t.state == TrialState.COMPLETE]
    if trials is not None:
        wanted = {int(n) for n in trials}
        known = {t.number for t in everything}
        missing = sorted(wanted - known)
        if missing:
            raise AnalysisError(
                f"{what}: the study has no trial number {missing[0]} "
                f"(numbers run from 0 to {max(known, default=-1)})"
            )
        complete = [t for t in complete if t.number in wanted]
    counts: dict[str, int] = {}
    for t in everything:
        if t.state != TrialState.COMPLETE:
            counts[t.state.value] = counts.get(t.state.value, 0) + 1
    others = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
    context = f"the study has {len(everything)} trials" + (f": {others}" if others else "")
    return complete, context


def _level_name(level: float | None) -> str:
    return "no budget" if level is None else f"{level:g}"


def analysis_datasets(
    study: Study,
    *,
    objective: ObjectiveArg = None,
    budget: BudgetArg = "all",
    trials: Sequence[int] | None = None,
    min_trials: int = 1,
    what: str = "analysis",
) -> list[AnalysisData]:
    """Turn *study* into analysis data: one data set, or one per budget for ``"each"``.

    Args:
        study: the study to analyse.
        objective: an objective's name (needed when the study has several), or a mapping
            of objective names to weights (see the module's description).
        budget: ``"all"``, ``"highest"``, ``"each"`` or a budget value.
        trials: trial numbers to restrict the analysis to (default: every complete one).
        min_trials: the fewest complete trials a data set needs.
        what: the analysis's name, for messages.

    Raises:
        AnalysisError: for an unknown objective or trial number, or a budget no trial has.
        TooFewTrialsError: when no data set has *min_trials* trials (saying how many there
            are).

    """
    spec = _check_objective(study, objective, what)
    if budget not in ("all", "highest", "each") and (
            isinstance(budget, bool) or not isinstance(budget, (int, float))):
        raise AnalysisError(
            f"{what}: budget must be 'all', 'highest', 'each' or a number, got {budget!r}"
        )
    complete, context = _select(study, trials, what)
    by_level: dict[float | None, list[Trial]] = {}
    for t in complete:
        by_level.setdefault(None if t.budget is None else float(t.budget), []).append(t)
    # real budgets in increasing order, trials without a budget last
    levels = sorted(by_level, key=lambda b: (b is None, b or 0.0))
    if budget == "all":
        only = levels[0] if len(levels) == 1 else None
        groups: list[tuple[float | None, list[Trial]]] = [(only, complete)]
    elif budget == "each":
        groups = [(b, by_level[b]) for b in levels]
    elif budget == "highest":
        ranked = [b for b in levels if b is not None] or levels
        enough = [b for b in ranked if len(by_level[b]) >= min_trials]
        groups = [(b, by_level[b]) for b in (enough or ranked)[-1:]]
    else:
        chosen = float(budget)
        if chosen not in by_level:
            raise AnalysisError(
                f"{what}: no complete trial has budget {budget!r}; budgets: "
                f"{[b for b in levels if b is not None]}"
            )
        groups = [(chosen, by_level[chosen])]
    base = study_key(study)
    out = []
    for at, group in groups:
        if len(group) < min_trials:
            continue
        y, description, sign = _targets(study, group, spec)
        out.append(AnalysisData(
            space=study.space, X=study.space.encode([t.config for t in group]), y=y,
            numbers=np.array([t.number for t in group], dtype=int), budget=at,
            objective=description,
            key=(*base, freeze(spec), freeze(budget), at, freeze(trials)),
            sign=sign, configs=tuple(dict(t.config) for t in group),
        ))
    if out:
        return out
    if len(groups) > 1:
        sizes = ", ".join(f"{_level_name(b)}: {len(g)}" for b, g in groups)
        raise TooFewTrialsError(
            f"{what} needs at least {min_trials} complete trials at one budget, got at most "
            f"{max(len(g) for _, g in groups)} (trials per budget: {sizes}; {context})"
        )
    at, group = groups[0] if groups else (None, [])
    where = "" if budget == "all" or at is None else f" at budget {at:g}"
    raise TooFewTrialsError(
        f"{what} needs at least {min_trials} complete trials{where}, got {len(group)} "
        f"({context})"
    )


def analysis_data(
    study: Study,
    *,
    objective: ObjectiveArg = None,
    budget: float | Literal["all", "highest"] = "all",
    trials: Sequence[int] | None = None,
    min_trials: int = 1,
    what: str = "analysis",
) -> AnalysisData:
    """Turn *study* into one analysis data set; see :func:`analysis_datasets`."""
    return analysis_datasets(study, objective=objective, budget=budget, trials=trials,
                             min_trials=min_trials, what=what)[0]
