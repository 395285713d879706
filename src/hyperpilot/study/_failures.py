"""Failed trials told in words: their errors grouped, and what one run of a study did.

One home for the lines that the optimize loop logs, that :attr:`Study.best_trial` raises
when nothing completed, and that ``hyperpilot studies show`` prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from hyperpilot.trial._trial import Trial, TrialState


class Outcome(Protocol):
    """What :func:`failure_groups` reads of a trial: a :class:`Trial` or a ``TrialResult``."""

    @property
    def number(self) -> int: ...

    @property
    def state(self) -> TrialState: ...

    @property
    def error(self) -> str | None: ...


def error_head(error: str | None) -> str:
    """The line that names a failure: the first line of the stored error."""
    if not error:
        return "no reason given"
    for line in error.splitlines():
        if line.strip():
            return line.strip()
    return "no reason given"


@dataclass(frozen=True)
class FailureGroup:
    """Failed trials that share their error's first line."""

    error: str
    numbers: tuple[int, ...]

    @property
    def count(self) -> int:
        """How many trials failed this way."""
        return len(self.numbers)


def failure_groups(trials: Iterable[Outcome]) -> list[FailureGroup]:
    """The failed trials grouped by error, most frequent first (then by first trial)."""
    groups: dict[str, list[int]] = {}
    for trial in trials:
        if trial.state == TrialState.FAILED:
            groups.setdefault(error_head(trial.error), []).append(trial.number)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[1][0]))
    return [FailureGroup(error, tuple(numbers)) for error, numbers in ordered]


def numbers_text(numbers: Sequence[int], limit: int = 8) -> str:
    """``3, 5, 9`` or ``3, 5, 9, ... (12 in all)`` past *limit*."""
    shown = ", ".join(str(n) for n in numbers[:limit])
    return shown if len(numbers) <= limit else f"{shown}, ... ({len(numbers)} in all)"


def counts_text(counts: Mapping[TrialState, int]) -> str:
    """``4 complete, 6 failed`` (complete and failed always, other states when present)."""
    return ", ".join(f"{counts.get(s, 0)} {s.value}" for s in TrialState
                     if s in (TrialState.COMPLETE, TrialState.FAILED) or counts.get(s, 0))


def no_complete_text(trials: Sequence[Trial]) -> str:
    """Why there is no best trial: how many failed and the most common error."""
    groups = failure_groups(trials)
    failed = sum(g.count for g in groups)
    if not failed:
        return "no trial has completed yet"
    top = groups[0]
    return (f"no trial has completed: {failed} of {len(trials)} failed, most often "
            f"({top.count}x) with {top.error}")
