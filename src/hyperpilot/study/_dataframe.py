"""Trials as a pandas data frame."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hyperpilot.trial._trial import Trial

if TYPE_CHECKING:
    import pandas as pd


def trials_to_dataframe(trials: Sequence[Trial], params: Sequence[str],
                        objectives: Sequence[str], constraints: Sequence[str],
                        int_params: Sequence[str] = ()) -> pd.DataFrame:
    """One row per trial; inactive hyperparameters and missing values are NaN/None.

    Integer hyperparameters in *int_params* keep an integer column (pandas ``Int64``) even
    where conditions leave blanks.
    """
    import pandas as pd

    rows: list[dict[str, Any]] = []
    for t in trials:
        row: dict[str, Any] = {"number": t.number, "state": t.state.value}
        for name in objectives:
            row[f"objective.{name}"] = (t.values or {}).get(name)
        for name in constraints:
            row[f"constraint.{name}"] = (t.constraints or {}).get(name)
        for name in params:
            row[f"config.{name}"] = t.config.get(name)
        row.update(budget=t.budget, seed=t.seed, instance=t.instance, error=t.error,
                   worker=t.worker, started_at=t.started_at, finished_at=t.finished_at,
                   duration=t.duration, id=t.id)
        rows.append(row)
    columns = (["number", "state"] + [f"objective.{n}" for n in objectives]
               + [f"constraint.{n}" for n in constraints] + [f"config.{n}" for n in params]
               + ["budget", "seed", "instance", "error", "worker", "started_at", "finished_at",
                  "duration", "id"])
    frame = pd.DataFrame(rows, columns=columns)
    for name in int_params:
        frame[f"config.{name}"] = frame[f"config.{name}"].astype("Int64")
    for column in ("started_at", "finished_at"):
        frame[column] = pd.to_datetime(frame[column], unit="s", utc=True)
    return frame  # type: ignore[no-any-return]
