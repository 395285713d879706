from __future__ import annotations

import time

import numpy as np
import pytest

from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers.bo._rf import RandomForest


def f2(X: np.ndarray) -> np.ndarray:
    return np.sin(6 * X[:, 0]) + (X[:, 1] - 0.5) ** 2 * 3


def test_fits_a_known_function() -> None:
    rng = np.random.default_rng(0)
    X = rng.random((300, 2))
    rf = RandomForest(seed=0).fit(X, f2(X), np.zeros(2, dtype=int))
    Xt = rng.random((2000, 2))
    mean, var = rf.predict(Xt)
    rmse = np.sqrt(np.mean((mean - f2(Xt)) ** 2))
    assert rmse < 0.2 * np.std(f2(Xt))
    assert mean.shape == var.shape == (2000,)
    assert np.all(var > 0)


def test_variance_is_larger_between_clusters_than_at_data() -> None:
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(0.0, 0.35, 30), rng.uniform(0.65, 1.0, 30)])
    y = np.sin(8 * x)
    for splitter in ("random", "best"):
        rf = RandomForest(seed=0, splitter=splitter).fit(x[:, None], y, np.zeros(1, dtype=int))
        _, at_data = rf.predict(x[:, None])
        _, in_gap = rf.predict(np.linspace(0.45, 0.55, 11)[:, None])
        assert in_gap.mean() > 1.5 * at_data.mean(), splitter


def test_total_variance_on_a_hand_example() -> None:
    # one tree, no bootstrap, min_samples_leaf=3: the only split is between 0.3 and 0.7
    X = np.array([[0.1], [0.2], [0.3], [0.7], [0.8], [0.9]])
    y = np.array([1.0, 2.0, 3.0, 10.0, 11.0, 13.0])
    rf = RandomForest(n_trees=1, bootstrap=False, min_samples_leaf=3, max_features=1.0,
                      splitter="best", seed=0)
    rf.fit(X, y, np.zeros(1, dtype=int))
    mean, var = rf.predict(np.array([[0.0], [0.25], [0.95]]))
    right = y[3:]
    assert np.allclose(mean, [2.0, 2.0, right.mean()])
    assert np.allclose(var, [2.0 / 3.0, 2.0 / 3.0, right.var()])


def test_total_variance_matches_a_direct_computation() -> None:
    rng = np.random.default_rng(2)
    X = rng.random((40, 3))
    y = f2(X) + X[:, 2]
    rf = RandomForest(n_trees=5, bootstrap=False, min_samples_leaf=2, splitter="random", seed=3)
    rf.fit(X, y, np.zeros(3, dtype=int))
    Xt = rng.random((25, 3))
    means, variances = [], []
    for tree in rf.estimators:
        train_leaf = tree.apply(X.astype(np.float32))
        test_leaf = tree.apply(Xt.astype(np.float32))
        means.append([y[train_leaf == leaf].mean() for leaf in test_leaf])
        variances.append([y[train_leaf == leaf].var() for leaf in test_leaf])
    m, v = np.array(means), np.array(variances)
    mean, var = rf.predict(Xt)
    assert np.allclose(mean, m.mean(axis=0))
    assert np.allclose(var, v.mean(axis=0) + m.var(axis=0))


def test_bootstrap_uses_weighted_leaf_statistics() -> None:
    # the leaf mean computed from bootstrap weights agrees with the tree's own value
    rng = np.random.default_rng(4)
    X = rng.random((60, 2))
    y = f2(X)
    rf = RandomForest(n_trees=3, seed=5).fit(X, y, np.zeros(2, dtype=int))
    Xt = rng.random((30, 2)).astype(np.float32)
    tree_means = np.mean([t.predict(Xt) for t in rf.estimators], axis=0) + y.mean()
    assert np.allclose(rf.predict(Xt)[0], tree_means)


def test_inactive_values_are_imputed_and_split_on() -> None:
    rng = np.random.default_rng(6)
    n = 200
    choice = np.where(rng.random(n) < 0.5, 0.25, 0.75)
    child = np.where(choice == 0.75, rng.random(n), np.nan)
    X = np.column_stack([choice, child])
    y = np.where(choice == 0.75, 5 * np.nan_to_num(child), -1.0)
    rf = RandomForest(seed=0).fit(X, y, np.array([2, 0]))
    inactive = np.array([[0.25, np.nan]])
    assert abs(rf.predict(inactive)[0][0] + 1.0) < 0.3
    assert np.allclose(rf.predict(inactive)[0], rf.predict(np.array([[0.25, -1.0]]))[0])
    active = np.array([[0.75, 0.1], [0.75, 0.9]])
    mean, _ = rf.predict(active)
    assert mean[1] - mean[0] > 2.0


def test_variance_floor_and_constant_targets() -> None:
    X = np.random.default_rng(7).random((20, 2))
    rf = RandomForest(seed=0, min_variance=1e-4).fit(X, np.full(20, 3.0), np.zeros(2, dtype=int))
    mean, var = rf.predict(X)
    assert np.allclose(mean, 3.0)
    assert np.allclose(var, 1e-4)
    y = np.arange(20.0)
    rf = RandomForest(seed=0, min_variance=0.5, min_samples_leaf=1, bootstrap=False, n_trees=1,
                      splitter="best").fit(X, y, np.zeros(2, dtype=int))
    assert np.allclose(rf.predict(X)[1], 0.5 * y.var())


def test_seeded_fits_are_reproducible() -> None:
    rng = np.random.default_rng(8)
    X, Xt = rng.random((80, 3)), rng.random((50, 3))
    y = f2(X)
    a = RandomForest(seed=1).fit(X, y, np.zeros(3, dtype=int)).predict(Xt)
    b = RandomForest(seed=1).fit(X, y, np.zeros(3, dtype=int)).predict(Xt)
    c = RandomForest(seed=2).fit(X, y, np.zeros(3, dtype=int)).predict(Xt)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_settings_are_stored_and_checked() -> None:
    rf = RandomForest(n_trees=12, min_samples_leaf=2, seed=4)
    assert rf.to_config()["n_trees"] == 12 and rf.to_config()["seed"] == 4
    assert rf.n_trees == 12 and rf.min_samples_leaf == 2
    X = np.zeros((3, 1))
    with pytest.raises(OptimizerError, match="n_trees must be a positive integer, got 0"):
        RandomForest(n_trees=0).fit(X, np.zeros(3), np.zeros(1, dtype=int))
    with pytest.raises(OptimizerError, match="max_features must lie in"):
        RandomForest(max_features=1.5).fit(X, np.zeros(3), np.zeros(1, dtype=int))
    with pytest.raises(OptimizerError, match="predict before fit"):
        RandomForest().predict(X)


def test_prediction_is_fast() -> None:
    rng = np.random.default_rng(9)
    X = rng.random((500, 10))
    rf = RandomForest(seed=0).fit(X, f2(X), np.zeros(10, dtype=int))
    candidates = rng.random((10_000, 10))
    rf.predict(candidates)
    start = time.perf_counter()
    rf.predict(candidates)
    assert time.perf_counter() - start < 0.5
