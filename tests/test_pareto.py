"""Non-domination, constraint violation and hypervolume (hyperpilot._pareto): known answers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hyperpilot._pareto import (
    feasible_first,
    hypervolume,
    hypervolume_reference,
    hypervolume_trace,
    nondominated_mask,
    nondominated_ranks,
    pareto_front,
    penalize_infeasible,
    reference_point,
    violation,
    violations,
)
from hyperpilot.trial._objectives import Constraint


def _brute_mask(points: np.ndarray) -> np.ndarray:
    le = np.all(points[:, None, :] <= points[None, :, :], axis=2)  # [q, p]: q <= p
    lt = np.any(points[:, None, :] < points[None, :, :], axis=2)
    beaten = np.any(le & lt, axis=0)
    out: np.ndarray = ~beaten & ~np.any(np.isnan(points), axis=1)
    return out


def _hv_inclusion_exclusion(points: np.ndarray, ref: np.ndarray) -> float:
    total = 0.0
    for size in range(1, len(points) + 1):
        for subset in itertools.combinations(points, size):
            corner = np.max(subset, axis=0)
            total += (-1) ** (size + 1) * float(np.prod(np.clip(ref - corner, 0, None)))
    return total


def _hv_grid(points: np.ndarray, ref: np.ndarray) -> float:
    """Exact for points on an integer grid: count the dominated unit cells."""
    cells = np.stack(np.meshgrid(*[np.arange(0, r) for r in ref.astype(int)], indexing="ij"),
                     axis=-1).reshape(-1, len(ref))
    covered = np.zeros(len(cells), dtype=bool)
    for p in points:
        covered |= np.all(cells >= p, axis=1)
    return float(covered.sum())


# ---------------------------------------------------------------------- non-domination
def test_mask_by_hand_keeps_ties_and_drops_nan() -> None:
    points = np.array([[1.0, 3.0], [2.0, 2.0], [2.0, 2.0], [3.0, 1.0], [2.0, 3.0],
                       [np.nan, 0.0], [1.0, 4.0], [0.5, 5.0]])
    assert nondominated_mask(points).tolist() == [True, True, True, True, False, False, False,
                                                  True]
    assert pareto_front(points).tolist() == [[0.5, 5.0], [1.0, 3.0], [2.0, 2.0], [3.0, 1.0]]


def test_mask_of_one_objective_and_empty_input() -> None:
    assert nondominated_mask(np.array([[2.0], [1.0], [1.0], [3.0]])).tolist() == [
        False, True, True, False]
    assert nondominated_mask(np.zeros((0, 2))).tolist() == []
    assert pareto_front(np.zeros((0, 3))).shape == (0, 3)


@pytest.mark.parametrize("dims", [2, 3, 4])
def test_mask_matches_brute_force(dims: int) -> None:
    rng = np.random.default_rng(dims)
    for _ in range(5):
        # a coarse grid makes ties and equal coordinates common
        points = rng.integers(0, 5, size=(40, dims)).astype(float)
        points[3] = np.nan
        assert nondominated_mask(points).tolist() == _brute_mask(points).tolist()
    many = rng.random((700, dims))  # more than one block of comparisons
    assert nondominated_mask(many).tolist() == _brute_mask(many).tolist()


def test_ranks_peel_the_fronts() -> None:
    points = np.array([[1.0, 1.0], [2.0, 2.0], [1.0, 3.0], [3.0, 3.0], [np.nan, 1.0]])
    assert nondominated_ranks(points).tolist() == [0, 1, 1, 2, -1]


# ---------------------------------------------------------------------- constraints
def test_violation_sums_the_positive_parts() -> None:
    constraints = [Constraint("a", 1.0), Constraint("b", -1.0)]
    assert violation({"a": 3.0, "b": -2.0}, constraints) == 2.0
    assert violation({"a": 3.0, "b": 0.5}, constraints) == 3.5
    assert violation(None, constraints) == 1.0  # missing counts as measured at 0.0
    assert violations([{"a": 0.0, "b": -5.0}, {"a": 2.0}], constraints).tolist() == [0.0, 2.0]


def test_feasible_first_and_the_penalty() -> None:
    values = np.array([3.0, 1.0, 0.0, 2.0, 1.0])
    viol = np.array([0.0, 0.0, 2.0, 0.5, 0.0])
    assert feasible_first(values, viol).tolist() == [1, 4, 0, 3, 2]
    y = penalize_infeasible(values, viol)
    assert y.tolist() == pytest.approx([3.0, 1.0, 5.0 + 1e-9, 3.5 + 1e-9, 1.0])
    assert penalize_infeasible(values, np.zeros(5)) is values
    # nothing feasible: the worst value stands in for the worst feasible one
    assert penalize_infeasible(np.array([1.0, 2.0]), np.array([1.0, 3.0])).tolist() == \
        pytest.approx([3.0, 5.0])


# ---------------------------------------------------------------------- hypervolume
def test_hypervolume_by_hand() -> None:
    assert hypervolume(np.array([[1.0, 2.0], [2.0, 1.0]]), [3.0, 3.0]) == 3.0
    assert hypervolume(np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]]), [2.0, 2.0, 2.0]) == 3.0
    assert hypervolume(np.array([[4.0, 0.0]]), [3.0, 3.0]) == 0.0  # outside the box
    assert hypervolume(np.zeros((0, 2)), [1.0, 1.0]) == 0.0
    assert hypervolume(np.array([[1.0], [0.5]]), [2.0]) == 1.5
    # three slabs of 3 cells and a cube of 8; by inclusion-exclusion 17 - 9 + 4 - 1 = 11
    front = np.array([[0.0, 2.0, 2.0], [2.0, 0.0, 2.0], [2.0, 2.0, 0.0], [1.0, 1.0, 1.0]])
    assert hypervolume(front, [3.0, 3.0, 3.0]) == 11.0
    assert _hv_grid(front, np.array([3.0, 3.0, 3.0])) == 11.0


@pytest.mark.parametrize("dims", [2, 3, 4])
def test_hypervolume_matches_inclusion_exclusion(dims: int) -> None:
    rng = np.random.default_rng(dims)
    for _ in range(5):
        points = rng.random((6, dims))
        ref = np.full(dims, 1.1)
        assert hypervolume(points, ref) == pytest.approx(_hv_inclusion_exclusion(points, ref))


@pytest.mark.parametrize("dims", [2, 3, 4])
def test_hypervolume_matches_a_grid_count(dims: int) -> None:
    rng = np.random.default_rng(10 + dims)
    for _ in range(3):
        points = rng.integers(0, 6, size=(25, dims)).astype(float)  # ties on every axis
        ref = np.full(dims, 6.0)
        assert hypervolume(points, ref) == pytest.approx(_hv_grid(points, ref))


def test_hypervolume_reference_widens_a_tight_box() -> None:
    sample = np.array([[1.0, 9.0], [2.0, 5.0], [3.0, 7.0], [4.0, 3.0], [5.0, 1.0]])
    observed = np.vstack([sample, [[0.5, 0.5]]])
    # median (3, 5), best (0.5, 0.5): bound = median + 10 % of the gap = (3.25, 5.45)
    assert hypervolume_reference(observed, sample).tolist() == pytest.approx([3.25, 5.45])
    assert hypervolume_reference(observed, sample, np.array([1.1, 6.0])).tolist() == \
        pytest.approx([3.25, 6.0])  # the problem's bound where it is looser
    assert hypervolume_reference(observed).tolist() == pytest.approx([2.7, 4.35])


def test_reference_point_lies_past_the_nadir() -> None:
    points = np.array([[0.0, 5.0], [2.0, 3.0], [np.nan, 9.0]])
    assert reference_point(points).tolist() == pytest.approx([2.2, 5.2])
    assert reference_point(np.array([[3.0, -4.0]])).tolist() == pytest.approx([3.3, -3.6])
    with pytest.raises(ValueError, match="finite point"):
        reference_point(np.full((2, 2), np.nan))


def test_hypervolume_trace_grows_with_the_front() -> None:
    rng = np.random.default_rng(0)
    points = rng.random((30, 2))
    points[4] = np.nan
    trace = hypervolume_trace(points, np.array([1.0, 1.0]))
    assert np.all(np.diff(trace) >= -1e-12)
    assert trace[-1] == pytest.approx(hypervolume(points[np.isfinite(points[:, 0])], [1, 1]))


@pytest.mark.parametrize("dims", [1, 2, 3, 4])
def test_hypervolume_trace_matches_every_prefix(dims: int) -> None:
    rng = np.random.default_rng(20 + dims)
    points = rng.integers(0, 5, size=(30, dims)).astype(float)
    points[[2, 7]] = np.nan
    points[9] = 6.0  # outside the box
    ref = np.full(dims, 5.5)
    trace = hypervolume_trace(points, ref)
    expected = [hypervolume(points[: i + 1], ref) for i in range(len(points))]
    assert trace.tolist() == pytest.approx(expected)
    assert hypervolume_trace(np.zeros((0, dims)), ref).shape == (0,)


@pytest.mark.parametrize("dims", [2, 3])
def test_hypervolume_trace_at_checkpoints(dims: int) -> None:
    rng = np.random.default_rng(30 + dims)
    points = rng.random((50, dims))
    ref = np.full(dims, 1.0)
    full = hypervolume_trace(points, ref)
    at = [1, 7, 8, 30, 50]
    assert hypervolume_trace(points, ref, at=at).tolist() == pytest.approx(full[np.array(at) - 1])
    with pytest.raises(ValueError, match="increasing prefix lengths"):
        hypervolume_trace(points, ref, at=[0, 3])


@pytest.mark.parametrize("dims", [2, 3])
def test_ranks_match_peeling_by_brute_force(dims: int) -> None:
    rng = np.random.default_rng(40 + dims)
    points = rng.integers(0, 6, size=(80, dims)).astype(float)
    points[5] = np.nan
    expected = np.full(len(points), -1)
    left = np.flatnonzero(~np.isnan(points[:, 0]))
    level = 0
    while left.size:
        front = _brute_mask(points[left])
        expected[left[front]] = level
        left, level = left[~front], level + 1
    assert nondominated_ranks(points).tolist() == expected.tolist()
