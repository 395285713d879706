"""Model-based optimizers' own time per trial, ours beside SMAC3's and Optuna's, one run.

Every optimizer runs through the benchmark harness (``hyperpilot.benchmarks``), which
times ask + tell for each trial and nothing else. Two kinds of run:

Each cell gives the median and, in brackets, the mean over the ten trials before a mark.
The ratios use the means: SMAC3 refits its model and searches the acquisition function
once every few trials and hands out the batch in between, so its median hides most of its
cost, while the mean is what a trial costs on average.

* **short** (``--short`` trials, default 100) on continuous BBOB problems and on a mixed,
  conditional space: ``bo-gp``, Optuna's GPSampler, SMAC3's black-box facade (GP),
  ``bo-rf``, SMAC3's hyperparameter-optimization facade (RF) and Optuna's TPE. Reported:
  the overhead over trials 90-100.
* **long** (``--long`` trials, default 1,000) for the random-forest models only (``bo-rf``
  and SMAC3's HPO facade), on the 10-D BBOB problem and the mixed space; reported: the
  overhead over trials 90-100, 490-500 and 990-1000.

The mixed space is the MLP task's (solver, activation, layer sizes with conditions, log
floats) with an instant synthetic objective, so that the run measures the optimizers and
not model training. Targets (issue "BO engine"): ``bo-rf`` at least 10x below SMAC3's HPO
facade; ``bo-gp`` no more than Optuna's GPSampler and at least 10x below SMAC3's black-box
facade.

Run:  python benchmarks/model_overhead.py [--short 100] [--long 1000] [--seeds 1]
                                          [--problems bbob-f15-d05-i01,...,mixed]
                                          [--long-problems bbob-f15-d10-i01,mixed]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from hyperpilot.benchmarks._catalog import get_problem
from hyperpilot.benchmarks._problem import Problem
from hyperpilot.benchmarks._runner import limit_threads, make_adapter
from hyperpilot.space._space import Config, Space
from hyperpilot.space._vectorized import VectorSpace
from hyperpilot.trial._objectives import Objective

SHORT = ("bo-gp", "optuna-gp", "smac-bb", "bo-rf", "smac-hpo", "optuna-tpe")
LONG = ("bo-rf", "smac-hpo")
PROBLEMS = ("bbob-f15-d05-i01", "bbob-f15-d10-i01", "bbob-f15-d20-i01", "mixed")
LONG_PROBLEMS = ("bbob-f15-d10-i01", "mixed")


class MixedSynthetic(Problem):
    """The MLP task's conditional space with an instant objective.

    The value is the squared distance, in the unit-cube encoding, from a fixed random point
    (inactive hyperparameters count as 0.5); it has structure for a model to learn and costs
    microseconds.
    """

    family: ClassVar[str] = "synthetic"

    def __init__(self) -> None:
        super().__init__("mixed")
        self._space = get_problem("ml-mlp-digits").space
        self._vspace = VectorSpace(self._space)
        self._target = np.random.default_rng(7).random(self._vspace.dim)

    @property
    def space(self) -> Space:
        """The MLP task's hyperparameters."""
        return self._space

    @property
    def objectives(self) -> tuple[Objective, ...]:
        """One minimized ``value``."""
        return (Objective("value", "minimize"),)

    def evaluate(self, config: Config, *, budget: float | None = None,
                 seed: int = 0) -> dict[str, float]:
        """Squared distance to the hidden point."""
        row = np.nan_to_num(self._vspace.from_configs([config])[0], nan=0.5)
        return {"value": float(np.sum((row - self._target) ** 2))}


def problem_named(name: str) -> Problem:
    return MixedSynthetic() if name == "mixed" else get_problem(name)


def window(overhead: Sequence[float], end: int, how: str) -> float:
    """Median or mean overhead over trials ``end - 10`` to ``end`` (1-based), seconds."""
    part = list(overhead[max(end - 11, 0):end])
    if len(part) < 5:
        return float("nan")
    return float(np.median(part) if how == "median" else np.mean(part))


def measure(optimizer: str, problem: Problem, trials: int, seed: int) -> dict[str, Any]:
    record = make_adapter(optimizer).run(problem, n_trials=trials, seed=seed)
    limit_threads()  # an optimizer may have imported PyTorch during the run
    if record.status != "ok":
        raise SystemExit(f"{optimizer} on {problem.name} failed: {record.error}")
    return {"optimizer": optimizer, "problem": problem.name, "seed": seed, "trials": trials,
            "overhead": record.overhead}


def ms(seconds: float) -> str:
    return "-" if seconds != seconds else f"{1000 * seconds:,.1f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", type=int, default=100)
    parser.add_argument("--long", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--long-problems", default=",".join(LONG_PROBLEMS))
    parser.add_argument("--short-optimizers", default=",".join(SHORT))
    parser.add_argument("--long-optimizers", default=",".join(LONG))
    args = parser.parse_args(argv)
    limit_threads()
    problems = [problem_named(name) for name in args.problems.split(",")]
    runs: list[dict[str, Any]] = []
    plan = [(o, p, args.short) for p in problems for o in args.short_optimizers.split(",")]
    long_problems = [problem_named(name) for name in args.long_problems.split(",")]
    plan += [(o, p, args.long) for p in long_problems for o in args.long_optimizers.split(",")
             if args.long > args.short]
    for optimizer, problem, trials in plan:
        for seed in range(args.seeds):
            start = time.perf_counter()
            runs.append(measure(optimizer, problem, trials, seed))
            print(f"# {optimizer:<10} {problem.name:<18} {trials:>5} trials, seed {seed}: "
                  f"{time.perf_counter() - start:7.1f} s", file=sys.stderr, flush=True)

    print(f"Optimizer overhead per trial in ms: median (mean) over the trials named, "
          f"median over {args.seeds} seed(s); ratios of the means; Python "
          f"{platform.python_version()}, one BLAS thread\n")
    print(short_table(runs, problems, args.short))
    if args.long > args.short:
        print()
        print(long_table(runs, long_problems, args.long))
    return 0


def _window(runs: Sequence[dict[str, Any]], optimizer: str, problem: str,
            trials: int, end: int, how: str) -> float:
    """The median over seeds of :func:`window`."""
    values = [window(r["overhead"], end, how) for r in runs
              if r["optimizer"] == optimizer and r["problem"] == problem
              and r["trials"] == trials]
    return float(np.median(values)) if values else float("nan")


def short_table(runs: Sequence[dict[str, Any]], problems: Sequence[Problem],
                trials: int) -> str:
    optimizers = list(dict.fromkeys(r["optimizer"] for r in runs if r["trials"] == trials))
    end = min(trials, 100)
    lines = [f"Trials {end - 10}-{end} of {trials}-trial runs",
             "",
             "| problem | " + " | ".join(optimizers) + " | bo-gp / optuna-gp "
             "| smac-bb / bo-gp | smac-hpo / bo-rf |",
             "|---|" + "---:|" * (len(optimizers) + 3)]
    for problem in problems:
        cell = {o: _window(runs, o, problem.name, trials, end, "mean") for o in optimizers}
        median = {o: _window(runs, o, problem.name, trials, end, "median")
                  for o in optimizers}
        lines.append(f"| {problem.name} | "
                     + " | ".join(f"{ms(median[o])} ({ms(cell[o])})" for o in optimizers)
                     + f" | {_ratio(cell, 'bo-gp', 'optuna-gp')} "
                     f"| {_ratio(cell, 'smac-bb', 'bo-gp')} "
                     f"| {_ratio(cell, 'smac-hpo', 'bo-rf')} |")
    return "\n".join(lines)


def long_table(runs: Sequence[dict[str, Any]], problems: Sequence[Problem],
               trials: int) -> str:
    optimizers = list(dict.fromkeys(r["optimizer"] for r in runs if r["trials"] == trials))
    ends = [e for e in (100, 500, 1000) if e <= trials]
    if trials not in ends:
        ends.append(trials)
    head = [f"{o} @{e}" for e in ends for o in optimizers]
    lines = [f"Random-forest models over {trials}-trial runs (median of the ten trials "
             "before each mark)", "",
             "| problem | " + " | ".join(head) + " | "
             + " | ".join(f"smac-hpo / bo-rf @{e}" for e in ends) + " |",
             "|---|" + "---:|" * (len(head) + len(ends))]
    for problem in problems:
        cells = {(o, e): _window(runs, o, problem.name, trials, e, "mean")
                 for o in optimizers for e in ends}
        median = {(o, e): _window(runs, o, problem.name, trials, e, "median")
                  for o in optimizers for e in ends}
        ratios = [_ratio({"a": cells.get(("smac-hpo", e), float("nan")),
                          "b": cells.get(("bo-rf", e), float("nan"))}, "a", "b")
                  for e in ends]
        lines.append(f"| {problem.name} | "
                     + " | ".join(f"{ms(median[(o, e)])} ({ms(cells[(o, e)])})"
                                  for e in ends for o in optimizers)
                     + " | " + " | ".join(ratios) + " |")
    return "\n".join(lines)


def _ratio(cell: dict[str, float], top: str, bottom: str) -> str:
    a, b = cell.get(top, float("nan")), cell.get(bottom, float("nan"))
    if a != a or b != b or b <= 0:
        return "-"
    return f"{a / b:.2f}x"


if __name__ == "__main__":
    sys.exit(main())
