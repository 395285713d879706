"""Shared helpers of the optimizer tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import hyperpilot as hp
from hyperpilot.optimizers import History

Propose = Callable[..., np.ndarray]


def _propose(optimizer: hp.Optimizer, space: hp.Space, n: int, seed: int = 0) -> np.ndarray:
    """Encoded proposals for trial numbers 0..n-1, each asked of an empty history."""
    configs = [
        optimizer.ask(History(space=space, objectives=[hp.Objective()], number=i, seed=seed)).config
        for i in range(n)
    ]
    return space.encode(configs)


@pytest.fixture
def propose() -> Propose:
    """:func:`_propose`, for tests that compare what designs hand out."""
    return _propose
