"""Acquisition maximization on the encoded space: candidates, local search, refinement.

The maximizer knows nothing of surrogates: it maximizes a vectorized ``score(X)`` over
canonical rows of a :class:`~hyperpilot.space._vectorized.VectorSpace` (conditions
applied, inactive columns NaN). ``score`` only ever sees canonical rows that are not
forbidden, and only such rows are returned; ``score_grad`` sees canonical rows whose float
columns L-BFGS-B moves, which may fall into a forbidden combination (such results are
dropped).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from hyperpilot._describe import call_repr
from hyperpilot.exceptions import OptimizerError
from hyperpilot.space._vectorized import VectorSpace, rows_in

Score = Callable[[np.ndarray], np.ndarray]
"""Scores canonical rows (n, d) -> (n,); higher is better."""

ScoreGrad = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
"""Scores canonical rows and returns the gradient with respect to the rows, (n,), (n, d)."""

PriorSampler = Callable[[int, np.random.Generator], np.ndarray]
"""Draws ``n`` rows of the unit hypercube from the prior (canonicalized afterwards)."""


def _sobol(d: int, n: int, rng: np.random.Generator) -> np.ndarray:
    from scipy.stats import qmc

    try:
        engine = qmc.Sobol(d=d, scramble=True, rng=rng)
    except TypeError:  # SciPy < 1.15 names the argument ``seed``
        engine = qmc.Sobol(d=d, scramble=True, seed=rng)
    m = math.ceil(math.log2(max(n, 1)))
    points: np.ndarray = engine.random_base2(m)[:n]
    return points


def _scores(score: Score, X: np.ndarray) -> np.ndarray:
    if X.shape[0] == 0:
        return np.zeros(0)
    values = np.asarray(score(X), dtype=float).ravel()
    if values.shape[0] != X.shape[0]:
        raise OptimizerError(
            f"acquisition maximizer: score returned {values.shape[0]} values "
            f"for {X.shape[0]} rows"
        )
    return np.where(np.isnan(values), -np.inf, values)


class AcquisitionMaximizer:
    """Maximize a vectorized score over the mixed, conditional encoded space.

    One call of :meth:`maximize` runs four stages, every one batched:

    1. **Candidates**, scored in one call: ``n_sobol`` scrambled-Sobol points (default
       2048, or 4096 when the space has more than 10 columns); ``n_prior`` draws from
       ``prior_sampler`` when one is given; ``n_perturb`` Gaussian perturbations
       (``perturb_scale`` in unit space, on every non-categorical column) of the first
       ``perturb_incumbents`` incumbents; and the first ``n_incumbent_starts``
       incumbents themselves. All are canonicalized; forbidden rows are dropped.
    2. **Starts**: the best candidate, ``n_roulette`` more drawn without replacement with
       probability proportional to ``score - min(score)``, and the first
       ``n_incumbent_starts`` incumbents. Rows in ``exclude`` are never picked by score.
    3. **Local search** from all starts in lock-step: each step draws ``n_neighbours``
       neighbours per live start (:meth:`VectorSpace.neighbours`, step ``step_scale``)
       and scores all of them in one call. A start moves to its best neighbour when that
       scores at least as well (ties walk a plateau). A start that does not strictly
       improve counts a stall, and when the best neighbour was worse it halves its step
       (down to ``min_step``); it stops after ``patience`` stalls in a row. The search
       ends when every start has stopped or after ``max_steps`` steps. Neighbours equal to
       excluded rows score minus infinity.
    4. **Refinement**, only when ``score_grad`` is given: L-BFGS-B (SciPy, at most
       ``refine_iters`` iterations, bounds [0, 1]) on the sum of the scores of the best
       ``n_refine`` distinct rows found so far, moving only their active float columns
       that are no condition's parent, so activity cannot change. Refined rows are
       canonicalized, forbidden ones dropped and the rest rescored.

    Every scored row goes into a pool; the result is the ``n`` best distinct rows of the
    pool that are not in ``exclude`` (equal within 1e-9 per column, NaN equal to NaN).
    Scores that are NaN count as minus infinity. All randomness comes from the ``rng``
    given to :meth:`maximize`, so a seeded call is reproducible.

    Args:
        n_sobol: number of Sobol candidates (``None``: 2048, or 4096 above 10 columns).
        n_prior: number of candidates drawn from the prior sampler.
        n_perturb: number of perturbed incumbents.
        perturb_incumbents: how many of the first incumbents are perturbed.
        perturb_scale: standard deviation of the perturbations (unit space).
        n_roulette: local-search starts drawn in proportion to their score.
        n_incumbent_starts: how many of the first incumbents also start a local search.
        n_neighbours: neighbours per start and step (``None``: ``4 d`` within [16, 64]).
        step_scale: initial Gaussian step of the local search (unit space).
        min_step: smallest step after halving.
        patience: steps without strict improvement before a start stops.
        max_steps: cap on local-search steps.
        n_refine: rows refined by L-BFGS-B when ``score_grad`` is given.
        refine_iters: L-BFGS-B iteration cap.

    """

    def __init__(
        self,
        *,
        n_sobol: int | None = None,
        n_prior: int = 256,
        n_perturb: int = 256,
        perturb_incumbents: int = 5,
        perturb_scale: float = 0.05,
        n_roulette: int = 8,
        n_incumbent_starts: int = 2,
        n_neighbours: int | None = None,
        step_scale: float = 0.05,
        min_step: float = 0.005,
        patience: int = 3,
        max_steps: int = 20,
        n_refine: int = 3,
        refine_iters: int = 100,
    ) -> None:
        self.n_sobol = n_sobol
        self.n_prior = n_prior
        self.n_perturb = n_perturb
        self.perturb_incumbents = perturb_incumbents
        self.perturb_scale = perturb_scale
        self.n_roulette = n_roulette
        self.n_incumbent_starts = n_incumbent_starts
        self.n_neighbours = n_neighbours
        self.step_scale = step_scale
        self.min_step = min_step
        self.patience = patience
        self.max_steps = max_steps
        self.n_refine = n_refine
        self.refine_iters = refine_iters

    def to_config(self) -> dict[str, Any]:
        """Describe the settings (stored with the study)."""
        return {"name": type(self).__name__, **vars(self)}

    def __repr__(self) -> str:
        return call_repr(type(self), vars(self))

    # ------------------------------------------------------------------ the call
    def maximize(
        self,
        score: Score,
        vspace: VectorSpace,
        rng: np.random.Generator,
        *,
        n: int = 1,
        incumbents: np.ndarray | None = None,
        exclude: np.ndarray | None = None,
        prior_sampler: PriorSampler | None = None,
        score_grad: ScoreGrad | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return the ``n`` best distinct rows found and their scores, best first.

        Args:
            score: vectorized score of canonical rows; higher is better.
            vspace: the encoded space.
            rng: source of all randomness.
            n: how many rows to return.
            incumbents: canonical rows of good evaluated configurations, best first.
            exclude: canonical rows that must not be returned (the evaluated ones).
            prior_sampler: draws rows from the prior, ``prior_sampler(n, rng)``.
            score_grad: score and its gradient, for continuous refinement.

        Returns:
            Canonical, non-forbidden rows (at most ``n``, fewer only when the space has
            fewer distinct non-excluded configurations to offer) and their scores.

        """
        if n < 1:
            raise OptimizerError(f"acquisition maximizer: n must be at least 1, got {n!r}")
        d = vspace.dim
        excl = np.zeros((0, d)) if exclude is None else np.atleast_2d(
            np.asarray(exclude, dtype=float))
        inc = np.zeros((0, d)) if incumbents is None or len(incumbents) == 0 else (
            vspace.canonical_allowed(np.atleast_2d(np.asarray(incumbents, dtype=float))))
        if excl.shape[0] and excl.shape[1] != d:
            raise OptimizerError(
                f"acquisition maximizer: exclude has {excl.shape[1]} columns, the space {d}"
            )
        if d == 0:
            return np.zeros((0, 0)), np.zeros(0)

        cand, cand_s, n_inc = self._candidates(score, vspace, rng, inc, prior_sampler)
        pool_x, pool_s = [cand], [cand_s]
        starts = self._starts(cand, cand_s, rng, n_inc, excl)
        if starts.size:
            lx, ls = self._local_search(
                score, vspace, rng, cand[starts], cand_s[starts], excl
            )
            pool_x.extend(lx)
            pool_s.extend(ls)
        if score_grad is not None and self.n_refine > 0:
            top, _ = _select(np.vstack(pool_x), np.concatenate(pool_s), excl, self.n_refine)
            refined = self._refine(score_grad, vspace, top)
            if refined.shape[0]:
                pool_x.append(refined)
                pool_s.append(_scores(score, refined))
        return _select(np.vstack(pool_x), np.concatenate(pool_s), excl, n)

    # ------------------------------------------------------------------ stages
    def _candidates(
        self,
        score: Score,
        vspace: VectorSpace,
        rng: np.random.Generator,
        inc: np.ndarray,
        prior_sampler: PriorSampler | None,
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """Return the scored candidates; the last ``n_inc`` rows are incumbent starts."""
        d = vspace.dim
        n_sobol = self.n_sobol if self.n_sobol is not None else (4096 if d > 10 else 2048)
        parts = [_sobol(d, n_sobol, rng)] if n_sobol > 0 else []
        if prior_sampler is not None and self.n_prior > 0:
            parts.append(np.atleast_2d(np.asarray(prior_sampler(self.n_prior, rng), dtype=float)))
        if inc.shape[0] and self.n_perturb > 0 and self.perturb_incumbents > 0:
            top = inc[: self.perturb_incumbents]
            base = top[np.arange(self.n_perturb) % top.shape[0]]
            noise = rng.standard_normal(base.shape) * self.perturb_scale
            noise[:, vspace.is_categorical] = 0.0
            filler = rng.random(base.shape)
            moved = np.clip(base + noise, 0.0, 1.0)
            parts.append(np.where(np.isnan(moved), filler, moved))
        X = vspace.canonical_allowed(np.vstack(parts)) if parts else np.zeros((0, d))
        inc_starts = inc[: max(self.n_incumbent_starts, 0)]
        X = np.vstack([X, inc_starts])
        return X, _scores(score, X), inc_starts.shape[0]

    def _starts(
        self,
        cand: np.ndarray,
        cand_s: np.ndarray,
        rng: np.random.Generator,
        n_inc: int,
        excl: np.ndarray,
    ) -> np.ndarray:
        """Return the indices of the local-search starts among the candidates."""
        n = cand.shape[0]
        picks = [np.arange(n - n_inc, n)]
        eff = np.where(rows_in(cand, excl), -np.inf, cand_s) if excl.shape[0] else cand_s
        finite = np.isfinite(eff)
        if finite.any():
            best = int(np.argmax(eff))
            picks.insert(0, np.array([best]))
            weight = np.where(finite, eff - eff[finite].min(), 0.0)
            weight[best] = 0.0
            k = min(self.n_roulette, int(np.count_nonzero(weight > 0)))
            if k > 0:
                picks.insert(1, rng.choice(n, size=k, replace=False, p=weight / weight.sum()))
            else:
                others = np.flatnonzero(finite)
                others = others[others != best]
                k = min(self.n_roulette, others.size)
                if k > 0:
                    picks.insert(1, rng.choice(others, size=k, replace=False))
        return np.concatenate(picks).astype(np.intp)

    def _local_search(
        self,
        score: Score,
        vspace: VectorSpace,
        rng: np.random.Generator,
        current: np.ndarray,
        current_s: np.ndarray,
        excl: np.ndarray,
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        current = current.copy()
        current_s = current_s.copy()
        k = current.shape[0]
        n_nb = self.n_neighbours or int(np.clip(4 * vspace.dim, 16, 64))
        scale = np.full(k, float(self.step_scale))
        stall = np.zeros(k, dtype=int)
        seen_x: list[np.ndarray] = []
        seen_s: list[np.ndarray] = []
        for _ in range(self.max_steps):
            live = np.flatnonzero(stall < self.patience)
            if live.size == 0:
                break
            Y, origin = vspace.neighbours(current[live], rng, n_nb, scale[live])
            origin = live[origin]
            lonely = np.ones(k, dtype=bool)
            lonely[origin] = False
            stall[live[lonely[live]]] = self.patience
            if Y.shape[0] == 0:
                break
            s = _scores(score, Y)
            if excl.shape[0]:
                s = np.where(rows_in(Y, excl), -np.inf, s)
            seen_x.append(Y)
            seen_s.append(s)
            # best neighbour of every origin: sort by (origin, -score), take the first
            order = np.lexsort((-s, origin))
            first = np.ones(order.size, dtype=bool)
            first[1:] = origin[order][1:] != origin[order][:-1]
            best_rows = order[first]
            who = origin[best_rows]
            best_s = s[best_rows]
            tried = np.zeros(k, dtype=bool)
            tried[live] = True
            better = best_s > current_s[who]
            level = (best_s == current_s[who]) & np.isfinite(best_s)
            move = better | level
            current[who[move]] = Y[best_rows[move]]
            current_s[who[move]] = best_s[move]
            stall[who[better]] = 0
            stalled = tried.copy()
            stalled[who[better]] = False
            stall[stalled] += 1
            worse = tried.copy()
            worse[who[move]] = False
            scale[worse] = np.maximum(scale[worse] * 0.5, self.min_step)
        return seen_x, seen_s

    def _refine(self, score_grad: ScoreGrad, vspace: VectorSpace, top: np.ndarray) -> np.ndarray:
        if top.shape[0] == 0:
            return top
        free = ~np.isnan(top) & vspace.is_float[None, :] & ~vspace.is_parent[None, :]
        if not free.any():
            return np.zeros((0, top.shape[1]))
        from scipy.optimize import minimize

        def objective(z: np.ndarray) -> tuple[float, np.ndarray]:
            rows = top.copy()
            rows[free] = z
            values, grads = score_grad(rows)
            values = np.asarray(values, dtype=float).ravel()
            grads = np.asarray(grads, dtype=float).reshape(rows.shape)
            total = float(values.sum())
            if not math.isfinite(total):
                return math.inf, np.zeros_like(z)
            return -total, -grads[free]

        z0 = top[free]
        result = minimize(
            objective,
            z0,
            jac=True,
            method="L-BFGS-B",
            bounds=[(0.0, 1.0)] * z0.size,
            options={"maxiter": self.refine_iters},
        )
        rows = top.copy()
        rows[free] = np.clip(result.x, 0.0, 1.0)
        return vspace.canonical_allowed(rows)


def _select(
    X: np.ndarray, s: np.ndarray, exclude: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return the ``n`` best distinct rows of ``X`` that are not in ``exclude``."""
    order = np.argsort(-s, kind="stable")
    chosen: list[int] = []
    lo, size = 0, max(4 * n, 64)
    while lo < order.size and len(chosen) < n:
        block = order[lo : lo + size]
        lo, size = lo + size, 2 * size
        if exclude.shape[0]:
            block = block[~rows_in(X[block], exclude)]
        if chosen and block.size:
            block = block[~rows_in(X[block], X[chosen])]
        if block.size == 0:
            continue
        # drop exact repeats inside the block (keeping the best), then near-repeats one by one
        key = np.where(np.isnan(X[block]), -1.0, np.round(X[block] * 1e9))
        _, first = np.unique(key, axis=0, return_index=True)
        for i in block[np.sort(first)]:
            if chosen and rows_in(X[i : i + 1], X[chosen])[0]:
                continue
            chosen.append(int(i))
            if len(chosen) == n:
                break
    return X[chosen].reshape(len(chosen), X.shape[1]), s[chosen]


def maximize(
    score: Score,
    vspace: VectorSpace,
    rng: np.random.Generator,
    *,
    n: int = 1,
    incumbents: np.ndarray | None = None,
    exclude: np.ndarray | None = None,
    prior_sampler: PriorSampler | None = None,
    score_grad: ScoreGrad | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Maximize *score* with the default :class:`AcquisitionMaximizer` settings."""
    return AcquisitionMaximizer().maximize(
        score, vspace, rng, n=n, incumbents=incumbents, exclude=exclude,
        prior_sampler=prior_sampler, score_grad=score_grad,
    )
