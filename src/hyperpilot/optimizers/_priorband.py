"""PriorBand: Hyperband's schedule, new configurations from the prior, the incumbent or uniform.

PriorBand (Mallik et al., NeurIPS 2023) keeps Hyperband's brackets and promotions
(``_hyperband.py``) and changes only where a bracket's new configurations come from: a
mixture of three samplers whose weights depend on the budget level the configuration
starts at and on what the study has found so far.

**Uniform or prior.** A configuration that starts at level ``r`` (0 for the lowest budget,
``s_max`` for the full one) is drawn uniformly with probability ``p_uniform = 1 / (1 +
η^r)`` and from the prior otherwise: half and half at the cheapest level, where many
configurations are tried, and mostly from the prior at the higher levels, where few are
(the paper's geometric weighting; 1/28 at the full budget of 1..27 with ``η = 3``).

**Incumbent.** Once the search has results to trust, the prior's share is split between
the prior and the incumbent. This starts when all three hold (as NePS implements the
paper):

1. a trial completed at the full budget;
2. the finished trials spent at least the budget of one successive-halving bracket from
   the lowest level (bracket ``s_max``: 108 epochs on 1..27 with ``η = 3``; a study
   without a fidelity counts one per trial);
3. some budget level has at least ``η`` complete trials.

Then the top ``K = floor(n / η)`` of the ``n`` complete trials of the highest level with
at least ``η`` of them are weighted by rank (``K, K - 1, ..., 1``). ``S_prior`` sums those
weights times each configuration's prior density, ``S_inc`` times its density under the
prior moved onto the incumbent (the best trial at the highest budget reached; only
hyperparameters with a prior move). The prior's share ``1 - p_uniform`` is split in the
ratio ``S_prior : S_inc``: when the best configurations lie where the prior points, the
prior keeps its weight; when they lie around the incumbent, away from the prior, the
incumbent takes it over. A misleading prior thus loses its influence as results arrive.

**Incumbent sampling** mutates the incumbent: each hyperparameter (at least one) changes
with probability ``mutation_rate``; a number is drawn from a normal truncated to the range,
centred on the incumbent's value with a standard deviation of ``mutation_std`` of the
range (on the hyperparameter's own scale, log if it is log), a choice takes one of the
other choices uniformly. A mutant that a forbidden combination rules out is drawn again.

**Priors** are the space's (``prior`` and ``confidence`` of each hyperparameter, the same
densities πBO uses) and the runtime priors a user gave while the study ran
(``study.set_prior``; the newest for a hyperparameter replaces its space prior). **Without
any prior PriorBand is Hyperband**: every new configuration is Hyperband's uniform draw.

Each new configuration stores ``meta["priorband"] = {"kind": "uniform" | "prior" |
"incumbent", "p_uniform": ..., "p_prior": ..., "p_incumbent": ...}`` (with ``"incumbent"``,
the trial mutated) next to the Hyperband tag. Every draw comes from ``(seed, number)``
and nothing is kept in the object, so a study reopened elsewhere proposes what an
uninterrupted one would have.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers._base import History, Proposal
from hyperpilot.optimizers._hyperband import META_KEY as HB_KEY
from hyperpilot.optimizers._hyperband import (
    Hyperband,
    bracket_sizes,
    new_config,
    ranked,
)
from hyperpilot.space._params import Hyperparameter, _Choice, _Numeric
from hyperpilot.space._space import Config, Space
from hyperpilot.trial._trial import Trial

META_KEY = "priorband"
_STREAM = 0x9B  # the random stream of the mixture's choice and its draws
_MUTANT_TRIES = 50


def prior_space(history: History) -> Space | None:
    """The space with the priors in force, or ``None`` when there is no prior at all.

    Runtime priors (``history.steering.priors``, oldest first) replace the space's prior of
    their hyperparameter; the newest one wins.
    """
    space = history.space
    runtime = {p.name: p for p in history.steering.priors if p.name in space}
    if not runtime:
        return space if space.has_prior else None
    params = {name: space[name] for name in space.names}
    for name, prior in runtime.items():
        params[name] = dataclasses.replace(params[name], prior=prior.value,
                                           confidence=prior.confidence)
    return Space(params, forbidden=list(space.to_json().get("forbidden", [])))


def recentred_space(space: Space, incumbent: Config) -> Space:
    """*space* with each prior moved onto the incumbent's value (same confidence).

    Hyperparameters without a prior, or inactive in the incumbent, keep theirs.
    """
    params = {name: space[name] for name in space.names}
    for name, param in params.items():
        if param.prior is not None and name in incumbent:
            params[name] = dataclasses.replace(param, prior=incumbent[name])
    return Space(params, forbidden=list(space.to_json().get("forbidden", [])))


def _can_move(param: Hyperparameter) -> bool:
    """Whether the hyperparameter has a value other than any given one."""
    return not isinstance(param, _Choice) or len(param.choices) > 1


def level_of(history: History, trial: Trial, levels: Sequence[float | None]) -> int | None:
    """The index of the budget level *trial* ran at, or None when it matches none."""
    budget = trial.budget
    if budget is None and history.fidelity is not None:
        budget = history.fidelity.max
    for i, level in enumerate(levels):
        if level is None or (budget is not None and math.isclose(budget, level)):
            return i
    return None


class PriorBand(Hyperband):
    """Hyperband whose new configurations mix prior, incumbent and uniform draws.

    See the module doc for the rule. Without any prior (in the space or given while the
    study runs) it proposes exactly what :class:`Hyperband` proposes.

    Args:
        eta: the halving rate (see :class:`Hyperband`); also sets the mixture's weights.
        brackets: the halvings of the brackets to cycle through (see :class:`Hyperband`).
        mutation_rate: the probability that incumbent sampling changes a hyperparameter.
        mutation_std: the standard deviation of a numeric change, as a share of the range.

    """

    name = "priorband"

    def __init__(self, *, eta: int = 3, brackets: Sequence[int] | None = None,
                 mutation_rate: float = 0.5, mutation_std: float = 0.25) -> None:
        super().__init__(eta=eta, brackets=brackets)
        for key, value, high in (("mutation_rate", mutation_rate, 1.0),
                                 ("mutation_std", mutation_std, 0.5)):
            if (isinstance(value, bool) or not isinstance(value, (int, float))
                    or not 0.0 < value <= high or (key == "mutation_std" and value == high)):
                interval = "(0, 1]" if high == 1.0 else "(0, 0.5)"
                raise OptimizerError(f"{self.name}: {key} must lie in {interval}, "
                                     f"got {value!r}")
        self.mutation_rate = mutation_rate
        self.mutation_std = mutation_std

    def _next_in(self, history: History, k: int, s: int, s_max: int,
                 rungs: Mapping[int, list[Trial]], levels: Sequence[float | None],
                 ) -> Proposal | None:
        """Hyperband's next step in bracket *k*; a new configuration comes from the mixture."""
        proposal = super()._next_in(history, k, s, s_max, rungs, levels)
        if proposal is None or proposal.meta[HB_KEY]["rung"] != 0:
            return proposal
        config, meta = self.sample(history, s_max - s, levels)
        return dataclasses.replace(proposal, config=config, meta={**meta, **proposal.meta})

    def sample(self, history: History, start: int, levels: Sequence[float | None],
               ) -> tuple[Config, dict[str, Any]]:
        """A new configuration for a bracket starting at level *start*, and its meta."""
        space = prior_space(history)
        if space is None:
            return new_config(history), {META_KEY: {"kind": "uniform"}}
        p_uniform = 1.0 / (1.0 + float(self.eta) ** start)
        p_prior, p_incumbent = 1.0 - p_uniform, 0.0
        incumbent: Trial | None = None
        if self.incumbent_active(history, levels):
            incumbent, share = self.incumbent_share(history, space, levels)
            p_prior, p_incumbent = p_prior * (1.0 - share), p_prior * share
        rng = np.random.default_rng((history.seed, history.number, _STREAM))
        draw = rng.random()
        info: dict[str, Any] = {"p_uniform": p_uniform, "p_prior": p_prior,
                                "p_incumbent": p_incumbent}
        if draw < p_uniform:
            return new_config(history), {META_KEY: {"kind": "uniform", **info}}
        if incumbent is not None and draw < p_uniform + p_incumbent:
            config = self.mutate(space, incumbent.config, rng)
            return config, {META_KEY: {"kind": "incumbent", **info,
                                       "incumbent": incumbent.number}}
        return space.sample(1, rng, from_prior=True)[0], {META_KEY: {"kind": "prior", **info}}

    def incumbent_active(self, history: History, levels: Sequence[float | None]) -> bool:
        """Whether the three conditions of incumbent sampling hold (see the module doc)."""
        complete_levels = [level_of(history, t, levels) for t in ranked(history, history.trials)]
        top = len(levels) - 1
        if top not in complete_levels:
            return False
        counts = np.bincount([i for i in complete_levels if i is not None],
                             minlength=len(levels))
        if counts.max() < self.eta:
            return False
        full = 1.0 if history.fidelity is None else float(history.fidelity.max)
        spent = sum(full if t.budget is None else float(t.budget) for t in history.trials)
        sizes = bracket_sizes(top, top, self.eta)
        bracket = sum(n * (1.0 if b is None else float(b)) for n, b in zip(sizes, levels,
                                                                            strict=True))
        return spent >= bracket - 1e-9

    def incumbent_share(self, history: History, space: Space,
                        levels: Sequence[float | None]) -> tuple[Trial, float]:
        """The incumbent and the share of the prior's weight that goes to it.

        The share is ``S_inc / (S_prior + S_inc)`` over the rank-weighted top ``1/η`` of
        the highest level with ``η`` complete trials (see the module doc).
        """
        by_level: dict[int, list[Trial]] = {}
        for trial in ranked(history, history.trials):
            level = level_of(history, trial, levels)
            if level is not None:
                by_level.setdefault(level, []).append(trial)
        incumbent = by_level[max(by_level)][0]
        level = max(i for i, trials in by_level.items() if len(trials) >= self.eta)
        top = by_level[level][:len(by_level[level]) // self.eta]
        weights = np.log(np.arange(len(top), 0, -1, dtype=float))
        rows = space.encode([t.config for t in top])
        log_prior = np.log(np.maximum(space.prior_pdf(rows), 1e-300))
        around = recentred_space(space, incumbent.config)
        log_inc = np.log(np.maximum(around.prior_pdf(rows), 1e-300))
        s_prior = np.logaddexp.reduce(weights + log_prior)
        s_inc = np.logaddexp.reduce(weights + log_inc)
        return incumbent, float(np.exp(s_inc - np.logaddexp(s_prior, s_inc)))

    def mutate(self, space: Space, config: Config, rng: np.random.Generator) -> Config:
        """The incumbent *config* with some hyperparameters changed (see the module doc).

        Falls back to a draw from the prior when forbidden combinations rule out every
        mutant tried.
        """
        base = space.encode([config])[0]
        names = space.names
        movable = [j for j, name in enumerate(names) if name in config
                   and _can_move(space[name])]
        for _ in range(_MUTANT_TRIES):
            row = np.where(np.isnan(base), space.sample_unit(1, rng)[0], base)
            chosen = [j for j in movable if rng.random() < self.mutation_rate]
            if not chosen and movable:
                chosen = [movable[int(rng.integers(len(movable)))]]
            for j in chosen:
                row[j] = self._moved(space[names[j]], config[names[j]], rng)
            mutant = space.decode(row)
            if not space.is_forbidden(mutant):
                return mutant
        return space.sample(1, rng, from_prior=True)[0]

    def _moved(self, param: Any, value: Any, rng: np.random.Generator) -> float:
        """The encoded value of a change of one hyperparameter from *value*."""
        if isinstance(param, _Numeric):
            around = dataclasses.replace(param, prior=value,
                                         confidence=1.0 - 2.0 * self.mutation_std)
            return float(around.sample_unit(rng, 1, True)[0])
        choices = list(param.choices)
        others = [c for c in choices if c != value]
        return float(param.to_unit(others[int(rng.integers(len(others)))]))
