"""Learning curves reported while a trial runs, wherever it runs, and ``should_stop``'s answer.

``trial.report(step, value)`` checks the point and hands it to the trial's reporter;
``trial.should_stop()`` asks the reporter, which asks a :class:`PruningJudge`:

* :class:`LocalReporter` — the objective runs in the study's process (the optimize loop,
  ``study.ask()``, thread executors) or in an isolated child whose supervising thread runs
  here and forwards each message of the child's pipe: each value is written to the
  study's storage before ``report`` returns, and ``should_stop`` asks the study's own
  optimizer, under the lock that ``ask`` takes.
* :class:`RemoteReporter` — the objective runs in a process-pool or Dask worker. When the
  worker can open the study's storage (the same URL: PostgreSQL, or an SQLite file that
  exists there and holds this very trial), it writes each value itself before ``report``
  returns, and ``should_stop`` asks a copy of the optimizer sent with the call, over the
  history read from the storage. Otherwise (a study in memory, a file on another machine)
  the values are kept and travel back with the result, which stores them before it
  finishes the trial — not while it runs — and ``should_stop`` answers False.

An optimizer without a pruning rule (:attr:`Optimizer.prunes` false) makes ``should_stop``
answer False at once everywhere, without reading anything.
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import threading
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import numpy as np

from hyperpilot.exceptions import HyperpilotError, OptimizerError, TrialStateError
from hyperpilot.optimizers._base import History, Optimizer
from hyperpilot.optimizers._steering import SteeringState
from hyperpilot.storage._base import NewIntermediate, Storage
from hyperpilot.storage._url import get_storage, sqlite_file
from hyperpilot.study._caches import CurveCache, TrialCache
from hyperpilot.study._spec import StudySpec
from hyperpilot.study._steer import EventCache
from hyperpilot.trial._trial import Step, Trial

logger = logging.getLogger("hyperpilot")


class PruningJudge:
    """Answers ``should_stop`` from an optimizer's pruning rule over a study's history.

    It reads the study through caches of its own, so it can answer from other threads
    than the loop's (the supervisors of isolated trials); *lock* serializes it with the
    other users of the optimizer.
    """

    def __init__(self, *, storage: Storage, study_id: int, spec: StudySpec,
                 optimizer: Callable[[], Optimizer],
                 lock: contextlib.AbstractContextManager[Any]) -> None:
        self._spec = spec
        self._optimizer = optimizer
        self._lock = lock
        self._trials = TrialCache(storage, study_id, LocalReporter(storage, self))
        self._events = EventCache(storage, study_id)
        self._curves = CurveCache(storage, study_id)

    def should_stop(self, trial: Trial) -> bool:
        """``optimizer.should_prune`` on the study as stored now and *trial*'s stored curve."""
        optimizer = self._optimizer()
        if not optimizer.prunes:
            return False
        spec = self._spec
        with self._lock:
            trials = self._trials.load()
            curves = self._curves.load()
            history = History(
                space=spec.space, objectives=spec.objectives, constraints=spec.constraints,
                number=max((t.number for t in trials), default=-1) + 1, seed=spec.seed,
                load=lambda: trials, steering=SteeringState.replay(self._events.load()),
                curves=lambda: curves, fidelity=spec.fidelity, instances=spec.instances,
            )
            curve = MappingProxyType(dict(curves.get(trial.id) or {}))
            answer = optimizer.should_prune(history, trial, curve)
        if not isinstance(answer, (bool, np.bool_)):
            raise OptimizerError(f"optimizer {optimizer.name!r}: should_prune() must return a "
                                 f"bool, got {type(answer).__name__} {answer!r:.40}")
        return bool(answer)


class LocalReporter:
    """Reports of trials that run in the study's process: stored when reported."""

    travels = False

    def __init__(self, storage: Storage, judge: PruningJudge) -> None:
        self._storage = storage
        self._judge = judge

    def report(self, trial: Trial, step: Step, value: float, at: float) -> None:
        """Store the point now."""
        self._storage.add_intermediate(trial.id, [NewIntermediate(step, value, at)])

    def should_stop(self, trial: Trial) -> bool:
        """The study's optimizer's answer."""
        return self._judge.should_stop(trial)

    def curve(self, trial: Trial) -> dict[Step, float]:
        """The curve the storage holds."""
        rows = self._storage.get_intermediate(trial.study_id, trial_ids=[trial.id])
        return {row.step: row.value for row in rows}

    def drain(self) -> list[tuple[Step, float, float]]:
        """Nothing is kept back."""
        return []


# Per worker process: storages opened by URL (None: cannot be reached) and judges.
_STORAGES: dict[str, Storage | None] = {}
_JUDGES: dict[tuple[str, int, bytes], PruningJudge] = {}
_OPEN_LOCK = threading.Lock()


def _open(url: str) -> Storage | None:
    """The storage at *url*, opened once per process; None when it cannot be reached here."""
    with _OPEN_LOCK:
        if url not in _STORAGES:
            store = None
            path = sqlite_file(url)
            if path is None or path.exists():  # never create a file on another machine
                try:
                    store = get_storage(url)
                except (HyperpilotError, ImportError, OSError) as exc:
                    logger.debug("storage %s cannot be opened here: %s", url, exc)
            _STORAGES[url] = store
        return _STORAGES[url]


class RemoteReporter:
    """Reports of a trial that runs in a process-pool or Dask worker (see the module doc).

    Args:
        url: the storage URL the worker may open (:func:`worker_url`); None for a study
            in memory.
        study: the study's name, and *study_id* its id.
        pruner: the optimizer, pickled with cloudpickle, when it has a pruning rule.

    """

    travels = True

    def __init__(self, url: str | None, study: str, study_id: int,
                 pruner: bytes | None = None) -> None:
        self.url = url
        self.study = study
        self.study_id = study_id
        self.pruner = pruner
        self._kept: list[tuple[Step, float, float]] = []
        self._closed = False
        self._resolved = False
        self._store: Storage | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self.url, "study": self.study, "study_id": self.study_id,
                "pruner": self.pruner, "kept": self._kept, "closed": self._closed}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.url, self.study, self.study_id = state["url"], state["study"], state["study_id"]
        self.pruner, self._kept, self._closed = state["pruner"], state["kept"], state["closed"]
        self._resolved, self._store = False, None

    def _reach(self, trial: Trial) -> Storage | None:
        """The study's storage if this process reaches it and it holds *trial*; else None."""
        if not self._resolved:
            self._resolved = True
            store = _open(self.url) if self.url is not None else None
            if store is not None:
                try:
                    stored = store.get_trial(trial.id)
                except HyperpilotError:
                    store = None
                else:
                    if (stored.study_id, stored.number, stored.created_at) != (
                            self.study_id, trial.number, trial.created_at):
                        store = None  # a file of the same name on this machine, not the study's
            if store is None and self.url is not None:
                logger.warning("trial %d of study %r: this worker cannot reach the study's "
                               "storage, so its learning curve is stored when the trial ends",
                               trial.number, self.study)
            self._store = store
        return self._store

    def report(self, trial: Trial, step: Step, value: float, at: float) -> None:
        """Store the point now if the storage is reachable, else keep it for the result."""
        if self._closed:
            raise TrialStateError(f"trial {trial.number} has finished; report() needs a "
                                  "running trial")
        store = self._reach(trial)
        if store is None:
            self._kept.append((step, value, at))
        else:
            store.add_intermediate(trial.id, [NewIntermediate(step, value, at)])

    def should_stop(self, trial: Trial) -> bool:
        """The pruning rule of the optimizer sent along, over the stored study; else False."""
        if self.pruner is None or self._closed:
            return False
        store = self._reach(trial)
        if store is None or self.url is None:
            return False
        key = (self.url, self.study_id, self.pruner)
        with _OPEN_LOCK:
            judge = _JUDGES.get(key)
            if judge is None:
                record = store.get_study(self.study)
                if len(_JUDGES) >= 8:
                    _JUDGES.clear()
                optimizer: Optimizer = pickle.loads(self.pruner)
                judge = _JUDGES[key] = PruningJudge(
                    storage=store, study_id=self.study_id,
                    spec=StudySpec.from_json(record.spec, study=self.study),
                    optimizer=lambda: optimizer, lock=threading.Lock())
        return judge.should_stop(trial)

    def curve(self, trial: Trial) -> dict[Step, float]:
        """What the storage holds and what is kept back."""
        store = self._reach(trial)
        curve = {} if store is None else {row.step: row.value for row in store.get_intermediate(
            self.study_id, trial_ids=[trial.id])}
        curve.update((step, value) for step, value, _ in self._kept)
        return curve

    def drain(self) -> list[tuple[Step, float, float]]:
        """The points kept back, once; later reports are refused."""
        self._closed = True
        kept, self._kept = self._kept, []
        return kept


def worker_url(storage: Storage) -> str | None:
    """The URL by which a worker process opens *storage*, or None (it lives in memory).

    An SQLite file is named by its absolute path, so a worker with another working
    directory opens the same file.
    """
    if not storage.persistent or not storage.url:
        return None
    path = sqlite_file(storage.url)
    if path is None or path.is_absolute():
        return storage.url
    import sqlalchemy as sa

    parsed = sa.engine.make_url(storage.url)
    return parsed.set(database=str(path.resolve())).render_as_string(hide_password=False)


def dump_pruner(optimizer: Optimizer) -> bytes:
    """*optimizer* pickled with cloudpickle for the workers that answer ``should_stop``.

    Raises:
        OptimizerError: when it cannot be pickled.

    """
    import cloudpickle  # type: ignore[import-untyped,unused-ignore]

    try:
        return bytes(cloudpickle.dumps(optimizer, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception as exc:
        raise OptimizerError(
            f"optimizer {optimizer.name!r} has a pruning rule, which workers need, but it "
            f"cannot be sent to them: cloudpickle failed with {type(exc).__name__}: {exc}"
        ) from None
