"""Local parameter importance: what moving one hyperparameter away from the incumbent does.

Following CAVE's LPI (Biedenkapp et al., LION 2018): the explanation forest predicts the
incumbent with one hyperparameter changed at a time, over

* every choice of a categorical or ordinal, every value of an integer with at most
  ``n_points`` values,
* else ``n_points`` evenly spaced points of its encoded range (plus the incumbent's value).

Changing a parent may switch children on (they take their defaults) or off. Forbidden
combinations are skipped. Per tree, the variance of the predictions over each
hyperparameter's values, divided by the sum over hyperparameters, is that
hyperparameter's share of the local variance; the table gives the mean and standard
deviation over trees. A hyperparameter that is inactive at the incumbent, or constant, has
importance 0: it cannot move there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from hyperpilot.analysis._data import (
    AnalysisData,
    AnalysisError,
    ObjectiveArg,
    analysis_data,
    cache_key,
    check_names,
)
from hyperpilot.analysis._fanova import MIN_TRIALS
from hyperpilot.analysis._surrogate import ExplanationForest, ForestSettings, surrogate_fit
from hyperpilot.analysis._trust import bootstrap_rows, finish, intervals, trust_columns
from hyperpilot.space._params import Int, _Choice
from hyperpilot.space._space import Config, Space
from hyperpilot.space._vectorized import VectorSpace

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    from hyperpilot.study._study import Study

COLUMNS = ("budget", "hyperparameter", "importance", "std", "low", "high", "n_values",
           "n_trials", "cv_r2", "spearman", "warning")


def configuration_row(space: Space, config: Mapping[str, Any], what: str,
                      role: str) -> tuple[np.ndarray, Config]:
    """A (possibly partial) configuration completed with defaults, and its encoded row.

    Raises:
        AnalysisError: naming an unknown hyperparameter.
        ConfigurationError: for a value that does not fit the space.

    """
    if not isinstance(config, Mapping):
        raise AnalysisError(f"{what}: the {role} must be a mapping of names to values, "
                            f"got {config!r}")
    check_names(space, list(config), f"{what}: {role}")
    complete = space.complete(config, {})
    row: np.ndarray = space.encode([complete])[0]
    return row, complete


def incumbent_row(data: AnalysisData, incumbent: Mapping[str, Any] | None,
                  what: str) -> tuple[np.ndarray, Config]:
    """The given incumbent, else the best trial's (lowest target; first on ties).

    Returns its encoded row and its configuration.
    """
    if incumbent is not None:
        return configuration_row(data.space, incumbent, what, "incumbent")
    best = int(np.argmin(data.y))
    row: np.ndarray = data.X[best]
    return row, dict(data.configs[best])


def neighbourhood(vector_space: VectorSpace, row: np.ndarray, j: int,
                  n_points: int) -> np.ndarray:
    """Canonical, allowed rows: *row* with column *j* moved over its values (see module)."""
    param = vector_space.space[vector_space.names[j]]
    if isinstance(param, _Choice):
        values = np.array([param.to_unit(c) for c in param.choices])
    elif isinstance(param, Int) and int(param.high) - int(param.low) + 1 <= n_points:
        values = np.array([param.to_unit(v) for v in range(int(param.low), int(param.high) + 1)])
    else:
        values = np.append(np.linspace(0.0, 1.0, n_points), row[j])
    rows = np.repeat(row[None, :], values.size, axis=0)
    rows[:, j] = values
    rows = vector_space.canonical_allowed(rows)
    unique: np.ndarray = np.unique(np.nan_to_num(rows, nan=-1.0), axis=0)
    out: np.ndarray = np.where(unique == -1.0, np.nan, unique)
    return out


def local_shares(forest: ExplanationForest, row: np.ndarray, columns: Sequence[int],
                 n_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Per tree, each column's share of the local variance; and each column's value count."""
    vs = forest.vector_space
    grids = []
    for j in columns:
        movable = not math.isnan(row[j]) and bool(vs.is_movable[j])
        grids.append(neighbourhood(vs, row, j, n_points) if movable else row[None, :])
    counts = np.array([g.shape[0] for g in grids])
    predictions = forest.predict_trees(np.vstack(grids))
    bounds = np.concatenate(([0], np.cumsum(counts)))
    spread = np.stack([predictions[:, a:b].var(axis=1) for a, b in pairwise(bounds)], axis=1)
    total = spread.sum(axis=1, keepdims=True)
    shares = np.divide(spread, total, out=np.zeros_like(spread), where=total > 0.0)
    return shares, counts


def lpi(
    study: Study,
    *,
    objective: ObjectiveArg = None,
    incumbent: Mapping[str, Any] | None = None,
    budget: float | Literal["all", "highest"] = "highest",
    hyperparameters: Sequence[str] | None = None,
    trials: Sequence[int] | None = None,
    n_points: int = 20,
    n_trees: int = 16,
    n_bootstrap: int = 10,
    seed: int = 0,
) -> pd.DataFrame:
    """Local parameter importance around the incumbent (see the module).

    Args:
        study: the study to explain.
        objective: the objective's name (needed with several objectives), or weights.
        incumbent: the configuration to look around (default: the best trial's);
            missing active hyperparameters take their defaults.
        budget: ``"highest"`` (the highest budget with at least ten trials), ``"all"`` or
            a budget value.
        hyperparameters: the names to report (default: all; shares are over those).
        trials: trial numbers to restrict the analysis to.
        n_points: values tried per continuous hyperparameter.
        n_trees: trees of the explanation forest.
        n_bootstrap: resamples of the trials for ``low``/``high`` (0: none).
        seed: the seed of the forest, the folds and the resamples.

    Returns:
        One row per hyperparameter, ordered by importance, with ``std`` over trees,
        the bootstrap interval, ``n_values`` (predictions made) and the trust columns;
        ``attrs["incumbent"]`` is the incumbent's configuration.

    Raises:
        AnalysisError: naming an unknown objective or hyperparameter.
        TooFewTrialsError: with fewer than ten complete trials.

    """
    data = analysis_data(study, objective=objective, budget=budget, trials=trials,
                         min_trials=MIN_TRIALS, what="lpi")
    space = data.space
    columns = [space.names.index(n) for n in check_names(space, hyperparameters, "lpi")]
    row, config = incumbent_row(data, incumbent, "lpi")
    settings = ForestSettings(n_trees=n_trees, seed=seed)
    fit = surrogate_fit(data, settings)
    shares, counts = local_shares(fit.forest, row, columns, n_points)
    replicates = []
    for b, rows in enumerate(bootstrap_rows(data.n, n_bootstrap, seed)):
        again = ForestSettings(n_trees=n_trees, seed=seed + 101 + b)
        sample = data.subset(rows)
        forest = ExplanationForest(space, again).fit(sample.X, sample.y)
        replicates.append(local_shares(forest, row, columns, n_points)[0].mean(axis=0))
    low, high = intervals(replicates, len(columns))
    trust = trust_columns(fit, data.n)
    budget_value = math.nan if data.budget is None else data.budget
    out = [{"budget": budget_value, "hyperparameter": space.names[j],
            "importance": float(shares[:, k].mean()), "std": float(shares[:, k].std()),
            "low": low[k], "high": high[k], "n_values": int(counts[k]), **trust}
           for k, j in enumerate(columns)]
    out.sort(key=lambda r: -r["importance"])
    key = cache_key("lpi", data, incumbent=incumbent, hyperparameters=hyperparameters,
                    n_points=n_points, n_trees=n_trees, n_bootstrap=n_bootstrap, seed=seed)
    return finish(out, COLUMNS, key, objective=data.objective, incumbent=config)


def plot_lpi(result: pd.DataFrame | Study, *, top: int = 15, **arguments: Any) -> go.Figure:
    """A bar chart of local parameter importances with their spread over trees.

    *result* is a table from :func:`lpi`, or a study (then ``lpi(study, **arguments)`` is
    computed).
    """
    from hyperpilot.analysis._plots import as_table, importance_bars

    table = as_table(result, lpi, arguments)
    return importance_bars(table, title="Local parameter importance around the incumbent",
                           error="std", top=top)
