"""Why a configuration is good: importances, interactions and paths, with how far to trust them.

Every analysis takes a study and returns a tidy :class:`pandas.DataFrame`; each has a
``plot_*`` companion that returns a plotly figure (``pip install 'hyperpilot[analysis]'``).

* :func:`fanova`: main effects and pairwise interactions (exact fANOVA on a random forest);
* :func:`ped_anova`: what matters for reaching the top trials, globally or locally;
* :func:`lpi`: local importance around the incumbent;
* :func:`ablation`: the predicted path from the default configuration to the incumbent;
* :func:`agreement`: how far the methods agree;
* :func:`analysis_data`, :func:`surrogate_fit`: the data and the explanation forest they use.

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
    "SurrogateFit": "_surrogate",
    "TRUST_R2": "_trust",
    "TooFewTrialsError": "_data",
    "ablation": "_ablation",
    "agreement": "_agreement",
    "analysis_data": "_data",
    "analysis_datasets": "_data",
    "compare_rankings": "_trust",
    "fanova": "_fanova",
    "lpi": "_lpi",
    "ped_anova": "_ped_anova",
    "plot_ablation": "_ablation",
    "plot_agreement": "_agreement",
    "plot_fanova": "_fanova",
    "plot_lpi": "_lpi",
    "plot_ped_anova": "_ped_anova",
    "surrogate_fit": "_surrogate",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> _Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = _importlib.import_module(f"{__name__}.{_WHERE[name]}")
    return getattr(module, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})
