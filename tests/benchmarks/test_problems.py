"""The benchmark problems: BBOB, scikit-learn tuning tasks, multi-fidelity, multi-objective,
suites and rebuilding problems from their names."""

from __future__ import annotations

import importlib.util
import json
import math
import pickle
import subprocess
import sys
import time

import numpy as np
import pytest

from hyperpilot.benchmarks._bbob import BBOB_FUNCTIONS, BBOB_GROUPS, BBOBProblem, _ioh_problem
from hyperpilot.benchmarks._catalog import SUITES, get_problem, suite, suite_names
from hyperpilot.benchmarks._datasets import DATASETS, load, subsample
from hyperpilot.benchmarks._mf import MFHGBTask, MFSVMTask
from hyperpilot.benchmarks._ml import HGBTask, MLPTask, SVMTask, TuningTask
from hyperpilot.benchmarks._mo import HGBSizeTask, PymooProblem
from hyperpilot.benchmarks._problem import Problem
from hyperpilot.exceptions import ConfigurationError, MissingDependencyError

HAS_IOH = importlib.util.find_spec("ioh") is not None
HAS_PYMOO = importlib.util.find_spec("pymoo") is not None
HAS_SKLEARN = importlib.util.find_spec("sklearn") is not None

needs_ioh = pytest.mark.skipif(not HAS_IOH, reason="needs ioh (pip install 'hyperpilot[bench]')")
needs_pymoo = pytest.mark.skipif(not HAS_PYMOO, reason="needs pymoo (hyperpilot[bench])")
needs_sklearn = pytest.mark.skipif(not HAS_SKLEARN, reason="needs scikit-learn (hyperpilot[bench])")

ALL_SUITE_NAMES = sorted({name for names in SUITES.values() for name in names})


def _needs(name: str) -> list[pytest.MarkDecorator]:
    if name.startswith("bbob"):
        return [needs_ioh]
    if name.startswith("mo-") and not name.startswith("mo-ml"):
        return [needs_pymoo]
    return [needs_sklearn]


def _params(names: list[str]) -> list[object]:
    return [pytest.param(name, marks=_needs(name), id=name) for name in names]


# ---------------------------------------------------------------------- BBOB
@needs_ioh
@pytest.mark.parametrize("function", sorted(BBOB_FUNCTIONS))
def test_bbob_optimum_is_exact_and_regret_nonnegative(function: int) -> None:
    rng = np.random.default_rng(function)
    for dimension, instance in ((2, 1), (5, 3), (10, 1)):
        problem = BBOBProblem(function, dimension, instance)
        best = problem.optimum["value"]
        at_optimum = problem.evaluate(problem.optimal_config)["value"]
        assert at_optimum == pytest.approx(best, rel=1e-12, abs=1e-12)
        for config in problem.space.sample(50, rng):
            assert problem.evaluate(config)["value"] - best >= -1e-12


@needs_ioh
def test_bbob_problem_shape_and_name() -> None:
    problem = BBOBProblem(8, 5, 2)
    assert problem.name == "bbob-f08-d05-i02"
    assert problem.family == "bbob"
    assert problem.space.names == [f"x{i}" for i in range(5)]
    assert all(p.low == -5.0 and p.high == 5.0 for p in problem.space.hyperparameters.values())
    assert [o.name for o in problem.objectives] == ["value"]
    assert problem.fidelity is None and problem.reference_point is None
    config = problem.space.sample(1, 0)[0]
    assert problem.evaluate(config, seed=1) == problem.evaluate(config, seed=2)
    info = json.loads(json.dumps(problem.describe()))
    assert info["function_name"] == "rosenbrock" and info["dimension"] == 5
    assert sorted(f for group in BBOB_GROUPS.values() for f in group) == list(range(1, 25))


@needs_ioh
def test_bbob_instances_differ() -> None:
    a, b = BBOBProblem(1, 3, 1), BBOBProblem(1, 3, 2)
    assert a.optimum != b.optimum or a.optimal_config != b.optimal_config


@pytest.mark.parametrize("args", [(0, 2, 1), (25, 2, 1), (1, 0, 1), (1, 2, 0), (1.5, 2, 1)])
def test_bbob_rejects_bad_arguments(args: tuple[int, int, int]) -> None:
    with pytest.raises(ValueError, match="BBOB"):
        BBOBProblem(*args)


@needs_ioh
def test_bbob_rejects_bad_config_and_budget() -> None:
    problem = BBOBProblem(1, 2)
    with pytest.raises(ConfigurationError):
        problem.evaluate({"x0": 7.0, "x1": 0.0})
    with pytest.raises(ValueError, match="no fidelity"):
        problem.evaluate({"x0": 0.0, "x1": 0.0}, budget=3)


def test_missing_ioh_raises_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "ioh" else real(name, *a))
    _ioh_problem.cache_clear()
    try:
        with pytest.raises(MissingDependencyError, match="hyperpilot\\[bench\\]"):
            BBOBProblem(3, 4).optimum  # noqa: B018
    finally:
        _ioh_problem.cache_clear()


def test_import_loads_no_heavy_dependency() -> None:
    code = (
        "import sys, hyperpilot.benchmarks._catalog as c; c.suite_names(); "
        "heavy = [m for m in ('sklearn', 'ioh', 'pymoo') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------- every suite problem
@pytest.mark.parametrize("name", _params(ALL_SUITE_NAMES))
def test_suite_problem_evaluates_a_sampled_config(name: str) -> None:
    problem = get_problem(name)
    assert isinstance(problem, Problem)
    assert problem.name == name
    assert problem.family == name.split("-")[0]
    config = problem.space.sample(1, np.random.default_rng(7))[0]
    assert problem.space.validate(config) == config
    fidelity = problem.fidelity
    budget = None if fidelity is None else fidelity.low
    values = problem.evaluate(config, budget=budget, seed=1)
    assert set(values) == {o.name for o in problem.objectives}
    assert all(math.isfinite(v) for v in values.values())
    if problem.reference_point is not None:
        assert set(problem.reference_point) == set(values)
    json.dumps(problem.describe())


@pytest.mark.parametrize("name", _params(ALL_SUITE_NAMES))
def test_name_and_pickle_round_trip(name: str) -> None:
    problem = get_problem(name)
    again = pickle.loads(pickle.dumps(problem))
    assert type(again) is type(problem) and again.name == name
    assert again.space == problem.space
    assert again.objectives == problem.objectives and again.fidelity == problem.fidelity
    assert get_problem(again.name).space == problem.space


@needs_ioh
@needs_pymoo
def test_pickled_problem_evaluates_the_same() -> None:
    for name in ("bbob-f15-d05-i01", "mo-zdt3-d10"):
        problem = get_problem(name)
        config = problem.space.sample(1, 3)[0]
        before = problem.evaluate(config)
        assert pickle.loads(pickle.dumps(problem)).evaluate(config) == before


def test_suites() -> None:
    assert suite_names() == ["quick", "bbob", "ml", "mf", "mo"]
    bbob = SUITES["bbob"]
    assert len(bbob) == 24 and len(set(bbob)) == 24
    groups = {g for f in {int(n[6:8]) for n in bbob} for g, fs in BBOB_GROUPS.items() if f in fs}
    assert groups == set(BBOB_GROUPS)
    assert {n.split("-")[0] for n in SUITES["ml"]} == {"ml"}
    assert {n.split("-")[0] for n in SUITES["mf"]} == {"mf"}
    assert {n.split("-")[0] for n in SUITES["mo"]} == {"mo"}


@needs_ioh
@needs_sklearn
def test_suite_builds_problems() -> None:
    problems = suite("quick")
    assert [p.name for p in problems] == list(SUITES["quick"])


def test_unknown_suite_and_problem_names() -> None:
    with pytest.raises(ValueError, match="quick"):
        suite("nope")
    for name in ("nope", "bbob-f1", "ml-svm", "mo-zdt9", "ml-svm-digits-x"):
        with pytest.raises(ValueError, match="unknown problem"):
            get_problem(name)
    with pytest.raises(ValueError, match="data set 'iris'"):
        get_problem("ml-svm-iris")
    with pytest.raises(ValueError, match="unknown model 'rf'"):
        get_problem("ml-rf-digits")
    with pytest.raises(ValueError, match="BBOB function"):
        get_problem("bbob-f30-d02-i01")
    with pytest.raises(ValueError, match="dimension"):
        get_problem("mo-dtlz2-d02")


def test_loose_names_build_canonical_problems() -> None:
    assert get_problem("bbob-f1-d5").name == "bbob-f01-d05-i01"
    assert get_problem("mo-zdt1-d5").name == "mo-zdt1-d05"


# ---------------------------------------------------------------------- data and splits
@needs_sklearn
@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_test_split_is_fixed_and_disjoint_from_train(dataset: str) -> None:
    data = load(dataset)
    train, test = data.train, data.test
    assert not set(train) & set(test)
    assert len(train) + len(test) == len(data.y)
    assert abs(len(test) / len(data.y) - 0.25) < 0.01
    task = SVMTask(dataset)
    for seed in (0, 1, 12345):
        folds = task.cv_indices(seed)
        assert len(folds) == task.n_folds
        validation = np.concatenate([val for _, val in folds])
        assert sorted(validation) == sorted(train)
        for fit, val in folds:
            assert not set(fit) & set(val)
            assert not (set(fit) | set(val)) & set(test)
    for other in (HGBTask(dataset), MLPTask(dataset), MFSVMTask(dataset)):
        a, b = other.holdout_indices()
        assert np.array_equal(a, train) and np.array_equal(b, test)
    if data.classification:
        share = np.bincount(data.y[test]) / len(test)
        assert np.allclose(share, np.bincount(data.y) / len(data.y), atol=0.02)


@needs_sklearn
def test_tuning_seed_changes_folds_not_test_split() -> None:
    task = SVMTask("digits")
    folds_0, folds_1 = task.cv_indices(0), task.cv_indices(1)
    assert not all(np.array_equal(a[1], b[1]) for a, b in zip(folds_0, folds_1, strict=True))
    assert all(np.array_equal(a[1], b[1])
               for a, b in zip(folds_0, task.cv_indices(0), strict=True))
    config = {"kernel": "rbf", "C": 10.0, "gamma": 0.01}
    assert task.evaluate(config, seed=0) == task.evaluate(config, seed=0)
    assert task.evaluate(config, seed=0) != task.evaluate(config, seed=1)
    held_out = task.test(config, seed=5)
    assert 0.0 <= held_out["error"] < 0.1


@needs_sklearn
def test_test_refits_with_the_test_seed() -> None:
    task = MLPTask("breast_cancer")
    config = {"n_layers": 1, "units_1": 16, "activation": "relu", "alpha": 1e-4,
              "learning_rate_init": 0.01, "batch_size": 64}
    assert task.test(config, seed=3) == task.test(config, seed=3)
    results = {task.test(config, seed=s)["error"] for s in range(4)}
    assert all(0.0 <= r < 0.2 for r in results)


@needs_sklearn
def test_regression_error_is_normalized_mse() -> None:
    task = HGBTask("diabetes")
    assert "loss" in task.space
    config = {**task.space.default_config(), "max_iter": 16, "learning_rate": 0.1}
    error = task.evaluate(config)["error"]
    assert 0.3 < error < 1.0  # 1 - R^2: below a constant predictor's 1


@needs_sklearn
def test_svm_space_is_conditional() -> None:
    space = SVMTask("digits").space
    assert space.is_conditional
    space.validate({"kernel": "linear", "C": 1.0})
    space.validate({"kernel": "sigmoid", "C": 1.0, "coef0": 0.5})
    space.validate({"kernel": "poly", "C": 1.0, "gamma": 0.1, "degree": 3, "coef0": 0.0})
    with pytest.raises(ConfigurationError, match="gamma"):
        space.validate({"kernel": "linear", "C": 1.0, "gamma": 0.1})
    with pytest.raises(ConfigurationError, match="gamma"):
        space.validate({"kernel": "sigmoid", "C": 1.0, "gamma": 0.1, "coef0": 0.5})
    with pytest.raises(ConfigurationError, match="degree"):
        space.validate({"kernel": "rbf", "C": 1.0, "gamma": 0.1, "degree": 3})
    assert "epsilon" in SVMTask("diabetes").space


def test_hgb_space_has_mixed_types() -> None:
    space = HGBTask("breast_cancer").space
    kinds = {p.kind for p in space.hyperparameters.values()}
    assert len(space) >= 7 and {"float", "int", "categorical"} <= kinds
    assert any(getattr(p, "log", False) and p.kind == "int"
               for p in space.hyperparameters.values())


@needs_sklearn
def test_single_fidelity_task_rejects_budget() -> None:
    task = SVMTask("wine")
    with pytest.raises(ValueError, match="no fidelity"):
        task.evaluate({"kernel": "linear", "C": 1.0}, budget=0.5)


# ---------------------------------------------------------------------- multi-fidelity
@needs_sklearn
def test_mf_lower_budget_is_cheaper() -> None:
    task = MFHGBTask("breast_cancer")
    assert "max_iter" not in task.space and task.fidelity is not None
    config = {**task.space.default_config(), "max_leaf_nodes": 16, "max_depth": 6}

    def cost(budget: float) -> float:
        best = math.inf
        for _ in range(2):
            start = time.perf_counter()
            task.evaluate(config, budget=budget)
            best = min(best, time.perf_counter() - start)
        return best

    task.evaluate(config, budget=8)
    assert cost(8) < cost(128)
    assert task.resolve_budget(None) == task.fidelity.high
    assert task.resolve_budget(45.4) == 45.0
    for bad in (4, 1000):
        with pytest.raises(ValueError, match="budget"):
            task.evaluate(config, budget=bad)


@needs_sklearn
def test_mf_fraction_budget_subsamples_nested() -> None:
    data = load("digits")
    small = subsample(data.train, data.y, 0.1, 3, True)
    large = subsample(data.train, data.y, 0.5, 3, True)
    assert set(small) <= set(large) <= set(data.train)
    assert len(np.unique(data.y[small])) == 10
    assert abs(len(small) - 0.1 * len(data.train)) <= 10
    task = MFSVMTask("digits")
    config = {"kernel": "rbf", "C": 10.0, "gamma": 0.01}
    low = task.evaluate(config, budget=0.1)["error"]
    full = task.evaluate(config, budget=1.0)["error"]
    assert full < low


# ---------------------------------------------------------------------- multi-objective
@needs_pymoo
def test_zdt_front_and_reference_point() -> None:
    for kind in ("zdt1", "zdt2", "zdt3"):
        problem = PymooProblem(kind, 10)
        assert [o.name for o in problem.objectives] == ["f1", "f2"]
        config = {name: 0.0 for name in problem.space.names}
        config["x0"] = 0.25
        values = problem.evaluate(config)
        expected = {"zdt1": 1 - 0.5, "zdt2": 1 - 0.0625,
                    "zdt3": 1 - 0.5 - 0.25 * math.sin(10 * math.pi * 0.25)}[kind]
        assert values["f1"] == pytest.approx(0.25)
        assert values["f2"] == pytest.approx(expected)
        ref = problem.reference_point
        assert ref["f1"] > values["f1"] and ref["f2"] > values["f2"]
    assert PymooProblem("zdt1", 10).reference_point == pytest.approx({"f1": 1.1, "f2": 1.1})


@needs_pymoo
def test_dtlz2_has_three_objectives_on_a_sphere() -> None:
    problem = PymooProblem("dtlz2", 12)
    assert [o.name for o in problem.objectives] == ["f1", "f2", "f3"]
    config = {name: 0.5 for name in problem.space.names}
    config["x0"], config["x1"] = 0.3, 0.8
    values = problem.evaluate(config)
    assert sum(v * v for v in values.values()) == pytest.approx(1.0)
    assert problem.reference_point == pytest.approx({"f1": 1.1, "f2": 1.1, "f3": 1.1})


@needs_sklearn
def test_hgb_size_task_trades_error_for_size() -> None:
    task = HGBSizeTask("breast_cancer")
    assert task.name == "mo-ml-hgb-size-breast_cancer"
    assert [o.name for o in task.objectives] == ["error", "log10_leaves"]
    base = {**task.space.default_config(), "max_depth": 4, "learning_rate": 0.2}
    small = task.evaluate({**base, "max_iter": 16, "max_leaf_nodes": 4})
    large = task.evaluate({**base, "max_iter": 128, "max_leaf_nodes": 16})
    assert small["log10_leaves"] < large["log10_leaves"] < task.reference_point["log10_leaves"]
    assert set(task.test(base, seed=0)) == {"error", "log10_leaves"}


def test_problem_classes_are_tuning_tasks() -> None:
    for cls in (HGBTask, SVMTask, MLPTask, MFHGBTask, MFSVMTask, HGBSizeTask):
        assert issubclass(cls, TuningTask)
