"""From the records of a results file to the numbers of the report.

:func:`summarize` keeps the last record of every run (a retried run replaces its failed
record), selects one number of trials (by default the largest in the file), and computes
per problem the normalized regret curves (see ``_stats.py``), the regret at the
checkpoints, the incumbents' validation and test values, then the ranks, the tests and
the optimizers' overhead.

The x axis of every curve is the number of evaluations, or for multi-fidelity problems the
budget spent in units of one full-budget evaluation; only full-budget evaluations can
become the incumbent there.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hyperpilot._pareto import hypervolume, hypervolume_reference, hypervolume_trace
from hyperpilot.benchmarks._stats import (
    CHECKPOINTS,
    FriedmanTest,
    PairedTest,
    friedman_nemenyi,
    mean_ranks,
    normalized_regret,
    on_cost_grid,
    rank_scores,
    regret_scale,
    wilcoxon,
)


@dataclass
class ProblemSummary:
    """The numbers of one problem.

    Attributes:
        metric: ``"regret"`` (single objective) or ``"hypervolume regret"``.
        curves: per optimizer, one row per finished seed of normalized regret on the grid.
        final: per optimizer, the mean over seeds of the regret after ``n_trials``
            (NaN when no run finished).
        at: per optimizer, the mean regret at each checkpoint.
        validation / test: per optimizer, the incumbent's mean raw value of the first
            objective on the tuning seed / on the test seeds (problems with a test split).

    """

    name: str
    family: str
    metric: str
    objective: str
    direction: str
    curves: dict[str, np.ndarray] = field(default_factory=dict)
    final: dict[str, float] = field(default_factory=dict)
    at: dict[str, dict[int, float]] = field(default_factory=dict)
    validation: dict[str, float] = field(default_factory=dict)
    test: dict[str, float] = field(default_factory=dict)
    optimum: float | None = None
    empirical_optimum: bool = False


@dataclass
class Overhead:
    """An optimizer's own time per trial (ask + tell), over its finished runs."""

    median: float
    ranges: dict[str, float]
    per_trial: np.ndarray
    setup: float
    total: float


@dataclass
class Summary:
    """Everything the report shows."""

    n_trials: int
    optimizers: list[str]
    seeds: list[int]
    checkpoints: list[int]
    problems: list[ProblemSummary]
    counts: dict[str, int]
    failed: list[Mapping[str, Any]]
    unsupported: list[Mapping[str, Any]]
    ignored: int
    ranks: dict[str, dict[str, float]]
    mean_ranks: dict[str, dict[str, float]]
    wilcoxon: PairedTest | None
    friedman: FriedmanTest | None
    overhead: dict[str, Overhead]
    versions: dict[str, list[str]]


def _sign(direction: str) -> float:
    return 1.0 if direction == "minimize" else -1.0


def _latest(records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    keyed: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    for r in records:
        if r["kind"] == "run":
            key: tuple[Any, ...] = ("run", r["problem"], r["optimizer"], r["seed"],
                                    r["n_trials"])
        else:
            key = ("reference", r["problem"], r["n_samples"])
        keyed.pop(key, None)  # re-insert: the order of the latest record counts
        keyed[key] = r
    return list(keyed.values())


def _costs(record: Mapping[str, Any]) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per-trial cost in full-budget units and which trials ran at the top budget."""
    budgets = record.get("budgets")
    fidelity = (record.get("problem_info") or {}).get("fidelity")
    if not budgets or not fidelity:
        return None, None
    b = np.asarray(budgets, dtype=float)
    high = float(fidelity["high"])
    charged = record.get("costs")  # continued runs are charged less than their budget
    costs = np.asarray(charged, dtype=float) if charged else np.minimum(b / high, 1.0)
    return costs, b >= high - 1e-9 * max(1.0, abs(high))


def _problem(name: str, runs: Sequence[Mapping[str, Any]], reference: Mapping[str, Any] | None,
             n_trials: int, checkpoints: Sequence[int]) -> ProblemSummary:
    first = runs[0]
    objectives = first["objectives"]
    head = objectives[0]
    multi = len(objectives) > 1
    summary = ProblemSummary(name=name, family=first["family"],
                             metric="hypervolume regret" if multi else "regret",
                             objective=head["name"], direction=head["direction"])
    ok = [r for r in runs if r["status"] == "ok"]
    if multi:
        traces = _hypervolume_regret(ok, reference, objectives)
    else:
        traces = _single_regret(summary, ok, reference, head)
    for record, trace in zip(ok, traces, strict=True):
        costs, _ = _costs(record)
        curve = on_cost_grid(trace, costs, n_trials)
        opt = record["optimizer"]
        summary.curves[opt] = np.vstack([summary.curves[opt], curve]) \
            if opt in summary.curves else curve[None, :]
    for opt in dict.fromkeys(r["optimizer"] for r in runs if r["status"] != "unsupported"):
        curves = summary.curves.get(opt)
        summary.final[opt] = _nanmean(curves[:, -1]) if curves is not None else math.nan
        summary.at[opt] = {c: _nanmean(curves[:, c - 1]) if curves is not None else math.nan
                           for c in checkpoints}
    for opt in summary.final:
        mine = [r for r in ok if r["optimizer"] == opt]
        vals = [r["incumbent"]["values"][head["name"]] for r in mine if r.get("incumbent")]
        tests = [r["test"]["values"][head["name"]] for r in mine if r.get("test")]
        if vals and not multi:
            summary.validation[opt] = _nanmean(np.array(vals, dtype=float))
        if tests:
            summary.test[opt] = _nanmean(np.array(tests, dtype=float))
    return summary


def _nanmean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(np.mean(finite)) if len(finite) else math.nan


def _single_regret(summary: ProblemSummary, ok: Sequence[Mapping[str, Any]],
                   reference: Mapping[str, Any] | None,
                   head: Mapping[str, str]) -> list[np.ndarray]:
    sign = _sign(head["direction"])
    name = head["name"]
    bests: list[np.ndarray] = []
    observed: list[np.ndarray] = []
    for record in ok:
        values = np.array([np.nan if v is None else sign * v for v in record["values"][name]],
                          dtype=float)
        _, counted = _costs(record)
        if counted is not None:
            values = np.where(counted, values, np.nan)
        observed.append(values)
        bests.append(np.fmin.accumulate(values) if len(values) else values)
    ref = None
    if reference is not None and reference.get("status") == "ok":
        ref = np.array([np.nan if v is None else sign * v
                        for v in reference["values"].get(name, [])], dtype=float)
    known = (ok[0].get("problem_info") or {}).get("optimum") if ok else None
    optimum = sign * float(known[name]) if known and known.get(name) is not None else None
    pool = np.concatenate(observed) if observed else np.array([])
    f_star, scale = regret_scale(optimum, pool, ref)
    summary.optimum = sign * f_star
    summary.empirical_optimum = optimum is None
    return [normalized_regret(best, f_star, scale) for best in bests]


def _hypervolume_regret(ok: Sequence[Mapping[str, Any]], reference: Mapping[str, Any] | None,
                        objectives: Sequence[Mapping[str, str]]) -> list[np.ndarray]:
    signs = np.array([_sign(o["direction"]) for o in objectives])
    names = [o["name"] for o in objectives]

    def points(values: Mapping[str, Sequence[float | None]]) -> np.ndarray:
        columns = [[np.nan if v is None else float(v) for v in values.get(n, [])]
                   for n in names]
        length = min((len(c) for c in columns), default=0)
        table: np.ndarray = np.array([c[:length] for c in columns], dtype=float)
        out: np.ndarray = table.T.reshape(length, len(names)) * signs
        return out

    per_run: list[np.ndarray] = []
    for record in ok:
        pts = points(record["values"])
        _, counted = _costs(record)
        if counted is not None:
            pts[~counted] = np.nan
        per_run.append(pts)
    pool = list(per_run)
    sample = None
    if reference is not None and reference.get("status") == "ok":
        sample = points(reference["values"])
        pool.append(sample)
    everything = np.vstack(pool) if pool else np.zeros((0, len(names)))
    given = (ok[0].get("reference_point") if ok else None) or (
        reference.get("reference_point") if reference else None)
    ref_point = hypervolume_reference(
        everything, sample, np.array([float(given[n]) for n in names]) * signs
        if given else None)
    best = hypervolume(everything, ref_point)
    out: list[np.ndarray] = []
    for pts in per_run:
        trace = hypervolume_trace(pts, ref_point)
        out.append(1.0 - trace / best if best > 0 else np.full(len(trace), np.nan))
    return out


def _overhead(runs: Sequence[Mapping[str, Any]], n_trials: int) -> dict[str, Overhead]:
    edges = [0, *[c for c in CHECKPOINTS if c < n_trials], n_trials]
    out: dict[str, Overhead] = {}
    by_opt: dict[str, list[Mapping[str, Any]]] = {}
    for r in runs:
        if r["status"] == "ok" and r.get("overhead"):
            by_opt.setdefault(r["optimizer"], []).append(r)
    for opt, mine in by_opt.items():
        longest = max(len(r["overhead"]) for r in mine)
        table = np.full((len(mine), longest), np.nan)
        for i, r in enumerate(mine):
            table[i, : len(r["overhead"])] = r["overhead"]
        ranges = {}
        for lo, hi in itertools.pairwise(edges):
            block = table[:, lo:hi]
            finite = block[np.isfinite(block)]
            ranges[f"{lo + 1}-{hi}"] = float(np.median(finite)) if len(finite) else math.nan
        all_values = table[np.isfinite(table)]
        with np.errstate(all="ignore"):
            per_trial = np.nanmedian(table, axis=0)
        out[opt] = Overhead(
            median=float(np.median(all_values)) if len(all_values) else math.nan,
            ranges=ranges, per_trial=per_trial,
            setup=float(np.median([r.get("setup_seconds", 0.0) for r in mine])),
            total=float(np.median([sum(r["overhead"]) for r in mine])),
        )
    return out


def summarize(records: Iterable[Mapping[str, Any]], *, n_trials: int | None = None
              ) -> Summary:
    """Compute the report's numbers from the records of a results file.

    Args:
        records: as read by :func:`~hyperpilot.benchmarks._records.read_records`.
        n_trials: which runs to report (default: the largest number of trials present);
            runs with another number are counted in ``ignored``.

    Raises:
        ValueError: when there is no run record, or none with *n_trials*.

    """
    latest = _latest(records)
    runs_all = [r for r in latest if r["kind"] == "run"]
    if not runs_all:
        raise ValueError("the results hold no run records")
    present = sorted({int(r["n_trials"]) for r in runs_all})
    chosen = present[-1] if n_trials is None else n_trials
    if chosen not in present:
        raise ValueError(f"no runs with {chosen} trials; the results hold {present}")
    runs = [r for r in runs_all if int(r["n_trials"]) == chosen]
    references = {r["problem"]: r for r in latest if r["kind"] == "reference"}
    optimizers: list[str] = []
    for r in runs:
        if r["optimizer"] not in optimizers:
            optimizers.append(r["optimizer"])
    checkpoints = [c for c in CHECKPOINTS if c <= chosen]
    if chosen not in checkpoints:
        checkpoints.append(chosen)
    by_problem: dict[str, list[Mapping[str, Any]]] = {}
    for r in runs:
        by_problem.setdefault(r["problem"], []).append(r)
    problems = [_problem(name, rs, references.get(name), chosen, checkpoints)
                for name, rs in by_problem.items()]
    scores = {p.name: dict(p.final) for p in problems}
    ranks = rank_scores(scores)
    families = {p.name: p.family for p in problems}
    means = mean_ranks(ranks, families)
    order = sorted(means.get("overall", {}), key=lambda o: means["overall"][o])
    test = wilcoxon(order[0], order[1], scores) if len(order) >= 2 else None
    friedman = friedman_nemenyi(scores, order) if len(order) >= 2 else None
    counts = {s: sum(1 for r in runs if r["status"] == s) for s in ("ok", "failed",
                                                                      "unsupported")}
    failed = [r for r in runs if r["status"] == "failed"]
    failed += [r for r in references.values() if r.get("status") == "failed"]
    versions: dict[str, list[str]] = {}
    for r in runs:
        for package, version in (r.get("versions") or {}).items():
            if version and version not in versions.setdefault(package, []):
                versions[package].append(version)
    return Summary(
        n_trials=chosen, optimizers=optimizers, seeds=sorted({int(r["seed"]) for r in runs}),
        checkpoints=checkpoints, problems=problems, counts=counts, failed=failed,
        unsupported=[r for r in runs if r["status"] == "unsupported"],
        ignored=len(runs_all) - len(runs), ranks=ranks, mean_ranks=means, wilcoxon=test,
        friedman=friedman, overhead=_overhead(runs, chosen), versions=versions,
    )
