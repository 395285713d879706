"""Plotly figures of the analysis tables (plotly is imported on first use)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd

from hyperpilot.exceptions import require

if TYPE_CHECKING:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    from hyperpilot.study._study import Study


def graph_objects() -> Any:
    """``plotly.graph_objects``, or a one-line install hint when plotly is missing."""
    require("plotly", "analysis")
    import plotly.graph_objects as go

    return go


def as_table(result: pd.DataFrame | Study, compute: Callable[..., pd.DataFrame],
             arguments: dict[str, Any]) -> pd.DataFrame:
    """*result* itself when it is a table, else ``compute(result, **arguments)``."""
    if isinstance(result, pd.DataFrame):
        return result
    return compute(result, **arguments)


def _budget_name(budget: float) -> str:
    return "" if math.isnan(budget) else f"budget {budget:g}"


def add_warnings(figure: go.Figure, table: pd.DataFrame) -> None:
    """Write the table's trust warnings above the plot, so a figure never hides them."""
    warnings = table.attrs.get("warnings") or sorted(
        {w for w in table.get("warning", []) if w})
    if warnings:
        figure.add_annotation(text="⚠ " + "<br>⚠ ".join(warnings), xref="paper", yref="paper",
                              x=0.0, y=1.0, yanchor="bottom", xanchor="left", showarrow=False,
                              align="left", font={"color": "#b45309"})
        figure.update_layout(margin={"t": 80 + 18 * len(warnings)})


def importance_bars(table: pd.DataFrame, *, title: str, error: str, top: int) -> go.Figure:
    """Horizontal bars of ``importance`` per ``hyperparameter``, one trace per budget.

    *error* is ``"std"`` (symmetric bars) or ``"interval"`` (``low``/``high``).
    """
    go = graph_objects()
    figure = go.Figure()
    budgets = table["budget"].to_numpy(dtype=float) if "budget" in table else [math.nan]
    for budget in pd.unique(pd.Series(budgets)):
        part = table if "budget" not in table else table[
            (table["budget"] == budget) | (table["budget"].isna() & math.isnan(budget))]
        part = part.sort_values("importance", ascending=False).head(top).iloc[::-1]
        if error == "std":
            bars = {"type": "data", "array": part["std"].to_numpy()}
        else:
            value = part["importance"].to_numpy()
            bars = {"type": "data", "symmetric": False,
                    "array": (part["high"] - value).clip(lower=0).fillna(0).to_numpy(),
                    "arrayminus": (value - part["low"]).clip(lower=0).fillna(0).to_numpy()}
        figure.add_trace(go.Bar(x=part["importance"], y=part["hyperparameter"],
                                orientation="h", error_x=bars, name=_budget_name(budget)))
    figure.update_layout(title=title, xaxis_title="importance (share of variance)",
                         barmode="group", showlegend=len(pd.unique(pd.Series(budgets))) > 1)
    add_warnings(figure, table)
    return figure
