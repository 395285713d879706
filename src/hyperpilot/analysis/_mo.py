"""Multi-objective importance: fANOVA per objective and across weightings of the objectives.

Following MO-HPI (Theodorakopoulos et al., *Hyperparameter Importance Analysis for
Multi-Objective AutoML*, 2024), the objectives are scalarized a priori: each is oriented
(lower is better), standardized over the trials and summed with its weight (see
:func:`~hyperpilot.analysis.analysis_data`), and the fANOVA main effects of the weighted
sum are computed on an explanation forest of their own. Moving the weights from one
objective to the other shows how the importance of each hyperparameter shifts along the
trade-off: a hyperparameter that only matters for one objective fades as its weight goes
to zero.

Weightings: for two objectives, ``n`` weights evenly spaced from 0 to 1 on the first (the
second takes the rest); for three or more, the simplex grid of step ``1 / (n - 1)``
(every weighting whose weights are multiples of the step and sum to 1); or weightings
given one by one. Each objective alone (its raw, oriented values) can be added: fANOVA
shares do not change when a target is shifted and scaled, so it matches the weighting
that puts all weight on it, up to ties.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import combinations_with_replacement
from typing import TYPE_CHECKING, Any

import numpy as np

from hyperpilot.analysis._data import (
    AnalysisData,
    AnalysisError,
    BudgetArg,
    analysis_datasets,
    cache_key,
    check_names,
)
from hyperpilot.analysis._fanova import MIN_TRIALS, _one_budget
from hyperpilot.analysis._surrogate import ForestSettings
from hyperpilot.analysis._trust import finish

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    from hyperpilot.study._study import Study

COLUMNS = ("budget", "kind", "objective", "weights", "weight", "hyperparameter", "importance",
           "std", "low", "high", "n_trials", "cv_r2", "spearman", "warning")


def weight_grid(k: int, n: int) -> list[tuple[float, ...]]:
    """Every weighting of *k* objectives in steps of ``1 / (n - 1)`` that sums to 1.

    For two objectives: the first's weight from 0 to 1 (``n`` weightings); in general,
    ``C(n + k - 2, k - 1)`` weightings, in lexicographic order of the first weights.
    """
    steps = n - 1
    out = []
    for cut in combinations_with_replacement(range(steps + 1), k - 1):
        parts = np.diff((0, *cut, steps))
        out.append(tuple(float(p) / steps for p in parts))
    return sorted(out)


def _objective_names(study: Study, objectives: Sequence[str] | None) -> list[str]:
    names = [o.name for o in study.objectives]
    if len(names) < 2:
        raise AnalysisError(
            f"mo_importance: the study has one objective ({names[0]!r}); multi-objective "
            "importance needs two or more (use fanova)"
        )
    if objectives is None:
        return names
    chosen = [objectives] if isinstance(objectives, str) else list(objectives)
    for name in chosen:
        if name not in names:
            raise AnalysisError(f"mo_importance: unknown objective {name!r}; the study has "
                                f"{names}")
    if len(set(chosen)) < 2:
        raise AnalysisError(f"mo_importance: objectives must name two or more different "
                            f"objectives, got {objectives!r}")
    return list(dict.fromkeys(chosen))


def _weightings(names: list[str], weights: int | Sequence[Mapping[str, float]] | None
                ) -> list[tuple[float, ...]]:
    if weights is None:
        weights = 11 if len(names) == 2 else 6
    if isinstance(weights, bool):
        raise AnalysisError(f"mo_importance: weights must be a number of steps or a list of "
                            f"weightings, got {weights!r}")
    if isinstance(weights, int):
        if weights < 2:
            raise AnalysisError(f"mo_importance: weights must be at least 2 steps, got "
                                f"{weights}")
        return weight_grid(len(names), weights)
    out = []
    for weighting in weights:
        if not isinstance(weighting, Mapping):
            raise AnalysisError("mo_importance: each weighting must be a mapping of "
                                f"objective names to weights, got {weighting!r}")
        for name, value in weighting.items():
            if name not in names:
                raise AnalysisError(f"mo_importance: unknown objective {name!r} in weights; "
                                    f"the objectives are {names}")
            if (isinstance(value, bool) or not isinstance(value, (int, float))
                    or not math.isfinite(value) or value < 0):
                raise AnalysisError(f"mo_importance: the weight of {name!r} must be a "
                                    f"non-negative number, got {value!r}")
        row = tuple(float(weighting.get(n, 0.0)) for n in names)
        if sum(row) <= 0:
            raise AnalysisError(f"mo_importance: a weighting needs a positive weight, got "
                                f"{dict(weighting)!r}")
        out.append(row)
    if not out:
        raise AnalysisError("mo_importance: weights is an empty list")
    return out


def mo_importance(
    study: Study,
    *,
    objectives: Sequence[str] | None = None,
    weights: int | Sequence[Mapping[str, float]] | None = None,
    per_objective: bool = True,
    budget: BudgetArg = "highest",
    hyperparameters: Sequence[str] | None = None,
    trials: Sequence[int] | None = None,
    n_trees: int = 16,
    n_bootstrap: int = 0,
    seed: int = 0,
) -> pd.DataFrame:
    """Importances (fANOVA) per objective and across weightings of the objectives.

    Args:
        study: a study with two or more objectives.
        objectives: the objectives to weigh (default: all of them).
        weights: the number of weights per objective (default 11 for two objectives, a
            simplex grid of step 0.2 for three or more; see the module), or a list of
            weightings such as ``[{"loss": 0.3, "acc": 0.7}]`` (missing objectives weigh
            0).
        per_objective: also report each objective alone.
        budget: ``"highest"`` (the highest budget with at least ten trials), ``"all"``,
            ``"each"`` or a budget value.
        hyperparameters: the names to report (default: all); the forest always sees all.
        trials: trial numbers to restrict the analysis to.
        n_trees: trees of each explanation forest.
        n_bootstrap: resamples of the trials for ``low``/``high`` (0: none, NaN).
        seed: the seed of the forests, the folds and the resamples.

    Returns:
        One row per hyperparameter and objective (``kind="objective"``) or weighting
        (``kind="weighted"``), per budget: ``objective`` in words, ``weights`` (one per
        objective of ``attrs["objectives"]``, normalized to sum to 1), ``weight`` (the
        first objective's), then ``importance`` (mean main-effect share over trees),
        ``std``, ``low``/``high`` and the trust columns. Within each weighting the rows are
        ordered by importance.

    Raises:
        AnalysisError: for a study with one objective, an unknown objective or
            hyperparameter, or invalid weights.
        TooFewTrialsError: with fewer than ten complete trials (at every budget).

    """
    names = _objective_names(study, objectives)
    grid = _weightings(names, weights)
    wanted = check_names(study.space, hyperparameters, "mo_importance")
    columns = [study.space.names.index(n) for n in wanted]
    settings = ForestSettings(n_trees=n_trees, seed=seed)
    targets: list[tuple[str, str | dict[str, float], tuple[float, ...]]] = []
    if per_objective:
        for i, name in enumerate(names):
            targets.append(("objective", name, tuple(float(i == j) for j in range(len(names)))))
    for weighting in grid:
        total = sum(weighting)
        normal = tuple(w / total for w in weighting)
        targets.append(("weighted", dict(zip(names, normal, strict=True)), normal))
    rows: list[dict[str, Any]] = []
    used: list[AnalysisData] = []
    for kind, target, normal in targets:
        datasets = analysis_datasets(study, objective=target, budget=budget, trials=trials,
                                     min_trials=MIN_TRIALS, what="mo_importance")
        for data in datasets:
            used.append(data)
            for row in _one_budget(data, columns, [], settings, n_bootstrap):
                rows.append({
                    "budget": row["budget"], "kind": kind, "objective": data.objective,
                    "weights": normal, "weight": normal[0],
                    "hyperparameter": row["hyperparameter"], "importance": row["importance"],
                    "std": row["std"], "low": row["low"], "high": row["high"],
                    "n_trials": row["n_trials"], "cv_r2": row["cv_r2"],
                    "spearman": row["spearman"], "warning": row["warning"],
                })
    key = cache_key("mo_importance", used, objectives=names, weights=grid,
                    per_objective=per_objective, hyperparameters=hyperparameters,
                    n_trees=n_trees, n_bootstrap=n_bootstrap, seed=seed)
    return finish(rows, COLUMNS, key, objectives=tuple(names))


def plot_mo_importance(result: pd.DataFrame | Study, *, top: int = 10,
                       **arguments: Any) -> go.Figure:
    """Importance against the weighting, one line per hyperparameter (the *top* ones).

    For two objectives the x axis is the first objective's weight; for more, the
    weightings in order. Each objective alone is a marker at the weighting that puts all
    weight on it; the band is the spread over trees. *result* is a table from
    :func:`mo_importance`, or a study (then ``mo_importance(study, **arguments)`` is
    computed).
    """
    from hyperpilot.analysis._plots import add_warnings, as_table, graph_objects

    go = graph_objects()
    table = as_table(result, mo_importance, arguments)
    names = list(table.attrs.get("objectives", ()))
    weighted = table[table["kind"] == "weighted"]
    two = len(names) == 2
    labels = list(dict.fromkeys(weighted["weights"]))
    position = {w: (w[0] if two else i) for i, w in enumerate(labels)}
    ranked = (table.groupby("hyperparameter")["importance"].mean()
              .sort_values(ascending=False).index[:top])
    budgets = list(dict.fromkeys(table["budget"].fillna(-1.0)))
    figure = go.Figure()
    palette = ["#1d4ed8", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2", "#be185d",
               "#4d7c0f", "#475569", "#b45309"]
    for h, name in enumerate(ranked):
        color = palette[h % len(palette)]
        for b, budget in enumerate(budgets):
            part = weighted[(weighted["hyperparameter"] == name)
                            & (weighted["budget"].fillna(-1.0) == budget)]
            label = name if len(budgets) == 1 else f"{name} (budget {budget:g})"
            x = [position[w] for w in part["weights"]]
            figure.add_trace(go.Scatter(
                x=x, y=part["importance"], mode="lines+markers", name=label,
                line={"color": color, "dash": ["solid", "dash", "dot", "dashdot"][b % 4]},
                error_y={"type": "data", "array": part["std"].to_numpy(), "thickness": 0.8},
                customdata=part["objective"], hovertemplate="%{customdata}<br>%{y:.1%}"))
            alone = table[(table["kind"] == "objective") & (table["hyperparameter"] == name)
                          & (table["budget"].fillna(-1.0) == budget)]
            if len(alone):
                figure.add_trace(go.Scatter(
                    x=[position.get(w, w[0] if two else -1) for w in alone["weights"]],
                    y=alone["importance"], mode="markers", showlegend=False,
                    marker={"symbol": "star", "size": 11, "color": color},
                    customdata=alone["objective"],
                    hovertemplate="%{customdata} alone<br>%{y:.1%}"))
    if two:
        figure.update_layout(xaxis_title=f"weight of {names[0]} (1 - weight of {names[1]})")
    else:
        figure.update_layout(xaxis={"tickmode": "array", "tickvals": list(range(len(labels))),
                                    "ticktext": ["/".join(f"{v:.2g}" for v in w)
                                                 for w in labels]},
                             xaxis_title=f"weights of {' / '.join(names)}")
    figure.update_layout(title="Hyperparameter importance across objective weightings (fANOVA)",
                         yaxis_title="importance (share of variance)")
    add_warnings(figure, table)
    return figure
