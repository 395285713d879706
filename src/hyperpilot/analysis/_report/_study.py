"""The sections of one study: summary, overview, and the importances with their trust layer.

Each function takes a :class:`~hyperpilot.analysis._report._content.ReportContext` and
returns blocks. The importance sections read their tables through
:meth:`ReportContext.analysis`, so each analysis runs once per report whichever section
asks first (the summary does).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pandas as pd

from hyperpilot.analysis._fanova import MIN_TRIALS
from hyperpilot.analysis._report._content import (
    AnalysisName,
    Block,
    Figure,
    ReportContext,
    Table,
    Text,
    reason,
    trust_blocks,
)
from hyperpilot.analysis._report._narrative import (
    ablation_sentence,
    agreement_sentence,
    importance_sentences,
    lpi_sentence,
    overview_sentences,
)
from hyperpilot.study._failures import failure_groups, numbers_text
from hyperpilot.trial._trial import TrialState


# ---------------------------------------------------------------------- summary, overview
def summary(context: ReportContext) -> list[Block]:
    """The study and its importances in a few sentences (see ``_narrative``)."""
    out: list[Block] = [Text(" ".join(overview_sentences(context.study, context.trials)),
                             "summary")]
    if context.n_complete < MIN_TRIALS:
        out.append(Text(f"Importances need at least {MIN_TRIALS} complete trials; the study "
                        f"has {context.n_complete}.", "summary"))
        return out
    sentences: list[str] = []
    try:
        sentences += importance_sentences(context.analysis("fanova"))
    except Exception as exc:
        sentences.append(f"The importances could not be computed: {reason(exc)}.")
        return [*out, Text(" ".join(sentences), "summary")]
    later: tuple[tuple[AnalysisName, Callable[[pd.DataFrame], str]], ...] = (
        ("agreement", agreement_sentence), ("lpi", lpi_sentence),
        ("ablation", ablation_sentence))
    for name, sentence in later:
        try:
            text = sentence(context.analysis(name))
        except Exception:
            continue  # its own section says why
        if text:
            sentences.append(text)
    out.append(Text(" ".join(sentences), "summary"))
    if context.objective_note:
        out.append(Text(context.objective_note, "note"))
    return out


def _space_table(context: ReportContext) -> pd.DataFrame:
    rows = []
    for name in context.study.space.names:
        data = context.study.space[name].to_json()
        kind = str(data.pop("type"))
        condition = data.pop("active_if", None)
        prior = data.pop("prior", None)
        confidence = data.pop("confidence", None)
        if kind in ("float", "int"):
            domain = f"[{data['low']:g}, {data['high']:g}]" + (" log" if data.get("log") else "")
        elif kind == "constant":
            domain = repr(data.get("value"))
        else:
            domain = ", ".join(map(str, data.get("choices", data.get("sequence", []))))
        rows.append({"hyperparameter": name, "type": kind, "domain": domain,
                     "prior": "" if prior is None else f"{prior} ({confidence})",
                     "active if": "" if condition is None else json.dumps(condition)})
    frame = pd.DataFrame(rows)
    out: pd.DataFrame = frame.loc[:, [c for c in frame.columns if (frame[c] != "").any()]]
    return out


def overview(context: ReportContext) -> list[Block]:
    """States, the best value and configuration (or the Pareto front), failures by error."""
    study, trials = context.study, context.trials
    counts = {s.value: sum(t.state == s for t in trials) for s in TrialState}
    counts = {k: v for k, v in counts.items() if v or k in ("complete", "failed")}
    objectives = ", ".join(f"{o.name} ({o.direction})" for o in study.objectives)
    constraints = ", ".join(f"{c.name} \u2264 {c.upper:g}" for c in study.constraints)
    optimizer = study.spec.optimizer.get("name", "?")
    out: list[Block] = [Text(
        f"Objectives: {objectives}" + (f"; constraints: {constraints}" if constraints else "")
        + f". Optimizer: {optimizer}; seed {study.seed}; {len(study.space)} hyperparameters.")]
    out.append(Table(pd.DataFrame({"state": list(counts), "trials": list(counts.values())}),
                     "Trials by state"))
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    if complete and len(study.objectives) == 1:
        best = min(complete, key=study.rank_key)
        name = study.objectives[0].name
        frame = pd.DataFrame({"hyperparameter": list(best.config),
                              "value": [_cell(v) for v in best.config.values()]})
        out.append(Table(frame, f"Best configuration: trial {best.number}, {name} = "
                                f"{(best.values or {})[name]:.6g}"))
    elif complete:
        front = sorted(study.best_trials, key=study.rank_key)
        rows = [{"trial": t.number, **(t.values or {}),
                 **{k: _cell(v) for k, v in t.config.items()}} for t in front]
        out.append(Table(pd.DataFrame(rows), f"Pareto front: {len(front)} trials", 15))
    groups = failure_groups(trials)
    if groups:
        frame = pd.DataFrame({"trials": [g.count for g in groups],
                              "error": [g.error for g in groups],
                              "trial numbers": [numbers_text(g.numbers) for g in groups]})
        out.append(Table(frame, "Failed trials, grouped by error (most frequent first)", 15))
    out.append(Table(_space_table(context), "Search space", 60))
    return out


def _cell(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


# ---------------------------------------------------------------------- importances
def _shares(table: pd.DataFrame, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """An importance table for reading: shares in percent, spread and interval."""
    frame: pd.DataFrame = pd.DataFrame()
    if "budget" in table.columns and table["budget"].notna().any():
        frame["budget"] = table["budget"].to_numpy()
    frame["hyperparameter"] = table["hyperparameter"].to_numpy()
    frame["importance"] = [f"{v:.1%}" for v in table["importance"]]
    frame["\u00b1 std"] = [_pct(v) for v in table["std"]]
    frame["90% bootstrap interval"] = [
        "" if math.isnan(lo) or math.isnan(hi) else f"[{lo:.1%}, {hi:.1%}]"
        for lo, hi in zip(table["low"].astype(float), table["high"].astype(float), strict=True)]
    for column in extra:
        frame[column] = table[column].to_numpy()
    return frame


def _pct(value: float) -> str:
    return "" if math.isnan(value) else f"{value:.1%}"


def fanova_section(context: ReportContext) -> list[Block]:
    """Main effects and pairs, with the trust line, intervals and warnings."""
    from hyperpilot.analysis._fanova import plot_fanova

    table = context.analysis("fanova")
    main = table[table["kind"] == "main"]
    pairs = table[table["kind"] == "pair"]
    out: list[Block] = [*trust_blocks(table), Figure(plot_fanova(table, kind="main"))]
    if not pairs.empty:
        out.append(Figure(plot_fanova(table, kind="pair", top=10)))
    out.append(Table(_shares(main), "Main effects (share of the surrogate's variance)"))
    if not pairs.empty:
        out.append(Table(_shares(pairs), "Pairs: interaction beyond the two main effects", 15))
    return out


def ped_anova_section(context: ReportContext) -> list[Block]:
    """Global PED-ANOVA: what the top 10% of the trials have in common."""
    from hyperpilot.analysis._ped_anova import plot_ped_anova

    table = context.analysis("ped_anova")
    return [*trust_blocks(table), Figure(plot_ped_anova(table)),
            Table(_shares(table, ("n_top",)), "Importance for reaching the top trials")]


def lpi_section(context: ReportContext) -> list[Block]:
    """Local importance around the best trial."""
    from hyperpilot.analysis._lpi import plot_lpi

    table = context.analysis("lpi")
    incumbent = table.attrs.get("incumbent", {})
    text = ", ".join(f"{k} = {_cell(v)}" for k, v in incumbent.items())
    return [*trust_blocks(table), Text(f"The best trial's configuration: {text}.", "note"),
            Figure(plot_lpi(table)),
            Table(_shares(table, ("n_values",)), "Share of the local variance")]


def ablation_section(context: ReportContext) -> list[Block]:
    """The predicted path from the default configuration to the best trial's."""
    from hyperpilot.analysis._ablation import plot_ablation

    table = context.analysis("ablation")
    quantity = table.attrs.get("quantity", "objective")
    frame = pd.DataFrame({
        "step": table["step"].to_numpy(), "change": table["hyperparameter"].to_numpy(),
        f"predicted {quantity}": table["predicted"].to_numpy(),
        "gain": table["gain"].to_numpy(), "share of the gain": [_pct(v) for v in table["share"]],
        "90% bootstrap interval of the gain": [
            "" if math.isnan(lo) else f"[{lo:.3g}, {hi:.3g}]"
            for lo, hi in zip(table["low"].astype(float), table["high"].astype(float),
                              strict=True)]})
    reference, incumbent = table.attrs.get("reference", {}), table.attrs.get("incumbent", {})
    names = list(dict.fromkeys([*reference, *incumbent]))
    configs = pd.DataFrame({"hyperparameter": names,
                            "default": [_cell(reference.get(n, "")) for n in names],
                            "best trial": [_cell(incumbent.get(n, "")) for n in names]})
    return [*trust_blocks(table), Figure(plot_ablation(table)),
            Table(frame, "Steps (gains positive when better)"),
            Table(configs, "From the default configuration to the best trial's", 60)]


def agreement_section(context: ReportContext) -> list[Block]:
    """Whether fANOVA, PED-ANOVA and local importance rank the hyperparameters alike."""
    from hyperpilot.analysis._agreement import plot_agreement
    from hyperpilot.analysis._report._narrative import METHODS

    table = context.analysis("agreement")
    rankings: dict[str, list[str]] = table.attrs.get("rankings", {})
    ranked = pd.DataFrame({"method": [METHODS.get(m, m) for m in rankings],
                           "most important first": [", ".join(r[:5]) for r in rankings.values()]})
    pairs = pd.DataFrame({
        "methods": [f"{METHODS.get(a, a)} / {METHODS.get(b, b)}"
                    for a, b in zip(table["first"], table["second"], strict=True)],
        "Kendall's tau": table["kendall_tau"].to_numpy(),
        "top-k overlap": [_pct(v) for v in table["top_k_overlap"]],
        "k": table["k"].to_numpy()})
    sentence = agreement_sentence(table)
    return [*trust_blocks(table), *([Text(sentence)] if sentence else []),
            Figure(plot_agreement(table)), Table(ranked, "Rankings (top five)"),
            Table(pairs, "Agreement of each pair of methods")]
