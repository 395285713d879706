"""Real tuning tasks: scikit-learn models on data sets that ship with scikit-learn.

A task is a model family (``hgb``, ``svm``, ``mlp``) on a data set (see
:data:`~hyperpilot.benchmarks._datasets.DATASETS`); its name is ``ml-MODEL-DATASET``, e.g.
``ml-svm-digits``. :meth:`TuningTask.evaluate` returns the mean validation error of a
k-fold cross-validation inside the train part, with folds and model seed drawn from the
tuning seed; :meth:`TuningTask.test` refits on the whole train part with the test seed
and returns the error on the held-out test split, which no optimizer ever sees.

The error is ``1 - accuracy`` for classification and the normalized mean squared error
``MSE / Var(y)`` (that is ``1 - R²``) for regression; both are minimized. Every model runs
on one thread (``n_jobs=1`` semantics, OpenMP and BLAS limited to one thread) so that
parallel benchmark workers do not compete, and convergence warnings are silenced.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from abc import abstractmethod
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np

from hyperpilot.benchmarks._datasets import SEED_MODULUS, Data, check_dataset, load
from hyperpilot.benchmarks._problem import Fidelity, Problem
from hyperpilot.exceptions import BenchmarkError
from hyperpilot.space._params import Categorical, Float, Hyperparameter, Int
from hyperpilot.space._space import Config, Space
from hyperpilot.trial._objectives import Objective

ERROR = Objective("error", "minimize")


@functools.lru_cache(maxsize=1)
def _thread_controller() -> Any:
    """A threadpoolctl controller that sees the OpenMP and BLAS libraries of the models."""
    import sklearn.ensemble
    import sklearn.neural_network
    import sklearn.svm  # noqa: F401 - loaded so that the controller finds their libraries
    from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped, unused-ignore]

    return ThreadpoolController()


@contextlib.contextmanager
def quiet_single_thread() -> Iterator[None]:
    """Run the body on one thread with scikit-learn's expected warnings silenced."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings(), _thread_controller().limit(limits=1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        # MLP on a small fold: a batch larger than the fold is clipped to it, as intended.
        warnings.filterwarnings("ignore", message="Got `batch_size`", category=UserWarning)
        yield


class TuningTask(Problem):
    """A scikit-learn model tuned on one data set by cross-validation.

    Subclasses set :attr:`model`, build the space in :meth:`_build_space` and the
    estimator in :meth:`_build`. Multi-fidelity variants set :attr:`_fidelity` and
    interpret the budget in :meth:`_build` or :meth:`_fit_subset`.

    Args:
        dataset: one of :data:`~hyperpilot.benchmarks._datasets.DATASETS`.

    Raises:
        ValueError: for an unknown data set.

    """

    family: ClassVar[str] = "ml"
    model: ClassVar[str] = ""
    n_folds: ClassVar[int] = 3
    _fidelity: ClassVar[Fidelity | None] = None

    def __init__(self, dataset: str) -> None:
        self.task = check_dataset(dataset)
        self.dataset = dataset
        super().__init__(self.problem_name(dataset))
        self._space: Space | None = None

    @classmethod
    def problem_name(cls, dataset: str) -> str:
        """The name of this task on *dataset*."""
        return f"{cls.family}-{cls.model}-{dataset}"

    @property
    def classification(self) -> bool:
        """Whether the data set is a classification task."""
        return self.task == "classification"

    @property
    def space(self) -> Space:
        """The model's hyperparameters (built once per object)."""
        if self._space is None:
            self._space = Space(self._build_space())
        return self._space

    @property
    def objectives(self) -> tuple[Objective, ...]:
        """The validation error, minimized."""
        return (ERROR,)

    @property
    def fidelity(self) -> Fidelity | None:
        """The budget axis of multi-fidelity variants, else ``None``."""
        return self._fidelity

    def describe(self) -> dict[str, Any]:
        """The base summary plus the model, data set, task type and number of CV folds."""
        return {**super().describe(), "model": self.model, "dataset": self.dataset,
                "task": self.task, "cv_folds": self.n_folds}

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, config: Config, *, budget: float | None = None,
                 seed: int = 0) -> dict[str, float]:
        """Return the mean validation values of *config* over the CV folds of *seed*.

        Raises:
            ConfigurationError: when *config* does not fit the space.
            ValueError: when *budget* is given to a task without fidelity, or lies
                outside the fidelity's range.

        """
        config = self.space.validate(config)
        level = self.resolve_budget(budget)
        data = load(self.dataset)
        folds = data.cv_folds(seed, self.n_folds)
        totals: dict[str, float] = {}
        with quiet_single_thread():
            for fit_idx, val_idx in folds:
                fit_idx = self._fit_subset(fit_idx, data, level, seed)
                model = self._build(config, seed % SEED_MODULUS, level)
                model.fit(data.X[fit_idx], data.y[fit_idx])
                for key, value in self._measure(model, data.X[val_idx],
                                                data.y[val_idx]).items():
                    totals[key] = totals.get(key, 0.0) + value
        return {key: value / len(folds) for key, value in totals.items()}

    def test(self, config: Config, *, seed: int) -> dict[str, float]:
        """Refit on the whole train part (model seed *seed*, full budget); score the test split."""
        config = self.space.validate(config)
        level = self.resolve_budget(None)
        data = load(self.dataset)
        with quiet_single_thread():
            model = self._build(config, seed % SEED_MODULUS, level)
            model.fit(data.X[data.train], data.y[data.train])
            return self._measure(model, data.X[data.test], data.y[data.test])

    def holdout_indices(self) -> tuple[np.ndarray, np.ndarray]:
        """The ``(train part, test split)`` indices into the data set; fixed per data set."""
        data = load(self.dataset)
        return data.train, data.test

    def cv_indices(self, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """The ``(fit, validation)`` indices of the CV folds that tuning seed *seed* uses."""
        return load(self.dataset).cv_folds(seed, self.n_folds)

    def resolve_budget(self, budget: float | None) -> float | None:
        """Check *budget* against :attr:`fidelity`; ``None`` means the full budget.

        Returns:
            ``None`` for a task without fidelity, else the budget (rounded for an integer
            fidelity).

        Raises:
            ValueError: for a budget given to a task without fidelity, or out of range.

        """
        fidelity = self.fidelity
        if fidelity is None:
            if budget is not None:
                raise BenchmarkError(
                    f"problem {self.name!r} has no fidelity; expected budget=None, "
                    f"got {budget!r}"
                )
            return None
        if budget is None:
            return fidelity.high
        value = float(budget)
        if not fidelity.low <= value <= fidelity.high:
            raise BenchmarkError(
                f"problem {self.name!r}: budget ({fidelity.name}) must lie in "
                f"[{fidelity.low:g}, {fidelity.high:g}], got {budget!r}"
            )
        return float(round(value)) if fidelity.integer else value

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def _build_space(self) -> dict[str, Hyperparameter]:
        """Return the hyperparameters of the task."""

    @abstractmethod
    def _build(self, config: Config, seed: int, budget: float | None) -> Any:
        """Return an unfitted estimator for *config* (model seed *seed*) at *budget*."""

    def _fit_subset(self, indices: np.ndarray, data: Data, budget: float | None,
                    seed: int) -> np.ndarray:
        """Return the training indices used at *budget* (all of them by default)."""
        return indices

    def _measure(self, model: Any, X: np.ndarray, y: np.ndarray) -> dict[str, float]:
        """Return the objective values of the fitted *model* on ``(X, y)``."""
        return {"error": self._error(model, X, y)}

    def _error(self, model: Any, X: np.ndarray, y: np.ndarray) -> float:
        predicted = model.predict(X)
        if self.classification:
            return float(np.mean(predicted != y))
        return float(np.mean((predicted - y) ** 2) / np.var(y))


class HGBTask(TuningTask):
    """Histogram gradient boosting (``HistGradientBoostingClassifier``/``Regressor``).

    Eight hyperparameters (nine for regression): learning rate, boosting iterations,
    leaves, depth and minimum leaf size (integer, partly log scale), L2 regularization
    (log), the feature fraction per split, whether features may interact in a tree
    (``interaction_cst``: none or ``"no_interactions"``, an additive model), and for
    regression the ``loss``. Early stopping is off, so a configuration's cost follows its
    iterations. (``class_weight`` is left out on purpose: with sample weights scikit-learn
    bins the features about 30 times more slowly.)
    """

    model: ClassVar[str] = "hgb"
    iteration_range: ClassVar[tuple[int, int]] = (16, 256)
    leaf_range: ClassVar[tuple[int, int]] = (4, 128)

    def _build_space(self) -> dict[str, Hyperparameter]:
        space: dict[str, Hyperparameter] = {
            "learning_rate": Float(0.01, 1.0, log=True),
            "max_iter": Int(*self.iteration_range, log=True),
            "max_leaf_nodes": Int(*self.leaf_range, log=True),
            "max_depth": Int(2, 16),
            "min_samples_leaf": Int(1, 64, log=True),
            "l2_regularization": Float(1e-6, 10.0, log=True),
            "max_features": Float(0.2, 1.0),
            "interaction_cst": Categorical(["none", "no_interactions"]),
        }
        if not self.classification:
            space["loss"] = Categorical(["squared_error", "absolute_error"])
        return space

    def _build(self, config: Config, seed: int, budget: float | None) -> Any:
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        params: dict[str, Any] = {
            "learning_rate": config["learning_rate"],
            "max_iter": int(budget) if budget is not None else config["max_iter"],
            "max_leaf_nodes": config["max_leaf_nodes"],
            "max_depth": config["max_depth"],
            "min_samples_leaf": config["min_samples_leaf"],
            "l2_regularization": config["l2_regularization"],
            "max_features": config["max_features"],
            "interaction_cst": (None if config["interaction_cst"] == "none"
                                else config["interaction_cst"]),
            "early_stopping": False,
            "random_state": seed,
        }
        if self.classification:
            return HistGradientBoostingClassifier(**params)
        return HistGradientBoostingRegressor(loss=config["loss"], **params)


class SVMTask(TuningTask):
    """A support vector machine (``SVC``/``SVR``) on standardized features.

    A conditional space: ``kernel`` in linear/rbf/poly/sigmoid, ``C`` (log); ``gamma`` (log)
    only for rbf and poly, ``degree`` only for poly, ``coef0`` for poly and sigmoid (the
    sigmoid kernel uses ``gamma="scale"``); regression adds ``epsilon`` (log).
    """

    model: ClassVar[str] = "svm"
    max_solver_iter: ClassVar[int] = 50_000

    def _build_space(self) -> dict[str, Hyperparameter]:
        space: dict[str, Hyperparameter] = {
            "kernel": Categorical(["linear", "rbf", "poly", "sigmoid"]),
            "C": Float(1e-3, 1e3, log=True),
            "gamma": Float(1e-4, 1.0, log=True, active_if={"kernel": ["rbf", "poly"]}),
            "degree": Int(2, 5, active_if={"kernel": "poly"}),
            "coef0": Float(0.0, 1.0, active_if={"kernel": ["poly", "sigmoid"]}),
        }
        if not self.classification:
            space["epsilon"] = Float(1e-3, 1.0, log=True)
        return space

    def _build(self, config: Config, seed: int, budget: float | None) -> Any:
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn.svm import SVC, SVR

        params: dict[str, Any] = {
            "kernel": config["kernel"],
            "C": config["C"],
            "gamma": config.get("gamma", "scale"),
            "degree": config.get("degree", 3),
            "coef0": config.get("coef0", 0.0),
            "max_iter": self.max_solver_iter,
        }
        if self.classification:
            estimator: Any = SVC(random_state=seed, **params)
        else:
            estimator = SVR(epsilon=config["epsilon"], **params)
        return make_pipeline(StandardScaler(), estimator)


class MLPTask(TuningTask):
    """A small multi-layer perceptron (``MLPClassifier``/``MLPRegressor``, Adam).

    One or two hidden layers (the second layer's width is active only with two), the
    activation, L2 penalty ``alpha`` and the initial learning rate (log), and the batch
    size (log). Training runs :attr:`epochs` epochs at most, without early stopping, on
    standardized features.
    """

    model: ClassVar[str] = "mlp"
    epochs: ClassVar[int] = 30

    def _build_space(self) -> dict[str, Hyperparameter]:
        return {
            "n_layers": Int(1, 2),
            "units_1": Int(8, 128, log=True),
            "units_2": Int(8, 128, log=True, active_if={"n_layers": 2}),
            "activation": Categorical(["relu", "tanh", "logistic"]),
            "alpha": Float(1e-6, 1e-1, log=True),
            "learning_rate_init": Float(1e-4, 1e-1, log=True),
            "batch_size": Int(16, 256, log=True),
        }

    def _build(self, config: Config, seed: int, budget: float | None) -> Any:
        from sklearn.neural_network import MLPClassifier, MLPRegressor
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        layers = tuple(config[f"units_{i + 1}"] for i in range(config["n_layers"]))
        cls = MLPClassifier if self.classification else MLPRegressor
        estimator = cls(
            hidden_layer_sizes=layers,
            activation=config["activation"],
            alpha=config["alpha"],
            learning_rate_init=config["learning_rate_init"],
            batch_size=config["batch_size"],
            max_iter=int(budget) if budget is not None else self.epochs,
            early_stopping=False,
            random_state=seed,
        )
        return make_pipeline(StandardScaler(), estimator)


ML_TASKS: dict[str, type[TuningTask]] = {cls.model: cls for cls in (HGBTask, SVMTask, MLPTask)}
"""The single-fidelity tuning tasks by model name."""

