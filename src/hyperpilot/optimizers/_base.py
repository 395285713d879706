"""The optimizer interface: propose the next configuration from the study's history.

An optimizer never touches the storage. The study hands it a :class:`History` (the space,
the objectives, the finished and running trials) and stores whatever it proposes. Its
constructor takes keyword arguments only and stores them unchanged, so that
:meth:`Optimizer.to_config` can describe it and the description is saved with the study.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from hyperpilot._describe import Describable
from hyperpilot.optimizers._steering import SteeringState, steer_config
from hyperpilot.space._fidelity import Fidelity
from hyperpilot.space._instances import Instances
from hyperpilot.space._space import Config, Space
from hyperpilot.trial._objectives import Constraint, Objective
from hyperpilot.trial._trial import Step, Trial, TrialState

_STEER_STREAM = 0x57EE  # the random stream of draws within narrowed ranges


class History:
    """What an optimizer may know when it proposes: the space, objectives and trials.

    Trials are loaded only when an optimizer reads :attr:`trials` or :attr:`running`, so an
    optimizer that does not need them (random search) costs no storage read.

    Args:
        space: the search space.
        objectives: what is optimized, in order.
        constraints: constraint names and bounds.
        number: the number the proposed trial will most likely get (0 for the first).
        seed: the study's seed.
        load: returns every trial of the study, oldest first, when first needed.
        steering: what the interventions in force for this trial add up to (runtime
            priors, excluded trials, narrowed ranges, frozen values, a chosen acquisition).
        curves: returns the trials' learning curves (see :attr:`intermediate`) when first
            needed.
        fidelity: the study's budget dimension, if it has one. A proposal without a
            budget is evaluated at ``fidelity.max``.
        workers: how many trials the processes running the study evaluate at once, as far
            as this process knows: the slots of ``optimize(n_workers=...)``, at least 2 in
            an independent worker (:func:`~hyperpilot.run_worker`), else 1.
        instances: the instances and seeds of an algorithm-configuration study, if it
            declares them; each proposal then names one of them (``Proposal.instance``,
            ``Proposal.seed``).

    """

    def __init__(
        self,
        *,
        space: Space,
        objectives: Sequence[Objective],
        constraints: Sequence[Constraint] = (),
        number: int = 0,
        seed: int = 0,
        load: Callable[[], Sequence[Trial]] = tuple,
        steering: SteeringState | None = None,
        curves: Callable[[], Mapping[int, Mapping[Step, float]]] = dict,
        fidelity: Fidelity | None = None,
        workers: int = 1,
        instances: Instances | None = None,
    ) -> None:
        self.space = space
        self.fidelity = fidelity
        self.workers = workers
        self.instances = instances
        self.steering = steering if steering is not None else SteeringState()
        self.objectives = tuple(objectives)
        self.constraints = tuple(constraints)
        self.number = number
        self.seed = seed
        self._load = load
        self._curves = curves

    @cached_property
    def all_trials(self) -> tuple[Trial, ...]:
        """Every trial of the study, in every state, oldest first."""
        return tuple(self._load())

    @property
    def trials(self) -> list[Trial]:
        """Finished trials (complete, failed, pruned), oldest first."""
        return [t for t in self.all_trials if t.state.is_finished]

    @property
    def complete(self) -> list[Trial]:
        """Completed trials, oldest first."""
        return [t for t in self.all_trials if t.state == TrialState.COMPLETE]

    @property
    def observed(self) -> list[Trial]:
        """Finished trials a model may learn from: all but those a user excluded."""
        excluded = self.steering.excluded
        return [t for t in self.trials if t.number not in excluded]

    @property
    def running(self) -> list[Trial]:
        """Trials being evaluated or waiting in the queue: proposals should avoid them."""
        return [t for t in self.all_trials if not t.state.is_finished]

    def at_full_budget(self, trial: Trial) -> bool:
        """Whether *trial* ran at the full budget (always, in a study without a fidelity)."""
        return (self.fidelity is None or trial.budget is None
                or trial.budget >= self.fidelity.max)

    @cached_property
    def intermediate(self) -> Mapping[int, Mapping[Step, float]]:
        """Learning curves: trial id -> {step: value}, steps in the order reported.

        Only trials that reported values appear. Read it here rather than through each
        trial's ``intermediate`` (which would read the storage once per trial). A
        read-only view: do not change it.
        """
        return self._curves()


@dataclass(frozen=True)
class Proposal:
    """A configuration to evaluate, with the budget, seed and instance to evaluate it at.

    ``instance`` and ``seed`` must be among ``History.instances`` when the study declares
    them (each is then required), and ``instance`` must be None when it declares none.
    """

    config: Config
    budget: float | None = None
    seed: int | None = None
    instance: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


class Optimizer(Describable, ABC):
    """Base of every optimizer. Subclasses set :attr:`name` and write :meth:`_ask`."""

    name: ClassVar[str] = ""

    def ask(self, history: History) -> Proposal:
        """Propose the next configuration to evaluate, within the limits users set.

        Frozen values and narrowed ranges in ``history.steering`` hold whatever
        :meth:`_ask` proposed (:func:`~hyperpilot.optimizers._steering.steer_config`).
        """
        proposal = self._ask(history)
        if not isinstance(proposal, Proposal):
            proposal = Proposal(dict(proposal))
        steering = history.steering
        if steering.frozen or steering.ranges:
            rng = np.random.default_rng((history.seed, history.number, _STEER_STREAM))
            config = steer_config(history.space, proposal.config, steering, rng)
            if config != proposal.config:
                proposal = dataclasses.replace(proposal, config=config)
        return proposal

    @abstractmethod
    def _ask(self, history: History) -> Proposal:
        """Return the next proposal; the history is never modified."""

    def config_name(self) -> str:
        """The name :func:`make_optimizer` rebuilds this optimizer from.

        The registry name for the package's optimizers; ``module.Class`` for a plugin
        defined elsewhere (whatever its :attr:`name`), which need not be registered.
        """
        cls = type(self)
        if self.name and cls.__module__.split(".")[0] == "hyperpilot":
            return self.name
        return f"{cls.__module__}.{cls.__qualname__}"

    def should_prune(self, history: History, trial: Trial, curve: Mapping[Step, float]) -> bool:
        """Whether the running *trial* should stop now, given its learning curve *curve*.

        The answer to ``trial.should_stop()``, asked by the objective after it reports. An
        optimizer with a pruning rule overrides it; it sees the study as *history* (with
        the other trials' curves in ``history.intermediate``) and never the storage, and
        must not change either. The default never prunes.
        """
        return False

    @property
    def prunes(self) -> bool:
        """Whether this optimizer has a pruning rule (it overrides :meth:`should_prune`).

        Without one, ``trial.should_stop()`` answers False at once, wherever the trial runs.
        """
        return type(self).should_prune is not Optimizer.should_prune

    @property
    def wants_repeats(self) -> bool:
        """Whether a configuration that a trial already has can be worth another trial.

        False by default. Independent workers then store a proposal only if no trial has its
        configuration, and ask again otherwise; optimizers for noisy objectives say True.
        """
        return False
