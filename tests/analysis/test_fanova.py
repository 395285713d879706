"""fANOVA: exact on a tree, known answers from 2,000 trials, every kind of study."""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import combinations, product
from typing import Any

import numpy as np
import pandas as pd
import pytest

import hyperpilot as hp
from hyperpilot.analysis import AnalysisError, TooFewTrialsError, fanova, plot_fanova
from hyperpilot.analysis._fanova import PAIR, tree_variances
from hyperpilot.optimizers.bo._rf import RandomForest, TreePartition


def importances(table: pd.DataFrame) -> dict[tuple[str, ...], float]:
    return {tuple(h): float(v) for h, v in zip(table["hyperparameters"], table["importance"],
                                               strict=True)}


def brute_force(part: TreePartition, pairs: list[tuple[int, int]]
                ) -> tuple[float, np.ndarray, np.ndarray]:
    """The tree's variance decomposition from its values on the grid of all its cuts."""
    d = part.lower.shape[1]
    cuts = [np.unique(np.concatenate(([0.0, 1.0], part.lower[:, j], part.upper[:, j])))
            for j in range(d)]
    mids = [(c[1:] + c[:-1]) / 2 for c in cuts]
    widths = [np.diff(c) for c in cuts]
    points = np.array(list(product(*mids)))
    inside = np.all((points[:, None, :] > part.lower[None]) & (points[:, None, :] <= part.upper[None]),
                    axis=2)
    grid = part.value[np.argmax(inside, axis=1)].reshape([m.size for m in mids])
    weight = widths[0]
    for w in widths[1:]:
        weight = np.multiply.outer(weight, w)
    f0 = float((grid * weight).sum())
    total = float((weight * (grid - f0) ** 2).sum())

    def variance(keep: tuple[int, ...]) -> float:
        others = tuple(j for j in range(d) if j not in keep)
        marginal = (grid * weight).sum(axis=others) / weight.sum(axis=others)
        w = weight.sum(axis=others)
        return float((w * (marginal - f0) ** 2).sum())

    main = np.array([variance((j,)) for j in range(d)])
    pair = np.array([variance((i, j)) - main[i] - main[j] for i, j in pairs])
    return total, main, pair


def test_exact_on_a_hand_made_tree() -> None:
    # x0 < 0.3: (x1 < 0.6: 1, else 2); x0 >= 0.3: (x1 < 0.2: 3; else x0 < 0.7: 4, else 5)
    lower = np.array([[0.0, 0.0], [0.0, 0.6], [0.3, 0.0], [0.3, 0.2], [0.7, 0.2]])
    upper = np.array([[0.3, 0.6], [0.3, 1.0], [1.0, 0.2], [0.7, 1.0], [1.0, 1.0]])
    part = TreePartition(lower, upper, np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.arange(5))
    total, main, pair = tree_variances(part, [(0, 1)])
    exact = brute_force(part, [(0, 1)])
    assert math.isclose(total, exact[0])
    assert np.allclose(main, exact[1]) and np.allclose(pair, exact[2])
    assert math.isclose(total, main.sum() + pair.sum())  # two columns: nothing else


def test_exact_on_fitted_trees() -> None:
    rng = np.random.default_rng(0)
    X = rng.random((300, 3))
    y = np.sin(4 * X[:, 0]) * X[:, 1] + X[:, 2] ** 2
    forest = RandomForest(n_trees=3, max_depth=4, seed=0).fit(X, y, np.zeros(3, dtype=int))
    pairs = list(combinations(range(3), 2))
    for raw in forest.partitions():
        part = TreePartition(np.clip(raw.lower, 0, 1), np.clip(raw.upper, 0, 1), raw.value,
                             raw.node)
        total, main, pair = tree_variances(part, pairs)
        exact = brute_force(part, pairs)
        assert math.isclose(total, exact[0], rel_tol=1e-9)
        assert np.allclose(main, exact[1], atol=1e-12)
        assert np.allclose(pair, np.maximum(exact[2], 0.0), atol=1e-12)


# an additive function (a float, a float, a 4-way categorical whose effect is not monotone
# in its order) plus one interaction (x3 x4), padded with four inert hyperparameters
ADDITIVE = hp.Space({
    "x1": hp.Float(0, 1), "x2": hp.Float(0, 1), "x3": hp.Float(0, 1), "x4": hp.Float(0, 1),
    "c": hp.Categorical(["a", "b", "c", "d"]), "n1": hp.Float(0, 1),
    "n2": hp.Int(1, 100, log=True), "n3": hp.Ordinal([1, 2, 3]),
    "n4": hp.Categorical(list("vwxyz")),
})
EFFECT = {"a": 0.0, "b": 1.0, "c": 2.0, "d": 0.0}


def additive(config: dict[str, Any]) -> float:
    return (3 * config["x1"] + 2 * config["x2"] + EFFECT[config["c"]]
            + 6 * config["x3"] * config["x4"])


def additive_truth() -> dict[tuple[str, ...], float]:
    # 6 x3 x4: main effects 3 x3 and 3 x4 (variance 36/48 each), interaction 36/144
    parts = {("x1",): 9 / 12, ("x2",): 4 / 12, ("c",): float(np.var([0, 1, 2, 0])),
             ("x3",): 36 / 48, ("x4",): 36 / 48, ("x3", "x4"): 36 / 144}
    total = sum(parts.values())
    return {k: v / total for k, v in parts.items()}


@pytest.fixture(scope="module")
def additive_study() -> hp.Study:
    study = hp.create_study(space=ADDITIVE, storage="memory", optimizer="random", seed=0)
    study.optimize(additive, n_trials=2000, show_progress=False)
    return study


def test_known_shares_of_an_additive_function(additive_study: hp.Study) -> None:
    table = fanova(additive_study, n_bootstrap=0)
    got = importances(table)
    for key, share in additive_truth().items():
        assert abs(got[key] - share) < 0.05, (key, got[key], share)
    for name in ("n1", "n2", "n3", "n4"):
        assert got[(name,)] < 0.01, name
    pairs = table[table["kind"] == "pair"]
    assert pairs.iloc[0]["hyperparameters"] == ("x3", "x4")
    assert pairs["importance"].iloc[1] < 0.02
    assert table["cv_r2"].iloc[0] > 0.9 and table["warning"].iloc[0] == ""


def test_known_indices_of_sobols_g_function() -> None:
    a = np.array([0.0, 1.0, 4.5, 9.0, 99.0, 99.0])
    space = hp.Space({f"x{i}": hp.Float(0, 1) for i in range(6)})
    study = hp.create_study(space=space, storage="memory", optimizer="random", seed=1)
    study.optimize(lambda c: float(np.prod((np.abs(4 * np.array(
        [c[f"x{i}"] for i in range(6)]) - 2) + a) / (1 + a))), n_trials=2000,
        show_progress=False)
    partial = 1 / (3 * (1 + a) ** 2)
    total = np.prod(1 + partial) - 1
    got = importances(fanova(study, n_bootstrap=0))
    for i in range(6):
        assert abs(got[(f"x{i}",)] - partial[i] / total) < 0.05, i
    assert abs(got[("x0", "x1")] - partial[0] * partial[1] / total) < 0.05


def test_choices_order_does_not_matter(additive_study: hp.Study) -> None:
    space = hp.Space({**ADDITIVE.hyperparameters, "c": hp.Categorical(["d", "b", "a", "c"])})
    study = hp.create_study(space=space, storage="memory", optimizer="random", seed=0)
    for trial in additive_study.get_trials():
        study.enqueue(trial.config)
    study.optimize(additive, n_trials=len(additive_study.get_trials()), show_progress=False)
    first = importances(fanova(additive_study, n_bootstrap=0, pairs=False))
    second = importances(fanova(study, n_bootstrap=0, pairs=False))
    assert abs(first[("c",)] - second[("c",)]) < 0.02


def test_a_constant_has_importance_zero_never_nan(built: Callable[[str], hp.Study]) -> None:
    table = fanova(built("constant"), n_bootstrap=2)
    assert not table["importance"].isna().any()
    rows = table[table["hyperparameters"].map(lambda h: "c" in h)]
    assert len(rows) == 3 and (rows["importance"] == 0.0).all() and (rows["std"] == 0.0).all()
    assert (rows["low"] == 0.0).all() and (rows["high"] == 0.0).all()


def test_one_result_per_budget_with_enough_trials(built: Callable[[str], hp.Study]) -> None:
    table = fanova(built("budgets"), n_bootstrap=0, pairs=False)
    assert sorted(table["budget"].unique()) == [1.0, 3.0, 9.0]
    top = table.groupby("budget").first()["hyperparameter"]
    assert top[1.0] == "y" and top[9.0] == "x"
    assert set(table["n_trials"]) == {30}
    only = fanova(built("budgets"), budget=9.0, n_bootstrap=0)
    assert set(only["budget"]) == {9.0}


def test_a_study_without_budgets_has_nan_budget(built: Callable[[str], hp.Study]) -> None:
    assert fanova(built("constant"), n_bootstrap=0)["budget"].isna().all()


def test_restricting_the_hyperparameters_reported(additive_study: hp.Study) -> None:
    table = fanova(additive_study, hyperparameters=["x3", "x4", "c"], n_bootstrap=0)
    pair = f" {PAIR} "
    assert set(table["hyperparameter"]) == {"x3", "x4", "c", f"x3{pair}x4", f"x3{pair}c",
                                            f"x4{pair}c"}
    with pytest.raises(AnalysisError) as error:
        fanova(additive_study, hyperparameters=["x3", "learning_rate"])
    assert str(error.value) == (
        "fanova: unknown hyperparameter 'learning_rate'; the space has ['x1', 'x2', 'x3', "
        "'x4', 'c', 'n1', 'n2', 'n3', 'n4']")


def test_too_few_trials_is_one_line() -> None:
    study = hp.create_study(space={"x": hp.Float(0, 1)}, storage="memory", optimizer="random")
    study.optimize(lambda c: c["x"], n_trials=4, show_progress=False)
    with pytest.raises(TooFewTrialsError) as error:
        fanova(study)
    assert str(error.value) == ("fanova needs at least 10 complete trials, got 4 "
                                "(the study has 4 trials)")


def test_deterministic_for_a_seed(built: Callable[[str], hp.Study]) -> None:
    study = built("conditional")
    first = fanova(study, n_bootstrap=3, seed=5)
    again = fanova(study, n_bootstrap=3, seed=5)
    pd.testing.assert_frame_equal(first, again)
    assert first.attrs["cache_key"] == again.attrs["cache_key"]
    other = fanova(study, n_bootstrap=3, seed=6)
    assert other.attrs["cache_key"] != first.attrs["cache_key"]
    assert (first["low"] <= first["high"]).all()


def test_runs_on_every_kind_of_study(kind: tuple[hp.Study, dict[str, Any]]) -> None:
    study, arguments = kind
    table = fanova(study, n_bootstrap=2, **arguments)
    assert not table["importance"].isna().any()
    assert (table["importance"] >= 0).all() and (table["importance"] <= 1).all()
    for _, part in table.groupby("budget", dropna=False):
        assert part["importance"].sum() <= 1.0 + 1e-9
    names = set(study.space.names)
    assert set(table[table["kind"] == "main"]["hyperparameter"]) == names
    figure = plot_fanova(table, kind="all")
    assert len(figure.data) == table["budget"].nunique(dropna=False)
    assert plot_fanova(study, n_bootstrap=0, **arguments).data
