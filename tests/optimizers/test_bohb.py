"""Model-based Hyperband: Hyperband's schedule, new configurations from the BO engine."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import hyperpilot as hp
from hyperpilot.exceptions import OptimizerError

SPACE = hp.Space({"x": hp.Float(0.0, 1.0), "y": hp.Float(0.0, 1.0)})
EPOCHS = hp.Fidelity("epochs", 1, 9)


def proxy(config: dict[str, Any], budget: int) -> float:
    """A bowl at (0.7, 0.2); lower budgets add noise (a fixed draw per config and budget)."""
    x, y = config["x"], config["y"]
    key = (int(x * 2**30), int(y * 2**30), int(budget))
    noise = np.random.default_rng(key).uniform(-0.5, 0.5)
    return (x - 0.7) ** 2 + (y - 0.2) ** 2 + (1 - budget / 9) * 0.15 * noise


def _run(optimizer: Any, seed: int, n_trials: int = 44) -> hp.Study:
    study = hp.create_study(space=SPACE, optimizer=optimizer, fidelity=EPOCHS, seed=seed,
                            storage="memory")
    study.optimize(proxy, n_trials=n_trials, show_progress=False)
    return study


def test_it_runs_hyperbands_schedule() -> None:
    plain, model = _run("hyperband", 0), _run("bohb", 0)
    counts = [Counter((t.meta["hyperband"]["bracket"], t.budget) for t in s.trials)
              for s in (plain, model)]
    assert counts[0] == counts[1]
    promoted = [t for t in model.trials if t.meta["hyperband"]["rung"] > 0]
    assert promoted and all("bohb" not in t.meta for t in promoted)


def test_later_first_rung_configurations_come_from_the_model() -> None:
    study = _run("bohb", 1)
    first = [t for t in study.trials if t.meta["hyperband"]["rung"] == 0]
    kinds = [t.meta["bohb"]["kind"] for t in first]
    # Too few complete trials (2 hyperparameters + 2) at first: uniform or random only.
    assert set(kinds[:4]) <= {"uniform", "random"}
    model = [t for t in first if t.meta["bohb"]["kind"] == "model"]
    assert len(model) >= len(first) // 3
    for trial in model:
        trained = trial.meta["bohb"]["budget"]
        earlier = [t for t in study.trials if t.number < trial.number and t.budget == trained]
        assert trial.meta["bohb"]["n"] == len(earlier) >= 4
        # The highest budget with enough trials is the one trained on.
        assert not any(sum(1 for t in study.trials if t.number < trial.number
                           and t.budget == b) >= 4 for b in (1, 3, 9) if b > trained)
        assert trial.meta["bo"]["kind"] == "model"
    assert {t.meta["bohb"]["budget"] for t in model} >= {9}
    configs = [tuple(sorted(t.config.items())) for t in first]
    assert len(configs) == len(set(configs))  # never a configuration already started


def test_it_beats_plain_hyperband_on_a_noisy_low_budget_proxy() -> None:
    # Three Hyperband rounds (66 trials); over 8 seeds BOHB won on all 8, mean regret
    # 0.0002 against 0.0066.
    seeds = range(4)
    plain = np.mean([_run("hyperband", s, 66).best_value for s in seeds])
    model = np.mean([_run("bohb", s, 66).best_value for s in seeds])
    assert model < plain / 3


def test_settings_are_described_and_checked() -> None:
    study = hp.create_study(space=SPACE, optimizer={"name": "bohb", "random_fraction": 0.0,
                                                    "min_points": 3, "bo": {"surrogate": "rf"}},
                            fidelity=EPOCHS, seed=3, storage="memory")
    assert study.optimizer.to_config() == {
        "name": "bohb", "eta": 3, "brackets": None, "random_fraction": 0.0,
        "min_points": 3, "bo": {"surrogate": "rf"}, "train_on": "highest",
        "proxy_threshold": 0.5}
    study.optimize(proxy, n_trials=12, show_progress=False)
    kinds = [t.meta["bohb"]["kind"] for t in study.trials if "bohb" in t.meta]
    assert kinds[:3] == ["uniform"] * 3 and set(kinds[3:]) == {"model"}
    assert all(t.meta["bo"]["surrogate"] == "rf" for t in study.trials
               if t.meta.get("bohb", {}).get("kind") == "model")


@pytest.mark.parametrize(("spec", "message"), [
    ({"random_fraction": 1.5}, "random_fraction must lie in [0, 1], got 1.5"),
    ({"min_points": 1}, "min_points must be an integer >= 2 or None, got 1"),
    ({"bo": {"surogate": "rf"}}, "bohb: bo:"),
    ({"eta": 1}, "eta must be an integer >= 2, got 1"),
    ({"train_on": "every"}, "train_on must be 'highest', 'all' or 'auto', got 'every'"),
    ({"proxy_threshold": 1.5}, "proxy_threshold must lie in [-1, 1], got 1.5"),
    ({"proxy_threshold": True}, "proxy_threshold must lie in [-1, 1], got True"),
    ({"proxy_threshold": "high"}, "proxy_threshold must lie in [-1, 1], got 'high'"),
])
def test_bad_settings_are_one_line_errors(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(OptimizerError, match=None) as info:
        hp.make_optimizer({"name": "bohb", **spec})
    assert message in str(info.value) and "\n" not in str(info.value)


ALL = {"name": "bohb", "train_on": "all"}


def test_trained_on_all_levels_the_model_learns_from_every_budget_and_proposes_at_the_top(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from hyperpilot.optimizers.bo._bo import BayesianOptimizer

    augmented: list[dict[str, Any]] = []
    propose_from = BayesianOptimizer.propose_from

    def spy(self: BayesianOptimizer, history: Any, trials: Any, *, avoid: Any) -> Any:
        proposal = propose_from(self, history, trials, avoid=avoid)
        augmented.append(dict(proposal.config))
        return proposal

    monkeypatch.setattr(BayesianOptimizer, "propose_from", spy)
    study = _run(ALL, 1, n_trials=36)
    described = study.optimizer.to_config()
    assert described["train_on"] == "all"
    assert hp.make_optimizer(described).to_config() == described
    first = [t for t in study.trials if t.meta["hyperband"]["rung"] == 0]
    model = [t for t in first if t.meta["bohb"]["kind"] == "model"]
    assert len(model) == len(augmented) >= len(first) // 3
    # The engine saw a level column (the index of the level, 2 = 9 epochs) and always
    # proposed at the full budget; the configuration keeps only the space's names.
    assert {c.pop("budget_level") for c in augmented} == {2}
    assert [t.config for t in model] == augmented
    for trial in model:
        assert SPACE.validate(trial.config) == trial.config
        info = trial.meta["bohb"]
        earlier = [t for t in study.trials if t.number < trial.number]
        assert info["n"] == len(earlier)  # every earlier trial, at any budget
        assert info["budgets"] == sorted({t.budget for t in earlier})
        assert trial.meta["bo"]["kind"] == "model"
    assert max(len(t.meta["bohb"]["budgets"]) for t in model) == 3
    configs = [tuple(sorted(t.config.items())) for t in first]
    assert len(configs) == len(set(configs))


def test_trained_on_all_levels_a_reopened_study_continues_identically(tmp_path: Path) -> None:
    whole = _run(ALL, 2, n_trials=36)
    url = f"sqlite:///{tmp_path / 'bohb.db'}"
    first = hp.create_study(space=SPACE, optimizer=ALL, fidelity=EPOCHS, seed=2,
                            storage=url, name="all")
    first.optimize(proxy, n_trials=20, show_progress=False)
    del first
    again = hp.load_study("all", storage=url)
    again.optimize(proxy, n_trials=16, show_progress=False)
    assert [(t.config, t.budget, t.meta) for t in again.trials] == [
        (t.config, t.budget, t.meta) for t in whole.trials]
    assert any(len(t.meta.get("bohb", {}).get("budgets", [])) > 1 for t in again.trials[20:])


AUTO = {"name": "bohb", "train_on": "auto"}


def _bowl(config: dict[str, Any]) -> float:
    return (config["x"] - 0.7) ** 2 + (config["y"] - 0.2) ** 2


def _pairs(study: hp.Study, before: int) -> list[int]:
    """Configurations complete at both levels of each consecutive pair, before a trial."""
    at = [{tuple(sorted(t.config.items())) for t in study.trials
           if t.number < before and t.budget == b and t.values} for b in (1, 3, 9)]
    return [len(at[0] & at[1]), len(at[1] & at[2])]


def _auto(objective: Any, seed: int) -> tuple[hp.Study, list[Any]]:
    study = hp.create_study(space=SPACE, optimizer=AUTO, fidelity=EPOCHS, seed=seed,
                            storage="memory")
    study.optimize(objective, n_trials=44, show_progress=False)
    model = [t for t in study.trials if t.meta.get("bohb", {}).get("kind") == "model"]
    for trial in model:
        info = trial.meta["bohb"]
        # Too few promotions yet (fewer than 4 at every pair of levels): the highest level.
        if max(_pairs(study, trial.number)) < 4:
            assert info["agreement"] is None and info["train_on"] == "highest"
        assert ("budgets" in info) == (info["train_on"] == "all")
        assert ("budget" in info) == (info["train_on"] == "highest")
    return study, model


def test_auto_trains_on_all_levels_once_promotions_show_faithful_low_budgets() -> None:
    # Lower budgets only shift the value: they rank configurations exactly as the top does.
    study, model = _auto(lambda config, budget: _bowl(config) + 1 / budget, 1)
    chosen = [(t.meta["bohb"]["train_on"], t.meta["bohb"]["agreement"]) for t in model]
    assert chosen[0] == ("highest", None)
    measured = [t for t in model if t.meta["bohb"]["agreement"] is not None]
    assert measured and all(c == ("all", 1.0) for c in chosen[len(model) - len(measured):])
    assert max(len(t.meta["bohb"]["budgets"]) for t in measured) == 3
    described = study.optimizer.to_config()
    assert described["train_on"] == "auto" and described["proxy_threshold"] == 0.5
    assert hp.make_optimizer(described).to_config() == described


def test_auto_keeps_to_the_highest_level_when_low_budgets_rank_the_other_way() -> None:
    # Each level reverses the order of the one below it.
    _, model = _auto(lambda config, budget: _bowl(config) * (-1) ** (budget == 3), 1)
    measured = [t.meta["bohb"]["agreement"] for t in model
                if t.meta["bohb"]["agreement"] is not None]
    assert measured and set(measured) == {-1.0}
    assert {t.meta["bohb"]["train_on"] for t in model} == {"highest"}


def test_auto_threshold_decides_and_a_reopened_study_continues_identically(
        tmp_path: Path) -> None:
    # A noisy proxy agrees only in part; a threshold of -1 always trains on all levels once
    # there is an agreement, one of 1 never does below a perfect one.
    loose, strict = ({**AUTO, "proxy_threshold": v} for v in (-1.0, 1.0))
    for spec, want in ((loose, "all"), (strict, "highest")):
        study = _run(spec, 2, n_trials=44)
        infos = [t.meta["bohb"] for t in study.trials
                 if t.meta.get("bohb", {}).get("kind") == "model"]
        measured = [i for i in infos if i["agreement"] is not None]
        assert measured and all(-1.0 < i["agreement"] < 1.0 for i in measured)
        assert {i["train_on"] for i in measured} == {want}
    whole = _run(AUTO, 2, n_trials=44)
    url = f"sqlite:///{tmp_path / 'auto.db'}"
    first = hp.create_study(space=SPACE, optimizer=AUTO, fidelity=EPOCHS, seed=2,
                            storage=url, name="auto")
    first.optimize(proxy, n_trials=30, show_progress=False)
    del first
    again = hp.load_study("auto", storage=url)
    again.optimize(proxy, n_trials=14, show_progress=False)
    assert [(t.config, t.budget, t.meta) for t in again.trials] == [
        (t.config, t.budget, t.meta) for t in whole.trials]


def test_model_based_asha_proposes_from_the_model_and_promotes_without_waiting() -> None:
    from hyperpilot.optimizers._bohb import ModelBasedASHA

    space = hp.Space({"x": hp.Float(0.0, 1.0)})
    study = hp.create_study(space=space, fidelity=hp.Fidelity("epochs", 1, 9),
                            optimizer={"name": "bo-asha", "min_points": 3,
                                       "random_fraction": 0.0}, seed=0)
    assert isinstance(study.optimizer, ModelBasedASHA)
    study.optimize(lambda config, budget: (config["x"] - 0.7) ** 2 + 1 / budget, n_trials=12,
                   show_progress=False)
    kinds = [t.meta["bohb"]["kind"] for t in study.trials if "bohb" in t.meta]
    assert kinds[:3] == ["uniform"] * 3 and "model" in kinds
    # ASHA's schedule: promotions as soon as a rung has eta results, tagged with their source.
    promoted = [t for t in study.trials if t.meta["asha"]["rung"] > 0]
    assert promoted and all("from" in t.meta["asha"] for t in promoted)
    # Three rung-0 results: the fourth trial promotes the best of them at once.
    best = min(study.trials[:3], key=lambda t: t.value)
    assert study.trials[3].meta["asha"] == {"rung": 1, "from": best.number}
    assert study.trials[3].budget == 3
