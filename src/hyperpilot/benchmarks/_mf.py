"""Multi-fidelity variants of the tuning tasks: a cheap, rougher evaluation at low budget.

* ``mf-hgb-DATASET``: the budget is the number of boosting iterations (8 to 256, log
  scale); ``max_iter`` leaves the space.
* ``mf-mlp-DATASET``: the budget is the number of training epochs (2 to 64, log scale).
* ``mf-svm-DATASET``: the budget is the fraction of each training fold used (0.1 to 1,
  log scale); smaller fractions are nested in larger ones for a fixed seed.

``evaluate(config, budget=None)`` and :meth:`~TuningTask.test` use the full budget.
Synthetic multi-fidelity functions (Hartmann, Branin) are in ``_mf_synthetic.py``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from hyperpilot.benchmarks._datasets import Data, subsample
from hyperpilot.benchmarks._ml import HGBTask, MLPTask, SVMTask, TuningTask
from hyperpilot.benchmarks._problem import Fidelity
from hyperpilot.space._params import Hyperparameter


class MFHGBTask(HGBTask):
    """Gradient boosting whose budget is the number of boosting iterations."""

    family: ClassVar[str] = "mf"
    _fidelity: ClassVar[Fidelity | None] = Fidelity("max_iter", 8, 256, log=True)

    def _build_space(self) -> dict[str, Hyperparameter]:
        space = super()._build_space()
        del space["max_iter"]
        return space


class MFMLPTask(MLPTask):
    """A small MLP whose budget is the number of training epochs."""

    family: ClassVar[str] = "mf"
    _fidelity: ClassVar[Fidelity | None] = Fidelity("epochs", 2, 64, log=True)


class MFSVMTask(SVMTask):
    """An SVM whose budget is the fraction of each training fold it is fitted on."""

    family: ClassVar[str] = "mf"
    _fidelity: ClassVar[Fidelity | None] = Fidelity(
        "train_fraction", 0.1, 1.0, log=True, integer=False
    )

    def _fit_subset(self, indices: np.ndarray, data: Data, budget: float | None,
                    seed: int) -> np.ndarray:
        if budget is None:
            return indices
        return subsample(indices, data.y, budget, seed, data.classification)


MF_TASKS: dict[str, type[TuningTask]] = {
    cls.model: cls for cls in (MFHGBTask, MFMLPTask, MFSVMTask)
}
"""The multi-fidelity tuning tasks by model name."""
