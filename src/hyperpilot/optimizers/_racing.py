"""Racing over instances and seeds: SMAC's intensification, rebuilt from the stored trials.

In algorithm configuration a configuration is judged by its mean cost over problem
instances (and seeds), and running every configuration on every instance is what racing
avoids (Hutter et al., "ParamILS", JAIR 2009; SMAC's intensifier). One trial runs one
configuration on one instance-seed *pair* (``Proposal.instance``, ``Proposal.seed``).

**The rule.** The first configuration that finishes a run is the *incumbent*. Each new
configuration, a *challenger*, runs on the incumbent's pairs, in an order of its own: on 1
pair, then up to 2, 4, 8... After each of these stages, and when it has run on all the
incumbent's pairs, its mean over the pairs both have run on is compared with the
incumbent's mean over the same pairs: not lower (ties lose) and the challenger is dropped
for good; lower on all the incumbent's pairs and it becomes the incumbent. A failed or
pruned run counts as an infinite cost. Each time a challenger is decided, the incumbent
earns one more pair (in the declared order: every instance with the first seed, then with
the second...), up to ``max_pairs``; so the incumbent's mean rests on more and more pairs,
and a challenger must beat it on all of them. The incumbent's pairs are always the first
``m`` of that order, and every pair any configuration ran on is one of them.

**New challengers** come from our BO engine (:class:`BayesianOptimizer`, asked with a
history of one entry per configuration, numbered by configuration), which learns each
configuration's mean *as if it had run on the incumbent's pairs*: the incumbent's mean
over its pairs plus the configuration's mean difference to the incumbent on the pairs they
share. A plain mean over the pairs run so far would mostly measure which instances they
were (a challenger dropped after one hard instance looks worse than one dropped after an
easy one); the paired difference removes that. A configuration with a failed run is a
failed entry (BO gives it the worst value).

**No state but the trials.** Every proposal stores ``meta["race"] = {"slot": s, "role":
"new" | "challenger" | "incumbent"}`` (``s`` numbers configurations in the race). Each ask
replays the finished runs in trial-number order (incumbent, drops, promotions) and then
chooses: a challenger in progress whose stage is not all running gets its next pair (the
oldest such challenger first); else the incumbent gets its next pair when it has earned
one; else a new challenger starts — unless BO proposes a configuration the race already
has (a small space used up), when the incumbent gets its next pair early instead. A
study reopened elsewhere, or shared by workers, continues the same race. Trials without
the tag (enqueued ones) are not in the race but BO learns from them.

**Without instances and seeds** there is one pair: every configuration runs once and is
compared once, so the proposals are BO's own.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers._base import History, Optimizer, Proposal
from hyperpilot.optimizers.bo._bo import BayesianOptimizer
from hyperpilot.space._instances import Key, mean_values
from hyperpilot.trial._trial import Trial, TrialState

META_KEY = "race"
_ORDER_STREAM = 0x4ACE  # the random stream of a challenger's order of pairs


@dataclass
class Racer:
    """One configuration in the race: its trials, its finished pairs and its pending ones."""

    slot: int
    first: Trial
    trials: list[Trial] = field(default_factory=list)
    costs: dict[Key, float] = field(default_factory=dict)
    pending: set[Key] = field(default_factory=set)


@dataclass
class RaceState:
    """The race after replaying the finished runs: the incumbent and the decided ones."""

    racers: dict[int, Racer]
    incumbent: int | None = None
    dropped: set[int] = field(default_factory=set)
    retired: set[int] = field(default_factory=set)
    decided: int = 0

    def in_progress(self) -> list[Racer]:
        """Challengers neither dropped nor promoted, oldest first."""
        gone = self.dropped | self.retired | {self.incumbent}
        return [r for s, r in sorted(self.racers.items()) if s not in gone]


def _slot(trial: Trial) -> int | None:
    tag = trial.meta.get(META_KEY) if trial.meta else None
    if isinstance(tag, Mapping) and isinstance(tag.get("slot"), int):
        return int(tag["slot"])
    return None


def _cost(history: History, trial: Trial) -> float:
    """A finished run's cost: the first objective oriented for minimization; inf if not complete."""
    objective = history.objectives[0]
    value = (trial.values or {}).get(objective.name)
    if trial.state != TrialState.COMPLETE or value is None:
        return math.inf
    return objective.sign * float(value)


def _mean(costs: Mapping[Key, float], pairs: Sequence[Key]) -> float:
    return sum(costs[k] for k in pairs) / len(pairs)


def replay(history: History) -> RaceState:
    """The race the stored trials describe (see the module doc)."""
    racers: dict[int, Racer] = {}
    finished: list[tuple[int, Racer, Trial]] = []
    for trial in history.all_trials:
        slot = _slot(trial)
        if slot is None:
            continue
        racer = racers.setdefault(slot, Racer(slot, trial))
        racer.trials.append(trial)
        if trial.state.is_finished:
            finished.append((trial.number, racer, trial))
        else:
            racer.pending.add((trial.instance, trial.seed))
    state = RaceState(racers)
    for _, racer, trial in sorted(finished, key=lambda item: item[0]):
        racer.costs[(trial.instance, trial.seed)] = _cost(history, trial)
        if state.incumbent is None:
            state.incumbent = racer.slot
            continue
        if racer.slot in state.dropped or racer.slot in state.retired or (
                racer.slot == state.incumbent):
            continue
        incumbent = racers[state.incumbent].costs
        n = len(racer.costs)
        covers = set(racer.costs) >= set(incumbent)
        if n & (n - 1) and not covers:
            continue  # not at the end of a stage
        shared = [k for k in racer.costs if k in incumbent]
        if not shared:
            continue
        if not _mean(racer.costs, shared) < _mean(incumbent, shared):
            state.dropped.add(racer.slot)
            state.decided += 1
        elif covers:
            state.retired.add(state.incumbent)
            state.incumbent = racer.slot
            state.decided += 1
    return state


class Racing(Optimizer):
    """Racing over instances and seeds with BO proposing challengers (see the module doc).

    Args:
        max_pairs: the most instance-seed pairs the incumbent runs on; ``None``: all the
            study declares (SMAC's ``max_config_calls``).
        bo: keyword arguments of the :class:`BayesianOptimizer` that proposes new
            configurations (e.g. ``{"surrogate": "rf"}``).

    """

    name = "race"

    def __init__(self, *, max_pairs: int | None = None,
                 bo: Mapping[str, Any] | None = None) -> None:
        if max_pairs is not None and (isinstance(max_pairs, bool)
                                      or not isinstance(max_pairs, int) or max_pairs < 1):
            raise OptimizerError(f"{self.name}: max_pairs must be an integer >= 1 or None, "
                                 f"got {max_pairs!r}")
        if bo is not None and not isinstance(bo, Mapping):
            raise OptimizerError(f"{self.name}: bo must be a mapping of BayesianOptimizer "
                                 f"arguments or None, got {bo!r}")
        self.max_pairs = max_pairs
        self.bo = None if bo is None else dict(bo)
        try:
            self._bo = BayesianOptimizer(**(self.bo or {}))
        except TypeError as exc:
            raise OptimizerError(f"{self.name}: bo: {exc}") from None

    @property
    def wants_repeats(self) -> bool:
        """True: a configuration runs again on other pairs."""
        return True

    def _ask(self, history: History) -> Proposal:
        pairs = history.instances.keys() if history.instances is not None else [(None, None)]
        limit = len(pairs) if self.max_pairs is None else min(self.max_pairs, len(pairs))
        state = replay(history)
        if state.incumbent is None:
            return self._new(history, state, [pairs[0]])
        incumbent = state.racers[state.incumbent]
        offered = [k for k in pairs if k in incumbent.costs]
        for racer in state.in_progress():
            done = len(racer.costs)
            stage = min(len(offered), 1 if done == 0 else 2 ** done.bit_length())
            if done + len(racer.pending) >= stage:
                continue  # its stage is running: wait for it
            for pair in self._order(history, racer.slot, offered):
                if pair not in racer.costs and pair not in racer.pending:
                    return self._run(racer, pair, "challenger")
        held = set(incumbent.costs) | incumbent.pending
        if len(held) < min(limit, 1 + state.decided):
            return self._run(incumbent, next(k for k in pairs if k not in held), "incumbent")
        proposal = self._new(history, state, offered)
        if len(held) < limit and any(r.first.config == proposal.config
                                     for r in state.racers.values()):
            # BO repeats a configuration (a small space is used up): rather than race it
            # again, the incumbent runs on one more pair before it has earned it.
            return self._run(incumbent, next(k for k in pairs if k not in held), "incumbent")
        return proposal

    @staticmethod
    def _order(history: History, slot: int, pairs: Sequence[Key]) -> list[Key]:
        """*pairs* in the order configuration *slot* visits them, drawn from ``(seed, slot)``."""
        rng = np.random.default_rng((history.seed, slot, _ORDER_STREAM))
        return [pairs[i] for i in rng.permutation(len(pairs))]

    @staticmethod
    def _run(racer: Racer, pair: Key, role: str) -> Proposal:
        return Proposal(dict(racer.first.config), instance=pair[0], seed=pair[1],
                        meta={META_KEY: {"slot": racer.slot, "role": role}})

    def _new(self, history: History, state: RaceState, offered: Sequence[Key]) -> Proposal:
        """A new challenger from BO, on its first pair among the incumbent's *offered*."""
        slot = max(state.racers, default=-1) + 1
        proposal = self._bo.ask(configuration_history(history, state, slot))
        pair = self._order(history, slot, offered)[0]
        return Proposal(proposal.config, instance=pair[0], seed=pair[1],
                        meta={**proposal.meta, META_KEY: {"slot": slot, "role": "new"}})


def configuration_history(history: History, state: RaceState, number: int) -> History:
    """The history BO sees: one trial per configuration in the race, numbered *number*.

    Each configuration is its first trial with, once it has a finished run, its estimated
    mean on the incumbent's pairs (see the module doc): failed if a run failed, running
    until one finishes. Trials outside the race are passed as they are.
    """
    objective = history.objectives[0]
    incumbent = state.racers[state.incumbent].costs if state.incumbent is not None else {}
    base = _mean(incumbent, list(incumbent)) if incumbent else 0.0
    entries: list[Trial] = [t for t in history.all_trials if _slot(t) is None]
    for racer in state.racers.values():
        costs = racer.costs
        if not costs:
            entries.append(dataclasses.replace(racer.first, state=TrialState.RUNNING,
                                               values=None))
            continue
        if any(math.isinf(c) for c in costs.values()):
            entries.append(dataclasses.replace(racer.first, state=TrialState.FAILED,
                                               values=None))
            continue
        shared = [k for k in costs if k in incumbent and not math.isinf(incumbent[k])]
        estimate = _mean(costs, shared or list(costs))
        if shared and len(shared) < len(incumbent) and math.isfinite(base):
            estimate += base - _mean(incumbent, shared)  # as if on the incumbent's pairs
        complete = [t for t in racer.trials if t.state == TrialState.COMPLETE and t.values]
        values = mean_values(t.values for t in complete)
        values[objective.name] = objective.sign * estimate
        measured = [t.constraints for t in complete if t.constraints]
        entries.append(dataclasses.replace(
            racer.first, state=TrialState.COMPLETE, values=values,
            constraints=mean_values(measured) if measured else None))
    entries.sort(key=lambda t: t.number)
    return History(space=history.space, objectives=history.objectives,
                   constraints=history.constraints, number=number, seed=history.seed,
                   load=lambda: entries, steering=history.steering,
                   fidelity=history.fidelity, workers=history.workers)
