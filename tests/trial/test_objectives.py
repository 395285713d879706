"""Objectives and their directions: a typo never turns maximize into minimize."""

from __future__ import annotations

import pytest

import hyperpilot as hp
from hyperpilot.exceptions import ObjectiveSpecError
from hyperpilot.trial._objectives import Objective, parse_direction, parse_objectives

SPACE = hp.Space({"x": hp.Float(0.0, 1.0)})


@pytest.mark.parametrize("spelling", ["maximize", "Maximize", "MAXIMIZE", "max", "Max",
                                      " maximize "])
def test_a_single_string_is_a_direction_in_any_case(spelling: str) -> None:
    assert parse_objectives(spelling) == (Objective("value", "maximize"),)


@pytest.mark.parametrize("spelling", ["minimize", "Minimize", "min", "MIN"])
def test_minimize_spellings(spelling: str) -> None:
    assert parse_objectives(spelling) == (Objective("value", "minimize"),)


def test_maximize_with_a_capital_maximizes() -> None:
    # Before, "Maximize" named an objective "Maximize" and minimized it: x = 0.039.
    study = hp.create_study(space=SPACE, storage="memory", objectives="Maximize", seed=0,
                            optimizer="random")
    study.optimize(lambda c: c["x"], n_trials=30, show_progress=False)
    assert study.objectives == (Objective("value", "maximize"),)
    assert study.best_value > 0.9


@pytest.mark.parametrize(("given", "message"), [
    ("maximise", "objectives must be 'minimize' or 'maximize', got 'maximise'; did you mean "
                 "'maximize'?"),
    ("minimise", "objectives must be 'minimize' or 'maximize', got 'minimise'; did you mean "
                 "'minimize'?"),
    ("maximum", "objectives must be 'minimize' or 'maximize', got 'maximum'; did you mean "
                "'maximize'?"),
    ("mxa", "objectives must be 'minimize' or 'maximize', got 'mxa'; did you mean 'maximize'?"),
    ("accuracy", "objectives must be 'minimize' or 'maximize', got 'accuracy'; to name the "
                 "objective, pass a mapping such as {'accuracy': 'minimize'}"),
])
def test_anything_else_is_one_line_with_a_hint(given: str, message: str) -> None:
    with pytest.raises(ObjectiveSpecError) as info:
        hp.create_study(space=SPACE, storage="memory", objectives=given)
    assert str(info.value) == message
    assert "\n" not in str(info.value)


def test_the_mapping_form_accepts_the_same_spellings() -> None:
    objectives = parse_objectives({"acc": "Max", "latency": "min", "size": "MINIMIZE"})
    assert [o.direction for o in objectives] == ["maximize", "minimize", "minimize"]
    with pytest.raises(ObjectiveSpecError, match=r"objective 'acc': direction must be "
                       r"'minimize' or 'maximize', got 'maximise'; did you mean 'maximize'\?"):
        parse_objectives({"acc": "maximise"})
    with pytest.raises(ObjectiveSpecError, match="got int 1"):
        parse_direction(1)


def test_a_stored_study_reads_back_its_normalized_direction(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'd.db'}"
    hp.create_study(space=SPACE, storage=url, name="d", objectives={"acc": "MAX"})
    assert hp.load_study("d", url).objectives == (Objective("acc", "maximize"),)
    # Reopening with another spelling of the same direction is the same study.
    hp.create_study(space=SPACE, storage=url, name="d", objectives={"acc": "maximize"},
                    load_if_exists=True)
