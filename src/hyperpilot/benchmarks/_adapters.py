"""Optimizer adapters: every optimizer, ours or a peer's, runs through the same harness.

An adapter opens a :class:`Session` (the optimizer's own ask/tell interface) and the
harness in :meth:`OptimizerAdapter.run` drives it: ask, evaluate the problem, tell. The
harness calls the problem itself and times both sides, so for every trial

* ``eval_seconds`` is the time inside ``problem.evaluate``;
* ``overhead`` is the time inside the optimizer's ask and tell, that is the trial's wall
  time less its evaluation. Building the optimizer (imports, model set-up) is measured
  once as ``setup_seconds``.

Seeds. The optimizer's seed is the run seed. The *tuning seed* handed to
``problem.evaluate`` (cross-validation folds, model seed) is the run seed as well, the same
for every trial of the run, so that a run sees one deterministic objective. The incumbent
is then scored with ``problem.test`` under :data:`TEST_SEEDS`, which no run ever tunes on
(run seeds must stay below :data:`TEST_SEED_BASE`).

Multi-fidelity problems. ``n_trials`` counts *full-budget evaluations*: a trial at budget
``b`` costs ``b / fidelity.high`` of one, and a run stops once it has spent ``n_trials``.
Optimizers that propose no budget evaluate every trial at the full budget. A session that
continues a training run to a higher budget (a pruner's next rung) states the cost of the
continuation in :attr:`Ask.cost`; each trial's cost is kept in ``RunRecord.costs``.
Hyperpilot's optimizers get the problem's fidelity with their study.

A problem that raises fails the run (the record keeps the trials before it, the error and
the traceback head). A non-finite value is told to the optimizer as a failed trial and
recorded as ``null``.
"""

from __future__ import annotations

import math
import time
import traceback
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from hyperpilot.benchmarks._problem import Problem
from hyperpilot.benchmarks._records import RECORD_FORMAT, versions
from hyperpilot.optimizers._registry import make_optimizer
from hyperpilot.space._space import Config

TEST_SEED_BASE = 1_000_000
"""Test seeds start here; run (tuning) seeds must be smaller."""

TEST_SEEDS: tuple[int, ...] = (TEST_SEED_BASE, TEST_SEED_BASE + 1, TEST_SEED_BASE + 2)
"""The seeds under which an incumbent's test values are measured and averaged."""

TRACEBACK_LINES = 30
"""How many of the last traceback lines a failed record keeps."""


@dataclass(frozen=True)
class Ask:
    """What an optimizer proposes: a configuration and, for multi-fidelity, a budget.

    ``cost`` is the share of one full-budget evaluation the trial is charged; ``None``
    charges ``budget / fidelity.high`` (a run that continues an earlier one to a higher
    budget is charged only the increment).
    """

    config: Config
    budget: float | None = None
    cost: float | None = None


class Session(ABC):
    """One optimizer run in progress, driven by the harness through ask and tell."""

    @abstractmethod
    def ask(self) -> Ask:
        """Propose the next configuration (already validated against the problem's space)."""

    @abstractmethod
    def tell(self, values: Mapping[str, float] | None) -> None:
        """Report the values of the last proposal (objective name to value, raw direction).

        ``None`` reports a failed evaluation (the problem returned a non-finite value).
        """

    def close(self) -> None:  # noqa: B027 - optional hook, most sessions hold nothing
        """Release what the session holds (temporary folders); called once at the end."""


@dataclass
class RunRecord:
    """The outcome of one run; :meth:`to_json` gives its line in the results file.

    ``values`` and ``best`` map each objective name to one entry per trial in evaluation
    order (``best`` is the running best in the objective's direction). ``budgets`` holds
    the budget of each trial for multi-fidelity problems, else ``None``; ``costs`` the
    share of one full-budget evaluation each trial was charged.
    """

    problem: str
    family: str
    optimizer: str
    seed: int
    n_trials: int
    status: str = "ok"
    error: str | None = None
    traceback: str | None = None
    objectives: list[dict[str, str]] = field(default_factory=list)
    values: dict[str, list[float | None]] = field(default_factory=dict)
    best: dict[str, list[float | None]] = field(default_factory=dict)
    budgets: list[float] | None = None
    costs: list[float] | None = None
    overhead: list[float] = field(default_factory=list)
    eval_seconds: list[float] = field(default_factory=list)
    setup_seconds: float = 0.0
    wall_seconds: float = 0.0
    tuning_seed: int = 0
    incumbent: dict[str, Any] | None = None
    test: dict[str, Any] | None = None
    problem_info: dict[str, Any] = field(default_factory=dict)
    reference_point: dict[str, float] | None = None
    versions: dict[str, str | None] = field(default_factory=dict)
    started_at: float = 0.0
    finished_at: float = 0.0
    optimizer_config: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """The record as a JSON-ready mapping (``kind = "run"``)."""
        return {"kind": "run", "format": RECORD_FORMAT, **asdict(self)}


def full_budget_fraction(problem: Problem, budget: float | None) -> float:
    """The share of one full-budget evaluation that a trial at *budget* costs."""
    fidelity = problem.fidelity
    if fidelity is None or budget is None:
        return 1.0
    return min(1.0, float(budget) / float(fidelity.high))


def trial_cap(problem: Problem, n_trials: int) -> int:
    """The most trials a run of *n_trials* full-budget evaluations may take.

    That is every trial at the lowest budget.
    """
    fidelity = problem.fidelity
    if fidelity is None:
        return n_trials
    return n_trials * max(1, math.ceil(fidelity.high / max(fidelity.low, 1e-12)))


def error_text(exc: BaseException) -> tuple[str, str]:
    """The one-line message of *exc* and the last lines of its traceback."""
    head = f"{type(exc).__name__}: {exc}".strip().splitlines()
    lines = "".join(traceback.format_exception(exc)).rstrip().splitlines()
    return (head[0] if head else type(exc).__name__), "\n".join(lines[-TRACEBACK_LINES:])


class OptimizerAdapter(ABC):
    """Runs one optimizer on a problem. Subclasses write :meth:`_start`.

    Attributes:
        name: the name on the command line and in the results (``"random"``,
            ``"optuna-tpe"``, ...).

    """

    name: str = ""

    def describe(self) -> dict[str, Any] | None:
        """The optimizer's settings, stored with each run (None when not known)."""
        return None

    def unsupported(self, problem: Problem) -> str | None:
        """Why this optimizer cannot run *problem*, or ``None`` when it can."""
        return None

    @abstractmethod
    def _start(self, problem: Problem, *, n_trials: int, seed: int) -> Session:
        """Build the optimizer for *problem* and return its session."""

    def run(self, problem: Problem, *, n_trials: int, seed: int,
            test_seeds: Sequence[int] = TEST_SEEDS) -> RunRecord:
        """Run the optimizer for *n_trials* evaluations and return the record.

        Never raises for a failing optimizer or problem: the record's status says
        ``"failed"`` (with the error and the traceback head) or ``"unsupported"``.

        Raises:
            ValueError: when *n_trials* < 1 or *seed* is outside ``[0, TEST_SEED_BASE)``.

        """
        if n_trials < 1:
            raise ValueError(f"n_trials must be at least 1, got {n_trials}")
        if not 0 <= seed < TEST_SEED_BASE:
            raise ValueError(f"seed must lie in [0, {TEST_SEED_BASE}), got {seed}")
        objectives = problem.objectives
        record = RunRecord(
            problem=problem.name, family=problem.family, optimizer=self.name, seed=seed,
            n_trials=n_trials, objectives=[{"name": o.name, "direction": o.direction}
                                           for o in objectives],
            values={o.name: [] for o in objectives},
            budgets=[] if problem.fidelity is not None else None,
            costs=[] if problem.fidelity is not None else None, tuning_seed=seed,
            problem_info=problem.describe(), reference_point=problem.reference_point,
            versions=versions(), started_at=time.time(), optimizer_config=self.describe(),
        )
        start = time.perf_counter()
        reason = self.unsupported(problem)
        if reason is not None:
            record.status, record.error = "unsupported", reason
        else:
            configs: list[Config] = []
            try:
                self._drive(problem, record, start, configs)
                record.wall_seconds = time.perf_counter() - start
                self._score_incumbent(problem, record, configs, test_seeds)
            except Exception as exc:  # recorded, never raised: one run must not stop the rest
                record.status = "failed"
                record.error, record.traceback = error_text(exc)
        if not record.wall_seconds:
            record.wall_seconds = time.perf_counter() - start
        record.best = _running_best(record)
        record.finished_at = time.time()
        return record

    def _drive(self, problem: Problem, record: RunRecord, start: float,
               configs: list[Config]) -> None:
        session = self._start(problem, n_trials=record.n_trials, seed=record.seed)
        record.setup_seconds = time.perf_counter() - start
        try:
            spent, cap = 0.0, trial_cap(problem, record.n_trials)
            while spent < record.n_trials - 1e-9 and len(record.overhead) < cap:
                t0 = time.perf_counter()
                proposal = session.ask()
                t1 = time.perf_counter()
                raw = problem.evaluate(proposal.config, budget=proposal.budget,
                                       seed=record.tuning_seed)
                t2 = time.perf_counter()
                values = _objective_values(raw, problem)
                session.tell(values)
                t3 = time.perf_counter()
                for objective in problem.objectives:
                    record.values[objective.name].append(
                        None if values is None else values[objective.name])
                if record.budgets is not None:
                    fidelity = problem.fidelity
                    assert fidelity is not None
                    record.budgets.append(
                        float(fidelity.high if proposal.budget is None else proposal.budget))
                record.overhead.append((t1 - t0) + (t3 - t2))
                record.eval_seconds.append(t2 - t1)
                cost = full_budget_fraction(problem, proposal.budget) \
                    if proposal.cost is None else float(proposal.cost)
                if record.costs is not None:
                    record.costs.append(cost)
                spent += cost
                configs.append(dict(proposal.config))
        finally:
            session.close()

    def _score_incumbent(self, problem: Problem, record: RunRecord, configs: list[Config],
                         test_seeds: Sequence[int]) -> None:
        index = incumbent_index(record)
        if index is None:
            return
        config = configs[index]
        record.incumbent = {
            "trial": index, "config": config,
            "values": {name: vals[index] for name, vals in record.values.items()},
        }
        if type(problem).test is Problem.test or len(problem.objectives) != 1:
            return
        t0 = time.perf_counter()
        per_seed = [dict(problem.test(config, seed=s)) for s in test_seeds]
        names = [o.name for o in problem.objectives]
        record.test = {
            "seeds": list(test_seeds),
            "values": {n: float(np.mean([float(v[n]) for v in per_seed])) for n in names},
            "per_seed": [{n: float(v[n]) for n in names} for v in per_seed],
            "seconds": time.perf_counter() - t0,
        }


def _objective_values(raw: Any, problem: Problem) -> dict[str, float] | None:
    """The objective values of an evaluation, or ``None`` when one is not finite."""
    if not isinstance(raw, Mapping):
        raise TypeError(f"problem {problem.name!r}: evaluate() must return a mapping of "
                        f"objective names to numbers, got {type(raw).__name__} {raw!r}")
    out: dict[str, float] = {}
    for objective in problem.objectives:
        if objective.name not in raw:
            raise KeyError(f"problem {problem.name!r}: evaluate() returned no value for "
                           f"objective {objective.name!r}; got keys {sorted(raw)}")
        value = float(raw[objective.name])
        if not math.isfinite(value):
            return None
        out[objective.name] = value
    return out


def _direction_signs(record: RunRecord) -> dict[str, float]:
    return {o["name"]: (1.0 if o["direction"] == "minimize" else -1.0)
            for o in record.objectives}


def _running_best(record: RunRecord) -> dict[str, list[float | None]]:
    out: dict[str, list[float | None]] = {}
    for name, sign in _direction_signs(record).items():
        best: float | None = None
        column: list[float | None] = []
        for value in record.values.get(name, []):
            if value is not None and (best is None or sign * value < sign * best):
                best = value
            column.append(best)
        out[name] = column
    return out


def incumbent_index(record: RunRecord) -> int | None:
    """The trial of the best first-objective value at the highest budget seen, if any.

    For a multi-objective problem this is the best trial of the first objective; the
    report judges such runs by the hypervolume of all their trials instead.
    """
    if not record.objectives:
        return None
    first = record.objectives[0]["name"]
    sign = _direction_signs(record)[first]
    values = record.values.get(first, [])
    candidates = [i for i, v in enumerate(values) if v is not None]
    if record.budgets:
        top = max(record.budgets[i] for i in candidates) if candidates else None
        candidates = [i for i in candidates if record.budgets[i] == top]
    if not candidates:
        return None
    return min(candidates, key=lambda i: sign * float(values[i]))  # type: ignore[arg-type]


# ---------------------------------------------------------------------- hyperpilot
class HyperpilotAdapter(OptimizerAdapter):
    """One of hyperpilot's own optimizers on an in-memory study.

    Args:
        optimizer: a name of :data:`~hyperpilot.optimizers._registry.OPTIMIZERS`, or a
            description (a mapping with ``name`` and settings, as ``to_config()`` writes).
        label: the name in the results; default the optimizer's name.

    Raises:
        OptimizerError: for a name the registry does not hold or invalid settings.

    """

    def __init__(self, optimizer: str | Mapping[str, Any], label: str | None = None) -> None:
        built = make_optimizer(optimizer)  # checks the name and the settings now
        self.optimizer = optimizer
        self._config = built.to_config()
        self.name = label or built.name

    def describe(self) -> dict[str, Any]:
        """The optimizer's ``to_config()``."""
        return dict(self._config)

    def _start(self, problem: Problem, *, n_trials: int, seed: int) -> Session:
        from hyperpilot.space._fidelity import Fidelity
        from hyperpilot.study._study import create_study

        fidelity = None
        if problem.fidelity is not None:
            axis = problem.fidelity
            number = int if axis.integer else float
            fidelity = Fidelity(axis.name, number(axis.low), number(axis.high), log=axis.log)
        study = create_study(space=problem.space, objectives=list(problem.objectives),
                             optimizer=make_optimizer(self.optimizer), storage="memory",
                             seed=seed, name=f"{problem.name}-{self.name}-{seed}",
                             fidelity=fidelity)
        return _StudySession(study, problem)


class _StudySession(Session):
    def __init__(self, study: Any, problem: Problem) -> None:
        self._study = study
        self._problem = problem
        self._trial: Any = None

    def ask(self) -> Ask:
        self._trial = self._study.ask()
        return Ask(dict(self._trial.config), self._trial.budget)

    def tell(self, values: Mapping[str, float] | None) -> None:
        if values is None:
            self._study.tell(self._trial, state="failed", error="non-finite objective value")
        else:
            self._study.tell(self._trial, dict(values))
