"""Pruners: median stopping with any optimizer, its description and its settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import hyperpilot as hp
from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers import MedianPruner, Pruned, RandomOptimizer, make_optimizer
from hyperpilot.trial._trial import TrialState

SPACE = hp.Space({"rate": hp.Float(0.0, 1.0)})
STEPS = 10


def curve(rate: float, step: int) -> float:
    """A loss that falls with the steps, faster for a larger rate (bad runs: small rates)."""
    return 1.0 / (1.0 + rate * step)


def train(config: dict[str, Any], trial: hp.Trial) -> float:
    for step in range(1, STEPS + 1):
        trial.report(step, curve(config["rate"], step))
        if trial.should_stop():
            raise hp.TrialPruned(f"stopped at step {step}")
    return curve(config["rate"], STEPS)


def _study(pruner: Any, rates: list[float], *, storage: str = "memory",
           direction: str = "minimize", **kwargs: Any) -> hp.Study:
    study = hp.create_study(space=SPACE, objectives=direction, storage=storage, seed=0,
                            optimizer={"name": "random", "pruner": pruner}, **kwargs)
    for rate in rates:
        study.enqueue({"rate": rate})
    return study


def test_runs_worse_than_the_median_are_stopped_and_keep_their_curves() -> None:
    rates = [0.9, 0.5, 0.8, 0.1, 0.95, 0.05, 0.7]
    study = _study({"name": "median", "n_startup": 3}, rates)
    study.optimize(train, n_trials=len(rates), show_progress=False)
    states = {t.config["rate"]: t.state for t in study.trials}
    assert states == {0.9: TrialState.COMPLETE, 0.5: TrialState.COMPLETE,
                      0.8: TrialState.COMPLETE, 0.1: TrialState.PRUNED,
                      0.95: TrialState.COMPLETE, 0.05: TrialState.PRUNED,
                      0.7: TrialState.PRUNED}
    for trial in study.trials:
        if trial.state == TrialState.PRUNED:
            # Stopped at the first step (worse than the median from the start), curve kept.
            assert trial.intermediate == {1: curve(trial.config["rate"], 1)}
        else:
            assert len(trial.intermediate) == STEPS


def test_it_waits_for_n_startup_complete_trials_and_n_warmup_steps() -> None:
    rates = [0.9, 0.1, 0.8, 0.05]
    study = _study({"name": "median", "n_startup": 2, "n_warmup": 4}, rates)
    study.optimize(train, n_trials=len(rates), show_progress=False)
    trials = study.trials
    assert [t.state for t in trials[:3]] == [TrialState.COMPLETE] * 3  # only one complete
    assert trials[3].state == TrialState.PRUNED
    assert max(trials[3].intermediate) == 4  # not before the warm-up steps


def test_it_reads_values_in_the_objectives_direction() -> None:
    def gain(config: dict[str, Any], trial: hp.Trial) -> float:
        for step in range(1, STEPS + 1):
            trial.report(step, curve(config["rate"], step))
            if trial.should_stop():
                raise hp.TrialPruned()
        return curve(config["rate"], STEPS)

    rates = [0.1, 0.2, 0.15, 0.9]  # maximized: a large rate is now the bad run
    study = _study({"name": "median", "n_startup": 3}, rates, direction="maximize")
    study.optimize(gain, n_trials=len(rates), show_progress=False)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3 + [TrialState.PRUNED]


def test_the_pruner_is_stored_with_the_study(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    study = _study("median", [], storage=url, name="p")
    assert study.optimizer.to_config() == {
        **RandomOptimizer().to_config(), "pruner": {"name": "median", "n_startup": 5,
                                                    "n_warmup": 0}}
    again = hp.load_study("p", storage=url)
    assert isinstance(again.optimizer, Pruned) and again.optimizer.prunes
    assert again.optimizer.to_config() == study.optimizer.to_config()


def test_an_optimizers_own_rule_still_holds() -> None:
    asha = make_optimizer({"name": "asha", "eta": 3, "pruner": "median"})
    assert isinstance(asha, Pruned) and asha.optimizer.name == "asha"
    wrapped = Pruned(optimizer=RandomOptimizer(), pruner=MedianPruner(n_startup=1))
    assert wrapped.prunes and not wrapped.optimizer.prunes


@pytest.mark.parametrize(("spec", "message"), [
    ({"name": "random", "pruner": "mean"}, "unknown pruner 'mean'; available: ['median']"),
    ({"name": "random", "pruner": {"name": "median", "n_startup": 0}},
     "n_startup must be an integer >= 1, got 0"),
    ({"name": "random", "pruner": {"name": "median", "n_warmup": -1}},
     "n_warmup must be a number >= 0, got -1"),
    ({"name": "random", "pruner": {"name": "median", "patience": 2}}, "pruner 'median':"),
    ({"name": "random", "pruner": 3}, "pruner must be a name, a mapping"),
])
def test_bad_settings_are_one_line_errors(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(OptimizerError) as info:
        make_optimizer(spec)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_median_pruning_works_across_worker_processes(tmp_path: Path) -> None:
    # The pool may run trials in any order: the good runs are alike, so none of them is
    # ever worse than a median, whichever trials have completed.
    rates = [0.9, 0.9, 0.9, 0.05, 0.1, 0.02, 0.03, 0.04]
    study = _study({"name": "median", "n_startup": 2}, rates,
                   storage=f"sqlite:///{tmp_path / 'median.db'}", name="median")
    # Pool workers store each value and ask a copy of the wrapped optimizer and its pruner.
    study.optimize(train, n_trials=len(rates), n_workers=2, show_progress=False)
    pruned = [t for t in study.trials if t.state == TrialState.PRUNED]
    assert pruned and all(t.config["rate"] < 0.5 for t in pruned)
    assert all(len(t.intermediate) == max(t.intermediate) < STEPS for t in pruned)
    assert all(t.state == TrialState.COMPLETE for t in study.trials if t.config["rate"] > 0.5)
