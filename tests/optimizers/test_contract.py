from __future__ import annotations

import pytest

from hyperpilot.optimizers import OPTIMIZERS, Optimizer
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


# Every registered optimizer, and BO with its parts given as objects and descriptions.
MAKERS: dict[str, MakeOptimizer] = {**OPTIMIZERS, "bo-gp-parts": _gp_parts,
                                    "bo-rf-parts": _rf_parts}


@pytest.fixture(params=sorted(MAKERS))
def make(request: pytest.FixtureRequest) -> MakeOptimizer:
    return MAKERS[request.param]


class TestEveryOptimizer(OptimizerContract):
    pass
