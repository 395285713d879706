"""Synthetic multi-fidelity problems: Hartmann-3, Hartmann-6 and Branin with a budget.

Every problem has the budget axis ``fidelity`` from 1 to 27 (log scale, integers), and a
trial's cost is its budget: one evaluation at budget ``b`` costs ``b / 27`` of a full one.
Let ``s(b) = log(27 / b) / log(27)`` be how far a budget lies below the full one (1 at the
lowest budget, 0 at the full budget). At the full budget every function is the published
one, with its known optimum, so results are reported as regret.

* ``mf-hartmann3-QUALITY`` and ``mf-hartmann6-QUALITY`` (``QUALITY`` in good, moderate,
  poor): ``f(x, b) = -sum_i alpha_i(b) exp(-sum_j A_ij (x_j - P_ij)^2) + noise``, with
  the standard constants ``alpha``, ``A``, ``P`` of Hartmann (Dixon and Szegö, 1978) on
  the unit cube. As in the multi-fidelity Hartmann of Kandasamy et al. (BOCA, 2017) and
  the synthetic benchmarks of the PriorBand authors (Mallik et al., 2023), a low budget
  shifts the weights ``alpha`` and adds noise: ``alpha_i(b) = alpha_i + bias * s(b) *
  d_i`` with ``d = (1, 1, -1, -1)``, which moves weight from the two terms that hold the
  global optimum to the other two, and Gaussian noise of standard deviation
  ``noise * s(b)``. ``bias`` and ``noise`` grow from ``good`` (low budgets rank
  configurations almost as the full one does) to ``poor`` (the lowest budget's best
  region is another basin).
* ``mf-branin``: Branin with the fidelity of Kandasamy et al. (MF-GP-UCB, 2016), where
  ``z = 1 - s(b)``: ``f(x, z) = (x2 - b(z) x1^2 + c(z) x1 - 6)^2 + 10 (1 - t(z)) cos(x1)
  + 10`` with ``b(z) = 5.1 / (4 pi^2) - 0.01 (1 - z)``, ``c(z) = 5 / pi - 0.1 (1 - z)``
  and ``t(z) = 1 / (8 pi) + 0.05 (1 - z)``; ``x1`` in ``[-5, 10]``, ``x2`` in ``[0, 15]``.

The noise is a deterministic function of the configuration, the budget and the tuning
seed (a run sees one fixed objective, as with the tuning tasks); the full budget has none.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from hyperpilot.benchmarks._problem import Fidelity, Problem
from hyperpilot.exceptions import BenchmarkError
from hyperpilot.space._params import Float
from hyperpilot.space._space import Config, Space
from hyperpilot.trial._objectives import Objective

FIDELITY = Fidelity("fidelity", 1, 27, log=True)
"""The budget axis of every synthetic problem; a trial's cost is its budget."""

VALUE = Objective("value", "minimize")

QUALITIES: dict[str, tuple[float, float]] = {
    "good": (0.1, 0.02),
    "moderate": (0.6, 0.1),
    "poor": (1.6, 0.3),
}
"""Proxy quality of the low budgets: ``(bias, noise)`` of the Hartmann functions."""

_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_SHIFT = np.array([1.0, 1.0, -1.0, -1.0])
_HARTMANN: dict[int, tuple[np.ndarray, np.ndarray, float, tuple[float, ...]]] = {
    3: (np.array([[3.0, 10.0, 30.0],
                  [0.1, 10.0, 35.0],
                  [3.0, 10.0, 30.0],
                  [0.1, 10.0, 35.0]]),
        1e-4 * np.array([[3689, 1170, 2673],
                         [4699, 4387, 7470],
                         [1091, 8732, 5547],
                         [381, 5743, 8828]], dtype=float),
        -3.86278214782076, (0.114614, 0.555649, 0.852547)),
    6: (np.array([[10.0, 3.0, 17.0, 3.5, 1.7, 8.0],
                  [0.05, 10.0, 17.0, 0.1, 8.0, 14.0],
                  [3.0, 3.5, 1.7, 10.0, 17.0, 8.0],
                  [17.0, 8.0, 0.05, 10.0, 0.1, 14.0]]),
        1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886],
                         [2329, 4135, 8307, 3736, 1004, 9991],
                         [2348, 1451, 3522, 2883, 3047, 6650],
                         [4047, 8828, 8732, 5743, 1091, 381]], dtype=float),
        -3.32236801141551, (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573)),
}
"""Per dimension: ``A``, ``P``, the global minimum and where it lies."""

BRANIN_OPTIMUM = 0.397887357729738
BRANIN_OPTIMA: tuple[tuple[float, float], ...] = (
    (-math.pi, 12.275), (math.pi, 2.275), (9.42478, 2.475))


def distance_below_full(budget: float) -> float:
    """``s(b)``: 1 at the lowest budget, 0 at the full one, linear in ``log b``."""
    return math.log(FIDELITY.high / budget) / math.log(FIDELITY.high / FIDELITY.low)


class SyntheticMFProblem(Problem):
    """A synthetic function with a budget; subclasses write :meth:`_value`."""

    family: ClassVar[str] = "mf"

    def __init__(self, name: str, space: Space) -> None:
        super().__init__(name)
        self._space = space

    @property
    def space(self) -> Space:
        """The unit cube (Hartmann) or Branin's box, one ``Float`` per coordinate."""
        return self._space

    @property
    def objectives(self) -> tuple[Objective, ...]:
        """The function value, minimized."""
        return (VALUE,)

    @property
    def fidelity(self) -> Fidelity:
        """:data:`FIDELITY`, 1 to 27; a trial costs its budget."""
        return FIDELITY

    def evaluate(self, config: Config, *, budget: float | None = None,
                 seed: int = 0) -> dict[str, float]:
        """Return the value at *config* and *budget* (``None``: the full budget, noiseless).

        Raises:
            ConfigurationError: when *config* does not fit the space.
            BenchmarkError: for a budget outside ``[1, 27]``.

        """
        config = self._space.validate(config)
        level = FIDELITY.high if budget is None else float(budget)
        if not FIDELITY.low <= level <= FIDELITY.high:
            raise BenchmarkError(
                f"problem {self.name!r}: budget ({FIDELITY.name}) must lie in "
                f"[{FIDELITY.low:g}, {FIDELITY.high:g}], got {budget!r}")
        x = np.array([float(config[name]) for name in self._space.names])
        return {"value": self._value(x, distance_below_full(level), level, seed)}

    def _value(self, x: np.ndarray, s: float, budget: float, seed: int) -> float:
        raise NotImplementedError  # pragma: no cover - both subclasses write it


def _noise(x: np.ndarray, budget: float, seed: int) -> float:
    """A standard normal draw fixed by the point, the budget and the seed."""
    key = [int(seed), round(budget * 1000)]
    key += [int(v) for v in np.round(x * 2.0 ** 40).astype(np.int64) & 0x7FFFFFFFFFFF]
    return float(np.random.default_rng(key).standard_normal())


class MFHartmann(SyntheticMFProblem):
    """Hartmann-3 or -6 whose low budgets are good, moderate or poor proxies.

    Args:
        dimension: 3 or 6.
        quality: a key of :data:`QUALITIES`.

    Raises:
        BenchmarkError: for another dimension or quality.

    """

    def __init__(self, dimension: int, quality: str) -> None:
        if dimension not in _HARTMANN:
            raise BenchmarkError(f"Hartmann dimension must be 3 or 6, got {dimension!r}")
        if quality not in QUALITIES:
            raise BenchmarkError(f"unknown proxy quality {quality!r}; expected one of "
                                 f"{sorted(QUALITIES)}")
        self.dimension = dimension
        self.quality = quality
        self.bias, self.noise = QUALITIES[quality]
        super().__init__(f"mf-hartmann{dimension}-{quality}",
                         Space({f"x{i}": Float(0.0, 1.0) for i in range(dimension)}))

    def _value(self, x: np.ndarray, s: float, budget: float, seed: int) -> float:
        a, p, _, _ = _HARTMANN[self.dimension]
        alpha = _ALPHA + self.bias * s * _SHIFT
        value = -float(alpha @ np.exp(-np.sum(a * (x - p) ** 2, axis=1)))
        if s > 0 and self.noise > 0:
            value += self.noise * s * _noise(x, budget, seed)
        return value

    @property
    def optimum(self) -> dict[str, float]:
        """The global minimum of Hartmann at the full budget."""
        return {"value": _HARTMANN[self.dimension][2]}

    @property
    def optimal_config(self) -> Config:
        """Where the global minimum lies."""
        where = _HARTMANN[self.dimension][3]
        return {f"x{i}": v for i, v in enumerate(where)}

    def describe(self) -> dict[str, Any]:
        """The base summary plus the proxy quality, bias and noise."""
        return {**super().describe(), "quality": self.quality, "bias": self.bias,
                "noise": self.noise}


class MFBranin(SyntheticMFProblem):
    """Branin whose low budgets perturb its coefficients (Kandasamy et al., 2016)."""

    def __init__(self) -> None:
        super().__init__("mf-branin", Space({"x1": Float(-5.0, 10.0), "x2": Float(0.0, 15.0)}))

    def _value(self, x: np.ndarray, s: float, budget: float, seed: int) -> float:
        x1, x2 = float(x[0]), float(x[1])
        b = 5.1 / (4 * math.pi ** 2) - 0.01 * s
        c = 5 / math.pi - 0.1 * s
        t = 1 / (8 * math.pi) + 0.05 * s
        return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10

    @property
    def optimum(self) -> dict[str, float]:
        """Branin's global minimum at the full budget."""
        return {"value": BRANIN_OPTIMUM}


def synthetic_problem(kind: str, quality: str | None) -> SyntheticMFProblem:
    """Build ``mf-KIND[-QUALITY]``.

    KIND is ``hartmann3`` or ``hartmann6`` (with a quality) or ``branin`` (without).

    Raises:
        BenchmarkError: for an unknown kind, or a quality missing or given wrongly.

    """
    if kind == "branin" and quality is None:
        return MFBranin()
    if kind in ("hartmann3", "hartmann6") and quality is not None:
        return MFHartmann(int(kind[-1]), quality)
    raise BenchmarkError(f"unknown synthetic problem mf-{kind}"
                         f"{'' if quality is None else '-' + quality}; expected "
                         f"mf-hartmann3-QUALITY, mf-hartmann6-QUALITY (QUALITY in "
                         f"{sorted(QUALITIES)}) or mf-branin")
