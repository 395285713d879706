"""Random search: uniform, or mixed with draws from the user's priors."""

from __future__ import annotations

import numpy as np

from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers._base import History, Optimizer, Proposal


class RandomOptimizer(Optimizer):
    """Draw every configuration at random.

    Args:
        prior_fraction: when the space has priors, the share of configurations drawn from
            the prior instead of uniformly (0 = ignore priors, 1 = only the prior).
        seed: overrides the study's seed.

    The draw for trial number ``n`` depends only on the seed and ``n``, so a resumed study
    proposes exactly what an uninterrupted one would have.

    """

    name = "random"

    def __init__(self, *, prior_fraction: float = 0.5, seed: int | None = None) -> None:
        if not 0.0 <= prior_fraction <= 1.0:
            raise OptimizerError(
                f"random: prior_fraction must lie in [0, 1], got {prior_fraction!r}"
            )
        self.prior_fraction = prior_fraction
        self.seed = seed

    def _ask(self, history: History) -> Proposal:
        seed = history.seed if self.seed is None else self.seed
        rng = np.random.default_rng((seed, history.number))
        from_prior = history.space.has_prior and rng.random() < self.prior_fraction
        return Proposal(history.space.sample(1, rng, from_prior=from_prior)[0])
