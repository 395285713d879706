"""Where the search went: a 2-d map of the evaluated configurations and the incumbent's path.

Every trial's configuration is encoded on the unit cube (:meth:`Space.encode`) and turned
into features: a float, an integer or an ordinal is one feature (its unit value; -0.5
when inactive, half a cube away from every active value, so the branches of a conditional
space separate); a categorical of ``k`` choices is ``k`` one-hot features scaled by
``1 / sqrt(2)``, so two different choices lie at distance 1 as the two ends of a numeric
range do (all zeros when inactive); a constant adds nothing. The map is the principal
component analysis of those features: the two directions of largest variance.

Why PCA. DeepCAVE's footprint runs multidimensional scaling on the matrix of pairwise
distances: ``O(n^2)`` memory and time per iteration, capped at 4,000 configurations, and
with no way to place a new point. PCA costs one pass over the trials and a ``D x D``
eigen-decomposition (``D`` features), is exact and deterministic (each axis's sign is
fixed so that its largest loading is positive), and places any configuration, so the
incumbent's path is drawn in the same map. It preserves the large-scale structure (the
spread along the directions the search explored most) rather than local neighbourhoods;
``attrs["explained"]`` says how much of the variance the two axes hold, and
``attrs["loadings"]`` which features they follow.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from hyperpilot.analysis._data import ObjectiveArg
from hyperpilot.analysis._views import (
    STATE_COLORS,
    add_notes,
    all_trials,
    budget_rows,
    objective_specs,
    objective_values,
    running_best,
    thin,
    thinned_note,
    trial_violations,
    view_key,
)
from hyperpilot.space._params import Categorical, Constant
from hyperpilot.trial._trial import TrialState

if TYPE_CHECKING:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    from hyperpilot.space._space import Space
    from hyperpilot.study._study import Study

INACTIVE = -0.5
"""The feature value of an inactive numeric hyperparameter (see the module)."""

COLUMNS = ("number", "state", "x", "y", "value", "feasible", "budget", "incumbent_step")


def features(space: Space, X: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """The footprint's features of encoded rows *X* (NaN inactive), and their names."""
    columns: list[np.ndarray] = []
    names: list[str] = []
    scale = 1.0 / math.sqrt(2.0)
    for j, name in enumerate(space.names):
        param = space[name]
        column = X[:, j]
        if isinstance(param, Constant):
            continue
        if isinstance(param, Categorical):
            k = len(param.choices)
            index = np.where(np.isnan(column), -1,
                             np.minimum(np.floor(np.nan_to_num(column) * k), k - 1)).astype(int)
            for c, choice in enumerate(param.choices):
                columns.append(np.where(index == c, scale, 0.0))
                names.append(f"{name}={choice}")
        else:
            columns.append(np.where(np.isnan(column), INACTIVE, column))
            names.append(name)
    if not columns:
        return np.zeros((X.shape[0], 0)), names
    return np.column_stack(columns), names


def principal_axes(F: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean, the two leading axes (D x 2), their variances' shares, and the 2-d coordinates.

    Components beyond the number of features (or of distinct rows) are zero.
    """
    n, d = F.shape
    mean = F.mean(axis=0) if n else np.zeros(d)
    centred = F - mean
    axes = np.zeros((d, 2))
    shares = np.zeros(2)
    if n > 1 and d:
        covariance = centred.T @ centred / n
        eigenvalues, eigenvectors = np.linalg.eigh(covariance)
        order = np.argsort(eigenvalues)[::-1][:2]
        total = float(eigenvalues.clip(min=0.0).sum())
        for k, e in enumerate(order):
            if eigenvalues[e] <= 1e-12 * max(total, 1e-300):
                continue
            vector = eigenvectors[:, e]
            if vector[np.argmax(np.abs(vector))] < 0:
                vector = -vector
            axes[:, k] = vector
            shares[k] = float(eigenvalues[e]) / total
    return mean, axes, shares, centred @ axes


def footprint(
    study: Study,
    *,
    objective: ObjectiveArg = None,
    budget: float | Literal["all", "highest"] = "all",
) -> pd.DataFrame:
    """A 2-d map of every trial's configuration, with the incumbent's path (see the module).

    Args:
        study: the study to map.
        objective: the objective's name (needed with several) or weights; it colours the
            points and decides the incumbents.
        budget: ``"all"``, ``"highest"`` or a budget value.

    Returns:
        One row per trial (any state): ``number``, ``state``, ``x`` and ``y`` (the first
        two principal components), ``value`` (NaN unless complete), ``feasible``,
        ``budget`` and ``incumbent_step`` (0, 1, 2... for the trials that were the best so
        far, in the order they became it; -1 for the others). ``attrs``: ``cache_key``,
        ``explained`` (the share of the features' variance on each axis), ``loadings``
        (feature name to its weight on each axis) and ``objective``.

    Raises:
        AnalysisError: for an unknown objective or budget, or several objectives and no
            choice.

    """
    spec = objective_specs(study, objective, "footprint")[0]
    everything = all_trials(study)
    trials = [everything[i] for i in budget_rows(everything, budget, "footprint")]
    space = study.space
    F, names = features(space, space.encode([t.config for t in trials]))
    _, axes, shares, coords = principal_axes(F)
    values = objective_values(study, trials, spec)
    violation = trial_violations(study, trials)
    incumbents = running_best(values.loss, violation)
    path = list(dict.fromkeys(int(i) for i in incumbents if i >= 0))
    step = np.full(len(trials), -1, dtype=int)
    step[path] = np.arange(len(path))
    table: pd.DataFrame = pd.DataFrame({
        "number": np.array([t.number for t in trials], dtype=int),
        "state": [t.state.value for t in trials], "x": coords[:, 0], "y": coords[:, 1],
        "value": values.value, "feasible": violation == 0,
        "budget": [math.nan if t.budget is None else float(t.budget) for t in trials],
        "incumbent_step": step,
    }, columns=list(COLUMNS))
    table.attrs["cache_key"] = view_key("footprint", [study], live=True, objective=objective,
                                        budget=budget)
    table.attrs["explained"] = [float(s) for s in shares]
    table.attrs["loadings"] = {n: [float(a) for a in axes[i]] for i, n in enumerate(names)}
    table.attrs["objective"] = values.label
    table.attrs["direction"] = values.direction
    return table


def plot_footprint(result: pd.DataFrame | Study, **arguments: Any) -> go.Figure:
    """The map: values as colours, other states as crosses, the incumbents' path in red.

    Past ``MAX_POINTS`` (5,000) trials an evenly spaced subsample (by trial number, with
    every incumbent) is drawn, and the figure says so.

    Args:
        result: a table from :func:`footprint`, or a study.
        arguments: passed to :func:`footprint` when *result* is a study.

    """
    from hyperpilot.analysis._plots import as_table, graph_objects

    table = as_table(result, footprint, arguments)
    go = graph_objects()
    path = table[table["incumbent_step"] >= 0].sort_values("incumbent_step")
    rows = thin(len(table), keep=np.flatnonzero(table["incumbent_step"].to_numpy() >= 0))
    shown = table.iloc[rows]
    notes = [thinned_note(len(shown), len(table))] if len(shown) < len(table) else []
    figure = go.Figure()
    done = shown[shown["state"] == TrialState.COMPLETE.value]
    reverse = table.attrs.get("direction") == "maximize"
    objective = table.attrs.get("objective", "value")
    figure.add_trace(go.Scattergl(
        x=done["x"], y=done["y"], mode="markers", name="complete",
        marker={"size": 6, "color": done["value"], "colorscale": "Viridis",
                "reversescale": not reverse, "colorbar": {"title": objective},
                "opacity": np.where(done["feasible"], 0.8, 0.3)},
        customdata=np.column_stack([done["number"], done["value"]]),
        hovertemplate="trial %{customdata[0]}<br>%{customdata[1]:.4g}<extra></extra>"))
    for state in ("failed", "pruned", "running", "pending"):
        part = shown[shown["state"] == state]
        if len(part):
            figure.add_trace(go.Scattergl(
                x=part["x"], y=part["y"], mode="markers", name=state,
                marker={"size": 7, "symbol": "x", "color": STATE_COLORS[state]},
                customdata=part["number"],
                hovertemplate=f"trial %{{customdata}} {state}<extra></extra>"))
    if len(path):
        figure.add_trace(go.Scatter(
            x=path["x"], y=path["y"], mode="lines+markers", name="incumbent path",
            line={"color": "#dc2626", "width": 2}, marker={"size": 7, "color": "#dc2626"},
            customdata=path["number"],
            hovertemplate="incumbent: trial %{customdata}<extra></extra>"))
        figure.add_trace(go.Scatter(
            x=path["x"].tail(1), y=path["y"].tail(1), mode="markers", name="best",
            marker={"size": 16, "symbol": "star", "color": "#dc2626",
                    "line": {"color": "white", "width": 1}}))
    explained = table.attrs.get("explained", [math.nan, math.nan])
    figure.update_layout(
        title="Configuration footprint (principal components of the encoded configurations)",
        xaxis_title=f"component 1 ({explained[0]:.0%} of the variance)",
        yaxis_title=f"component 2 ({explained[1]:.0%} of the variance)", height=560)
    add_notes(figure, notes)
    return figure
