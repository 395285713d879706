"""Optimizers: propose configurations from a study's history."""

from hyperpilot.optimizers._asha import ASHA
from hyperpilot.optimizers._auto import AutoOptimizer
from hyperpilot.optimizers._base import History, Optimizer, Proposal
from hyperpilot.optimizers._bohb import (
    ModelBasedASHA,
    ModelBasedHyperband,
    ModelBasedPriorBand,
)
from hyperpilot.optimizers._hyperband import Hyperband, SuccessiveHalving
from hyperpilot.optimizers._lhs import LatinHypercubeOptimizer
from hyperpilot.optimizers._priorband import PriorBand
from hyperpilot.optimizers._pruners import (
    MedianPruner,
    Pruned,
    Pruner,
    WilcoxonPruner,
    make_pruner,
)
from hyperpilot.optimizers._racing import Racing
from hyperpilot.optimizers._random import RandomOptimizer
from hyperpilot.optimizers._registry import OPTIMIZERS, make_optimizer
from hyperpilot.optimizers._sobol import SobolOptimizer
from hyperpilot.optimizers.bo._bo import (
    BayesianOptimizer,
    GPBayesianOptimizer,
    RFBayesianOptimizer,
)

__all__ = [
    "ASHA",
    "OPTIMIZERS",
    "AutoOptimizer",
    "BayesianOptimizer",
    "GPBayesianOptimizer",
    "History",
    "Hyperband",
    "LatinHypercubeOptimizer",
    "MedianPruner",
    "ModelBasedASHA",
    "ModelBasedHyperband",
    "ModelBasedPriorBand",
    "Optimizer",
    "PriorBand",
    "Proposal",
    "Pruned",
    "Pruner",
    "RFBayesianOptimizer",
    "Racing",
    "RandomOptimizer",
    "SobolOptimizer",
    "SuccessiveHalving",
    "WilcoxonPruner",
    "make_optimizer",
    "make_pruner",
]
