"""Optimizers: propose configurations from a study's history."""

from hyperpilot.optimizers._base import History, Optimizer, Proposal
from hyperpilot.optimizers._lhs import LatinHypercubeOptimizer
from hyperpilot.optimizers._random import RandomOptimizer
from hyperpilot.optimizers._registry import OPTIMIZERS, make_optimizer
from hyperpilot.optimizers._sobol import SobolOptimizer
from hyperpilot.optimizers.bo._bo import (
    BayesianOptimizer,
    GPBayesianOptimizer,
    RFBayesianOptimizer,
)

__all__ = [
    "OPTIMIZERS",
    "BayesianOptimizer",
    "GPBayesianOptimizer",
    "History",
    "LatinHypercubeOptimizer",
    "Optimizer",
    "Proposal",
    "RFBayesianOptimizer",
    "RandomOptimizer",
    "SobolOptimizer",
    "make_optimizer",
]
