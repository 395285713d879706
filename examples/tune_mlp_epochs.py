"""Tune a small neural network with budgets: few epochs first, full training for the best.

The study declares a fidelity (training epochs, 1 to 27), so the default optimizer
(``"auto"``) runs model-based Hyperband: many configurations are trained for 1 epoch,
the best third go on to 3, then 9, then 27, and a Bayesian-optimization model proposes
the new ones. Each epoch's validation error is reported, so the dashboard and
``study.trials[n].intermediate`` show the learning curves.

    hyperpilot run examples/tune_mlp_epochs.py --storage sqlite:///hyperpilot.db
    hyperpilot dashboard --storage sqlite:///hyperpilot.db

``max_budget`` stops a run once its trials have trained 600 epochs in all.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

import hyperpilot as hp

space = hp.Space({
    "learning_rate_init": hp.Float(1e-4, 1e-1, log=True),
    "hidden": hp.Int(16, 256, log=True),
    "alpha": hp.Float(1e-6, 1e-1, log=True),
    "batch_size": hp.Ordinal([16, 32, 64, 128]),
})
fidelity = hp.Fidelity("epochs", 1, 27)
objectives = {"error": "minimize"}
max_budget = 600
n_trials = 500  # the budget ends the run first
seed = 0

_X, _y = load_digits(return_X_y=True)
_X_train, _X_valid, _y_train, _y_valid = train_test_split(
    _X / 16.0, _y, test_size=0.3, random_state=0, stratify=_y)
_CLASSES = np.unique(_y)


def objective(config: dict[str, Any], budget: int, trial: hp.Trial) -> float:
    """Validation error after *budget* epochs, reported after every epoch."""
    model = MLPClassifier(hidden_layer_sizes=(config["hidden"],), alpha=config["alpha"],
                          learning_rate_init=config["learning_rate_init"],
                          batch_size=config["batch_size"], random_state=0)
    error = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for epoch in range(1, int(budget) + 1):
            model.partial_fit(_X_train, _y_train, classes=_CLASSES)
            error = 1.0 - float(model.score(_X_valid, _y_valid))
            trial.report(epoch, error)
            if trial.should_stop():  # a pruning rule, when the optimizer has one
                break
    return error


if __name__ == "__main__":
    study = hp.create_study(space=space, objectives=objectives, fidelity=fidelity,
                            name="tune_mlp_epochs", seed=seed, load_if_exists=True)
    study.optimize(objective, n_trials=n_trials, max_budget=max_budget)
    best = study.best_trial
    print(f"best error {best.value:.4f} after {best.budget} epochs with {best.config}")
