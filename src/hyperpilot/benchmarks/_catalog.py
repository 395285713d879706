"""Named suites of problems, and rebuilding any problem from its name.

A problem's name says everything needed to build it again, so the runner stores names
with results and rebuilds problems in worker processes with :func:`get_problem`:

* ``bbob-fFF-dDD-iII``: BBOB function ``FF`` (1-24) in ``DD`` dimensions, instance ``III``;
* ``ml-MODEL-DATASET`` and ``mf-MODEL-DATASET``: ``MODEL`` in hgb, svm, mlp; ``DATASET``
  in breast_cancer, digits, wine, diabetes;
* ``mf-hartmann3-QUALITY``, ``mf-hartmann6-QUALITY`` (``QUALITY`` in good, moderate, poor)
  and ``mf-branin``: synthetic functions with a budget (``_mf_synthetic.py``);
* ``mo-KIND-dNN``: ``KIND`` in zdt1, zdt2, zdt3, dtlz2; and ``mo-ml-hgb-size-DATASET``.
"""

from __future__ import annotations

import re

from hyperpilot.benchmarks._bbob import BBOBProblem
from hyperpilot.benchmarks._datasets import DATASETS
from hyperpilot.benchmarks._mf import MF_TASKS
from hyperpilot.benchmarks._mf_synthetic import QUALITIES, synthetic_problem
from hyperpilot.benchmarks._ml import ML_TASKS
from hyperpilot.benchmarks._mo import SYNTHETIC, HGBSizeTask, PymooProblem
from hyperpilot.benchmarks._problem import Problem
from hyperpilot.exceptions import BenchmarkError

BBOB_SUITE_FUNCTIONS = (1, 7, 8, 10, 15, 21)
"""One or two functions of each BBOB group: sphere, step ellipsoid, Rosenbrock, rotated
ellipsoid, rotated Rastrigin and Gallagher's 101 peaks."""

BBOB_SUITE_DIMENSIONS = (2, 5, 10, 20)

SUITES: dict[str, tuple[str, ...]] = {
    "quick": (
        *(f"bbob-f{f:02d}-d{d:02d}-i01" for f in (1, 8, 15) for d in (2, 5)),
        "ml-svm-digits",
    ),
    "bbob": tuple(
        f"bbob-f{f:02d}-d{d:02d}-i01" for f in BBOB_SUITE_FUNCTIONS for d in BBOB_SUITE_DIMENSIONS
    ),
    "ml": (
        "ml-hgb-breast_cancer",
        "ml-hgb-diabetes",
        "ml-svm-digits",
        "ml-svm-diabetes",
        "ml-mlp-digits",
        "ml-mlp-breast_cancer",
    ),
    "mf": (
        "mf-hartmann3-good",
        "mf-hartmann3-moderate",
        "mf-hartmann3-poor",
        "mf-hartmann6-good",
        "mf-hartmann6-moderate",
        "mf-hartmann6-poor",
        "mf-branin",
        "mf-hgb-breast_cancer",
        "mf-svm-digits",
        "mf-mlp-breast_cancer",
    ),
    "mo": (
        "mo-zdt1-d10",
        "mo-zdt2-d10",
        "mo-zdt3-d10",
        "mo-dtlz2-d12",
        "mo-ml-hgb-size-breast_cancer",
    ),
}
"""The problem names of each suite."""

_NAME_FORMS = (
    "bbob-fFF-dDD-iII, ml-MODEL-DATASET, mf-MODEL-DATASET, mf-hartmann3-QUALITY, "
    "mf-hartmann6-QUALITY, mf-branin, mo-KIND-dNN or "
    f"mo-ml-hgb-size-DATASET (MODEL in {sorted(ML_TASKS)}, DATASET in {sorted(DATASETS)}, "
    f"QUALITY in {sorted(QUALITIES)}, KIND in {sorted(SYNTHETIC)})"
)

_BBOB = re.compile(r"bbob-f(\d+)-d(\d+)(?:-i(\d+))?")
_TUNING = re.compile(r"(ml|mf)-([a-z]+)-(\w+)")
_SIZE = re.compile(r"mo-ml-hgb-size-(\w+)")
_MF_SYNTHETIC = re.compile(r"mf-(hartmann\d|branin)(?:-([a-z]+))?")
_SYNTHETIC = re.compile(r"mo-([a-z0-9]+)-d(\d+)")


def suite_names() -> list[str]:
    """The names of the suites, in the order they are documented."""
    return list(SUITES)


def suite(name: str) -> list[Problem]:
    """Build the problems of suite *name*.

    Raises:
        ValueError: for an unknown suite, listing the known ones.

    """
    if name not in SUITES:
        raise BenchmarkError(f"unknown benchmark suite {name!r}; expected one of {suite_names()}")
    return [get_problem(problem) for problem in SUITES[name]]


def get_problem(name: str) -> Problem:
    """Build the problem called *name* (the inverse of ``Problem.name``).

    Raises:
        ValueError: for a name of no known form, or whose parts are out of range.

    """
    try:
        problem = _parse(name)
    except ValueError as exc:
        raise BenchmarkError(f"cannot build problem {name!r}: {exc}") from None
    if problem is None:
        raise BenchmarkError(f"unknown problem {name!r}; expected {_NAME_FORMS}")
    return problem


def _parse(name: str) -> Problem | None:
    if match := _BBOB.fullmatch(name):
        function, dimension, instance = match.groups()
        return BBOBProblem(int(function), int(dimension), int(instance or 1))
    if match := _MF_SYNTHETIC.fullmatch(name):
        return synthetic_problem(match.group(1), match.group(2))
    if match := _SIZE.fullmatch(name):
        return HGBSizeTask(match.group(1))
    if match := _TUNING.fullmatch(name):
        family, model, dataset = match.groups()
        tasks = ML_TASKS if family == "ml" else MF_TASKS
        if model not in tasks:
            raise BenchmarkError(f"unknown model {model!r}; expected one of {sorted(tasks)}")
        return tasks[model](dataset)
    if match := _SYNTHETIC.fullmatch(name):
        return PymooProblem(match.group(1), int(match.group(2)))
    return None
