"""PED-ANOVA: importance for reaching the top trials, from one-dimensional densities.

Watanabe, Bansal and Hutter (IJCAI 2023) measure importance inside a region of the space:
the top-``gamma`` trials (``region_quantile``; 1 is the whole space, "global"; below 1 is
"local" to the good region). Take ``b(x) = 1`` when ``x`` is among the top-``gamma'``
trials (``target_quantile``, ``gamma' < gamma``) and 0 otherwise. Within the region its
mean is ``gamma' / gamma``, and its marginal along hyperparameter ``d`` is
``(gamma' / gamma) p'(x_d) / p(x_d)``, where ``p'`` and ``p`` are the densities of ``x_d``
among the top-``gamma'`` trials and among the region's trials. The variance of that
marginal, the local main effect of ``d``, is then

    v_d = (gamma' / gamma)^2 * D(p' || p),   D(p' || p) = sum_x p(x) (p'(x) / p(x) - 1)^2,

the Pearson divergence of the two densities: no model, only two 1-d density estimates per
hyperparameter. Importances are the shares ``v_d / sum_e v_e``.

Densities, on the unit scale of the encoding:

* floats, and integers of more than 50 values: a Gaussian kernel density estimate on 50
  equal cells of [0, 1], with Scott's bandwidth ``1.06 min(sd, IQR / 1.34) n^(-1/5)``
  (at least one cell), each point's kernel renormalized inside [0, 1];
* integers of at most 50 values and ordinals: the same kernel on the values' encodings;
* categoricals: the frequencies of the choices (their order means nothing);
* a hyperparameter inactive in some trials gets one more cell, "inactive", holding the
  share of the trials that leave it out; the active values share the rest;
* a constant has one cell in both densities: importance 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hyperpilot.analysis._data import (
    AnalysisData,
    AnalysisError,
    BudgetArg,
    ObjectiveArg,
    analysis_datasets,
    cache_key,
    check_names,
)
from hyperpilot.analysis._fanova import MIN_TRIALS
from hyperpilot.analysis._surrogate import ForestSettings, surrogate_fit
from hyperpilot.analysis._trust import bootstrap_rows, finish, intervals, trust_columns
from hyperpilot.space._params import (
    Categorical,
    Constant,
    Hyperparameter,
    Int,
    Ordinal,
    _Choice,
)

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    from hyperpilot.study._study import Study

N_CELLS = 50
COLUMNS = ("budget", "hyperparameter", "importance", "std", "low", "high", "variance",
           "n_trials", "n_top", "cv_r2", "spearman", "warning")


def _cells(param: Hyperparameter) -> np.ndarray | None:
    """The cell centres of a numeric density (``None``: frequencies of choices)."""
    if isinstance(param, (Categorical, Constant)):
        return None
    if isinstance(param, Ordinal):
        return np.array([param.to_unit(c) for c in param.choices])
    if isinstance(param, Int) and int(param.high) - int(param.low) + 1 <= N_CELLS:
        return np.array([param.to_unit(v) for v in range(int(param.low), int(param.high) + 1)])
    return (np.arange(N_CELLS) + 0.5) / N_CELLS


def _kde(sample: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """A Gaussian kernel density of *sample* as probabilities over *centres*."""
    m = sample.size
    if m == 0:
        return np.zeros(centres.size)
    spread = float(sample.std())
    q75, q25 = np.percentile(sample, [75.0, 25.0])
    if q75 > q25:
        spread = min(spread, float(q75 - q25) / 1.34)
    step = float(np.min(np.diff(centres))) if centres.size > 1 else 1.0
    bandwidth = max(1.06 * spread * m ** -0.2, step)
    kernel = np.exp(-0.5 * ((centres[None, :] - sample[:, None]) / bandwidth) ** 2)
    kernel /= kernel.sum(axis=1, keepdims=True)
    out: np.ndarray = kernel.mean(axis=0)
    return out


def _density(column: np.ndarray, param: Hyperparameter, centres: np.ndarray | None,
             inactive_cell: bool) -> np.ndarray:
    active = column[~np.isnan(column)]
    if centres is None:
        assert isinstance(param, _Choice)
        k = len(param.choices)
        index = np.minimum(np.floor(active * k), k - 1).astype(int)
        values = np.bincount(index, minlength=k) / max(active.size, 1)
    else:
        values = _kde(active, centres)
    if not inactive_cell:
        out: np.ndarray = values
        return out
    share = 1.0 - active.size / column.size
    return np.concatenate(([share], (1.0 - share) * values))


def pearson_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """``sum_x q(x) (p(x) / q(x) - 1)^2`` for distributions *p* and *q* over the same cells."""
    support = q > 0.0
    return max(float(np.sum(p[support] ** 2 / q[support])) - 1.0, 0.0)


def local_variances(X: np.ndarray, y: np.ndarray, params: Sequence[Hyperparameter],
                    target_quantile: float, region_quantile: float) -> tuple[np.ndarray, int]:
    """Per column, the local main-effect variance ``v_d``; and the size of the top set."""
    n = y.size
    order = np.argsort(y, kind="stable")
    n_region = min(n, max(math.ceil(region_quantile * n), 2))
    n_top = min(n_region - 1, max(math.ceil(target_quantile * n), 2))
    region, top = X[order[:n_region]], X[order[:n_top]]
    ratio = n_top / n_region
    out = np.zeros(len(params))
    for j, param in enumerate(params):
        if isinstance(param, Constant):
            continue
        centres = _cells(param)
        inactive = bool(np.isnan(X[:, j]).any())
        q = _density(region[:, j], param, centres, inactive)
        p = _density(top[:, j], param, centres, inactive)
        out[j] = ratio * ratio * pearson_divergence(p, q)
    return out, n_top


def _shares(variances: np.ndarray) -> np.ndarray:
    total = float(variances.sum())
    return variances / total if total > 0.0 else np.zeros_like(variances)


def _one_budget(data: AnalysisData, columns: list[int], target_quantile: float,
                region_quantile: float, settings: ForestSettings,
                n_bootstrap: int) -> list[dict[str, Any]]:
    params = [data.space[name] for name in data.space.names]
    variances, n_top = local_variances(data.X, data.y, params, target_quantile, region_quantile)
    shares = _shares(variances)
    replicates = []
    for rows in bootstrap_rows(data.n, n_bootstrap, settings.seed):
        again, _ = local_variances(data.X[rows], data.y[rows], params, target_quantile,
                                   region_quantile)
        replicates.append(_shares(again)[columns])
    low, high = intervals(replicates, len(columns))
    spread = np.vstack(replicates).std(axis=0) if replicates else np.full(len(columns), math.nan)
    trust = trust_columns(surrogate_fit(data, settings), data.n)
    budget = math.nan if data.budget is None else data.budget
    rows_out = [{"budget": budget, "hyperparameter": data.space.names[j],
                 "importance": float(shares[j]), "std": float(spread[k]), "low": low[k],
                 "high": high[k], "variance": float(variances[j]), "n_top": n_top, **trust}
                for k, j in enumerate(columns)]
    return sorted(rows_out, key=lambda r: -r["importance"])


def ped_anova(
    study: Study,
    *,
    objective: ObjectiveArg = None,
    target_quantile: float = 0.1,
    region_quantile: float = 1.0,
    budget: BudgetArg = "each",
    hyperparameters: Sequence[str] | None = None,
    trials: Sequence[int] | None = None,
    n_bootstrap: int = 10,
    seed: int = 0,
) -> pd.DataFrame:
    """Which hyperparameters matter for reaching the top trials, by PED-ANOVA.

    Args:
        study: the study to explain.
        objective: the objective's name (needed with several objectives), or weights.
        target_quantile: the share of best trials whose values are explained (``gamma'``;
            at least two trials).
        region_quantile: the share of best trials that forms the region (``gamma``): 1 is
            global, less is local to the good region; it must exceed *target_quantile*.
        budget: ``"each"``, ``"all"``, ``"highest"`` or a budget value.
        hyperparameters: the names to report (default: all; shares are over all).
        trials: trial numbers to restrict the analysis to.
        n_bootstrap: resamples of the trials for ``std`` and ``low``/``high`` (0: none,
            then they are NaN).
        seed: the seed of the resamples and of the trust columns' forest.

    Returns:
        One row per hyperparameter and budget, ordered by importance: ``importance`` (the
        share of ``variance``, the local variance ``v_d``), the bootstrap ``std``,
        ``low``, ``high``, ``n_top`` (trials in the top set) and the trust columns.

    Raises:
        AnalysisError: for quantiles out of order or out of (0, 1], or an unknown name.
        TooFewTrialsError: with fewer than ten complete trials (at every budget).

    """
    if not 0.0 < target_quantile < region_quantile <= 1.0:
        raise AnalysisError(
            "ped_anova: expected 0 < target_quantile < region_quantile <= 1, got "
            f"target_quantile={target_quantile!r}, region_quantile={region_quantile!r}"
        )
    datasets = analysis_datasets(study, objective=objective, budget=budget, trials=trials,
                                 min_trials=MIN_TRIALS, what="ped_anova")
    space = datasets[0].space
    columns = [space.names.index(n) for n in check_names(space, hyperparameters, "ped_anova")]
    settings = ForestSettings(seed=seed)
    rows = [row for data in datasets for row in _one_budget(
        data, columns, target_quantile, region_quantile, settings, n_bootstrap)]
    key = cache_key("ped_anova", datasets, target_quantile=target_quantile,
                    region_quantile=region_quantile, hyperparameters=hyperparameters,
                    n_bootstrap=n_bootstrap, seed=seed)
    return finish(rows, COLUMNS, key, objective=datasets[0].objective,
                  target_quantile=target_quantile, region_quantile=region_quantile)


def plot_ped_anova(result: pd.DataFrame | Study, *, top: int = 15,
                   **arguments: Any) -> go.Figure:
    """A bar chart of PED-ANOVA importances with their bootstrap intervals.

    *result* is a table from :func:`ped_anova`, or a study (then ``ped_anova(study,
    **arguments)`` is computed).
    """
    from hyperpilot.analysis._plots import as_table, importance_bars

    table = as_table(result, ped_anova, arguments)
    where = "global" if table.attrs.get("region_quantile", 1.0) >= 1.0 else (
        f"within the top {table.attrs['region_quantile']:.0%}")
    target = table.attrs.get("target_quantile", 0.1)
    return importance_bars(table, title=f"PED-ANOVA: reaching the top {target:.0%} ({where})",
                           error="interval", top=top)
