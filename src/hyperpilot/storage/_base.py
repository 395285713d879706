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
* Two reads serve views of large studies without loading every trial:
  :meth:`Storage.count_trials` (trials per state) and :meth:`Storage.get_trials_page`
  (filtered by state and value, ordered by number, an objective's value or a
  hyperparameter, one page at a time, with the total that matched). They have
  implementations over :meth:`Storage.get_trials`, correct for any backend; the SQL
  storage answers them with queries.
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


ORDER_KINDS = ("number", "value", "param")
"""What :meth:`Storage.get_trials_page` orders by: ``number``, ``value:<objective>`` or
``param:<hyperparameter>``."""

MAX_PAGE = 10_000
"""The most trials one page may hold (``limit=None`` reads every match)."""


@dataclass(frozen=True)
class TrialResult:
    """A trial's number, state, values and error, without the rest of the trial.

    What :meth:`Storage.get_trial_results` returns: the dashboard's overview draws every
    finished trial's values and groups the failures by error, and needs nothing else.
    """

    id: int
    number: int
    state: TrialState
    values: dict[str, float] | None = None
    error: str | None = None


@dataclass(frozen=True)
class TrialPage:
    """One page of a study's trials and how many trials matched the filters in all."""

    trials: list[Trial]
    total: int


def parse_order(order_by: str) -> tuple[str, str | None]:
    """Split *order_by* into its kind and name: ``"value:loss"`` -> ``("value", "loss")``.

    Raises:
        ValueError: naming what was expected and what was got.

    """
    kind, sep, name = order_by.partition(":")
    if kind == "number" and not sep:
        return kind, None
    if kind in ("value", "param") and name:
        return kind, name
    raise ValueError(f"order_by must be 'number', 'value:<objective>' or "
                     f"'param:<hyperparameter>', got {order_by!r}")


def check_page(offset: int, limit: int | None,
               value_range: tuple[str, float | None, float | None] | None) -> None:
    """Refuse a negative offset, a limit outside 1..MAX_PAGE and an empty value range."""
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValueError(f"offset must be a whole number >= 0, got {offset!r}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or not 1 <= limit <= MAX_PAGE):
        raise ValueError(f"limit must be a whole number in [1, {MAX_PAGE}] or None, "
                         f"got {limit!r}")
    if value_range is not None:
        name, low, high = value_range
        if not isinstance(name, str) or not name:
            raise ValueError(f"value_range must name an objective, got {name!r}")
        if low is not None and high is not None and low > high:
            raise ValueError(f"value_range of {name!r} is empty: low {low} > high {high}")


def _sort_value(value: Any) -> tuple[int, Any]:
    """Numbers before strings, each in their own order (booleans count as numbers)."""
    if isinstance(value, (int, float)):
        return 0, float(value)
    return 1, str(value)


def page_of(trials: Sequence[Trial], *, offset: int = 0, limit: int | None = 50,
            order_by: str = "number", descending: bool = False,
            states: Sequence[TrialState] | None = None,
            value_range: tuple[str, float | None, float | None] | None = None) -> TrialPage:
    """:meth:`Storage.get_trials_page` over trials in memory (returns the same objects)."""
    check_page(offset, limit, value_range)
    kind, name = parse_order(order_by)
    chosen: Sequence[Trial] = trials
    if states is not None:
        wanted = {TrialState(s) for s in states}
        chosen = [t for t in chosen if t.state in wanted]
    if value_range is not None:
        objective, low, high = value_range
        chosen = [t for t in chosen if t.values is not None and objective in t.values
                  and (low is None or t.values[objective] >= low)
                  and (high is None or t.values[objective] <= high)]
    ordered = sorted(chosen, key=lambda t: t.number)
    if kind != "number" or descending:
        if kind == "number":
            ordered.reverse()
        else:
            def key_of(trial: Trial) -> Any:
                source = trial.values if kind == "value" else trial.config
                return None if source is None else source.get(name or "")

            present = [t for t in ordered if key_of(t) is not None]
            missing = [t for t in ordered if key_of(t) is None]
            # Stable, also with reverse=True: ties keep ascending numbers.
            present.sort(key=lambda t: _sort_value(key_of(t)), reverse=descending)
            ordered = present + missing
    end = None if limit is None else offset + limit
    return TrialPage(list(ordered[offset:end]), len(ordered))


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

    def count_trials(self, study_id: int) -> dict[TrialState, int]:
        """The study's trials per state (every state present, zero when it has none)."""
        counts = dict.fromkeys(TrialState, 0)
        for trial in self.get_trials(study_id):
            counts[trial.state] += 1
        return counts

    def get_trial_results(self, study_id: int, *, min_id: int = 0) -> list[TrialResult]:
        """The study's trials with ``id >= min_id``, ordered by id, as :class:`TrialResult`.

        The SQL storage reads only these columns (neither configurations nor meta), so a
        large study's values cost a fraction of :meth:`get_trials`; this default answers
        from :meth:`get_trials`.
        """
        return [TrialResult(t.id, t.number, t.state, t.values, t.error)
                for t in self.get_trials(study_id, min_id=min_id)]

    def get_trials_page(
        self, study_id: int, *, offset: int = 0, limit: int | None = 50,
        order_by: str = "number", descending: bool = False,
        states: Sequence[TrialState] | None = None,
        value_range: tuple[str, float | None, float | None] | None = None,
    ) -> TrialPage:
        """One page of the study's trials, filtered and ordered, with the total matched.

        *order_by* is ``"number"``, ``"value:<objective>"`` or ``"param:<name>"``; numbers
        order numerically and text lexically, trials without the value or hyperparameter
        (failed trials, inactive hyperparameters) come last in either direction, and ties
        are broken by ascending number. *states* keeps trials in these states;
        *value_range* ``(objective, low, high)`` keeps trials whose value of the objective
        lies in ``[low, high]`` (``None``: unbounded). ``limit=None`` returns every match.

        Raises:
            ValueError: for a malformed *order_by*, offset, limit or range.

        """
        return page_of(self.get_trials(study_id), offset=offset, limit=limit,
                       order_by=order_by, descending=descending, states=states,
                       value_range=value_range)

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release connections; the storage must not be used afterwards."""
