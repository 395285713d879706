"""``optimize(max_budget=...)``: no trial starts once the spent budget would exceed it."""

from __future__ import annotations

from typing import Any

import pytest

import hyperpilot as hp
from hyperpilot.exceptions import OptimizerError

SPACE = hp.Space({"x": hp.Float(0.0, 1.0)})


def loss(config: dict[str, Any], budget: int) -> float:
    return config["x"] + 1.0 / budget


def test_hyperband_stops_before_the_budget_would_be_exceeded() -> None:
    study = hp.create_study(space=SPACE, optimizer="hyperband", storage="memory", seed=0,
                            fidelity=hp.Fidelity("epochs", 1, 27))
    study.optimize(loss, max_budget=100, show_progress=False)
    budgets = [t.budget for t in study.trials]
    # Bracket 0: 27 trials at 1 epoch, 9 at 3, 3 at 9 (81); one at 27 would reach 108.
    assert budgets == [1] * 27 + [3] * 9 + [9] * 3
    study.optimize(loss, max_budget=26, show_progress=False)  # 27 would exceed: none
    assert len(study.trials) == 39
    study.optimize(loss, max_budget=27, show_progress=False)  # a new call spends anew
    assert [t.budget for t in study.trials][39:] == [27]


def test_enqueued_trials_count_and_a_study_without_fidelity_counts_trials() -> None:
    study = hp.create_study(space=SPACE, optimizer="random", storage="memory", seed=0,
                            fidelity=hp.Fidelity("epochs", 1, 27))
    study.enqueue({"x": 0.5}, budget=20)
    study.enqueue({"x": 0.1}, budget=20)
    study.optimize(loss, max_budget=30, show_progress=False)
    assert [(t.budget, t.state.value) for t in study.trials] == [(20, "complete"),
                                                                 (20, "pending")]
    plain = hp.create_study(space=SPACE, optimizer="random", storage="memory", seed=0)
    plain.optimize(lambda c: c["x"], max_budget=4, show_progress=False)
    assert len(plain.trials) == 4


@pytest.mark.parametrize("value", [-1, "10", True])
def test_a_bad_max_budget_is_a_one_line_error(value: Any) -> None:
    study = hp.create_study(space=SPACE, storage="memory", seed=0)
    with pytest.raises(OptimizerError, match=r"^max_budget must be a non-negative number, "
                                             r"got .*$"):
        study.optimize(lambda c: c["x"], max_budget=value, show_progress=False)
