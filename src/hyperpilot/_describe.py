"""Components describe themselves from their constructor arguments."""

from __future__ import annotations

import inspect
from typing import Any


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
        out: dict[str, Any] = {"name": self.config_name()}
        for key in inspect.signature(type(self).__init__).parameters:
            if key != "self" and hasattr(self, key):
                out[key] = getattr(self, key)
        return out

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.to_config().items() if k != "name")
        return f"{type(self).__name__}({args})"
