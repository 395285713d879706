from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import hyperpilot as hp
from hyperpilot.optimizers import History, LatinHypercubeOptimizer

SPACE = hp.Space({"x": hp.Float(0.0, 1.0), "y": hp.Float(0.0, 1.0), "z": hp.Float(0.0, 1.0)})


def strata(points: np.ndarray) -> np.ndarray:
    """Per column, the sorted stratum index of each point among len(points) strata."""
    return np.sort(np.floor(points * len(points)).astype(int), axis=0)


def test_every_block_holds_one_point_per_stratum(propose: Callable[..., np.ndarray]) -> None:
    points = propose(LatinHypercubeOptimizer(n_points=8), SPACE, 24)
    for block in np.split(points, 3):
        assert (strata(block) == np.arange(8)[:, None]).all()
    assert not np.allclose(points[:8], points[8:16])  # later blocks are new hypercubes


def test_the_sequence_depends_on_the_seed_only(propose: Callable[..., np.ndarray]) -> None:
    a = propose(LatinHypercubeOptimizer(n_points=5), SPACE, 10, seed=3)
    b = propose(LatinHypercubeOptimizer(n_points=5), SPACE, 10, seed=3)
    c = propose(LatinHypercubeOptimizer(n_points=5), SPACE, 10, seed=4)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_forbidden_points_are_skipped_and_priors_followed(propose: Callable[..., np.ndarray]) -> None:
    space = hp.Space({"a": hp.Categorical(["x", "y"]), "b": hp.Int(0, 3)},
                     forbidden=[{"a": "x", "b": [0, 1]}])
    configs = [LatinHypercubeOptimizer(n_points=6).ask(
        History(space=space, objectives=[hp.Objective()], number=i)).config for i in range(30)]
    assert all(not (c["a"] == "x" and c["b"] < 2) for c in configs)
    skewed = hp.Space({"x": hp.Float(0.0, 1.0, prior=0.8, confidence="high")})
    xs = propose(LatinHypercubeOptimizer(n_points=50, from_prior=True), skewed, 50)[:, 0]
    assert abs(np.median(xs) - 0.8) < 0.05


@pytest.mark.parametrize("n_points", [0, -3, 2.5, True])
def test_n_points_must_be_a_positive_integer(n_points: object) -> None:
    with pytest.raises(hp.OptimizerError, match="lhs: n_points must be a positive integer"):
        LatinHypercubeOptimizer(n_points=n_points)  # type: ignore[arg-type]
