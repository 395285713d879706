"""``hyperpilot bench run|report|list``: compare optimizers on benchmark suites."""

from __future__ import annotations

import argparse
import fnmatch
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyperpilot.cli._common import CommandError, UsageError, one_line, whole_number

if TYPE_CHECKING:
    from hyperpilot.benchmarks._problem import Problem

DEFAULT_RESULTS = "bench-results.jsonl"
"""The results file of ``bench run`` and ``bench report`` when none is named."""

DEFAULT_TRIALS = 50
DEFAULT_SEEDS = 3
DEFAULT_OPTIMIZERS = "random,sobol"
_SHOWN_FAILURES = 5

RUN_DESCRIPTION = """\
Run every optimizer on every problem of a suite under every seed, and append one JSON
line per run to the results file. Rerunning the same command resumes: runs already in
the file (finished or failed) are skipped, so a killed benchmark loses only the runs
that were in flight.

Optimizers: hyperpilot's own by name (random, sobol, ...), and the peers optuna-tpe,
optuna-gp, optuna-cmaes, optuna-random, optuna-nsga2, smac-hpo and smac-bb (installed
with: pip install 'hyperpilot[bench]'). A run that fails, or whose optimizer is not
installed, is recorded as failed with the reason; 'hyperpilot bench report' lists it.
A hyperpilot optimizer with other settings runs under a label of its own: define it with
--variant LABEL=SETTINGS (SETTINGS a YAML or JSON mapping with the optimizer's name, its
arguments, and parts as mappings) and list LABEL among the optimizers. Each run stores
the optimizer's full settings; resuming a label with other settings is refused.

Each run executes in its own worker process limited to one BLAS/OpenMP/PyTorch thread,
the same for every optimizer, so that overheads compare fairly. Seeds are 0..K-1: the
optimizer's seed and the tuning seed of the problem; tuning tasks score the incumbent
on a held-out split under separate test seeds.
"""

RUN_EPILOG = """\
examples:
  hyperpilot bench run --suite quick --optimizers random,optuna-tpe,smac-hpo --trials 30 --seeds 2
  hyperpilot bench run --suite bbob --optimizers random,sobol --trials 200 --jobs 2 --out bbob.jsonl
  hyperpilot bench run --suite ml --problems 'ml-svm-*' --optimizers random,optuna-tpe
  hyperpilot bench run --suite bbob --optimizers bo,bo-eipi --trials 100 \
      --variant 'bo-eipi={name: bo, acquisition: ei-pi, n_trials: 100}'
"""

REPORT_DESCRIPTION = """\
Summarize a results file: normalized regret after 25/50/100/200 evaluations, mean ranks
per problem family and overall, a Wilcoxon signed-rank test between the two best
optimizers and a Friedman test with the Nemenyi critical difference, test values of the
incumbents, the optimizers' overhead per trial, and every failed run. The tables are
printed; a self-contained HTML file with the same tables and figures (anytime curves,
overhead, ranks) is written next to the results (needs plotly, in the 'bench' extra).

Normalized regret: (f - f*) / (f_ref - f*), where f* is the known optimum (BBOB) or the
best value seen on the problem, and f_ref the median of uniform random configurations.
"""

_POSITIVE = whole_number(1)
_COUNT = whole_number(0)

def add_parser(subparsers: Any) -> None:
    """Add the ``bench`` command group to *subparsers*."""
    parser = subparsers.add_parser(
        "bench", help="compare optimizers on benchmark suites",
        description="Run optimizers (hyperpilot's and peers') on benchmark suites and report "
                    "regret, ranks, significance and overhead.",
    )
    commands = parser.add_subparsers(dest="bench_command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run", help="run optimizers on a suite (resumable)", description=RUN_DESCRIPTION,
        epilog=RUN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--suite", default="quick", metavar="NAME",
                     help="the suite: quick, bbob, ml, mf or mo (default: %(default)s)")
    run.add_argument("--problems", metavar="GLOBS",
                     help="only the suite's problems matching one of these comma-separated "
                          "patterns, e.g. 'bbob-f01-*,ml-svm-*'")
    run.add_argument("--optimizers", default=DEFAULT_OPTIMIZERS, metavar="A,B,...",
                     help="comma-separated optimizer names and variant labels (default: "
                          "%(default)s)")
    run.add_argument("--variant", action="append", default=[], metavar="LABEL=SETTINGS",
                     help="a hyperpilot optimizer with other settings under LABEL, e.g. "
                          "'bo-lcb={name: bo, acquisition: lcb}' (repeatable)")
    run.add_argument("--trials", type=_POSITIVE, default=DEFAULT_TRIALS, metavar="N",
                     help="evaluations per run; full-budget evaluations for multi-fidelity "
                          "problems (default: %(default)s)")
    run.add_argument("--seeds", type=_POSITIVE, default=DEFAULT_SEEDS, metavar="K",
                     help="run seeds 0..K-1 (default: %(default)s)")
    run.add_argument("--out", default=DEFAULT_RESULTS, metavar="FILE",
                     help="the JSON-lines results file, resumed if it exists "
                          "(default: %(default)s)")
    run.add_argument("--jobs", type=_POSITIVE, default=1, metavar="J",
                     help="runs in parallel, one worker process each (default: %(default)s)")
    run.add_argument("--reference-samples", type=_COUNT, default=100, metavar="N",
                     help="random configurations evaluated once per problem; their median "
                          "scales the normalized regret (default: %(default)s)")
    run.add_argument("--retry-failed", action="store_true",
                     help="run again the runs that the results file records as failed")
    run.add_argument("--no-progress", action="store_true", help="draw no progress bar")
    run.set_defaults(handler=run_command)

    report = commands.add_parser(
        "report", help="tables and an HTML report of a results file",
        description=REPORT_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  hyperpilot bench report\n"
               "  hyperpilot bench report bbob.jsonl --html bbob.html\n",
    )
    report.add_argument("results", nargs="?", default=DEFAULT_RESULTS, metavar="RESULTS",
                        help="the results file of 'bench run' (default: %(default)s)")
    target = report.add_mutually_exclusive_group()
    target.add_argument("--html", metavar="FILE",
                        help="where to write the HTML report (default: RESULTS with .html)")
    target.add_argument("--no-html", action="store_true", help="print the tables only")
    report.add_argument("--figures", metavar="DIR",
                        help="also write SVG figures (regret per family, ranks, overhead) "
                             "into DIR (needs matplotlib, in the 'bench' extra)")
    report.add_argument("--markdown", action="store_true",
                        help="print the tables as Markdown, e.g. for a docs page")
    report.add_argument("--trials", type=_POSITIVE, metavar="N",
                        help="report the runs of N trials (default: the largest N present)")
    report.add_argument("--problems", metavar="GLOBS",
                        help="only the problems matching one of these comma-separated "
                             "patterns, e.g. 'bbob-*-d02-*,bbob-*-d05-*' (ranks are then "
                             "taken over these problems)")
    report.add_argument("--optimizers", metavar="A,B,...",
                        help="only these optimizers (default: all in the file)")
    report.set_defaults(handler=report_command)

    listing = commands.add_parser(
        "list", help="the suites, their problems and the optimizer names",
        description="List the benchmark suites with their problems, and every optimizer name "
                    "that 'bench run --optimizers' accepts.",
    )
    listing.add_argument("--suite", metavar="NAME", help="list only this suite's problems")
    listing.set_defaults(handler=list_command)


# ---------------------------------------------------------------------- suites (test hook)
def suite_names() -> list[str]:
    """The names of the benchmark suites."""
    from hyperpilot.benchmarks._catalog import suite_names as names

    return names()


def load_suite(name: str) -> list[Problem]:
    """The problems of suite *name* (tests replace this function to run toy problems).

    Raises:
        UsageError: for an unknown suite, listing the known ones.

    """
    from hyperpilot.benchmarks._catalog import suite

    known = suite_names()
    if name not in known:
        raise UsageError(f"unknown suite {name!r}; known: {', '.join(known)}")
    return suite(name)


def _matches(name: str, patterns: str) -> bool:
    """Whether *name* matches one of the comma-separated glob *patterns*."""
    return any(fnmatch.fnmatchcase(name, g.strip()) for g in patterns.split(",") if g.strip())


def _select(problems: list[Problem], patterns: str | None) -> list[Problem]:
    if not patterns:
        return problems
    chosen = [p for p in problems if _matches(p.name, patterns)]
    if not chosen:
        raise UsageError(f"--problems {patterns!r} matches none of the suite's problems: "
                         f"{', '.join(p.name for p in problems)}")
    return chosen


def _filter_records(records: list[dict[str, Any]], problems: str | None,
                    optimizers: str | None, path: Path) -> list[dict[str, Any]]:
    """The records of the problems and optimizers asked for (all when not asked).

    Raises:
        UsageError: when a filter matches nothing in the file, naming what the file holds.

    """
    if problems:
        names = sorted({str(r.get("problem")) for r in records})
        chosen = {n for n in names if _matches(n, problems)}
        if not chosen:
            raise UsageError(f"--problems {problems!r} matches none of the problems in "
                             f"{path}: {', '.join(names)}")
        records = [r for r in records if r.get("problem") in chosen]
    if optimizers:
        wanted = {n.strip() for n in optimizers.split(",") if n.strip()}
        present = sorted({str(r["optimizer"]) for r in records if r.get("kind") == "run"})
        unknown = sorted(wanted - set(present))
        if unknown:
            raise UsageError(f"--optimizers: {unknown[0]!r} has no runs in {path}; it holds "
                             f"{', '.join(present)}")
        records = [r for r in records if r.get("kind") != "run" or r["optimizer"] in wanted]
    return records


def _variants(texts: list[str]) -> dict[str, dict[str, Any]]:
    """``--variant LABEL=SETTINGS`` options as labels to optimizer descriptions."""
    import yaml

    from hyperpilot.benchmarks._runner import check_variants
    from hyperpilot.exceptions import OptimizerError

    variants: dict[str, dict[str, Any]] = {}
    for text in texts:
        label, sep, settings = text.partition("=")
        label = label.strip()
        if not sep or not label:
            raise UsageError(f"--variant {text!r}: expected LABEL=SETTINGS, e.g. "
                             "'bo-lcb={name: bo, acquisition: lcb}'")
        try:
            spec = yaml.safe_load(settings)
        except yaml.YAMLError as exc:
            raise UsageError(f"--variant {label}: the settings do not parse: "
                             f"{one_line(exc)}") from None
        if not isinstance(spec, dict) or "name" not in spec:
            raise UsageError(f"--variant {label}: the settings must be a mapping with the "
                             f"optimizer's name, e.g. {{name: bo, acquisition: lcb}}; got "
                             f"{settings.strip()!r}")
        if label in variants:
            raise UsageError(f"--variant {label!r} is defined twice")
        variants[label] = spec
    try:
        check_variants(variants)
    except (ValueError, OptimizerError) as exc:
        raise UsageError(f"--variant: {one_line(exc)}") from None
    return variants


def _optimizers(text: str, variants: dict[str, dict[str, Any]]) -> list[str]:
    from hyperpilot.benchmarks._runner import optimizer_names

    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise UsageError("--optimizers needs at least one name")
    known = [*optimizer_names(), *variants]
    for name in names:
        if name not in known:
            raise UsageError(f"unknown optimizer {name!r}; known: {', '.join(known)}")
    unused = [label for label in variants if label not in names]
    if unused:
        raise UsageError(f"--variant {unused[0]!r} is defined but not listed in --optimizers")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise UsageError(f"--optimizers names {repeated[0]!r} twice")
    return names


# ---------------------------------------------------------------------- commands
def run_command(args: argparse.Namespace) -> int:
    """Run the benchmark and print what was done."""
    from hyperpilot.benchmarks._records import ResultsFileError
    from hyperpilot.benchmarks._runner import run_benchmark

    variants = _variants(args.variant)
    optimizers = _optimizers(args.optimizers, variants)
    problems = _select(load_suite(args.suite), args.problems)
    try:
        summary = run_benchmark(
            problems, optimizers, n_trials=args.trials, seeds=list(range(args.seeds)),
            out=args.out, jobs=args.jobs, reference_samples=args.reference_samples,
            retry_failed=args.retry_failed, progress=not args.no_progress,
            variants=variants,
        )
    except (ResultsFileError, ValueError) as exc:
        raise UsageError(one_line(exc)) from None
    ran = summary.ok + summary.failed + summary.unsupported
    print(f"suite {args.suite}: {len(problems)} problems x {len(optimizers)} optimizers x "
          f"{args.seeds} seeds, {args.trials} evaluations per run")
    print(f"ran {ran} runs ({summary.ok} ok, {summary.failed} failed, {summary.unsupported} "
          f"unsupported) and {summary.references} reference samples; skipped "
          f"{summary.skipped} already in {args.out}")
    for line in summary.failures[:_SHOWN_FAILURES]:
        print(f"  failed: {line.splitlines()[0]}")
    if len(summary.failures) > _SHOWN_FAILURES:
        print(f"  ... and {len(summary.failures) - _SHOWN_FAILURES} more")
    report = "hyperpilot bench report" + ("" if args.out == DEFAULT_RESULTS else f" {args.out}")
    print(f"results: {args.out}; summarize with: {report}")
    if summary.failed:
        raise CommandError(f"{summary.failed} of {ran} runs failed; they are recorded in "
                           f"{args.out} and listed by '{report}'")
    return 0


def report_command(args: argparse.Namespace) -> int:
    """Print the report's tables and write the HTML report."""
    from hyperpilot.benchmarks._records import ResultsFileError, read_records
    from hyperpilot.benchmarks._report import text_report, write_html
    from hyperpilot.benchmarks._summary import summarize

    path = Path(args.results)
    if not path.is_file():
        raise UsageError(f"no results file {str(path)!r} (write one with 'hyperpilot bench "
                         "run --out FILE')")
    try:
        records = read_records(path)
    except ResultsFileError as exc:
        raise UsageError(one_line(exc)) from None
    records = _filter_records(records, args.problems, args.optimizers, path)
    try:
        summary = summarize(records, n_trials=args.trials)
    except ValueError as exc:
        raise UsageError(f"{path}: {one_line(exc)}") from None
    print(text_report(summary, source=str(path), markdown=args.markdown))
    if not args.no_html:
        target = Path(args.html) if args.html else path.with_suffix(".html")
        try:
            written = write_html(summary, target, source=str(path))
        except OSError as exc:
            raise CommandError(f"cannot write the HTML report {str(target)!r}: {exc}") from None
        print(f"\nHTML report: {written}")
    if args.figures:
        from hyperpilot.benchmarks._figures import write_figures

        try:
            figures = write_figures(summary, args.figures)
        except OSError as exc:
            raise CommandError(f"cannot write figures into {args.figures!r}: {exc}") from None
        print(f"figures: {', '.join(str(f) for f in figures)}")
    sys.stdout.flush()
    return 0


def list_command(args: argparse.Namespace) -> int:
    """Print the suites with their problems and the optimizer names."""
    from hyperpilot.benchmarks._runner import optimizer_names

    names = [args.suite] if args.suite else suite_names()
    for name in names:
        problems = load_suite(name)
        print(f"suite {name} ({len(problems)} problem{'' if len(problems) == 1 else 's'}):")
        for problem in problems:
            print(f"  {problem.name:<36} {problem.family:<5} {len(problem.space):>3} "
                  f"hyperparameters, {len(problem.objectives)} objective"
                  f"{'s' if len(problem.objectives) != 1 else ''}")
    print("optimizers: " + ", ".join(optimizer_names()))
    return 0
