"""``hyperpilot steer``: interventions from the command line, stored as events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import hyperpilot as hp

SPACE = {
    "kernel": hp.Categorical(["rbf", "linear", 3]),
    "C": hp.Float(0.01, 1000.0, log=True),
    "degree": hp.Int(2, 5),
}


@pytest.fixture
def svm(storage: str) -> str:
    study = hp.create_study(space=SPACE, storage=storage, name="svm", seed=0,
                            optimizer="random")
    study.optimize(lambda c: c["C"], n_trials=4, show_progress=False)
    return storage


def test_each_action_stores_an_event_with_origin_cli(cli: Any, svm: str) -> None:
    for argv, line in [
        (["prior", "C", "10", "--confidence", "high"],
         "study 'svm': set_prior C value=10 confidence=high (event 1, from trial 4 on)"),
        (["prior", "kernel", "3"],
         "study 'svm': set_prior kernel value=3 confidence=medium (event 2, from trial 4 on)"),
        (["clear-prior", "kernel"], "study 'svm': clear_prior kernel (event 3, from trial 4 on)"),
        (["exclude", "2"], "study 'svm': exclude trial 2 (event 4, from trial 4 on)"),
        (["include", "2"], "study 'svm': include trial 2 (event 5, from trial 4 on)"),
        (["narrow", "degree", "3", "4"],
         "study 'svm': narrow degree low=3 high=4 (event 6, from trial 4 on)"),
        (["restore", "degree"], "study 'svm': restore_range degree (event 7, from trial 4 on)"),
        (["freeze", "kernel", "linear"],
         "study 'svm': freeze kernel value=linear (event 8, from trial 4 on)"),
        (["release", "kernel"], "study 'svm': release kernel (event 9, from trial 4 on)"),
        (["acquisition", "lcb", "--beta", "4"],
         "study 'svm': set_acquisition acquisition={'name': 'lcb', 'beta': 4.0} (event 10, "
         "from trial 4 on)"),
        (["acquisition", "default"],
         "study 'svm': set_acquisition acquisition=- (event 11, from trial 4 on)"),
        (["pause"], "study 'svm': pause (event 12, from trial 4 on)"),
        (["resume"], "study 'svm': resume (event 13, from trial 4 on)"),
    ]:
        result = cli("steer", "svm", "--storage", svm, "--author", "ada", *argv)
        assert result.code == 0, result.err
        assert result.out.strip() == line
    events = hp.load_study("svm", svm).events()
    assert len(events) == 13
    assert {e.origin for e in events} == {"cli"} and {e.author for e in events} == {"ada"}
    assert events[1].payload["value"] == 3  # the choice 3, not the text "3"


def test_enqueue_and_events(cli: Any, svm: str) -> None:
    result = cli("steer", "svm", "--storage", svm, "enqueue", "kernel=linear", "C=3.5")
    assert result.code == 0, result.err
    assert result.out.startswith("queued trial 4 of study 'svm': kernel=linear, C=3.5, degree=")
    cli("steer", "svm", "--storage", svm, "stop")
    listing = cli("steer", "svm", "--storage", svm, "events")
    assert listing.code == 0
    lines = listing.out.splitlines()
    assert lines[0].split() == ["event", "at", "trial", "time", "origin", "author", "kind",
                                "what"]
    assert "enqueue" in lines[2] and "trial 4: kernel=linear, C=3.5" in lines[2]
    assert lines[3].split()[-1] == "stop"


@pytest.mark.parametrize(("argv", "message"), [
    (["prior", "C", "5000"], "hyperparameter 'C': prior "),
    (["prior", "C", "big"], "'C' takes a number, got 'big'"),
    (["prior", "gamma", "1"], "unknown hyperparameter 'gamma'; known: ['C', 'degree', 'kernel']"),
    (["narrow", "degree", "4", "3"], "'degree': the narrowed range must not be empty"),
    (["narrow", "C", "0.001", "1"], "'C': the narrowed range [0.001, 1] must lie within its "
                                    "range [0.01, 1000]"),
    (["freeze", "kernel", "poly"], "'kernel' takes one of ['rbf', 'linear', 3], got 'poly'"),
    (["exclude", "9"], "study 'svm' has no trial 9 (its trials are numbered 0 to 3)"),
    (["enqueue", "C"], "enqueue takes NAME=VALUE, got 'C'"),
    (["acquisition", "qei"], "acquisition: "),
])
def test_bad_input_is_one_line_exit_2_and_nothing_is_stored(cli: Any, svm: str, argv: list[str],
                                                            message: str) -> None:
    result = cli("steer", "svm", "--storage", svm, *argv)
    assert result.code == 2
    assert result.err.startswith("hyperpilot: error: ") and message in result.err
    assert result.err.count("\n") == 1
    assert hp.load_study("svm", svm).events() == []


def test_steering_a_study_that_does_not_exist(cli: Any, svm: str, tmp_path: Path) -> None:
    result = cli("steer", "nope", "--storage", svm, "pause")
    assert result.code == 1
    assert result.err.startswith("hyperpilot: error: no study named 'nope'")
    missing = cli("steer", "svm", "--storage", f"sqlite:///{tmp_path / 'none.db'}", "pause")
    assert missing.code == 1 and "does not exist" in missing.err
    assert not (tmp_path / "none.db").exists()
