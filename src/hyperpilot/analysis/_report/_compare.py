"""The comparison of several studies: best values side by side, anytime curves, importances."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from hyperpilot.analysis._fanova import MIN_TRIALS
from hyperpilot.analysis._report._content import Block, Figure, ReportContext, Table, Text
from hyperpilot.analysis._trust import TRUST_R2
from hyperpilot.study._failures import failure_groups
from hyperpilot.trial._trial import TrialState


def _label(context: ReportContext, index: int, contexts: Sequence[ReportContext]) -> str:
    """The study's name, numbered when two studies of the report share it."""
    name = context.study.name
    same = [c for c in contexts if c.study.name == name]
    return name if len(same) == 1 else f"{name} ({index + 1})"


def comparison(contexts: Sequence[ReportContext]) -> list[Block]:
    """Best values and configurations side by side, best-so-far curves, fANOVA shares."""
    labels = [_label(c, i, contexts) for i, c in enumerate(contexts)]
    rows, configs = [], {}
    for label, context in zip(labels, contexts, strict=True):
        study, trials = context.study, context.trials
        complete = [t for t in trials if t.state == TrialState.COMPLETE]
        row: dict[str, Any] = {
            "study": label,
            "objectives": ", ".join(f"{o.name} ({o.direction})" for o in study.objectives),
            "trials": len(trials), "complete": len(complete),
            "failed": sum(g.count for g in failure_groups(trials)),
            "best": "-", "best trial": "-"}
        if complete and len(study.objectives) == 1:
            best = min(complete, key=study.rank_key)
            row["best"] = f"{(best.values or {})[study.objectives[0].name]:.6g}"
            row["best trial"] = best.number
            configs[label] = best.config
        elif complete:
            row["best"] = f"Pareto front of {len(study.best_trials)}"
        rows.append(row)
    out: list[Block] = [Table(pd.DataFrame(rows), "Best values")]
    single = [c for c in contexts if len(c.study.objectives) == 1]
    names = {(o.name, o.direction) for c in single for o in c.study.objectives}
    if len(names) > 1:
        out.append(Text("The studies optimize different objectives "
                        f"({', '.join(sorted(f'{n} ({d})' for n, d in names))}); their values "
                        "are side by side, not comparable.", "note"))
    if configs:
        params = list(dict.fromkeys(n for c in configs.values() for n in c))
        frame = pd.DataFrame({"hyperparameter": params, **{
            label: [_cell(config.get(p, "")) for p in params]
            for label, config in configs.items()}})
        out.append(Table(frame, "Best configurations (blank: absent or inactive)", 60))
    if single:
        out.append(Figure(_anytime([(label, c) for label, c in zip(labels, contexts, strict=True)
                                    if len(c.study.objectives) == 1])))
    shares = _importances(labels, contexts)
    if shares is not None:
        out.append(shares)
    return out


def _cell(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _anytime(studies: Sequence[tuple[str, ReportContext]]) -> Any:
    """The best value so far against the number of trials finished, one line per study."""
    from hyperpilot.analysis._plots import graph_objects

    go = graph_objects()
    figure = go.Figure()
    for label, context in studies:
        study = context.study
        objective = study.objectives[0]
        finished = sorted((t for t in context.trials if t.state.is_finished),
                          key=lambda t: t.number)
        oriented = np.array([
            objective.sign * (t.values or {}).get(objective.name, math.nan)
            if t.state == TrialState.COMPLETE and study.violation(t) == 0 else math.inf
            for t in finished], dtype=float)
        oriented = np.where(np.isnan(oriented), np.inf, oriented)
        best = objective.sign * np.minimum.accumulate(oriented) if oriented.size else oriented
        figure.add_trace(go.Scatter(
            x=np.arange(1, best.size + 1), y=[v if math.isfinite(v) else None for v in best],
            mode="lines", line={"shape": "hv"}, name=f"{label} ({objective.name})"))
    figure.update_layout(title="Best feasible value so far", xaxis_title="trials finished",
                         yaxis_title="best value", height=400)
    return figure


def _importances(labels: Sequence[str], contexts: Sequence[ReportContext]) -> Table | None:
    """The fANOVA main-effect shares side by side (the studies' own sections say why one lacks)."""
    columns: dict[str, dict[str, str]] = {}
    for label, context in zip(labels, contexts, strict=True):
        if context.n_complete < MIN_TRIALS:
            continue
        try:
            table = context.analysis("fanova")
        except Exception:
            continue
        budgets = table["budget"].dropna()
        rows = table[(table["kind"] == "main") & (
            table["budget"] == budgets.max() if not budgets.empty else table["budget"].isna())]
        r2 = float(rows["cv_r2"].iloc[0])
        trusted = r2 >= TRUST_R2
        column = {str(h): (f"{v:.0%}" if trusted else "(not trusted)")
                  for h, v in zip(rows["hyperparameter"], rows["importance"], strict=True)}
        column["R\u00b2 of the surrogate"] = f"{r2:.2f}"
        columns[label] = column
    if len(columns) < 2:
        return None
    names = list(dict.fromkeys(n for c in columns.values() for n in c))
    names.sort(key=lambda n: n.startswith("R\u00b2"))
    frame = pd.DataFrame({"hyperparameter": names,
                          **{label: [c.get(n, "") for n in names] for label, c in columns.items()}})
    return Table(frame, "fANOVA main effects side by side (highest budget)", 60)
