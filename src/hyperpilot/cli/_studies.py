"""``hyperpilot studies list|show|export|delete``: read and manage stored studies."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import IO, Any

from hyperpilot._tables import text_table
from hyperpilot.cli._common import (
    CommandError,
    UsageError,
    add_storage_argument,
    best_lines,
    config_lines,
    failure_lines,
    fmt,
    fmt_time,
    objectives_text,
    open_existing_storage,
    ranked,
    space_lines,
    storage_url,
    trial_rows,
)
from hyperpilot.optimizers._random import RandomOptimizer
from hyperpilot.storage._base import Storage, StudyRecord
from hyperpilot.storage._url import display_url
from hyperpilot.study._explain import why_lines
from hyperpilot.study._failures import counts_text
from hyperpilot.study._study import Study
from hyperpilot.trial._trial import Trial, TrialState

EXPORT_FORMAT = 1
"""Version of the JSON export document."""


def add_parser(subparsers: Any) -> None:
    """Add the ``studies`` command group to *subparsers*."""
    parser = subparsers.add_parser(
        "studies", help="list, show, export or delete stored studies",
        description="Read and manage the studies in a storage.",
    )
    commands = parser.add_subparsers(dest="studies_command", metavar="COMMAND", required=True)

    listing = commands.add_parser(
        "list", help="a table of every study in the storage",
        description="List every study in the storage: when it was created, its trials per "
                    "state, its best value and its optimizer.",
    )
    add_storage_argument(listing)
    listing.set_defaults(handler=list_command)

    show = commands.add_parser(
        "show", help="one study in detail",
        description="Show one study: its space, objectives, trial counts, best trial (or "
                    "Pareto front) and a table of its top trials.",
    )
    show.add_argument("name", metavar="NAME", help="the study's name")
    add_storage_argument(show)
    show.add_argument("--top", type=int, default=10, metavar="K",
                      help="how many of the best trials to list (default: %(default)s)")
    show.add_argument("--trial", type=int, metavar="N",
                      help="show trial number N in full instead: configuration, values, "
                           "timings, and the whole error with its traceback")
    show.set_defaults(handler=show_command)

    export = commands.add_parser(
        "export", help="write a study's trials as CSV or JSON",
        description="Export one study. CSV has one row per trial (number, state, objective.*, "
                    "constraint.*, config.*, budget, seed, timings, error...). JSON is a "
                    "document with the study's specification and every field of every trial.",
    )
    export.add_argument("name", metavar="NAME", help="the study's name")
    add_storage_argument(export)
    export.add_argument("--format", choices=("csv", "json"), default="csv",
                        help="output format (default: %(default)s)")
    export.add_argument("--output", "-o", metavar="FILE",
                        help="write to FILE instead of standard output")
    export.set_defaults(handler=export_command)

    delete = commands.add_parser(
        "delete", help="delete a study and its trials",
        description="Delete a study and all its trials. Both the storage and --yes must be "
                    "given explicitly; there is no undo.",
    )
    delete.add_argument("name", metavar="NAME", help="the study's name")
    add_storage_argument(delete, required=True)
    delete.add_argument("--yes", action="store_true", help="confirm the deletion")
    delete.set_defaults(handler=delete_command)


def _open(storage: Storage, record: StudyRecord) -> Study:
    """A read-only view of a stored study (its optimizer is irrelevant for reading)."""
    return Study(storage=storage, record=record, optimizer=RandomOptimizer())


def _best_cell(study: Study, trials: list[Trial]) -> str:
    if len(study.objectives) > 1:
        return f"front of {len(study.best_trials)}"
    best = ranked(study, trials)
    if not best:
        return "-"
    objective = study.objectives[0]
    arrow = "max" if objective.direction == "maximize" else "min"
    return f"{fmt((best[0].values or {})[objective.name])} ({arrow})"


def list_command(args: argparse.Namespace) -> int:
    """Print a table of the storage's studies."""
    storage = open_existing_storage(args.storage)
    summaries = storage.list_studies()
    url = display_url(storage_url(args.storage))
    if not summaries:
        print(f"no studies in {url}")
        return 0
    states = [TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED, TrialState.RUNNING,
              TrialState.PENDING]
    rows: list[list[Any]] = []
    for summary in summaries:
        record = summary.record
        study = _open(storage, record)
        best = _best_cell(study, study.get_trials()) if summary.counts.get(
            TrialState.COMPLETE) else "-"
        rows.append([record.name, fmt_time(record.created_at),
                     *(summary.counts.get(s, 0) for s in states), best,
                     study.spec.optimizer.get("name", "?")])
    print(text_table(["name", "created", *(s.value for s in states), "best", "optimizer"],
                     rows, cell=fmt))
    return 0


def show_command(args: argparse.Namespace) -> int:
    """Print one study in detail."""
    if args.top < 1:
        raise UsageError(f"--top must be at least 1, got {args.top}")
    storage = open_existing_storage(args.storage)
    study = _open(storage, storage.get_study(args.name))
    trials = study.get_trials()
    if args.trial is not None:
        print("\n".join(_trial_lines(study, trials, args.trial)))
        return 0
    counts = {state: 0 for state in TrialState}
    for trial in trials:
        counts[trial.state] += 1
    optimizer = dict(study.spec.optimizer)
    opt_name = optimizer.pop("name", "?")
    opt_args = ", ".join(f"{k}={v!r}" for k, v in optimizer.items())
    constraints = ", ".join(f"{c.name} <= {fmt(c.upper)}" for c in study.constraints) or "none"
    lines = [
        f"study {study.name!r} in {display_url(storage_url(args.storage))}",
        f"created      {fmt_time(study.record.created_at)}",
        f"optimizer    {opt_name}" + (f" ({opt_args})" if opt_args else ""),
        f"seed         {study.seed}",
        f"objectives   {objectives_text(study)}",
        f"constraints  {constraints}",
        *([] if study.fidelity is None else [
            f"fidelity     {study.fidelity.name} in [{fmt(study.fidelity.min)}, "
            f"{fmt(study.fidelity.max)}]" + (" (log)" if study.fidelity.log else "")]),
        f"trials       {len(trials)} ({counts_text(counts)})",
        f"space        {len(study.space)} hyperparameter{'s' if len(study.space) != 1 else ''}",
        *space_lines(study.space),
        "",
        *best_lines(study, trials, front_rows=0),
    ]
    lines += _steering_lines(study)
    if counts[TrialState.COMPLETE] and counts[TrialState.FAILED]:
        lines += ["", *failure_lines(trials)]
    complete = ranked(study, trials)
    if complete:
        top = complete[:args.top]
        front = {t.id for t in study.best_trials} if len(study.objectives) > 1 else None
        headers, rows = trial_rows(study, top, front=front)
        headers.append("seconds")
        for row, trial in zip(rows, top, strict=True):
            row.append(None if trial.duration is None else round(trial.duration, 3))
        order = "feasible first, then " if study.constraints else ""
        lines += ["", f"top {len(top)} of {len(complete)} complete trials "
                  f"({order}by {study.objectives[0].name}):",
                  text_table(headers, rows, cell=fmt)]
    print("\n".join(lines))
    return 0


def _trial_lines(study: Study, trials: list[Trial], number: int) -> list[str]:
    """One trial in full: state, values, configuration, timings, meta and error."""
    found = [t for t in trials if t.number == number]
    if not found:
        raise UsageError(f"study {study.name!r} has no trial {number} "
                         f"(its trials are numbered 0 to {len(trials) - 1})")
    trial = found[0]
    lines = [f"trial {trial.number} of study {study.name!r}: {trial.state.value}"]
    for objective in study.objectives:
        value = (trial.values or {}).get(objective.name)
        lines.append(f"  {objective.name:<12} {fmt(value)} ({objective.direction})")
    for constraint in study.constraints:
        value = (trial.constraints or {}).get(constraint.name)
        lines.append(f"  {constraint.name:<12} {fmt(value)} (at most {fmt(constraint.upper)})")
    lines += ["configuration:", *config_lines(trial, "  ")]
    details: list[tuple[str, Any]] = [("budget", trial.budget), ("seed", trial.seed),
                                      ("instance", trial.instance), ("worker", trial.worker)]
    for label, detail in details:
        if detail is not None:
            lines.append(f"{label:<9} {fmt(detail)}")
    lines.append(f"started  {fmt_time(trial.started_at)}; "
                 f"took {fmt(trial.duration)} s" if trial.duration is not None
                 else f"started  {fmt_time(trial.started_at)}")
    lines += why_lines(trial)
    attrs = trial.meta.get("user_attrs")
    if isinstance(attrs, dict) and attrs:
        lines += ["user attributes:", *(f"  {k} = {v!r}" for k, v in attrs.items())]
    if trial.error:
        lines += ["error:", *("  " + line for line in trial.error.splitlines())]
    for stream in ("stdout", "stderr"):
        text = trial.meta.get(stream)
        if isinstance(text, str) and text.strip():
            lines += [f"{stream}:", *("  " + line for line in text.rstrip().splitlines())]
    return lines


def _steering_lines(study: Study) -> list[str]:
    """The steering in force and the number of events, when anyone steered the study."""
    events = study.events()
    if not events:
        return []
    state = study.steering()
    lines = ["", f"steering     {state.status}; {len(events)} event"
             f"{'s' if len(events) != 1 else ''} (hyperpilot steer {study.name} events)"]
    for prior in state.priors:
        lines.append(f"  prior {prior.name} = {fmt(prior.value)} ({prior.confidence}, since "
                     f"trial {prior.since})")
    for name, (low, high) in state.ranges.items():
        lines.append(f"  narrowed {name} to [{fmt(low)}, {fmt(high)}]")
    for name, value in state.frozen.items():
        lines.append(f"  frozen {name} = {fmt(value)}")
    if state.excluded:
        lines.append(f"  excluded trials {', '.join(map(str, sorted(state.excluded)))}")
    if state.acquisition is not None:
        lines.append(f"  acquisition {json.dumps(state.acquisition)}")
    verdicts = [e for e in events if e.kind == "prior_verdict"]
    if verdicts:
        last = verdicts[-1].payload
        lines.append(f"  last verdict: the prior on {last['name']} was "
                     f"{'judged misleading' if last['verdict'] == 'rejected' else 'trusted'} "
                     f"at trial {last['trial']}")
    return lines


def _trial_json(trial: Trial) -> dict[str, Any]:
    data = dataclasses.asdict(trial)
    data["state"] = trial.state.value
    data["duration"] = trial.duration
    return data


def export_command(args: argparse.Namespace) -> int:
    """Write a study's trials as CSV or JSON to a file or standard output."""
    storage = open_existing_storage(args.storage)
    study = _open(storage, storage.get_study(args.name))
    if args.output is None:
        _write(study, args.format, sys.stdout)
        return 0
    path = Path(args.output)
    try:
        with path.open("w", encoding="utf-8", newline="") as stream:
            count = _write(study, args.format, stream)
    except OSError as exc:
        raise CommandError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
    print(f"wrote {count} trials of study {study.name!r} to {path} ({args.format})",
          file=sys.stderr)
    return 0


def _write(study: Study, fmt_name: str, stream: IO[str]) -> int:
    if fmt_name == "csv":
        frame = study.to_dataframe()
        frame.to_csv(stream, index=False)
        return len(frame)
    trials = study.get_trials()
    record = study.record
    document = {
        "format": EXPORT_FORMAT,
        "study": {"name": record.name, "id": record.id, "created_at": record.created_at,
                  "spec": record.spec},
        "trials": [_trial_json(t) for t in trials],
    }
    json.dump(document, stream, indent=2)
    stream.write("\n")
    return len(trials)


def delete_command(args: argparse.Namespace) -> int:
    """Delete a study and its trials (needs ``--yes``)."""
    storage = open_existing_storage(args.storage)
    record = storage.get_study(args.name)
    if not args.yes:
        raise UsageError(f"refusing to delete study {record.name!r} without --yes")
    count = len(storage.get_trials(record.id))
    storage.delete_study(record.name)
    print(f"deleted study {record.name!r} and its {count} trials from {display_url(args.storage)}")
    return 0
