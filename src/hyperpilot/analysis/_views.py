"""What the run views share: every trial of a study, objective values, keys and thinning.

The run views show a study as it ran (:mod:`~hyperpilot.analysis._history`,
:mod:`~hyperpilot.analysis._timeline`, :mod:`~hyperpilot.analysis._footprint`,
:mod:`~hyperpilot.analysis._front`, :mod:`~hyperpilot.analysis._parallel`,
:mod:`~hyperpilot.analysis._slices`, :mod:`~hyperpilot.analysis._comparison`). Unlike the
importance analyses they read every trial, whatever its state: failed, pruned, running
and pending trials appear where that means something (a timeline, a footprint, markers
of failures), and never carry an objective value.

* **Values**: an objective's values in its own direction (``value``), or with weights the
  weighted sum of the oriented, standardized objectives, lower is better (see
  :mod:`~hyperpilot.analysis._data`); NaN for every trial that is not complete.
* **Incumbent**: the best trial so far ranks as :attr:`Study.best_trial` does:
  feasible trials first (least constraint violation), then the value.
* **Keys**: ``attrs["cache_key"]`` holds the function, its arguments and each study's
  identity (:func:`~hyperpilot.analysis._data.study_key`); views that show unfinished
  trials add the number of trials in each state, so a trial that starts changes the key.
* **Thinning**: figures draw at most :data:`MAX_POINTS` trials; past that an evenly
  spaced subsample by trial number (always with the incumbents) is drawn and the figure
  says so. The tables always hold every trial.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from hyperpilot._pareto import violations
from hyperpilot.analysis._data import (
    AnalysisError,
    ObjectiveArg,
    _check_objective,
    _targets,
    freeze,
    study_key,
)
from hyperpilot.space._params import Hyperparameter, _Choice
from hyperpilot.trial._trial import Trial, TrialState

if TYPE_CHECKING:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    from hyperpilot.study._study import Study

MAX_POINTS = 5_000
"""Figures draw at most this many trials (points, lines or bars); see the module."""

STATE_COLORS: dict[str, str] = {
    "complete": "#1f77b4", "failed": "#d62728", "pruned": "#ff7f0e",
    "running": "#2ca02c", "pending": "#7f7f7f",
}
"""One colour per trial state, the same in every view."""

@dataclass(frozen=True)
class Values:
    """One objective (or weighting) over a list of trials.

    Attributes:
        label: the objective's name, or the weighting in words.
        value: per trial, in the objective's own direction (NaN unless complete).
        loss: per trial, lower is better (``sign * value``).
        sign: -1 for a maximized objective, else 1.
        direction: ``"minimize"`` or ``"maximize"`` (weightings: ``"minimize"``).

    """

    label: str
    value: np.ndarray
    loss: np.ndarray
    sign: float
    direction: str


def all_trials(study: Study) -> list[Trial]:
    """Every trial of *study*, by number."""
    return sorted(study.get_trials(), key=lambda t: t.number)


def objective_specs(study: Study, objective: ObjectiveArg, what: str,
                    each: bool = False) -> list[str | dict[str, float]]:
    """The objectives a view shows: the one given, or with ``each`` every objective."""
    if objective is None and each:
        return [o.name for o in study.objectives]
    return [_check_objective(study, objective, what)]


def objective_values(study: Study, trials: Sequence[Trial],
                     spec: str | dict[str, float]) -> Values:
    """The values of *spec* (a name or weights, checked) for *trials*; see :class:`Values`."""
    rows = [i for i, t in enumerate(trials) if t.state == TrialState.COMPLETE]
    y, label, sign = _targets(study, [trials[i] for i in rows], spec)
    loss = np.full(len(trials), math.nan)
    loss[rows] = y
    if isinstance(spec, str):
        label = spec
    direction = "maximize" if sign < 0 else "minimize"
    return Values(label=label, value=sign * loss, loss=loss, sign=sign, direction=direction)


def trial_violations(study: Study, trials: Sequence[Trial]) -> np.ndarray:
    """Each trial's constraint violation (0 when feasible or without constraints)."""
    if not study.constraints:
        return np.zeros(len(trials))
    return violations([t.constraints for t in trials], study.constraints)


def running_best(loss: np.ndarray, violation: np.ndarray,
                 order: np.ndarray | None = None) -> np.ndarray:
    """Per position of *order* (default: row order), the row of the incumbent so far.

    The incumbent ranks feasibility first, then *loss*; rows with a NaN loss never become
    it. -1 where nothing has a value yet. Indexed by row, like *loss*.
    """
    n = len(loss)
    rows = np.arange(n) if order is None else np.asarray(order, dtype=int)
    out = np.full(n, -1, dtype=int)
    best = -1
    for i in rows.tolist():
        if not math.isnan(loss[i]) and (
                best < 0 or (violation[i], loss[i]) < (violation[best], loss[best])):
            best = i
        out[i] = best
    return out


def budget_rows(trials: Sequence[Trial], budget: float | Literal["all", "highest"],
                what: str) -> list[int]:
    """The rows of *trials* a view keeps for *budget* (``"all"``, ``"highest"``, a value).

    ``"highest"`` is the highest budget of a complete trial (every trial without budgets).
    """
    if budget == "all":
        return list(range(len(trials)))
    levels = sorted({float(t.budget) for t in trials
                     if t.budget is not None and t.state == TrialState.COMPLETE})
    if budget == "highest":
        if not levels:
            return list(range(len(trials)))
        chosen = levels[-1]
    elif isinstance(budget, bool) or not isinstance(budget, (int, float)):
        raise AnalysisError(f"{what}: budget must be 'all', 'highest' or a number, "
                            f"got {budget!r}")
    else:
        chosen = float(budget)
        if chosen not in levels:
            raise AnalysisError(f"{what}: no complete trial has budget {budget!r}; "
                                f"budgets: {levels}")
    return [i for i, t in enumerate(trials) if t.budget is not None and t.budget == chosen]


def labelled(studies: Study | Sequence[Study] | Mapping[str, Study],
             what: str) -> list[tuple[str, Study]]:
    """(label, study) pairs: mapping keys, else study names (repeated names numbered)."""
    from hyperpilot.study._study import Study

    if isinstance(studies, Study):
        return [(studies.name, studies)]
    if isinstance(studies, Mapping):
        pairs = [(str(k), v) for k, v in studies.items()]
    else:
        names = [s.name for s in studies]
        pairs = [(n if names.count(n) == 1 else f"{n} #{names[:i + 1].count(n)}", s)
                 for i, (n, s) in enumerate(zip(names, studies, strict=True))]
    if not pairs:
        raise AnalysisError(f"{what}: no study given")
    for label, study in pairs:
        if not isinstance(study, Study):
            raise AnalysisError(f"{what}: {label!r} is not a Study, got {type(study).__name__}")
    return pairs


def view_key(function: str, studies: Sequence[Study], *, live: bool = False,
             **arguments: Any) -> tuple[Hashable, ...]:
    """The cache key of a view (see the module); *live* adds the count of each state."""
    keys = []
    for study in studies:
        key = study_key(study)
        if live:
            counts: dict[str, int] = {}
            for t in study.get_trials():
                counts[t.state.value] = counts.get(t.state.value, 0) + 1
            key = (*key, tuple(sorted(counts.items())))
        keys.append(key)
    return (function, tuple(keys), freeze(arguments))


def point_limit() -> int:
    """:data:`MAX_POINTS`, read when called (tests lower it)."""
    return MAX_POINTS


def thin(n: int, limit: int | None = None, keep: np.ndarray | Sequence[int] = ()) -> np.ndarray:
    """Rows to draw of *n*: all up to *limit*, else *limit* evenly spaced ones plus *keep*.

    *limit* defaults to :data:`MAX_POINTS`.
    """
    limit = MAX_POINTS if limit is None else limit
    if n <= limit:
        return np.arange(n)
    rows = np.unique(np.linspace(0, n - 1, limit).round().astype(int))
    extra = np.asarray(keep, dtype=int)
    return np.union1d(rows, extra[(extra >= 0) & (extra < n)])


def thinned_note(shown: int, total: int, what: str = "trials") -> str:
    """The sentence a thinned figure carries."""
    return (f"showing {shown:,} of {total:,} {what} (evenly spaced by trial number; "
            f"figures draw at most {MAX_POINTS:,})")


def add_notes(figure: go.Figure, notes: Sequence[str]) -> None:
    """Write *notes* (thinning, missing data) above the plot in grey."""
    notes = [n for n in notes if n]
    if not notes:
        return
    # lines already written above the plot (trust warnings), which the notes go above
    above = sum(str(a.text).count("<br>") + 1 for a in figure.layout.annotations
                if a.xref == "paper" and a.yref == "paper" and a.x == 0.0 and a.y == 1.0
                and a.xanchor == "left")
    figure.add_annotation(text="<br>".join(notes), xref="paper", yref="paper", x=0.0,
                          y=1.0, yanchor="bottom", xanchor="left", showarrow=False,
                          align="left", font={"color": "#6b7280", "size": 11},
                          yshift=18 * above)
    figure.update_layout(margin={"t": 80 + 18 * (above + len(notes))})


def unit_ticks(param: Hyperparameter, n_ticks: int = 5) -> tuple[list[float], list[str]]:
    """Tick positions on the unit scale and their labels in the hyperparameter's values."""
    if isinstance(param, _Choice):
        return ([param.to_unit(c) for c in param.choices], [str(c) for c in param.choices])
    where = np.linspace(0.0, 1.0, n_ticks).tolist()
    labels = []
    for u in where:
        value = param.from_unit(u)
        labels.append(f"{value:.3g}" if isinstance(value, float) else str(value))
    return where, labels
