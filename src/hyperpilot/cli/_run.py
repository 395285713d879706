"""``hyperpilot run``: run (or resume) a study described by a Python or YAML file."""

from __future__ import annotations

import argparse
import shlex
from typing import Any

from hyperpilot.cli._common import (
    UsageError,
    add_storage_argument,
    best_lines,
    budget_amount,
    failure_lines,
    open_storage,
    seconds,
    storage_url,
    whole_number,
)
from hyperpilot.cli._target import as_optimizer, load_target, search_path
from hyperpilot.exceptions import StudyNotFoundError
from hyperpilot.optimizers._base import Optimizer
from hyperpilot.optimizers._registry import OPTIMIZERS, make_optimizer
from hyperpilot.storage._base import Storage, StudyRecord
from hyperpilot.storage._url import display_url
from hyperpilot.study._failures import counts_text
from hyperpilot.study._study import (
    DEFAULT_OPTIMIZER,
    Study,
    create_study,
    stored_optimizer,
)
from hyperpilot.trial._trial import TrialState

DEFAULT_TRIALS = 50
"""How many finished trials a study is run to when neither the file nor a flag says."""

DESCRIPTION = """\
Run a study described by TARGET, a Python file or a YAML file, and print the best
configuration found.

A Python file defines at module level:
  objective    a function objective(config) returning a number, or a mapping of
               objective (and constraint) names to numbers
  space        an hp.Space, or a dict of names to hyperparameters
and optionally: objectives, constraints, optimizer, n_trials, name, seed, storage.

A YAML file holds the keys: name, objective ("file.py:function" relative to the YAML
file, or "package.module:function"), space (written out, or "file.py:variable"),
objectives, constraints, optimizer, trials, timeout, trial_timeout, storage, seed.

Flags override the file's settings. The study is reopened if it exists and topped up
to --trials finished trials, so rerunning a killed command resumes it.
"""

EPILOG = """\
examples:
  hyperpilot run examples/tune_svm.py
  hyperpilot run examples/tune_svm.yaml --trials 100 --storage sqlite:///runs.db
  hyperpilot run train.py --name lr-sweep --optimizer sobol --timeout 3600
  hyperpilot run train.py --trials 200 --workers 4
"""

_COUNT = whole_number(0)






def add_parser(subparsers: Any) -> None:
    """Add the ``run`` command to *subparsers*."""
    parser = subparsers.add_parser(
        "run", help="run or resume a study from a Python or YAML file",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("target", metavar="TARGET", help="a .py or .yaml file describing the study")
    parser.add_argument(
        "--trials", type=_COUNT, metavar="N",
        help="run until the study holds N finished trials, counting earlier runs "
             f"(default: the file's setting, else {DEFAULT_TRIALS})",
    )
    parser.add_argument("--timeout", type=seconds, metavar="S",
                        help="start no new trial after S seconds")
    parser.add_argument("--trial-timeout", type=seconds, metavar="S",
                        help="stop a trial that runs longer than S seconds and record it as failed")
    parser.add_argument("--max-budget", type=budget_amount, metavar="B",
                        help="start no trial that would make this run spend more than B "
                             "(the sum of the trials' budgets with a fidelity, else one "
                             "per trial; default: the file's setting)")
    parser.add_argument(
        "--optimizer", metavar="NAME",
        help=f"one of: {', '.join(sorted(OPTIMIZERS))} (default: the file's, else the stored "
             f"study's, else {DEFAULT_OPTIMIZER})",
    )
    parser.add_argument(
        "--workers", type=whole_number(1), metavar="N",
        help="run N trials at once in worker processes on this machine (default: 1); "
             "for workers on several machines see 'hyperpilot worker'",
    )
    add_storage_argument(parser)
    parser.add_argument("--name", metavar="NAME",
                        help="the study's name (default: the file's setting, else its stem)")
    parser.add_argument("--seed", type=_COUNT, metavar="N",
                        help="seed of a new study; a resumed study keeps its stored seed")
    parser.add_argument("--no-progress", action="store_true", help="draw no progress bar")
    parser.add_argument("--new", action="store_true",
                        help="fail if the study already exists instead of resuming it")
    parser.set_defaults(handler=run_command)


def _existing(storage: Storage, name: str) -> StudyRecord | None:
    try:
        return storage.get_study(name)
    except StudyNotFoundError:
        return None


def run_command(args: argparse.Namespace) -> int:
    """Run ``hyperpilot run`` with the parsed *args*; return the exit code."""
    spec = load_target(args.target)
    optimizer: Optimizer | None = (
        as_optimizer(args.optimizer, "--optimizer") if args.optimizer else spec.optimizer
    )
    name: str = args.name or spec.name or spec.source.stem
    trials: int = next(v for v in (args.trials, spec.trials, DEFAULT_TRIALS) if v is not None)
    timeout = args.timeout if args.timeout is not None else spec.timeout
    trial_timeout = args.trial_timeout if args.trial_timeout is not None else spec.trial_timeout
    seed = args.seed if args.seed is not None else spec.seed
    url = storage_url(args.storage or spec.storage)

    storage = open_storage(url)
    record = _existing(storage, name)
    if record is not None and args.new:
        raise UsageError(
            f"study {name!r} already exists in {display_url(url)}; drop --new to resume it, "
            "or choose another --name"
        )
    if optimizer is None:
        optimizer = stored_optimizer(record) if record else make_optimizer(DEFAULT_OPTIMIZER)
    study = create_study(
        space=spec.space, objectives=spec.objectives or "minimize",
        constraints=spec.constraints, optimizer=optimizer, storage=storage, name=name,
        seed=seed, load_if_exists=True, fidelity=spec.fidelity, **spec.instance_args(),
    )
    max_budget = args.max_budget if args.max_budget is not None else spec.max_budget
    _announce(study, record, display_url(url), trials, seed, timeout, max_budget)
    with search_path(spec.paths):
        study.optimize(spec.objective, total_trials=trials, timeout=timeout,
                       trial_timeout=trial_timeout, show_progress=not args.no_progress,
                       n_workers=args.workers, max_budget=max_budget)
    _report(study, display_url(url))
    return 0


def _announce(study: Study, record: StudyRecord | None, url: str, trials: int,
              seed: int | None, timeout: float | None, max_budget: float | None) -> None:
    optimizer = study.optimizer.config_name()
    if record is None:
        print(f"study {study.name!r} created in {url} (optimizer {optimizer}, seed {study.seed})")
        limit = f" (starting none after {timeout:g} s)" if timeout is not None else ""
        if max_budget is not None:
            unit = study.fidelity.name if study.fidelity is not None else "trials"
            limit += f", or until this run has spent {max_budget:g} {unit}"
        print(f"running {trials} trials{limit}")
        return
    finished = sum(1 for t in study.get_trials() if t.state.is_finished)
    if finished >= trials:
        print(f"study {study.name!r} in {url} already holds {finished} finished trials "
              f"(target {trials}); nothing to run")
    else:
        print(f"resuming study {study.name!r} in {url}: {finished} of {trials} trials finished "
              f"(optimizer {optimizer})")


def _report(study: Study, url: str) -> None:
    trials = study.get_trials()
    counts = {state: 0 for state in TrialState}
    for trial in trials:
        counts[trial.state] += 1
    print()
    print(f"study {study.name!r}: {sum(counts.values())} trials ({counts_text(counts)})")
    for line in best_lines(study, trials):
        print(line)
    if counts[TrialState.COMPLETE]:
        for line in failure_lines(trials, limit=3):
            print(line)
    if url in ("memory", ":memory:", "memory://"):
        print("the study was kept in memory and is gone; pass --storage sqlite:///FILE to keep it")
        return
    show = ["hyperpilot", "studies", "show", study.name, "--storage", url]
    print(f"next: {' '.join(shlex.quote(part) for part in show)}")
