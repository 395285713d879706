"""πBO: how much a good prior speeds up ``bo``, and how little a misleading one costs.

For each BBOB problem, ``bo`` runs three times per seed on the same function:

* **none**: no prior;
* **good**: a prior at the optimum moved by 1.0 (a tenth of the box's side) in a random
  direction, confidence "medium";
* **misleading**: every coordinate has a prior at the point of the box farthest from the
  optimum (the opposite corner), confidence "medium".

It prints, per problem, the median (over seeds) final regret of each variant after
``--trials`` evaluations, the number of evaluations the good prior needs to reach the
no-prior final regret (its median curve), and the ratio misleading / none of the final
regrets; regrets below 1e-5 count as solved and equal. Targets (issue "BO engine"): good
≤ 20 evaluations on most problems; misleading ≤ 1.5x the no-prior regret.

Run:  python benchmarks/priors.py [--dims 2,5,10] [--seeds 5] [--trials 100]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np

import hyperpilot as hp
from hyperpilot.benchmarks._bbob import BBOBProblem

FUNCTIONS = (1, 7, 8, 10, 15, 21)
SOLVED = 1e-5
"""Regrets below this count as solved (and equal): ratios of tinier numbers are noise."""


def prior_space(problem: BBOBProblem, centre: dict[str, float]) -> hp.Space:
    """The problem's space with a medium-confidence prior at *centre*."""
    return hp.Space({name: hp.Float(-5.0, 5.0, prior=float(np.clip(centre[name], -5, 5)),
                                    confidence="medium")
                     for name in problem.space.names})


def run(problem: BBOBProblem, space: hp.Space, seed: int, trials: int) -> np.ndarray:
    """Regret after each evaluation (best so far minus the optimum)."""
    optimum = problem.optimum["value"]
    study = hp.create_study(space=space, storage="memory", seed=seed,
                            optimizer=hp.BayesianOptimizer(n_trials=trials))
    study.optimize(lambda c: problem.evaluate(c)["value"], n_trials=trials,
                   show_progress=False)
    values = np.array([t.value for t in study.trials], dtype=float)
    return np.minimum.accumulate(values) - optimum


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", default="2,5,10")
    parser.add_argument("--functions", default=",".join(map(str, FUNCTIONS)))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=100)
    args = parser.parse_args(argv)
    rows = []
    for dim in (int(d) for d in args.dims.split(",")):
        for function in (int(f) for f in args.functions.split(",")):
            problem = BBOBProblem(function, dim)
            optimum = problem.optimal_config
            curves: dict[str, list[np.ndarray]] = {"none": [], "good": [], "misleading": []}
            for seed in range(args.seeds):
                rng = np.random.default_rng(seed)
                direction = rng.normal(size=dim)
                direction /= np.linalg.norm(direction)
                good = {n: optimum[n] + direction[i] for i, n in enumerate(problem.space.names)}
                bad = {n: -5.0 if optimum[n] > 0 else 5.0 for n in problem.space.names}
                print(f"  {problem.name} seed {seed}", file=sys.stderr, flush=True)
                curves["none"].append(run(problem, problem.space, seed, args.trials))
                curves["good"].append(run(problem, prior_space(problem, good), seed,
                                          args.trials))
                curves["misleading"].append(run(problem, prior_space(problem, bad), seed,
                                                args.trials))
            median = {k: np.maximum(np.median(np.vstack(v), axis=0), SOLVED)
                      for k, v in curves.items()}
            target = median["none"][-1]
            reached = np.nonzero(median["good"] <= target)[0]
            needed = int(reached[0]) + 1 if reached.size else None
            ratio = median["misleading"][-1] / target if target > 0 else float("nan")
            rows.append((problem.name, median["none"][-1], median["good"][-1],
                         median["misleading"][-1], needed, ratio))
    print(f"\nπBO with `bo`, {args.trials} evaluations, median over {args.seeds} seeds\n")
    print("| problem | regret, no prior | regret, good prior | regret, misleading prior "
          "| evaluations the good prior needs to match no-prior@end | misleading / none |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, none, good, bad, needed, ratio in rows:
        shown = "never" if needed is None else str(needed)
        print(f"| {name} | {none:.3g} | {good:.3g} | {bad:.3g} | {shown} | {ratio:.2f} |")
    within = sum(1 for r in rows if r[4] is not None and r[4] <= 20)
    robust = sum(1 for r in rows if not r[5] > 1.5)
    print(f"\ngood prior matches the no-prior result within 20 evaluations on {within} of "
          f"{len(rows)} problems; misleading prior within 1.5x on {robust} of {len(rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
