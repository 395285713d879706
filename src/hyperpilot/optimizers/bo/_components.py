"""The BO engine's parts by name, by description or by object: build, describe, rebuild.

:class:`~hyperpilot.optimizers.bo.BayesianOptimizer` takes each part (surrogate,
acquisition, output transform, acquisition maximizer) in one of three forms:

- a **short name** (``"gp"``, ``"logei"``, ``"power"``), checked without importing the
  numerical modules;
- a **description**: a mapping with ``"name"`` (a short name, a class name of this
  package, or a dotted ``"module.Class"`` path) and the constructor's arguments, which is
  what :func:`describe` writes and what a study stores;
- an **object** such as ``GaussianProcess(noise="deterministic")``, copied before use so
  that the optimizer never changes the caller's object.

Objects are described by their ``to_config()``; a class this package does not know is
named by its dotted path, so a stored study can rebuild it wherever that module imports.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Mapping
from typing import Any, Literal

from hyperpilot.exceptions import OptimizerError

Role = Literal["surrogate", "acquisition", "output_transform", "maximizer"]

# Short names per role, the classes of each role, and each class's module (loaded on use).
SHORT_NAMES: dict[Role, dict[str, str]] = {
    "surrogate": {"gp": "GaussianProcess", "rf": "RandomForest"},
    "acquisition": {
        "ei": "EI", "logei": "LogEI", "pi": "PI", "logpi": "LogPI", "lcb": "LCB",
        "ts": "ThompsonSampling", "ei-pi": "EIPISwitch", "sawei": "SAWEI",
    },
    "output_transform": {
        "power": "PowerTransform", "log": "LogScaled", "standardize": "Standardize",
    },
    "maximizer": {},
}
_BASES: dict[Role, str] = {
    "surrogate": "Surrogate", "acquisition": "Acquisition",
    "output_transform": "OutputTransform", "maximizer": "AcquisitionMaximizer",
}
_MODULES: dict[str, str] = {
    "Surrogate": "_surrogate", "GaussianProcess": "_gp", "RandomForest": "_rf",
    "Acquisition": "_acquisition", "EI": "_acquisition", "LogEI": "_acquisition",
    "PI": "_acquisition", "LogPI": "_acquisition", "LCB": "_acquisition",
    "ThompsonSampling": "_acquisition", "EIPISwitch": "_acquisition", "SAWEI": "_sawei",
    "OutputTransform": "_transforms", "PowerTransform": "_transforms",
    "LogScaled": "_transforms", "Standardize": "_transforms",
    "AcquisitionMaximizer": "_maximizer",
}


def _an(noun: str) -> str:
    return f"{'an' if noun[0] in 'AEIOU' else 'a'} {noun}"


def _package_class(name: str) -> type:
    module = importlib.import_module(f"hyperpilot.optimizers.bo.{_MODULES[name]}")
    cls: type = getattr(module, name)
    return cls


def _resolve(role: Role, name: str) -> type:
    """The class a description's ``name`` means for *role*."""
    name = SHORT_NAMES[role].get(name, name)
    if name in _MODULES:
        cls = _package_class(name)
    elif "." in name:
        module_name, _, attr = name.rpartition(".")
        try:
            cls = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise OptimizerError(f"{role}: cannot import {name!r} ({exc})") from None
    else:
        known = sorted({*SHORT_NAMES[role], *SHORT_NAMES[role].values()})
        raise OptimizerError(f"{role}: unknown name {name!r}; known: "
                             f"{', '.join(known) or _BASES[role]}, or a dotted "
                             "'module.Class' path")
    base = _package_class(_BASES[role])
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise OptimizerError(f"{role}: {name!r} is not {_an(base.__name__)}")
    return cls


def check(role: Role, spec: Any, also: tuple[str, ...] = ()) -> None:
    """Raise :class:`OptimizerError` unless *spec* can build a *role* component.

    A short name is checked without imports; a description is built once; an object must
    be an instance of the role's base class. *also* are further names the caller takes
    (they are listed in the message).
    """
    if isinstance(spec, str):
        if spec not in SHORT_NAMES[role]:
            names = ", ".join([*also, *sorted(SHORT_NAMES[role])])
            raise OptimizerError(f"unknown {role} {spec!r}; available: {names}, or "
                                 f"{_an(_BASES[role])} object")
        return
    build(role, spec)


def build(role: Role, spec: Any) -> Any:
    """A new *role* component from a short name, a description or an object (copied)."""
    if isinstance(spec, str):
        check(role, spec)
        return _resolve(role, spec)()
    if isinstance(spec, Mapping):
        if "name" not in spec:
            raise OptimizerError(f"{role}: a description needs a 'name', got {dict(spec)!r}")
        cls = _resolve(role, str(spec["name"]))
        kwargs = {k: v for k, v in spec.items() if k != "name"}
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise OptimizerError(f"{role} {spec['name']!r}: {exc}") from None
    base = _package_class(_BASES[role])
    if not isinstance(spec, base):
        raise OptimizerError(f"{role} must be a name, a mapping with a 'name', or "
                             f"{_an(base.__name__)} object; got {_an(type(spec).__name__)}")
    return copy.deepcopy(spec)


def describe(spec: Any) -> Any:
    """JSON-ready form of *spec*: a name stays a name, an object becomes its description."""
    if isinstance(spec, str):
        return spec
    if isinstance(spec, Mapping):
        return dict(spec)
    config: dict[str, Any] = dict(spec.to_config())
    cls = type(spec)
    name = str(config.get("name", cls.__name__))
    if name not in _MODULES or _package_class(name) is not cls:
        config["name"] = f"{cls.__module__}.{cls.__qualname__}"
    return config
