"""``hyperpilot steer STUDY ...``: intervene in a study, running or not, from a terminal.

Each command stores one event through the same methods as Python
(:class:`~hyperpilot.study._steer.Steering`) with origin ``cli``; workers on the study
follow it from the next trial they start. Invalid input changes nothing and prints one
line (exit code 2).
"""

from __future__ import annotations

import argparse
import getpass
import json
from typing import Any

from hyperpilot._tables import text_table
from hyperpilot.cli._common import (
    UsageError,
    add_storage_argument,
    fmt,
    fmt_time,
    open_existing_storage,
)
from hyperpilot.exceptions import SteeringError
from hyperpilot.optimizers._random import RandomOptimizer
from hyperpilot.space._params import Hyperparameter
from hyperpilot.storage._base import Event
from hyperpilot.study._study import Study

DESCRIPTION = """\
Steer a study: give or clear a prior, keep a trial out of the model, narrow a range,
freeze a value, queue a configuration, change the acquisition, pause, resume or stop.
Every intervention is stored as an event of the study; workers running it (on any
machine sharing the storage) follow it from the next trial they start, and a stopped
study runs no trial until resumed. 'events' lists the interventions and the
optimizer's verdicts.
"""

EPILOG = """\
examples:
  hyperpilot steer svm prior C 10 --confidence high
  hyperpilot steer svm clear-prior C
  hyperpilot steer svm exclude 17            # keep trial 17 out of the model
  hyperpilot steer svm include 17
  hyperpilot steer svm enqueue kernel=rbf C=3.5
  hyperpilot steer svm narrow gamma 0.001 0.1
  hyperpilot steer svm restore gamma
  hyperpilot steer svm freeze kernel rbf
  hyperpilot steer svm release kernel
  hyperpilot steer svm acquisition lcb --beta 4
  hyperpilot steer svm pause | resume | stop
  hyperpilot steer svm events
"""


def add_parser(subparsers: Any) -> None:
    """Add the ``steer`` command to *subparsers*."""
    parser = subparsers.add_parser(
        "steer", help="intervene in a study: priors, exclusions, ranges, pause, stop",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("study", metavar="STUDY", help="the study's name")
    add_storage_argument(parser)
    parser.add_argument("--author", metavar="NAME",
                        help="who intervenes, stored with the event (default: your login)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    prior = actions.add_parser("prior", help="believe that good values lie around VALUE")
    prior.add_argument("name", metavar="NAME")
    prior.add_argument("value", metavar="VALUE")
    prior.add_argument("--confidence", default="medium",
                       help="low, medium, high or a number in (0, 1) (default: medium)")
    actions.add_parser("clear-prior", help="drop the runtime priors on NAME").add_argument(
        "name", metavar="NAME")
    for verb, text in (("exclude", "keep trial N out of the model (it stays stored)"),
                       ("include", "take an excluded trial N back into the model")):
        actions.add_parser(verb, help=text).add_argument("trial", metavar="N", type=int)
    enqueue = actions.add_parser("enqueue", help="evaluate a configuration next "
                                                 "(name=value ...; the optimizer fills in "
                                                 "the rest)")
    enqueue.add_argument("assignments", metavar="NAME=VALUE", nargs="+")
    narrow = actions.add_parser("narrow", help="search NAME within [LOW, HIGH] only")
    narrow.add_argument("name", metavar="NAME")
    narrow.add_argument("low", metavar="LOW", type=float)
    narrow.add_argument("high", metavar="HIGH", type=float)
    actions.add_parser("restore", help="search NAME in its whole range again").add_argument(
        "name", metavar="NAME")
    freeze = actions.add_parser("freeze", help="propose NAME at VALUE only")
    freeze.add_argument("name", metavar="NAME")
    freeze.add_argument("value", metavar="VALUE")
    actions.add_parser("release", help="let the optimizer choose NAME again").add_argument(
        "name", metavar="NAME")
    acquisition = actions.add_parser(
        "acquisition", help="use another acquisition function (NAME, or 'default')")
    acquisition.add_argument("name", metavar="NAME")
    acquisition.add_argument("--beta", type=float,
                             help="exploration weight of lcb (larger explores more)")
    for verb, text in (("pause", "start no new trial until resumed"),
                       ("resume", "start trials again"),
                       ("stop", "stop the study: running workers end, runs are refused")):
        actions.add_parser(verb, help=text)
    actions.add_parser("events", help="list the interventions and the optimizer's verdicts")
    parser.set_defaults(handler=steer_command)


def parse_value(name: str, param: Hyperparameter, text: str) -> Any:
    """Read *text* as a value of *param*: a number, or the choice it spells.

    Raises:
        UsageError: naming the hyperparameter and what was expected.

    """
    if param.kind in ("float", "int"):
        try:
            number = float(text)
        except ValueError:
            raise UsageError(f"{name!r} takes a number, got {text!r}") from None
        if param.kind == "int" and number.is_integer():
            return int(number)
        return number
    choices = list(param.to_json().get("choices", param.to_json().get("sequence", [])))
    if param.kind == "constant":
        choices = [param.to_json().get("value")]
    for choice in choices:
        if str(choice) == text:
            return choice
    try:
        loaded = json.loads(text)
    except ValueError:
        loaded = text
    if loaded in choices:
        return loaded
    raise UsageError(f"{name!r} takes one of {choices}, got {text!r}")


def _param(study: Study, name: str) -> Hyperparameter:
    if name not in study.space:
        raise UsageError(f"unknown hyperparameter {name!r}; known: {sorted(study.space.names)}")
    return study.space[name]


def _event_text(event: Event) -> str:
    payload = dict(event.payload)
    if event.kind in ("exclude", "include"):
        return f"trial {payload['trial']}"
    if event.kind == "enqueue":
        return f"trial {payload['trial']}: " + ", ".join(
            f"{k}={fmt(v)}" for k, v in payload.get("config", {}).items())
    parts = []
    if "name" in payload:
        parts.append(str(payload.pop("name")))
    parts += [f"{k}={v!r}" if isinstance(v, (dict, list)) else f"{k}={fmt(v)}"
              for k, v in payload.items()]
    return " ".join(parts)


def steer_command(args: argparse.Namespace) -> int:
    """Run ``hyperpilot steer`` with the parsed *args*; return the exit code."""
    storage = open_existing_storage(args.storage)
    study = Study(storage=storage, record=storage.get_study(args.study),
                  optimizer=RandomOptimizer())
    if args.action == "events":
        events = study.events()
        if not events:
            print(f"study {study.name!r} has no events")
            return 0
        rows = [[e.id, e.at_trial, fmt_time(e.created_at), e.origin, e.author or "-", e.kind,
                 _event_text(e)] for e in events]
        print(text_table(["event", "at trial", "time", "origin", "author", "kind", "what"],
                         rows, cell=fmt))
        return 0
    author = args.author if args.author is not None else _login()
    who: dict[str, Any] = {"origin": "cli", "author": author}
    action = args.action
    try:
        if action == "prior":
            value = parse_value(args.name, _param(study, args.name), args.value)
            confidence = _confidence(args.confidence)
            event = study.set_prior(args.name, value, confidence, **who)
        elif action == "clear-prior":
            event = study.clear_prior(args.name, **who)
        elif action == "exclude":
            event = study.exclude(args.trial, **who)
        elif action == "include":
            event = study.include(args.trial, **who)
        elif action == "enqueue":
            config = {}
            for item in args.assignments:
                name, sep, text = item.partition("=")
                if not sep:
                    raise UsageError(f"enqueue takes NAME=VALUE, got {item!r}")
                config[name] = parse_value(name, _param(study, name), text)
            trial = study.enqueue(config, **who)
            print(f"queued trial {trial.number} of study {study.name!r}: " + ", ".join(
                f"{k}={fmt(v)}" for k, v in trial.config.items()))
            return 0
        elif action == "narrow":
            event = study.narrow(args.name, args.low, args.high, **who)
        elif action == "restore":
            event = study.restore_range(args.name, **who)
        elif action == "freeze":
            value = parse_value(args.name, _param(study, args.name), args.value)
            event = study.freeze(args.name, value, **who)
        elif action == "release":
            event = study.release(args.name, **who)
        elif action == "acquisition":
            spec: Any = None if args.name == "default" else args.name
            if args.beta is not None:
                if spec is None:
                    raise UsageError("--beta needs an acquisition name, not 'default'")
                spec = {"name": args.name, "beta": args.beta}
            event = study.set_acquisition(spec, **who)
        else:
            event = getattr(study, action)(**who)
    except SteeringError as exc:
        raise UsageError(str(exc)) from None
    print(f"study {study.name!r}: {event.kind} {_event_text(event)}".rstrip()
          + f" (event {event.id}, from trial {event.at_trial} on)")
    return 0


def _confidence(text: str) -> str | float:
    try:
        return float(text)
    except ValueError:
        return text


def _login() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # no login name in this environment
        return None

