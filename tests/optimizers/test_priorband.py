"""PriorBand: Hyperband's schedule, new configurations from the prior, incumbent or uniform."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import hyperpilot as hp
from hyperpilot.exceptions import OptimizerError
from hyperpilot.optimizers import History, PriorBand
from hyperpilot.optimizers._hyperband import rung_budgets

EPOCHS = hp.Fidelity("epochs", 1, 27)
LEVELS = rung_budgets(EPOCHS, 3)  # 1, 3, 9, 27
ROUND = 69  # one Hyperband round on 1..27 with eta = 3


def _space(x: float | None = 0.7, y: float | None = 0.2, c: str | None = "a",
           confidence: str = "high") -> hp.Space:
    return hp.Space({"x": hp.Float(0.0, 1.0, prior=x, confidence=confidence),
                     "y": hp.Float(0.0, 1.0, prior=y, confidence=confidence),
                     "c": hp.Categorical(["a", "b", "c"], prior=c, confidence=confidence)})


GOOD = _space()
MISLEADING = _space(x=0.02, y=0.98, c="c")
PLAIN = _space(None, None, None)


def loss(config: dict[str, Any], budget: int) -> float:
    """A bowl at x = 0.7, y = 0.2 with the choice "a"; a larger budget lowers every loss."""
    bowl = (config["x"] - 0.7) ** 2 + (config["y"] - 0.2) ** 2
    return float(bowl + (0.1 if config["c"] != "a" else 0.0) + 1.0 / budget)


def _study(space: hp.Space, optimizer: Any = "priorband", seed: int = 0,
           **kwargs: Any) -> hp.Study:
    return hp.create_study(space=space, optimizer=optimizer, fidelity=EPOCHS, seed=seed,
                           **{"storage": "memory", **kwargs})


def _new(study: hp.Study) -> list[hp.Trial]:
    return [t for t in study.trials if t.meta["hyperband"]["rung"] == 0]


def test_uniform_weight_falls_with_the_level_a_bracket_starts_at() -> None:
    optimizer = PriorBand()
    for start in range(4):
        kinds: Counter[str] = Counter()
        for number in range(1500):
            history = History(space=GOOD, objectives=[hp.Objective()], number=number,
                              fidelity=EPOCHS)
            _, meta = optimizer.sample(history, start, LEVELS)
            info = meta["priorband"]
            assert info["p_uniform"] == pytest.approx(1 / (1 + 3**start))
            assert info["p_prior"] == pytest.approx(1 - 1 / (1 + 3**start))
            assert info["p_incumbent"] == 0.0  # nothing has run yet
            kinds[info["kind"]] += 1
        assert kinds["uniform"] / 1500 == pytest.approx(1 / (1 + 3**start), abs=0.035)
        assert kinds["uniform"] + kinds["prior"] == 1500


def test_a_study_records_the_weights_of_each_brackets_first_level() -> None:
    study = _study(GOOD)
    study.optimize(loss, n_trials=ROUND, show_progress=False)
    for trial in _new(study):
        level = LEVELS.index(trial.budget)
        assert trial.meta["priorband"]["p_uniform"] == pytest.approx(1 / (1 + 3**level))
    promoted = [t for t in study.trials if t.meta["hyperband"]["rung"] > 0]
    assert promoted and all("priorband" not in t.meta for t in promoted)


def test_prior_samples_concentrate_near_the_prior() -> None:
    study = _study(GOOD, seed=1)
    study.optimize(loss, n_trials=2 * ROUND, show_progress=False)
    by_kind: dict[str, list[hp.Trial]] = {}
    for trial in _new(study):
        by_kind.setdefault(trial.meta["priorband"]["kind"], []).append(trial)
    prior, uniform = by_kind["prior"], by_kind["uniform"]
    assert len(prior) >= 20 and len(uniform) >= 10

    def spread(trials: list[hp.Trial]) -> float:
        return float(np.median([abs(t.config["x"] - 0.7) + abs(t.config["y"] - 0.2)
                                for t in trials]))

    # high confidence: a normal with a standard deviation of 1/8 of the range per column
    assert spread(prior) < 0.25 < spread(uniform)
    assert np.mean([t.config["c"] == "a" for t in prior]) > 0.7


def _conditions_held(study: hp.Study, before: int) -> bool:
    """The three conditions of incumbent sampling, from the trials before *before*."""
    done = [t for t in study.trials if t.number < before]
    full = any(t.budget == 27 for t in done)
    crowded = max(Counter(t.budget for t in done).values(), default=0) >= 3
    spent = sum(t.budget or 0 for t in done) >= 27 + 9 * 3 + 3 * 9 + 27  # bracket 3: 108 epochs
    return full and crowded and spent


def test_incumbent_sampling_starts_only_once_the_conditions_hold() -> None:
    study = _study(GOOD, seed=2)
    study.optimize(loss, n_trials=2 * ROUND, show_progress=False)
    new = _new(study)
    active = [t.meta["priorband"]["p_incumbent"] > 0 for t in new]
    assert active == [_conditions_held(study, t.number) for t in new]
    assert not any(active[:27]) and any(active)  # bracket 0 ends at trial 39, at 108 epochs
    first = next(t for t, on in zip(new, active, strict=True) if on)
    assert first.number >= 40
    mutated = [t for t in new if t.meta["priorband"]["kind"] == "incumbent"]
    assert mutated
    by_number = {t.number: t for t in study.trials}
    for trial in mutated:
        incumbent = by_number[trial.meta["priorband"]["incumbent"]]
        assert incumbent.budget == max(t.budget for t in study.trials  # type: ignore[type-var]
                                       if t.number < trial.number)
        assert trial.config != incumbent.config


@pytest.mark.parametrize(("runs", "active"), [
    ([9] * 13, False),  # 117 epochs spent, 13 at one level, nothing at the full budget
    ([9] * 13 + [27], True),
    ([27] * 3, False),  # at the full budget, 3 at one level, but 81 epochs < 108
    ([27] * 4, True),
    ([27, 27, -27, -27, -27], False),  # 135 epochs, but only 2 complete at any level
    ([27, 27, -27, -27, -27, 27], True),
])
def test_each_condition_of_incumbent_sampling_is_needed(runs: list[int], active: bool) -> None:
    def flaky(config: dict[str, Any], budget: int) -> float:
        if config["x"] == 0.9:
            raise RuntimeError("diverged")  # a failed trial has spent its budget
        return loss(config, budget)

    study = _study(GOOD)
    for budget in runs:  # a negative budget: a trial that fails at that budget
        study.enqueue({"x": 0.9 if budget < 0 else 0.5, "y": 0.5, "c": "b"},
                      budget=abs(budget))
    study.optimize(flaky, n_trials=len(runs), show_progress=False,
                   max_consecutive_failures=None)
    assert PriorBand().incumbent_active(study.history(), LEVELS) is active


def test_the_incumbent_takes_over_from_a_misleading_prior() -> None:
    study = _study(MISLEADING, seed=3)
    study.optimize(loss, n_trials=2 * ROUND, show_progress=False)
    late = [t.meta["priorband"] for t in _new(study) if t.meta["priorband"]["p_incumbent"] > 0]
    assert late
    assert np.mean([m["p_incumbent"] > m["p_prior"] for m in late]) > 0.8


def test_the_mutant_changes_few_hyperparameters_by_a_little() -> None:
    optimizer = PriorBand()
    incumbent = {"x": 0.5, "y": 0.5, "c": "b"}
    changed: Counter[str] = Counter()
    moves: list[float] = []
    for i in range(400):
        mutant = optimizer.mutate(GOOD, incumbent, np.random.default_rng(i))
        diff = [k for k in incumbent if mutant[k] != incumbent[k]]
        assert diff  # never the incumbent itself
        changed.update(diff)
        moves += [abs(mutant[k] - 0.5) for k in ("x", "y") if k in diff]
    # each with probability 1/2 (at least one): 4/7 of 400 = 229 each
    assert all(180 < changed[k] < 280 for k in incumbent)
    assert 0.12 < float(np.median(moves)) < 0.22  # half-normal, sigma 0.25, truncated


def test_mutants_respect_conditions_and_forbidden_combinations() -> None:
    space = hp.Space({
        "kernel": hp.Categorical(["rbf", "poly", "linear"], prior="poly", confidence="high"),
        "gamma": hp.Float(1e-4, 10.0, log=True, prior=0.1, active_if={"kernel": ["rbf", "poly"]}),
        "degree": hp.Int(2, 5, prior=3, active_if={"kernel": "poly"}),
    }, forbidden=[{"kernel": "rbf", "gamma": hp.gt(1.0)}])

    def objective(config: dict[str, Any], budget: int) -> float:
        return abs(config.get("degree", 0) - 4) + 1.0 / budget

    study = _study(space, seed=7)
    study.optimize(objective, n_trials=2 * ROUND, show_progress=False)
    mutated = [t for t in _new(study) if t.meta["priorband"]["kind"] == "incumbent"]
    assert len(mutated) >= 5
    for trial in study.trials:
        assert space.validate(trial.config) == trial.config
    kernels = {t.config["kernel"] for t in mutated}
    assert len(kernels) >= 2  # a choice changes to another choice


def test_without_any_prior_it_is_hyperband() -> None:
    plain = _study(PLAIN, "hyperband", seed=4)
    band = _study(PLAIN, seed=4)
    for study in (plain, band):
        study.optimize(loss, n_trials=ROUND + 10, show_progress=False)
    assert [(t.config, t.budget, t.meta["hyperband"]) for t in band.trials] == [
        (t.config, t.budget, t.meta["hyperband"]) for t in plain.trials]
    assert {t.meta["priorband"]["kind"] for t in _new(band)} == {"uniform"}


def test_runtime_priors_given_while_the_study_runs_are_used() -> None:
    study = _study(PLAIN, seed=5)
    study.optimize(loss, n_trials=10, show_progress=False)
    study.set_prior("x", 0.9, "high")
    study.optimize(loss, n_trials=30, show_progress=False)
    before = [t for t in _new(study) if t.number < 10]
    after = [t for t in _new(study) if t.number >= 10]
    assert {t.meta["priorband"]["kind"] for t in before} == {"uniform"}
    prior = [t for t in after if t.meta["priorband"]["kind"] == "prior"]
    assert len(prior) >= 5
    assert float(np.median([abs(t.config["x"] - 0.9) for t in prior])) < 0.12


def test_a_reopened_study_continues_identically(tmp_path: Path) -> None:
    whole = _study(GOOD, seed=6)
    whole.optimize(loss, n_trials=ROUND + 20, show_progress=False)
    url = f"sqlite:///{tmp_path / 'pb.db'}"
    first = _study(GOOD, seed=6, storage=url, name="pb")
    first.optimize(loss, n_trials=45, show_progress=False)  # past incumbent activation
    del first
    again = hp.load_study("pb", storage=url)
    again.optimize(loss, n_trials=ROUND + 20 - 45, show_progress=False)
    assert [(t.config, t.budget, t.meta["hyperband"], t.meta.get("priorband"))
            for t in again.trials] == [
        (t.config, t.budget, t.meta["hyperband"], t.meta.get("priorband"))
        for t in whole.trials]
    assert "incumbent" in {t.meta["priorband"]["kind"] for t in _new(again)}


def test_settings_are_described() -> None:
    study = _study(GOOD, {"name": "priorband", "eta": 2, "brackets": [1, 0],
                          "mutation_rate": 0.3})
    assert study.optimizer.to_config() == {"name": "priorband", "eta": 2, "brackets": [1, 0],
                                           "mutation_rate": 0.3, "mutation_std": 0.25}
    study.optimize(loss, n_trials=6, show_progress=False)
    assert [t.budget for t in study.trials][:3] == [14, 14, 14]  # bracket 1 on 1..27, eta 2


@pytest.mark.parametrize(("spec", "message"), [
    ({"eta": 1}, "eta must be an integer >= 2, got 1"),
    ({"brackets": []}, "brackets must be a non-empty list"),
    ({"mutation_rate": 0}, "mutation_rate must lie in (0, 1], got 0"),
    ({"mutation_std": 0.5}, "mutation_std must lie in (0, 0.5), got 0.5"),
    ({"mutation_std": "wide"}, "mutation_std must lie in (0, 0.5), got 'wide'"),
    ({"model": True}, "unexpected keyword argument 'model'"),
])
def test_bad_settings_are_one_line_errors(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(OptimizerError) as info:
        hp.make_optimizer({"name": "priorband", **spec})
    assert message in str(info.value) and "\n" not in str(info.value)


# ---------------------------------------------------------------- PriorBand with a model


def _model_level(study: hp.Study, before: int, need: int = 5) -> int | None:
    """The highest budget with *need* complete trials before trial *before* (3 params + 2)."""
    counts = Counter(t.budget for t in study.trials if t.number < before)
    return max((b for b, n in counts.items() if n >= need), default=None)  # type: ignore[type-var]


def test_priorband_bo_is_priorband_until_a_level_has_data() -> None:
    band = _study(GOOD, seed=8)
    model = _study(GOOD, "priorband-bo", seed=8)
    for study in (band, model):
        study.optimize(loss, n_trials=ROUND, show_progress=False)
    first = next(t.number for t in _new(model) if _model_level(model, t.number) is not None)
    assert first == 5  # bracket 0 starts 27 configurations at 1 epoch
    same = [t for t in model.trials if t.number < first]
    assert [(t.config, t.budget, t.meta) for t in same] == [
        (t.config, t.budget, t.meta) for t in band.trials[:first]]
    # min_points above anything the study reaches: PriorBand throughout.
    never = _study(GOOD, {"name": "priorband-bo", "min_points": 100}, seed=8)
    never.optimize(loss, n_trials=ROUND, show_progress=False)
    assert [(t.config, t.budget, t.meta) for t in never.trials] == [
        (t.config, t.budget, t.meta) for t in band.trials]


def test_priorband_bo_gives_the_prior_and_incumbent_share_to_the_model() -> None:
    study = _study(GOOD, "priorband-bo", seed=9)
    study.optimize(loss, n_trials=ROUND, show_progress=False)
    late = [t for t in _new(study) if _model_level(study, t.number) is not None]
    assert {t.meta["priorband"]["kind"] for t in late} == {"uniform", "model"}
    model = [t for t in late if t.meta["priorband"]["kind"] == "model"]
    assert len(model) >= len(late) // 3
    for trial in late:
        level = LEVELS.index(trial.budget)
        assert trial.meta["priorband"]["p_uniform"] == pytest.approx(1 / (1 + 3**level))
    for trial in model:
        trained = _model_level(study, trial.number)
        assert trial.meta["bohb"] == {"kind": "model", "budget": trained,
                                      "n": sum(1 for t in study.trials if t.number
                                               < trial.number and t.budget == trained)}
        assert trial.meta["bo"]["kind"] == "model"
    configs = [tuple(sorted(t.config.items())) for t in _new(study)]
    assert len(configs) == len(set(configs))


def test_priorband_bo_keeps_a_good_prior_and_drops_a_misleading_one() -> None:
    def near(trials: list[hp.Trial]) -> float:
        return float(np.median([abs(t.config["x"] - 0.7) + abs(t.config["y"] - 0.2)
                                for t in trials]))

    verdicts = {}
    for name, space in (("good", GOOD), ("misleading", MISLEADING)):
        study = _study(space, "priorband-bo", seed=10)
        study.optimize(loss, n_trials=ROUND, show_progress=False)
        model = [t for t in _new(study) if t.meta["priorband"]["kind"] == "model"]
        verdicts[name] = Counter(t.meta["priorband"]["prior"] for t in model)
        assert near(model) < 0.2  # both end up proposing around the optimum
        assert study.best_value < loss({"x": 0.7, "y": 0.2, "c": "a"}, 27) + 0.01
    assert verdicts["good"]["used"] > 0.8 * sum(verdicts["good"].values())
    assert verdicts["misleading"]["rejected"] > 0.6 * sum(verdicts["misleading"].values())


def test_priorband_bo_without_any_prior_proposes_from_the_model() -> None:
    study = _study(PLAIN, "priorband-bo", seed=11)
    study.optimize(loss, n_trials=40, show_progress=False)
    kinds = {t.meta["priorband"]["kind"] for t in _new(study)}
    assert kinds == {"uniform", "model"}
    assert {t.meta["priorband"]["prior"] for t in _new(study)
            if t.meta["priorband"]["kind"] == "model"} == {None}


def test_a_reopened_priorband_bo_study_continues_identically(tmp_path: Path) -> None:
    whole = _study(MISLEADING, "priorband-bo", seed=12)
    whole.optimize(loss, n_trials=50, show_progress=False)
    url = f"sqlite:///{tmp_path / 'pbbo.db'}"
    first = _study(MISLEADING, "priorband-bo", seed=12, storage=url, name="pbbo")
    first.optimize(loss, n_trials=20, show_progress=False)
    del first
    again = hp.load_study("pbbo", storage=url)
    again.optimize(loss, n_trials=30, show_progress=False)
    assert [(t.config, t.budget, t.meta) for t in again.trials] == [
        (t.config, t.budget, t.meta) for t in whole.trials]
    assert "model" in {t.meta["priorband"]["kind"] for t in _new(again)}


def test_priorband_bo_settings_are_described() -> None:
    spec = {"name": "priorband-bo", "eta": 3, "brackets": [2], "mutation_rate": 0.3,
            "mutation_std": 0.25, "min_points": 3, "bo": {"surrogate": "rf"}}
    study = _study(GOOD, spec, seed=13)
    assert study.optimizer.to_config() == spec
    assert hp.make_optimizer(study.optimizer.to_config()).to_config() == spec
    study.optimize(loss, n_trials=12, show_progress=False)
    model = [t for t in study.trials if t.meta.get("priorband", {}).get("kind") == "model"]
    assert model and all(t.meta["bo"]["surrogate"] == "rf" for t in model)


@pytest.mark.parametrize(("spec", "message"), [
    ({"min_points": 1}, "priorband-bo: min_points must be an integer >= 2 or None, got 1"),
    ({"bo": {"surogate": "rf"}}, "priorband-bo: bo:"),
    ({"bo": "gp"}, "priorband-bo: bo must be a mapping"),
    ({"mutation_rate": 2}, "priorband-bo: mutation_rate must lie in (0, 1], got 2"),
    ({"eta": 1}, "eta must be an integer >= 2, got 1"),
    ({"random_fraction": 0.2}, "unexpected keyword argument 'random_fraction'"),
])
def test_priorband_bo_bad_settings_are_one_line_errors(spec: dict[str, Any],
                                                       message: str) -> None:
    with pytest.raises(OptimizerError) as info:
        hp.make_optimizer({"name": "priorband-bo", **spec})
    assert message in str(info.value) and "\n" not in str(info.value)
