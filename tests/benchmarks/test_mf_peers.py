"""Multi-fidelity optimizers in the harness: ours with the problem's fidelity, Optuna's TPE
with its Hyperband pruner and SMAC3's multi-fidelity facade, on a tiny budget."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from hyperpilot.benchmarks._catalog import get_problem
from hyperpilot.benchmarks._optuna import rung_budgets
from hyperpilot.benchmarks._problem import Fidelity
from hyperpilot.benchmarks._runner import PEERS, make_adapter
from hyperpilot.benchmarks._summary import summarize
from hyperpilot.benchmarks._toy import Quadratic

pytestmark = pytest.mark.slow

RUNGS = {1.0, 3.0, 9.0, 27.0}
needs_optuna = pytest.mark.skipif(importlib.util.find_spec("optuna") is None,
                                  reason="needs Optuna (pip install 'hyperpilot[bench]')")
needs_smac = pytest.mark.skipif(importlib.util.find_spec("smac") is None,
                                reason="needs SMAC3 (pip install 'hyperpilot[bench]')")


def test_the_runner_knows_the_multi_fidelity_peers() -> None:
    assert {"optuna-tpe-hyperband", "optuna-tpe-hyperband-full", "smac-mf"} <= set(PEERS)


@pytest.mark.parametrize(("fidelity", "expected"), [
    (Fidelity("epochs", 1, 27, log=True), [1, 3, 9, 27]),
    (Fidelity("rounds", 8, 256, log=True), [9, 28, 85, 256]),
    (Fidelity("fraction", 0.1, 1.0, integer=False), [1 / 9, 1 / 3, 1.0]),
])
def test_rung_budgets_divide_the_full_budget_by_eta(fidelity: Fidelity,
                                                    expected: list[float]) -> None:
    assert rung_budgets(fidelity, 3) == pytest.approx(expected)


@pytest.mark.parametrize("name", ["hyperband", "bohb", "asha"])
def test_our_optimizers_get_the_problem_fidelity(name: str) -> None:
    record = make_adapter(name).run(get_problem("mf-hartmann3-good"), n_trials=2, seed=0)
    assert record.status == "ok", record.traceback
    assert record.budgets is not None and record.costs is not None
    assert set(record.budgets) <= RUNGS and min(record.budgets) == 1.0
    assert record.costs == pytest.approx([b / 27 for b in record.budgets])
    assert 2.0 - 1e-9 <= sum(record.costs) < 3.0  # the last trial may overshoot


@needs_optuna
def test_optuna_continues_a_run_rung_by_rung_and_is_charged_the_increments() -> None:
    problem = get_problem("mf-hartmann3-moderate")
    record = make_adapter("optuna-tpe-hyperband").run(problem, n_trials=4, seed=0)
    assert record.status == "ok", record.traceback
    budgets, costs = record.budgets, record.costs
    assert budgets is not None and costs is not None and set(budgets) <= RUNGS
    assert 4.0 <= sum(costs) < 4.0 + 1e-9 + 18 / 27
    runs: list[list[int]] = []  # trial indices of each continued training run
    for i, budget in enumerate(budgets):
        if budget == 1.0:
            runs.append([i])
        else:
            assert budgets[i - 1] == budget / 3  # the next rung of the same run
            runs[-1].append(i)
    for run in runs:
        assert sum(costs[i] for i in run) == pytest.approx(budgets[run[-1]] / 27)
    assert any(budgets[run[-1]] == 27.0 for run in runs)
    assert any(budgets[run[-1]] < 27.0 for run in runs)  # the pruner stopped some runs
    again = make_adapter("optuna-tpe-hyperband").run(problem, n_trials=4, seed=0)
    assert again.values == record.values


@needs_optuna
def test_a_continued_run_keeps_its_configuration() -> None:
    problem = get_problem("mf-branin")
    adapter = make_adapter("optuna-tpe-hyperband")
    session = adapter._start(problem, n_trials=2, seed=3)
    first = session.ask()
    assert first.budget == 1.0 and first.cost == pytest.approx(1 / 27)
    session.tell(problem.evaluate(first.config, budget=first.budget))
    second = session.ask()  # nothing to compare with yet: Hyperband's rung keeps it
    assert second.config == first.config
    assert second.budget == 3.0 and second.cost == pytest.approx(2 / 27)


@needs_optuna
def test_the_full_charge_variant_pays_each_rung_its_whole_budget() -> None:
    problem = get_problem("mf-branin")
    adapter = make_adapter("optuna-tpe-hyperband-full")
    assert adapter.name == "optuna-tpe-hyperband-full"
    assert adapter.describe()["charge"] == "full"
    session = adapter._start(problem, n_trials=2, seed=3)
    first = session.ask()
    session.tell(problem.evaluate(first.config, budget=first.budget))
    second = session.ask()
    assert second.config == first.config
    assert second.budget == 3.0 and second.cost == pytest.approx(3 / 27)


@needs_optuna
def test_charged_costs_place_the_full_budget_results_in_the_summary() -> None:
    record = make_adapter("optuna-tpe-hyperband").run(get_problem("mf-branin"), n_trials=3,
                                                       seed=1).to_json()
    summary = summarize([record])
    curve = summary.problems[0].curves["optuna-tpe-hyperband"][0]
    assert record["budgets"] is not None
    first_full = record["budgets"].index(27.0)
    spent = float(np.sum(record["costs"][:first_full + 1]))
    assert spent == pytest.approx(1.0)  # a run continued to the top costs one evaluation
    assert not np.isnan(curve[0])  # charged by budget it would be past 1 unit


@needs_smac
def test_smac_multi_fidelity_facade_proposes_rung_budgets() -> None:
    problem = get_problem("mf-hartmann3-good")
    record = make_adapter("smac-mf").run(problem, n_trials=2, seed=0)
    assert record.status == "ok", record.traceback
    assert record.budgets is not None and record.costs is not None
    assert set(record.budgets) <= RUNGS and min(record.budgets) == 1.0
    assert record.costs == pytest.approx([b / 27 for b in record.budgets])
    assert record.incumbent is not None


@pytest.mark.parametrize("name", ["optuna-tpe-hyperband", "smac-mf"])
def test_multi_fidelity_peers_refuse_a_problem_without_budget(name: str) -> None:
    record = make_adapter(name).run(Quadratic(), n_trials=2, seed=0)
    assert record.status == "unsupported"
    assert "needs a multi-fidelity problem" in (record.error or "")
