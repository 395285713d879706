"""The storage contract: one test class that every :class:`~hyperpilot.storage.Storage` passes.

Subclass :class:`StorageContract` in a test module and supply a fixture named ``storage``
that yields a fresh, empty storage; pytest then runs every contract test on it::

    import pytest
    from hyperpilot.testing import StorageContract

    class TestMyStorage(StorageContract):
        @pytest.fixture
        def storage(self, tmp_path):
            store = MyStorage(tmp_path / "db")
            yield store
            store.close()

        def reopen(self, storage):  # optional: a second handle on the same data
            return MyStorage(storage.path)

The tests check the rules stated in :mod:`hyperpilot.storage._base` and the behaviour of
each of the methods. They need pytest, so import this module from test code only.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest

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
    IntermediateValue,
    NewEvent,
    NewIntermediate,
    NewTrial,
    Storage,
    StudyRecord,
    TrialOutcome,
    TrialResult,
)
from hyperpilot.trial._trial import Trial, TrialState

_T = TypeVar("_T")

#: Values of every JSON type a configuration may hold, with unicode and awkward floats.
AWKWARD_CONFIG: dict[str, Any] = {
    "text": "héllo wörld ✓ 日本語 🚀 \"quoted\" \\ back\nslash",
    "empty": "",
    "int": 7,
    "negative": -3,
    "big_int": 2**53 + 1,
    "float": 0.1,
    "tiny": 5e-324,
    "huge": 1.7976931348623157e308,
    "neg_zero_ish": -2.5e-300,
    "whole_float": 2.0,
    "true": True,
    "false": False,
    "none": None,
    "ключ ü": "värde",
}

_STUDY_SPEC: dict[str, Any] = {
    "format": 1,
    "space": {"hyperparameters": {"x": {"type": "float", "low": 0.0, "high": 1.0}}},
    "objectives": [{"name": "loss", "direction": "minimize"}],
    "seed": 3,
    "note": "naïve ✓",
}


def _running(config: dict[str, Any] | None = None, **kwargs: Any) -> NewTrial:
    return NewTrial(config=dict(config or {"x": 0.5}), state=TrialState.RUNNING, **kwargs)


def _pending(config: dict[str, Any] | None = None, **kwargs: Any) -> NewTrial:
    return NewTrial(config=dict(config or {"x": 0.5}), state=TrialState.PENDING, **kwargs)


def _complete(value: float = 1.0, **kwargs: Any) -> TrialOutcome:
    return TrialOutcome(state=TrialState.COMPLETE, finished_at=200.0,
                        values={"loss": value}, **kwargs)


def _points(*pairs: tuple[Any, Any]) -> list[NewIntermediate]:
    return [NewIntermediate(step, value, 100.0 + i) for i, (step, value) in enumerate(pairs)]


def _curve(values: list[IntermediateValue]) -> list[tuple[Any, Any]]:
    return [(v.step, v.value) for v in values]


def _same_types(a: Any, b: Any) -> bool:
    """Whether *a* equals *b* with the same types all the way down (``1 != 1.0 != True``)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same_types(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same_types(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _together(n_threads: int, work: Callable[[int], _T]) -> list[_T]:
    """Run ``work(0) ... work(n_threads - 1)`` in threads released at the same moment."""
    barrier = threading.Barrier(n_threads, timeout=60)

    def run(k: int) -> _T:
        barrier.wait()
        return work(k)

    with ThreadPoolExecutor(max_workers=n_threads) as pool:
        futures = [pool.submit(run, k) for k in range(n_threads)]
        return [f.result(timeout=120) for f in futures]


class StorageContract:
    """The tests every storage must pass; subclass it and supply a ``storage`` fixture.

    The fixture yields a fresh, empty storage. Override :meth:`reopen` when the storage can
    be opened a second time (a file or a server): the tests that need two handles on the
    same data are skipped otherwise.
    """

    #: Threads used by the concurrency tests, and trials each one adds or claims.
    n_threads = 8
    trials_per_thread = 25

    def reopen(self, storage: Storage) -> Storage | None:
        """Return a second, independent handle on *storage*'s data, or ``None`` if none exists.

        The default is ``None``: the storage lives in this process only.
        """
        return None

    @contextmanager
    def _second_handle(self, storage: Storage) -> Iterator[Storage]:
        other = self.reopen(storage)
        if other is None:
            pytest.skip("the storage cannot be opened twice (reopen() returns None)")
        try:
            yield other
        finally:
            other.close()

    # ------------------------------------------------------------------ studies
    def test_create_study_returns_its_record(self, storage: Storage) -> None:
        """create_study returns the record: an int id, the name, time and spec given."""
        record = storage.create_study("alpha", _STUDY_SPEC, 123.25)
        assert isinstance(record, StudyRecord)
        assert isinstance(record.id, int)
        assert (record.name, record.created_at, record.spec) == ("alpha", 123.25, _STUDY_SPEC)

    def test_get_study_returns_what_was_created(self, storage: Storage) -> None:
        """get_study returns the record create_study returned."""
        created = storage.create_study("alpha", _STUDY_SPEC, 123.25)
        storage.create_study("beta", {}, 124.0)
        assert storage.get_study("alpha") == created

    def test_study_ids_are_distinct(self, storage: Storage) -> None:
        """Every study gets its own id."""
        ids = [storage.create_study(f"s{i}", {}, float(i)).id for i in range(5)]
        assert len(set(ids)) == 5

    def test_spec_round_trips_through_json(self, storage: Storage) -> None:
        """A spec of every JSON type (and unicode names) comes back equal, types included."""
        spec = {"config": AWKWARD_CONFIG, "list": [1, 2.5, "three", None, True, {"n": []}]}
        storage.create_study("ünïcode ✓ 名前", spec, 0.0)
        got = storage.get_study("ünïcode ✓ 名前").spec
        assert _same_types(got, spec), got

    def test_duplicate_study_name_raises(self, storage: Storage) -> None:
        """A taken name raises DuplicateStudyError and leaves the first study alone."""
        storage.create_study("alpha", {"a": 1}, 0.0)
        with pytest.raises(DuplicateStudyError, match="alpha"):
            storage.create_study("alpha", {"a": 2}, 1.0)
        assert storage.get_study("alpha").spec == {"a": 1}
        assert len(storage.list_studies()) == 1

    def test_missing_study_raises_and_lists_the_stored_names(self, storage: Storage) -> None:
        """get_study of an unknown name raises StudyNotFoundError naming the studies held."""
        storage.create_study("alpha", {}, 0.0)
        storage.create_study("beta", {}, 1.0)
        with pytest.raises(StudyNotFoundError) as info:
            storage.get_study("gamma")
        message = str(info.value)
        assert "gamma" in message
        assert "alpha" in message
        assert "beta" in message
        assert isinstance(info.value, LookupError)

    def test_missing_study_in_an_empty_storage_raises(self, storage: Storage) -> None:
        """get_study in an empty storage raises StudyNotFoundError."""
        with pytest.raises(StudyNotFoundError, match="gamma"):
            storage.get_study("gamma")

    def test_list_studies_is_empty_at_first(self, storage: Storage) -> None:
        """A fresh storage lists no study."""
        assert storage.list_studies() == []

    def test_list_studies_oldest_first_with_counts_per_state(self, storage: Storage) -> None:
        """list_studies gives every study, oldest first, with a count for each state."""
        first = storage.create_study("first", {"n": 1}, 10.0)
        second = storage.create_study("second", {"n": 2}, 11.0)
        storage.create_study("empty", {}, 12.0)
        for _ in range(2):
            storage.add_trial(first.id, _pending())
        storage.add_trial(first.id, _running())
        for state in (TrialState.COMPLETE, TrialState.COMPLETE, TrialState.FAILED,
                      TrialState.PRUNED):
            trial = storage.add_trial(first.id, _running())
            storage.finish_trial(trial.id, TrialOutcome(state=state, finished_at=1.0))
        storage.add_trial(second.id, _running())

        summaries = storage.list_studies()
        assert [s.record.name for s in summaries] == ["first", "second", "empty"]
        assert summaries[0].record == first
        assert summaries[0].counts == {
            TrialState.PENDING: 2, TrialState.RUNNING: 1, TrialState.COMPLETE: 2,
            TrialState.FAILED: 1, TrialState.PRUNED: 1,
        }
        assert summaries[0].n_trials == 7
        assert summaries[1].counts == {**dict.fromkeys(TrialState, 0), TrialState.RUNNING: 1}
        assert summaries[2].counts == dict.fromkeys(TrialState, 0)
        assert summaries[2].n_trials == 0

    def test_delete_study_removes_it_and_its_trials(self, storage: Storage) -> None:
        """delete_study removes the study and its trials, and nothing else."""
        doomed = storage.create_study("doomed", {}, 0.0)
        kept = storage.create_study("kept", {}, 1.0)
        storage.add_trial(doomed.id, _running())
        storage.add_trial(doomed.id, _pending())
        kept_trial = storage.add_trial(kept.id, _running())

        storage.delete_study("doomed")

        with pytest.raises(StudyNotFoundError):
            storage.get_study("doomed")
        assert [s.record.name for s in storage.list_studies()] == ["kept"]
        assert storage.get_trials(doomed.id) == []
        assert storage.get_trials(kept.id) == [kept_trial]

    def test_delete_missing_study_raises(self, storage: Storage) -> None:
        """delete_study of an unknown name raises StudyNotFoundError."""
        storage.create_study("alpha", {}, 0.0)
        with pytest.raises(StudyNotFoundError, match="gamma"):
            storage.delete_study("gamma")
        assert storage.get_study("alpha").name == "alpha"

    def test_name_is_free_again_after_delete(self, storage: Storage) -> None:
        """A deleted study's name can be used again; the new study numbers from 0."""
        old = storage.create_study("again", {"v": 1}, 0.0)
        storage.add_trial(old.id, _running())
        storage.delete_study("again")
        new = storage.create_study("again", {"v": 2}, 1.0)
        assert storage.get_study("again").spec == {"v": 2}
        assert storage.add_trial(new.id, _running()).number == 0

    def test_add_trial_to_a_missing_study_raises(self, storage: Storage) -> None:
        """add_trial to a deleted study raises StudyNotFoundError."""
        study = storage.create_study("doomed", {}, 0.0)
        storage.delete_study("doomed")
        with pytest.raises(StudyNotFoundError):
            storage.add_trial(study.id, _running())

    # ------------------------------------------------------------------ adding trials
    def test_add_trial_numbers_count_from_zero_per_study(self, storage: Storage) -> None:
        """Numbers count 0, 1, 2 per study; ids are unique and grow (reads use min_id)."""
        a = storage.create_study("a", {}, 0.0)
        b = storage.create_study("b", {}, 0.0)
        numbers: dict[int, list[int]] = {a.id: [], b.id: []}
        ids = []
        for study_id in (a.id, a.id, b.id, a.id, b.id, b.id, b.id):
            trial = storage.add_trial(study_id, _running())
            assert trial.study_id == study_id
            numbers[study_id].append(trial.number)
            ids.append(trial.id)
        assert numbers == {a.id: [0, 1, 2], b.id: [0, 1, 2, 3]}
        assert len(set(ids)) == len(ids), "trial ids must be unique across studies"
        assert ids == sorted(ids), "later trials get larger ids"

    def test_pending_and_running_trials_share_the_numbering(self, storage: Storage) -> None:
        """Pending and running trials are numbered in one sequence."""
        study = storage.create_study("s", {}, 0.0)
        states = [TrialState.PENDING, TrialState.RUNNING, TrialState.PENDING]
        trials = [storage.add_trial(study.id, NewTrial(config={}, state=s)) for s in states]
        assert [t.number for t in trials] == [0, 1, 2]
        assert [t.state for t in trials] == states

    def test_add_trial_returns_and_stores_every_field(self, storage: Storage) -> None:
        """add_trial returns and stores every field; a running trial starts when created."""
        study = storage.create_study("s", {}, 0.0)
        new = NewTrial(
            config=dict(AWKWARD_CONFIG), state=TrialState.RUNNING, budget=12.5, seed=2**40 + 3,
            instance="instance-ü-7", worker="host-1:4242", created_at=1700000000.123456,
            meta={"enqueued": False, "tags": ["a", "ß"], "nested": {"k": [1, 2.5, None]}},
        )
        returned = storage.add_trial(study.id, new)
        (stored,) = storage.get_trials(study.id)
        for trial in (returned, stored):
            assert trial.number == 0
            assert trial.state == TrialState.RUNNING
            assert _same_types(trial.config, AWKWARD_CONFIG), trial.config
            assert trial.budget == 12.5
            assert trial.seed == 2**40 + 3
            assert trial.instance == "instance-ü-7"
            assert trial.worker == "host-1:4242"
            assert trial.created_at == 1700000000.123456
            assert trial.started_at == 1700000000.123456, "a running trial starts when created"
            assert trial.finished_at is None
            assert trial.values is None
            assert trial.constraints is None
            assert trial.error is None
            assert _same_types(trial.meta, dict(new.meta)), trial.meta
        assert stored == returned

    def test_add_pending_trial_has_no_start_time(self, storage: Storage) -> None:
        """A pending trial has no start time until it is claimed."""
        study = storage.create_study("s", {}, 0.0)
        returned = storage.add_trial(study.id, _pending(created_at=5.0))
        (stored,) = storage.get_trials(study.id)
        for trial in (returned, stored):
            assert trial.state == TrialState.PENDING
            assert trial.started_at is None
            assert trial.created_at == 5.0
            assert trial.meta == {}

    # ------------------------------------------------------------------ claiming
    def test_claim_pending_takes_the_oldest_first(self, storage: Storage) -> None:
        """claim_pending runs the oldest pending trial of the study for the worker."""
        study = storage.create_study("s", {}, 0.0)
        other = storage.create_study("other", {}, 0.0)
        storage.add_trial(other.id, _pending({"x": -1}))
        storage.add_trial(study.id, _running({"x": 0}))
        queued = [storage.add_trial(study.id, _pending({"x": i})) for i in (1, 2, 3)]

        first = storage.claim_pending(study.id, "w1:1", 50.0)
        second = storage.claim_pending(study.id, None, 51.0)
        assert first is not None
        assert second is not None
        assert (first.id, first.number, first.config) == (queued[0].id, 1, {"x": 1})
        assert (first.state, first.worker, first.started_at) == (TrialState.RUNNING, "w1:1", 50.0)
        assert (second.id, second.worker, second.started_at) == (queued[1].id, None, 51.0)
        stored = {t.id: t for t in storage.get_trials(study.id)}
        assert stored[first.id] == first
        assert stored[second.id] == second
        assert stored[queued[2].id].state == TrialState.PENDING

    def test_claim_pending_returns_none_when_nothing_waits(self, storage: Storage) -> None:
        """claim_pending returns None when the study has no pending trial."""
        study = storage.create_study("s", {}, 0.0)
        other = storage.create_study("other", {}, 0.0)
        assert storage.claim_pending(study.id, "w", 1.0) is None
        storage.add_trial(study.id, _running())
        storage.add_trial(other.id, _pending())
        assert storage.claim_pending(study.id, "w", 1.0) is None
        storage.add_trial(study.id, _pending())
        assert storage.claim_pending(study.id, "w", 1.0) is not None
        assert storage.claim_pending(study.id, "w", 1.0) is None

    def test_claimed_trial_keeps_its_fields(self, storage: Storage) -> None:
        """Claiming changes state, worker and start time only."""
        study = storage.create_study("s", {}, 0.0)
        added = storage.add_trial(study.id, NewTrial(
            config=dict(AWKWARD_CONFIG), state=TrialState.PENDING, budget=3.0, seed=9,
            instance="i", created_at=7.0, meta={"enqueued": True, "why": "ü"},
        ))
        claimed = storage.claim_pending(study.id, "host:1", 8.0)
        assert claimed is not None
        assert _same_types(claimed.config, AWKWARD_CONFIG)
        assert (claimed.id, claimed.number, claimed.budget, claimed.seed, claimed.instance) == (
            added.id, 0, 3.0, 9, "i")
        assert (claimed.created_at, claimed.started_at) == (7.0, 8.0)
        assert claimed.meta == {"enqueued": True, "why": "ü"}

    # ------------------------------------------------------------------ finishing
    @pytest.mark.parametrize("state", [TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED])
    def test_finish_trial_records_the_outcome(self, storage: Storage, state: TrialState) -> None:
        """finish_trial stores state, finish time, values, constraints and error."""
        study = storage.create_study("s", {}, 0.0)
        trial = storage.add_trial(study.id, _running(created_at=100.0))
        values = {"loss": 0.25, "accuracy ✓": 0.875} if state == TrialState.COMPLETE else None
        constraints = {"memory": 1.5} if state == TrialState.COMPLETE else None
        error = None if state == TrialState.COMPLETE else f"{state.value}: Traceback ✗\n  line 2"
        storage.finish_trial(trial.id, TrialOutcome(
            state=state, finished_at=160.5, values=values, constraints=constraints, error=error,
        ))
        (stored,) = storage.get_trials(study.id)
        assert stored.state == state
        assert stored.finished_at == 160.5
        assert stored.started_at == 100.0
        assert stored.values == values
        assert stored.constraints == constraints
        assert stored.error == error
        assert stored.meta == {}

    def test_finish_trial_merges_meta(self, storage: Storage) -> None:
        """Meta given to finish_trial is merged into the trial's meta (new keys win)."""
        study = storage.create_study("s", {}, 0.0)
        trial = storage.add_trial(study.id, _running(meta={"a": 1, "b": {"old": True}}))
        storage.finish_trial(trial.id, _complete(meta={"b": {"new": [1, 2]}, "c": "ç"}))
        (stored,) = storage.get_trials(study.id)
        assert stored.meta == {"a": 1, "b": {"new": [1, 2]}, "c": "ç"}

    def test_finish_trial_without_meta_keeps_meta(self, storage: Storage) -> None:
        """finish_trial without meta keeps the trial's meta."""
        study = storage.create_study("s", {}, 0.0)
        trial = storage.add_trial(study.id, _running(meta={"a": 1}))
        storage.finish_trial(trial.id, _complete(meta=None))
        (stored,) = storage.get_trials(study.id)
        assert stored.meta == {"a": 1}

    def test_finish_a_claimed_trial(self, storage: Storage) -> None:
        """A claimed trial can be finished like any running one."""
        study = storage.create_study("s", {}, 0.0)
        storage.add_trial(study.id, _pending())
        claimed = storage.claim_pending(study.id, "w", 1.0)
        assert claimed is not None
        storage.finish_trial(claimed.id, _complete(0.5))
        (stored,) = storage.get_trials(study.id)
        assert (stored.state, stored.values, stored.worker) == (
            TrialState.COMPLETE, {"loss": 0.5}, "w")

    @pytest.mark.parametrize("first", [TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED])
    def test_finishing_twice_raises_and_changes_nothing(
        self, storage: Storage, first: TrialState
    ) -> None:
        """Finishing a finished trial raises TrialStateError; the trial does not change."""
        study = storage.create_study("s", {}, 0.0)
        trial = storage.add_trial(study.id, _running())
        values = {"loss": 1.0} if first == TrialState.COMPLETE else None
        storage.finish_trial(trial.id, TrialOutcome(state=first, finished_at=10.0,
                                                    values=values, meta={"m": 1}))
        (before,) = storage.get_trials(study.id)
        for again in (TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED):
            with pytest.raises(TrialStateError, match=first.value) as info:
                storage.finish_trial(trial.id, TrialOutcome(
                    state=again, finished_at=99.0, values={"loss": 2.0}, error="late",
                    meta={"m": 2, "extra": True},
                ))
            assert isinstance(info.value, RuntimeError)
        assert storage.get_trials(study.id) == [before]

    def test_finishing_a_pending_trial_raises(self, storage: Storage) -> None:
        """Finishing a pending trial raises TrialStateError; it stays pending."""
        study = storage.create_study("s", {}, 0.0)
        trial = storage.add_trial(study.id, _pending())
        with pytest.raises(TrialStateError, match="pending"):
            storage.finish_trial(trial.id, _complete(meta={"m": 1}))
        (stored,) = storage.get_trials(study.id)
        assert (stored.state, stored.values, stored.meta) == (TrialState.PENDING, None, {})
        assert storage.claim_pending(study.id, "w", 1.0) is not None

    def test_finishing_a_missing_trial_raises(self, storage: Storage) -> None:
        """Finishing an unknown trial id raises TrialStateError."""
        study = storage.create_study("s", {}, 0.0)
        trial = storage.add_trial(study.id, _running())
        with pytest.raises(TrialStateError):
            storage.finish_trial(trial.id + 1000, _complete())

    # ------------------------------------------------------------------ reading trials
    def test_get_trials_orders_by_id_and_filters_by_min_id(self, storage: Storage) -> None:
        """get_trials returns the study's trials by id, from min_id on."""
        a = storage.create_study("a", {}, 0.0)
        b = storage.create_study("b", {}, 0.0)
        mine: list[Trial] = []
        for i in range(6):
            mine.append(storage.add_trial(a.id, _running({"i": i})))
            storage.add_trial(b.id, _running({"i": -i}))
        storage.finish_trial(mine[1].id, _complete())
        storage.finish_trial(mine[4].id, TrialOutcome(TrialState.FAILED, 1.0, error="x"))
        ids = [t.id for t in mine]

        assert [t.id for t in storage.get_trials(a.id)] == ids
        assert [t.config["i"] for t in storage.get_trials(a.id)] == list(range(6))
        assert [t.id for t in storage.get_trials(a.id, min_id=0)] == ids
        assert [t.id for t in storage.get_trials(a.id, min_id=ids[2])] == ids[2:]
        assert [t.id for t in storage.get_trials(a.id, min_id=ids[2] + 1)] == ids[3:]
        assert [t.id for t in storage.get_trials(a.id, min_id=ids[-1])] == ids[-1:]
        assert storage.get_trials(a.id, min_id=ids[-1] + 1) == []
        assert all(t.study_id == b.id for t in storage.get_trials(b.id))

    def test_get_trials_of_a_study_without_trials_is_empty(self, storage: Storage) -> None:
        """get_trials of a study without trials is an empty list."""
        study = storage.create_study("s", {}, 0.0)
        assert storage.get_trials(study.id) == []

    # ------------------------------------------------------------------ heartbeats
    def test_add_trial_stores_the_first_heartbeat_of_a_running_trial(
        self, storage: Storage
    ) -> None:
        """A running trial keeps the heartbeat it was added with; a pending one has none."""
        study = storage.create_study("s", {}, 0.0)
        running = storage.add_trial(study.id, _running(created_at=5.0, heartbeat_at=5.0))
        plain = storage.add_trial(study.id, _running(created_at=6.0))
        pending = storage.add_trial(study.id, _pending(heartbeat_at=7.0))
        assert (running.heartbeat_at, plain.heartbeat_at, pending.heartbeat_at) == (
            5.0, None, None)
        stored = {t.id: t.heartbeat_at for t in storage.get_trials(study.id)}
        assert stored == {running.id: 5.0, plain.id: None, pending.id: None}

    def test_heartbeat_updates_running_trials_only(self, storage: Storage) -> None:
        """heartbeat() sets the time on running trials and leaves every other trial alone."""
        study = storage.create_study("s", {}, 0.0)
        other = storage.create_study("other", {}, 0.0)
        a = storage.add_trial(study.id, _running(heartbeat_at=1.0))
        b = storage.add_trial(study.id, _running())
        done = storage.add_trial(study.id, _running(heartbeat_at=1.0))
        storage.finish_trial(done.id, _complete())
        (before_done,) = [t for t in storage.get_trials(study.id) if t.id == done.id]
        waiting = storage.add_trial(study.id, _pending())
        elsewhere = storage.add_trial(other.id, _running(heartbeat_at=2.0))

        storage.heartbeat([a.id, b.id, done.id, waiting.id, a.id + 10_000], 50.5)
        storage.heartbeat([], 99.0)

        stored = {t.id: t for t in storage.get_trials(study.id)}
        assert stored[a.id].heartbeat_at == 50.5
        assert stored[b.id].heartbeat_at == 50.5
        assert stored[done.id] == before_done, "a finished trial never changes"
        assert stored[waiting.id].heartbeat_at is None
        assert stored[waiting.id].state == TrialState.PENDING
        assert storage.get_trials(other.id)[0].heartbeat_at == 2.0
        assert elsewhere.heartbeat_at == 2.0

    def test_claimed_trial_beats_once_told_to(self, storage: Storage) -> None:
        """A claimed trial has no heartbeat until heartbeat() is called for it."""
        study = storage.create_study("s", {}, 0.0)
        storage.add_trial(study.id, _pending())
        claimed = storage.claim_pending(study.id, "w:1", 3.0)
        assert claimed is not None
        assert claimed.heartbeat_at is None
        storage.heartbeat([claimed.id], 4.0)
        assert storage.get_trials(study.id)[0].heartbeat_at == 4.0

    def test_a_second_handle_sees_heartbeats(self, storage: Storage) -> None:
        """Heartbeats written through one handle are read through another."""
        with self._second_handle(storage) as other:
            study = storage.create_study("s", {}, 0.0)
            trial = storage.add_trial(study.id, _running(heartbeat_at=1.0))
            other.heartbeat([trial.id], 2.0)
            assert storage.get_trials(study.id)[0].heartbeat_at == 2.0

    # ------------------------------------------------------------------ trial limits
    def test_max_trials_stops_adding_at_the_limit(self, storage: Storage) -> None:
        """add_trial with max_trials raises StudyFullError once the study holds that many."""
        study = storage.create_study("s", {}, 0.0)
        other = storage.create_study("other", {}, 0.0)
        storage.add_trial(study.id, _pending())
        first = storage.add_trial(study.id, _running())
        storage.finish_trial(first.id, TrialOutcome(TrialState.FAILED, 1.0, error="x"))
        added = storage.add_trial(study.id, _running(max_trials=3))
        assert added.number == 2
        for state in (TrialState.RUNNING, TrialState.PENDING):
            with pytest.raises(StudyFullError) as info:
                storage.add_trial(study.id, NewTrial(config={}, state=state, max_trials=3))
            assert isinstance(info.value, RuntimeError)
        assert len(storage.get_trials(study.id)) == 3
        assert storage.add_trial(study.id, _running(max_trials=4)).number == 3
        assert storage.add_trial(study.id, _running()).number == 4, "no limit, no check"
        assert storage.add_trial(other.id, _running(max_trials=1)).number == 0

    def test_concurrent_adds_never_overshoot_max_trials(self, storage: Storage) -> None:
        """Threads adding with the same max_trials store exactly that many trials."""
        study = storage.create_study("s", {}, 0.0)
        limit = self.n_threads * self.trials_per_thread // 2

        def work(k: int) -> int:
            added = 0
            for j in range(self.trials_per_thread):
                try:
                    storage.add_trial(study.id, _running({"k": k, "j": j}, max_trials=limit))
                except StudyFullError:
                    continue
                added += 1
            return added

        assert sum(_together(self.n_threads, work)) == limit
        numbers = sorted(t.number for t in storage.get_trials(study.id))
        assert numbers == list(range(limit))

    # ------------------------------------------------------------------ unique configurations
    def test_unique_refuses_a_configuration_the_study_has(self, storage: Storage) -> None:
        """A unique trial whose config a trial of the study has, in any state, is refused.

        Nothing is stored and no number is used; the key order does not matter.
        """
        study = storage.create_study("s", {}, 0.0)
        awkward = storage.add_trial(study.id, _running(AWKWARD_CONFIG))
        storage.finish_trial(awkward.id, TrialOutcome(TrialState.FAILED, 1.0, error="x"))
        storage.add_trial(study.id, _pending({"x": 0.25, "y": "a"}))
        done = storage.add_trial(study.id, _running({"x": 0.5, "n": 2}))
        storage.finish_trial(done.id, _complete())
        before = storage.get_trials(study.id)
        reordered = dict(reversed(list(AWKWARD_CONFIG.items())))
        for config, number in ((reordered, 0), ({"y": "a", "x": 0.25}, 1),
                               ({"n": 2, "x": 0.5}, 2)):
            for state in (TrialState.RUNNING, TrialState.PENDING):
                with pytest.raises(DuplicateConfigurationError, match=f"trial {number}") as info:
                    storage.add_trial(study.id, NewTrial(config=config, state=state,
                                                         unique=True))
                assert isinstance(info.value, ValueError)
        assert storage.get_trials(study.id) == before, "a refused trial stores nothing"
        assert storage.add_trial(study.id, _running({"x": 0.75}, unique=True)).number == 3
        assert storage.add_trial(study.id, _running({"x": 0.25, "y": "a"})).number == 4, \
            "without unique, no check"

    def test_unique_accepts_another_configuration_budget_or_study(
        self, storage: Storage
    ) -> None:
        """Unique compares the configuration and the budget, within the study."""
        study = storage.create_study("s", {}, 0.0)
        other = storage.create_study("other", {}, 0.0)
        storage.add_trial(study.id, _running({"x": 0.5, "k": "a"}))
        storage.add_trial(study.id, _running({"x": 0.5, "k": "a"}, budget=3.0))
        accepted = [
            storage.add_trial(study.id, _running({"x": 0.5, "k": "b"}, unique=True)),
            storage.add_trial(study.id, _running({"x": 0.5000001, "k": "a"}, unique=True)),
            storage.add_trial(study.id, _running({"x": 0.5}, unique=True)),
            storage.add_trial(study.id, _running({"x": 0.5, "k": "a", "z": 1}, unique=True)),
            storage.add_trial(study.id, _running({"x": 0.5, "k": "a"}, budget=9.0, unique=True)),
            storage.add_trial(study.id, _running({"x": 0.5, "k": "a"}, budget=0.0, unique=True)),
            storage.add_trial(other.id, _running({"x": 0.5, "k": "a"}, unique=True)),
        ]
        assert [t.number for t in accepted] == [2, 3, 4, 5, 6, 7, 0]
        for budget in (None, 3.0, 9.0):
            with pytest.raises(DuplicateConfigurationError):
                storage.add_trial(study.id, _running({"k": "a", "x": 0.5}, budget=budget,
                                                     unique=True))
        assert len(storage.get_trials(study.id)) == 8

    def test_unique_combines_with_max_trials(self, storage: Storage) -> None:
        """With both conditions a trial is stored only if both hold; a full study says so."""
        study = storage.create_study("s", {}, 0.0)
        storage.add_trial(study.id, _running({"x": 0}))
        storage.add_trial(study.id, _running({"x": 1}))
        with pytest.raises(DuplicateConfigurationError):
            storage.add_trial(study.id, _running({"x": 1}, unique=True, max_trials=3))
        assert storage.add_trial(study.id, _running({"x": 2}, unique=True,
                                                    max_trials=3)).number == 2
        for config in ({"x": 2}, {"x": 3}):  # full: a duplicate or not, the limit refuses
            with pytest.raises(StudyFullError):
                storage.add_trial(study.id, _running(config, unique=True, max_trials=3))
        assert [t.config for t in storage.get_trials(study.id)] == [{"x": 0}, {"x": 1},
                                                                   {"x": 2}]

    def test_concurrent_unique_adds_store_each_configuration_once(
        self, storage: Storage
    ) -> None:
        """Threads adding the same configurations as unique store each exactly once."""
        study = storage.create_study("s", {}, 0.0)
        configs = [{"j": j, "x": j / 7} for j in range(self.trials_per_thread)]

        def work(k: int) -> list[int]:
            added = []
            for config in configs[k % 2::2] + configs[(k + 1) % 2::2]:
                try:
                    added.append(storage.add_trial(study.id, _running(config, unique=True,
                                                                      worker=f"w{k}")).number)
                except DuplicateConfigurationError:
                    continue
            return added

        numbers = [n for batch in _together(self.n_threads, work) for n in batch]
        assert sorted(numbers) == list(range(len(configs)))
        stored = storage.get_trials(study.id)
        assert sorted(t.config["j"] for t in stored) == list(range(len(configs)))

    def test_two_handles_store_a_unique_configuration_once(self, storage: Storage) -> None:
        """Two handles adding the same configurations as unique store each exactly once."""
        with self._second_handle(storage) as other:
            study = storage.create_study("s", {}, 0.0)
            handles = [storage, other]
            configs = [{"x": j / 3, "j": j} for j in range(self.trials_per_thread)]

            def work(k: int) -> int:
                added = 0
                for config in configs:
                    try:
                        handles[k % 2].add_trial(study.id, _running(config, unique=True))
                    except DuplicateConfigurationError:
                        continue
                    added += 1
                return added

            assert sum(_together(4, work)) == len(configs)
            trials = storage.get_trials(study.id)
            assert sorted(t.config["j"] for t in trials) == list(range(len(configs)))
            assert sorted(t.number for t in trials) == list(range(len(configs)))

    # ------------------------------------------------------------------ copies
    def test_records_are_copies(self, storage: Storage) -> None:
        """Study records handed in or out are copies of what is stored."""
        spec = copy.deepcopy(_STUDY_SPEC)
        created = storage.create_study("s", spec, 0.0)
        spec["objectives"].append({"name": "added later"})
        spec["seed"] = 99
        created.spec["objectives"].append({"name": "from create_study"})
        created.spec["extra"] = 1
        storage.get_study("s").spec["seed"] = -1
        storage.list_studies()[0].record.spec["seed"] = -2
        assert storage.get_study("s").spec == _STUDY_SPEC
        assert storage.list_studies()[0].record.spec == _STUDY_SPEC

    def test_trials_are_copies(self, storage: Storage) -> None:
        """Trials, configs, outcomes and meta handed in or out are copies."""
        study = storage.create_study("s", {}, 0.0)
        config = {"x": 1, "y": "a"}
        meta: dict[str, Any] = {"tags": ["keep"]}
        added = storage.add_trial(study.id, NewTrial(config=config, meta=meta))
        config["x"] = 2
        meta["tags"].append("no")
        added.config["x"] = 3
        added.meta["new"] = True
        added.state = TrialState.COMPLETE

        values = {"loss": 1.0}
        outcome_meta: dict[str, Any] = {"seen": ["once"]}
        storage.finish_trial(added.id, TrialOutcome(TrialState.COMPLETE, 5.0, values=values,
                                                    constraints={"c": 0.0}, meta=outcome_meta))
        values["loss"] = 9.0
        outcome_meta["seen"].append("twice")

        read = storage.get_trials(study.id)[0]
        read.config["x"] = 4
        read.meta["tags"].append("no")
        assert read.values is not None
        read.values["loss"] = 8.0
        assert read.constraints is not None
        read.constraints["c"] = 7.0
        read.state = TrialState.FAILED

        (stored,) = storage.get_trials(study.id)
        assert stored.config == {"x": 1, "y": "a"}
        assert stored.meta == {"tags": ["keep"], "seen": ["once"]}
        assert stored.values == {"loss": 1.0}
        assert stored.constraints == {"c": 0.0}
        assert stored.state == TrialState.COMPLETE

    def test_claimed_trials_are_copies(self, storage: Storage) -> None:
        """The trial claim_pending returns is a copy."""
        study = storage.create_study("s", {}, 0.0)
        storage.add_trial(study.id, _pending({"x": 1}, meta={"m": [1]}))
        claimed = storage.claim_pending(study.id, "w", 1.0)
        assert claimed is not None
        claimed.config["x"] = 2
        claimed.meta["m"].append(2)
        claimed.state = TrialState.PENDING
        (stored,) = storage.get_trials(study.id)
        assert (stored.config, stored.meta, stored.state) == (
            {"x": 1}, {"m": [1]}, TrialState.RUNNING)
        assert storage.claim_pending(study.id, "w", 1.0) is None

    # ------------------------------------------------------------------ concurrency
    def test_concurrent_add_trial_never_shares_a_number(self, storage: Storage) -> None:
        """Threads adding trials at once never share a number or an id."""
        a = storage.create_study("a", {}, 0.0)
        b = storage.create_study("b", {}, 0.0)
        per = self.trials_per_thread

        def work(k: int) -> list[Trial]:
            return [storage.add_trial(a.id if (k + j) % 2 else b.id, _running({"k": k, "j": j}))
                    for j in range(per)]

        added = [t for batch in _together(self.n_threads, work) for t in batch]
        assert len({t.id for t in added}) == len(added), "a trial id was handed out twice"
        for study in (a, b):
            numbers = sorted(t.number for t in added if t.study_id == study.id)
            assert numbers == list(range(len(numbers))), "numbers must be 0..n-1, no repeats"
            stored = {t.id: t for t in storage.get_trials(study.id)}
            assert {t.id: (t.number, t.config) for t in added if t.study_id == study.id} == {
                i: (t.number, t.config) for i, t in stored.items()}
        assert len(added) == self.n_threads * per

    def test_concurrent_claims_never_take_a_trial_twice(self, storage: Storage) -> None:
        """Threads claiming at once take every pending trial exactly once."""
        study = storage.create_study("s", {}, 0.0)
        total = self.n_threads * self.trials_per_thread
        queued = {storage.add_trial(study.id, _pending({"i": i})).id for i in range(total)}

        def work(k: int) -> list[Trial]:
            claimed = []
            while (trial := storage.claim_pending(study.id, f"w{k}", float(k))) is not None:
                claimed.append(trial)
            return claimed

        batches = _together(self.n_threads, work)
        claimed = [t for batch in batches for t in batch]
        assert sorted(t.id for t in claimed) == sorted(queued), "claimed twice or never"
        stored = {t.id: t for t in storage.get_trials(study.id)}
        for k, batch in enumerate(batches):
            for trial in batch:
                assert stored[trial.id].state == TrialState.RUNNING
                assert stored[trial.id].worker == f"w{k}", "the claim was overwritten"

    def test_concurrent_add_claim_and_finish(self, storage: Storage) -> None:
        """Threads adding, claiming and finishing at once lose nothing.

        Each thread adds a pending trial, then claims one. Under contention a claim may
        come back empty while others are claiming (``SKIP LOCKED`` skips the rows they
        hold), so the thread tries again; every trial must end claimed exactly once.
        """
        study = storage.create_study("s", {}, 0.0)
        per = self.trials_per_thread

        def work(k: int) -> list[int]:
            finished = []
            for j in range(per):
                storage.add_trial(study.id, _pending({"k": k, "j": j}))
                for _ in range(1000):
                    trial = storage.claim_pending(study.id, f"w{k}", 1.0)
                    if trial is not None:
                        break
                    time.sleep(0.001)
                else:
                    pytest.fail("a pending trial was added, but 1000 claims found none")
                storage.finish_trial(trial.id, _complete(float(k)))
                finished.append(trial.id)
            return finished

        finished = [i for batch in _together(self.n_threads, work) for i in batch]
        assert len(set(finished)) == len(finished) == self.n_threads * per
        assert storage.claim_pending(study.id, "w", 1.0) is None
        trials = storage.get_trials(study.id)
        assert sorted(t.number for t in trials) == list(range(len(finished)))
        assert all(t.state == TrialState.COMPLETE for t in trials)

    # ------------------------------------------------------------------ two handles
    def test_a_second_handle_sees_every_write(self, storage: Storage) -> None:
        """A second handle sees every write once the call has returned."""
        with self._second_handle(storage) as other:
            study = storage.create_study("s", {"v": 1}, 0.0)
            trial = storage.add_trial(study.id, _running())
            storage.finish_trial(trial.id, _complete(0.5, meta={"done": True}))
            assert other.get_study("s") == study
            assert other.get_trials(study.id) == storage.get_trials(study.id)
            with pytest.raises(TrialStateError):
                other.finish_trial(trial.id, _complete())
            with pytest.raises(DuplicateStudyError):
                other.create_study("s", {}, 1.0)

    def test_two_handles_never_share_a_number_or_a_claim(self, storage: Storage) -> None:
        """Two handles used at once never share a number or a claimed trial."""
        with self._second_handle(storage) as other:
            study = storage.create_study("s", {}, 0.0)
            per = self.trials_per_thread
            handles = [storage, other]
            for i in range(per * 2):
                storage.add_trial(study.id, _pending({"i": i}))

            def work(k: int) -> tuple[list[int], list[int]]:
                handle = handles[k % 2]
                added = [handle.add_trial(study.id, _running({"k": k})).number
                         for _ in range(per // 2)]
                claimed = []
                while (trial := handle.claim_pending(study.id, f"w{k}", 1.0)) is not None:
                    claimed.append(trial.id)
                return added, claimed

            results = _together(4, work)
            numbers = [n for added, _ in results for n in added]
            claimed = [i for _, ids in results for i in ids]
            assert len(set(numbers)) == len(numbers)
            assert len(set(claimed)) == len(claimed) == per * 2
            trials = storage.get_trials(study.id)
            assert sorted(t.number for t in trials) == list(range(len(trials)))

    # ------------------------------------------------------------------ one trial by id
    def test_get_trial_returns_the_stored_trial(self, storage: Storage) -> None:
        """get_trial returns exactly what get_trials holds for that id, in every state."""
        study = storage.create_study("s", {}, 0.0)
        first = storage.add_trial(study.id, _running({"x": 0.1}))
        second = storage.add_trial(study.id, _pending({"x": 0.2}))
        storage.finish_trial(first.id, _complete(0.25, meta={"m": [1, 2]}))
        stored = {t.id: t for t in storage.get_trials(study.id)}
        assert storage.get_trial(first.id) == stored[first.id]
        assert storage.get_trial(second.id) == stored[second.id]
        assert storage.get_trial(first.id).values == {"loss": 0.25}

    def test_get_trial_of_a_missing_id_raises(self, storage: Storage) -> None:
        """An unknown trial id raises TrialNotFoundError (a LookupError) naming it."""
        storage.create_study("s", {}, 0.0)
        with pytest.raises(TrialNotFoundError, match="no trial with id 12345"):
            storage.get_trial(12345)
        assert issubclass(TrialNotFoundError, LookupError)

    def test_get_trial_returns_a_copy(self, storage: Storage) -> None:
        """Changing the returned trial changes nothing stored."""
        study = storage.create_study("s", {}, 0.0)
        trial = storage.add_trial(study.id, _running({"x": 0.5}, meta={"a": {"b": 1}}))
        got = storage.get_trial(trial.id)
        got.config["x"] = 9.0
        got.meta["a"]["b"] = 2
        again = storage.get_trial(trial.id)
        assert again.config == {"x": 0.5} and again.meta == {"a": {"b": 1}}

    # ------------------------------------------------------------------ events
    def test_add_event_returns_and_stores_every_field(self, storage: Storage) -> None:
        """An event keeps kind, origin, author, time and payload (any JSON, unicode too)."""
        study = storage.create_study("s", {}, 0.0)
        event = storage.add_event(study.id, NewEvent(
            kind="set_prior", payload={"config": AWKWARD_CONFIG, "list": [1, 2.5, None]},
            origin="cli", author="ada ✓", created_at=123.5,
        ))
        assert (event.study_id, event.kind, event.origin, event.author, event.created_at) == (
            study.id, "set_prior", "cli", "ada ✓", 123.5)
        (stored,) = storage.get_events(study.id)
        assert stored == event
        assert _same_types(stored.payload, {"config": AWKWARD_CONFIG,
                                            "list": [1, 2.5, None]})

    def test_event_ids_grow_and_at_trial_counts_the_trials(self, storage: Storage) -> None:
        """Ids grow; ``at_trial`` is the number the next trial would get when stored."""
        study = storage.create_study("s", {}, 0.0)
        other = storage.create_study("t", {}, 0.0)
        first = storage.add_event(study.id, NewEvent(kind="a"))
        for _ in range(3):
            storage.add_trial(study.id, _running())
        storage.add_trial(other.id, _running())
        second = storage.add_event(study.id, NewEvent(kind="b", author=None))
        storage.add_trial(study.id, _pending())
        third = storage.add_event(study.id, NewEvent(kind="c"))
        elsewhere = storage.add_event(other.id, NewEvent(kind="d"))
        assert first.id < second.id < third.id < elsewhere.id
        assert [first.at_trial, second.at_trial, third.at_trial] == [0, 3, 4]
        assert elsewhere.at_trial == 1
        assert second.author is None and second.payload == {} and second.origin == "python"

    def test_get_events_reads_incrementally_and_per_study(self, storage: Storage) -> None:
        """get_events returns one study's events oldest first, from ``min_id`` on."""
        study = storage.create_study("s", {}, 0.0)
        other = storage.create_study("t", {}, 0.0)
        mine = [storage.add_event(study.id, NewEvent(kind=f"k{i}", payload={"i": i}))
                for i in range(5)]
        storage.add_event(other.id, NewEvent(kind="theirs"))
        assert storage.get_events(study.id) == mine
        assert storage.get_events(study.id, min_id=mine[3].id) == mine[3:]
        assert storage.get_events(study.id, min_id=mine[-1].id + 1000) == []
        assert [e.kind for e in storage.get_events(other.id)] == ["theirs"]

    def test_add_event_to_a_missing_study_raises(self, storage: Storage) -> None:
        """An event for a study that does not exist is refused; nothing is stored."""
        with pytest.raises(StudyNotFoundError):
            storage.add_event(987654, NewEvent(kind="pause"))

    def test_events_are_copies_and_go_with_their_study(self, storage: Storage) -> None:
        """Returned payloads are copies; deleting a study deletes its events."""
        study = storage.create_study("s", {}, 0.0)
        payload = {"value": [1, 2]}
        event = storage.add_event(study.id, NewEvent(kind="k", payload=payload))
        payload["value"].append(3)
        event.payload["value"].append(4)
        storage.get_events(study.id)[0].payload["value"].append(5)
        assert storage.get_events(study.id)[0].payload == {"value": [1, 2]}
        storage.delete_study("s")
        again = storage.create_study("s", {}, 0.0)
        assert storage.get_events(again.id) == []
        assert storage.get_events(study.id) == []

    def test_concurrent_events_are_all_stored_once(self, storage: Storage) -> None:
        """Events added from many threads at once all arrive, each with its own id."""
        study = storage.create_study("s", {}, 0.0)
        per = 5

        def work(k: int) -> list[int]:
            return [storage.add_event(study.id, NewEvent(kind="k", payload={"k": k, "i": i})).id
                    for i in range(per)]

        ids = [i for chunk in _together(self.n_threads, work) for i in chunk]
        stored = storage.get_events(study.id)
        assert len(set(ids)) == len(ids) == len(stored) == self.n_threads * per
        assert [e.id for e in stored] == sorted(ids)

    def test_a_second_handle_sees_events(self, storage: Storage) -> None:
        """An event is visible to another handle (another process) once add_event returns."""
        with self._second_handle(storage) as other:
            study = storage.create_study("s", {}, 0.0)
            storage.add_trial(study.id, _running())
            event = storage.add_event(study.id, NewEvent(kind="pause", origin="dashboard"))
            assert other.get_events(study.id) == [event]
            later = other.add_event(study.id, NewEvent(kind="resume"))
            assert storage.get_events(study.id, min_id=event.id + 1) == [later]
            assert other.get_trial(storage.get_trials(study.id)[0].id).number == 0

    # ------------------------------------------------------------------ intermediate values
    def test_add_intermediate_stores_every_field(self, storage: Storage) -> None:
        """Values keep trial, study, step, value and time; ids grow in the order added."""
        study = storage.create_study("s", {}, 0.0)
        trial = storage.add_trial(study.id, _running())
        storage.add_intermediate(trial.id, [NewIntermediate(1, 0.5, 10.5)])
        storage.add_intermediate(trial.id, [NewIntermediate(2, 0.25, 11.0),
                                            NewIntermediate(3, -1e-300, 12.0)])
        stored = storage.get_intermediate(study.id)
        assert [(v.study_id, v.trial_id, v.step, v.value, v.created_at) for v in stored] == [
            (study.id, trial.id, 1, 0.5, 10.5), (study.id, trial.id, 2, 0.25, 11.0),
            (study.id, trial.id, 3, -1e-300, 12.0)]
        assert stored[0].id < stored[1].id < stored[2].id

    def test_steps_keep_their_kind_and_values_are_floats(self, storage: Storage) -> None:
        """Whole-number steps read back as int (2.0 too), others as float; values as float."""
        import numpy as np

        study = storage.create_study("s", {}, 0.0)
        trial = storage.add_trial(study.id, _running())
        storage.add_intermediate(trial.id, _points(
            (0, 1), (0.5, 2.5), (2.0, np.float64(0.125)), (np.int64(3), 7),
            (2**53, 1e308), (-1.5, 5e-324)))
        got = _curve(storage.get_intermediate(study.id))
        expected = [(0, 1.0), (0.5, 2.5), (2, 0.125), (3, 7.0), (2**53, 1e308), (-1.5, 5e-324)]
        assert _same_types(got, expected), got

    def test_get_intermediate_reads_incrementally_per_study_and_trial(
            self, storage: Storage) -> None:
        """A cursor (``min_id``) returns only what came since; *trial_ids* selects trials."""
        study = storage.create_study("s", {}, 0.0)
        other = storage.create_study("t", {}, 0.0)
        a = storage.add_trial(study.id, _running())
        b = storage.add_trial(study.id, _running())
        c = storage.add_trial(other.id, _running())
        storage.add_intermediate(a.id, _points((1, 0.9), (2, 0.8)))
        storage.add_intermediate(c.id, _points((1, 5.0)))
        storage.add_intermediate(b.id, _points((1, 0.7)))
        first = storage.get_intermediate(study.id)
        assert [(v.trial_id, v.step) for v in first] == [(a.id, 1), (a.id, 2), (b.id, 1)]
        cursor = first[-1].id + 1
        assert storage.get_intermediate(study.id, min_id=cursor) == []
        storage.add_intermediate(a.id, _points((3, 0.6)))
        (new,) = storage.get_intermediate(study.id, min_id=cursor)
        assert (new.trial_id, new.step, new.value) == (a.id, 3, 0.6)
        assert _curve(storage.get_intermediate(study.id, trial_ids=[a.id])) == [
            (1, 0.9), (2, 0.8), (3, 0.6)]
        assert storage.get_intermediate(study.id, trial_ids=[b.id, a.id],
                                        min_id=first[1].id) == [first[1], first[2], new]
        assert storage.get_intermediate(study.id, trial_ids=[c.id]) == []
        assert storage.get_intermediate(study.id, trial_ids=[]) == []
        assert [v.trial_id for v in storage.get_intermediate(other.id)] == [c.id]
        assert storage.get_intermediate(987654) == []

    def test_a_step_is_reported_once_and_a_refused_batch_stores_nothing(
            self, storage: Storage) -> None:
        """A step the trial has, or one given twice, refuses the whole batch."""
        study = storage.create_study("s", {}, 0.0)
        trial = storage.add_trial(study.id, _running())
        storage.add_intermediate(trial.id, _points((1, 0.5), (2, 0.4)))
        with pytest.raises(IntermediateValueError, match="already has a value at step 2"):
            storage.add_intermediate(trial.id, _points((3, 0.3), (2.0, 0.1)))
        with pytest.raises(IntermediateValueError, match="step 4 is given twice"):
            storage.add_intermediate(trial.id, _points((4, 0.3), (4, 0.2)))
        assert _curve(storage.get_intermediate(study.id)) == [(1, 0.5), (2, 0.4)]
        other = storage.add_trial(study.id, _running())
        storage.add_intermediate(other.id, _points((2, 9.0)))  # steps are per trial
        storage.add_intermediate(trial.id, [])  # nothing to add: nothing happens
        assert len(storage.get_intermediate(study.id)) == 3

    @pytest.mark.parametrize(("step", "value"), [
        (1, float("nan")), (1, float("inf")), (float("-inf"), 1.0), (float("nan"), 1.0),
        (True, 1.0), (1, False), ("1", 1.0), (1, "0.5"), (None, 1.0), (2**53 + 2, 1.0),
    ])
    def test_points_that_are_not_finite_numbers_are_refused(
            self, storage: Storage, step: Any, value: Any) -> None:
        """A step or value that is not a finite number is refused; nothing is stored."""
        study = storage.create_study("s", {}, 0.0)
        trial = storage.add_trial(study.id, _running())
        with pytest.raises(IntermediateValueError):
            storage.add_intermediate(trial.id, _points((0, 0.5), (step, value)))
        assert storage.get_intermediate(study.id) == []

    def test_only_a_running_trial_gets_values(self, storage: Storage) -> None:
        """Pending and finished trials refuse values; a finished trial keeps its curve."""
        study = storage.create_study("s", {}, 0.0)
        pending = storage.add_trial(study.id, _pending())
        with pytest.raises(TrialStateError, match="pending"):
            storage.add_intermediate(pending.id, _points((1, 0.5)))
        trial = storage.add_trial(study.id, _running())
        storage.add_intermediate(trial.id, _points((1, 0.5)))
        storage.finish_trial(trial.id, TrialOutcome(TrialState.PRUNED, 200.0))
        with pytest.raises(TrialStateError, match="pruned"):
            storage.add_intermediate(trial.id, _points((2, 0.4)))
        with pytest.raises(TrialNotFoundError):
            storage.add_intermediate(987654, _points((1, 0.5)))
        assert _curve(storage.get_intermediate(study.id)) == [(1, 0.5)]

    def test_intermediate_values_go_with_their_study(self, storage: Storage) -> None:
        """Deleting a study deletes its trials' curves; the other study keeps its own."""
        study = storage.create_study("s", {}, 0.0)
        other = storage.create_study("t", {}, 0.0)
        trial = storage.add_trial(study.id, _running())
        kept = storage.add_trial(other.id, _running())
        storage.add_intermediate(trial.id, _points((1, 0.5)))
        storage.add_intermediate(kept.id, _points((1, 0.25)))
        storage.delete_study("s")
        assert storage.get_intermediate(study.id) == []
        assert _curve(storage.get_intermediate(other.id)) == [(1, 0.25)]
        again = storage.create_study("s", {}, 0.0)
        assert storage.get_intermediate(again.id) == []

    def _concurrent_curves(self, writers: list[Storage], reader: Storage) -> None:
        """Threads report through *writers* while *reader* follows with a cursor."""
        study = writers[0].create_study("s", {}, 0.0)
        per = 20
        trials = [writers[0].add_trial(study.id, _running({"k": k}))
                  for k in range(self.n_threads)]
        done = threading.Event()
        seen: list[IntermediateValue] = []

        def follow() -> None:
            cursor = 0
            while True:
                finished = done.is_set()
                rows = reader.get_intermediate(study.id, min_id=cursor)
                seen.extend(rows)
                if rows:
                    cursor = rows[-1].id + 1
                if finished:
                    return

        follower = threading.Thread(target=follow)
        follower.start()
        try:
            def work(k: int) -> None:
                handle = writers[k % len(writers)]
                for step in range(per):
                    handle.add_intermediate(trials[k].id, _points((step, k + step / 100)))

            _together(self.n_threads, work)
        finally:
            done.set()
            follower.join(timeout=120)
        stored = reader.get_intermediate(study.id)
        assert len(stored) == self.n_threads * per
        assert len({v.id for v in stored}) == len(stored)
        assert seen == stored, "a reader's cursor passed a value that committed later"
        for k, trial in enumerate(trials):
            assert _curve(reader.get_intermediate(study.id, trial_ids=[trial.id])) == [
                (step, k + step / 100) for step in range(per)]

    def test_concurrent_reports_are_all_stored_and_a_cursor_misses_none(
            self, storage: Storage) -> None:
        """Values reported from many threads all arrive once, and a follower sees each."""
        self._concurrent_curves([storage], storage)

    def test_a_second_handle_sees_intermediate_values(self, storage: Storage) -> None:
        """Values written through two handles at once reach a follower on either, none lost."""
        with self._second_handle(storage) as other:
            self._concurrent_curves([storage, other], other)

    # ------------------------------------------------------------------ paged reads
    #: (config, state, loss) per trial number of :meth:`_paged_study`.
    PAGED = [
        ({"x": 0.5, "n": 10, "opt": "sgd"}, TrialState.COMPLETE, 3.0),
        ({"x": 0.1, "n": 9, "opt": "adam"}, TrialState.COMPLETE, 1.0),
        ({"x": 0.9, "n": 100, "opt": "rmsprop"}, TrialState.COMPLETE, 3.0),
        ({"n": 2, "opt": "sgd"}, TrialState.FAILED, None),
        ({"x": 0.3, "n": -1, "opt": "adam"}, TrialState.COMPLETE, -2.5),
        ({"x": 0.7, "n": 7, "opt": "rmsprop"}, TrialState.COMPLETE, 10.0),
        ({"n": 3, "opt": "sgd"}, TrialState.COMPLETE, 0.5),
        ({"x": 0.8, "n": 1, "opt": "adam"}, TrialState.RUNNING, None),
        ({"x": 0.05, "n": 50, "opt": "sgd"}, TrialState.PENDING, None),
    ]

    def _paged_study(self, storage: Storage) -> StudyRecord:
        """A study with the trials of :attr:`PAGED`, and another study beside it."""
        other = storage.create_study("beside", dict(_STUDY_SPEC), 1.0)
        storage.finish_trial(storage.add_trial(other.id, _running({"x": 0.0})).id, _complete(-9.0))
        study = storage.create_study("paged", dict(_STUDY_SPEC), 1.0)
        for config, state, loss in self.PAGED:
            if state == TrialState.PENDING:
                storage.add_trial(study.id, _pending(config))
                continue
            trial = storage.add_trial(study.id, _running(config))
            if state == TrialState.COMPLETE and loss is not None:
                storage.finish_trial(trial.id, _complete(loss))
            elif state == TrialState.FAILED:
                storage.finish_trial(trial.id, TrialOutcome(
                    state=TrialState.FAILED, finished_at=200.0, error="boom"))
        return study

    @staticmethod
    def _numbers(page: Any) -> list[int]:
        return [t.number for t in page.trials]

    def test_count_trials_counts_each_state_of_one_study(self, storage: Storage) -> None:
        """Counts per state, every state present, other studies not counted."""
        study = self._paged_study(storage)
        counts = storage.count_trials(study.id)
        assert counts == {TrialState.COMPLETE: 6, TrialState.FAILED: 1, TrialState.RUNNING: 1,
                          TrialState.PENDING: 1, TrialState.PRUNED: 0}
        empty = storage.create_study("empty", dict(_STUDY_SPEC), 1.0)
        assert storage.count_trials(empty.id) == dict.fromkeys(TrialState, 0)

    def test_trials_page_by_number_pages_with_the_total(self, storage: Storage) -> None:
        """Pages by number in both directions; the total counts every match."""
        study = self._paged_study(storage)
        first = storage.get_trials_page(study.id, offset=0, limit=4)
        assert self._numbers(first) == [0, 1, 2, 3] and first.total == 9
        assert self._numbers(storage.get_trials_page(study.id, offset=8, limit=4)) == [8]
        assert self._numbers(storage.get_trials_page(study.id, offset=20, limit=4)) == []
        back = storage.get_trials_page(study.id, offset=2, limit=3, descending=True)
        assert self._numbers(back) == [6, 5, 4] and back.total == 9
        assert self._numbers(storage.get_trials_page(study.id, limit=None)) == list(range(9))

    def test_trials_page_by_value_puts_missing_last_and_ties_by_number(
            self, storage: Storage) -> None:
        """Values order numerically; trials without a value come last in both directions."""
        study = self._paged_study(storage)
        up = storage.get_trials_page(study.id, limit=None, order_by="value:loss")
        assert self._numbers(up) == [4, 6, 1, 0, 2, 5, 3, 7, 8]
        down = storage.get_trials_page(study.id, limit=None, order_by="value:loss",
                                       descending=True)
        assert self._numbers(down) == [5, 0, 2, 1, 6, 4, 3, 7, 8]
        page = storage.get_trials_page(study.id, offset=1, limit=2, order_by="value:loss")
        assert self._numbers(page) == [6, 1] and page.total == 9
        unknown = storage.get_trials_page(study.id, limit=None, order_by="value:nope")
        assert self._numbers(unknown) == list(range(9))

    def test_trials_page_by_hyperparameter_orders_numbers_and_text(
            self, storage: Storage) -> None:
        """Numbers numerically (not as text), text lexically, inactive ones last."""
        study = self._paged_study(storage)
        by_n = storage.get_trials_page(study.id, limit=None, order_by="param:n")
        assert self._numbers(by_n) == [4, 7, 3, 6, 5, 1, 0, 8, 2]
        by_x = storage.get_trials_page(study.id, limit=None, order_by="param:x",
                                       descending=True)
        assert self._numbers(by_x) == [2, 7, 5, 0, 4, 1, 8, 3, 6]
        by_opt = storage.get_trials_page(study.id, limit=None, order_by="param:opt")
        assert self._numbers(by_opt) == [1, 4, 7, 2, 5, 0, 3, 6, 8]

    def test_trials_page_filters_by_state_and_value_range(self, storage: Storage) -> None:
        """Filters combine with paging and ordering; the total counts the matches."""
        study = self._paged_study(storage)
        done = storage.get_trials_page(study.id, limit=2, states=[TrialState.COMPLETE],
                                       order_by="value:loss", descending=True)
        assert self._numbers(done) == [5, 0] and done.total == 6
        open_ = storage.get_trials_page(study.id, states=[TrialState.RUNNING,
                                                          TrialState.PENDING])
        assert self._numbers(open_) == [7, 8] and open_.total == 2
        ranged = storage.get_trials_page(study.id, value_range=("loss", 0.5, 3.0))
        assert self._numbers(ranged) == [0, 1, 2, 6] and ranged.total == 4
        above = storage.get_trials_page(study.id, value_range=("loss", 3.0, None),
                                        order_by="param:x")
        assert self._numbers(above) == [0, 5, 2]
        nothing = storage.get_trials_page(study.id, states=[TrialState.PRUNED])
        assert nothing.trials == [] and nothing.total == 0

    def test_trials_page_holds_whole_trials(self, storage: Storage) -> None:
        """A page's trials are the stored trials, every field, as copies."""
        study = self._paged_study(storage)
        page = storage.get_trials_page(study.id, limit=None)
        assert page.trials == storage.get_trials(study.id)
        page.trials[0].config["x"] = 99.0
        assert storage.get_trial(page.trials[0].id).config["x"] == 0.5

    def test_trial_results_are_numbers_states_values_and_errors(self, storage: Storage) -> None:
        """Each trial of the study by id as its number, state, values and error; from min_id."""
        study = self._paged_study(storage)
        trials = storage.get_trials(study.id)
        results = storage.get_trial_results(study.id)
        assert results == [TrialResult(t.id, t.number, t.state, t.values, t.error)
                           for t in trials]
        assert (results[3].state, results[3].error) == (TrialState.FAILED, "boom")
        assert results[4].values == {"loss": -2.5}
        assert storage.get_trial_results(study.id, min_id=trials[5].id) == results[5:]
        empty = storage.create_study("no results", dict(_STUDY_SPEC), 1.0)
        assert storage.get_trial_results(empty.id) == []

    @pytest.mark.parametrize("kwargs", [
        {"offset": -1}, {"limit": 0}, {"limit": 10_001}, {"order_by": "value"},
        {"order_by": "param:"}, {"order_by": "name"}, {"value_range": ("loss", 2.0, 1.0)},
    ])
    def test_trials_page_refuses_malformed_arguments(
            self, storage: Storage, kwargs: dict[str, Any]) -> None:
        """A malformed request is a ValueError naming what was expected."""
        study = storage.create_study("refusing", dict(_STUDY_SPEC), 1.0)
        with pytest.raises(ValueError, match=r"must|empty"):
            storage.get_trials_page(study.id, **kwargs)
