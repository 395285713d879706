"""PED-ANOVA: the closed form, the known order, local regions, every kind of study."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import hyperpilot as hp
from hyperpilot.analysis import AnalysisError, ped_anova, plot_ped_anova
from hyperpilot.analysis._ped_anova import local_variances, pearson_divergence


def test_pearson_divergence() -> None:
    assert pearson_divergence(np.array([0.5, 0.5]), np.array([0.5, 0.5])) == 0.0
    assert math.isclose(pearson_divergence(np.array([1.0, 0.0]), np.array([0.5, 0.5])), 1.0)
    p, q = np.array([0.2, 0.3, 0.5]), np.array([0.4, 0.4, 0.2])
    assert math.isclose(pearson_divergence(p, q), float(np.sum(q * (p / q - 1) ** 2)))


def test_the_local_variance_is_the_variance_of_the_indicators_marginal() -> None:
    # 100 trials, half "a"; the best 10 are all "a": P(top | a) = 0.2, P(top | b) = 0,
    # mean 0.1, so the marginal's variance is 0.5 * 0.1**2 + 0.5 * 0.1**2 = 0.01
    param = hp.Categorical(["a", "b"])
    X = np.array([[0.25]] * 50 + [[0.75]] * 50)
    y = np.concatenate((np.arange(50.0), np.arange(50.0) + 100))
    variances, n_top = local_variances(X, y, [param], 0.1, 1.0)
    assert n_top == 10 and math.isclose(variances[0], 0.01)
    local, _ = local_variances(X, y, [param], 0.1, 0.5)  # within the best half: all "a"
    assert local[0] == 0.0


ORDER = hp.Space({"x1": hp.Float(0, 1), "x2": hp.Float(0, 1), "x3": hp.Float(0, 1),
                  "c": hp.Categorical(["a", "b", "c"]), "n1": hp.Float(0, 1),
                  "n2": hp.Int(1, 20), "n3": hp.Categorical(["u", "v", "w", "z"])})


def ordered(config: dict[str, Any]) -> float:
    return (4 * config["x1"] + 2 * config["x2"] + 1 * config["x3"]
            + {"a": 0.0, "b": 0.5, "c": 0.5}[config["c"]])


@pytest.fixture(scope="module")
def order_study() -> hp.Study:
    study = hp.create_study(space=ORDER, storage="memory", optimizer="random", seed=0)
    study.optimize(ordered, n_trials=1000, show_progress=False)
    return study


def test_ranks_the_known_order(order_study: hp.Study) -> None:
    table = ped_anova(order_study, n_bootstrap=5)
    assert table["hyperparameter"].tolist()[:4] == ["x1", "x2", "x3", "c"]
    inert = table.set_index("hyperparameter").loc[["n1", "n2", "n3"], "importance"]
    assert (inert < 0.05).all()
    assert math.isclose(table["importance"].sum(), 1.0)
    assert (table["n_top"] == 100).all()
    assert table["std"].notna().all() and (table["low"] <= table["high"]).all()


def test_local_to_the_top_region(order_study: hp.Study) -> None:
    local = ped_anova(order_study, region_quantile=0.3, n_bootstrap=0)
    assert local.attrs["region_quantile"] == 0.3
    assert local["hyperparameter"].iloc[0] == "x1"
    assert local["std"].isna().all()
    figure = plot_ped_anova(local)
    assert "top 30%" in figure.layout.title.text


@pytest.mark.parametrize(("target", "region"), [(0.5, 0.5), (0.0, 1.0), (0.1, 1.5)])
def test_quantiles_out_of_order_are_refused(order_study: hp.Study, target: float,
                                            region: float) -> None:
    with pytest.raises(AnalysisError, match=r"^ped_anova: expected 0 < target_quantile < "
                                            r"region_quantile <= 1, got "):
        ped_anova(order_study, target_quantile=target, region_quantile=region)


def test_a_constant_has_importance_zero(built: Callable[[str], hp.Study]) -> None:
    table = ped_anova(built("constant"), n_bootstrap=2).set_index("hyperparameter")
    assert table.loc["c", "importance"] == 0.0 and table.loc["c", "variance"] == 0.0


def test_an_inactive_child_counts_as_a_value_of_its_own(built: Callable[[str], hp.Study]) -> None:
    table = ped_anova(built("conditional"), n_bootstrap=0).set_index("hyperparameter")
    # the best trials are trees: "alpha" is inactive in all of them, which is informative
    assert table.loc["model", "importance"] > 0.1
    assert table.loc["alpha", "importance"] > 0.05


def test_deterministic_for_a_seed(order_study: hp.Study) -> None:
    first = ped_anova(order_study, n_bootstrap=3, seed=1)
    assert first.equals(ped_anova(order_study, n_bootstrap=3, seed=1))


def test_runs_on_every_kind_of_study(kind: tuple[hp.Study, dict[str, Any]]) -> None:
    study, arguments = kind
    table = ped_anova(study, n_bootstrap=2, **arguments)
    assert not table["importance"].isna().any()
    for _, part in table.groupby("budget", dropna=False):
        assert math.isclose(part["importance"].sum(), 1.0) or part["importance"].sum() == 0.0
    assert set(table["hyperparameter"]) == set(study.space.names)
    assert plot_ped_anova(table).data
    assert plot_ped_anova(study, n_bootstrap=0, **arguments).data
