"""Steering a running study: priors given at trial 20, good and misleading, against none.

For each problem, ``bo`` runs five ways per seed on the same function:

* **none**: no steering;
* **static**: the good prior declared in the space from trial 0 (πBO as it was);
* **good@20**: the good prior given with ``study.set_prior`` after trial 20;
* **misleading@20**: a misleading prior given after trial 20;
* **misleading@20, good@40**: the misleading prior after trial 20, cleared after trial 40
  and replaced by the good one.

Priors are given on every hyperparameter at confidence ``--confidence``. On BBOB the good
prior is the optimum moved by 1.0 (a tenth of the box side) in a random direction and the
misleading one the box corner farthest from the optimum. On the ``ml`` suite the good prior
is the best configuration any optimizer found in ``benchmarks/results/ml-100.jsonl`` and the
misleading one lies at the far end of each range from it (another choice for a
categorical). Regret is the value minus the optimum (BBOB) or minus the best validation
error known (ml, that file's runs and these together).

It prints, per problem, the median final regret of each arm, the evaluations the good@20
and the static arms need to reach the no-steering final regret (their median curves), the
evaluations after trial 20 until the misleading prior is first judged misleading (an event
of origin ``optimizer``; median over the seeds in which it was), and the ratios of the final
regrets to the no-steering one.

Run:  python benchmarks/steering.py [--suites bbob,ml] [--dims 2,5,10] [--seeds 5]
                                    [--trials 100] [--confidence high] [--jobs 2]
                                    [--out FILE.json] [--load FILE.json] [--figure FILE.svg]
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
from hyperpilot.benchmarks._catalog import get_problem
from hyperpilot.benchmarks._figures import pyplot, save_svg
from hyperpilot.benchmarks._runner import limit_threads

FUNCTIONS = (1, 7, 8, 10, 15, 21)
ML = ("ml-hgb-breast_cancer", "ml-hgb-diabetes", "ml-svm-digits", "ml-svm-diabetes",
      "ml-mlp-digits", "ml-mlp-breast_cancer")
ARMS = ("none", "static", "good@20", "misleading@20", "misleading@20,good@40")
GIVEN_AT = 20
SWITCH_AT = 40
ML_RESULTS = Path(__file__).parent / "results" / "ml-100.jsonl"
FLOOR = {"bbob": 1e-5, "ml": 1e-4}
"""Regrets below this count as solved (and equal): ratios of tinier numbers are noise."""

Task = tuple[str, int, str, str, int]
"""problem, seed, arm, confidence, trials."""


def best_known_ml() -> dict[str, tuple[float, dict[str, Any]]]:
    """Per ml problem, the lowest validation error in the results file and its config."""
    best: dict[str, tuple[float, dict[str, Any]]] = {}
    for line in ML_RESULTS.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("kind") != "run" or record.get("status") != "ok":
            continue
        incumbent = record.get("incumbent") or {}
        values = record.get("best", {}).get("error") or []
        if not values or "config" not in incumbent:
            continue
        value = float(values[-1])
        name = record["problem"]
        if name not in best or value < best[name][0]:
            best[name] = (value, dict(incumbent["config"]))
    return best


def _far(param: Any, value: Any) -> Any:
    """The value of *param* farthest from *value*: the far end of a range, another choice."""
    data = param.to_json()
    if data["type"] in ("float", "int"):
        unit = param.to_unit(value)
        return data["low"] if unit > 0.5 else data["high"]
    choices = data.get("choices", data.get("sequence", []))
    if data["type"] == "ordinal":
        index = choices.index(value)
        return choices[0] if index >= len(choices) / 2 else choices[-1]
    return next(c for c in choices if c != value)


def priors_for(problem: Any, seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The good and the misleading prior value of every hyperparameter."""
    if isinstance(problem, BBOBProblem):
        optimum = problem.optimal_config
        rng = np.random.default_rng(seed)
        direction = rng.normal(size=len(optimum))
        direction /= np.linalg.norm(direction)
        good = {n: float(np.clip(optimum[n] + direction[i], -5, 5))
                for i, n in enumerate(problem.space.names)}
        bad = {n: -5.0 if optimum[n] > 0 else 5.0 for n in problem.space.names}
        return good, bad
    _, config = best_known_ml()[problem.name]
    space = problem.space
    good = {n: v for n, v in config.items() if n in space}
    bad = {n: _far(space[n], v) for n, v in good.items()}
    return good, bad


def _declared(space: hp.Space, prior: dict[str, Any], confidence: str) -> hp.Space:
    import dataclasses

    return hp.Space({n: dataclasses.replace(space[n], prior=prior[n], confidence=confidence)
                     if n in prior else space[n] for n in space.names},
                    forbidden=space.to_json().get("forbidden", []))


def run(task: Task) -> dict[str, Any]:
    """One run: its value after each evaluation and when a prior was judged misleading."""
    name, seed, arm, confidence, trials = task
    limit_threads()
    logging.getLogger("hyperpilot").setLevel(logging.WARNING)
    problem = get_problem(name)
    good, bad = priors_for(problem, seed)
    space = _declared(problem.space, good, confidence) if arm == "static" else problem.space
    study = hp.create_study(space=space, objectives=list(problem.objectives), seed=seed,
                            optimizer=hp.BayesianOptimizer(n_trials=trials))
    objective_name = problem.objectives[0].name

    def objective(config: dict[str, Any]) -> float:
        return float(problem.evaluate(config, seed=seed)[objective_name])

    def give(prior: dict[str, Any]) -> None:
        for n, value in prior.items():
            study.set_prior(n, value, confidence)

    if arm in ("none", "static"):
        study.optimize(objective, n_trials=trials, show_progress=False)
    else:
        study.optimize(objective, n_trials=GIVEN_AT, show_progress=False)
        give(good if arm == "good@20" else bad)
        if arm == "misleading@20,good@40":
            study.optimize(objective, n_trials=SWITCH_AT - GIVEN_AT, show_progress=False)
            for n in bad:
                study.clear_prior(n)
            give(good)
        study.optimize(objective, total_trials=trials, show_progress=False)
    values = [t.value for t in study.trials]
    rejected = [e.payload["trial"] for e in study.events()
                if e.kind == "prior_verdict" and e.payload["verdict"] == "rejected"]
    return {"problem": name, "seed": seed, "arm": arm, "confidence": confidence,
            "values": values, "first_rejection": min(rejected) if rejected else None}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suites", default="bbob,ml")
    parser.add_argument("--dims", default="2,5,10")
    parser.add_argument("--functions", default=",".join(map(str, FUNCTIONS)))
    parser.add_argument("--ml", default=",".join(ML))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--confidence", default="high")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", help="write every run to this JSON file")
    parser.add_argument("--load", metavar="FILE.json", help="report an earlier --out")
    parser.add_argument("--figure", metavar="FILE.svg", help="also draw the results")
    args = parser.parse_args(argv)
    suites = args.suites.split(",")
    problems: list[str] = []
    if "bbob" in suites:
        problems += [f"bbob-f{f:02d}-d{d:02d}-i01" for d in map(int, args.dims.split(","))
                     for f in map(int, args.functions.split(","))]
    if "ml" in suites:
        problems += args.ml.split(",")
    if args.load:
        runs = json.loads(Path(args.load).read_text(encoding="utf-8"))
    else:
        tasks = [(p, s, arm, args.confidence, args.trials) for p in problems
                 for s in range(args.seeds) for arm in ARMS]
        runs = run_all(tasks, args.jobs, args.out)
    print(f"\nSteering `bo`: priors at confidence {args.confidence!r} given while the study "
          f"runs, {args.trials} evaluations, median over {args.seeds} seeds\n")
    print(report(runs, problems))
    if args.figure:
        figure(runs, problems, args.figure)
    return 0


def run_all(tasks: Sequence[Task], jobs: int, out: str | None) -> list[dict[str, Any]]:
    """Every run, in a process pool of *jobs* workers.

    With *out*, the runs are written there as they finish, and runs already in it (with
    the same confidence and trials) are not run again: a stopped benchmark resumes.
    """
    runs: list[dict[str, Any]] = []
    if out and Path(out).exists():
        wanted = {(t[0], t[1], t[2], t[3]) for t in tasks}
        runs = [r for r in json.loads(Path(out).read_text(encoding="utf-8"))
                if (r["problem"], r["seed"], r["arm"], r["confidence"]) in wanted
                and len(r["values"]) == tasks[0][4]]
    done_keys = {(r["problem"], r["seed"], r["arm"]) for r in runs}
    todo = [t for t in tasks if (t[0], t[1], t[2]) not in done_keys]
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(run, task): task for task in todo}
        for done, future in enumerate(as_completed(futures), 1):
            name, seed, arm, _, _ = futures[future]
            runs.append(future.result())
            if out:
                Path(out).write_text(json.dumps(runs), encoding="utf-8")
            print(f"  {done}/{len(todo)} {name} seed {seed} {arm}", file=sys.stderr,
                  flush=True)
    return runs


def _curves(runs: Sequence[dict[str, Any]], problem: str,
            reference: float) -> dict[str, np.ndarray]:
    """Per arm, the median (over seeds) regret of the best value so far."""
    floor = FLOOR["bbob" if problem.startswith("bbob") else "ml"]
    out = {}
    for arm in ARMS:
        rows = [np.minimum.accumulate(np.array(r["values"], dtype=float)) - reference
                for r in runs if r["problem"] == problem and r["arm"] == arm]
        out[arm] = np.maximum(np.median(np.vstack(rows), axis=0), floor)
    return out


def _reference(runs: Sequence[dict[str, Any]], problem: str) -> float:
    if problem.startswith("bbob"):
        return float(get_problem(problem).optimum["value"])  # type: ignore[index]
    own = min(min(r["values"]) for r in runs if r["problem"] == problem)
    return min(own, best_known_ml().get(problem, (own, {}))[0])


def _reach(curve: np.ndarray, target: float) -> int | None:
    hit = np.nonzero(curve <= target)[0]
    return int(hit[0]) + 1 if hit.size else None


def summary(runs: Sequence[dict[str, Any]], problem: str) -> dict[str, Any]:
    """The figures of one problem (see the module docstring)."""
    curves = _curves(runs, problem, _reference(runs, problem))
    target = curves["none"][-1]
    detections = [r["first_rejection"] - GIVEN_AT for r in runs
                  if r["problem"] == problem and r["arm"] == "misleading@20"
                  and r["first_rejection"] is not None]
    n_seeds = sum(1 for r in runs if r["problem"] == problem and r["arm"] == "misleading@20")
    return {
        "final": {arm: float(curves[arm][-1]) for arm in ARMS},
        "none_needs": _reach(curves["none"], target),
        "good20_needs": _reach(curves["good@20"], target),
        "static_needs": _reach(curves["static"], target),
        "detected": len(detections), "seeds": n_seeds,
        "detection_median": float(np.median(detections)) if detections else None,
        "misleading_ratio": float(curves["misleading@20"][-1] / target),
        "switch_ratio": float(curves["misleading@20,good@40"][-1] / target),
    }


def report(runs: Sequence[dict[str, Any]], problems: Sequence[str]) -> str:
    """The per-problem table and the counts under it."""
    lines = ["| problem | no steering | static prior | good@20 | misleading@20 | mis@20, "
             "good@40 | evals to the no-steering result: none / good@20 / static | "
             "misleading judged (seeds), evals after 20 | misleading / none | "
             "mis, good / none |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    faster = robust = recovered = detected_all = 0
    detection_times: list[float] = []
    for problem in problems:
        s = summary(runs, problem)
        final = s["final"]

        def shown(n: int | None) -> str:
            return "never" if n is None else str(n)

        faster += s["good20_needs"] is not None and s["good20_needs"] < (s["none_needs"] or 101)
        robust += not s["misleading_ratio"] > 1.2
        recovered += not s["switch_ratio"] > 1.0
        detected_all += s["detected"] == s["seeds"]
        if s["detection_median"] is not None:
            detection_times.append(s["detection_median"])
        median = "-" if s["detection_median"] is None else f"{s['detection_median']:g}"
        lines.append(
            f"| {problem} | {final['none']:.3g} | {final['static']:.3g} | "
            f"{final['good@20']:.3g} | {final['misleading@20']:.3g} | "
            f"{final['misleading@20,good@40']:.3g} | {shown(s['none_needs'])} / "
            f"{shown(s['good20_needs'])} / {shown(s['static_needs'])} | "
            f"{s['detected']}/{s['seeds']}, {median} | {s['misleading_ratio']:.2f} | "
            f"{s['switch_ratio']:.2f} |")
    n = len(problems)
    lines.append(
        f"\ngood prior at trial 20 reaches the no-steering 100-trial result sooner than no "
        f"steering does on {faster} of {n} problems; the misleading prior at trial 20 is "
        f"judged misleading in every seed on {detected_all} of {n} (median over problems "
        f"{np.median(detection_times) if detection_times else float('nan'):g} evaluations "
        f"after it was given) and ends within 1.2x of the no-steering regret on {robust} of "
        f"{n}; misleading then good ends at least as well as no steering on {recovered} of {n}")
    return "\n".join(lines)


def figure(runs: Sequence[dict[str, Any]], problems: Sequence[str], path: str) -> None:
    """The share of problems at the no-steering final regret, per arm and evaluation."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    shares: dict[str, list[np.ndarray]] = {arm: [] for arm in ARMS}
    for problem in problems:
        curves = _curves(runs, problem, _reference(runs, problem))
        for arm in ARMS:
            shares[arm].append(curves[arm] <= curves["none"][-1])
    styles = {"none": ("-", "#777"), "static": ("--", "#1f77b4"), "good@20": ("-", "#2ca02c"),
              "misleading@20": (":", "#d62728"), "misleading@20,good@40": ("-.", "#9467bd")}
    for arm in ARMS:
        share = np.mean(np.vstack(shares[arm]), axis=0)
        style, color = styles[arm]
        ax.plot(np.arange(1, len(share) + 1), share, style, color=color, label=arm)
    for at in (GIVEN_AT, SWITCH_AT):
        ax.axvline(at, color="#bbb", linewidth=1)
    ax.set_xlabel("evaluations")
    ax.set_ylabel("share of problems at the no-steering result")
    ax.set_title("Priors given while the study runs", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    save_svg(plt, fig, path)


if __name__ == "__main__":
    sys.exit(main())
