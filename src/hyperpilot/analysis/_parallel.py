"""Parallel coordinates, the axes ordered by importance.

One axis per hyperparameter and one for the objective; each complete trial is a line.
Axes sit on the unit scale of the encoding, so a log-scaled hyperparameter is spread
evenly in its logarithm and a categorical's choices are evenly spaced ticks labelled
with their names; an inactive value sits on a tick of its own, "inactive", below the
range. The axes are ordered by fANOVA main-effect share (most important next to the
objective's axis), computed on the same trials (at most ``ORDER_TRIALS``, 2,000, evenly
spaced) when there are ten or more complete ones; with fewer, or ``order="given"``, they
keep the given order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from hyperpilot.analysis._data import AnalysisError, ObjectiveArg, TooFewTrialsError, check_names
from hyperpilot.analysis._views import (
    add_notes,
    all_trials,
    budget_rows,
    objective_specs,
    objective_values,
    running_best,
    thin,
    trial_violations,
    unit_ticks,
    view_key,
)
from hyperpilot.trial._trial import TrialState

if TYPE_CHECKING:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    from hyperpilot.study._study import Study

MAX_LINES = 1_000
"""The figure draws at most this many trials: past it, the best tenth of them and an
evenly spaced subsample (by trial number) of the rest; the figure says so."""

ORDER_TRIALS = 2_000
"""The importance order is computed on at most this many complete trials (evenly spaced
by number): enough to order the axes, at a fraction of the cost."""

INACTIVE_TICK = -0.12
"""Where an inactive value sits on its axis (unit scale)."""

CONFIG = "config."
UNIT = "unit."


def parallel_coordinates(
    study: Study,
    *,
    objective: ObjectiveArg = None,
    budget: float | Literal["all", "highest"] = "all",
    hyperparameters: Sequence[str] | None = None,
    order: Literal["importance", "given"] = "importance",
    seed: int = 0,
) -> pd.DataFrame:
    """Every trial's configuration and value, with the axes in importance order.

    Args:
        study: the study to show.
        objective: the objective's name (needed with several) or weights.
        budget: ``"all"``, ``"highest"`` or a budget value.
        hyperparameters: the axes (default: every hyperparameter).
        order: ``"importance"`` (fANOVA main effects, when there are ten or more complete
            trials) or ``"given"``.
        seed: the seed of the fANOVA forest.

    Returns:
        One row per trial (any state): ``number``, ``state``, ``value`` (NaN unless
        complete), ``feasible``, ``budget``, then per hyperparameter in axis order
        ``config.<name>`` (its value; None when inactive) and ``unit.<name>`` (its
        encoding in [0, 1]; NaN when inactive). ``attrs``: ``cache_key``, ``order`` (the
        names, most important first), ``ordered_by`` ("importance" or "given"),
        ``importance`` (name to main-effect share, when ordered by it), ``objective``,
        ``direction``, ``best`` (the incumbent's number).

    Raises:
        AnalysisError: naming an unknown objective or hyperparameter.

    """
    from hyperpilot.analysis._fanova import fanova

    if order not in ("importance", "given"):
        raise AnalysisError(f"parallel_coordinates: order must be 'importance' or 'given', "
                            f"got {order!r}")
    spec = objective_specs(study, objective, "parallel_coordinates")[0]
    names = check_names(study.space, hyperparameters, "parallel_coordinates")
    everything = all_trials(study)
    trials = [everything[i] for i in budget_rows(everything, budget, "parallel_coordinates")]
    values = objective_values(study, trials, spec)
    importance: dict[str, float] = {}
    if order == "importance":
        done = [t.number for t in trials if t.state == TrialState.COMPLETE]
        subset = ([done[i] for i in thin(len(done), ORDER_TRIALS)]
                  if len(done) > ORDER_TRIALS else None)
        try:
            shares = fanova(study, objective=objective, budget=budget, hyperparameters=names,
                            pairs=False, n_bootstrap=0, seed=seed, trials=subset)
        except TooFewTrialsError:
            shares = None
        if shares is not None:
            importance = {str(n): float(v) for n, v in zip(
                shares["hyperparameter"], shares["importance"], strict=True)}
            names = sorted(names, key=lambda n: -importance.get(n, 0.0))
    violation = trial_violations(study, trials)
    X = study.space.encode([t.config for t in trials])
    table: pd.DataFrame = pd.DataFrame({
        "number": np.array([t.number for t in trials], dtype=int),
        "state": [t.state.value for t in trials], "value": values.value,
        "feasible": violation == 0,
        "budget": [math.nan if t.budget is None else float(t.budget) for t in trials],
    })
    columns: dict[str, Any] = {}
    for name in names:
        columns[CONFIG + name] = pd.Series([t.config.get(name) for t in trials], dtype=object)
        columns[UNIT + name] = X[:, study.space.names.index(name)]
    table = pd.concat([table, pd.DataFrame(columns, index=table.index)], axis=1)
    incumbent = running_best(values.loss, violation)
    table.attrs["cache_key"] = view_key("parallel_coordinates", [study], objective=objective,
                                        budget=budget, hyperparameters=hyperparameters,
                                        order=order, seed=seed)
    table.attrs["order"] = names
    table.attrs["ordered_by"] = "importance" if importance else "given"
    table.attrs["importance"] = importance
    table.attrs["objective"] = values.label
    table.attrs["direction"] = values.direction
    last = int(incumbent[-1]) if len(incumbent) else -1
    table.attrs["best"] = int(trials[last].number) if last >= 0 else -1
    table.attrs["ticks"] = {n: unit_ticks(study.space[n]) for n in names}
    return table


def plot_parallel_coordinates(result: pd.DataFrame | Study, **arguments: Any) -> go.Figure:
    """Parallel coordinates of the complete trials, coloured by value.

    The objective's axis comes first, then the hyperparameters, most important first. Past
    ``MAX_LINES`` (1,000) trials, the best tenth and an evenly spaced subsample of the rest
    are drawn, and the figure says so; failed and running trials have no value and are
    counted in a note.

    Args:
        result: a table from :func:`parallel_coordinates`, or a study.
        arguments: passed to :func:`parallel_coordinates` when *result* is a study.

    """
    from hyperpilot.analysis._plots import as_table, graph_objects

    table = as_table(result, parallel_coordinates, arguments)
    go = graph_objects()
    done = table[table["state"] == TrialState.COMPLETE.value].reset_index(drop=True)
    notes = []
    if len(done) > MAX_LINES:
        sign = -1.0 if table.attrs.get("direction") == "maximize" else 1.0
        top = np.argsort(sign * done["value"].to_numpy(), kind="stable")[:MAX_LINES // 10]
        rows = thin(len(done), MAX_LINES - len(top), keep=top)
        notes.append(f"showing {len(rows):,} of {len(done):,} complete trials (the best "
                     f"{len(top):,} and an evenly spaced subsample; at most "
                     f"{MAX_LINES:,} lines)")
        done = done.iloc[rows]
    others = int((table["state"] != TrialState.COMPLETE.value).sum())
    if others:
        notes.append(f"{others} trial(s) without a value (failed, pruned, running, pending) "
                     "are not drawn")
    objective = table.attrs.get("objective", "value")
    dimensions = [{"label": objective, "values": done["value"]}]
    ticks = table.attrs.get("ticks", {})
    for name in table.attrs.get("order", []):
        unit = done[UNIT + name].to_numpy(dtype=float)
        where, labels = ticks.get(name, ([0.0, 1.0], ["0", "1"]))
        where, labels = list(where), list(labels)
        low = 0.0
        if np.isnan(unit).any():
            unit = np.where(np.isnan(unit), INACTIVE_TICK, unit)
            where, labels, low = [INACTIVE_TICK, *where], ["inactive", *labels], INACTIVE_TICK
        dimensions.append({"label": name, "values": unit, "range": [low, 1.0],
                           "tickvals": where, "ticktext": labels})
    reverse = table.attrs.get("direction") != "maximize"
    figure = go.Figure(go.Parcoords(
        line={"color": done["value"], "colorscale": "Viridis", "reversescale": reverse,
              "showscale": True, "colorbar": {"title": objective}},
        dimensions=dimensions))
    by = table.attrs.get("ordered_by", "given")
    figure.update_layout(title=f"Parallel coordinates (axes ordered by {by})", height=480)
    add_notes(figure, notes)
    return figure
