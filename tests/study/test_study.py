from __future__ import annotations

import math
import time
from typing import Any

import pytest

import hyperpilot as hp
from hyperpilot.exceptions import (
    DuplicateStudyError,
    OptimizerError,
    ResultShapeError,
    StudyMismatchError,
    StudyNotFoundError,
    TooManyFailuresError,
    TrialStateError,
)

SPACE = hp.Space({"x": hp.Float(-5.0, 5.0), "k": hp.Categorical(["a", "b"])})


def quadratic(config: dict[str, Any]) -> float:
    return float(config["x"]) ** 2


@pytest.fixture(params=["memory", "sqlite"])
def storage(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    return "memory" if request.param == "memory" else f"sqlite:///{tmp_path / 'study.db'}"


def test_ask_tell_round_trip(storage: str) -> None:
    study = hp.create_study(space=SPACE, storage=storage, name="s", seed=0)
    trial = study.ask()
    assert trial.number == 0 and trial.state == hp.TrialState.RUNNING
    assert set(trial.config) == {"x", "k"}
    done = study.tell(trial, 1.5)
    assert done.state == hp.TrialState.COMPLETE and done.value == 1.5
    stored = study.trials[0]
    assert stored.values == {"value": 1.5} and stored.finished_at is not None
    with pytest.raises(TrialStateError, match="trial 0 of study 's' is complete, not running"):
        study.tell(trial, 2.0)


def test_optimize_finds_the_minimum_and_best_trial(storage: str) -> None:
    study = hp.create_study(space=SPACE, storage=storage, seed=1)
    study.optimize(quadratic, n_trials=60, show_progress=False)
    assert len(study.trials) == 60
    assert study.best_trial.value == min(t.value for t in study.trials if t.value is not None)
    assert study.best_trial.value < 0.1


def test_maximize(storage: str) -> None:
    study = hp.create_study(space=SPACE, storage=storage, objectives="maximize", seed=1)
    study.optimize(quadratic, n_trials=30, show_progress=False)
    assert study.best_trial.value == max(t.value for t in study.trials if t.value is not None)


@pytest.mark.parametrize(
    ("objective", "error_start"),
    [
        (lambda c: 1 / 0, "ZeroDivisionError: division by zero\nTraceback"),
        (lambda c: float("nan"), "invalid result: objective 'value': expected a finite number, got nan"),
        (lambda c: math.inf, "invalid result: objective 'value': expected a finite number, got inf"),
        (lambda c: "0.5", "invalid result: objective 'value': expected a number, got str '0.5'"),
        (lambda c: None, "invalid result: objective 'value': expected a number, got NoneType None"),
    ],
)
def test_bad_objectives_fail_the_trial_and_the_study_goes_on(storage: str, objective, error_start: str) -> None:  # type: ignore[no-untyped-def]
    study = hp.create_study(space=SPACE, storage=storage, seed=0)
    study.optimize(quadratic, n_trials=3, show_progress=False)
    calls = {"n": 0}

    def flaky(config: dict[str, Any]) -> Any:
        calls["n"] += 1
        return objective(config) if calls["n"] == 1 else quadratic(config)

    study.optimize(flaky, n_trials=3, show_progress=False)
    trials = study.trials
    assert [t.state.value for t in trials] == ["complete"] * 3 + ["failed", "complete", "complete"]
    assert trials[3].error is not None and trials[3].error.startswith(error_start)
    assert trials[3].values is None


def test_hanging_objective_times_out_and_next_trial_runs(storage: str) -> None:
    study = hp.create_study(space=SPACE, storage=storage, seed=0)
    calls = {"n": 0}

    def sometimes_hangs(config: dict[str, Any]) -> float:
        calls["n"] += 1
        if calls["n"] == 1:
            time.sleep(30)
        return quadratic(config)

    start = time.monotonic()
    study.optimize(sometimes_hangs, n_trials=3, trial_timeout=0.3, show_progress=False)
    assert time.monotonic() - start < 5
    trials = study.trials
    assert trials[0].state == hp.TrialState.FAILED
    assert trials[0].error == "trial exceeded its time limit of 0.3 s"
    assert [t.state for t in trials[1:]] == [hp.TrialState.COMPLETE] * 2


def test_too_many_failures_in_a_row_stop_with_a_clear_error(storage: str) -> None:
    study = hp.create_study(space=SPACE, storage=storage, seed=0, name="broken")
    study.optimize(quadratic, n_trials=2, show_progress=False)

    def broken(config: dict[str, Any]) -> float:
        raise RuntimeError("CUDA out of memory")

    with pytest.raises(TooManyFailuresError) as info:
        study.optimize(broken, n_trials=50, max_consecutive_failures=4, show_progress=False)
    kept = ("its finished trials stay in this Study object until the process ends"
            if storage == "memory" else f"its finished trials are stored in {storage}")
    assert str(info.value) == (
        "the objective failed 4 times in a row, so study 'broken' stopped; last error: "
        f"RuntimeError: CUDA out of memory; {kept}"
    )
    assert [t.state.value for t in study.trials] == ["complete"] * 2 + ["failed"] * 4


def test_keyboard_interrupt_fails_the_running_trial_and_keeps_the_rest(storage: str) -> None:
    study = hp.create_study(space=SPACE, storage=storage, seed=0)
    calls = {"n": 0}

    def interrupted(config: dict[str, Any]) -> float:
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return quadratic(config)

    with pytest.raises(KeyboardInterrupt):
        study.optimize(interrupted, n_trials=10, show_progress=False)
    states = [t.state.value for t in study.trials]
    assert states == ["complete"] * 3 + ["failed"]
    assert study.trials[3].error == "interrupted (KeyboardInterrupt) while running"


def test_total_trials_resumes_to_the_requested_count(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'r.db'}"
    first = hp.create_study(space=SPACE, storage=url, name="r", seed=4)
    first.optimize(quadratic, total_trials=7, show_progress=False)
    again = hp.create_study(space=SPACE, storage=url, name="r", seed=4, load_if_exists=True)
    again.optimize(quadratic, total_trials=12, show_progress=False)
    assert len(again.trials) == 12
    assert [t.number for t in again.trials] == list(range(12))
    again.optimize(quadratic, total_trials=12, show_progress=False)
    assert len(again.trials) == 12


def test_enqueued_configurations_run_first(storage: str) -> None:
    study = hp.create_study(space=SPACE, storage=storage, seed=0)
    study.enqueue({"x": 0.25, "k": "b"})
    study.enqueue({"x": -1.0, "k": "a"})
    study.optimize(quadratic, n_trials=3, show_progress=False)
    trials = study.trials
    assert [t.config for t in trials[:2]] == [{"x": 0.25, "k": "b"}, {"x": -1.0, "k": "a"}]
    assert trials[0].meta == {"enqueued": True} and trials[0].value == 0.0625
    with pytest.raises(hp.ConfigurationError, match=r"configuration: 'x' = 9\.0 is outside"):
        study.enqueue({"x": 9.0, "k": "a"})


def test_objective_receives_trial_when_it_asks_for_it(storage: str) -> None:
    study = hp.create_study(space=SPACE, storage=storage, seed=0)
    seen: list[int] = []

    def objective(config: dict[str, Any], trial: hp.Trial) -> float:
        seen.append(trial.number)
        return quadratic(config)

    study.optimize(objective, n_trials=3, show_progress=False)
    assert seen == [0, 1, 2]


def test_constraints_and_best_feasible_trial(storage: str) -> None:
    study = hp.create_study(space=SPACE, storage=storage, constraints={"memory": 1.0}, seed=0)
    for x in (0.0, 1.0, 2.0):
        study.enqueue({"x": x, "k": "a"})
    study.optimize(lambda c: {"value": c["x"], "memory": {0.0: 5.0, 1.0: 0.5, 2.0: 0.9}[c["x"]]},
                   n_trials=3, show_progress=False)
    best = study.best_trial
    assert best.config["x"] == 1.0 and best.constraints == {"memory": 0.5}
    study2 = hp.create_study(space=SPACE, storage="memory", constraints={"memory": 1.0})
    with pytest.raises(ResultShapeError, match="result lacks constraint 'memory'"):
        study2.optimize(lambda c: 1.0, n_trials=3, show_progress=False)
    assert len(study2.trials) == 1
    assert study2.trials[0].error == "invalid result: result lacks constraint 'memory'"


def test_multi_objective_pareto_front(storage: str) -> None:
    study = hp.create_study(space=SPACE, storage=storage,
                            objectives={"error": "minimize", "speed": "maximize"}, seed=0)
    points = [(1.0, 1.0), (2.0, 3.0), (0.5, 0.5), (2.0, 2.0), (1.0, 0.5)]
    for i, _ in enumerate(points):
        study.enqueue({"x": float(i), "k": "a"})
    study.optimize(lambda c: dict(zip(("error", "speed"), points[int(c["x"])], strict=True)),
                   n_trials=5, show_progress=False)
    front = sorted(int(t.config["x"]) for t in study.best_trials)
    assert front == [0, 1, 2]
    with pytest.raises(ValueError, match="has 2 objectives; use best_trials"):
        _ = study.best_trial
    failed = hp.create_study(space=SPACE, storage="memory", objectives=["a", "b"])
    with pytest.raises(ResultShapeError, match=r"the study has 2 objectives \['a', 'b'\]"):
        failed.optimize(lambda c: 1.0, n_trials=3, show_progress=False)
    assert "the study has 2 objectives ['a', 'b']; return a mapping" in (failed.trials[0].error or "")


def test_dataframe(storage: str) -> None:
    study = hp.create_study(space=SPACE, storage=storage, seed=0)
    study.optimize(quadratic, n_trials=5, show_progress=False)
    frame = study.to_dataframe()
    assert list(frame.columns[:5]) == ["number", "state", "objective.value", "config.x", "config.k"]
    assert len(frame) == 5 and frame["state"].eq("complete").all()
    assert str(frame["started_at"].dtype).startswith("datetime64")


def test_names_are_unique_and_mismatches_are_caught(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'n.db'}"
    hp.create_study(space=SPACE, storage=url, name="n")
    with pytest.raises(DuplicateStudyError, match="a study named 'n' already exists"):
        hp.create_study(space=SPACE, storage=url, name="n")
    other = hp.Space({"x": hp.Float(-1.0, 1.0), "k": hp.Categorical(["a", "b"])})
    with pytest.raises(StudyMismatchError, match="hyperparameter 'x' is"):
        hp.create_study(space=other, storage=url, name="n", load_if_exists=True)
    with pytest.raises(StudyMismatchError, match="exists with objectives"):
        hp.create_study(space=SPACE, storage=url, name="n", objectives="maximize",
                        load_if_exists=True)
    with pytest.raises(StudyNotFoundError) as info:
        hp.load_study("m", url)
    assert str(info.value) == f"no study named 'm' in sqlite:///{tmp_path / 'n.db'}; studies: ['n']"


def test_load_study_restores_everything(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'l.db'}"
    study = hp.create_study(space=SPACE, storage=url, name="l", optimizer="sobol", seed=9,
                            objectives={"loss": "minimize"})
    study.optimize(lambda c: {"loss": quadratic(c)}, n_trials=4, show_progress=False)
    loaded = hp.load_study("l", url)
    assert loaded.space == SPACE and loaded.seed == 9
    assert loaded.optimizer.name == "sobol"
    assert [t.config for t in loaded.trials] == [t.config for t in study.trials]


def test_a_study_whose_optimizer_cannot_be_rebuilt_can_still_be_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from hyperpilot.optimizers.bo import RandomForest

    class LabForest(RandomForest):  # defined here, so no other process can import it
        pass

    url = f"sqlite:///{tmp_path / 'lab.db'}"
    optimizer = hp.BayesianOptimizer(surrogate=LabForest(n_trees=3))
    study = hp.create_study(space=SPACE, storage=url, name="lab", optimizer=optimizer, seed=2)
    study.optimize(quadratic, n_trials=8, show_progress=False)
    loaded = hp.load_study("lab", url)
    assert [t.value for t in loaded.trials] == [t.value for t in study.trials]
    assert loaded.best_trial.number == study.best_trial.number
    with pytest.raises(OptimizerError, match=(
            r"^study 'lab': its stored optimizer cannot be rebuilt here \(bo: surrogate: "
            r"cannot import '.*LabForest' .*\); give the optimizer again \(optimizer=\.\.\. "
            r"in Python, --optimizer on the command line\)$")):
        loaded.optimize(quadratic, n_trials=1, show_progress=False)
    assert len(hp.load_study("lab", url).trials) == 8  # nothing was lost or added
    again = hp.load_study("lab", url, optimizer="random")
    again.optimize(quadratic, n_trials=2, show_progress=False)
    assert len(again.trials) == 10


def test_reopening_with_other_optimizer_settings_is_noted(
        tmp_path, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'o.db'}"
    first = hp.create_study(space=SPACE, storage=url, name="o", seed=1,
                            optimizer=hp.BayesianOptimizer(n_initial=3))
    first.optimize(quadratic, n_trials=4, show_progress=False)
    with caplog.at_level("WARNING", logger="hyperpilot"):
        hp.load_study("o", url)  # the stored optimizer: nothing to say
        hp.create_study(space=SPACE, storage=url, name="o", load_if_exists=True,
                        optimizer=hp.BayesianOptimizer(n_initial=3))
        assert [r for r in caplog.records if r.levelname == "WARNING"] == []
        hp.load_study("o", url, optimizer={"name": "bo", "n_initial": 3,
                                           "acquisition": "lcb"})
        hp.create_study(space=SPACE, storage=url, name="o", load_if_exists=True,
                        optimizer="sobol")
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
        "study 'o' continues with optimizer bo with acquisition='lcb' (stored 'logei'); "
        "its trials so far came from the stored settings",
        "study 'o' continues with optimizer sobol instead of the stored bo; its trials so "
        "far came from the stored settings",
    ]


def test_invalid_loop_arguments() -> None:
    study = hp.create_study(space=SPACE, storage="memory")
    with pytest.raises(OptimizerError, match="n_trials must be a non-negative integer, got -1"):
        study.optimize(quadratic, n_trials=-1, show_progress=False)
    with pytest.raises(OptimizerError, match="objective must be callable, got int"):
        study.optimize(3, n_trials=1)  # type: ignore[arg-type]
    with pytest.raises(OptimizerError, match="unknown optimizer 'tpe'; available:"):
        hp.create_study(space=SPACE, storage="memory", optimizer="tpe")


def test_without_a_limit_trials_run_until_interrupted(caplog: pytest.LogCaptureFixture) -> None:
    # As in Optuna, optimize() without any limit runs until Ctrl-C.
    study = hp.create_study(space=SPACE, storage="memory", optimizer="random")

    def objective(config: dict[str, Any], trial: hp.Trial) -> float:
        if trial.number == 7:
            raise KeyboardInterrupt
        return quadratic(config)

    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, show_progress=False)
    assert [t.state.value for t in study.trials] == ["complete"] * 7 + ["failed"]
    assert "no n_trials, total_trials or timeout given, so trials run until interrupted" in (
        caplog.text)


def test_timeout_stops_the_loop() -> None:
    study = hp.create_study(space=SPACE, storage="memory")
    start = time.monotonic()
    study.optimize(lambda c: time.sleep(0.01) or 0.0, timeout=0.2, show_progress=False)
    assert time.monotonic() - start < 1.0
    assert 3 <= len(study.trials) <= 25


def test_progress_bar_shows_best_value(capsys: pytest.CaptureFixture[str]) -> None:
    study = hp.create_study(space=SPACE, storage="memory", name="bar", seed=0)
    study.optimize(quadratic, n_trials=20)
    err = capsys.readouterr().err
    assert "bar" in err and "20/20" in err and "best=" in err and "trial/s" in err


class _SlowRandom(hp.RandomOptimizer):
    """Random search that takes its time to propose, as a model does on a long study."""

    def _ask(self, history: hp.History) -> hp.Proposal:
        time.sleep(0.3)
        return super()._ask(history)


def test_a_trial_starts_after_its_proposal() -> None:
    # A slow proposal neither counts as the trial's time nor makes its first heartbeat
    # stale (other machines would take the live trial for dead).
    study = hp.create_study(space=SPACE, storage="memory", optimizer=_SlowRandom())
    before = time.time()
    study.optimize(quadratic, n_trials=1, show_progress=False, heartbeat_interval=0.2)
    (trial,) = study.trials
    assert trial.started_at is not None and trial.started_at >= before + 0.3
    assert trial.heartbeat_at is not None and trial.heartbeat_at >= before + 0.3
    assert trial.duration is not None and trial.duration < 0.2
