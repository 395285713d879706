"""Instances and seeds as part of a study: declaration, storage, the objective, the incumbent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import hyperpilot as hp
from hyperpilot.exceptions import (
    OptimizerError,
    SpaceError,
    StorageError,
    StudyMismatchError,
)
from hyperpilot.optimizers._base import History, Proposal
from hyperpilot.study._spec import StudySpec
from hyperpilot.trial._trial import Trial

SPACE = hp.Space({"x": hp.Float(0.0, 1.0)})


def _one_line(exc: pytest.ExceptionInfo[Exception]) -> str:
    assert "\n" not in str(exc.value)
    return str(exc.value)


@pytest.mark.parametrize(("instances", "seeds", "message"), [
    ([], None, "instances must name at least one instance, got an empty list"),
    (["a", "b", "a"], None, "instance names must be unique, got 'a' twice"),
    (["a", ""], None, "instance names must be non-empty strings, got ''"),
    ("abc", None, "instances must be a list of names or a mapping"),
    ({"a": [1.0], "b": [1.0, 2.0]}, None, "features must all have the same length"),
    ({"a": ["big"]}, None, "instance 'a': features must be a list of finite numbers"),
    (None, 0, "seeds must be a number >= 1 or a list of integers, got 0"),
    (None, [], "seeds must hold at least one seed, got an empty list"),
    (None, [1, 2, 1], "seeds must be distinct, got 1 twice"),
    (None, [1.5], "seeds must be integers, got 1.5"),
])
def test_bad_instances_or_seeds_are_one_line_errors_that_store_nothing(
        tmp_path: Path, instances: Any, seeds: Any, message: str) -> None:
    path = tmp_path / "s.db"
    with pytest.raises(SpaceError) as info:
        hp.create_study(space=SPACE, optimizer="race", storage=f"sqlite:///{path}",
                        name="ac", instances=instances, seeds=seeds)
    assert message in _one_line(info)
    assert not path.exists()


def test_the_objective_receives_instance_and_seed_and_the_spec_keeps_them(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    features = {"small": [1.0, 0.0], "large": [9.0, 1.0]}
    study = hp.create_study(space=SPACE, optimizer="race", storage=url, name="ac", seed=0,
                            instances=features, seeds=[11, 12])
    got: list[tuple[Any, ...]] = []

    def objective(config: dict[str, Any], instance: str, seed: int, trial: Trial) -> float:
        got.append((instance, seed, trial.instance, trial.seed))
        return config["x"] * (1 + features[instance][0]) + 0.01 * seed

    study.optimize(objective, n_trials=12, show_progress=False)
    assert [(i, s) for i, s, _, _ in got] == [(t.instance, t.seed) for t in study.trials]
    assert all(i == ti and s == ts for i, s, ti, ts in got)
    assert {i for i, *_ in got} <= {"small", "large"} and {s for _, s, *_ in got} <= {11, 12}
    stored = json.loads(json.dumps(study.record.spec))
    assert stored["format"] == 3
    assert stored["instances"] == {"names": ["small", "large"], "features": features,
                                   "seeds": [11, 12]}
    reopened = hp.load_study("ac", url)
    assert reopened.instances == study.instances
    assert reopened.instances is not None and reopened.instances.feature("large") == (9.0, 1.0)
    # Reopening with other instances (or none) is refused in one line.
    for other in ({"instances": ["small", "large"], "seeds": [11, 12]},
                  {"instances": features, "seeds": 2}, {}):
        with pytest.raises(StudyMismatchError) as info:
            hp.create_study(space=SPACE, storage=url, name="ac", load_if_exists=True, **other)
        assert "exists with instances" in _one_line(info)
    same = hp.create_study(space=SPACE, storage=url, name="ac", load_if_exists=True,
                           instances=features, seeds=[11, 12])
    assert len(same.trials) == 12


def test_studies_without_instances_keep_their_spec_format() -> None:
    plain = hp.create_study(space=SPACE, optimizer="random", seed=0)
    assert plain.record.spec["format"] == 1 and "instances" not in plain.record.spec
    mf = hp.create_study(space=SPACE, optimizer="random", seed=0,
                         fidelity=hp.Fidelity("epochs", 1, 9))
    assert mf.record.spec["format"] == 2
    seeds_only = hp.create_study(space=SPACE, optimizer="race", seed=0, seeds=3)
    assert seeds_only.instances is not None and seeds_only.instances.seeds == (0, 1, 2)
    seeds_only.optimize(lambda config, seed: config["x"] + seed, n_trials=6,
                        show_progress=False)
    assert {t.seed for t in seeds_only.trials} <= {0, 1, 2}
    assert all(t.instance is None for t in seeds_only.trials)


def test_the_declaration_round_trips_even_when_a_storage_reorders_json_objects() -> None:
    declared = hp.space.Instances.declare({"zeta": [1, 2], "alpha": [3, 4]}, [5, 3])
    assert declared is not None
    assert declared.keys() == [("zeta", 5), ("alpha", 5), ("zeta", 3), ("alpha", 3)]
    data = declared.to_json()
    data["features"] = dict(sorted(data["features"].items()))  # as PostgreSQL's JSONB may
    assert hp.space.Instances.from_json(data) == declared
    assert hp.space.Instances.declare() is None


def test_a_damaged_instances_entry_is_a_one_line_storage_error() -> None:
    study = hp.create_study(space=SPACE, optimizer="race", seed=0, instances=["a"])
    spec = dict(study.record.spec)
    for damaged, text in (("oops", "instances must be an object"),
                          ({"names": ["a", "a"]}, "instance names must be unique")):
        with pytest.raises(StorageError) as info:
            StudySpec.from_json({**spec, "instances": damaged}, study="ac")
        assert text in _one_line(info)


class _Proposes(hp.Optimizer):
    """Proposes a fixed instance and seed, to see the study refuse wrong ones."""

    name = "fixed-pair"

    def __init__(self, *, instance: str | None = None, seed: int | None = None) -> None:
        self.instance = instance
        self.seed = seed

    def _ask(self, history: History) -> Proposal:
        return Proposal({"x": 0.5}, instance=self.instance, seed=self.seed)


@pytest.mark.parametrize(("declared", "proposed", "message"), [
    ({"instances": ["a", "b"]}, {"instance": "c"},
     "optimizer 'fixed-pair' proposed instance 'c', which the study does not declare "
     "(it has 2: ['a', 'b'])"),
    ({"instances": ["a", "b"]}, {}, "named no instance, but study"),
    ({"seeds": 2}, {"seed": 5}, "proposed seed 5, which the study does not declare"),
    ({"seeds": 2}, {}, "named no seed"),
    ({}, {"instance": "a"}, "gave instance 'a', but study"),
])
def test_a_proposal_off_the_declared_pairs_is_refused_and_nothing_stored(
        declared: dict[str, Any], proposed: dict[str, Any], message: str) -> None:
    study = hp.create_study(space=SPACE, optimizer=_Proposes(**proposed), seed=0, **declared)
    with pytest.raises(OptimizerError) as info:
        study.ask()
    assert message in _one_line(info)
    assert study.trials == []


def test_enqueue_checks_the_pair() -> None:
    study = hp.create_study(space=SPACE, optimizer="race", seed=0, instances=["a", "b"])
    trial = study.enqueue({"x": 0.25}, instance="b")
    assert (trial.instance, trial.seed) == ("b", None)
    with pytest.raises(OptimizerError) as info:
        study.enqueue({"x": 0.25}, instance="z")
    assert "enqueue() proposed instance 'z'" in _one_line(info)
    with pytest.raises(OptimizerError):
        study.enqueue({"x": 0.25})
    assert len(study.trials) == 1


def _run(study: hp.Study, x: float, instance: str, value: float) -> Trial:
    study.enqueue({"x": x}, instance=instance)
    trial = study.ask()
    return study.tell(trial, value)


def test_the_incumbent_is_the_best_mean_among_configurations_with_most_pairs() -> None:
    study = hp.create_study(space=SPACE, optimizer="race", seed=0,
                            instances=["easy", "hard"])
    a = _run(study, 0.1, "easy", 1.0)
    _run(study, 0.1, "hard", 9.0)                  # a: mean 5 over 2 pairs
    b = _run(study, 0.2, "easy", 0.5)              # b: 0.5, but on 1 pair only
    assert study.best_trial.number == a.number and study.best_value == pytest.approx(5.0)
    assert study.best_params == {"x": 0.1}
    _run(study, 0.2, "hard", 9.9)                  # b: mean 5.2 over 2 pairs
    assert study.best_trial.number == a.number
    _run(study, 0.2, "hard", 8.1)                  # b ran "hard" twice: at its mean, 9.0
    assert study.best_value == pytest.approx(4.75)
    assert study.best_trial.number == b.number
    assert study.configuration_mean(b).pairs == 2
    assert study.best_trials == [b]
    assert study.rank_key(b) < study.rank_key(a)


def test_ranking_a_fresh_list_of_trials_uses_fresh_means() -> None:
    study = hp.create_study(space=SPACE, optimizer="race", seed=0, instances=["u", "v"])
    a = _run(study, 0.1, "u", 2.0)
    _run(study, 0.1, "v", 2.0)
    b = _run(study, 0.2, "u", 1.0)
    _run(study, 0.2, "v", 5.0)
    assert study.best_trial.number == a.number         # the means are built: a 2.0, b 3.0
    _run(study, 0.2, "v", -3.0)                        # b: (1 + (5 - 3) / 2) / 2 = 1.0
    # As the report, the dashboard and the command line rank: min over get_trials.
    assert min(study.get_trials(["complete"]), key=study.rank_key).number == b.number


def test_the_incumbent_of_a_maximized_study_is_the_highest_mean() -> None:
    study = hp.create_study(space=SPACE, optimizer="race", seed=0, objectives="maximize",
                            instances=["p", "q"])
    for x, values in ((0.1, (3.0, 1.0)), (0.2, (2.5, 2.0)), (0.3, (9.0,))):
        for instance, value in zip(("p", "q"), values, strict=False):
            _run(study, x, instance, value)
    assert study.best_params == {"x": 0.2} and study.best_value == pytest.approx(2.25)
