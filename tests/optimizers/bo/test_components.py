"""Parts of the BO engine given as objects or descriptions: use, description, rebuild."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import hyperpilot as hp
from hyperpilot.optimizers import make_optimizer
from hyperpilot.optimizers.bo import (
    LCB,
    SAWEI,
    AcquisitionMaximizer,
    BayesianOptimizer,
    GaussianProcess,
    LogEI,
    RandomForest,
    Standardize,
    Surrogate,
)
from hyperpilot.optimizers.bo._components import build, describe

SPACE = hp.Space({"x": hp.Float(-5.0, 5.0), "y": hp.Float(1e-3, 10.0, log=True),
                  "c": hp.Categorical(["a", "b", "c"])})


def objective(config: dict[str, Any]) -> float:
    return float((config["x"] - 1.0) ** 2 + abs(np.log(config["y"])) + (config["c"] == "b"))


def run(optimizer: Any, n_trials: int = 14, storage: str = "memory") -> hp.Study:
    study = hp.create_study(space=SPACE, storage=storage, optimizer=optimizer, seed=4)
    study.optimize(objective, n_trials=n_trials, show_progress=False)
    return study


def configs(study: hp.Study) -> list[dict[str, Any]]:
    return [t.config for t in study.trials]


class Nearest(Surrogate):
    """A researcher's own surrogate: inverse-distance weighting, variance from distance."""

    def __init__(self, *, power: float = 2.0, seed: int | None = None) -> None:
        super().__init__()
        self.power = power
        self.seed = seed
        self.fits = 0

    def _fit(self, X: np.ndarray, y: np.ndarray, cardinalities: np.ndarray) -> None:
        self._X, self._y = np.nan_to_num(X, nan=-1.0), y
        self.fits += 1

    def _predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = np.linalg.norm(np.nan_to_num(X, nan=-1.0)[:, None, :] - self._X[None], axis=2)
        w = 1.0 / (d + 1e-9) ** self.power
        mean = (w * self._y).sum(axis=1) / w.sum(axis=1)
        return mean, np.min(d, axis=1) ** 2 + 1e-6

    def to_config(self) -> dict[str, Any]:
        return {"name": type(self).__name__, "power": self.power, "seed": self.seed}


@pytest.mark.parametrize(("by_name", "by_object"), [
    ({"surrogate": "gp"}, {"surrogate": GaussianProcess()}),
    ({"surrogate": "rf"}, {"surrogate": RandomForest()}),
    ({"acquisition": "logei"}, {"acquisition": LogEI()}),
    ({"acquisition": "lcb", "output_transform": "standardize"},
     {"acquisition": {"name": "LCB"}, "output_transform": Standardize()}),
])
def test_an_object_with_default_settings_proposes_what_the_name_does(
    by_name: dict[str, Any], by_object: dict[str, Any]
) -> None:
    assert configs(run(BayesianOptimizer(**by_name))) == configs(
        run(BayesianOptimizer(**by_object)))


def test_objects_configure_the_parts_and_are_left_unchanged() -> None:
    gp = GaussianProcess(noise="deterministic", noise_floor=1e-5)
    maximizer = AcquisitionMaximizer(n_sobol=256, max_steps=5)
    optimizer = BayesianOptimizer(surrogate=gp, acquisition=LCB(beta=2.0),
                                  maximizer=maximizer)
    study = run(optimizer)
    fitted = optimizer._models["gp"]
    assert fitted is not gp and fitted.noise == "deterministic"
    assert fitted.fitted_hyperparameters.noise_variance == pytest.approx(1e-5)
    assert optimizer._acquisition().current_beta == 2.0
    assert optimizer._maximizer is not None and optimizer._maximizer.n_sobol == 256
    assert gp.fit_info == {} and gp._n_fits == 0  # the caller's object was never fitted
    assert study.trials[-1].meta["bo"]["surrogate"] == "gp"
    default = run(BayesianOptimizer(acquisition=LCB(beta=2.0)))
    assert configs(study) != configs(default)


def test_to_config_describes_objects_and_rebuilds_the_same_optimizer() -> None:
    optimizer = BayesianOptimizer(
        surrogate=GaussianProcess(noise="deterministic"), acquisition=LCB(beta=2.0),
        output_transform=Standardize(), maximizer=AcquisitionMaximizer(n_sobol=512))
    config = optimizer.to_config()
    assert config["surrogate"]["name"] == "GaussianProcess"
    assert config["surrogate"]["noise"] == "deterministic"
    assert config["acquisition"] == {"name": "LCB", "beta": 2.0}
    assert config["output_transform"] == {"name": "Standardize"}
    assert config["maximizer"]["n_sobol"] == 512
    stored = json.loads(json.dumps(config))  # as a study keeps it
    rebuilt = make_optimizer(stored)
    assert rebuilt.to_config() == stored
    assert configs(run(rebuilt)) == configs(run(optimizer))


def test_a_reopened_study_rebuilds_its_parts_and_continues_exactly(tmp_path: Path) -> None:
    def optimizer() -> BayesianOptimizer:
        return BayesianOptimizer(surrogate=GaussianProcess(noise="deterministic"),
                                 acquisition=LCB(beta=1.0))

    whole = run(optimizer(), n_trials=14)
    url = f"sqlite:///{tmp_path / 'study.db'}"
    first = hp.create_study(space=SPACE, storage=url, optimizer=optimizer(), seed=4,
                            name="parts")
    first.optimize(objective, n_trials=9, show_progress=False)
    again = hp.create_study(space=SPACE, storage=url, name="parts", load_if_exists=True)
    assert isinstance(again.optimizer, BayesianOptimizer)
    assert again.optimizer.to_config() == optimizer().to_config()
    again.optimize(objective, n_trials=5, show_progress=False)
    assert configs(again) == configs(whole)


@pytest.mark.parametrize("acquisition", ["sawei", "ei-pi", "lcb"], ids=str)
@pytest.mark.parametrize("as_object", [False, True])
def test_a_stateful_acquisition_resumes_where_it_stopped(acquisition: str,
                                                         as_object: bool) -> None:
    """Schedules (SAWEI's weight, the EI→PI switch, LCB's β) continue after a restart."""
    objects = {"sawei": SAWEI(), "ei-pi": {"name": "EIPISwitch", "switch_at": 0.3},
               "lcb": LCB(beta=None)}

    def optimizer() -> BayesianOptimizer:
        return BayesianOptimizer(acquisition=objects[acquisition] if as_object
                                 else acquisition, n_trials=16)

    whole = run(optimizer(), n_trials=16)
    split = hp.create_study(space=SPACE, storage="memory", optimizer=optimizer(), seed=4)
    split.optimize(objective, n_trials=10, show_progress=False)
    split.optimizer = optimizer()  # a new process: nothing kept in memory
    split.optimize(objective, n_trials=6, show_progress=False)
    assert configs(split) == configs(whole)
    states = [t.meta["bo"].get("acq") for t in whole.trials if t.meta["bo"]["kind"] == "model"]
    if acquisition == "sawei":
        assert len({json.dumps(state, sort_keys=True) for state in states}) > 1


def test_repr_reads_as_the_call_with_the_changed_settings() -> None:
    optimizer = BayesianOptimizer(surrogate=GaussianProcess(noise="deterministic"),
                                  acquisition=LCB(beta=2.0),
                                  maximizer=AcquisitionMaximizer(n_sobol=8192), seed=3)
    assert repr(optimizer) == (
        "BayesianOptimizer(surrogate=GaussianProcess(noise='deterministic'), "
        "acquisition=LCB(beta=2.0), maximizer=AcquisitionMaximizer(n_sobol=8192), seed=3)")
    assert repr(BayesianOptimizer()) == "BayesianOptimizer()"
    assert repr(RandomForest(n_trees=20)) == "RandomForest(n_trees=20)"
    assert repr(BayesianOptimizer(acquisition="ei")) == "BayesianOptimizer(acquisition='ei')"


def test_fixed_gp_hyperparameters_survive_the_description() -> None:
    gp = GaussianProcess(hyperparameters=hp.optimizers.bo.GPHyperparameters(
        lengthscales=(0.3, 0.5, 0.7), signal_variance=1.5, noise_variance=1e-4))
    rebuilt = build("surrogate", json.loads(json.dumps(describe(gp))))
    assert rebuilt.hyperparameters == gp.hyperparameters
    with pytest.raises(hp.OptimizerError, match="hyperparameters need lengthscales"):
        GaussianProcess(hyperparameters={"lengthscales": [0.3]})


def test_a_surrogate_of_ones_own_runs_and_is_named_by_its_path() -> None:
    optimizer = BayesianOptimizer(surrogate=Nearest(power=3.0), random_fraction=0.0)
    study = run(optimizer)
    metas = [t.meta["bo"] for t in study.trials]
    n_model = 14 - optimizer.initial_size(SPACE)
    assert [m["surrogate"] for m in metas if m["kind"] == "model"] == ["Nearest"] * n_model
    config = optimizer.to_config()["surrogate"]
    assert config == {"name": f"{Nearest.__module__}.Nearest", "power": 3.0, "seed": None}
    rebuilt = build("surrogate", config)
    assert type(rebuilt) is Nearest and rebuilt.power == 3.0


@pytest.mark.parametrize(("settings", "message"), [
    ({"acquisition": GaussianProcess()},
     "acquisition must be a name, a mapping with a 'name', or an Acquisition object; got "
     "a GaussianProcess$"),
    ({"surrogate": {"name": "Kriging"}},
     "surrogate: unknown name 'Kriging'; known: GaussianProcess, RandomForest, gp, rf, or "
     "a dotted 'module.Class' path"),
    ({"surrogate": {"name": "gp", "nosie": "learned"}},
     "surrogate 'gp': .*unexpected keyword argument 'nosie'"),
    ({"surrogate": {"noise": "learned"}}, "surrogate: a description needs a 'name'"),
    ({"surrogate": {"name": "collections.OrderedDict"}},
     "surrogate: 'collections.OrderedDict' is not a Surrogate"),
    ({"surrogate": {"name": "nowhere.Model"}},
     "surrogate: cannot import 'nowhere.Model' \\(No module named 'nowhere'\\)"),
    ({"output_transform": "yeo"},
     "unknown output_transform 'yeo'; available: auto, log, power, standardize, or an "
     "OutputTransform object"),
    ({"maximizer": {"name": "AcquisitionMaximizer", "n_sobl": 5}},
     "maximizer 'AcquisitionMaximizer': .*unexpected keyword argument 'n_sobl'"),
    ({"acquisition": {"name": "LCB", "beta": -1.0}}, "LCB: beta must be >= 0"),
])
def test_bad_parts_get_one_clear_error(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(hp.OptimizerError, match=f"^bo: {message}"):
        BayesianOptimizer(**settings)
