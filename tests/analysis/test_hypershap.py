"""HyperSHAP games on the explanation forest, computed with shapiq."""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import hyperpilot as hp
from hyperpilot.analysis import (
    AnalysisError,
    TooFewTrialsError,
    hypershap,
    plot_hypershap,
    plot_interaction_graph,
)
from hyperpilot.analysis._fanova import PAIR
from hyperpilot.analysis._hypershap import GAMES
from hyperpilot.exceptions import MissingDependencyError

SPACE = hp.Space({"a": hp.Float(0, 1), "b": hp.Float(0, 1), "c": hp.Float(0, 1),
                  "kind": hp.Categorical(["worse", "better"]), "n1": hp.Float(0, 1),
                  "n2": hp.Int(1, 5)})
WORST = {"a": 0.9, "b": 0.9, "c": 0.9, "kind": "worse", "n1": 0.5, "n2": 3}
BEST = {"a": 0.1, "b": 0.1, "c": 0.1, "kind": "better", "n1": 0.5, "n2": 3}
# from WORST to BEST: a gains 2.4, b 1.6, kind 1.0, c 0.8 (5.8 in all); n1 and n2 nothing


def objective(config: dict[str, Any]) -> float:
    """Additive, known weights: a 3, b 2, c 1, kind 1; n1 and n2 inert."""
    return (3 * config["a"] + 2 * config["b"] + 1 * config["c"]
            + (1.0 if config["kind"] == "worse" else 0.0))


@pytest.fixture(scope="module")
def study() -> hp.Study:
    study = hp.create_study(space=SPACE, storage="memory", optimizer="random", seed=0)
    study.optimize(objective, n_trials=400, show_progress=False)
    return study


def main_values(table: pd.DataFrame, baseline: str | None = None) -> dict[str, float]:
    group = table["baseline"].iloc[0] if baseline is None else baseline
    rows = table[(table["kind"] == "main") & (table["baseline"] == group)]
    return dict(zip(rows["hyperparameter"], rows["value"], strict=True))


@pytest.mark.parametrize("game", GAMES)
@pytest.mark.parametrize("order", [1, 2])
def test_values_add_up_to_the_total_gain(study: hp.Study, game: str, order: int) -> None:
    table = hypershap(study, game=game, order=order, baseline=WORST, n_samples=200)
    assert table.attrs["exact"] and table.attrs["index"] == ("FSII" if order == 2 else "SV")
    assert table["value"].sum() == pytest.approx(table.attrs["total_gain"], abs=1e-6)
    assert set(table["kind"]) == ({"main", "interaction"} if order == 2 else {"main"})
    assert len(table) == 6 + (15 if order == 2 else 0)
    assert not table["value"].isna().any()


def test_an_additive_function_gets_its_weights(study: hp.Study) -> None:
    # tuning from WORST can gain about what moving to BEST gains (the forest's edges are
    # flatter than the truth, so a little less)
    table = hypershap(study, game="tunability", baseline=WORST, n_samples=300)
    values = main_values(table)
    assert list(values)[:4] == ["a", "b", "kind", "c"]
    assert values["c"] > 0.3
    assert abs(values["n1"]) < 0.05 and abs(values["n2"]) < 0.05
    assert values["a"] == pytest.approx(2.4, abs=0.4)
    assert values["b"] == pytest.approx(1.6, abs=0.5)
    assert values["kind"] == pytest.approx(1.0, abs=0.2)
    assert table.attrs["total_gain"] == pytest.approx(5.8, abs=1.0)
    # additive: the pairs are small beside the main effects
    pairs = table[table["kind"] == "interaction"]["value"].abs()
    assert pairs.max() < 0.2 * values["a"]
    spread = main_values(hypershap(study, game="sensitivity", baseline=WORST, n_samples=300))
    assert next(iter(spread)) == "a" and set(list(spread)[1:3]) == {"b", "kind"}
    assert abs(spread["n1"]) < 0.02 and abs(spread["n2"]) < 0.02


def test_the_ablation_game_splits_the_path_from_baseline_to_incumbent(study: hp.Study) -> None:
    table = hypershap(study, game="ablation", baseline=WORST, incumbent=BEST)
    values = main_values(table)
    assert list(values)[:4] == ["a", "b", "kind", "c"]
    assert abs(values["n1"]) < 1e-9 and abs(values["n2"]) < 1e-9  # same at both ends
    assert values["a"] == pytest.approx(2.4, abs=0.4)
    assert table.attrs["total_gain"] == pytest.approx(5.8, abs=1.0)
    assert table.attrs["incumbent"] == BEST and table.attrs["baselines"] == {"baseline": WORST}
    assert math.isclose(table[table["kind"] == "main"]["share"].sum()
                        + table[table["kind"] == "interaction"]["share"].sum(), 1.0)


def test_signs_of_the_games(study: hp.Study) -> None:
    middle = {"a": 0.5, "b": 0.5, "c": 0.5, "kind": "worse", "n1": 0.5, "n2": 3}
    totals = {game: hypershap(study, game=game, baseline=middle, n_samples=200,
                              order=1).attrs["total_gain"] for game in GAMES}
    assert totals["tunability"] > 2.0  # tuning everything from the middle gains
    assert totals["mistunability"] < -2.0  # mistuning everything loses
    assert totals["sensitivity"] > 0.5
    assert totals["optimizer-bias"] <= 1e-12
    # a maximized objective: gains are still positive when better
    maximized = hp.create_study(space=SPACE, objectives={"score": "maximize"}, storage="memory",
                                optimizer="random", seed=1)
    maximized.optimize(lambda c: -objective(c), n_trials=150, show_progress=False)
    flipped = hypershap(maximized, game="ablation", baseline=WORST, incumbent=BEST, order=1)
    assert flipped.attrs["total_gain"] > 4.0 and main_values(flipped)["a"] > 1.5


def test_optimizer_bias_marks_what_the_incumbent_left_short(study: hp.Study) -> None:
    # the incumbent set a and c well but b badly: only b (and its pairs) show a gap
    incumbent = {"a": 0.0, "b": 0.9, "c": 0.0, "kind": "better", "n1": 0.5, "n2": 3}
    table = hypershap(study, game="optimizer-bias", baseline=WORST, incumbent=incumbent,
                      n_samples=300)
    values = main_values(table)
    assert next(iter(values)) == "b" and values["b"] < -0.8
    assert all(abs(values[n]) < 0.25 * abs(values["b"]) for n in ("a", "c", "n1", "n2"))
    assert table.attrs["total_gain"] < -0.8


def test_several_baselines_mean_and_each(study: hp.Study) -> None:
    other = {"a": 0.8, "b": 0.2}
    table = hypershap(study, game="ablation", baseline=[WORST, other, None], incumbent=BEST)
    assert list(pd.unique(table["baseline"])) == ["mean", "baseline 0", "baseline 1",
                                                  "baseline 2"]
    each = [main_values(table, f"baseline {i}") for i in range(3)]
    mean = main_values(table, "mean")
    for name in SPACE.names:
        assert mean[name] == pytest.approx(np.mean([e[name] for e in each]))
    gains = table.attrs["total_gains"]
    assert gains["mean"] == pytest.approx(np.mean([gains[f"baseline {i}"] for i in range(3)]))
    assert table.attrs["total_gain"] == gains["mean"]
    for label, part in table.groupby("baseline"):
        assert part["value"].sum() == pytest.approx(gains[label], abs=1e-6)
    assert table.attrs["baselines"]["baseline 2"] == SPACE.default_config()
    assert abs(each[1]["b"]) < abs(each[0]["b"])  # b is nearly at the incumbent's already


def test_approximation_above_the_exact_limit(study: hp.Study) -> None:
    exact = hypershap(study, game="ablation", baseline=WORST, incumbent=BEST)
    approximate = hypershap(study, game="ablation", baseline=WORST, incumbent=BEST,
                            exact_up_to=4, n_coalitions=48)
    assert not approximate.attrs["exact"]
    assert approximate["value"].sum() == pytest.approx(approximate.attrs["total_gain"],
                                                       abs=1e-6)
    ours, theirs = main_values(exact), main_values(approximate)
    for name in SPACE.names:
        assert theirs[name] == pytest.approx(ours[name], abs=0.1)
    shapley = main_values(hypershap(study, game="ablation", baseline=WORST, incumbent=BEST,
                                    order=1))
    first = main_values(hypershap(study, game="ablation", baseline=WORST, incumbent=BEST,
                                  order=1, exact_up_to=4, n_coalitions=48))
    for name in SPACE.names:
        assert first[name] == pytest.approx(shapley[name], abs=0.1)


def test_players_can_be_chosen(study: hp.Study) -> None:
    table = hypershap(study, game="tunability", baseline=WORST, hyperparameters=["a", "n1"],
                      n_samples=200)
    assert set(table["hyperparameter"]) == {"a", "n1", f"a {PAIR} n1"}
    assert main_values(table)["a"] > 2.0


def test_a_pure_noise_objective_is_not_to_be_trusted() -> None:
    rng = np.random.default_rng(7)
    noise = hp.create_study(space=SPACE, storage="memory", optimizer="random", seed=7)
    noise.optimize(lambda c: float(rng.normal()), n_trials=120, show_progress=False)
    table = hypershap(noise, game="ablation", order=1)
    assert (table["cv_r2"] < 0.3).all()
    assert "not to be trusted" in table["warning"].iloc[0]
    assert table.attrs["warnings"]
    assert "not to be trusted" in plot_hypershap(table).layout.annotations[0].text


def test_a_constant_is_exactly_zero(built: Callable[[str], hp.Study]) -> None:
    study = built("constant")
    for game in ("ablation", "tunability", "sensitivity"):
        table = hypershap(study, game=game, n_samples=100)
        rows = table[table["hyperparameters"].map(lambda h: "c" in h)]
        assert len(rows) == 3 and (rows["value"] == 0.0).all()
        assert not table[["value", "share"]].isna().any().any()


def test_conditional_space(built: Callable[[str], hp.Study]) -> None:
    study = built("conditional")
    baseline = {"model": "linear", "alpha": 0.5, "lr": 0.9}
    incumbent = {"model": "tree", "depth": 2, "lr": 0.0}
    table = hypershap(study, game="ablation", baseline=baseline, incumbent=incumbent)
    values = main_values(table)
    assert values["model"] > 0.5 and values["lr"] > 0.3
    assert abs(values["leaf"]) < 0.05  # inactive at both ends (depth <= 3 at the incumbent)
    assert table["value"].sum() == pytest.approx(table.attrs["total_gain"], abs=1e-6)
    tuned = hypershap(study, game="tunability", baseline=baseline, n_samples=200)
    assert tuned["value"].sum() == pytest.approx(tuned.attrs["total_gain"], abs=1e-6)
    assert main_values(tuned)["model"] > 0.5


def test_runs_on_every_kind_of_study(kind: tuple[hp.Study, dict[str, Any]]) -> None:
    study, arguments = kind
    table = hypershap(study, game="tunability", n_samples=100, **arguments)
    assert not table["value"].isna().any()
    assert table["value"].sum() == pytest.approx(table.attrs["total_gain"], abs=1e-6)
    assert table["n_trials"].iloc[0] >= 10
    assert plot_hypershap(table, kind="all").data
    assert plot_interaction_graph(table).data


def test_ignores_failed_and_running_trials(built: Callable[[str], hp.Study]) -> None:
    study = built("failed")
    complete = sum(t.state == hp.TrialState.COMPLETE for t in study.get_trials())
    table = hypershap(study, game="ablation")
    assert table["n_trials"].iloc[0] == complete < len(study.get_trials())


def test_budgets_and_objectives_are_chosen(built: Callable[[str], hp.Study]) -> None:
    budgets = built("budgets")
    assert math.isnan(hypershap(budgets, budget="all")["budget"].iloc[0])
    at_low = hypershap(budgets, budget=1.0, game="sensitivity", n_samples=100)
    at_high = hypershap(budgets, game="sensitivity", n_samples=100)  # highest with ten: 9
    assert at_high["budget"].iloc[0] == 9.0 and at_low["budget"].iloc[0] == 1.0
    assert main_values(at_low)["y"] > main_values(at_low)["x"]
    assert main_values(at_high)["x"] > main_values(at_high)["y"]
    two = built("two-objective-one")
    by_loss = hypershap(two, objective="loss", game="sensitivity", n_samples=100)
    by_acc = hypershap(two, objective="acc", game="sensitivity", n_samples=100)
    assert next(iter(main_values(by_loss))) == "x"
    assert next(iter(main_values(by_acc))) == "y"
    weighted = hypershap(two, objective={"loss": 1.0, "acc": 1.0}, game="sensitivity",
                         n_samples=100)
    assert weighted.attrs["objective"] == "1 loss + 1 acc"


@pytest.mark.parametrize(("arguments", "message"), [
    ({"game": "shapley"}, "hypershap: unknown game 'shapley'; expected one of"),
    ({"hyperparameters": ["a", "zz"]}, "hypershap: unknown hyperparameter 'zz'"),
    ({"baseline": {"zz": 1}}, "hypershap: baseline: unknown hyperparameter 'zz'"),
    ({"objective": "accuracy"}, "hypershap: unknown objective 'accuracy'"),
    ({"order": 3}, "hypershap: order must be 1 (Shapley values) or 2 (FSII), got 3"),
    ({"baseline": []}, "hypershap: baseline must be None, a configuration or a non-empty"),
    ({"n_samples": 0}, "hypershap: n_samples must be an integer >= 2, got 0"),
])
def test_one_line_errors(study: hp.Study, arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(AnalysisError) as error:
        hypershap(study, **arguments)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_too_few_trials() -> None:
    small = hp.create_study(space=SPACE, storage="memory", optimizer="random", seed=3)
    small.optimize(objective, n_trials=5, show_progress=False)
    with pytest.raises(TooFewTrialsError, match="needs at least 10 complete trials, got 5"):
        hypershap(small)


def test_without_shapiq_a_one_line_install_hint(study: hp.Study,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name == "shapiq" else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(MissingDependencyError) as error:
        hypershap(study, n_samples=10)
    assert str(error.value) == ("this feature needs the package 'shapiq' (import 'shapiq'): "
                                "pip install 'hyperpilot[analysis]'")


def test_deterministic_and_keyed(study: hp.Study) -> None:
    first = hypershap(study, game="tunability", n_samples=100, seed=3)
    again = hypershap(study, game="tunability", n_samples=100, seed=3)
    assert first.equals(again)
    assert first.attrs["cache_key"] == again.attrs["cache_key"]
    assert first.attrs["cache_key"][0] == "hypershap"
    other = hypershap(study, game="tunability", n_samples=100, seed=4)
    assert other.attrs["cache_key"] != first.attrs["cache_key"]


def test_figures(study: hp.Study) -> None:
    table = hypershap(study, game="ablation", baseline=WORST, incumbent=BEST)
    bars = plot_hypershap(table, top=3)
    assert list(bars.data[0].y) == ["kind", "b", "a"]  # largest on top
    assert "ablation" in bars.layout.title.text
    graph = plot_interaction_graph(table, threshold=0.0)
    nodes = graph.data[-1]
    assert list(nodes.text) == list(table[table["kind"] == "main"]["hyperparameter"])
    sizes = dict(zip(nodes.text, nodes.marker.size, strict=True))
    assert sizes["a"] > sizes["c"] > sizes["n1"]
    pairs = table[(table["kind"] == "interaction") & (table["value"] != 0.0)]
    assert len(graph.data) - 1 == len(pairs)
    assert len(plot_interaction_graph(table).data) < len(graph.data)  # small pairs left out
    assert plot_hypershap(study, game="sensitivity", n_samples=50, kind="interaction").data
