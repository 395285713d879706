"""Multi-objective importance: per objective and across weightings (MO-HPI)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import hyperpilot as hp
from hyperpilot.analysis import AnalysisError, TooFewTrialsError, mo_importance, plot_mo_importance
from hyperpilot.analysis._mo import weight_grid


@pytest.fixture(scope="module")
def table(built: Callable[[str], hp.Study]) -> Any:
    # loss = x + 0.1 z (minimized), acc = y (maximized)
    return mo_importance(built("two-objective-one"), n_bootstrap=2)


def test_weight_grids() -> None:
    assert np.allclose(weight_grid(2, 11), [(w / 10, 1 - w / 10) for w in range(11)])
    three = weight_grid(3, 6)
    assert len(three) == 21 and len(set(three)) == 21
    assert np.allclose([sum(w) for w in three], 1.0)
    assert (1.0, 0.0, 0.0) in three and (0.0, 0.0, 1.0) in three


def test_importance_follows_the_weights(table: Any) -> None:
    weighted = table[table["kind"] == "weighted"]
    assert sorted(weighted["weight"].unique()) == pytest.approx(np.linspace(0, 1, 11))
    shares = weighted.pivot_table(index="weight", columns="hyperparameter",
                                  values="importance")
    assert shares["y"].iloc[0] > 0.9 and shares["y"].iloc[-1] < 0.05  # acc = y only
    assert shares["x"].iloc[0] < 0.05 and shares["x"].iloc[-1] > 0.6
    assert shares["x"].iloc[-1] > shares["z"].iloc[-1] > shares["z"].iloc[0]
    assert shares["y"].is_monotonic_decreasing or np.all(np.diff(shares["y"]) < 0.05)
    assert table.attrs["objectives"] == ("loss", "acc")
    assert weighted["objective"].iloc[0] == "0 loss + 1 acc"
    assert np.allclose(weighted["weights"].map(sum).to_numpy(dtype=float), 1.0)


def test_each_objective_alone(table: Any) -> None:
    alone = table[table["kind"] == "objective"]
    assert list(dict.fromkeys(alone["objective"])) == ["loss", "-acc"]
    loss = alone[alone["objective"] == "loss"].set_index("hyperparameter")["importance"]
    assert loss["x"] > loss["z"] > loss["y"]
    weighted = table[(table["kind"] == "weighted") & (table["weight"] == 1.0)]
    end = weighted.set_index("hyperparameter")["importance"]
    for name in ("x", "y", "z"):  # shares ignore the standardization
        assert end[name] == pytest.approx(loss[name], abs=0.02)
    assert not table[["importance", "std", "low", "high"]].isna().any().any()
    assert {"n_trials", "cv_r2", "spearman", "warning"} <= set(table.columns)


def test_a_chosen_weighting(built: Callable[[str], hp.Study]) -> None:
    table = mo_importance(built("two-objective-one"), weights=[{"loss": 3, "acc": 1}],
                          per_objective=False)
    assert set(table["kind"]) == {"weighted"} and len(table) == 3
    assert table["weights"].iloc[0] == (0.75, 0.25)
    assert table["objective"].iloc[0] == "0.75 loss + 0.25 acc"


def mixed_study() -> hp.Study:
    """Three objectives, a condition, a constant, budgets, failed and running trials."""
    space = hp.Space({"x": hp.Float(0, 1), "kind": hp.Categorical(["a", "b"]),
                      "w": hp.Float(1e-3, 1, log=True, active_if={"kind": "b"}),
                      "c": hp.Constant(1), "n": hp.Int(1, 4)})
    study = hp.create_study(space=space, objectives={"err": "min", "speed": "max",
                                                     "mem": "min"},
                            storage="memory", optimizer="random", seed=7,
                            fidelity=hp.Fidelity("epochs", 1, 3))
    rng = np.random.default_rng(7)
    for budget in (1.0, 3.0):
        for config in space.sample(14, rng):
            study.enqueue(config, budget=budget)

    def objective(config: dict[str, Any], budget: float) -> dict[str, float]:
        if config["x"] > 0.93:
            raise RuntimeError("diverged")
        return {"err": config["x"] + config.get("w", 0.0), "speed": config["n"] * budget,
                "mem": float(config["kind"] == "b")}

    study.optimize(objective, n_trials=28, show_progress=False, max_consecutive_failures=None)
    study.ask()  # left running
    return study


def test_three_objectives_budgets_conditions_and_constants() -> None:
    study = mixed_study()
    table = mo_importance(study, budget="each", weights=3, n_trees=8)
    assert set(table["budget"]) == {1.0, 3.0}
    weighted = table[table["kind"] == "weighted"]
    assert weighted.groupby("budget")["weights"].nunique().tolist() == [6, 6]
    assert not table["importance"].isna().any()
    assert (table[table["hyperparameter"] == "c"]["importance"] == 0.0).all()
    speed = table[(table["kind"] == "objective") & (table["objective"] == "-speed")]
    assert speed.groupby("budget")["hyperparameter"].first().tolist() == ["n", "n"]
    two = mo_importance(study, objectives=["err", "mem"], weights=3, per_objective=False,
                        budget="all", n_trees=8)
    assert two.attrs["objectives"] == ("err", "mem") and len(two) == 3 * 5
    assert plot_mo_importance(table).data


def test_errors_are_one_line(built: Callable[[str], hp.Study]) -> None:
    single = built("conditional")
    with pytest.raises(AnalysisError) as error:
        mo_importance(single)
    assert str(error.value) == ("mo_importance: the study has one objective ('value'); "
                                "multi-objective importance needs two or more (use fanova)")
    study = built("two-objective-one")
    with pytest.raises(AnalysisError, match=r"^mo_importance: unknown objective 'speed'; the "
                                            r"study has \['loss', 'acc'\]$"):
        mo_importance(study, objectives=["loss", "speed"])
    with pytest.raises(AnalysisError, match=r"^mo_importance: unknown objective 'speed' in "
                                            r"weights"):
        mo_importance(study, weights=[{"speed": 1.0}])
    with pytest.raises(AnalysisError, match="must be a non-negative number, got -1"):
        mo_importance(study, weights=[{"loss": -1, "acc": 2}])
    with pytest.raises(AnalysisError, match="two or more different objectives"):
        mo_importance(study, objectives=["loss", "loss"])
    with pytest.raises(AnalysisError, match="unknown hyperparameter 'q'"):
        mo_importance(study, hyperparameters=["q"])
    small = hp.create_study(space=study.space, objectives={"a": "min", "b": "min"},
                            storage="memory", optimizer="random", seed=0)
    small.optimize(lambda c: {"a": c["x"], "b": c["y"]}, n_trials=5, show_progress=False)
    with pytest.raises(TooFewTrialsError, match="needs at least 10 complete trials"):
        mo_importance(small)


def test_deterministic_for_a_seed(built: Callable[[str], hp.Study]) -> None:
    study = built("two-objective-one")
    first = mo_importance(study, weights=3, seed=1)
    again = mo_importance(study, weights=3, seed=1)
    assert first.equals(again) and first.attrs["cache_key"] == again.attrs["cache_key"]
    assert mo_importance(study, weights=4, seed=1).attrs["cache_key"] != first.attrs[
        "cache_key"]


def test_the_figure_has_a_line_per_hyperparameter(table: Any) -> None:
    figure = plot_mo_importance(table)
    lines = [trace for trace in figure.data if trace.mode == "lines+markers"]
    assert sorted(trace.name for trace in lines) == ["x", "y", "z"]
    assert all(len(trace.x) == 11 for trace in lines)
    assert figure.layout.xaxis.title.text == "weight of loss (1 - weight of acc)"
    assert len(plot_mo_importance(table, top=1).data) == 2  # the line and its markers
