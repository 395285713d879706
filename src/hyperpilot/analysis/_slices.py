"""Slices (the value against each hyperparameter) and the model's contour of a pair.

* :func:`slices`: every complete trial's value against the value of each active
  hyperparameter, one panel each: raw observations, no model.
* :func:`contour`: the explanation forest's predictions
  (:func:`~hyperpilot.analysis._surrogate.surrogate_fit`, shared with fANOVA and LPI) on a
  grid of two hyperparameters, the others either at the incumbent's values
  (``others="incumbent"``) or averaged over up to ``AVERAGE_OVER`` (64) of the trials
  (``"average"``, a partial dependence). Grid: every choice of a categorical or ordinal,
  every value of an integer with at most ``resolution`` values, else ``resolution``
  points evenly spaced on the encoding (so in the logarithm when log-scaled). The
  forest's cross-validated fit is reported, with a warning when it is poor.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from hyperpilot.analysis._data import (
    AnalysisError,
    ObjectiveArg,
    analysis_data,
    check_names,
)
from hyperpilot.analysis._fanova import MIN_TRIALS
from hyperpilot.analysis._lpi import incumbent_row
from hyperpilot.analysis._surrogate import ForestSettings, surrogate_fit
from hyperpilot.analysis._trust import CAUTION_R2, TRUST_R2
from hyperpilot.analysis._views import (
    add_notes,
    all_trials,
    budget_rows,
    objective_specs,
    objective_values,
    thin,
    thinned_note,
    trial_violations,
    unit_ticks,
    view_key,
)
from hyperpilot.space._params import Float, Hyperparameter, Int, _Choice
from hyperpilot.trial._trial import TrialState

if TYPE_CHECKING:
    from collections.abc import Sequence

    import plotly.graph_objects as go  # type: ignore[import-untyped]

    from hyperpilot.study._study import Study

AVERAGE_OVER = 64
"""With ``others="average"``, the trials (evenly spaced by number) the grid is averaged over."""

SLICE_COLUMNS = ("hyperparameter", "number", "setting", "unit", "value", "feasible", "budget")
CONTOUR_COLUMNS = ("kind", "number", "x", "y", "x_unit", "y_unit", "value")


def slices(
    study: Study,
    *,
    objective: ObjectiveArg = None,
    budget: float | Literal["all", "highest"] = "all",
    hyperparameters: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Each complete trial's value against each hyperparameter it has active.

    Args:
        study: the study to show.
        objective: the objective's name (needed with several) or weights.
        budget: ``"all"``, ``"highest"`` or a budget value.
        hyperparameters: the panels (default: every hyperparameter).

    Returns:
        One row per complete trial and active hyperparameter: ``hyperparameter``,
        ``number``, ``setting`` (the hyperparameter's value), ``unit`` (its encoding),
        ``value`` (the objective's), ``feasible`` and ``budget``. ``attrs``:
        ``cache_key``, ``hyperparameters``, ``objective``, ``kinds`` (name to "float",
        "int", "categorical", ...), ``log`` (names on a log scale) and ``failed`` (trials
        without a value).

    Raises:
        AnalysisError: naming an unknown objective or hyperparameter.

    """
    spec = objective_specs(study, objective, "slices")[0]
    names = check_names(study.space, hyperparameters, "slices")
    everything = all_trials(study)
    trials = [everything[i] for i in budget_rows(everything, budget, "slices")]
    values = objective_values(study, trials, spec)
    violation = trial_violations(study, trials)
    done = [i for i, t in enumerate(trials) if t.state == TrialState.COMPLETE]
    X = study.space.encode([trials[i].config for i in done])
    frames = []
    for name in names:
        j = study.space.names.index(name)
        rows = [k for k, i in enumerate(done) if name in trials[i].config]
        picked = [done[k] for k in rows]
        frames.append(pd.DataFrame({
            "hyperparameter": name,
            "number": np.array([trials[i].number for i in picked], dtype=int),
            "setting": pd.Series([trials[i].config[name] for i in picked], dtype=object),
            "unit": X[rows, j], "value": values.value[picked],
            "feasible": violation[picked] == 0,
            "budget": [math.nan if (b := trials[i].budget) is None else float(b)
                       for i in picked],
        }, columns=list(SLICE_COLUMNS)))
    table: pd.DataFrame = pd.concat(frames, ignore_index=True)
    table.attrs["cache_key"] = view_key("slices", [study], objective=objective,
                                        budget=budget, hyperparameters=hyperparameters)
    table.attrs["hyperparameters"] = names
    table.attrs["objective"] = values.label
    table.attrs["kinds"] = {n: study.space[n].kind for n in names}
    table.attrs["log"] = [n for n in names if getattr(study.space[n], "log", False)]
    table.attrs["failed"] = len(trials) - len(done)
    return table


def plot_slices(result: pd.DataFrame | Study, *, columns: int = 3,
                **arguments: Any) -> go.Figure:
    """One panel per hyperparameter: value against setting, coloured by trial number.

    Log-scaled hyperparameters get a log axis, categoricals a category axis. Past
    ``MAX_POINTS`` (5,000) trials, an evenly spaced subsample of the trials (the same in
    every panel) is drawn, and the figure says so.

    Args:
        result: a table from :func:`slices`, or a study.
        columns: panels per row.
        arguments: passed to :func:`slices` when *result* is a study.

    """
    from hyperpilot.analysis._plots import as_table, graph_objects

    table = as_table(result, slices, arguments)
    go = graph_objects()
    from plotly.subplots import make_subplots  # type: ignore[import-untyped]

    names = list(table.attrs.get("hyperparameters") or dict.fromkeys(table["hyperparameter"]))
    numbers = np.unique(table["number"].to_numpy())
    keep = numbers[thin(len(numbers))]
    notes = ([thinned_note(len(keep), len(numbers), "complete trials")]
             if len(keep) < len(numbers) else [])
    shown = table[table["number"].isin(keep)]
    columns = max(1, min(columns, len(names)))
    rows = max(1, math.ceil(len(names) / columns))
    figure = make_subplots(rows=rows, cols=columns, subplot_titles=names, shared_yaxes=True)
    kinds = table.attrs.get("kinds", {})
    logs = set(table.attrs.get("log", []))
    for k, name in enumerate(names):
        r, c = k // columns + 1, k % columns + 1
        part = shown[shown["hyperparameter"] == name]
        categorical = kinds.get(name) in ("categorical", "ordinal", "constant")
        x = part["setting"].astype(str) if categorical else part["setting"].astype(float)
        figure.add_trace(go.Scattergl(
            x=x, y=part["value"], mode="markers", showlegend=False,
            marker={"size": 5, "color": part["number"], "colorscale": "Blues",
                    "opacity": np.where(part["feasible"], 0.8, 0.3),
                    "showscale": k == 0, "colorbar": {"title": "trial"}},
            customdata=part["number"], hovertemplate="trial %{customdata}<extra></extra>"),
            row=r, col=c)
        figure.update_xaxes(type="log" if name in logs else
                            "category" if categorical else None, row=r, col=c)
    figure.update_yaxes(title_text=table.attrs.get("objective", "value"), col=1)
    figure.update_layout(title="Slices: value against each hyperparameter",
                         height=max(320, 280 * rows))
    add_notes(figure, notes)
    return figure


def _axis(param: Hyperparameter, resolution: int) -> np.ndarray:
    """The grid of a hyperparameter on the unit scale (see the module)."""
    if isinstance(param, _Choice):
        return np.array([param.to_unit(c) for c in param.choices])
    if isinstance(param, Int):
        low, high = int(param.low), int(param.high)
        if high - low + 1 <= resolution:
            return np.array([param.to_unit(v) for v in range(low, high + 1)])
        return np.unique([param.to_unit(param.from_unit(u))
                          for u in np.linspace(0.0, 1.0, resolution)])
    return np.linspace(0.0, 1.0, resolution)


def _fit_warning(cv_r2: float, n: int) -> str:
    if math.isnan(cv_r2):
        return f"the objective does not vary over the {n} trials: the surface is flat"
    if cv_r2 < TRUST_R2:
        return (f"the surrogate explains {max(cv_r2, 0.0):.0%} of the variance "
                f"(cross-validated R² {cv_r2:.2f}); this surface is not to be trusted")
    if cv_r2 < CAUTION_R2:
        return (f"the surrogate explains {cv_r2:.0%} of the variance (cross-validated R² "
                f"{cv_r2:.2f}); read this surface as rough")
    return ""


def contour(
    study: Study,
    x: str,
    y: str,
    *,
    objective: ObjectiveArg = None,
    budget: float | Literal["all", "highest"] = "all",
    others: Literal["incumbent", "average"] = "incumbent",
    resolution: int = 30,
    seed: int = 0,
) -> pd.DataFrame:
    """The explanation forest's predicted value over a grid of *x* and *y* (see the module).

    Args:
        study: the study to model (ten or more complete trials).
        x: the hyperparameter along the horizontal axis.
        y: another hyperparameter, along the vertical axis.
        objective: the objective's name (needed with several) or weights.
        budget: ``"all"``, ``"highest"`` or a budget value.
        others: the other hyperparameters at the incumbent's values, or averaged over
            trials.
        resolution: grid points per continuous axis.
        seed: the forest's seed.

    Returns:
        Rows of ``kind`` "grid" (the prediction at a grid point, ``number`` -1) and
        "trial" (each complete trial where both are active, its observed value): ``x``,
        ``y`` (the hyperparameters' values), ``x_unit``, ``y_unit`` (encodings) and
        ``value`` (own direction). ``attrs``: ``cache_key``, ``hyperparameters``,
        ``objective``, ``others``, ``cv_r2``, ``warning``, ``ticks``, ``incumbent``.

    Raises:
        AnalysisError: naming an unknown objective or hyperparameter, or the same twice.
        TooFewTrialsError: with fewer than ten complete trials.

    """
    check_names(study.space, [x, y], "contour")
    if x == y:
        raise AnalysisError(f"contour: x and y must be two different hyperparameters, "
                            f"got {x!r} twice")
    if others not in ("incumbent", "average"):
        raise AnalysisError(f"contour: others must be 'incumbent' or 'average', got {others!r}")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise AnalysisError(f"contour: resolution must be an integer of at least 2, "
                            f"got {resolution!r}")
    data = analysis_data(study, objective=objective, budget=budget, min_trials=MIN_TRIALS,
                         what="contour")
    fit = surrogate_fit(data, ForestSettings(seed=seed))
    space = data.space
    i, j = space.names.index(x), space.names.index(y)
    gx, gy = _axis(space[x], resolution), _axis(space[y], resolution)
    ux, uy = np.meshgrid(gx, gy, indexing="ij")
    row, config = incumbent_row(data, None, "contour")
    bases = row[None, :] if others == "incumbent" else data.X[thin(data.n, AVERAGE_OVER)]
    grid = np.repeat(bases[None, :, :], ux.size, axis=0)
    grid[:, :, i] = ux.reshape(-1, 1)
    grid[:, :, j] = uy.reshape(-1, 1)
    flat = grid.reshape(-1, len(space.names))
    predicted = fit.forest.predict(flat).reshape(ux.size, len(bases)).mean(axis=1)
    predicted = data.sign * predicted
    px, py = space[x], space[y]
    grid_rows = pd.DataFrame({
        "kind": "grid", "number": -1,
        "x": pd.Series([px.from_unit(u) for u in ux.ravel()], dtype=object),
        "y": pd.Series([py.from_unit(u) for u in uy.ravel()], dtype=object),
        "x_unit": ux.ravel(), "y_unit": uy.ravel(), "value": predicted,
    }, columns=list(CONTOUR_COLUMNS))
    both = ~np.isnan(data.X[:, i]) & ~np.isnan(data.X[:, j])
    trial_rows = pd.DataFrame({
        "kind": "trial", "number": data.numbers[both],
        "x": pd.Series([c[x] for c, b in zip(data.configs, both, strict=True) if b],
                       dtype=object),
        "y": pd.Series([c[y] for c, b in zip(data.configs, both, strict=True) if b],
                       dtype=object),
        "x_unit": data.X[both, i], "y_unit": data.X[both, j],
        "value": data.sign * data.y[both],
    }, columns=list(CONTOUR_COLUMNS))
    table: pd.DataFrame = pd.concat([grid_rows, trial_rows], ignore_index=True)
    warnings = [_fit_warning(fit.cv_r2, data.n)]
    if others == "incumbent":
        missing = [n for n in (x, y) if n not in config]
        if missing:
            warnings.append(f"{' and '.join(missing)} inactive at the incumbent: the "
                            "surface does not change along it there")
    table.attrs["cache_key"] = view_key("contour", [study], x=x, y=y, objective=objective,
                                        budget=budget, others=others,
                                        resolution=resolution, seed=seed)
    table.attrs["hyperparameters"] = [x, y]
    table.attrs["objective"] = data.objective if data.sign > 0 else data.objective[1:]
    table.attrs["others"] = others
    table.attrs["cv_r2"] = fit.cv_r2
    table.attrs["warnings"] = [w for w in warnings if w]
    table.attrs["ticks"] = {x: unit_ticks(px), y: unit_ticks(py)}
    table.attrs["incumbent"] = [float(row[i]), float(row[j])]
    table.attrs["continuous"] = [isinstance(p, (Float, Int)) for p in (px, py)]
    return table


def plot_contour(result: pd.DataFrame | Study, *args: str, **arguments: Any) -> go.Figure:
    """The predicted surface, the trials on top and the incumbent as a star.

    The surface is a contour, or a heat map when an axis is discrete. Axes are on the
    unit scale of the encoding, labelled with the hyperparameters' values. Past
    ``MAX_POINTS`` (5,000) trials, an evenly spaced subsample of them is drawn.

    Args:
        result: a table from :func:`contour`, or a study (then ``contour(study, *args,
            **arguments)``: pass *x* and *y*).
        args: *x* and *y* when *result* is a study.
        arguments: passed to :func:`contour` when *result* is a study.

    """
    from hyperpilot.analysis._plots import add_warnings, graph_objects

    table = result if isinstance(result, pd.DataFrame) else contour(result, *args, **arguments)
    go = graph_objects()
    x, y = table.attrs["hyperparameters"]
    grid = table[table["kind"] == "grid"]
    gx = np.unique(grid["x_unit"].to_numpy(dtype=float))
    gy = np.unique(grid["y_unit"].to_numpy(dtype=float))
    z = grid.pivot_table(index="y_unit", columns="x_unit", values="value").reindex(
        index=gy, columns=gx).to_numpy()
    objective = table.attrs.get("objective", "value")
    smooth = all(table.attrs.get("continuous", [True, True]))
    surface = go.Contour if smooth else go.Heatmap
    figure = go.Figure(surface(x=gx, y=gy, z=z, colorscale="Viridis",
                               colorbar={"title": f"predicted {objective}"}))
    trials = table[table["kind"] == "trial"]
    rows = thin(len(trials))
    notes = [thinned_note(len(rows), len(trials))] if len(rows) < len(trials) else []
    shown = trials.iloc[rows]
    figure.add_trace(go.Scattergl(
        x=shown["x_unit"], y=shown["y_unit"], mode="markers", name="trials",
        marker={"size": 5, "color": "white", "line": {"color": "black", "width": 1}},
        customdata=np.column_stack([shown["number"], shown["value"]]),
        hovertemplate="trial %{customdata[0]}: %{customdata[1]:.4g}<extra></extra>"))
    incumbent = table.attrs.get("incumbent")
    if incumbent and not any(math.isnan(v) for v in incumbent):
        figure.add_trace(go.Scatter(x=[incumbent[0]], y=[incumbent[1]], mode="markers",
                                    name="incumbent", marker={"size": 16, "symbol": "star",
                                                              "color": "#dc2626"}))
    ticks = table.attrs.get("ticks", {})
    for axis, name in (("xaxis", x), ("yaxis", y)):
        where, labels = ticks.get(name, ([], []))
        figure.update_layout({axis: {"title": name, "tickvals": list(where),
                                     "ticktext": list(labels)}})
    others = table.attrs.get("others", "incumbent")
    figure.update_layout(title=f"Predicted {objective} over {x} and {y} (others: {others})",
                         height=520)
    add_warnings(figure, table)
    add_notes(figure, notes)
    return figure
