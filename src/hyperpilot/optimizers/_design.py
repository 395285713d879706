"""Space-filling designs in the unit hypercube, decoded into configurations.

:class:`UnitDesign` turns blocks of unit-hypercube points into configurations: each
coordinate optionally goes through the inverse CDF of the hyperparameter's prior (the
points then follow the priors while keeping their even spread), hyperparameters whose
conditions fail are dropped, and points in forbidden combinations are skipped. Trial number
``n`` gets the ``n``-th accepted point, so a resumed study continues the same sequence.
Subclasses say how the blocks are drawn (:class:`~hyperpilot.optimizers.SobolOptimizer`,
:class:`~hyperpilot.optimizers.LatinHypercubeOptimizer`).
"""

from __future__ import annotations

from abc import abstractmethod

import numpy as np

from hyperpilot.exceptions import SpaceError
from hyperpilot.optimizers._base import History, Optimizer, Proposal
from hyperpilot.space._space import Config, Space

_MAX_SKIPS = 10_000


class UnitDesign(Optimizer):
    """Configurations from blocks of unit-hypercube points (see the module docstring).

    Args:
        from_prior: map each coordinate through the inverse CDF of the hyperparameter's
            prior.
        seed: overrides the study's seed.

    """

    def __init__(self, *, from_prior: bool = False, seed: int | None = None) -> None:
        self.from_prior = from_prior
        self.seed = seed
        self._key: tuple[int, int] | None = None
        self._blocks = 0
        self._accepted: list[Config] = []

    @abstractmethod
    def _start(self, dim: int, seed: int) -> None:
        """Prepare a new sequence for *dim* columns under *seed*."""

    @abstractmethod
    def _block(self, index: int) -> np.ndarray:
        """Block number *index* of unit points, shape (n, dim)."""

    def _ask(self, history: History) -> Proposal:
        seed = history.seed if self.seed is None else self.seed
        space = history.space
        if self._key != (seed, id(space)):
            self._key = (seed, id(space))
            self._start(max(len(space), 1), seed)
            self._blocks = 0
            self._accepted = []
        while len(self._accepted) <= history.number:
            self._accepted.extend(self._decoded_block(space))
        return Proposal(self._accepted[history.number])

    def _decoded_block(self, space: Space) -> list[Config]:
        skips = 0
        batch: list[Config] = []
        while not batch:
            points = self._block(self._blocks)
            self._blocks += 1
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
                raise SpaceError(
                    f"{self.name}: forbidden combinations rejected {skips} points in a row"
                )
        return batch
