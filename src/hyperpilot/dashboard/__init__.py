"""The dashboard: watch, understand and steer studies in the browser (``hyperpilot[dashboard]``).

A small ASGI app (Starlette, served by uvicorn) with a JSON API over a storage and static
pages shipped in the package; plotly.js comes from the installed ``plotly`` package.
Nothing in the core imports this package; ``hyperpilot dashboard`` starts it.
"""

# No ``from __future__ import annotations``: it would make ``annotations`` a public name.
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hyperpilot.dashboard._app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from hyperpilot.exceptions import require

        require("starlette", "dashboard")
        from hyperpilot.dashboard._app import create_app

        return create_app
    raise AttributeError(name)
