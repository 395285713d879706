"""The ``hyperpilot`` command: the parser, and errors turned into one line and an exit code.

Exit codes: 0 success; 1 a run-time error (storage, study not found, the objective failing
too often); 2 a usage error (command line, or the file given to ``run``); 130 interrupted
with Ctrl-C. User mistakes print one line ``hyperpilot: error: ...`` and no traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn

from hyperpilot import __version__
from hyperpilot._logging import console_only
from hyperpilot.cli import _bench, _dashboard, _report, _run, _steer, _studies, _worker
from hyperpilot.cli._common import (
    EXIT_INTERRUPTED,
    EXIT_RUNTIME,
    EXIT_USAGE,
    UsageError,
    one_line,
)
from hyperpilot.exceptions import HyperpilotError

DESCRIPTION = """\
hyperpilot: hyperparameter optimization that a person can steer and understand.

Run a study from a file, then inspect what it found. Studies live in a storage
(--storage URL; default $HYPERPILOT_STORAGE, else sqlite:///hyperpilot.db in the
working directory), so a run that stops can be resumed by running it again.
"""

EPILOG = """\
examples:
  hyperpilot run examples/tune_svm.py
  hyperpilot studies list
  hyperpilot studies show tune_svm --top 5
  hyperpilot studies export tune_svm --format json --output tune_svm.json
  hyperpilot steer tune_svm prior C 10 --confidence high
  hyperpilot report tune_svm -o tune_svm.html
  hyperpilot dashboard --storage sqlite:///hyperpilot.db
  hyperpilot bench run --suite quick --optimizers random,optuna-tpe --trials 30

'hyperpilot COMMAND --help' describes each command.
"""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors become :class:`UsageError` (one line, exit code 2)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    """Build the ``hyperpilot`` parser with all its commands."""
    parser = _Parser(
        prog="hyperpilot", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hyperpilot {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _run.add_parser(commands)
    _studies.add_parser(commands)
    _bench.add_parser(commands)
    _worker.add_parser(commands)
    _steer.add_parser(commands)
    _report.add_parser(commands)
    _dashboard.add_parser(commands)
    return parser


def _fail(message: str, code: int) -> int:
    print(f"hyperpilot: error: {message}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    """Run the ``hyperpilot`` command with *argv* (default: ``sys.argv[1:]``).

    Returns the exit code; ``--help`` and ``--version`` print and return 0.
    """
    parser = build_parser()
    args: argparse.Namespace | None = None
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version
            return exc.code if isinstance(exc.code, int) else 0
        with console_only():
            return int(args.handler(args))
    except UsageError as exc:
        return _fail(one_line(exc), EXIT_USAGE)
    except HyperpilotError as exc:
        return _fail(one_line(exc), EXIT_RUNTIME)
    except KeyboardInterrupt:
        if getattr(args, "storage", None) in ("memory", ":memory:", "memory://"):
            print("\nhyperpilot: interrupted; the study was in memory and is gone",
                  file=sys.stderr)
        else:
            print("\nhyperpilot: interrupted; finished trials are stored, run the same "
                  "command again to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``... | head``): stop quietly, and keep Python from
        # complaining again when it flushes stdout at exit.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_RUNTIME
