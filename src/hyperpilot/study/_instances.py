"""How a study with instances judges configurations: by their mean over instance-seed pairs.

In an algorithm-configuration study one trial is one configuration on one instance with
one seed, so a single trial's value says little: the configuration is what is judged.
:class:`ConfigurationMeans` groups the complete trials by configuration and gives each its
number of distinct instance-seed pairs and its mean values over them; the study ranks a
trial by its configuration's pairs (more first: a mean over more pairs is a result, over
few an estimate), then by the mean. This is the incumbent rule of SMAC's intensification,
whose incumbent has run on at least as many pairs as any challenger that replaced it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hyperpilot.space._instances import mean_values
from hyperpilot.trial._trial import Trial, TrialState


def config_key(config: Mapping[str, Any]) -> str:
    """A configuration as a string that equal configurations share."""
    return json.dumps(config, sort_keys=True, default=str)


@dataclass(frozen=True)
class ConfigurationMean:
    """One configuration's record over the pairs it completed on.

    Attributes:
        pairs: how many distinct instance-seed pairs it completed on.
        values: objective name -> mean over its pairs (a pair run twice: at its mean).
        constraints: constraint name -> mean over the pairs that measured it.
        first: the number of its first complete trial.

    """

    pairs: int
    values: dict[str, float]
    constraints: dict[str, float] | None
    first: int


class ConfigurationMeans:
    """The mean record of every configuration among *trials* (only complete ones count).

    Args:
        trials: a study's trials (any states; only complete ones are read).

    """

    def __init__(self, trials: Sequence[Trial]) -> None:
        groups: dict[str, list[Trial]] = {}
        for trial in trials:
            if trial.state == TrialState.COMPLETE and trial.values:
                groups.setdefault(config_key(trial.config), []).append(trial)
        self._by_config: dict[str, ConfigurationMean] = {}
        self.covered: frozenset[int] = frozenset(
            t.id for group in groups.values() for t in group)
        for key, group in groups.items():
            by_pair: dict[tuple[str | None, int | None], list[Trial]] = {}
            for trial in group:
                by_pair.setdefault((trial.instance, trial.seed), []).append(trial)
            # A pair run twice counts once, at its mean: every pair weighs the same.
            values = [mean_values(t.values for t in runs) for runs in by_pair.values()]
            measured = [mean_values(t.constraints for t in runs) for runs in by_pair.values()
                        if any(t.constraints for t in runs)]
            self._by_config[key] = ConfigurationMean(
                pairs=len(by_pair),
                values=mean_values(values),
                constraints=mean_values(measured) if measured else None,
                first=min(t.number for t in group),
            )

    def current(self, trials: Sequence[Trial]) -> bool:
        """Whether these means still describe *trials* (no trial has completed since)."""
        return sum(1 for t in trials if t.state == TrialState.COMPLETE and t.values) == len(
            self.covered)

    def of(self, trial: Trial) -> ConfigurationMean | None:
        """The record of *trial*'s configuration; None if it has no complete trial here."""
        return self._by_config.get(config_key(trial.config))
