"""A refined search space from the analysis, its cost, and a warm-started study."""

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
    plot_refined_space,
    refine,
    refined_space,
    warm_start_study,
)
from hyperpilot.analysis._refine import fitting, rebuild

SPACE = hp.Space({"x": hp.Float(0, 1), "lr": hp.Float(1e-4, 1, log=True), "n": hp.Int(1, 32),
                  "c": hp.Categorical(["a", "b", "c"]), "i1": hp.Int(1, 3),
                  "i2": hp.Categorical(["u", "v"]), "i3": hp.Ordinal([1, 2, 4]),
                  "k": hp.Constant("fixed")})


def additive(config: dict[str, Any]) -> float:
    """i1, i2, i3 are inert; the optimum is x = 0.3, lr = 0.01, n = 20, c = 'a'."""
    return float(3 * (config["x"] - 0.3) ** 2 + 0.4 * (math.log10(config["lr"]) + 2) ** 2
            + abs(config["n"] - 20) / 12 + {"a": 0.0, "b": 0.8, "c": 1.6}[config["c"]])


@pytest.fixture(scope="module")
def study() -> hp.Study:
    study = hp.create_study(space=SPACE, storage="memory", optimizer="random", seed=0)
    study.optimize(additive, n_trials=150, show_progress=False)
    return study


@pytest.fixture(scope="module")
def table(study: hp.Study) -> Any:
    return refine(study)


def test_freezes_the_inert_and_keeps_the_important(study: hp.Study, table: Any) -> None:
    change = table.set_index("hyperparameter")["change"]
    assert change[["i1", "i2", "i3"]].tolist() == ["frozen"] * 3
    assert change["k"] == "kept"
    assert set(change[["x", "lr", "n", "c"]]) <= {"kept", "narrowed", "choices dropped"}
    incumbent = study.best_trial.config
    assert table.attrs["frozen"] == {n: incumbent[n] for n in ("i1", "i2", "i3")}
    reason = table.set_index("hyperparameter")["reason"]["i1"]
    assert reason.startswith("fANOVA share ") and "both below 5%: frozen at the incumbent's" \
        in reason
    space = refined_space(table)
    assert space["i1"] == hp.Constant(incumbent["i1"])
    for name in ("x", "lr", "n"):
        low, high = space[name].low, space[name].high
        optimum = {"x": 0.3, "lr": 0.01, "n": 20}[name]
        assert low <= optimum <= high
    assert "a" in space["c"].choices


def test_the_refined_space_accepts_the_incumbent_and_the_top_trials(
        study: hp.Study, table: Any) -> None:
    space = refined_space(table)
    assert space.validate(study.best_trial.config) == study.best_trial.config
    assert table.attrs["incumbent"] == study.best_trial.config
    assert table.attrs["space"] == space.to_json()
    assert table.attrs["original_space"] == SPACE.to_json()


def test_estimates_the_loss_of_freezing(table: Any) -> None:
    loss = table.attrs["loss"]
    assert loss["loss"] >= 0.0 and loss["refined"] >= loss["full"]
    assert loss["relative"] == pytest.approx(loss["loss"] / abs(loss["full"]))
    assert table.attrs["summary"].startswith("freezing 3 of 8 hyperparameters")
    assert "loses an estimated" in table.attrs["summary"]


def dominant(config: dict[str, Any]) -> float:
    return float(10 * (config["x"] - 0.3) ** 2 + 2 * (math.log10(config["lr"]) + 2) ** 2
            + abs(config["n"] - 20) / 4 + 0.01 * config["i1"])


def test_narrows_around_the_optimum_on_each_scale() -> None:
    space = hp.Space({"x": hp.Float(0, 1), "lr": hp.Float(1e-4, 1, log=True),
                      "n": hp.Int(1, 40), "i1": hp.Int(1, 3)})
    study = hp.create_study(space=space, storage="memory", optimizer="random", seed=4)
    study.optimize(dominant, n_trials=200, show_progress=False)
    table = refine(study, top_quantile=0.1, margin=0.05)
    rows = table.set_index("hyperparameter")
    assert rows.loc[["x", "lr", "n"], "change"].tolist() == ["narrowed"] * 3
    refined = refined_space(table)
    x, lr, n = refined["x"], refined["lr"], refined["n"]
    assert isinstance(x, hp.Float) and isinstance(lr, hp.Float) and isinstance(n, hp.Int)
    assert 0.0 <= x.low < 0.3 < x.high <= 1.0 and x.high - x.low < 0.9
    assert lr.log and 1e-4 <= lr.low < 0.01 < lr.high <= 1.0
    assert math.log10(lr.high / lr.low) < 0.9 * 4  # narrower on the log scale
    assert isinstance(n.low, int) and n.low < 20 < n.high and n.high - n.low < 36
    good = sorted(study.get_trials(), key=lambda t: t.value or 0.0)[:20]
    for trial in good:  # every top trial fits, inside the margin
        assert refined.validate({**trial.config, "i1": refined["i1"].choices[0]})
    assert rows.loc["x", "after_low"] == pytest.approx(x.low)
    assert "the top 20 trials span" in rows.loc["x", "reason"]


def test_drops_choices_no_good_trial_made() -> None:
    space = hp.Space({"c": hp.Categorical(["a", "b", "c", "d"]),
                      "o": hp.Ordinal([1, 2, 4, 8, 16]), "x": hp.Float(0, 1)})
    study = hp.create_study(space=space, storage="memory", optimizer="random", seed=5)
    study.optimize(lambda c: {"a": 0.0, "b": 0.1, "c": 3.0, "d": 3.0}[c["c"]]
                   + abs(math.log2(c["o"]) - 1.5) + c["x"], n_trials=120, show_progress=False)
    table = refine(study, top_quantile=0.1)
    rows = table.set_index("hyperparameter")
    refined = refined_space(table)
    assert rows.loc["c", "change"] == "choices dropped"
    assert tuple(refined["c"].choices) == ("a", "b")
    assert rows.loc["c", "reason"] == "never chosen by the top 12 trials: 'c', 'd'"
    assert rows.loc["c", "kept"] == ("a", "b")
    assert isinstance(refined["o"], hp.Ordinal)
    assert tuple(refined["o"].choices) in ((1, 2, 4), (2, 4))


def conditional_space() -> hp.Space:
    return hp.Space({
        "model": hp.Categorical(["linear", "tree", "knn"]),
        "alpha": hp.Float(1e-3, 1.0, log=True, active_if={"model": "linear"}),
        "depth": hp.Int(1, 10, active_if={"model": "tree"}),
        "leaf": hp.Ordinal([1, 2, 4, 8], active_if={"model": "tree", "depth": hp.gt(3)}),
        "split": hp.Categorical(["gini", "entropy"], active_if={"leaf": hp.gt(2)}),
        "knn_k": hp.Int(1, 9, active_if={"model": ["knn", "linear"]}),
        "lr": hp.Float(0.0, 1.0),
    }, forbidden=[{"model": "linear", "lr": hp.gt(0.9)}])


def test_rewrites_conditions_for_frozen_and_narrowed_parents() -> None:
    space = conditional_space()
    same = {n: space[n] for n in space}
    tree, _ = rebuild(space, {**same, "model": hp.Constant("tree"),
                              "depth": hp.Int(5, 10, active_if={"model": "tree"})})
    assert "alpha" not in tree and "knn_k" not in tree
    assert tree.conditions("depth") == () and tree.conditions("leaf") == ()
    assert tree.forbidden == ()
    assert tree.validate({"depth": 6, "leaf": 4, "split": "gini", "lr": 0.5})
    shallow, removed = rebuild(space, {**same, "depth": hp.Int(1, 3)})
    assert removed == {"leaf", "split"} and "depth" in shallow
    two, _ = rebuild(space, {**same, "model": hp.Categorical(["linear", "tree"])})
    assert "knn_k" in two and two.validate({"model": "linear", "alpha": 0.1, "knn_k": 3,
                                             "lr": 0.2})
    assert [(a.op, a.value) for a in two.conditions("knn_k")[0]] == [("eq", "linear")]
    assert len(two.forbidden) == 1
    # a frozen parent that is itself conditional: its child takes its condition
    frozen_leaf, _ = rebuild(space, {**same, "leaf": hp.Constant(8)})
    assert [[(a.name, a.op, a.value) for a in c] for c in frozen_leaf.conditions("split")] == [
        [("model", "eq", "tree"), ("depth", "gt", 3)]]
    assert frozen_leaf.validate({"model": "tree", "depth": 2, "lr": 0.1}) == {
        "model": "tree", "depth": 2, "lr": 0.1}
    # an ordinal parent that keeps only part of its sequence
    narrow_leaf, _ = rebuild(space, {**same, "leaf": hp.Ordinal([1, 2], active_if=None)})
    assert "split" not in narrow_leaf


def test_a_conditional_study(built: Callable[[str], hp.Study]) -> None:
    study = built("conditional")
    table = refine(study)
    space = refined_space(table)
    assert space.validate(study.best_trial.config) == study.best_trial.config
    assert set(table["hyperparameter"]) == set(study.space.names)
    removed = table[table["change"] == "removed"]
    assert removed["after_low"].isna().all()
    for reason in removed["reason"]:
        assert reason.startswith("its conditions can no longer hold")


def warm_study() -> hp.Study:
    space = hp.Space({"x": hp.Float(0, 1), "c": hp.Categorical(["a", "b", "c"]),
                      "i": hp.Int(1, 2), "j": hp.Categorical(["u", "v"])})
    study = hp.create_study(space=space, storage="memory", optimizer="random", seed=6,
                            objectives={"loss": "minimize", "size": "maximize"})

    def objective(config: dict[str, Any]) -> dict[str, float]:
        if config["x"] > 0.95:
            raise RuntimeError("diverged")
        return {"loss": 4 * (config["x"] - 0.4) ** 2 + (config["c"] == "c"),
                "size": config["x"]}

    study.optimize(objective, n_trials=80, show_progress=False,
                   max_consecutive_failures=None)
    study.ask()  # left running
    return study


def test_warm_start_holds_exactly_the_trials_that_fit() -> None:
    study = warm_study()
    table = refine(study, objective="loss")
    assert set(table[table["change"] == "frozen"]["hyperparameter"]) == {"i", "j"}
    space = refined_space(table)
    new = warm_start_study(study, table, name="refined")
    assert new.name == "refined" and new.storage is study.storage
    assert new.space == space
    complete = [t for t in study.get_trials() if t.state == hp.TrialState.COMPLETE]
    expected = [t for t in complete if fitting(space, t.config) is not None]
    assert 1 < len(expected) < len(complete)
    told = new.get_trials()
    assert [t.state for t in told] == [hp.TrialState.COMPLETE] * len(expected)
    assert [t.config for t in told] == [space.validate(t.config) for t in expected]
    assert [t.values for t in told] == [t.values for t in expected]
    assert [t.meta["warm_start"] for t in told] == [
        {"study": study.name, "trial": t.number} for t in expected]
    again = warm_start_study(study, space, storage="memory")
    assert len(again.get_trials()) == len(expected)


def test_warm_start_keeps_budgets(built: Callable[[str], hp.Study]) -> None:
    study = built("budgets")
    new = warm_start_study(study, study.space, storage="memory")
    complete = [t for t in study.get_trials() if t.state == hp.TrialState.COMPLETE]
    assert [t.budget for t in new.get_trials()] == [t.budget for t in complete]


def test_errors_are_one_line(study: hp.Study) -> None:
    with pytest.raises(AnalysisError, match="^refine: unknown objective 'acc'; the study has "
                                            r"\['value'\]$"):
        refine(study, objective="acc")
    with pytest.raises(AnalysisError, match=r"^refine: top_quantile must be a number in "
                                            r"\(0, 1\], got 0$"):
        refine(study, top_quantile=0)
    with pytest.raises(AnalysisError, match=r"^refined_space: the table is not a result of"):
        refined_space(study.to_dataframe())
    with pytest.raises(AnalysisError, match=r"^warm_start_study: refined must be a Space"):
        warm_start_study(study, {"x": 1})
    small = hp.create_study(space=SPACE, storage="memory", optimizer="random", seed=0)
    small.optimize(additive, n_trials=5, show_progress=False)
    with pytest.raises(TooFewTrialsError, match="refine needs at least 10 complete trials"):
        refine(small)


def test_deterministic_for_a_seed(study: hp.Study, table: Any) -> None:
    again = refine(study)
    assert again.equals(table) and again.attrs["loss"] == table.attrs["loss"]
    assert again.attrs["cache_key"] == table.attrs["cache_key"]
    assert refine(study, seed=1).attrs["cache_key"] != table.attrs["cache_key"]


def test_the_figure_shows_ranges_before_and_after(table: Any) -> None:
    figure = plot_refined_space(table)
    names = [trace.name for trace in figure.data]
    assert names[:2] == ["before", "after"] and "frozen" in names
    assert figure.layout.title.text == table.attrs["summary"]
    frozen = next(trace for trace in figure.data if trace.name == "frozen")
    assert set(frozen.y) == {"i1", "i2", "i3"}


def test_runs_on_every_kind_of_study(kind: tuple[hp.Study, dict[str, Any]]) -> None:
    study, arguments = kind
    table = refine(study, n_samples=200, **arguments)
    assert set(table["hyperparameter"]) == set(study.space.names)
    assert not table["importance"].isna().any()
    space = refined_space(table)
    assert fitting(space, table.attrs["incumbent"]) is not None
    assert np.isfinite(table.attrs["loss"]["loss"])
    assert plot_refined_space(table).data
    constant = table[table["before"] == "= 'fixed'"]
    assert (constant["change"] == "kept").all()


def test_a_parent_is_not_frozen_when_that_switches_off_what_matters(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from hyperpilot.analysis import _refine

    space = hp.Space({"model": hp.Categorical(["a", "b"]), "x": hp.Float(0, 1),
                      "w": hp.Float(0, 1, active_if={"model": "a"})})
    study = hp.create_study(space=space, storage="memory", optimizer="random", seed=8)
    study.optimize(lambda c: c["x"] + (0.1 + c["w"] if c["model"] == "a" else 0.0),
                   n_trials=60, show_progress=False)
    assert study.best_trial.config["model"] == "b"
    # the forest says: model does not matter, x and w do
    shares = np.array([[0.0, 0.5, 0.5]])
    monkeypatch.setattr(_refine, "forest_importances",
                        lambda boxes, pairs: (shares, np.zeros((1, len(pairs)))))
    monkeypatch.setattr(_refine, "local_shares", lambda *args: (shares, np.ones(3)))
    table = refine(study).set_index("hyperparameter")
    assert table.loc["model", "change"] == "kept"
    assert table.loc["model", "reason"].endswith(
        "(not frozen as unimportant: that would switch off w, which matters)")
    assert table.loc["w", "change"] != "removed"
    alone = refine(study, threshold=0.6)  # now w is unimportant too: model is frozen
    assert alone.set_index("hyperparameter").loc["model", "change"] == "frozen"
