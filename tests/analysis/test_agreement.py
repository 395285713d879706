"""Agreement between fANOVA, PED-ANOVA and LPI."""

from __future__ import annotations

from typing import Any

import hyperpilot as hp
from hyperpilot.analysis import agreement, plot_agreement


def test_agreement_of_the_three_methods(kind: tuple[hp.Study, dict[str, Any]]) -> None:
    study, arguments = kind
    table = agreement(study, **arguments)
    assert set(zip(table["first"], table["second"], strict=True)) == {
        ("fanova", "ped_anova"), ("fanova", "lpi"), ("ped_anova", "lpi")}
    assert set(table.attrs["rankings"]) == {"fanova", "ped_anova", "lpi"}
    assert table["top_k_overlap"].between(0, 1).all()
    assert plot_agreement(table).data


def test_agreement_is_high_on_a_clear_function() -> None:
    space = hp.Space({"a": hp.Float(0, 1), "b": hp.Float(0, 1), "c": hp.Float(0, 1),
                      "n": hp.Float(0, 1)})
    study = hp.create_study(space=space, storage="memory", optimizer="random", seed=3)
    study.optimize(lambda c: 4 * c["a"] + 2 * c["b"] + c["c"], n_trials=400,
                   show_progress=False)
    table = agreement(study)
    assert (table["kendall_tau"] > 0.6).all() and (table["top_k_overlap"] == 1.0).all()
