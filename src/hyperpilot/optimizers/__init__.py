"""Optimizers: propose configurations from a study's history."""

from hyperpilot.optimizers._base import History, Optimizer, Proposal
from hyperpilot.optimizers._random import RandomOptimizer
from hyperpilot.optimizers._registry import OPTIMIZERS, make_optimizer
from hyperpilot.optimizers._sobol import SobolOptimizer

__all__ = [
    "OPTIMIZERS",
    "History",
    "Optimizer",
    "Proposal",
    "RandomOptimizer",
    "SobolOptimizer",
    "make_optimizer",
]
