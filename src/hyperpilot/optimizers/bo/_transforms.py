"""Output transforms: reshape the observed costs before the surrogate is fitted.

Every transform is monotone increasing, so the incumbent on the transformed scale is the
transform of the incumbent, and minimizing stays minimizing. Each has ``fit``,
``transform``, ``fit_transform`` and ``inverse``; constant y and a single observation give
zeros (and ``inverse`` maps zeros back to that constant).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable

import numpy as np
from scipy.optimize import minimize_scalar

from hyperpilot._describe import Describable
from hyperpilot.exceptions import OptimizerError

_LAMBDA_BOUNDS = (-3.0, 3.0)
_TAIL = 3.0
"""Robust deviations above the median beyond which costs are compressed logarithmically."""


def _as_vector(y: np.ndarray, what: str) -> np.ndarray:
    y = np.asarray(y, dtype=float).ravel()
    if not np.all(np.isfinite(y)):
        raise OptimizerError(f"{what}: y must be finite, got {y[~np.isfinite(y)][:3]}")
    return y


class OutputTransform(Describable, ABC):
    """Base of the output transforms.

    Subclasses write :meth:`_fit`, :meth:`_transform` and :meth:`_inverse`.
    """

    def __init__(self) -> None:
        self._fitted = False

    def fit(self, y: np.ndarray) -> OutputTransform:
        """Learn the transform from the observed values ``y``; returns ``self``."""
        y = _as_vector(y, type(self).__name__)
        if y.size == 0:
            raise OptimizerError(f"{type(self).__name__}: needs at least one value, got none")
        self._fit(y)
        self._fitted = True
        return self

    def transform(self, y: np.ndarray) -> np.ndarray:
        """Map values to the transformed scale."""
        self._check()
        return self._transform(np.asarray(y, dtype=float))

    def fit_transform(self, y: np.ndarray) -> np.ndarray:
        """Fit on ``y`` and return its transform."""
        return self.fit(y).transform(y)

    def inverse(self, z: np.ndarray) -> np.ndarray:
        """Map transformed values back to the original scale."""
        self._check()
        return self._inverse(np.asarray(z, dtype=float))

    def _check(self) -> None:
        if not self._fitted:
            raise OptimizerError(f"{type(self).__name__}: transform before fit")

    @abstractmethod
    def _fit(self, y: np.ndarray) -> None:
        """Learn the parameters from a non-empty finite vector."""

    @abstractmethod
    def _transform(self, y: np.ndarray) -> np.ndarray:
        """Apply the fitted transform."""

    @abstractmethod
    def _inverse(self, z: np.ndarray) -> np.ndarray:
        """Undo the fitted transform."""


def _location_scale(y: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation, with scale 1 when y is (numerically) constant."""
    mean = float(np.mean(y))
    std = float(np.std(y))
    if y.size < 2 or not std > 1e-12 * max(1.0, abs(mean)):
        std = 1.0
    return mean, std


class Standardize(OutputTransform):
    """``(y - mean) / std``; constant y maps to zeros."""

    def _fit(self, y: np.ndarray) -> None:
        self.mean_, self.std_ = _location_scale(y)

    def _transform(self, y: np.ndarray) -> np.ndarray:
        return (y - self.mean_) / self.std_

    def _inverse(self, z: np.ndarray) -> np.ndarray:
        return z * self.std_ + self.mean_


def _yeo_johnson(x: np.ndarray, lam: float) -> np.ndarray:
    out = np.empty_like(x)
    pos = x >= 0
    xp, xn = x[pos], x[~pos]
    if abs(lam) < 1e-8:
        out[pos] = np.log1p(xp)
    else:
        out[pos] = np.expm1(lam * np.log1p(xp)) / lam
    if abs(lam - 2.0) < 1e-8:
        out[~pos] = -np.log1p(-xn)
    else:
        out[~pos] = -np.expm1((2.0 - lam) * np.log1p(-xn)) / (2.0 - lam)
    return out


def _yeo_johnson_inverse(z: np.ndarray, lam: float) -> np.ndarray:
    out = np.empty_like(z)
    pos = z >= 0
    zp, zn = z[pos], z[~pos]
    if abs(lam) < 1e-8:
        out[pos] = np.expm1(zp)
    else:
        # for λ < 0 the forward map is bounded by -1/λ: clip to stay in its range
        base = lam * zp if lam > 0 else np.maximum(lam * zp, -1.0 + 1e-12)
        out[pos] = np.expm1(np.log1p(base) / lam)
    if abs(lam - 2.0) < 1e-8:
        out[~pos] = -np.expm1(-zn)
    else:
        q = 2.0 - lam
        base = -q * zn if q > 0 else np.maximum(-q * zn, -1.0 + 1e-12)
        out[~pos] = -np.expm1(np.log1p(base) / q)
    return out


def _yeo_johnson_nll(lam: float, x: np.ndarray) -> float:
    """Negative profile log-likelihood of the Yeo-Johnson λ (normal on the new scale)."""
    z = _yeo_johnson(x, lam)
    var = float(np.var(z))
    if not var > 0 or not math.isfinite(var):
        return math.inf
    jacobian = (lam - 1.0) * float(np.sum(np.sign(x) * np.log1p(np.abs(x))))
    return 0.5 * x.size * math.log(var) - jacobian


def _robust_location_scale(y: np.ndarray) -> tuple[float, float]:
    """Median and interquartile range / 1.349 (the standard deviation for normal data).

    Falls back to the standard deviation when half the values or more are equal, and to
    1 for constant y.
    """
    q25, median, q75 = (float(v) for v in np.percentile(y, [25, 50, 75]))
    scale = (q75 - q25) / 1.349
    if not scale > 1e-12 * max(1.0, abs(median)):
        scale = _location_scale(y)[1]
    return median, scale


def _upper_tail(x: np.ndarray, warp: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Identity up to :data:`_TAIL`, ``_TAIL + warp(x - _TAIL)`` beyond.

    With ``np.log1p`` it compresses the tail (strictly increasing); ``np.expm1`` undoes it.
    """
    over = x > _TAIL
    if not np.any(over):
        return x
    out: np.ndarray = np.array(x, dtype=float)
    out[over] = _TAIL + warp(x[over] - _TAIL)
    return out


class PowerTransform(OutputTransform):
    """Robust scaling, upper tail compressed, Yeo-Johnson fitted by maximum likelihood.

    1. ``x = (y - median) / (IQR / 1.349)``: robust, so that one diverged run (an error
       of 1e6 among errors near 0.5) cannot squeeze all other values together;
    2. values more than :data:`_TAIL` robust deviations above the median are compressed
       logarithmically (costs are minimized: how bad a bad configuration is matters
       little, and the order is kept);
    3. Yeo-Johnson with λ searched in [-3, 3] by SciPy's bounded scalar minimizer;
    4. standardize.

    When the fit fails or is degenerate (fewer than three distinct values, a non-finite
    result, a collapsed spread), step 3 is skipped (``lambda_`` is None).
    """

    def _fit(self, y: np.ndarray) -> None:
        self.pre_mean_, self.pre_std_ = _robust_location_scale(y)
        x = _upper_tail((y - self.pre_mean_) / self.pre_std_, np.log1p)
        self.lambda_: float | None = None
        self.post_mean_, self.post_std_ = _location_scale(x)
        if np.unique(y).size < 3:
            return
        try:
            result = minimize_scalar(
                _yeo_johnson_nll, bounds=_LAMBDA_BOUNDS, args=(x,), method="bounded",
                options={"xatol": 1e-4},
            )
        except (ValueError, FloatingPointError, OverflowError):
            return
        lam = float(result.x)
        if not (result.success and math.isfinite(lam) and math.isfinite(result.fun)):
            return
        z = _yeo_johnson(x, lam)
        if not np.all(np.isfinite(z)) or not float(np.std(z)) > 1e-12:
            return
        self.lambda_ = lam
        self.post_mean_, self.post_std_ = _location_scale(z)

    def _transform(self, y: np.ndarray) -> np.ndarray:
        x = _upper_tail(np.atleast_1d((y - self.pre_mean_) / self.pre_std_), np.log1p)
        if self.lambda_ is not None:
            x = _yeo_johnson(x, self.lambda_)
        out: np.ndarray = ((x - self.post_mean_) / self.post_std_).reshape(np.shape(y))
        return out

    def _inverse(self, z: np.ndarray) -> np.ndarray:
        w = np.atleast_1d(z * self.post_std_ + self.post_mean_)
        if self.lambda_ is not None:
            w = _yeo_johnson_inverse(w, self.lambda_)
        out: np.ndarray = (_upper_tail(w, np.expm1) * self.pre_std_ + self.pre_mean_).reshape(
            np.shape(z))
        return out


class LogScaled(OutputTransform):
    """SMAC's log-scaled costs: ``y' = log((y - m) / (max - m))``.

    ``m = min - (p5 - min) - 1e-10`` with ``p5`` the 5th percentile, so the best value
    maps to a finite (very negative when ``p5`` is close to the minimum) number and the
    worst to 0. Constant y and a single observation map to zeros. Values below ``m``
    (possible for ``transform`` of new data) are clipped to just above it.
    """

    def _fit(self, y: np.ndarray) -> None:
        low, high = float(np.min(y)), float(np.max(y))
        self.constant_ = not high > low
        p5 = float(np.percentile(y, 5))
        self.shift_ = low - (p5 - low) - 1e-10
        self.range_ = high - self.shift_
        self.value_ = low

    def _transform(self, y: np.ndarray) -> np.ndarray:
        if self.constant_:
            return np.zeros_like(y)
        ratio = (y - self.shift_) / self.range_
        return np.log(np.maximum(ratio, np.finfo(float).tiny))

    def _inverse(self, z: np.ndarray) -> np.ndarray:
        if self.constant_:
            return np.full_like(z, self.value_)
        out: np.ndarray = self.shift_ + self.range_ * np.exp(z)
        return out
