"""When and where the trials ran, and how far low budgets predict high ones.

* :func:`timeline`: one bar per trial from its start to its finish (running trials up to
  the latest time the study knows), in one lane per worker. A trial records the
  ``host:pid`` of the process that asked for it; trials of one process that overlap (a
  process pool inside one study) are spread over lanes of that worker, each trial in the
  lowest lane free at its start.
* :func:`budget_correlation`: for every pair of budgets, Spearman's rank correlation of
  the values of the configurations evaluated at both (several evaluations of one
  configuration at one budget are averaged). High correlation means the low budget ranks
  configurations as the high one does, so multi-fidelity methods can trust it.
"""

from __future__ import annotations

import heapq
import json
import math
from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hyperpilot.analysis._data import ObjectiveArg
from hyperpilot.analysis._views import (
    STATE_COLORS,
    add_notes,
    all_trials,
    objective_specs,
    objective_values,
    point_limit,
    view_key,
)
from hyperpilot.trial._trial import Trial, TrialState

if TYPE_CHECKING:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    from hyperpilot.study._study import Study

TIMELINE_COLUMNS = ("number", "state", "worker", "lane", "start", "end", "duration",
                    "running", "budget", "started_at", "finished_at")
CORRELATION_COLUMNS = ("budget_a", "budget_b", "spearman", "n_configs")
MIN_SHARED = 3
"""The fewest configurations two budgets must share for a correlation (else NaN)."""


def _lanes(trials: list[Trial], start: np.ndarray, end: np.ndarray) -> list[str]:
    """A lane per trial: its worker, numbered when the worker's trials overlap."""
    by_worker: dict[str, list[int]] = {}
    for i, t in enumerate(trials):
        by_worker.setdefault(t.worker or "unknown worker", []).append(i)
    lanes = [""] * len(trials)
    for worker, rows in by_worker.items():
        rows.sort(key=lambda i: (start[i], trials[i].number))
        busy: list[tuple[float, int]] = []  # (end, slot)
        free: list[int] = []
        slot_of: dict[int, int] = {}
        used = 0
        for i in rows:
            while busy and busy[0][0] <= start[i]:
                heapq.heappush(free, heapq.heappop(busy)[1])
            slot = heapq.heappop(free) if free else used
            used = max(used, slot + 1)
            slot_of[i] = slot
            heapq.heappush(busy, (end[i], slot))
        for i in rows:
            lanes[i] = worker if used == 1 else f"{worker} \u00b7 {slot_of[i] + 1}"
    return lanes


def timeline(study: Study) -> pd.DataFrame:
    """When each trial ran and in which lane (see the module).

    Returns:
        One row per trial that has started: ``number``, ``state``, ``worker`` (``host:pid``,
        or "unknown worker"), ``lane``, ``start`` and ``end`` (seconds since the first
        start; a running trial ends at the latest time the study knows: a finish, a start
        or a heartbeat), ``duration``, ``running``, ``budget``, and the Unix times
        ``started_at`` and ``finished_at``. Pending trials have not started and are left
        out (``attrs["pending"]`` counts them). ``attrs["cache_key"]`` changes when a
        trial starts or finishes.

    """
    everything = all_trials(study)
    trials = [t for t in everything if t.started_at is not None]
    known = [x for t in everything for x in (t.started_at, t.finished_at, t.heartbeat_at)
             if x is not None]
    origin = min((t.started_at for t in trials if t.started_at is not None), default=0.0)
    latest = max(known, default=origin)
    start = np.array([(t.started_at or origin) - origin for t in trials], dtype=float)
    end = np.array([(t.finished_at if t.finished_at is not None else
                     latest if t.state == TrialState.RUNNING else t.started_at or origin)
                    - origin for t in trials], dtype=float)
    end = np.maximum(end, start)
    table: pd.DataFrame = pd.DataFrame({
        "number": np.array([t.number for t in trials], dtype=int),
        "state": [t.state.value for t in trials],
        "worker": [t.worker or "unknown worker" for t in trials],
        "lane": _lanes(trials, start, end), "start": start, "end": end,
        "duration": end - start,
        "running": [t.state == TrialState.RUNNING for t in trials],
        "budget": [math.nan if t.budget is None else float(t.budget) for t in trials],
        "started_at": [t.started_at for t in trials],
        "finished_at": [math.nan if t.finished_at is None else t.finished_at for t in trials],
    }, columns=list(TIMELINE_COLUMNS))
    table.attrs["cache_key"] = view_key("timeline", [study], live=True)
    table.attrs["pending"] = sum(t.state == TrialState.PENDING for t in everything)
    return table


def plot_timeline(result: pd.DataFrame | Study) -> go.Figure:
    """Horizontal bars per lane, coloured by state; running trials reach the right edge.

    Past ``MAX_POINTS`` (5,000) trials the most recent ones (by number) are drawn, and the
    figure says so: a timeline is read at its live end, and a gap in it would look like
    an idle worker.
    """
    from hyperpilot.analysis._plots import graph_objects

    table = result if isinstance(result, pd.DataFrame) else timeline(result)
    go = graph_objects()
    notes = []
    shown = table
    limit = point_limit()
    if len(table) > limit:
        shown = table.sort_values("number").tail(limit)
        notes.append(f"showing the latest {limit:,} of {len(table):,} trials "
                     f"(figures draw at most {limit:,})")
    if table.attrs.get("pending"):
        notes.append(f"{table.attrs['pending']} pending trial(s) have not started")
    figure = go.Figure()
    for state, color in STATE_COLORS.items():
        part = shown[shown["state"] == state]
        if part.empty:
            continue
        figure.add_trace(go.Bar(
            base=part["start"], x=part["duration"], y=part["lane"], orientation="h",
            name=state, marker={"color": color}, customdata=part["number"],
            hovertemplate=("trial %{customdata}: %{base:.3g} s + %{x:.3g} s"
                           f"<extra>{state}</extra>")))
    lanes = sorted(set(shown["lane"]))
    figure.update_layout(title="Timeline of trials by worker", barmode="overlay",
                         xaxis_title="seconds since the first start", yaxis_title="lane",
                         yaxis={"categoryorder": "array", "categoryarray": lanes[::-1]},
                         height=max(300, 120 + 22 * len(lanes)))
    add_notes(figure, notes)
    return figure


def _ranks(values: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    out: np.ndarray = rankdata(values)
    return out


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho; NaN with fewer than MIN_SHARED pairs or a constant side."""
    if len(a) < MIN_SHARED or np.ptp(a) == 0 or np.ptp(b) == 0:
        return math.nan
    return float(np.corrcoef(_ranks(a), _ranks(b))[0, 1])


def budget_correlation(study: Study, *, objective: ObjectiveArg = None) -> pd.DataFrame:
    """Spearman's rank correlation of the values between every pair of budgets.

    Args:
        study: the study to analyse.
        objective: the objective's name (needed with several) or weights.

    Returns:
        One row per pair of budgets (``budget_a`` < ``budget_b``): ``spearman`` (NaN when
        they share fewer than three configurations, or one side is constant) and
        ``n_configs`` (configurations complete at both). Empty, with
        ``attrs["note"]`` saying why, when fewer than two budgets have complete trials.
        ``attrs["cache_key"]``.

    Raises:
        AnalysisError: for an unknown objective, or a study with several and no choice.

    """
    spec = objective_specs(study, objective, "budget_correlation")[0]
    trials = all_trials(study)
    values = objective_values(study, trials, spec)
    by_budget: dict[float, dict[str, list[float]]] = {}
    for t, loss in zip(trials, values.loss, strict=True):
        if t.budget is None or math.isnan(loss):
            continue
        key = json.dumps(t.config, sort_keys=True, default=str)
        by_budget.setdefault(float(t.budget), {}).setdefault(key, []).append(float(loss))
    budgets = sorted(by_budget)
    rows = []
    for a, b in combinations(budgets, 2):
        shared = sorted(set(by_budget[a]) & set(by_budget[b]))
        low = np.array([np.mean(by_budget[a][k]) for k in shared], dtype=float)
        high = np.array([np.mean(by_budget[b][k]) for k in shared], dtype=float)
        rows.append({"budget_a": a, "budget_b": b, "spearman": _spearman(low, high),
                     "n_configs": len(shared)})
    table: pd.DataFrame = pd.DataFrame(rows, columns=list(CORRELATION_COLUMNS))
    if not budgets:
        table.attrs["note"] = "no complete trial has a budget: there is nothing to correlate"
    elif len(budgets) == 1:
        table.attrs["note"] = (f"every complete trial has budget {budgets[0]:g}: there is "
                               "nothing to correlate")
    elif not (table["n_configs"] >= MIN_SHARED).any():
        table.attrs["note"] = (f"no two budgets share {MIN_SHARED} configurations: the "
                               "correlations are unknown")
    table.attrs["objective"] = values.label
    table.attrs["cache_key"] = view_key("budget_correlation", [study], objective=objective)
    return table


def plot_budget_correlation(result: pd.DataFrame | Study, **arguments: Any) -> go.Figure:
    """A budget-by-budget heat map of Spearman's rho, with the shared configurations.

    Args:
        result: a table from :func:`budget_correlation`, or a study.
        arguments: passed to :func:`budget_correlation` when *result* is a study.

    """
    from hyperpilot.analysis._plots import as_table, graph_objects

    table = as_table(result, budget_correlation, arguments)
    go = graph_objects()
    budgets = sorted(set(table["budget_a"]) | set(table["budget_b"]))
    index = {b: i for i, b in enumerate(budgets)}
    rho = np.full((len(budgets), len(budgets)), math.nan)
    text = np.full((len(budgets), len(budgets)), "", dtype=object)
    for i in range(len(budgets)):
        rho[i, i], text[i, i] = 1.0, ""
    for row in table.itertuples(index=False):
        i, j = index[row.budget_a], index[row.budget_b]
        rho[i, j] = rho[j, i] = row.spearman
        text[i, j] = text[j, i] = f"{row.spearman:.2f}<br>n={row.n_configs}"
    names = [f"{b:g}" for b in budgets]
    figure = go.Figure(go.Heatmap(z=rho, x=names, y=names, text=text,
                                  texttemplate="%{text}", zmin=-1, zmax=1,
                                  colorscale="RdBu", colorbar={"title": "Spearman"}))
    figure.update_layout(title="Rank correlation between budgets", xaxis_title="budget",
                         yaxis_title="budget", height=420)
    add_notes(figure, [table.attrs.get("note", "")])
    return figure
