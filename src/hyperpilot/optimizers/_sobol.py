"""Quasi-random search with a scrambled Sobol sequence."""

from __future__ import annotations

from typing import Any

import numpy as np

from hyperpilot.optimizers._design import UnitDesign


class SobolOptimizer(UnitDesign):
    """Cover the space evenly with a scrambled Sobol sequence.

    Points are drawn in the unit hypercube and decoded: hyperparameters whose conditions
    fail are dropped, and points in forbidden combinations are skipped. Trial number ``n``
    gets the ``n``-th accepted point, so a resumed study continues the same sequence.

    Args:
        from_prior: map each coordinate through the inverse CDF of the hyperparameter's
            prior, so the points follow the priors while keeping their even spread.
        seed: overrides the study's seed (it scrambles the sequence).

    """

    name = "sobol"

    def __init__(self, *, from_prior: bool = False, seed: int | None = None) -> None:
        super().__init__(from_prior=from_prior, seed=seed)
        self._engine: Any = None

    def _start(self, dim: int, seed: int) -> None:
        from scipy.stats import qmc  # imported on first use: it costs half a second

        self._engine = qmc.Sobol(d=dim, scramble=True, seed=seed)

    def _block(self, index: int) -> np.ndarray:
        points: np.ndarray = self._engine.random(64)
        return points
