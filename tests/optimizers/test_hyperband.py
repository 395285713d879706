"""Successive halving and Hyperband: the schedule, promotions, and exact resume."""

from __future__ import annotations

import math
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import hyperpilot as hp
from hyperpilot._pareto import nondominated_ranks
from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers._base import History
from hyperpilot.optimizers._hyperband import (
    bracket_sizes,
    crowding_distances,
    ranked,
    rung_budgets,
)
from hyperpilot.trial._trial import Trial

SPACE = hp.Space({"x": hp.Float(0.0, 1.0), "k": hp.Categorical(["a", "b"])})
EPOCHS = hp.Fidelity("epochs", 1, 27)
# Hyperband with eta=3 on 1..27, bracket by bracket: (budget, configurations) per rung.
PAPER_BRACKETS = [
    [(1, 27), (3, 9), (9, 3), (27, 1)],
    [(3, 12), (9, 4), (27, 1)],
    [(9, 6), (27, 2)],
    [(27, 4)],
]
ONE_ROUND = sum(n for bracket in PAPER_BRACKETS for _, n in bracket)  # 69 trials


def loss(config: dict[str, Any], budget: int) -> float:
    """Better for small x and the choice 'a'; a larger budget lowers every loss."""
    return config["x"] + (0.3 if config["k"] == "b" else 0.0) + 1.0 / budget


def _study(optimizer: Any, **kwargs: Any) -> hp.Study:
    return hp.create_study(space=SPACE, optimizer=optimizer, fidelity=EPOCHS, seed=7,
                           **{"storage": "memory", **kwargs})


def _rungs(study: hp.Study) -> dict[int, list[tuple[int, int]]]:
    """Per bracket: (budget, trials) for each rung, in the order of the budgets."""
    counts = Counter((t.meta["hyperband"]["bracket"], t.budget) for t in study.trials)
    out: dict[int, list[tuple[int, int]]] = {}
    for (bracket, budget), n in sorted(counts.items()):
        out.setdefault(bracket, []).append((int(budget), n))  # type: ignore[arg-type]
    return out


def test_rung_budgets_and_bracket_sizes_follow_the_paper() -> None:
    assert rung_budgets(EPOCHS, 3) == [1, 3, 9, 27]
    assert rung_budgets(hp.Fidelity("epochs", 1, 81), 3) == [1, 3, 9, 27, 81]
    assert rung_budgets(hp.Fidelity("fraction", 0.1, 1.0), 3) == pytest.approx([1 / 9, 1 / 3, 1])
    assert rung_budgets(None, 3) == [None]
    # Li et al. (2018), Table 1 (R = 81, eta = 3).
    assert [bracket_sizes(s, 4, 3) for s in (4, 3, 2, 1, 0)] == [
        [81, 27, 9, 3, 1], [34, 11, 3, 1], [15, 5, 1], [8, 2], [5]]


def test_hyperband_runs_the_documented_brackets_in_turn() -> None:
    study = _study("hyperband")
    study.optimize(loss, n_trials=ONE_ROUND, show_progress=False)
    assert list(_rungs(study).values()) == PAPER_BRACKETS
    assert study.best_trial.budget == 27


def test_promotions_take_the_best_of_the_rung_below() -> None:
    study = _study("hyperband")
    study.optimize(loss, n_trials=27 + 9 + 3 + 1, show_progress=False)
    trials = study.trials
    by_number = {t.number: t for t in trials}
    for rung in (1, 2, 3):
        promoted = [t for t in trials if t.meta["hyperband"]["rung"] == rung]
        below = [t for t in trials if t.meta["hyperband"]["rung"] == rung - 1]
        best = sorted(below, key=lambda t: t.value)[:len(promoted)]  # type: ignore[arg-type, return-value]
        sources = [by_number[t.meta["hyperband"]["from"]] for t in promoted]
        assert sources == best  # best first, each once
        assert all(t.config == s.config for t, s in zip(promoted, sources, strict=True))


def test_failed_trials_are_finished_but_never_promoted() -> None:
    def flaky(config: dict[str, Any], budget: int) -> float:
        if config["x"] < 0.2 and budget == 1:
            raise RuntimeError("diverged")
        return loss(config, budget)

    study = _study("sh")
    study.optimize(flaky, n_trials=27 + 9, show_progress=False, max_consecutive_failures=None)
    first = [t for t in study.trials if t.meta["hyperband"]["bracket"] == 0]
    failed = {t.number for t in first if t.state == hp.TrialState.FAILED}
    assert failed, "the seed gives small x"
    promoted = [t.meta["hyperband"]["from"] for t in first if t.meta["hyperband"]["rung"] == 1]
    assert len(promoted) == 9 and not failed & set(promoted)


def test_successive_halving_repeats_its_bracket_and_can_start_higher() -> None:
    study = _study("sh")
    study.optimize(loss, n_trials=2 * 40, show_progress=False)
    assert list(_rungs(study).values()) == [PAPER_BRACKETS[0]] * 2
    study = _study({"name": "sh", "bracket": 1, "eta": 3})
    study.optimize(loss, n_trials=16, show_progress=False)
    assert list(_rungs(study).values()) == [PAPER_BRACKETS[2]] * 2


def test_a_rung_still_running_starts_the_next_bracket() -> None:
    study = _study("hyperband")
    for _ in range(27):  # all of bracket 0's first rung, one left running
        study.tell(study.ask(), 1.0)
    study.tell(study.ask(), 1.0)  # the first promotion of bracket 0
    held = study.ask()  # the second promotion stays running
    nxt = study.ask()
    assert held.meta["hyperband"] == {"bracket": 0, "s": 3, "rung": 1,
                                      "from": held.meta["hyperband"]["from"]}
    assert (nxt.meta["hyperband"]["bracket"], nxt.budget) == (0, 3)  # rung 1 is not full yet
    for _ in range(7):
        study.tell(study.ask(), 1.0)
    # Rung 1 of bracket 0 is full but one trial runs: bracket 1 starts instead of waiting.
    waiting = study.ask()
    assert (waiting.meta["hyperband"]["bracket"], waiting.budget) == (1, 3)


@pytest.mark.parametrize("name", ["hyperband", "sh", "asha", "bohb"])
def test_a_reopened_study_continues_the_same_schedule(tmp_path: Path, name: str) -> None:
    whole = _study(name)
    whole.optimize(loss, n_trials=50, show_progress=False)
    url = f"sqlite:///{tmp_path / 'hb.db'}"
    first = _study(name, storage=url, name="hb")
    first.optimize(loss, n_trials=31, show_progress=False)  # mid-rung (a bracket's rung 1)
    del first
    again = hp.load_study("hb", storage=url)  # a new Study object, the stored optimizer
    again.optimize(loss, n_trials=19, show_progress=False)
    key = "asha" if name == "asha" else "hyperband"
    assert [(t.config, t.budget, t.meta[key], t.meta.get("bohb")) for t in again.trials] == [
        (t.config, t.budget, t.meta[key], t.meta.get("bohb")) for t in whole.trials]
    assert {t.budget for t in again.trials} >= {1, 3, 9}


def test_without_a_fidelity_it_is_random_search_at_no_budget() -> None:
    study = hp.create_study(space=SPACE, optimizer="hyperband", storage="memory", seed=1)
    study.optimize(lambda c: c["x"], n_trials=5, show_progress=False)
    assert [t.budget for t in study.trials] == [None] * 5
    assert len({t.config["x"] for t in study.trials}) == 5


@pytest.mark.parametrize(("spec", "message"), [
    ({"name": "hyperband", "eta": 1}, "eta must be an integer >= 2, got 1"),
    ({"name": "sh", "eta": 2.5}, "eta must be an integer >= 2, got 2.5"),
    ({"name": "sh", "bracket": -1}, "bracket must be an integer >= 0"),
    ({"name": "hyperband", "brackets": []}, "brackets must be a non-empty list"),
])
def test_bad_settings_are_one_line_errors(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(OptimizerError, match=message) as info:
        hp.make_optimizer(spec)
    assert "\n" not in str(info.value)


# ------------------------------------------------------------ several objectives
def _pareto_study(optimizer: Any, **kwargs: Any) -> hp.Study:
    return hp.create_study(space=SPACE, objectives={"loss": "min", "size": "min"},
                           optimizer=optimizer, fidelity=EPOCHS, seed=7, storage="memory",
                           **kwargs)


def test_several_objectives_promote_by_non_dominated_rank() -> None:
    study = _pareto_study({"name": "sh", "bracket": 1})  # 6 trials at 9 epochs, 2 at 27
    values = [
        {"loss": 0.1, "size": 5.0},  # front, best loss
        {"loss": 0.2, "size": 4.0},  # front, between the others: less crowding distance
        {"loss": 0.15, "size": 6.0},  # second on loss but dominated by trial 0: not promoted
        {"loss": 0.9, "size": 0.1},  # front, best on size only: promoted
        {"loss": 0.5, "size": 7.0},
        {"loss": 0.3, "size": 8.0},
    ]
    first = [study.ask() for _ in values]
    for trial, result in zip(first, values, strict=True):
        study.tell(trial, result)
    promoted = [study.ask() for _ in range(2)]
    assert [t.budget for t in promoted] == [27, 27]
    assert [t.meta["hyperband"]["from"] for t in promoted] == [first[0].number, first[3].number]
    assert study.ask().meta["hyperband"] == {"bracket": 1, "s": 1, "rung": 0}  # next bracket


def test_constraints_come_before_the_front() -> None:
    study = _pareto_study({"name": "sh", "bracket": 1}, constraints={"mem": 1.0})
    values = [
        {"loss": 0.1, "size": 0.1, "mem": 3.0},  # dominates all, but infeasible
        {"loss": 0.5, "size": 0.5, "mem": 0.0},
        {"loss": 0.6, "size": 0.6, "mem": 1.0},  # feasible (at the bound), dominated
        {"loss": 0.2, "size": 0.2, "mem": 2.0},  # infeasible by less than trial 0
        {"loss": 0.7, "size": 0.4, "mem": 0.5},
        {"loss": 0.9, "size": 0.9, "mem": 0.5},
    ]
    first = [study.ask() for _ in values]
    for trial, result in zip(first, values, strict=True):
        study.tell(trial, result)
    history = study.history()
    assert [t.number for t in ranked(history, first)] == [1, 4, 2, 5, 3, 0]
    assert {study.ask().meta["hyperband"]["from"] for _ in range(2)} == {1, 4}


def _dominates(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all(a <= b) and np.any(a < b))


@pytest.mark.parametrize("m", [2, 3])
def test_ranking_hundreds_of_trials_never_puts_a_dominated_one_first(m: int) -> None:
    objectives = [hp.Objective(f"f{k}", "maximize" if k == 1 else "minimize") for k in range(m)]
    rng = np.random.default_rng(m)
    values = rng.integers(0, 12, size=(400, m)).astype(float)  # many ties and duplicates
    trials = [Trial(id=i, study_id=0, number=i, state=hp.TrialState.COMPLETE,
                    config={"x": 0.0, "k": "a"},
                    values={o.name: float(v) for o, v in zip(objectives, row, strict=True)})
              for i, row in enumerate(values)]
    history = History(space=SPACE, objectives=objectives, load=lambda: trials)
    start = time.perf_counter()
    order = [t.number for t in ranked(history, trials)]
    elapsed = time.perf_counter() - start
    assert sorted(order) == list(range(400))
    signs = np.array([o.sign for o in objectives])
    points = values[order] * signs
    fronts = nondominated_ranks(points)
    assert np.all(np.diff(fronts) >= 0)  # front by front
    for i in range(1, len(points)):  # a later trial never dominates an earlier one
        assert not any(_dominates(points[i], points[j]) for j in range(i))
    for k in range(m):  # each front starts with trials at its extremes
        ends = points[fronts == 0][:, k]
        assert ends.min() in points[:2 * m, k] and ends.max() in points[:2 * m, k]
    assert elapsed < 0.5, elapsed


def test_crowding_distances_of_a_front() -> None:
    points = np.array([[0.0, 4.0], [1.0, 3.0], [3.0, 1.0], [4.0, 0.0], [5.0, 5.0]])
    fronts = np.array([0, 0, 0, 0, 1])
    out = crowding_distances(points, fronts)
    # (3 - 0) / 4 + (4 - 1) / 4 for both inner points; the ends and a lone point: inf.
    assert out.tolist() == [math.inf, 1.5, 1.5, math.inf, math.inf]
