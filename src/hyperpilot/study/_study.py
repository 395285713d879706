"""The study: a search space, its objectives, an optimizer, and the trials in a storage."""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hyperpilot._pareto import nondominated_mask
from hyperpilot._pareto import violation as constraint_violation
from hyperpilot.exceptions import (
    BudgetError,
    DuplicateConfigurationError,
    DuplicateStudyError,
    HyperpilotError,
    NoCompleteTrialError,
    OptimizerError,
    StorageError,
    StudyFullError,
    StudyMismatchError,
    StudyNotFoundError,
    TrialNotFoundError,
    TrialStateError,
)
from hyperpilot.execution._call import format_error
from hyperpilot.execution._heartbeat import DEFAULT_INTERVAL
from hyperpilot.optimizers._base import History, Optimizer
from hyperpilot.optimizers._registry import make_optimizer
from hyperpilot.optimizers._steering import SteeringState
from hyperpilot.space._fidelity import Fidelity
from hyperpilot.space._instances import Instances
from hyperpilot.space._params import Hyperparameter
from hyperpilot.space._space import Space
from hyperpilot.storage._base import NewTrial, Storage, StudyRecord, TrialOutcome
from hyperpilot.storage._url import (
    default_storage_url,
    display_url,
    get_storage,
    sqlite_file,
)
from hyperpilot.study._abandoned import abandoned_reason
from hyperpilot.study._caches import CurveCache, TrialCache, typed_budget
from hyperpilot.study._failures import no_complete_text
from hyperpilot.study._instances import ConfigurationMean, ConfigurationMeans
from hyperpilot.study._report import LocalReporter, PruningJudge
from hyperpilot.study._settings import RunSettings
from hyperpilot.study._spec import StudySpec
from hyperpilot.study._steer import EventCache, Steering
from hyperpilot.trial._objectives import (
    Constraint,
    Objective,
    normalize_result,
    parse_constraints,
    parse_objectives,
)
from hyperpilot.trial._trial import Trial, TrialState, bind_reporter

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger("hyperpilot")

DEFAULT_OPTIMIZER = "auto"
"""The optimizer of a new study when none is given: it picks a method from the study
(``optimizers/_auto.py``)."""


def worker_id() -> str:
    """Name this process as ``host:pid``; recorded on every trial it runs."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Study(Steering):
    """A study: ask for configurations, tell their results, read the best, steer it.

    Create one with :func:`create_study` or reopen one with :func:`load_study`.

    Args:
        storage: where the trials live.
        record: the stored study.
        optimizer: proposes configurations; by default the one the study stored, rebuilt
            when it is first needed (so a study whose optimizer cannot be rebuilt here can
            still be read).
        independent: this handle is one of several processes that propose for the study
            independently (:func:`run_worker`): the optimizer then draws from a random
            stream of its own, so that two workers never propose the same configuration.
            Such runs are not bit-reproducible; a single process with the same seed is.

    """

    def __init__(self, *, storage: Storage, record: StudyRecord,
                 optimizer: Optimizer | None = None, independent: bool = False) -> None:
        self.storage = storage
        self.record = record
        self._optimizer = optimizer
        self.spec = StudySpec.from_json(record.spec, study=record.name,
                                        where=display_url(storage.url))
        self.space: Space = self.spec.space
        self.objectives: tuple[Objective, ...] = self.spec.objectives
        self.constraints: tuple[Constraint, ...] = self.spec.constraints
        self.seed: int = self.spec.seed
        self.fidelity: Fidelity | None = self.spec.fidelity
        self.instances: Instances | None = self.spec.instances
        self._means: ConfigurationMeans | None = None  # per configuration, with instances
        # The optimizer is used by the loop (ask) and by should_stop(), which isolated
        # trials' supervising threads may ask at the same time.
        self._optimizer_lock = threading.RLock()
        self._reporter = LocalReporter(storage, PruningJudge(
            storage=storage, study_id=record.id, spec=self.spec,
            optimizer=lambda: self.optimizer, lock=self._optimizer_lock))
        self._cache = TrialCache(storage, record.id, self._reporter, self.fidelity)
        self._curves = CurveCache(storage, record.id)
        self._events = EventCache(storage, record.id)
        self._next_number: int | None = None
        self._running: dict[int, Trial] = {}
        self.independent = independent
        self._proposal_seed = self.seed
        if independent:
            salt = secrets.randbits(63)
            self._proposal_seed = int(
                np.random.SeedSequence([self.seed, salt]).generate_state(1, np.uint64)[0] >> 1
            )
        self._reap_lock = threading.Lock()
        self._reap_from = 0

    @property
    def optimizer(self) -> Optimizer:
        """The optimizer that proposes configurations (the stored one unless set).

        Raises:
            OptimizerError: when the stored optimizer cannot be rebuilt in this process.

        """
        if self._optimizer is None:
            self._optimizer = stored_optimizer(self.record)
        return self._optimizer

    @optimizer.setter
    def optimizer(self, optimizer: Optimizer) -> None:
        self._optimizer = optimizer

    @property
    def name(self) -> str:
        """The study's unique name in its storage."""
        return self.record.name

    @property
    def id(self) -> int:
        """The study's id in its storage."""
        return self.record.id

    def __repr__(self) -> str:
        return f"Study(name={self.name!r}, storage={self.storage.url!r})"

    # ------------------------------------------------------------------ ask / tell
    def history(self, *, workers: int = 1) -> History:
        """What the optimizer sees now (trials are read lazily).

        ``number`` is the number the next trial will get when this process is the only one
        adding trials; an independent worker's ``seed`` is its own stream's. *workers*:
        the trials this process runs at once (an independent worker counts at least 2).
        """
        if self._next_number is None:  # first ask: continue the numbering of the storage
            self._next_number = max((t.number for t in self._cache.load()), default=-1) + 1
        return History(
            space=self.space, objectives=self.objectives, constraints=self.constraints,
            number=self._next_number, seed=self._proposal_seed, load=self._cache.load,
            curves=self._curves.load,
            steering=SteeringState.replay(self._events.load(), upto=self._next_number),
            fidelity=self.fidelity, instances=self.instances,
            workers=max(workers, 2) if self.independent else workers,
        )

    def ask(self) -> Trial:
        """Start a trial: the oldest enqueued configuration, else the optimizer's proposal.

        ``trial.config`` holds the active hyperparameters; report with :meth:`tell`.
        """
        trial = self._start()
        assert trial is not None
        return trial

    def _start(self, *, heartbeat_interval: float | None = None,
               max_trials: int | None = None,
               max_budget: float | None = None, workers: int = 1) -> Trial | None:
        """:meth:`ask` for the optimize loops.

        With *heartbeat_interval* the trial carries its first heartbeat (the loop beats
        on); with *max_trials* no trial is added once the study holds that many, and
        ``None`` is returned; with *max_budget* no trial starts whose cost
        (:meth:`cost`) exceeds it, and ``None`` is returned. *workers*: the trials the
        loop runs at once, which the optimizer sees as ``history.workers``.
        """
        now = time.time()
        beat = now if heartbeat_interval is not None else None
        if max_budget is not None:
            pending = [t for t in self.history().all_trials if t.state == TrialState.PENDING]
            if pending and self.cost(pending[0].budget) > max_budget:
                return None  # the next enqueued trial would overspend
        trial = self.storage.claim_pending(self.id, worker_id(), now)
        if trial is None:
            # An independent worker cannot see the proposals that other workers are about
            # to store: unless the optimizer wants repeats, a proposal is stored only if no
            # trial has its configuration; otherwise the numbering is read again from the
            # storage and the optimizer asked again, at most 10 times.
            unique = self.independent and not self.optimizer.wants_repeats
            refused = 0
            while trial is None:
                history = self.history(workers=workers)
                with self._optimizer_lock:
                    proposal = self.optimizer.ask(history)
                budget = self._budget(proposal.budget,
                                      f"optimizer {self.optimizer.name!r} proposed budget")
                self._check_pair(proposal.instance, proposal.seed,
                                 f"optimizer {self.optimizer.name!r}")
                if max_budget is not None and self.cost(budget) > max_budget:
                    return None
                # The trial starts now, not before the proposal: a slow proposal must
                # neither count as the trial's time nor make its first heartbeat stale.
                now = time.time()
                beat = now if heartbeat_interval is not None else None
                meta = dict(proposal.meta)
                if not history.steering.is_empty:
                    meta["steering"] = history.steering.in_force()
                if heartbeat_interval is not None and heartbeat_interval != DEFAULT_INTERVAL:
                    meta["heartbeat_interval"] = heartbeat_interval
                try:
                    trial = self.storage.add_trial(self.id, NewTrial(
                        config=proposal.config, budget=budget, seed=proposal.seed,
                        instance=proposal.instance, worker=worker_id(), created_at=now,
                        meta=meta, heartbeat_at=beat, max_trials=max_trials, unique=unique,
                    ))
                except StudyFullError:
                    return None
                except DuplicateConfigurationError:
                    self._next_number = None  # follow the numbering of the storage
                    refused += 1
                    unique = refused < 10
            if refused == 10:
                logger.warning(
                    "study %r: 10 proposals in a row repeated configurations that trials "
                    "already have (is the space nearly exhausted?); trial %d was stored "
                    "without that check", self.name, trial.number)
            self._record_verdicts(trial.number, trial.meta)
        elif beat is not None:
            self.storage.heartbeat([trial.id], beat)
            trial.heartbeat_at = beat
        self._next_number = max(self._next_number or 0, trial.number + 1)
        if self.fidelity is not None and trial.budget is not None:
            trial.budget = self.fidelity.cast(trial.budget)  # 3 epochs, not 3.0
        self._running[trial.id] = bind_reporter(trial, self._reporter)
        return trial

    def cost(self, budget: float | None) -> float:
        """What a trial at *budget* spends of ``optimize(max_budget=...)``.

        Its budget (``None``: the fidelity's max); 1 per trial in a study without a fidelity.
        """
        if self.fidelity is None:
            return 1.0
        return float(self.fidelity.max if budget is None else budget)

    def _budget(self, budget: float | None, what: str) -> float | None:
        """The budget a new trial gets: *budget* checked against the fidelity, else its max.

        Raises:
            BudgetError: for a budget outside the fidelity's range, or any budget in a study
                without a fidelity.

        """
        if self.fidelity is None:
            if budget is None:
                return None
            raise BudgetError(
                f"study {self.name!r} has no fidelity, so a trial cannot have a budget "
                f"({what} {budget!r}); declare one: create_study(..., fidelity=Fidelity(...))"
            )
        if budget is None:
            return self.fidelity.cast(self.fidelity.max)
        return self.fidelity.check(budget, what=what)

    def _check_pair(self, instance: Any, seed: Any, who: str) -> None:
        """Refuse an instance (or a declared study's seed) the study does not declare.

        Raises:
            OptimizerError: one line naming *who* gave it and what the study declares; in
                a study with instances a proposal must name one (``optimizer="race"`` does).

        """
        if self.instances is not None:
            missing = ("instance" if self.instances.names and instance is None else
                       "seed" if self.instances.seeds and seed is None else None)
            if missing is not None:
                raise OptimizerError(
                    f"{who} named no {missing}, but study "
                    f"{self.name!r} evaluates every trial on one (instances/seeds); use "
                    "optimizer='race', which chooses them")
            self.instances.check(instance, seed, who=who)
        elif instance is not None:
            raise OptimizerError(f"{who} gave instance {instance!r}, but study {self.name!r} "
                                 "declares no instances (create_study(instances=[...]))")

    def tell(
        self,
        trial: Trial | int,
        result: Any = None,
        *,
        state: TrialState | str | None = None,
        error: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> Trial:
        """Finish a running trial and return the finished record.

        Args:
            trial: the trial from :meth:`ask` (or its id).
            result: a number (one objective), a mapping of objective and constraint names
                to numbers, or a :class:`~hyperpilot.Result`. A result that is not finite or
                not a number fails the trial with the reason; nothing is raised.
            state: ``"failed"`` or ``"pruned"`` to finish without a result; by default
                ``"complete"`` when a result is given.
            error: why the trial failed (stored with it).
            meta: JSON-ready data merged into the trial's meta (e.g. captured output).

        Raises:
            TrialStateError: if the trial is not running (already told, or failed meanwhile).

        """
        return self._finish(trial, result, state=state, error=error, meta=meta, warn=True)

    def _finish(self, trial: Trial | int, result: Any = None, *,
                state: TrialState | str | None = None, error: str | None = None,
                meta: Mapping[str, Any] | None = None, warn: bool = False) -> Trial:
        """:meth:`tell`; with *warn* an invalid result is also logged (the loops log their own)."""
        trial = self._running_trial(trial)
        outcome_state = TrialState(state) if state is not None else (
            TrialState.COMPLETE if result is not None else TrialState.FAILED
        )
        values = constraints = None
        extra = dict(meta or {})
        meta = {}
        if outcome_state == TrialState.COMPLETE:
            try:
                values, constraints, meta = normalize_result(
                    result, self.objectives, self.constraints
                )
            except HyperpilotError as exc:
                outcome_state, error = TrialState.FAILED, f"invalid result: {exc}"
                if warn:
                    logger.warning("trial %d failed: %s", trial.number, error)
        elif outcome_state == TrialState.FAILED and error is None:
            error = "failed without a reason (tell() got no result)"
        elif not outcome_state.is_finished:
            raise TrialStateError(
                f"tell() finishes trials; state {outcome_state.value!r} is not final"
            )
        meta = {**extra, **meta}
        finished_at = time.time()
        self.storage.finish_trial(trial.id, TrialOutcome(
            state=outcome_state, finished_at=finished_at, values=values,
            constraints=constraints, error=error, meta=meta or None,
        ))
        self._running.pop(trial.id, None)
        trial.state, trial.values, trial.constraints = outcome_state, values, constraints
        trial.error, trial.finished_at = error, finished_at
        if meta:
            trial.meta = {**trial.meta, **meta}
        return trial

    def _running_trial(self, trial: Trial | int) -> Trial:
        trial_id = trial if isinstance(trial, int) else trial.id
        if trial_id in self._running:
            return self._running[trial_id]
        try:
            stored = self.storage.get_trial(trial_id)
        except TrialNotFoundError:
            stored = None
        if stored is None or stored.study_id != self.id:
            raise TrialStateError(f"study {self.name!r} has no trial with id {trial_id}")
        if stored.state != TrialState.RUNNING:
            raise TrialStateError(
                f"trial {stored.number} of study {self.name!r} is {stored.state.value}, "
                "not running; it cannot be told again"
            )
        return stored

    def enqueue(
        self, config: Mapping[str, Any], *, budget: float | None = None,
        meta: Mapping[str, Any] | None = None, origin: str = "python",
        author: str | None = None, instance: str | None = None, seed: int | None = None,
    ) -> Trial:
        """Queue a configuration to be evaluated before the optimizer's next proposals.

        In a study with a fidelity the trial runs at *budget* (by default the full one).
        In a study with instances or seeds it runs on *instance* with *seed*, which must be
        declared ones (the race of ``optimizer="race"`` does not count enqueued trials).

        *config* may be partial: the active hyperparameters it leaves out are filled in now
        by the study's optimizer (its proposal for the next trial, with the given values
        kept), so ``study.enqueue({"lr": 0.01})`` tries that learning rate with the rest
        chosen as the optimizer would. ``trial.meta["given"]`` lists the names given.

        Raises:
            ConfigurationError: naming the offending hyperparameter if *config* does not fit.

        """
        self._check_who(origin, author)
        budget = self._budget(budget, "enqueue() got budget")
        self._check_pair(instance, seed, "enqueue()")
        valid = self.space.complete(config, {})
        filled = [name for name in valid if name not in config]
        extra: dict[str, Any] = {"enqueued": True}
        if filled:
            with self._optimizer_lock:
                proposal = self.optimizer.ask(self.history())
            valid = self.space.complete(config, proposal.config)
            extra["given"] = [name for name in valid if name in config]
        trial = self.storage.add_trial(self.id, NewTrial(
            config=valid, state=TrialState.PENDING, budget=budget, created_at=time.time(),
            instance=instance, seed=seed,
            meta={**extra, **dict(meta or {})},
        ))
        self._next_number = None  # the queue took a number: follow the storage's count
        self._intervene("enqueue", {"trial": trial.number, "config": valid}, origin, author)
        if filled:
            logger.info("trial %d enqueued with %s given and %s from optimizer %s",
                        trial.number, ", ".join(extra["given"]) or "nothing",
                        ", ".join(filled), self.optimizer.name)
        return trial

    def fail_abandoned(self, *, grace: float | None = None) -> list[Trial]:
        """Fail running trials whose worker is gone; return them.

        A trial is abandoned when

        * its worker ran on this host and that process no longer exists (killed, crashed,
          machine rebooted; a reused process id is recognized by its start time); or
        * its worker ran on another host and sent heartbeats, but none for *grace* seconds
          (by default three of the trial's heartbeat intervals).

        A process of this host that still exists is never declared dead, however late its
        heartbeat; trials without heartbeats (a hand-written ask/tell loop) of another host
        are left alone. The failed trials carry the reason; the configuration can be
        enqueued again. Only trials not yet known to be finished are read.
        """
        host = socket.gethostname()
        failed = []
        with self._reap_lock:
            trials = self.storage.get_trials(self.id, min_id=self._reap_from)
            unfinished = [t.id for t in trials if not t.state.is_finished]
            if unfinished:
                self._reap_from = min(unfinished)
            elif trials:
                self._reap_from = trials[-1].id + 1
        now = time.time()
        for trial in trials:
            if trial.state != TrialState.RUNNING or not trial.worker:
                continue
            reason = abandoned_reason(trial, host, now, grace)
            if reason is None:
                continue
            try:
                self.storage.finish_trial(trial.id, TrialOutcome(
                    TrialState.FAILED, time.time(), error=reason,
                ))
            except TrialStateError:
                continue  # finished meanwhile by someone else
            trial.state, trial.error = TrialState.FAILED, reason
            failed.append(trial)
        if failed:
            logger.warning("study %r: marked %d abandoned trial(s) as failed", self.name,
                           len(failed))
        return failed

    # ------------------------------------------------------------------ reading
    @property
    def trials(self) -> list[Trial]:
        """Every trial of the study, oldest first."""
        return [typed_budget(bind_reporter(t, self._reporter), self.fidelity)
                for t in self.storage.get_trials(self.id)]

    def get_trials(self, states: Sequence[TrialState | str] | None = None) -> list[Trial]:
        """Trials in the given states (all by default), oldest first."""
        trials = self._cache.load()
        if self._means is not None and not self._means.current(trials):
            self._means = None  # trials completed since: rank_key rebuilds the means
        if states is None:
            return trials
        wanted = {TrialState(s) for s in states}
        return [t for t in trials if t.state in wanted]

    def violation(self, trial: Trial) -> float:
        """How far *trial* exceeds its constraint bounds in total (0 when feasible)."""
        return constraint_violation(trial.constraints, self.constraints)

    @property
    def best_trial(self) -> Trial:
        """The best complete trial of a single-objective study.

        In a study with a fidelity only the highest budget at which a trial completed
        counts (a low-budget value is a cheap estimate, not a result). Then feasible
        trials come first; among infeasible ones the least violating wins.

        In a study with instances or seeds the configuration is judged, not the trial:
        among the configurations that completed on the most instance-seed pairs, the best
        mean over its pairs (mean constraint values for feasibility) wins, and its first
        complete trial is returned; :attr:`best_value` is that mean.

        Raises:
            ValueError: for a multi-objective study (use :attr:`best_trials`).
            NoCompleteTrialError: when no trial has completed (saying how many failed and
                the most common error).

        """
        if len(self.objectives) != 1:
            raise ValueError(
                f"study {self.name!r} has {len(self.objectives)} objectives; use best_trials"
            )
        trials = self.get_trials()
        complete = [t for t in trials if t.state == TrialState.COMPLETE]
        if not complete:
            raise NoCompleteTrialError(f"study {self.name!r}: {no_complete_text(trials)}")
        if self.instances is not None:
            self._means = ConfigurationMeans(trials)
        return min(complete, key=self.rank_key)

    def rank_key(self, trial: Trial) -> tuple[float, float, float]:
        """How a complete trial ranks; lower is better.

        In a study with a fidelity its budget first (higher is better), then its
        constraint violation, then its first objective's value oriented for minimization.
        In a study with instances, its configuration's (:meth:`configuration_mean`): minus
        its instance-seed pairs, the violation of its mean constraints, its mean value.
        """
        objective = self.objectives[0]
        if self.instances is not None:
            self._value(trial, objective.name)
            mean = self.configuration_mean(trial)
            return (-float(mean.pairs), constraint_violation(mean.constraints, self.constraints),
                    objective.sign * mean.values[objective.name])
        budget = 0.0
        if self.fidelity is not None:
            budget = -(self.fidelity.max if trial.budget is None else trial.budget)
        return (budget, self.violation(trial),
                objective.sign * self._value(trial, objective.name))

    def configuration_mean(self, trial: Trial) -> ConfigurationMean:
        """The mean record of *trial*'s configuration over the pairs it completed on.

        Its complete trials (in a study with instances, one per instance-seed pair) are
        grouped by configuration; a configuration without a complete trial counts *trial*
        alone.
        """
        if self._means is None or trial.id not in self._means.covered:
            self._means = ConfigurationMeans(self.get_trials())
        mean = self._means.of(trial)
        if mean is None:
            return ConfigurationMean(pairs=1, values=dict(trial.values or {}),
                                     constraints=trial.constraints, first=trial.number)
        return mean

    def _value(self, trial: Trial, name: str) -> float:
        """*trial*'s value of objective *name*; a complete trial without it is damage."""
        values = trial.values or {}
        if name not in values:
            raise StorageError(
                f"trial {trial.number} of study {self.name!r} is complete but holds no value "
                f"for objective {name!r} (it holds {sorted(values)}); the storage may be "
                "damaged"
            )
        return values[name]

    @property
    def best_value(self) -> float:
        """The objective value of :attr:`best_trial` (single-objective studies).

        In a study with instances, its configuration's mean over its instance-seed pairs.
        """
        best = self.best_trial
        if self.instances is not None:
            return self.configuration_mean(best).values[self.objectives[0].name]
        value = best.value
        assert value is not None  # a complete trial has its values
        return value

    @property
    def best_params(self) -> dict[str, Any]:
        """The configuration of :attr:`best_trial` (single-objective studies)."""
        return dict(self.best_trial.config)

    def where(self) -> str:
        """Where the study's trials live, for messages: the storage URL, or memory."""
        if not self.storage.persistent:
            return "memory (gone when this process ends)"
        return display_url(self.storage.url)

    def kept_note(self) -> str:
        """What happens to finished trials when a run stops, as a clause for messages."""
        if not self.storage.persistent:
            return "its finished trials stay in this Study object until the process ends"
        return f"its finished trials are stored in {display_url(self.storage.url)}"

    @property
    def best_trials(self) -> list[Trial]:
        """The Pareto front: complete, feasible trials that no other trial dominates.

        In a study with a fidelity, among the trials at the highest budget any completed.
        In a study with instances, one trial (the first) per configuration, among the
        configurations with the most instance-seed pairs, judged by their means.
        """
        if self.instances is not None:
            return self._best_configurations()
        complete = [t for t in self.get_trials([TrialState.COMPLETE]) if self.violation(t) == 0]
        if not complete:
            return []
        if self.fidelity is not None:
            top = min(self.rank_key(t)[0] for t in complete)  # minus the highest budget
            complete = [t for t in complete if self.rank_key(t)[0] == top]
        points = np.array([[o.sign * self._value(t, o.name) for o in self.objectives]
                           for t in complete])
        keep = nondominated_mask(points)
        return [t for t, kept in zip(complete, keep, strict=True) if kept]

    def _best_configurations(self) -> list[Trial]:
        """:attr:`best_trials` of a study with instances (see there)."""
        trials = self.get_trials()
        self._means = ConfigurationMeans(trials)
        firsts: dict[int, Trial] = {t.number: t for t in trials}
        means = {}
        for trial in trials:
            mean = self._means.of(trial)
            if mean is not None and mean.first not in means and constraint_violation(
                    mean.constraints, self.constraints) == 0:
                means[mean.first] = mean
        if not means:
            return []
        most = max(m.pairs for m in means.values())
        chosen = sorted(n for n, m in means.items() if m.pairs == most)
        points = np.array([[o.sign * means[n].values[o.name] for o in self.objectives]
                           for n in chosen])
        keep = nondominated_mask(points)
        return [firsts[n] for n, kept in zip(chosen, keep, strict=True) if kept]

    def to_dataframe(self) -> pd.DataFrame:
        """One row per trial: ``number, state, objective.*, constraint.*, config.*, ...``."""
        from hyperpilot.study._dataframe import trials_to_dataframe

        return trials_to_dataframe(
            self.trials, self.space.names, [o.name for o in self.objectives],
            [c.name for c in self.constraints],
            int_params=[n for n in self.space.names if self.space[n].kind == "int"],
        )

    # ------------------------------------------------------------------ the loop
    def optimize(
        self,
        objective: Callable[..., Any],
        n_trials: int | None = None,
        *,
        total_trials: int | None = None,
        timeout: float | None = None,
        max_budget: float | None = None,
        trial_timeout: float | None = None,
        max_consecutive_failures: int | None = 10,
        show_progress: bool = True,
        callbacks: Sequence[Callable[[Study, Trial], None]] = (),
        n_workers: int | None = None,
        executor: Any = None,
        isolation: str | None = None,
        memory_limit: int | float | str | None = None,
        heartbeat_interval: float = DEFAULT_INTERVAL,
    ) -> Study:
        """Evaluate *objective* on proposed configurations until a limit is reached.

        Args:
            objective: called as ``objective(config)``; if it declares parameters named
                ``trial``, ``budget``, ``seed`` or ``instance`` they are passed by keyword.
                It returns a number, a mapping of objective (and constraint) names to
                numbers, or a :class:`~hyperpilot.Result`. With ``trial`` it may report a
                learning curve while it runs (``trial.report``, ``trial.should_stop()``;
                see ``docs/learning-curves.md``).
            n_trials: how many trials to run in this call. Without *n_trials*,
                *total_trials* and *timeout*, trials run until the process is interrupted
                (Ctrl-C fails the running trial and keeps the finished ones).
            total_trials: stop once the study holds this many finished trials, counting
                those of earlier runs: rerunning the same script resumes where it stopped.
            timeout: seconds after which no new trial starts.
            max_budget: the budget this call may spend: no trial starts once the budgets
                of the trials it started, with the next one's, would exceed it (a trial
                costs its budget; 1 in a study without a fidelity). Pruned and failed trials
                count at their full budget.
            trial_timeout: seconds after which a trial is stopped and failed.
            max_consecutive_failures: stop with :class:`TooManyFailuresError` after this
                many failed trials in a row (``None``: never).
            show_progress: draw a progress bar with the best value and trials per second.
            callbacks: called as ``callback(study, trial)`` after each finished trial.
            n_workers: run this many trials at once, in a process pool (or with
                *executor*, on its workers; default: all its threads). The objective is
                sent with cloudpickle, so lambdas and closures work.
            executor: a Dask ``distributed.Client`` (``pip install 'hyperpilot[dask]'``) or
                any :class:`concurrent.futures.Executor` to run the trials on.
            isolation: ``"process"`` runs each trial in a fresh child process: a crash,
                ``sys.exit``, timeout or memory exhaustion fails that trial only, with the
                reason, and its stdout/stderr (the last 64 KiB each) are stored in
                ``trial.meta``. ``"none"`` runs it in the worker itself. By default trials
                are isolated when *memory_limit* is given, or when *trial_timeout* cannot
                be enforced by a signal where the trial runs (Dask, threads).
            memory_limit: the resident memory a trial may use, such as ``"2GB"``,
                ``"512MiB"`` or a number of bytes (implies ``isolation="process"``).
            heartbeat_interval: seconds between heartbeats of the running trials; another
                worker fails a trial of another machine after three intervals of silence.

        Exceptions raised by the objective fail the trial with the error text and the loop
        goes on; trials left running by dead workers are failed first, and then every
        *heartbeat_interval* seconds. With several workers the optimizer is asked
        whenever one is free and sees the trials still running (``History.running``).

        """
        from hyperpilot.study._optimize import run_loop

        settings = RunSettings(
            n_trials=n_trials, total_trials=total_trials, timeout=timeout,
            max_budget=max_budget, trial_timeout=trial_timeout,
            max_consecutive_failures=max_consecutive_failures, show_progress=show_progress,
            callbacks=callbacks, isolation=isolation, memory_limit=memory_limit,
            heartbeat_interval=heartbeat_interval)
        run_loop(self, objective, settings, n_workers=n_workers, executor=executor)
        return self


def _as_space(space: Space | Mapping[str, Hyperparameter]) -> Space:
    return space if isinstance(space, Space) else Space(space)


def create_study(
    *,
    space: Space | Mapping[str, Hyperparameter],
    objectives: Any = "minimize",
    constraints: Mapping[str, float] | Sequence[Constraint] | None = None,
    optimizer: str | Mapping[str, Any] | Optimizer | None = None,
    storage: str | Storage | None = None,
    name: str | None = None,
    seed: int | None = None,
    load_if_exists: bool = False,
    fidelity: Fidelity | None = None,
    instances: Sequence[str] | Mapping[str, Sequence[float]] | None = None,
    seeds: int | Sequence[int] | None = None,
) -> Study:
    """Create a study (or reopen it with ``load_if_exists=True``).

    Args:
        space: a :class:`Space` or a mapping of names to hyperparameters.
        objectives: ``"minimize"``, ``"maximize"``, or a mapping of names to directions.
        constraints: names mapped to upper bounds; a trial is feasible when every measured
            constraint value is at or below its bound.
        optimizer: a registry name (``"bo"``, ``"random"``, ``"sobol"``...), a mapping with
            ``name`` and arguments, a dotted ``module.Class`` path of a plugin, or an
            optimizer object; by default ``"auto"`` for a new study (which picks PriorBand,
            ASHA, model-based Hyperband or BO from the study and logs why) and the stored
            one for a reopened study.
        storage: ``"memory"``, a URL such as ``sqlite:///runs.db`` or ``postgresql://...``,
            or a storage object. By default a named study goes to ``$HYPERPILOT_STORAGE``,
            else ``sqlite:///hyperpilot.db``, and an unnamed one stays in memory, so that
            running a script twice never piles up anonymous studies in a file.
        name: unique within the storage; generated when omitted (``study-DATE-TIME-XXXX``).
        seed: makes the run reproducible; drawn at random (and stored) when omitted. A
            reopened study keeps its stored seed.
        load_if_exists: reopen an existing study of that name instead of failing, after
            checking that space, objectives, constraints, fidelity and instances match.
        fidelity: makes the study multi-fidelity: every trial has a budget in its range,
            which the objective receives (``def objective(config, budget)`` or
            ``trial.budget``); see ``docs/multi-fidelity.md``.
        instances: makes the study an algorithm-configuration study: each trial runs one
            configuration on one of these instances (distinct names, or a mapping of names
            to feature vectors), which the objective receives (``def objective(config,
            instance)`` or ``trial.instance``); use ``optimizer="race"``. The best
            configuration is judged by its mean over instances (see
            ``docs/multi-fidelity.md``, "Instances and seeds: racing").
        seeds: the seeds each configuration may be run with: ``N`` (``0..N-1``) or a list
            of distinct integers; the objective receives one as ``seed``. With instances,
            a trial is one instance-seed pair.

    Raises:
        SpaceError, ObjectiveSpecError, OptimizerError: for invalid arguments.
        DuplicateStudyError: if the name is taken and ``load_if_exists`` is false.
        StudyMismatchError: if the existing study differs from the arguments.

    """
    the_space = _as_space(space)
    objs = parse_objectives(objectives)
    cons = parse_constraints(constraints)
    declared = Instances.declare(instances, seeds)
    opt = make_optimizer(DEFAULT_OPTIMIZER if optimizer is None else optimizer)
    in_memory_by_default = storage is None and name is None
    if in_memory_by_default:
        storage = "memory"
    store = get_storage(storage)
    name = name or time.strftime("study-%Y%m%d-%H%M%S-") + secrets.token_hex(2)
    given_seed = seed
    seed = secrets.randbits(31) if seed is None else int(seed)
    if fidelity is not None and not isinstance(fidelity, Fidelity):
        raise BudgetError(f"fidelity must be a Fidelity(name, min, max), got {fidelity!r}")
    spec = StudySpec(space=the_space, objectives=objs, constraints=cons,
                     optimizer=opt.to_config(), seed=seed, fidelity=fidelity,
                     instances=declared)
    if load_if_exists:
        try:
            record = store.get_study(name)
        except LookupError:
            pass
        else:
            stored = StudySpec.from_json(record.spec, study=name,
                                         where=display_url(store.url))
            mismatch = stored.mismatch(spec)
            if mismatch is not None:
                raise StudyMismatchError(f"study {name!r} {mismatch}")
            if given_seed is not None and int(given_seed) != stored.seed:
                logger.warning("study %r keeps its stored seed %s; the seed %s given applies "
                               "to new studies only", name, stored.seed, given_seed)
            if optimizer is not None:
                _note_other_optimizer(record, opt)
            study = Study(storage=store, record=record,
                          optimizer=None if optimizer is None else opt)
            finished = sum(1 for t in study.get_trials() if t.state.is_finished)
            logger.info("study %r reopened from %s with %d finished trial%s", name,
                        study.where(), finished, "" if finished == 1 else "s")
            return study
    try:
        record = store.create_study(name, spec.to_json(), time.time())
    except DuplicateStudyError as exc:
        if not load_if_exists:
            raise DuplicateStudyError(
                f"{exc}; pass load_if_exists=True to continue it, or choose another name"
            ) from None
        # Another worker created it between our look-up and our insert.
        return create_study(space=the_space, objectives=objectives, constraints=constraints,
                            optimizer=optimizer, storage=store, name=name, seed=given_seed,
                            load_if_exists=True, fidelity=fidelity, instances=instances,
                            seeds=seeds)
    study = Study(storage=store, record=record, optimizer=opt)
    hint = (f" (give name=... to keep it in {default_storage_url()})"
            if in_memory_by_default else "")
    logger.info("study %r created in %s with optimizer %s%s", name, study.where(),
                opt.config_name(), hint)
    return study


def load_study(
    name: str,
    storage: str | Storage | None = None,
    *,
    optimizer: str | Mapping[str, Any] | Optimizer | None = None,
) -> Study:
    """Reopen the study called *name*; its stored optimizer is used unless one is given.

    The stored optimizer is rebuilt when the study first needs it, so the trials of a
    study whose optimizer cannot be rebuilt here can still be read.

    Raises:
        StudyNotFoundError: listing the studies the storage does hold; also when the
            storage is an SQLite file that does not exist (none is created).

    """
    path = sqlite_file(storage)
    if path is not None and not path.exists():
        raise StudyNotFoundError(
            f"no study named {name!r}: the storage file {str(path)!r} does not exist "
            "(nothing was created)"
        )
    store = get_storage(storage)
    record = store.get_study(name)
    opt = None if optimizer is None else make_optimizer(optimizer)
    if opt is not None:
        _note_other_optimizer(record, opt)
    return Study(storage=store, record=record, optimizer=opt)


def optimizer_change(record: StudyRecord, optimizer: Optimizer) -> str | None:
    """What differs between *optimizer* and the one *record* stored, as a sentence.

    None when they have the same settings.
    """
    stored = dict(StudySpec.from_json(record.spec, study=record.name).optimizer)
    given = json.loads(json.dumps(optimizer.to_config()))  # as it would be stored
    if given == stored:
        return None
    if given.get("name") != stored.get("name"):
        change = f"{given.get('name')} instead of the stored {stored.get('name')}"
    else:
        keys = sorted(k for k in {*given, *stored} if given.get(k) != stored.get(k))
        change = ", ".join(f"{k}={given.get(k)!r} (stored {stored.get(k)!r})" for k in keys)
        change = f"{given['name']} with {change}"
    return (f"study {record.name!r} continues with optimizer {change}; its trials so far "
            "came from the stored settings")


def _note_other_optimizer(record: StudyRecord, optimizer: Optimizer) -> None:
    """Warn when a reopened study goes on with other optimizer settings than it stored."""
    change = optimizer_change(record, optimizer)
    if change is not None:
        logger.warning("%s", change)


def stored_optimizer(record: StudyRecord) -> Optimizer:
    """Rebuild the optimizer *record* stored.

    Raises:
        OptimizerError: naming the study when that optimizer cannot be rebuilt here (for
            instance a part whose class does not import in this process).

    """
    try:
        return make_optimizer(dict(StudySpec.from_json(record.spec, study=record.name).optimizer))
    except OptimizerError as exc:
        raise OptimizerError(
            f"study {record.name!r}: its stored optimizer cannot be rebuilt here ({exc}); "
            "give the optimizer again (optimizer=... in Python, --optimizer on the command "
            "line)"
        ) from None


__all__ = ["Study", "create_study", "format_error", "load_study", "optimizer_change",
           "stored_optimizer", "worker_id"]

