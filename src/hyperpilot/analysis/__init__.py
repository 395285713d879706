"""Why a configuration is good: importances, interactions and paths, with how far to trust them.

Every analysis takes a study and returns a tidy :class:`pandas.DataFrame`; each has a
``plot_*`` companion that returns a plotly figure (``pip install 'hyperpilot[analysis]'``).

* :func:`fanova`: main effects and pairwise interactions (exact fANOVA on a random forest);
* :func:`ped_anova`: what matters for reaching the top trials, globally or locally;
* :func:`lpi`: local importance around the incumbent;
* :func:`ablation`: the predicted path from the default configuration to the incumbent;
* :func:`hypershap`: Shapley values and pair interactions (FSII) of the ablation,
  tunability, sensitivity, mistunability and optimizer-bias games (HyperSHAP; needs shapiq);
  :func:`plot_interaction_graph` draws them as a graph;
* :func:`partial_dependence`: partial dependence and ICE curves of one hyperparameter or a
  pair, with the forest's uncertainty and where the curve rests on few trials;
* :func:`mo_importance`: importances per objective and across weightings of the objectives;
* :func:`refine`: a refined search space (unimportant hyperparameters frozen, ranges
  narrowed to the top trials) and its estimated cost; :func:`refined_space` returns it,
  :func:`warm_start_study` starts a study on it with the old trials that fit;
* :func:`agreement`: how far the methods agree;
* run views: :func:`history` (value and best so far by trial and by time), :func:`edf`
  (distribution of the values, several studies), :func:`timeline` (trials per worker),
  :func:`footprint` (a 2-d map of the configurations and the incumbent's path),
  :func:`budget_correlation`, :func:`pareto_front` and :func:`hypervolume_history`,
  :func:`parallel_coordinates` (axes in importance order), :func:`slices`,
  :func:`contour` (the forest's predictions over a pair), :func:`compare_studies`
  (anytime curves of groups of studies) and :func:`compare_importances`; figures draw at
  most :data:`MAX_POINTS` trials and say when they subsample;
* :func:`analysis_data`, :func:`surrogate_fit`: the data and the explanation forest they use.
* :func:`report`: one self-contained HTML file explaining one or more studies, built
  from the sections of :data:`REPORT_SECTIONS` (add a view with one :class:`ReportSection`).

Every importance table carries the forest's cross-validated R² and rank correlation,
bootstrap intervals and a warning when the forest explains too little to trust it.
``DataFrame.attrs["cache_key"]`` identifies a result: equal keys, equal results.

Importing :mod:`hyperpilot` does not load this package; names load on first access.
"""

# No ``from __future__ import annotations`` here: it would put ``annotations`` among the
# package's public names.
import importlib as _importlib
from typing import Any as _Any

_WHERE: dict[str, str] = {
    "AnalysisData": "_data",
    "AnalysisError": "_data",
    "CAUTION_R2": "_trust",
    "ExplanationForest": "_surrogate",
    "ForestSettings": "_surrogate",
    "MAX_POINTS": "_views",
    "REPORT_SECTIONS": "_report._sections",
    "ReportContext": "_report._content",
    "ReportPathError": "_report._write",
    "ReportResult": "_report._write",
    "ReportSection": "_report._sections",
    "SurrogateFit": "_surrogate",
    "TRUST_R2": "_trust",
    "TooFewTrialsError": "_data",
    "ablation": "_ablation",
    "agreement": "_agreement",
    "analysis_data": "_data",
    "analysis_datasets": "_data",
    "budget_correlation": "_timeline",
    "compare_importances": "_comparison",
    "compare_rankings": "_trust",
    "compare_studies": "_comparison",
    "contour": "_slices",
    "edf": "_history",
    "fanova": "_fanova",
    "footprint": "_footprint",
    "history": "_history",
    "hypershap": "_hypershap",
    "hypervolume_history": "_front",
    "lazy_studies_view": "_report._sections",
    "lazy_view": "_report._sections",
    "lpi": "_lpi",
    "mo_importance": "_mo",
    "parallel_coordinates": "_parallel",
    "pareto_front": "_front",
    "partial_dependence": "_pdp",
    "ped_anova": "_ped_anova",
    "plot_ablation": "_ablation",
    "plot_agreement": "_agreement",
    "plot_budget_correlation": "_timeline",
    "plot_compare_importances": "_comparison",
    "plot_compare_studies": "_comparison",
    "plot_contour": "_slices",
    "plot_edf": "_history",
    "plot_fanova": "_fanova",
    "plot_footprint": "_footprint",
    "plot_history": "_history",
    "plot_hypershap": "_hypershap",
    "plot_hypervolume_history": "_front",
    "plot_interaction_graph": "_hypershap",
    "plot_lpi": "_lpi",
    "plot_mo_importance": "_mo",
    "plot_parallel_coordinates": "_parallel",
    "plot_pareto_front": "_front",
    "plot_partial_dependence": "_pdp",
    "plot_ped_anova": "_ped_anova",
    "plot_refined_space": "_refine",
    "plot_slices": "_slices",
    "plot_timeline": "_timeline",
    "refine": "_refine",
    "refined_space": "_refine",
    "report": "_report._write",
    "slices": "_slices",
    "surrogate_fit": "_surrogate",
    "timeline": "_timeline",
    "warm_start_study": "_refine",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> _Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = _importlib.import_module(f"{__name__}.{_WHERE[name]}")
    return getattr(module, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})
