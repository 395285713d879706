"""A study's trials and learning curves, read from the storage incrementally.

Both read only what is new since the last read, so reading them before every proposal (or
every ``should_stop``) costs little however long the study grows.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from types import MappingProxyType

from hyperpilot.space._fidelity import Fidelity
from hyperpilot.storage._base import Storage
from hyperpilot.trial._trial import Reporter, Step, Trial, bind_reporter


def typed_budget(trial: Trial, fidelity: Fidelity | None) -> Trial:
    """Give *trial* its budget in the fidelity's type (3 epochs, not the stored 3.0)."""
    if fidelity is not None and trial.budget is not None:
        trial.budget = fidelity.cast(trial.budget)
    return trial


class TrialCache:
    """The study's trials, read incrementally.

    Finished trials never change, so each read fetches only trials at or after the oldest
    one not yet finished. Trials read are bound to *reporter*, so that their
    ``intermediate`` reads their curve.
    """

    def __init__(self, storage: Storage, study_id: int, reporter: Reporter | None = None,
                 fidelity: Fidelity | None = None) -> None:
        self._storage = storage
        self._study_id = study_id
        self._reporter = reporter
        self._fidelity = fidelity
        self._trials: dict[int, Trial] = {}
        self._watermark = 0

    def load(self) -> list[Trial]:
        """Every trial of the study, oldest first (only the unfinished and new ones are read)."""
        reporter = self._reporter
        for trial in self._storage.get_trials(self._study_id, min_id=self._watermark):
            if reporter is not None:
                bind_reporter(trial, reporter)
            typed_budget(trial, self._fidelity)
            self._trials[trial.id] = trial
        unfinished = [i for i, t in self._trials.items()
                      if i >= self._watermark and not t.state.is_finished]
        if unfinished:
            self._watermark = min(unfinished)
        elif self._trials:
            self._watermark = next(reversed(self._trials)) + 1
        return list(self._trials.values())


class CurveCache:
    """The study's learning curves, read incrementally through the storage's cursor.

    Intermediate values are append-only, so each read asks only for ids past the last one
    seen. Safe to share between threads.
    """

    def __init__(self, storage: Storage, study_id: int) -> None:
        self._storage = storage
        self._study_id = study_id
        self._curves: dict[int, dict[Step, float]] = {}
        self._view = MappingProxyType(self._curves)
        self._next_id = 0
        self._lock = threading.Lock()

    def load(self) -> Mapping[int, Mapping[Step, float]]:
        """Trial id -> {step: value}, steps in the order reported (a read-only view)."""
        with self._lock:
            rows = self._storage.get_intermediate(self._study_id, min_id=self._next_id)
            for row in rows:
                self._curves.setdefault(row.trial_id, {})[row.step] = row.value
            if rows:
                self._next_id = rows[-1].id + 1
        return self._view
