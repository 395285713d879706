from __future__ import annotations

import importlib.util
import math
from typing import Any

import numpy as np
import pytest

CS = pytest.importorskip("ConfigSpace")

from hyperpilot.exceptions import MissingDependencyError, SpaceError  # noqa: E402
from hyperpilot.space import (  # noqa: E402
    Categorical,
    Constant,
    Float,
    Int,
    Ordinal,
    Space,
    gt,
    isin,
    lt,
    ne,
)
from hyperpilot.space._conditions import Atom  # noqa: E402


def _plain(config: Any) -> dict[str, Any]:
    return {k: v.item() if isinstance(v, np.generic) else v for k, v in dict(config).items()}


def _round_trip(space: Space) -> Space:
    back = Space.from_configspace(space.to_configspace())
    assert back == space
    assert back.names == space.names
    return back


SPACES = {
    "types": Space({
        "x": Float(-2.5, 4.0),
        "lr": Float(1e-5, 1e-1, log=True),
        "n": Int(-3, 7),
        "units": Int(2, 512, log=True),
        "act": Categorical(["relu", "tanh", None, 3, True]),
        "size": Ordinal(["s", "m", "l"]),
        "seed": Constant(42),
        "tag": Constant("fixed"),
    }),
    "priors": Space({
        "x": Float(0.0, 1.0, prior=0.8, confidence="high"),
        "lr": Float(1e-5, 1e-1, log=True, prior=1e-3, confidence=0.3),
        "n": Int(1, 9, prior=2, confidence="low"),
        "units": Int(16, 1024, log=True, prior=128, confidence="medium"),
        "width": Int(1, 64, log=True, prior=8, confidence=0.8),
        "act": Categorical(["relu", "tanh", "gelu"], prior="gelu", confidence=0.6),
        "size": Ordinal([1, 2, 4, 8], prior=4, confidence="high"),
    }),
    "defaults": Space({
        "x": Float(0.0, 1.0, default=0.3),
        "y": Float(1.0, 100.0, log=True, prior=10.0, default=50.0),
        "n": Int(0, 10, default=0),
        "act": Categorical(["a", "b"], default="b"),
        "size": Ordinal(["s", "m", "l"], prior="m", default="l"),
    }),
    "conditions": Space({
        "algo": Categorical(["svm", "tree", "knn"]),
        "depth": Int(1, 10, active_if={"algo": "tree"}),
        "leaf": Float(0.0, 1.0, active_if={"depth": gt(3)}),
        "c": Float(1e-3, 1e3, log=True, active_if={"algo": ne("tree")}),
        "k": Int(1, 20, active_if={"algo": isin(["knn", "svm"]), "c": lt(10.0)}),
        "size": Ordinal(["s", "m", "l"], active_if=[{"algo": "svm"}, {"depth": lt(3)}]),
        "big": Constant(1, active_if={"size": gt("s")}),
        "mid": Float(0.0, 1.0, active_if=[[("depth", "gt", 2), ("depth", "lt", 6)],
                                          {"algo": "knn"}]),
    }),
    "forbidden": Space(
        {"a": Categorical(["x", "y", "z"]), "b": Int(0, 5), "o": Ordinal([1, 2, 3])},
        forbidden=[{"a": "y"}, {"b": [4, 5]}, {"a": "z", "b": 0, "o": [2, 3]}],
    ),
    "forbidden ne gt lt": Space(
        {"a": Categorical(["x", "y", "z"]), "b": Int(0, 5), "o": Ordinal([1, 2, 3])},
        forbidden=[{"a": ne("x"), "b": gt(3)}, {"b": ne(2), "o": lt(2)}],
    ),
}


@pytest.mark.parametrize("key", list(SPACES))
def test_round_trip(key: str) -> None:
    _round_trip(SPACES[key])


@pytest.mark.parametrize("key", list(SPACES))
def test_sampled_configurations_are_valid_in_the_original(key: str) -> None:
    space = SPACES[key]
    cs = space.to_configspace(seed=3)
    for config in cs.sample_configuration(40):
        space.validate(_plain(config))
    space.validate(_plain(cs.get_default_configuration()))


def test_name_seed_and_order() -> None:
    space = Space({"z": Float(0.0, 1.0), "a": Int(0, 3), "m": Categorical(["p", "q"])})
    cs = space.to_configspace(name="demo", seed=7)
    assert cs.name == "demo"
    assert [_plain(c) for c in cs.sample_configuration(3)] == [
        _plain(c) for c in space.to_configspace(seed=7).sample_configuration(3)
    ]
    assert Space.from_configspace(cs).names == ["z", "a", "m"]


def test_numeric_priors_are_native_and_match_ours() -> None:
    space = SPACES["priors"]
    cs = space.to_configspace()
    u = np.linspace(0.0, 1.0, 11)
    for name in ("x", "lr"):  # float unit spaces coincide, so the densities must agree
        hp = cs[name]
        assert isinstance(hp, CS.NormalFloatHyperparameter)
        assert hp.mu == pytest.approx(space[name].prior)
        np.testing.assert_allclose(hp.pdf_vector(u), space[name].prior_pdf(u), rtol=1e-6)
    n = cs["n"]
    assert isinstance(n, CS.NormalIntegerHyperparameter)
    assert (n.mu, n.sigma) == (2.0, pytest.approx(0.375 * 9))  # unit sigma times 9 steps
    width = cs["width"]  # log int with lower 1: sigma = exp(unit sigma * log width) - 1
    assert isinstance(width, CS.NormalIntegerHyperparameter)
    assert width.sigma == pytest.approx(math.exp(0.1 * (math.log(64.5) - math.log(0.5))) - 1)
    units = cs["units"]  # log int with lower > 1: no normal is narrow enough, a beta is used
    assert isinstance(units, CS.BetaIntegerHyperparameter)
    assert units.default_value == 128
    assert cs["act"].weights == pytest.approx((2 / 15, 2 / 15, 11 / 15))  # 1/3 + 0.6 * 2/3
    assert cs["size"].meta["hyperpilot"]["prior"] == 4


def test_priors_read_back_from_distributions_alone() -> None:
    space = SPACES["priors"]
    cs = space.to_configspace()
    for hp in cs.values():
        hp.meta = None
    back = Space.from_configspace(cs)
    for name in ("x", "lr", "n", "units", "width", "act"):
        assert back[name].prior == pytest.approx(space[name].prior)
        ours, theirs = back[name].confidence, space[name].confidence
        assert ours == theirs or ours == pytest.approx(theirs, abs=1e-6)
    assert back["size"].prior is None  # ordinal priors live in meta only


def test_defaults_without_meta() -> None:
    cs = SPACES["defaults"].to_configspace()
    for hp in cs.values():
        hp.meta = None
    back = Space.from_configspace(cs)
    assert back["x"].default == pytest.approx(0.3)
    assert back["n"].default == 0
    assert back["act"].default == "b"
    assert back["y"].default == pytest.approx(50.0)


def test_forbidden_default_configuration() -> None:
    space = Space({"a": Categorical(["x", "y"]), "b": Int(0, 3)}, forbidden=[{"a": "x"}])
    cs = space.to_configspace(seed=1)
    assert _plain(cs.get_default_configuration())["a"] == "y"
    back = _round_trip(space)
    assert back.default_config() == {"a": "x", "b": 2}


def test_forbidden_read_natively() -> None:
    space = SPACES["forbidden"]
    cs = space.to_configspace()
    cs.meta = None  # forget the exact record: ConfigSpace sorts forbidden clauses
    assert set(Space.from_configspace(cs).forbidden) == set(space.forbidden)


def test_float_bounds_that_configspace_rounds() -> None:
    space = Space({"x": Float(1.234567890123456e-8, 0.1, log=True)})
    assert space.to_configspace()["x"].lower != space["x"].low
    _round_trip(space)


def test_configspace_written_by_another_tool() -> None:
    cs = CS.ConfigurationSpace(seed=0)
    algo = CS.CategoricalHyperparameter("algo", ["svm", "tree", "knn"], weights=[1, 1, 2])
    kernel = CS.CategoricalHyperparameter("kernel", ["rbf", "poly"], default_value="poly")
    depth = CS.UniformIntegerHyperparameter("depth", 1, 16, log=True)
    c = CS.NormalFloatHyperparameter("c", mu=1.0, sigma=0.5, lower=0.0, upper=5.0)
    gamma = CS.BetaFloatHyperparameter("gamma", alpha=3, beta=2, lower=1e-4, upper=1.0, log=True)
    trees = CS.NormalIntegerHyperparameter("trees", mu=50, sigma=10, lower=10, upper=110)
    leaf = CS.BetaIntegerHyperparameter("leaf", alpha=1, beta=1, lower=1, upper=9)
    size = CS.OrdinalHyperparameter("size", ["s", "m", "l"], default_value="m")
    fixed = CS.Constant("fixed", "yes")
    rate = CS.UniformFloatHyperparameter("rate", 0.0, 1.0, default_value=0.25)
    cs.add([algo, kernel, depth, c, gamma, trees, leaf, size, fixed, rate])
    cs.add(
        CS.EqualsCondition(kernel, algo, "svm"),
        CS.AndConjunction(
            CS.OrConjunction(CS.EqualsCondition(gamma, kernel, "rbf"),
                             CS.InCondition(gamma, algo, ["knn"])),
            CS.GreaterThanCondition(gamma, c, 0.5),
        ),
        CS.AndConjunction(CS.GreaterThanCondition(leaf, depth, 2),
                          CS.LessThanCondition(leaf, depth, 9)),
        CS.NotEqualsCondition(trees, algo, "svm"),
        CS.OrConjunction(CS.EqualsCondition(fixed, size, "l"),
                         CS.LessThanCondition(fixed, size, "m")),
        CS.ForbiddenAndConjunction(CS.ForbiddenEqualsClause(algo, "knn"),
                                   CS.ForbiddenInClause(size, ["s", "l"])),
        CS.ForbiddenEqualsClause(depth, 16),
    )
    space = Space.from_configspace(cs)

    assert space["algo"] == Categorical(["svm", "tree", "knn"], prior="knn", confidence="low")
    assert space["kernel"] == Categorical(["rbf", "poly"], default="poly",
                                          active_if={"algo": "svm"})
    assert space["depth"] == Int(1, 16, log=True, default=4)  # ConfigSpace's own default
    assert space["c"].prior == 1.0 and space["c"].confidence == pytest.approx(0.8)
    assert space["trees"].prior == 50 and space["trees"].confidence == pytest.approx(
        1 - 2 * 10 / 101
    )
    assert space["gamma"].prior == pytest.approx(1e-4 ** (1 / 3))  # mode 2/3 on the log axis
    assert 0.01 <= space["gamma"].confidence <= 0.99
    assert space["leaf"].prior is None  # beta(1, 1) is uniform
    assert space["size"] == Ordinal(["s", "m", "l"], default="m")
    assert space["fixed"].value == "yes"
    assert space["rate"].default == 0.25
    assert space.conditions("gamma") == (
        (Atom("kernel", "eq", "rbf"), Atom("c", "gt", 0.5)),
        (Atom("algo", "in", ("knn",)), Atom("c", "gt", 0.5)),
    )
    assert space.conditions("leaf") == ((Atom("depth", "gt", 2), Atom("depth", "lt", 9)),)
    assert space.conditions("trees") == ((Atom("algo", "ne", "svm"),),)
    assert space.conditions("fixed") == ((Atom("size", "eq", "l"),), (Atom("size", "lt", "m"),))
    assert set(space.forbidden) == {
        (Atom("algo", "eq", "knn"), Atom("size", "in", ("s", "l"))),
        (Atom("depth", "eq", 16),),
    }
    for config in cs.sample_configuration(50):
        space.validate(_plain(config))
    Space.from_json(space.to_json())  # the same-parent clause survives JSON too
    assert Space.from_json(space.to_json()) == space


def test_forbidden_or_and_greater_equal_clauses() -> None:
    cs = CS.ConfigurationSpace({"a": (0, 10), "b": ["p", "q"]})
    cs.add(CS.ForbiddenAndConjunction(
        CS.ForbiddenEqualsClause(cs["b"], "q"),
        CS.ForbiddenOrConjunction(CS.ForbiddenGreaterThanEqualsClause(cs["a"], 8),
                                  CS.ForbiddenLessThanClause(cs["a"], 2)),
    ))
    space = Space.from_configspace(cs)
    assert set(space.forbidden) == {
        (Atom("b", "eq", "q"), Atom("a", "gt", 8)),
        (Atom("b", "eq", "q"), Atom("a", "eq", 8)),
        (Atom("b", "eq", "q"), Atom("a", "lt", 2)),
    }


def test_unsupported_forbidden_relation() -> None:
    cs = CS.ConfigurationSpace({"lo": (0, 10), "hi": (0, 10)})
    cs.add(CS.ForbiddenLessThanRelation(cs["hi"], cs["lo"]))
    with pytest.raises(SpaceError, match=r"'hi' and 'lo'.*ForbiddenLessThanRelation") as info:
        Space.from_configspace(cs)
    assert "\n" not in str(info.value)


def test_rejected_space_names_the_hyperparameter() -> None:
    space = Space({"flag": Categorical([1, True])})  # distinct for us, equal for ConfigSpace
    with pytest.raises(SpaceError, match=r"hyperparameter 'flag': ConfigSpace rejects it"):
        space.to_configspace()


def test_missing_configspace(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "ConfigSpace" else real(name, *a))
    with pytest.raises(MissingDependencyError, match=r"hyperpilot\[configspace\]"):
        Space({"x": Float(0.0, 1.0)}).to_configspace()
