"""Array-level operations on the encoded unit hypercube, vectorized over rows.

:class:`VectorSpace` wraps a :class:`~hyperpilot.Space` and works on many encoded rows
at once: snapping to valid encodings, evaluating conditions and forbidden combinations,
making neighbours for local search, and prior densities. Model-based optimizers use it so
that no configuration dictionary is built in their inner loops.

A *canonical* row is what :meth:`Space.encode` writes for a configuration: floats in
[0, 1], integers, ordinals and categoricals at the encoded value of their decoded choice,
inactive columns NaN. :meth:`VectorSpace.canonical` maps any row of the unit hypercube to
the canonical row of the configuration that :meth:`Space.decode` makes of it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from hyperpilot.exceptions import SpaceError
from hyperpilot.space._conditions import DNF, Atom
from hyperpilot.space._params import Float, Int, Ordinal, _Choice
from hyperpilot.space._space import Config, Space

_FLOAT, _INT, _CHOICE = 0, 1, 2
_MAX_SAMPLE_ROUNDS = 100

# A compiled atom: given the decoded values of its parent column and the parent's
# activity, return the rows where the atom holds.
_AtomTest = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _choice_table_test(table: np.ndarray) -> _AtomTest:
    def test(index: np.ndarray, active: np.ndarray) -> np.ndarray:
        out: np.ndarray = active & table[index]
        return out

    return test


def _numeric_test(atom: Atom) -> _AtomTest:
    op, ref = atom.op, atom.value

    def test(values: np.ndarray, active: np.ndarray) -> np.ndarray:
        if op == "eq":
            hold = values == ref
        elif op == "ne":
            hold = values != ref
        elif op == "in":
            hold = np.isin(values, np.asarray(ref, dtype=float))
        elif op == "gt":
            hold = values > ref
        else:
            hold = values < ref
        out: np.ndarray = active & hold
        return out

    return test


class VectorSpace:
    """Vectorized view of a :class:`~hyperpilot.Space` on its encoded unit hypercube.

    Columns follow :attr:`Space.names`. Every method takes a 2-d array of rows (a single
    row is promoted) and loops over columns, never over rows.

    * :meth:`snap` rounds integer, ordinal and categorical columns to the encoding of the
      value they decode to and clips everything to [0, 1]; NaN stays NaN.
    * :meth:`canonical` snaps and sets inactive columns to NaN: row by row it equals
      ``space.encode([space.decode(u)])``. A NaN in a column that turns out active stands
      for "no value" and is replaced by the hyperparameter's default.
    * :meth:`active_mask` and :meth:`forbidden_mask` evaluate conditions and forbidden
      combinations on the decoded values, parents before children, exactly as
      :meth:`Space.decode` and :meth:`Space.is_forbidden` do: an atom on an inactive
      parent fails; atoms on a choice parent become a lookup table over the choices; atoms
      on a numeric parent compare the decoded numbers.
    * :meth:`neighbours` makes local-search moves in the mixed space.
    * :meth:`sample` draws canonical, allowed rows; :meth:`prior_logpdf` sums per-column
      log prior densities; :meth:`to_configs` and :meth:`from_configs` convert to and
      from configuration dictionaries.

    Args:
        space: the search space.

    """

    def __init__(self, space: Space) -> None:
        self.space = space
        params = [space[name] for name in space.names]
        d = len(params)
        self._params = params
        self._index = {name: j for j, name in enumerate(space.names)}
        self._kind = np.array(
            [_FLOAT if isinstance(p, Float) else _INT if isinstance(p, Int) else _CHOICE
             for p in params],
            dtype=int,
        )
        n_values = np.zeros(d, dtype=int)
        self._int_low = np.zeros(d)
        self._int_high = np.zeros(d)
        self._edge_lo = np.zeros(d)
        self._edge_hi = np.ones(d)
        self._log = np.zeros(d, dtype=bool)
        for j, p in enumerate(params):
            if isinstance(p, _Choice):
                n_values[j] = len(p.choices)
            elif isinstance(p, Int):
                n_values[j] = int(p.high) - int(p.low) + 1
                self._int_low[j], self._int_high[j] = p.low, p.high
                self._edge_lo[j], self._edge_hi[j] = p._edges()
                self._log[j] = p.log
            elif isinstance(p, Float):
                self._log[j] = p.log
                if p.log:
                    self._edge_lo[j], self._edge_hi[j] = math.log(p.low), math.log(p.high)
                else:
                    self._edge_lo[j], self._edge_hi[j] = p.low, p.high
        #: Per column: number of choices (choice columns), of integers (int columns), or 0.
        self.n_values: np.ndarray = n_values
        #: Float columns (the ones gradient refinement may move).
        self.is_float: np.ndarray = self._kind == _FLOAT
        #: Int columns.
        self.is_int: np.ndarray = self._kind == _INT
        #: Categorical columns (unordered choices with more than one value).
        self.is_categorical: np.ndarray = np.array(
            [isinstance(p, _Choice) and not isinstance(p, Ordinal) and len(p.choices) > 1
             for p in params], dtype=bool,
        )
        #: Ordinal columns (ordered choices).
        self.is_ordinal: np.ndarray = np.array([isinstance(p, Ordinal) for p in params], dtype=bool)
        #: Columns that can take more than one value.
        self.is_movable: np.ndarray = (self._kind != _CHOICE) | (n_values > 1)
        #: Columns whose hyperparameter has a prior.
        self.has_prior: np.ndarray = np.array([p.prior is not None for p in params], dtype=bool)
        self._default_unit = np.array([p.to_unit(p.default_value) for p in params])

        self._choice_cols = np.flatnonzero(self._kind == _CHOICE)
        self._float_cols = np.flatnonzero(self.is_float)
        self._ordinal_cols = np.flatnonzero(self.is_ordinal)
        self._categorical_cols = np.flatnonzero(self.is_categorical)
        self._lin_int_cols = np.flatnonzero((self._kind == _INT) & ~self._log)
        self._log_int_cols = np.flatnonzero((self._kind == _INT) & self._log)
        self._order = self._topological_order()
        self._conditions: list[list[list[tuple[int, _AtomTest]]]] = [
            self._compile(space.conditions(name)) for name in space.names
        ]
        self._forbidden = self._compile(space.forbidden)
        needed = {j for dnf in self._conditions for clause in dnf for j, _ in clause}
        needed |= {j for clause in self._forbidden for j, _ in clause}
        self._needed = sorted(needed)
        self._conditional_order = [j for j in self._order if self._conditions[j]]
        #: Columns that the activity of another column depends on.
        self.is_parent: np.ndarray = np.zeros(d, dtype=bool)
        for dnf in self._conditions:
            for clause in dnf:
                for j, _ in clause:
                    self.is_parent[j] = True

    # ------------------------------------------------------------------ structure
    @property
    def dim(self) -> int:
        """The number of columns."""
        return len(self._params)

    @property
    def names(self) -> list[str]:
        """Hyperparameter names, one per column."""
        return self.space.names

    @property
    def cardinalities(self) -> np.ndarray:
        """Per column: number of choices of a categorical, else 0 (as surrogates expect)."""
        return self.space.cardinalities

    @property
    def has_forbidden(self) -> bool:
        """Whether the space has forbidden combinations."""
        return bool(self._forbidden)

    def _topological_order(self) -> list[int]:
        order: list[int] = []
        done: set[str] = set()

        def visit(name: str) -> None:
            if name in done:
                return
            done.add(name)
            for parent in sorted(self.space.parents(name)):
                visit(parent)
            order.append(self._index[name])

        for name in self.space.names:
            visit(name)
        return order

    def _compile(self, dnf: DNF) -> list[list[tuple[int, _AtomTest]]]:
        out: list[list[tuple[int, _AtomTest]]] = []
        for clause in dnf:
            tests: list[tuple[int, _AtomTest]] = []
            for atom in clause:
                j = self._index[atom.name]
                param = self._params[j]
                if isinstance(param, _Choice):
                    rank = param.index if isinstance(param, Ordinal) and atom.op in (
                        "gt", "lt") else None
                    table = np.array([atom.holds(c, rank) for c in param.choices], dtype=bool)
                    tests.append((j, _choice_table_test(table)))
                else:
                    tests.append((j, _numeric_test(atom)))
            out.append(tests)
        return out

    # ------------------------------------------------------------------ codecs
    def _snap_all(self, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Snap rows without NaN; return the encoding and the decoded values.

        Decoded values are the choice index (choice columns), the integer (int columns) or
        the clipped encoding itself (float columns; see :meth:`_float_value`).
        """
        U = np.clip(U, 0.0, 1.0)
        S = U.copy()
        c = self._choice_cols
        if c.size:
            k = self.n_values[c]
            index = np.minimum(np.floor(U[:, c] * k), k - 1)
            S[:, c] = (index + 0.5) / k
            U[:, c] = index
        for cols, log in ((self._lin_int_cols, False), (self._log_int_cols, True)):
            if cols.size:
                lo, hi = self._edge_lo[cols], self._edge_hi[cols]
                x = lo + U[:, cols] * (hi - lo)
                value = np.clip(np.rint(np.exp(x) if log else x),
                                self._int_low[cols], self._int_high[cols])
                S[:, cols] = ((np.log(value) if log else value) - lo) / (hi - lo)
                U[:, cols] = value
        return S, U

    def _int_value(self, j: int, u: np.ndarray) -> np.ndarray:
        lo, hi = self._edge_lo[j], self._edge_hi[j]
        x = lo + np.clip(u, 0.0, 1.0) * (hi - lo)
        value: np.ndarray = np.clip(np.rint(np.exp(x) if self._log[j] else x),
                                    self._int_low[j], self._int_high[j])
        return value

    def _encode_int(self, j: int, value: np.ndarray) -> np.ndarray:
        lo, hi = self._edge_lo[j], self._edge_hi[j]
        x = np.log(value) if self._log[j] else value
        out: np.ndarray = (x - lo) / (hi - lo)
        return out

    def _float_value(self, j: int, u: np.ndarray) -> np.ndarray:
        p = self._params[j]
        assert isinstance(p, Float)
        lo, hi = self._edge_lo[j], self._edge_hi[j]
        x = lo + u * (hi - lo)
        value: np.ndarray = np.clip(np.exp(x) if self._log[j] else x, float(p.low), float(p.high))
        return value

    # ------------------------------------------------------------------ core pass
    def _as_rows(self, U: np.ndarray) -> np.ndarray:
        U = np.atleast_2d(np.asarray(U, dtype=float))
        if U.ndim != 2 or U.shape[1] != self.dim:
            raise SpaceError(
                f"expected rows with {self.dim} columns (one per hyperparameter), "
                f"got an array of shape {U.shape}"
            )
        return U

    @staticmethod
    def _holds(
        dnf: list[list[tuple[int, _AtomTest]]],
        values: dict[int, np.ndarray],
        active: np.ndarray,
        n: int,
    ) -> np.ndarray:
        out = np.zeros(n, dtype=bool)
        for clause in dnf:
            hold = np.ones(n, dtype=bool)
            for j, test in clause:
                hold &= test(values[j], active[:, j])
            out |= hold
        return out

    def _process(self, U: np.ndarray, forbidden: bool) -> tuple[np.ndarray, np.ndarray]:
        """Return canonical rows and (if asked, else all False) their forbidden mask."""
        U = self._as_rows(U)
        n = U.shape[0]
        nan = np.isnan(U)
        if nan.any():
            U = np.where(nan, self._default_unit[None, :], U)
        S, V = self._snap_all(U)
        values: dict[int, np.ndarray] = {}
        for j in self._needed:
            if self._kind[j] == _CHOICE:
                values[j] = V[:, j].astype(np.intp)
            elif self._kind[j] == _INT:
                values[j] = V[:, j]
            else:
                values[j] = self._float_value(j, V[:, j])
        active = np.ones(U.shape, dtype=bool)
        for j in self._conditional_order:
            active[:, j] = self._holds(self._conditions[j], values, active, n)
        if self._conditional_order:
            S[~active] = np.nan
        bad = np.zeros(n, dtype=bool)
        if forbidden and self._forbidden:
            bad = self._holds(self._forbidden, values, active, n)
        return S, bad

    # ------------------------------------------------------------------ public operations
    def snap(self, U: np.ndarray) -> np.ndarray:
        """Clip to [0, 1] and round discrete columns to their encoded values (NaN kept)."""
        U = self._as_rows(U)
        nan = np.isnan(U)
        out = self._snap_all(np.where(nan, 0.5, U))[0]
        out[nan] = np.nan
        return out

    def canonical(self, U: np.ndarray) -> np.ndarray:
        """Snap and set inactive columns to NaN: ``encode(decode(u))`` for every row."""
        return self._process(U, forbidden=False)[0]

    def active_mask(self, U: np.ndarray) -> np.ndarray:
        """Boolean array: which hyperparameter is active in which row."""
        out: np.ndarray = ~np.isnan(self.canonical(U))
        return out

    def forbidden_mask(self, U: np.ndarray) -> np.ndarray:
        """Boolean vector: which rows decode to a forbidden combination."""
        return self._process(U, forbidden=True)[1]

    def canonical_allowed(self, U: np.ndarray) -> np.ndarray:
        """Canonical rows of *U* with the forbidden ones removed (in one pass)."""
        X, bad = self._process(U, forbidden=True)
        out: np.ndarray = X[~bad]
        return out

    def default_row(self) -> np.ndarray:
        """The canonical row of :meth:`Space.default_config`, shape (1, d)."""
        return self.canonical(self._default_unit[None, :])

    def sample(
        self, n: int, rng: np.random.Generator, *, from_prior: bool = False
    ) -> np.ndarray:
        """Draw *n* canonical, non-forbidden rows, uniformly or from the priors.

        Raises:
            SpaceError: when forbidden combinations reject nearly every draw.

        """
        parts: list[np.ndarray] = []
        have = 0
        for _ in range(_MAX_SAMPLE_ROUNDS):
            if have >= n:
                break
            draw = self.canonical_allowed(
                self.space.sample_unit(max(n - have, 8), rng, from_prior=from_prior)
            )
            parts.append(draw)
            have += draw.shape[0]
        if have < n:
            raise SpaceError(
                "forbidden combinations reject nearly every configuration; "
                f"drew {_MAX_SAMPLE_ROUNDS} rounds and kept {have} of {n}"
            )
        return np.concatenate(parts)[:n] if parts else np.zeros((0, self.dim))

    def prior_logpdf(self, X: np.ndarray) -> np.ndarray:
        """Log prior density of canonical rows; columns without prior or inactive add 0.

        Densities are floored at 1e-300 before the logarithm.
        """
        X = self._as_rows(X)
        out = np.zeros(X.shape[0])
        for j, p in enumerate(self._params):
            if p.prior is None:
                continue
            col = X[:, j]
            act = ~np.isnan(col)
            if act.any():
                out[act] += np.log(np.maximum(p.prior_pdf(col[act]), 1e-300))
        return out

    def to_configs(self, X: np.ndarray) -> list[Config]:
        """Decode rows (canonicalized first) into configuration dictionaries."""
        return [self.space.decode(row) for row in self.canonical(X)]

    def from_configs(self, configs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Encode configurations into canonical rows (inactive columns NaN)."""
        return self.space.encode(configs)

    # ------------------------------------------------------------------ local search
    def neighbours(
        self,
        X: np.ndarray,
        rng: np.random.Generator,
        n_per_point: int = 8,
        scale: float | np.ndarray = 0.05,
        *,
        multi_fraction: float = 0.25,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw neighbours of canonical rows in the mixed space.

        Each neighbour changes one active, movable column of its origin, chosen uniformly:

        * float: a Gaussian step of standard deviation *scale* (unit space), clipped;
        * int: a Gaussian step, snapped; if that gives the same integer, one step up or
          down instead (so small ranges move by one);
        * ordinal: one position up or down;
        * categorical: a different choice, uniformly.

        A share *multi_fraction* of the neighbours also takes a Gaussian step on each other
        active float column with probability 1/2. When a move changes a parent, children
        that become active get a uniform random value; children that become inactive turn
        NaN. Forbidden rows and rows equal to their origin are dropped.

        Args:
            X: canonical rows, shape (m, d).
            rng: the random generator.
            n_per_point: neighbours drawn per row (before dropping).
            scale: step size, a number or one per row of *X*.
            multi_fraction: share of neighbours that move several float columns.

        Returns:
            The neighbours (canonical rows) and, for each, the index of its origin in *X*.

        """
        X = self.canonical(X)
        m, d = X.shape
        count = m * n_per_point
        origin = np.repeat(np.arange(m), n_per_point)
        if count == 0 or d == 0:
            return np.zeros((0, d)), np.zeros(0, dtype=np.intp)
        sigma = np.broadcast_to(np.asarray(scale, dtype=float), (m,))[origin]
        start = X[origin]
        Y = start.copy()
        active = ~np.isnan(Y)
        movable = active & self.is_movable[None, :]
        keys = rng.random((count, d))
        keys[~movable] = -1.0
        primary = np.zeros((count, d), dtype=bool)
        primary[np.arange(count), np.argmax(keys, axis=1)] = True
        primary &= movable
        coin = rng.random((count, d))
        multi = rng.random(count) < multi_fraction

        # floats: Gaussian steps on the primary column, plus others for "multi" rows
        f = self._float_cols
        if f.size:
            move = primary[:, f] | (multi[:, None] & active[:, f] & (coin[:, f] < 0.5))
            r, c = np.nonzero(move)
            c = f[c]
            Y[r, c] = np.clip(Y[r, c] + rng.standard_normal(r.size) * sigma[r], 0.0, 1.0)
        updown = np.where(coin < 0.5, -1.0, 1.0)

        # choices: ordinal one position, categorical another choice
        for cols, ordered in ((self._ordinal_cols, True), (self._categorical_cols, False)):
            if cols.size == 0:
                continue
            k = self.n_values[cols]
            part = Y[:, cols]
            index = np.minimum(np.floor(np.where(np.isnan(part), 0.5, part) * k), k - 1)
            if ordered:
                step = updown[:, cols]
                new = index + step
                new = np.where((new < 0) | (new >= k), index - step, new)
            else:
                new = np.mod(index + 1 + np.floor(coin[:, cols] * (k - 1)), k)
            Y[:, cols] = np.where(primary[:, cols], (new + 0.5) / k, part)

        # ints: Gaussian step, falling back to one step when it stays on the same integer
        for j in np.flatnonzero(self.is_int):
            rows = np.flatnonzero(primary[:, j])
            if rows.size == 0:
                continue
            old = self._int_value(int(j), Y[rows, j])
            step = rng.standard_normal(rows.size) * sigma[rows]
            new = self._int_value(int(j), Y[rows, j] + step)
            low, high = self._int_low[j], self._int_high[j]
            one = old + updown[rows, j]
            one = np.where((one < low) | (one > high), old - updown[rows, j], one)
            new = np.where(new == old, one, new)
            Y[rows, j] = self._encode_int(int(j), new)

        empty = np.isnan(Y)
        Y[empty] = rng.random(int(np.count_nonzero(empty)))
        Y, bad = self._process(Y, forbidden=True)
        same = np.all((start == Y) | (np.isnan(Y) & np.isnan(start)), axis=1)
        keep = ~bad & ~same
        return Y[keep], origin[keep]


def rows_in(rows: np.ndarray, reference: np.ndarray, *, atol: float = 1e-9) -> np.ndarray:
    """Tell which *rows* equal some row of *reference* within *atol* per column.

    NaN equals NaN (both inactive) and nothing else. The test sorts a fixed projection of
    the reference rows and compares only rows whose projections lie within tolerance, so
    it costs about ``O((n + m) log m)`` rather than ``O(n m d)``.
    """
    rows = np.atleast_2d(np.asarray(rows, dtype=float))
    reference = np.atleast_2d(np.asarray(reference, dtype=float))
    n = rows.shape[0]
    if n == 0 or reference.size == 0:
        return np.zeros(n, dtype=bool)
    d = rows.shape[1]
    weights = 1.0 + np.mod((np.arange(d) + 1) * 0.6180339887498949, 1.0)
    fill = -3.0
    a = np.where(np.isnan(rows), fill, rows)
    b = np.where(np.isnan(reference), fill, reference)
    pa = a @ weights
    pb = b @ weights
    order = np.argsort(pb, kind="stable")
    sorted_pb = pb[order]
    slack = atol * weights.sum() * (1.0 + 1e-9) + 1e-12
    left = np.searchsorted(sorted_pb, pa - slack, side="left")
    right = np.searchsorted(sorted_pb, pa + slack, side="right")
    counts = right - left
    out = np.zeros(n, dtype=bool)
    which = np.flatnonzero(counts > 0)
    if which.size == 0:
        return out
    # expand candidate pairs (row, reference) and test them exactly
    per = counts[which]
    pair_rows = np.repeat(which, per)
    offsets = np.arange(per.sum()) - np.repeat(np.cumsum(per) - per, per)
    pair_refs = order[np.repeat(left[which], per) + offsets]
    nan_a = np.isnan(rows[pair_rows])
    nan_b = np.isnan(reference[pair_refs])
    close = np.abs(a[pair_rows] - b[pair_refs]) <= atol
    match = np.all(close & (nan_a == nan_b), axis=1)
    out[pair_rows[match]] = True
    return out
