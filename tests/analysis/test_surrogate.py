"""The explanation forest: the BO forest's partitions, boxes in the unit cube, its fit."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np

import hyperpilot as hp
from hyperpilot.analysis._data import analysis_data
from hyperpilot.analysis._surrogate import (
    ExplanationForest,
    ForestSettings,
    cross_validate,
    surrogate_fit,
)
from hyperpilot.optimizers.bo._rf import RandomForest


def box_values(part: object, X: np.ndarray) -> np.ndarray:
    """The value of the box holding each row (exactly one box must hold it)."""
    lower, upper, value = part.lower, part.upper, part.value  # type: ignore[attr-defined]
    inside = np.all((X[:, None, :] > lower[None]) & (X[:, None, :] <= upper[None]), axis=2)
    assert np.all(inside.sum(axis=1) == 1)
    out: np.ndarray = value[np.argmax(inside, axis=1)]
    return out


def test_the_forest_partitions_reproduce_its_predictions() -> None:
    rng = np.random.default_rng(0)
    X = rng.random((200, 3))
    X[rng.random(200) < 0.3, 2] = np.nan  # inactive entries: the forest sees -1
    y = X[:, 0] + np.nan_to_num(X[:, 2]) + rng.normal(0, 0.1, 200)
    forest = RandomForest(n_trees=5, seed=0).fit(X, y, np.zeros(3, dtype=int))
    test = rng.random((300, 3))
    test[:50, 2] = -1.0
    parts = forest.partitions()
    assert len(parts) == 5
    mean = np.mean([box_values(p, test) for p in parts], axis=0)
    expected, _ = forest.predict(np.where(test == -1.0, np.nan, test))
    assert np.allclose(mean, expected)
    for part, tree in zip(parts, forest.estimators, strict=True):
        leaves = tree.tree_.apply(np.ascontiguousarray(test, dtype=np.float32))
        assert set(leaves) <= set(part.node.tolist())


def test_an_unfitted_forest_has_no_partitions() -> None:
    assert RandomForest().partitions() == []


def test_boxes_tile_the_unit_cube_with_edges_between_values() -> None:
    space = hp.Space({"x": hp.Float(0, 1), "c": hp.Categorical(list("abcde")),
                      "n": hp.Int(0, 6), "m": hp.Int(1, 200, log=True),
                      "o": hp.Ordinal(["s", "m", "l"]), "k": hp.Constant(1)})
    rng = np.random.default_rng(1)
    configs = space.sample(400, rng)
    X = space.encode(configs)
    y = X @ np.array([1.0, 2.0, 1.0, 1.5, 0.5, 0.0]) + rng.normal(0, 0.05, 400)
    forest = ExplanationForest(space).fit(X, y)
    for part in forest.boxes():
        assert np.isclose(np.prod(part.upper - part.lower, axis=1).sum(), 1.0)
        assert np.all((part.lower >= 0) & (part.upper <= 1))
        for j, k in ((1, 5), (2, 7), (4, 3)):
            edges = np.concatenate((part.lower[:, j], part.upper[:, j])) * k
            assert np.allclose(edges, np.round(edges)), j
        # m (log scale) decodes to v from log(v - 0.5) to log(v + 0.5); its range starts at
        # log(0.5) and ends at log(200.5)
        span = math.log(200.5) - math.log(0.5)
        allowed = np.array([0.0, 1.0, *((math.log(v + 0.5) - math.log(0.5)) / span
                                        for v in range(1, 200))])
        edges = np.concatenate((part.lower[:, 3], part.upper[:, 3]))
        assert np.abs(edges[:, None] - allowed[None, :]).min(axis=1).max() < 1e-9
        assert np.all(part.lower[:, 5] == 0.0) and np.all(part.upper[:, 5] == 1.0)


def test_inactive_values_are_imputed_not_minus_one(built: Callable[[str], hp.Study]) -> None:
    data = analysis_data(built("conditional"))
    forest = ExplanationForest(data.space).fit(data.X, data.y)
    filled = forest.impute(data.X, np.random.default_rng(0))
    assert not np.isnan(filled).any()
    assert np.all((filled >= 0) & (filled <= 1))
    assert np.array_equal(forest.impute(data.X), forest.impute(data.X))
    assert np.allclose(forest.predict_trees(data.X[:20]).mean(axis=0), forest.predict(data.X[:20]))


def test_the_fit_is_cross_validated() -> None:
    space = hp.Space({"x": hp.Float(0, 1), "y": hp.Float(0, 1)})
    rng = np.random.default_rng(2)
    study = hp.create_study(space=space, storage="memory", optimizer="random", seed=2)
    study.optimize(lambda c: math.sin(6 * c["x"]) + c["y"], n_trials=300, show_progress=False)
    data = analysis_data(study)
    r2, rho = cross_validate(data, ForestSettings())
    assert r2 > 0.9 and rho > 0.9
    noise = replace(data, y=rng.normal(size=data.n))
    r2, rho = cross_validate(noise, ForestSettings())
    assert r2 < 0.1 and abs(rho) < 0.3
    same = replace(data, y=np.ones(data.n))
    assert all(math.isnan(v) for v in cross_validate(same, ForestSettings()))


def test_fits_are_seeded_and_reused(built: Callable[[str], hp.Study]) -> None:
    data = analysis_data(built("constant"))
    first = surrogate_fit(data, ForestSettings(seed=7))
    assert surrogate_fit(data, ForestSettings(seed=7)) is first
    other = surrogate_fit(data, ForestSettings(seed=8))
    assert other is not first
    again = ExplanationForest(data.space, ForestSettings(seed=7)).fit(data.X, data.y)
    assert np.array_equal(again.predict(data.X), first.forest.predict(data.X))
    assert (first.cv_r2, first.spearman) == cross_validate(data, ForestSettings(seed=7))
