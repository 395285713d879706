"""The trial page's learning curve: the trial's intermediate values and its budget."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

import hyperpilot as hp
from hyperpilot.dashboard import create_app


def test_a_trial_shows_its_learning_curve_and_budget(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'curves.db'}"

    def train(config: dict[str, Any], trial: hp.Trial) -> float:
        loss = 1.0
        for epoch in (0, 1, 2, 3.5):
            loss *= config["rate"]
            trial.report(epoch, loss)
        return loss

    study = hp.create_study(name="curves", storage=url, optimizer="random", seed=3,
                            space={"rate": hp.Float(0.1, 0.9)})
    study.optimize(train, n_trials=2, show_progress=False)
    study.enqueue({"rate": 0.5})  # pending: no curve yet
    expected = study.trials[1].intermediate
    study.storage.close()
    with TestClient(create_app(url)) as client:
        curve = client.get("/api/studies/curves/trials/1").json()["intermediate"]
        assert curve["step"] == [0, 1, 2, 3.5]
        assert curve["value"] == list(expected.values())
        assert curve["budget"] is None
        empty = client.get("/api/studies/curves/trials/2").json()["intermediate"]
        assert empty == {"step": [], "value": [], "budget": None}


def test_a_load_never_changes_the_dicts_a_reader_holds(tmp_path: Path) -> None:
    from hyperpilot.dashboard._data import FinishedCache

    study = hp.create_study(space={"x": hp.Float(0.0, 1.0)}, seed=0,
                            storage=f"sqlite:///{tmp_path / 'f.db'}", name="f")
    study.optimize(lambda c: c["x"], n_trials=3, show_progress=False)
    cache = FinishedCache(study.storage, study.id).load()
    held = cache.values
    assert len(held) == 3
    study.optimize(lambda c: c["x"], n_trials=2, show_progress=False)
    assert len(cache.load().values) == 5
    assert len(held) == 3  # the reader's dict is the one it took
