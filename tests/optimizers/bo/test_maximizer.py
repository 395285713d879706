from __future__ import annotations

import numpy as np
import pytest

import hyperpilot as hp
from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers.bo._maximizer import AcquisitionMaximizer, maximize
from hyperpilot.space._vectorized import VectorSpace, rows_in

MIXED = hp.Space(
    {
        "kind": hp.Categorical(["a", "b", "c"]),
        "x": hp.Float(0.0, 1.0),
        "y": hp.Float(0.0, 1.0, active_if={"kind": ["b", "c"]}),
        "z": hp.Float(0.0, 1.0, active_if={"y": hp.gt(0.5)}),
        "k": hp.Int(1, 10),
        "o": hp.Ordinal([1, 2, 4, 8]),
    },
    forbidden=[{"kind": "a", "k": [9, 10]}, {"kind": "b", "o": 1}],
)


def mixed_score(X: np.ndarray) -> np.ndarray:
    """Maximum 1 at kind=b, x=0.3, y=0.7, z=0.2, k=7, o=4."""
    b = np.isclose(X[:, 0], 0.5)
    y = np.nan_to_num(X[:, 2], nan=0.0)
    z = np.nan_to_num(X[:, 3], nan=0.0)
    k = np.rint(X[:, 4] * 10 + 0.5)
    return (
        0.5 * b
        + 0.5
        - (X[:, 1] - 0.3) ** 2
        - (y - 0.7) ** 2
        - (z - 0.2) ** 2
        - 0.01 * (k - 7) ** 2
        - 0.05 * np.abs(X[:, 5] - 2.5 / 4)
    )


def nan_equal_rows(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def test_finds_the_maximum_on_a_conditional_mixed_space() -> None:
    vs = VectorSpace(MIXED)
    X, s = maximize(mixed_score, vs, np.random.default_rng(0))
    assert X.shape == (1, len(MIXED)) and s.shape == (1,)
    config = vs.to_configs(X)[0]
    assert config["kind"] == "b" and config["k"] == 7 and config["o"] == 4
    assert abs(config["x"] - 0.3) < 0.02 and abs(config["y"] - 0.7) < 0.02
    assert abs(config["z"] - 0.2) < 0.02
    assert s[0] > 1.0 - 1e-3
    assert np.isclose(mixed_score(X)[0], s[0])


def test_refinement_reaches_a_continuous_optimum() -> None:
    space = hp.Space({f"x{i}": hp.Float(0.0, 1.0) for i in range(6)} | {"c": hp.Categorical([1, 2])})
    vs = VectorSpace(space)
    target = np.linspace(0.2, 0.8, 6)

    def score(X: np.ndarray) -> np.ndarray:
        return -np.sum((X[:, :6] - target) ** 2, axis=1) + 0.1 * np.isclose(X[:, 6], 0.75)

    def score_grad(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        grad = np.zeros_like(X)
        grad[:, :6] = -2 * (X[:, :6] - target)
        return score(X), grad

    _, plain = maximize(score, vs, np.random.default_rng(1))
    X, refined = maximize(score, vs, np.random.default_rng(1), score_grad=score_grad)
    assert refined[0] > plain[0]
    assert refined[0] > 0.1 - 1e-8
    assert np.allclose(X[0, :6], target, atol=1e-4) and X[0, 6] == 0.75


def test_never_returns_forbidden_excluded_or_duplicate_rows() -> None:
    space = hp.Space(
        {"a": hp.Categorical(["x", "y", "z"]), "b": hp.Int(0, 3), "c": hp.Ordinal([1, 2])},
        forbidden=[{"a": "x", "b": [0, 1]}, {"a": "z", "c": 2}],
    )
    vs = VectorSpace(space)
    every = vs.canonical(np.array(np.meshgrid(
        (np.arange(3) + 0.5) / 3, (np.arange(4) + 0.5) / 4, (np.arange(2) + 0.5) / 2
    )).reshape(3, -1).T)
    allowed = every[~vs.forbidden_mask(every)]
    assert len(allowed) == 24 - 4 - 4

    def score(X: np.ndarray) -> np.ndarray:  # prefers forbidden corners
        return X[:, 0] * 0 - X[:, 1] + (X[:, 0] < 0.4) * 2.0 + X[:, 2]

    exclude = allowed[:10]
    X, s = maximize(score, vs, np.random.default_rng(2), n=4, exclude=exclude)
    assert X.shape == (4, 3)
    assert not vs.forbidden_mask(X).any()
    assert not rows_in(X, exclude).any()
    assert len({tuple(row) for row in X}) == 4
    assert np.all(np.diff(s) <= 0)
    # only 6 non-excluded configurations exist: asking for 10 gives 6
    X, _ = maximize(score, vs, np.random.default_rng(2), n=10, exclude=exclude)
    assert X.shape == (6, 3)
    assert {tuple(r) for r in X} == {tuple(r) for r in allowed[10:]}
    # everything excluded: nothing to return
    X, s = maximize(score, vs, np.random.default_rng(2), exclude=allowed)
    assert X.shape == (0, 3) and s.shape == (0,)


def test_excluded_rows_with_inactive_columns_are_recognized() -> None:
    vs = VectorSpace(MIXED)
    X1, _ = maximize(mixed_score, vs, np.random.default_rng(3))
    X2, _ = maximize(mixed_score, vs, np.random.default_rng(3), exclude=X1, n=3)
    assert not rows_in(X2, X1).any()
    assert all(not nan_equal_rows(row, X1[0]) for row in X2)


def test_results_are_canonical_and_seeded() -> None:
    vs = VectorSpace(MIXED)
    incumbents = vs.sample(5, np.random.default_rng(4))
    runs = [
        maximize(mixed_score, vs, np.random.default_rng(5), n=3, incumbents=incumbents,
                 exclude=incumbents)
        for _ in range(2)
    ]
    X, s = runs[0]
    assert np.array_equal(X, runs[1][0], equal_nan=True) and np.array_equal(s, runs[1][1])
    assert np.array_equal(vs.canonical(X), X, equal_nan=True)
    assert not vs.forbidden_mask(X).any()
    other, _ = maximize(mixed_score, vs, np.random.default_rng(6), n=3)
    assert not np.array_equal(X, other, equal_nan=True)


def test_local_search_climbs_from_incumbents_to_a_narrow_peak() -> None:
    space = hp.Space({f"x{i}": hp.Float(0.0, 1.0) for i in range(10)})
    vs = VectorSpace(space)
    incumbent = np.full((1, 10), 0.6)
    peak = incumbent[0] + 0.03

    def score(X: np.ndarray) -> np.ndarray:
        return np.exp(-np.sum((X - peak) ** 2, axis=1) / (2 * 0.03**2))

    _, s = maximize(score, vs, np.random.default_rng(7), incumbents=incumbent, exclude=incumbent)
    assert s[0] > 0.5
    _, s_plain = AcquisitionMaximizer(n_perturb=0, n_incumbent_starts=0).maximize(
        score, vs, np.random.default_rng(7))
    assert s_plain[0] < s[0]


def test_prior_sampler_is_used() -> None:
    vs = VectorSpace(MIXED)
    calls: list[int] = []

    def sampler(n: int, rng: np.random.Generator) -> np.ndarray:
        calls.append(n)
        return vs.sample(n, rng, from_prior=True)

    AcquisitionMaximizer(n_prior=64).maximize(mixed_score, vs, np.random.default_rng(8),
                                              prior_sampler=sampler)
    assert calls == [64]


def test_nan_scores_and_bad_arguments() -> None:
    vs = VectorSpace(MIXED)

    def score(X: np.ndarray) -> np.ndarray:
        out = mixed_score(X)
        out[X[:, 1] > 0.5] = np.nan
        return out

    X, s = maximize(score, vs, np.random.default_rng(9))
    assert np.isfinite(s[0]) and X[0, 1] <= 0.5
    with pytest.raises(OptimizerError, match="n must be at least 1"):
        maximize(score, vs, np.random.default_rng(9), n=0)
    with pytest.raises(OptimizerError, match="score returned 1 values"):
        maximize(lambda X: np.zeros(1), vs, np.random.default_rng(9))


def test_settings_are_stored() -> None:
    m = AcquisitionMaximizer(n_sobol=512, max_steps=5)
    assert m.n_sobol == 512 and m.to_config()["max_steps"] == 5
    assert m.to_config()["name"] == "AcquisitionMaximizer"
