"""Benchmarks: real problems, peers' optimizers through one harness, a runner and a report.

Heavy dependencies (ioh, pymoo, scikit-learn models, Optuna, SMAC3, plotly) load when a
problem or adapter first needs them; ``pip install 'hyperpilot[bench]'`` installs them.
"""

from hyperpilot.benchmarks._catalog import SUITES, get_problem, suite, suite_names
from hyperpilot.benchmarks._problem import Fidelity, Problem

__all__ = ["SUITES", "Fidelity", "Problem", "get_problem", "suite", "suite_names"]
