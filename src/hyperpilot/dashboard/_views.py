"""What each analysis view of the dashboard computes: the analysis, its figure, its notes.

A view is a function of the study and its choices (:data:`Chosen`, checked by
:func:`~hyperpilot.dashboard._analysis.parse_choices`) returning a table and a plotly
figure; most call the analysis package (imported when the view runs) with the chosen
objective and budget. The model-based ones fit their forest on a seeded sample past
:data:`MAX_MODEL_TRIALS` complete trials; the interaction graph and the Pareto front of
more than three objectives are drawn here. :data:`VIEWS` lists them in page order.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hyperpilot.study._study import Study

MAX_MODEL_TRIALS = 5_000
"""The most complete trials a model-based view fits its forest on; past it, a seeded
uniform sample of them, which the view's notes state."""

MAX_EDGES = 30
"""The most pairs the interaction graph draws (the strongest ones)."""

MARK_AT = 0.38
"""Where on an edge of the interaction graph its clickable marker sits (from the first node)."""

Chosen = Mapping[str, Any]
"""A view's choices after :func:`~hyperpilot.dashboard._analysis.parse_choices`: each one
it takes, filled in."""


def model_arguments(study: Study, chosen: Chosen) -> dict[str, Any]:
    """The objective and budget arguments, and past :data:`MAX_MODEL_TRIALS` a sample.

    A forest on 100,000 trials takes minutes and explains no more than one on a uniform
    sample of 5,000 (fANOVA: 1.7 s at 10,000 trials); the sample is drawn with seed 0 from
    the complete trials' numbers, read without their configurations.
    """
    import numpy as np

    from hyperpilot.trial._trial import TrialState

    arguments = _run_arguments(study, chosen)
    complete = [r.number for r in study.storage.get_trial_results(study.id)
                if r.state == TrialState.COMPLETE]
    if len(complete) > MAX_MODEL_TRIALS:
        picked = np.random.default_rng(0).choice(len(complete), MAX_MODEL_TRIALS,
                                                 replace=False)
        arguments["trials"] = sorted(complete[i] for i in picked)
    return arguments


def _run_arguments(study: Study, chosen: Chosen) -> dict[str, Any]:
    """The chosen objective (only with several objectives) and budget, as arguments."""
    arguments: dict[str, Any] = {}
    if "objective" in chosen and len(study.objectives) > 1:
        arguments["objective"] = chosen["objective"]
    if "budget" in chosen:
        arguments["budget"] = chosen["budget"]
    return arguments


def _sampled(table: Any, arguments: dict[str, Any]) -> Any:
    """Say in the table's notes when the view was fitted on a sample of the trials."""
    if "trials" in arguments:
        _note(table, f"fitted on a uniform sample of {len(arguments['trials']):,} of the "
                     f"study's complete trials (past {MAX_MODEL_TRIALS:,}, a sample keeps "
                     f"the view fast)")
    return table


def _note(table: Any, text: str) -> None:
    table.attrs["notes"] = [*(table.attrs.get("notes") or []), text]


def _model_view(module: str, compute: str, plot: str
                ) -> Callable[[Study, Chosen], tuple[Any, Any]]:
    """A model-based view: ``compute`` of ``analysis.<module>``, then its ``plot``.

    It runs on a sample of the study's trials past :data:`MAX_MODEL_TRIALS`, with the
    chosen objective, budget and game; the module is imported when the view runs.
    """

    def view(study: Study, chosen: Chosen) -> tuple[Any, Any]:
        functions = importlib.import_module(f"hyperpilot.analysis.{module}")
        arguments = model_arguments(study, chosen)
        if "game" in chosen:
            arguments["game"] = chosen["game"]
        table = _sampled(getattr(functions, compute)(study, **arguments), arguments)
        return table, getattr(functions, plot)(table)

    return view


def _run_view(module: str, compute: str, plot: str
              ) -> Callable[[Study, Chosen], tuple[Any, Any]]:
    """A view of the trials themselves (no model): ``compute``, then ``plot``."""

    def view(study: Study, chosen: Chosen) -> tuple[Any, Any]:
        functions = importlib.import_module(f"hyperpilot.analysis.{module}")
        table = getattr(functions, compute)(study, **_run_arguments(study, chosen))
        return table, getattr(functions, plot)(table)

    return view


def _partial_dependence(study: Study, chosen: Chosen) -> tuple[Any, Any]:
    """The partial dependence of the chosen pair, else of the pair fANOVA ranks first."""
    from hyperpilot.analysis._fanova import fanova
    from hyperpilot.analysis._pdp import partial_dependence, plot_partial_dependence

    arguments = model_arguments(study, chosen)
    names = list(chosen.get("pair") or ())
    if not names:
        ranks = fanova(study, n_bootstrap=0, **arguments)
        pairs = ranks[ranks["kind"] == "pair"]
        names = list((pairs if len(pairs) else ranks).iloc[0]["hyperparameters"])
    table = _sampled(partial_dependence(study, names, **arguments), arguments)
    return table, plot_partial_dependence(table)


def _interactions(study: Study, chosen: Chosen) -> tuple[Any, Any]:
    """The main effects and pairs of fANOVA at one budget, and their graph."""
    from hyperpilot.analysis._fanova import fanova

    arguments = model_arguments(study, chosen)
    table = _sampled(fanova(study, n_bootstrap=0, **arguments), arguments)
    return table, interaction_graph(table)


def interaction_graph(table: Any) -> Any:
    """The hyperparameters on a circle, sized by main effect, joined by their interactions.

    A node's area grows with its fANOVA main-effect share; an edge's width and opacity
    with the pair's share, the :data:`MAX_EDGES` strongest pairs with a share above zero.
    Each edge has a marker on it whose ``customdata`` is ``[name, name, share]``: the page
    loads that pair's partial dependence when it is clicked. The marker sits at
    :data:`MARK_AT` of the way from the pair's first node, not halfway, where the edges
    across the circle would all put theirs.
    """
    import numpy as np

    from hyperpilot.analysis._fanova import PAIR
    from hyperpilot.analysis._plots import add_warnings, graph_objects

    go = graph_objects()
    main = table[table["kind"] == "main"]
    pairs = table[(table["kind"] == "pair") & (table["importance"] > 0)]
    names = list(main["hyperparameter"])
    angle = np.pi / 2 - 2 * np.pi * np.arange(len(names)) / max(len(names), 1)
    where = {n: (float(np.cos(a)), float(np.sin(a))) for n, a in zip(names, angle, strict=True)}
    strongest = float(pairs["importance"].max()) if len(pairs) else 1.0
    shown = pairs.head(MAX_EDGES)
    figure = go.Figure()
    marks: list[tuple[float, float, float, list[Any]]] = []
    for members, share in zip(shown["hyperparameters"], shown["importance"], strict=True):
        (x0, y0), (x1, y1) = where[members[0]], where[members[1]]
        strength = float(share) / strongest
        figure.add_trace(go.Scatter(
            x=[x0, x1], y=[y0, y1], mode="lines", hoverinfo="skip", showlegend=False,
            line={"width": 1 + 11 * strength,
                  "color": f"rgba(37,99,235,{0.25 + 0.6 * strength:.2f})"}))
        marks.append((x0 + MARK_AT * (x1 - x0), y0 + MARK_AT * (y1 - y0), strength,
                      [members[0], members[1], float(share)]))
    if marks:
        figure.add_trace(go.Scatter(
            x=[m[0] for m in marks], y=[m[1] for m in marks], mode="markers",
            name="pairs", showlegend=False, customdata=[m[3] for m in marks],
            marker={"size": [8 + 6 * m[2] for m in marks], "color": "#1d4ed8",
                    "line": {"width": 1, "color": "#fff"}},
            hovertemplate=f"%{{customdata[0]}} {PAIR} %{{customdata[1]}}: "
                          "%{customdata[2]:.1%} of the variance<br>click: partial dependence"
                          "<extra></extra>"))
    shares = main["importance"].to_numpy(dtype=float)
    largest = float(shares.max()) if shares.size and shares.max() > 0 else 1.0
    figure.add_trace(go.Scatter(
        x=[where[n][0] for n in names], y=[where[n][1] for n in names], mode="markers+text",
        name="hyperparameters", text=names, showlegend=False, cliponaxis=False,
        textposition=["top center" if where[n][1] >= 0 else "bottom center" for n in names],
        customdata=shares.tolist(),
        marker={"size": (14 + 46 * np.sqrt(np.clip(shares, 0, None) / largest)).tolist(),
                "color": "#15803d", "line": {"width": 1, "color": "#111827"}},
        hovertemplate="%{text}: main effect %{customdata:.1%} of the variance<extra></extra>"))
    figure.update_layout(
        title=("Interactions (fANOVA)<br><sup>node area: main effect, edge width: pair "
               "interaction; click an edge for its partial dependence</sup>"),
        xaxis={"visible": False, "range": [-1.5, 1.5]},
        yaxis={"visible": False, "range": [-1.5, 1.5], "scaleanchor": "x"},
        plot_bgcolor="white", hovermode="closest", height=520)
    if len(pairs) > MAX_EDGES:
        _note(table, f"the graph draws the {MAX_EDGES} strongest of the {len(pairs)} pairs "
                     f"with an interaction above zero")
    add_warnings(figure, table)
    return figure


def _pareto(study: Study, chosen: Chosen) -> tuple[Any, Any]:
    """The Pareto front: a scatter for two or three objectives, parallel axes past that."""
    from hyperpilot.analysis._front import pareto_front, plot_pareto_front
    from hyperpilot.analysis._views import MAX_POINTS, thinned_note

    if len(study.objectives) > 3:
        return _pareto_axes(study, chosen)
    table = pareto_front(study, **_run_arguments(study, chosen))
    if len(table) > MAX_POINTS:
        _note(table, thinned_note(MAX_POINTS, len(table)) + "; the front is drawn whole")
    return table, plot_pareto_front(table)


def _pareto_axes(study: Study, chosen: Chosen) -> tuple[Any, Any]:
    """Four or more objectives: one axis each, the front's trials in red over the others."""
    import numpy as np
    import pandas as pd

    from hyperpilot._pareto import nondominated_mask
    from hyperpilot.analysis._plots import graph_objects
    from hyperpilot.analysis._views import budget_rows, thin, thinned_note, trial_violations
    from hyperpilot.trial._trial import TrialState

    everything = study.get_trials([TrialState.COMPLETE])
    trials = [everything[i] for i in budget_rows(everything, chosen["budget"], "pareto")]
    names = [o.name for o in study.objectives]
    values = np.array([[(t.values or {}).get(n, math.nan) for n in names] for t in trials],
                      dtype=float).reshape(len(trials), len(names))
    signs = np.array([o.sign for o in study.objectives], dtype=float)
    feasible = trial_violations(study, trials) == 0
    front = np.zeros(len(trials), dtype=bool)
    front[feasible] = nondominated_mask(values[feasible] * signs)
    table = pd.DataFrame(values, columns=[f"objective.{n}" for n in names])
    table.insert(0, "number", [t.number for t in trials])
    table["feasible"], table["front"] = feasible, front
    table.attrs["cache_key"] = ("dashboard-pareto", study.id, len(trials), chosen["budget"])
    rows = thin(len(table), keep=np.flatnonzero(front))
    if len(rows) < len(table):
        _note(table, thinned_note(len(rows), len(table)) + "; the front is drawn whole")
    drawn = table.iloc[rows]
    go = graph_objects()
    figure = go.Figure(go.Parcoords(
        line={"color": drawn["front"].astype(float).tolist(), "showscale": False,
              "colorscale": [[0, "rgba(156,163,175,0.35)"], [1, "#dc2626"]]},
        dimensions=[{"label": f"{n} ({o.direction})",
                     "values": drawn[f"objective.{n}"].tolist()}
                    for n, o in zip(names, study.objectives, strict=True)]))
    figure.update_layout(title=f"Pareto front: {int(front.sum())} of {len(table)} complete "
                               f"trials (red)", height=480)
    return table, figure


def _hypervolume(study: Study, chosen: Chosen) -> tuple[Any, Any]:
    """The hypervolume trial by trial (with three objectives or more, sampled past 1,000)."""
    from hyperpilot.analysis._front import (
        TRACE_POINTS,
        hypervolume_history,
        plot_hypervolume_history,
    )
    from hyperpilot.analysis._views import budget_rows
    from hyperpilot.trial._trial import TrialState

    table = hypervolume_history(study, **_run_arguments(study, chosen))
    if len(study.objectives) > 2 and len(table) <= TRACE_POINTS:
        complete = study.get_trials([TrialState.COMPLETE])
        n = len(budget_rows(complete, chosen["budget"], "hypervolume"))
        if n > len(table):
            _note(table, f"the hypervolume of {len(study.objectives)} objectives is computed "
                         f"after {len(table):,} evenly spaced of the {n:,} complete trials")
    return table, plot_hypervolume_history(table)


@dataclass(frozen=True)
class View:
    """One analysis view: its title, whether it has the trust layer, how it is computed.

    ``takes`` names the choices it accepts (see :func:`parse_choices`), ``budgets`` the
    budget keywords it offers besides the study's budget levels (the first is its
    default), ``multi`` whether it exists only for studies with several objectives.
    """

    title: str
    importance: bool
    compute: Callable[[Study, Chosen], tuple[Any, Any]]
    takes: tuple[str, ...] = ()
    budgets: tuple[str, ...] = ("highest", "all")
    multi: bool = False


_MODEL = ("objective", "budget")
VIEWS: dict[str, View] = {
    "fanova": View("fANOVA importance", True,
                   _model_view("_fanova", "fanova", "plot_fanova"), _MODEL,
                   ("each", "highest", "all")),
    "interactions": View("Interaction graph and partial dependence of a pair", True,
                         _interactions, _MODEL),
    "ped_anova": View("PED-ANOVA importance of reaching the top", True,
                      _model_view("_ped_anova", "ped_anova", "plot_ped_anova"), _MODEL,
                      ("each", "highest", "all")),
    "lpi": View("Local importance around the incumbent", True,
                _model_view("_lpi", "lpi", "plot_lpi"), _MODEL),
    "ablation": View("Ablation path to the incumbent", True,
                     _model_view("_ablation", "ablation", "plot_ablation"), _MODEL),
    "hypershap": View("HyperSHAP", True,
                      _model_view("_hypershap", "hypershap", "plot_hypershap"),
                      (*_MODEL, "game")),
    "partial_dependence": View("Partial dependence of a pair", True, _partial_dependence,
                               (*_MODEL, "pair")),
    "refine": View("A refined search space", True,
                   _model_view("_refine", "refine", "plot_refined_space"), _MODEL),
    "pareto_front": View("Pareto front", False, _pareto, ("budget",), ("all", "highest"),
                         multi=True),
    "mo_importance": View("Importance for each objective", True,
                          _model_view("_mo", "mo_importance", "plot_mo_importance"),
                          ("budget",), multi=True),
    "hypervolume": View("Hypervolume over the trials", False,
                        _hypervolume,
                        ("budget",), ("all", "highest"), multi=True),
    "parallel_coordinates": View("Parallel coordinates", False,
                                 _run_view("_parallel", "parallel_coordinates",
                                           "plot_parallel_coordinates"),
                                 _MODEL, ("all", "highest")),
    "footprint": View("Configuration footprint", False,
                      _run_view("_footprint", "footprint", "plot_footprint"), _MODEL,
                      ("all", "highest")),
    "history": View("Value and best so far", False,
                    _run_view("_history", "history", "plot_history"), ("budget",),
                    ("all", "highest")),
}
"""The views ``GET /api/studies/{name}/analysis/{view}`` computes, in page order."""
