from __future__ import annotations

import numpy as np
import pytest

import hyperpilot as hp
from hyperpilot.exceptions import SpaceError
from hyperpilot.space._vectorized import VectorSpace, rows_in


def flat_space() -> hp.Space:
    return hp.Space(
        {
            "lin": hp.Float(-2.0, 3.0),
            "log": hp.Float(1e-5, 1e-1, log=True, prior=1e-3),
            "int": hp.Int(-3, 4),
            "ilog": hp.Int(1, 1000, log=True),
            "ilog_low": hp.Int(2, 9, log=True),
            "cat": hp.Categorical(["a", "b", 3, None, True]),
            "ord": hp.Ordinal([1, 2, 4, 8, 16], prior=4, confidence="high"),
            "const": hp.Constant("v"),
        }
    )


def conditional_space() -> hp.Space:
    return hp.Space(
        {
            "model": hp.Categorical(["svm", "tree", "net"]),
            "kernel": hp.Categorical(["rbf", "poly", "lin"], active_if={"model": "svm"}),
            "gamma": hp.Float(1e-4, 10.0, log=True, active_if={"kernel": ["rbf", "poly"]}),
            "degree": hp.Int(2, 5, active_if=[{"kernel": "poly"}, {"model": "tree"}]),
            # nested on a numeric parent with gt
            "coef0": hp.Float(0.0, 1.0, active_if={"gamma": hp.gt(0.1)}),
            "depth": hp.Int(1, 20, active_if={"model": "tree"}),
            "min_leaf": hp.Int(1, 10, active_if=[["depth", "gt", 3], ["depth", "lt", 15]]),
            "layers": hp.Ordinal([1, 2, 3, 4], active_if={"model": "net"}),
            "width": hp.Int(8, 512, log=True, active_if={"layers": hp.gt(2)}),
            "dropout": hp.Float(0.0, 0.5, active_if={"layers": hp.lt(3), "model": hp.ne("svm")}),
            "act": hp.Categorical(["relu", "tanh"], active_if={"width": hp.isin([8, 9, 10])}),
            "eq_int": hp.Float(0.0, 1.0, active_if={"degree": 3}),
        }
    )


def forbidden_space() -> hp.Space:
    return hp.Space(
        {
            "opt": hp.Categorical(["adam", "sgd"]),
            "layers": hp.Int(1, 8),
            "momentum": hp.Float(0.0, 0.99, active_if={"opt": "sgd"}),
            "nesterov": hp.Categorical([True, False], active_if={"momentum": hp.gt(0.5)}),
            "width": hp.Ordinal([32, 64, 128, 256]),
        },
        forbidden=[
            {"opt": "adam", "layers": [7, 8]},
            {"width": hp.gt(64), "momentum": hp.lt(0.3)},
            {"nesterov": True, "width": 32},
        ],
    )


def bool_choice_space() -> hp.Space:
    # Python equality makes 1 == True == 1.0; conditions follow Space's own semantics
    return hp.Space(
        {
            "c": hp.Categorical([1, True, "1", 2.0]),
            "x": hp.Float(0.0, 1.0, active_if={"c": True}),
            "y": hp.Float(0.0, 1.0, active_if={"c": hp.ne(2)}),
        }
    )


SPACES = [flat_space, conditional_space, forbidden_space, bool_choice_space]


def random_rows(space: hp.Space, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    U = rng.random((n, len(space)))
    # exact edges, bin boundaries and values outside [0, 1]
    U[: n // 10] = rng.choice([0.0, 1.0, 0.5, 0.25, 0.75, -0.2, 1.3], size=(n // 10, len(space)))
    return U


def nan_equal(a: np.ndarray, b: np.ndarray, atol: float = 1e-12) -> bool:
    same_nan = np.array_equal(np.isnan(a), np.isnan(b))
    return bool(same_nan and np.allclose(np.nan_to_num(a, nan=-9), np.nan_to_num(b, nan=-9), atol=atol, rtol=0))


@pytest.mark.parametrize("make", SPACES)
def test_canonical_equals_encode_of_decode(make) -> None:  # type: ignore[no-untyped-def]
    space = make()
    vs = VectorSpace(space)
    U = random_rows(space, 600, 1)
    expected = np.vstack([space.encode([space.decode(u)]) for u in U])
    assert nan_equal(vs.canonical(U), expected)
    # canonical rows are a fixed point
    X = vs.canonical(U)
    assert nan_equal(vs.canonical(X), X)


@pytest.mark.parametrize("make", SPACES)
def test_active_and_forbidden_masks_match_space(make) -> None:  # type: ignore[no-untyped-def]
    space = make()
    vs = VectorSpace(space)
    U = random_rows(space, 600, 2)
    configs = [space.decode(u) for u in U]
    active = np.array([[name in c for name in space.names] for c in configs])
    assert np.array_equal(vs.active_mask(U), active)
    forbidden = np.array([space.is_forbidden(c) for c in configs])
    assert np.array_equal(vs.forbidden_mask(U), forbidden)
    allowed = vs.canonical_allowed(U)
    assert nan_equal(allowed, vs.canonical(U)[~forbidden])


def test_conditional_space_exercises_every_branch() -> None:
    space = conditional_space()
    vs = VectorSpace(space)
    active = vs.active_mask(random_rows(space, 3000, 3))
    # every conditional hyperparameter is active somewhere and inactive somewhere
    for j, name in enumerate(space.names[1:], start=1):
        assert 0 < active[:, j].sum() < len(active), name


def test_forbidden_space_has_forbidden_rows() -> None:
    vs = VectorSpace(forbidden_space())
    mask = vs.forbidden_mask(random_rows(forbidden_space(), 1000, 4))
    assert 0.1 < mask.mean() < 0.9


def test_nested_activity_by_hand() -> None:
    space = conditional_space()
    vs = VectorSpace(space)
    svm_rbf = space.encode([{"model": "svm", "kernel": "rbf", "gamma": 1.0, "coef0": 0.5}])
    tree = space.encode([{"model": "tree", "degree": 3, "depth": 5, "min_leaf": 4, "eq_int": 0.1}])
    net = space.encode([{"model": "net", "layers": 3, "width": 9, "act": "relu"}])
    net2 = space.encode([{"model": "net", "layers": 2, "dropout": 0.1}])
    X = np.vstack([svm_rbf, tree, net, net2])
    for config in vs.to_configs(X):
        assert space.validate(config) == config
    assert nan_equal(vs.canonical(X), X)
    names = space.names
    active = vs.active_mask(X)
    assert {n for n, a in zip(names, active[0], strict=True) if a} == {"model", "kernel", "gamma", "coef0"}
    assert {n for n, a in zip(names, active[1], strict=True) if a} == {
        "model", "degree", "depth", "min_leaf", "eq_int"}
    assert {n for n, a in zip(names, active[2], strict=True) if a} == {"model", "layers", "width", "act"}
    assert {n for n, a in zip(names, active[3], strict=True) if a} == {"model", "layers", "dropout"}
    # depth outside (3, 15) switches min_leaf off (a clause of two atoms on one parent)
    shallow = vs.canonical(np.where(np.arange(len(names)) == names.index("depth"), 0.0, X[1]))
    assert np.isnan(shallow[0, names.index("min_leaf")])
    # a NaN in a column that is active becomes the default
    row = X[2:3].copy()
    row[0, names.index("layers")] = np.nan
    layers = vs.canonical(row)[0, names.index("layers")]
    assert layers == space["layers"].to_unit(space["layers"].default_value)


def test_snap_rounds_discrete_columns_and_keeps_nan() -> None:
    space = flat_space()
    vs = VectorSpace(space)
    U = random_rows(space, 200, 5)
    U[0, 0] = np.nan
    S = vs.snap(U)
    assert np.isnan(S[0, 0])
    expected = vs.canonical(np.where(np.isnan(U), 0.5, U))
    assert nan_equal(S[1:], expected[1:])
    assert np.all((S[1:] >= 0) & (S[1:] <= 1))


def test_bad_shape_is_reported() -> None:
    vs = VectorSpace(flat_space())
    with pytest.raises(SpaceError, match="expected rows with 8 columns"):
        vs.canonical(np.zeros((3, 2)))


@pytest.mark.parametrize("make", SPACES)
def test_neighbours_are_canonical_allowed_and_new(make) -> None:  # type: ignore[no-untyped-def]
    space = make()
    vs = VectorSpace(space)
    rng = np.random.default_rng(6)
    X = vs.sample(40, rng)
    Y, origin = vs.neighbours(X, rng, 16, 0.1)
    assert Y.shape[0] > 0.5 * 40 * 16
    assert origin.shape == (Y.shape[0],)
    assert np.all((origin >= 0) & (origin < 40))
    assert nan_equal(vs.canonical(Y), Y)
    assert not vs.forbidden_mask(Y).any()
    differ = ~np.all((X[origin] == Y) | (np.isnan(Y) & np.isnan(X[origin])), axis=1)
    assert differ.all()
    for config in vs.to_configs(Y[:50]):
        assert space.validate(config) == config


def test_neighbours_move_one_discrete_column_and_activate_children() -> None:
    space = hp.Space(
        {
            "a": hp.Categorical(["x", "y", "z"]),
            "b": hp.Ordinal([1, 2, 3, 4, 5]),
            "i": hp.Int(0, 3),
            "child": hp.Float(0.0, 1.0, active_if={"a": "y"}),
        }
    )
    vs = VectorSpace(space)
    rng = np.random.default_rng(7)
    start = space.encode([{"a": "x", "b": 1, "i": 3}])
    Y, _ = vs.neighbours(start, rng, 200, 0.05)
    changed = (start != Y) & ~(np.isnan(Y) & np.isnan(start))
    # one of a, b, i changes (the child follows a)
    assert np.all(changed[:, :3].sum(axis=1) == 1)
    configs = vs.to_configs(Y)
    assert {c["b"] for c in configs} == {1, 2}  # ordinal moves one step (reflected at the end)
    assert {c["i"] for c in configs} == {2, 3}  # small int moves one step
    assert {c["a"] for c in configs} == {"x", "y", "z"}
    children = [c["child"] for c in configs if c["a"] == "y"]
    assert children and all("child" in c for c in configs if c["a"] == "y")
    assert len(set(children)) > 1  # newly active children draw random values


def test_neighbours_per_row_scale_and_no_moves() -> None:
    space = hp.Space({"x": hp.Float(0.0, 1.0), "c": hp.Constant(1)})
    vs = VectorSpace(space)
    rng = np.random.default_rng(8)
    X = np.array([[0.5, 0.5], [0.5, 0.5]])
    Y, origin = vs.neighbours(X, rng, 500, np.array([0.001, 0.2]))
    small = np.abs(Y[origin == 0, 0] - 0.5).max()
    large = np.abs(Y[origin == 1, 0] - 0.5).max()
    assert small < 0.01 < large
    only_constant = VectorSpace(hp.Space({"c": hp.Constant(1)}))
    Y, origin = only_constant.neighbours(np.array([[0.5]]), rng, 10)
    assert Y.shape == (0, 1) and origin.shape == (0,)


def test_sample_to_configs_and_from_configs_round_trip() -> None:
    space = forbidden_space()
    vs = VectorSpace(space)
    X = vs.sample(300, np.random.default_rng(9))
    assert X.shape == (300, len(space))
    assert not vs.forbidden_mask(X).any()
    configs = vs.to_configs(X)
    for config in configs:
        assert space.validate(config) == config
    assert nan_equal(vs.from_configs(configs), X)
    prior = VectorSpace(flat_space()).sample(500, np.random.default_rng(9), from_prior=True)
    ord_col = flat_space().names.index("ord")
    assert np.mean(np.isclose(prior[:, ord_col], (2 + 0.5) / 5)) > 0.6


def test_sample_gives_up_when_everything_is_forbidden() -> None:
    space = hp.Space({"a": hp.Categorical(["x"])}, forbidden=[{"a": "x"}])
    with pytest.raises(SpaceError, match="reject nearly every configuration"):
        VectorSpace(space).sample(3, np.random.default_rng(0))


def test_default_row() -> None:
    space = conditional_space()
    row = VectorSpace(space).default_row()
    assert nan_equal(row, space.encode([space.default_config()]))


@pytest.mark.parametrize("make", [flat_space, forbidden_space])
def test_prior_logpdf_matches_space(make) -> None:  # type: ignore[no-untyped-def]
    space = make()
    vs = VectorSpace(space)
    X = vs.canonical(random_rows(space, 200, 10))
    assert np.allclose(vs.prior_logpdf(X), np.log(space.prior_pdf(X)))


def test_rows_in_handles_nan_and_tolerance() -> None:
    ref = np.array([[0.1, np.nan, 0.5], [0.2, 0.3, 0.4]])
    rows = np.array(
        [
            [0.1, np.nan, 0.5],
            [0.1 + 5e-10, np.nan, 0.5 - 5e-10],
            [0.1, 0.3, 0.5],  # NaN differs from a number
            [0.2, 0.3, 0.4 + 1e-6],
            [0.2, 0.3, 0.4],
        ]
    )
    assert rows_in(rows, ref).tolist() == [True, True, False, False, True]
    assert rows_in(rows, np.zeros((0, 3))).tolist() == [False] * 5
    rng = np.random.default_rng(11)
    big = rng.random((2000, 6))
    big[big < 0.2] = np.nan
    inside = rows_in(big, big[::3])
    assert inside[::3].all() and inside.sum() == len(big[::3])
