"""Search spaces: hyperparameters with priors, conditions and forbidden combinations."""

from hyperpilot.space._conditions import eq, gt, isin, lt, ne
from hyperpilot.space._fidelity import Fidelity
from hyperpilot.space._instances import Instances
from hyperpilot.space._params import (
    CONFIDENCE_LEVELS,
    Categorical,
    Constant,
    Float,
    Hyperparameter,
    Int,
    Ordinal,
)
from hyperpilot.space._space import Config, Space

__all__ = [
    "CONFIDENCE_LEVELS",
    "Categorical",
    "Config",
    "Constant",
    "Fidelity",
    "Float",
    "Hyperparameter",
    "Instances",
    "Int",
    "Ordinal",
    "Space",
    "eq",
    "gt",
    "isin",
    "lt",
    "ne",
]
