"""Our fANOVA (main effects and all pairs) beside Optuna's importance evaluators, one run.

A 10-hyperparameter space (floats, one of them log-scaled, integers, one of them
log-scaled, two 5-way categoricals) and a known objective: additive effects of decreasing
size, one interaction (of ``x`` and ``dropout``) and three inert hyperparameters. Uniform random
trials (1,000 and 10,000 by default) are analysed by

* ``hyperpilot fanova``: :func:`hyperpilot.analysis.fanova` with all 45 pairs, its
  cross-validated fit included and no bootstrap (``n_bootstrap=0``), after one warm-up
  call on a small study (the first call in a process imports SciPy and scikit-learn);
* ``hyperpilot fanova+boot``: the same with the default ten bootstrap resamples;
* ``optuna fanova``: ``FanovaImportanceEvaluator(seed=0)`` (main effects only);
* ``optuna ped-anova``: ``PedAnovaImportanceEvaluator()``;

on the same trials (an Optuna study built with ``create_trial`` and ``add_trials``). A last
check gives both fANOVAs three main effects of equal variance (a float, an integer and a
5-way categorical), to see whether a categorical is weighed like the others. Each
Optuna evaluator runs in a child process with a time limit (``--limit`` seconds), so a
run that would take an hour is reported as "> limit". The table gives seconds and the
top-3 hyperparameters; the ratios compare Optuna's fANOVA with ours. Targets (issue 13):
ours at most 5 s at 10,000 trials, at least 20x faster than Optuna's fANOVA, same top 3.

HyperSHAP section: each game of :func:`hyperpilot.analysis.hypershap` (order 2, exact over
the 1,024 coalitions of the 10 hyperparameters, ``n_samples`` uniform configurations per
coalition for the sampling games) on ``--hypershap-trials`` uniform trials of the same
space, after one call that fits the shared forest; one row per game with seconds, the
coalitions, the forest predictions made and the top 3 main values.
``--hypershap-only`` runs just that section (a few seconds).

Report section: ``hyperpilot report`` of a ``--report-trials`` study of the same space
stored in SQLite, end to end in a fresh process (interpreter, imports, reading the trials,
every section, writing the file; target: under 30 s for 1,000 trials on two cores), then
:func:`hyperpilot.analysis.report` in this process with the seconds of each section.
``--report-only`` runs just that section.

Views section: the run views of :mod:`hyperpilot.analysis` on ``--views-trials`` (10,000)
uniform trials of the same space (table, then figure; after a warm-up call on a small
study), headed by the configuration footprint (target: well under 5 s at 10,000 trials x
10 hyperparameters, where DeepCAVE's MDS footprint stops at 4,000), and the Pareto front
and hypervolume history of as many two-objective trials (the objective above and a cost,
``layers x units``). ``--views-only`` runs just that section.

Run:  python benchmarks/analysis.py [--trials 1000,10000] [--limit 1800]
(about 20 minutes on two cores, nearly all of it Optuna's fANOVA on 10,000 trials)
"""

from __future__ import annotations

import argparse
import logging
import math
import multiprocessing as mp
import platform
import sys
import time
from typing import Any

import numpy as np

import hyperpilot as hp
from hyperpilot.analysis import fanova

SPACE = hp.Space({
    "lr": hp.Float(1e-4, 1.0, log=True),
    "x": hp.Float(0.0, 1.0),
    "dropout": hp.Float(0.0, 0.5),
    "wd": hp.Float(0.0, 1.0),
    "layers": hp.Int(1, 8),
    "units": hp.Int(16, 1024, log=True),
    "batch": hp.Int(8, 256),
    "optimizer": hp.Categorical(["sgd", "adam", "rmsprop", "adagrad", "lion"]),
    "activation": hp.Categorical(["relu", "tanh", "gelu", "silu", "elu"]),
    "momentum": hp.Float(0.0, 1.0),
})
OPTIMIZER = {"sgd": 0.0, "adam": 5 / 3, "rmsprop": 2 / 3, "adagrad": 2.0, "lion": 1 / 3}
ACTIVATION = {"relu": 0.0, "tanh": 0.3, "gelu": 0.0, "silu": 0.3, "elu": 0.1}
TRUTH = ("layers", "x", "optimizer")  # the largest main effects, in order (see objective)


def objective(config: dict[str, Any]) -> float:
    """Known main effects: layers (variance 2.57), x (1.02), optimizer (0.60), lr (0.19)...

    ``x`` enters as ``2.5 x + 4 x dropout``, whose main effect is ``3.5 x`` (dropout
    averages 0.25) plus an interaction. The log-scaled ``lr`` and ``units`` have small
    effects: on them the two fANOVAs measure different things (ours integrates over the
    encoding, uniform in the logarithm; Optuna's over the linear range). ``wd``, ``batch``
    and ``momentum`` are inert.
    """
    u_lr = (math.log10(config["lr"]) + 4.0) / 4.0
    return (0.7 * config["layers"] + OPTIMIZER[config["optimizer"]] + 2.5 * config["x"]
            + 1.5 * u_lr + 0.3 * math.log2(config["units"]) / 10.0
            + ACTIVATION[config["activation"]] + 4.0 * config["x"] * config["dropout"])


EQUAL_SPACE = hp.Space({
    "x": hp.Float(0.0, 1.0),
    "layers": hp.Int(1, 8),
    "optimizer": hp.Categorical(["sgd", "adam", "rmsprop", "adagrad", "lion"]),
    "wd": hp.Float(0.0, 1.0),
})
EQUAL_OPTIMIZER = {"sgd": 0.0, "adam": 2.5, "rmsprop": 1.0, "adagrad": 3.0, "lion": 0.5}


def equal_objective(config: dict[str, Any]) -> float:
    """Three main effects of equal variance (1.33, 1.31, 1.34: shares 1/3 each), wd inert."""
    return 4.0 * config["x"] + 0.5 * config["layers"] + EQUAL_OPTIMIZER[config["optimizer"]]


def make_study(n: int, equal: bool = False) -> hp.Study:
    study = hp.create_study(space=EQUAL_SPACE if equal else SPACE, storage="memory",
                            optimizer="random", seed=n)
    study.optimize(equal_objective if equal else objective, n_trials=n, show_progress=False)
    return study


def optuna_study(study: hp.Study) -> Any:
    import optuna
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    distributions: dict[str, Any] = {}
    for name in study.space.names:
        param = study.space[name]
        if isinstance(param, hp.Categorical):
            distributions[name] = CategoricalDistribution(list(param.choices))
        elif isinstance(param, hp.Int):
            distributions[name] = IntDistribution(param.low, param.high, log=param.log)
        else:
            assert isinstance(param, hp.Float)
            distributions[name] = FloatDistribution(param.low, param.high, log=param.log)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    out = optuna.create_study(direction="minimize")
    out.add_trials([optuna.trial.create_trial(params=t.config, distributions=distributions,
                                              value=t.value) for t in study.get_trials()])
    return out


def _run_optuna(method: str, n: int, equal: bool, queue: Any) -> None:
    import optuna

    logging.getLogger("hyperpilot").setLevel(logging.WARNING)
    study = optuna_study(make_study(n, equal))
    evaluator = (optuna.importance.FanovaImportanceEvaluator(seed=0) if method == "fanova"
                 else optuna.importance.PedAnovaImportanceEvaluator())
    start = time.perf_counter()
    importances = optuna.importance.get_param_importances(study, evaluator=evaluator)
    queue.put((time.perf_counter() - start, {k: float(v) for k, v in importances.items()}))


def time_optuna(method: str, n: int, limit: float, equal: bool = False
                ) -> tuple[float, dict[str, float] | None]:
    """Seconds and importances of an Optuna evaluator in a child process; (inf, None) past
    the limit."""
    context = mp.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_run_optuna, args=(method, n, equal, queue))
    child.start()
    child.join(limit + 120.0)  # building the study in the child takes a few seconds
    if child.is_alive():
        child.terminate()
        child.join()
        return math.inf, None
    seconds, importances = queue.get()
    return seconds, importances


def top3(importances: dict[str, float] | None) -> list[str] | None:
    return None if importances is None else list(importances)[:3]


def time_ours(study: hp.Study, n_bootstrap: int, seed: int) -> tuple[float, list[str]]:
    """Seconds and top 3 of our fANOVA; each seed fits its own forest (nothing reused)."""
    start = time.perf_counter()
    table = fanova(study, n_bootstrap=n_bootstrap, seed=seed)
    seconds = time.perf_counter() - start
    main = table[table["kind"] == "main"]
    return seconds, main["hyperparameter"].head(3).tolist()


def hypershap_section(n: int, n_samples: int) -> None:
    """Seconds per HyperSHAP game at 10 hyperparameters (exact), forest fitted beforehand."""
    from hyperpilot.analysis import hypershap
    from hyperpilot.analysis._hypershap import GAMES

    hypershap(make_study(50), n_samples=10)  # imports shapiq (and numba through it)
    study = make_study(n)
    start = time.perf_counter()
    hypershap(study, game="ablation")
    fit = time.perf_counter() - start
    print(f"hypershap: {n} trials, 10 hyperparameters, exact FSII order 2, "
          f"n_samples={n_samples}; the first call (forest fit and 5-fold CV) took {fit:.2f} s")
    print(f"{'game':<16}{'seconds':>9}{'coalitions':>12}{'predictions':>13}  top 3 (main)")
    sources = {"ablation": 1, "tunability": n_samples + 1, "sensitivity": n_samples,
               "mistunability": n_samples + 1, "optimizer-bias": n_samples + 2}
    for game in GAMES:
        start = time.perf_counter()
        table = hypershap(study, game=game, n_samples=n_samples)
        seconds = time.perf_counter() - start
        main = table[table["kind"] == "main"]
        top = ", ".join(main["hyperparameter"].head(3))
        print(f"{game:<16}{seconds:>9.2f}{1024:>12}{1024 * sources[game]:>13,}  {top}")


def report_section(n: int) -> None:
    """Seconds to write the HTML report of an n-trial study, cold and per section."""
    import subprocess
    import tempfile

    from hyperpilot.analysis import report

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/report.db"
        study = hp.create_study(space=SPACE, name="report", storage=url, optimizer="random",
                                seed=n)
        study.optimize(objective, n_trials=n, show_progress=False)
        command = [sys.executable, "-c", "import sys; from hyperpilot.cli._main import main; "
                   "sys.exit(main())", "report", "report", "--storage", url, "-o",
                   f"{folder}/cold.html", "--no-progress"]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        cold = time.perf_counter() - start
        print(f"report: {n} trials, 10 hyperparameters, 10 bootstrap resamples; "
              f"'hyperpilot report' end to end (fresh process, SQLite) {cold:.2f} s: "
              f"{done.stdout.strip()}")
        written = report(study, f"{folder}/warm.html")
        print(f"report in this process {written.seconds:.2f} s, "
              f"{written.figures} figures, {written.size / 1e6:.1f} MB; per section:")
        for section in written.sections:
            print(f"  {section.key:<16}{section.seconds:>7.2f} s  {section.status} "
                  f"{section.reason}".rstrip())


def views_section(n: int) -> None:
    """Seconds of each run view (table, figure) at n trials x 10 hyperparameters."""
    from hyperpilot import analysis

    def cost(config: dict[str, Any]) -> dict[str, float]:
        return {"loss": objective(config), "cost": config["layers"] * config["units"]}

    def two_objective(trials: int) -> hp.Study:
        study = hp.create_study(space=SPACE, storage="memory", optimizer="random", seed=trials,
                                objectives={"loss": "minimize", "cost": "minimize"})
        study.optimize(cost, n_trials=trials, show_progress=False)
        return study

    views: list[tuple[str, Any, Any, dict[str, Any]]] = [
        ("footprint", analysis.footprint, analysis.plot_footprint, {}),
        ("history", analysis.history, analysis.plot_history, {}),
        ("edf", analysis.edf, analysis.plot_edf, {}),
        ("timeline", analysis.timeline, analysis.plot_timeline, {}),
        ("parallel_coordinates", analysis.parallel_coordinates,
         analysis.plot_parallel_coordinates, {}),
        ("slices", analysis.slices, analysis.plot_slices, {}),
        ("contour", lambda s: analysis.contour(s, "layers", "x"), analysis.plot_contour, {}),
        ("pareto_front", analysis.pareto_front, analysis.plot_pareto_front, {"mo": True}),
        ("hypervolume_history", analysis.hypervolume_history,
         analysis.plot_hypervolume_history, {"mo": True}),
    ]
    small, small_mo = make_study(50), two_objective(50)
    for _, table, plot, flags in views:  # imports plotly, scikit-learn, SciPy
        plot(table(small_mo if flags else small))
    study, mo = make_study(n), two_objective(n)
    print(f"views: {n} trials, 10 hyperparameters (two objectives for the Pareto views)")
    print(f"{'view':<22}{'table s':>9}{'figure s':>10}")
    for name, table, plot, flags in views:
        start = time.perf_counter()
        result = table(mo if flags else study)
        middle = time.perf_counter()
        plot(result)
        end = time.perf_counter()
        print(f"{name:<22}{middle - start:>9.2f}{end - middle:>10.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", default="1000,10000")
    parser.add_argument("--limit", type=float, default=1800.0,
                        help="seconds each Optuna evaluator may take")
    parser.add_argument("--hypershap-trials", type=int, default=1000)
    parser.add_argument("--hypershap-samples", type=int, default=1000)
    parser.add_argument("--hypershap-only", action="store_true")
    parser.add_argument("--report-trials", type=int, default=1000)
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--views-trials", type=int, default=10000)
    parser.add_argument("--views-only", action="store_true")
    args = parser.parse_args(argv)
    if args.hypershap_only:
        logging.getLogger("hyperpilot").setLevel(logging.WARNING)
        hypershap_section(args.hypershap_trials, args.hypershap_samples)
        return 0
    if args.report_only:
        logging.getLogger("hyperpilot").setLevel(logging.WARNING)
        report_section(args.report_trials)
        return 0
    if args.views_only:
        logging.getLogger("hyperpilot").setLevel(logging.WARNING)
        views_section(args.views_trials)
        return 0
    logging.getLogger("hyperpilot").setLevel(logging.WARNING)
    sizes = [int(s) for s in args.trials.split(",")]
    fanova(make_study(50), n_bootstrap=0)  # the first call imports SciPy and scikit-learn
    print(f"python {platform.python_version()}, {platform.machine()}, "
          f"{mp.cpu_count()} cores; truth top 3: {', '.join(TRUTH)}")
    print(f"{'trials':>7}  {'method':<24}{'seconds':>10}  top 3")
    for n in sizes:
        study = make_study(n)
        rows: list[tuple[str, float, list[str] | None]] = []
        ours, top = time_ours(study, n_bootstrap=0, seed=0)
        rows.append(("hyperpilot fanova", ours, top))
        rows.append(("hyperpilot fanova+boot", *time_ours(study, n_bootstrap=10, seed=1)))
        optuna_fanova, importances = time_optuna("fanova", n, args.limit)
        optuna_top = top3(importances)
        rows.append(("optuna fanova", optuna_fanova, optuna_top))
        seconds, importances = time_optuna("ped-anova", n, args.limit)
        rows.append(("optuna ped-anova", seconds, top3(importances)))
        for method, seconds, best in rows:
            shown = f"> {args.limit:.0f}" if math.isinf(seconds) else f"{seconds:.2f}"
            names = ", ".join(best) if best else "(stopped at the limit)"
            print(f"{n:>7}  {method:<24}{shown:>10}  {names}")
        ratio = optuna_fanova / ours
        prefix = ">" if math.isinf(optuna_fanova) else ""
        ratio_text = f"{args.limit / ours:.0f}" if math.isinf(optuna_fanova) else f"{ratio:.0f}"
        same = "same top 3" if optuna_top == top else (
            "top 3 differs" if optuna_top else "top 3 not known")
        print(f"{n:>7}  optuna fanova / ours = {prefix}{ratio_text}x; {same}; "
              f"ours vs truth: {'same' if tuple(top) == TRUTH else 'differs'}")
    equal = make_study(1000, equal=True)
    ours_equal = fanova(equal, n_bootstrap=0, pairs=False)
    shares = dict(zip(ours_equal["hyperparameter"], ours_equal["importance"], strict=True))
    _, theirs = time_optuna("fanova", 1000, args.limit, equal=True)
    print("equal true shares (x, layers, optimizer: 1/3 each; wd 0), 1,000 trials:")
    for label, values in (("hyperpilot fanova", shares), ("optuna fanova", theirs or {})):
        shown = ", ".join(f"{k} {values.get(k, math.nan):.3f}" for k in EQUAL_SPACE.names)
        print(f"  {label:<22}{shown}")
    hypershap_section(args.hypershap_trials, args.hypershap_samples)
    report_section(args.report_trials)
    views_section(args.views_trials)
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
