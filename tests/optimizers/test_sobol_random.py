from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.stats import qmc

import hyperpilot as hp
from hyperpilot.optimizers import History, RandomOptimizer, SobolOptimizer

SPACE = hp.Space({"x": hp.Float(0.0, 1.0), "y": hp.Float(0.0, 1.0), "z": hp.Float(0.0, 1.0)})


def test_sobol_covers_the_cube_more_evenly_than_random(propose: Callable[..., np.ndarray]) -> None:
    sobol = propose(SobolOptimizer(), SPACE, 128)
    rand = propose(RandomOptimizer(), SPACE, 128)
    assert qmc.discrepancy(sobol) < 0.5 * qmc.discrepancy(rand)


def test_sobol_skips_forbidden_and_drops_inactive() -> None:
    space = hp.Space(
        {"a": hp.Categorical(["x", "y"]), "b": hp.Int(0, 3), "c": hp.Float(0, 1, active_if={"a": "y"})},
        forbidden=[{"a": "x", "b": [0, 1]}],
    )
    configs = [SobolOptimizer().ask(History(space=space, objectives=[hp.Objective()], number=i)).config
               for i in range(64)]
    assert all(not (c["a"] == "x" and c["b"] < 2) for c in configs)
    assert all(("c" in c) == (c["a"] == "y") for c in configs)
    assert len({tuple(sorted(c.items())) for c in configs}) > 30


def test_sobol_from_prior_follows_the_prior(propose: Callable[..., np.ndarray]) -> None:
    space = hp.Space({"x": hp.Float(0.0, 1.0, prior=0.8, confidence="high")})
    xs = propose(SobolOptimizer(from_prior=True), space, 256)[:, 0]
    assert abs(np.median(xs) - 0.8) < 0.05


def test_random_mixes_prior_and_uniform_draws(propose: Callable[..., np.ndarray]) -> None:
    space = hp.Space({"x": hp.Float(0.0, 1.0, prior=0.9, confidence="high")})
    only_prior = propose(RandomOptimizer(prior_fraction=1.0), space, 400)[:, 0]
    uniform = propose(RandomOptimizer(prior_fraction=0.0), space, 400)[:, 0]
    assert np.mean(only_prior > 0.6) > 0.95
    assert abs(np.mean(uniform > 0.6) - 0.4) < 0.08
