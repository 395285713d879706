"""The trust layer: how far an importance can be believed, written beside it.

Every importance table carries, per row:

* ``cv_r2`` and ``spearman``: the explanation forest's cross-validated R² and Spearman
  rank correlation on the same trials (:func:`~hyperpilot.analysis._surrogate.surrogate_fit`).
  fANOVA, LPI and the ablation path are statements about the forest, so they are only as
  good as its fit; PED-ANOVA uses no model, and the same numbers say whether the
  hyperparameters explain the objective at all;
* ``low`` and ``high``: a bootstrap interval (the 5th and 95th percentiles over
  ``n_bootstrap`` resamples of the trials, each analysed afresh; NaN without resamples);
* ``warning``: a sentence when the forest explains too little, else empty.

Thresholds. Below a cross-validated R² of :data:`TRUST_R2` (0.3) the importances are "not
to be trusted": the hyperparameters, as the forest sees them, leave most of the variation
unexplained (noise, or effects the trials are too few to show), and any ranking is mostly
chance; a pure-noise objective lands here. Between it and :data:`CAUTION_R2` (0.6) they
are to be read as rough. Rank agreement between methods is :func:`compare_rankings`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from hyperpilot.analysis._surrogate import SurrogateFit

TRUST_R2 = 0.3
"""Below this cross-validated R², importances come with a warning not to trust them."""

CAUTION_R2 = 0.6
"""Below this cross-validated R² (and at or above :data:`TRUST_R2`), a milder caution."""

INTERVAL = (5.0, 95.0)
"""The percentiles of the bootstrap replicates that bound ``low`` and ``high``."""


def trust_warning(cv_r2: float, n_trials: int) -> str:
    """The warning for a surrogate with cross-validated R² *cv_r2*, or ``""``."""
    if math.isnan(cv_r2):
        return (f"the objective takes the same value on all {n_trials} trials (or they are "
                "too few to cross-validate); there is nothing to explain")
    if cv_r2 < TRUST_R2:
        share = "none" if cv_r2 <= 0.0 else f"only {cv_r2:.0%}"
        return (f"the surrogate explains {share} of the variance (cross-validated R² "
                f"{cv_r2:.2f} over {n_trials} trials); these importances are not to be trusted")
    if cv_r2 < CAUTION_R2:
        return (f"the surrogate explains {cv_r2:.0%} of the variance (cross-validated R² "
                f"{cv_r2:.2f}); read these importances as rough")
    return ""


def trust_columns(fit: SurrogateFit, n_trials: int) -> dict[str, Any]:
    """The columns every row of an importance table carries (see the module)."""
    return {"n_trials": n_trials, "cv_r2": fit.cv_r2, "spearman": fit.spearman,
            "warning": trust_warning(fit.cv_r2, n_trials)}


def bootstrap_rows(n: int, n_bootstrap: int, seed: int) -> list[np.ndarray]:
    """*n_bootstrap* resamples (with replacement) of ``range(n)``, seeded."""
    rng = np.random.default_rng([seed, 2])
    return [rng.integers(0, n, n) for _ in range(n_bootstrap)]


def intervals(replicates: Sequence[np.ndarray], size: int) -> tuple[np.ndarray, np.ndarray]:
    """Per entry, the bootstrap interval of the *replicates* (NaN without any)."""
    if not replicates:
        return np.full(size, math.nan), np.full(size, math.nan)
    stacked = np.vstack(replicates)
    low, high = np.percentile(stacked, INTERVAL, axis=0)
    return low, high


def finish(rows: list[dict[str, Any]], columns: Sequence[str], key: tuple[Hashable, ...],
           **attrs: Any) -> pd.DataFrame:
    """The tidy table of *rows*, with the cache key and the distinct warnings in ``attrs``."""
    frame: pd.DataFrame = pd.DataFrame(rows, columns=list(columns))
    frame.attrs["cache_key"] = key
    frame.attrs["warnings"] = sorted({w for w in frame.get("warning", []) if w})
    frame.attrs.update(attrs)
    return frame


def compare_rankings(tables: dict[str, pd.DataFrame], *, k: int = 3) -> pd.DataFrame:
    """How far importance tables of different methods agree on the order of hyperparameters.

    Each table needs the columns ``hyperparameter`` and ``importance`` (fANOVA tables: the
    main effects are used). For every pair of methods, over the hyperparameters both rank:
    Kendall's tau-b of the importances (1: same order, 0: unrelated, -1: reversed; NaN
    when one method gives every hyperparameter the same importance) and the overlap of
    their top-*k* sets (the share of the *k* most important that both name).
    """
    from scipy.stats import kendalltau

    scores: dict[str, pd.Series] = {}
    for method, importance in tables.items():
        rows = importance[importance["kind"] == "main"] if "kind" in importance else importance
        scores[method] = rows.groupby("hyperparameter", sort=False)["importance"].mean()
    out = []
    methods = list(scores)
    for i, first in enumerate(methods):
        for second in methods[i + 1:]:
            common = [n for n in scores[first].index if n in scores[second].index]
            a = scores[first][common].to_numpy(dtype=float)
            b = scores[second][common].to_numpy(dtype=float)
            tau = math.nan
            if len(common) > 1 and np.ptp(a) > 0 and np.ptp(b) > 0:
                tau = float(kendalltau(a, b).statistic)
            top = min(k, len(common))
            overlap = math.nan
            if top:
                top_a = set(np.array(common)[np.argsort(-a, kind="stable")[:top]])
                top_b = set(np.array(common)[np.argsort(-b, kind="stable")[:top]])
                overlap = len(top_a & top_b) / top
            out.append({"first": first, "second": second, "kendall_tau": tau,
                        "top_k_overlap": overlap, "k": top, "n_hyperparameters": len(common)})
    table: pd.DataFrame = pd.DataFrame(out, columns=[
        "first", "second", "kendall_tau", "top_k_overlap", "k", "n_hyperparameters"])
    return table
