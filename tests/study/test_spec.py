"""The typed study specification: one place writes it, one place reads and checks it."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

import hyperpilot as hp
from hyperpilot.exceptions import StorageError
from hyperpilot.study._spec import SPEC_FORMAT, StudySpec
from hyperpilot.trial._objectives import Constraint, Objective

SPACE = hp.Space({"x": hp.Float(0.0, 1.0, prior=0.3), "k": hp.Categorical(["a", "b"])})


def _spec() -> StudySpec:
    return StudySpec(space=SPACE, objectives=(Objective("loss", "minimize"),),
                     constraints=(Constraint("mem", 2.0),), optimizer={"name": "bo"}, seed=4)


def test_round_trip_through_json() -> None:
    data = json.loads(json.dumps(_spec().to_json()))
    assert data["format"] == 1  # no fidelity: readable by releases that know format 1
    assert "fidelity" not in data
    assert StudySpec.from_json(data) == _spec()


def test_a_fidelity_round_trips_as_format_2() -> None:
    spec = dataclasses.replace(_spec(), fidelity=hp.Fidelity("epochs", 1, 81, log=True))
    data = json.loads(json.dumps(spec.to_json()))
    assert data["format"] == 2 <= SPEC_FORMAT
    back = StudySpec.from_json(data)
    assert back == spec and back.fidelity is not None and back.fidelity.integer


def test_a_study_exposes_its_spec() -> None:
    study = hp.create_study(space=SPACE, objectives={"loss": "min"}, constraints={"mem": 2.0},
                            optimizer="bo", seed=4)
    assert study.spec.space == SPACE and study.spec.seed == 4
    assert study.spec.optimizer["name"] == "bo"
    assert study.objectives == study.spec.objectives


@pytest.mark.parametrize(("edit", "what"), [
    (lambda d: d.pop("objectives"), "no key 'objectives'"),
    (lambda d: d.pop("space"), "no key 'space'"),
    (lambda d: d.update(seed="7"), "seed must be a whole number, got '7'"),
    (lambda d: d.update(objectives=[{"name": "loss"}]), "no key 'direction'"),
    (lambda d: d.update(objectives=[]), "no objectives"),
    (lambda d: d.update(optimizer=[1]), "optimizer must be an object, got list"),
    (lambda d: d.update(format="1"), "format must be a whole number, got '1'"),
    (lambda d: d["space"]["hyperparameters"]["x"].update(low=2.0),
     "hyperparameter 'x': low must be less than high, got low=2.0, high=1.0"),
])
def test_a_damaged_spec_is_one_line_naming_what_is_wrong(edit: Any, what: str) -> None:
    data = _spec().to_json()
    edit(data)
    with pytest.raises(StorageError) as info:
        StudySpec.from_json(data, study="s", where="sqlite:///x.db")
    message = str(info.value)
    assert message.startswith("study 's' in sqlite:///x.db has a damaged description (")
    assert what in message and "\n" not in message


def test_a_newer_format_asks_for_an_upgrade() -> None:
    data = _spec().to_json()
    data["format"] = SPEC_FORMAT + 1
    with pytest.raises(StorageError) as info:
        StudySpec.from_json(data, study="s", where="sqlite:///x.db")
    assert str(info.value) == (
        f"study 's' in sqlite:///x.db was written by a newer hyperpilot (study format "
        f"{SPEC_FORMAT + 1}; this release reads up to {SPEC_FORMAT}): upgrade hyperpilot to "
        "open it")


def test_not_an_object() -> None:
    with pytest.raises(StorageError, match=r"damaged description \(expected an object, got list\)"):
        StudySpec.from_json([1, 2], study="s")
