"""Tune a support-vector classifier on scikit-learn's bundled digits data.

Run it with the command line (the study is stored, so rerunning resumes it)::

    hyperpilot run examples/tune_svm.py --storage sqlite:///hyperpilot.db
    hyperpilot studies show tune_svm --storage sqlite:///hyperpilot.db

or directly with ``python examples/tune_svm.py``.

The space is conditional: ``gamma`` only matters for the rbf, poly and sigmoid kernels,
``degree`` only for poly, ``coef0`` only for poly and sigmoid. The prior on ``C`` says
that values around 1 are a good bet (medium confidence).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.svm import SVC

import hyperpilot as hp

space = hp.Space({
    "kernel": hp.Categorical(["rbf", "poly", "linear", "sigmoid"]),
    "C": hp.Float(1e-2, 1e3, log=True, prior=1.0, confidence="medium"),
    "gamma": hp.Float(1e-4, 1e1, log=True, active_if={"kernel": ["rbf", "poly", "sigmoid"]}),
    "degree": hp.Int(2, 5, active_if={"kernel": "poly"}),
    "coef0": hp.Float(-1.0, 1.0, active_if={"kernel": ["poly", "sigmoid"]}),
})

objectives = {"accuracy": "maximize"}
optimizer = "bo"
n_trials = 40
seed = 0

_X, _y = load_digits(return_X_y=True)
_X = _X / 16.0  # pixel intensities 0..16 -> 0..1
_FOLDS = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)


def objective(config: dict[str, Any]) -> dict[str, float]:
    """Mean 3-fold cross-validated accuracy of an SVC with *config*."""
    model = SVC(**config)
    scores = cross_val_score(model, _X, _y, cv=_FOLDS, n_jobs=1)
    return {"accuracy": float(np.mean(scores))}


if __name__ == "__main__":
    study = hp.create_study(space=space, objectives=objectives, optimizer=optimizer,
                            name="tune_svm", seed=seed, load_if_exists=True)
    study.optimize(objective, total_trials=n_trials)
    best = study.best_trial
    print(f"best {best.values} with {best.config}")
