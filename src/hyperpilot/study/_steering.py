"""Steering: what people (and optimizers) did to a study, as events, and the state they add up to.

Every intervention is an :class:`~hyperpilot.storage.Event` in the study's storage, checked
against the space before it is stored (:func:`check_intervention`). The steering state in
force for a trial is a pure function of the events stored before it
(:meth:`SteeringState.replay`), so every process that shares the storage derives the same
state, a reopened study continues with it, and a seeded run with the same events at the
same trial numbers proposes the same configurations. Optimizers receive the state through
:class:`~hyperpilot.optimizers.History`; they never read the storage.

Kinds and payloads:

* ``set_prior`` ``{name, value, confidence}`` / ``clear_prior`` ``{name}``: a belief given
  while the study runs (several over time; each decays from the trial it was given at).
* ``exclude`` / ``include`` ``{trial}``: keep a trial out of the model (it stays stored
  and is not proposed again) / take it back.
* ``narrow`` ``{name, low, high}`` / ``restore_range`` ``{name}``: search a numeric
  hyperparameter within a sub-range only / again in its whole range.
* ``freeze`` ``{name, value}`` / ``release`` ``{name}``: propose only that value / any.
* ``set_acquisition`` ``{acquisition}``: a registry name or description of the BO
  acquisition to use from now on (``None`` restores the optimizer's own).
* ``pause`` / ``resume`` / ``stop`` ``{}``: no new trial starts while paused; a stopped
  study runs no more trials until resumed.
* ``enqueue`` ``{trial, config}``: a configuration queued by hand (a record; the queue is
  the pending trials).
* ``prior_verdict`` ``{names, verdict, ...}`` (origin ``optimizer``): the optimizer judged
  a prior; the numbers of its test are in the payload.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from hyperpilot.exceptions import HyperpilotError, SteeringError
from hyperpilot.space._params import Float, Hyperparameter, Int
from hyperpilot.space._space import Space

ORIGINS = ("python", "cli", "dashboard", "optimizer")
"""Where an event may come from."""

KINDS = ("set_prior", "clear_prior", "exclude", "include", "narrow", "restore_range",
         "freeze", "release", "set_acquisition", "pause", "resume", "stop", "enqueue",
         "prior_verdict")
"""Every kind of event a study knows."""



def _param(space: Space, name: Any) -> Hyperparameter:
    if not isinstance(name, str) or name not in space:
        raise SteeringError(f"unknown hyperparameter {name!r}; known: {sorted(space.names)}")
    return space[name]


def _finite(name: str, what: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(
            float(value)):
        raise SteeringError(f"{name!r}: {what} must be a finite number, got {value!r}")
    return float(value)


def check_intervention(space: Space, kind: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """Check one intervention against *space*; return its payload as it will be stored.

    Trial numbers (``exclude``/``include``) are checked by the study, which knows them.

    Raises:
        SteeringError: one line naming what is wrong (an unknown hyperparameter, a value
            outside the range or of the wrong type, a range that is empty or outside the
            hyperparameter's own, an unknown kind).

    """
    if kind not in KINDS:
        raise SteeringError(f"unknown intervention {kind!r}; known: {list(KINDS)}")
    p = dict(payload)
    if kind in ("set_prior", "clear_prior", "narrow", "restore_range", "freeze", "release"):
        param = _param(space, p.get("name"))
        name = p["name"]
    if kind == "set_prior":
        if p.get("value") is None:
            raise SteeringError(f"a prior on {name!r} needs a value, got None")
        try:
            varied = dataclasses.replace(param, prior=p["value"],
                                         confidence=p.get("confidence", "medium"))
            varied.check(name)
        except (HyperpilotError, TypeError, ValueError) as exc:
            raise SteeringError(str(exc).splitlines()[0]) from None
        return {"name": name, "value": param.normalize(varied.prior),
                "confidence": varied.confidence}
    if kind == "freeze":
        problem = param.problem(p.get("value"))
        if problem:
            raise SteeringError(f"cannot freeze {name!r}: {name!r} {problem}")
        return {"name": name, "value": param.normalize(p["value"])}
    if kind == "narrow":
        if not isinstance(param, (Float, Int)):
            raise SteeringError(
                f"{name!r} is {param.kind}; only float and int ranges can be narrowed "
                "(freeze a choice instead)")
        low = _finite(name, "low", p.get("low"))
        high = _finite(name, "high", p.get("high"))
        if not low < high:
            raise SteeringError(f"{name!r}: the narrowed range must not be empty, got "
                                f"low={low:g}, high={high:g}")
        lowest, highest = float(param.low), float(param.high)
        if low < lowest or high > highest:
            raise SteeringError(
                f"{name!r}: the narrowed range [{low:g}, {high:g}] must lie within its range "
                f"[{lowest:g}, {highest:g}]")
        if param.kind == "int" and math.floor(high) < math.ceil(low):
            raise SteeringError(f"{name!r}: no whole number lies in [{low:g}, {high:g}]")
        return {"name": name, "low": low, "high": high}
    if kind in ("clear_prior", "restore_range", "release"):
        return {"name": name}
    if kind in ("exclude", "include"):
        trial = p.get("trial")
        if isinstance(trial, bool) or not isinstance(trial, int) or trial < 0:
            raise SteeringError(f"{kind}: the trial must be a trial number, got {trial!r}")
        return {"trial": trial}
    return p
