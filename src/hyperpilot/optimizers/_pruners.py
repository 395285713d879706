"""Pruners: stopping rules for single training runs, usable with any optimizer.

An optimizer answers ``trial.should_stop()`` through :meth:`Optimizer.should_prune`
(ASHA's rungs are one such rule). A :class:`Pruner` is a rule on its own, and
:class:`Pruned` gives it to any optimizer: the wrapped optimizer proposes, and a trial
stops when the optimizer's own rule or the pruner says so. Because the pair is one
:class:`Optimizer`, the pruner reaches every place a pruning rule already goes — the loop,
isolated children, process-pool and Dask workers (pickled with the optimizer) — with no
other seam. A study asks for it in the optimizer's description:
``optimizer={"name": "bo", "pruner": "median"}`` or ``{"name": "random", "pruner":
{"name": "median", "n_startup": 3}}``; :func:`~hyperpilot.make_optimizer` builds the pair
and its ``to_config()`` gives that mapping back, so a reopened study has the same pruner.
(This module imports only the optimizer base; the registry imports it, so no circle.)
"""

from __future__ import annotations

import statistics
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from hyperpilot._describe import Describable
from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers._asha import value_at
from hyperpilot.optimizers._base import History, Optimizer, Proposal
from hyperpilot.trial._trial import Step, Trial, TrialState


class Pruner(Describable, ABC):
    """A stopping rule for running trials. Subclasses set :attr:`name` and write the rule."""

    name: ClassVar[str] = ""

    def config_name(self) -> str:
        """The name :func:`make_pruner` understands."""
        return self.name

    @abstractmethod
    def should_prune(self, history: History, trial: Trial, curve: Mapping[Step, float]) -> bool:
        """Whether the running *trial*, whose learning curve is *curve*, should stop now.

        Same contract as :meth:`Optimizer.should_prune`: the other trials' curves are in
        ``history.intermediate``; change neither.
        """


class MedianPruner(Pruner):
    """Median stopping (Golovin et al., KDD 2017, "Google Vizier"), on reported values.

    A trial whose last reported step is ``s`` stops when its value there is worse (in the
    first objective's direction) than the median of the complete trials' values at ``s``
    — each one's value at the last step it reported not past ``s``; trials that had not
    reached ``s`` do not count. It decides only once ``n_startup`` trials have completed,
    at steps ``s >= n_warmup``, and with at least one complete trial reaching ``s``.
    Only complete trials make the median (as in the paper), so pruned runs, which stop
    while still poor, do not pull it down.

    Args:
        n_startup: complete trials needed before any trial is stopped.
        n_warmup: steps before which a trial is never stopped.

    """

    name = "median"

    def __init__(self, *, n_startup: int = 5, n_warmup: float = 0) -> None:
        if isinstance(n_startup, bool) or not isinstance(n_startup, int) or n_startup < 1:
            raise OptimizerError(f"median pruner: n_startup must be an integer >= 1, "
                                 f"got {n_startup!r}")
        if isinstance(n_warmup, bool) or not isinstance(n_warmup, (int, float)) \
                or not n_warmup >= 0:
            raise OptimizerError(f"median pruner: n_warmup must be a number >= 0, "
                                 f"got {n_warmup!r}")
        self.n_startup = n_startup
        self.n_warmup = n_warmup

    def should_prune(self, history: History, trial: Trial, curve: Mapping[Step, float]) -> bool:
        """Stop *trial* when its last value is worse than the complete trials' median."""
        if not curve:
            return False
        step = max(curve)
        if step < self.n_warmup:
            return False
        complete = [t.id for t in history.all_trials
                    if t.state == TrialState.COMPLETE and t.id != trial.id]
        if len(complete) < self.n_startup:
            return False
        curves = history.intermediate
        others = [v for tid in complete
                  if (other := curves.get(tid)) and (v := value_at(other, step)) is not None]
        if not others:
            return False
        sign = history.objectives[0].sign
        median = statistics.median(sign * v for v in others)
        return bool(sign * curve[step] > median)


PRUNERS: dict[str, type[Pruner]] = {cls.name: cls for cls in (MedianPruner,)}


def make_pruner(spec: str | Mapping[str, Any] | Pruner) -> Pruner:
    """Build a pruner from its name, a ``to_config()`` mapping, or pass one through.

    Raises:
        OptimizerError: for an unknown name or an argument the pruner does not take.

    """
    if isinstance(spec, Pruner):
        return spec
    if isinstance(spec, str):
        name, kwargs = spec, {}
    elif isinstance(spec, Mapping) and "name" in spec:
        name, kwargs = str(spec["name"]), {k: v for k, v in spec.items() if k != "name"}
    else:
        raise OptimizerError(f"pruner must be a name, a mapping with a 'name', or a Pruner; "
                             f"got {spec!r}")
    if name not in PRUNERS:
        raise OptimizerError(f"unknown pruner {name!r}; available: {sorted(PRUNERS)}")
    try:
        return PRUNERS[name](**kwargs)
    except TypeError as exc:
        raise OptimizerError(f"pruner {name!r}: {exc}") from None


class Pruned(Optimizer):
    """*optimizer* proposing, with *pruner* stopping runs too (see the module doc).

    Args:
        optimizer: the optimizer that proposes; its own pruning rule, if any, still holds.
        pruner: a pruner, its name (``"median"``) or its description.

    """

    name = "pruned"

    def __init__(self, *, optimizer: Optimizer,
                 pruner: str | Mapping[str, Any] | Pruner) -> None:
        if not isinstance(optimizer, Optimizer) or isinstance(optimizer, Pruned):
            raise OptimizerError(f"pruned: optimizer must be an optimizer without a pruner, "
                                 f"got {optimizer!r}")
        self.optimizer = optimizer
        self.pruner = make_pruner(pruner)

    def config_name(self) -> str:
        """The wrapped optimizer's name: the description is its own plus ``pruner``."""
        return self.optimizer.config_name()

    def to_config(self) -> dict[str, Any]:
        """The wrapped optimizer's description with ``"pruner"``: the pruner's."""
        return {**self.optimizer.to_config(), "pruner": self.pruner.to_config()}

    def _ask(self, history: History) -> Proposal:
        return self.optimizer.ask(history)

    def should_prune(self, history: History, trial: Trial, curve: Mapping[Step, float]) -> bool:
        """Stop when the wrapped optimizer's rule or the pruner says so."""
        if self.optimizer.prunes and self.optimizer.should_prune(history, trial, curve):
            return True
        return self.pruner.should_prune(history, trial, curve)

    @property
    def wants_repeats(self) -> bool:
        """The wrapped optimizer's answer."""
        return self.optimizer.wants_repeats
