"""Multi-objective problems: pymoo's ZDT1-3 and DTLZ2, and a real accuracy-size trade-off.

* ``mo-zdt1-dN``, ``mo-zdt2-dN``, ``mo-zdt3-dN``: two objectives ``f1``, ``f2`` over ``N``
  variables (pymoo's bounds, ``[0, 1]``); convex, concave and disconnected fronts.
* ``mo-dtlz2-dN``: three objectives ``f1 .. f3`` over ``N >= 3`` variables (a spherical
  front).
* ``mo-ml-hgb-size-DATASET``: gradient boosting's validation ``error`` against its size,
  ``log10_leaves`` (log10 of the number of leaves of all its trees), both minimized.
  Size is deterministic for a seed, unlike prediction time.

The hypervolume reference point of a synthetic problem is ``nadir + 0.1 (nadir - ideal)``
of its true Pareto front (``1.1 * nadir`` when the ideal point is the origin, as for ZDT1,
ZDT2 and DTLZ2). pymoo problem objects are built on first use and cached per process.
"""

from __future__ import annotations

import functools
import math
from typing import Any, ClassVar

import numpy as np

from hyperpilot.benchmarks._datasets import load
from hyperpilot.benchmarks._ml import ERROR, HGBTask
from hyperpilot.benchmarks._problem import Problem
from hyperpilot.exceptions import BenchmarkError, require
from hyperpilot.space._params import Float
from hyperpilot.space._space import Config, Space
from hyperpilot.trial._objectives import Objective

SYNTHETIC: dict[str, int] = {"zdt1": 2, "zdt2": 2, "zdt3": 2, "dtlz2": 3}
"""The synthetic multi-objective problems and their number of objectives."""


@functools.lru_cache(maxsize=64)
def _pymoo_problem(kind: str, n_var: int) -> Any:
    """The pymoo problem object, built once per process and arguments."""
    require("pymoo", "bench")
    from pymoo.problems.many.dtlz import DTLZ2  # type: ignore[import-untyped, unused-ignore]
    from pymoo.problems.multi.zdt import ZDT1, ZDT2, ZDT3  # type: ignore[import-untyped, unused-ignore]

    if kind == "dtlz2":
        return DTLZ2(n_var=n_var, n_obj=SYNTHETIC[kind])
    return {"zdt1": ZDT1, "zdt2": ZDT2, "zdt3": ZDT3}[kind](n_var=n_var)


@functools.lru_cache(maxsize=64)
def _front_bounds(kind: str, n_var: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """``(ideal, nadir)`` of the true Pareto front."""
    front = np.asarray(_pymoo_problem(kind, n_var).pareto_front(), dtype=float)
    return tuple(front.min(axis=0).tolist()), tuple(front.max(axis=0).tolist())


class PymooProblem(Problem):
    """A synthetic multi-objective problem of pymoo (ZDT1, ZDT2, ZDT3, DTLZ2).

    Args:
        kind: ``"zdt1"``, ``"zdt2"``, ``"zdt3"`` or ``"dtlz2"``.
        dimension: the number of variables (at least 2; at least 3 for DTLZ2).

    Raises:
        ValueError: for an unknown kind or a dimension out of range.

    """

    family: ClassVar[str] = "mo"

    def __init__(self, kind: str, dimension: int) -> None:
        if kind not in SYNTHETIC:
            raise BenchmarkError(f"unknown multi-objective problem {kind!r}; "
                             f"expected one of {sorted(SYNTHETIC)}")
        low = max(2, SYNTHETIC[kind])
        if isinstance(dimension, bool) or not isinstance(dimension, int) or dimension < low:
            raise BenchmarkError(f"{kind} needs an integer dimension >= {low}, got {dimension!r}")
        self.kind = kind
        self.dimension = dimension
        super().__init__(f"mo-{kind}-d{dimension:02d}")
        self._names = [f"x{i}" for i in range(dimension)]
        self._space: Space | None = None

    @property
    def space(self) -> Space:
        """``x0 .. x{N-1}`` in pymoo's bounds (``[0, 1]`` for every ZDT and DTLZ variable)."""
        if self._space is None:
            problem = _pymoo_problem(self.kind, self.dimension)
            self._space = Space({
                name: Float(float(problem.xl[i]), float(problem.xu[i]))
                for i, name in enumerate(self._names)
            })
        return self._space

    @property
    def objectives(self) -> tuple[Objective, ...]:
        """``f1``, ``f2`` (and ``f3`` for DTLZ2), all minimized."""
        return tuple(Objective(f"f{i + 1}") for i in range(SYNTHETIC[self.kind]))

    def evaluate(self, config: Config, *, budget: float | None = None,
                 seed: int = 0) -> dict[str, float]:
        """Return the objective values at *config* (deterministic; *seed* is ignored).

        Raises:
            ConfigurationError: when *config* does not fit the space.
            ValueError: when a *budget* is given.

        """
        if budget is not None:
            raise BenchmarkError(f"problem {self.name!r} has no fidelity; expected budget=None, "
                             f"got {budget!r}")
        config = self.space.validate(config)
        x = np.array([config[name] for name in self._names], dtype=float)
        values = np.asarray(_pymoo_problem(self.kind, self.dimension).evaluate(x)).ravel()
        return {f"f{i + 1}": float(v) for i, v in enumerate(values)}

    @property
    def reference_point(self) -> dict[str, float]:
        """``nadir + 0.1 (nadir - ideal)`` of the true Pareto front."""
        ideal, nadir = _front_bounds(self.kind, self.dimension)
        pairs = enumerate(zip(ideal, nadir, strict=True))
        return {f"f{i + 1}": n + 0.1 * (n - lo) for i, (lo, n) in pairs}

    def describe(self) -> dict[str, Any]:
        """The base summary plus the reference point."""
        return {**super().describe(), "reference_point": self.reference_point}


SIZE = Objective("log10_leaves", "minimize")


class HGBSizeTask(HGBTask):
    """Gradient boosting: validation error against model size (log10 of all its leaves).

    The space and data are those of ``ml-hgb-DATASET``; the reference point is an error of
    1 and 1.1 times the log10 of the largest possible model.
    """

    family: ClassVar[str] = "mo"

    @classmethod
    def problem_name(cls, dataset: str) -> str:
        """``mo-ml-hgb-size-DATASET``."""
        return f"mo-ml-{cls.model}-size-{dataset}"

    @property
    def objectives(self) -> tuple[Objective, ...]:
        """``error`` and ``log10_leaves``, both minimized."""
        return (ERROR, SIZE)

    @property
    def reference_point(self) -> dict[str, float]:
        """Error 1 and 1.1 times the log10 of the largest possible number of leaves."""
        data = load(self.dataset)
        classes = len(np.unique(data.y)) if data.classification else 1
        trees = self.iteration_range[1] * (classes if classes > 2 else 1)
        return {"error": 1.0, "log10_leaves": 1.1 * math.log10(trees * self.leaf_range[1])}

    def describe(self) -> dict[str, Any]:
        """The base summary plus the reference point."""
        return {**super().describe(), "reference_point": self.reference_point}

    def _measure(self, model: Any, X: np.ndarray, y: np.ndarray) -> dict[str, float]:
        leaves = sum(tree.get_n_leaf_nodes() for trees in model._predictors for tree in trees)
        return {**super()._measure(model, X, y), "log10_leaves": math.log10(max(leaves, 1))}
