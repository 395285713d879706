"""A study's steering methods: each intervention is checked, then stored as an event.

:class:`Steering` is a base of :class:`~hyperpilot.study.Study`; it needs the study's
storage, id, name, space and trials. Every method takes ``origin`` (``python`` by default;
the command line says ``cli``, the dashboard ``dashboard``) and an optional ``author``, and
returns the stored :class:`~hyperpilot.storage.Event`. Nothing is stored when the input is
refused. Workers that share the storage apply an intervention from the next trial they
start (see :mod:`hyperpilot.study._steering`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hyperpilot.exceptions import SteeringError
from hyperpilot.optimizers._steering import SteeringState
from hyperpilot.storage._base import Event, NewEvent
from hyperpilot.study._steering import ORIGINS, check_intervention

logger = logging.getLogger("hyperpilot")

if TYPE_CHECKING:
    from hyperpilot.space._space import Space
    from hyperpilot.storage._base import Storage
    from hyperpilot.trial._trial import Trial


class EventCache:
    """A study's events, read incrementally (events never change)."""

    def __init__(self, storage: Storage, study_id: int) -> None:
        self._storage = storage
        self._study_id = study_id
        self._events: list[Event] = []

    def load(self) -> list[Event]:
        """Every event so far, oldest first (only new ones are read)."""
        start = self._events[-1].id + 1 if self._events else 0
        self._events.extend(self._storage.get_events(self._study_id, min_id=start))
        return list(self._events)


class Steering:
    """Interventions on a running study: priors, exclusions, ranges, frozen values, pauses."""

    storage: Storage
    space: Space
    _events: EventCache

    if TYPE_CHECKING:  # provided by Study
        @property
        def id(self) -> int: ...

        @property
        def name(self) -> str: ...

        def get_trials(self, states: Any = None) -> list[Trial]: ...

    # ------------------------------------------------------------------ reading
    def events(self) -> list[Event]:
        """Every event of the study, oldest first: interventions and optimizer verdicts."""
        return self._events.load()

    def steering(self, *, upto: int | None = None) -> SteeringState:
        """The steering state now, or the one in force for trial number *upto*."""
        return SteeringState.replay(self._events.load(), upto=upto)

    def _record_verdicts(self, number: int, meta: Mapping[str, Any]) -> None:
        """Store the optimizer's judgement of a runtime prior when it changes.

        A prior is presumed helpful when given; the first time the optimizer's test rejects
        it, and every time the verdict turns, an event with origin ``optimizer`` records
        the verdict and the numbers of the test.
        """
        bo = meta.get("bo")
        infos = bo.get("runtime_priors") if isinstance(bo, Mapping) else None
        if not infos:
            return
        last: dict[int, str] = {}
        for event in self._events.load():
            if event.kind == "prior_verdict":
                last[int(event.payload["prior_event"])] = str(event.payload["verdict"])
        for info in infos:
            if last.get(int(info["event"]), "used") == info["verdict"]:
                continue
            self.storage.add_event(self.id, NewEvent(
                kind="prior_verdict", origin="optimizer", created_at=time.time(),
                payload={"name": info["name"], "prior_event": info["event"],
                         "verdict": info["verdict"], "trial": number,
                         "prior_score": info["prior_score"],
                         "incumbent_score": info["incumbent_score"],
                         "tolerance": info["tolerance"],
                         **({"together_with": list(info["with"])} if "with" in info else {})},
            ))
            verb = "judged misleading and left out" if info["verdict"] == "rejected" else (
                "trusted again")
            region = ("its region, with the priors given with it on " + ", ".join(info["with"])
                      + ","
                      if "with" in info else "its region")
            logger.info("study %r: the prior on %s (event %d) was %s at trial %d (%s scores "
                        "%.3g against %.3g around the incumbent)", self.name,
                        info["name"], info["event"], verb, number, region,
                        info["prior_score"], info["incumbent_score"])

    # ------------------------------------------------------------------ writing
    @staticmethod
    def _check_who(origin: str, author: str | None) -> None:
        if origin not in ORIGINS:
            raise SteeringError(f"origin must be one of {list(ORIGINS)}, got {origin!r}")
        if author is not None and (not isinstance(author, str) or len(author) > 255):
            raise SteeringError(f"author must be a name of at most 255 characters, got "
                                f"{author!r:.60}")

    def _intervene(self, kind: str, payload: Mapping[str, Any], origin: str,
                   author: str | None) -> Event:
        self._check_who(origin, author)
        checked = check_intervention(self.space, kind, payload)
        return self.storage.add_event(self.id, NewEvent(
            kind=kind, payload=checked, origin=origin, author=author, created_at=time.time(),
        ))

    def set_prior(self, name: str, value: Any, confidence: str | float = "medium", *,
                  origin: str = "python", author: str | None = None) -> Event:
        """Believe that good values of *name* lie around *value*, from the next trial on.

        Several priors may be given over time; each one's weight decays from the trial it
        was given at. A categorical takes a choice as its value.

        Raises:
            SteeringError: for an unknown name, a value outside the range or of the wrong
                type, or an invalid confidence; nothing is stored.

        """
        return self._intervene("set_prior", {"name": name, "value": value,
                                             "confidence": confidence}, origin, author)

    def clear_prior(self, name: str, *, origin: str = "python",
                    author: str | None = None) -> Event:
        """Drop every runtime prior on *name* (a prior declared in the space stays)."""
        return self._intervene("clear_prior", {"name": name}, origin, author)

    def _trial_number(self, number: Any) -> int:
        if isinstance(number, bool) or not isinstance(number, int):
            raise SteeringError(f"a trial is named by its number, got {number!r}")
        numbers = {t.number for t in self.get_trials()}
        if number not in numbers:
            last = max(numbers, default=-1)
            raise SteeringError(f"study {self.name!r} has no trial {number} (its trials are "
                                f"numbered 0 to {last})" if numbers else
                                f"study {self.name!r} has no trial {number} (it has none yet)")
        return number

    def exclude(self, number: int, *, origin: str = "python",
                author: str | None = None) -> Event:
        """Keep trial *number* out of the model from now on (it stays stored).

        Raises:
            SteeringError: when the study has no trial of that number; nothing is stored.

        """
        return self._intervene("exclude", {"trial": self._trial_number(number)}, origin, author)

    def include(self, number: int, *, origin: str = "python",
                author: str | None = None) -> Event:
        """Take an excluded trial *number* back into the model."""
        return self._intervene("include", {"trial": self._trial_number(number)}, origin, author)

    def narrow(self, name: str, low: float, high: float, *, origin: str = "python",
               author: str | None = None) -> Event:
        """Search the numeric hyperparameter *name* within ``[low, high]`` only.

        Raises:
            SteeringError: for a choice, an empty range, or one outside the hyperparameter's
                own range; nothing is stored.

        """
        return self._intervene("narrow", {"name": name, "low": low, "high": high}, origin,
                               author)

    def restore_range(self, name: str, *, origin: str = "python",
                      author: str | None = None) -> Event:
        """Search *name* in its whole range again."""
        return self._intervene("restore_range", {"name": name}, origin, author)

    def freeze(self, name: str, value: Any, *, origin: str = "python",
               author: str | None = None) -> Event:
        """Propose *name* at *value* only (when it is active), until released."""
        return self._intervene("freeze", {"name": name, "value": value}, origin, author)

    def release(self, name: str, *, origin: str = "python",
                author: str | None = None) -> Event:
        """Let the optimizer choose *name* again."""
        return self._intervene("release", {"name": name}, origin, author)

    def set_acquisition(self, acquisition: str | Mapping[str, Any] | None, *,
                        origin: str = "python", author: str | None = None) -> Event:
        """Use another acquisition function from now on (``None``: the optimizer's own).

        *acquisition* is a name (``"ei"``, ``"lcb"``, ``"logei"``...) or a description such
        as ``{"name": "lcb", "beta": 4.0}`` (a larger ``beta`` explores more).

        Raises:
            SteeringError: when it does not name a known acquisition; nothing is stored.

        """
        if acquisition is not None:
            from hyperpilot.exceptions import OptimizerError
            from hyperpilot.optimizers.bo._components import build

            spec = dict(acquisition) if isinstance(acquisition, Mapping) else acquisition
            try:
                build("acquisition", spec)
            except (OptimizerError, TypeError, ValueError) as exc:
                raise SteeringError(f"acquisition: {str(exc).splitlines()[0]}") from None
            acquisition = spec
        return self._intervene("set_acquisition", {"acquisition": acquisition}, origin, author)

    def pause(self, *, origin: str = "python", author: str | None = None) -> Event:
        """Start no new trial until resumed (trials running now finish)."""
        return self._intervene("pause", {}, origin, author)

    def resume(self, *, origin: str = "python", author: str | None = None) -> Event:
        """Start trials again after a pause or a stop."""
        return self._intervene("resume", {}, origin, author)

    def stop(self, *, origin: str = "python", author: str | None = None) -> Event:
        """Stop the study: running loops start no new trial and end.

        ``optimize`` refuses to run a stopped study until :meth:`resume`.
        """
        return self._intervene("stop", {}, origin, author)
