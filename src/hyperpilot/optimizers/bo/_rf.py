"""A random-forest surrogate with the law-of-total-variance uncertainty."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers.bo._surrogate import Surrogate

_INACTIVE = -1.0


@dataclass(frozen=True)
class TreePartition:
    """The leaves of one fitted tree as axis-aligned boxes with constant predictions.

    Leaf ``l`` holds the points ``x`` with ``lower[l, j] < x[j] <= upper[l, j]`` for every
    column ``j`` (bounds a tree never split are ``-inf`` and ``+inf``) and predicts
    ``value[l]``. Inactive entries sit at -1, as the forest sees them. ``node[l]`` is the
    leaf's node id in the scikit-learn tree (what ``tree.apply`` returns).
    """

    lower: np.ndarray
    upper: np.ndarray
    value: np.ndarray
    node: np.ndarray


class RandomForest(Surrogate):
    """Random forest of scikit-learn regression trees, with a predictive variance.

    **Inputs.** Rows encoded as :meth:`hyperpilot.Space.encode` writes them. Inactive
    entries (NaN) are replaced by -1, outside the unit range, so a tree can split on
    whether a hyperparameter is active. Categorical columns stay at their bin centres
    ``(i + 0.5) / k``; a tree separates any subset of choices in a few splits, so no
    one-hot encoding is needed (``cardinalities`` is accepted for the interface only).

    **Trees.** ``n_trees`` :class:`sklearn.tree.DecisionTreeRegressor` s (squared error).
    With ``bootstrap`` each tree sees a bootstrap sample of the training rows, given as
    integer sample weights; without it, every row once. At each node a tree considers
    ``max(1, ceil(max_features * d))`` randomly chosen columns (so with five columns or
    fewer and the default ratio, all of them); ``splitter="random"`` draws one random
    threshold per column and keeps the best of those (extremely randomized splits, as
    SMAC 2.x), ``"best"`` searches every threshold. A leaf holds at
    least ``min_samples_leaf`` distinct training rows; ``max_depth`` bounds the depth.

    **Prediction.** Tree ``t`` puts a point in leaf ``l_t(x)`` whose training targets (the
    bootstrap sample, with multiplicities) have mean ``m_t`` and variance ``v_t``. The
    forest predicts

    * mean ``mu(x) = mean_t m_t``,
    * variance ``sigma^2(x) = mean_t v_t + var_t m_t``: the law of total variance over a
      mixture that picks a tree uniformly and then a training target of the leaf. The
      first term (within-leaf spread) keeps the uncertainty honest where all trees agree
      on a coarse leaf; the second (disagreement between trees) grows away from data.
      SMAC keeps only the second. Trees grown to ``min_samples_leaf=1`` have pure leaves,
      so the first term then only counts repeated configurations with different results
      (noise); with larger leaves it also covers the spread that a coarse leaf averages.
      In our 50-evaluation benchmark runs (Branin, Hartmann-6, Rosenbrock-5, Ackley-8, a
      conditional mixed space; EI; 10 to 20 seeds), random splits with leaves of 1 beat leaves
      of 2 and 3 and the ``"best"`` splitter, and 20 trees did no better than 10.

    The variance is floored at ``min_variance`` times the variance of the training targets
    (or at ``min_variance`` itself when the targets are all equal).

    The per-leaf means and variances are computed once at fit time with ``np.bincount``
    over ``tree.apply(X_train)``; predicting is one ``apply`` per tree and a table lookup,
    called directly on each tree (no joblib), on a float32 copy of the input made once.

    **Randomness.** Bootstrap samples and the trees' random states come from
    ``np.random.default_rng(seed)`` created afresh at every fit, so with a fixed seed the
    same data give the same forest; ``seed=None`` gives a different forest each fit.

    Args:
        n_trees: number of trees.
        max_features: fraction of the columns considered at each split.
        min_samples_leaf: fewest distinct training rows in a leaf.
        min_samples_split: fewest rows a node needs to be split.
        max_depth: the deepest a tree may grow (``None``: unbounded).
        bootstrap: fit each tree on a bootstrap sample.
        splitter: ``"random"`` thresholds or the ``"best"`` ones.
        min_variance: variance floor, relative to the variance of the training targets.
        seed: seed of the forest's randomness.

    """

    def __init__(
        self,
        *,
        n_trees: int = 10,
        max_features: float = 5 / 6,
        min_samples_leaf: int = 1,
        min_samples_split: int = 2,
        max_depth: int | None = None,
        bootstrap: bool = True,
        splitter: Literal["random", "best"] = "random",
        min_variance: float = 1e-6,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        self.n_trees = n_trees
        self.max_features = max_features
        self.min_samples_leaf = min_samples_leaf
        self.min_samples_split = min_samples_split
        self.max_depth = max_depth
        self.bootstrap = bootstrap
        self.splitter = splitter
        self.min_variance = min_variance
        self.seed = seed
        self._trees: list[Any] = []
        self._leaf_mean: list[np.ndarray] = []
        self._leaf_var: list[np.ndarray] = []
        self._floor = 0.0
        self._offset = 0.0

    @property
    def estimators(self) -> list[Any]:
        """The fitted trees (empty before :meth:`fit`)."""
        return list(self._trees)

    def partitions(self) -> list[TreePartition]:
        """Each fitted tree's leaves as boxes with their predicted values (empty before fit).

        The boxes of one tree tile the whole input space, and the forest's mean prediction
        is the average over trees of the value of the box that holds the point, so a
        functional ANOVA can integrate the forest exactly over any bounded region.
        """
        return [self._partition(t) for t in range(len(self._trees))]

    def _partition(self, t: int) -> TreePartition:
        tree = self._trees[t].tree_
        left, right = tree.children_left, tree.children_right
        feature, threshold = tree.feature, tree.threshold
        size, d = tree.node_count, int(tree.n_features)
        lower = np.full((size, d), -np.inf)
        upper = np.full((size, d), np.inf)
        # one level at a time: a child's box is its parent's, cut at the parent's threshold
        level = np.array([0])
        while level.size:
            split = level[left[level] >= 0]
            if split.size == 0:
                break
            j, cut = feature[split], threshold[split]
            kids = []
            for child, bound in ((left[split], upper), (right[split], lower)):
                lower[child] = lower[split]
                upper[child] = upper[split]
                bound[child, j] = cut
                kids.append(child)
            level = np.concatenate(kids)
        leaves = np.flatnonzero(left < 0)
        return TreePartition(lower=lower[leaves], upper=upper[leaves],
                             value=self._leaf_mean[t][leaves] + self._offset, node=leaves)

    def _check_settings(self) -> None:
        problems = []
        if not isinstance(self.n_trees, int) or self.n_trees < 1:
            problems.append(f"n_trees must be a positive integer, got {self.n_trees!r}")
        if not 0.0 < float(self.max_features) <= 1.0:
            problems.append(f"max_features must lie in (0, 1], got {self.max_features!r}")
        if not isinstance(self.min_samples_leaf, int) or self.min_samples_leaf < 1:
            problems.append(
                f"min_samples_leaf must be a positive integer, got {self.min_samples_leaf!r}"
            )
        if self.splitter not in ("random", "best"):
            problems.append(f"splitter must be 'random' or 'best', got {self.splitter!r}")
        if not self.min_variance >= 0.0:
            problems.append(f"min_variance must be >= 0, got {self.min_variance!r}")
        if problems:
            raise OptimizerError(f"RandomForest: {problems[0]}")

    @staticmethod
    def _prepare(X: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.where(np.isnan(X), _INACTIVE, X), dtype=np.float32)

    def _fit(self, X: np.ndarray, y: np.ndarray, cardinalities: np.ndarray) -> None:
        import sklearn
        from sklearn.tree import DecisionTreeRegressor

        self._check_settings()
        rng = np.random.default_rng(self.seed)
        X32 = self._prepare(X)
        y = np.ascontiguousarray(y, dtype=np.float64)
        n = y.shape[0]
        spread = float(np.var(y))
        self._floor = self.min_variance * spread if spread > 0.0 else self.min_variance
        offset = float(np.mean(y))
        self._offset = offset
        centred = y - offset
        self._trees, self._leaf_mean, self._leaf_var = [], [], []
        # one RandomState shared by the trees (seeding one per tree costs more than a
        # small tree's fit); settings are checked above, so sklearn's checks are skipped
        tree_rng = np.random.RandomState(int(rng.integers(2**31 - 1)))
        features = max(1, math.ceil(float(self.max_features) * X.shape[1]))
        with sklearn.config_context(skip_parameter_validation=True):
            for _ in range(self.n_trees):
                if self.bootstrap:
                    weight = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
                else:
                    weight = np.ones(n)
                tree = DecisionTreeRegressor(
                    splitter=self.splitter,
                    max_features=features,
                    min_samples_leaf=self.min_samples_leaf,
                    min_samples_split=max(self.min_samples_split, 2),
                    max_depth=self.max_depth,
                    random_state=tree_rng,
                )
                tree.fit(X32, centred, sample_weight=weight, check_input=False)
                self._add_tree(tree, X32, centred, weight)

    def _add_tree(
        self, tree: Any, X32: np.ndarray, centred: np.ndarray, weight: np.ndarray
    ) -> None:
        """Store a fitted tree with the weighted mean and variance of every leaf."""
        leaf = tree.tree_.apply(X32)
        size = tree.tree_.node_count
        total = np.bincount(leaf, weight, minlength=size)
        safe = np.where(total > 0.0, total, 1.0)
        mean = np.bincount(leaf, weight * centred, minlength=size) / safe
        resid = centred - mean[leaf]
        var = np.bincount(leaf, weight * resid * resid, minlength=size) / safe
        self._trees.append(tree)
        self._leaf_mean.append(mean)
        self._leaf_var.append(np.maximum(var, 0.0))

    def _predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        X32 = self._prepare(X)
        n = X32.shape[0]
        first = np.zeros(n)
        second = np.zeros(n)
        within = np.zeros(n)
        for t, tree in enumerate(self._trees):
            # the fitted Tree's own apply: the estimator's adds input checks that cost
            # more than the lookup on the few hundred rows of a search step
            leaf = tree.tree_.apply(X32)
            m = self._leaf_mean[t][leaf]
            first += m
            second += m * m
            within += self._leaf_var[t][leaf]
        k = len(self._trees)
        mean = first / k
        between = np.maximum(second / k - mean * mean, 0.0)
        return mean + self._offset, np.maximum(within / k + between, self._floor)

    def to_config(self) -> dict[str, Any]:
        """Describe the forest's settings (stored with the study)."""
        return {
            "name": type(self).__name__,
            "n_trees": self.n_trees,
            "max_features": self.max_features,
            "min_samples_leaf": self.min_samples_leaf,
            "min_samples_split": self.min_samples_split,
            "max_depth": self.max_depth,
            "bootstrap": self.bootstrap,
            "splitter": self.splitter,
            "min_variance": self.min_variance,
            "seed": self.seed,
        }
