"""The one registry of optimizer names, built from the optimizer classes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers._asha import ASHA
from hyperpilot.optimizers._base import Optimizer
from hyperpilot.optimizers._bohb import ModelBasedHyperband
from hyperpilot.optimizers._hyperband import Hyperband, SuccessiveHalving
from hyperpilot.optimizers._lhs import LatinHypercubeOptimizer
from hyperpilot.optimizers._pruners import Pruned
from hyperpilot.optimizers._random import RandomOptimizer
from hyperpilot.optimizers._sobol import SobolOptimizer
from hyperpilot.optimizers.bo._bo import (
    BayesianOptimizer,
    GPBayesianOptimizer,
    RFBayesianOptimizer,
)

OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls
    for cls in (RandomOptimizer, SobolOptimizer, LatinHypercubeOptimizer, BayesianOptimizer,
                GPBayesianOptimizer, RFBayesianOptimizer, SuccessiveHalving, Hyperband,
                ModelBasedHyperband, ASHA)
}


def make_optimizer(spec: str | Mapping[str, Any] | Optimizer) -> Optimizer:
    """Build an optimizer from a registry name, a ``to_config()`` mapping, or pass one through.

    A mapping may add ``"pruner"`` (a pruner's name or description, e.g. ``"median"``): the
    optimizer then comes wrapped in :class:`~hyperpilot.optimizers._pruners.Pruned`.

    Raises:
        OptimizerError: for an unknown name or an argument the optimizer does not take.

    """
    if isinstance(spec, Optimizer):
        return spec
    if isinstance(spec, str):
        name, kwargs = spec, {}
    elif isinstance(spec, Mapping) and "name" in spec:
        if "pruner" in spec:
            inner = make_optimizer({k: v for k, v in spec.items() if k != "pruner"})
            return Pruned(optimizer=inner, pruner=spec["pruner"])
        kwargs = {k: v for k, v in spec.items() if k != "name"}
        name = str(spec["name"])
    else:
        raise OptimizerError(
            f"optimizer must be a name, a mapping with a 'name', or an Optimizer; got {spec!r}"
        )
    if name not in OPTIMIZERS:
        raise OptimizerError(f"unknown optimizer {name!r}; available: {sorted(OPTIMIZERS)}")
    try:
        return OPTIMIZERS[name](**kwargs)
    except TypeError as exc:
        raise OptimizerError(f"optimizer {name!r}: {exc}") from None
