"""The explanation surrogate: the BO random forest fitted on all the trials, and its fit.

**Inactive values.** A configuration leaves out the hyperparameters its conditions switch
off. For the forest, each inactive entry is replaced by a uniform random value of its
column (snapped to a valid encoding, drawn from the surrogate's seed), not by the BO
forest's -1. Since an inactive hyperparameter has no effect on the objective, the forest
learns a function on the whole unit cube that ignores a hyperparameter wherever its
parents switch it off. Every point of the cube is then the encoding of a real
configuration (decode it and drop the inactive values: that is how random search samples),
so the functional ANOVA over the cube is the variance decomposition under uniform sampling
of the space, with no region of impossible configurations whose predictions would be
extrapolations. Predictions for rows with inactive entries read them at 0.5 (snapped),
which the forest has learnt not to matter. Forbidden combinations are part of the cube.

**Categoricals.** Before the trees see them, the choices of each categorical are ranked by
their mean target on the training trials (choices without trials take the overall mean):
for a squared-error tree the best split of a categorical's choices into two groups is then
one of the k - 1 splits of that order (Breiman et al., *Classification and Regression
Trees*, 1984), so a tree separates, say, the middle choices from both ends in one split
instead of two. Each choice still owns 1/k of its column, so volumes are unchanged.

**Partitions.** :meth:`ExplanationForest.boxes` gives each tree's leaves as boxes in the
unit cube: bounds clipped to [0, 1], and the thresholds of integer, ordinal and
categorical columns moved to the edge between the two values they separate. A box's
volume is then exactly the probability that uniform sampling lands in it, and a
categorical column stays one column whose choices own equal intervals (no one-hot
product).

**Fit.** :func:`surrogate_fit` cross-validates the forest (k-fold, shuffled with the
seed) and reports the R² and the Spearman rank correlation of the held-out predictions:
how much of the variation between trials the forest explains, and how well it orders
them.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np

from hyperpilot.analysis._data import AnalysisData
from hyperpilot.optimizers.bo._rf import RandomForest, TreePartition
from hyperpilot.space._params import Hyperparameter, Int, _Choice
from hyperpilot.space._space import Space
from hyperpilot.space._vectorized import VectorSpace

_PREDICT_INACTIVE = 0.5


@dataclass(frozen=True)
class ForestSettings:
    """How the explanation forest is grown (see :class:`ExplanationForest`)."""

    n_trees: int = 16
    min_samples_leaf: int = 3
    max_features: float = 0.8
    seed: int = 0


class ExplanationForest:
    """The BO :class:`~hyperpilot.optimizers.bo._rf.RandomForest`, set up to explain.

    Trees search the best threshold of each considered column (``splitter="best"``), on
    bootstrap samples, considering 80 % of the columns at each split, with leaves of at
    least three trials: on the known-answer functions of the tests this gives shares closer
    to the truth than the BO forest's random thresholds, whose trees each fit less well.
    Inactive entries and categorical choices are handled as the module describes; the
    boxes of :meth:`boxes` are in the trees' coordinates (choices in their ranked order).

    Args:
        space: the search space of the rows.
        settings: number of trees, leaf size, column share and seed.

    """

    def __init__(self, space: Space, settings: ForestSettings = ForestSettings()) -> None:
        self.space = space
        self.settings = settings
        self.vector_space = VectorSpace(space)
        self._forest = RandomForest(
            n_trees=settings.n_trees, max_features=settings.max_features,
            min_samples_leaf=settings.min_samples_leaf, splitter="best", bootstrap=True,
            seed=settings.seed,
        )
        self._ranks: dict[int, np.ndarray] = {}
        self._partitions: list[TreePartition] = []

    # ------------------------------------------------------------------ rows
    def impute(self, X: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """Rows with inactive (NaN) entries filled: random values with *rng*, else 0.5."""
        X = np.array(X, dtype=float, ndmin=2)  # always a copy
        empty = np.isnan(X)
        if not empty.any():
            return X
        fill = rng.random(X.shape) if rng is not None else np.full(X.shape, _PREDICT_INACTIVE)
        out: np.ndarray = self.vector_space.snap(np.where(empty, fill, X))
        return out

    def _order_choices(self, X: np.ndarray, y: np.ndarray) -> None:
        """Rank each categorical's choices by their mean target (unseen ones: the mean)."""
        self._ranks = {}
        for j in np.flatnonzero(self.vector_space.is_categorical):
            k = int(self.vector_space.n_values[j])
            if k < 3:  # two choices: one split separates them in either order
                continue
            index = np.minimum(np.floor(X[:, j] * k), k - 1).astype(int)
            count = np.bincount(index, minlength=k)
            total = np.bincount(index, y, minlength=k)
            means = np.where(count > 0, total / np.maximum(count, 1), float(y.mean()))
            self._ranks[int(j)] = np.argsort(np.argsort(means, kind="stable"), kind="stable")

    def _rows(self, X: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """Encoded rows as the trees see them: imputed, categoricals in their ranked order."""
        rows = self.impute(X, rng)  # a copy
        for j, rank in self._ranks.items():
            k = rank.size
            index = np.minimum(np.floor(rows[:, j] * k), k - 1).astype(int)
            rows[:, j] = (rank[index] + 0.5) / k
        return rows

    # ------------------------------------------------------------------ model
    def fit(self, X: np.ndarray, y: np.ndarray) -> ExplanationForest:
        """Fit to encoded rows *X* (NaN inactive) and targets *y*; returns ``self``."""
        rng = np.random.default_rng([self.settings.seed, 1])
        y = np.asarray(y, dtype=float)
        filled = self.impute(X, rng)
        self._order_choices(filled, y)
        self._forest.fit(self._rows(filled), y, np.zeros(filled.shape[1], dtype=int))
        self._partitions = self._forest.partitions()
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The forest's mean prediction for encoded rows (NaN inactive)."""
        mean, _ = self._forest.predict(self._rows(X))
        return mean

    def predict_trees(self, X: np.ndarray) -> np.ndarray:
        """Every tree's prediction, shape (n_trees, n rows)."""
        rows = np.ascontiguousarray(self._rows(X), dtype=np.float32)
        out = []
        for tree, part in zip(self._forest.estimators, self._partitions, strict=True):
            by_node = np.zeros(tree.tree_.node_count)
            by_node[part.node] = part.value
            out.append(by_node[tree.tree_.apply(rows)])
        return np.array(out)

    def boxes(self) -> list[TreePartition]:
        """Each tree's leaves as boxes in the unit cube (see the module's description)."""
        snaps = [(j, _edges(self.space[name])) for j, name in enumerate(self.space.names)]
        out = []
        for part in self._partitions:
            lower = np.clip(part.lower, 0.0, 1.0)
            upper = np.clip(part.upper, 0.0, 1.0)
            for j, edge in snaps:
                if edge is not None:
                    lower[:, j] = edge(lower[:, j])
                    upper[:, j] = edge(upper[:, j])
            keep = np.all(upper > lower, axis=1)
            out.append(TreePartition(lower=lower[keep], upper=upper[keep],
                                     value=part.value[keep], node=part.node[keep]))
        return out


def _edges(param: Hyperparameter) -> Callable[[np.ndarray], np.ndarray] | None:
    """A map from thresholds to the edge between the values they separate, or ``None``.

    Only discrete hyperparameters have one; a float's thresholds stay where they are.
    """
    if isinstance(param, _Choice):
        k = len(param.choices)
    elif isinstance(param, Int):
        if param.log:
            return _log_int_edges(param)
        k = int(param.high) - int(param.low) + 1
    else:
        return None

    def equal_bins(t: np.ndarray) -> np.ndarray:
        # k values own equal bins centred at (i + 0.5) / k; count the centres below t
        below = np.clip(np.floor(t * k - 0.5) + 1.0, 0.0, k)
        out: np.ndarray = np.where((t <= 0.0) | (t >= 1.0), t, below / k)
        return out

    return equal_bins


def _log_int_edges(param: Int) -> Callable[[np.ndarray], np.ndarray]:
    """Integers on a log scale: ``v`` decodes from ``[log(v - 0.5), log(v + 0.5))``."""
    low, high = int(param.low), int(param.high)
    u_low, u_high = param.to_unit(low), param.to_unit(high)
    scale = (math.log(high) - math.log(low)) / (u_high - u_low)
    origin = math.log(low) - u_low * scale

    def log_bins(t: np.ndarray) -> np.ndarray:
        value = np.floor(np.exp(origin + np.clip(t, 0.0, 1.0) * scale))  # centres below t
        edge = (np.log(np.maximum(value, 1.0) + 0.5) - origin) / scale
        edge = np.where(value < low, 0.0, np.where(value >= high, 1.0, edge))
        out: np.ndarray = np.where((t <= 0.0) | (t >= 1.0), t, np.clip(edge, 0.0, 1.0))
        return out

    return log_bins


@dataclass(frozen=True)
class SurrogateFit:
    """A fitted explanation forest with its cross-validated fit.

    Attributes:
        forest: fitted on every trial of the data.
        cv_r2: R² of the held-out predictions (NaN when the targets are all equal).
        spearman: Spearman rank correlation of the held-out predictions (NaN likewise).
        n_folds: the number of folds.

    """

    forest: ExplanationForest
    cv_r2: float
    spearman: float
    n_folds: int


def cross_validate(data: AnalysisData, settings: ForestSettings,
                   n_folds: int = 5) -> tuple[float, float]:
    """R² and Spearman correlation of k-fold held-out predictions of the forest."""
    from scipy.stats import spearmanr
    from sklearn.metrics import r2_score
    from sklearn.model_selection import KFold

    y = data.y
    n_folds = min(n_folds, data.n // 2)
    if n_folds < 2 or float(np.ptp(y)) == 0.0:
        return math.nan, math.nan
    held = np.empty_like(y)
    splitter = KFold(n_splits=n_folds, shuffle=True, random_state=settings.seed)
    for k, (train, test) in enumerate(splitter.split(data.X)):
        fold = ForestSettings(n_trees=settings.n_trees, min_samples_leaf=settings.min_samples_leaf,
                              max_features=settings.max_features, seed=settings.seed + 1 + k)
        model = ExplanationForest(data.space, fold).fit(data.X[train], y[train])
        held[test] = model.predict(data.X[test])
    r2 = float(r2_score(y, held))
    rho = float(spearmanr(y, held).statistic) if float(np.ptp(held)) > 0.0 else 0.0
    return r2, rho


_CACHE: OrderedDict[Hashable, SurrogateFit] = OrderedDict()
_CACHE_SIZE = 8
_LOCK = threading.Lock()


def surrogate_fit(data: AnalysisData, settings: ForestSettings = ForestSettings(),
                  n_folds: int = 5) -> SurrogateFit:
    """The forest fitted on *data* and its cross-validated fit (the last few are reused).

    Analyses of the same data with the same settings (fANOVA, LPI, ablation, the trust
    columns of PED-ANOVA) share one fit.
    """
    key = (data.key, settings, n_folds)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    forest = ExplanationForest(data.space, settings).fit(data.X, data.y)
    r2, rho = cross_validate(data, settings, n_folds)
    fit = SurrogateFit(forest=forest, cv_r2=r2, spearman=rho, n_folds=n_folds)
    with _LOCK:
        _CACHE[key] = fit
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return fit
