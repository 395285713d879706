"""Pruners: stopping rules for single training runs, usable with any optimizer.

An optimizer answers ``trial.should_stop()`` through :meth:`Optimizer.should_prune`
(ASHA's rungs are one such rule). A :class:`Pruner` is a rule on its own, and
:class:`Pruned` gives it to any optimizer: the wrapped optimizer proposes, and a trial
stops when the optimizer's own rule or the pruner says so. Because the pair is one
:class:`Optimizer`, the pruner reaches every place a pruning rule already goes — the loop,
isolated children, process-pool and Dask workers (pickled with the optimizer) — with no
other seam. A study asks for it in the optimizer's description:
``optimizer={"name": "bo", "pruner": "median"}`` or ``{"name": "random", "pruner":
{"name": "median", "n_startup": 3}}`` (for learning curves); ``"pruner": "wilcoxon"`` for
objectives averaged over folds or instances; :func:`~hyperpilot.make_optimizer` builds the pair
and its ``to_config()`` gives that mapping back, so a reopened study has the same pruner.
(This module imports only the optimizer base; the registry imports it, so no circle.)
"""

from __future__ import annotations

import statistics
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from hyperpilot._describe import Describable
from hyperpilot._pareto import violation
from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers._asha import value_at
from hyperpilot.optimizers._base import History, Optimizer, Proposal
from hyperpilot.trial._trial import Step, Trial, TrialState


class Pruner(Describable, ABC):
    """A stopping rule for running trials. Subclasses set :attr:`name` and write the rule."""

    name: ClassVar[str] = ""

    def config_name(self) -> str:
        """The name :func:`make_pruner` understands."""
        return self.name

    @abstractmethod
    def should_prune(self, history: History, trial: Trial, curve: Mapping[Step, float]) -> bool:
        """Whether the running *trial*, whose learning curve is *curve*, should stop now.

        Same contract as :meth:`Optimizer.should_prune`: the other trials' curves are in
        ``history.intermediate``; change neither.
        """


class MedianPruner(Pruner):
    """Median stopping (Golovin et al., KDD 2017, "Google Vizier"), on reported values.

    A trial whose last reported step is ``s`` stops when its value there is worse (in the
    first objective's direction) than the median of the complete trials' values at ``s``
    — each one's value at the last step it reported not past ``s``; trials that had not
    reached ``s`` do not count. It decides only once ``n_startup`` trials have completed,
    at steps ``s >= n_warmup``, and with at least one complete trial reaching ``s``.
    Only complete trials make the median (as in the paper), so pruned runs, which stop
    while still poor, do not pull it down. A learning curve holds one number per step:
    in a study with several objectives it is read as the first objective's (report that
    one), and the rule is the same.

    Args:
        n_startup: complete trials needed before any trial is stopped.
        n_warmup: steps before which a trial is never stopped.

    """

    name = "median"

    def __init__(self, *, n_startup: int = 5, n_warmup: float = 0) -> None:
        if isinstance(n_startup, bool) or not isinstance(n_startup, int) or n_startup < 1:
            raise OptimizerError(f"median pruner: n_startup must be an integer >= 1, "
                                 f"got {n_startup!r}")
        if isinstance(n_warmup, bool) or not isinstance(n_warmup, (int, float)) \
                or not n_warmup >= 0:
            raise OptimizerError(f"median pruner: n_warmup must be a number >= 0, "
                                 f"got {n_warmup!r}")
        self.n_startup = n_startup
        self.n_warmup = n_warmup

    def should_prune(self, history: History, trial: Trial, curve: Mapping[Step, float]) -> bool:
        """Stop *trial* when its last value is worse than the complete trials' median."""
        if not curve:
            return False
        step = max(curve)
        if step < self.n_warmup:
            return False
        complete = [t.id for t in history.all_trials
                    if t.state == TrialState.COMPLETE and t.id != trial.id]
        if len(complete) < self.n_startup:
            return False
        curves = history.intermediate
        others = [v for tid in complete
                  if (other := curves.get(tid)) and (v := value_at(other, step)) is not None]
        if not others:
            return False
        sign = history.objectives[0].sign
        median = statistics.median(sign * v for v in others)
        return bool(sign * curve[step] > median)


class WilcoxonPruner(Pruner):
    """Stop a trial that is significantly worse than the best one, fold by fold.

    For objectives that are a mean over folds, instances or seeds: the objective reports
    one value per fold, with the fold's index (or any fixed number naming the instance)
    as the step — ``trial.report(fold, score)`` — so that equal steps mean the same fold
    in every trial. Steps must increase, so every trial visits the folds in one order.

    **The comparison.** At each report, the trial's values are paired with those of the
    *best trial* on the steps both reported; the best trial is the complete trial that
    ``study.best_trial`` would name among those that reported values (highest budget,
    then least constraint violation, then the first objective's final value, then the
    lower trial number; not the trial itself, nor one a user excluded). The differences
    ``d = sign · (mine - best)`` are positive where this trial is worse, ``sign`` being
    the first objective's (+1 to minimize, -1 to maximize; in a study with several
    objectives, too: report the first objective's values). The trial stops when a
    one-sided Wilcoxon signed-rank test (``scipy.stats.wilcoxon``, alternative
    "greater") gives a p-value below ``p``, which needs all of:

    * at least ``min_steps`` paired steps;
    * a positive mean of ``d``: a trial that is not worse on average over the paired
      steps is never stopped, whatever the ranks say;
    * some non-zero difference. Values equal up to rounding (relative ``1e-12``) are
      zero differences, and the test runs on the others only (Wilcoxon's own
      convention): a fold on which the trial ties the best says nothing about which one
      is better, so a trial that equals the best everywhere is never stopped, and one
      that ties on some folds is judged on the rest. Equal magnitudes share their mean
      rank; scipy gives the exact p-value for up to 50 differences without such ties,
      and else a permutation or normal approximation.

    Without a best trial (no complete trial reported values yet) it never stops a trial.
    With ``p = 0.1`` the one-sided test cannot stop a trial before 4 paired steps (its
    smallest p-values are 0.125 with 3 pairs and 0.0625 with 4).

    Args:
        p: the significance level: stop when the p-value is below it (in ``(0, 1)``).
        min_steps: paired steps needed before any trial is stopped (an integer >= 1).

    """

    name = "wilcoxon"

    def __init__(self, *, p: float = 0.1, min_steps: int = 4) -> None:
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 < p < 1:
            raise OptimizerError(f"wilcoxon pruner: p must be a number in (0, 1), got {p!r}")
        if isinstance(min_steps, bool) or not isinstance(min_steps, int) or min_steps < 1:
            raise OptimizerError(f"wilcoxon pruner: min_steps must be an integer >= 1, "
                                 f"got {min_steps!r}")
        self.p = p
        self.min_steps = min_steps

    def should_prune(self, history: History, trial: Trial, curve: Mapping[Step, float]) -> bool:
        """Stop *trial* when it is significantly worse than the best trial on shared steps."""
        if len(curve) < self.min_steps:
            return False
        best = self.best_curve(history, trial)
        steps = [step for step in curve if step in best]
        if len(steps) < self.min_steps:
            return False
        mine = np.array([curve[step] for step in steps], dtype=float)
        theirs = np.array([best[step] for step in steps], dtype=float)
        diff = history.objectives[0].sign * (mine - theirs)
        diff[np.isclose(mine, theirs, rtol=1e-12, atol=0.0)] = 0.0
        nonzero = diff[diff != 0]
        if not nonzero.size or diff.mean() <= 0:
            return False
        from scipy.stats import wilcoxon  # scipy.stats loads only when a test is run

        result = wilcoxon(nonzero, alternative="greater")
        return bool(result.pvalue < self.p)

    @staticmethod
    def best_curve(history: History, trial: Trial) -> Mapping[Step, float]:
        """The curve of the best complete trial other than *trial* (see the class doc).

        Empty when no complete trial other than *trial* reported values.
        """
        objective = history.objectives[0]
        curves = history.intermediate
        excluded = history.steering.excluded
        top = history.fidelity.max if history.fidelity is not None else 0.0
        best: tuple[float, float, float, int] | None = None
        best_id = None
        for other in history.all_trials:
            if (other.state != TrialState.COMPLETE or other.id == trial.id
                    or other.number in excluded or not curves.get(other.id)):
                continue
            value = (other.values or {}).get(objective.name)
            if value is None:
                continue
            key = (-(top if other.budget is None else other.budget),
                   violation(other.constraints, history.constraints),
                   objective.sign * value, other.number)
            if best is None or key < best:
                best, best_id = key, other.id
        return {} if best_id is None else curves[best_id]


PRUNERS: dict[str, type[Pruner]] = {cls.name: cls for cls in (MedianPruner, WilcoxonPruner)}


def make_pruner(spec: str | Mapping[str, Any] | Pruner) -> Pruner:
    """Build a pruner from its name, a ``to_config()`` mapping, or pass one through.

    Raises:
        OptimizerError: for an unknown name or an argument the pruner does not take.

    """
    if isinstance(spec, Pruner):
        return spec
    if isinstance(spec, str):
        name, kwargs = spec, {}
    elif isinstance(spec, Mapping) and "name" in spec:
        name, kwargs = str(spec["name"]), {k: v for k, v in spec.items() if k != "name"}
    else:
        raise OptimizerError(f"pruner must be a name, a mapping with a 'name', or a Pruner; "
                             f"got {spec!r}")
    if name not in PRUNERS:
        raise OptimizerError(f"unknown pruner {name!r}; available: {sorted(PRUNERS)}")
    try:
        return PRUNERS[name](**kwargs)
    except TypeError as exc:
        raise OptimizerError(f"pruner {name!r}: {exc}") from None


class Pruned(Optimizer):
    """*optimizer* proposing, with *pruner* stopping runs too (see the module doc).

    Args:
        optimizer: the optimizer that proposes; its own pruning rule, if any, still holds.
        pruner: a pruner, its name (``"median"``, ``"wilcoxon"``) or its description.

    """

    name = "pruned"

    def __init__(self, *, optimizer: Optimizer,
                 pruner: str | Mapping[str, Any] | Pruner) -> None:
        if not isinstance(optimizer, Optimizer) or isinstance(optimizer, Pruned):
            raise OptimizerError(f"pruned: optimizer must be an optimizer without a pruner, "
                                 f"got {optimizer!r}")
        self.optimizer = optimizer
        self.pruner = make_pruner(pruner)

    def config_name(self) -> str:
        """The wrapped optimizer's name: the description is its own plus ``pruner``."""
        return self.optimizer.config_name()

    def to_config(self) -> dict[str, Any]:
        """The wrapped optimizer's description with ``"pruner"``: the pruner's."""
        return {**self.optimizer.to_config(), "pruner": self.pruner.to_config()}

    def _ask(self, history: History) -> Proposal:
        return self.optimizer.ask(history)

    def should_prune(self, history: History, trial: Trial, curve: Mapping[Step, float]) -> bool:
        """Stop when the wrapped optimizer's rule or the pruner says so."""
        if self.optimizer.prunes and self.optimizer.should_prune(history, trial, curve):
            return True
        return self.pruner.should_prune(history, trial, curve)

    @property
    def wants_repeats(self) -> bool:
        """The wrapped optimizer's answer."""
        return self.optimizer.wants_repeats
