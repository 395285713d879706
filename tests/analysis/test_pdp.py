"""Partial dependence and ICE curves, with their uncertainty and the sampling-bias notes."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import hyperpilot as hp
from hyperpilot.analysis import (
    AnalysisError,
    TooFewTrialsError,
    partial_dependence,
    plot_partial_dependence,
)

SPACE = hp.Space({"x": hp.Float(0.0, 1.0), "lr": hp.Float(1e-4, 1.0, log=True),
                  "n": hp.Int(1, 6), "c": hp.Categorical(["a", "b", "c"]),
                  "noise": hp.Float(0.0, 1.0)})


def objective(config: dict[str, Any]) -> float:
    return float(4 * config["x"] + (math.log10(config["lr"]) + 2) ** 2 / 4 + 0.1 * config["n"]
            + {"a": 0.0, "b": 1.0, "c": 0.5}[config["c"]])


@pytest.fixture(scope="module")
def study() -> hp.Study:
    study = hp.create_study(space=SPACE, storage="memory", optimizer="random", seed=0)
    study.optimize(objective, n_trials=150, show_progress=False)
    return study


def test_follows_a_known_effect_with_a_band(study: hp.Study) -> None:
    table = partial_dependence(study, "x", grid=11, ice=0)
    assert list(table["kind"].unique()) == ["pd"]
    assert table["value"].tolist() == pytest.approx(np.linspace(0.0, 1.0, 11))
    mean = table["mean"].to_numpy()
    assert mean[-1] - mean[0] == pytest.approx(4.0, abs=1.0)  # the slope of x is 4
    assert np.all(np.diff(mean) > -0.15)
    assert np.allclose(table["high"] - table["mean"], table["std"])
    assert np.allclose(table["mean"] - table["low"], table["std"])
    assert (table["std"] >= 0).all() and not table["mean"].isna().any()
    quantile = partial_dependence(study, "x", grid=11, ice=0, band="quantile")
    assert (quantile["low"] <= quantile["mean"] + 1e-12).all()
    assert (quantile["high"] >= quantile["mean"] - 1e-12).all()


def test_grid_values_are_decoded_in_their_own_units(study: hp.Study) -> None:
    lr = partial_dependence(study, "lr", grid=5, ice=0)
    assert lr["value"].tolist() == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1, 1.0])
    assert lr["unit"].tolist() == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])
    assert int(np.argmin(lr["mean"])) == 2  # the optimum of lr is 0.01
    n = partial_dependence(study, "n", grid=20, ice=0)
    assert n["value"].tolist() == [1, 2, 3, 4, 5, 6]
    assert all(isinstance(v, int) for v in n["value"])
    c = partial_dependence(study, "c", ice=0).set_index("value")["mean"]
    assert list(c.index) == ["a", "b", "c"]
    assert c["a"] < c["c"] < c["b"]


def test_ice_lines_average_to_the_curve(study: hp.Study) -> None:
    table = partial_dependence(study, "x", grid=6, ice=40, n_background=40)
    ice = table[table["kind"] == "ice"]
    assert sorted(ice["line"].unique()) == list(range(40))
    assert ice["trial"].isna().all()  # uniform background rows are no trials
    average = ice.groupby("unit")["mean"].mean().to_numpy()
    assert average == pytest.approx(table[table["kind"] == "pd"]["mean"].to_numpy())
    few = partial_dependence(study, "x", grid=6, ice=7)
    assert few[few["kind"] == "ice"]["line"].nunique() == 7


def test_a_trials_background_names_the_trials(study: hp.Study) -> None:
    table = partial_dependence(study, "x", grid=4, ice=5, background="trials")
    ice = table[table["kind"] == "ice"]
    numbers = {t.number for t in study.get_trials()}
    assert ice["trial"].nunique() == 5 and set(ice["trial"]) <= numbers
    assert table.attrs["background"] == "trials"


def test_a_pair_gives_a_surface(study: hp.Study) -> None:
    table = partial_dependence(study, ("x", "c"), grid=5, ice=10)
    assert len(table) == 15 and set(table["kind"]) == {"pd"}
    assert table["hyperparameters"].iloc[0] == ("x", "c")
    assert set(table["value_2"]) == {"a", "b", "c"}
    assert "ICE lines are drawn for one hyperparameter only" in " ".join(table.attrs["notes"])
    assert table["n_near"].sum() == len(study.get_trials())
    figure = plot_partial_dependence(table)
    assert figure.data[0].type == "heatmap" and figure.data[-1].name == "observed trials"


def concentrated_study() -> hp.Study:
    space = hp.Space({"x": hp.Float(0.0, 1.0), "y": hp.Float(0.0, 1.0)})
    study = hp.create_study(space=space, storage="memory", optimizer="random", seed=1)
    rng = np.random.default_rng(1)
    for x, y in zip(rng.uniform(0.0, 0.15, 50), rng.uniform(0.0, 1.0, 50), strict=True):
        study.enqueue({"x": float(x), "y": float(y)})
    study.optimize(lambda c: (c["x"] - 0.1) ** 2 + c["y"], n_trials=60, show_progress=False)
    return study


def test_says_where_the_curve_rests_on_few_trials() -> None:
    table = partial_dependence(concentrated_study(), "x", grid=10, ice=0, min_support=3)
    notes = table.attrs["notes"]
    assert any(n.startswith("sampling bias: 80% of the 60 trials with x lie in") for n in notes)
    assert any("the curve rests on fewer than 3 trials at" in n for n in notes)
    assert table["n_near"].sum() == 60
    assert table["sparse"].tolist() == (table["n_near"] < 3).tolist()
    assert not table["sparse"].iloc[0] and table["sparse"].iloc[-1]
    assert table["density"].iloc[0] > 3.0 > table["density"].iloc[-1]
    figure = plot_partial_dependence(table)
    names = [trace.name for trace in figure.data]
    assert "few trials nearby" in names and "observed trials" in names
    assert "sampling bias" in figure.layout.annotations[-1].text


def test_conditional_hyperparameters(built: Callable[[str], hp.Study]) -> None:
    study = built("conditional")
    alpha = partial_dependence(study, "alpha", ice=3)
    assert not alpha["mean"].isna().any() and alpha["active"].all()
    assert any(n.startswith("alpha is active only where model = 'linear'")
               for n in alpha.attrs["notes"])
    pair = partial_dependence(study, ("model", "alpha"), grid=4)
    active = pair.groupby("value")["active"].all()
    assert active.to_dict() == {"knn": False, "linear": True, "tree": False}
    assert not pair["mean"].isna().any()
    leaf = partial_dependence(study, ("depth", "leaf"), grid=10)
    assert not leaf[leaf["value"] <= 3]["active"].any() and leaf[leaf["value"] > 3]["active"].all()


def test_a_constant_is_flat_never_nan(built: Callable[[str], hp.Study]) -> None:
    study = built("constant")
    table = partial_dependence(study, "c", ice=4)
    curve = table[table["kind"] == "pd"]
    assert curve["value"].tolist() == ["fixed"] and not table["mean"].isna().any()
    assert "c is a constant ('fixed'): its partial dependence is flat" in table.attrs["notes"]
    pair = partial_dependence(study, ("n", "c"))
    assert len(pair) == 4 and not pair["mean"].isna().any()


def test_a_maximized_objective_in_its_own_direction(built: Callable[[str], hp.Study]) -> None:
    table = partial_dependence(built("two-objective-one"), "y", grid=6, ice=0,
                               objective="acc")
    assert table["mean"].iloc[-1] - table["mean"].iloc[0] > 0.6  # acc = y, maximized
    assert table.attrs["objective"] == "-acc"


def test_errors_are_one_line(study: hp.Study) -> None:
    with pytest.raises(AnalysisError) as error:
        partial_dependence(study, "depth")
    assert str(error.value) == ("partial_dependence: unknown hyperparameter 'depth'; the space "
                                "has ['x', 'lr', 'n', 'c', 'noise']")
    with pytest.raises(AnalysisError, match="one hyperparameter or two different ones"):
        partial_dependence(study, ("x", "lr", "n"))
    with pytest.raises(AnalysisError, match="one hyperparameter or two different ones"):
        partial_dependence(study, ("x", "x"))
    with pytest.raises(AnalysisError, match="grid must be an integer >= 2, got 1"):
        partial_dependence(study, "x", grid=1)
    with pytest.raises(AnalysisError, match="unknown objective 'acc'"):
        partial_dependence(study, "x", objective="acc")
    small = hp.create_study(space=SPACE, storage="memory", optimizer="random", seed=0)
    small.optimize(objective, n_trials=4, show_progress=False)
    with pytest.raises(TooFewTrialsError, match="needs at least 10 complete trials, got 4"):
        partial_dependence(small, "x")


def test_deterministic_for_a_seed(study: hp.Study) -> None:
    first = partial_dependence(study, "x", grid=5, ice=3, seed=2)
    again = partial_dependence(study, "x", grid=5, ice=3, seed=2)
    assert first.equals(again)
    assert first.attrs["cache_key"] == again.attrs["cache_key"]
    other = partial_dependence(study, "x", grid=5, ice=3, seed=3)
    assert other.attrs["cache_key"] != first.attrs["cache_key"]


def test_runs_on_every_kind_of_study(kind: tuple[hp.Study, dict[str, Any]]) -> None:
    study, arguments = kind
    name = study.space.names[0]
    table = partial_dependence(study, name, grid=6, ice=3, **arguments)
    assert not table[table["kind"] == "pd"]["mean"].isna().any()
    assert plot_partial_dependence(table).data
    pair = partial_dependence(study, tuple(study.space.names[:2]), grid=4, **arguments)
    assert plot_partial_dependence(pair).data
    assert plot_partial_dependence(study, name, grid=4, ice=0, **arguments).data
