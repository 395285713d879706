"""Partial dependence and ICE curves of the explanation forest, with their uncertainty.

The partial dependence of one hyperparameter (or a pair) at a value ``v`` is the forest's
mean prediction over a background of configurations with the hyperparameter set to ``v``
(Friedman, 2001). Each tree gives its own curve; the table reports their mean and spread
(``std`` over trees, and ``low``/``high``: mean -+ std, or the 5th and 95th percentiles
over trees). An ICE line (Goldstein et al., 2015) is one background configuration's
prediction as the hyperparameter moves.

**Background.** ``"uniform"`` draws configurations uniformly from the space (the
distribution under which fANOVA decomposes the variance, so the curve is its main-effect
marginal up to Monte-Carlo error); ``"trials"`` uses the trials' own configurations, so
the curve describes the region the optimizer searched. Values a move switches on take
uniform random values, as the forest saw them when it was fitted.

**Conditions.** A hyperparameter only has an effect where it is active. The background is
restricted to configurations where the hyperparameters are active (a pair's second member
may depend on the first: then the rows say ``active=False`` where its conditions fail at
the grid value, and the surface there is the prediction without it). Forbidden
configurations are left out of the mean; an ICE point on a forbidden one is NaN. A
constant has one grid value and a flat curve.

**Sampling bias.** The surrogate is only as good as the trials it was fitted on, and an
optimizer samples the regions it finds good densely (Moosbauer et al., *Improving
Accuracy of Interpretability Measures in Hyperparameter Optimization via Bayesian
Algorithm Execution*, 2022): elsewhere the curve is an extrapolation. Every grid value
owns a cell (the interval up to the midpoints to its neighbours; a choice's own bin), and
the table gives per cell the number of observed trials in it (``n_near``), their
``density`` relative to uniform sampling (1: as many as random search would put there) and
``sparse`` when fewer than ``min_support`` trials support it. ``attrs["notes"]`` says in
words where the trials are concentrated and where the curve rests on few trials; the
figure marks those grid values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from hyperpilot.analysis._data import (
    AnalysisData,
    AnalysisError,
    ObjectiveArg,
    analysis_data,
    cache_key,
    check_names,
)
from hyperpilot.analysis._fanova import MIN_TRIALS
from hyperpilot.analysis._surrogate import ExplanationForest, ForestSettings, surrogate_fit
from hyperpilot.analysis._trust import INTERVAL, finish, trust_columns
from hyperpilot.space._conditions import DNF, Atom
from hyperpilot.space._params import Float, Hyperparameter, Int, _Choice
from hyperpilot.space._space import Space

if TYPE_CHECKING:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    from hyperpilot.study._study import Study

COLUMNS = ("budget", "kind", "hyperparameters", "value", "unit", "value_2", "unit_2", "line",
           "trial", "mean", "std", "low", "high", "n_near", "density", "sparse", "active",
           "n_trials", "cv_r2", "spearman", "warning")

CONCENTRATED = 0.5
"""A hyperparameter's trials are called concentrated when 80 % of them lie in at most this
share of its range (grid cells, on the unit scale)."""

_MAX_ROUNDS = 50


# ---------------------------------------------------------------------- words
def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return repr(value)


def _atom_text(atom: Atom) -> str:
    sign = {"eq": "=", "ne": "≠", "gt": ">", "lt": "<", "in": "in"}[atom.op]
    value = repr(list(atom.value)) if atom.op == "in" else _short(atom.value)
    return f"{atom.name} {sign} {value}"


def condition_text(dnf: DNF) -> str:
    """A condition in words: ``model = 'tree' and depth > 3 or ...``."""
    return " or ".join(" and ".join(_atom_text(a) for a in clause) for clause in dnf)


# ---------------------------------------------------------------------- grids
def value_grid(param: Hyperparameter, size: int) -> tuple[np.ndarray, list[Any]]:
    """The grid of one hyperparameter: encoded positions and decoded values.

    Every choice of a categorical, ordinal or constant; every integer when there are at
    most *size* of them; else *size* points evenly spaced on the unit scale (so a log
    scale gives log-spaced values), integers rounded and repeats dropped.
    """
    if isinstance(param, _Choice):
        values = list(param.choices)
    elif isinstance(param, Int) and int(param.high) - int(param.low) + 1 <= size:
        values = list(range(int(param.low), int(param.high) + 1))
    elif isinstance(param, Int):
        values = sorted({param.from_unit(u) for u in np.linspace(0.0, 1.0, size)})
    else:
        values = [param.from_unit(u) for u in np.linspace(0.0, 1.0, size)]
    units = np.array([param.to_unit(v) for v in values], dtype=float)
    return units, values


def cell_edges(units: np.ndarray) -> np.ndarray:
    """The cells of a grid: edges at 0, the midpoints between neighbours, and 1."""
    inner = (units[1:] + units[:-1]) / 2.0
    return np.concatenate(([0.0], inner, [1.0]))


def _cells(column: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The cell of each encoded value (NaN: -1)."""
    out = np.full(column.shape, -1, dtype=int)
    seen = ~np.isnan(column)
    out[seen] = np.searchsorted(edges[1:-1], column[seen], side="right")
    return out


def ancestors(space: Space, name: str) -> set[str]:
    """The names whose values decide, directly or through others, whether *name* is active."""
    out: set[str] = set()
    todo = list(space.parents(name))
    while todo:
        parent = todo.pop()
        if parent not in out:
            out.add(parent)
            todo.extend(space.parents(parent))
    return out


# ---------------------------------------------------------------------- background
def _background(data: AnalysisData, forest: ExplanationForest, columns: list[int],
                required: list[int], kind: str, size: int,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Full rows of the unit cube (no NaN) where the *required* columns are active.

    Returns the rows and their trial numbers (-1 for uniform draws).
    """
    vs = forest.vector_space
    names = [data.space.names[j] for j in columns]
    if kind == "trials":
        full = forest.impute(data.X, rng)
        keep = ~np.isnan(vs.canonical(full)[:, required]).any(axis=1)
        if not keep.any():
            raise AnalysisError(
                f"partial_dependence: {' and '.join(names)} active in none of the {data.n} "
                "trials; use background='uniform'"
            )
        return full[keep], data.numbers[keep]
    parts: list[np.ndarray] = []
    have = 0
    for _ in range(_MAX_ROUNDS):
        raw = data.space.sample_unit(max(2 * size, 64), rng)
        keep = ~np.isnan(vs.canonical(raw)[:, required]).any(axis=1)
        parts.append(raw[keep])
        have += int(keep.sum())
        if have >= size:
            break
    if have == 0:
        raise AnalysisError(
            f"partial_dependence: {' and '.join(names)} never active in "
            f"{_MAX_ROUNDS} rounds of random configurations; the conditions cannot hold"
        )
    rows = np.concatenate(parts)[:size]
    return rows, np.full(rows.shape[0], -1)


def _predict_grid(forest: ExplanationForest, background: np.ndarray, columns: list[int],
                  points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per tree, grid point and background row: predictions, allowed and active masks."""
    vs = forest.vector_space
    g, b = points.shape[0], background.shape[0]
    rows = np.tile(background, (g, 1))
    for k, j in enumerate(columns):
        rows[:, j] = np.repeat(points[:, k], b)
    canon, forbidden = vs.canonical(rows), vs.forbidden_mask(rows)
    active = ~np.isnan(canon[:, columns]).any(axis=1)
    predictions = forest.predict_trees(canon).reshape(-1, g, b)
    return predictions, (~forbidden).reshape(g, b), active.reshape(g, b)


def _band(per_tree: np.ndarray, sign: float, band: str) -> tuple[np.ndarray, ...]:
    """Mean, std, low and high over trees (axis 0), in the objective's direction."""
    values = sign * per_tree
    mean = values.mean(axis=0)
    std = values.std(axis=0)
    if band == "std":
        return mean, std, mean - std, mean + std
    low, high = np.percentile(values, INTERVAL, axis=0)
    return mean, std, low, high


def _support(X: np.ndarray, grids: list[np.ndarray]
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed trials per grid cell, their density, and the trials with every column active.

    A density of 1 is what uniform sampling would put in the cell.
    """
    edges = [cell_edges(units) for units in grids]
    cells = [_cells(X[:, k], e) for k, e in enumerate(edges)]
    observed: np.ndarray = np.stack([c >= 0 for c in cells]).sum(axis=0) == len(cells)
    shape = tuple(units.size for units in grids)
    counts = np.zeros(shape, dtype=int)
    np.add.at(counts, tuple(c[observed] for c in cells), 1)
    area = np.ones(shape)
    for k, e in enumerate(edges):
        area = area * np.diff(e).reshape([-1 if i == k else 1 for i in range(len(shape))])
    n_obs = int(observed.sum())
    density = counts / max(n_obs, 1) / area
    return counts, density, observed


# ---------------------------------------------------------------------- notes
def _runs(flags: np.ndarray, values: list[Any], numeric: bool, limit: int = 3) -> str:
    """The flagged grid values as ranges ``a to b`` (numeric) or a list (choices)."""
    index = np.flatnonzero(flags)
    if not numeric:
        shown = ", ".join(_short(values[i]) for i in index[:limit + 2])
        return shown + (", ..." if index.size > limit + 2 else "")
    runs: list[tuple[int, int]] = []
    for i in index:
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], int(i))
        else:
            runs.append((int(i), int(i)))
    text = [(_short(values[a]) if a == b else f"{_short(values[a])} to {_short(values[b])}")
            for a, b in runs[:limit]]
    return ", ".join(text) + (", ..." if len(runs) > limit else "")


def _bias_notes(name: str, param: Hyperparameter, counts: np.ndarray, widths: np.ndarray,
                values: list[Any], min_support: int) -> list[str]:
    """Sentences on where the trials of one hyperparameter lie and where they are few."""
    total = int(counts.sum())
    if counts.size < 2 or total == 0:
        return []
    numeric = not isinstance(param, _Choice)
    notes = []
    order = np.argsort(-counts, kind="stable")
    reach = np.searchsorted(np.cumsum(counts[order]), 0.8 * total) + 1
    dense = np.sort(order[:reach])
    share = float(widths[dense].sum())
    if counts.size >= 4 and share <= CONCENTRATED:
        where = (f"{_short(values[dense[0]])} to {_short(values[dense[-1]])}" if numeric
                 else ", ".join(_short(values[i]) for i in dense))
        notes.append(
            f"sampling bias: 80% of the {total} trials with {name} lie in {share:.0%} of its "
            f"range ({where}); the optimizer sampled there densely, so elsewhere the curve "
            "is extrapolated from few trials"
        )
    sparse = counts < min_support
    if sparse.any():
        notes.append(
            f"{name}: the curve rests on fewer than {min_support} trials at {int(sparse.sum())} "
            f"of {counts.size} grid values ({_runs(sparse, values, numeric)})"
        )
    return notes


# ---------------------------------------------------------------------- analysis
def _check_arguments(grid: int, ice: int, n_background: int, min_support: int,
                     background: str, band: str) -> None:
    for name, value, least in (("grid", grid, 2), ("ice", ice, 0),
                               ("n_background", n_background, 1),
                               ("min_support", min_support, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise AnalysisError(
                f"partial_dependence: {name} must be an integer >= {least}, got {value!r}")
    if background not in ("uniform", "trials"):
        raise AnalysisError("partial_dependence: background must be 'uniform' or 'trials', "
                            f"got {background!r}")
    if band not in ("std", "quantile"):
        raise AnalysisError(f"partial_dependence: band must be 'std' or 'quantile', got {band!r}")


def _names(space: Space, names: str | Sequence[str]) -> list[str]:
    given = [names] if isinstance(names, str) else list(names)
    if not 1 <= len(given) <= 2 or len(set(given)) != len(given):
        raise AnalysisError("partial_dependence: names must be one hyperparameter or two "
                            f"different ones, got {names!r}")
    return check_names(space, given, "partial_dependence")


def partial_dependence(
    study: Study,
    names: str | Sequence[str],
    *,
    grid: int = 20,
    ice: int = 30,
    background: Literal["uniform", "trials"] = "uniform",
    n_background: int = 200,
    band: Literal["std", "quantile"] = "std",
    min_support: int = 3,
    objective: ObjectiveArg = None,
    budget: float | Literal["all", "highest"] = "highest",
    trials: Sequence[int] | None = None,
    n_trees: int = 16,
    seed: int = 0,
) -> pd.DataFrame:
    """Partial dependence (and ICE lines) of one hyperparameter or a pair (see the module).

    Args:
        study: the study to explain.
        names: one hyperparameter's name, or two.
        grid: grid values per hyperparameter (all choices, and all integers when there
            are at most *grid*, whatever it is).
        ice: ICE lines to draw (one hyperparameter only): a seeded subsample of this many
            background rows (all of them when there are fewer; 0: none).
        background: ``"uniform"`` or ``"trials"`` (see the module).
        n_background: uniform background configurations (where the names are active).
        band: ``"std"`` (``low``/``high`` = mean -+ std over trees) or ``"quantile"`` (the
            5th and 95th percentiles over trees).
        min_support: a grid value with fewer observed trials in its cell is ``sparse``.
        objective: the objective's name (needed with several objectives), or weights.
        budget: ``"highest"`` (the highest budget with at least ten trials), ``"all"`` or
            a budget value.
        trials: trial numbers to restrict the analysis to.
        n_trees: trees of the explanation forest.
        seed: the seed of the forest, the background and the ICE subsample.

    Returns:
        One row per grid value (``kind="pd"``) and per ICE line and grid value
        (``kind="ice"``, with ``line`` 0, 1, ... and ``trial``, the trial number of a
        ``"trials"`` background row). ``value`` (and ``value_2`` for a pair) is the
        hyperparameter's own value (floats on their scale, integers, choices as their
        labels), ``unit`` (``unit_2``) its encoded position; ``mean``, ``std``, ``low``,
        ``high`` are in the objective's direction (a weighted objective: the weighted
        standardized score, lower is better). ``n_near``, ``density``, ``sparse`` and
        ``active`` as the module says, then the trust columns. ``attrs["notes"]`` holds
        the sampling-bias and condition notes, ``attrs["observed"]`` the trials' values.

    Raises:
        AnalysisError: naming an unknown objective or hyperparameter, or an invalid
            argument.
        TooFewTrialsError: with fewer than ten complete trials.

    """
    _check_arguments(grid, ice, n_background, min_support, background, band)
    data = analysis_data(study, objective=objective, budget=budget, trials=trials,
                         min_trials=MIN_TRIALS, what="partial_dependence")
    space = data.space
    wanted = _names(space, names)
    columns = [space.names.index(n) for n in wanted]
    params = [space[n] for n in wanted]
    fit = surrogate_fit(data, ForestSettings(n_trees=n_trees, seed=seed))
    forest = fit.forest
    rng = np.random.default_rng([seed, 7])
    # a name is required to be active unless its activity depends on the other name
    required = [j for j, n in zip(columns, wanted, strict=True)
                if not (set(wanted) - {n}) & ancestors(space, n)]
    rows, numbers = _background(data, forest, columns, required, background, n_background, rng)

    grids = [value_grid(p, grid) for p in params]
    mesh = np.meshgrid(*[units for units, _ in grids], indexing="ij")
    points = np.stack([m.ravel() for m in mesh], axis=1)
    index = np.stack([m.ravel() for m in np.meshgrid(
        *[np.arange(units.size) for units, _ in grids], indexing="ij")], axis=1)
    predictions, allowed, active = _predict_grid(forest, rows, columns, points)
    any_active: np.ndarray = active.sum(axis=1) > 0
    weight = allowed & np.where(any_active[:, None], active, True)
    count = weight.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_tree = (predictions * weight).sum(axis=2) / count
    mean, std, low, high = _band(per_tree, data.sign, band)

    counts, density, observed = _support(data.X[:, columns], [units for units, _ in grids])
    trust = trust_columns(fit, data.n)
    budget_value = math.nan if data.budget is None else data.budget
    pair = len(wanted) == 2
    out: list[dict[str, Any]] = []
    for g in range(points.shape[0]):
        cell = tuple(int(i) for i in index[g])
        out.append({
            "budget": budget_value, "kind": "pd", "hyperparameters": tuple(wanted),
            "value": grids[0][1][cell[0]], "unit": float(points[g, 0]),
            "value_2": grids[1][1][cell[1]] if pair else None,
            "unit_2": float(points[g, 1]) if pair else math.nan, "line": None,
            "trial": None, "mean": float(mean[g]), "std": float(std[g]),
            "low": float(low[g]), "high": float(high[g]), "n_near": int(counts[cell]),
            "density": float(density[cell]), "sparse": bool(counts[cell] < min_support),
            "active": bool(any_active[g]), **trust,
        })
    notes = _notes(space, wanted, params, grids, counts, any_active, count, data, observed,
                   min_support)
    if ice and pair:
        notes.append("ICE lines are drawn for one hyperparameter only; none for a pair")
    if ice and not pair:
        pick = np.sort(rng.choice(rows.shape[0], size=min(ice, rows.shape[0]), replace=False))
        for line, r in enumerate(pick):
            m, s, lo, hi = _band(predictions[:, :, r], data.sign, band)
            for g in range(points.shape[0]):
                ok = bool(allowed[g, r])
                out.append({
                    **out[g], "kind": "ice", "line": line,
                    "trial": int(numbers[r]) if numbers[r] >= 0 else None,
                    "mean": float(m[g]) if ok else math.nan,
                    "std": float(s[g]) if ok else math.nan,
                    "low": float(lo[g]) if ok else math.nan,
                    "high": float(hi[g]) if ok else math.nan,
                    "active": bool(active[g, r]),
                })
    key = cache_key("partial_dependence", data, names=tuple(wanted), grid=grid, ice=ice,
                    background=background, n_background=n_background, band=band,
                    min_support=min_support, n_trees=n_trees, seed=seed)
    values = [[params[k].from_unit(u) if not math.isnan(u) else None
               for u in data.X[observed, j]] for k, j in enumerate(columns)]
    frame = finish(out, COLUMNS, key, objective=data.objective, names=tuple(wanted),
                   notes=notes, band=band, background=background, min_support=min_support,
                   observed={"trial": data.numbers[observed].tolist(),
                             "value": values[0], "value_2": values[1] if pair else [],
                             "objective": (data.sign * data.y[observed]).tolist()},
                   scales=[_scale(p) for p in params])
    frame["line"] = frame["line"].astype("Int64")
    frame["trial"] = frame["trial"].astype("Int64")
    return frame


def _scale(param: Hyperparameter) -> str:
    """How a figure's axis shows the hyperparameter: ``log``, ``linear`` or ``category``."""
    if isinstance(param, _Choice):
        return "category"
    return "log" if isinstance(param, (Float, Int)) and param.log else "linear"


def _notes(space: Space, wanted: list[str], params: list[Hyperparameter],
           grids: list[tuple[np.ndarray, list[Any]]], counts: np.ndarray,
           any_active: np.ndarray, count: np.ndarray, data: AnalysisData,
           observed: np.ndarray, min_support: int) -> list[str]:
    notes: list[str] = []
    for k, (name, param) in enumerate(zip(wanted, params, strict=True)):
        if isinstance(param, _Choice) and len(param.choices) == 1:
            notes.append(f"{name} is a constant ({_short(param.choices[0])}): its partial "
                         "dependence is flat")
        if space.conditions(name):
            j = space.names.index(name)
            n_active = int((~np.isnan(data.X[:, j])).sum())
            notes.append(f"{name} is active only where {condition_text(space.conditions(name))}"
                         f": the curve averages over configurations where it is active "
                         f"({n_active} of {data.n} trials have it)")
        if len(wanted) == 1:
            notes += _bias_notes(name, param, counts, np.diff(cell_edges(grids[0][0])),
                                 grids[0][1], min_support)
        else:
            marginal = counts.sum(axis=1 - k)
            notes += [n for n in _bias_notes(name, param, marginal,
                                             np.diff(cell_edges(grids[k][0])), grids[k][1],
                                             min_support) if n.startswith("sampling bias")]
    if len(wanted) == 2:
        sparse = int((counts < min_support).sum())
        if sparse:
            notes.append(f"the surface rests on fewer than {min_support} trials in {sparse} of "
                         f"{counts.size} grid cells ({int(observed.sum())} trials have both "
                         "hyperparameters)")
        inactive = int((~any_active).sum())
        if inactive:
            notes.append(f"{wanted[1]} or {wanted[0]} is inactive at {inactive} of "
                         f"{any_active.size} grid points (its conditions fail there); those "
                         "show the prediction without it")
    forbidden = int((count == 0).sum())
    if forbidden:
        notes.append(f"{forbidden} grid points are forbidden for every background "
                     "configuration; their mean is NaN")
    return notes


# ---------------------------------------------------------------------- figure
def plot_partial_dependence(result: pd.DataFrame | Study, names: str | Sequence[str] = (),
                            **arguments: Any) -> go.Figure:
    """The partial dependence as a figure.

    One hyperparameter: the mean curve with its band, the ICE lines (thin), a rug of the
    observed values, and grid values resting on few trials marked. A pair: a heatmap of
    the mean with the observed trials as points and cells with few trials shaded. The
    notes of the table are written above the plot.

    Args:
        result: a table from :func:`partial_dependence`, or a study (then
            ``partial_dependence(study, names, **arguments)`` is computed).
        names: the hyperparameter(s), when *result* is a study.
        arguments: passed to :func:`partial_dependence` when *result* is a study.

    """
    from hyperpilot.analysis._plots import add_warnings, as_table, graph_objects

    go = graph_objects()
    table = as_table(result, partial_dependence, {"names": names, **arguments})
    wanted = list(table.attrs.get("names", ()))
    scales = table.attrs.get("scales", ["linear"] * len(wanted))
    observed = table.attrs.get("observed", {})
    pd_rows = table[table["kind"] == "pd"]
    figure = go.Figure()
    if len(wanted) == 2:
        _surface(go, figure, pd_rows, wanted, scales, observed)
    else:
        _curve(go, figure, table, pd_rows, wanted[0], scales[0], observed)
    add_warnings(figure, table)
    notes = table.attrs.get("notes") or []
    if notes:
        # Below the axis title; a plain bullet, which every browser's fonts have.
        figure.add_annotation(text="• " + "<br>• ".join(notes), xref="paper", yref="paper",
                              x=0.0, y=-0.25, yanchor="top", xanchor="left", showarrow=False,
                              align="left", font={"size": 11, "color": "#475569"})
        figure.update_layout(margin={"b": 110 + 16 * len(notes)})
    return figure


def _curve(go: Any, figure: Any, table: pd.DataFrame, rows: pd.DataFrame, name: str,
           scale: str, observed: dict[str, Any]) -> None:
    x = [str(v) for v in rows["value"]] if scale == "category" else list(rows["value"])
    quantity = table.attrs.get("objective", "objective")
    ice_x: list[Any] = []
    ice_y: list[Any] = []
    for _, part in table[table["kind"] == "ice"].groupby("line", sort=True):
        ice_x += ([str(v) for v in part["value"]] if scale == "category"
                  else list(part["value"])) + [None]
        ice_y += [*part["mean"], None]
    if ice_x:
        figure.add_trace(go.Scatter(x=ice_x, y=ice_y, mode="lines", name="ICE",
                                    line={"width": 0.6, "color": "rgba(100,116,139,0.35)"},
                                    hoverinfo="skip"))
    if scale == "category":
        figure.add_trace(go.Scatter(
            x=x, y=rows["mean"], mode="markers", name="partial dependence",
            marker={"size": 10, "color": "#1d4ed8"},
            error_y={"type": "data", "symmetric": False,
                     "array": (rows["high"] - rows["mean"]).to_numpy(),
                     "arrayminus": (rows["mean"] - rows["low"]).to_numpy()}))
    else:
        figure.add_trace(go.Scatter(x=x + x[::-1],
                                    y=list(rows["high"]) + list(rows["low"])[::-1],
                                    fill="toself", fillcolor="rgba(29,78,216,0.18)",
                                    line={"width": 0}, name="uncertainty (trees)",
                                    hoverinfo="skip"))
        figure.add_trace(go.Scatter(x=x, y=rows["mean"], mode="lines+markers",
                                    name="partial dependence", line={"color": "#1d4ed8"}))
    sparse = rows[rows["sparse"]]
    if len(sparse):
        sx = [str(v) for v in sparse["value"]] if scale == "category" else list(sparse["value"])
        figure.add_trace(go.Scatter(
            x=sx, y=sparse["mean"], mode="markers", name="few trials nearby",
            marker={"symbol": "circle-open", "size": 13, "color": "#dc2626"},
            customdata=sparse["n_near"], hovertemplate="%{customdata} trials nearby"))
    values = observed.get("value", [])
    if values:
        low = float(np.nanmin(table["low"])) if len(table) else 0.0
        rx = [str(v) for v in values] if scale == "category" else values
        figure.add_trace(go.Scatter(x=rx, y=[low] * len(values), mode="markers",
                                    name="observed trials",
                                    marker={"symbol": "line-ns-open", "size": 12,
                                            "color": "#0f172a"}, hoverinfo="x"))
    figure.update_layout(title=f"Partial dependence of {quantity} on {name}",
                         xaxis_title=name, yaxis_title=f"predicted {quantity}")
    figure.update_xaxes(type=scale)


def _surface(go: Any, figure: Any, rows: pd.DataFrame, wanted: list[str], scales: list[str],
             observed: dict[str, Any]) -> None:
    nx = len(pd.unique(rows["unit"]))
    ny = len(rows) // nx
    xs, ys = list(rows["value"].iloc[::ny]), list(rows["value_2"].iloc[:ny])
    z = rows["mean"].to_numpy().reshape(len(xs), len(ys)).T
    shade = np.where(rows["sparse"].to_numpy().reshape(len(xs), len(ys)).T, 1.0, np.nan)

    def axis(values: list[Any], scale: str) -> list[Any]:
        return [str(v) for v in values] if scale == "category" else values

    x, y = axis(xs, scales[0]), axis(ys, scales[1])
    figure.add_trace(go.Heatmap(x=x, y=y, z=z, colorscale="Viridis",
                                colorbar={"title": "mean"}, name="partial dependence"))
    figure.add_trace(go.Heatmap(x=x, y=y, z=shade, showscale=False, hoverinfo="skip",
                                colorscale=[[0, "rgba(255,255,255,0.55)"],
                                            [1, "rgba(255,255,255,0.55)"]],
                                name="few trials"))
    if observed.get("value"):
        figure.add_trace(go.Scatter(x=axis(observed["value"], scales[0]),
                                    y=axis(observed["value_2"], scales[1]), mode="markers",
                                    name="observed trials",
                                    marker={"size": 5, "color": "#f8fafc",
                                            "line": {"width": 1, "color": "#0f172a"}}))
    figure.update_layout(title=f"Partial dependence on {wanted[0]} and {wanted[1]}",
                         xaxis_title=wanted[0], yaxis_title=wanted[1])
    figure.update_xaxes(type=scales[0])
    figure.update_yaxes(type=scales[1])
