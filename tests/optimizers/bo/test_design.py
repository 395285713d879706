"""bo's initial design: one space-filling sequence, every point its own coordinates."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import hyperpilot as hp
from hyperpilot.optimizers import History
from hyperpilot.optimizers.bo import BayesianOptimizer

PRESETS = ["bo", "bo-gp", "bo-rf"]
DESIGNS = ["sobol", "lhs"]


def _objective(config: dict[str, Any]) -> float:
    return float(sum(v for v in config.values() if isinstance(v, float)))


def _design_trials(space: hp.Space, optimizer: BayesianOptimizer, seed: int) -> list[hp.Trial]:
    study = hp.create_study(space=space, storage="memory", optimizer=optimizer, seed=seed)
    study.optimize(_objective, n_trials=optimizer.initial_size(space), show_progress=False)
    trials = study.trials
    assert all(t.meta["bo"]["kind"] == "design" for t in trials)
    return trials


def test_the_design_points_after_the_prior_mode_share_no_values() -> None:
    # The prior-shaped and the uniform points came from two copies of one sequence, so
    # trials 1 and 2 (and 3 and 4) differed only in lr, the one column with a prior.
    space = hp.Space({"lr": hp.Float(1e-4, 1e-1, log=True, prior=1e-3, confidence="medium"),
                      "a": hp.Float(0, 1), "b": hp.Float(0, 1),
                      "c": hp.Categorical(["p", "q", "r"])})
    study = hp.create_study(space=space, storage="memory", optimizer="bo", seed=0)
    n_init = BayesianOptimizer().initial_size(space)
    study.optimize(_objective, n_trials=n_init, show_progress=False)
    design = study.trials
    assert [t.meta["bo"]["kind"] for t in design] == ["design"] * n_init
    assert design[0].config == space.default_config()
    assert [t.meta["bo"]["from_prior"] for t in design] == [True, True, False, True, False]
    shared = {(t.config["a"], t.config["b"], t.config["c"]) for t in design}
    assert len(shared) == n_init, "two design trials share a, b and c"
    for name in ("lr", "a", "b"):
        assert len({t.config[name] for t in design}) == n_init, name


def _mixed_space(priors: bool) -> hp.Space:
    """Nine hyperparameters (a design of 10); priors on two continuous ones when asked."""
    lr: dict[str, Any] = {"prior": 1e-3, "confidence": "medium"} if priors else {}
    drop: dict[str, Any] = {"prior": 0.1, "confidence": "high"} if priors else {}
    return hp.Space({
        "lr": hp.Float(1e-4, 1e-1, log=True, **lr), "dropout": hp.Float(0.0, 0.5, **drop),
        "a": hp.Float(0.0, 1.0), "b": hp.Float(-5.0, 5.0), "c": hp.Float(1.0, 100.0, log=True),
        "depth": hp.Int(1, 4), "kind": hp.Categorical(["p", "q", "r"]),
        "flag": hp.Categorical([True, False]), "order": hp.Ordinal(["s", "m", "l", "xl"]),
    })


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("priors", [False, True], ids=["uniform", "priors"])
@pytest.mark.parametrize("design", DESIGNS)
@pytest.mark.parametrize("preset", PRESETS)
def test_every_projection_of_the_design_is_spread(preset: str, design: str, priors: bool,
                                                   seed: int) -> None:
    """Continuous columns never repeat a value; discrete ones show every value they can.

    The discrete columns have at most 4 values: the design's first 8 Sobol points (or its
    Latin hypercube of 10 strata) put a point in every value's bin by construction. (A
    column with more values than half the design, say 8 values under 10 points, can miss
    one: the design's strata are not aligned with its bins.)
    """
    space = _mixed_space(priors)
    optimizer = hp.make_optimizer({"name": preset, "initial_design": design})
    assert isinstance(optimizer, BayesianOptimizer)
    trials = _design_trials(space, optimizer, seed)
    n = len(trials)
    assert n == 10
    for name in space.names:
        values = [t.config[name] for t in trials]
        param = space[name]
        if param.kind == "float":
            assert len(set(values)) == n, f"{name} repeats a value: {sorted(values)}"
        else:
            cardinality = (len(param.choices) if hasattr(param, "choices")
                           else int(param.high - param.low + 1))
            assert len(set(values)) == min(n, cardinality), f"{name}: {values}"


@pytest.mark.parametrize("design", DESIGNS)
def test_a_taken_default_gives_way_to_the_next_design_point(design: str) -> None:
    # Another worker's trial (or an enqueued one) holds the default configuration while
    # this process still asks for trial 0.
    for space, optimizer in (
        (_mixed_space(True), BayesianOptimizer(initial_design=design)),
        (_mixed_space(False), BayesianOptimizer(initial_design=design, design_default=True)),
    ):
        study = hp.create_study(space=space, storage="memory", seed=4, optimizer="random")
        study.enqueue(space.default_config())
        assert study.ask().config == space.default_config()

        def history(number: int, load: Any = tuple, study: hp.Study = study,
                    space: hp.Space = space) -> History:
            return History(space=space, objectives=[hp.Objective()], number=number,
                           seed=study.seed, load=load)

        n_init = optimizer.initial_size(space)
        proposal = optimizer.ask(history(0, study.get_trials))
        assert proposal.config != space.default_config()
        assert proposal.meta["bo"]["kind"] == "design"
        assert proposal.config == optimizer.ask(history(n_init)).config, \
            "the point trial number n_initial would get"
        noisy = BayesianOptimizer(initial_design=design, design_default=True, noisy=True)
        assert noisy.ask(history(0, study.get_trials)).config == space.default_config()


def test_a_taken_default_completes_a_latin_hypercube() -> None:
    space = _mixed_space(False)
    optimizer = BayesianOptimizer(initial_design="lhs", design_default=True)
    n = optimizer.initial_size(space)
    study = hp.create_study(space=space, storage="memory", seed=1, optimizer="random")
    study.enqueue(space.default_config())
    study.ask()
    rows = [optimizer.ask(History(space=space, objectives=[hp.Objective()], number=i,
                                  seed=study.seed, load=study.get_trials)).config
            for i in range(n)]
    unit = space.encode(rows)[:, [space.names.index(k) for k in ("a", "b", "c")]]
    strata = np.sort(np.floor(unit * n).astype(int), axis=0)
    assert (strata == np.arange(n)[:, None]).all(), "one point per stratum and column"


def test_uniform_top_up_points_share_no_values_with_the_design() -> None:
    # A wrong prior on x0 is rejected; the uniform points added to the design continue the
    # one sequence instead of repeating the design's coordinates.
    space = hp.Space({"x0": hp.Float(-5.0, 5.0, prior=-4.5, confidence="high"),
                      **{f"x{i}": hp.Float(-5.0, 5.0) for i in range(1, 4)}})
    optimizer = BayesianOptimizer(n_trials=40)
    study = hp.create_study(space=space, storage="memory", optimizer=optimizer, seed=1)
    study.optimize(lambda c: sum((v - 1.0) ** 2 for v in c.values()), n_trials=20,
                   show_progress=False)
    metas = [t.meta["bo"] for t in study.trials]
    top_up = [m for m in metas if m.get("prior") == "rejected" and m["kind"] == "design"]
    assert top_up, "the prior was not rejected before the design was topped up"
    design = [t for t in study.trials if t.meta["bo"]["kind"] == "design"]
    for name in space.names:
        values = [t.config[name] for t in design]
        assert len(set(values)) == len(values), name
