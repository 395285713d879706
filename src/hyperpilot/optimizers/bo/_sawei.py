"""Self-adjusting weighted EI (SAWEI, Benjamins et al. 2023) and the upper-bound regret.

Weighted EI (Sóbester et al. 2005):
``WEI_alpha = alpha (best - μ) Φ(z) + (1 - alpha) sigma φ(z)`` with ``z = (best - μ)/sigma``;
alpha = 0.5 is EI / 2, alpha → 1 exploits like PI, alpha = 0 only explores.

SAWEI moves alpha when the upper-bound regret (Makarova et al. 2022)

    UBR_t = min_{x ∈ best top_p of the observed rows} UCB_t(x) - min_{x ∈ space} LCB_t(x)

stops changing: the UBR series is smoothed by a moving interquartile mean (window 7), its
gradient taken, and the search counts as converged at step t when
``|g_t| ≤ atol_rel · max_{s ≤ t} |g_s|`` (never within the first ``window`` values). Then
it looks at the last chosen point: if the exploration term ``sigma φ(z)`` is at least the
exploitation term ``Φ(z)`` the search is exploring and alpha grows by δ (exploit more),
otherwise alpha shrinks by δ; alpha stays in [0, 1].

**What the caller provides** (in :class:`AcquisitionProgress`, once per model-based step,
after the refit): ``ucb_min`` and ``lcb_min`` under the current model, most simply from
:meth:`SAWEI.regret_bounds` with the observed rows and the candidate set the acquisition
search uses; and ``last_mean``, ``last_var``, ``last_best``: the prediction at the
previously chosen row and the incumbent, as they were when it was chosen.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.special import ndtr
from scipy.stats import trim_mean

from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers.bo._acquisition import (
    AcquisitionProgress,
    AnalyticAcquisition,
    default_beta,
    normal_pdf,
)
from hyperpilot.optimizers.bo._surrogate import Surrogate


def regret_bound_terms(
    surrogate: Surrogate,
    X_observed: np.ndarray,
    y_observed: np.ndarray,
    X_candidates: np.ndarray,
    *,
    beta: float,
    top_p: float = 0.5,
) -> tuple[float, float]:
    """``(min UCB over the best top_p observed rows, min LCB over candidates + observed)``.

    Bounds are ``μ ± √β sigma`` on the surrogate's (transformed) scale; ``y_observed`` ranks
    the observed rows (lower is better).
    """
    X_observed = np.atleast_2d(np.asarray(X_observed, dtype=float))
    y_observed = np.asarray(y_observed, dtype=float).ravel()
    if X_observed.shape[0] == 0 or X_observed.shape[0] != y_observed.shape[0]:
        raise OptimizerError(
            f"regret_bound_terms: expected matching, non-empty observed rows and values, "
            f"got {X_observed.shape} and {y_observed.shape}"
        )
    kappa = math.sqrt(beta)
    n_obs = y_observed.shape[0]
    top = np.argsort(y_observed, kind="stable")[: max(1, math.ceil(top_p * n_obs))]
    rows = np.vstack([X_observed, np.atleast_2d(np.asarray(X_candidates, dtype=float))])
    mean, var = surrogate.predict(rows)
    std = np.sqrt(var)
    ucb_min = float(np.min(mean[top] + kappa * std[top]))
    lcb_min = float(np.min(mean - kappa * std))
    return ucb_min, lcb_min


def moving_iqm(values: np.ndarray, window: int) -> np.ndarray:
    """Moving interquartile mean (25 %-trimmed) over ``window`` values, same length.

    The series is padded at the front with its first value, so the first outputs average
    over what exists so far.
    """
    values = np.asarray(values, dtype=float)
    padded = np.concatenate([np.full(window - 1, values[0]), values])
    out: np.ndarray = trim_mean(sliding_window_view(padded, window), 0.25, axis=1)
    return out


def ubr_converged(ubr: np.ndarray, *, window: int = 7, atol_rel: float = 0.1) -> bool:
    """Whether the smoothed UBR has flattened at its last value (see the module doc)."""
    ubr = np.asarray(ubr, dtype=float)
    ubr = ubr[np.isfinite(ubr)]
    if ubr.size < 2 or ubr.size <= window:
        return False
    gradient = np.abs(np.gradient(moving_iqm(ubr, window)))
    return bool(gradient[-1] <= atol_rel * float(np.max(gradient)))


class SAWEI(AnalyticAcquisition):
    """Weighted EI whose weight alpha adjusts itself when the upper-bound regret converges.

    Args:
        alpha: initial weight (0.5 is EI).
        delta: step of alpha at each adjustment.
        window: moving-IQM window of the UBR, and the number of first steps ignored.
        atol_rel: the relative gradient tolerance that counts as converged.
        top_p: share of the best observed rows over which the UCB is minimized.
        beta: β of the confidence bounds; None for ``2 log(D t²)`` (:func:`default_beta`).

    """

    def __init__(
        self,
        *,
        alpha: float = 0.5,
        delta: float = 0.1,
        window: int = 7,
        atol_rel: float = 0.1,
        top_p: float = 0.5,
        beta: float | None = None,
    ) -> None:
        if not (0.0 <= alpha <= 1.0 and delta >= 0 and window >= 1 and atol_rel >= 0
                and 0.0 < top_p <= 1.0 and (beta is None or beta >= 0)):
            raise OptimizerError(
                "SAWEI: expected alpha in [0, 1], delta >= 0, window >= 1, atol_rel >= 0, "
                f"top_p in (0, 1] and beta >= 0 or None, got alpha={alpha!r}, "
                f"delta={delta!r}, window={window!r}, atol_rel={atol_rel!r}, "
                f"top_p={top_p!r}, beta={beta!r}"
            )
        self.alpha = alpha
        self.delta = delta
        self.window = window
        self.atol_rel = atol_rel
        self.top_p = top_p
        self.beta = beta
        self._alpha = alpha
        self._ubr: list[float] = []
        self._last_step: int | None = None
        self.history: list[dict[str, Any]] = []

    def get_state(self) -> dict[str, Any]:
        """The current weight, the UBR series and the last step seen."""
        return {"alpha": self._alpha, "ubr": list(self._ubr), "last_step": self._last_step}

    def set_state(self, state: dict[str, Any]) -> None:
        """Continue from :meth:`get_state` output."""
        self._alpha = float(state.get("alpha", self.alpha))
        self._ubr = [float(v) for v in state.get("ubr", [])]
        last = state.get("last_step")
        self._last_step = None if last is None else int(last)

    @property
    def current_alpha(self) -> float:
        """The weight in use."""
        return self._alpha

    def regret_beta(self, dim: int, n_observations: int) -> float:
        """β of the confidence bounds for the UBR."""
        return default_beta(dim, n_observations) if self.beta is None else self.beta

    def regret_bounds(
        self,
        surrogate: Surrogate,
        X_observed: np.ndarray,
        y_observed: np.ndarray,
        X_candidates: np.ndarray,
    ) -> tuple[float, float]:
        """``(ucb_min, lcb_min)`` for :class:`AcquisitionProgress`, with this SAWEI's β."""
        X_observed = np.atleast_2d(np.asarray(X_observed, dtype=float))
        beta = self.regret_beta(X_observed.shape[1], X_observed.shape[0])
        return regret_bound_terms(
            surrogate, X_observed, y_observed, X_candidates, beta=beta, top_p=self.top_p
        )

    def update(self, progress: AcquisitionProgress) -> None:
        """Record the UBR and adjust alpha when it has converged (once per step)."""
        if progress.n_bo_steps == self._last_step:
            return
        self._last_step = progress.n_bo_steps
        if progress.ucb_min is None or progress.lcb_min is None:
            return
        ubr = progress.ucb_min - progress.lcb_min
        self._ubr.append(ubr)
        adjusted = 0
        have_last = (progress.last_mean is not None and progress.last_var is not None
                     and progress.last_best is not None)
        if have_last and ubr_converged(
            np.array(self._ubr), window=self.window, atol_rel=self.atol_rel
        ):
            assert progress.last_var is not None and progress.last_mean is not None
            assert progress.last_best is not None
            std = math.sqrt(max(progress.last_var, 1e-300))
            z = (progress.last_best - progress.last_mean) / std
            exploit = float(ndtr(z))
            explore = std * float(normal_pdf(np.array(z)))
            adjusted = 1 if explore >= exploit else -1
            self._alpha = min(1.0, max(0.0, self._alpha + adjusted * self.delta))
        self.history.append({"step": progress.n_bo_steps, "ubr": ubr,
                             "adjusted": adjusted, "alpha": self._alpha})

    def _values(self, mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
        z = (best - mean) / std
        a = self._alpha
        out: np.ndarray = std * (a * z * ndtr(z) + (1.0 - a) * normal_pdf(z))
        return out

    def _values_grad(
        self, mean: np.ndarray, std: np.ndarray, best: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        z = (best - mean) / std
        a = self._alpha
        cdf, pdf = ndtr(z), normal_pdf(z)
        values = std * (a * z * cdf + (1.0 - a) * pdf)
        d_mean = -a * (cdf + z * pdf) + (1.0 - a) * z * pdf
        d_std = (-a * z * z + (1.0 - a) * (1.0 + z * z)) * pdf
        return values, d_mean, d_std
