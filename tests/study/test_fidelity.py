"""Budgets as part of a study: the fidelity, what the objective receives, the incumbent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import hyperpilot as hp
from hyperpilot.exceptions import BudgetError, SpaceError, StudyMismatchError
from hyperpilot.trial._trial import Trial

SPACE = hp.Space({"x": hp.Float(0.0, 1.0)})


def _one_line(exc: pytest.ExceptionInfo[Exception]) -> str:
    assert "\n" not in str(exc.value)
    return str(exc.value)


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    (("epochs", 9, 9), {}, "fidelity 'epochs': min must be below max, got min=9, max=9"),
    (("epochs", 27, 1), {}, "min must be below max, got min=27, max=1"),
    (("frac", 0.0, 1.0), {}, "fidelity 'frac': min must be > 0"),
    (("epochs", 1, float("inf")), {}, "max must be a finite number, got inf"),
    (("", 1, 2), {}, "fidelity name must be a non-empty string"),
])
def test_a_bad_fidelity_is_a_one_line_space_error(args: tuple[Any, ...],
                                                  kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(SpaceError) as info:
        hp.Fidelity(*args, **kwargs)
    assert message in _one_line(info)


def test_the_objective_receives_budgets_and_the_incumbent_is_at_the_highest() -> None:
    study = hp.create_study(space=SPACE, optimizer="hyperband", storage="memory", seed=0,
                            fidelity=hp.Fidelity("epochs", 1, 9, log=True))
    got: list[tuple[Any, Any]] = []

    def objective(config: dict[str, Any], budget: int, trial: Trial) -> float:
        got.append((budget, trial.budget))
        return config["x"] + 10.0 / budget  # low budgets look worse, never better

    study.optimize(objective, n_trials=9 + 3 + 1, show_progress=False)
    assert [b for b, _ in got] == [t.budget for t in study.trials]
    assert all(b == tb and type(b) is int for b, tb in got)
    assert sorted({b for b, _ in got}) == [1, 3, 9]
    assert study.best_trial.budget == 9 and study.best_trials == [study.best_trial]
    # A lower budget with a better value still does not win once a higher one completed.
    trial = study.ask()
    study.tell(trial, -100.0)
    assert study.best_trial.budget == 9


def test_a_single_fidelity_optimizer_runs_at_the_full_budget() -> None:
    study = hp.create_study(space=SPACE, optimizer="random", storage="memory", seed=0,
                            fidelity=hp.Fidelity("fraction", 0.1, 1.0))
    study.optimize(lambda c, budget: c["x"] * budget, n_trials=3, show_progress=False)
    assert [t.budget for t in study.trials] == [1.0] * 3


def test_enqueue_checks_the_budget() -> None:
    study = hp.create_study(space=SPACE, optimizer="random", storage="memory", seed=0,
                            fidelity=hp.Fidelity("epochs", 1, 27))
    assert study.enqueue({"x": 0.5}, budget=3).budget == 3
    assert study.enqueue({"x": 0.5}).budget == 27  # the full budget by default
    with pytest.raises(BudgetError) as info:
        study.enqueue({"x": 0.5}, budget=81)
    assert _one_line(info) == ("enqueue() got budget 81 lies outside fidelity 'epochs''s "
                               "range [1, 27]")
    plain = hp.create_study(space=SPACE, optimizer="random", storage="memory", seed=0)
    with pytest.raises(BudgetError) as info:
        plain.enqueue({"x": 0.5}, budget=3)
    assert "has no fidelity, so a trial cannot have a budget" in _one_line(info)


class _Proposes(hp.Optimizer):
    """Proposes a fixed budget, to see the study refuse a wrong one."""

    name = "fixed-budget"

    def __init__(self, *, budget: float) -> None:
        self.budget = budget

    def _ask(self, history: hp.History) -> hp.Proposal:
        return hp.Proposal({"x": 0.5}, budget=self.budget)


def test_a_proposal_outside_the_fidelity_is_refused() -> None:
    study = hp.create_study(space=SPACE, optimizer=_Proposes(budget=100), storage="memory",
                            seed=0, fidelity=hp.Fidelity("epochs", 1, 27))
    with pytest.raises(BudgetError) as info:
        study.ask()
    assert "optimizer 'fixed-budget' proposed budget 100 lies outside" in _one_line(info)
    plain = hp.create_study(space=SPACE, optimizer=_Proposes(budget=3), storage="memory", seed=0)
    with pytest.raises(BudgetError, match="has no fidelity"):
        plain.ask()
    assert study.trials == [] and plain.trials == []


def test_a_reopened_study_knows_its_fidelity_and_refuses_another(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'f.db'}"
    epochs = hp.Fidelity("epochs", 1, 27, log=True)
    hp.create_study(space=SPACE, storage=url, name="mf", fidelity=epochs, optimizer="sh")
    assert hp.load_study("mf", storage=url).fidelity == epochs
    again = hp.create_study(space=SPACE, storage=url, name="mf", fidelity=epochs,
                            load_if_exists=True)
    assert again.fidelity == epochs
    with pytest.raises(StudyMismatchError) as info:
        hp.create_study(space=SPACE, storage=url, name="mf", load_if_exists=True)
    assert "exists with fidelity {'name': 'epochs'" in _one_line(info)
    assert "but None was given" in str(info.value)


def test_bo_counts_only_full_budget_trials_as_taken() -> None:
    space = hp.Space({"k": hp.Categorical(["a", "b", "c", "d"])})
    study = hp.create_study(space=space, optimizer="bo", storage="memory", seed=0,
                            fidelity=hp.Fidelity("epochs", 1, 9))
    for choice in "abcd":
        study.enqueue({"k": choice}, budget=1)
    study.optimize(lambda c, budget: "abcd".index(c["k"]) + 1.0 / budget, n_trials=8,
                   show_progress=False)
    full = [t.config["k"] for t in study.trials if t.budget == 9]
    # Tried at budget 1 is not taken at budget 9: four full-budget trials, no repeat
    # (counting every budget as taken, BO repeated 'c' here).
    assert sorted(full) == ["a", "b", "c", "d"]
    assert study.best_trial.config == {"k": "a"} and study.best_trial.budget == 9


def test_budgets_read_back_in_the_fidelitys_type(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'typed.db'}"
    study = hp.create_study(space={"x": hp.Float(0.0, 1.0)}, storage=url, name="typed",
                            fidelity=hp.Fidelity("epochs", 1, 9), optimizer="hyperband")
    study.optimize(lambda config, budget: config["x"] / budget, n_trials=3,
                   show_progress=False)
    again = hp.load_study("typed", storage=url)
    for trials in (again.trials, again.get_trials(), [again.best_trial]):
        assert all(type(t.budget) is int for t in trials), [t.budget for t in trials]
    fractions = hp.create_study(space={"x": hp.Float(0.0, 1.0)},
                                fidelity=hp.Fidelity("fraction", 0.1, 1.0))
    fractions.optimize(lambda config, budget: budget, n_trials=1, show_progress=False)
    assert type(fractions.trials[0].budget) is float
