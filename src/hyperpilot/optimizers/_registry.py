"""The one registry of optimizer names, built from the optimizer classes.

A name with a dot that the registry does not hold is a ``module.Class`` path: a plugin
optimizer (a subclass of :class:`Optimizer` outside this package) is built from it, and
describes itself by that path (:meth:`Optimizer.config_name`), so a study that stored it
reopens with it wherever the module imports.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers._asha import ASHA
from hyperpilot.optimizers._auto import AutoOptimizer
from hyperpilot.optimizers._base import Optimizer
from hyperpilot.optimizers._bohb import (
    ModelBasedASHA,
    ModelBasedHyperband,
    ModelBasedPriorBand,
)
from hyperpilot.optimizers._hyperband import Hyperband, SuccessiveHalving
from hyperpilot.optimizers._lhs import LatinHypercubeOptimizer
from hyperpilot.optimizers._priorband import PriorBand
from hyperpilot.optimizers._pruners import Pruned
from hyperpilot.optimizers._racing import Racing
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
                ModelBasedHyperband, PriorBand, ModelBasedPriorBand, ASHA, ModelBasedASHA,
                Racing, AutoOptimizer)
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
    cls = OPTIMIZERS.get(name) or _plugin(name)
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise OptimizerError(f"optimizer {name!r}: {exc}") from None


def _plugin(name: str) -> type[Optimizer]:
    """The optimizer class a dotted ``module.Class`` path names."""
    if "." not in name:
        raise OptimizerError(f"unknown optimizer {name!r}; available: {sorted(OPTIMIZERS)}, "
                             "or a dotted 'module.Class' path")
    module_name, _, attr = name.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise OptimizerError(f"optimizer {name!r} cannot be imported ({exc})") from None
    if not (isinstance(cls, type) and issubclass(cls, Optimizer)):
        raise OptimizerError(f"optimizer {name!r} is not an Optimizer subclass")
    return cls
