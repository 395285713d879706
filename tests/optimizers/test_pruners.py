"""Pruners: median and Wilcoxon stopping with any optimizer, descriptions, settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import hyperpilot as hp
from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers import MedianPruner, Pruned, RandomOptimizer, make_optimizer
from hyperpilot.optimizers._pruners import WilcoxonPruner
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
    ({"name": "random", "pruner": "mean"},
     "unknown pruner 'mean'; available: ['median', 'wilcoxon']"),
    ({"name": "random", "pruner": {"name": "wilcoxon", "p": 1.0}},
     "wilcoxon pruner: p must be a number in (0, 1), got 1.0"),
    ({"name": "random", "pruner": {"name": "wilcoxon", "p": "0.1"}},
     "wilcoxon pruner: p must be a number in (0, 1), got '0.1'"),
    ({"name": "random", "pruner": {"name": "wilcoxon", "min_steps": 0}},
     "wilcoxon pruner: min_steps must be an integer >= 1, got 0"),
    ({"name": "random", "pruner": {"name": "wilcoxon", "min_steps": 2.5}},
     "wilcoxon pruner: min_steps must be an integer >= 1, got 2.5"),
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


def test_median_pruning_works_with_several_objectives() -> None:
    # The curve is the first objective's (maximized here); the second plays no part.
    def two(config: dict[str, Any], trial: hp.Trial) -> dict[str, float]:
        for step in range(1, STEPS + 1):
            trial.report(step, 1 - curve(config["rate"], step))
            if trial.should_stop():
                raise hp.TrialPruned()
        return {"acc": 1 - curve(config["rate"], STEPS), "size": config["rate"]}

    rates = [0.9, 0.5, 0.8, 0.1, 0.95, 0.05]
    study = hp.create_study(space=SPACE, objectives={"acc": "max", "size": "min"}, seed=0,
                            optimizer={"name": "random",
                                       "pruner": {"name": "median", "n_startup": 3}})
    for rate in rates:
        study.enqueue({"rate": rate})
    study.optimize(two, n_trials=len(rates), show_progress=False)
    pruned = {t.config["rate"] for t in study.trials if t.state == TrialState.PRUNED}
    assert pruned == {0.1, 0.05}


# ---------------------------------------------------------------- Wilcoxon
FOLDS = 10
HARDNESS = [0.9, 0.1, 0.5, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6, 0.0]  # very unequal folds


def fold_error(offset: float, fold: int) -> float:
    """A fold's error: its hardness plus the configuration's distinct offset per fold."""
    return HARDNESS[fold] + offset * (1 + fold / 10)


def cross_validate(config: dict[str, Any], trial: hp.Trial) -> float:
    errors = []
    for fold in range(FOLDS):
        errors.append(fold_error(config["rate"], fold))
        trial.report(fold, errors[-1])
        if trial.should_stop():
            raise hp.TrialPruned(f"stopped after fold {fold}")
    return sum(errors) / FOLDS


def _with_best(best: dict[int, float] | None, **kwargs: Any) -> tuple[hp.Study, hp.Trial]:
    """A study whose one complete trial reported *best*, and a running trial to judge."""
    study = hp.create_study(space=SPACE, seed=0, **kwargs)
    if best is not None:
        done = study.ask()
        for step, value in best.items():
            done.report(step, value)
        study.tell(done, sum(best.values()) / len(best))
    return study, study.ask()


BEST = {fold: fold_error(0.0, fold) for fold in range(FOLDS)}


def _worse(by: float, folds: int = FOLDS) -> dict[int, float]:
    return {fold: fold_error(by, fold) for fold in range(folds)}


def test_wilcoxon_stops_a_trial_worse_on_every_fold_once_the_test_is_significant() -> None:
    study, trial = _with_best(BEST)
    pruner, history = WilcoxonPruner(), study.history()
    # Worse on each fold, each by another amount: one-sided exact p = 2**-n for n folds.
    verdicts = [pruner.should_prune(history, trial, _worse(0.01, n)) for n in range(1, FOLDS + 1)]
    assert verdicts == [False] * 3 + [True] * 7  # p = 0.125 at 3 folds, 0.0625 at 4
    assert not WilcoxonPruner(p=0.05).should_prune(history, trial, _worse(0.01, 4))
    assert WilcoxonPruner(p=0.05).should_prune(history, trial, _worse(0.01, 5))  # 0.031


def test_wilcoxon_keeps_a_better_or_equal_trial() -> None:
    study, trial = _with_best(BEST)
    pruner, history = WilcoxonPruner(p=0.5, min_steps=1), study.history()
    assert not pruner.should_prune(history, trial, BEST)  # equal everywhere
    assert not pruner.should_prune(history, trial, _worse(-0.01))  # better everywhere
    # Worse on nine folds by little, much better on the last: the ranks say worse (p =
    # 0.042), the mean says better; a trial not worse on average is kept.
    mixed = {**_worse(0.01, FOLDS - 1), FOLDS - 1: BEST[FOLDS - 1] - 5.0}
    assert not pruner.should_prune(history, trial, mixed)
    assert WilcoxonPruner(p=0.05, min_steps=1).should_prune(
        history, trial, {**mixed, FOLDS - 1: BEST[FOLDS - 1] - 0.05})


def test_wilcoxon_ignores_tied_folds_and_waits_for_min_steps() -> None:
    study, trial = _with_best(BEST)
    history = study.history()
    # Equal on six folds, worse on four: judged on the four (p = 0.0625 < 0.1).
    tied = {**{f: BEST[f] for f in range(6)}, **{f: fold_error(0.01, f) for f in range(6, 10)}}
    assert WilcoxonPruner().should_prune(history, trial, tied)
    assert not WilcoxonPruner().should_prune(history, trial, {f: tied[f] for f in range(9)})
    # Fifty ties and two worse folds: two differences (p = 0.25), not 52 (whose normal
    # approximation would say 0.09).
    many = {f: float(f) for f in range(52)}
    study, trial = _with_best(many)
    assert not WilcoxonPruner().should_prune(study.history(), trial,
                                             {**many, 50: 50.5, 51: 52.0})
    # Never before min_steps paired steps, however clear the case.
    pruner = WilcoxonPruner(min_steps=7)
    assert [pruner.should_prune(history, trial, _worse(1.0, n)) for n in (5, 6, 7)] == [
        False, False, True]


def test_wilcoxon_pairs_steps_and_compares_with_the_best_complete_trial() -> None:
    study, trial = _with_best(None)
    pruner = WilcoxonPruner()
    assert not pruner.should_prune(study.history(), trial, _worse(1.0))  # no best trial yet
    # A worse complete trial, then a better one that stopped early (pruned): the best
    # complete trial is the worse-looking complete one.
    for offset, state in ((0.5, "complete"), (-1.0, "pruned")):
        other = study.ask()
        for fold, value in _worse(offset).items():
            other.report(fold, value)
        if state == "pruned":
            study.tell(other, state="pruned")
        else:
            study.tell(other, sum(_worse(offset).values()) / FOLDS)
    history = study.history()
    assert pruner.best_curve(history, trial) == _worse(0.5)
    assert not pruner.should_prune(history, trial, _worse(0.2))
    assert pruner.should_prune(history, trial, _worse(0.8))
    # Only steps both reported are paired: four even folds of ten.
    assert pruner.should_prune(history, trial, {f: fold_error(0.8, f) for f in (0, 2, 4, 6)})
    assert not pruner.should_prune(history, trial, {f + 0.5: fold_error(0.8, f)
                                                    for f in range(FOLDS)})


def test_wilcoxon_reads_the_first_objectives_direction() -> None:
    scores = {fold: 1 - value for fold, value in BEST.items()}
    study, trial = _with_best(scores, objectives={"acc": "max"})
    history = study.history()
    lower = {fold: 1 - value for fold, value in _worse(0.01).items()}
    higher = {fold: 1 - value for fold, value in _worse(-0.01).items()}
    assert WilcoxonPruner().should_prune(history, trial, lower)
    assert not WilcoxonPruner().should_prune(history, trial, higher)


def test_wilcoxon_pruning_over_folds_in_a_study_keeps_the_curves() -> None:
    offsets = [0.1, 0.4, 0.05, 0.07, 0.6, 0.05]
    study = _study({"name": "wilcoxon", "p": 0.1}, offsets)
    study.optimize(cross_validate, n_trials=len(offsets), show_progress=False)
    states = [(t.config["rate"], t.state, len(t.intermediate)) for t in study.trials]
    assert states == [
        (0.1, TrialState.COMPLETE, FOLDS),
        (0.4, TrialState.PRUNED, 4),  # worse than trial 0 on four folds: p = 0.0625
        (0.05, TrialState.COMPLETE, FOLDS),  # better: the new best
        (0.07, TrialState.PRUNED, 4),  # better than trial 0, worse than trial 2
        (0.6, TrialState.PRUNED, 4),
        (0.05, TrialState.COMPLETE, FOLDS),  # equal to the best: kept
    ]
    pruned = [t for t in study.trials if t.state == TrialState.PRUNED]
    assert all(t.intermediate == _worse(t.config["rate"], 4) for t in pruned)
    assert study.optimizer.to_config()["pruner"] == {"name": "wilcoxon", "p": 0.1,
                                                     "min_steps": 4}
