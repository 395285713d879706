"""PriorBand: how much a good prior speeds up multi-fidelity search, and what a bad one costs.

For each multi-fidelity problem of the benchmark catalog (suite ``mf``: synthetic Hartmann
and Branin functions with a budget, and tuning tasks whose budget is boosting rounds,
epochs or a data fraction), every seed runs these optimizers through the benchmark
harness (``HyperpilotAdapter``: one in-memory study with the problem's fidelity, the run
stopped once it has spent ``--budget`` full-budget evaluations, a trial at budget ``b``
costing ``b / max``):

* **bohb**: model-based Hyperband, no prior (the reference);
* **hyperband**: Hyperband, no prior (what PriorBand does without one);
* **good**: ``priorband`` with a prior on every hyperparameter at the best known
  configuration: the known optimum of a synthetic function (Branin: its optimum at
  ``(pi, 2.275)``), else the best of the runner's reference sample (uniform random
  configurations evaluated at the full budget);
* **misleading**: ``priorband`` with a prior on every hyperparameter at the far corner:
  each numeric hyperparameter at the end of its range (on its own scale) farther from the
  good configuration's value, each choice at the choice farthest from it in the list;
* **good-bo**, **misleading-bo**: the same priors with ``priorband-bo`` (PriorBand whose
  prior and incumbent share goes to the BO engine once a budget level has data).

Good and misleading priors share a confidence; each confidence named by ``--confidence``
gets its own pair of runs ("medium": a normal with a standard deviation of a quarter of the
range; "high": an eighth).

The regret is the runner's normalized regret (``hyperpilot.benchmarks._stats``) of the
best *full-budget* value so far, on a grid of spent full-budget evaluations: 0 is the
optimum (a synthetic function's known one, else the best value seen on the problem), 1 a
typical random configuration (the reference sample's median), which is also the value
before the first full-budget result. It prints, per problem, the median (over seeds)
regret at 10 % and 25 % of the budget for the good prior and for bohb, and the ratio of
the final regrets misleading / bohb (and misleading / hyperband); regrets below 1e-5 count
as solved and equal; one table per confidence for ``priorband`` and one for
``priorband-bo`` when it has run. Targets (issue "Multi-fidelity"): the good prior beats
bohb early; the misleading prior ends within 1.5x of bohb.

``--variants`` runs only some of the variants; with ``--merge FILE.json`` the problems'
prior centres and reference samples, the budget, seeds and confidences, and the runs of
the other variants come from an earlier ``--out`` (so one variant can be added to stored
results; its runs there are replaced).

Run:  python benchmarks/priorband.py [--problems NAME,...] [--seeds 5] [--budget 50]
                                     [--confidence medium,high] [--jobs 2]
                                     [--variants NAME,...] [--merge FILE.json]
                                     [--out FILE.json] [--load FILE.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import multiprocessing
import os
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

import hyperpilot as hp
from hyperpilot.benchmarks import Fidelity, Problem, get_problem, suite
from hyperpilot.benchmarks._adapters import HyperpilotAdapter
from hyperpilot.benchmarks._runner import REFERENCE_SEED, limit_threads, reference_record
from hyperpilot.benchmarks._stats import best_so_far, normalized_regret, regret_scale
from hyperpilot.space._params import _Choice
from hyperpilot.space._space import Config

SOLVED = 1e-5
"""Regrets below this count as solved (and equal): ratios of tinier numbers are noise."""
REFERENCE_SAMPLES = 100
EARLY = (0.10, 0.25)
"""Shares of the budget at which the early regrets are compared."""
BRANIN_GOOD = {"x1": math.pi, "x2": 2.275}
OPTIMIZERS = {"bohb": {"name": "bohb"}, "hyperband": {"name": "hyperband"},
              "good": {"name": "priorband"}, "misleading": {"name": "priorband"},
              "good-bo": {"name": "priorband-bo"}, "misleading-bo": {"name": "priorband-bo"}}
WITH_PRIOR = {"good": "good", "misleading": "misleading", "good-bo": "good",
              "misleading-bo": "misleading"}
"""The variants with a prior, and which prior centre each takes."""


class WithPriors(Problem):
    """A problem whose space carries priors; everything else is the wrapped problem's."""

    family: ClassVar[str] = "mf"

    def __init__(self, problem: Problem, space: hp.Space) -> None:
        super().__init__(problem.name)
        self._problem = problem
        self._space = space

    @property
    def space(self) -> hp.Space:
        """The problem's space with priors."""
        return self._space

    @property
    def objectives(self) -> tuple[hp.Objective, ...]:
        """The wrapped problem's objectives."""
        return self._problem.objectives

    def evaluate(self, config: Config, *, budget: float | None = None,
                 seed: int = 0) -> dict[str, float]:
        """The wrapped problem's evaluation."""
        return self._problem.evaluate(config, budget=budget, seed=seed)

    def test(self, config: Config, *, seed: int) -> dict[str, float]:
        """The wrapped problem's test evaluation."""
        return self._problem.test(config, seed=seed)

    @property
    def optimum(self) -> dict[str, float] | None:
        """The wrapped problem's optimum."""
        return self._problem.optimum

    @property
    def fidelity(self) -> Fidelity | None:
        """The wrapped problem's fidelity."""
        return self._problem.fidelity


def with_priors(space: hp.Space, centre: Config, confidence: str | float) -> hp.Space:
    """*space* with a prior at *centre*'s value on every hyperparameter *centre* sets."""
    params = {name: space[name] for name in space.names}
    for name, value in centre.items():
        params[name] = dataclasses.replace(params[name], prior=value, confidence=confidence)
    return hp.Space(params, forbidden=list(space.to_json().get("forbidden", [])))


def far_corner(space: hp.Space, centre: Config) -> Config:
    """The configuration at the far end of every range from *centre* (see the module doc)."""
    out: dict[str, Any] = {}
    for name, value in centre.items():
        param = space[name]
        if isinstance(param, _Choice):
            choices = list(param.choices)
            i = choices.index(value)
            out[name] = choices[0 if i >= len(choices) / 2 else -1]
        else:
            out[name] = param.normalize(param.from_unit(0.0 if param.to_unit(value) >= 0.5
                                                        else 1.0))
    active = {name: value for name, value in out.items() if space.is_active(name, out)}
    return space.complete(active, {})


def good_config(problem: Problem, reference: Mapping[str, Any]) -> Config:
    """The best known configuration: a known optimum, else the reference sample's best."""
    known = getattr(problem, "optimal_config", None)
    if known is not None:
        return dict(known)
    if problem.name == "mf-branin":
        return dict(BRANIN_GOOD)
    objective = problem.objectives[0]
    sign = 1.0 if objective.direction == "minimize" else -1.0
    values = [math.inf if v is None else sign * v for v in reference["values"][objective.name]]
    configs = problem.space.sample(len(values), np.random.default_rng(REFERENCE_SEED))
    return configs[int(np.argmin(values))]


Task = tuple[str, str, "str | float | None", int, int, "dict[str, Any] | None"]
"""problem, variant, confidence, seed, budget, prior centre (None: no prior)."""


def run(task: Task) -> dict[str, Any]:
    """One run through the harness; its values, budgets and costs per trial."""
    name, variant, confidence, seed, budget, centre = task
    limit_threads()
    problem = get_problem(name)
    if centre is not None:
        assert confidence is not None
        problem = WithPriors(problem, with_priors(problem.space, centre, confidence))
    adapter = HyperpilotAdapter(OPTIMIZERS[variant], label=variant)
    record = adapter.run(problem, n_trials=budget, seed=seed)
    objective = problem.objectives[0]
    return {"problem": name, "variant": variant, "confidence": confidence, "seed": seed,
            "budget": budget, "status": record.status, "error": record.error,
            "values": record.values[objective.name], "budgets": record.budgets,
            "costs": record.costs, "overhead": float(sum(record.overhead)),
            "wall_seconds": record.wall_seconds}


def references(names: Sequence[str], jobs: int) -> dict[str, dict[str, Any]]:
    """The runner's reference sample of each problem, computed in a process pool."""
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_reference, name): name for name in names}
        return {futures[f]: f.result() for f in as_completed(futures)}


def _reference(name: str) -> dict[str, Any]:
    limit_threads()
    return reference_record(get_problem(name), REFERENCE_SAMPLES)


def run_all(names: Sequence[str], confidences: Sequence[str | float], seeds: int,
            budget: int, jobs: int, out: str | None = None,
            variants: Sequence[str] = tuple(OPTIMIZERS),
            stored: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """References, prior centres and every run of *variants*; the JSON-ready results.

    With *stored* (earlier results), its budget, seeds, confidences, prior centres and
    reference samples are used, and its runs of (problem, variant) pairs not run here are
    kept. Runs are submitted cheapest first: the synthetic problems, then the tuning tasks;
    the runs without prior and those of the first confidence before the other confidences.
    With *out*, the results so far are written there after every run.
    """
    if stored is not None:
        budget, seeds = stored["budget"], stored["seeds"]
        confidences = stored["confidences"]
        names = [name for name in names if name in stored["problems"]]
        problems: dict[str, Any] = dict(stored["problems"])
    else:
        refs = references(names, jobs)
        problems = {}
    tasks: list[tuple[int, Task]] = []
    for name in names:
        problem = get_problem(name)
        if stored is None:
            good = good_config(problem, refs[name])
            problems[name] = {"good": good, "misleading": far_corner(problem.space, good),
                              "optimum": problem.optimum,
                              "reference": refs[name]["values"][problem.objectives[0].name],
                              "direction": problem.objectives[0].direction}
        tuning = 2 * int(problem.optimum is None)
        for seed in range(seeds):
            tasks += [(tuning, (name, variant, None, seed, budget, None))
                      for variant in ("bohb", "hyperband") if variant in variants]
            tasks += [(tuning + int(i > 0), (name, variant, c, seed, budget,
                                             problems[name][WITH_PRIOR[variant]]))
                      for i, c in enumerate(confidences)
                      for variant in WITH_PRIOR if variant in variants]
    tasks.sort(key=lambda t: t[0])  # stable: problems and seeds keep their order
    results: dict[str, Any] = {"budget": budget, "seeds": seeds,
                               "confidences": list(confidences), "problems": problems,
                               "runs": []}
    runs = results["runs"]
    if stored is not None:
        redone = {(task[0], task[1]) for _, task in tasks}
        runs += [r for r in stored["runs"] if (r["problem"], r["variant"]) not in redone]
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(run, task): task for _, task in tasks}
        for done, future in enumerate(as_completed(futures), 1):
            result = future.result()
            runs.append(result)
            print(f"  {done}/{len(tasks)} {result['problem']} {result['variant']} "
                  f"{result['confidence'] or ''} seed {result['seed']}: {result['status']} "
                  f"({result['wall_seconds']:.1f} s)", file=sys.stderr, flush=True)
            if out:
                Path(out).write_text(json.dumps(results), encoding="utf-8")
    return results


def regret_curves(results: Mapping[str, Any]) -> dict[tuple[Any, ...], np.ndarray]:
    """Normalized regret per unit of spent budget, keyed (problem, variant, confidence, seed)."""
    budget = results["budget"]
    by_problem: dict[str, list[Mapping[str, Any]]] = {}
    for r in results["runs"]:
        by_problem.setdefault(r["problem"], []).append(r)
    curves: dict[tuple[Any, ...], np.ndarray] = {}
    for name, runs in by_problem.items():
        info = results["problems"][name]
        sign = 1.0 if info["direction"] == "minimize" else -1.0
        optimum = None if info["optimum"] is None else sign * next(iter(info["optimum"].values()))
        reference = np.array([np.nan if v is None else sign * v for v in info["reference"]])
        observed = np.array([np.nan if v is None else sign * v for r in runs
                             for v in r["values"]], dtype=float)
        f_star, scale = regret_scale(optimum, observed, reference)
        for r in runs:
            if r["status"] != "ok" or not r["values"]:
                continue
            values = [None if v is None else sign * v for v in r["values"]]
            top = max(r["budgets"])
            trace = best_so_far(values, r["costs"], [b == top for b in r["budgets"]], budget)
            regret = normalized_regret(trace, f_star, scale)
            curves[(name, r["variant"], r["confidence"], r["seed"])] = np.where(
                np.isnan(regret), 1.0, regret)
    return curves


def median_at(curves: Mapping[tuple[Any, ...], np.ndarray], name: str, variant: str,
              confidence: str | float | None, seeds: int, share: float) -> float:
    """The median over the seeds run of the regret after *share* of the budget (floored).

    NaN when no seed of that variant has run.
    """
    rows = [curves[(name, variant, confidence, s)] for s in range(seeds)
            if (name, variant, confidence, s) in curves]
    if not rows:
        return math.nan
    index = max(round(share * len(rows[0])) - 1, 0)
    return max(float(np.median([row[index] for row in rows])), SOLVED)


def table(results: Mapping[str, Any], confidence: str | float, suffix: str = "") -> str:
    """The per-problem table for one confidence, with the two counts under it.

    *suffix* picks the prior variants: ``""`` for priorband, ``"-bo"`` for priorband-bo.
    """
    curves = regret_curves(results)
    seeds = results["seeds"]
    good_v, bad_v = "good" + suffix, "misleading" + suffix
    early = " | ".join(f"good @{int(s * 100)}% | bohb @{int(s * 100)}%" for s in EARLY)
    lines = [f"| problem | {early} | final: good | misleading | hyperband | bohb "
             "| misleading / bohb | misleading / hyperband |",
             "|---|" + "---:|" * (2 * len(EARLY) + 6)]
    wins = robust = 0
    names = [name for name in results["problems"] if all(
        not math.isnan(median_at(curves, name, v, c, seeds, 1.0))
        for v, c in ((good_v, confidence), (bad_v, confidence), ("bohb", None),
                     ("hyperband", None)))]
    for name in names:
        cells = []
        won = True
        for share in EARLY:
            good = median_at(curves, name, good_v, confidence, seeds, share)
            bohb = median_at(curves, name, "bohb", None, seeds, share)
            won &= good < bohb or good == bohb == SOLVED
            cells += [f"{good:.3g}", f"{bohb:.3g}"]
        final = {v: median_at(curves, name, v + suffix if v in ("good", "misleading")
                              else v, confidence if v in ("good", "misleading") else None,
                              seeds, 1.0)
                 for v in ("good", "misleading", "hyperband", "bohb")}
        ratio = final["misleading"] / final["bohb"]
        wins += won
        robust += not ratio > 1.5
        lines.append(f"| {name} | {' | '.join(cells)} | {final['good']:.3g} "
                     f"| {final['misleading']:.3g} | {final['hyperband']:.3g} "
                     f"| {final['bohb']:.3g} | {ratio:.2f} "
                     f"| {final['misleading'] / final['hyperband']:.2f} |")
    missing = [name for name in results["problems"] if name not in names]
    if missing:
        lines.append(f"\nnot run (or not finished): {', '.join(missing)}")
    lines.append(f"\ngood prior below bohb at both early points on {wins} of {len(names)} "
                 f"problems; misleading prior within 1.5x of bohb at the end on {robust} of "
                 f"{len(names)}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", help="comma-separated names (default: suite 'mf')")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=50,
                        help="full-budget evaluations each run may spend")
    parser.add_argument("--confidence", default="medium,high",
                        help="prior confidences to compare, comma-separated")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--variants", default=",".join(OPTIMIZERS),
                        help="variants to run, comma-separated (default: all)")
    parser.add_argument("--merge", metavar="FILE.json",
                        help="take the settings, references and other variants' runs "
                             "from an earlier --out")
    parser.add_argument("--out", help="write the runs to this JSON file")
    parser.add_argument("--load", metavar="FILE.json",
                        help="report the runs of an earlier --out instead of running")
    args = parser.parse_args(argv)
    if args.load:
        results = json.loads(Path(args.load).read_text(encoding="utf-8"))
    else:
        confidences: list[str | float] = [c if c in ("low", "medium", "high") else float(c)
                                          for c in args.confidence.split(",")]
        names = (args.problems.split(",") if args.problems
                 else [p.name for p in suite("mf")])
        variants = args.variants.split(",")
        unknown = sorted(set(variants) - set(OPTIMIZERS))
        if unknown:
            parser.error(f"unknown variants {unknown}; known: {sorted(OPTIMIZERS)}")
        stored = (json.loads(Path(args.merge).read_text(encoding="utf-8")) if args.merge
                  else None)
        results = run_all(names, confidences, args.seeds, args.budget, args.jobs, args.out,
                          variants, stored)
    if args.out:
        Path(args.out).write_text(json.dumps(results), encoding="utf-8")
    ran = {r["variant"] for r in results["runs"]}
    for suffix, label in (("", "priorband"), ("-bo", "priorband-bo")):
        if "good" + suffix not in ran:
            continue
        for confidence in results["confidences"]:
            print(f"\n{label} against bohb, prior confidence {confidence!r}, "
                  f"{results['budget']} full-budget evaluations, median normalized regret "
                  f"over {results['seeds']} seeds\n")
            print(table(results, confidence, suffix))
    return 0


if __name__ == "__main__":
    sys.exit(main())
