"""Cost over time and the empirical distribution of the values.

* :func:`history`: every trial's value and the best so far, against the trial number and
  the wall time, for each objective (or one, or a weighting);
* :func:`edf`: the empirical distribution function of the values of one or several
  studies, overlaid: the share of trials at or below each value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from hyperpilot.analysis._data import AnalysisError, ObjectiveArg
from hyperpilot.analysis._views import (
    STATE_COLORS,
    add_notes,
    all_trials,
    budget_rows,
    labelled,
    objective_specs,
    objective_values,
    running_best,
    thin,
    thinned_note,
    trial_violations,
    view_key,
)
from hyperpilot.trial._trial import TrialState

if TYPE_CHECKING:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    from hyperpilot.study._study import Study

HISTORY_COLUMNS = ("objective", "direction", "number", "state", "budget", "time", "value",
                   "feasible", "best", "incumbent", "best_by_time")
EDF_COLUMNS = ("study", "objective", "direction", "number", "value", "fraction")


def history(
    study: Study,
    *,
    objective: ObjectiveArg = None,
    budget: float | Literal["all", "highest"] = "all",
) -> pd.DataFrame:
    """Each trial's value and the best so far, by trial number and by wall time.

    Args:
        study: the study to show.
        objective: an objective's name, or weights (see
            :func:`~hyperpilot.analysis.analysis_data`); default: each objective in turn.
        budget: ``"all"`` (every trial), ``"highest"`` (the highest budget of a complete
            trial) or a budget value.

    Returns:
        One row per trial and objective: ``objective``, ``direction``, ``number``,
        ``state``, ``budget`` (NaN without), ``time`` (seconds from the first trial's start
        to this one's finish; NaN while unfinished), ``value`` (in the objective's own
        direction; NaN unless complete), ``feasible``, ``best`` and ``incumbent`` (the best
        value and its trial number among the trials numbered up to this one; feasible
        first, as :attr:`Study.best_trial` ranks) and ``best_by_time`` (the best among
        the trials finished by this one's finish). ``attrs["cache_key"]``.

    Raises:
        AnalysisError: for an unknown objective or a budget no complete trial has.

    """
    specs = objective_specs(study, objective, "history", each=True)
    everything = all_trials(study)
    trials = [everything[i] for i in budget_rows(everything, budget, "history")]
    violation = trial_violations(study, trials)
    starts = [t.started_at if t.started_at is not None else t.created_at for t in trials]
    origin = min(starts, default=0.0)
    time = np.array([math.nan if t.finished_at is None else t.finished_at - origin
                     for t in trials], dtype=float)
    by_time = np.argsort(np.where(np.isnan(time), np.inf, time), kind="stable")
    numbers = np.array([t.number for t in trials], dtype=int)
    frames = []
    for spec in specs:
        values = objective_values(study, trials, spec)
        incumbent = running_best(values.loss, violation)
        first = running_best(values.loss, violation, by_time)
        has = incumbent >= 0
        best = np.where(has, values.value[np.maximum(incumbent, 0)], math.nan)
        best_time = np.where((first >= 0) & ~np.isnan(time),
                             values.value[np.maximum(first, 0)], math.nan)
        frames.append(pd.DataFrame({
            "objective": values.label, "direction": values.direction, "number": numbers,
            "state": [t.state.value for t in trials],
            "budget": [math.nan if t.budget is None else float(t.budget) for t in trials],
            "time": time, "value": values.value, "feasible": violation == 0,
            "best": best, "incumbent": np.where(has, numbers[np.maximum(incumbent, 0)], -1),
            "best_by_time": best_time,
        }, columns=list(HISTORY_COLUMNS)))
    table: pd.DataFrame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=list(HISTORY_COLUMNS))
    table.attrs["cache_key"] = view_key("history", [study], live=True, objective=objective,
                                        budget=budget)
    return table


def plot_history(result: pd.DataFrame | Study, *, x: Literal["number", "time"] = "number",
                 log_y: bool = False, **arguments: Any) -> go.Figure:
    """Values (points) and the best so far (a step line), one panel per objective.

    Infeasible trials are drawn faint; failed and pruned trials, which have no value, are
    marked at the bottom of the panel. Past ``MAX_POINTS`` (5,000) complete trials per
    panel an evenly spaced subsample is drawn (the incumbents always), and the figure
    says so.

    Args:
        result: a table from :func:`history`, or a study (then computed with *arguments*).
        x: ``"number"`` (trial number) or ``"time"`` (seconds since the first start).
        log_y: a logarithmic value axis.
        arguments: passed to :func:`history` when *result* is a study.

    """
    from hyperpilot.analysis._plots import as_table, graph_objects

    if x not in ("number", "time"):
        raise AnalysisError(f"plot_history: x must be 'number' or 'time', got {x!r}")
    table = as_table(result, history, arguments)
    go = graph_objects()
    from plotly.subplots import make_subplots  # type: ignore[import-untyped]

    names = list(dict.fromkeys(table["objective"])) or [""]
    figure = make_subplots(rows=len(names), cols=1, shared_xaxes=True,
                           subplot_titles=names if len(names) > 1 else None)
    notes: list[str] = []
    best_column = "best" if x == "number" else "best_by_time"
    for row, name in enumerate(names, start=1):
        part = table[table["objective"] == name]
        part = part.sort_values(x, kind="stable") if x == "time" else part
        done = part[part["state"] == TrialState.COMPLETE.value].reset_index(drop=True)
        changes = np.flatnonzero(np.diff(done[best_column].to_numpy(), prepend=math.nan) != 0)
        shown = done.iloc[thin(len(done), keep=changes)]
        if len(shown) < len(done) and row == 1:
            notes.append(thinned_note(len(shown), len(done), "complete trials"))
        for feasible, label, opacity in ((True, "trial", 0.7), (False, "infeasible", 0.25)):
            points = shown[shown["feasible"] == feasible]
            if len(points):
                figure.add_trace(go.Scattergl(
                    x=points[x], y=points["value"], mode="markers", name=label,
                    legendgroup=label, showlegend=row == 1, opacity=opacity,
                    marker={"size": 5, "color": STATE_COLORS["complete"]},
                    customdata=points["number"],
                    hovertemplate="trial %{customdata}<br>%{y}<extra></extra>"), row=row, col=1)
        line = part[part[best_column].notna()]
        if x == "time":
            line = line[line["time"].notna()]
        if len(line):
            steps = np.flatnonzero(np.diff(line[best_column].to_numpy(), prepend=math.nan) != 0)
            steps = np.union1d(steps, [len(line) - 1])
            figure.add_trace(go.Scatter(
                x=line[x].to_numpy()[steps], y=line[best_column].to_numpy()[steps],
                mode="lines", line={"shape": "hv", "color": "#111827"}, name="best so far",
                legendgroup="best", showlegend=row == 1), row=row, col=1)
        bottom = float(np.nanmin(done["value"])) if len(done) else 0.0
        for state in (TrialState.FAILED.value, TrialState.PRUNED.value):
            marks = part[part["state"] == state]
            if x == "time":
                marks = marks[marks["time"].notna()]
            if len(marks):
                marks = marks.iloc[thin(len(marks))]
                figure.add_trace(go.Scattergl(
                    x=marks[x], y=np.full(len(marks), bottom), mode="markers", name=state,
                    legendgroup=state, showlegend=row == 1,
                    marker={"symbol": "x", "size": 6, "color": STATE_COLORS[state]},
                    customdata=marks["number"],
                    hovertemplate=f"trial %{{customdata}} {state}<extra></extra>"),
                    row=row, col=1)
        figure.update_yaxes(title_text=name, type="log" if log_y else None, row=row, col=1)
    if x == "time" and table["time"].isna().all():
        notes.append("the trials carry no finish times")
    figure.update_xaxes(title_text="trial number" if x == "number" else "seconds since start",
                        row=len(names), col=1)
    figure.update_layout(title="History: value and best so far",
                         height=max(380, 260 * len(names)))
    add_notes(figure, notes)
    return figure


def edf(
    studies: Study | Sequence[Study] | Mapping[str, Study],
    *,
    objective: ObjectiveArg = None,
    budget: float | Literal["all", "highest"] = "all",
) -> pd.DataFrame:
    """The empirical distribution of the complete trials' values, per study and objective.

    Args:
        studies: a study, several (labelled by name), or a mapping of labels to studies.
        objective: an objective's name or weights; default: each objective of each study.
        budget: ``"all"``, ``"highest"`` or a budget value (per study).

    Returns:
        One row per complete trial and objective, sorted by value: ``study`` (the label),
        ``objective``, ``direction``, ``number``, ``value`` and ``fraction`` (the share of
        the study's complete trials with a value at or below it). ``attrs["cache_key"]``.

    Raises:
        AnalysisError: for an unknown objective (in any study) or budget.

    """
    pairs = labelled(studies, "edf")
    frames = []
    for label, study in pairs:
        everything = all_trials(study)
        trials = [everything[i] for i in budget_rows(everything, budget, "edf")]
        numbers = np.array([t.number for t in trials], dtype=int)
        for spec in objective_specs(study, objective, "edf", each=True):
            values = objective_values(study, trials, spec)
            done = np.flatnonzero(~np.isnan(values.value))
            order = done[np.argsort(values.value[done], kind="stable")]
            ordered = values.value[order]
            fraction = np.searchsorted(ordered, ordered, side="right") / max(len(order), 1)
            frames.append(pd.DataFrame({
                "study": label, "objective": values.label, "direction": values.direction,
                "number": numbers[order], "value": ordered, "fraction": fraction,
            }, columns=list(EDF_COLUMNS)))
    table: pd.DataFrame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=list(EDF_COLUMNS))
    table.attrs["cache_key"] = view_key("edf", [s for _, s in pairs], objective=objective,
                                        budget=budget, labels=[label for label, _ in pairs])
    return table


def plot_edf(result: pd.DataFrame | Study | Sequence[Study] | Mapping[str, Study], *,
             log_x: bool = False, **arguments: Any) -> go.Figure:
    """One step line per study (one panel per objective): the share of trials at or below.

    Each line draws at most ``MAX_POINTS`` (5,000) of its values (evenly spaced in rank,
    so the curve keeps its shape); the figure says when it does.

    Args:
        result: a table from :func:`edf`, or what :func:`edf` takes.
        log_x: a logarithmic value axis.
        arguments: passed to :func:`edf` when *result* is not a table.

    """
    from hyperpilot.analysis._plots import graph_objects

    table = result if isinstance(result, pd.DataFrame) else edf(result, **arguments)
    go = graph_objects()
    from plotly.subplots import make_subplots

    names = list(dict.fromkeys(table["objective"])) or [""]
    figure = make_subplots(rows=1, cols=len(names), subplot_titles=names)
    notes: list[str] = []
    palette = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
               "#7f7f7f", "#bcbd22", "#17becf")
    labels = list(dict.fromkeys(table["study"]))
    for col, name in enumerate(names, start=1):
        for k, label in enumerate(labels):
            part = table[(table["objective"] == name) & (table["study"] == label)]
            if part.empty:
                continue
            rows = thin(len(part), keep=[len(part) - 1])
            if len(rows) < len(part):
                notes.append(f"{label}: " + thinned_note(len(rows), len(part), "values"))
            figure.add_trace(go.Scatter(
                x=part["value"].to_numpy()[rows], y=part["fraction"].to_numpy()[rows],
                mode="lines", line={"shape": "hv", "color": palette[k % len(palette)]},
                name=label, legendgroup=label, showlegend=col == 1), row=1, col=col)
        figure.update_xaxes(title_text=name, type="log" if log_x else None, row=1, col=col)
    figure.update_yaxes(title_text="share of trials at or below", range=[0, 1.02], row=1, col=1)
    figure.update_layout(title="Empirical distribution of the values", height=420)
    add_notes(figure, sorted(set(notes)))
    return figure

