"""Bayesian optimization: surrogates, output transforms, acquisitions, the search, presets.

Names load on first access: the numerical modules import SciPy, which costs more than half
a second, and most users only name ``"bo"`` in ``create_study``.
"""

from __future__ import annotations

import importlib
from typing import Any

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


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_WHERE[name]}")
    return getattr(module, name)
