"""An exact Gaussian-process surrogate in numpy/scipy, with analytic gradients.

Kernel: ``s · Matérn-5/2 ARD (numeric columns) · exp(-Σ_c θ_c [x_c ≠ x'_c])`` (categorical
columns, θ_c = 1/(2l_c²)) plus noise; see :mod:`hyperpilot.optimizers.bo._kernels` for the
kernel and the imputation of inactive (NaN) entries and :mod:`._gp_map` for the priors.

Hyperparameters are fitted by MAP: L-BFGS-B over log-parameters with the analytic gradient
of the log marginal likelihood plus log prior. A refit warm-starts from the previous
optimum; every ``restart_every``-th fit, and whenever the warm start ends worse than the
prior mode or its line search fails, one more run starts from the prior mode and the better
optimum is kept. y is standardized inside the model (``normalize_y``), so the priors always
see unit-scale targets, and predictions come back on the scale of the y given to ``fit``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from scipy.linalg import lapack, solve_triangular
from scipy.optimize import minimize

from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers.bo._gp_map import (
    LengthscalePrior,
    MapObjective,
    bounds,
    cholesky_with_jitter,
    prior_mode,
)
from hyperpilot.optimizers.bo._kernels import (
    column_kinds,
    hamming_factor,
    matern52,
    matern52_inplace,
    mismatches,
    prepare_inputs,
    squared_distances,
)
from hyperpilot.optimizers.bo._surrogate import Surrogate

_CHUNK_ELEMENTS = 1 << 15


@dataclass(frozen=True)
class GPHyperparameters:
    """Kernel hyperparameters on the model's (standardized) scale.

    Args:
        lengthscales: one per column of the encoding, in column order; for a categorical
            column l sets the Hamming weight θ = 1/(2l²).
        signal_variance: the kernel's variance ``s``.
        noise_variance: the observation noise variance.

    """

    lengthscales: tuple[float, ...]
    signal_variance: float
    noise_variance: float

    def __post_init__(self) -> None:
        values = (*self.lengthscales, self.signal_variance, self.noise_variance)
        if not all(math.isfinite(v) and v > 0 for v in values[:-1]) or not (
            math.isfinite(self.noise_variance) and self.noise_variance >= 0
        ):
            raise OptimizerError(
                "GPHyperparameters: expected positive finite lengthscales and signal "
                f"variance and a non-negative noise variance, got {self}"
            )


def _as_hyperparameters(
    value: GPHyperparameters | Mapping[str, Any] | None,
) -> GPHyperparameters | None:
    """Fixed hyperparameters from the object or from the mapping ``to_config()`` wrote."""
    if value is None or isinstance(value, GPHyperparameters):
        return value
    try:
        return GPHyperparameters(
            lengthscales=tuple(float(v) for v in value["lengthscales"]),
            signal_variance=float(value["signal_variance"]),
            noise_variance=float(value["noise_variance"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise OptimizerError(
            "GaussianProcess: hyperparameters need lengthscales, signal_variance and "
            f"noise_variance, got {value!r} ({exc})"
        ) from None


class GaussianProcess(Surrogate):
    """Exact GP with a Matérn-5/2 x Hamming kernel, MAP hyperparameters and gradients.

    After a fit, :attr:`fitted_hyperparameters` holds the MAP (or fixed) values and
    ``fit_info`` the number of fits, starts and likelihood evaluations of the last one
    and the Cholesky jitter used. The model keeps its warm-start state and reusable
    prediction buffers, so one instance must not be fitted or queried from two threads
    at once.

    Args:
        lengthscale_prior: ``"dim_scaled"`` (LogNormal(√2 + ln(D)/2, √3), mode 0.205√D) or
            ``"optuna"`` (mode l = 1 whatever the dimension).
        noise: ``"learned"`` (LogNormal(-4, 1) prior, at least ``noise_floor``) or
            ``"deterministic"`` (pinned to ``noise_floor``).
        noise_floor: smallest noise variance on the standardized scale.
        inactive_value: the value an inactive (NaN) numeric entry takes; it must lie
            outside [0, 1] so that active versus inactive is a distance.
        normalize_y: standardize y inside the model (the priors assume unit scale).
        restart_every: every this many fits, also start from the prior mode.
        gtol: L-BFGS-B projected-gradient tolerance.
        max_iter: L-BFGS-B iteration limit per start.
        hyperparameters: fixed hyperparameters (or a mapping of their fields); when given,
            ``fit`` does not optimize.

    """

    supports_grad: ClassVar[bool] = True

    def __init__(
        self,
        *,
        lengthscale_prior: LengthscalePrior = "dim_scaled",
        noise: Literal["learned", "deterministic"] = "learned",
        noise_floor: float = 1e-6,
        inactive_value: float = -0.5,
        normalize_y: bool = True,
        restart_every: int = 10,
        gtol: float = 1e-2,
        max_iter: int = 200,
        hyperparameters: GPHyperparameters | Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        if lengthscale_prior not in ("dim_scaled", "optuna"):
            raise OptimizerError(
                "GaussianProcess: lengthscale_prior must be 'dim_scaled' or 'optuna', "
                f"got {lengthscale_prior!r}"
            )
        if noise not in ("learned", "deterministic"):
            raise OptimizerError(
                f"GaussianProcess: noise must be 'learned' or 'deterministic', got {noise!r}"
            )
        if not 0.0 < noise_floor < 1.0:
            raise OptimizerError(
                f"GaussianProcess: noise_floor must be in (0, 1), got {noise_floor!r}"
            )
        if 0.0 <= inactive_value <= 1.0 or not math.isfinite(inactive_value):
            raise OptimizerError(
                "GaussianProcess: inactive_value must be finite and outside [0, 1], "
                f"got {inactive_value!r}"
            )
        if restart_every < 1 or max_iter < 1 or gtol <= 0:
            raise OptimizerError(
                "GaussianProcess: restart_every and max_iter must be >= 1 and gtol > 0, got "
                f"{restart_every!r}, {max_iter!r}, {gtol!r}"
            )
        self.lengthscale_prior: LengthscalePrior = lengthscale_prior
        self.noise = noise
        self.noise_floor = noise_floor
        self.inactive_value = inactive_value
        self.normalize_y = normalize_y
        self.restart_every = restart_every
        self.gtol = gtol
        self.max_iter = max_iter
        self.hyperparameters = _as_hyperparameters(hyperparameters)
        # warm-start state, kept across fits
        self._n_fits = 0
        self._warm_key: tuple[Any, ...] | None = None
        self._warm_u: np.ndarray | None = None
        self.fit_info: dict[str, Any] = {}
        # what predict needs
        self._numeric = np.zeros(0, dtype=int)
        self._categorical = np.zeros(0, dtype=int)
        self._cardinalities = np.zeros(0, dtype=int)
        self._Z = np.zeros((0, 0))
        self._codes = np.zeros((0, 0), dtype=np.int64)
        self._ell_num = np.zeros(0)
        self._theta = np.zeros(0)
        self._s = 1.0
        self._L = np.zeros((0, 0))
        self._alpha = np.zeros(0)
        self._y_mean = 0.0
        self._y_std = 1.0
        self._params: GPHyperparameters | None = None
        self._alpha_Z = np.zeros((0, 0))
        self._work: dict[int, list[np.ndarray]] = {}

    # ------------------------------------------------------------------ fitting
    @property
    def fitted_hyperparameters(self) -> GPHyperparameters:
        """The hyperparameters of the last fit (standardized scale)."""
        if self._params is None:
            raise OptimizerError("GaussianProcess: no hyperparameters before fit")
        return self._params

    def _fit(self, X: np.ndarray, y: np.ndarray, cardinalities: np.ndarray) -> None:
        numeric, categorical = column_kinds(cardinalities)
        Xn, codes = prepare_inputs(X, numeric, categorical, cardinalities, self.inactive_value)
        self._y_mean, self._y_std = 0.0, 1.0
        if self.normalize_y:
            self._y_mean = float(np.mean(y))
            std = float(np.std(y))
            self._y_std = std if std > 1e-12 * max(1.0, abs(self._y_mean)) else 1.0
        ys = (y - self._y_mean) / self._y_std
        dim = X.shape[1]
        learned = self.noise == "learned"
        if self.hyperparameters is not None:
            hp = self.hyperparameters
            if len(hp.lengthscales) != dim:
                raise OptimizerError(
                    f"GaussianProcess: hyperparameters have {len(hp.lengthscales)} "
                    f"lengthscales, the data {dim} columns"
                )
            ell = np.array(hp.lengthscales, dtype=float)
            s, v = hp.signal_variance, hp.noise_variance
            self.fit_info = {"n_fits": self._n_fits, "starts": 0, "n_evals": 0}
        else:
            objective = MapObjective(
                Xn, mismatches(codes, codes), numeric, categorical, ys,
                prior=self.lengthscale_prior, learned_noise=learned,
                noise_floor=self.noise_floor,
            )
            key = (dim, tuple(int(c) for c in cardinalities), self.lengthscale_prior,
                   self.noise, self.noise_floor)
            u = self._optimize(objective, key)
            ell = np.exp(u[:dim])
            s = math.exp(float(u[dim]))
            v = math.exp(float(u[dim + 1])) if learned else self.noise_floor
        self._params = GPHyperparameters(tuple(float(e) for e in ell), float(s), float(v))
        self._numeric, self._categorical = numeric, categorical
        self._cardinalities = np.asarray(cardinalities, dtype=int).copy()
        self._ell_num = ell[numeric]
        self._theta = 0.5 / ell[categorical] ** 2
        self._s = float(s)
        self._Z = Xn / self._ell_num
        self._codes = codes
        self._work = {}
        K = self._kernel(self._Z, self._codes)
        K[np.diag_indices(K.shape[0])] += v
        self._L, jitter = cholesky_with_jitter(K)
        self._alpha = lapack.dpotrs(self._L, ys[:, None], lower=1)[0][:, 0]
        self._alpha_Z = self._alpha[:, None] * self._Z
        self.fit_info["jitter"] = jitter

    @property
    def warm_state(self) -> dict[str, Any] | None:
        """The warm-start state as JSON-ready data (``None`` before the first MAP fit).

        Stored with each proposal, it lets a fresh model continue exactly where another
        stopped (:meth:`restore_warm_state`), so a resumed study proposes what an
        uninterrupted one would have.
        """
        if self._warm_key is None or self._warm_u is None:
            return None
        dim, cards, prior, noise, floor = self._warm_key
        return {"n_fits": self._n_fits, "dim": dim, "cardinalities": list(cards),
                "prior": prior, "noise": noise, "floor": floor,
                "u": [float(v) for v in self._warm_u]}

    def restore_warm_state(self, state: dict[str, Any] | None) -> None:
        """Continue from a :attr:`warm_state` (``None`` forgets the warm start)."""
        if not state:
            self._n_fits, self._warm_key, self._warm_u = 0, None, None
            return
        self._n_fits = int(state["n_fits"])
        self._warm_key = (int(state["dim"]), tuple(int(c) for c in state["cardinalities"]),
                          state["prior"], state["noise"], float(state["floor"]))
        self._warm_u = np.asarray(state["u"], dtype=float)

    def _optimize(self, objective: MapObjective, key: tuple[Any, ...]) -> np.ndarray:
        self._n_fits += 1
        learned = self.noise == "learned"
        box = bounds(objective.dim, learned, self.noise_floor)
        low, high = np.array(box).T
        mode = prior_mode(objective.dim, self.lengthscale_prior, learned, self.noise_floor)
        warm = self._warm_u if self._warm_key == key else None
        starts = 1
        if warm is None:
            ok = self._run(objective, mode, box)
        else:
            ok = self._run(objective, np.clip(warm, low, high), box)
            periodic = self._n_fits % self.restart_every == 0
            if periodic or not ok or objective.best_f > objective(mode)[0]:
                starts = 2
                self._run(objective, mode, box)
        if objective.best_u is None:
            raise OptimizerError(
                "GaussianProcess: every hyperparameter setting tried gave a singular "
                "covariance matrix"
            )
        self._warm_key, self._warm_u = key, objective.best_u.copy()
        self.fit_info = {"n_fits": self._n_fits, "starts": starts,
                         "n_evals": objective.n_evals, "neg_log_posterior": objective.best_f}
        return objective.best_u

    def _run(self, objective: MapObjective, x0: np.ndarray, box: list[tuple[float, float]]) -> bool:
        result = minimize(
            objective, x0, jac=True, method="L-BFGS-B", bounds=box,
            options={"gtol": self.gtol, "maxiter": self.max_iter},
        )
        return bool(result.success)

    # ------------------------------------------------------------------ prediction
    def _cross_into(
        self, Z: np.ndarray, codes: np.ndarray, work: list[np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Kernel between rows (scaled numeric Z, codes) and the training rows.

        Writes into the first rows of the buffers in ``work`` and returns views
        ``(K, G)``, with ``G = s · H · g`` (the Matérn radial factor the input gradients
        need).
        """
        r = Z.shape[0]
        A, B, C, H = (w[:r] for w in work)
        squared_distances(Z, self._Z, out=A)
        matern52_inplace(A, B, C)
        if self._theta.size:
            hamming_factor(codes, self._codes, self._theta, out=H, scratch=C)
            A *= H
            B *= H
        A *= self._s
        B *= self._s
        return A, B

    def _kernel(self, Z: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Kernel matrix between rows and the training rows (allocating, not hot)."""
        work = [np.empty((Z.shape[0], self._Z.shape[0])) for _ in range(4)]
        return self._cross_into(Z, codes, work)[0]

    def _prepare(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Imputed, lengthscale-scaled numeric columns and category codes of rows."""
        Xn, codes = prepare_inputs(
            X, self._numeric, self._categorical, self._cardinalities, self.inactive_value
        )
        return Xn / self._ell_num, codes

    def _workspace(self, n_rows: int) -> tuple[int, list[np.ndarray]]:
        """Block size and reusable (block, n) buffers for ``n_rows`` candidate rows."""
        n = self._Z.shape[0]
        step = min(n_rows, max(16, _CHUNK_ELEMENTS // max(n, 1)))
        work = self._work.get(step)
        if work is None:
            work = [np.empty((step, n)) for _ in range(4)]
            if len(self._work) > 8:
                self._work.clear()
            self._work[step] = work
        return step, work

    def _predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Z, codes = self._prepare(X)
        m = X.shape[0]
        mean, var = np.empty(m), np.empty(m)
        step, work = self._workspace(m)
        for start in range(0, m, step):
            rows = slice(start, start + step)
            Ks, _ = self._cross_into(Z[rows], codes[rows], work)
            mean[rows] = Ks @ self._alpha
            V = lapack.dtrtrs(self._L, Ks.T, lower=1, overwrite_b=1)[0]
            var[rows] = self._s - np.einsum("ij,ij->j", V, V)
        return self._y_mean + self._y_std * mean, self._y_std**2 * np.maximum(var, 0.0)

    def predict_grad(
        self, X: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Mean, variance and their gradients in X (zero for categorical or NaN entries)."""
        X = self._check_X(X)
        Z, codes = self._prepare(X)
        m, d = X.shape
        mean, var = np.empty(m), np.empty(m)
        dmean_z, dvar_z = np.empty_like(Z), np.empty_like(Z)
        step, work = self._workspace(m)
        for start in range(0, m, step):
            rows = slice(start, start + step)
            Zr = Z[rows]
            Ks, G = self._cross_into(Zr, codes[rows], work)
            mean[rows] = Ks @ self._alpha
            # d k(x*, x_i) / d z*_d = -G_i (z*_d - z_id); z = x / l
            dmean_z[rows] = G @ self._alpha_Z - Zr * (G @ self._alpha)[:, None]
            V = lapack.dtrtrs(self._L, Ks.T, lower=1, overwrite_b=1)[0]
            var[rows] = self._s - np.einsum("ij,ij->j", V, V)
            Bt = lapack.dtrtrs(self._L, V, lower=1, trans=1, overwrite_b=1)[0]  # K⁻¹ k*
            G *= Bt.T
            dvar_z[rows] = 2.0 * (Zr * G.sum(axis=1)[:, None] - G @ self._Z)
        dmean = np.zeros((m, d))
        dvar = np.zeros((m, d))
        dmean[:, self._numeric] = dmean_z / self._ell_num
        dvar[:, self._numeric] = dvar_z / self._ell_num
        dvar[var * self._y_std**2 <= 1e-12] = 0.0
        inactive = np.isnan(X)
        dmean[inactive] = 0.0
        dvar[inactive] = 0.0
        return (
            self._y_mean + self._y_std * mean,
            np.maximum(self._y_std**2 * var, 1e-12),
            self._y_std * dmean,
            self._y_std**2 * dvar,
        )

    def sample(self, X: np.ndarray, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        """Joint posterior samples of the latent function at X, shape (n_samples, len(X)).

        Factorizes the posterior covariance (Cholesky with jitter, eigen-decomposition as
        the last resort), so the cost grows with the cube of the number of rows.
        """
        X = self._check_X(X)
        Z, codes = self._prepare(X)
        Ks = self._kernel(Z, codes)
        mean = Ks @ self._alpha
        V = solve_triangular(self._L, Ks.T, lower=True, check_finite=False)
        m, _ = matern52(squared_distances(Z, Z))
        cov = self._s * m * hamming_factor(codes, codes, self._theta) - V.T @ V
        cov = 0.5 * (cov + cov.T)
        normal = rng.standard_normal((X.shape[0], n_samples))
        try:
            factor, _ = cholesky_with_jitter(cov)
            draws = factor @ normal
        except OptimizerError:
            w, Q = np.linalg.eigh(cov)
            draws = Q @ (np.sqrt(np.maximum(w, 0.0))[:, None] * normal)
        out: np.ndarray = self._y_mean + self._y_std * (mean[None, :] + draws.T)
        return out

    def to_config(self) -> dict[str, Any]:
        """Describe the surrogate: its name and constructor arguments."""
        hp = None if self.hyperparameters is None else asdict(self.hyperparameters)
        return {
            "name": type(self).__name__,
            "lengthscale_prior": self.lengthscale_prior,
            "noise": self.noise,
            "noise_floor": self.noise_floor,
            "inactive_value": self.inactive_value,
            "normalize_y": self.normalize_y,
            "restart_every": self.restart_every,
            "gtol": self.gtol,
            "max_iter": self.max_iter,
            "hyperparameters": hp,
        }
