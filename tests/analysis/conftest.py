"""Studies of every kind the analyses must handle, built once per test session."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import hyperpilot as hp


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    """Studies log a line each; a few hundred of them only slow the output down."""
    logger = logging.getLogger("hyperpilot")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


def conditional_study() -> hp.Study:
    space = hp.Space({
        "model": hp.Categorical(["linear", "tree", "knn"]),
        "alpha": hp.Float(1e-3, 1.0, log=True, active_if={"model": "linear"}),
        "depth": hp.Int(1, 10, active_if={"model": "tree"}),
        "leaf": hp.Ordinal([1, 2, 4, 8], active_if={"model": "tree", "depth": hp.gt(3)}),
        "lr": hp.Float(0.0, 1.0),
    })

    def objective(c: dict[str, Any]) -> float:
        base = {"linear": 1.0, "tree": 0.0, "knn": 2.0}[c["model"]]
        extra = -math.log10(c["alpha"]) / 3 if "alpha" in c else 0.0
        extra += 0.1 * c.get("depth", 0) + 0.05 * c.get("leaf", 0)
        return base + extra + c["lr"]

    study = hp.create_study(space=space, storage="memory", optimizer="random", seed=1)
    study.optimize(objective, n_trials=120, show_progress=False)
    return study


def failed_study() -> hp.Study:
    space = hp.Space({"x": hp.Float(0.0, 1.0), "y": hp.Float(0.0, 1.0),
                      "kind": hp.Categorical(["a", "b"])})

    def objective(c: dict[str, Any]) -> float:
        if c["x"] > 0.8:
            raise RuntimeError("diverged")
        return 2 * c["x"] + c["y"] + (c["kind"] == "b")

    study = hp.create_study(space=space, storage="memory", optimizer="random", seed=2)
    study.optimize(objective, n_trials=80, show_progress=False, max_consecutive_failures=None)
    study.ask()  # left running
    study.enqueue({"x": 0.5, "y": 0.5, "kind": "a"})  # left pending
    return study


def two_objective_study() -> hp.Study:
    space = hp.Space({"x": hp.Float(0.0, 1.0), "y": hp.Float(0.0, 1.0), "z": hp.Int(1, 5)})
    study = hp.create_study(space=space, objectives={"loss": "minimize", "acc": "maximize"},
                            storage="memory", optimizer="random", seed=3)
    study.optimize(lambda c: {"loss": c["x"] + 0.1 * c["z"], "acc": c["y"]}, n_trials=60,
                   show_progress=False)
    return study


def budget_study() -> hp.Study:
    space = hp.Space({"x": hp.Float(0.0, 1.0), "y": hp.Float(0.0, 1.0),
                      "opt": hp.Categorical(["sgd", "adam", "lion"])})
    study = hp.create_study(space=space, storage="memory", optimizer="random", seed=4,
                            fidelity=hp.Fidelity("epochs", 1, 27))
    rng = np.random.default_rng(4)
    for budget in (1.0, 3.0, 9.0):
        for config in space.sample(30, rng):
            study.enqueue(config, budget=budget)
    for config in space.sample(4, rng):  # too few at this budget for an analysis
        study.enqueue(config, budget=27.0)

    def objective(c: dict[str, Any], budget: float) -> float:
        # at low budgets y matters, at high budgets x does
        return c["x"] * budget / 9 + c["y"] * (9 - budget) / 9 + 0.2 * (c["opt"] == "lion")

    study.optimize(objective, n_trials=94, show_progress=False)
    return study


def constant_study() -> hp.Study:
    space = hp.Space({"x": hp.Float(0.0, 1.0), "c": hp.Constant("fixed"),
                      "n": hp.Int(1, 4)})
    study = hp.create_study(space=space, storage="memory", optimizer="random", seed=5)
    study.optimize(lambda c: c["x"] + 0.2 * c["n"], n_trials=60, show_progress=False)
    return study


_BUILDERS = {
    "conditional": (conditional_study, {}),
    "failed": (failed_study, {}),
    "two-objective-one": (two_objective_study, {"objective": "acc"}),
    "two-objective-weights": (two_objective_study, {"objective": {"loss": 1.0, "acc": 0.5}}),
    "budgets": (budget_study, {}),
    "constant": (constant_study, {}),
}
_STUDIES: dict[str, hp.Study] = {}

Kind = tuple[hp.Study, dict[str, Any]]
"""A study and the arguments every analysis of it needs (the objective, say)."""


def _built(name: str) -> hp.Study:
    builder = _BUILDERS[name][0]
    key = builder.__name__
    if key not in _STUDIES:
        logging.getLogger("hyperpilot").setLevel(logging.WARNING)
        _STUDIES[key] = builder()
    return _STUDIES[key]


@pytest.fixture(scope="session")
def built() -> Callable[[str], hp.Study]:
    """The study of a kind by name (built once per session)."""
    return _built


@pytest.fixture(params=sorted(_BUILDERS))
def kind(request: pytest.FixtureRequest) -> Kind:
    """Every kind of study: conditional, with failed trials, two objectives (one chosen, or
    weighted), budgets, a constant; with the arguments its analyses need."""
    name = request.param
    return _built(name), dict(_BUILDERS[name][1])
