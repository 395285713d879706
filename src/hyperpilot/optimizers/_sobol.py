"""Quasi-random search with a scrambled Sobol sequence."""

from __future__ import annotations

from typing import Any

import numpy as np

from hyperpilot.optimizers._base import History, Optimizer, Proposal
from hyperpilot.space._space import Config, Space

_MAX_SKIPS = 10_000


class SobolOptimizer(Optimizer):
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
        self.from_prior = from_prior
        self.seed = seed
        self._key: tuple[int, int] | None = None
        self._engine: Any = None
        self._accepted: list[Config] = []

    def _ask(self, history: History) -> Proposal:
        seed = history.seed if self.seed is None else self.seed
        space = history.space
        if self._engine is None or self._key != (seed, id(space)):
            from scipy.stats import qmc  # imported on first use: it costs half a second

            self._key = (seed, id(space))
            self._engine = qmc.Sobol(d=max(len(space), 1), scramble=True, seed=seed)
            self._accepted = []
        while len(self._accepted) <= history.number:
            self._accepted.extend(self._next_batch(space))
        return Proposal(self._accepted[history.number])

    def _next_batch(self, space: Space) -> list[Config]:
        assert self._engine is not None
        skips = 0
        batch: list[Config] = []
        while not batch:
            points = self._engine.random(64)
            if self.from_prior:
                points = np.column_stack(
                    [space[name].prior_ppf(points[:, j]) for j, name in enumerate(space.names)]
                )
            for row in points:
                config = space.decode(row)
                if space.forbidden and space.is_forbidden(config):
                    skips += 1
                    continue
                batch.append(config)
            if skips > _MAX_SKIPS:
                from hyperpilot.exceptions import SpaceError

                raise SpaceError(
                    f"sobol: forbidden combinations rejected {skips} points in a row"
                )
        return batch
