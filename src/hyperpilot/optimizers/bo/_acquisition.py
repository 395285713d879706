"""Acquisition functions: score candidate rows from a surrogate's posterior (higher is better).

All work on the surrogate's scale: the transformed y that was minimized in ``fit``. The
argument ``best`` is the incumbent value on that scale (the smallest transformed y
observed, or the smallest posterior mean at observed rows for noisy problems); EI, LogEI,
PI, LogPI, :class:`EIPISwitch` and :class:`SAWEI` use it, :class:`LCB` and
:class:`ThompsonSampling` ignore it.

The BO loop calls :meth:`Acquisition.update` once per model-based proposal, after the
refit and before the search, with an :class:`AcquisitionProgress`. Schedules
(:class:`EIPISwitch`, the β schedule of :class:`LCB`, :class:`SAWEI`) read it; the others
ignore it. The weighted-EI and regret-bound parts live in :mod:`._sawei`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.special import erfcx, log_ndtr, ndtr

from hyperpilot._describe import Describable
from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers.bo._surrogate import Surrogate

_SQRT_HALF_PI = math.sqrt(math.pi / 2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_SQRT2 = math.sqrt(2.0)
_ASYMPTOTIC_Z = -1e4


@dataclass(frozen=True)
class AcquisitionProgress:
    """Where the optimization stands, handed to :meth:`Acquisition.update`.

    Args:
        n_bo_steps: model-based proposals made so far (0 before the first one).
        n_bo_budget: model-based proposals planned in total (the trial budget minus the
            initial design), or None when the budget is unknown.
        n_observations: observations the surrogate was fitted on.
        dim: number of columns of the encoding.
        last_mean: the surrogate's mean at the previously chosen row, as predicted when
            it was chosen (transformed scale); None before the first model-based proposal.
        last_var: its predictive variance then.
        last_best: the incumbent value ``best`` used when it was chosen.
        ucb_min: min of ``μ + √β sigma`` over the best ``top_p`` share of the observed rows,
            under the current model (see :func:`regret_bound_terms`); SAWEI only.
        lcb_min: min of ``μ - √β sigma`` over the search space, approximated by the caller
            on its candidate set (plus the observed rows); SAWEI only.

    """

    n_bo_steps: int = 0
    n_bo_budget: int | None = None
    n_observations: int = 0
    dim: int = 1
    last_mean: float | None = None
    last_var: float | None = None
    last_best: float | None = None
    ucb_min: float | None = None
    lcb_min: float | None = None

    def __post_init__(self) -> None:
        if self.n_bo_steps < 0 or self.n_observations < 0 or self.dim < 1:
            raise OptimizerError(
                "AcquisitionProgress: expected n_bo_steps >= 0, n_observations >= 0 and "
                f"dim >= 1, got {self.n_bo_steps}, {self.n_observations}, {self.dim}"
            )
        if self.n_bo_budget is not None and self.n_bo_budget < 0:
            raise OptimizerError(
                f"AcquisitionProgress: n_bo_budget must be >= 0 or None, got {self.n_bo_budget}"
            )
        if self.last_var is not None and not self.last_var >= 0:
            raise OptimizerError(
                f"AcquisitionProgress: last_var must be >= 0, got {self.last_var}"
            )


def _check_best(best: float) -> float:
    value = float(best)
    if not math.isfinite(value):
        raise OptimizerError(f"acquisition: best must be a finite number, got {best!r}")
    return value


class Acquisition(Describable, ABC):
    """Base of every acquisition function; higher values are better.

    Subclasses write :meth:`_evaluate` (and :meth:`_evaluate_with_grad` when
    ``supports_grad``); analytic ones derive from :class:`AnalyticAcquisition` instead.
    """

    supports_grad: ClassVar[bool] = True
    #: the scores are logarithms (πBO then adds the weighted log-prior to them as they are)
    log_scale: ClassVar[bool] = False

    def evaluate(self, X: np.ndarray, surrogate: Surrogate, best: float) -> np.ndarray:
        """Score the rows of X (shape (n, d)); returns shape (n,)."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        return self._evaluate(X, surrogate, _check_best(best))

    def evaluate_with_grad(
        self, X: np.ndarray, surrogate: Surrogate, best: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Scores and their gradients with respect to X (shapes (n,) and (n, d)).

        Raises:
            OptimizerError: when this acquisition or the surrogate has no gradients.

        """
        if not self.supports_grad or not surrogate.supports_grad:
            raise OptimizerError(
                f"{type(self).__name__} with {type(surrogate).__name__}: no gradients "
                "(use evaluate)"
            )
        X = np.atleast_2d(np.asarray(X, dtype=float))
        return self._evaluate_with_grad(X, surrogate, _check_best(best))

    def update(self, progress: AcquisitionProgress) -> None:
        """Advance schedules; call once per model-based proposal, before the search."""

    def get_state(self) -> dict[str, Any]:
        """JSON-ready state that :meth:`update` accumulated (empty for stateless ones).

        Stored with each proposal so that a resumed study continues the same schedule.
        """
        return {}

    def set_state(self, state: dict[str, Any]) -> None:
        """Continue from a :meth:`get_state` result."""

    @abstractmethod
    def _evaluate(self, X: np.ndarray, surrogate: Surrogate, best: float) -> np.ndarray:
        """Score validated rows."""

    def _evaluate_with_grad(
        self, X: np.ndarray, surrogate: Surrogate, best: float
    ) -> tuple[np.ndarray, np.ndarray]:
        raise OptimizerError(f"{type(self).__name__}: no gradients")


class AnalyticAcquisition(Acquisition):
    """An acquisition that is a function of the posterior mean and standard deviation.

    Subclasses write :meth:`_values` and :meth:`_values_grad`; the chain rule through
    :meth:`Surrogate.predict_grad` is done here.
    """

    def _evaluate(self, X: np.ndarray, surrogate: Surrogate, best: float) -> np.ndarray:
        mean, var = surrogate.predict(X)
        return self._values(mean, np.sqrt(var), best)

    def _evaluate_with_grad(
        self, X: np.ndarray, surrogate: Surrogate, best: float
    ) -> tuple[np.ndarray, np.ndarray]:
        mean, var, dmean, dvar = surrogate.predict_grad(X)
        std = np.sqrt(var)
        values, d_mean, d_std = self._values_grad(mean, std, best)
        # dsigma/dx = (dvar/dx) / (2sigma)
        grad = d_mean[:, None] * dmean + (d_std / (2.0 * std))[:, None] * dvar
        return values, grad

    @abstractmethod
    def _values(self, mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
        """Scores from the posterior mean and standard deviation."""

    @abstractmethod
    def _values_grad(
        self, mean: np.ndarray, std: np.ndarray, best: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Scores and their partial derivatives in the mean and in the std."""


# ---------------------------------------------------------------------- Gaussian helpers
def normal_pdf(z: np.ndarray) -> np.ndarray:
    """Standard normal density."""
    out: np.ndarray = _INV_SQRT_2PI * np.exp(-0.5 * z * z)
    return out


def log_h(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log(φ(z) + z Φ(z))`` and its derivative ``Φ(z) / (φ(z) + z Φ(z))``, stably.

    ``φ + zΦ`` is EI / sigma. For z > -1 it is computed directly. Below, with
    ``r = Φ/φ = √(π/2) erfcx(-z/√2)``, ``h = φ (1 + z r)`` gives
    ``log h = -z²/2 - log √(2π) + log1p(z r)``; for z < -10⁴, where ``1 + z r`` loses its
    digits, the asymptotic series ``1 + z r ≈ z⁻² (1 - 3 z⁻²)`` takes over. Finite, with
    finite derivative, for every finite z.
    """
    z = np.asarray(z, dtype=float)
    value = np.empty_like(z)
    deriv = np.empty_like(z)
    upper = z > -1.0
    zu = z[upper]
    cdf = ndtr(zu)
    h = normal_pdf(zu) + zu * cdf
    value[upper] = np.log(h)
    deriv[upper] = cdf / h
    mid = (~upper) & (z >= _ASYMPTOTIC_Z)
    zm = z[mid]
    r = _SQRT_HALF_PI * erfcx(-zm / _SQRT2)
    q = 1.0 + zm * r
    value[mid] = -0.5 * zm * zm - _HALF_LOG_2PI + np.log(q)
    deriv[mid] = r / q
    low = z < _ASYMPTOTIC_Z
    zl = z[low]
    inv2 = 1.0 / (zl * zl)
    value[low] = -0.5 * zl * zl - _HALF_LOG_2PI + np.log(inv2) + np.log1p(-3.0 * inv2)
    deriv[low] = -zl - 2.0 / zl
    return value, deriv


def _z_score(mean: np.ndarray, std: np.ndarray, target: float) -> np.ndarray:
    out: np.ndarray = (target - mean) / std
    return out


# ---------------------------------------------------------------------- improvement-based
class EI(AnalyticAcquisition):
    """Expected improvement over ``best - xi``: ``sigma (z Φ(z) + φ(z))``, z = (best - ξ - μ)/sigma.

    Args:
        xi: required improvement, on the transformed scale.

    """

    def __init__(self, *, xi: float = 0.0) -> None:
        self.xi = xi

    def _values(self, mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
        z = _z_score(mean, std, best - self.xi)
        out: np.ndarray = std * (z * ndtr(z) + normal_pdf(z))
        return out

    def _values_grad(
        self, mean: np.ndarray, std: np.ndarray, best: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        z = _z_score(mean, std, best - self.xi)
        cdf, pdf = ndtr(z), normal_pdf(z)
        return std * (z * cdf + pdf), -cdf, pdf


class LogEI(AnalyticAcquisition):
    """Logarithm of :class:`EI`, finite with finite gradients even where EI underflows.

    Args:
        xi: required improvement, on the transformed scale.

    """

    log_scale: ClassVar[bool] = True

    def __init__(self, *, xi: float = 0.0) -> None:
        self.xi = xi

    def _values(self, mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
        z = _z_score(mean, std, best - self.xi)
        out: np.ndarray = np.log(std) + log_h(z)[0]
        return out

    def _values_grad(
        self, mean: np.ndarray, std: np.ndarray, best: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        z = _z_score(mean, std, best - self.xi)
        value, g = log_h(z)
        return np.log(std) + value, -g / std, (1.0 - z * g) / std


class PI(AnalyticAcquisition):
    """Probability of improving on ``best - xi``: ``Φ((best - ξ - μ)/sigma)``.

    Args:
        xi: required improvement, on the transformed scale.

    """

    def __init__(self, *, xi: float = 0.0) -> None:
        self.xi = xi

    def _values(self, mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
        out: np.ndarray = ndtr(_z_score(mean, std, best - self.xi))
        return out

    def _values_grad(
        self, mean: np.ndarray, std: np.ndarray, best: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        z = _z_score(mean, std, best - self.xi)
        pdf = normal_pdf(z)
        return ndtr(z), -pdf / std, -pdf * z / std


def _mills_inverse(z: np.ndarray) -> np.ndarray:
    """``φ(z) / Φ(z)``, stable for very negative z (there it is ≈ -z)."""
    out: np.ndarray = (1.0 / _SQRT_HALF_PI) / erfcx(-z / _SQRT2)
    return out


class LogPI(AnalyticAcquisition):
    """Logarithm of :class:`PI` (``log_ndtr``), finite with finite gradients everywhere.

    Args:
        xi: required improvement, on the transformed scale.

    """

    log_scale: ClassVar[bool] = True

    def __init__(self, *, xi: float = 0.0) -> None:
        self.xi = xi

    def _values(self, mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
        out: np.ndarray = log_ndtr(_z_score(mean, std, best - self.xi))
        return out

    def _values_grad(
        self, mean: np.ndarray, std: np.ndarray, best: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        z = _z_score(mean, std, best - self.xi)
        g = _mills_inverse(z)
        return log_ndtr(z), -g / std, -g * z / std


class EIPISwitch(Acquisition):
    """LogEI for the first ``switch_at`` share of the model-based steps, then LogPI.

    Benjamins et al. (2022) found EI for the first 25 % of the budget, then PI, a strong
    default on BBOB. Without a budget (``n_bo_budget`` None) it stays LogEI.

    Args:
        switch_at: the share of ``n_bo_budget`` after which LogPI is used.
        xi: required improvement for both phases.

    """

    log_scale: ClassVar[bool] = True

    def __init__(self, *, switch_at: float = 0.25, xi: float = 0.0) -> None:
        if not 0.0 <= switch_at <= 1.0:
            raise OptimizerError(f"EIPISwitch: switch_at must be in [0, 1], got {switch_at!r}")
        self.switch_at = switch_at
        self.xi = xi
        self._ei = LogEI(xi=xi)
        self._pi = LogPI(xi=xi)
        self._active: AnalyticAcquisition = self._ei

    @property
    def phase(self) -> str:
        """``"ei"`` or ``"pi"``: which acquisition is in use."""
        return "ei" if self._active is self._ei else "pi"

    def update(self, progress: AcquisitionProgress) -> None:
        """Switch to LogPI once ``n_bo_steps >= switch_at · n_bo_budget``."""
        budget = progress.n_bo_budget
        late = budget is not None and progress.n_bo_steps >= self.switch_at * budget
        self._active = self._pi if late else self._ei

    def _evaluate(self, X: np.ndarray, surrogate: Surrogate, best: float) -> np.ndarray:
        return self._active._evaluate(X, surrogate, best)

    def _evaluate_with_grad(
        self, X: np.ndarray, surrogate: Surrogate, best: float
    ) -> tuple[np.ndarray, np.ndarray]:
        return self._active._evaluate_with_grad(X, surrogate, best)


# ---------------------------------------------------------------------- confidence bound
def default_beta(dim: int, n_observations: int) -> float:
    """The schedule ``β_t = 2 log(D t²)`` with t = max(n_observations, 1), at least 0.1."""
    return max(2.0 * math.log(max(dim, 1) * max(n_observations, 1) ** 2), 0.1)


class LCB(AnalyticAcquisition):
    """Negated lower confidence bound: ``-(μ - √β sigma)``.

    Args:
        beta: fixed β, or None for the schedule :func:`default_beta` (updated by
            :meth:`update`; β = 2 before the first update).

    """

    def __init__(self, *, beta: float | None = 4.0) -> None:
        if beta is not None and not beta >= 0:
            raise OptimizerError(f"LCB: beta must be >= 0 or None, got {beta!r}")
        self.beta = beta
        self._beta_t = 2.0 if beta is None else beta

    @property
    def current_beta(self) -> float:
        """The β in use."""
        return self._beta_t

    def update(self, progress: AcquisitionProgress) -> None:
        """Recompute β from the schedule (no-op for a fixed β)."""
        if self.beta is None:
            self._beta_t = default_beta(progress.dim, progress.n_observations)

    def _values(self, mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
        out: np.ndarray = math.sqrt(self._beta_t) * std - mean
        return out

    def _values_grad(
        self, mean: np.ndarray, std: np.ndarray, best: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        kappa = math.sqrt(self._beta_t)
        return kappa * std - mean, -np.ones_like(mean), np.full_like(std, kappa)


# ---------------------------------------------------------------------- sampling
class ThompsonSampling(Acquisition):
    """Score the rows by one joint posterior sample: ``-f(x)`` with ``f ~ GP | data``.

    Each :meth:`evaluate` call draws a new sample over the rows it is given, so score
    the whole candidate set in one call. No gradients. The joint sample factorizes an
    (n, n) covariance: keep the candidate set to a few thousand rows.

    Args:
        seed: seeds the generator; a seeded run draws the same samples.

    """

    supports_grad: ClassVar[bool] = False

    def __init__(self, *, seed: int | None = None) -> None:
        self.seed = seed
        self._rng = np.random.default_rng(seed)

    def _evaluate(self, X: np.ndarray, surrogate: Surrogate, best: float) -> np.ndarray:
        out: np.ndarray = -surrogate.sample(X, 1, self._rng)[0]
        return out
