"""ASHA: asynchronous successive halving, and its rungs as a pruning rule.

Successive halving waits for a whole rung before it promotes; with several workers that
leaves workers idle or, as Hyperband does here, starts another bracket. ASHA (Li et al.,
MLSys 2020) never waits: on every ask it promotes a configuration that is in the top
``1/η`` of the trials that finished in its rung and has not been promoted yet (highest
rung first), and otherwise starts a new configuration at the lowest budget. A rung of
``n`` finished trials can promote ``floor(n / η)`` of them, so early promotions may be
ones a full rung would not have chosen; that is the price of never idling.

The rungs are the budget levels of successive halving (``_hyperband.rung_budgets``: on
1..27 with ``η = 3`` they are 1, 3, 9, 27). Each proposal carries ``meta["asha"] =
{"rung": i}`` (and ``"from"``, the trial it promotes); the rungs are rebuilt from these
tags at every ask, so a restarted or shared study continues as the stored trials say.
Failed and pruned trials count in their rung's ``n`` and are never promoted. "Top" is
``_hyperband.ranked``'s order: with several objectives, least constraint violation, then
non-dominated rank, then crowding distance, so a rung promotes its Pareto front first.

**Pruning** (``should_prune``, the answer to ``trial.should_stop()``) for a training run
that reports as it goes: the rung levels below the trial's budget are checkpoints. Once a
trial has reported a step at or past a level, its value there (the one reported at the
last step not past the level) is compared with every other trial's value at that level;
it is stopped unless it is among the best ``max(1, floor(n / η))`` of the ``n`` values, a
rung deciding once it holds at least ``η`` values. A learning curve holds one number per
step, so this rule ranks one number per trial: values are read in the first objective's
direction, in a study with several objectives too (report the first objective's value;
the non-dominated rank of single numbers is their order).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hyperpilot.optimizers._base import History, Optimizer, Proposal
from hyperpilot.optimizers._hyperband import (
    check_eta,
    new_config,
    promoted_from,
    ranked,
    rung_budgets,
    tag_of,
)
from hyperpilot.trial._trial import Step, Trial

META_KEY = "asha"


def value_at(curve: Mapping[Step, float], level: float) -> float | None:
    """The curve's value at *level*: at the last step not past it, once a step reached it.

    None while no step has reached *level*, or when the first step is already past it.
    """
    if not curve or max(curve) < level:
        return None
    below = [step for step in curve if step <= level]
    return curve[max(below)] if below else None


class ASHA(Optimizer):
    """Asynchronous successive halving with a rung-based pruning rule (see the module doc).

    Args:
        eta: the halving rate: a rung promotes its best ``1/eta`` at ``eta`` times the
            budget; the pruning rule keeps the best ``1/eta`` at each level.
        prune: whether ``trial.should_stop()`` answers from the rungs (False: never).

    """

    name = "asha"

    def __init__(self, *, eta: int = 3, prune: bool = True) -> None:
        self.eta = check_eta(eta, self.name)
        self.prune = bool(prune)

    def _ask(self, history: History) -> Proposal:
        levels = rung_budgets(history.fidelity, self.eta)
        rungs: list[list[Trial]] = [[] for _ in levels]
        for trial in history.all_trials:
            tag = tag_of(trial, META_KEY)
            if tag is not None and 0 <= tag["rung"] < len(levels):
                rungs[tag["rung"]].append(trial)
        for rung in range(len(levels) - 2, -1, -1):
            finished = sum(1 for t in rungs[rung] if t.state.is_finished)
            promoted = promoted_from(rungs[rung + 1], META_KEY)
            for trial in ranked(history, rungs[rung])[:finished // self.eta]:
                if trial.number not in promoted:
                    return Proposal(dict(trial.config), budget=levels[rung + 1],
                                    meta={META_KEY: {"rung": rung + 1, "from": trial.number}})
        config, meta = self._new(history, levels)
        return Proposal(config, budget=levels[0], meta={**meta, META_KEY: {"rung": 0}})

    def _new(self, history: History, levels: Sequence[float | None],
             ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A new configuration for the lowest rung, and meta to store with it.

        Uniform here (:func:`new_config`); model-based ASHA overrides it. *levels* are the
        budget levels, lowest first.
        """
        return new_config(history), {}

    def should_prune(self, history: History, trial: Trial, curve: Mapping[Step, float]) -> bool:
        """Stop *trial* unless it is in the top ``1/eta`` at the last level it reached."""
        if not self.prune or not curve or history.fidelity is None:
            return False
        top = history.fidelity.max if trial.budget is None else trial.budget
        reached = [b for b in rung_budgets(history.fidelity, self.eta)
                   if b is not None and b < top and b <= max(curve)]
        if not reached:
            return False
        level = reached[-1]
        mine = value_at(curve, level)
        if mine is None:
            return False
        values = [mine]
        for trial_id, other in history.intermediate.items():
            if trial_id != trial.id and (value := value_at(other, level)) is not None:
                values.append(value)
        if len(values) < self.eta:
            return False
        sign = history.objectives[0].sign
        keep = max(1, len(values) // self.eta)
        threshold = np.partition(sign * np.asarray(values), keep - 1)[keep - 1]
        return bool(sign * mine > threshold)

    @property
    def prunes(self) -> bool:
        """Whether the pruning rule is on (``prune=True``)."""
        return self.prune
