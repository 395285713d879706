"""The dashboard's writes: one steering action from a JSON body, through the Study's methods.

Each action calls the same :class:`~hyperpilot.study.Study` method as Python, with origin
``dashboard``, so the study's own checks decide what is stored; what those checks leave
open (a JSON type the study would coerce, an exploration weight that is not a number) is
refused here first. A refusal is a :class:`BadRequest` or the study's ``SteeringError`` /
``ConfigurationError``: one line, nothing stored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from hyperpilot.dashboard._data import event_json
from hyperpilot.optimizers.bo._components import SHORT_NAMES
from hyperpilot.study._study import Study

ORIGIN = "dashboard"

EXPLORATION_WEIGHTS: dict[str, str] = {
    "ei": "xi", "logei": "xi", "pi": "xi", "logpi": "xi", "ei-pi": "xi", "lcb": "beta",
    "sawei": "alpha",
}
"""The keyword of each acquisition's exploration weight (those not listed have none)."""

ACTIONS = ("set_prior", "clear_prior", "pause", "resume", "stop", "exclude", "include",
           "enqueue", "narrow", "restore_range", "freeze", "release", "set_acquisition")
"""Every action ``POST /api/studies/{name}/steer`` takes."""


class BadRequest(Exception):
    """An input the API refuses (400)."""


def acquisitions() -> list[dict[str, Any]]:
    """The acquisitions the page offers: short name and its exploration weight, if any."""
    return [{"name": name, "weight": EXPLORATION_WEIGHTS.get(name)}
            for name in SHORT_NAMES["acquisition"]]


def _acquisition(body: Mapping[str, Any]) -> str | dict[str, Any] | None:
    """The acquisition a ``set_acquisition`` body asks for (None: the optimizer's own)."""
    name = body.get("acquisition")
    if name is None or name == "":
        return None
    if not isinstance(name, str) or name not in SHORT_NAMES["acquisition"]:
        raise BadRequest(f"set_acquisition: acquisition must be one of "
                         f"{list(SHORT_NAMES['acquisition'])} or null, got {name!r:.40}")
    weight = body.get("weight")
    if weight is None or weight == "":
        return name
    keyword = EXPLORATION_WEIGHTS.get(name)
    if keyword is None:
        raise BadRequest(f"set_acquisition: {name!r} has no exploration weight, got "
                         f"weight={weight!r:.40}")
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(
            weight) or weight < 0:
        raise BadRequest(f"set_acquisition: the weight {keyword} of {name!r} must be a "
                         f"finite number >= 0, got {weight!r:.40}")
    return {"name": name, keyword: float(weight)}


def steer(study: Study, body: Mapping[str, Any]) -> dict[str, Any]:
    """Apply one steering action from a JSON body; the stored event (and trial) as JSON.

    Raises:
        BadRequest: an unknown action, a missing field or a field of the wrong JSON type.
        SteeringError: what the study refuses (see :mod:`hyperpilot.study._steering`).

    """
    action = body.get("action")

    def field(key: str) -> Any:
        if key not in body:
            raise BadRequest(f"{action}: the field {key!r} is missing")
        return body[key]

    def name() -> str:
        value = field("name")
        if not isinstance(value, str):
            raise BadRequest(f"{action}: name must be a hyperparameter's name, got "
                             f"{value!r:.40}")
        return value

    def number(key: str) -> float:
        value = field(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BadRequest(f"{action}: {key} must be a number, got {value!r:.40}")
        return value

    who: dict[str, Any] = {"origin": ORIGIN, "author": body.get("author")}
    if action == "set_prior":
        event = study.set_prior(name(), field("value"), body.get("confidence", "medium"),
                                **who)
    elif action in ("clear_prior", "restore_range", "release"):
        event = getattr(study, action)(name(), **who)
    elif action == "narrow":
        event = study.narrow(name(), number("low"), number("high"), **who)
    elif action == "freeze":
        event = study.freeze(name(), field("value"), **who)
    elif action == "set_acquisition":
        event = study.set_acquisition(_acquisition(body), **who)
    elif action in ("pause", "resume", "stop"):
        event = getattr(study, action)(**who)
    elif action in ("exclude", "include"):
        event = getattr(study, action)(field("trial"), **who)
    elif action == "enqueue":
        config = field("config")
        if not isinstance(config, dict):
            raise BadRequest(f"enqueue: config must be an object, got {config!r:.60}")
        trial = study.enqueue(config, **who)
        return {"trial": trial.number, "config": trial.config,
                "event": event_json(study.events()[-1])}
    else:
        raise BadRequest(f"action must be one of {', '.join(ACTIONS)}; got {action!r:.40}")
    return {"event": event_json(event)}
