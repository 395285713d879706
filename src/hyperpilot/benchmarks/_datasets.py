"""The data sets of the tuning tasks: loading, the held-out test split, and CV folds.

Every data set ships inside scikit-learn, so nothing is downloaded. Each is split once into
a *train part* and a held-out *test split* (25 %, stratified for classification) with a
seed fixed per data set: no optimizer ever sees the test split, whatever its tuning seed.
Cross-validation folds are drawn inside the train part from the *tuning* seed.

Loaded data are cached per process; a problem object only stores the data set's name, so
it pickles cheaply into worker processes.
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from hyperpilot.exceptions import BenchmarkError, require

Task = Literal["classification", "regression"]

DATASETS: dict[str, Task] = {
    "breast_cancer": "classification",
    "digits": "classification",
    "wine": "classification",
    "diabetes": "regression",
}
"""The data sets the tuning tasks can use, with their task type."""

TEST_FRACTION = 0.25
"""Share of each data set held out as the test split."""

SEED_MODULUS = 2**32
"""Seeds handed to scikit-learn and numpy are reduced modulo this number."""


def check_dataset(name: str) -> Task:
    """Return the task type of data set *name*; raise ``ValueError`` for an unknown name."""
    if name not in DATASETS:
        raise BenchmarkError(f"unknown data set {name!r}; expected one of {sorted(DATASETS)}")
    return DATASETS[name]


def split_seed(name: str) -> int:
    """The fixed seed of the train/test split of data set *name* (stable across runs)."""
    return zlib.crc32(f"hyperpilot-test-split:{name}".encode())


@dataclass(frozen=True, eq=False)
class Data:
    """A data set split into its train part and its held-out test split.

    Attributes:
        name: the data set's name.
        task: ``"classification"`` or ``"regression"``.
        X: all features, shape ``(n, d)``.
        y: all targets; regression targets are standardized with the train part's mean
            and standard deviation (the test split plays no part in them).
        train: indices of the train part into ``X``/``y`` (sorted).
        test: indices of the test split into ``X``/``y`` (sorted).

    """

    name: str
    task: Task
    X: np.ndarray
    y: np.ndarray
    train: np.ndarray
    test: np.ndarray

    @property
    def classification(self) -> bool:
        """Whether the task is classification."""
        return self.task == "classification"

    def cv_folds(self, seed: int, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Split the train part into *k* folds drawn from the tuning *seed*.

        Returns:
            ``(fit, validation)`` index pairs into ``X``/``y``; stratified for
            classification. The test split is never part of them.

        """
        from sklearn.model_selection import KFold, StratifiedKFold

        cv: Any
        rs = seed % SEED_MODULUS
        if self.classification:
            cv = StratifiedKFold(n_splits=k, shuffle=True, random_state=rs)
        else:
            cv = KFold(n_splits=k, shuffle=True, random_state=rs)
        y = self.y[self.train]
        return [(self.train[a], self.train[b]) for a, b in cv.split(np.zeros(len(y)), y)]


def subsample(indices: np.ndarray, y: np.ndarray, fraction: float, seed: int,
              classification: bool) -> np.ndarray:
    """Keep a *fraction* of *indices*, nested in *fraction* for a fixed *seed*.

    The kept indices of a smaller fraction are a subset of those of a larger one (what
    multi-fidelity optimizers expect). Classification keeps the class proportions and at
    least two samples of every class.
    """
    if fraction >= 1.0:
        return indices
    rng = np.random.default_rng(seed % SEED_MODULUS)
    if not classification:
        n = max(2, int(np.ceil(fraction * len(indices))))
        return np.sort(indices[rng.permutation(len(indices))[:n]])
    labels = y[indices]
    keep: list[np.ndarray] = []
    for label in np.unique(labels):
        members = indices[labels == label]
        n = min(len(members), max(2, int(np.ceil(fraction * len(members)))))
        keep.append(members[rng.permutation(len(members))[:n]])
    return np.sort(np.concatenate(keep))


@functools.cache
def load(name: str) -> Data:
    """Load data set *name* and split it; cached per process.

    Raises:
        MissingDependencyError: when scikit-learn is not installed.

    """
    task = check_dataset(name)
    require("sklearn", "bench")
    from sklearn import datasets
    from sklearn.model_selection import train_test_split

    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    X = np.ascontiguousarray(X, dtype=np.float64)
    index = np.arange(len(y))
    train, test = train_test_split(
        index, test_size=TEST_FRACTION, random_state=split_seed(name),
        stratify=y if task == "classification" else None,
    )
    train, test = np.sort(train), np.sort(test)
    if task == "regression":
        mean, std = float(np.mean(y[train])), float(np.std(y[train]))
        y = (np.asarray(y, dtype=np.float64) - mean) / std
    for array in (X, y, train, test):
        array.setflags(write=False)
    return Data(name=name, task=task, X=X, y=y, train=train, test=test)
