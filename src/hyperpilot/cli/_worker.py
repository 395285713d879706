"""``hyperpilot worker``: one of many processes working on a study through a shared storage."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from hyperpilot.cli._common import (
    UsageError,
    add_storage_argument,
    budget_amount,
    open_storage,
    seconds,
    storage_url,
    whole_number,
)
from hyperpilot.cli._run import DEFAULT_TRIALS
from hyperpilot.cli._target import as_optimizer, load_target, search_path
from hyperpilot.exceptions import HyperpilotError
from hyperpilot.execution._heartbeat import DEFAULT_INTERVAL
from hyperpilot.execution._limits import parse_memory
from hyperpilot.optimizers._registry import OPTIMIZERS
from hyperpilot.storage._url import display_url
from hyperpilot.study._failures import counts_text
from hyperpilot.study._study import DEFAULT_OPTIMIZER, Study, create_study, worker_id
from hyperpilot.study._worker import run_worker
from hyperpilot.trial._trial import Trial, TrialState

DESCRIPTION = """\
Work on a study together with other workers that share its storage. Start the same
command N times, on one machine (SQLite storage) or on many (PostgreSQL storage, e.g. as
a SLURM job array); the workers cooperate through the storage alone: no trial runs twice,
no result is lost, and with --trials the study ends with exactly that many trials.

TARGET is the run file of 'hyperpilot run' (a .py or .yaml file): it gives the objective,
and the space to create the study with if it does not exist yet.

Each worker sends a heartbeat for its running trials every --heartbeat-interval seconds.
A trial whose worker died is failed (not re-queued, so that a configuration that kills
its worker cannot kill every worker in turn) with the reason "abandoned: ...": at once
when the worker ran on the same machine, after three intervals without a heartbeat
otherwise.
"""

EPILOG = """\
examples:
  hyperpilot worker train.py --storage sqlite:///runs.db --trials 200 &  # 4 times
  hyperpilot worker train.py --study svm --storage postgresql://user:pw@db/hpo \\
      --trials 1000 --isolation process --trial-timeout 600 --memory-limit 4GB
"""

_COUNT = whole_number(0)


def _memory(text: str) -> int:
    try:
        value = parse_memory(text)
    except HyperpilotError:
        raise argparse.ArgumentTypeError(
            f"expected a size such as 2GB, 512MiB or a number of bytes, got {text!r}"
        ) from None
    assert value is not None
    return value


def add_parser(subparsers: Any) -> None:
    """Add the ``worker`` command to *subparsers*."""
    parser = subparsers.add_parser(
        "worker", help="work on a study with other workers through a shared storage",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("target", metavar="TARGET",
                        help="the .py or .yaml run file giving the objective (and the space)")
    parser.add_argument("--study", metavar="NAME",
                        help="the study's name (default: the file's setting, else its stem)")
    add_storage_argument(parser)
    parser.add_argument(
        "--trials", "--total-trials", dest="trials", type=_COUNT, metavar="N",
        help="stop once the study holds N trials, counting every worker's, as in "
             f"'hyperpilot run' (default: the file's setting, else {DEFAULT_TRIALS}, unless "
             "--worker-trials is given)",
    )
    parser.add_argument("--worker-trials", type=_COUNT, metavar="N",
                        help="run at most N trials in this worker")
    parser.add_argument("--timeout", type=seconds, metavar="S",
                        help="start no new trial after S seconds")
    parser.add_argument("--trial-timeout", type=seconds, metavar="S",
                        help="stop a trial that runs longer than S seconds and record it as failed")
    parser.add_argument("--max-budget", type=budget_amount, metavar="B",
                        help="start no trial that would make this worker spend more than B "
                             "(the sum of its trials' budgets with a fidelity, else one per "
                             "trial; default: the file's setting)")
    parser.add_argument("--isolation", choices=["none", "process"],
                        help="'process' runs each trial in a fresh child process: crashes, "
                             "exits and limits fail that trial only; its output is stored")
    parser.add_argument("--memory-limit", type=_memory, metavar="SIZE",
                        help="resident memory a trial may use, e.g. 4GB (implies "
                             "--isolation process)")
    parser.add_argument("--heartbeat-interval", type=seconds, metavar="S",
                        default=DEFAULT_INTERVAL,
                        help=f"seconds between heartbeats (default: {DEFAULT_INTERVAL:g})")
    parser.add_argument(
        "--optimizer", metavar="NAME",
        help=f"for a new study: one of {', '.join(sorted(OPTIMIZERS))} (default: the file's, "
             f"else the stored study's, else {DEFAULT_OPTIMIZER})",
    )
    parser.add_argument("--seed", type=_COUNT, metavar="N", help="seed of a new study")
    parser.add_argument("--progress", action="store_true", help="draw a progress bar")
    parser.set_defaults(handler=worker_command)


class _Tally:
    """Counts this worker's finished trials per state."""

    def __init__(self) -> None:
        self.counts = dict.fromkeys(TrialState, 0)

    def __call__(self, study: Study, trial: Trial) -> None:
        self.counts[trial.state] += 1


def worker_command(args: argparse.Namespace) -> int:
    """Run ``hyperpilot worker`` with the parsed *args*; return the exit code."""
    spec = load_target(args.target)
    name: str = args.study or spec.name or spec.source.stem
    url = storage_url(args.storage or spec.storage)
    if url in ("memory", ":memory:", "memory://"):
        raise UsageError("workers share a study through its storage; an in-memory storage "
                         "cannot be shared: pass --storage sqlite:///FILE or postgresql://...")
    total = args.trials
    if total is None and args.worker_trials is None:
        total = spec.trials if spec.trials is not None else DEFAULT_TRIALS
    optimizer = as_optimizer(args.optimizer, "--optimizer") if args.optimizer else spec.optimizer
    seed = args.seed if args.seed is not None else spec.seed
    study = create_study(
        space=spec.space, objectives=spec.objectives or "minimize",
        constraints=spec.constraints, optimizer=optimizer, storage=open_storage(url),
        name=name, seed=seed, load_if_exists=True, fidelity=spec.fidelity, **spec.instance_args(),
    )
    limits = [f"{args.worker_trials} trials" if args.worker_trials is not None else "",
              f"until the study holds {total}" if total is not None else ""]
    print(f"worker {worker_id()} on study {name!r} in {display_url(url)}: "
          f"{' or '.join(x for x in limits if x)}", flush=True)
    tally = _Tally()
    with search_path(spec.paths):
        run_worker(
            study, spec.objective, n_trials=args.worker_trials, total_trials=total,
            timeout=args.timeout,
            trial_timeout=args.trial_timeout if args.trial_timeout else spec.trial_timeout,
            isolation=args.isolation, memory_limit=args.memory_limit,
            heartbeat_interval=args.heartbeat_interval, show_progress=args.progress,
            callbacks=[tally],
            max_budget=args.max_budget if args.max_budget is not None else spec.max_budget,
        )
    held = study.storage.list_studies()
    summary = next((s for s in held if s.record.id == study.id), None)
    ran = sum(tally.counts.values())
    line = f"worker {worker_id()} ran {ran} trials ({counts_text(tally.counts)})"
    if summary is not None:
        line += f"; study {name!r} holds {summary.n_trials} ({counts_text(summary.counts)})"
    print(line, file=sys.stdout, flush=True)
    return 0
