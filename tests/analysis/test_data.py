"""From a study to the analysis arrays: selection, orientation, budgets, keys, messages."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

import hyperpilot as hp
from hyperpilot.analysis._data import (
    AnalysisError,
    TooFewTrialsError,
    analysis_data,
    analysis_datasets,
    cache_key,
)


def one_line(error: pytest.ExceptionInfo[BaseException]) -> str:
    text = str(error.value)
    assert "\n" not in text
    return text


def test_complete_trials_only_with_nan_for_inactive(built: Callable[[str], hp.Study]) -> None:
    study = built("failed")
    data = analysis_data(study)
    states = {t.number: t.state for t in study.get_trials()}
    assert all(states[n] == hp.TrialState.COMPLETE for n in data.numbers)
    assert data.n == sum(s == hp.TrialState.COMPLETE for s in states.values())
    assert data.X.shape == (data.n, 3)
    assert np.all((data.X >= 0) & (data.X <= 1))
    conditional = analysis_data(built("conditional"))
    alpha = conditional.space.names.index("alpha")
    linear = np.array([t.config["model"] == "linear" for t in built("conditional").get_trials()
                       if t.state == hp.TrialState.COMPLETE])
    assert np.all(np.isnan(conditional.X[~linear, alpha]))
    assert not np.any(np.isnan(conditional.X[linear, alpha]))


def test_targets_are_oriented_so_that_lower_is_better(built: Callable[[str], hp.Study]) -> None:
    study = built("two-objective-one")
    trials = [t for t in study.get_trials() if t.state == hp.TrialState.COMPLETE]
    acc = analysis_data(study, objective="acc")
    assert np.allclose(acc.y, [-t.values["acc"] for t in trials])
    assert acc.sign == -1.0 and acc.objective == "-acc"
    loss = analysis_data(study, objective="loss")
    assert np.allclose(loss.y, [t.values["loss"] for t in trials])
    assert loss.sign == 1.0


def test_weights_combine_standardized_oriented_objectives(built: Callable[[str], hp.Study]) -> None:
    study = built("two-objective-one")
    data = analysis_data(study, objective={"loss": 2.0, "acc": 1.0})
    trials = [t for t in study.get_trials() if t.state == hp.TrialState.COMPLETE]
    loss = np.array([t.values["loss"] for t in trials])
    acc = -np.array([t.values["acc"] for t in trials])
    expected = 2 * (loss - loss.mean()) / loss.std() + (acc - acc.mean()) / acc.std()
    assert np.allclose(data.y, expected)
    assert data.objective == "2 loss + 1 acc"


def test_several_objectives_need_a_choice(built: Callable[[str], hp.Study]) -> None:
    with pytest.raises(AnalysisError) as error:
        analysis_data(built("two-objective-one"), what="fanova")
    assert one_line(error) == (
        "fanova: the study has 2 objectives ['loss', 'acc']; pass objective= one of them "
        "or weights such as {'loss': 0.5, 'acc': 0.5}")


@pytest.mark.parametrize("objective", ["los", {"loss": 1.0, "accuracy": 1.0}])
def test_an_unknown_objective_is_named(objective: object, built: Callable[[str], hp.Study]) -> None:
    with pytest.raises(AnalysisError) as error:
        analysis_data(built("two-objective-one"), objective=objective, what="lpi")  # type: ignore[arg-type]
    assert "unknown objective" in one_line(error)
    assert "['loss', 'acc']" in str(error.value)


def test_too_few_trials_says_how_many_are_needed_and_there_are(built: Callable[[str], hp.Study]) -> None:
    study = built("failed")
    complete = sum(t.state == hp.TrialState.COMPLETE for t in study.get_trials())
    with pytest.raises(TooFewTrialsError) as error:
        analysis_data(study, min_trials=500, what="fanova")
    text = one_line(error)
    assert text.startswith(f"fanova needs at least 500 complete trials, got {complete} ")
    assert "failed" in text and "1 pending" in text and "1 running" in text


def test_an_empty_study_is_too_few() -> None:
    study = hp.create_study(space={"x": hp.Float(0, 1)}, storage="memory", optimizer="random")
    with pytest.raises(TooFewTrialsError, match=r"needs at least 10 complete trials, got 0 "):
        analysis_data(study, min_trials=10)


def test_budgets_each_highest_and_one(built: Callable[[str], hp.Study]) -> None:
    study = built("budgets")
    each = analysis_datasets(study, budget="each", min_trials=10)
    assert [d.budget for d in each] == [1.0, 3.0, 9.0]  # 27 has only 4 trials
    assert all(d.n == 30 for d in each)
    assert analysis_data(study, budget="highest", min_trials=10).budget == 9.0
    assert analysis_data(study, budget="highest", min_trials=1).budget == 27.0
    assert analysis_data(study, budget=3.0).n == 30
    pooled = analysis_data(study, budget="all")
    assert pooled.n == 94 and pooled.budget is None
    with pytest.raises(AnalysisError, match=r"no complete trial has budget 5; budgets: "
                                            r"\[1.0, 3.0, 9.0, 27.0\]"):
        analysis_data(study, budget=5)
    with pytest.raises(TooFewTrialsError) as error:
        analysis_datasets(study, budget="each", min_trials=40, what="fanova")
    assert "at one budget, got at most 30 (trials per budget: 1: 30, 3: 30, 9: 30, 27: 4" in (
        one_line(error))
    with pytest.raises(TooFewTrialsError, match="at budget 27, got 4"):
        analysis_data(study, budget=27, min_trials=10)


def test_restricting_to_trial_numbers(built: Callable[[str], hp.Study]) -> None:
    study = built("constant")
    data = analysis_data(study, trials=range(10, 30))
    assert sorted(data.numbers) == list(range(10, 30))
    with pytest.raises(AnalysisError, match="no trial number 999"):
        analysis_data(study, trials=[1, 999])


def test_the_key_changes_when_another_trial_finishes() -> None:
    study = hp.create_study(space={"x": hp.Float(0, 1)}, storage="memory", optimizer="random",
                            seed=0)
    study.optimize(lambda c: c["x"], n_trials=5, show_progress=False)
    first = analysis_data(study).key
    assert analysis_data(study).key == first
    running = study.ask()
    assert analysis_data(study).key == first  # a running trial changes nothing
    study.tell(running, 0.5)
    second = analysis_data(study).key
    assert second != first
    assert analysis_data(study, budget="highest").key != second
    early, late = study.ask(), study.ask()
    study.tell(late, 0.1)
    third = analysis_data(study).key
    study.tell(early, 0.2)  # finishes after a later trial: the last finished id stays
    assert analysis_data(study).key != third
    data = analysis_data(study)
    assert cache_key("fanova", data, seed=0) == cache_key("fanova", data, seed=0)
    assert cache_key("fanova", data, seed=0) != cache_key("fanova", data, seed=1)
    assert cache_key("lpi", data, incumbent={"x": 0.1}) == cache_key("lpi", data,
                                                                      incumbent={"x": 0.1})
    assert data.subset(np.array([0, 0, 1])).key != data.key
    assert math.isclose(data.subset(np.array([1])).y[0], data.y[1])


def test_studies_of_two_memory_storages_have_different_keys() -> None:
    keys = []
    for slope in (1.0, -1.0):
        study = hp.create_study(space={"x": hp.Float(0, 1)}, storage="memory", name="same",
                                optimizer="random", seed=0)
        study.optimize(lambda c, s=slope: s * c["x"], n_trials=5, show_progress=False)
        keys.append(analysis_data(study).key)
    assert keys[0] != keys[1]
