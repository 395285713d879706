"""ASHA: asynchronous promotions, the rung pruning rule, parallel workers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hyperpilot as hp
from hyperpilot.optimizers._asha import ASHA, value_at
from hyperpilot.trial._trial import Trial

SPACE = hp.Space({"x": hp.Float(0.0, 1.0)})
EPOCHS = hp.Fidelity("epochs", 1, 9)


def loss(config: dict[str, Any], budget: int) -> float:
    """Smaller x is better at every budget."""
    return config["x"] + 1.0 / budget


def _study(**kwargs: Any) -> hp.Study:
    return hp.create_study(space=SPACE, optimizer=kwargs.pop("optimizer", "asha"),
                           fidelity=EPOCHS, seed=3, **{"storage": "memory", **kwargs})


def test_promotes_as_soon_as_a_rung_has_eta_results_and_only_the_best() -> None:
    study = _study()
    done = [study.ask() for _ in range(3)]
    assert [t.budget for t in done] == [1, 1, 1]
    values = [0.5, 0.1, 0.9]
    for trial, value in zip(done, values, strict=True):
        study.tell(trial, value)
    promoted = study.ask()  # 3 finished at rung 0: floor(3 / 3) = 1 promotion, the best
    assert promoted.budget == 3 and promoted.config == done[1].config
    assert promoted.meta["asha"] == {"rung": 1, "from": done[1].number}
    fresh = study.ask()  # nothing else to promote: a new configuration at the lowest budget
    assert fresh.budget == 1 and fresh.meta["asha"] == {"rung": 0}


def test_running_trials_do_not_block_and_failures_are_never_promoted() -> None:
    study = _study()
    trials = [study.ask() for _ in range(6)]
    study.tell(trials[0], state="failed", error="diverged")
    for trial in trials[1:3]:
        study.tell(trial, 0.2)
    # Three finished (one failed), three still running: one promotion, never the failure.
    promoted = study.ask()
    assert promoted.meta["asha"]["from"] == trials[1].number


def test_a_study_run_by_two_workers_reaches_the_top_rung(tmp_path: Path) -> None:
    study = _study(storage=f"sqlite:///{tmp_path / 'asha.db'}", name="asha")
    study.optimize(loss, n_trials=30, n_workers=2, show_progress=False)
    trials = study.trials
    assert all(t.state == hp.TrialState.COMPLETE for t in trials)
    budgets = {t.budget for t in trials}
    assert budgets == {1, 3, 9}
    for trial in trials:  # every promotion comes from a finished trial of the rung below
        source = trial.meta["asha"].get("from")
        if source is not None:
            below = trials[source]
            assert below.config == trial.config and below.budget * 3 == trial.budget
    assert study.best_trial.budget == 9


def test_value_at_a_level_is_the_last_value_not_past_it() -> None:
    assert value_at({0: 5.0, 1: 4.0, 2: 3.0}, 1) == 4.0
    assert value_at({0: 5.0, 2: 3.0}, 1) == 5.0
    assert value_at({0: 5.0}, 1) is None  # not reached yet
    assert value_at({2: 3.0}, 1) is None  # first step already past the level


def train(config: dict[str, Any], trial: Trial) -> float:
    """A single 9-epoch run reporting each epoch; worse for larger x."""
    value = 0.0
    for epoch in range(1, 10):
        value = config["x"] + 1.0 / epoch
        trial.report(epoch, value)
        if trial.should_stop():
            raise hp.TrialPruned(f"stopped at epoch {epoch}")
    return value


def test_the_pruning_rule_stops_runs_outside_the_top_third_of_a_rung() -> None:
    study = _study(optimizer="random")  # full-budget runs that are never stopped
    asha = ASHA()
    study.optimize(train, n_trials=12, show_progress=False)
    # Replay the rule at epoch 3 (a rung level) over the stored curves.
    history = study.history()
    curves = history.intermediate
    for trial in study.trials:
        others = [c[3] for tid, c in curves.items() if tid != trial.id]
        verdict = asha.should_prune(history, trial, {s: v for s, v in curves[trial.id].items()
                                                     if s <= 3})
        rank = sorted([*others, curves[trial.id][3]]).index(curves[trial.id][3])
        assert verdict == (rank >= len(curves) // 3)


def test_single_runs_are_pruned_in_a_study_and_keep_their_curves() -> None:
    study = _study()
    # Every trial gets the full budget (enqueued), ASHA's rule decides when each stops.
    for x in (0.1, 0.9, 0.5, 0.8, 0.7, 0.2):
        study.enqueue({"x": x}, budget=9)
    study.optimize(train, n_trials=6, show_progress=False)
    # Epoch 1 (level 1): 0.9 meets only 0.1 (fewer than eta values: no verdict); 0.5, 0.8
    # and 0.7 are outside the best third; 0.2 is second of six (the best two stay). Epoch 3
    # (level 3): 0.2 meets 0.1 and 0.9 and is not the best of three.
    stopped = {t.config["x"]: max(t.intermediate) for t in study.trials
               if t.state == hp.TrialState.PRUNED}
    assert stopped == {0.5: 1, 0.8: 1, 0.7: 1, 0.2: 3}
    assert [t.config["x"] for t in study.trials if t.state == hp.TrialState.COMPLETE] == [0.1, 0.9]
    assert all(len(t.intermediate) == 9 for t in study.trials if t.config["x"] in (0.1, 0.9))
    assert not ASHA(prune=False).prunes


def test_pruning_works_across_worker_processes(tmp_path: Path) -> None:
    study = _study(storage=f"sqlite:///{tmp_path / 'prune.db'}", name="prune")
    for x in (0.1, 0.9, 0.5, 0.8, 0.7, 0.6, 0.95, 0.85):
        study.enqueue({"x": x}, budget=9)
    # Pool workers store each value and ask a copy of ASHA over the stored curves.
    study.optimize(train, n_trials=8, n_workers=2, show_progress=False)
    trials = study.trials
    pruned = [t for t in trials if t.state == hp.TrialState.PRUNED]
    assert pruned, [t.state for t in trials]
    # Stopped after passing a level (1 or 3) and before the last level, curves kept.
    assert all(1 <= max(t.intermediate) < 9 and len(t.intermediate) == max(t.intermediate)
               for t in pruned)
    assert next(t for t in trials if t.config["x"] == 0.1).state == hp.TrialState.COMPLETE


def test_several_objectives_promote_the_pareto_front_of_a_rung() -> None:
    study = hp.create_study(space=SPACE, objectives={"loss": "min", "size": "min"},
                            optimizer="asha", fidelity=EPOCHS, seed=3, storage="memory")
    values = [
        {"loss": 0.2, "size": 0.8},  # front
        {"loss": 0.3, "size": 0.9},  # second on loss, dominated by trial 0
        {"loss": 0.9, "size": 0.1},  # best on size only: front
        {"loss": 0.5, "size": 0.95},
        {"loss": 0.35, "size": 0.85},  # dominated by trial 0
        {"loss": 0.8, "size": 0.9},
    ]
    first = [study.ask() for _ in values]
    for trial, result in zip(first, values, strict=True):
        study.tell(trial, result)
    # Six finished at rung 0: two promotions, the two trials of the front.
    promoted = [study.ask() for _ in range(2)]
    assert [t.meta["asha"] for t in promoted] == [
        {"rung": 1, "from": first[0].number}, {"rung": 1, "from": first[2].number}]
    assert study.ask().meta["asha"] == {"rung": 0}


def test_the_pruning_rule_reads_the_first_objective_with_several() -> None:
    study = hp.create_study(space=SPACE, objectives={"acc": "max", "size": "min"},
                            optimizer="asha", fidelity=EPOCHS, seed=3, storage="memory")

    def accuracy(config: dict[str, Any], trial: Trial) -> dict[str, float]:
        for epoch in range(1, 10):
            trial.report(epoch, 1 - config["x"] - 1.0 / epoch)  # higher is better
            if trial.should_stop():
                raise hp.TrialPruned()
        return {"acc": 1 - config["x"], "size": config["x"]}

    for x in (0.1, 0.9, 0.5, 0.8, 0.7, 0.2):
        study.enqueue({"x": x}, budget=9)
    study.optimize(accuracy, n_trials=6, show_progress=False)
    # As in the single-objective case above, with the values' order reversed twice.
    stopped = {t.config["x"]: max(t.intermediate) for t in study.trials
               if t.state == hp.TrialState.PRUNED}
    assert stopped == {0.5: 1, 0.8: 1, 0.7: 1, 0.2: 3}
