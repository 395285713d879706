from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import hyperpilot as hp
from hyperpilot.optimizers import History
from hyperpilot.optimizers.bo import BayesianOptimizer
from hyperpilot.optimizers.bo._bo import _last_model_meta

SPHERE = hp.Space({f"x{i}": hp.Float(-5.0, 5.0) for i in range(4)})


def sphere(config: dict[str, Any]) -> float:
    return float(sum((config[f"x{i}"] - 1.0) ** 2 for i in range(4)))


@pytest.mark.parametrize("optimizer", ["bo", "bo-gp", "bo-rf"])
def test_beats_random_search_on_a_sphere(optimizer: str) -> None:
    results = {}
    for name in (optimizer, "random"):
        values = []
        for seed in range(3):
            study = hp.create_study(space=SPHERE, storage="memory", optimizer=name, seed=seed)
            study.optimize(sphere, n_trials=30, show_progress=False)
            values.append(study.best_trial.value)
        results[name] = float(np.median(values))
    assert results[optimizer] < 0.5 * results["random"]


def test_initial_design_then_model_with_explanations() -> None:
    study = hp.create_study(space=SPHERE, storage="memory", optimizer="bo", seed=0)
    study.optimize(sphere, n_trials=12, show_progress=False)
    kinds = [t.meta["bo"]["kind"] for t in study.trials]
    n_init = BayesianOptimizer().initial_size(SPHERE)
    assert kinds == ["design"] * n_init + ["model"] * (12 - n_init)
    meta = study.trials[-1].meta["bo"]
    assert meta["surrogate"] == "gp" and meta["step"] == 12 - n_init
    assert {"mean", "var", "best", "acq_value", "gp"} <= set(meta)


def test_prior_mode_first_and_prior_speeds_up_search() -> None:
    prior_space = hp.Space({f"x{i}": hp.Float(-5.0, 5.0, prior=1.0, confidence="high")
                            for i in range(4)})
    study = hp.create_study(space=prior_space, storage="memory", optimizer="bo", seed=0)
    study.optimize(sphere, n_trials=10, show_progress=False)
    assert study.trials[0].config == {f"x{i}": 1.0 for i in range(4)}
    design = [t for t in study.trials if t.meta["bo"]["kind"] == "design"]
    prior_shaped = [t for t in design if t.number % 2 == 1]
    uniform = [t for t in design if t.number % 2 == 0][1:]
    assert np.mean([abs(t.config["x0"] - 1.0) for t in prior_shaped]) < 1.0
    assert np.mean([abs(t.config["x0"] - 1.0) for t in uniform]) > 1.0


def test_misleading_prior_is_overruled() -> None:
    wrong = hp.Space({f"x{i}": hp.Float(-5.0, 5.0, prior=-4.0, confidence="medium")
                      for i in range(4)})
    study = hp.create_study(space=wrong, storage="memory", optimizer="bo", seed=1)
    study.optimize(sphere, n_trials=40, show_progress=False)
    assert study.best_trial.value < 1.0
    verdicts = [t.meta["bo"].get("prior") for t in study.trials if t.meta["bo"]["kind"] == "model"]
    assert "rejected" in verdicts


def test_a_rejected_prior_gets_its_design_topped_up_with_uniform_points() -> None:
    wrong = hp.Space({f"x{i}": hp.Float(-5.0, 5.0, prior=-4.5, confidence="high")
                      for i in range(4)})
    optimizer = BayesianOptimizer(n_trials=40)
    n_init = optimizer.initial_size(wrong)
    study = hp.create_study(space=wrong, storage="memory", optimizer=optimizer, seed=1)
    study.optimize(sphere, n_trials=25, show_progress=False)
    metas = [t.meta["bo"] for t in study.trials]
    design = metas[:n_init]
    assert all(m["kind"] == "design" for m in design)
    assert sum(not m["from_prior"] for m in design) < n_init  # half follow the prior
    top_up = [m for m in metas[n_init:] if m["kind"] == "design"]
    assert top_up and all(m["prior"] == "rejected" and not m["from_prior"] for m in top_up)
    # uniform points until a design without priors would have had as many, then the model
    assert sum(not m["from_prior"] for m in metas if m["kind"] == "design") == n_init
    first_model = next(i for i, m in enumerate(metas) if m["kind"] == "model")
    assert all(m["kind"] == "design" for m in metas[:first_model])
    # the top-up continues the uniform Sobol sequence: no point repeats
    rows = np.array([[t.config[f"x{i}"] for i in range(4)] for t in study.trials])
    assert len(np.unique(rows.round(9), axis=0)) == len(rows)


def test_a_trusted_prior_gets_no_top_up() -> None:
    right = hp.Space({f"x{i}": hp.Float(-5.0, 5.0, prior=0.2, confidence="high")
                      for i in range(4)})
    optimizer = BayesianOptimizer(n_trials=40)
    study = hp.create_study(space=right, storage="memory", optimizer=optimizer, seed=1)
    study.optimize(sphere, n_trials=15, show_progress=False)
    n_init = optimizer.initial_size(right)
    metas = [t.meta["bo"] for t in study.trials]
    assert all(m["kind"] == "model" for m in metas[n_init:])
    assert metas[n_init]["prior"] == "used"


def test_a_rejected_prior_offers_no_candidates_to_the_search(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from hyperpilot.optimizers.bo._maximizer import AcquisitionMaximizer

    offered: list[bool] = []
    maximize = AcquisitionMaximizer.maximize

    def spy(self: AcquisitionMaximizer, *args: Any, **kwargs: Any) -> Any:
        offered.append(kwargs.get("prior_sampler") is not None)
        return maximize(self, *args, **kwargs)

    monkeypatch.setattr(AcquisitionMaximizer, "maximize", spy)
    wrong = hp.Space({f"x{i}": hp.Float(-5.0, 5.0, prior=-4.0, confidence="medium")
                      for i in range(4)})
    study = hp.create_study(space=wrong, storage="memory", optimizer="bo", seed=1)
    study.optimize(sphere, n_trials=25, show_progress=False)
    verdicts = [t.meta["bo"]["prior"] for t in study.trials if t.meta["bo"]["kind"] == "model"]
    assert offered == [v == "used" for v in verdicts]
    assert "rejected" in verdicts


@pytest.mark.parametrize("acquisition", ["logei", "ei", "lcb"])
def test_prior_weighting_is_the_acquisition_times_the_prior_to_the_beta_over_n(
        acquisition: str) -> None:
    from scipy import stats

    from hyperpilot.optimizers.bo._gp import GaussianProcess
    from hyperpilot.space._vectorized import VectorSpace

    space = hp.Space({"x": hp.Float(0.0, 10.0, prior=3.0, confidence="medium"),
                      "c": hp.Categorical(["a", "b", "c"], prior="b", confidence="high")})
    vspace = VectorSpace(space)
    rng = np.random.default_rng(0)
    X = vspace.sample(10, rng)
    y = np.sin(6.0 * X[:, 0]) + (X[:, 1] > 0.5)
    model = GaussianProcess().fit(X, y, vspace.cardinalities)
    optimizer = BayesianOptimizer(acquisition=acquisition, n_trials=50)  # β = 50 / 10 = 5
    acq = optimizer._acquisition()
    n_bo = 4
    score, _ = optimizer._score(acq, model, float(y.min()), vspace, n_bo, True)
    Q = vspace.sample(64, rng)
    # The prior written out: x is N(0.3, 0.25) truncated to [0, 1] on its unit scale; "b"
    # has probability 1/3 + 0.75 * 2/3, the others share the rest, each spread uniformly
    # over its third of c's unit interval.
    truncated = stats.truncnorm(-0.3 / 0.25, 0.7 / 0.25, loc=0.3, scale=0.25)
    mass_b = 1.0 / 3.0 + 0.75 * 2.0 / 3.0
    mass = np.where(np.floor(Q[:, 1] * 3) == 1, mass_b, (1.0 - mass_b) / 2.0)
    log_prior = truncated.logpdf(Q[:, 0]) + np.log(3.0 * mass)
    weight = 5.0 / n_bo
    alpha = acq.evaluate(Q, model, float(y.min()))
    got = score(Q)
    if acquisition == "logei":  # log alpha + (beta / n) log prior
        np.testing.assert_allclose(got, alpha + weight * log_prior, rtol=1e-10)
    else:  # alpha prior^(beta / n), in log space; LCB shifted by a constant to be positive
        shift = 0.0 if acquisition == "ei" else alpha.min()
        np.testing.assert_allclose(np.exp(got - weight * log_prior), alpha - shift,
                                   rtol=1e-6, atol=1e-8)
    # batches scored later are weighted the same way: the maximizer compares across them
    np.testing.assert_allclose(score(Q[5:20]), got[5:20], rtol=1e-12)


def _share_of_b(surrogate: str, prior: bool, penalty: float,
                seeds: int = 3) -> tuple[float, list[str]]:
    """Share of model-based proposals choosing "b" over *seeds* seeds, and the verdicts."""
    shares: list[float] = []
    verdicts: list[str] = []
    for seed in range(seeds):
        choice = (hp.Categorical(["a", "b", "c", "d"], prior="b", confidence="high") if prior
                  else hp.Categorical(["a", "b", "c", "d"]))
        space = hp.Space({"x": hp.Float(0.0, 1.0), "kind": choice})
        study = hp.create_study(space=space, storage="memory", seed=seed,
                                optimizer=BayesianOptimizer(surrogate=surrogate, n_trials=30))
        study.optimize(lambda c: (c["x"] - 0.7) ** 2 + penalty * (c["kind"] == "b"),
                       n_trials=20, show_progress=False)
        model = [t for t in study.trials if t.meta["bo"]["kind"] == "model"]
        shares.append(float(np.mean([t.config["kind"] == "b" for t in model])))
        verdicts += [t.meta["bo"]["prior"] for t in model]
    return float(np.mean(shares)), verdicts


@pytest.mark.parametrize("surrogate", ["gp", "rf"])
def test_a_categorical_prior_steers_both_surrogates(surrogate: str) -> None:
    # "kind" does not matter: the prior decides, and nothing contradicts it. The forest's
    # random splits make its verdicts noisy from seed to seed: more seeds, a smaller margin
    # (over 30 seeds its share of "b" is 0.33 higher with the prior than without).
    seeds, margin = (3, 0.2) if surrogate == "gp" else (10, 0.15)
    with_prior, verdicts = _share_of_b(surrogate, True, 0.0, seeds)
    without, _ = _share_of_b(surrogate, False, 0.0, seeds)
    assert with_prior >= without + margin
    assert verdicts.count("used") > len(verdicts) / 2


@pytest.mark.parametrize("surrogate", ["gp", "rf"])
def test_a_misleading_categorical_prior_is_rejected_by_both_surrogates(surrogate: str) -> None:
    share, verdicts = _share_of_b(surrogate, True, 1.0)  # "b" costs 1: the prior is wrong
    assert share < 0.15
    assert verdicts.count("rejected") > len(verdicts) / 2


def test_the_prior_test_recentres_only_the_prior_columns() -> None:
    from hyperpilot.optimizers.bo._pibo import recentred
    from hyperpilot.space._vectorized import VectorSpace

    space = hp.Space({"x": hp.Float(0.0, 1.0, prior=0.2), "y": hp.Float(0.0, 1.0),
                      "c": hp.Categorical(["a", "b", "c", "d"], prior="b")})
    vspace = VectorSpace(space)
    rows = vspace.sample(200, np.random.default_rng(0), from_prior=True)
    incumbent = vspace.from_configs([{"x": 0.5, "y": 0.9, "c": "d"}])[0]
    around = recentred(vspace, rows, incumbent)
    np.testing.assert_allclose(around[:, 1], rows[:, 1])  # no prior: the same draws
    np.testing.assert_allclose(around[:, 0], np.clip(rows[:, 0] + 0.3, 0.0, 1.0))
    choice = {0.125: "a", 0.375: "b", 0.625: "c", 0.875: "d"}
    before = [choice[v] for v in rows[:, 2]]
    after = [choice[v] for v in around[:, 2]]
    swap = {"b": "d", "d": "b", "a": "a", "c": "c"}
    assert after == [swap[v] for v in before]
    assert after.count("d") > 100  # the prior's weight now sits on the incumbent's choice


def test_a_latin_hypercube_design_and_the_default_first() -> None:
    optimizer = BayesianOptimizer(initial_design="lhs", n_trials=40)
    n_init = optimizer.initial_size(SPHERE)
    study = hp.create_study(space=SPHERE, storage="memory", optimizer=optimizer, seed=0)
    study.optimize(sphere, n_trials=n_init + 1, show_progress=False)
    design = np.array([[(t.config[f"x{i}"] + 5.0) / 10.0 for i in range(4)]
                       for t in study.trials[:n_init]])
    strata = np.sort(np.floor(design * n_init).astype(int), axis=0)
    assert (strata == np.arange(n_init)[:, None]).all()  # one point per stratum and column
    assert study.trials[n_init].meta["bo"]["kind"] == "model"

    first = hp.create_study(space=SPHERE, storage="memory", seed=0,
                            optimizer=BayesianOptimizer(design_default=True))
    first.optimize(sphere, n_trials=3, show_progress=False)
    assert first.trials[0].config == SPHERE.default_config()
    assert first.trials[0].meta["bo"] == {"kind": "design", "default": True}
    plain = hp.create_study(space=SPHERE, storage="memory", seed=0, optimizer="bo")
    plain.optimize(sphere, n_trials=3, show_progress=False)
    assert plain.trials[0].config != SPHERE.default_config()
    assert first.trials[1].config == plain.trials[0].config  # then the same Sobol points


def test_running_trials_are_avoided() -> None:
    study = hp.create_study(space=SPHERE, storage="memory", optimizer="bo", seed=2)
    study.optimize(sphere, n_trials=8, show_progress=False)
    pending = [study.ask() for _ in range(4)]
    rows = np.array([[t.config[f"x{i}"] for i in range(4)] for t in pending])
    distances = np.linalg.norm(rows[:, None] - rows[None], axis=-1)[np.triu_indices(4, 1)]
    assert distances.min() > 1e-3
    for trial in pending:
        study.tell(trial, sphere(trial.config))


SMALL = hp.Space({"a": hp.Categorical(["x", "y"]), "b": hp.Categorical([1, 2, 3]),
                  "n": hp.Int(0, 2)})  # 18 configurations


def small_objective(config: dict[str, Any]) -> float:
    return float(config["b"] + config["n"]) + (config["a"] == "x")


@pytest.mark.parametrize("optimizer", ["bo", "bo-gp", "bo-rf"])
@pytest.mark.parametrize("seed", [0, 1, 5])
def test_never_repeats_a_configuration_until_the_space_is_exhausted(optimizer: str,
                                                                     seed: int) -> None:
    # Design points and the random-forest's interleaved random draws used to repeat
    # configurations on small discrete spaces (seeds 0, 1 and 5 did).
    study = hp.create_study(space=SMALL, storage="memory", optimizer=optimizer, seed=seed)
    study.optimize(small_objective, n_trials=18, show_progress=False)
    configs = [tuple(sorted(t.config.items())) for t in study.trials]
    assert len(set(configs)) == 18


def test_design_points_skip_enqueued_and_prior_repeats() -> None:
    space = hp.Space({"a": hp.Categorical(["x", "y"], prior="x", confidence="high"),
                      "b": hp.Categorical([1, 2, 3], prior=2, confidence="high"),
                      "n": hp.Int(0, 2)})
    study = hp.create_study(space=space, storage="memory", optimizer="bo", seed=2)
    study.enqueue({"a": "y", "b": 3, "n": 0})
    study.optimize(small_objective, n_trials=12, show_progress=False)
    configs = [tuple(sorted(t.config.items())) for t in study.trials]
    assert len(set(configs)) == 12


def test_failures_multi_objective_and_constraints_do_not_break_it() -> None:
    calls = {"n": 0}

    def flaky(config: dict[str, Any]) -> dict[str, float]:
        calls["n"] += 1
        if calls["n"] % 4 == 0:
            raise RuntimeError("boom")
        return {"a": sphere(config), "b": float(config["x0"]) ** 2, "mem": float(config["x1"])}

    study = hp.create_study(space=SPHERE, storage="memory", optimizer="bo", seed=3,
                            objectives={"a": "minimize", "b": "minimize"},
                            constraints={"mem": 2.0})
    study.optimize(flaky, n_trials=20, show_progress=False, max_consecutive_failures=None)
    states = [t.state.value for t in study.trials]
    assert states.count("failed") == 5 and states.count("complete") == 15
    assert study.best_trials


def test_conditional_mixed_space_proposals_are_valid() -> None:
    space = hp.Space({
        "kernel": hp.Categorical(["rbf", "poly", "linear"]),
        "C": hp.Float(1e-3, 1e3, log=True),
        "gamma": hp.Float(1e-4, 10.0, log=True, active_if={"kernel": ["rbf", "poly"]}),
        "degree": hp.Int(2, 5, active_if={"kernel": "poly"}),
    })
    study = hp.create_study(space=space, storage="memory", optimizer="bo", seed=4)
    study.optimize(lambda c: abs(np.log10(c["C"])) + c.get("degree", 0), n_trials=20,
                   show_progress=False)
    for trial in study.trials:
        assert space.validate(trial.config) == trial.config


def test_last_model_meta_picks_the_latest_model_step() -> None:
    trials = [hp.Trial(id=i, number=i, study_id=1, config={}, meta=m) for i, m in enumerate([
        {"bo": {"kind": "design"}}, {"bo": {"kind": "model", "step": 1}},
        {"bo": {"kind": "random"}}, {}, {"bo": {"kind": "model", "step": 2}},
    ])]
    assert _last_model_meta(trials)["step"] == 2
    assert _last_model_meta(trials[:1]) == {}


@pytest.mark.parametrize("acquisition", ["ei", "logei", "pi", "logpi", "lcb", "ts", "ei-pi", "sawei"])
def test_every_acquisition_runs(acquisition: str) -> None:
    optimizer = BayesianOptimizer(acquisition=acquisition, n_trials=14)
    study = hp.create_study(space=SPHERE, storage="memory", optimizer=optimizer, seed=5)
    study.optimize(sphere, n_trials=14, show_progress=False)
    assert all(t.state == hp.TrialState.COMPLETE for t in study.trials)


def test_invalid_settings_are_named() -> None:
    with pytest.raises(hp.OptimizerError, match="unknown acquisition 'eii'; available:"):
        BayesianOptimizer(acquisition="eii")
    with pytest.raises(hp.OptimizerError,
                       match="unknown surrogate 'nn'; available: auto, gp, rf, or a "
                             "Surrogate object"):
        BayesianOptimizer(surrogate="nn")  # type: ignore[arg-type]
    with pytest.raises(hp.OptimizerError, match="random_fraction must lie in"):
        BayesianOptimizer(random_fraction=2.0)
    with pytest.raises(hp.OptimizerError,
                       match=r"initial_design must be one of \['lhs', 'sobol'\], got 'grid'"):
        BayesianOptimizer(initial_design="grid")


def test_history_without_trials_gives_the_design() -> None:
    proposal = BayesianOptimizer().ask(History(space=SPHERE, objectives=[hp.Objective()]))
    assert proposal.meta == {"bo": {"kind": "design"}}
    assert SPHERE.validate(proposal.config) == proposal.config


def test_only_a_noisy_objective_wants_configurations_repeated() -> None:
    assert not BayesianOptimizer().wants_repeats
    assert BayesianOptimizer(noisy=True).wants_repeats
    assert not hp.make_optimizer("random").wants_repeats
