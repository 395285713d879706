"""Sections drawn by other modules of the package that need a choice made for them.

Partial dependence and the contour need hyperparameters to show: the report takes the
most important ones by fANOVA (computed once per report). HyperSHAP gives one table that
the report draws three ways. Each module is imported when its section runs, so the
report works without it (the section then says so in one line).
"""

from __future__ import annotations

from typing import Any

from hyperpilot.analysis._data import AnalysisError
from hyperpilot.analysis._report._content import Block, Figure, ReportContext, trust_blocks


def _highest(table: Any) -> Any:
    """The rows of the table's highest budget (all of them without budgets)."""
    budgets = table["budget"].dropna()
    return table if budgets.empty else table[table["budget"] == budgets.max()]


def top_hyperparameters(context: ReportContext, n: int) -> list[str]:
    """The *n* largest fANOVA main effects (highest budget), those above zero."""
    rows = _highest(context.analysis("fanova"))
    main = rows[(rows["kind"] == "main") & (rows["importance"] > 0.0)]
    return [str(h) for h in main.sort_values("importance", ascending=False)["hyperparameter"]
            ][:n]


def top_pair(context: ReportContext) -> tuple[str, str] | None:
    """The pair with the largest fANOVA interaction (highest budget), if any is above zero."""
    rows = _highest(context.analysis("fanova"))
    pairs = rows[(rows["kind"] == "pair") & (rows["importance"] > 0.0)]
    if pairs.empty:
        return None
    first, second = pairs.sort_values("importance", ascending=False)["hyperparameters"].iloc[0]
    return str(first), str(second)


def partial_dependence_section(context: ReportContext) -> list[Block]:
    """Partial dependence of the two most important hyperparameters and of the top pair."""
    from hyperpilot.analysis._pdp import partial_dependence, plot_partial_dependence

    chosen: list[str | list[str]] = list(top_hyperparameters(context, 2))
    pair = top_pair(context)
    if pair is not None:
        chosen.append(list(pair))
    if not chosen:
        raise AnalysisError("no hyperparameter has an effect to show")
    options = context.arguments_for(partial_dependence)
    out: list[Block] = []
    for names in chosen:
        table = partial_dependence(context.study, names, **options)
        if not out:
            out.extend(trust_blocks(table))
        out.append(Figure(plot_partial_dependence(table)))
    return out


def contour_section(context: ReportContext) -> list[Block]:
    """The surrogate's prediction over the pair that interacts most (else the top two)."""
    from hyperpilot.analysis._slices import contour, plot_contour

    pair = top_pair(context)
    if pair is None:
        top = top_hyperparameters(context, 2)
        if len(top) < 2:
            raise AnalysisError("fewer than two hyperparameters have an effect to show")
        pair = (top[0], top[1])
    table = contour(context.study, *pair, **context.arguments_for(contour))
    return [*trust_blocks(table), Figure(plot_contour(table))]


def hypershap_section(context: ReportContext) -> list[Block]:
    """HyperSHAP's ablation game: values, interactions and their graph."""
    from hyperpilot.analysis._hypershap import (
        hypershap,
        plot_hypershap,
        plot_interaction_graph,
    )

    table = hypershap(context.study, **context.arguments_for(hypershap))
    out: list[Block] = [*trust_blocks(table), Figure(plot_hypershap(table, kind="main"))]
    if (table["kind"] != "main").any():
        out += [Figure(plot_hypershap(table, kind="interaction")),
                Figure(plot_interaction_graph(table))]
    return out
