"""The instances and seeds of an algorithm-configuration study.

A study that configures an algorithm (a solver, a heuristic, a training recipe) measures
each configuration on problem **instances** and/or with random **seeds**: one trial is one
configuration on one instance with one seed. The study declares them
(``create_study(instances=[...], seeds=5)``); the objective receives them
(``def objective(config, instance, seed)`` or ``trial.instance``, ``trial.seed``). Like the
fidelity they are not hyperparameters: the optimizer chooses on which instance and seed a
configuration runs, the space holds what is tuned.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hyperpilot.exceptions import OptimizerError, SpaceError

Key = tuple[str | None, int | None]
"""An instance-seed pair a configuration is evaluated on (``None``: not declared)."""


def _names(instances: Any) -> tuple[tuple[str, ...], tuple[tuple[float, ...], ...] | None]:
    """Instance names and, for a mapping, their feature vectors; checked."""
    if isinstance(instances, (str, bytes)) or not isinstance(instances, (Sequence, Mapping)):
        raise SpaceError("instances must be a list of names or a mapping of names to feature "
                         f"vectors, got {instances!r:.80}")
    names = tuple(instances)
    if not names:
        raise SpaceError("instances must name at least one instance, got an empty list")
    seen: set[str] = set()
    for name in names:
        if not isinstance(name, str) or not name:
            raise SpaceError(f"instance names must be non-empty strings, got {name!r:.80}")
        if name in seen:
            raise SpaceError(f"instance names must be unique, got {name!r} twice")
        seen.add(name)
    if not isinstance(instances, Mapping):
        return names, None
    features = []
    for name in names:
        vector = instances[name]
        if isinstance(vector, (str, bytes)) or not isinstance(vector, Sequence) or any(
                isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)
                for v in vector):
            raise SpaceError(f"instance {name!r}: features must be a list of finite numbers, "
                             f"got {vector!r:.80}")
        features.append(tuple(float(v) for v in vector))
    if len({len(f) for f in features}) > 1:
        raise SpaceError("instance features must all have the same length, got lengths "
                         f"{sorted({len(f) for f in features})}")
    return names, tuple(features)


def _seeds(seeds: Any) -> tuple[int, ...]:
    """``N`` -> ``0..N-1``; a list of distinct integers as given."""
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        if seeds < 1:
            raise SpaceError(f"seeds must be a number >= 1 or a list of integers, got {seeds}")
        return tuple(range(seeds))
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence):
        raise SpaceError(f"seeds must be a number >= 1 or a list of integers, got {seeds!r:.80}")
    if not seeds:
        raise SpaceError("seeds must hold at least one seed, got an empty list")
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise SpaceError(f"seeds must be integers, got {seed!r:.80}")
    if len(set(seeds)) < len(seeds):
        twice = next(s for s in seeds if list(seeds).count(s) > 1)
        raise SpaceError(f"seeds must be distinct, got {twice} twice")
    return tuple(seeds)


def mean_values(rows: Iterable[Mapping[str, float] | None]) -> dict[str, float]:
    """Name -> the mean of its values over *rows* (each row may lack names, or be None)."""
    sums: dict[str, list[float]] = {}
    for row in rows:
        for name, value in (row or {}).items():
            sums.setdefault(name, []).append(value)
    return {name: sum(v) / len(v) for name, v in sums.items()}


@dataclass(frozen=True)
class Instances:
    """What a configuration is evaluated on: instance names (with features) and seeds.

    Build it with :meth:`declare`. Either part may be empty, not both.

    Attributes:
        names: the instances, in the order declared; empty when only seeds are declared.
        features: one feature vector per name (same order), when declared as a mapping.
        seeds: the seeds handed to the objective; empty when only instances are declared.

    """

    names: tuple[str, ...] = ()
    features: tuple[tuple[float, ...], ...] | None = None
    seeds: tuple[int, ...] = ()

    @classmethod
    def declare(cls, instances: Any = None, seeds: Any = None) -> Instances | None:
        """The checked declaration of ``create_study(instances=..., seeds=...)``.

        *instances*: a list of distinct names, or a mapping of names to feature vectors
        (lists of finite numbers, all of one length). *seeds*: ``N`` (the seeds
        ``0..N-1``) or a list of distinct integers. None when neither is given.

        Raises:
            SpaceError: naming what was expected and what was got (an empty list, a name
                given twice, a feature that is not a number...).

        """
        if instances is None and seeds is None:
            return None
        names, features = ((), None) if instances is None else _names(instances)
        return cls(names=names, features=features,
                   seeds=() if seeds is None else _seeds(seeds))

    def keys(self) -> list[Key]:
        """Every instance-seed pair: all instances with the first seed, then the second...

        An undeclared part is ``None`` in each pair.
        """
        names: Sequence[str | None] = self.names or (None,)
        seeds: Sequence[int | None] = self.seeds or (None,)
        return [(name, seed) for seed in seeds for name in names]

    def feature(self, name: str) -> tuple[float, ...] | None:
        """The feature vector of instance *name*, if features were declared."""
        if self.features is None:
            return None
        return self.features[self.names.index(name)]

    def check(self, instance: Any, seed: Any, *, who: str) -> None:
        """Refuse an instance or seed this declaration does not hold.

        Raises:
            OptimizerError: naming *who* proposed it, what it proposed and what is declared.

        """
        if self.names and instance not in self.names:
            shown = list(self.names[:5]) + (["..."] if len(self.names) > 5 else [])
            raise OptimizerError(f"{who} proposed instance {instance!r}, which the study does "
                                 f"not declare (it has {len(self.names)}: {shown})")
        if not self.names and instance is not None:
            raise OptimizerError(f"{who} proposed instance {instance!r}, but the study "
                                 "declares no instances")
        if self.seeds and seed not in self.seeds:
            seeds = list(map(str, self.seeds[:5])) + ["..."] * (len(self.seeds) > 5)
            raise OptimizerError(f"{who} proposed seed {seed!r}, which the study does not "
                                 f"declare (it has {len(self.seeds)}: {', '.join(seeds)})")

    def to_json(self) -> dict[str, Any]:
        """The JSON form a study's specification keeps."""
        features = None if self.features is None else {
            name: list(f) for name, f in zip(self.names, self.features, strict=True)}
        return {"names": list(self.names), "features": features, "seeds": list(self.seeds)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Instances:
        """Read :meth:`to_json`'s form back (checked as :meth:`declare` checks)."""
        features = data.get("features")
        names = data.get("names") or None
        if features is not None:  # in the order of "names": a JSON object may be reordered
            names = {name: features[name] for name in names or ()}
        declared = cls.declare(names, data.get("seeds") or None)
        if declared is None:
            raise SpaceError("instances: neither names nor seeds")
        return declared
