"""In-memory storage: fast, thread-safe, gone when the process ends."""

from __future__ import annotations

import bisect
import collections
import copy
import dataclasses
import threading
from collections.abc import Sequence
from typing import Any

from hyperpilot.exceptions import (
    DuplicateConfigurationError,
    DuplicateStudyError,
    IntermediateValueError,
    StudyFullError,
    StudyNotFoundError,
    TrialNotFoundError,
    TrialStateError,
)
from hyperpilot.storage._base import (
    Event,
    IntermediateValue,
    NewEvent,
    NewIntermediate,
    NewTrial,
    Storage,
    StudyRecord,
    StudySummary,
    TrialOutcome,
    TrialPage,
    config_key,
    page_of,
)
from hyperpilot.trial._trial import Step, Trial, TrialState, check_point


def _copy(trial: Trial) -> Trial:
    return Trial(
        id=trial.id, number=trial.number, study_id=trial.study_id, config=dict(trial.config),
        state=trial.state, budget=trial.budget, seed=trial.seed, instance=trial.instance,
        values=None if trial.values is None else dict(trial.values),
        constraints=None if trial.constraints is None else dict(trial.constraints),
        error=trial.error, worker=trial.worker, created_at=trial.created_at,
        started_at=trial.started_at, finished_at=trial.finished_at,
        meta=copy.deepcopy(trial.meta) if trial.meta else {}, heartbeat_at=trial.heartbeat_at,
    )


def _copy_event(event: Event) -> Event:
    return dataclasses.replace(event, payload=copy.deepcopy(event.payload))


class InMemoryStorage(Storage):
    """Keeps everything in this process's memory. Use for notebooks, tests and speed."""

    url = "memory"
    persistent = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._studies: dict[str, StudyRecord] = {}
        self._trials: dict[int, list[Trial]] = {}
        self._by_id: dict[int, Trial] = {}
        self._pending: dict[int, collections.deque[Trial]] = {}
        # (config key, budget) -> number, per study, for its first ``_indexed`` trials;
        # filled only when a unique trial is added.
        self._numbers: dict[int, dict[tuple[str, float | None], int]] = {}
        self._indexed: dict[int, int] = {}
        self._next_trial_id = 1
        self._next_study_id = 0
        self._events: dict[int, list[Event]] = {}
        self._next_event_id = 1
        # Intermediate values per study and per trial (the same frozen objects), by id.
        self._curves: dict[int, list[IntermediateValue]] = {}
        self._curve_of: dict[int, list[IntermediateValue]] = {}
        self._steps: dict[int, set[Step]] = {}
        self._next_value_id = 1

    def create_study(self, name: str, spec: dict[str, Any], created_at: float) -> StudyRecord:
        with self._lock:
            if name in self._studies:
                raise DuplicateStudyError(f"a study named {name!r} already exists in memory")
            self._next_study_id += 1
            record = StudyRecord(self._next_study_id, name, created_at, copy.deepcopy(spec))
            self._studies[name] = record
            self._trials[record.id] = []
            self._pending[record.id] = collections.deque()
            self._events[record.id] = []
            self._curves[record.id] = []
            return StudyRecord(record.id, name, created_at, copy.deepcopy(spec))

    def get_study(self, name: str) -> StudyRecord:
        with self._lock:
            if name not in self._studies:
                raise StudyNotFoundError(
                    f"no study named {name!r} in memory; studies: {sorted(self._studies)}"
                )
            record = self._studies[name]
            return StudyRecord(
                record.id, record.name, record.created_at, copy.deepcopy(record.spec)
            )

    def list_studies(self) -> list[StudySummary]:
        with self._lock:
            out = []
            for record in sorted(self._studies.values(), key=lambda r: r.id):
                counts = dict.fromkeys(TrialState, 0)
                for trial in self._trials[record.id]:
                    counts[trial.state] += 1
                copied = StudyRecord(record.id, record.name, record.created_at,
                                     copy.deepcopy(record.spec))
                out.append(StudySummary(copied, counts))
            return out

    def delete_study(self, name: str) -> None:
        with self._lock:
            if name not in self._studies:
                raise StudyNotFoundError(f"no study named {name!r} in memory")
            record = self._studies.pop(name)
            for trial in self._trials.pop(record.id):
                del self._by_id[trial.id]
                self._curve_of.pop(trial.id, None)
                self._steps.pop(trial.id, None)
            del self._pending[record.id]
            del self._events[record.id]
            del self._curves[record.id]
            self._numbers.pop(record.id, None)
            self._indexed.pop(record.id, None)

    def add_trial(self, study_id: int, trial: NewTrial) -> Trial:
        with self._lock:
            if study_id not in self._trials:
                raise StudyNotFoundError(f"no study with id {study_id} in memory")
            trials = self._trials[study_id]
            if trial.max_trials is not None and len(trials) >= trial.max_trials:
                raise StudyFullError(
                    f"study id {study_id} already holds {len(trials)} trials "
                    f"(limit {trial.max_trials})"
                )
            if trial.unique:
                key = (config_key(trial.config), trial.budget)
                number = self._config_numbers(study_id).get(key)
                if number is not None:
                    at = "" if trial.budget is None else f" at budget {trial.budget}"
                    raise DuplicateConfigurationError(
                        f"study id {study_id} already has configuration {dict(trial.config)}{at} "
                        f"as trial {number}; a unique trial must be new"
                    )
            running = trial.state == TrialState.RUNNING
            stored = Trial(
                id=self._next_trial_id, number=len(trials), study_id=study_id,
                config=dict(trial.config), state=trial.state, budget=trial.budget,
                seed=trial.seed, instance=trial.instance, worker=trial.worker,
                created_at=trial.created_at,
                started_at=trial.created_at if running else None,
                meta=copy.deepcopy(dict(trial.meta)) if trial.meta else {},
                heartbeat_at=trial.heartbeat_at if running else None,
            )
            self._next_trial_id += 1
            trials.append(stored)
            self._by_id[stored.id] = stored
            if stored.state == TrialState.PENDING:
                self._pending[study_id].append(stored)
            return _copy(stored)

    def _config_numbers(self, study_id: int) -> dict[tuple[str, float | None], int]:
        """Each (config key, budget) of the study with its first trial's number."""
        numbers = self._numbers.setdefault(study_id, {})
        trials = self._trials[study_id]
        for stored in trials[self._indexed.get(study_id, 0):]:
            numbers.setdefault((config_key(stored.config), stored.budget), stored.number)
        self._indexed[study_id] = len(trials)
        return numbers

    def claim_pending(self, study_id: int, worker: str | None, started_at: float) -> Trial | None:
        with self._lock:
            queue = self._pending[study_id]
            if not queue:
                return None
            trial = queue.popleft()
            trial.state = TrialState.RUNNING
            trial.worker = worker
            trial.started_at = started_at
            return _copy(trial)

    def finish_trial(self, trial_id: int, outcome: TrialOutcome) -> None:
        with self._lock:
            trial = self._by_id.get(trial_id)
            if trial is None or trial.state != TrialState.RUNNING:
                state = "missing" if trial is None else trial.state.value
                raise TrialStateError(
                    f"trial id {trial_id} cannot be finished: it is {state}, not running"
                )
            trial.state = outcome.state
            trial.finished_at = outcome.finished_at
            trial.values = None if outcome.values is None else dict(outcome.values)
            trial.constraints = None if outcome.constraints is None else dict(outcome.constraints)
            trial.error = outcome.error
            if outcome.meta:
                trial.meta = {**trial.meta, **copy.deepcopy(dict(outcome.meta))}

    def get_trial(self, trial_id: int) -> Trial:
        with self._lock:
            trial = self._by_id.get(trial_id)
            if trial is None:
                raise TrialNotFoundError(f"no trial with id {trial_id} in memory")
            return _copy(trial)

    def add_event(self, study_id: int, event: NewEvent) -> Event:
        with self._lock:
            if study_id not in self._events:
                raise StudyNotFoundError(f"no study with id {study_id} in memory")
            stored = Event(
                id=self._next_event_id, study_id=study_id,
                at_trial=len(self._trials[study_id]), created_at=event.created_at,
                origin=event.origin, author=event.author, kind=event.kind,
                payload=copy.deepcopy(dict(event.payload)),
            )
            self._next_event_id += 1
            self._events[study_id].append(stored)
            return _copy_event(stored)

    def get_events(self, study_id: int, *, min_id: int = 0) -> list[Event]:
        with self._lock:
            events = self._events.get(study_id, [])
            start = bisect.bisect_left(events, min_id, key=lambda e: e.id)
            return [_copy_event(e) for e in events[start:]]

    def add_intermediate(self, trial_id: int, values: Sequence[NewIntermediate]) -> None:
        points = [(*check_point(v.step, v.value), v.created_at) for v in values]
        if not points:
            return
        with self._lock:
            trial = self._by_id.get(trial_id)
            if trial is None:
                raise TrialNotFoundError(f"no trial with id {trial_id} in memory")
            if trial.state != TrialState.RUNNING:
                raise TrialStateError(f"trial id {trial_id} is {trial.state.value}; only a "
                                      "running trial's learning curve grows")
            steps = self._steps.setdefault(trial_id, set())
            given: set[Step] = set()
            for step, _, _ in points:
                if step in given:
                    raise IntermediateValueError(f"trial id {trial_id}: step {step} is given "
                                                 "twice; each step is reported once")
                given.add(step)
            for step, _, _ in points:
                if step in steps:
                    raise IntermediateValueError(
                        f"trial id {trial_id} already has a value at step {step}; each step is "
                        "reported once")
            curve = self._curve_of.setdefault(trial_id, [])
            for step, value, at in points:
                stored = IntermediateValue(self._next_value_id, trial.study_id, trial_id, step,
                                           value, at)
                self._next_value_id += 1
                self._curves[trial.study_id].append(stored)
                curve.append(stored)
            steps |= given

    def get_intermediate(self, study_id: int, *, trial_ids: Sequence[int] | None = None,
                         min_id: int = 0) -> list[IntermediateValue]:
        with self._lock:
            if trial_ids is None:
                rows = self._curves.get(study_id, [])
                return rows[bisect.bisect_left(rows, min_id, key=lambda v: v.id):]
            found: list[IntermediateValue] = []
            for trial_id in set(trial_ids):
                rows = self._curve_of.get(trial_id, [])
                start = bisect.bisect_left(rows, min_id, key=lambda v: v.id)
                found.extend(v for v in rows[start:] if v.study_id == study_id)
            return sorted(found, key=lambda v: v.id)

    def get_trials(self, study_id: int, *, min_id: int = 0) -> list[Trial]:
        with self._lock:
            trials = self._trials.get(study_id, [])
            start = bisect.bisect_left(trials, min_id, key=lambda t: t.id)
            return [_copy(t) for t in trials[start:]]

    def count_trials(self, study_id: int) -> dict[TrialState, int]:
        with self._lock:
            counts = dict.fromkeys(TrialState, 0)
            for trial in self._trials.get(study_id, []):
                counts[trial.state] += 1
            return counts

    def get_trials_page(
        self, study_id: int, *, offset: int = 0, limit: int | None = 50,
        order_by: str = "number", descending: bool = False,
        states: Sequence[TrialState] | None = None,
        value_range: tuple[str, float | None, float | None] | None = None,
    ) -> TrialPage:
        with self._lock:
            page = page_of(self._trials.get(study_id, []), offset=offset, limit=limit,
                           order_by=order_by, descending=descending, states=states,
                           value_range=value_range)
            return TrialPage([_copy(t) for t in page.trials], page.total)

    def heartbeat(self, trial_ids: Sequence[int], at: float) -> None:
        with self._lock:
            for trial_id in trial_ids:
                trial = self._by_id.get(trial_id)
                if trial is not None and trial.state == TrialState.RUNNING:
                    trial.heartbeat_at = at
