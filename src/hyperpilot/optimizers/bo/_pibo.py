"""πBO and DynaBO: weighting the acquisition by the prior, and testing the prior each step.

* :func:`prior_weighted_score`: the acquisition times the prior density raised to ``β / n``
  (Hvarfner et al., ICLR 2022), computed in log space so that scores from different calls
  of the acquisition search compare.
* :func:`prior_holds`: DynaBO's test (Fehring et al., 2025): the model's lower confidence
  bound over draws from the prior against the same draws recentred on the incumbent; a prior
  whose region looks clearly worse is left out of that step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from hyperpilot.optimizers.bo._acquisition import Acquisition
    from hyperpilot.optimizers.bo._surrogate import Surrogate
    from hyperpilot.space._vectorized import VectorSpace

TEST_SAMPLES = 256
"""Draws from the prior scored by the prior test."""
TOLERANCE = -0.15
"""The prior holds while its mean score minus the incumbent region's exceeds this."""


def prior_weighted_score(acq: Acquisition, model: Surrogate, best: float,
                         log_prior: Callable[[np.ndarray], np.ndarray],
                         log_scale: bool) -> Callable[[np.ndarray], np.ndarray]:
    """Score rows by ``log acquisition + log_prior(rows)`` (higher is better).

    *log_prior* is the weighted log density of the priors in force: ``(β / n) log π`` for
    the priors of the space, plus one term per prior given while the study ran, each with
    its own weight. Scores from different calls (candidates, then local-search neighbours)
    are compared with each other, so the weighting must not depend on the batch: every
    acquisition is weighted in log space. A log-scale acquisition is used as it is; EI and
    PI are non-negative; LCB and Thompson samples can be negative and are shifted by one
    constant, fixed at the first batch scored (values below it are the worst seen anyway).
    """
    floor: list[float] = []

    def score(X: np.ndarray) -> np.ndarray:
        values = acq.evaluate(X, model, best)
        weighted_prior = log_prior(X)
        if log_scale:
            out: np.ndarray = values + weighted_prior
            return out
        if not floor:
            low = float(np.min(values)) if values.size else 0.0
            floor.append(0.0 if low >= 0.0 else low - 1e-9 * (1.0 + abs(low)))
        weighted: np.ndarray = np.log(np.maximum(values - floor[0], 1e-300)) + weighted_prior
        return weighted

    return score


def prior_holds(model: Surrogate, vspace: VectorSpace, incumbent: np.ndarray,
                rng: np.random.Generator) -> bool:
    """Whether the prior's region still looks as promising as the incumbent's.

    DynaBO's test: score :data:`TEST_SAMPLES` draws from the prior and the same draws
    recentred on the incumbent (:func:`recentred`) with the lower confidence bound; the
    prior is dropped when its mean score is clearly worse (by more than 0.15 standard
    deviations of the targets).
    """
    prior_score, incumbent_score = prior_test(model, vspace, incumbent, rng)
    return prior_score - incumbent_score > TOLERANCE


def prior_test(model: Surrogate, vspace: VectorSpace, incumbent: np.ndarray,
               rng: np.random.Generator) -> tuple[float, float]:
    """The two numbers of :func:`prior_holds`.

    They are the mean scores of the prior's draws and of the same draws around the
    incumbent (higher is better; standardized targets).
    """
    prior_rows = vspace.sample(TEST_SAMPLES, rng, from_prior=True)
    around = recentred(vspace, prior_rows, incumbent)
    beta = 2.0 * math.log(max(vspace.dim, 1) * 4.0)

    def lcb(rows: np.ndarray) -> float:
        mean, var = model.predict(rows)
        return float(np.mean(-(mean - math.sqrt(beta) * np.sqrt(var))))

    return lcb(prior_rows), lcb(around)


def recentred(vspace: VectorSpace, prior_rows: np.ndarray,
              incumbent: np.ndarray) -> np.ndarray:
    """Draws from the prior moved so that the prior's mode sits on the incumbent.

    Only columns with a prior move (the others keep their draws, so the comparison is
    about what the prior says): numeric and ordinal columns by the incumbent's offset from
    the mode, clipped to the box; a categorical column swaps the mode's choice with the
    incumbent's, which keeps the prior's shape around the incumbent's choice.
    """
    mode = vspace.from_configs([vspace.space.default_config()])[0]
    rows = np.nan_to_num(prior_rows, nan=0.5)
    moved = vspace.has_prior & ~np.isnan(incumbent) & ~np.isnan(mode)
    shifted = moved & ~vspace.is_categorical
    rows[:, shifted] = np.clip(rows[:, shifted] + (incumbent - mode)[shifted], 0.0, 1.0)
    for j in np.flatnonzero(moved & vspace.is_categorical):
        k = int(vspace.n_values[j])
        index = np.minimum((rows[:, j] * k).astype(int), k - 1)
        a, b = (min(int(v * k), k - 1) for v in (mode[j], incumbent[j]))
        rows[:, j] = (np.where(index == a, b, np.where(index == b, a, index)) + 0.5) / k
    return vspace.canonical(rows)


def prior_sampler(vspace: VectorSpace) -> Callable[[int, np.random.Generator], np.ndarray]:
    """Draws from the prior, as the acquisition search takes them."""
    def sample(n: int, rng: np.random.Generator) -> np.ndarray:
        return vspace.sample(n, rng, from_prior=True)

    return sample
