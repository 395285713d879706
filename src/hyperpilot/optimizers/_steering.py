"""The steering state an optimizer receives: what the interventions so far add up to.

The study derives it from the events in its storage (see :mod:`hyperpilot.study._steering`
for the kinds of event and their payloads) and hands it over in
:attr:`History.steering <hyperpilot.optimizers.History.steering>`; an optimizer never
reads events or the storage itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from hyperpilot.space._space import Space

STATUSES = ("running", "paused", "stopped")


class EventLike(Protocol):
    """What :meth:`SteeringState.replay` reads of a stored event."""

    @property
    def id(self) -> int: ...

    @property
    def at_trial(self) -> int: ...

    @property
    def kind(self) -> str: ...

    @property
    def payload(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class RuntimePrior:
    """A prior given while the study ran.

    Attributes:
        name: the hyperparameter.
        value: where the user believes good values lie.
        confidence: ``"low"``, ``"medium"``, ``"high"`` or a number in (0, 1).
        since: the trial number from which it applies (its decay starts there).
        event: the id of the event that gave it.

    """

    name: str
    value: Any
    confidence: str | float
    since: int
    event: int


@dataclass(frozen=True)
class SteeringState:
    """What the interventions so far add up to, for one trial number.

    Attributes:
        priors: runtime priors in force, oldest first (several per hyperparameter may be).
        excluded: numbers of trials kept out of the model.
        ranges: numeric hyperparameters searched within ``(low, high)`` only.
        frozen: hyperparameters proposed at one value only.
        acquisition: the acquisition a user chose, or ``None`` for the optimizer's own.
        status: ``running``, ``paused`` or ``stopped``.
        last_event: the id of the newest event taken into account (0: none).

    """

    priors: tuple[RuntimePrior, ...] = ()
    excluded: frozenset[int] = frozenset()
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    frozen: Mapping[str, Any] = field(default_factory=dict)
    acquisition: Any = None
    status: str = "running"
    last_event: int = 0

    @property
    def is_empty(self) -> bool:
        """Whether nothing steers the search (pause and stop aside)."""
        return not (self.priors or self.excluded or self.ranges or self.frozen
                    or self.acquisition is not None)

    def in_force(self) -> dict[str, Any]:
        """A JSON-ready summary of what steers the search, for a proposal's explanation."""
        out: dict[str, Any] = {}
        if self.priors:
            out["priors"] = [{"name": p.name, "value": p.value, "confidence": p.confidence,
                              "since": p.since} for p in self.priors]
        if self.excluded:
            out["excluded"] = sorted(self.excluded)
        if self.ranges:
            out["ranges"] = {k: list(v) for k, v in self.ranges.items()}
        if self.frozen:
            out["frozen"] = dict(self.frozen)
        if self.acquisition is not None:
            out["acquisition"] = self.acquisition
        return out

    @classmethod
    def replay(cls, events: Iterable[EventLike], *,
               upto: int | None = None) -> SteeringState:
        """Fold *events* (oldest first) into the state they add up to.

        With *upto*, only the events in force for trial number *upto* count: those stored
        while the study held at most that many trials (``at_trial <= upto``).
        """
        priors: list[RuntimePrior] = []
        excluded: set[int] = set()
        ranges: dict[str, tuple[float, float]] = {}
        frozen: dict[str, Any] = {}
        acquisition: Any = None
        status = "running"
        last = 0
        for event in events:
            if upto is not None and event.at_trial > upto:
                continue
            last = max(last, event.id)
            p = event.payload
            kind = event.kind
            if kind == "set_prior":
                priors.append(RuntimePrior(p["name"], p["value"], p["confidence"],
                                           event.at_trial, event.id))
            elif kind == "clear_prior":
                priors = [r for r in priors if r.name != p["name"]]
            elif kind == "exclude":
                excluded.add(int(p["trial"]))
            elif kind == "include":
                excluded.discard(int(p["trial"]))
            elif kind == "narrow":
                ranges[p["name"]] = (p["low"], p["high"])
            elif kind == "restore_range":
                ranges.pop(p["name"], None)
            elif kind == "freeze":
                frozen[p["name"]] = p["value"]
            elif kind == "release":
                frozen.pop(p["name"], None)
            elif kind == "set_acquisition":
                acquisition = p.get("acquisition")
            elif kind == "pause":
                status = "paused" if status != "stopped" else status
            elif kind == "stop":
                status = "stopped"
            elif kind == "resume":
                status = "running"
        return cls(priors=tuple(priors), excluded=frozenset(excluded), ranges=ranges,
                   frozen=frozen, acquisition=acquisition, status=status, last_event=last)


def steer_config(space: Space, config: Mapping[str, Any], state: SteeringState,
                 rng: np.random.Generator) -> dict[str, Any]:
    """*config* within the limits *state* sets: frozen values, narrowed ranges.

    A frozen hyperparameter takes its value when it is active; a value outside a narrowed
    range is replaced by a uniform draw within it (on the hyperparameter's own scale).
    Hyperparameters that a change activates are taken from *config* or their defaults,
    and within the limits too. Every optimizer's proposal goes through this, so that a
    limit holds whatever the optimizer does with it.
    """
    if not (state.frozen or state.ranges):
        return dict(config)
    given: dict[str, Any] = {}
    for _ in range(len(space) + 1):  # a change may activate what another limit covers
        current = space.complete(given, config)
        changed = False
        for name, value in current.items():
            if name in state.frozen and current[name] != state.frozen[name]:
                given[name], changed = state.frozen[name], True
            elif name in state.ranges and name not in given:
                low, high = state.ranges[name]
                if not low <= value <= high:
                    param = space[name]
                    lo, hi = sorted((param.to_unit(low), param.to_unit(high)))
                    drawn = param.normalize(param.from_unit(float(rng.uniform(lo, hi))))
                    if isinstance(drawn, int):  # rounding may step outside by one
                        drawn = min(max(drawn, math.ceil(low)), math.floor(high))
                    else:
                        drawn = min(max(drawn, low), high)
                    given[name], changed = drawn, True
        if not changed:
            return current
    return space.complete(given, config)
