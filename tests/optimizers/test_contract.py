from __future__ import annotations

import pytest

from hyperpilot.optimizers import OPTIMIZERS, Optimizer, make_optimizer
from hyperpilot.optimizers.bo import (
    LCB,
    AcquisitionMaximizer,
    BayesianOptimizer,
    GaussianProcess,
    RandomForest,
    Standardize,
)
from hyperpilot.testing.optimizer import MakeOptimizer, OptimizerContract


def _gp_parts() -> Optimizer:
    return BayesianOptimizer(surrogate=GaussianProcess(noise="deterministic"),
                             acquisition=LCB(beta=2.0), output_transform=Standardize(),
                             maximizer=AcquisitionMaximizer(n_sobol=256, max_steps=5))


def _rf_parts() -> Optimizer:
    return BayesianOptimizer(surrogate=RandomForest(n_trees=5),
                             acquisition={"name": "EI", "xi": 0.01})


def _random_median() -> Optimizer:
    return make_optimizer({"name": "random", "pruner": {"name": "median", "n_startup": 2}})


def _asha_median() -> Optimizer:
    return make_optimizer({"name": "asha", "pruner": "median"})


# Every registered optimizer, BO with its parts given as objects and descriptions, and
# optimizers with a pruner.
MAKERS: dict[str, MakeOptimizer] = {**OPTIMIZERS, "bo-gp-parts": _gp_parts,
                                    "bo-rf-parts": _rf_parts, "random+median": _random_median,
                                    "asha+median": _asha_median}


@pytest.fixture(params=sorted(MAKERS))
def make(request: pytest.FixtureRequest) -> MakeOptimizer:
    return MAKERS[request.param]


class TestEveryOptimizer(OptimizerContract):
    pass
