"""The mathematics of the benchmark report: regret, hypervolume, ranks and tests.

Everything here works on plain numbers and arrays in *minimization form* (a maximized
objective is negated first), so it is independent of the results file.

Normalized regret (single objective). For a problem with optimum ``f*`` and reference
value ``f_ref``, the normalized regret of a value ``f`` is

    r(f) = max(f - f*, 0) / (f_ref - f*)

``f*`` is the problem's known optimum (BBOB: exact); without one it is the best value
observed on that problem in the whole results file, over every run and the reference
sample (an *empirical* optimum, so adding optimizers can shift it). ``f_ref`` is the
median of the problem's reference sample - uniform random configurations evaluated once -
or, without a reference sample, the median of every value observed on the problem. So
``r = 0`` is the optimum, ``r = 1`` is as good as a typical random configuration, and the
scale is comparable across problems. A degenerate scale (``f_ref <= f*``) is taken as 1.

Normalized hypervolume regret (several objectives). The regret of a set of points is
``1 - HV(points) / HV_best``, where ``HV_best`` is the hypervolume of every point observed
on the problem (all runs and the reference sample): 0 matches the best combined front,
1 adds no volume at all. The reference point bounding the volume is, per objective, the
larger of the problem's reference point and the median of the reference sample (uniform
random configurations) moved 10 % further from the best observed value; so a front that
beats a typical random configuration in every objective counts even when the problem's
reference point (usually set around the true Pareto front) is out of reach for the budget.
The hypervolume and that reference point are computed by :mod:`hyperpilot._pareto`.

Ranks are taken per problem on the mean over seeds (ties share the average rank); an
optimizer with no finished run on a problem ranks last there. The Wilcoxon signed-rank
test compares two optimizers paired over problems; the Friedman test with the Nemenyi
critical difference (Demšar, 2006) compares all of them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

CHECKPOINTS: tuple[int, ...] = (25, 50, 100, 200)
"""Evaluations after which the report states the normalized regret."""

REGRET_FLOOR = 1e-12
"""Regret shown on a log axis is at least this (an exact optimum would be 0)."""


# ---------------------------------------------------------------------- single objective
def best_so_far(values: Sequence[float | None], costs: Sequence[float] | np.ndarray | None = None,
                counted: Sequence[bool] | np.ndarray | None = None, n: int | None = None,
                ) -> np.ndarray:
    """The best (lowest) value after 1, 2, ..., *n* units of cost.

    Args:
        values: minimization-form values in evaluation order (``None``/NaN: failed).
        costs: the cost of each evaluation in full-budget units (default 1 each).
        counted: which evaluations may become the incumbent (default all); multi-fidelity
            runs count only their full-budget evaluations.
        n: the grid length (default: the total cost, rounded).

    Returns:
        An array of length *n*; NaN where nothing counted has been evaluated yet.

    """
    v = np.array([np.nan if x is None else float(x) for x in values], dtype=float)
    if counted is not None:
        v = np.where(np.asarray(counted, dtype=bool), v, np.nan)
    running = np.fmin.accumulate(v) if len(v) else v
    return on_cost_grid(running, costs, n)


def on_cost_grid(trace: np.ndarray, costs: Sequence[float] | np.ndarray | None = None,
                 n: int | None = None) -> np.ndarray:
    """Resample a per-evaluation *trace* at 1, 2, ..., *n* units of cumulative cost.

    Entry ``x`` holds the trace after the last evaluation whose cumulative cost is at most
    ``x`` (NaN before the first). Without *costs* every evaluation costs one unit.
    """
    trace = np.asarray(trace, dtype=float)
    c = np.ones(len(trace)) if costs is None else np.asarray(costs, dtype=float)
    spent = np.cumsum(c)
    if n is None:
        n = int(np.rint(spent[-1])) if len(spent) else 0
    done = np.searchsorted(spent, np.arange(1, n + 1) + 1e-9, side="right")
    out = np.full(n, np.nan)
    has = done > 0
    out[has] = trace[done[has] - 1]
    return out


def regret_scale(optimum: float | None, observed: np.ndarray,
                 reference: np.ndarray | None) -> tuple[float, float]:
    """``(f*, f_ref - f*)`` for the normalized regret (see the module docstring).

    Args:
        optimum: the known optimum in minimization form, or ``None``.
        observed: every value observed on the problem (minimization form; NaN ignored).
        reference: the reference sample's values, or ``None``.

    """
    seen = observed[np.isfinite(observed)]
    ref = reference[np.isfinite(reference)] if reference is not None else np.array([])
    pool = np.concatenate([seen, ref])
    if optimum is not None and math.isfinite(optimum):
        f_star = float(optimum)
    elif len(pool):
        f_star = float(np.min(pool))
    else:
        f_star = 0.0
    middle = ref if len(ref) else seen
    f_ref = float(np.median(middle)) if len(middle) else f_star + 1.0
    scale = f_ref - f_star
    return f_star, (scale if scale > 0 and math.isfinite(scale) else 1.0)


def normalized_regret(values: np.ndarray, f_star: float, scale: float) -> np.ndarray:
    """``max(values - f*, 0) / scale``; NaN stays NaN."""
    out: np.ndarray = np.maximum(np.asarray(values, dtype=float) - f_star, 0.0) / scale
    return out


# ---------------------------------------------------------------------- ranks and tests
def plural(count: int, noun: str) -> str:
    """``1 problem``, ``2 problems``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def rank_scores(scores: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """Rank optimizers within each problem (1 = lowest score; ties share the mean rank).

    A NaN score (no finished run) ranks last, tied with other NaNs; a problem on which no
    optimizer has a score is left out.
    """
    from scipy.stats import rankdata

    out: dict[str, dict[str, float]] = {}
    for problem, by_optimizer in scores.items():
        names = list(by_optimizer)
        if not any(math.isfinite(by_optimizer[n]) for n in names):
            continue
        values = [by_optimizer[n] if math.isfinite(by_optimizer[n]) else math.inf
                  for n in names]
        ranks = rankdata(values, method="average")
        out[problem] = {n: float(r) for n, r in zip(names, ranks, strict=True)}
    return out


def mean_ranks(ranks: Mapping[str, Mapping[str, float]],
               groups: Mapping[str, str] | None = None) -> dict[str, dict[str, float]]:
    """Mean rank of each optimizer per group of problems (e.g. family) and ``"overall"``."""
    sums: dict[str, dict[str, list[float]]] = {}
    for problem, by_optimizer in ranks.items():
        keys = ["overall"] if groups is None else [groups.get(problem, "?"), "overall"]
        for key in keys:
            bucket = sums.setdefault(key, {})
            for name, rank in by_optimizer.items():
                bucket.setdefault(name, []).append(rank)
    return {key: {n: float(np.mean(v)) for n, v in bucket.items()}
            for key, bucket in sums.items()}


@dataclass
class PairedTest:
    """A Wilcoxon signed-rank test of two optimizers' scores paired over problems."""

    first: str
    second: str
    n: int
    first_better: int
    second_better: int
    ties: int
    statistic: float = math.nan
    p_value: float = math.nan
    note: str = ""

    def summary(self) -> str:
        """One sentence stating the outcome."""
        head = (f"Wilcoxon signed-rank, {self.first} vs {self.second} over "
                f"{plural(self.n, 'problem')}: "
                f"{self.first} better on {self.first_better}, {self.second} on "
                f"{self.second_better}, tied on {self.ties}")
        if math.isnan(self.p_value):
            return f"{head}; {self.note}" if self.note else head
        verdict = "significant" if self.p_value < 0.05 else "not significant"
        text = f"{head}; W = {self.statistic:g}, p = {self.p_value:.3g} ({verdict} at 0.05)"
        return f"{text}; {self.note}" if self.note else text


def wilcoxon(first: str, second: str, scores: Mapping[str, Mapping[str, float]]
             ) -> PairedTest:
    """Test whether *first* and *second* differ, paired over problems where both scored."""
    from scipy import stats

    pairs = [(s[first], s[second]) for s in scores.values()
             if first in s and second in s and math.isfinite(s[first])
             and math.isfinite(s[second])]
    a = np.array([p[0] for p in pairs], dtype=float)
    b = np.array([p[1] for p in pairs], dtype=float)
    test = PairedTest(first, second, len(pairs), int(np.sum(a < b)), int(np.sum(b < a)),
                      int(np.sum(a == b)))
    if len(pairs) == 0:
        test.note = "no problem where both finished"
    elif test.ties == len(pairs):
        test.p_value, test.note = 1.0, "identical on every problem"
    else:
        result = stats.wilcoxon(a, b, zero_method="wilcox")
        test.statistic, test.p_value = float(result.statistic), float(result.pvalue)
        if len(pairs) - test.ties < 6:
            test.note = "fewer than 6 untied problems: p < 0.05 is out of reach"
    return test


@dataclass
class FriedmanTest:
    """Friedman's test over problems with every optimizer scored, and Nemenyi's CD."""

    n_problems: int
    mean_ranks: dict[str, float]
    statistic: float = math.nan
    p_value: float = math.nan
    critical_difference: float = math.nan
    groups: list[list[str]] = field(default_factory=list)

    def summary(self) -> str:
        """One sentence stating the outcome."""
        if math.isnan(self.p_value):
            return (f"Friedman test: needs at least 3 optimizers and 2 problems where all "
                    f"finished (have {len(self.mean_ranks)} and {self.n_problems})")
        verdict = "differ" if self.p_value < 0.05 else "do not differ significantly"
        return (f"Friedman test over {self.n_problems} problems: chi2 = {self.statistic:.3g}, "
                f"p = {self.p_value:.3g} (the optimizers {verdict} at 0.05); Nemenyi "
                f"critical difference of mean ranks = {self.critical_difference:.3g}")


def friedman_nemenyi(scores: Mapping[str, Mapping[str, float]], optimizers: Sequence[str],
                     alpha: float = 0.05) -> FriedmanTest:
    """Friedman's test and the Nemenyi critical difference on problems where all scored.

    ``groups`` lists the maximal sets of optimizers (by mean rank) whose ranks lie within
    one critical difference: the bars of a critical-difference diagram.
    """
    from scipy import stats

    names = list(optimizers)
    rows = [[s[n] for n in names] for s in scores.values()
            if all(n in s and math.isfinite(s[n]) for n in names)]
    k, n = len(names), len(rows)
    if n == 0:
        return FriedmanTest(0, {})
    ranks = np.array([stats.rankdata(r, method="average") for r in rows])
    means = {name: float(m) for name, m in zip(names, ranks.mean(axis=0), strict=True)}
    test = FriedmanTest(n, means)
    if k < 3 or n < 2:
        return test
    data = np.array(rows)
    if np.all(data == data[:, :1]):
        test.statistic, test.p_value = 0.0, 1.0
    else:
        result = stats.friedmanchisquare(*data.T)
        test.statistic, test.p_value = float(result.statistic), float(result.pvalue)
    q = float(stats.studentized_range.ppf(1 - alpha, k, np.inf)) / math.sqrt(2)
    test.critical_difference = q * math.sqrt(k * (k + 1) / (6.0 * n))
    order = sorted(means, key=lambda m: means[m])
    groups: list[list[str]] = []
    for i, start in enumerate(order):
        members = [m for m in order[i:]
                   if means[m] - means[start] <= test.critical_difference + 1e-12]
        if len(members) > 1 and not any(set(members) <= set(g) for g in groups):
            groups.append(members)
    test.groups = groups
    return test
