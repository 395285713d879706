"""Agreement between importance methods: whether fANOVA, PED-ANOVA and LPI rank alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from hyperpilot.analysis._data import ObjectiveArg
from hyperpilot.analysis._fanova import fanova
from hyperpilot.analysis._lpi import lpi
from hyperpilot.analysis._ped_anova import ped_anova
from hyperpilot.analysis._trust import compare_rankings

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    from hyperpilot.study._study import Study


def agreement(
    study: Study,
    *,
    objective: ObjectiveArg = None,
    budget: float | Literal["all", "highest"] = "highest",
    trials: Sequence[int] | None = None,
    k: int = 3,
    seed: int = 0,
) -> pd.DataFrame:
    """Compare the rankings of fANOVA (main effects), PED-ANOVA (global) and LPI.

    The three run on the same trials (one budget) and share one explanation forest. When
    methods that look at different things (the whole space, the top trials, the
    neighbourhood of the incumbent) rank alike, the ranking is robust; when they disagree,
    the importance depends on where one looks.

    Returns:
        One row per pair of methods: ``kendall_tau``, ``top_k_overlap`` (see
        :func:`~hyperpilot.analysis.compare_rankings`), and the trust columns of the
        forest (``n_trials``, ``cv_r2``, ``spearman``, ``warning``). ``attrs["rankings"]``
        maps each method to its hyperparameters, most important first.

    Raises:
        AnalysisError: naming an unknown objective.
        TooFewTrialsError: with fewer than ten complete trials.

    """
    common: dict[str, Any] = {"objective": objective, "budget": budget, "trials": trials,
                              "seed": seed, "n_bootstrap": 0}
    tables = {"fanova": fanova(study, pairs=False, **common),
              "ped_anova": ped_anova(study, **common),
              "lpi": lpi(study, **common)}
    out = compare_rankings(tables, k=k)
    first = tables["fanova"].iloc[0]
    for column in ("n_trials", "cv_r2", "spearman", "warning"):
        out[column] = first[column]
    out.attrs["cache_key"] = ("agreement", tuple(t.attrs["cache_key"] for t in tables.values()),
                              k)
    out.attrs["warnings"] = tables["fanova"].attrs["warnings"]
    out.attrs["rankings"] = {m: _ranking(t) for m, t in tables.items()}
    return out


def _ranking(table: pd.DataFrame) -> list[str]:
    """The hyperparameters of an importance table (main effects), most important first."""
    rows = table[table["kind"] == "main"] if "kind" in table else table
    ordered = rows.sort_values("importance", ascending=False, kind="stable")
    return [str(name) for name in ordered["hyperparameter"]]


def plot_agreement(result: pd.DataFrame | Study, **arguments: Any) -> go.Figure:
    """A heat map of Kendall's tau between the methods' rankings.

    *result* is a table from :func:`agreement`, or a study (then ``agreement(study,
    **arguments)`` is computed).
    """
    from hyperpilot.analysis._plots import add_warnings, as_table, graph_objects

    go = graph_objects()
    table = as_table(result, agreement, arguments)
    methods = list(dict.fromkeys([*table["first"], *table["second"]]))
    tau: dict[tuple[str, str], float] = {(m, m): 1.0 for m in methods}
    for first, second, value in zip(table["first"], table["second"], table["kendall_tau"],
                                    strict=True):
        tau[(first, second)] = tau[(second, first)] = float(value)
    z = [[tau.get((a, b)) for b in methods] for a in methods]
    figure = go.Figure(go.Heatmap(z=z, x=methods, y=methods, zmin=-1, zmax=1,
                                  colorscale="RdBu", texttemplate="%{z:.2f}"))
    figure.update_layout(title="Agreement between importance methods (Kendall's tau)")
    add_warnings(figure, table)
    return figure
