"""Model-based Hyperband: Hyperband's schedule, new configurations proposed by BO.

Hyperband (``_hyperband.py``) draws each new configuration of a bracket's first rung
uniformly at random. BOHB (Falkner et al., ICML 2018) keeps the schedule and lets a model
propose them instead: the model learns from the trials of the **highest budget that has
enough complete trials** — low budgets fill up first and guide the early proposals; as
trials reach higher budgets, whose values are closer to the goal, the model moves up. A
fraction of the proposals stays uniform, so that a model misled by a poor low-budget
proxy cannot keep the search away from good regions (the paper's rho = 1/3).

Here the model is our BO engine (:class:`BayesianOptimizer`: GP or random forest, LogEI
by default, its acquisition search) rather than the paper's kernel density estimates,
as SMAC's multi-fidelity facade does. For each new configuration at rung 0:

1. With probability ``random_fraction`` (a draw from ``(seed, number)``): uniform.
2. Else, from the highest budget level down, the first level with at least
   ``min_points`` complete trials (default: the number of hyperparameters plus 2; failed
   trials also enter the model, at the worst value, but do not count) trains the model:
   its complete and failed trials are the data, its running ones kriging believers, and
   the proposal avoids every configuration any trial already has, at any budget.
3. No level has enough: uniform.

Each such proposal stores ``meta["bohb"] = {"kind": "model" | "random" | "uniform"}``,
with ``"budget"`` (the level trained on) and ``"n"`` (its complete trials) for a model
proposal, whose ``meta["bo"]`` explains the choice as BO's does. Promotions are
Hyperband's. Nothing else is kept in the object, so a study reopened elsewhere proposes
what an uninterrupted one would have.

With ``train_on="all"``, once a level has ``min_points`` complete trials, step 2 trains
one model on the complete, failed and running trials of **every** level instead, the
level an extra input: an integer column holding the level's index (0 for the lowest; the
levels are evenly spaced in log budget). The space the model searches forbids every
index but the full budget's, so the acquisition is scored and maximized at the full
budget only, and every configuration already started at any budget is avoided there. The
acquisition's incumbent is the best value at any level. The proposal stores
``meta["bohb"] = {"kind": "model", "budgets": [...], "n": ...}``: the levels with
complete trials and their count.

With ``train_on="auto"``, each model proposal chooses between the two from how well the
lower budgets have ranked configurations the way the higher ones do in this study. For
each pair of consecutive levels, the configurations with a complete trial at both (a
promoted configuration and its source) give paired values of the first objective; a pair
of levels with at least 4 of them and no constant side gives a Spearman rank correlation,
and the agreement is their mean weighted by the number of configurations. An agreement of
at least ``proxy_threshold`` trains on all levels, a lower one or none (too few
promotions yet) on the highest. The proposal's ``meta["bohb"]`` also stores ``"train_on":
"all" | "highest"`` and ``"agreement"`` (``None`` without one). The choice is made afresh
from the trials at every proposal.

**Model-based ASHA** (``"bo-asha"``) proposes ASHA's new configurations the same way and
promotes as ASHA does, never waiting for a rung: the choice of ``optimizer="auto"`` for
a study with a fidelity and several workers.

**PriorBand with a model** (``"priorband-bo"``, Mallik et al. 2023's PriorBand+BO) starts
as PriorBand (``_priorband.py``): while no budget level has ``min_points`` complete trials
every new configuration comes from its mixture of prior, incumbent and uniform draws. Once
one has, the mixture keeps its uniform weight ``p_uniform = 1 / (1 + η^r)`` for a bracket
starting at level ``r`` (a draw from ``(seed, number)``), and the prior's and incumbent's
share goes to the model, trained on that level as above. The model applies the priors as
BO does (πBO: the acquisition times the prior to the power ``β / n``, ``n`` counting the
model proposals among the trials of the level trained on; the space's priors and the
runtime priors): a prior that the data bear out keeps pulling proposals towards
it, one that the model's test rejects (DynaBO's test, as in BO) is left out and the
proposal is plain BO's. Each new configuration then stores ``meta["priorband"] = {"kind":
"uniform" | "model", "p_uniform": ..., "p_model": ...}`` (with ``"prior"``: ``"used"``,
``"rejected"`` or ``None`` for a model proposal), the ``meta["bohb"]`` and ``meta["bo"]`` of a
model proposal as above, and the Hyperband tag. Without any prior it is model-based
Hyperband whose uniform share falls with the level a bracket starts at.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers._asha import ASHA
from hyperpilot.optimizers._base import History
from hyperpilot.optimizers._hyperband import Hyperband, new_config
from hyperpilot.optimizers._priorband import META_KEY as PB_KEY
from hyperpilot.optimizers._priorband import PriorBand
from hyperpilot.optimizers.bo._bo import BayesianOptimizer
from hyperpilot.space._params import Int
from hyperpilot.space._space import Config, Space
from hyperpilot.trial._trial import Trial, TrialState

META_KEY = "bohb"
_STREAM = 0xB0B  # the random stream of the uniform-or-model draw
_PB_STREAM = 0x9BB0  # PriorBand with a model: its uniform-or-model draw
_MIN_PAIRS = 4  # configurations complete at two consecutive levels for a rank correlation


def _check_model(who: str, random_fraction: Any, min_points: Any, bo: Any) -> BayesianOptimizer:
    """Validate the model settings both model-based schedules take; return the proposer."""
    if (isinstance(random_fraction, bool) or not isinstance(random_fraction, (int, float))
            or not 0.0 <= random_fraction <= 1.0):
        raise OptimizerError(f"{who}: random_fraction must lie in [0, 1], "
                             f"got {random_fraction!r}")
    if min_points is not None and (isinstance(min_points, bool)
                                   or not isinstance(min_points, int) or min_points < 2):
        raise OptimizerError(f"{who}: min_points must be an integer >= 2 or None, "
                             f"got {min_points!r}")
    if bo is not None and not isinstance(bo, Mapping):
        raise OptimizerError(f"{who}: bo must be a mapping of BayesianOptimizer "
                             f"arguments or None, got {bo!r}")
    try:
        return BayesianOptimizer(**(bo or {}))
    except TypeError as exc:
        raise OptimizerError(f"{who}: bo: {exc}") from None


class _ModelProposals:
    """New configurations from the BO engine, trained on the highest level with data."""

    random_fraction: float
    min_points: int | None
    train_on: str = "highest"
    proxy_threshold: float = 0.5
    _bo: BayesianOptimizer
    # The space with the budget column, for the space it extends and the levels (a cache).
    _augmented: tuple[Space, tuple[float | None, ...], Space] | None = None

    def _new(self, history: History, levels: Sequence[float | None],
             ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Uniform with probability ``random_fraction`` or without data; else the model's."""
        rng = np.random.default_rng((history.seed, history.number, _STREAM))
        if rng.random() < self.random_fraction:
            return new_config(history), {META_KEY: {"kind": "random"}}
        found = self.training_level(history, levels)
        if found is None:
            return new_config(history), {META_KEY: {"kind": "uniform"}}
        train_on, choice = self.train_on, {}
        if train_on == "auto":
            agreement = proxy_agreement(history, levels)
            train_on = "all" if agreement is not None and agreement >= self.proxy_threshold \
                else "highest"
            choice = {"train_on": train_on, "agreement": agreement}
        if train_on == "all" and len(levels) > 1:
            config, meta = self._from_all_levels(history, levels)
            return config, {**meta, META_KEY: {**meta[META_KEY], **choice}}
        level, trials, n = found
        proposal = self._bo.propose_from(history, trials, avoid=history.all_trials)
        return dict(proposal.config), {**proposal.meta, META_KEY: {
            "kind": "model", "budget": level, "n": n, **choice}}

    def _from_all_levels(self, history: History, levels: Sequence[float | None],
                         ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The proposal of one model trained on every level, the level index an input.

        The model sees each trial's configuration plus a budget column (the index of its
        level: the levels are evenly spaced in log budget) and proposes at the full budget:
        the space forbids every other index, so the acquisition search only ever scores
        and returns rows at the full budget. Every configuration any trial has, at any
        budget, is avoided at the full budget.
        """
        space, column = self._augmented_space(history.space, levels)
        top = len(levels) - 1
        trials = [dataclasses.replace(t, config={**t.config, column: i})
                  for t, i in _by_level(history, levels)]
        # Negative ids: the engine caches encoded rows by trial id, and a trial at a lower
        # level is avoided at the full one.
        avoid = [dataclasses.replace(t, id=-1 - t.id, config={**t.config, column: top})
                 for t in history.all_trials if t.config]
        augmented = History(space=space, objectives=history.objectives,
                            constraints=history.constraints, number=history.number,
                            seed=history.seed, load=lambda: trials, steering=history.steering,
                            workers=history.workers)
        proposal = self._bo.propose_from(augmented, trials, avoid=avoid)
        complete = [t for t in trials if t.state == TrialState.COMPLETE and t.values]
        used = sorted({t.config[column] for t in complete})
        return ({k: v for k, v in proposal.config.items() if k != column},
                {**proposal.meta, META_KEY: {"kind": "model", "budgets": [
                    levels[i] for i in used], "n": len(complete)}})

    def _augmented_space(self, space: Space, levels: Sequence[float | None],
                         ) -> tuple[Space, str]:
        """*space* plus an integer column of level indices that forbids all but the top."""
        column = "budget_level"
        while column in space.names:
            column = "_" + column
        cached = self._augmented
        if cached is None or cached[0] is not space or cached[1] != tuple(levels):
            top = len(levels) - 1
            params = {name: space[name] for name in space.names}
            params[column] = Int(0, top)
            forbidden = [*space.to_json().get("forbidden", []),
                         {column: list(range(top))}]
            cached = self._augmented = (space, tuple(levels),
                                        Space(params, forbidden=forbidden))
        return cached[2], column

    def training_level(self, history: History, levels: Sequence[float | None],
                       ) -> tuple[float | None, list[Trial], int] | None:
        """The highest level with ``min_points`` complete trials (see :func:`training_level`)."""
        return training_level(history, levels, self.min_points)


def training_level(history: History, levels: Sequence[float | None], min_points: int | None,
                   ) -> tuple[float | None, list[Trial], int] | None:
    """The highest level with ``min_points`` complete trials: level, its trials, count.

    ``min_points=None`` asks for the number of hyperparameters plus 2. Trials a user
    excluded are left out. None when no level has enough.
    """
    need = min_points if min_points is not None else len(history.space) + 2
    by_level: dict[int, list[Trial]] = {}
    for trial, i in _by_level(history, levels):
        by_level.setdefault(i, []).append(trial)
    for i in range(len(levels) - 1, -1, -1):
        trials = by_level.get(i, [])
        n = sum(1 for t in trials if t.state == TrialState.COMPLETE and t.values)
        if n >= need:
            return levels[i], trials, n
    return None


def proxy_agreement(history: History, levels: Sequence[float | None]) -> float | None:
    """How well each level ranks configurations as the next one up does, in this study.

    For each pair of consecutive levels, the configurations with a complete trial at both
    give paired values of the first objective (the earliest trial of a configuration at a
    level counts); a pair of levels with at least 4 such configurations and finite values
    not constant on either side gives a Spearman rank correlation. Returns their mean
    weighted by the number of configurations, or None when no pair of levels gives one.
    """
    from scipy.stats import spearmanr

    first = history.objectives[0].name
    at: list[dict[tuple[tuple[str, str], ...], float]] = [{} for _ in levels]
    for trial, i in _by_level(history, levels):
        if trial.state == TrialState.COMPLETE and trial.values and first in trial.values:
            key = tuple(sorted((name, repr(v)) for name, v in trial.config.items()))
            at[i].setdefault(key, float(trial.values[first]))
    total = weight = 0.0
    for low, high in itertools.pairwise(at):
        shared = [key for key in low if key in high]
        if len(shared) < _MIN_PAIRS:
            continue
        x = np.array([low[key] for key in shared])
        y = np.array([high[key] for key in shared])
        if np.ptp(x) == 0.0 or np.ptp(y) == 0.0 or not np.all(np.isfinite([x, y])):
            continue
        total += len(shared) * float(spearmanr(x, y).statistic)
        weight += len(shared)
    return total / weight if weight else None


def _by_level(history: History, levels: Sequence[float | None],
              ) -> list[tuple[Trial, int]]:
    """Each trial with a configuration at one of *levels*, with that level's index.

    Trials a user excluded are left out; a trial without a budget is at the full budget.
    """
    excluded = history.steering.excluded
    fidelity = history.fidelity
    found: list[tuple[Trial, int]] = []
    for trial in history.all_trials:
        if trial.number in excluded or not trial.config:
            continue
        budget = trial.budget if trial.budget is not None or fidelity is None \
            else fidelity.max
        for i, level in enumerate(levels):
            if level is None or (budget is not None and math.isclose(budget, level)):
                found.append((trial, i))
                break
    return found


def without_priors(space: Space) -> Space:
    """*space* with no prior on any hyperparameter."""
    params = {name: dataclasses.replace(space[name], prior=None) for name in space.names}
    return Space(params, forbidden=list(space.to_json().get("forbidden", [])))


class ModelBasedHyperband(_ModelProposals, Hyperband):
    """Hyperband whose new configurations come from the BO engine (see the module doc).

    Args:
        eta: the halving rate (see :class:`Hyperband`).
        brackets: the halvings of the brackets to cycle through (see :class:`Hyperband`).
        random_fraction: the share of new configurations drawn uniformly even when the
            model could propose.
        min_points: complete trials a budget level needs to train the model; ``None``:
            the number of hyperparameters plus 2.
        bo: keyword arguments of the :class:`BayesianOptimizer` that proposes (e.g.
            ``{"surrogate": "rf"}``); its initial design and random fraction are not used.
        train_on: ``"highest"``: the model learns from the highest level with
            ``min_points`` complete trials; ``"all"``: once one level has them, from the
            trials of every level, the level an input of the model; ``"auto"``: ``"all"``
            while the study's promotions show lower levels ranking configurations as
            higher ones do, else ``"highest"`` (see the module doc).
        proxy_threshold: with ``train_on="auto"``, the rank correlation between
            consecutive levels (in [-1, 1]) from which the model trains on all levels.

    """

    name = "bohb"

    def __init__(self, *, eta: int = 3, brackets: Sequence[int] | None = None,
                 random_fraction: float = 1 / 3, min_points: int | None = None,
                 bo: Mapping[str, Any] | None = None, train_on: str = "highest",
                 proxy_threshold: float = 0.5) -> None:
        super().__init__(eta=eta, brackets=brackets)
        self._bo = _check_model(self.name, random_fraction, min_points, bo)
        if train_on not in ("highest", "all", "auto"):
            raise OptimizerError(f"{self.name}: train_on must be 'highest', 'all' or 'auto', "
                                 f"got {train_on!r}")
        if (isinstance(proxy_threshold, bool) or not isinstance(proxy_threshold, (int, float))
                or not -1.0 <= proxy_threshold <= 1.0):
            raise OptimizerError(f"{self.name}: proxy_threshold must lie in [-1, 1], "
                                 f"got {proxy_threshold!r}")
        self.random_fraction = random_fraction
        self.min_points = min_points
        self.bo = None if bo is None else dict(bo)
        self.train_on = train_on
        self.proxy_threshold = proxy_threshold


class ModelBasedASHA(_ModelProposals, ASHA):
    """ASHA whose new configurations come from the BO engine (see the module doc).

    Args:
        eta: the halving rate (see :class:`ASHA`).
        prune: whether ``trial.should_stop()`` answers from the rungs (see :class:`ASHA`).
        random_fraction: as for :class:`ModelBasedHyperband`.
        min_points: as for :class:`ModelBasedHyperband`.
        bo: as for :class:`ModelBasedHyperband`.

    """

    name = "bo-asha"

    def __init__(self, *, eta: int = 3, prune: bool = True, random_fraction: float = 1 / 3,
                 min_points: int | None = None, bo: Mapping[str, Any] | None = None) -> None:
        super().__init__(eta=eta, prune=prune)
        self._bo = _check_model(self.name, random_fraction, min_points, bo)
        self.random_fraction = random_fraction
        self.min_points = min_points
        self.bo = None if bo is None else dict(bo)


class ModelBasedPriorBand(PriorBand):
    """PriorBand whose prior and incumbent share goes to the BO engine once it has data.

    See the module doc for the rule.

    Args:
        eta: the halving rate (see :class:`Hyperband`); also sets the mixture's weights.
        brackets: the halvings of the brackets to cycle through (see :class:`Hyperband`).
        mutation_rate: as for :class:`PriorBand` (incumbent sampling before the model).
        mutation_std: as for :class:`PriorBand`.
        min_points: as for :class:`ModelBasedHyperband`.
        bo: as for :class:`ModelBasedHyperband` (e.g. ``{"prior_beta": 5}``).

    """

    name = "priorband-bo"

    def __init__(self, *, eta: int = 3, brackets: Sequence[int] | None = None,
                 mutation_rate: float = 0.5, mutation_std: float = 0.25,
                 min_points: int | None = None, bo: Mapping[str, Any] | None = None) -> None:
        super().__init__(eta=eta, brackets=brackets, mutation_rate=mutation_rate,
                         mutation_std=mutation_std)
        self._bo = _check_model(self.name, 0.0, min_points, bo)
        self.min_points = min_points
        self.bo = None if bo is None else dict(bo)

    def sample(self, history: History, start: int, levels: Sequence[float | None],
               ) -> tuple[Config, dict[str, Any]]:
        """PriorBand's draw until a level has data; then uniform or the model's proposal."""
        found = training_level(history, levels, self.min_points)
        if found is None:
            return super().sample(history, start, levels)
        level, trials, n = found
        p_uniform = 1.0 / (1.0 + float(self.eta) ** start)
        info: dict[str, Any] = {"p_uniform": p_uniform, "p_model": 1.0 - p_uniform}
        rng = np.random.default_rng((history.seed, history.number, _PB_STREAM))
        if rng.random() < p_uniform:
            return new_config(history), {PB_KEY: {"kind": "uniform", **info}}
        proposal = self._bo.propose_from(history, trials, avoid=history.all_trials)
        prior = proposal.meta["bo"].get("prior")
        if proposal.meta["bo"].get("kind") != "model":
            # The model rejected the space's prior and BO would fill its initial design with
            # uniform points; here the schedule has its own uniform share: plain BO instead.
            plain = copy.copy(history)
            plain.space = without_priors(history.space)
            proposal = self._bo.propose_from(plain, trials, avoid=history.all_trials)
            prior = "rejected"
        return dict(proposal.config), {
            **proposal.meta, PB_KEY: {"kind": "model", **info, "prior": prior},
            META_KEY: {"kind": "model", "budget": level, "n": n}}
