"""Successive halving and Hyperband, with their schedule rebuilt from the stored trials.

Successive halving (Jamieson & Talwalkar, AISTATS 2016) evaluates ``n`` configurations at
a small budget, keeps the best ``1/η`` of them at an ``η`` times larger budget, and so on
up to the full budget. Hyperband (Li et al., JMLR 2018) cycles through brackets that trade
the number of configurations against the budget they start at, hedging against a low
budget that ranks configurations badly.

**Rungs.** With a fidelity ``[min, max]`` and halving rate ``η`` there are
``s_max + 1`` budget levels ``max · η^-k`` for ``k = s_max..0``, where
``s_max = floor(log_η(max / min))`` (rounded for an integer fidelity): on epochs 1..27 with
``η = 3`` they are 1, 3, 9, 27. A bracket with ``s`` halvings starts
``n = ceil((s_max + 1) / (s + 1) · η^s)`` configurations at level ``s_max - s`` and keeps
``floor(n / η^i)`` of them at its rung ``i``: on 1..27, bracket 3 runs 27, 9, 3, 1
configurations at 1, 3, 9, 27; bracket 2 runs 12, 4, 1 at 3, 9, 27; bracket 1 runs 6, 2
at 9, 27; bracket 0 runs 4 at 27 (the paper's table).

**No state but the trials.** Every proposal carries ``meta["hyperband"]`` = ``{"bracket":
k, "s": s, "rung": i}`` (and ``"from"``: the number of the trial it promotes). At every ask
the schedule is rebuilt from these tags and the trials' states and values, so a study
reopened in another process, killed mid-bracket or shared by workers continues exactly
where the stored trials say it is. Brackets are visited oldest first; the first one with
something to do gets the trial:

* its rung 0 is not full: a new configuration, drawn uniformly from ``(seed, number)``;
* a rung is full and every trial in it has finished: its best complete trials (see
  :func:`ranked`) not yet promoted go to the next rung, one per ask. Failed and pruned
  trials count as finished and are never promoted, so a rung with failures promotes fewer;
* a rung still has running trials: the bracket waits and the next bracket is asked.

So with several workers no worker idles while a rung finishes: the next bracket starts
(Hyperband's brackets are independent; successive halving starts another copy of its
bracket). A study without a fidelity has one level and brackets of one configuration:
random search at no budget.

**Which trials are best** (:func:`ranked`, also ASHA's and every subclass's promotions):
least constraint violation first. With one objective, then its value; with several, the
non-dominated rank (0 for the Pareto front of the rung, 1 for the front of the rest...),
then, inside a front, the larger crowding distance (Deb et al. 2002: the extremes of a
front first, then the trials in its sparsest parts); ties by trial number, so every
process promotes the same trials. A trial that is best on one objective only is on the
front and at its edge, so it is among the first promoted; a dominated one never passes a
trial that dominates it.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hyperpilot._pareto import nondominated_ranks, violation, violations
from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers._base import History, Optimizer, Proposal
from hyperpilot.space._fidelity import Fidelity
from hyperpilot.trial._trial import Trial, TrialState

META_KEY = "hyperband"


def check_eta(eta: Any, who: str) -> int:
    """Return the halving rate *eta* if it is an integer of at least 2."""
    if isinstance(eta, bool) or not isinstance(eta, int) or eta < 2:
        raise OptimizerError(f"{who}: eta must be an integer >= 2, got {eta!r}")
    return eta


def rung_budgets(fidelity: Fidelity | None, eta: int) -> list[float | None]:
    """The budget levels ``max · η^-k``, lowest first; ``[None]`` without a fidelity.

    An integer fidelity rounds each level (levels that round together are merged).
    """
    if fidelity is None:
        return [None]
    s_max = math.floor(math.log(fidelity.max / fidelity.min) / math.log(eta) + 1e-9)
    levels: list[float | None] = []
    for k in range(s_max, -1, -1):
        budget = fidelity.cast(max(fidelity.min, fidelity.max * float(eta) ** -k))
        if not levels or budget != levels[-1]:
            levels.append(budget)
    return levels


def bracket_sizes(s: int, s_max: int, eta: int) -> list[int]:
    """Configurations per rung of the bracket with *s* halvings (Li et al. 2018)."""
    n = -(-(s_max + 1) * eta**s // (s + 1))  # ceil((s_max + 1) / (s + 1) * eta**s)
    return [n // eta**i for i in range(s + 1)]


def rank_key(history: History, trial: Trial) -> tuple[float, float, int]:
    """How a complete trial ranks in its rung with one objective; lower is better.

    Constraint violation, then the first objective oriented for minimization, then the
    trial number (so ties resolve the same way in every process). With several objectives
    a trial's rank depends on the others; :func:`ranked` orders them.
    """
    objective = history.objectives[0]
    value = (trial.values or {}).get(objective.name, math.inf)
    return violation(trial.constraints, history.constraints), objective.sign * value, trial.number


def ranked(history: History, trials: Sequence[Trial]) -> list[Trial]:
    """The complete trials of *trials* that a user did not exclude, best first.

    One objective: by :func:`rank_key`. Several: least violation, then non-dominated
    rank, then larger crowding distance, then trial number (the module doc says why);
    the ranks and distances are taken among the trials with the same feasibility.
    """
    excluded = history.steering.excluded
    done = [t for t in trials if t.state == TrialState.COMPLETE and t.number not in excluded]
    if len(history.objectives) == 1 or len(done) < 2:
        return sorted(done, key=lambda t: rank_key(history, t))
    points = np.array([[o.sign * (t.values or {}).get(o.name, math.inf)
                        for o in history.objectives] for t in done], dtype=float)
    points[np.isnan(points)] = math.inf
    viol = violations([t.constraints for t in done], history.constraints)
    front = np.zeros(len(done), dtype=int)
    spread = np.zeros(len(done))
    for group in (viol == 0, viol > 0):  # feasible trials are never ranked against others
        if group.any():
            front[group] = nondominated_ranks(points[group])
            spread[group] = crowding_distances(points[group], front[group])
    numbers = np.array([t.number for t in done])
    order = np.lexsort((numbers, -spread, front, viol))
    return [done[i] for i in order]


def crowding_distances(points: np.ndarray, fronts: np.ndarray) -> np.ndarray:
    """Each row's crowding distance within its front (larger: a sparser neighbourhood).

    Per objective, the rows of a front are sorted by value; a row at either end gets an
    infinite distance, the others add the gap between their two neighbours divided by the
    front's range of that objective (nothing when the range is zero or not finite).
    Vectorized over all fronts at once.

    Args:
        points: ``(n, m)`` values to be minimized.
        fronts: the front index of each row (e.g. from ``nondominated_ranks``).

    """
    n, m = points.shape
    out = np.zeros(n)
    if n == 0:
        return out
    for k in range(m):
        order = np.lexsort((points[:, k], fronts))
        value = points[order, k]
        group = fronts[order]
        first = np.r_[True, group[1:] != group[:-1]]
        last = np.r_[group[1:] != group[:-1], True]
        index = np.cumsum(first) - 1  # each row's front, counted in sorted order
        with np.errstate(invalid="ignore"):
            span = value[last][index] - value[first][index]
            gap = np.r_[0.0, value[2:] - value[:-2], 0.0] if n > 2 else np.zeros(n)
            share = np.where((span > 0) & np.isfinite(span) & np.isfinite(gap),
                             gap / np.where(span > 0, span, 1.0), 0.0)
        out[order] += np.where(first | last, math.inf, share)
    return out


def tag_of(trial: Trial, key: str) -> Mapping[str, Any] | None:
    """The schedule tag *key* of a trial's meta, if it holds a well-formed one."""
    tag = trial.meta.get(key) if trial.meta else None
    if isinstance(tag, Mapping) and isinstance(tag.get("rung"), int):
        return tag
    return None


def promoted_from(trials: Sequence[Trial], key: str) -> set[int]:
    """Numbers of the trials that *trials* (a rung) promoted, from their ``from`` tags."""
    out = set()
    for trial in trials:
        source = (tag_of(trial, key) or {}).get("from")
        if isinstance(source, int):
            out.add(source)
    return out


def new_config(history: History) -> dict[str, Any]:
    """A uniform configuration drawn from ``(seed, number)``: the same in every process."""
    rng = np.random.default_rng((history.seed, history.number))
    return history.space.sample(1, rng)[0]


class _Halving(Optimizer, ABC):
    """The schedule both optimizers share; a subclass says which brackets follow which."""

    eta: int

    @abstractmethod
    def cycle(self, s_max: int) -> list[int]:
        """The halvings ``s`` of successive brackets, repeated in this order."""

    def _ask(self, history: History) -> Proposal:
        levels = rung_budgets(history.fidelity, self.eta)
        s_max = len(levels) - 1
        cycle = self.cycle(s_max)
        brackets: dict[int, tuple[int, dict[int, list[Trial]]]] = {}
        for trial in history.all_trials:
            tag = tag_of(trial, META_KEY)
            if tag is None or not isinstance(tag.get("bracket"), int):
                continue
            s = min(int(tag.get("s", s_max)), s_max)
            entry = brackets.setdefault(tag["bracket"], (s, {}))
            entry[1].setdefault(tag["rung"], []).append(trial)
        for k in range(max(brackets, default=-1) + 2):
            s, rungs = brackets.get(k, (cycle[k % len(cycle)], {}))
            proposal = self._next_in(history, k, s, s_max, rungs, levels)
            if proposal is not None:
                return proposal
        raise AssertionError("a new bracket always has room")  # pragma: no cover

    def _new(self, history: History, levels: Sequence[float | None],
             ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A new configuration for a bracket's first rung, and meta to store with it.

        Uniform here (:func:`new_config`); model-based Hyperband overrides it. *levels* are
        the budget levels, lowest first.
        """
        return new_config(history), {}

    def _next_in(self, history: History, k: int, s: int, s_max: int,
                 rungs: Mapping[int, list[Trial]], levels: Sequence[float | None],
                 ) -> Proposal | None:
        """What bracket *k* wants next, or None when it is done or waits for a rung."""
        sizes = bracket_sizes(s, s_max, self.eta)
        base = s_max - s

        def tag(rung: int, **extra: int) -> dict[str, Any]:
            return {META_KEY: {"bracket": k, "s": s, "rung": rung, **extra}}

        if len(rungs.get(0, ())) < sizes[0]:
            config, meta = self._new(history, levels)
            return Proposal(config, budget=levels[base], meta={**meta, **tag(0)})
        expected = sizes[0]
        for rung in range(1, s + 1):
            below = rungs.get(rung - 1, [])
            if len(below) < expected or not all(t.state.is_finished for t in below):
                return None  # the rung below is not done: wait, let the next bracket run
            best = ranked(history, below)[:sizes[rung]]
            promoted = promoted_from(rungs.get(rung, []), META_KEY)
            for trial in best:
                if trial.number not in promoted:
                    return Proposal(dict(trial.config), budget=levels[base + rung],
                                    meta=tag(rung, **{"from": trial.number}))
            expected = len(best)
        return None


class SuccessiveHalving(_Halving):
    """Successive halving: one bracket, started again and again (see the module doc).

    Args:
        eta: the halving rate: each rung keeps the best ``1/eta`` at ``eta`` times the
            budget.
        bracket: the number of halvings ``s`` of the bracket; ``None`` starts at the
            fidelity's lowest level (the most halvings). Values above the fidelity's
            ``s_max`` are taken as ``s_max``.

    """

    name = "sh"

    def __init__(self, *, eta: int = 3, bracket: int | None = None) -> None:
        self.eta = check_eta(eta, self.name)
        if bracket is not None and (isinstance(bracket, bool) or not isinstance(bracket, int)
                                    or bracket < 0):
            raise OptimizerError(f"{self.name}: bracket must be an integer >= 0 or None, "
                                 f"got {bracket!r}")
        self.bracket = bracket

    def cycle(self, s_max: int) -> list[int]:
        """One bracket: ``s_max``, or the chosen one (capped at ``s_max``)."""
        return [s_max if self.bracket is None else min(self.bracket, s_max)]


class Hyperband(_Halving):
    """Hyperband: successive-halving brackets of every aggressiveness, in turn.

    Args:
        eta: the halving rate (see :class:`SuccessiveHalving`).
        brackets: the halvings ``s`` of the brackets to cycle through, in order; ``None``
            runs ``s_max, s_max - 1, ..., 0`` (the paper's loop). Values above ``s_max``
            are taken as ``s_max``.

    """

    name = "hyperband"

    def __init__(self, *, eta: int = 3, brackets: Sequence[int] | None = None) -> None:
        self.eta = check_eta(eta, self.name)
        if brackets is not None:
            if isinstance(brackets, (str, bytes)) or not brackets or any(
                    isinstance(b, bool) or not isinstance(b, int) or b < 0 for b in brackets):
                raise OptimizerError(f"{self.name}: brackets must be a non-empty list of "
                                     f"integers >= 0 or None, got {brackets!r}")
            brackets = list(brackets)
        self.brackets = brackets

    def cycle(self, s_max: int) -> list[int]:
        """``s_max..0``, or the chosen brackets (capped at ``s_max``)."""
        if self.brackets is None:
            return list(range(s_max, -1, -1))
        return [min(b, s_max) for b in self.brackets]
