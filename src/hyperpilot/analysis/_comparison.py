"""Several studies side by side: anytime curves with their spread, and importances.

Studies come in groups: a mapping of labels to a study or a list of studies (several
seeds of one optimizer, say), or a list of studies grouped by name (equal names, one
group).

* :func:`compare_studies`: per group, the best value so far after 1, 2, ... trials of
  each study (feasible first, as :attr:`Study.best_trial` ranks; every trial counts as
  one, failed ones included), then over the group's studies the median and quartiles
  (studies that have not reached a trial count, or have no value yet, are left out
  there).
* :func:`compare_importances`: fANOVA main effects of each study (one result per study,
  every budget pooled unless a budget is given), side by side.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hyperpilot.analysis._data import AnalysisError, BudgetArg, TooFewTrialsError
from hyperpilot.analysis._views import (
    add_notes,
    all_trials,
    objective_values,
    running_best,
    thin,
    trial_violations,
    view_key,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    import plotly.graph_objects as go  # type: ignore[import-untyped]

    from hyperpilot.study._study import Study

    GroupsArg = Study | Sequence[Study] | Mapping[str, Study | Sequence[Study]]
    """Groups of studies (see the module)."""

CURVE_COLUMNS = ("group", "trials", "median", "q25", "q75", "best", "worst", "n_studies")
IMPORTANCE_COLUMNS = ("group", "study", "hyperparameter", "importance", "std", "n_trials",
                      "cv_r2", "warning")
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")


def groups_of(studies: GroupsArg, what: str) -> list[tuple[str, list[Study]]]:
    """(label, studies) pairs from what :func:`compare_studies` accepts."""
    from hyperpilot.study._study import Study

    if isinstance(studies, Study):
        studies = [studies]
    if isinstance(studies, Mapping):
        out = [(str(k), [v] if isinstance(v, Study) else list(v)) for k, v in studies.items()]
    else:
        named: dict[str, list[Study]] = {}
        for study in studies:
            if not isinstance(study, Study):
                raise AnalysisError(f"{what}: expected studies, got {type(study).__name__}")
            named.setdefault(study.name, []).append(study)
        out = list(named.items())
    for label, members in out:
        if not members or not all(isinstance(s, Study) for s in members):
            raise AnalysisError(f"{what}: group {label!r} must hold one or more studies")
    if not out:
        raise AnalysisError(f"{what}: no study given")
    return out


def _objective(groups: list[tuple[str, list[Study]]], objective: str | None,
               what: str) -> tuple[str, str]:
    """The objective's name in every study (checked) and its direction."""
    if objective is not None and not isinstance(objective, str):
        raise AnalysisError(f"{what}: objective must be one objective's name (weights are "
                            f"standardized per study, so they do not compare), got "
                            f"{objective!r}")
    directions, chosen_names = set(), set()
    for label, members in groups:
        for study in members:
            names = [o.name for o in study.objectives]
            if objective is None and len(names) != 1:
                raise AnalysisError(f"{what}: study {study.name!r} ({label}) has "
                                    f"{len(names)} objectives {names}; pass objective=")
            chosen = names[0] if objective is None else objective
            if chosen not in names:
                raise AnalysisError(f"{what}: unknown objective {chosen!r} in study "
                                    f"{study.name!r} ({label}); it has {names}")
            directions.add({o.name: o.direction for o in study.objectives}[chosen])
            chosen_names.add(chosen)
    if len(directions) != 1:
        raise AnalysisError(f"{what}: the objective is minimized in some studies and "
                            f"maximized in others ({sorted(directions)})")
    label = chosen_names.pop() if len(chosen_names) == 1 else "value"
    return label, directions.pop()


def compare_studies(studies: GroupsArg, *, objective: str | None = None) -> pd.DataFrame:
    """Anytime curves of groups of studies: median and quartiles of the best so far.

    Args:
        studies: see the module (a mapping of labels to studies, or a list of studies).
        objective: the objective's name in every study (default: each study's only one).

    Returns:
        One row per group and trial count: ``group``, ``trials`` (1, 2, ...), ``median``,
        ``q25``, ``q75``, ``best`` and ``worst`` (over the group's studies, in the
        objective's own direction) and ``n_studies`` (studies with a value there).
        ``attrs``: ``cache_key``, ``objective``, ``direction``.

    Raises:
        AnalysisError: for an unknown objective, weights, several objectives and no
            choice, or directions that differ between studies.

    """
    groups = groups_of(studies, "compare_studies")
    label, direction = _objective(groups, objective, "compare_studies")
    frames = []
    for group, members in groups:
        curves = []
        for study in members:
            trials = all_trials(study)
            name = objective or study.objectives[0].name
            values = objective_values(study, trials, name)
            incumbent = running_best(values.loss, trial_violations(study, trials))
            curves.append(np.where(incumbent >= 0, values.value[np.maximum(incumbent, 0)],
                                   math.nan))
        length = max((len(c) for c in curves), default=0)
        stacked = np.full((len(curves), length), math.nan)
        for k, curve in enumerate(curves):
            stacked[k, :len(curve)] = curve
        counts = (~np.isnan(stacked)).sum(axis=0)
        q25, median, q75 = (_nan_reduce(lambda a, axis, q=q: np.percentile(a, q, axis=axis),
                                        stacked) for q in (25, 50, 75))
        sign = -1.0 if direction == "maximize" else 1.0
        oriented = sign * stacked
        best = sign * _nan_reduce(np.min, oriented)
        worst = sign * _nan_reduce(np.max, oriented)
        frames.append(pd.DataFrame({
            "group": group, "trials": np.arange(1, length + 1), "median": median,
            "q25": q25, "q75": q75, "best": best, "worst": worst, "n_studies": counts,
        }, columns=list(CURVE_COLUMNS)))
    table: pd.DataFrame = pd.concat(frames, ignore_index=True)
    table.attrs["cache_key"] = view_key(
        "compare_studies", [s for _, members in groups for s in members], objective=objective,
        groups=[(g, len(m)) for g, m in groups])
    table.attrs["objective"] = label
    table.attrs["direction"] = direction
    return table


def _nan_reduce(reduce: Any, stacked: np.ndarray) -> np.ndarray:
    """*reduce* over axis 0 of each column's values (NaN left out); NaN without any."""
    out = np.full(stacked.shape[1], math.nan)
    counts = (~np.isnan(stacked)).sum(axis=0)
    for count in np.unique(counts[counts > 0]):
        # columns with the same number of values: those values, sorted first, in one call
        columns = np.flatnonzero(counts == count)
        values = np.sort(stacked[:, columns], axis=0)[:count]
        out[columns] = reduce(values, axis=0)
    return out


def plot_compare_studies(result: pd.DataFrame | GroupsArg, **arguments: Any) -> go.Figure:
    """Per group, the median best-so-far line with a band between the quartiles.

    Curves longer than ``MAX_POINTS`` (5,000) trial counts are drawn at an evenly spaced
    subsample of them, and the figure says so.

    Args:
        result: a table from :func:`compare_studies`, or what it takes.
        arguments: passed to :func:`compare_studies` when *result* is not a table.

    """
    from hyperpilot.analysis._plots import graph_objects

    table = result if isinstance(result, pd.DataFrame) else compare_studies(result,
                                                                            **arguments)
    go = graph_objects()
    figure = go.Figure()
    notes = []
    for k, group in enumerate(dict.fromkeys(table["group"])):
        part = table[table["group"] == group]
        rows = thin(len(part), keep=[len(part) - 1])
        if len(rows) < len(part):
            notes.append(f"{group}: showing {len(rows):,} of {len(part):,} trial counts")
        part = part.iloc[rows]
        color = PALETTE[k % len(PALETTE)]
        figure.add_trace(go.Scatter(x=part["trials"], y=part["q75"], mode="lines",
                                    line={"width": 0, "color": color}, showlegend=False,
                                    legendgroup=group, hoverinfo="skip"))
        figure.add_trace(go.Scatter(x=part["trials"], y=part["q25"], mode="lines",
                                    line={"width": 0, "color": color}, fill="tonexty",
                                    opacity=0.2, showlegend=False, legendgroup=group,
                                    hoverinfo="skip"))
        studies = int(part["n_studies"].max()) if len(part) else 0
        figure.add_trace(go.Scatter(x=part["trials"], y=part["median"], mode="lines",
                                    line={"color": color, "shape": "hv"}, legendgroup=group,
                                    name=f"{group} (median of {studies})"))
    objective = table.attrs.get("objective", "value")
    figure.update_layout(title=f"Best {objective} so far: median and quartiles over studies",
                         xaxis_title="trials", yaxis_title=f"best {objective}", height=440)
    add_notes(figure, notes)
    return figure


def compare_importances(
    studies: GroupsArg,
    *,
    objective: str | None = None,
    budget: BudgetArg = "all",
    n_bootstrap: int = 0,
    seed: int = 0,
) -> pd.DataFrame:
    """The fANOVA main effects of each study, side by side (see the module).

    Args:
        studies: see the module.
        objective: the objective's name in every study (default: each study's only one).
        budget: passed to :func:`~hyperpilot.analysis.fanova` (``"all"`` pools budgets).
        n_bootstrap: passed to :func:`~hyperpilot.analysis.fanova`.
        seed: the forests' seed.

    Returns:
        One row per study and hyperparameter: ``group``, ``study`` (its name, numbered
        within the group when there are several), ``hyperparameter``, ``importance``,
        ``std`` (over trees), ``n_trials``, ``cv_r2`` and ``warning``. A study with too
        few trials is left out and named in ``attrs["notes"]``. ``attrs["cache_key"]``.

    Raises:
        AnalysisError: as :func:`compare_studies`.

    """
    from hyperpilot.analysis._fanova import fanova

    groups = groups_of(studies, "compare_importances")
    _objective(groups, objective, "compare_importances")
    frames, notes = [], []
    for group, members in groups:
        for k, study in enumerate(members):
            name = study.name if len(members) == 1 else f"{study.name} #{k + 1}"
            try:
                table = fanova(study, objective=objective, budget=budget, pairs=False,
                               n_bootstrap=n_bootstrap, seed=seed)
            except TooFewTrialsError as error:
                notes.append(f"{group} / {name}: {error}")
                continue
            table = table[table["kind"] == "main"]
            frames.append(pd.DataFrame({
                "group": group, "study": name,
                "hyperparameter": table["hyperparameter"].to_numpy(),
                "importance": table["importance"].to_numpy(), "std": table["std"].to_numpy(),
                "n_trials": table["n_trials"].to_numpy(), "cv_r2": table["cv_r2"].to_numpy(),
                "warning": table["warning"].to_numpy(),
            }, columns=list(IMPORTANCE_COLUMNS)))
    out: pd.DataFrame = (pd.concat(frames, ignore_index=True) if frames
                         else pd.DataFrame(columns=list(IMPORTANCE_COLUMNS)))
    out.attrs["cache_key"] = view_key(
        "compare_importances", [s for _, members in groups for s in members],
        objective=objective, budget=budget, n_bootstrap=n_bootstrap, seed=seed,
        groups=[(g, len(m)) for g, m in groups])
    out.attrs["notes"] = notes
    out.attrs["warnings"] = sorted({w for w in out["warning"] if w})
    return out


def plot_compare_importances(result: pd.DataFrame | GroupsArg, *, top: int = 15,
                             **arguments: Any) -> go.Figure:
    """Grouped bars: per hyperparameter, each group's mean importance over its studies.

    Error bars are the standard deviation over the group's studies (over trees for a group
    of one study). Hyperparameters are ordered by their mean importance over all groups;
    the *top* most important are shown.

    Args:
        result: a table from :func:`compare_importances`, or what it takes.
        top: how many hyperparameters to show.
        arguments: passed to :func:`compare_importances` when *result* is not a table.

    """
    from hyperpilot.analysis._plots import add_warnings, graph_objects

    table = result if isinstance(result, pd.DataFrame) else compare_importances(result,
                                                                                **arguments)
    go = graph_objects()
    order = (table.groupby("hyperparameter")["importance"].mean()
             .sort_values(ascending=False).head(top).index.tolist())
    figure = go.Figure()
    for k, group in enumerate(dict.fromkeys(table["group"])):
        part = table[table["group"] == group]
        mean = part.groupby("hyperparameter")["importance"].mean().reindex(order)
        studies = part["study"].nunique()
        spread = (part.groupby("hyperparameter")["importance"].std(ddof=0) if studies > 1
                  else part.groupby("hyperparameter")["std"].mean()).reindex(order)
        figure.add_trace(go.Bar(x=order, y=mean.to_numpy(), name=f"{group} ({studies})",
                                marker={"color": PALETTE[k % len(PALETTE)]},
                                error_y={"type": "data", "array": spread.fillna(0).to_numpy()}))
    figure.update_layout(title="fANOVA importance by study group", barmode="group",
                         yaxis_title="importance (share of variance)", height=440)
    add_warnings(figure, table)
    add_notes(figure, table.attrs.get("notes", []))
    return figure
