"""What a run tells its user: every failure, a progress bar that counts them, a summary."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

import hyperpilot as hp
from hyperpilot.exceptions import NoCompleteTrialError, ResultShapeError, ResultTypeError
from hyperpilot.study._failures import error_head, failure_groups

SPACE = hp.Space({
    "kernel": hp.Categorical(["rbf", "linear"]),
    "x": hp.Float(0.0, 1.0),
    "gamma": hp.Float(1e-3, 1.0, log=True, active_if={"kernel": "rbf"}),
})


def gamma_objective(config: dict[str, Any]) -> float:
    """Fails, like a first-hour objective, on the inactive conditional hyperparameter."""
    return config["x"] + config["gamma"]  # KeyError: 'gamma' for the linear kernel


def _warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "hyperpilot" and r.levelno == logging.WARNING]


def test_each_failed_trial_logs_a_warning_and_the_first_its_traceback(
        caplog: pytest.LogCaptureFixture) -> None:
    # Before, 6 of 10 trials failed while the bar read 10/10 and nothing was printed.
    study = hp.create_study(space=SPACE, storage="memory", name="svm", seed=0,
                            optimizer="random")
    study.optimize(gamma_objective, n_trials=10, show_progress=False)
    failed = [t for t in study.trials if t.state == hp.TrialState.FAILED]
    assert failed, "the seed gives linear kernels"
    warnings = _warnings(caplog)
    assert len(warnings) == len(failed)
    first, *rest = (w.getMessage() for w in warnings)
    head = f"trial {failed[0].number} failed: KeyError: 'gamma'"
    assert first.startswith(head + " (later failures of this run get one line; traceback: "
                            f"study.trials[{failed[0].number}].error)\nTraceback")
    # The traceback is the user's: it starts in the objective, not in hyperpilot.
    assert 'in gamma_objective\n    return config["x"] + config["gamma"]' in first
    assert "hyperpilot/" not in first.split("Traceback", 1)[1]
    for trial, line in zip(failed[1:], rest, strict=True):
        assert line == (f"trial {trial.number} failed: KeyError: 'gamma' "
                        f"(traceback: study.trials[{trial.number}].error)")


def test_the_warning_names_the_command_that_shows_the_traceback(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    study = hp.create_study(space=SPACE, storage=url, name="svm", seed=0, optimizer="random")
    study.optimize(gamma_objective, n_trials=10, show_progress=False)
    line = _warnings(caplog)[-1].getMessage()
    assert line.endswith(f"(traceback: hyperpilot studies show svm --trial "
                         f"{line.split()[1]} --storage {url})")


def test_the_run_ends_with_a_summary_line(caplog: pytest.LogCaptureFixture) -> None:
    study = hp.create_study(space=SPACE, storage="memory", name="svm", seed=0,
                            optimizer="random")
    caplog.set_level(logging.INFO, logger="hyperpilot")
    study.optimize(gamma_objective, n_trials=10, show_progress=False)
    trials = study.trials
    n_failed = sum(t.state == hp.TrialState.FAILED for t in trials)
    best = study.best_trial
    summary = caplog.records[-1].getMessage()
    assert summary == (
        f"study 'svm': 10 trials in this run ({10 - n_failed} complete, {n_failed} failed; "
        f"most common error, {n_failed}x: KeyError: 'gamma'); 10 finished in the study, "
        f"best value={best.value:.6g} (trial {best.number})")


def test_the_progress_bar_counts_failures(capsys: pytest.CaptureFixture[str]) -> None:
    study = hp.create_study(space=SPACE, storage="memory", name="bar", seed=0,
                            optimizer="random")
    study.optimize(gamma_objective, n_trials=10)
    n_failed = sum(t.state == hp.TrialState.FAILED for t in study.trials)
    err = capsys.readouterr().err
    assert f"failed={n_failed}" in err and "10/10" in err


def test_a_resumed_run_shows_the_studys_totals_and_best(
        capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    space = hp.Space({"x": hp.Float(0.0, 1.0)})
    study = hp.create_study(space=space, storage="memory", name="top", seed=0,
                            optimizer="random")
    study.optimize(lambda c: c["x"], total_trials=10, show_progress=False)
    best = study.best_trial
    capsys.readouterr()
    caplog.set_level(logging.INFO, logger="hyperpilot")
    # The top-up run only sees worse values: the bar and the summary show the study's best.
    study.optimize(lambda c: 5 + c["x"], total_trials=15)
    err = capsys.readouterr().err
    assert "15/15" in err and f"best={best.value:.6g}" in err
    assert caplog.records[-1].getMessage() == (
        "study 'top': 5 trials in this run (5 complete, 0 failed); 15 finished in the study, "
        f"best value={best.value:.6g} (trial {best.number})")


@pytest.mark.parametrize(("objective", "objectives", "message"), [
    (lambda c: {"acc": c["x"]}, "minimize",
     "result has unknown key 'acc'; objectives: ['value'], constraints: []"),
    (lambda c: {"loss": c["x"]}, {"loss": "min", "time": "min"},
     "result lacks objective 'time'; got keys ['loss']"),
    (lambda c: c["x"], {"loss": "min", "time": "min"},
     "the study has 2 objectives ['loss', 'time']; return a mapping of them, got float"),
    (lambda c: str(c["x"]), "minimize", "objective 'value': expected a number, got str"),
])
def test_a_result_that_cannot_fit_stops_the_run_at_once(objective: Any, objectives: Any,
                                                        message: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    study = hp.create_study(space=hp.Space({"x": hp.Float(0, 1)}), storage=url, name="r",
                            objectives=objectives, optimizer="random")
    with pytest.raises((ResultShapeError, ResultTypeError)) as info:
        study.optimize(objective, n_trials=20, show_progress=False)
    text = str(info.value)
    assert text.startswith("study 'r' stopped: trial 0 returned ")
    assert message in text
    assert text.endswith(f"fix the objective; its finished trials are stored in {url}")
    assert "\n" not in text
    stored = hp.load_study("r", url).trials
    assert len(stored) == 1 and stored[0].error is not None
    assert stored[0].error.startswith("invalid result: ")


def test_a_wrong_type_after_complete_trials_only_fails_its_trial() -> None:
    study = hp.create_study(space=hp.Space({"x": hp.Float(0, 1)}), storage="memory",
                            optimizer="random", seed=0)
    study.optimize(lambda c: c["x"] if c["x"] < 0.8 else None, n_trials=20,
                   show_progress=False)
    states = [t.state for t in study.trials]
    assert len(states) == 20 and hp.TrialState.FAILED in states


def test_no_complete_trial_says_why(caplog: pytest.LogCaptureFixture) -> None:
    study = hp.create_study(space=SPACE, storage="memory", name="x", optimizer="random")
    study.optimize(lambda c: 1 / 0, n_trials=3, show_progress=False)
    with pytest.raises(NoCompleteTrialError) as info:
        _ = study.best_trial
    assert str(info.value) == ("study 'x': no trial has completed: 3 of 3 failed, most often "
                               "(3x) with ZeroDivisionError: division by zero")
    assert isinstance(info.value, ValueError)


def test_failures_are_grouped_by_their_first_line() -> None:
    study = hp.create_study(space=hp.Space({"x": hp.Float(0, 1)}), storage="memory",
                            optimizer="random", seed=3)
    for error in ("KeyError: 'gamma'\nTraceback ...", "OOM", "KeyError: 'gamma'\nother tb"):
        study.tell(study.ask(), state="failed", error=error)
    groups = failure_groups(study.trials)
    assert [(g.error, g.numbers) for g in groups] == [("KeyError: 'gamma'", (0, 2)),
                                                      ("OOM", (1,))]
    assert error_head(None) == "no reason given" and error_head("\n  x\n") == "x"


def test_logging_can_be_silenced_or_redirected(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("hyperpilot")
    old = logger.level
    logger.setLevel(logging.ERROR)
    try:
        study = hp.create_study(space=SPACE, storage="memory", optimizer="random")
        study.optimize(gamma_objective, n_trials=10, show_progress=False)
    finally:
        logger.setLevel(old)
    assert not [r for r in caplog.records if r.name == "hyperpilot"]
