"""Tiny problems with known answers, for testing the harness and smoke runs of peers.

They live in the package (not in the tests) so that they pickle into the runner's worker
processes, which import them by module name.
"""

from __future__ import annotations

import multiprocessing
import os
from typing import ClassVar

from hyperpilot.benchmarks._problem import Fidelity, Problem
from hyperpilot.space._params import Categorical, Float, Int
from hyperpilot.space._space import Config, Space
from hyperpilot.trial._objectives import Objective


class Quadratic(Problem):
    """``(x - 1)^2 + (y + 2)^2 + offset`` on ``[-5, 5]^2``; the optimum is ``offset``."""

    family: ClassVar[str] = "toy"

    def __init__(self, name: str = "toy-quadratic", *, offset: float = 0.0) -> None:
        super().__init__(name)
        self.offset = offset

    @property
    def space(self) -> Space:
        """Two floats in ``[-5, 5]``."""
        return Space({"x": Float(-5.0, 5.0), "y": Float(-5.0, 5.0)})

    @property
    def objectives(self) -> tuple[Objective, ...]:
        """One minimized ``loss``."""
        return (Objective("loss", "minimize"),)

    def evaluate(self, config: Config, *, budget: float | None = None,
                 seed: int = 0) -> dict[str, float]:
        """The quadratic at *config* (no noise; *budget* and *seed* are ignored)."""
        return {"loss": (config["x"] - 1.0) ** 2 + (config["y"] + 2.0) ** 2 + self.offset}

    @property
    def optimum(self) -> dict[str, float] | None:
        """``{"loss": offset}`` at ``x = 1, y = -2``."""
        return {"loss": self.offset}


class Conditional(Problem):
    """A maximized score over a conditional space (a categorical switches an int on).

    ``score = 10 - (x - 0.3)^2 - penalty`` where the penalty is 1 for ``kind = "a"`` and
    ``0.1 * |n - 3|`` for ``kind = "b"``; the best score is 10. ``test`` subtracts a small
    seed-dependent offset, standing in for a held-out split.
    """

    family: ClassVar[str] = "toy"

    def __init__(self, name: str = "toy-conditional") -> None:
        super().__init__(name)

    @property
    def space(self) -> Space:
        """A float, a categorical and an int active when the categorical is ``"b"``."""
        return Space({
            "x": Float(0.01, 1.0, log=True),
            "kind": Categorical(["a", "b"]),
            "n": Int(1, 6, active_if={"kind": "b"}),
        })

    @property
    def objectives(self) -> tuple[Objective, ...]:
        """One maximized ``score``."""
        return (Objective("score", "maximize"),)

    def evaluate(self, config: Config, *, budget: float | None = None,
                 seed: int = 0) -> dict[str, float]:
        """The score at *config*."""
        penalty = 1.0 if config["kind"] == "a" else 0.1 * abs(config["n"] - 3)
        return {"score": 10.0 - (config["x"] - 0.3) ** 2 - penalty}

    def test(self, config: Config, *, seed: int) -> dict[str, float]:
        """The score less ``0.01 * (seed % 3)``."""
        return {"score": self.evaluate(config)["score"] - 0.01 * (seed % 3)}


class Budgeted(Quadratic):
    """The quadratic with a fidelity ``epochs`` in ``[1, 9]``; low budgets add an offset."""

    def __init__(self, name: str = "toy-budgeted") -> None:
        super().__init__(name)

    @property
    def fidelity(self) -> Fidelity | None:
        """``epochs`` from 1 to 9."""
        return Fidelity("epochs", 1, 9)

    def evaluate(self, config: Config, *, budget: float | None = None,
                 seed: int = 0) -> dict[str, float]:
        """The quadratic plus ``(9 - budget) / 9``."""
        level = 9.0 if budget is None else float(budget)
        return {"loss": super().evaluate(config)["loss"] + (9.0 - level) / 9.0}


class TwoObjective(Problem):
    """Two minimized objectives ``f1 = x^2 + y^2`` and ``f2 = (x - 1)^2 + y^2`` on ``[-1, 2]^2``.

    The Pareto set is the segment from ``(0, 0)`` to ``(1, 0)``; the hypervolume reference
    point is ``(4, 4)``.
    """

    family: ClassVar[str] = "toy-mo"

    def __init__(self, name: str = "toy-two-objective") -> None:
        super().__init__(name)

    @property
    def space(self) -> Space:
        """Two floats in ``[-1, 2]``."""
        return Space({"x": Float(-1.0, 2.0), "y": Float(-1.0, 2.0)})

    @property
    def objectives(self) -> tuple[Objective, ...]:
        """``f1`` and ``f2``, both minimized."""
        return (Objective("f1", "minimize"), Objective("f2", "minimize"))

    def evaluate(self, config: Config, *, budget: float | None = None,
                 seed: int = 0) -> dict[str, float]:
        """Both objectives at *config*."""
        x, y = config["x"], config["y"]
        return {"f1": x * x + y * y, "f2": (x - 1.0) ** 2 + y * y}

    @property
    def reference_point(self) -> dict[str, float] | None:
        """``(4, 4)``."""
        return {"f1": 4.0, "f2": 4.0}


class Crashing(Quadratic):
    """The quadratic that fails on trial *after*: ``mode="raise"`` raises, ``"exit"`` kills.

    ``"exit"`` ends the worker process abruptly (as a segfault would) and refuses to do so
    outside a child process, so that it can never end a test session.
    """

    def __init__(self, name: str = "toy-crashing", *, mode: str = "raise",
                 after: int = 3) -> None:
        super().__init__(name)
        if mode not in ("raise", "exit"):
            raise ValueError(f"mode must be 'raise' or 'exit', got {mode!r}")
        self.mode = mode
        self.after = after
        self._calls = 0

    def evaluate(self, config: Config, *, budget: float | None = None,
                 seed: int = 0) -> dict[str, float]:
        """The quadratic, until call number *after*."""
        self._calls += 1
        if self._calls > self.after:
            if self.mode == "exit" and multiprocessing.parent_process() is not None:
                os._exit(70)
            raise RuntimeError(f"{self.name}: evaluation {self._calls} crashed on purpose")
        return super().evaluate(config)


class ThreadCount(Quadratic):
    """The quadratic's space, but the loss is the most threads any numerical pool may use.

    It counts the BLAS and OpenMP pools that threadpoolctl sees, and PyTorch's when loaded;
    a worker limited as the runner limits it reports 1.
    """

    def __init__(self, name: str = "toy-thread-count") -> None:
        super().__init__(name)

    def evaluate(self, config: Config, *, budget: float | None = None,
                 seed: int = 0) -> dict[str, float]:
        """The largest thread count in this process."""
        import sys

        from threadpoolctl import threadpool_info  # type: ignore[import-untyped]

        counts = [int(pool["num_threads"]) for pool in threadpool_info()]
        torch = sys.modules.get("torch")
        if torch is not None:
            counts.append(int(torch.get_num_threads()))
        return {"loss": float(max(counts, default=1))}


class Slow(Quadratic):
    """The quadratic, sleeping *seconds* in every evaluation (for interruption tests)."""

    def __init__(self, name: str = "toy-slow", *, seconds: float = 0.5) -> None:
        super().__init__(name)
        self.seconds = seconds

    def evaluate(self, config: Config, *, budget: float | None = None,
                 seed: int = 0) -> dict[str, float]:
        """The quadratic, after a sleep."""
        import time

        time.sleep(self.seconds)
        return super().evaluate(config)
