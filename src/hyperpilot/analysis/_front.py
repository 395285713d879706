"""The Pareto front of two or three objectives, and the hypervolume as the study ran.

Both read the complete trials and use :mod:`hyperpilot._pareto` (minimization form:
each objective times its sign). The front is taken among the feasible trials, as
:attr:`Study.best_trials` takes it; infeasible trials are shown but never on it.

The hypervolume is bounded by a reference point: by default the nadir of the feasible
trials moved out by a tenth of each objective's range
(:func:`~hyperpilot._pareto.reference_point`), so every feasible trial adds volume; pass
``reference`` (in the objectives' own directions) to compare studies on one scale.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from hyperpilot._pareto import (
    hypervolume_trace,
    nondominated_mask,
    nondominated_ranks,
    reference_point,
)
from hyperpilot.analysis._data import AnalysisError
from hyperpilot.analysis._views import (
    add_notes,
    all_trials,
    budget_rows,
    thin,
    thinned_note,
    trial_violations,
    view_key,
)
from hyperpilot.trial._trial import Trial, TrialState

if TYPE_CHECKING:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    from hyperpilot.study._study import Study

PREFIX = "objective."
"""Objective columns are named ``objective.<name>``, as in :meth:`Study.to_dataframe`."""

TRACE_POINTS = 1_000
"""With three or more objectives, the hypervolume is computed after at most this many
(evenly spaced) trials; with two, after every trial."""


def _chosen(study: Study, objectives: Sequence[str] | None, what: str,
            sizes: tuple[int, ...]) -> list[str]:
    names = [o.name for o in study.objectives]
    chosen = names if objectives is None else (
        [objectives] if isinstance(objectives, str) else list(objectives))
    for name in chosen:
        if name not in names:
            raise AnalysisError(f"{what}: unknown objective {name!r}; the study has {names}")
    chosen = list(dict.fromkeys(chosen))
    if len(chosen) not in sizes:
        expected = " or ".join(str(s) for s in sizes) if len(sizes) < 4 else f"{sizes[0]}+"
        raise AnalysisError(f"{what}: needs {expected} objectives, got {len(chosen)} "
                            f"({chosen}); pass objectives=[...] naming them")
    return chosen


def _complete(study: Study, budget: float | Literal["all", "highest"],
              what: str) -> list[Trial]:
    everything = all_trials(study)
    kept = [everything[i] for i in budget_rows(everything, budget, what)]
    return [t for t in kept if t.state == TrialState.COMPLETE]


def _oriented(study: Study, trials: Sequence[Trial], names: Sequence[str]) -> np.ndarray:
    signs = {o.name: o.sign for o in study.objectives}
    return np.array([[signs[n] * (t.values or {}).get(n, math.nan) for n in names]
                     for t in trials], dtype=float).reshape(len(trials), len(names))


def pareto_front(
    study: Study,
    *,
    objectives: Sequence[str] | None = None,
    budget: float | Literal["all", "highest"] = "all",
) -> pd.DataFrame:
    """Every complete trial in objective space, the non-dominated feasible ones marked.

    Args:
        study: a study with two or three objectives (or more, choosing two or three).
        objectives: the two or three objective names to show (default: all of them).
        budget: ``"all"``, ``"highest"`` or a budget value.

    Returns:
        One row per complete trial: ``number``, ``objective.<name>`` per objective (own
        direction), ``feasible``, ``violation``, ``front`` (on the Pareto front of the
        feasible trials), ``rank`` (non-dominated sorting of the feasible trials: 0 for
        the front; -1 when infeasible) and ``budget``. ``attrs``: ``cache_key``,
        ``objectives``, ``directions``.

    Raises:
        AnalysisError: naming an unknown objective, or a count other than two or three.

    """
    names = _chosen(study, objectives, "pareto_front", (2, 3))
    trials = _complete(study, budget, "pareto_front")
    points = _oriented(study, trials, names)
    violation = trial_violations(study, trials)
    feasible = violation == 0
    rank = np.full(len(trials), -1, dtype=int)
    rank[feasible] = nondominated_ranks(points[feasible])
    front = np.zeros(len(trials), dtype=bool)
    front[feasible] = nondominated_mask(points[feasible])
    signs = {o.name: o.sign for o in study.objectives}
    table: pd.DataFrame = pd.DataFrame({"number": np.array([t.number for t in trials], dtype=int)})
    for k, name in enumerate(names):
        table[PREFIX + name] = signs[name] * points[:, k]
    table["feasible"] = feasible
    table["violation"] = violation
    table["front"] = front
    table["rank"] = rank
    table["budget"] = [math.nan if t.budget is None else float(t.budget) for t in trials]
    table.attrs["cache_key"] = view_key("pareto_front", [study], objectives=names,
                                        budget=budget)
    table.attrs["objectives"] = names
    table.attrs["directions"] = [
        "maximize" if signs[n] < 0 else "minimize" for n in names]
    return table


def plot_pareto_front(result: pd.DataFrame | Study, **arguments: Any) -> go.Figure:
    """The front (highlighted and joined) over every complete trial (dimmed); 3-d for three.

    Infeasible trials are drawn as faint crosses. Past ``MAX_POINTS`` (5,000) trials the
    dimmed ones are an evenly spaced subsample (the front is always drawn whole), and the
    figure says so.

    Args:
        result: a table from :func:`pareto_front`, or a study.
        arguments: passed to :func:`pareto_front` when *result* is a study.

    """
    from hyperpilot.analysis._plots import as_table, graph_objects

    table = as_table(result, pareto_front, arguments)
    go = graph_objects()
    names = list(table.attrs.get("objectives") or [
        c[len(PREFIX):] for c in table.columns if c.startswith(PREFIX)])
    columns = [PREFIX + n for n in names]
    rows = thin(len(table), keep=np.flatnonzero(table["front"].to_numpy()))
    shown = table.iloc[rows]
    notes = [thinned_note(len(shown), len(table))] if len(shown) < len(table) else []
    front = table[table["front"]].sort_values(columns)
    figure = go.Figure()
    three = len(names) == 3
    scatter = go.Scatter3d if three else go.Scattergl

    def coords(part: pd.DataFrame) -> dict[str, Any]:
        out = {"x": part[columns[0]], "y": part[columns[1]]}
        if three:
            out["z"] = part[columns[2]]
        return out

    layers = (("trials", shown[shown["feasible"] & ~shown["front"]], "circle", "#9ca3af", 0.35),
              ("infeasible", shown[~shown["feasible"]], "x", "#9ca3af", 0.35),
              ("Pareto front", front, "circle", "#dc2626", 1.0))
    for name, part, symbol, color, opacity in layers:
        if part.empty:
            continue
        figure.add_trace(scatter(
            **coords(part), mode="markers" if name != "Pareto front" or three
            else "lines+markers", name=name, opacity=opacity,
            marker={"size": 4 if three else 6, "symbol": symbol, "color": color},
            line={"color": color, "shape": "linear"} if not three else None,
            customdata=part["number"],
            hovertemplate="trial %{customdata}<extra>" + name + "</extra>"))
    directions = table.attrs.get("directions") or [""] * len(names)
    titles = [f"{n} ({d})" if d else n for n, d in zip(names, directions, strict=True)]
    if three:
        figure.update_layout(scene={"xaxis_title": titles[0], "yaxis_title": titles[1],
                                    "zaxis_title": titles[2]}, height=620)
    else:
        figure.update_layout(xaxis_title=titles[0], yaxis_title=titles[1], height=520)
    figure.update_layout(title=f"Pareto front: {len(front)} of {len(table)} complete trials")
    add_notes(figure, notes)
    return figure


def hypervolume_history(
    study: Study,
    *,
    objectives: Sequence[str] | None = None,
    reference: Sequence[float] | Mapping[str, float] | None = None,
    budget: float | Literal["all", "highest"] = "all",
) -> pd.DataFrame:
    """The hypervolume of the feasible complete trials so far, trial by trial.

    Args:
        study: a study with at least two objectives.
        objectives: the objectives to measure (default: all; at least two).
        reference: the reference point in the objectives' own directions (a sequence in
            the order of *objectives*, or a mapping by name); default: see the module.
        budget: ``"all"``, ``"highest"`` or a budget value.

    Returns:
        One row per complete trial in number order (with three or more objectives and
        more than ``TRACE_POINTS`` (1,000) trials: at 1,000 evenly spaced ones):
        ``number``, ``time`` (seconds from the first start to its finish) and
        ``hypervolume`` (of the feasible trials numbered up to it). ``attrs``:
        ``cache_key``, ``objectives``, ``reference`` (own directions) and ``note`` when
        no trial is feasible.

    Raises:
        AnalysisError: naming an unknown objective, fewer than two, or a reference point
            of the wrong length.

    """
    names = _chosen(study, objectives, "hypervolume_history", tuple(range(2, 33)))
    everything = all_trials(study)
    trials = _complete(study, budget, "hypervolume_history")
    points = _oriented(study, trials, names)
    feasible = trial_violations(study, trials) == 0
    points[~feasible] = math.nan
    signs = np.array([{o.name: o.sign for o in study.objectives}[n] for n in names])
    note = ""
    if reference is not None:
        if isinstance(reference, Mapping):
            given = [reference[n] for n in names] if all(n in reference for n in names) else []
        else:
            given = list(reference)
        if len(given) != len(names):
            raise AnalysisError(f"hypervolume_history: reference must give one value per "
                                f"objective {names}, got {reference!r}")
        ref = signs * np.asarray(given, dtype=float)
    elif feasible.any():
        ref = reference_point(points[feasible])
    else:
        ref = np.zeros(len(names))
        note = "no complete trial is feasible: the hypervolume is 0"
    n = len(trials)
    at = None
    if len(names) > 2 and n > TRACE_POINTS:
        at = np.unique(np.linspace(1, n, TRACE_POINTS).round().astype(int))
    volume = hypervolume_trace(points, ref, at=at)
    rows = np.arange(n) if at is None else at - 1
    starts = [t.started_at if t.started_at is not None else t.created_at for t in everything]
    origin = min(starts, default=0.0)
    table: pd.DataFrame = pd.DataFrame({
        "number": np.array([trials[i].number for i in rows], dtype=int),
        "time": [math.nan if (end := trials[i].finished_at) is None else end - origin
                 for i in rows],
        "hypervolume": volume,
    }, columns=["number", "time", "hypervolume"])
    table.attrs["cache_key"] = view_key("hypervolume_history", [study], objectives=names,
                                        reference=reference, budget=budget)
    table.attrs["objectives"] = names
    table.attrs["reference"] = [float(v) for v in signs * ref]
    if note:
        table.attrs["note"] = note
    return table


def plot_hypervolume_history(result: pd.DataFrame | Study, *,
                             x: Literal["number", "time"] = "number",
                             **arguments: Any) -> go.Figure:
    """The hypervolume against the trial number (or time) as a step line.

    Args:
        result: a table from :func:`hypervolume_history`, or a study.
        x: ``"number"`` or ``"time"``.
        arguments: passed to :func:`hypervolume_history` when *result* is a study.

    """
    from hyperpilot.analysis._plots import as_table, graph_objects

    if x not in ("number", "time"):
        raise AnalysisError(f"plot_hypervolume_history: x must be 'number' or 'time', "
                            f"got {x!r}")
    table = as_table(result, hypervolume_history, arguments)
    go = graph_objects()
    line = table.sort_values(x) if x == "time" else table
    volume = line["hypervolume"].to_numpy()
    steps = np.union1d(np.flatnonzero(np.diff(volume, prepend=math.nan) != 0),
                       [len(line) - 1]) if len(line) else np.zeros(0, dtype=int)
    figure = go.Figure(go.Scatter(x=line[x].to_numpy()[steps], y=volume[steps],
                                  mode="lines", line={"shape": "hv"}, name="hypervolume"))
    reference = table.attrs.get("reference")
    names = table.attrs.get("objectives", [])
    where = ", ".join(f"{n}={v:.4g}" for n, v in zip(names, reference or [], strict=False))
    figure.update_layout(title="Hypervolume of the feasible trials so far",
                         xaxis_title="trial number" if x == "number" else "seconds since start",
                         yaxis_title="hypervolume", height=380)
    add_notes(figure, [f"reference point: {where}" if where else "",
                       table.attrs.get("note", "")])
    return figure

