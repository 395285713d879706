"""Latin hypercube designs."""

from __future__ import annotations

import numpy as np

from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers._design import UnitDesign


class LatinHypercubeOptimizer(UnitDesign):
    """Latin hypercube designs of ``n_points`` points, one after another.

    Each block of ``n_points`` trials is a scrambled Latin hypercube: every hyperparameter's
    unit range is cut into ``n_points`` equal strata and each stratum holds exactly one
    point, so every one-dimensional projection is evenly covered. Later blocks are new,
    independent hypercubes. Conditions, forbidden combinations and ``from_prior`` work as
    for :class:`~hyperpilot.optimizers.SobolOptimizer` (a forbidden point is skipped, so a
    block with forbidden points hands out fewer than ``n_points``).

    Args:
        n_points: points per hypercube; take the planned number of trials, or the size of
            an initial design.
        from_prior: map each coordinate through the inverse CDF of the hyperparameter's
            prior.
        seed: overrides the study's seed.

    Raises:
        OptimizerError: when ``n_points`` is not a positive integer.

    """

    name = "lhs"

    def __init__(self, *, n_points: int = 10, from_prior: bool = False,
                 seed: int | None = None) -> None:
        if isinstance(n_points, bool) or not isinstance(n_points, int) or n_points < 1:
            raise OptimizerError(f"lhs: n_points must be a positive integer, got {n_points!r}")
        super().__init__(from_prior=from_prior, seed=seed)
        self.n_points = n_points
        self._dim = 1
        self._seed = 0

    def _start(self, dim: int, seed: int) -> None:
        self._dim, self._seed = dim, seed

    def _block(self, index: int) -> np.ndarray:
        from scipy.stats import qmc  # imported on first use: it costs half a second

        rng = np.random.default_rng((self._seed, index, 0x1A5))
        points: np.ndarray = qmc.LatinHypercube(d=self._dim, seed=rng).random(self.n_points)
        return points
