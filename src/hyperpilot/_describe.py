"""Components describe themselves from their constructor arguments."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any


def call_repr(cls: type, arguments: Mapping[str, Any]) -> str:
    """``Name(a=1, b='x')`` with the *arguments* that differ from ``cls``'s defaults.

    Reads like the constructor call that builds an equal object; arguments left at
    their defaults are omitted so the settings a user changed stand out.
    """
    params = inspect.signature(cls).parameters
    shown = []
    for key, value in arguments.items():
        param = params.get(key)
        if param is not None and param.default is not param.empty \
                and _same(value, param.default):
            continue
        shown.append(f"{key}={value!r}")
    return f"{cls.__name__}({', '.join(shown)})"


def _same(value: Any, default: Any) -> bool:
    if value is default:
        return True
    if type(value) is not type(default):
        return False
    try:
        return bool(value == default)
    except (TypeError, ValueError):  # arrays and other values without a plain ==
        return False


class Describable:
    """Mixin: ``to_config()`` and ``repr`` from the keyword arguments the constructor stored.

    Constructors store their arguments unchanged under the same names (the project's
    convention), so the description is the name plus those attributes. Subclasses choose
    the name with :meth:`config_name`.
    """

    def config_name(self) -> str:
        """The ``name`` entry of :meth:`to_config` (the class name by default)."""
        return type(self).__name__

    def to_config(self) -> dict[str, Any]:
        """Describe this component: its name and constructor arguments."""
        return {"name": self.config_name(), **self._arguments()}

    def __repr__(self) -> str:
        # The stored arguments themselves, so a part given as an object shows as its call.
        return call_repr(type(self), self._arguments())

    def _arguments(self) -> dict[str, Any]:
        """The constructor's arguments as this object stored them."""
        return {k: getattr(self, k) for k in inspect.signature(type(self)).parameters
                if hasattr(self, k)}
