"""Optuna's samplers as benchmark peers, and TPE with the Hyperband pruner for budgets.

The samplers are TPE, GP, CMA-ES, random and NSGA-II.

Optuna is define-by-run: the session suggests hyperparameters parents first and only those
whose conditions hold, so a conditional space reaches Optuna as it is. Float and Int keep
their range and log scale, Categorical its choices, an Ordinal becomes an integer index
into its sequence (so its order is visible to the sampler), and a Constant is not
suggested. Optuna knows no forbidden combinations: a proposal that falls into one is told
to Optuna as failed and asked again (the time counts as overhead).

Every sampler takes its defaults, seeded with the run seed, on an in-memory study.

TPE with the Hyperband pruner (``optuna-tpe-hyperband``) trains one run per Optuna trial
the way a pruned training loop does: the session presents the trial's rung budgets one
after the other (the full budget times ``eta^-k``, as hyperpilot's Hyperband uses them),
reports each value with ``trial.report`` and stops the run when ``should_prune`` says so.
A run that goes on to the next rung continues training, so it is charged only the budget
increment since its previous rung (the first rung costs its budget): this favours the peer,
since the harness evaluates the higher budget afresh. The pruner's resources are the rung
indices scaled as the budgets (``1, eta, eta^2, ...``). ``optuna-tpe-hyperband-full`` is
the same optimizer charged as every other one here, each rung its full budget (as a
training run that cannot continue from a checkpoint pays): the comparison at equal cost.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

from hyperpilot.benchmarks._adapters import Ask, OptimizerAdapter, Session
from hyperpilot.benchmarks._problem import Fidelity, Problem
from hyperpilot.exceptions import MissingDependencyError, OptimizerError, require
from hyperpilot.space._params import Categorical, Constant, Float, Int, Ordinal
from hyperpilot.space._space import Config, Space

KINDS: dict[str, str] = {
    "tpe": "TPESampler",
    "gp": "GPSampler",
    "cmaes": "CmaEsSampler",
    "random": "RandomSampler",
    "nsga2": "NSGAIISampler",
}
"""Adapter kinds and the Optuna sampler each one runs."""

_SINGLE_OBJECTIVE_ONLY = ("cmaes",)
_MAX_REJECTIONS = 1000
_HINT = "pip install 'hyperpilot[bench]'"


def parents_first(space: Space) -> list[str]:
    """The hyperparameter names of *space* ordered so that parents precede children."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for parent in sorted(space.parents(name)):
            visit(parent)
        order.append(name)

    for name in space.names:
        visit(name)
    return order


def suggest(trial: Any, space: Space, order: list[str]) -> Config:
    """Suggest the active hyperparameters of *space* on an Optuna *trial*."""
    config: Config = {}
    for name in order:
        if not space.is_active(name, config):
            continue
        param = space[name]
        if isinstance(param, Constant):
            config[name] = param.value
        elif isinstance(param, Float):
            config[name] = trial.suggest_float(name, param.low, param.high, log=param.log)
        elif isinstance(param, Int):
            config[name] = trial.suggest_int(name, int(param.low), int(param.high),
                                             log=param.log)
        elif isinstance(param, Ordinal):
            index = trial.suggest_int(name, 0, len(param.sequence) - 1)
            config[name] = param.sequence[index]
        elif isinstance(param, Categorical):
            config[name] = trial.suggest_categorical(name, list(param.choices))
        else:  # pragma: no cover - the space module defines no other kind
            raise OptimizerError(f"optuna: hyperparameter {name!r} of kind {param.kind!r} "
                                 "has no Optuna counterpart")
    return config


class OptunaAdapter(OptimizerAdapter):
    """An Optuna sampler with its defaults; named ``optuna-KIND``.

    Args:
        kind: one of :data:`KINDS` (``tpe``, ``gp``, ``cmaes``, ``random``, ``nsga2``).

    Raises:
        OptimizerError: for an unknown kind.

    """

    def __init__(self, kind: str) -> None:
        if kind not in KINDS:
            raise OptimizerError(f"unknown Optuna kind {kind!r}; expected one of {sorted(KINDS)}")
        self.kind = kind
        self.name = f"optuna-{kind}"

    def unsupported(self, problem: Problem) -> str | None:
        """CMA-ES is single-objective."""
        if self.kind in _SINGLE_OBJECTIVE_ONLY and len(problem.objectives) > 1:
            return f"{self.name} optimizes a single objective; {problem.name} has " \
                   f"{len(problem.objectives)}"
        return None

    def _start(self, problem: Problem, *, n_trials: int, seed: int) -> Session:
        try:
            import optuna
        except ImportError as exc:
            raise MissingDependencyError(
                f"{self.name} needs Optuna ({exc}): {_HINT}") from None
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        warnings.filterwarnings("ignore", module=r"optuna\..*")
        needs = {"gp": "torch", "cmaes": "cmaes"}.get(self.kind)
        if needs is not None:
            require(needs, "bench")
        sampler = getattr(optuna.samplers, KINDS[self.kind])(seed=seed)
        study = optuna.create_study(
            directions=[o.direction for o in problem.objectives], sampler=sampler,
            study_name=f"{problem.name}-{self.name}-{seed}",
        )
        return _OptunaSession(study, problem)


class _OptunaSession(Session):
    def __init__(self, study: Any, problem: Problem) -> None:
        import optuna

        self._study = study
        self._fail = optuna.trial.TrialState.FAIL
        self._space = problem.space
        self._order = parents_first(problem.space)
        self._names = [o.name for o in problem.objectives]
        self._trial: Any = None

    def ask(self) -> Ask:
        for _ in range(_MAX_REJECTIONS):
            trial = self._study.ask()
            config = suggest(trial, self._space, self._order)
            if self._space.forbidden and self._space.is_forbidden(config):
                self._study.tell(trial, state=self._fail)
                continue
            self._trial = trial
            return Ask(self._space.validate(config))
        raise OptimizerError(f"optuna: {_MAX_REJECTIONS} proposals in a row fell into "
                             "forbidden combinations")

    def tell(self, values: Mapping[str, float] | None) -> None:
        if values is None:
            self._study.tell(self._trial, state=self._fail)
            return
        numbers = [float(values[n]) for n in self._names]
        self._study.tell(self._trial, numbers[0] if len(numbers) == 1 else numbers)


def rung_budgets(fidelity: Fidelity, eta: int) -> list[float]:
    """The budgets of successive halving's rungs, lowest first.

    They are ``high * eta^-k`` down to ``low`` (rounded on an integer fidelity).
    """
    levels = (math.floor(math.log(fidelity.high / fidelity.low) / math.log(eta) + 1e-9))
    budgets = [fidelity.high * float(eta) ** (k - levels) for k in range(levels + 1)]
    if fidelity.integer:
        budgets = [float(round(b)) for b in budgets]
    return [max(fidelity.low, b) for b in budgets]


class OptunaHyperbandAdapter(OptimizerAdapter):
    """TPE with Optuna's ``HyperbandPruner``, named ``optuna-tpe-hyperband``.

    It runs multi-fidelity problems only.

    Args:
        eta: the pruner's reduction factor, and the ratio of successive rung budgets.
        continued: charge a continued run only its budget increment (else each rung its
            full budget, and the name gets ``-full``).

    """

    name = "optuna-tpe-hyperband"

    def __init__(self, eta: int = 3, *, continued: bool = True) -> None:
        self.eta = eta
        self.continued = continued
        if not continued:
            self.name = "optuna-tpe-hyperband-full"

    def describe(self) -> dict[str, Any]:
        """The sampler, the pruner, its reduction factor and how rungs are charged."""
        return {"sampler": "TPESampler", "pruner": "HyperbandPruner", "eta": self.eta,
                "charge": "increment" if self.continued else "full"}

    def unsupported(self, problem: Problem) -> str | None:
        """Pruning needs a budget axis and one objective."""
        if problem.fidelity is None:
            return f"{self.name} needs a multi-fidelity problem; {problem.name} has no budget"
        if len(problem.objectives) > 1:
            return f"{self.name} optimizes a single objective; {problem.name} has " \
                   f"{len(problem.objectives)}"
        return None

    def _start(self, problem: Problem, *, n_trials: int, seed: int) -> Session:
        try:
            import optuna
        except ImportError as exc:
            raise MissingDependencyError(
                f"{self.name} needs Optuna ({exc}): {_HINT}") from None
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        fidelity = problem.fidelity
        assert fidelity is not None  # unsupported() says so otherwise
        budgets = rung_budgets(fidelity, self.eta)
        pruner = optuna.pruners.HyperbandPruner(
            min_resource=1, max_resource=self.eta ** (len(budgets) - 1),
            reduction_factor=self.eta)
        study = optuna.create_study(
            direction=problem.objectives[0].direction,
            sampler=optuna.samplers.TPESampler(seed=seed), pruner=pruner,
            study_name=f"{problem.name}-{self.name}-{seed}",
        )
        return _PrunedSession(study, problem, budgets, self.eta, self.continued)


class _PrunedSession(_OptunaSession):
    """One Optuna trial is one training run, continued rung by rung until pruned."""

    def __init__(self, study: Any, problem: Problem, budgets: list[float], eta: int,
                 continued: bool = True) -> None:
        import optuna

        super().__init__(study, problem)
        self._continued = continued
        self._pruned = optuna.trial.TrialState.PRUNED
        self._budgets = budgets
        self._eta = eta
        self._high = budgets[-1]
        self._config: Config = {}
        self._rung = -1  # the rung of the run in progress; -1: none

    def ask(self) -> Ask:
        if self._rung < 0:
            self._config = super().ask().config
        self._rung += 1
        budget = self._budgets[self._rung]
        before = self._budgets[self._rung - 1] if self._rung > 0 and self._continued else 0.0
        return Ask(self._config, budget, cost=(budget - before) / self._high)

    def tell(self, values: Mapping[str, float] | None) -> None:
        if values is None or self._rung == len(self._budgets) - 1:
            super().tell(values)
            self._rung = -1
            return
        self._trial.report(float(values[self._names[0]]), step=self._eta ** self._rung)
        if self._trial.should_prune():
            self._study.tell(self._trial, state=self._pruned)
            self._rung = -1
