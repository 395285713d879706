"""The study's specification: what a study is, in one typed object with one JSON form.

A storage keeps a study's specification as JSON (it knows nothing of spaces or
optimizers); :class:`StudySpec` is the only place that writes that JSON and the only place
that reads it, checking it on the way in, so that a damaged or foreign description is a
one-line :class:`~hyperpilot.exceptions.StorageError` naming the study and what is wrong,
never a ``KeyError`` deep inside.

Format history (``format`` in the JSON):

* 1 — ``space``, ``objectives``, ``constraints``, ``optimizer`` (its ``to_config()``),
  ``seed``, ``hyperpilot_version``.
* 2 — adds ``fidelity`` (name, min, max, log). Written only by studies that declare a
  fidelity, so a study without one stays format 1 and readable by releases before; a
  release that reads only format 1 refuses a multi-fidelity study instead of running it
  without budgets.
* 3 — adds ``instances`` (names, features, seeds) of an algorithm-configuration study.
  Written only by studies that declare instances or seeds (format 2 or 1 otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hyperpilot import __version__
from hyperpilot.exceptions import HyperpilotError, StorageError
from hyperpilot.space._fidelity import Fidelity
from hyperpilot.space._instances import Instances
from hyperpilot.space._space import Space
from hyperpilot.trial._objectives import Constraint, Objective

SPEC_FORMAT = 3
"""The newest specification format this code writes and reads."""


@dataclass(frozen=True)
class StudySpec:
    """What a study is: its space, objectives, constraints, optimizer and seed.

    Attributes:
        space: the search space.
        objectives: what is optimized, in order.
        constraints: upper bounds on measured quantities.
        optimizer: the description (``to_config()``) of the optimizer it was created with.
        seed: the study's seed.
        hyperpilot_version: the release that created the study.
        fidelity: the budget dimension of a multi-fidelity study, if it has one.
        instances: the instances and seeds of an algorithm-configuration study, if any.

    """

    space: Space
    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...] = ()
    optimizer: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 0
    hyperpilot_version: str = __version__
    fidelity: Fidelity | None = None
    instances: Instances | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON-ready form a storage keeps (format 1 unless it has a fidelity or instances)."""
        fmt = 3 if self.instances is not None else 1 if self.fidelity is None else 2
        data = {
            "format": fmt,
            "hyperpilot_version": self.hyperpilot_version,
            "space": self.space.to_json(),
            "objectives": [{"name": o.name, "direction": o.direction} for o in self.objectives],
            "constraints": [{"name": c.name, "upper": c.upper} for c in self.constraints],
            "optimizer": dict(self.optimizer),
            "seed": self.seed,
        }
        if self.fidelity is not None:
            data["fidelity"] = self.fidelity.to_json()
        if self.instances is not None:
            data["instances"] = self.instances.to_json()
        return data

    @classmethod
    def from_json(cls, data: Any, *, study: str = "?", where: str = "the storage") -> StudySpec:
        """Read a stored specification, checking every part.

        Args:
            data: what the storage returned.
            study: the study's name, for messages.
            where: the storage, for messages.

        Raises:
            StorageError: naming the study and the first thing that is wrong (a missing or
                mistyped part, a format newer than this release knows).

        """
        def fail(what: str) -> StorageError:
            return StorageError(f"study {study!r} in {where} has a damaged description "
                                f"({what}); the storage file may be damaged")

        if not isinstance(data, Mapping):
            raise fail(f"expected an object, got {type(data).__name__}")
        fmt = data.get("format", 1)
        if not isinstance(fmt, int) or isinstance(fmt, bool):
            raise fail(f"format must be a whole number, got {fmt!r}")
        if fmt > SPEC_FORMAT:
            raise StorageError(
                f"study {study!r} in {where} was written by a newer hyperpilot (study format "
                f"{fmt}; this release reads up to {SPEC_FORMAT}): upgrade hyperpilot to open it"
            )
        for key in ("space", "objectives", "seed"):
            if key not in data:
                raise fail(f"no key {key!r}")
        try:
            space = Space.from_json(data["space"])
            objectives = tuple(Objective(o["name"], o["direction"]) for o in data["objectives"])
            constraints = tuple(Constraint(c["name"], c["upper"])
                                for c in data.get("constraints", []) or [])
            seed = data["seed"]
            if not isinstance(seed, int) or isinstance(seed, bool):
                raise fail(f"seed must be a whole number, got {seed!r}")
            optimizer = data.get("optimizer", {})
            if not isinstance(optimizer, Mapping):
                raise fail(f"optimizer must be an object, got {type(optimizer).__name__}")
            version = str(data.get("hyperpilot_version", "unknown"))
            fidelity = data.get("fidelity")
            if fidelity is not None:
                if not isinstance(fidelity, Mapping):
                    raise fail(f"fidelity must be an object, got {type(fidelity).__name__}")
                fidelity = Fidelity.from_json(fidelity)
            instances = data.get("instances")
            if instances is not None:
                if not isinstance(instances, Mapping):
                    raise fail(f"instances must be an object, got {type(instances).__name__}")
                instances = Instances.from_json(instances)
        except StorageError:
            raise
        except KeyError as exc:
            raise fail(f"no key {exc}") from None
        except (HyperpilotError, TypeError, ValueError, AttributeError) as exc:
            lines = str(exc).splitlines()
            raise fail(lines[0] if lines else type(exc).__name__) from None
        if not objectives:
            raise fail("no objectives")
        return cls(space=space, objectives=objectives, constraints=constraints,
                   optimizer=dict(optimizer), seed=seed, hyperpilot_version=version,
                   fidelity=fidelity, instances=instances)

    def mismatch(self, other: StudySpec) -> str | None:
        """How *other* (the arguments of a reopening) contradicts this stored spec, if it does.

        Space, objectives, constraints, fidelity and instances must agree; optimizer and seed may
        differ (the stored ones are kept, see :func:`~hyperpilot.study._study.create_study`).
        """
        if self.fidelity != other.fidelity:
            stored, given = (None if f is None else f.to_json()
                             for f in (self.fidelity, other.fidelity))
            return f"exists with fidelity {stored}, but {given} was given"
        if self.instances != other.instances:
            stored, given = (None if i is None else i.to_json()
                             for i in (self.instances, other.instances))
            return f"exists with instances {stored!s:.200}, but {given!s:.200} were given"
        for key, mine, theirs in (("objectives", self.objectives, other.objectives),
                                  ("constraints", self.constraints, other.constraints)):
            if mine != theirs:
                shown = [vars(x) for x in mine], [vars(x) for x in theirs]
                return f"exists with {key} {shown[0]}, but {shown[1]} were given"
        old = self.space.to_json()
        new = other.space.to_json()
        old_params, new_params = old["hyperparameters"], new["hyperparameters"]
        for name in sorted(set(old_params) | set(new_params)):
            if old_params.get(name) != new_params.get(name):
                return (f"exists with another space: hyperparameter {name!r} is "
                        f"{old_params.get(name)} there but {new_params.get(name)} here; use a "
                        "new study name")
        if old.get("forbidden") != new.get("forbidden"):
            return "exists with other forbidden combinations; use a new name"
        return None
