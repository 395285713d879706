"""Learning curves through a study: ask/tell, reading them back, the optimizer's view."""

from __future__ import annotations

import pickle
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

import hyperpilot as hp
from hyperpilot.exceptions import TrialStateError
from hyperpilot.storage._base import IntermediateValue, NewIntermediate
from hyperpilot.study._report import RemoteReporter, worker_url
from hyperpilot.trial._trial import Step, bind_reporter, drain_reports

SPACE = {"x": hp.Float(0.0, 1.0)}


class CountingStorage(hp.InMemoryStorage):
    """Counts the reads and writes of learning curves."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0
        self.writes = 0

    def get_intermediate(self, study_id: int, *, trial_ids: Sequence[int] | None = None,
                         min_id: int = 0) -> list[IntermediateValue]:
        self.reads += 1
        return super().get_intermediate(study_id, trial_ids=trial_ids, min_id=min_id)

    def add_intermediate(self, trial_id: int, values: Sequence[NewIntermediate]) -> None:
        self.writes += 1
        super().add_intermediate(trial_id, values)


def test_a_trial_from_ask_reports_to_the_storage_until_it_is_told() -> None:
    study = hp.create_study(space=SPACE, storage="memory", seed=0)
    trial = study.ask()
    trial.report(1, 0.9)
    trial.report(2, 0.7)
    rows = study.storage.get_intermediate(study.id)
    assert [(r.trial_id, r.step, r.value) for r in rows] == [(trial.id, 1, 0.9),
                                                             (trial.id, 2, 0.7)]
    assert trial.should_stop() is False
    study.tell(trial, 0.7)
    with pytest.raises(TrialStateError) as info:
        trial.report(3, 0.5)
    assert str(info.value) == "trial 0 is complete; report() needs a running trial"
    assert study.trials[0].intermediate == {1: 0.9, 2: 0.7}
    assert study.best_trial.intermediate == {1: 0.9, 2: 0.7}
    assert len(study.storage.get_intermediate(study.id)) == 2


def test_a_study_that_never_reports_never_reads_or_writes_curves() -> None:
    storage = CountingStorage()
    study = hp.create_study(space=SPACE, storage=storage, seed=0, optimizer="random")
    study.optimize(lambda c, trial: c["x"], n_trials=20, show_progress=False)
    _ = (study.trials, study.best_trial, study.get_trials(), study.history().trials)
    assert (storage.reads, storage.writes) == (0, 0)


def test_a_finished_trials_curve_is_read_when_asked_and_then_kept() -> None:
    storage = CountingStorage()
    study = hp.create_study(space=SPACE, storage=storage, seed=0, optimizer="random")

    def objective(config: dict[str, Any], trial: hp.Trial) -> float:
        trial.report(0, config["x"])
        return config["x"]

    study.optimize(objective, n_trials=3, show_progress=False)
    assert storage.writes == 3
    reads = storage.reads
    trial = study.get_trials()[0]
    assert trial.intermediate == trial.intermediate == {0: trial.config["x"]}
    assert storage.reads == reads + 1


def test_callbacks_and_the_next_proposal_see_the_curves() -> None:
    seen: list[dict[int, dict[Step, float]]] = []

    class Recording(hp.RandomOptimizer):
        def _ask(self, history: hp.History) -> hp.Proposal:
            seen.append({k: dict(v) for k, v in history.intermediate.items()})
            return super()._ask(history)

    finished: list[dict[Step, float]] = []

    def objective(config: dict[str, Any], trial: hp.Trial) -> float:
        for step in range(3):
            trial.report(step, config["x"] + step)
        return config["x"]

    study = hp.create_study(space=SPACE, storage="memory", seed=1, optimizer=Recording())
    study.optimize(objective, n_trials=3, show_progress=False,
                   callbacks=[lambda s, t: finished.append(t.intermediate)])
    trials = study.trials
    assert finished == [{0: t.config["x"], 1: t.config["x"] + 1, 2: t.config["x"] + 2}
                        for t in trials]
    assert seen[0] == {} and seen[2] == {t.id: finished[i] for i, t in enumerate(trials[:2])}


class BelowTheBest(hp.RandomOptimizer):
    """Prunes a trial whose value is worse than another trial's at the same step."""

    def should_prune(self, history: hp.History, trial: hp.Trial,
                     curve: Mapping[Step, float]) -> bool:
        step, value = list(curve.items())[-1]
        others = [c[step] for tid, c in history.intermediate.items()
                  if tid != trial.id and step in c]
        return bool(others) and value > min(others)


def test_the_rule_sees_the_other_trials_curves() -> None:
    study = hp.create_study(space=SPACE, storage="memory", seed=0, optimizer=BelowTheBest())
    for x in (0.5, 0.8, 0.2, 0.3):
        study.enqueue({"x": x})

    def objective(config: dict[str, Any], trial: hp.Trial) -> float:
        for step in range(3):
            trial.report(step, config["x"])
            if trial.should_stop():
                raise hp.TrialPruned(f"step {step}")
        return config["x"]

    study.optimize(objective, n_trials=4, show_progress=False)
    assert [(t.state.value, t.error, len(t.intermediate)) for t in study.trials] == [
        ("complete", None, 3), ("pruned", "step 0", 1), ("complete", None, 3),
        ("pruned", "step 0", 1)]


def test_a_rule_that_does_not_answer_a_bool_is_one_line() -> None:
    class Vague(hp.RandomOptimizer):
        def should_prune(self, history: hp.History, trial: hp.Trial,
                         curve: Mapping[Step, float]) -> bool:
            return "maybe"  # type: ignore[return-value]

    study = hp.create_study(space=SPACE, storage="memory", seed=0, optimizer=Vague())
    trial = study.ask()
    trial.report(0, 0.5)
    with pytest.raises(hp.OptimizerError) as info:
        trial.should_stop()
    assert str(info.value) == ("optimizer 'random': should_prune() must return a bool, got str "
                               "'maybe'")


def test_a_remote_reporter_without_a_storage_keeps_the_points_for_the_result() -> None:
    trial = bind_reporter(hp.Trial(id=5, number=2, study_id=1, config={}),
                          RemoteReporter(None, "s", 1), fresh=True)
    copied = pickle.loads(pickle.dumps(trial))  # as a pool or Dask worker gets it
    copied.report(0, 0.5)
    copied.report(1, 0.25)
    assert copied.should_stop() is False
    assert [(s, v) for s, v, _ in drain_reports(copied)] == [(0, 0.5), (1, 0.25)]
    with pytest.raises(TrialStateError, match="trial 2 has finished"):
        copied.report(2, 0.1)


def test_a_remote_reporter_writes_only_to_the_file_that_holds_its_trial(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'other.db'}"
    other = hp.create_study(space=SPACE, storage=url, name="other", seed=0)
    stranger = other.ask()  # the same id as the study's trial, in another file
    trial = bind_reporter(pickle.loads(pickle.dumps(stranger)),
                          RemoteReporter(url, "mine", 99), fresh=True)
    trial.report(0, 0.5)
    assert other.storage.get_intermediate(other.id) == []
    assert [s for s, _, _ in drain_reports(trial)] == [0]


def test_worker_url_names_sqlite_files_absolutely(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert worker_url(hp.get_storage("sqlite:///rel.db?synchronous=full")) == (
        f"sqlite:///{tmp_path / 'rel.db'}?synchronous=full")
    absolute = f"sqlite:///{tmp_path / 'abs.db'}"
    assert worker_url(hp.get_storage(absolute)) == absolute
    assert worker_url(hp.get_storage("memory")) is None
