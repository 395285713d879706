from __future__ import annotations

import pytest

from hyperpilot.optimizers import OPTIMIZERS, Optimizer
from hyperpilot.testing.optimizer import MakeOptimizer, OptimizerContract


@pytest.fixture(params=sorted(OPTIMIZERS))
def make(request: pytest.FixtureRequest) -> MakeOptimizer:
    cls: type[Optimizer] = OPTIMIZERS[request.param]
    return cls


class TestEveryOptimizer(OptimizerContract):
    pass
