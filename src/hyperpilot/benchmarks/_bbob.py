"""The 24 noiseless BBOB functions (COCO), computed by IOHexperimenter (``ioh``).

A problem is a function id (1 to 24), a dimension and an instance; its name is
``bbob-fFF-dDD-iII``, e.g. ``bbob-f01-d05-i01``. The space is ``x0 .. x{d-1}``, each a
``Float(-5, 5)``; the objective ``value`` is minimized and its exact optimum is known, so
results are reported as regret. Evaluations are deterministic: the seed is ignored.

The ``ioh`` problem object is built on first use and cached per process; the benchmark
object only stores three integers, so it pickles into worker processes. No ioh logger is
ever attached.
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar

from hyperpilot.benchmarks._problem import Problem
from hyperpilot.exceptions import BenchmarkError, require
from hyperpilot.space._params import Float
from hyperpilot.space._space import Config, Space
from hyperpilot.trial._objectives import Objective

BBOB_FUNCTIONS: dict[int, str] = {
    1: "sphere", 2: "ellipsoid", 3: "rastrigin", 4: "bueche-rastrigin", 5: "linear slope",
    6: "attractive sector", 7: "step ellipsoid", 8: "rosenbrock", 9: "rosenbrock rotated",
    10: "ellipsoid rotated", 11: "discus", 12: "bent cigar", 13: "sharp ridge",
    14: "different powers", 15: "rastrigin rotated", 16: "weierstrass",
    17: "schaffers f7", 18: "schaffers f7 ill-conditioned", 19: "griewank-rosenbrock",
    20: "schwefel", 21: "gallagher 101 peaks", 22: "gallagher 21 peaks", 23: "katsuura",
    24: "lunacek bi-rastrigin",
}
"""The BBOB function ids and their names."""

BBOB_GROUPS: dict[str, tuple[int, ...]] = {
    "separable": (1, 2, 3, 4, 5),
    "low or moderate conditioning": (6, 7, 8, 9),
    "high conditioning, unimodal": (10, 11, 12, 13, 14),
    "multimodal, adequate global structure": (15, 16, 17, 18, 19),
    "multimodal, weak global structure": (20, 21, 22, 23, 24),
}
"""The five BBOB function groups."""

LOWER, UPPER = -5.0, 5.0
VALUE = Objective("value", "minimize")


@functools.lru_cache(maxsize=256)
def _ioh_problem(function: int, dimension: int, instance: int) -> Any:
    """The ioh problem object, built once per process and argument triple."""
    require("ioh", "bench")
    import ioh

    return ioh.get_problem(function, instance=instance, dimension=dimension,
                           problem_class=ioh.ProblemClass.BBOB)


class BBOBProblem(Problem):
    """One BBOB function in one dimension and instance.

    Args:
        function: the function id, 1 to 24.
        dimension: the number of variables, at least 1 (BBOB's own are 2, 3, 5, 10, 20, 40).
        instance: the instance id, at least 1 (each instance shifts and rotates the
            function and moves its optimum).

    Raises:
        ValueError: for an id, dimension or instance out of range.

    """

    family: ClassVar[str] = "bbob"

    def __init__(self, function: int, dimension: int, instance: int = 1) -> None:
        for what, value, low in (("function", function, 1), ("dimension", dimension, 1),
                                 ("instance", instance, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise BenchmarkError(f"BBOB {what} must be an integer >= {low}, got {value!r}")
        if function > len(BBOB_FUNCTIONS):
            raise BenchmarkError(f"BBOB function must lie in 1..24, got {function!r}")
        self.function = function
        self.dimension = dimension
        self.instance = instance
        super().__init__(f"bbob-f{function:02d}-d{dimension:02d}-i{instance:02d}")
        self._space: Space | None = None
        self._names = [f"x{i}" for i in range(dimension)]

    @property
    def space(self) -> Space:
        """``x0 .. x{d-1}``, each a ``Float(-5, 5)``."""
        if self._space is None:
            self._space = Space({name: Float(LOWER, UPPER) for name in self._names})
        return self._space

    @property
    def objectives(self) -> tuple[Objective, ...]:
        """The function value, minimized."""
        return (VALUE,)

    def evaluate(self, config: Config, *, budget: float | None = None,
                 seed: int = 0) -> dict[str, float]:
        """Return the function value at *config* (deterministic; *seed* is ignored).

        Raises:
            ConfigurationError: when *config* does not fit the space.
            ValueError: when a *budget* is given (BBOB has one fidelity).

        """
        if budget is not None:
            raise BenchmarkError(f"problem {self.name!r} has no fidelity; expected budget=None, "
                             f"got {budget!r}")
        config = self.space.validate(config)
        x = [config[name] for name in self._names]
        return {"value": float(self._ioh()(x))}

    @property
    def optimum(self) -> dict[str, float]:
        """The exact optimal value of this function instance."""
        return {"value": float(self._ioh().optimum.y)}

    @property
    def optimal_config(self) -> Config:
        """The configuration where the optimum lies (inside the box for every function)."""
        x = self._ioh().optimum.x
        return {name: float(x[i]) for i, name in enumerate(self._names)}

    def describe(self) -> dict[str, Any]:
        """The base summary plus the function id, its name, the dimension and instance."""
        return {**super().describe(), "function": self.function,
                "function_name": BBOB_FUNCTIONS[self.function],
                "instance": self.instance}

    def _ioh(self) -> Any:
        return _ioh_problem(self.function, self.dimension, self.instance)
