"""``auto``, the default optimizer: picks a method from the study and says which and why.

The rule, first match wins:

======================================  ===============================================
the study has                           ``auto`` runs
======================================  ===============================================
instances or seeds to evaluate on       ``race``: challengers race the incumbent on
                                        a growing number of instances (SMAC's
                                        intensification), BO proposing them
a fidelity and priors                   ``priorband-bo``: PriorBand (new
                                        configurations from prior, incumbent and
                                        uniform) whose prior and incumbent share BO
                                        proposes (πBO) once a level has data
a fidelity and several workers          ``bo-asha``: ASHA's promotions, which never
                                        wait for a rung, with BO proposing
a fidelity                              ``bohb``: Hyperband with BO proposing
anything else                           ``bo`` (πBO when the space has priors; runtime
                                        priors steer it as they come)
======================================  ===============================================

*Priors* are hyperparameters of the space with a prior, or runtime priors in force when
the choice is made. *Several workers* means ``history.workers > 1``: ``optimize`` with
``n_workers`` (or an executor) above 1, or an independent worker (``run_worker``).

**The choice is made once**, at the study's first proposal, and kept: every proposal
stores ``meta["auto"] = {"chose": NAME, "why": REASON}``, and each ask follows the
earliest trial that has it, so a study reopened elsewhere, with other workers or after a
prior was given, goes on with the method it started with (switching, say, from BO to
ASHA halfway would waste what the first method built). Pass an optimizer explicitly to
choose another. The choice is logged once per process.

Pruning: ``trial.should_stop()`` answers from the chosen method's rule (only ``bo-asha``
has one among these), so :attr:`prunes` is true.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers._base import History, Optimizer, Proposal
from hyperpilot.optimizers._bohb import (
    ModelBasedASHA,
    ModelBasedHyperband,
    ModelBasedPriorBand,
)
from hyperpilot.optimizers._racing import Racing
from hyperpilot.optimizers.bo._bo import BayesianOptimizer
from hyperpilot.trial._trial import Step, Trial

logger = logging.getLogger("hyperpilot")

META_KEY = "auto"

_METHODS: dict[str, type[Optimizer]] = {
    "bo": BayesianOptimizer,
    "bohb": ModelBasedHyperband,
    "bo-asha": ModelBasedASHA,
    "priorband-bo": ModelBasedPriorBand,
    "race": Racing,
}


def choose(history: History) -> tuple[str, str]:
    """The method the rule of the module doc picks for *history*, and why (one sentence)."""
    if history.instances is not None:
        return "race", "the study evaluates configurations on instances or seeds"
    fidelity = history.fidelity
    space_priors = [name for name, p in history.space.hyperparameters.items()
                    if p.prior is not None]
    runtime_priors = sorted({p.name for p in history.steering.priors})
    priors = space_priors or runtime_priors
    where = "in the space" if space_priors else "given at run time"
    if fidelity is not None:
        budget = (f"a fidelity ({fidelity.name} {fidelity.min:g}..{fidelity.max:g})")
        if priors:
            return "priorband-bo", (f"the study has {budget} and priors {where} on "
                                 f"{', '.join(priors)}")
        if history.workers > 1:
            return "bo-asha", (f"the study has {budget}, no priors, and {history.workers} "
                            "trials run at once")
        return "bohb", f"the study has {budget}, no priors and one worker"
    if priors:
        return "bo", (f"the study has no fidelity and priors {where} on "
                      f"{', '.join(priors)} (πBO)")
    return "bo", "the study has no fidelity and no priors"


class AutoOptimizer(Optimizer):
    """Picks ``race``, ``priorband-bo``, ``bo-asha``, ``bohb`` or ``bo`` (module doc).

    Args:
        options: keyword arguments for the chosen method, by its name, e.g.
            ``{"bo": {"surrogate": "rf"}, "bohb": {"eta": 2}}``.

    """

    name = "auto"

    def __init__(self, *, options: Mapping[str, Mapping[str, object]] | None = None) -> None:
        if options is not None and (not isinstance(options, Mapping) or any(
                not isinstance(v, Mapping) for v in options.values())):
            raise OptimizerError(f"auto: options must map method names to argument "
                                 f"mappings, got {options!r}")
        unknown = sorted(set(options or ()) - set(_METHODS))
        if unknown:
            raise OptimizerError(f"auto: options for unknown methods {unknown}; the methods "
                                 f"are {sorted(_METHODS)}")
        self.options = None if options is None else {k: dict(v) for k, v in options.items()}
        self._built: dict[str, Optimizer] = {}
        self._announced: set[str] = set()
        for method in self.options or ():
            self._method(method)  # bad arguments fail here, not at the first ask

    def _method(self, name: str) -> Optimizer:
        if name not in self._built:
            if name not in _METHODS:
                raise OptimizerError(f"auto: the method {name!r} is not available")
            try:
                self._built[name] = _METHODS[name](**(self.options or {}).get(name, {}))
            except TypeError as exc:
                raise OptimizerError(f"auto: {name}: {exc}") from None
        return self._built[name]

    def chosen(self, history: History) -> tuple[str, str]:
        """The method this study runs, and why.

        The one its earliest trials record, else the rule's choice now.
        """
        for trial in history.all_trials:  # oldest first: normally the first one answers
            tag = trial.meta.get(META_KEY) if trial.meta else None
            if isinstance(tag, Mapping) and isinstance(tag.get("chose"), str):
                return tag["chose"], str(tag.get("why", ""))
        return choose(history)

    def _ask(self, history: History) -> Proposal:
        name, why = self.chosen(history)
        if name not in self._announced:
            self._announced.add(name)
            logger.info("optimizer auto runs %s: %s", name, why)
        proposal = self._method(name)._ask(history)
        return Proposal(proposal.config, budget=proposal.budget, seed=proposal.seed,
                        instance=proposal.instance,
                        meta={**proposal.meta, META_KEY: {"chose": name, "why": why}})

    def should_prune(self, history: History, trial: Trial, curve: Mapping[Step, float]) -> bool:
        """The chosen method's answer."""
        method = self._method(self.chosen(history)[0])
        return method.prunes and method.should_prune(history, trial, curve)

    @property
    def prunes(self) -> bool:
        """True: whether a trial stops is the chosen method's call (see the module doc)."""
        return True
