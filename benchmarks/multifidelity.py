"""Multi-fidelity optimizers against spent budget: model-based Hyperband and its peers.

Every optimizer runs through the benchmark runner's harness (``hyperpilot.benchmarks``) on
the problems of the ``mf`` suite under the same seeds, until it has spent ``--budget``
full-budget evaluations: a trial at budget ``b`` costs ``b / max`` of one, except that a
training run continued by a pruner to its next rung is charged only the increment.

* ours: ``bohb`` (model-based Hyperband), ``hyperband``, ``asha`` and ``random`` (every
  trial at the full budget);
* peers: ``optuna-tpe-hyperband`` (Optuna's TPE with its ``HyperbandPruner``, one
  continued run per trial) and ``smac-mf`` (SMAC3's ``MultiFidelityFacade``). DEHB and
  NePS are not run: neither installs next to the other peers (see docs/benchmarks.md).

Regret is normalized per problem: ``(f - f*) / (f_ref - f*)`` of the best value found *at
the full budget* so far, with ``f*`` the known optimum (synthetic problems) or the best
full-budget value any run saw (tuning tasks) and ``f_ref`` the median of 100 uniform
random configurations, so 0 is the optimum and 1 a typical random configuration.

It prints the mean normalized regret over problems (each the mean over seeds) at 25 %,
50 % and 100 % of the budget with the mean rank over problems, the final regret per
problem, the Friedman test with Nemenyi's critical difference and Wilcoxon's signed-rank
test of ``bohb`` against each other optimizer (paired over problems, and over
problem-seed runs), and the ratios of ``bohb``'s regret to each peer's. Target (issue
"Multi-fidelity"): ``bohb`` beats ``hyperband``, ``random`` and ``optuna-tpe-hyperband``
and is on par with ``smac-mf``.

Run:  python benchmarks/multifidelity.py [--problems NAMES] [--optimizers NAMES]
          [--seeds 5] [--budget 40] [--jobs 2] [--raw FILE.jsonl] [--out FILE.json]
          [--figure FILE.svg]
      python benchmarks/multifidelity.py --load benchmarks/results/multifidelity.json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hyperpilot.benchmarks._catalog import SUITES, get_problem
from hyperpilot.benchmarks._figures import pyplot, save_svg
from hyperpilot.benchmarks._records import read_records, versions
from hyperpilot.benchmarks._runner import run_benchmark
from hyperpilot.benchmarks._stats import (
    best_so_far,
    friedman_nemenyi,
    normalized_regret,
    rank_scores,
    regret_scale,
    wilcoxon,
)

HERE = Path(__file__).parent
OPTIMIZERS = ("bohb", "hyperband", "random", "asha", "optuna-tpe-hyperband", "smac-mf")
OURS = "bohb"
SHARES = (0.25, 0.5, 1.0)
"""Where on the budget the tables state the regret."""
FLOOR = 1e-6
"""Regrets below this count as solved (and equal) in the ratios."""


# ---------------------------------------------------------------------- from the records
def curves_from_records(records: Sequence[Mapping[str, Any]], budget: int
                        ) -> dict[str, Any]:
    """Per problem, per optimizer and seed, the normalized regret after 1..*budget* units
    of spent budget; and the failed runs."""
    runs = [r for r in records if r["kind"] == "run" and int(r["n_trials"]) == budget]
    references = {r["problem"]: r for r in records
                  if r["kind"] == "reference" and r["status"] == "ok"}
    out: dict[str, Any] = {"problems": {}, "failed": []}
    latest = {(r["problem"], r["optimizer"], r["seed"]): r for r in runs}
    for name in dict.fromkeys(r["problem"] for r in latest.values()):
        mine = [r for r in latest.values() if r["problem"] == name]
        out["failed"] += [f"{name}/{r['optimizer']}/s{r['seed']}: {r['error']}"
                          for r in mine if r["status"] != "ok"]
        ok = [r for r in mine if r["status"] == "ok"]
        if not ok:
            continue
        objective = ok[0]["objectives"][0]
        sign = 1.0 if objective["direction"] == "minimize" else -1.0
        high = float(ok[0]["problem_info"]["fidelity"]["high"])
        traces = {}
        for record in ok:
            values = np.array([np.nan if v is None else sign * v
                               for v in record["values"][objective["name"]]], dtype=float)
            budgets = np.asarray(record["budgets"], dtype=float)
            costs = record.get("costs") or np.minimum(budgets / high, 1.0)
            counted = budgets >= high - 1e-9 * high
            traces[(record["optimizer"], record["seed"])] = (
                best_so_far(list(values), costs, counted, budget), values[counted])
        observed = np.concatenate([t[1] for t in traces.values()])
        reference = references.get(name)
        ref = None if reference is None else np.array(
            [np.nan if v is None else sign * v for v in reference["values"][objective["name"]]],
            dtype=float)
        known = ok[0]["problem_info"].get("optimum")
        optimum = None if not known else sign * float(known[objective["name"]])
        f_star, scale = regret_scale(optimum, observed, ref)
        problem: dict[str, Any] = {"optimum": sign * f_star, "known_optimum": optimum is not None,
                                   "scale": scale, "curves": {}, "test": {}}
        for (optimizer, seed), (best, _) in sorted(traces.items(), key=lambda kv: kv[0][1]):
            regret = normalized_regret(best, f_star, scale)
            problem["curves"].setdefault(optimizer, {})[str(seed)] = [
                None if math.isnan(v) else float(v) for v in regret]
        for record in ok:
            if record.get("test"):  # tuning tasks: the incumbent on held-out data
                problem["test"].setdefault(record["optimizer"], {})[str(record["seed"])] = \
                    float(record["test"]["values"][objective["name"]])
        out["problems"][name] = problem
    return out


# ---------------------------------------------------------------------- the numbers
def regret_at(problem: Mapping[str, Any], optimizer: str, share: float, budget: int
              ) -> dict[str, float]:
    """Per seed, the normalized regret after *share* of the budget (NaN: no full-budget
    result yet)."""
    column = max(1, round(share * budget)) - 1
    return {seed: (math.nan if curve[column] is None else float(curve[column]))
            for seed, curve in problem["curves"].get(optimizer, {}).items()}


def _mean(values: Sequence[float]) -> float:
    """The mean of the finite values to 10 significant digits (so that equal results
    averaged in another order tie), NaN without any."""
    finite = [v for v in values if math.isfinite(v)]
    return float(f"{np.mean(finite):.10g}") if finite else math.nan


def scores(data: Mapping[str, Any], optimizers: Sequence[str], share: float
           ) -> dict[str, dict[str, float]]:
    """Per problem, each optimizer's mean regret over seeds after *share* of the budget."""
    budget = int(data["budget"])
    return {name: {o: _mean(list(regret_at(p, o, share, budget).values())) for o in optimizers
                   if o in p["curves"]}
            for name, p in data["problems"].items()}


def run_scores(data: Mapping[str, Any], optimizers: Sequence[str], share: float
               ) -> dict[str, dict[str, float]]:
    """Per problem-seed run, each optimizer's regret after *share* of the budget."""
    budget = int(data["budget"])
    out: dict[str, dict[str, float]] = {}
    for name, problem in data["problems"].items():
        for optimizer in optimizers:
            for seed, value in regret_at(problem, optimizer, share, budget).items():
                out.setdefault(f"{name}/s{seed}", {})[optimizer] = value
    return out


def anytime_table(data: Mapping[str, Any], optimizers: Sequence[str]) -> str:
    """Mean regret over problems at each share of the budget, and the mean ranks."""
    head = " | ".join(f"regret @{int(s * 100)} %" for s in SHARES)
    ranks_head = " | ".join(f"rank @{int(s * 100)} %" for s in SHARES)
    lines = [f"| optimizer | {head} | {ranks_head} |",
             "|---|" + "---:|" * (2 * len(SHARES))]
    per_share = [scores(data, optimizers, s) for s in SHARES]
    ranks = [rank_scores(s) for s in per_share]
    for optimizer in optimizers:
        regrets = [_mean([p.get(optimizer, math.nan) for p in s.values()]) for s in per_share]
        mean_ranks = [_mean([r[optimizer] for r in rs.values() if optimizer in r])
                      for rs in ranks]
        lines.append(f"| {optimizer} | " + " | ".join(f"{v:.4f}" for v in regrets) + " | "
                     + " | ".join(f"{v:.2f}" for v in mean_ranks) + " |")
    return "\n".join(lines)


def problem_table(data: Mapping[str, Any], optimizers: Sequence[str], share: float = 1.0
                  ) -> str:
    """Per problem, each optimizer's mean regret over seeds (best in bold)."""
    lines = ["| problem | " + " | ".join(optimizers) + " |",
             "|---|" + "---:|" * len(optimizers)]
    for name, by_optimizer in scores(data, optimizers, share).items():
        finite = [v for v in by_optimizer.values() if math.isfinite(v)]
        best = min(finite) if finite else math.nan
        cells = []
        for optimizer in optimizers:
            value = by_optimizer.get(optimizer, math.nan)
            text = "-" if not math.isfinite(value) else f"{value:.3g}"
            cells.append(f"**{text}**" if math.isfinite(value) and value <= best + 1e-12
                         else text)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def test_table(data: Mapping[str, Any], optimizers: Sequence[str]) -> str | None:
    """For tuning tasks: the incumbents' mean held-out test error."""
    rows = {n: p["test"] for n, p in data["problems"].items() if p.get("test")}
    if not rows:
        return None
    lines = ["| problem (test error) | " + " | ".join(optimizers) + " |",
             "|---|" + "---:|" * len(optimizers)]
    for name, by_optimizer in rows.items():
        cells = [f"{_mean(list(by_optimizer[o].values())):.4f}" if o in by_optimizer else "-"
                 for o in optimizers]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def tests_text(data: Mapping[str, Any], optimizers: Sequence[str]) -> str:
    """Friedman and Nemenyi over problems; Wilcoxon of bohb against each other optimizer."""
    final = scores(data, optimizers, 1.0)
    lines = [friedman_nemenyi(final, optimizers).summary()]
    if OURS in optimizers:
        by_run = run_scores(data, optimizers, 1.0)
        for other in optimizers:
            if other == OURS:
                continue
            lines.append("- " + wilcoxon(OURS, other, final).summary())
            lines.append("  - over problem-seed runs: " + wilcoxon(OURS, other, by_run).summary()
                         .split(": ", 1)[1])
    return "\n".join(lines)


def ratio_table(data: Mapping[str, Any], optimizers: Sequence[str]) -> str:
    """Geometric mean over problems of bohb's mean regret over the other's (< 1: bohb
    better), at each share of the budget; regrets below FLOOR count as FLOOR."""
    lines = ["| bohb / peer | " + " | ".join(f"@{int(s * 100)} %" for s in SHARES)
             + " | problems bohb better / worse @100 % |",
             "|---|" + "---:|" * (len(SHARES) + 1)]
    per_share = [scores(data, optimizers, s) for s in SHARES]
    for other in optimizers:
        if other == OURS:
            continue
        cells = []
        for by_problem in per_share:
            logs = [math.log(max(s[OURS], FLOOR) / max(s[other], FLOOR))
                    for s in by_problem.values()
                    if math.isfinite(s.get(OURS, math.nan))
                    and math.isfinite(s.get(other, math.nan))]
            cells.append(f"{math.exp(float(np.mean(logs))):.2f}" if logs else "-")
        final = per_share[-1].values()
        better = sum(max(s[OURS], FLOOR) < max(s[other], FLOOR) for s in final
                     if OURS in s and other in s)
        worse = sum(max(s[OURS], FLOOR) > max(s[other], FLOOR) for s in final
                    if OURS in s and other in s)
        lines.append(f"| {other} | " + " | ".join(cells) + f" | {better} / {worse} |")
    return "\n".join(lines)


def report(data: Mapping[str, Any]) -> str:
    """Every table, as Markdown."""
    optimizers = [o for o in data["optimizers"]
                  if any(o in p["curves"] for p in data["problems"].values())]
    parts = [f"Multi-fidelity: {len(data['problems'])} problems, {len(data['seeds'])} seeds, "
             f"a budget of {data['budget']} full-budget evaluations per run; normalized "
             "regret of the best full-budget value (mean over seeds, then over problems)",
             anytime_table(data, optimizers),
             "Final regret per problem (mean over seeds; best in bold)",
             problem_table(data, optimizers)]
    tests = test_table(data, optimizers)
    if tests:
        parts += ["Held-out test error of the incumbents (tuning tasks)", tests]
    parts += ["Significance (final regret)", tests_text(data, optimizers),
              "Ratios", ratio_table(data, optimizers)]
    if data.get("failed"):
        parts += ["Failed runs", "\n".join(f"- {f}" for f in data["failed"])]
    return "\n\n".join(parts)


# ---------------------------------------------------------------------- the figure
def figure(data: Mapping[str, Any], path: str | Path) -> Path:
    """Mean normalized regret against spent budget: over all problems, then per problem."""
    plt = pyplot()
    optimizers = list(data["optimizers"])
    palette = plt.get_cmap("tab10").colors
    colors = {o: palette[i % len(palette)] for i, o in enumerate(optimizers)}
    names = list(data["problems"])
    columns = 4
    rows = math.ceil((len(names) + 1) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.6 * rows), squeeze=False)
    budget = int(data["budget"])
    x = np.arange(1, budget + 1) / budget
    panels: list[tuple[str, dict[str, np.ndarray]]] = []
    per_problem = {name: _mean_curves(data["problems"][name], optimizers) for name in names}
    overall = {}
    for optimizer in optimizers:
        stacked = [c[optimizer] for c in per_problem.values() if optimizer in c]
        if stacked:  # drawn from where every problem has a full-budget result
            overall[optimizer] = np.mean(np.vstack(stacked), axis=0)
    panels.append((f"mean over {len(names)} problems", overall))
    panels += [(name, per_problem[name]) for name in names]
    for axis, (title, curves) in zip(axes.flat, panels, strict=False):
        for optimizer, curve in curves.items():
            axis.plot(x, np.maximum(curve, FLOOR), label=optimizer, color=colors[optimizer],
                      linewidth=2.0 if optimizer == OURS else 1.2)
        axis.set_yscale("log")
        axis.set_title(title, fontsize=9)
        axis.grid(True, alpha=0.3)
        axis.tick_params(labelsize=7)
    for axis in list(axes.flat)[len(panels):]:
        axis.axis("off")
    axes[0][0].legend(fontsize=7)
    for axis in axes[-1]:
        axis.set_xlabel("spent budget (share)", fontsize=8)
    for row in axes:
        row[0].set_ylabel("normalized regret", fontsize=8)
    fig.suptitle(f"Multi-fidelity: regret against spent budget ({data['budget']} full-budget "
                 f"evaluations, mean over {len(data['seeds'])} seeds)", fontsize=10)
    return save_svg(plt, fig, path)


def _mean_curves(problem: Mapping[str, Any], optimizers: Sequence[str]
                 ) -> dict[str, np.ndarray]:
    """Per optimizer, the mean curve over seeds, from where every seed has a value."""
    out = {}
    for optimizer in optimizers:
        seeds = problem["curves"].get(optimizer)
        if not seeds:
            continue
        stacked = np.array([[np.nan if v is None else v for v in c] for c in seeds.values()],
                           dtype=float)
        out[optimizer] = np.mean(stacked, axis=0)
    return out


# ---------------------------------------------------------------------- main
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", default=",".join(SUITES["mf"]),
                        help="comma-separated problem names (default: the mf suite)")
    parser.add_argument("--optimizers", default=",".join(OPTIMIZERS))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=40,
                        help="full-budget evaluations each run may spend")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--raw", default=str(HERE / "results" / "multifidelity.jsonl"),
                        help="the runner's results file (resumed when it exists)")
    parser.add_argument("--out", default=str(HERE / "results" / "multifidelity.json"))
    parser.add_argument("--figure", default=str(HERE.parent / "docs" / "figures"
                                                / "multifidelity.svg"))
    parser.add_argument("--load", metavar="FILE.json",
                        help="report an earlier --out instead of running")
    args = parser.parse_args(argv)
    if args.load:
        data = json.loads(Path(args.load).read_text(encoding="utf-8"))
    else:
        problems = [get_problem(n) for n in args.problems.split(",")]
        optimizers = args.optimizers.split(",")
        seeds = list(range(args.seeds))
        run_benchmark(problems, optimizers, n_trials=args.budget, seeds=seeds, out=args.raw,
                      jobs=args.jobs)
        records = [r for r in read_records(args.raw)
                   if r["problem"] in {p.name for p in problems}
                   and (r["kind"] == "reference" or (r["optimizer"] in optimizers
                                                     and r["seed"] in seeds))]
        data = {"budget": args.budget, "seeds": seeds, "optimizers": optimizers,
                "versions": versions(), **curves_from_records(records, args.budget)}
        Path(args.out).write_text(json.dumps(data), encoding="utf-8")
    print(report(data))
    if args.figure:
        figure(data, args.figure)
    return 0


if __name__ == "__main__":
    sys.exit(main())
