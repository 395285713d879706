"""The trial record's learning curve: report, should_stop, intermediate, and their checks."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import numpy as np
import pytest

import hyperpilot as hp
from hyperpilot.exceptions import IntermediateValueError, TrialStateError
from hyperpilot.trial._trial import Step, Trial, bind_reporter, check_point, drain_reports


class FakeReporter:
    """Records what it is given; stores nothing."""

    def __init__(self, stored: dict[Step, float] | None = None, *, travels: bool = False,
                 stop: bool = False) -> None:
        self.travels = travels
        self.points: list[tuple[Step, float, float]] = []
        self.stored = dict(stored or {})
        self.curve_reads = 0
        self.stop = stop

    def report(self, trial: Trial, step: Step, value: float, at: float) -> None:
        if value == 13.0:
            raise hp.StorageError("storage failed: disk full")
        self.points.append((step, value, at))

    def should_stop(self, trial: Trial) -> bool:
        return self.stop

    def curve(self, trial: Trial) -> dict[Step, float]:
        self.curve_reads += 1
        return dict(self.stored)

    def drain(self) -> list[tuple[Step, float, float]]:
        points, self.points = self.points, []
        return points


def _trial(reporter: FakeReporter | None = None, **kwargs: Any) -> Trial:
    trial = Trial(id=7, number=3, study_id=1, config={"x": 1}, **kwargs)
    return bind_reporter(trial, reporter) if reporter is not None else trial


@pytest.mark.parametrize(("step", "value", "kept"), [
    (0, 1, (0, 1.0)), (2.0, 0.5, (2, 0.5)), (0.25, -3.0, (0.25, -3.0)),
    (np.int64(4), np.float32(0.5), (4, 0.5)), (-1, 1e300, (-1, 1e300)), (2**53, 0, (2**53, 0.0)),
])
def test_check_point_keeps_whole_steps_as_int_and_values_as_float(
        step: Any, value: Any, kept: tuple[Step, float]) -> None:
    got = check_point(step, value)
    assert got == kept and type(got[0]) is type(kept[0]) and type(got[1]) is float


@pytest.mark.parametrize(("step", "value", "message"), [
    (1, float("nan"), "the value at step 1 must be a finite number, got float nan"),
    (1, float("-inf"), "the value at step 1 must be a finite number, got float -inf"),
    (1, "0.5", "the value at step 1 must be a finite number, got str '0.5'"),
    (1, None, "the value at step 1 must be a finite number, got NoneType None"),
    (1, True, "the value at step 1 must be a finite number, got bool True"),
    (float("inf"), 0.5, "a learning-curve step must be a finite number (int or float), got "
                        "float inf"),
    ("3", 0.5, "a learning-curve step must be a finite number (int or float), got str '3'"),
    (False, 0.5, "a learning-curve step must be a finite number (int or float), got bool "
                 "False"),
    (2**53 + 2, 0.5, "a learning-curve step must be at most 2**53 in magnitude, got "
                     "9007199254740994"),
])
def test_check_point_refuses_what_is_not_a_finite_number_in_one_line(
        step: Any, value: Any, message: str) -> None:
    with pytest.raises(IntermediateValueError) as info:
        check_point(step, value)
    assert str(info.value) == message
    assert isinstance(info.value, ValueError) and isinstance(info.value, hp.HyperpilotError)


def test_report_hands_checked_points_to_the_reporter_and_keeps_the_curve() -> None:
    reporter = FakeReporter()
    trial = _trial(reporter)
    trial.report(1, 0.5)
    trial.report(2.0, np.float64(0.25))
    trial.report(2.5, 1)
    assert [(s, v) for s, v, _ in reporter.points] == [(1, 0.5), (2, 0.25), (2.5, 1.0)]
    assert trial.intermediate == {1: 0.5, 2: 0.25, 2.5: 1.0}
    assert reporter.curve_reads == 1  # the stored curve, read once before the first report
    trial.intermediate[9] = 9.0  # a copy
    assert 9 not in trial.intermediate


def test_steps_must_increase_and_a_refused_report_changes_nothing() -> None:
    reporter = FakeReporter({0: 1.0})  # the storage had step 0 already
    trial = _trial(reporter)
    trial.report(1, 0.5)
    with pytest.raises(IntermediateValueError) as twice:
        trial.report(1.0, 0.4)
    assert str(twice.value) == "trial 3: step 1 was already reported; steps must increase"
    with pytest.raises(IntermediateValueError) as back:
        trial.report(0.5, 0.4)
    assert str(back.value) == ("trial 3: step 0.5 comes before step 1, the last one reported; "
                               "steps must increase")
    with pytest.raises(IntermediateValueError, match="got float nan"):
        trial.report(2, float("nan"))
    with pytest.raises(hp.StorageError, match="disk full"):  # the reporter refused it
        trial.report(2, 13.0)
    trial.report(2, 0.3)  # step 2 is still free
    assert trial.intermediate == {0: 1.0, 1: 0.5, 2: 0.3}
    assert [s for s, _, _ in reporter.points] == [1, 2]


@pytest.mark.parametrize("state", [hp.TrialState.COMPLETE, hp.TrialState.FAILED,
                                   hp.TrialState.PRUNED, hp.TrialState.PENDING])
def test_reporting_from_a_trial_that_is_not_running_is_one_line(state: hp.TrialState) -> None:
    reporter = FakeReporter()
    trial = _trial(reporter, state=state)
    with pytest.raises(TrialStateError) as info:
        trial.report(1, 0.5)
    assert str(info.value) == f"trial 3 is {state.value}; report() needs a running trial"
    assert reporter.points == []
    assert trial.should_stop() is False


def test_a_trial_without_a_study_cannot_report_and_never_stops() -> None:
    trial = _trial()
    with pytest.raises(TrialStateError, match="trial 3 is not attached to a study"):
        trial.report(1, 0.5)
    assert trial.should_stop() is False
    assert trial.intermediate == {}
    assert drain_reports(trial) == () and drain_reports(None) == ()


def test_should_stop_asks_the_reporter() -> None:
    assert _trial(FakeReporter(stop=True)).should_stop() is True
    assert _trial(FakeReporter(stop=False)).should_stop() is False


def test_a_finished_trials_curve_is_read_once_a_running_ones_each_time() -> None:
    running = FakeReporter({1: 0.5})
    trial = _trial(running)
    assert trial.intermediate == {1: 0.5}
    running.stored[2] = 0.25  # written by the process that runs it
    assert trial.intermediate == {1: 0.5, 2: 0.25}
    assert running.curve_reads == 2
    finished = FakeReporter({1: 0.5})
    done = _trial(finished, state=hp.TrialState.COMPLETE)
    assert done.intermediate == done.intermediate == {1: 0.5}
    assert finished.curve_reads == 1


def test_the_curve_is_not_part_of_the_record() -> None:
    a, b = _trial(FakeReporter()), _trial()
    a.report(1, 0.5)
    assert a == b and "intermediate" not in repr(a) and "_curve" not in repr(a)


def test_a_reporter_goes_with_a_pickled_trial_only_when_it_travels() -> None:
    local = _trial(FakeReporter())
    local.report(1, 0.5)
    for copied in (pickle.loads(pickle.dumps(local)), copy.deepcopy(local), copy.copy(local)):
        assert copied == local and copied.intermediate == {1: 0.5}
        with pytest.raises(TrialStateError, match="not attached"):
            copied.report(2, 0.25)
    traveling = pickle.loads(pickle.dumps(_trial(FakeReporter(travels=True))))
    traveling.report(1, 0.5)
    assert [s for s, _, _ in drain_reports(traveling)] == [1]
