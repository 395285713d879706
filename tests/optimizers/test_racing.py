"""Racing over instances and seeds: the intensification rule, resume, and the issue's problem."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import hyperpilot as hp
from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers._base import History
from hyperpilot.optimizers._racing import Racing, replay
from hyperpilot.space._instances import Instances
from hyperpilot.trial._objectives import parse_objectives
from hyperpilot.trial._trial import Trial, TrialState

INSTANCES = [f"i{j}" for j in range(6)]
HARDNESS = {name: 1.0 + 3.0 * j for j, name in enumerate(INSTANCES)}


def _slots(study: hp.Study) -> dict[int, list[Trial]]:
    out: dict[int, list[Trial]] = {}
    for trial in study.trials:
        out.setdefault(trial.meta["race"]["slot"], []).append(trial)
    return out


def test_the_algorithm_configuration_problem_is_solved_with_fewer_runs() -> None:
    """THE issue's test: 40 configurations, 15 instances of different cost, one truly best.

    The race must name the configuration with the best mean over all instances, after
    fewer runs than evaluating every configuration on every instance.
    """
    n_configs, n_instances = 40, 15
    rng = np.random.default_rng(1)
    hardness = np.exp(rng.uniform(0.0, np.log(10.0), n_instances))  # 1x to 10x the cost
    quality = 0.05 * np.abs(np.arange(n_configs) - 27)
    noise = rng.normal(0.0, 0.05, (n_configs, n_instances))  # per-instance luck
    cost = hardness[None, :] * (1.0 + quality[:, None] + noise)
    truly_best = int(cost.mean(axis=1).argmin())
    # On single instances the best configuration often loses: racing has to look further.
    assert (cost[truly_best] > cost[truly_best + 1]).any()
    names = [f"inst{j:02d}" for j in range(n_instances)]

    def objective(config: dict[str, Any], instance: str) -> float:
        return float(cost[config["c"], names.index(instance)])

    study = hp.create_study(space={"c": hp.Int(0, n_configs - 1)}, optimizer="race",
                            instances=names, seed=0)
    study.optimize(objective, n_trials=120, show_progress=False)
    race_runs = len(study.trials)
    exhaustive_runs = n_configs * n_instances
    print(f"race: {race_runs} instance runs; every configuration on every instance: "
          f"{exhaustive_runs}")
    assert study.best_params == {"c": truly_best}
    assert study.configuration_mean(study.best_trial).pairs == n_instances
    assert study.best_value == pytest.approx(cost[truly_best].mean())
    assert race_runs < exhaustive_runs / 4
    # Most configurations were dropped after few runs.
    runs = Counter(t.config["c"] for t in study.trials)
    assert len(runs) >= 25 and sorted(runs.values())[len(runs) // 2] <= 2


def _ordered(config: dict[str, Any], instance: str) -> float:
    """Lower c is better on every instance; instances differ in cost."""
    return config["c"] + HARDNESS[instance]


def test_worse_challengers_are_dropped_after_one_run_better_ones_take_over() -> None:
    study = hp.create_study(space={"c": hp.Int(0, 30)}, optimizer="race",
                            instances=INSTANCES, seed=3)
    study.optimize(_ordered, n_trials=60, show_progress=False)
    state = replay(study.history())
    slots = _slots(study)
    assert state.dropped and state.retired
    for slot in state.dropped:  # worse on every pair: dropped at its first one
        assert len(slots[slot]) == 1
    winners = sorted(state.retired | {state.incumbent})  # promoted in slot order
    assert [slots[s][0].config["c"] for s in winners] == sorted(
        (slots[s][0].config["c"] for s in winners), reverse=True)
    incumbent = slots[state.incumbent]
    assert incumbent[0].config["c"] == min(t.config["c"] for t in study.trials)
    assert study.best_params == incumbent[0].config
    # A promoted challenger ran on the incumbent's pairs only, each once.
    for slot in state.retired | {state.incumbent}:
        pairs = [t.instance for t in slots[slot]]
        assert len(pairs) == len(set(pairs))


def _history(runs: list[tuple[int, int, str, float | None]]) -> History:
    """A history of race trials ``(slot, c, instance, cost)``; cost None: still running."""
    trials = [Trial(id=n, number=n, study_id=0, config={"c": c}, instance=instance,
                    state=TrialState.RUNNING if cost is None else TrialState.COMPLETE,
                    values=None if cost is None else {"value": cost},
                    meta={"race": {"slot": slot}})
              for n, (slot, c, instance, cost) in enumerate(runs)]
    return History(space=hp.Space({"c": hp.Int(0, 9)}), objectives=parse_objectives("minimize"),
                   load=lambda: trials, instances=Instances.declare(INSTANCES))


def test_challengers_run_in_stages_of_1_2_4_on_the_incumbents_pairs() -> None:
    incumbent = [(0, 5, name, 10.0 + j) for j, name in enumerate(INSTANCES)]  # 6 pairs
    better = [(1, 0, name, 1.0 + j) for j, name in enumerate(INSTANCES)]
    race = Racing()

    def next_run(runs: list[tuple[int, int, str, float | None]]) -> tuple[int, str | None]:
        proposal = race.ask(_history(runs))
        return proposal.meta["race"]["slot"], proposal.instance

    # After 1 pair the challenger goes on to 2; after 2, to 4 (two at once may run).
    slot, pair = next_run(incumbent + better[:1])
    assert slot == 1 and pair in INSTANCES
    assert next_run(incumbent + better[:2])[0] == 1
    assert next_run(incumbent + better[:2] + [(1, 0, better[2][2], None)])[0] == 1
    # Its stage (2 done, 2 running) is all running: the race moves on to someone else.
    running = [(1, 0, better[k][2], None) for k in (2, 3)]
    assert next_run(incumbent + better[:2] + running)[0] != 1
    # After 4 pairs the last stage is the incumbent's 6 pairs; covering them promotes.
    assert next_run(incumbent + better[:4])[0] == 1
    state = replay(_history(incumbent + better))
    assert state.incumbent == 1 and state.retired == {0}
    # Worse at a stage's end (mean over 2 shared pairs): dropped, though better at 1.
    worse = [(1, 0, INSTANCES[0], 9.0), (1, 0, INSTANCES[1], 14.0)]
    assert replay(_history(incumbent + worse[:1])).dropped == set()
    assert replay(_history(incumbent + worse)).dropped == {1}
    # A tie loses.
    tie = [(1, 0, INSTANCES[2], 12.0)]
    assert replay(_history(incumbent + tie)).dropped == {1}


def test_the_incumbent_earns_one_pair_per_decided_challenger() -> None:
    start = [(0, 5, INSTANCES[0], 10.0)]
    race = Racing()
    # Nothing decided yet: the incumbent already has its one pair, a new challenger comes.
    assert race.ask(_history(start)).meta["race"] == {"slot": 1, "role": "new"}
    dropped = [*start, (1, 7, INSTANCES[0], 12.0)]
    proposal = race.ask(_history(dropped))
    assert proposal.meta["race"] == {"slot": 0, "role": "incumbent"}
    assert proposal.instance == INSTANCES[1] and proposal.config == {"c": 5}


def test_a_failed_run_drops_the_challenger() -> None:
    def objective(config: dict[str, Any], instance: str) -> float:
        if config["c"] % 2:
            raise RuntimeError("crashed")
        return _ordered(config, instance)

    study = hp.create_study(space={"c": hp.Int(0, 30)}, optimizer="race",
                            instances=INSTANCES, seed=1)
    study.optimize(objective, n_trials=25, show_progress=False, max_consecutive_failures=None)
    state = replay(study.history())
    for slot, trials in _slots(study).items():
        if trials[0].config["c"] % 2 and slot != state.incumbent:
            assert slot in state.dropped and len(trials) == 1
    assert study.best_params["c"] % 2 == 0


def test_max_pairs_caps_the_incumbent() -> None:
    study = hp.create_study(space={"c": hp.Int(0, 30)}, seed=2, instances=INSTANCES,
                            seeds=2, optimizer={"name": "race", "max_pairs": 3})
    study.optimize(_ordered, n_trials=40, show_progress=False)
    state = replay(study.history())
    assert len(state.racers[state.incumbent].costs) == 3
    assert max(Counter(t.meta["race"]["slot"] for t in study.trials).values()) <= 3
    # The first three pairs: every instance with seed 0 comes before any with seed 1.
    assert {(t.instance, t.seed) for t in study.trials} <= {(i, 0) for i in INSTANCES[:3]}


def test_a_used_up_space_gives_the_incumbent_more_pairs_before_racing_repeats() -> None:
    study = hp.create_study(space={"c": hp.Int(0, 3)}, optimizer="race", seed=0,
                            instances=INSTANCES)
    study.optimize(_ordered, n_trials=24, show_progress=False)
    slots = _slots(study)
    firsts = {}
    for slot, trials in sorted(slots.items()):
        firsts.setdefault(trials[0].config["c"], slot)
    repeats = [trials[0].number for slot, trials in slots.items()
               if firsts[trials[0].config["c"]] != slot]
    best = slots[firsts[0]]
    assert len({t.instance for t in best}) == len(INSTANCES)
    assert repeats and min(repeats) > max(t.number for t in best[:len(INSTANCES)])


def test_a_reopened_study_continues_the_same_race(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'race.db'}"

    def objective(config: dict[str, Any], instance: str, seed: int) -> float:
        return _ordered(config, instance) + 0.1 * seed

    def run(name: str, stops: list[int]) -> list[tuple[Any, ...]]:
        done = 0
        for stop in stops:
            study = hp.create_study(space={"c": hp.Int(0, 30)}, optimizer="race", seed=4,
                                    storage=url, name=name, instances=INSTANCES[:3],
                                    seeds=[7, 9], load_if_exists=True)
            study.optimize(objective, n_trials=stop - done, show_progress=False)
            done = stop
        return [(t.config["c"], t.instance, t.seed, t.meta["race"]) for t in study.trials]

    assert run("once", [24]) == run("twice", [9, 17, 24])


def test_two_workers_share_one_race(tmp_path: Path) -> None:
    study = hp.create_study(space={"c": hp.Int(0, 30)}, optimizer="race", seed=6,
                            instances=INSTANCES, storage=f"sqlite:///{tmp_path / 'r.db'}",
                            name="race")
    study.optimize(_ordered, n_trials=30, n_workers=2, show_progress=False)
    trials = study.trials
    assert all(t.state == hp.TrialState.COMPLETE for t in trials)
    runs = Counter((t.meta["race"]["slot"], t.instance) for t in trials)
    assert max(runs.values()) == 1  # no configuration ran twice on one pair
    state = replay(study.history())
    incumbent = state.racers[state.incumbent]
    assert study.best_params == incumbent.first.config
    best = incumbent.first.config["c"]
    assert state.dropped
    assert all(state.racers[s].first.config["c"] >= best for s in state.dropped)
    assert all(state.racers[s].first.config["c"] > best for s in state.retired)


def test_without_instances_it_proposes_what_bo_proposes() -> None:
    space = {"x": hp.Float(-2.0, 2.0), "y": hp.Float(-2.0, 2.0)}

    def objective(config: dict[str, Any]) -> float:
        return (config["x"] - 0.3) ** 2 + (config["y"] + 0.5) ** 2

    configs = []
    for optimizer in ("race", "bo"):
        study = hp.create_study(space=space, optimizer=optimizer, seed=5)
        study.optimize(objective, n_trials=10, show_progress=False)
        configs.append([t.config for t in study.trials])
        assert all(t.instance is None and t.seed is None for t in study.trials)
    assert configs[0] == configs[1]


def test_bad_settings_are_one_line_errors() -> None:
    for kwargs, text in (({"max_pairs": 0}, "max_pairs must be an integer >= 1"),
                         ({"bo": "gp"}, "bo must be a mapping"),
                         ({"bo": {"nope": 1}}, "race: bo:")):
        with pytest.raises(OptimizerError, match=text) as info:
            Racing(**kwargs)
        assert "\n" not in str(info.value)
    assert Racing(max_pairs=4).to_config() == {"name": "race", "max_pairs": 4, "bo": None}
