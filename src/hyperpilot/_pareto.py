"""Non-domination, hypervolume and constraint violation: the one home of each.

**Convention: minimization.** Every function takes points as rows of an ``(n, m)`` array
of ``m`` objectives *to be minimized*: a maximized objective is negated first (``sign *
value``, see :attr:`~hyperpilot.trial._objectives.Objective.sign`). Row ``a`` *dominates*
row ``b`` when ``a <= b`` in every column and ``a < b`` in at least one; equal rows do not
dominate each other. A row with a NaN is never part of a front and dominates nothing.

* :func:`nondominated_mask`, :func:`pareto_front`, :func:`nondominated_ranks`: which rows
  no other row dominates (``O(n log n)`` for two objectives, blocks of pairwise
  comparisons against the growing front above);
* :func:`violation`, :func:`violations`: by how much a trial exceeds its constraint upper
  bounds in total (the sum of the positive parts; 0 is feasible). A constraint the trial
  did not measure counts as measured at 0.0;
* :func:`feasible_first`, :func:`penalize_infeasible`: feasibility-first ranking (least
  violation first, then the value) as an order, or as one number per row for a model;
* :func:`hypervolume`: the volume dominated by the points and bounded by a reference
  point, exact: a sort and a sweep for two objectives, a sweep along the third objective
  over an incrementally updated two-objective staircase for three (``O(n log n)``
  searches, ``O(n)`` list updates), and slicing along the last objective down to three
  above that (exponential in the number of objectives, as every exact method is);
* :func:`hypervolume_trace`: the hypervolume after each of the first 1, 2, ..., n rows
  (incremental for two objectives, recomputed only when the front changes above);
* :func:`reference_point`, :func:`hypervolume_reference`: choices of the reference point.

This module needs numpy only. The study (Pareto front, ranking), the BO optimizer
(targets of infeasible trials), the benchmark report and the analysis import it; it
imports nothing of hyperpilot at run time.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from hyperpilot.trial._objectives import Constraint

_BLOCK = 256
"""Rows compared at once against the front when there are more than two objectives."""

INFEASIBLE_GAP = 1e-9
"""What :func:`penalize_infeasible` adds so an infeasible row is worse than every feasible one."""


def _points(points: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    """*points* as a float array of shape (n, m)."""
    pts = np.asarray(points, dtype=float)
    if pts.ndim == 1:
        pts = pts.reshape(-1, 1) if pts.size else pts.reshape(0, 0)
    if pts.ndim != 2:
        raise ValueError(f"points must be an (n, m) array, got shape {pts.shape}")
    return pts


# ---------------------------------------------------------------------- non-domination
def _unique_front(rows: np.ndarray) -> np.ndarray:
    """Which rows of *rows* (distinct, finite, in lexicographic order) no other dominates.

    In lexicographic order a row can only be dominated by an earlier one, and a row
    dominated by anything is dominated by a row of the front, so each block of rows is
    compared with the front so far and then within itself.
    """
    n, m = rows.shape
    keep = np.zeros(n, dtype=bool)
    if m == 1:
        keep[0] = n > 0
        return keep
    if m == 2:
        # prefix minimum of the second column over the rows before each one
        before = np.concatenate(([np.inf], np.minimum.accumulate(rows[:-1, 1])))
        keep[:] = before > rows[:, 1]
        return keep
    front = np.zeros((0, m))
    for start in range(0, n, _BLOCK):
        block = rows[start:start + _BLOCK]
        alive = np.ones(len(block), dtype=bool)
        if len(front):
            alive = ~np.any(np.all(front[:, None, :] <= block[None, :, :], axis=2), axis=0)
        candidates = block[alive]
        # rows are distinct, so "<= everywhere" means "dominates"
        beaten = np.all(candidates[:, None, :] <= candidates[None, :, :], axis=2)
        np.fill_diagonal(beaten, False)
        winners = ~beaten.any(axis=0)
        index = np.flatnonzero(alive)[winners]
        keep[start + index] = True
        front = np.vstack((front, candidates[winners]))
    return keep


def nondominated_mask(points: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    """Which rows of *points* (minimization) no other row dominates.

    Equal rows are all kept (none dominates the other); rows with a NaN are never kept.

    Returns:
        A boolean array of shape (n,).

    """
    pts = _points(points)
    mask = np.zeros(len(pts), dtype=bool)
    finite = np.flatnonzero(~np.any(np.isnan(pts), axis=1))
    if finite.size == 0 or pts.shape[1] == 0:
        return mask
    rows, inverse = np.unique(pts[finite], axis=0, return_inverse=True)
    mask[finite] = _unique_front(rows)[inverse.reshape(-1)]
    return mask


def pareto_front(points: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    """The distinct rows of *points* (minimization) that no other row dominates.

    Rows with a NaN are dropped; the front comes in lexicographic order.
    """
    every = _points(points)
    pts: np.ndarray = every[~np.any(np.isnan(every), axis=1)]
    if len(pts) == 0:
        return pts
    rows: np.ndarray = np.unique(pts, axis=0)
    out: np.ndarray = rows[_unique_front(rows)]
    return out


def nondominated_ranks(points: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    """The non-dominated sorting of *points*: 0 for the front, 1 for the front of the rest...

    Rows with a NaN get -1. Two objectives: ``O(n log n)``; more: each front is peeled
    off in turn, so the cost grows with the number of fronts.
    """
    pts = _points(points)
    ranks = np.full(len(pts), -1, dtype=int)
    left = np.flatnonzero(~np.any(np.isnan(pts), axis=1))
    if pts.shape[1] == 2 and left.size:
        rows, inverse = np.unique(pts[left], axis=0, return_inverse=True)
        ranks[left] = _ranks_2d(rows)[inverse.reshape(-1)]
        return ranks
    level = 0
    while left.size:
        front = nondominated_mask(pts[left])
        ranks[left[front]] = level
        left = left[~front]
        level += 1
    return ranks


def _ranks_2d(rows: np.ndarray) -> np.ndarray:
    """Front indices of distinct rows in lexicographic order, two objectives.

    A row is dominated by an earlier row exactly when that row's second value is at most
    its own. Each front's last row has the front's lowest second value, and these lows
    rise from front to front, so a row joins the first front whose low is above its own
    second value: one binary search per row (Jensen, 2003).
    """
    lows: list[float] = []
    out = np.empty(len(rows), dtype=int)
    for i, y in enumerate(rows[:, 1].tolist()):
        k = bisect_right(lows, y)
        if k == len(lows):
            lows.append(y)
        else:
            lows[k] = y
        out[i] = k
    return out


# ---------------------------------------------------------------------- constraints
def violation(measured: Mapping[str, float] | None, constraints: Sequence[Constraint]) -> float:
    """How far *measured* exceeds the constraints' upper bounds in total (0 when feasible).

    The sum over constraints of ``max(0, value - upper)``; a constraint missing from
    *measured* counts as measured at 0.0.
    """
    values = measured or {}
    return sum(max(0.0, values.get(c.name, 0.0) - c.upper) for c in constraints)


def violations(measured: Sequence[Mapping[str, float] | None],
               constraints: Sequence[Constraint]) -> np.ndarray:
    """:func:`violation` of each entry of *measured*, shape (n,)."""
    return np.array([violation(m, constraints) for m in measured], dtype=float)


def feasible_first(values: np.ndarray | Sequence[float],
                   violation: np.ndarray | Sequence[float]) -> np.ndarray:
    """Row indices best first: least violation (feasible = 0) first, then lowest value.

    Ties keep the rows' order. The first index is the best trial as
    :attr:`Study.best_trial` ranks.
    """
    v = np.asarray(values, dtype=float)
    out: np.ndarray = np.lexsort((np.arange(v.size), v, np.asarray(violation, dtype=float)))
    return out


def penalize_infeasible(y: np.ndarray, violation: np.ndarray) -> np.ndarray:
    """Feasibility first as one number per row (lower is better), for a model to fit.

    Feasible rows keep their value; an infeasible row gets the worst feasible value (the
    worst value when nothing is feasible) plus its violation plus :data:`INFEASIBLE_GAP`.
    Without any violation *y* is returned unchanged.
    """
    if not np.any(violation > 0):
        return y
    feasible = violation == 0
    worst = y[feasible].max() if feasible.any() else y.max()
    out: np.ndarray = np.where(feasible, y, worst + violation + INFEASIBLE_GAP)
    return out


# ---------------------------------------------------------------------- hypervolume
def hypervolume(points: np.ndarray | Sequence[Sequence[float]],
                reference: np.ndarray | Sequence[float]) -> float:
    """The volume dominated by *points* (minimization) and bounded by *reference*.

    Exact (see the module's description). Rows with a NaN and rows that do not strictly
    dominate the reference point add nothing.
    """
    ref = np.asarray(reference, dtype=float)
    pts = _points(points)
    if pts.size == 0:
        return 0.0
    pts = pts[np.all(np.isfinite(pts), axis=1) & np.all(pts < ref, axis=1)]
    if len(pts) == 0:
        return 0.0
    return _hv(pareto_front(pts), ref)


def _hv(pts: np.ndarray, ref: np.ndarray) -> float:
    """Hypervolume of a front (distinct, mutually non-dominated rows inside the box)."""
    d = pts.shape[1]
    if d == 1:
        return float(ref[0] - pts[:, 0].min())
    if d == 2:
        p = pts[np.argsort(pts[:, 0], kind="stable")]
        heights = ref[1] - np.minimum.accumulate(p[:, 1])
        widths = np.diff(np.append(p[:, 0], ref[0]))
        return float(np.sum(widths * heights))
    if d == 3:
        return _hv3(pts, ref)
    p = pts[np.argsort(pts[:, -1], kind="stable")]
    total = 0.0
    for i in range(len(p)):
        upper = p[i + 1, -1] if i + 1 < len(p) else ref[-1]
        depth = upper - p[i, -1]
        if depth > 0:
            total += depth * _hv(pareto_front(p[: i + 1, :-1]), ref[:-1])
    return float(total)


class _Staircase:
    """A two-objective front kept sorted (x up, y down) with the area it dominates."""

    def __init__(self, reference: np.ndarray) -> None:
        self.rx, self.ry = float(reference[0]), float(reference[1])
        self.xs: list[float] = []
        self.ys: list[float] = []
        self.area = 0.0

    def add(self, px: float, py: float) -> float:
        """Add a point inside the box; returns the area it adds (0 when dominated)."""
        xs, ys = self.xs, self.ys
        k = bisect_right(xs, px)
        if k and ys[k - 1] <= py:
            return 0.0  # weakly dominated
        j = bisect_left(xs, px)
        end = j
        while end < len(xs) and ys[end] >= py:
            end += 1  # points the new one dominates: a run from j
        x_end = xs[end] if end < len(xs) else self.rx
        # the area over [px, x_end) before: the step left of px, then the removed points
        height = self.ry - ys[j - 1] if j else 0.0
        old = ((xs[j] if j < end else x_end) - px) * height
        for r in range(j, end):
            nxt = xs[r + 1] if r + 1 < end else x_end
            old += (nxt - xs[r]) * (self.ry - ys[r])
        xs[j:end] = [px]
        ys[j:end] = [py]
        gain = (x_end - px) * (self.ry - py) - old
        self.area += gain
        return gain


def _hv3(pts: np.ndarray, ref: np.ndarray) -> float:
    """Three objectives: sweep up the third, adding each point to the staircase below."""
    p = pts[np.argsort(pts[:, 2], kind="stable")]
    upper = np.append(p[1:, 2], ref[2])
    stairs = _Staircase(ref)
    total = 0.0
    for (x, y, z), z_next in zip(p.tolist(), upper.tolist(), strict=True):
        stairs.add(x, y)
        total += stairs.area * (z_next - z)
    return total


def hypervolume_trace(points: np.ndarray | Sequence[Sequence[float]],
                      reference: np.ndarray | Sequence[float], *,
                      at: np.ndarray | Sequence[int] | None = None) -> np.ndarray:
    """The hypervolume of the first 1, 2, ..., n rows of *points* (NaN rows add nothing).

    Two objectives: each row updates a staircase in ``O(log n)`` searches. More: the
    front is kept up to date row by row, and its hypervolume is recomputed only where a
    value is asked for and the front has changed since the last one.

    Args:
        points: the rows in the order they were observed (minimization form).
        reference: the reference point.
        at: prefix lengths (increasing, 1 to n) to report instead of every one; with
            more than two objectives this bounds the number of hypervolumes computed.

    Returns:
        One hypervolume per prefix length: shape (n,), or ``(len(at),)``.

    """
    pts = _points(points)
    ref = np.asarray(reference, dtype=float)
    n = len(pts)
    ends = np.arange(1, n + 1) if at is None else np.asarray(at, dtype=int).reshape(-1)
    if ends.size and (ends[0] < 1 or ends[-1] > n or np.any(np.diff(ends) <= 0)):
        raise ValueError(f"at must be increasing prefix lengths from 1 to {n}, got {ends}")
    out = np.zeros(ends.size)
    inside = np.all(np.isfinite(pts), axis=1) & np.all(pts < ref, axis=1)
    d = pts.shape[1]
    if d == 2:
        stairs = _Staircase(ref)
        row = 0
        for k, end in enumerate(ends.tolist()):
            for i in range(row, end):
                if inside[i]:
                    stairs.add(float(pts[i, 0]), float(pts[i, 1]))
            row = end
            out[k] = stairs.area
        return out
    front = np.zeros((0, d))
    current, changed, row = 0.0, False, 0
    for k, end in enumerate(ends.tolist()):
        for i in range(row, end):
            point = pts[i]
            if inside[i] and not (len(front) and np.any(np.all(front <= point, axis=1))):
                # not weakly dominated: the point dominates whatever it is <= to
                front = np.vstack((front[~np.all(point <= front, axis=1)], point))
                changed = True
        row = end
        if changed:
            current, changed = _hv(front, ref), False
        out[k] = current
    return out


def reference_point(points: np.ndarray | Sequence[Sequence[float]],
                    margin: float = 0.1) -> np.ndarray:
    """A reference point past every finite row: the nadir moved out by *margin* of the range.

    Per objective ``max + margin * (max - min)``; an objective that takes one value moves
    by ``margin * max(|value|, 1)``. Every finite row then adds volume.

    Raises:
        ValueError: when no row is finite.

    """
    pts = _points(points)
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    if len(pts) == 0:
        raise ValueError("reference_point needs at least one finite point, got none")
    low, high = pts.min(axis=0), pts.max(axis=0)
    span = np.where(high > low, high - low, np.maximum(np.abs(high), 1.0))
    out: np.ndarray = high + margin * span
    return out


def hypervolume_reference(observed: np.ndarray, sample: np.ndarray | None = None,
                          given: np.ndarray | None = None) -> np.ndarray:
    """The reference point of the benchmarks' normalized hypervolume regret.

    Per objective, the larger of the problem's own reference point (*given*) and the
    median of the reference sample moved 10 % further from the best observed value; so a
    front that beats a typical random configuration in every objective counts even when
    the problem's reference point is out of reach.

    Args:
        observed: every point observed on the problem (minimization form, NaN rows ignored).
        sample: the reference sample's points; without it, *observed* stands in.
        given: the problem's own reference point (minimization form), if any.

    """
    def finite(a: np.ndarray) -> np.ndarray:
        a = np.atleast_2d(np.asarray(a, dtype=float))
        out: np.ndarray = a[np.all(np.isfinite(a), axis=1)]
        return out

    seen = finite(observed)
    typical = finite(sample) if sample is not None and len(finite(sample)) else seen
    dims = np.atleast_2d(observed).shape[1]
    if len(typical) == 0:
        return np.asarray(given, dtype=float) if given is not None else np.ones(dims)
    median = np.median(typical, axis=0)
    best = np.min(np.vstack([seen, typical]), axis=0)
    spread = np.max(np.vstack([seen, typical]), axis=0) - best
    margin = np.where(median > best, median - best, np.where(spread > 0, spread, 1.0))
    bound: np.ndarray = median + 0.1 * margin
    if given is not None:
        bound = np.maximum(bound, np.asarray(given, dtype=float))
    return bound
