"""Local parameter importance around the incumbent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import hyperpilot as hp
from hyperpilot.analysis import AnalysisError, lpi, plot_lpi

SPACE = hp.Space({"x1": hp.Float(0, 1), "x2": hp.Float(0, 1), "x3": hp.Float(0, 1),
                  "c": hp.Categorical(["a", "b", "c"]), "n1": hp.Float(0, 1),
                  "n2": hp.Int(1, 5)})


def objective(config: dict[str, Any]) -> float:
    return (4 * config["x1"] + 2 * config["x2"] + config["x3"]
            + {"a": 0.0, "b": 0.8, "c": 0.4}[config["c"]])


@pytest.fixture(scope="module")
def study() -> hp.Study:
    study = hp.create_study(space=SPACE, storage="memory", optimizer="random", seed=0)
    study.optimize(objective, n_trials=500, show_progress=False)
    return study


def test_ranks_the_known_order(study: hp.Study) -> None:
    table = lpi(study, n_bootstrap=3)
    assert table["hyperparameter"].tolist()[:3] == ["x1", "x2", "x3"]
    shares = table.set_index("hyperparameter")["importance"]
    assert shares["n1"] < 0.05 and shares["n2"] < 0.05
    assert abs(shares.sum() - 1.0) < 1e-9
    counts = table.set_index("hyperparameter")["n_values"]
    assert counts["c"] == 3 and counts["n2"] == 5 and counts["x1"] == 21
    best = min(study.get_trials(), key=lambda t: t.value if t.value is not None else 1e9)
    assert table.attrs["incumbent"] == best.config


def test_around_a_given_incumbent(built: Callable[[str], hp.Study]) -> None:
    study = built("conditional")
    tree = lpi(study, incumbent={"model": "tree", "depth": 8}, n_bootstrap=0)
    shares = tree.set_index("hyperparameter")["importance"]
    assert shares["alpha"] == 0.0  # inactive at a tree: it cannot move there
    linear = lpi(study, incumbent={"model": "linear", "alpha": 0.01}, n_bootstrap=0)
    shares = linear.set_index("hyperparameter")["importance"]
    assert shares["depth"] == 0.0 and shares["leaf"] == 0.0 and shares["alpha"] > 0.0
    assert linear.attrs["incumbent"] == {"model": "linear", "alpha": 0.01, "lr": 0.5}


def test_an_unknown_name_in_the_incumbent(study: hp.Study) -> None:
    with pytest.raises(AnalysisError) as error:
        lpi(study, incumbent={"x1": 0.5, "x9": 1.0})
    assert str(error.value) == ("lpi: incumbent: unknown hyperparameter 'x9'; the space has "
                                "['x1', 'x2', 'x3', 'c', 'n1', 'n2']")


def test_a_constant_has_importance_zero(built: Callable[[str], hp.Study]) -> None:
    shares = lpi(built("constant"), n_bootstrap=0).set_index("hyperparameter")["importance"]
    assert shares["c"] == 0.0


def test_deterministic_for_a_seed(study: hp.Study) -> None:
    assert lpi(study, n_bootstrap=2, seed=3).equals(lpi(study, n_bootstrap=2, seed=3))


def test_runs_on_every_kind_of_study(kind: tuple[hp.Study, dict[str, Any]]) -> None:
    study, arguments = kind
    table = lpi(study, n_bootstrap=2, **arguments)
    assert not table["importance"].isna().any()
    assert set(table["hyperparameter"]) == set(study.space.names)
    assert plot_lpi(table).data
    assert plot_lpi(study, n_bootstrap=0, **arguments).data
