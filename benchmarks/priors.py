"""πBO: how much a good prior speeds up ``bo``, and how little a misleading one costs.

For each BBOB problem, ``bo`` runs three times per seed on the same function:

* **none**: no prior;
* **good**: a prior at the optimum moved by 1.0 (a tenth of the box's side) in a random
  direction;
* **misleading**: every coordinate has a prior at the point of the box farthest from the
  optimum (the opposite corner).

Good and misleading priors have the same confidence, and each confidence named by
``--confidence`` gets its own table ("medium": a normal with a standard deviation of a
quarter of the range; "high": an eighth).

It prints, per problem, the median (over seeds) final regret of each variant after
``--trials`` evaluations, the number of evaluations the good prior needs to reach the
no-prior final regret (its median curve), and the ratio misleading / none of the final
regrets; regrets below 1e-5 count as solved and equal. Targets (issue "BO engine"): good
≤ 20 evaluations on most problems; misleading ≤ 1.5x the no-prior regret.

Run:  python benchmarks/priors.py [--dims 2,5,10] [--seeds 5] [--trials 100]
                                  [--confidence medium,high] [--jobs 2] [--out FILE.json]
                                  [--load FILE.json] [--figure FILE.svg]
                                  [--option KEY=VALUE ...]  (BayesianOptimizer arguments)
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np

import hyperpilot as hp
from hyperpilot.benchmarks._bbob import BBOBProblem
from hyperpilot.benchmarks._figures import pyplot, save_svg
from hyperpilot.benchmarks._runner import limit_threads

FUNCTIONS = (1, 7, 8, 10, 15, 21)
SOLVED = 1e-5
"""Regrets below this count as solved (and equal): ratios of tinier numbers are noise."""


def prior_space(problem: BBOBProblem, centre: dict[str, float],
                confidence: str | float) -> hp.Space:
    """The problem's space with a prior at *centre* of the given confidence."""
    return hp.Space({name: hp.Float(-5.0, 5.0, prior=float(np.clip(centre[name], -5, 5)),
                                    confidence=confidence)
                     for name in problem.space.names})


Task = tuple[int, int, int, str, "str | float", int, dict[str, Any]]
"""function, dimension, seed, variant, confidence, trials, optimizer options."""


def run(task: Task) -> np.ndarray:
    """Regret after each evaluation (best so far minus the optimum) of one run."""
    function, dim, seed, variant, confidence, trials, options = task
    limit_threads()
    logging.getLogger("hyperpilot").setLevel(logging.WARNING)
    problem = BBOBProblem(function, dim)
    optimum = problem.optimal_config
    rng = np.random.default_rng(seed)
    direction = rng.normal(size=dim)
    direction /= np.linalg.norm(direction)
    space = problem.space
    if variant == "good":
        space = prior_space(problem, {n: optimum[n] + direction[i]
                                      for i, n in enumerate(problem.space.names)}, confidence)
    elif variant == "misleading":
        space = prior_space(problem, {n: -5.0 if optimum[n] > 0 else 5.0
                                      for n in problem.space.names}, confidence)
    study = hp.create_study(space=space, storage="memory", seed=seed,
                            optimizer=hp.BayesianOptimizer(n_trials=trials, **options))
    study.optimize(lambda c: problem.evaluate(c)["value"], n_trials=trials,
                   show_progress=False)
    values = np.array([t.value for t in study.trials], dtype=float)
    return np.minimum.accumulate(values) - problem.optimum["value"]


def _option(text: str) -> tuple[str, Any]:
    key, _, value = text.partition("=")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", default="2,5,10")
    parser.add_argument("--functions", default=",".join(map(str, FUNCTIONS)))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--confidence", default="medium,high",
                        help="prior confidences to compare, comma-separated")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--option", action="append", default=[], type=_option,
                        help="KEY=VALUE passed to BayesianOptimizer (repeatable)")
    parser.add_argument("--out", help="write the regret curves to this JSON file")
    parser.add_argument("--load", metavar="FILE.json",
                        help="report the curves of an earlier --out instead of running")
    parser.add_argument("--figure", metavar="FILE.svg", help="also draw the results")
    args = parser.parse_args(argv)
    options = dict(args.option)
    confidences: list[str | float] = [c if c in ("low", "medium", "high") else float(c)
                                      for c in args.confidence.split(",")]
    problems = [(f, d) for d in (int(x) for x in args.dims.split(","))
                for f in (int(x) for x in args.functions.split(","))]
    if args.load:
        curves = {(r["function"], r["dim"], r["seed"], r["variant"], r["confidence"]):
                  np.array(r["regret"]) for r in json.loads(Path(args.load).read_text())}
    else:
        curves = run_all(problems, confidences, args.seeds, args.trials, options, args.jobs)
    if args.out:
        Path(args.out).write_text(json.dumps(
            [{"function": k[0], "dim": k[1], "seed": k[2], "variant": k[3],
              "confidence": k[4], "regret": v.tolist()} for k, v in curves.items()]),
            encoding="utf-8")
    suffix = f", options {options}" if options else ""
    for confidence in confidences:
        print(f"\nπBO with `bo`, prior confidence {confidence!r}, {args.trials} evaluations, "
              f"median over {args.seeds} seeds{suffix}\n")
        print(table(curves, problems, args.seeds, confidence))
    if args.figure:
        figure(curves, problems, args.seeds, confidences, args.figure)
    return 0


def run_all(problems: Sequence[tuple[int, int]], confidences: Sequence[str | float],
            seeds: int, trials: int, options: dict[str, Any],
            jobs: int) -> dict[tuple[Any, ...], np.ndarray]:
    """Every run, in a process pool; keyed (function, dim, seed, variant, confidence)."""
    tasks: list[Task] = [(f, d, seed, "none", "medium", trials, options)
                         for f, d in problems for seed in range(seeds)]
    tasks += [(f, d, seed, variant, c, trials, options) for c in confidences
              for f, d in problems for seed in range(seeds)
              for variant in ("good", "misleading")]
    curves: dict[tuple[Any, ...], np.ndarray] = {}
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(run, task): task for task in tasks}
        for done, future in enumerate(as_completed(futures), 1):
            f, d, seed, variant, c, _, _ = futures[future]
            curves[(f, d, seed, variant, "-" if variant == "none" else c)] = future.result()
            print(f"  {done}/{len(tasks)} f{f:02d} {d}-D seed {seed} {variant} {c}",
                  file=sys.stderr, flush=True)
    return curves


def medians(curves: dict[tuple[Any, ...], np.ndarray], f: int, d: int, seeds: int,
            confidence: str | float) -> dict[str, np.ndarray]:
    """Per variant, the median regret curve over seeds (floored at :data:`SOLVED`)."""
    out = {}
    for variant in ("none", "good", "misleading"):
        key = "-" if variant == "none" else confidence
        stacked = np.vstack([curves[(f, d, s, variant, key)] for s in range(seeds)])
        out[variant] = np.maximum(np.median(stacked, axis=0), SOLVED)
    return out


def table(curves: dict[tuple[Any, ...], np.ndarray], problems: Sequence[tuple[int, int]],
          seeds: int, confidence: str | float) -> str:
    """The per-problem table for one confidence, with the two counts under it."""
    lines = ["| problem | regret, no prior | regret, good prior | regret, misleading prior "
             "| evaluations the good prior needs to match no-prior@end | misleading / none |",
             "|---|---:|---:|---:|---:|---:|"]
    within = robust = 0
    for f, d in problems:
        median = medians(curves, f, d, seeds, confidence)
        target = median["none"][-1]
        reached = np.nonzero(median["good"] <= target)[0]
        needed = int(reached[0]) + 1 if reached.size else None
        ratio = median["misleading"][-1] / target
        within += needed is not None and needed <= 20
        robust += not ratio > 1.5
        shown = "never" if needed is None else str(needed)
        lines.append(f"| bbob-f{f:02d}-d{d:02d}-i01 | {target:.3g} | {median['good'][-1]:.3g} "
                     f"| {median['misleading'][-1]:.3g} | {shown} | {ratio:.2f} |")
    lines.append(f"\ngood prior matches the no-prior result within 20 evaluations on {within} "
                 f"of {len(problems)} problems; misleading prior within 1.5x on {robust} of "
                 f"{len(problems)}")
    return "\n".join(lines)


def figure(curves: dict[tuple[Any, ...], np.ndarray], problems: Sequence[tuple[int, int]],
           seeds: int, confidences: Sequence[str | float], path: str) -> None:
    """Two panels: how soon each variant reaches the no-prior final regret, and the cost
    of a misleading prior per problem."""
    plt = pyplot()
    palette: list[Any] = list(plt.get_cmap("tab10")(np.arange(10)))
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    styles = {"good": "-", "misleading": ":"}
    ratios: dict[str | float, list[float]] = {}
    for i, confidence in enumerate(confidences):
        color = palette[i % 10]
        reached: dict[str, list[np.ndarray]] = {"good": [], "misleading": []}
        for f, d in problems:
            median = medians(curves, f, d, seeds, confidence)
            for variant in reached:
                reached[variant].append(median[variant] <= median["none"][-1])
            ratios.setdefault(confidence, []).append(
                median["misleading"][-1] / median["none"][-1])
        for variant, rows in reached.items():
            share = np.mean(np.vstack(rows), axis=0)
            left.plot(np.arange(1, len(share) + 1), share, styles[variant], color=color,
                      label=f"{variant} prior, {confidence}")
    none_rows = [medians(curves, f, d, seeds, confidences[0])["none"] for f, d in problems]
    share = np.mean(np.vstack([r <= r[-1] for r in none_rows]), axis=0)
    left.plot(np.arange(1, len(share) + 1), share, "-", color="#777", label="no prior")
    left.axvline(20, color="#bbb", linewidth=1)
    left.set_xlabel("evaluations")
    left.set_ylabel("share of problems at the no-prior result")
    left.set_title("How soon each run reaches the no-prior 100-evaluation regret", fontsize=10)
    left.legend(fontsize=8)
    left.grid(True, alpha=0.3)
    labels = [f"f{f:02d} {d}-D" for f, d in problems]
    x = np.arange(len(problems))
    width = 0.8 / max(len(confidences), 1)
    for i, confidence in enumerate(confidences):
        right.bar(x + i * width, ratios[confidence], width, label=str(confidence),
                  color=palette[i % 10])
    right.axhline(1.5, color="#c00", linewidth=1, label="1.5x")
    right.set_yscale("log")
    right.set_xticks(x + width * (len(confidences) - 1) / 2, labels, rotation=90, fontsize=7)
    right.set_ylabel("misleading / no-prior regret at the end")
    right.set_title("Cost of a misleading prior", fontsize=10)
    right.legend(fontsize=8)
    save_svg(plt, fig, path)


if __name__ == "__main__":
    sys.exit(main())
