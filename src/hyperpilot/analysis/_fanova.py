"""fANOVA: exact variance decomposition of the explanation forest (Hutter et al., 2014).

A tree cuts the unit cube into leaf boxes with constant predictions ``v_l`` and volumes
``w_l`` (the probability that uniform sampling of the space lands in the box; see
:mod:`~hyperpilot.analysis._surrogate` for inactive values and discrete columns). Per tree:

* mean ``f0 = sum_l w_l v_l`` and total variance ``V = sum_l w_l (v_l - f0)^2``;
* the marginal of a set ``U`` of columns at ``x_U`` is the mean prediction over the other
  columns: ``a_U(x_U) = sum_l v_l w_l / vol_U(l) * [x_U in box_U(l)]``, where
  ``vol_U(l)`` is the volume of the box's projection on ``U``. It is constant between
  consecutive split points of the columns of ``U``, so its variance is exact on that grid;
* main effect ``V_i = Var(a_i)``; pair effect ``V_ij = Var(a_ij) - V_i - V_j`` (the part of
  the pair's joint marginal that neither column explains alone);
* importances ``V_i / V`` and ``V_ij / V``, then mean and standard deviation over trees.

Vectorized: on a column's grid of ``m`` cut points, every leaf covers one run of cells, so
the marginal is the running sum of a difference array built with one ``bincount`` over the
leaves; a pair uses the 2-d difference array of the leaves' rectangles and two running
sums. A tree with ``L`` leaves costs ``O(d (L + m))`` for the main effects and
``O(L + m_i m_j)`` per pair. A categorical column's grid is its ``k + 1`` choice edges, so
categoricals cost least (there is no product over one-hot columns).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np

from hyperpilot.analysis._data import (
    AnalysisData,
    BudgetArg,
    ObjectiveArg,
    analysis_datasets,
    cache_key,
    check_names,
)
from hyperpilot.analysis._surrogate import ExplanationForest, ForestSettings, surrogate_fit
from hyperpilot.analysis._trust import bootstrap_rows, finish, intervals, trust_columns
from hyperpilot.optimizers.bo._rf import TreePartition

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    from hyperpilot.study._study import Study

PAIR = "\N{MULTIPLICATION SIGN}"
"""What joins the two names of a pair in the ``hyperparameter`` column (a multiplication
sign between spaces)."""

MIN_TRIALS = 10
"""The fewest complete trials (per budget) the forest-based analyses accept."""

COLUMNS = ("budget", "kind", "hyperparameters", "hyperparameter", "importance", "std", "low",
           "high", "n_trials", "cv_r2", "spearman", "warning")


def tree_variances(part: TreePartition, pairs: Sequence[tuple[int, int]]
                   ) -> tuple[float, np.ndarray, np.ndarray]:
    """One tree's total variance, main-effect variances and pure pair variances.

    Args:
        part: the tree's leaves as boxes inside the unit cube (volumes sum to 1).
        pairs: the column pairs to compute.

    Returns:
        ``V``, ``V_i`` per column (shape (d,)) and ``V_ij`` per pair (shape (len(pairs),)).

    """
    lower, upper, value = part.lower, part.upper, part.value
    d = lower.shape[1]
    length = upper - lower
    volume = np.prod(length, axis=1)
    f0 = float(volume @ value)
    total = float(volume @ (value - f0) ** 2)
    weighted = value * volume
    grids: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    main = np.zeros(d)
    for i in range(d):
        cuts = np.unique(np.concatenate((lower[:, i], upper[:, i])))
        first = np.searchsorted(cuts, lower[:, i])
        stop = np.searchsorted(cuts, upper[:, i])
        grids.append((np.diff(cuts), first, stop))
        if cuts.size <= 2:  # never split: the marginal is constant
            continue
        m = cuts.size
        share = weighted / length[:, i]
        marginal = np.cumsum(np.bincount(first, share, m) - np.bincount(stop, share, m))[:-1]
        main[i] = max(float(np.diff(cuts) @ (marginal * marginal)) - f0 * f0, 0.0)
    pair = np.zeros(len(pairs))
    for p, (i, j) in enumerate(pairs):
        width_i, first_i, stop_i = grids[i]
        width_j, first_j, stop_j = grids[j]
        if width_i.size < 2 or width_j.size < 2:
            continue
        mi, mj = width_i.size + 1, width_j.size + 1
        share = weighted / (length[:, i] * length[:, j])
        index = np.concatenate((first_i * mj + first_j, stop_i * mj + first_j,
                                first_i * mj + stop_j, stop_i * mj + stop_j))
        grid = np.bincount(index, np.concatenate((share, -share, -share, share)), mi * mj)
        grid = grid.reshape(mi, mj)
        np.cumsum(grid, axis=0, out=grid)
        np.cumsum(grid, axis=1, out=grid)
        marginal = grid[:-1, :-1]
        joint = float(width_i @ (marginal * marginal) @ width_j) - f0 * f0
        pair[p] = max(joint - main[i] - main[j], 0.0)
    return total, main, pair


def forest_importances(boxes: Sequence[TreePartition], pairs: Sequence[tuple[int, int]]
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Per tree, the main-effect and pair shares of the total variance.

    Returns arrays of shape (n_trees, d) and (n_trees, len(pairs)); a tree that predicts
    one value everywhere has all shares 0.
    """
    mains, pair_shares = [], []
    for part in boxes:
        total, main, pair = tree_variances(part, pairs)
        scale = 1.0 / total if total > 1e-300 else 0.0
        mains.append(main * scale)
        pair_shares.append(pair * scale)
    d = boxes[0].lower.shape[1] if boxes else 0
    return (np.array(mains).reshape(len(boxes), d),
            np.array(pair_shares).reshape(len(boxes), len(pairs)))


def _one_budget(data: AnalysisData, columns: list[int], pairs: list[tuple[int, int]],
                settings: ForestSettings, n_bootstrap: int) -> list[dict[str, Any]]:
    fit = surrogate_fit(data, settings)
    main, pair = forest_importances(fit.forest.boxes(), pairs)
    replicates = []
    for b, rows in enumerate(bootstrap_rows(data.n, n_bootstrap, settings.seed)):
        again = ForestSettings(n_trees=settings.n_trees, min_samples_leaf=settings.min_samples_leaf,
                               max_features=settings.max_features, seed=settings.seed + 101 + b)
        sample = data.subset(rows)
        forest = ExplanationForest(data.space, again).fit(sample.X, sample.y)
        rm, rp = forest_importances(forest.boxes(), pairs)
        replicates.append(np.concatenate((rm.mean(axis=0)[columns], rp.mean(axis=0))))
    low, high = intervals(replicates, len(columns) + len(pairs))
    names = data.space.names
    trust = trust_columns(fit, data.n)
    budget = math.nan if data.budget is None else data.budget
    rows_out = []
    for k, j in enumerate(columns):
        rows_out.append({"budget": budget, "kind": "main", "hyperparameters": (names[j],),
                         "hyperparameter": names[j], "importance": float(main[:, j].mean()),
                         "std": float(main[:, j].std()), "low": low[k], "high": high[k],
                         **trust})
    for p, (i, j) in enumerate(pairs):
        k = len(columns) + p
        rows_out.append({"budget": budget, "kind": "pair", "hyperparameters": (names[i], names[j]),
                         "hyperparameter": f"{names[i]} {PAIR} {names[j]}",
                         "importance": float(pair[:, p].mean()), "std": float(pair[:, p].std()),
                         "low": low[k], "high": high[k], **trust})
    main_rows = sorted(rows_out[:len(columns)], key=lambda r: -r["importance"])
    pair_rows = sorted(rows_out[len(columns):], key=lambda r: -r["importance"])
    return main_rows + pair_rows


def fanova(
    study: Study,
    *,
    objective: ObjectiveArg = None,
    budget: BudgetArg = "each",
    hyperparameters: Sequence[str] | None = None,
    pairs: bool = True,
    trials: Sequence[int] | None = None,
    n_trees: int = 16,
    n_bootstrap: int = 10,
    seed: int = 0,
) -> pd.DataFrame:
    """Main effects and pairwise interactions of the hyperparameters, by fANOVA.

    Args:
        study: the study to explain.
        objective: the objective's name (needed with several objectives), or weights.
        budget: ``"each"`` (one analysis per budget with at least ten trials), ``"all"``
            (pool every budget), ``"highest"`` or a budget value.
        hyperparameters: the names to report (default: all); the forest always sees all.
        pairs: also report every pair of the reported hyperparameters.
        trials: trial numbers to restrict the analysis to (default: all complete ones).
        n_trees: trees of the explanation forest.
        n_bootstrap: resamples of the trials for the ``low``/``high`` interval (0: none).
        seed: the seed of the forest, the folds and the resamples.

    Returns:
        One row per hyperparameter (``kind="main"``) and pair (``"pair"``), per budget:
        ``importance`` (mean share of the forest's variance over trees), ``std`` (over
        trees), ``low``/``high`` (bootstrap), ``n_trials`` and the trust columns
        (``cv_r2``, ``spearman``, ``warning``). ``budget`` is NaN without budgets. Main
        effects come first, each kind ordered by importance. ``attrs["cache_key"]``
        identifies the result.

    Raises:
        AnalysisError: naming an unknown objective or hyperparameter.
        TooFewTrialsError: with fewer than ten complete trials (at every budget).

    """
    datasets = analysis_datasets(study, objective=objective, budget=budget, trials=trials,
                                 min_trials=MIN_TRIALS, what="fanova")
    space = datasets[0].space
    wanted = check_names(space, hyperparameters, "fanova")
    columns = [space.names.index(n) for n in wanted]
    pair_list = list(combinations(columns, 2)) if pairs else []
    settings = ForestSettings(n_trees=n_trees, seed=seed)
    rows = [row for data in datasets
            for row in _one_budget(data, columns, pair_list, settings, n_bootstrap)]
    key = cache_key("fanova", datasets, hyperparameters=hyperparameters, pairs=pairs,
                    n_trees=n_trees, n_bootstrap=n_bootstrap, seed=seed)
    return finish(rows, COLUMNS, key, objective=datasets[0].objective)


def plot_fanova(result: pd.DataFrame | Study, *, kind: str = "main", top: int = 15,
                **arguments: Any) -> go.Figure:
    """A bar chart of fANOVA importances with their spread over trees.

    Args:
        result: a table from :func:`fanova`, or a study (then ``fanova(study,
            **arguments)`` is computed).
        kind: ``"main"``, ``"pair"`` or ``"all"``.
        top: show the *top* most important entries (per budget).
        arguments: passed to :func:`fanova` when *result* is a study.

    """
    from hyperpilot.analysis._plots import as_table, importance_bars

    table = as_table(result, fanova, arguments)
    if kind != "all":
        table = table[table["kind"] == kind]
    return importance_bars(table, title=f"fANOVA importance ({kind} effects)", error="std",
                           top=top)
