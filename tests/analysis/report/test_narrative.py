"""The summary in words says what the numbers say, and no more than the fit allows."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

import hyperpilot as hp
from hyperpilot.analysis._report._narrative import (
    ablation_sentence,
    agreement_sentence,
    importance_sentences,
    listing,
    lpi_sentence,
    overview_sentences,
    percent,
)

NAN = math.nan


def fanova_table(r2: float, main: dict[str, float], pairs: dict[tuple[str, str], float],
                 intervals: dict[str, tuple[float, float]] | None = None,
                 budget: float = NAN) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for name, share in main.items():
        low, high = (intervals or {}).get(name, (NAN, NAN))
        rows.append({"budget": budget, "kind": "main", "hyperparameters": (name,),
                     "hyperparameter": name, "importance": share, "low": low, "high": high,
                     "n_trials": 200, "cv_r2": r2})
    for (a, b), share in pairs.items():
        rows.append({"budget": budget, "kind": "pair", "hyperparameters": (a, b),
                     "hyperparameter": f"{a} x {b}", "importance": share, "low": NAN,
                     "high": NAN, "n_trials": 200, "cv_r2": r2})
    table = pd.DataFrame(rows)
    table.attrs["objective"] = "-accuracy"
    return table


def test_a_trusted_fit_gives_shares_and_the_top_interaction() -> None:
    table = fanova_table(0.91, {"learning_rate": 0.62, "depth": 0.15, "width": 0.05,
                                "seed_noise": 0.001},
                         {("learning_rate", "depth"): 0.11, ("depth", "width"): 0.01,
                          ("learning_rate", "width"): 0.005,
                          ("learning_rate", "seed_noise"): 0.0})
    sentences = importance_sentences(table)
    assert sentences[0] == ("learning_rate explains 62% of the variance of accuracy (R² of the "
                            "surrogate 0.91), depth 15% and width 5%; its interaction with "
                            "depth another 11%.")
    assert sentences[1] == ("Main effects add up to 82% and pairs to 12%; the remaining 5% "
                            "lies in interactions of three or more hyperparameters.")
    assert sentences[2] == ("seed_noise explains under 1% (alone and in pairs): a candidate "
                            "to fix.")


def test_an_untrustworthy_fit_gives_no_ranking() -> None:
    sentences = importance_sentences(fanova_table(0.12, {"a": 0.7, "b": 0.3}, {}))
    assert sentences == [
        "No ranking of the hyperparameters is given: the surrogate explains only 12% of the "
        "variance of accuracy (cross-validated R² 0.12 over 200 trials), so any order would "
        "be mostly chance. The objective may be noisy, the trials too few, or its variation "
        "not due to these hyperparameters."]
    assert "explains none of" in importance_sentences(
        fanova_table(-0.2, {"a": 0.7, "b": 0.3}, {}))[0]
    assert "nothing to explain" in importance_sentences(
        fanova_table(NAN, {"a": 0.0, "b": 0.0}, {}))[0]


def test_a_fair_fit_is_rough_and_overlapping_intervals_are_said() -> None:
    table = fanova_table(0.45, {"a": 0.40, "b": 0.35}, {("a", "b"): 0.001},
                         {"a": (0.3, 0.5), "b": (0.25, 0.42)})
    sentences = importance_sentences(table)
    assert sentences[0].endswith("b 35%; no pair of hyperparameters interacts noticeably "
                                 "(each pair under 2%).")
    assert sentences[1] == ("The surrogate's fit is only fair (cross-validated R² 0.45): read "
                            "these shares as rough.")
    assert sentences[2] == ("The bootstrap intervals of a [30%, 50%] and b [25%, 42%] overlap: "
                            "which of the two matters more is not settled.")


def test_budgets_are_read_at_the_highest() -> None:
    low = fanova_table(0.9, {"y": 0.8, "x": 0.1}, {}, budget=1.0)
    high = fanova_table(0.9, {"x": 0.7, "y": 0.2}, {}, budget=9.0)
    table = pd.concat([low, high], ignore_index=True)
    table.attrs["objective"] = "loss"
    sentences = importance_sentences(table)
    assert sentences[0].startswith("At budget 9, the highest with enough trials: x explains "
                                   "70% of the variance of loss")
    assert sentences[-1] == "At budget 1, y comes first instead."


def test_agreement_lpi_and_ablation_sentences() -> None:
    same = pd.DataFrame({"kendall_tau": [0.8, 0.6, 0.7]})
    same.attrs["rankings"] = {"fanova": ["a", "b"], "ped_anova": ["a", "c"], "lpi": ["a", "b"]}
    assert agreement_sentence(same) == ("fANOVA, PED-ANOVA and local importance all rank a "
                                        "first (mean Kendall's tau of the rankings 0.70).")
    apart = pd.DataFrame({"kendall_tau": [NAN, 0.1, -0.2]})
    apart.attrs["rankings"] = {"fanova": ["a"], "ped_anova": ["b"], "lpi": ["a"]}
    assert agreement_sentence(apart).startswith(
        "The methods disagree on what matters most: fANOVA a, PED-ANOVA b and local "
        "importance a come first (mean Kendall's tau of the rankings -0.05).")
    lpi = pd.DataFrame({"hyperparameter": ["b", "a"], "importance": [0.25, 0.75],
                        "cv_r2": [0.8, 0.8]})
    assert lpi_sentence(lpi) == ("Around the best trial, moving a changes the prediction most "
                                 "(75% of the local variance).")
    assert lpi_sentence(lpi.assign(cv_r2=0.1)) == ""
    path = pd.DataFrame({"step": [0, 1, 2, 3], "hyperparameter": ["reference", "a", "b", "c"],
                         "gain": [0.0, 0.3, 0.15, 0.05], "share": [0.0, 0.6, 0.3, 0.1],
                         "cv_r2": [0.9] * 4})
    path.attrs["quantity"] = "loss"
    assert ablation_sentence(path) == (
        "From the default configuration to the best trial the surrogate predicts a gain of "
        "0.5 in loss; changing a brings 60% of it, and the first 2 of the 3 changes bring 90%.")
    assert ablation_sentence(path.iloc[:1]) == ("The best trial has the default "
                                                "configuration: there is no path to ablate.")


def test_overview_counts_best_and_failures() -> None:
    study = hp.create_study(space={"x": hp.Float(0, 1)}, storage="memory", seed=0,
                            optimizer="random", objectives={"acc": "maximize"})

    def objective(c: dict[str, float]) -> float:
        if c["x"] > 0.7:
            raise ValueError("x too large")
        return c["x"]

    study.optimize(objective, n_trials=20, show_progress=False, max_consecutive_failures=None)
    trials = study.get_trials()
    failed = sum(t.state == hp.TrialState.FAILED for t in trials)
    sentences = overview_sentences(study, trials)
    assert sentences[0] == f"The study holds 20 trials ({20 - failed} complete, {failed} failed)."
    assert sentences[1] == (f"The best acc is {study.best_value:.6g} (trial "
                            f"{study.best_trial.number}; maximized).")
    assert sentences[2] == (f"{failed} trials failed, all with \u201cValueError: x too "
                            "large\u201d.")


def test_words() -> None:
    assert [percent(0.004), percent(0.0), percent(0.625)] == ["under 1%", "0%", "62%"]
    assert [listing([]), listing(["a"]), listing(["a", "b", "c"])] == ["", "a", "a, b and c"]
