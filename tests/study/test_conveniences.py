"""What an Optuna user reaches for: best_params, partial enqueue, user attributes."""

from __future__ import annotations

from typing import Any

import pytest

import hyperpilot as hp
from hyperpilot.exceptions import ConfigurationError

SPACE = hp.Space({
    "lr": hp.Float(1e-4, 1e-1, log=True, prior=1e-3, confidence="medium"),
    "optimizer": hp.Categorical(["adam", "sgd"]),
    "momentum": hp.Float(0.0, 0.99, active_if={"optimizer": "sgd"}),
    "layers": hp.Int(1, 4),
})


def loss(config: dict[str, Any]) -> float:
    return abs(config["lr"] - 0.01) + config["layers"] / 10


def test_best_params_and_best_value() -> None:
    study = hp.create_study(space=SPACE, seed=0)
    study.optimize(loss, n_trials=8, show_progress=False)
    assert study.best_value == study.best_trial.value
    assert study.best_params == study.best_trial.config
    study.best_params["lr"] = -1.0  # a copy
    assert study.best_trial.config["lr"] != -1.0


def test_a_partial_configuration_is_completed_by_the_optimizer() -> None:
    study = hp.create_study(space=SPACE, seed=0)
    study.optimize(loss, n_trials=6, show_progress=False)
    trial = study.enqueue({"lr": 0.05, "optimizer": "sgd"})
    assert trial.config["lr"] == 0.05 and trial.config["optimizer"] == "sgd"
    assert set(trial.config) == {"lr", "optimizer", "momentum", "layers"}
    assert trial.meta["given"] == ["lr", "optimizer"]
    study.optimize(loss, n_trials=1, show_progress=False)
    ran = study.trials[trial.number]
    assert ran.state == hp.TrialState.COMPLETE and ran.config == trial.config
    # A full configuration is queued as given.
    full = {"lr": 0.002, "optimizer": "adam", "layers": 2}
    assert study.enqueue(full).config == full


def test_a_partial_configuration_is_still_checked() -> None:
    study = hp.create_study(space=SPACE, seed=0)
    with pytest.raises(ConfigurationError, match="unknown hyperparameter 'lrr'"):
        study.enqueue({"lrr": 0.01})
    with pytest.raises(ConfigurationError, match="'momentum' is inactive there"):
        study.enqueue({"optimizer": "adam", "momentum": 0.5})
    with pytest.raises(ConfigurationError, match="'lr'"):
        study.enqueue({"lr": 5.0})
    assert study.trials == []


def _recording(config: dict[str, Any], trial: hp.Trial) -> float:
    trial.set_user_attr("epochs_run", 3)
    trial.set_user_attr("note", f"layers={config['layers']}")
    if config["layers"] == 4:
        raise RuntimeError("diverged")
    return loss(config)


@pytest.mark.parametrize("how", [{}, {"n_workers": 2}, {"isolation": "process"}])
def test_user_attributes_are_stored_wherever_the_trial_runs(how: dict[str, Any]) -> None:
    study = hp.create_study(space=SPACE, seed=1, optimizer="random")
    study.optimize(_recording, n_trials=6, show_progress=False, **how)
    trials = study.trials
    assert len(trials) == 6
    for trial in trials:  # complete and failed alike
        assert trial.user_attrs == {"epochs_run": 3,
                                    "note": f"layers={trial.config['layers']}"}


def test_user_attributes_must_be_json() -> None:
    trial = hp.Trial(id=1, number=0, study_id=1, config={})
    with pytest.raises(TypeError, match=r"set_user_attr\('x', \.\.\.\): the value must be "
                       "JSON-ready"):
        trial.set_user_attr("x", object())
    with pytest.raises(TypeError, match="key must be a string"):
        trial.set_user_attr(3, 1)  # type: ignore[arg-type]
    trial.set_user_attr("ok", [1, "a", {"b": 2.5}])
    assert trial.user_attrs == {"ok": [1, "a", {"b": 2.5}]}
