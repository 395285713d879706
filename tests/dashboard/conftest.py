"""A small stored study for the dashboard's tests: numbers, a choice, failures, a queue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import hyperpilot as hp

pytest.importorskip("starlette")


def objective(config: dict[str, Any]) -> float:
    if config["x"] > 4.0:
        raise RuntimeError("x too large for this model")
    return (config["x"] - 1.0) ** 2 + (0.5 if config["kind"] == "b" else 0.0) + config["n"] / 10


@pytest.fixture
def db(tmp_path: Path) -> str:
    """An SQLite storage URL holding study ``toy`` (30 trials, some failed) and ``other``."""
    url = f"sqlite:///{tmp_path / 'dash.db'}"
    study = hp.create_study(
        name="toy", storage=url, optimizer="random", seed=1,
        space={"x": hp.Float(-5.0, 5.0), "kind": hp.Categorical(["a", "b"]),
               "n": hp.Int(1, 20)})
    study.optimize(objective, n_trials=30, show_progress=False, max_consecutive_failures=None)
    other = hp.create_study(name="other", storage=url, optimizer="random", seed=2,
                            objectives="maximize", space={"x": hp.Float(0.0, 1.0)})
    other.optimize(lambda c: c["x"], n_trials=3, show_progress=False)
    study.storage.close()
    other.storage.close()
    return url
