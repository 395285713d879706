"""Priors given while the study runs (DynaBO): steering, decay, tests, verdict events."""

from __future__ import annotations

from typing import Any

import numpy as np

import hyperpilot as hp

SPACE = hp.Space({"x": hp.Float(-5.0, 5.0), "y": hp.Float(-5.0, 5.0)})


def sphere(config: dict[str, Any]) -> float:
    return (config["x"] - 3.0) ** 2 + (config["y"] + 2.0) ** 2


def _run(prior: tuple[str, float] | None, seed: int, confidence: str = "high") -> hp.Study:
    study = hp.create_study(space=SPACE, seed=seed,
                            optimizer=hp.BayesianOptimizer(n_trials=30))
    study.optimize(sphere, n_trials=8, show_progress=False)
    if prior is not None:
        study.set_prior(prior[0], prior[1], confidence)
    study.optimize(sphere, n_trials=8, show_progress=False)
    return study


def test_a_good_runtime_prior_pulls_the_next_proposals_towards_it() -> None:
    near, far = [], []
    for seed in range(4):
        with_prior = _run(("x", 3.0), seed)
        without = _run(None, seed)
        near.append(np.mean([abs(t.config["x"] - 3.0) for t in with_prior.trials[8:12]]))
        far.append(np.mean([abs(t.config["x"] - 3.0) for t in without.trials[8:12]]))
        info = with_prior.trials[8].meta["bo"]["runtime_priors"][0]
        assert info["name"] == "x" and info["since"] == 8 and info["verdict"] == "used"
    assert np.mean(near) < 0.5 * np.mean(far)


def test_each_runtime_prior_decays_on_its_own_clock() -> None:
    study = _run(("x", 3.0), 0)
    weights = [t.meta["bo"]["runtime_priors"][0]["weight"] for t in study.trials[8:]
               if t.meta["bo"].get("kind") == "model"]
    beta = 30 / 10
    expected = [beta / k for k in range(1, 9)]
    used = [t.meta["bo"]["runtime_priors"][0]["verdict"] == "used" for t in study.trials[8:]]
    assert sum(used) >= 4, "a good prior held at most steps"
    assert [w for w, u in zip(weights, used, strict=True) if u] == [
        e for e, u in zip(expected, used, strict=True) if u]


def test_a_misleading_runtime_prior_is_judged_and_recorded() -> None:
    study = hp.create_study(space=SPACE, seed=1, optimizer=hp.BayesianOptimizer(n_trials=40))
    study.optimize(sphere, n_trials=15, show_progress=False)
    study.set_prior("x", -5.0, "high")
    study.set_prior("y", 5.0, "high")
    study.optimize(sphere, n_trials=10, show_progress=False)
    verdicts = [e for e in study.events() if e.kind == "prior_verdict"]
    assert verdicts, "the misleading priors were never rejected"
    first = verdicts[0]
    assert first.origin == "optimizer" and first.payload["verdict"] == "rejected"
    assert first.payload["prior_score"] - first.payload["incumbent_score"] <= (
        first.payload["tolerance"])
    assert first.payload["name"] in ("x", "y") and first.payload["trial"] >= 15
    # While rejected, the prior weighs nothing in the proposals that say so.
    for trial in study.trials[15:]:
        for info in trial.meta["bo"].get("runtime_priors", []):
            assert (info["weight"] == 0.0) == (info["verdict"] == "rejected")


def test_a_categorical_runtime_prior_and_clearing_it() -> None:
    space = hp.Space({"x": hp.Float(0.0, 1.0), "k": hp.Categorical(["a", "b", "c", "d"])})
    study = hp.create_study(space=space, seed=4, optimizer="bo")
    objective = {"a": 1.0, "b": 1.0, "c": 0.0, "d": 1.0}
    study.optimize(lambda c: c["x"] + objective[c["k"]], n_trials=8, show_progress=False)
    study.set_prior("k", "c", "high")
    study.optimize(lambda c: c["x"] + objective[c["k"]], n_trials=4, show_progress=False)
    assert [t.config["k"] for t in study.trials[8:]].count("c") >= 3
    study.clear_prior("k")
    study.optimize(lambda c: c["x"] + objective[c["k"]], n_trials=1, show_progress=False)
    assert "runtime_priors" not in study.trials[-1].meta["bo"]


def test_a_chosen_acquisition_is_used_and_restored() -> None:
    study = hp.create_study(space=SPACE, seed=2, optimizer="bo")
    study.optimize(sphere, n_trials=7, show_progress=False)
    study.set_acquisition({"name": "lcb", "beta": 9.0})
    study.optimize(sphere, n_trials=2, show_progress=False)
    assert all(t.meta["bo"]["acq_chosen"] == {"name": "lcb", "beta": 9.0}
               for t in study.trials[7:9])
    study.set_acquisition(None)
    study.optimize(sphere, n_trials=1, show_progress=False)
    assert "acq_chosen" not in study.trials[-1].meta["bo"]


def test_a_rejected_runtime_prior_stays_out_until_given_again() -> None:
    study = hp.create_study(space=SPACE, seed=1, optimizer=hp.BayesianOptimizer(n_trials=40))
    study.optimize(sphere, n_trials=15, show_progress=False)
    study.set_prior("x", -5.0, "high")
    study.optimize(sphere, n_trials=8, show_progress=False)
    infos = [t.meta["bo"]["runtime_priors"][0] for t in study.trials[15:]
             if t.meta["bo"].get("kind") == "model"]
    first = next(i for i, info in enumerate(infos) if info["verdict"] == "rejected")
    assert all(info["verdict"] == "rejected" and info["weight"] == 0.0
               for info in infos[first:])
    assert all(info.get("kept") for info in infos[first + 1:])
    verdicts = [e for e in study.events() if e.kind == "prior_verdict"]
    assert len(verdicts) == 1 and verdicts[0].payload["verdict"] == "rejected"
    study.set_prior("x", -5.0, "high")  # given again: tested afresh
    study.optimize(sphere, n_trials=1, show_progress=False)
    latest = study.trials[-1].meta["bo"]["runtime_priors"]
    assert [info.get("kept", False) for info in latest] == [True, False]


def test_a_prior_rejected_at_once_leaves_the_search_as_without_it() -> None:
    space = hp.Space({f"x{i}": hp.Float(-5.0, 5.0) for i in range(4)})

    def bowl(config: dict[str, Any]) -> float:
        return sum((config[f"x{i}"] - 1.0) ** 2 for i in range(4))

    def run(prior: bool) -> hp.Study:
        # The forest's acquisition is flat between its splits, so which of its maxima the
        # search returns depends on the random draws it is given.
        study = hp.create_study(space=space, seed=3, optimizer=hp.BayesianOptimizer(
            n_trials=40, surrogate="rf"))
        study.optimize(bowl, n_trials=12, show_progress=False)
        if prior:
            study.set_prior("x0", -5.0, "high")
        study.optimize(bowl, n_trials=4, show_progress=False)
        return study

    steered, plain = run(True), run(False)
    first = steered.trials[12].meta["bo"]["runtime_priors"][0]
    assert first["verdict"] == "rejected", "the corner prior should fail its first test"
    # The test draws from a generator of its own: the proposals are the same ones (drawn
    # from the step's generator, the test's 256 draws moved every later draw of the step).
    assert [t.config for t in steered.trials] == [t.config for t in plain.trials]


def test_priors_given_together_are_judged_together_once_the_region_was_tried() -> None:
    space = hp.Space({f"x{i}": hp.Float(-5.0, 5.0) for i in range(6)})

    def bowl(config: dict[str, Any]) -> float:
        return sum((config[f"x{i}"] - 1.0) ** 2 for i in range(6))

    study = hp.create_study(space=space, seed=0, optimizer=hp.BayesianOptimizer(n_trials=60))
    study.optimize(bowl, n_trials=20, show_progress=False)
    for i in range(6):  # one belief: the corner farthest from the optimum
        study.set_prior(f"x{i}", -5.0, "high")
    study.optimize(bowl, n_trials=4, show_progress=False)
    first = study.trials[20].meta["bo"]["runtime_priors"]
    assert all("with" not in info for info in first), "no joint test before any evidence"
    last = study.trials[-1].meta["bo"]["runtime_priors"]
    assert all(info["verdict"] == "rejected" for info in last)
    together = [e for e in study.events()
                if e.kind == "prior_verdict" and "together_with" in e.payload]
    for event in together:
        # the priors of the belief not rejected before
        others = {f"x{i}" for i in range(6)} - {event.payload["name"]}
        assert event.payload["together_with"] and set(event.payload["together_with"]) <= others
        assert event.payload["prior_score"] - event.payload["incumbent_score"] <= (
            event.payload["tolerance"])
    assert together, "the belief was never judged as a whole"
    judged = {e.payload["name"] for e in study.events() if e.kind == "prior_verdict"}
    assert judged == {f"x{i}" for i in range(6)}
