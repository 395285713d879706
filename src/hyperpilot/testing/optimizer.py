"""The contract every optimizer keeps, as a pytest suite that plugins can reuse.

Subclass :class:`OptimizerContract` in a test module and provide a fixture ``make`` that
returns a fresh optimizer each call::

    class TestMine(OptimizerContract):
        @pytest.fixture
        def make(self):
            return lambda: MyOptimizer(seed=None)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from hyperpilot.optimizers._base import Optimizer
from hyperpilot.optimizers._registry import make_optimizer
from hyperpilot.space._conditions import gt
from hyperpilot.space._fidelity import Fidelity
from hyperpilot.space._params import Categorical, Constant, Float, Int, Ordinal
from hyperpilot.space._space import Space
from hyperpilot.study._study import create_study
from hyperpilot.trial._trial import Trial, TrialState

MakeOptimizer = Callable[[], Optimizer]


def contract_spaces() -> dict[str, Space]:
    """Spaces every optimizer must handle: flat, mixed, conditional, forbidden, prior."""
    return {
        "continuous": Space({"x": Float(-5.0, 5.0), "y": Float(1e-4, 1.0, log=True)}),
        "mixed": Space({
            "lr": Float(1e-5, 1e-1, log=True),
            "layers": Int(1, 8),
            "units": Int(16, 1024, log=True),
            "act": Categorical(["relu", "tanh", "gelu"]),
            "width": Ordinal([32, 64, 128]),
            "fixed": Constant("yes"),
        }),
        "conditional": Space({
            "kernel": Categorical(["rbf", "poly", "linear"]),
            "gamma": Float(1e-4, 10.0, log=True, active_if={"kernel": ["rbf", "poly"]}),
            "degree": Int(2, 5, active_if={"kernel": "poly"}),
            "coef0": Float(0.0, 1.0, active_if={"degree": gt(3)}),
        }),
        "forbidden": Space(
            {"a": Categorical(["x", "y", "z"]), "b": Int(0, 3)},
            forbidden=[{"a": "x", "b": [0, 1, 2]}, {"a": "y", "b": 3}],
        ),
        "prior": Space({
            "x": Float(0.0, 1.0, prior=0.2, confidence="high"),
            "c": Categorical(["a", "b", "c"], prior="c", confidence="high"),
        }),
    }


def _objective(config: dict[str, Any]) -> float:
    return float(sum(hash(str(v)) % 97 for v in config.values()))


class OptimizerContract:
    """Tests that hold for every optimizer; needs a ``make`` fixture (see module doc)."""

    @pytest.fixture(params=sorted(contract_spaces()))
    def space(self, request: pytest.FixtureRequest) -> Space:
        """Each contract space in turn."""
        return contract_spaces()[request.param]

    def test_proposals_are_valid_configurations(self, make: MakeOptimizer, space: Space) -> None:
        """Every proposal validates against its space (conditions, forbidden, types)."""
        study = create_study(space=space, optimizer=make(), storage="memory", seed=3)
        study.optimize(_objective, n_trials=25, show_progress=False)
        for trial in study.trials:
            assert space.validate(trial.config) == trial.config

    def test_seeded_runs_are_identical(self, make: MakeOptimizer, space: Space) -> None:
        """Two runs with one seed propose the same configurations."""
        configs = []
        for _ in range(2):
            study = create_study(space=space, optimizer=make(), storage="memory", seed=11)
            study.optimize(_objective, n_trials=15, show_progress=False)
            configs.append([t.config for t in study.trials])
        assert configs[0] == configs[1]

    def test_other_seeds_differ(self, make: MakeOptimizer) -> None:
        """Different seeds propose different configurations."""
        space = contract_spaces()["continuous"]
        runs = []
        for seed in (1, 2):
            study = create_study(space=space, optimizer=make(), storage="memory", seed=seed)
            study.optimize(_objective, n_trials=5, show_progress=False)
            runs.append([t.config for t in study.trials])
        assert runs[0] != runs[1]

    def test_resume_continues_as_if_uninterrupted(self, make: MakeOptimizer) -> None:
        """A fresh optimizer on a half-done study continues the uninterrupted sequence."""
        space = contract_spaces()["mixed"]
        whole = create_study(space=space, optimizer=make(), storage="memory", seed=5)
        whole.optimize(_objective, n_trials=12, show_progress=False)
        split = create_study(space=space, optimizer=make(), storage="memory", seed=5)
        split.optimize(_objective, n_trials=7, show_progress=False)
        split.optimizer = make()  # a fresh process: the optimizer starts with no state
        split.optimize(_objective, n_trials=5, show_progress=False)
        assert [t.config for t in split.trials] == [t.config for t in whole.trials]

    def test_describes_itself_and_can_be_rebuilt(self, make: MakeOptimizer) -> None:
        """``to_config()`` names the optimizer and, stored as JSON, rebuilds an equal one."""
        optimizer = make()
        config = optimizer.to_config()
        assert config["name"] == optimizer.config_name()
        stored = json.loads(json.dumps(config))  # as a study keeps it
        rebuilt = make_optimizer(stored)
        assert type(rebuilt) is type(optimizer)
        assert rebuilt.to_config() == stored

    def test_budgets_lie_in_the_study_fidelity(self, make: MakeOptimizer) -> None:
        """With a fidelity every trial has a budget in its range, the one the objective got."""
        fidelity = Fidelity("epochs", 1, 27)
        study = create_study(space=contract_spaces()["mixed"], optimizer=make(),
                             storage="memory", seed=2, fidelity=fidelity)
        received: list[float] = []

        def objective(config: dict[str, Any], budget: float) -> float:
            received.append(budget)
            return _objective(config) / budget

        study.optimize(objective, n_trials=20, show_progress=False)
        budgets = [t.budget for t in study.trials]
        assert received == budgets
        assert all(isinstance(b, int) and 1 <= b <= 27 for b in received)
        assert study.best_trial.budget == max(received)
        resumed = create_study(space=contract_spaces()["mixed"], optimizer=make(),
                               storage="memory", seed=2, fidelity=fidelity)
        resumed.optimize(objective, n_trials=12, show_progress=False)
        resumed.optimizer = make()  # a fresh process: the optimizer starts with no state
        resumed.optimize(objective, n_trials=8, show_progress=False)
        assert [(t.config, t.budget) for t in resumed.trials] == [
            (t.config, t.budget) for t in study.trials]

    def test_the_pruning_rule_answers_a_bool_and_the_default_never_prunes(
            self, make: MakeOptimizer) -> None:
        """``trial.should_stop()`` asks ``should_prune``; without a rule it is always False."""
        optimizer = make()
        study = create_study(space=contract_spaces()["mixed"], optimizer=optimizer,
                             storage="memory", seed=4)
        answers: list[bool] = []

        def objective(config: dict[str, Any], trial: Trial) -> float:
            for step in range(3):
                trial.report(step, _objective(config) / (step + 1))
                answers.append(trial.should_stop())
            return _objective(config)

        study.optimize(objective, n_trials=6, show_progress=False)
        trial = study.trials[-1]
        answer = optimizer.should_prune(study.history(), trial, trial.intermediate)
        assert all(type(a) is bool for a in answers) and isinstance(answer, bool)
        if not optimizer.prunes:
            assert answers == [False] * 18 and answer is False
            assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 6
            assert all(len(t.intermediate) == 3 for t in study.trials)
