"""What the command groups share: the usage error, storage options, cell formatting."""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hyperpilot._tables import text_table
from hyperpilot.exceptions import HyperpilotError, StorageError
from hyperpilot.space._params import Hyperparameter
from hyperpilot.space._space import Space
from hyperpilot.storage._base import Storage
from hyperpilot.storage._url import (
    default_storage_url,
    display_url,
    get_storage,
    sqlite_file,
)
from hyperpilot.study._failures import failure_groups, numbers_text
from hyperpilot.study._study import Study
from hyperpilot.trial._trial import Trial, TrialState

EXIT_RUNTIME = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least *minimum*."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a number >= {minimum}, got {text!r}")
        return value

    return parse


def seconds(text: str) -> float:
    """An argparse type: a positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def budget_amount(text: str) -> float:
    """An argparse type: a positive amount of budget (epochs, rounds, or trials)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text!r}")
    return value


class UsageError(HyperpilotError, ValueError):
    """A mistake on the command line or in a file given to it (exit code 2)."""


class CommandError(HyperpilotError, RuntimeError):
    """A command failed at run time: the user's code raised on import, a file is unwritable."""


def add_storage_argument(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    """Add ``--storage URL`` to *parser*."""
    parser.add_argument(
        "--storage", metavar="URL", required=required,
        help="where studies are stored: sqlite:///FILE, postgresql://..., or memory "
             + ("" if required else "(default: $HYPERPILOT_STORAGE, else sqlite:///hyperpilot.db)"),
    )


def storage_url(given: str | None) -> str:
    """The storage URL a command will use: *given*, else the environment's or the default."""
    return given if given else default_storage_url()


def open_storage(url: str) -> Storage:
    """Open (or create) the storage at *url*.

    Raises:
        StorageError: when it cannot be opened, also when its database driver is missing.

    """
    try:
        return get_storage(url)
    except ImportError as exc:
        raise StorageError(f"cannot open storage {display_url(url)}: {one_line(exc)}") from None


def open_existing_storage(given: str | None) -> Storage:
    """Open a storage to read from without creating an SQLite file that is not there.

    Raises:
        StorageError: when the SQLite file does not exist or the storage cannot be opened.

    """
    url = storage_url(given)
    path = sqlite_file(url)
    try:
        missing = path is not None and not path.exists()
    except (OSError, ValueError) as exc:  # a name too long for the file system
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else one_line(exc)
        raise StorageError(f"cannot open storage {display_url(url)}: {reason}") from None
    if missing:
        raise StorageError(
            f"no storage at {url}: the file {str(path)!r} does not exist "
            "(pass --storage, or set HYPERPILOT_STORAGE)"
        )
    return open_storage(url)


def one_line(exc: BaseException) -> str:
    """The first line of an exception's message, or its type name when it has none."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


# ---------------------------------------------------------------------- formatting
def fmt(value: Any) -> str:
    """Format one cell: numbers with 6 significant digits, ``None``/NaN as ``-``."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.6g}"
    return str(value)


def fmt_time(timestamp: float | None) -> str:
    """Format a Unix time as local ``YYYY-MM-DD HH:MM``."""
    if timestamp is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def describe_hyperparameter(param: Hyperparameter) -> str:
    """One line describing a hyperparameter: type, range or choices, prior and condition."""
    data = param.to_json()
    kind = data.pop("type")
    if kind in ("float", "int"):
        text = f"{kind:<11} [{fmt(data['low'])}, {fmt(data['high'])}]"
        if data.get("log"):
            text += " log"
    elif kind == "constant":
        text = f"{kind:<11} {data['value']!r}"
    else:
        choices = data.get("choices", data.get("sequence", []))
        text = f"{kind:<11} {{{', '.join(fmt(c) for c in choices)}}}"
    if "prior" in data:
        text += f"  prior {fmt(data['prior'])} ({data['confidence']})"
    if "active_if" in data:
        text += f"  active if {_condition_text(data['active_if'])}"
    return text


def _condition_text(spec: Any) -> str:
    clauses = [spec] if isinstance(spec, Mapping) else list(spec)
    parts = []
    for clause in clauses:
        if isinstance(clause, Mapping):
            atoms = []
            for name, test in clause.items():
                if isinstance(test, list):
                    atoms.append(f"{name} in {{{', '.join(fmt(v) for v in test)}}}")
                elif isinstance(test, Mapping):
                    atoms.append(f"{name} {test['op']} {fmt(test['value'])}")
                else:
                    atoms.append(f"{name} = {fmt(test)}")
            parts.append(" and ".join(atoms))
        else:
            parts.append(" and ".join(f"{n} {op} {fmt(v)}" for n, op, v in clause))
    return " or ".join(parts)


def space_lines(space: Space) -> list[str]:
    """One indented line per hyperparameter of *space*, then its forbidden combinations."""
    width = max((len(n) for n in space.names), default=0)
    lines = [f"  {name:<{width}}  {describe_hyperparameter(space[name])}" for name in space.names]
    forbidden = space.to_json().get("forbidden", [])
    for item in forbidden:
        lines.append(f"  forbidden: {_condition_text(item)}")
    return lines


def config_lines(trial: Trial, indent: str = "  ") -> list[str]:
    """One ``name = value`` line per active hyperparameter of *trial*."""
    width = max((len(n) for n in trial.config), default=0)
    return [f"{indent}{name:<{width}} = {fmt(value)}" for name, value in trial.config.items()]


# ---------------------------------------------------------------------- study summaries
def objectives_text(study: Study) -> str:
    """``accuracy (maximize), latency (minimize)``."""
    return ", ".join(f"{o.name} ({o.direction})" for o in study.objectives)


def ranked(study: Study, trials: Sequence[Trial]) -> list[Trial]:
    """Complete trials best first, as :attr:`Study.best_trial` ranks them.

    With a fidelity the highest budget first; then feasible before infeasible, then by the
    first objective.

    A trial without a value for the first objective (a damaged storage) cannot be ranked
    and is left out.
    """
    first = study.objectives[0]
    return sorted(
        (t for t in trials if t.state == TrialState.COMPLETE and first.name in (t.values or {})),
        key=lambda t: (*study.rank_key(t), t.number),
    )


def trial_rows(study: Study, trials: Sequence[Trial], *, front: set[int] | None = None,
               ) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of a trials table: number, objectives, constraints, configuration."""
    params = [n for n in study.space.names if any(n in t.config for t in trials)]
    headers = ["trial", *(o.name for o in study.objectives),
               *(c.name for c in study.constraints), *params]
    if front is not None:
        headers.append("pareto")
    rows: list[list[Any]] = []
    for t in trials:
        row: list[Any] = [t.number, *((t.values or {}).get(o.name) for o in study.objectives),
                          *((t.constraints or {}).get(c.name) for c in study.constraints),
                          *(t.config.get(n) for n in params)]
        if front is not None:
            row.append("*" if t.id in front else "")
        rows.append(row)
    return headers, rows


def failure_lines(trials: Sequence[Trial], *, limit: int = 10) -> list[str]:
    """The failed trials grouped by error, most frequent first: a head line, then groups."""
    groups = failure_groups(trials)
    if not groups:
        return []
    failed = sum(g.count for g in groups)
    lines = [f"failures: {failed} trial{'s' if failed != 1 else ''}, "
             f"{len(groups)} distinct error{'s' if len(groups) != 1 else ''}"]
    for group in groups[:limit]:
        lines.append(f"  {group.count:>4}x  {group.error}  (trials {numbers_text(group.numbers)})")
    if len(groups) > limit:
        lines.append(f"  ... and {len(groups) - limit} more")
    return lines


def best_lines(study: Study, trials: Sequence[Trial], *, front_rows: int = 5) -> list[str]:
    """The best trial and its configuration, or the Pareto front's size and first rows.

    With ``front_rows=0`` a multi-objective study gets only the size of its front.
    """
    complete = ranked(study, trials)
    if not complete:
        failures = failure_lines(trials)
        return ["no trial completed", *failures] if failures else ["no trial completed yet"]
    if len(study.objectives) == 1:
        best = complete[0]
        objective = study.objectives[0]
        value = (best.values or {})[objective.name]
        at = ""
        if study.fidelity is not None and best.budget is not None:
            at = f", {study.fidelity.name} {fmt(best.budget)}"
        line = (f"best {objective.name}: {fmt(value)} (trial {best.number}{at}, "
                f"{objective.direction})")
        violation = study.violation(best)
        if violation > 0:
            line += f"; no trial is feasible, this one violates the constraints by {fmt(violation)}"
        return [line, *config_lines(best)]
    front = ranked(study, study.best_trials)
    if not front:
        return ["Pareto front: empty (no complete trial satisfies the constraints)"]
    head = f"Pareto front: {len(front)} trial{'s' if len(front) != 1 else ''}"
    if front_rows <= 0:
        return [head]
    shown = front[:front_rows]
    headers, rows = trial_rows(study, shown)
    if len(front) > len(shown):
        head += f", first {len(shown)} by {study.objectives[0].name}"
    return [head, *("  " + line for line in text_table(headers, rows, cell=fmt).splitlines())]
