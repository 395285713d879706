"""The surrogate-model interface: fit on encoded configurations, predict mean and variance.

Inputs are rows of the unit hypercube as :meth:`hyperpilot.Space.encode` writes them:
numeric and ordinal columns in [0, 1], categorical columns at their bin centres
``(i + 0.5) / k``, inactive entries NaN. ``cardinalities[j]`` is ``k`` for a categorical
column and 0 otherwise. Targets are to be minimized; any output transform (standardizing,
power or log transforms) happens before :meth:`Surrogate.fit`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from hyperpilot._describe import call_repr
from hyperpilot.exceptions import OptimizerError


class Surrogate(ABC):
    """Base of every surrogate; subclasses write :meth:`_fit` and :meth:`_predict`.

    ``supports_grad`` tells whether :meth:`predict_grad` is available (gradient-based
    acquisition refinement uses it).
    """

    supports_grad: ClassVar[bool] = False

    def __init__(self) -> None:
        self._dim: int | None = None

    def fit(self, X: np.ndarray, y: np.ndarray, cardinalities: np.ndarray) -> Surrogate:
        """Fit to ``X`` (n, d) and ``y`` (n,); returns ``self``."""
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float).ravel()
        cardinalities = np.asarray(cardinalities, dtype=int).ravel()
        if X.ndim != 2 or X.shape[0] != y.shape[0] or X.shape[1] != cardinalities.shape[0]:
            raise OptimizerError(
                f"surrogate fit: X {X.shape}, y {y.shape} and cardinalities "
                f"{cardinalities.shape} do not agree"
            )
        if X.shape[0] == 0:
            raise OptimizerError("surrogate fit: needs at least one observation, got none")
        if not np.all(np.isfinite(y)):
            raise OptimizerError("surrogate fit: y must be finite")
        self._dim = X.shape[1]
        self._fit(X, y, cardinalities)
        return self

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return predictive mean and variance (both shape (n,), variance > 0)."""
        X = self._check_X(X)
        mean, var = self._predict(X)
        return mean, np.maximum(var, 1e-12)

    def predict_grad(
        self, X: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Return mean, variance and their gradients with respect to X (shape (n, d))."""
        raise NotImplementedError(f"{type(self).__name__} has no gradients")

    def sample(self, X: np.ndarray, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        """Draw posterior samples at X, shape (n_samples, n); independent by default."""
        mean, var = self.predict(X)
        out: np.ndarray = mean + np.sqrt(var) * rng.standard_normal((n_samples, mean.shape[0]))
        return out

    def _check_X(self, X: np.ndarray) -> np.ndarray:
        if self._dim is None:
            raise OptimizerError(f"{type(self).__name__}: predict before fit")
        X = np.atleast_2d(np.asarray(X, dtype=float))
        if X.shape[1] != self._dim:
            raise OptimizerError(
                f"{type(self).__name__}: X has {X.shape[1]} columns, the model {self._dim}"
            )
        return X

    def to_config(self) -> dict[str, Any]:
        """Describe the surrogate (stored with the study)."""
        return {"name": type(self).__name__}

    def __repr__(self) -> str:
        return call_repr(type(self), {k: v for k, v in self.to_config().items() if k != "name"})

    @abstractmethod
    def _fit(self, X: np.ndarray, y: np.ndarray, cardinalities: np.ndarray) -> None:
        """Fit to validated arrays."""

    @abstractmethod
    def _predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Predict mean and variance for validated X."""
