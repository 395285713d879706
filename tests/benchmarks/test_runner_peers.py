"""The peers' adapters for real: Optuna's samplers and SMAC3's facades on toy problems."""

from __future__ import annotations

import logging

import pytest

from hyperpilot.benchmarks._optuna import parents_first
from hyperpilot.benchmarks._runner import make_adapter
from hyperpilot.benchmarks._toy import Conditional, Quadratic, TwoObjective
from hyperpilot.space._params import Categorical, Float, Int, Ordinal
from hyperpilot.space._space import Space

pytestmark = pytest.mark.slow

OPTUNA = ["optuna-tpe", "optuna-random", "optuna-cmaes", "optuna-gp", "optuna-nsga2"]
SMAC = ["smac-hpo", "smac-bb"]


def _needs(name: str) -> None:
    if name.startswith("optuna"):
        pytest.importorskip("optuna")
        if name == "optuna-gp":
            pytest.importorskip("torch")
        if name == "optuna-cmaes":
            pytest.importorskip("cmaes")
    else:
        pytest.importorskip("smac")


def test_parents_come_first() -> None:
    space = Space({
        "c": Int(1, 3, active_if={"b": 1}),
        "b": Ordinal([1, 2, 3], active_if={"a": "x"}),
        "a": Categorical(["x", "y"]),
        "d": Float(0.0, 1.0),
    })
    order = parents_first(space)
    assert order.index("a") < order.index("b") < order.index("c")
    assert sorted(order) == ["a", "b", "c", "d"]


@pytest.mark.parametrize("name", OPTUNA + SMAC)
def test_peer_minimizes_the_quadratic(name: str) -> None:
    _needs(name)
    record = make_adapter(name).run(Quadratic(), n_trials=10, seed=0)
    assert record.status == "ok", record.traceback
    losses = record.values["loss"]
    assert len(losses) == len(record.overhead) == 10
    assert all(t >= 0 for t in record.overhead)
    assert record.best["loss"][-1] == min(v for v in losses if v is not None) < 8.0
    again = make_adapter(name).run(Quadratic(), n_trials=10, seed=0)
    assert again.values == record.values  # seeded: reproducible


@pytest.mark.parametrize("name", OPTUNA + SMAC)
def test_peer_handles_a_conditional_maximized_problem(name: str) -> None:
    _needs(name)
    record = make_adapter(name).run(Conditional(), n_trials=12, seed=1)
    assert record.status == "ok", record.traceback
    assert record.incumbent is not None
    config = record.incumbent["config"]
    assert Conditional().space.validate(config) == config
    assert record.incumbent["values"]["score"] == max(record.values["score"])
    assert record.test is not None and len(record.test["per_seed"]) == 3


@pytest.mark.parametrize("name", ["optuna-tpe", "optuna-nsga2", "optuna-random",
                                  "optuna-cmaes", "smac-hpo"])
def test_multi_objective_runs_or_is_unsupported(name: str) -> None:
    _needs(name)
    record = make_adapter(name).run(TwoObjective(), n_trials=10, seed=0)
    if name in ("optuna-cmaes", "smac-hpo"):
        assert record.status == "unsupported" and record.error
    else:
        assert record.status == "ok", record.traceback
        assert len(record.values["f1"]) == len(record.values["f2"]) == 10


@pytest.mark.parametrize("name", SMAC)
def test_smac_leaves_other_loggers_alone(name: str, caplog: pytest.LogCaptureFixture) -> None:
    _needs(name)
    root = logging.getLogger()
    level = root.level
    record = make_adapter(name).run(Quadratic(), n_trials=3, seed=0)
    assert record.status == "ok", record.traceback
    assert root.level == level
    assert logging.getLogger("smac").getEffectiveLevel() == logging.ERROR
    with caplog.at_level(logging.INFO, logger="hyperpilot"):
        logging.getLogger("hyperpilot.study").info("still heard")
    assert "still heard" in caplog.text
