"""MAP estimation of the GP hyperparameters: priors, the log posterior and its gradient.

Hyperparameters live on the log scale,
``u = [log l_1 … log l_D, log s, (log sigma²_noise)]``, one lengthscale per column in
column order (numeric and categorical alike). Each prior is a log density of the parameter
itself (not of its log), as in GPyTorch/BoTorch, so the MAP optimum of a lengthscale with
the dimension-scaled prior sits near the prior's mode
``exp(μ - sigma²) ≈ 0.205 √D``:

* lengthscales, ``"dim_scaled"`` (default, Hvarfner et al. 2024): l ~ LogNormal(μ = √2 +
  ln(D)/2, sigma = √3), ``D`` = number of columns;
* lengthscales, ``"optuna"``: log p(l) = -0.1 (l² + l⁻²), mode l = 1 for every D
  (Optuna's prior on θ = l⁻², written for l);
* signal variance s ~ Gamma(2, 1) (mode 1 on standardized y);
* noise variance ~ LogNormal(-4, 1) (mode e⁻⁵ ≈ 0.0067), bounded below by the floor.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from scipy.linalg import lapack

from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers.bo._kernels import (
    matern52_inplace,
    pairwise_gradient_sum,
    squared_distances,
)

LengthscalePrior = Literal["dim_scaled", "optuna"]

LENGTHSCALE_BOUNDS = (1e-2, 1e3)
SIGNAL_BOUNDS = (1e-3, 1e3)
NOISE_MAX = 1.0
_LOGNORMAL_SIGMA = math.sqrt(3.0)
_NOISE_MU = -4.0
_JITTER_START = 1e-8
_JITTER_STOP = 1e-4
_LOG_2PI = math.log(2.0 * math.pi)
_FAILED = 1e25


def cholesky_with_jitter(
    K: np.ndarray, out: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Lower Cholesky factor of the symmetric matrix K, adding jitter when needed.

    Tries K itself, then K + j·mean(diag K)·I for j = 1e-8, 1e-7, …, 1e-4. Returns the
    factor (Fortran-ordered, upper triangle zero; written into ``out`` when given, an
    (n, n) Fortran-contiguous buffer) and the relative jitter used (0.0 when none was).
    K itself is not modified.

    Raises:
        OptimizerError: when K is not finite or not positive definite even at 1e-4.

    """
    n = K.shape[0]
    buf = np.empty((n, n), order="F") if out is None else out
    np.copyto(buf, K)
    L, info = lapack.dpotrf(buf, lower=1, clean=1, overwrite_a=1)
    if info == 0 and np.all(np.isfinite(np.diagonal(L))):
        return L, 0.0
    if not np.all(np.isfinite(K)):
        raise OptimizerError("GP: the covariance matrix has non-finite entries")
    scale = max(float(np.mean(np.diagonal(K))), 1e-300)
    jitter = _JITTER_START
    diag = np.diag_indices(n)
    while jitter <= _JITTER_STOP * (1.0 + 1e-9):
        np.copyto(buf, K)
        buf[diag] += jitter * scale
        L, info = lapack.dpotrf(buf, lower=1, clean=1, overwrite_a=1)
        if info == 0:
            return L, jitter
        jitter *= 10.0
    raise OptimizerError(
        f"GP: the covariance matrix ({n}x{n}) is not positive definite even with a "
        f"relative jitter of {_JITTER_STOP:g}; expected distinct inputs or a larger noise "
        "floor"
    )


def lengthscale_mode(prior: LengthscalePrior, dim: int) -> float:
    """The lengthscale where the prior density (in l) peaks."""
    if prior == "optuna":
        return 1.0
    mu = math.sqrt(2.0) + 0.5 * math.log(max(dim, 1))
    return math.exp(mu - _LOGNORMAL_SIGMA**2)


def log_prior(
    u: np.ndarray, dim: int, prior: LengthscalePrior, learned_noise: bool
) -> tuple[float, np.ndarray]:
    """Log prior density (up to a constant) of log-parameters ``u`` and its gradient."""
    grad = np.empty_like(u)
    ul = u[:dim]
    if prior == "optuna":
        up, down = np.exp(2.0 * ul), np.exp(-2.0 * ul)
        value = -0.1 * float(np.sum(up + down))
        grad[:dim] = -0.2 * (up - down)
    else:
        mu = math.sqrt(2.0) + 0.5 * math.log(max(dim, 1))
        dev = (ul - mu) / _LOGNORMAL_SIGMA**2
        value = float(np.sum(-ul - 0.5 * (ul - mu) * dev))
        grad[:dim] = -1.0 - dev
    us = float(u[dim])
    value += us - math.exp(us)
    grad[dim] = 1.0 - math.exp(us)
    if learned_noise:
        un = float(u[dim + 1])
        value += -un - 0.5 * (un - _NOISE_MU) ** 2
        grad[dim + 1] = -1.0 - (un - _NOISE_MU)
    return value, grad


def prior_mode(
    dim: int, prior: LengthscalePrior, learned_noise: bool, noise_floor: float
) -> np.ndarray:
    """Log-parameters at the prior modes (the cold start of the MAP fit)."""
    u = [math.log(lengthscale_mode(prior, dim))] * dim + [0.0]
    if learned_noise:
        u.append(min(max(_NOISE_MU - 1.0, math.log(noise_floor)), math.log(NOISE_MAX)))
    low, high = np.array(bounds(dim, learned_noise, noise_floor)).T
    out: np.ndarray = np.clip(np.array(u), low, high)
    return out


def bounds(dim: int, learned_noise: bool, noise_floor: float) -> list[tuple[float, float]]:
    """Box bounds of the log-parameters for L-BFGS-B."""
    out = [(math.log(LENGTHSCALE_BOUNDS[0]), math.log(LENGTHSCALE_BOUNDS[1]))] * dim
    out.append((math.log(SIGNAL_BOUNDS[0]), math.log(SIGNAL_BOUNDS[1])))
    if learned_noise:
        low = math.log(noise_floor)
        out.append((low, max(low, math.log(NOISE_MAX))))
    return out


class MapObjective:
    """Negative log posterior of the log-parameters and its analytic gradient.

    Built once per fit from the prepared inputs (imputed numeric columns, category codes,
    standardized y); each call costs one Cholesky, one ``potri`` and a few O(n² d)
    products. Remembers the best point it has evaluated, so a line search that ends
    abnormally still leaves a usable optimum.
    """

    def __init__(
        self,
        Xn: np.ndarray,
        mismatch: np.ndarray,
        numeric: np.ndarray,
        categorical: np.ndarray,
        y: np.ndarray,
        *,
        prior: LengthscalePrior,
        learned_noise: bool,
        noise_floor: float,
    ) -> None:
        self.Xn = Xn
        self.mismatch = mismatch
        self.numeric = numeric
        self.categorical = categorical
        self.y = y
        self.dim = numeric.size + categorical.size
        self.prior: LengthscalePrior = prior
        self.learned_noise = learned_noise
        self.noise_floor = noise_floor
        self.n_evals = 0
        self.best_f = math.inf
        self.best_u: np.ndarray | None = None
        n = y.shape[0]
        self._work = [np.empty((n, n)) for _ in range(6)]
        self._chol = np.empty((n, n), order="F")
        self._diag = np.diag_indices(n)

    def __call__(self, u: np.ndarray) -> tuple[float, np.ndarray]:
        """Return the negative log posterior at ``u`` and its gradient."""
        self.n_evals += 1
        try:
            lml, grad = self.log_marginal_likelihood(u)
        except OptimizerError:
            return _FAILED, np.zeros_like(u)
        lp, lp_grad = log_prior(u, self.dim, self.prior, self.learned_noise)
        f = -(lml + lp)
        if not math.isfinite(f) or not np.all(np.isfinite(grad)):
            return _FAILED, np.zeros_like(u)
        if f < self.best_f:
            self.best_f, self.best_u = f, u.copy()
        return f, -(grad + lp_grad)

    def log_marginal_likelihood(self, u: np.ndarray) -> tuple[float, np.ndarray]:
        """Log marginal likelihood of the standardized y and its gradient in ``u``."""
        d, y, n = self.dim, self.y, self.y.shape[0]
        A, B, C, H, K, W = self._work
        ell = np.exp(u[:d])
        s = math.exp(float(u[d]))
        v = math.exp(float(u[d + 1])) if self.learned_noise else self.noise_floor
        Z = self.Xn / ell[self.numeric]
        squared_distances(Z, Z, out=A)
        matern52_inplace(A, B, C)  # A = Matérn correlation, B = its radial factor g
        theta = 0.5 / ell[self.categorical] ** 2
        if theta.size:
            H.fill(0.0)
            for c in range(theta.size):
                np.multiply(self.mismatch[c], -float(theta[c]), out=C)
                H += C
            np.exp(H, out=H)
            A *= H  # A = correlation C(x, x') of the full kernel
            B *= H
        np.multiply(A, s, out=K)
        K[self._diag] += v
        L, _ = cholesky_with_jitter(K, out=self._chol)
        alpha = lapack.dpotrs(L, y[:, None], lower=1)[0][:, 0]
        logdet_half = float(np.sum(np.log(np.diagonal(L))))
        Kinv = lapack.dpotri(L, lower=1, overwrite_c=1)[0]  # lower triangle, upper is zero
        # W = alpha alphaᵀ - K⁻¹ (symmetric)
        np.add(Kinv, Kinv.T, out=W)
        W[self._diag] -= np.diagonal(Kinv)
        np.negative(W, out=W)
        np.multiply(alpha[:, None], alpha[None, :], out=C)
        W += C
        lml = -0.5 * float(y @ alpha) - logdet_half - 0.5 * n * _LOG_2PI
        grad = np.empty_like(u)
        np.multiply(W, A, out=C)  # C = W ∘ correlation
        grad[d] = 0.5 * s * float(C.sum())
        if self.learned_noise:
            grad[d + 1] = 0.5 * v * float(np.trace(W))
        if theta.size:
            grad[self.categorical] = theta * s * np.tensordot(self.mismatch, C, axes=2)
        B *= W
        B *= s
        grad[self.numeric] = 0.5 * pairwise_gradient_sum(Z, B)
        return lml, grad
