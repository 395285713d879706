"""What the dashboard's JSON API returns: studies, overviews, pages of trials, events.

Pure functions from a :class:`~hyperpilot.study.Study` (or a storage) to JSON-ready
dicts; they know nothing of HTTP. Lists of trials come from the storage's paged reads
(:meth:`~hyperpilot.storage.Storage.count_trials`,
:meth:`~hyperpilot.storage.Storage.get_trials_page`), so a page never loads the study;
the overview's figure reads finished trials once and then only what is new
(:class:`FinishedCache`).
"""

from __future__ import annotations

import math
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hyperpilot.execution._heartbeat import DEFAULT_INTERVAL, GRACE_FACTOR
from hyperpilot.storage._base import Event, Storage, StudySummary, TrialResult
from hyperpilot.study._abandoned import abandoned_reason
from hyperpilot.study._explain import why_lines
from hyperpilot.study._failures import failure_groups
from hyperpilot.study._study import Study
from hyperpilot.trial._trial import Trial, TrialState

MAX_PROGRESS_POINTS = 2_000
"""The most points the progress figure gets; longer studies are subsampled."""

MAX_PAGE_SIZE = 500
"""The most trials one page of the trials table may ask for."""

RECENT_TRIALS = 20
"""The newest trials the studies list reads to see which workers finished one lately."""

MAX_RUNNING = 1_000
"""The most running trials (the newest) the studies list reads for its workers."""


class FinishedCache:
    """A study's complete trials' values and its failed trials, read incrementally.

    Finished trials never change, so each :meth:`load` reads only trials at or after the
    oldest one not yet finished (as the study's ``TrialCache`` does) and keeps only what
    the overview draws: each complete trial's values, and the failed trials (for their
    errors). The first load reads the study once; later ones read what is new.
    """

    def __init__(self, storage: Storage, study_id: int) -> None:
        self._storage = storage
        self._study_id = study_id
        self._watermark = 0
        self._lock = threading.Lock()
        self.values: dict[int, dict[str, float]] = {}
        self.failed: dict[int, TrialResult] = {}

    def load(self) -> FinishedCache:
        """Read what is new (numbers, states, values and errors only); returns itself.

        New trials go into copies that then replace :attr:`values` and :attr:`failed`,
        so a request still iterating the previous dicts in another thread never sees
        them change.
        """
        with self._lock:
            trials = self._storage.get_trial_results(self._study_id, min_id=self._watermark)
            values: dict[int, dict[str, float]] = {}
            failed: dict[int, TrialResult] = {}
            unfinished = None
            for trial in trials:  # TrialState members compare fastest by identity
                if trial.state is TrialState.COMPLETE:
                    values[trial.number] = trial.values or {}
                elif trial.state is TrialState.FAILED:
                    failed[trial.number] = trial
                elif not trial.state.is_finished:
                    unfinished = trial.id if unfinished is None else min(unfinished, trial.id)
            if values:
                self.values = {**self.values, **values} if self.values else values
            if failed:
                self.failed = {**self.failed, **failed}
            if unfinished is not None:
                self._watermark = unfinished
            elif trials:
                self._watermark = trials[-1].id + 1
        return self


def _number(value: Any) -> Any:
    """A JSON-safe number: NaN and infinities become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def trial_row(trial: Trial) -> dict[str, Any]:
    """A trial as one row of the trials table."""
    return {
        "number": trial.number, "state": trial.state.value,
        "values": {k: _number(v) for k, v in (trial.values or {}).items()},
        "constraints": {k: _number(v) for k, v in (trial.constraints or {}).items()},
        "config": trial.config, "budget": trial.budget, "duration": trial.duration,
        "created_at": trial.created_at, "finished_at": trial.finished_at,
        "worker": trial.worker,
    }


def event_json(event: Event) -> dict[str, Any]:
    """An event as the timeline shows it."""
    return {"id": event.id, "at_trial": event.at_trial, "created_at": event.created_at,
            "origin": event.origin, "author": event.author, "kind": event.kind,
            "payload": event.payload}


def best_trial(study: Study) -> Trial | None:
    """The study's best complete trial (None without one, or with several objectives).

    Without constraints or a fidelity it is one ordered query for a single row; otherwise
    the study's own ranking (feasible first, highest budget), which reads every trial.
    """
    if len(study.objectives) != 1:
        return None
    objective = study.objectives[0]
    if study.constraints or study.fidelity is not None:
        complete = study.get_trials([TrialState.COMPLETE])
        return min(complete, key=study.rank_key) if complete else None
    page = study.storage.get_trials_page(
        study.id, limit=1, states=[TrialState.COMPLETE], order_by=f"value:{objective.name}",
        descending=objective.direction == "maximize")
    return page.trials[0] if page.trials and page.trials[0].values else None


def _grace(trial: Trial) -> float:
    """How long a worker may stay silent: as the reaper waits (``study/_abandoned.py``)."""
    return GRACE_FACTOR * float(trial.meta.get("heartbeat_interval", DEFAULT_INTERVAL))


def alive_workers(running: Sequence[Trial], recent: Sequence[Trial], now: float) -> list[str]:
    """The workers (``host:pid``) seen alive lately, sorted.

    A worker is alive when one of its *running* trials is not abandoned as the reaper
    judges it (on this host, its process exists) and, on another host, it sent a heartbeat
    (or, without heartbeats, started the trial) within the grace of its heartbeat
    interval; or when it finished one of the *recent* trials within that grace (a worker
    between two trials runs none).
    """
    host = socket.gethostname()
    alive = set()
    for trial in running:
        if not trial.worker or abandoned_reason(trial, host, now, None) is not None:
            continue
        seen = trial.heartbeat_at or trial.started_at or trial.created_at
        if trial.worker.rpartition(":")[0] == host or now - seen <= _grace(trial):
            alive.add(trial.worker)
    alive.update(t.worker for t in recent if t.worker and t.finished_at is not None
                 and now - t.finished_at <= _grace(t))
    return sorted(alive)


def study_summary(study: Study, summary: StudySummary) -> dict[str, Any]:
    """One row of the studies list: counts, best value, status, workers, last activity.

    It reads the newest :data:`RECENT_TRIALS` trials and the running ones (at most
    :data:`MAX_RUNNING`, the newest) for the workers alive (:func:`alive_workers`).
    """
    best = best_trial(study)
    objective = study.objectives[0]
    recent = study.storage.get_trials_page(study.id, limit=RECENT_TRIALS,
                                           descending=True).trials
    running = (study.storage.get_trials_page(study.id, limit=MAX_RUNNING, descending=True,
                                             states=[TrialState.RUNNING]).trials
               if summary.counts.get(TrialState.RUNNING) else [])
    workers = alive_workers(running, recent, time.time())
    events = study.events()
    last = recent[:1]
    times = [t for t in ([last[0].finished_at, last[0].started_at, last[0].created_at]
                         if last else []) if t]
    times += [t.heartbeat_at for t in running if t.heartbeat_at]
    times += [events[-1].created_at] if events else []
    return {
        "name": study.name, "created_at": summary.record.created_at,
        "counts": {state.value: n for state, n in summary.counts.items()},
        "n_trials": summary.n_trials,
        "objectives": [{"name": o.name, "direction": o.direction} for o in study.objectives],
        "best": None if best is None else {
            "number": best.number, "value": _number((best.values or {}).get(objective.name))},
        "status": study.steering().status,
        "last_activity": max(times, default=summary.record.created_at),
        "optimizer": study.spec.optimizer.get("name", "?"),
        "workers": len(workers), "worker_names": workers[:20],
    }


def progress(study: Study, finished: FinishedCache) -> dict[str, Any]:
    """Value and best so far of the first objective by trial number, at most 2,000 points.

    Past :data:`MAX_PROGRESS_POINTS` the points kept are every improvement of the best so
    far plus evenly spaced others.
    """
    objective = study.objectives[0]
    pairs = [(number, finished.values[number].get(objective.name))
             for number in sorted(finished.values)]
    kept = [(n, v) for n, v in pairs if isinstance(v, (int, float)) and math.isfinite(v)]
    if not kept:
        return {"objective": objective.name, "direction": objective.direction, "number": [],
                "value": [], "best": [], "n": 0, "sampled": False}
    numbers = np.array([n for n, _ in kept])
    values = np.array([v for _, v in kept], dtype=float)
    best = (np.maximum.accumulate(values) if objective.direction == "maximize"
            else np.minimum.accumulate(values))
    index = np.arange(len(values))
    sampled = len(values) > MAX_PROGRESS_POINTS
    if sampled:
        improved = np.flatnonzero(np.r_[True, best[1:] != best[:-1]])
        if len(improved) >= MAX_PROGRESS_POINTS:
            improved = improved[np.linspace(0, len(improved) - 1, MAX_PROGRESS_POINTS // 2,
                                            dtype=int)]
        spread = np.linspace(0, len(values) - 1, MAX_PROGRESS_POINTS - len(improved), dtype=int)
        index = np.union1d(improved, spread)[:MAX_PROGRESS_POINTS]
    return {"objective": objective.name, "direction": objective.direction,
            "number": numbers[index].tolist(), "value": values[index].tolist(),
            "best": best[index].tolist(), "n": len(values), "sampled": bool(sampled)}


def space_json(study: Study) -> list[dict[str, Any]]:
    """The search space, one entry per hyperparameter, with the runtime prior in force."""
    state = study.steering()
    runtime = {p.name: p for p in state.priors}
    out = []
    for name, param in study.space.hyperparameters.items():
        data = {"name": name, **param.to_json()}
        prior = runtime.get(name)
        data["runtime_prior"] = None if prior is None else {
            "value": prior.value, "confidence": prior.confidence, "since": prior.since}
        data["range"] = list(state.ranges[name]) if name in state.ranges else None
        data["frozen"] = state.frozen.get(name)
        out.append(data)
    return out


def overview(study: Study, finished: FinishedCache | None = None) -> dict[str, Any]:
    """A study's overview page: counts, best trial, progress, failures, space, steering.

    *finished* keeps what earlier calls read (without it, the study is read once).
    """
    counts = study.storage.count_trials(study.id)
    best = best_trial(study)
    finished = (finished or FinishedCache(study.storage, study.id)).load()
    failed = [finished.failed[n] for n in sorted(finished.failed)]
    state = study.steering()
    return {
        "name": study.name,
        "objectives": [{"name": o.name, "direction": o.direction} for o in study.objectives],
        "constraints": [c.name for c in study.constraints],
        "counts": {s.value: n for s, n in counts.items()},
        "best": None if best is None else trial_row(best),
        "progress": progress(study, finished),
        "failures": [{"error": g.error, "count": g.count, "numbers": g.numbers[:20]}
                     for g in failure_groups(failed)],
        "space": space_json(study),
        "status": state.status,
        "excluded": sorted(state.excluded),
        "acquisition": state.acquisition,
        "optimizer": study.spec.optimizer.get("name", "?"),
    }


def _parse_float(text: str | None, what: str) -> float | None:
    if text is None or text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{what} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {text!r}")
    return value


def _parse_int(text: str | None, what: str, default: int, low: int, high: int) -> int:
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{what} must be a whole number, got {text!r}") from None
    if not low <= value <= high:
        raise ValueError(f"{what} must be in [{low}, {high}], got {value}")
    return value


def trials_page(study: Study, query: Mapping[str, str]) -> dict[str, Any]:
    """One page of the trials table, as the query string asks.

    It reads ``offset``, ``limit``, ``order`` (``number``, ``value:NAME``,
    ``param:NAME``), ``desc`` (``1``), ``state`` (comma-separated states), ``objective``,
    ``low`` and ``high``.

    Raises:
        ValueError: one line naming the query parameter at fault.

    """
    offset = _parse_int(query.get("offset"), "offset", 0, 0, 2**31)
    limit = _parse_int(query.get("limit"), "limit", 50, 1, MAX_PAGE_SIZE)
    order = query.get("order") or "number"
    kind, _, name = order.partition(":")
    objectives = [o.name for o in study.objectives]
    if kind == "value" and name not in objectives:
        raise ValueError(f"order: objective must be one of {objectives}, got {name!r}")
    if kind == "param" and name not in study.space.hyperparameters:
        raise ValueError(f"order: unknown hyperparameter {name!r}; the space has "
                         f"{study.space.names}")
    states: Sequence[TrialState] | None = None
    if query.get("state"):
        try:
            states = [TrialState(s) for s in query["state"].split(",")]
        except ValueError:
            raise ValueError(f"state must be a comma-separated list of "
                             f"{[s.value for s in TrialState]}, got {query['state']!r}") from None
    low, high = _parse_float(query.get("low"), "low"), _parse_float(query.get("high"), "high")
    value_range = None
    if low is not None or high is not None:
        objective = query.get("objective") or objectives[0]
        if objective not in objectives:
            raise ValueError(f"objective must be one of {objectives}, got {objective!r}")
        value_range = (objective, low, high)
    page = study.storage.get_trials_page(
        study.id, offset=offset, limit=limit, order_by=order,
        descending=query.get("desc") in ("1", "true"), states=states, value_range=value_range)
    return {"total": page.total, "offset": offset, "limit": limit,
            "trials": [trial_row(t) for t in page.trials],
            "params": study.space.names, "objectives": objectives}


def trial_detail(study: Study, number: int) -> dict[str, Any] | None:
    """A trial in full, with why it was proposed and the events around it; None if absent.

    Trial numbers of a study run from 0 without gaps, so trial N is the row at offset N.
    """
    if number < 0:
        return None
    found = study.storage.get_trials_page(study.id, offset=number, limit=1).trials
    if not found or found[0].number != number:
        return None
    trial = found[0]
    meta = trial.meta
    events = [event_json(e) for e in study.events()
              if e.at_trial in (number, number + 1) or e.payload.get("trial") == number]
    return {
        **trial_row(trial), "seed": trial.seed, "instance": trial.instance,
        "started_at": trial.started_at, "error": trial.error,
        "why": [line.strip() for line in why_lines(trial)[1:]],
        "stdout": meta.get("stdout"), "stderr": meta.get("stderr"),
        "user_attrs": meta.get("user_attrs") or {},
        "excluded": number in study.steering().excluded,
        "events": events,
        "intermediate": learning_curve(study, trial),
    }


def learning_curve(study: Study, trial: Trial) -> dict[str, Any]:
    """The trial's intermediate values (its learning curve) as steps and values.

    One read of this trial's points (``Storage.get_intermediate`` with its id).
    """
    points = study.storage.get_intermediate(study.id, trial_ids=[trial.id])
    points.sort(key=lambda p: p.step)
    return {"step": [p.step for p in points], "value": [_number(p.value) for p in points],
            "budget": trial.budget}


def poll(study: Study) -> dict[str, Any]:
    """What a page polls every second or two: counts per state and the last event's id."""
    counts = study.storage.count_trials(study.id)
    events = study.events()
    return {"counts": {s.value: n for s, n in counts.items()},
            "n_trials": sum(counts.values()), "last_event": events[-1].id if events else 0}
