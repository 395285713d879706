"""The trust layer: fit beside every importance, warnings, intervals, agreement."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import hyperpilot as hp
from hyperpilot.analysis import (
    CAUTION_R2,
    TRUST_R2,
    ablation,
    compare_rankings,
    fanova,
    lpi,
    ped_anova,
    plot_fanova,
)
from hyperpilot.analysis._trust import trust_warning


@pytest.fixture(scope="module")
def noise() -> hp.Study:
    rng = np.random.default_rng(0)
    space = hp.Space({"x": hp.Float(0, 1), "y": hp.Float(0, 1), "n": hp.Int(1, 9),
                      "c": hp.Categorical(["a", "b", "c"])})
    study = hp.create_study(space=space, storage="memory", optimizer="random", seed=0)
    study.optimize(lambda c: float(rng.normal()), n_trials=200, show_progress=False)
    return study


def test_the_thresholds_read_as_documented() -> None:
    assert TRUST_R2 < CAUTION_R2
    assert trust_warning(0.9, 100) == ""
    assert "read these importances as rough" in trust_warning(0.45, 100)
    assert trust_warning(0.03, 100) == (
        "the surrogate explains only 3% of the variance (cross-validated R² 0.03 over 100 "
        "trials); these importances are not to be trusted")
    assert trust_warning(-0.2, 50).startswith("the surrogate explains none of the variance")
    assert "nothing to explain" in trust_warning(math.nan, 12)


@pytest.mark.parametrize("analysis", [fanova, ped_anova, lpi, ablation])
def test_a_pure_noise_objective_is_flagged(noise: hp.Study, analysis: object) -> None:
    table = analysis(noise, n_bootstrap=0)  # type: ignore[operator]
    assert (table["cv_r2"] < TRUST_R2).all()
    assert table["warning"].str.contains("not to be trusted").all()
    assert table.attrs["warnings"] == [table["warning"].iloc[0]]


def test_a_figure_shows_the_warning(noise: hp.Study) -> None:
    figure = plot_fanova(fanova(noise, n_bootstrap=0))
    assert "not to be trusted" in figure.layout.annotations[0].text


def test_compare_rankings() -> None:
    first = pd.DataFrame({"hyperparameter": ["a", "b", "c", "d"],
                          "importance": [0.5, 0.3, 0.15, 0.05]})
    same = first.assign(importance=[0.6, 0.2, 0.1, 0.1])
    reversed_ = first.assign(importance=[0.05, 0.15, 0.3, 0.5])
    flat = first.assign(importance=0.25)
    table = compare_rankings({"one": first, "same": same, "reversed": reversed_, "flat": flat},
                             k=2)
    rows = table.set_index(["first", "second"])
    assert rows.loc[("one", "same"), "top_k_overlap"] == 1.0
    assert rows.loc[("one", "reversed"), "kendall_tau"] == pytest.approx(-1.0)
    assert rows.loc[("one", "reversed"), "top_k_overlap"] == 0.0
    assert math.isnan(rows.loc[("one", "flat"), "kendall_tau"])
    assert len(table) == 6
