"""The synthetic multi-fidelity problems: formulas, optima, costs and proxy quality."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from scipy.stats import spearmanr

from hyperpilot.benchmarks._adapters import full_budget_fraction
from hyperpilot.benchmarks._catalog import SUITES, get_problem
from hyperpilot.benchmarks._mf_synthetic import (
    BRANIN_OPTIMA,
    QUALITIES,
    MFBranin,
    MFHartmann,
    distance_below_full,
)
from hyperpilot.exceptions import BenchmarkError

HARTMANN = [f"mf-hartmann{d}-{q}" for d in (3, 6) for q in QUALITIES]


@pytest.mark.parametrize("name", [*HARTMANN, "mf-branin"])
def test_names_rebuild_pickle_and_join_the_mf_suite(name: str) -> None:
    problem = get_problem(name)
    assert problem.name == name and problem.family == "mf"
    assert name in SUITES["mf"]
    assert pickle.loads(pickle.dumps(problem)).name == name
    fidelity = problem.fidelity
    assert fidelity is not None and (fidelity.low, fidelity.high) == (1, 27)


@pytest.mark.parametrize("name", ["mf-hartmann4-good", "mf-hartmann3-great", "mf-hartmann3",
                                  "mf-branin-good"])
def test_unknown_synthetic_names_are_refused(name: str) -> None:
    with pytest.raises(BenchmarkError, match="cannot build problem"):
        get_problem(name)


@pytest.mark.parametrize("dimension", [3, 6])
def test_hartmann_optimum_is_known_and_never_beaten(dimension: int) -> None:
    problem = MFHartmann(dimension, "poor")
    assert problem.evaluate(problem.optimal_config)["value"] == pytest.approx(
        problem.optimum["value"], abs=1e-5)
    rng = np.random.default_rng(dimension)
    values = [problem.evaluate(c)["value"] for c in problem.space.sample(300, rng)]
    assert min(values) > problem.optimum["value"]


def test_branin_has_its_three_minima_at_the_full_budget_only() -> None:
    problem = MFBranin()
    for x1, x2 in BRANIN_OPTIMA:
        config = {"x1": x1, "x2": x2}
        assert problem.evaluate(config)["value"] == pytest.approx(problem.optimum["value"],
                                                                   abs=1e-4)
        assert problem.evaluate(config, budget=1)["value"] != pytest.approx(
            problem.optimum["value"], abs=1e-2)


def test_the_full_budget_is_the_noiseless_function_and_low_budgets_are_seeded() -> None:
    problem = MFHartmann(3, "moderate")
    config = {"x0": 0.3, "x1": 0.6, "x2": 0.7}
    assert problem.evaluate(config, budget=27, seed=5) == problem.evaluate(config, seed=0)
    low = problem.evaluate(config, budget=1, seed=5)
    assert problem.evaluate(config, budget=1, seed=5) == low
    assert problem.evaluate(config, budget=1, seed=6) != low
    assert problem.evaluate(config, budget=3, seed=5) != low


def test_a_trial_costs_its_budget() -> None:
    problem = get_problem("mf-hartmann6-good")
    assert full_budget_fraction(problem, 9) == pytest.approx(1 / 3)
    assert full_budget_fraction(problem, 1) == pytest.approx(1 / 27)
    assert full_budget_fraction(problem, None) == 1.0
    assert distance_below_full(1) == 1.0 and distance_below_full(27) == 0.0
    assert distance_below_full(3) == pytest.approx(2 / 3)


@pytest.mark.parametrize("budget", [0.5, 28, 100])
def test_a_budget_outside_the_range_is_refused(budget: float) -> None:
    with pytest.raises(BenchmarkError, match=r"budget \(fidelity\) must lie in \[1, 27\]"):
        MFBranin().evaluate({"x1": 0.0, "x2": 0.0}, budget=budget)


def _rank_correlation(problem: MFHartmann | MFBranin, budget: float) -> float:
    configs = problem.space.sample(300, np.random.default_rng(0))
    full = [problem.evaluate(c)["value"] for c in configs]
    low = [problem.evaluate(c, budget=budget)["value"] for c in configs]
    return float(spearmanr(low, full)[0])


@pytest.mark.parametrize("dimension", [3, 6])
def test_proxy_quality_falls_from_good_to_poor_and_rises_with_the_budget(dimension: int
                                                                         ) -> None:
    at_lowest = [_rank_correlation(MFHartmann(dimension, q), 1) for q in
                 ("good", "moderate", "poor")]
    assert at_lowest[0] > at_lowest[1] > at_lowest[2]
    assert at_lowest[0] > 0.95
    poor = MFHartmann(dimension, "poor")
    by_budget = [_rank_correlation(poor, b) for b in (1, 3, 9)]
    assert by_budget[0] < by_budget[1] < by_budget[2] < 1.0


def test_poor_proxies_put_the_best_low_budget_region_elsewhere() -> None:
    problem = MFHartmann(6, "poor")
    configs = problem.space.sample(2000, np.random.default_rng(1))
    low = np.array([problem.evaluate(c, budget=1)["value"] for c in configs])
    full = np.array([problem.evaluate(c)["value"] for c in configs])
    best_low = np.argsort(low)[:20]
    assert np.mean(full[best_low]) > np.mean(np.sort(full)[:20]) + 0.3
    assert not math.isnan(float(np.mean(low)))
