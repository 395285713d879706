"""The storage interface: fourteen methods that every backend implements.

A storage holds studies, their trials, their events and the trials' learning curves
(intermediate values). Its rules, checked by the shared contract suite in
:mod:`hyperpilot.testing.storage`:

* Every method is atomic and durable on return: once :meth:`Storage.finish_trial` returns,
  a crash of the calling process loses nothing.
* Trial ids are unique in the storage; trial numbers count 0, 1, 2, ... within a study and
  are never handed out twice, even to concurrent processes.
* Finished trials (complete, failed, pruned) never change again; finishing a trial that is
  not running raises :class:`~hyperpilot.exceptions.TrialStateError`.
* A trial added with ``NewTrial.max_trials`` is stored only while the study holds fewer
  trials than that (checked and inserted atomically), else
  :class:`~hyperpilot.exceptions.StudyFullError` is raised: independent workers share a
  target count this way without ever overshooting it.
* A trial added with ``NewTrial.unique`` is stored only if no trial of the study, in any
  state, has the same configuration and the same budget (checked and inserted atomically,
  together with ``max_trials``), else
  :class:`~hyperpilot.exceptions.DuplicateConfigurationError` is raised: independent
  workers never evaluate a configuration twice. Configurations are the same when they
  are equal as JSON objects, whatever the order of their keys (:func:`config_key`).
* Events are append-only: :meth:`Storage.add_event` assigns an id that grows with every
  event of the storage and ``at_trial``, the number the study's next trial would get
  (the study's trial count, taken atomically with the insert); events are never changed
  or removed, except with their study.
* Intermediate values are append-only too: :meth:`Storage.add_intermediate` stores a
  batch of points of one *running* trial atomically, each with an id that grows with every
  value of the storage, and refuses the whole batch (storing nothing) when a step is one
  the trial already has or is given twice: a step is reported once. Reading with
  ``min_id`` past the last id seen returns only what came since (a cursor), and a reader
  never misses a value that commits later with a smaller id. Steps and values are stored
  as 64-bit floats and read back as :func:`~hyperpilot.trial._trial.check_point` makes
  them: whole-number steps as ``int``, values as ``float``.
* Reads return copies: changing a returned object never changes the storage.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hyperpilot.trial._trial import Step, Trial, TrialState


@dataclass(frozen=True)
class StudyRecord:
    """A stored study: its id, unique name, creation time and JSON-ready specification."""

    id: int
    name: str
    created_at: float
    spec: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StudySummary:
    """A study with its trial counts per state, as listed by :meth:`Storage.list_studies`."""

    record: StudyRecord
    counts: dict[TrialState, int]

    @property
    def n_trials(self) -> int:
        """All trials of the study, in any state."""
        return sum(self.counts.values())


@dataclass(frozen=True)
class NewTrial:
    """What a caller gives :meth:`Storage.add_trial`; the storage assigns id and number.

    ``heartbeat_at`` marks a running trial whose process will send heartbeats (see
    :meth:`Storage.heartbeat`); ``max_trials`` and ``unique`` make the insert conditional
    (see the module docstring).
    """

    config: dict[str, Any]
    state: TrialState = TrialState.RUNNING
    budget: float | None = None
    seed: int | None = None
    instance: str | None = None
    worker: str | None = None
    created_at: float = 0.0
    meta: Mapping[str, Any] = field(default_factory=dict)
    heartbeat_at: float | None = None
    max_trials: int | None = None
    unique: bool = False


def config_key(config: Mapping[str, Any]) -> str:
    """The canonical JSON text of *config*: equal configurations give equal text.

    Keys are sorted, so the order in which a configuration lists them does not matter.
    """
    return json.dumps(config, sort_keys=True, separators=(",", ":"), allow_nan=False)


@dataclass(frozen=True)
class NewEvent:
    """What a caller gives :meth:`Storage.add_event`; the storage assigns id and ``at_trial``.

    ``origin`` says where it came from (``python``, ``cli``, ``dashboard``, ``optimizer``),
    ``author`` who made it, if known; ``kind`` and the JSON-ready ``payload`` what it is.
    """

    kind: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    origin: str = "python"
    author: str | None = None
    created_at: float = 0.0


@dataclass(frozen=True)
class Event:
    """A stored event of a study.

    Attributes:
        id: unique in the storage, growing: later events have larger ids.
        study_id: the storage id of the study.
        at_trial: the number the study's next trial would have got when the event was
            stored; the event applies from that trial on.
        created_at: Unix time in seconds.
        origin: ``python``, ``cli``, ``dashboard`` or ``optimizer``.
        author: who made it, if known.
        kind: what it is (``set_prior``, ``exclude``, ``pause``...).
        payload: its data.

    """

    id: int
    study_id: int
    at_trial: int
    created_at: float
    origin: str
    author: str | None
    kind: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class NewIntermediate:
    """A point of a learning curve that a caller gives :meth:`Storage.add_intermediate`.

    ``step`` and ``value`` are finite numbers (:func:`~hyperpilot.trial._trial.check_point`);
    ``created_at`` is when the objective reported it (Unix time).
    """

    step: Step
    value: float
    created_at: float = 0.0


@dataclass(frozen=True)
class IntermediateValue:
    """A stored point of a trial's learning curve.

    Attributes:
        id: unique in the storage, growing: later values have larger ids (the cursor of
            :meth:`Storage.get_intermediate`).
        study_id: the storage id of the trial's study.
        trial_id: the storage id of the trial.
        step: an ``int`` when it is a whole number, else a ``float``.
        value: the value reported at that step.
        created_at: when it was reported (Unix time).

    """

    id: int
    study_id: int
    trial_id: int
    step: Step
    value: float
    created_at: float


@dataclass(frozen=True)
class TrialOutcome:
    """What a caller gives :meth:`Storage.finish_trial`."""

    state: TrialState
    finished_at: float
    values: dict[str, float] | None = None
    constraints: dict[str, float] | None = None
    error: str | None = None
    meta: Mapping[str, Any] | None = None


class Storage(ABC):
    """Where studies and trials live. Open one with :func:`hyperpilot.storage.get_storage`."""

    url: str = ""
    persistent: bool = True
    """Whether the data outlive this process (``False`` for the in-memory storage)."""

    @abstractmethod
    def create_study(self, name: str, spec: dict[str, Any], created_at: float) -> StudyRecord:
        """Create a study; raise DuplicateStudyError if the name is taken."""

    @abstractmethod
    def get_study(self, name: str) -> StudyRecord:
        """Return the study called *name*; raise StudyNotFoundError if there is none."""

    @abstractmethod
    def list_studies(self) -> list[StudySummary]:
        """Return every study with its trial counts, oldest first."""

    @abstractmethod
    def delete_study(self, name: str) -> None:
        """Delete a study and its trials; raise StudyNotFoundError if there is none."""

    @abstractmethod
    def add_trial(self, study_id: int, trial: NewTrial) -> Trial:
        """Store a new pending or running trial and return it with its id and number.

        Raise StudyFullError, storing nothing, if ``trial.max_trials`` is set and the study
        already holds that many trials (in any state); raise DuplicateConfigurationError,
        storing nothing, if ``trial.unique`` is set and a trial of the study has the same
        configuration and budget. When both refuse, StudyFullError is raised.
        """

    @abstractmethod
    def claim_pending(self, study_id: int, worker: str | None, started_at: float) -> Trial | None:
        """Turn the oldest pending trial into a running one for *worker*, or return None.

        Two concurrent callers never claim the same trial.
        """

    @abstractmethod
    def finish_trial(self, trial_id: int, outcome: TrialOutcome) -> None:
        """Record the outcome of a running trial.

        Meta given in the outcome is merged into the trial's meta. Raise TrialStateError if
        the trial is not running (told twice, or failed meanwhile as abandoned).
        """

    @abstractmethod
    def get_trial(self, trial_id: int) -> Trial:
        """Return the trial with id *trial_id*; raise TrialNotFoundError if there is none."""

    @abstractmethod
    def get_trials(self, study_id: int, *, min_id: int = 0) -> list[Trial]:
        """Return the study's trials with ``id >= min_id``, ordered by id."""

    @abstractmethod
    def heartbeat(self, trial_ids: Sequence[int], at: float) -> None:
        """Set ``heartbeat_at`` to *at* for those of *trial_ids* that are running.

        Trials that are not running (finished meanwhile, pending, unknown) are left alone.
        """

    @abstractmethod
    def add_event(self, study_id: int, event: NewEvent) -> Event:
        """Append *event* to the study's events and return it with its id and ``at_trial``.

        Raise StudyNotFoundError if there is no study with that id.
        """

    @abstractmethod
    def get_events(self, study_id: int, *, min_id: int = 0) -> list[Event]:
        """Return the study's events with ``id >= min_id``, oldest first."""

    @abstractmethod
    def add_intermediate(self, trial_id: int, values: Sequence[NewIntermediate]) -> None:
        """Append *values* to the learning curve of the running trial *trial_id*, atomically.

        Raise TrialNotFoundError if there is no such trial, TrialStateError if it is not
        running, and IntermediateValueError if a step is not a finite number or is one the
        trial already has (or that *values* holds twice), or a value is not a finite
        number; nothing is stored then.
        """

    @abstractmethod
    def get_intermediate(self, study_id: int, *, trial_ids: Sequence[int] | None = None,
                         min_id: int = 0) -> list[IntermediateValue]:
        """Return the study's intermediate values with ``id >= min_id``, ordered by id.

        With *trial_ids*, only those of these trials.
        """

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release connections; the storage must not be used afterwards."""
