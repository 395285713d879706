"""Why a trial has its configuration, in words: queued by hand, or how the optimizer chose it.

Read from the trial's meta (``enqueued``, ``given``, ``bo``, ``steering``); shared by
``hyperpilot studies show --trial N`` and the dashboard's trial page.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hyperpilot.trial._trial import Trial


def _fmt(value: Any) -> str:
    """Numbers with 6 significant digits, ``None``/NaN as ``-``."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.6g}"
    return str(value)


def why_lines(trial: Trial) -> list[str]:
    """Why the trial has its configuration: queued by hand, or how the optimizer chose it."""
    meta = trial.meta
    lines = ["why this configuration:"]
    if meta.get("enqueued"):
        given = meta.get("given")
        lines.append("  queued by hand" + (f"; {', '.join(given)} given, the rest from the "
                                           "optimizer" if given else ""))
    bo = meta.get("bo")
    if isinstance(bo, dict):
        kind = bo.get("kind")
        if kind == "design":
            what = ("the prior's mode (every prior at its value)" if bo.get("mode") else
                    "the space's default configuration" if bo.get("default") else
                    "a point drawn from the prior" if bo.get("from_prior") else
                    "a uniform point")
            lines.append(f"  initial design: {what}"
                         + (" (added because the prior was rejected)"
                            if bo.get("prior") == "rejected" else ""))
        elif kind == "random":
            lines.append("  a random draw, interleaved with the model's proposals")
        elif kind == "model":
            lines.append(f"  model step {bo.get('step')} ({bo.get('surrogate')}): predicted "
                         f"{_fmt(bo.get('mean'))} ± {_fmt(float(bo.get('var') or 0.0) ** 0.5)} "
                         f"(transformed scale, best so far {_fmt(bo.get('best'))}), acquisition "
                         f"value {_fmt(bo.get('acq_value'))}")
            if bo.get("prior") is not None:
                lines.append(f"  the prior was {bo['prior']} at this step")
    steering = meta.get("steering")
    if isinstance(steering, dict) and steering:
        lines.append("  in force: " + "; ".join(
            f"{key} {json.dumps(value, default=str)}" for key, value in steering.items()))
    return lines if len(lines) > 1 else []
