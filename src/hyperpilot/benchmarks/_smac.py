"""SMAC3 (2.x) facades as benchmark peers: the HPO, black-box and multi-fidelity facades.

The space reaches SMAC through :meth:`Space.to_configspace` (conditions and forbidden
combinations included). Each run gets a deterministic scenario of ``n_trials`` trials with
the run seed and its own temporary output folder, removed afterwards. SMAC minimizes a
cost, so a maximized objective is told negated. The run history is kept in memory
(``tell(..., save=False)``), as the other optimizers keep theirs, so that the overhead
compares the algorithms rather than file writing. SMAC's facades optimize one objective
here; multi-objective problems are marked unsupported.

The multi-fidelity facade (``smac-mf``: random forest, log EI, SMAC's Hyperband with
``eta = 3``) runs multi-fidelity problems only. Its scenario gets the problem's budget range
as ``min_budget`` / ``max_budget`` and, as its number of trials, the harness's cap on trials
(the run ends when the harness has spent ``n_trials`` full-budget evaluations); each trial
is evaluated at the budget SMAC proposes and charged that budget, since SMAC starts every
trial afresh.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hyperpilot.benchmarks._adapters import Ask, OptimizerAdapter, Session, trial_cap
from hyperpilot.benchmarks._problem import Problem
from hyperpilot.exceptions import MissingDependencyError, OptimizerError

KINDS: dict[str, str] = {
    "hpo": "HyperparameterOptimizationFacade",
    "bb": "BlackBoxFacade",
    "mf": "MultiFidelityFacade",
}
"""Adapter kinds and the SMAC facade each one runs."""

_QUIET = logging.ERROR
"""SMAC3's own loggers drop messages below this level; other loggers are left as they are."""
_HINT = "pip install 'hyperpilot[bench]'"


def _never_called(config: Any, seed: int = 0) -> float:
    """SMAC wants a target function; the harness evaluates through ask/tell instead."""
    raise RuntimeError("the benchmark harness evaluates configurations itself")


def _never_called_with_budget(config: Any, seed: int = 0, budget: float = 0.0) -> float:
    """The multi-fidelity facade checks that its target function takes a budget."""
    raise RuntimeError("the benchmark harness evaluates configurations itself")


class SmacAdapter(OptimizerAdapter):
    """A SMAC3 facade with its defaults; named ``smac-KIND``.

    Args:
        kind: ``hpo`` (random forest, log EI), ``bb`` (Gaussian process, EI) or ``mf``
            (the HPO facade's model in SMAC's Hyperband; multi-fidelity problems only).

    Raises:
        OptimizerError: for an unknown kind.

    """

    def __init__(self, kind: str) -> None:
        if kind not in KINDS:
            raise OptimizerError(f"unknown SMAC kind {kind!r}; expected one of {sorted(KINDS)}")
        self.kind = kind
        self.name = f"smac-{kind}"

    def unsupported(self, problem: Problem) -> str | None:
        """SMAC's facades run single-objective problems here; ``mf`` needs a budget."""
        if self.kind == "mf" and problem.fidelity is None:
            return f"{self.name} needs a multi-fidelity problem; {problem.name} has no budget"
        if len(problem.objectives) > 1:
            return (f"{self.name} runs single-objective problems in this harness; "
                    f"{problem.name} has {len(problem.objectives)} objectives")
        return None

    def _start(self, problem: Problem, *, n_trials: int, seed: int) -> Session:
        try:
            import smac
            from smac.runhistory.dataclasses import TrialValue
        except ImportError as exc:
            raise MissingDependencyError(f"{self.name} needs SMAC3 ({exc}): {_HINT}") from None
        configspace = problem.space.to_configspace(name=problem.name, seed=seed)
        folder = tempfile.TemporaryDirectory(prefix="hyperpilot-smac-")
        budgets: dict[str, Any] = {}
        fidelity = problem.fidelity
        if self.kind == "mf" and fidelity is not None:
            budgets = {"min_budget": fidelity.low, "max_budget": fidelity.high}
            n_trials = trial_cap(problem, n_trials)
        try:
            scenario = smac.Scenario(
                configspace, deterministic=True, n_trials=n_trials, seed=seed,
                output_directory=Path(folder.name) / "smac", name=f"{self.name}-{seed}",
                **budgets,
            )
            # SMAC3 would set the root logger's level (silencing every other library in
            # the process); quieten its own loggers instead.
            logging.getLogger("smac").setLevel(_QUIET)
            facade = getattr(smac, KINDS[self.kind])(
                scenario, _never_called_with_budget if budgets else _never_called,
                overwrite=True, logging_level=False)
        except BaseException:
            folder.cleanup()
            raise
        return _SmacSession(facade, problem, folder, TrialValue, with_budget=bool(budgets))


class _SmacSession(Session):
    def __init__(self, facade: Any, problem: Problem, folder: tempfile.TemporaryDirectory[str],
                 trial_value: Any, *, with_budget: bool = False) -> None:
        from smac.runhistory.enumerations import StatusType

        self._smac = facade
        self._space = problem.space
        self._objective = problem.objectives[0]
        self._folder = folder
        self._value = trial_value
        self._crashed = StatusType.CRASHED
        self._with_budget = with_budget
        self._info: Any = None

    def ask(self) -> Ask:
        self._info = self._smac.ask()
        config = {name: _python(value) for name, value in dict(self._info.config).items()}
        budget = float(self._info.budget) if self._with_budget else None
        try:
            return Ask(self._space.validate(config), budget)
        except ValueError as exc:
            raise OptimizerError(f"smac proposed a configuration outside the space: {exc}"
                                 ) from None

    def tell(self, values: Mapping[str, float] | None) -> None:
        if values is None:
            value = self._value(cost=float("inf"), status=self._crashed)
        else:
            value = self._value(cost=self._objective.sign * float(values[self._objective.name]))
        self._smac.tell(self._info, value, save=False)

    def close(self) -> None:
        self._folder.cleanup()


def _python(value: Any) -> Any:
    """A numpy scalar from ConfigSpace as the Python value the space validates."""
    return value.item() if hasattr(value, "item") and callable(value.item) else value
