"""HyperSHAP: Shapley values and interactions of hyperparameter games on the surrogate.

Wever et al. (HyperSHAP, arXiv 2502.01276) explain a study by cooperative games whose
players are hyperparameters: the value ``v(S)`` of a coalition ``S`` says what setting (or
tuning) only the hyperparameters of ``S`` achieves, the others held at a baseline
configuration. Shapley values split ``v(N) - v(∅)`` among the hyperparameters; the
Faithful Shapley Interaction index (FSII, order 2) splits it among hyperparameters and
pairs. Every value is a prediction of the explanation forest
(:mod:`~hyperpilot.analysis._surrogate`); nothing is re-run.

Let ``g = -f̂`` be the forest's prediction with the sign turned, so that larger is better
whatever the objective's direction (for weights, the weighted standardized score), and
``x_S ⊕ b`` the configuration with the values of ``x`` on ``S`` and the baseline ``b``'s
elsewhere. Every game is shifted so that ``v(∅) = 0``:

* ``"ablation"``: ``v(S) = g(incumbent_S ⊕ b) - g(b)``, the predicted gain of setting the
  hyperparameters of ``S`` to the incumbent's values (positive: better);
* ``"tunability"``: ``v(S) = max_z g(z_S ⊕ b) - g(b)``, the best predicted gain reachable
  by tuning only ``S``, the maximum taken over the baseline and ``n_samples`` seeded uniform
  configurations ``z`` (>= 0);
* ``"mistunability"``: ``v(S) = min_z g(z_S ⊕ b) - g(b)``, the worst predicted change from
  mistuning ``S``, over the same configurations (<= 0: how much worse it can get);
* ``"sensitivity"``: ``v(S) = Var_z g(z_S ⊕ b)``, the variance of the predictions when
  ``S`` varies (in squared objective units; no direction);
* ``"optimizer-bias"``: ``v(S) = v_opt(S) - max(v_opt(S), v_tune(S))`` (<= 0), our reading of
  the paper's optimizer-bias game. There ``v_opt(S)`` is what the optimizer finds when it
  tunes ``S`` and ``v_tune(S)`` what the best of an ensemble of optimizers finds. A study
  holds one run of one optimizer, so here what it found for ``S`` is its incumbent's
  values, ``v_opt(S) = max(g(incumbent_S ⊕ b), g(b)) - g(b)`` (the ablation game, never
  below doing nothing), and what tuning ``S`` could reach is the tunability maximum taken
  over the incumbent and the sample together. A large negative value marks a
  hyperparameter (or pair) where the incumbent stops short of what the surrogate says
  tuning it would reach: the optimizer under-exploited it.

Several baselines (``baseline=[...]``) give one game per baseline and their average (by
linearity, the average of the values); the table has rows for each and for ``"mean"``.

**Computation** (shapiq): with at most ``exact_up_to`` players (14 by default), or when
``n_coalitions`` covers all ``2^p`` coalitions, every coalition is evaluated and shapiq's
``ExactComputer`` gives the exact index; the maxima and minima of tunability,
mistunability and optimizer bias are then made monotone over coalitions (``v(T)`` at
least ``v(S)`` for ``S ⊆ T``: tuning more hyperparameters can reach everything tuning
fewer can, which a finite sample alone does not guarantee). Above it, shapiq's
``RegressionFSII`` (order 2) or ``KernelSHAP`` (order 1) approximate the index from
``n_coalitions`` sampled coalitions, without that correction. The players are the chosen
hyperparameters that can take more than one value; a constant gets exactly 0. The values
are efficient: main effects plus interactions sum to ``v(N) - v(∅)``, kept in
``attrs["total_gain"]``. A game costs ``2^p`` coalitions times the rows each mixes (1 for
ablation, about ``n_samples`` for the others) forest predictions, in batches.

**Conditions**: a mixed configuration takes, for a hyperparameter its coalition's source
leaves out (inactive there), the baseline's value, else its default; hyperparameters the
mix switches off are dropped (as :meth:`VectorSpace.canonical` does). Sampled
configurations that are forbidden do not count toward a maximum, minimum or variance; the
ablation game predicts forbidden mixes like any other.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from hyperpilot.analysis._data import (
    AnalysisData,
    AnalysisError,
    ObjectiveArg,
    analysis_data,
    cache_key,
    check_names,
)
from hyperpilot.analysis._fanova import MIN_TRIALS, PAIR
from hyperpilot.analysis._lpi import configuration_row, incumbent_row
from hyperpilot.analysis._surrogate import ExplanationForest, ForestSettings, surrogate_fit
from hyperpilot.analysis._trust import finish, trust_columns
from hyperpilot.exceptions import require
from hyperpilot.space._space import Config

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    from hyperpilot.study._study import Study

Game = Literal["ablation", "tunability", "sensitivity", "mistunability", "optimizer-bias"]
GAMES: tuple[Game, ...] = ("ablation", "tunability", "sensitivity", "mistunability",
                           "optimizer-bias")
"""The games :func:`hypershap` computes (see the module)."""
BaselineArg = Mapping[str, Any] | Sequence[Mapping[str, Any] | None] | None

COLUMNS = ("budget", "game", "baseline", "kind", "hyperparameters", "hyperparameter", "value",
           "share", "n_trials", "cv_r2", "spearman", "warning")

_ROWS_PER_BATCH = 1 << 17
"""Configurations predicted at once (bounds the memory of the larger games)."""


@dataclass(frozen=True)
class _Setting:
    """What one game on one baseline needs: the forest, the players and the sources."""

    game: str
    forest: ExplanationForest
    players: np.ndarray  # column indices
    base: np.ndarray  # the baseline's canonical row (NaN inactive)
    sources: np.ndarray  # rows whose values a coalition takes: see _sources
    n_found: int  # optimizer bias: sources[:n_found] are what the optimizer found


def _sources(game: str, base: np.ndarray, incumbent: np.ndarray,
             samples: np.ndarray) -> tuple[np.ndarray, int]:
    """The rows a coalition takes its values from, inactive entries filled from *base*.

    Ablation: the incumbent. Sensitivity: the samples. Tunability and mistunability: the
    baseline itself, then the samples (so the maximum and minimum include doing nothing).
    Optimizer bias: the baseline, the incumbent, then the samples.
    """
    if game == "ablation":
        rows = incumbent[None, :]
    elif game == "sensitivity":
        rows = samples
    elif game == "optimizer-bias":
        rows = np.vstack((base[None, :], incumbent[None, :], samples))
    else:
        rows = np.vstack((base[None, :], samples))
    filled: np.ndarray = np.where(np.isnan(rows), base[None, :], rows)
    return filled, 2 if game == "optimizer-bias" else 0


def _predict_mixed(setting: _Setting, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``g`` of every (coalition, source) mix, shape (k, m), and which mixes are allowed."""
    forest, players, base, sources = setting.forest, setting.players, setting.base, setting.sources
    vs = forest.vector_space
    k, m, d = masks.shape[0], sources.shape[0], base.size
    gains = np.empty((k, m))
    allowed = np.ones((k, m), dtype=bool)
    taken = sources[:, players]
    step = max(1, _ROWS_PER_BATCH // max(m, 1))
    for start in range(0, k, step):
        part = masks[start:start + step]
        rows = np.repeat(base[None, None, :], part.shape[0] * m, axis=0).reshape(-1, m, d)
        rows[:, :, players] = np.where(part[:, None, :], taken[None, :, :], base[players])
        flat = vs.canonical(rows.reshape(-1, d))
        gains[start:start + part.shape[0]] = -forest.predict(flat).reshape(-1, m)
        if vs.has_forbidden:
            allowed[start:start + part.shape[0]] = ~vs.forbidden_mask(flat).reshape(-1, m)
    return gains, allowed


def _raw(setting: _Setting, masks: np.ndarray) -> np.ndarray:
    """The game's ingredients per coalition, shape (k, c): one column, two for the bias."""
    gains, allowed = _predict_mixed(setting, masks)
    game = setting.game
    out: np.ndarray
    if game == "ablation":
        out = gains
    elif game == "sensitivity":
        count = allowed.sum(axis=1)
        mean = np.where(allowed, gains, 0.0).sum(axis=1) / np.maximum(count, 1)
        spread = np.where(allowed, (gains - mean[:, None]) ** 2, 0.0).sum(axis=1)
        out = np.where(count > 1, spread / np.maximum(count, 1), 0.0)[:, None]
    else:
        allowed[:, 0] = True  # the baseline itself always counts
        if game == "mistunability":
            out = np.where(allowed, gains, np.inf).min(axis=1)[:, None]
        else:
            best = np.where(allowed, gains, -np.inf)
            if game == "tunability":
                out = best.max(axis=1)[:, None]
            else:
                found = best[:, :setting.n_found].max(axis=1)
                out = np.stack((found, np.maximum(found, best.max(axis=1))), axis=1)
    return out


def _monotone(table: np.ndarray, n_players: int, lower: bool) -> np.ndarray:
    """Over all ``2^p`` coalitions (index = bit mask): the max (or min) over subsets."""
    out: np.ndarray = table.copy()
    index = np.arange(out.shape[0])
    for bit in range(n_players):
        has = (index >> bit) & 1 == 1
        below = out[index[has] ^ (1 << bit)]
        out[has] = np.minimum(out[has], below) if lower else np.maximum(out[has], below)
    return out


def _combine(game: str, raw: np.ndarray) -> np.ndarray:
    """The game's value per coalition from its ingredients (before the shift)."""
    if game == "optimizer-bias":
        out: np.ndarray = raw[:, 0] - raw[:, 1]
        return out
    return raw[:, 0]


def _all_masks(n_players: int) -> np.ndarray:
    """Every coalition as a boolean row; row ``i`` has player ``j`` iff bit ``j`` of ``i``."""
    index = np.arange(1 << n_players)
    out: np.ndarray = (index[:, None] >> np.arange(n_players)) & 1 == 1
    return out


def _interactions(setting: _Setting, order: int, exact: bool, n_coalitions: int,
                  seed: int) -> tuple[dict[tuple[int, ...], float], float]:
    """The index's values per player set (player positions) and ``v(N) - v(∅)``."""
    require("shapiq", "analysis")
    import shapiq

    p = setting.players.size
    if p == 0:
        return {}, 0.0
    order = min(order, p)
    index: Literal["FSII", "SV"] = "FSII" if order == 2 else "SV"
    game = setting.game
    if exact:
        raw = _raw(setting, _all_masks(p))
        if game in ("tunability", "mistunability", "optimizer-bias"):
            lower = game == "mistunability"
            raw = np.stack([_monotone(raw[:, c], p, lower) for c in range(raw.shape[1])], axis=1)
        table = _combine(game, raw)
        table = table - table[0]
        weights = 1 << np.arange(p, dtype=np.int64)

        def lookup(coalitions: np.ndarray) -> np.ndarray:
            found: np.ndarray = table[np.asarray(coalitions, dtype=np.int64) @ weights]
            return found

        values = shapiq.ExactComputer(lookup, n_players=p)(index, order)
        total = float(table[-1])
    else:
        empty = float(_combine(game, _raw(setting, np.zeros((1, p), dtype=bool)))[0])

        def evaluate(coalitions: np.ndarray) -> np.ndarray:
            found: np.ndarray = _combine(game, _raw(setting, np.asarray(coalitions, dtype=bool)))
            return found - empty

        budget = min(n_coalitions, 1 << p)
        approximator: Any = (shapiq.RegressionFSII(n=p, max_order=2, random_state=seed)
                             if order == 2 else shapiq.KernelSHAP(n=p, random_state=seed))
        values = approximator.approximate(budget, evaluate)
        total = float(evaluate(np.ones((1, p), dtype=bool))[0])
    out = {tuple(int(i) for i in key): float(value)
           for key, value in values.dict_values.items() if len(key) > 0}
    return out, total


def _baselines(data: AnalysisData, baseline: BaselineArg) -> list[tuple[str, np.ndarray, Config]]:
    """Label, canonical row and configuration of each baseline (defaults fill the gaps)."""
    space = data.space
    if baseline is None:
        return [("default", *configuration_row(space, {}, "hypershap", "baseline"))]
    if isinstance(baseline, Mapping):
        return [("baseline", *configuration_row(space, baseline, "hypershap", "baseline"))]
    if isinstance(baseline, (str, bytes)) or not isinstance(baseline, Sequence) or not baseline:
        raise AnalysisError(
            "hypershap: baseline must be None, a configuration or a non-empty list of "
            f"configurations, got {baseline!r}"
        )
    return [(f"baseline {i}", *configuration_row(space, b or {}, "hypershap", f"baseline {i}"))
            for i, b in enumerate(baseline)]


def _check(game: str, order: int, n_samples: int, exact_up_to: int, n_coalitions: int) -> None:
    if game not in GAMES:
        raise AnalysisError(f"hypershap: unknown game {game!r}; expected one of {list(GAMES)}")
    for name, value, least in (("order", order, 1), ("n_samples", n_samples, 2),
                               ("exact_up_to", exact_up_to, 0),
                               ("n_coalitions", n_coalitions, 4)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise AnalysisError(f"hypershap: {name} must be an integer >= {least}, "
                                f"got {value!r}")
    if order > 2:
        raise AnalysisError(f"hypershap: order must be 1 (Shapley values) or 2 (FSII), "
                            f"got {order!r}")


def _rows(game: str, label: str, values: dict[tuple[int, ...], float], total: float,
          columns: list[int], names: list[str], order: int) -> list[dict[str, Any]]:
    """The table rows of one game on one baseline: main effects, then pairs, by |value|."""
    def row(kind: str, members: tuple[int, ...]) -> dict[str, Any]:
        value = values.get(members, 0.0)
        share = value / total if total != 0.0 else 0.0
        named = tuple(names[j] for j in members)
        return {"game": game, "baseline": label, "kind": kind, "hyperparameters": named,
                "hyperparameter": f" {PAIR} ".join(named), "value": value, "share": share}

    main = [row("main", (j,)) for j in columns]
    pairs = [row("interaction", pair) for pair in combinations(sorted(columns), 2)] if (
        order == 2) else []
    main.sort(key=lambda r: -abs(r["value"]))
    pairs.sort(key=lambda r: -abs(r["value"]))
    return main + pairs


def hypershap(
    study: Study,
    *,
    game: Game = "ablation",
    order: int = 2,
    baseline: BaselineArg = None,
    incumbent: Mapping[str, Any] | None = None,
    objective: ObjectiveArg = None,
    budget: float | Literal["all", "highest"] = "highest",
    hyperparameters: Sequence[str] | None = None,
    trials: Sequence[int] | None = None,
    n_samples: int = 1000,
    exact_up_to: int = 14,
    n_coalitions: int = 2 ** 14,
    n_trees: int = 16,
    seed: int = 0,
) -> pd.DataFrame:
    """Shapley values (order 1) or FSII main effects and pair interactions (order 2) of a game.

    Args:
        study: the study to explain.
        game: ``"ablation"``, ``"tunability"``, ``"sensitivity"``, ``"mistunability"`` or
            ``"optimizer-bias"`` (see the module).
        order: 1 for Shapley values, 2 for FSII with pair interactions.
        baseline: where the hyperparameters outside a coalition stay: the space's default
            configuration (``None``), a configuration, or a list of them (one game each,
            and their mean). Missing active hyperparameters take their defaults.
        incumbent: the configuration the ablation and optimizer-bias games explain
            (default: the best trial's).
        objective: the objective's name (needed with several objectives), or weights.
        budget: ``"highest"`` (the highest budget with at least ten trials), ``"all"`` or
            a budget value.
        hyperparameters: the players (default: all); the others stay at the baseline.
        trials: trial numbers to restrict the analysis to.
        n_samples: uniform configurations (seeded) over which tunability, mistunability,
            sensitivity and optimizer bias vary a coalition.
        exact_up_to: the most players computed exactly (all ``2^p`` coalitions).
        n_coalitions: coalitions the approximator evaluates above *exact_up_to* players
            (when it covers all ``2^p`` coalitions, the exact computation runs instead).
        n_trees: trees of the explanation forest.
        seed: the seed of the forest, the folds, the samples and the approximator.

    Returns:
        Per baseline (``"mean"`` first when there are several), one row per hyperparameter
        (``kind="main"``) and, for order 2, per pair (``"interaction"``), each kind
        ordered by absolute value: ``value`` (positive is better for every game but
        sensitivity, which is a variance; in the objective's units, or the weighted
        standardized score), ``share`` of the total, and the trust columns.
        ``attrs``: ``cache_key``, ``total_gain`` (``v(N) - v(∅)`` of the first group, the
        sum of its values), ``total_gains`` per baseline, ``baselines``, ``incumbent``,
        ``index`` ("FSII" or "SV"), ``exact``, ``game``, ``objective``.

    Raises:
        AnalysisError: for an unknown game, objective or hyperparameter, or a bad setting.
        ConfigurationError: for a baseline or incumbent value that does not fit.
        TooFewTrialsError: with fewer than ten complete trials.
        MissingDependencyError: without shapiq (``pip install 'hyperpilot[analysis]'``).

    """
    _check(game, order, n_samples, exact_up_to, n_coalitions)
    data = analysis_data(study, objective=objective, budget=budget, trials=trials,
                         min_trials=MIN_TRIALS, what="hypershap")
    space = data.space
    columns = [space.names.index(n) for n in check_names(space, hyperparameters, "hypershap")]
    bases = _baselines(data, baseline)
    goal, goal_config = incumbent_row(data, incumbent, "hypershap")
    fit = surrogate_fit(data, ForestSettings(n_trees=n_trees, seed=seed))
    vs = fit.forest.vector_space
    players = np.array([j for j in columns if vs.is_movable[j]], dtype=int)
    exact = players.size <= exact_up_to or (1 << players.size) <= n_coalitions
    rng = np.random.default_rng([seed, 3])
    samples = space.sample_unit(n_samples, rng)
    results = []
    for label, base, _ in bases:
        sources, n_found = _sources(game, base, goal, samples)
        setting = _Setting(game=game, forest=fit.forest, players=players, base=base,
                           sources=sources, n_found=n_found)
        found, total = _interactions(setting, order, exact, n_coalitions, seed)
        results.append((label, {tuple(int(players[i]) for i in key): value
                                for key, value in found.items()}, total))
    if len(results) > 1:
        keys = {key for _, values, _ in results for key in values}
        mean = {key: float(np.mean([values.get(key, 0.0) for _, values, _ in results]))
                for key in keys}
        results.insert(0, ("mean", mean, float(np.mean([t for _, _, t in results]))))
    trust = trust_columns(fit, data.n)
    budget_value = math.nan if data.budget is None else data.budget
    rows = [{"budget": budget_value, **row, **trust}
            for label, values, total in results
            for row in _rows(game, label, values, total, columns, space.names, order)]
    key = cache_key("hypershap", data, game=game, order=order, baseline=baseline,
                    incumbent=incumbent, hyperparameters=hyperparameters, n_samples=n_samples,
                    exact_up_to=exact_up_to, n_coalitions=n_coalitions, n_trees=n_trees,
                    seed=seed)
    quantity = data.objective[1:] if data.sign < 0 else data.objective
    return finish(rows, COLUMNS, key, objective=data.objective, quantity=quantity, game=game,
                  index="FSII" if order == 2 else "SV", exact=exact,
                  total_gain=results[0][2], total_gains={r[0]: r[2] for r in results},
                  baselines={label: config for label, _, config in bases},
                  incumbent=goal_config)


def _headline(table: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The first baseline group's rows (``"mean"`` with several) of a kind (or ``"all"``)."""
    if table.empty:
        return table
    part: pd.DataFrame = table[table["baseline"] == table["baseline"].iloc[0]]
    return part if kind == "all" else part[part["kind"] == kind]


def _unit(table: pd.DataFrame) -> str:
    quantity = table.attrs.get("quantity", "objective")
    if table.attrs.get("game") == "sensitivity":
        return f"variance of predicted {quantity}"
    return f"predicted gain in {quantity} (positive: better)"


def plot_hypershap(result: pd.DataFrame | Study, *, kind: str = "main", top: int = 15,
                   **arguments: Any) -> go.Figure:
    """Horizontal bars of the HyperSHAP values, green where they help and red where they hurt.

    Args:
        result: a table from :func:`hypershap`, or a study (then ``hypershap(study,
            **arguments)`` is computed).
        kind: ``"main"``, ``"interaction"`` or ``"all"``.
        top: show the *top* entries by absolute value (of the first baseline group).
        arguments: passed to :func:`hypershap` when *result* is a study.

    """
    from hyperpilot.analysis._plots import add_warnings, as_table, graph_objects

    go = graph_objects()
    table = as_table(result, hypershap, arguments)
    part = _headline(table, kind)
    part = part.reindex(part["value"].abs().sort_values(ascending=False).index).head(top)
    part = part.iloc[::-1]
    colours = ["#15803d" if v >= 0 else "#b91c1c" for v in part["value"]]
    figure = go.Figure(go.Bar(
        x=part["value"], y=part["hyperparameter"], orientation="h", marker_color=colours,
        customdata=part["share"].to_numpy(),
        hovertemplate="%{y}<br>%{x:.4g} (%{customdata:.0%} of the total)<extra></extra>",
    ))
    game = table.attrs.get("game", "")
    index = table.attrs.get("index", "FSII")
    group = part["baseline"].iloc[0] if len(part) else ""
    figure.update_layout(title=f"HyperSHAP {game} game ({index}, baseline: {group})",
                         xaxis_title=_unit(table))
    add_warnings(figure, table)
    return figure


def plot_interaction_graph(result: pd.DataFrame | Study, *, threshold: float = 0.01,
                           **arguments: Any) -> go.Figure:
    """The hyperparameters on a circle, sized by their main value, joined by their pairs.

    A node's area grows with the absolute first-order value and its colour gives the sign;
    an edge's width grows with the absolute pair interaction, blue where the pair gains
    together more than apart, red where less. Pairs below *threshold* times the largest
    absolute value of the table are left out.

    Args:
        result: a table from :func:`hypershap` with order 2, or a study (then
            ``hypershap(study, **arguments)`` is computed).
        threshold: the smallest pair drawn, relative to the largest absolute value.
        arguments: passed to :func:`hypershap` when *result* is a study.

    """
    from hyperpilot.analysis._plots import add_warnings, as_table, graph_objects

    go = graph_objects()
    table = as_table(result, hypershap, arguments)
    main = _headline(table, "main")
    pairs = _headline(table, "interaction")
    names = list(main["hyperparameter"])
    n = max(len(names), 1)
    angle = np.pi / 2 - 2 * np.pi * np.arange(len(names)) / n
    where = {name: (float(np.cos(a)), float(np.sin(a))) for name, a in zip(names, angle,
                                                                             strict=True)}
    largest = float(_headline(table, "all")["value"].abs().max()) if len(table) else 0.0
    scale = largest if largest > 0.0 else 1.0
    figure = go.Figure()
    for members, value in zip(pairs["hyperparameters"], pairs["value"], strict=True):
        if abs(value) < threshold * scale or abs(value) == 0.0:
            continue
        (x0, y0), (x1, y1) = where[members[0]], where[members[1]]
        figure.add_trace(go.Scatter(
            x=[x0, (x0 + x1) / 2, x1], y=[y0, (y0 + y1) / 2, y1], mode="lines",
            line={"width": 1 + 9 * abs(value) / scale,
                  "color": "#2563eb" if value > 0 else "#dc2626"},
            hovertext=f"{members[0]} {PAIR} {members[1]}: {value:.4g}", hoverinfo="text",
            showlegend=False, opacity=0.7,
        ))
    values = main["value"].to_numpy(dtype=float)
    figure.add_trace(go.Scatter(
        x=[where[m][0] for m in names], y=[where[m][1] for m in names], mode="markers+text",
        text=names, textposition="top center", showlegend=False,
        marker={"size": 14 + 46 * np.sqrt(np.abs(values) / scale),
                "color": ["#15803d" if v >= 0 else "#b91c1c" for v in values],
                "line": {"width": 1, "color": "#111827"}},
        customdata=values, hovertemplate="%{text}: %{customdata:.4g}<extra></extra>",
    ))
    game = table.attrs.get("game", "")
    figure.update_layout(
        title=(f"HyperSHAP {game} interactions ({table.attrs.get('index', 'FSII')})<br><sup>"
               "node area: main value, edge width: pair value; green or blue helps, "
               "red hurts</sup>"),
        xaxis={"visible": False, "range": [-1.4, 1.4]},
        yaxis={"visible": False, "range": [-1.4, 1.4], "scaleanchor": "x"},
        plot_bgcolor="white",
    )
    add_warnings(figure, table)
    return figure

