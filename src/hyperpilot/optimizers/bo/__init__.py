"""Bayesian optimization: surrogates, output transforms, acquisitions, the search, presets.

Names load on first access: the numerical modules import SciPy, which costs more than half
a second, and most users only name ``"bo"`` in ``create_study``.
"""

# No ``from __future__ import annotations`` here: it would put ``annotations`` among the
# package's public names.
import importlib as _importlib
from typing import Any as _Any

_WHERE: dict[str, str] = {
    "Acquisition": "_acquisition",
    "AcquisitionMaximizer": "_maximizer",
    "AcquisitionProgress": "_acquisition",
    "AnalyticAcquisition": "_acquisition",
    "BayesianOptimizer": "_bo",
    "EI": "_acquisition",
    "EIPISwitch": "_acquisition",
    "GPBayesianOptimizer": "_bo",
    "GPHyperparameters": "_gp",
    "GaussianProcess": "_gp",
    "LCB": "_acquisition",
    "LogEI": "_acquisition",
    "LogPI": "_acquisition",
    "LogScaled": "_transforms",
    "OutputTransform": "_transforms",
    "PI": "_acquisition",
    "PowerTransform": "_transforms",
    "RFBayesianOptimizer": "_bo",
    "RandomForest": "_rf",
    "SAWEI": "_sawei",
    "Standardize": "_transforms",
    "Surrogate": "_surrogate",
    "ThompsonSampling": "_acquisition",
    "default_beta": "_acquisition",
    "maximize": "_maximizer",
    "regret_bound_terms": "_sawei",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> _Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = _importlib.import_module(f"{__name__}.{_WHERE[name]}")
    return getattr(module, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})
