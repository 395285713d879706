"""``auto``: the documented rule, the choice kept for the study, and its reasons."""

from __future__ import annotations

import dataclasses
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import hyperpilot as hp
from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers import History, make_optimizer
from hyperpilot.optimizers._auto import AutoOptimizer, choose
from hyperpilot.optimizers._steering import SteeringState
from hyperpilot.trial._objectives import Objective

FIDELITY = hp.Fidelity("epochs", 1, 27)
FLAT = hp.Space({"x": hp.Float(0.0, 1.0), "y": hp.Float(0.0, 1.0)})
WITH_PRIOR = hp.Space({"x": hp.Float(0.0, 1.0, prior=0.3), "y": hp.Float(0.0, 1.0)})


def _history(space: hp.Space = FLAT, *, fidelity: hp.Fidelity | None = None,
             workers: int = 1, steering: SteeringState | None = None) -> History:
    return History(space=space, objectives=[Objective()], fidelity=fidelity,
                   workers=workers, steering=steering)


@pytest.mark.parametrize(("space", "fidelity", "workers", "method", "why"), [
    (FLAT, None, 1, "bo", "the study has no fidelity and no priors"),
    (FLAT, None, 4, "bo", "the study has no fidelity and no priors"),
    (WITH_PRIOR, None, 1, "bo", "the study has no fidelity and priors in the space on x (πBO)"),
    (FLAT, FIDELITY, 1, "bohb", "the study has a fidelity (epochs 1..27), no priors and one "
                                "worker"),
    (FLAT, FIDELITY, 4, "bo-asha", "the study has a fidelity (epochs 1..27), no priors, and 4 "
                                "trials run at once"),
    (WITH_PRIOR, FIDELITY, 4, "priorband-bo", "the study has a fidelity (epochs 1..27) and "
                                           "priors in the space on x"),
])
def test_the_rule_picks_each_documented_method(space: hp.Space, fidelity: hp.Fidelity | None,
                                               workers: int, method: str, why: str) -> None:
    assert choose(_history(space, fidelity=fidelity, workers=workers)) == (method, why)


def test_runtime_priors_count_as_priors_when_the_choice_is_made() -> None:
    # A runtime prior in force at the first proposal: a value and a confidence for "y".
    study = hp.create_study(space=FLAT, fidelity=FIDELITY, seed=1)
    study.set_prior("y", 0.7, confidence="high")
    assert choose(study.history()) == (
        "priorband-bo",
        "the study has a fidelity (epochs 1..27) and priors given at run time on y")


def _objective(config: dict[str, Any], budget: float) -> float:
    return (config["x"] - 0.3) ** 2 + 1.0 / budget


@pytest.mark.parametrize(("space", "executor", "method"), [
    (FLAT, None, "bohb"), (FLAT, 2, "bo-asha"), (WITH_PRIOR, None, "priorband-bo")])
def test_a_study_runs_the_chosen_method_and_logs_why(
        space: hp.Space, executor: int | None, method: str,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hyperpilot")
    study = hp.create_study(space=space, fidelity=FIDELITY, seed=3)
    if executor is None:
        study.optimize(_objective, n_trials=8, show_progress=False)
    else:
        with ThreadPoolExecutor(executor) as pool:
            study.optimize(_objective, n_trials=8, show_progress=False, executor=pool)
    tags = [t.meta["auto"]["chose"] for t in study.trials]
    assert tags == [method] * 8
    # The chosen method's own tags: its schedule runs, not a stand-in.
    key = {"bohb": "hyperband", "bo-asha": "asha", "priorband-bo": "hyperband"}[method]
    assert all(key in t.meta for t in study.trials)
    logged = [r.getMessage() for r in caplog.records if "optimizer auto runs" in r.getMessage()]
    assert logged == [f"optimizer auto runs {method}: {study.trials[0].meta['auto']['why']}"]


def test_the_choice_is_kept_when_the_study_is_reopened_with_other_workers_and_priors(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'auto.db'}"
    study = hp.create_study(space=FLAT, fidelity=FIDELITY, storage=url, name="s", seed=2)
    study.optimize(_objective, n_trials=4, show_progress=False)
    assert {t.meta["auto"]["chose"] for t in study.trials} == {"bohb"}
    again = hp.load_study("s", storage=url)
    again.set_prior("x", 0.3)
    with ThreadPoolExecutor(2) as pool:
        again.optimize(_objective, n_trials=4, show_progress=False, executor=pool)
    assert [t.meta["auto"]["chose"] for t in again.trials] == ["bohb"] * 8
    # The schedule went on: no second bracket 0 was started from scratch.
    brackets = [t.meta["hyperband"]["bracket"] for t in again.trials]
    assert brackets == sorted(brackets)


def test_an_independent_worker_counts_as_several(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    hp.create_study(space=FLAT, fidelity=FIDELITY, storage=url, name="w", seed=4)
    study = hp.run_worker("w", _objective, storage=url, n_trials=3)
    assert study.trials[0].meta["auto"]["chose"] == "bo-asha"


def test_pruning_follows_the_chosen_method() -> None:
    auto = AutoOptimizer()
    assert auto.prunes
    trial = dataclasses.replace(hp.create_study(space=FLAT, fidelity=FIDELITY).ask(),
                                budget=27)
    # bo-asha's (ASHA's) rule: with three others far better at level 1, a trial there is stopped.
    curves = {100 + i: {1: 0.1 * i} for i in range(3)}
    history = History(space=FLAT, objectives=[Objective()], fidelity=FIDELITY, workers=4,
                      curves=lambda: curves)
    assert auto.should_prune(history, trial, {1: 5.0})
    bohb_history = History(space=FLAT, objectives=[Objective()], fidelity=FIDELITY,
                           curves=lambda: curves)
    assert not auto.should_prune(bohb_history, trial, {1: 5.0})


@pytest.mark.parametrize(("options", "message"), [
    ({"tpe": {}}, "auto: options for unknown methods ['tpe']; the methods are "
                  "['bo', 'bo-asha', 'bohb', 'priorband-bo', 'race']"),
    ({"bohb": {"eta": 1}}, "bohb: eta must be an integer >= 2, got 1"),
    ({"bo": {"flavour": 1}}, "auto: bo: "),
    ({"bo": 3}, "auto: options must map method names to argument mappings, got {'bo': 3}"),
])
def test_bad_options_are_one_line_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(OptimizerError) as info:
        make_optimizer({"name": "auto", "options": options})
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_options_reach_the_chosen_method() -> None:
    auto = make_optimizer({"name": "auto", "options": {"bohb": {"eta": 2}}})
    assert auto.to_config() == {"name": "auto", "options": {"bohb": {"eta": 2}}}
    study = hp.create_study(space=FLAT, fidelity=FIDELITY, optimizer=auto, seed=0)
    study.optimize(_objective, n_trials=3, show_progress=False)
    # eta = 2 on 1..27: levels 27 / 2^k rounded (2, 3, 7, 14, 27), the first bracket
    # with four halvings; with the default eta = 3 it would start at 1 with three.
    assert study.trials[0].budget == 2
    assert study.trials[0].meta["hyperband"]["s"] == 4


def test_a_study_with_instances_races() -> None:
    def objective(config: dict[str, Any], instance: str) -> float:
        return config["x"] + {"a": 0.0, "b": 1.0, "c": 2.0}[instance]

    study = hp.create_study(space=FLAT, instances=["a", "b", "c"], seed=5)
    study.optimize(objective, n_trials=6, show_progress=False)
    assert {t.meta["auto"]["chose"] for t in study.trials} == {"race"}
    assert {t.instance for t in study.trials} <= {"a", "b", "c"}
    assert choose(study.history()) == (
        "race", "the study evaluates configurations on instances or seeds")
