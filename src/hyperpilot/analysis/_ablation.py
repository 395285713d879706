"""The surrogate ablation path from a reference configuration to the incumbent.

Biedenkapp et al. (AAAI 2017) walk from a reference configuration (by default the space's
default) to the incumbent, one hyperparameter at a time, and measure what each change
gains. With the explanation forest standing in for real runs (their surrogate variant):

1. start at the reference;
2. among the hyperparameters active in both the current configuration and the incumbent
   but set differently, try each one at the incumbent's value, and keep the change the
   forest predicts best (lowest target);
3. repeat until the current configuration is the incumbent.

Conditions are respected: a changed parent switches its children on or off with it, and
children that turn on take the incumbent's values (its defaults when the incumbent leaves
them out), so a step can move several hyperparameters together; it is named after all of
them. Forbidden intermediate configurations are skipped. Each step's ``gain`` is the
predicted improvement (positive is better, in the objective's units) with its spread over
trees; the bootstrap interval re-predicts the same path with forests fitted to resampled
trials.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from hyperpilot.analysis._data import ObjectiveArg, analysis_data, cache_key
from hyperpilot.analysis._fanova import MIN_TRIALS
from hyperpilot.analysis._lpi import configuration_row, incumbent_row
from hyperpilot.analysis._surrogate import ExplanationForest, ForestSettings, surrogate_fit
from hyperpilot.analysis._trust import bootstrap_rows, finish, intervals, trust_columns

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    from hyperpilot.study._study import Study

COLUMNS = ("budget", "step", "hyperparameter", "hyperparameters", "predicted", "std", "gain",
           "gain_std", "low", "high", "share", "n_trials", "cv_r2", "spearman", "warning")


def _differs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Column by column: is the value (or the activity) different? NaN equals NaN."""
    out: np.ndarray = ~((np.abs(a - b) <= 1e-12) | (np.isnan(a) & np.isnan(b)))
    return out


def ablation_path(forest: ExplanationForest, start: np.ndarray,
                  goal: np.ndarray) -> list[tuple[tuple[int, ...], np.ndarray]]:
    """The greedy path: per step, the columns that moved and the row reached.

    The first entry is the start itself with no column moved.
    """
    vs = forest.vector_space
    current = vs.canonical(start[None, :])[0]
    goal = vs.canonical(goal[None, :])[0]
    path: list[tuple[tuple[int, ...], np.ndarray]] = [((), current)]
    for _ in range(2 * current.size + 1):
        both = ~np.isnan(current) & ~np.isnan(goal)
        candidates = np.flatnonzero(both & _differs(current, goal))
        if candidates.size == 0:
            break
        rows = np.repeat(current[None, :], candidates.size, axis=0)
        rows[np.arange(candidates.size), candidates] = goal[candidates]
        off = np.isnan(current)
        rows[:, off] = goal[off]  # children a move turns on take the incumbent's values
        rows = vs.canonical(rows)
        allowed = ~vs.forbidden_mask(rows)
        if not allowed.any():
            break
        predicted = forest.predict(rows)
        predicted[~allowed] = np.inf
        best = rows[int(np.argmin(predicted))]
        moved = tuple(int(j) for j in np.flatnonzero(_differs(current, best)))
        path.append((moved, best))
        current = best
    return path


def ablation(
    study: Study,
    *,
    objective: ObjectiveArg = None,
    reference: Mapping[str, Any] | None = None,
    incumbent: Mapping[str, Any] | None = None,
    budget: float | Literal["all", "highest"] = "highest",
    trials: Sequence[int] | None = None,
    n_trees: int = 16,
    n_bootstrap: int = 10,
    seed: int = 0,
) -> pd.DataFrame:
    """The predicted ablation path from *reference* to the incumbent (see the module).

    Args:
        study: the study to explain.
        objective: the objective's name (needed with several objectives), or weights.
        reference: where the path starts (default: the space's default configuration);
            missing active hyperparameters take their defaults.
        incumbent: where it ends (default: the best trial's configuration).
        budget: ``"highest"`` (the highest budget with at least ten trials), ``"all"`` or
            a budget value.
        trials: trial numbers to restrict the analysis to.
        n_trees: trees of the explanation forest.
        n_bootstrap: resamples of the trials for the gains' ``low``/``high`` (0: none).
        seed: the seed of the forest, the folds and the resamples.

    Returns:
        One row per step, the reference first (step 0): the hyperparameters changed,
        ``predicted`` (the forest's mean prediction, in the objective's direction; for
        weighted objectives the weighted standardized score, lower is better) with its
        ``std`` over trees, ``gain`` (improvement over the previous step, positive is
        better) with ``gain_std``, ``low``/``high``, ``share`` of the total gain and the
        trust columns. ``attrs`` holds the ``reference`` and ``incumbent``.

    Raises:
        AnalysisError: naming an unknown objective or hyperparameter.
        ConfigurationError: for a reference or incumbent value that does not fit.
        TooFewTrialsError: with fewer than ten complete trials.

    """
    data = analysis_data(study, objective=objective, budget=budget, trials=trials,
                         min_trials=MIN_TRIALS, what="ablation")
    space = data.space
    start, start_config = configuration_row(space, reference or {}, "ablation", "reference")
    goal, goal_config = incumbent_row(data, incumbent, "ablation")
    settings = ForestSettings(n_trees=n_trees, seed=seed)
    fit = surrogate_fit(data, settings)
    path = ablation_path(fit.forest, start, goal)
    rows = np.vstack([row for _, row in path])
    per_tree = fit.forest.predict_trees(rows)  # lower is better
    gains = per_tree[:, :-1] - per_tree[:, 1:]
    replicates = []
    for b, resample in enumerate(bootstrap_rows(data.n, n_bootstrap, seed)):
        sample = data.subset(resample)
        forest = ExplanationForest(space, ForestSettings(n_trees=n_trees, seed=seed + 101 + b))
        again = forest.fit(sample.X, sample.y).predict(rows)
        replicates.append(again[:-1] - again[1:])
    low, high = intervals(replicates, len(path) - 1)
    total = float(gains.mean(axis=0).sum())
    trust = trust_columns(fit, data.n)
    budget_value = math.nan if data.budget is None else data.budget
    out = []
    for s, (moved, _) in enumerate(path):
        names = tuple(space.names[j] for j in moved)
        gain = float(gains[:, s - 1].mean()) if s else 0.0
        out.append({
            "budget": budget_value, "step": s,
            "hyperparameter": " + ".join(names) if names else "reference",
            "hyperparameters": names, "predicted": data.sign * float(per_tree[:, s].mean()),
            "std": float(per_tree[:, s].std()), "gain": gain,
            "gain_std": float(gains[:, s - 1].std()) if s else 0.0,
            "low": low[s - 1] if s else math.nan, "high": high[s - 1] if s else math.nan,
            "share": gain / total if s and total != 0.0 else 0.0, **trust,
        })
    key = cache_key("ablation", data, reference=reference, incumbent=incumbent,
                    n_trees=n_trees, n_bootstrap=n_bootstrap, seed=seed)
    quantity = data.objective[1:] if data.sign < 0 else data.objective
    return finish(out, COLUMNS, key, objective=data.objective, quantity=quantity,
                  reference=start_config, incumbent=goal_config)


def plot_ablation(result: pd.DataFrame | Study, **arguments: Any) -> go.Figure:
    """The predicted value along the ablation path, with its spread over trees.

    *result* is a table from :func:`ablation`, or a study (then ``ablation(study,
    **arguments)`` is computed).
    """
    from hyperpilot.analysis._plots import add_warnings, as_table, graph_objects

    go = graph_objects()
    table = as_table(result, ablation, arguments)
    figure = go.Figure(go.Scatter(
        x=table["hyperparameter"], y=table["predicted"], mode="lines+markers",
        error_y={"type": "data", "array": table["std"].to_numpy()},
        customdata=np.stack([table["gain"], table["share"]], axis=1),
        hovertemplate="%{x}<br>predicted %{y:.4g}<br>gain %{customdata[0]:.4g} "
                      "(%{customdata[1]:.0%})<extra></extra>",
    ))
    figure.update_layout(title="Ablation path: reference → incumbent (predicted)",
                         xaxis_title="change (in order)",
                         yaxis_title=f"predicted {table.attrs.get('quantity', 'objective')}")
    add_warnings(figure, table)
    return figure
