"""The surrogate ablation path."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

import hyperpilot as hp
from hyperpilot.analysis import ablation, plot_ablation
from hyperpilot.exceptions import ConfigurationError

SPACE = hp.Space({"a": hp.Float(0, 1), "b": hp.Float(0, 1), "c": hp.Float(0, 1),
                  "kind": hp.Categorical(["worse", "better"]), "n1": hp.Float(0, 1),
                  "n2": hp.Int(1, 5)})


def objective(config: dict[str, Any]) -> float:
    return (3 * config["a"] + 2 * config["b"] + 1 * config["c"]
            + (0.3 if config["kind"] == "worse" else 0.0))


@pytest.fixture(scope="module")
def study() -> hp.Study:
    study = hp.create_study(space=SPACE, storage="memory", optimizer="random", seed=0)
    study.optimize(objective, n_trials=500, show_progress=False)
    return study


def test_recovers_the_known_order(study: hp.Study) -> None:
    # true gains: a 2.4, b 1.6, c 0.8, kind 0.3, n1 and n2 nothing
    reference = {"a": 0.9, "b": 0.9, "c": 0.9, "kind": "worse", "n1": 0.9, "n2": 1}
    incumbent = {"a": 0.1, "b": 0.1, "c": 0.1, "kind": "better", "n1": 0.1, "n2": 5}
    table = ablation(study, reference=reference, incumbent=incumbent, n_bootstrap=3)
    assert table["hyperparameter"].tolist()[:4] == ["reference", "a", "b", "c"]
    assert set(table["hyperparameter"][4:]) == {"kind", "n1", "n2"}
    assert table["step"].tolist() == list(range(7))
    gains = table["gain"].to_numpy()
    assert gains[1] > gains[2] > gains[3] > 0.4 > abs(gains[4:]).max()
    predicted = table["predicted"].to_numpy()
    assert math.isclose(predicted[0] - predicted[-1], gains.sum(), rel_tol=1e-9)
    assert math.isclose(table["share"].sum(), 1.0)
    assert table.attrs["reference"] == reference and table.attrs["incumbent"] == incumbent
    assert (table["low"].iloc[1:] <= table["high"].iloc[1:]).all()


def test_starts_from_the_default_configuration(study: hp.Study) -> None:
    table = ablation(study, n_bootstrap=0)
    assert table.attrs["reference"] == SPACE.default_config()
    assert table["hyperparameter"].tolist()[1] == "a"


def test_a_parent_moves_with_its_children(built: Callable[[str], hp.Study]) -> None:
    study = built("conditional")
    table = ablation(study, reference={"model": "linear", "alpha": 0.001, "lr": 1.0},
                     incumbent={"model": "tree", "depth": 2, "lr": 0.0}, n_bootstrap=0)
    moved = [set(h) for h in table["hyperparameters"]]
    assert {"model", "alpha", "depth"} in moved
    assert table.attrs["incumbent"] == {"model": "tree", "depth": 2, "lr": 0.0}


def test_values_read_in_the_objectives_direction(built: Callable[[str], hp.Study]) -> None:
    study = built("two-objective-one")
    table = ablation(study, objective="acc", n_bootstrap=0)
    assert table["predicted"].iloc[-1] > table["predicted"].iloc[0]  # accuracy grows
    assert table["gain"].sum() > 0
    assert table.attrs["quantity"] == "acc"


def test_a_reference_that_does_not_fit(study: hp.Study) -> None:
    with pytest.raises(ConfigurationError):
        ablation(study, reference={"a": 7.0})


def test_deterministic_for_a_seed(study: hp.Study) -> None:
    assert ablation(study, n_bootstrap=2, seed=4).equals(ablation(study, n_bootstrap=2, seed=4))


def test_runs_on_every_kind_of_study(kind: tuple[hp.Study, dict[str, Any]]) -> None:
    study, arguments = kind
    table = ablation(study, n_bootstrap=2, **arguments)
    assert table["hyperparameter"].iloc[0] == "reference"
    assert not table["predicted"].isna().any()
    assert plot_ablation(table).data
    assert plot_ablation(study, n_bootstrap=0, **arguments).data
