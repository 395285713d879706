"""The report's summary in words, built from the numbers of the analysis tables.

Each function takes a table (or a study's trials) and returns sentences; none computes
anything the tables do not hold. The importance sentence leads with what the forest's
fit allows: a ranking with shares when the fit is good, the same marked as rough when it
is fair, and no ranking at all (but the reason) when the fit is poor.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from hyperpilot.analysis._trust import CAUTION_R2, TRUST_R2
from hyperpilot.study._failures import failure_groups
from hyperpilot.trial._trial import Trial, TrialState

if TYPE_CHECKING:
    from hyperpilot.study._study import Study

METHODS = {"fanova": "fANOVA", "ped_anova": "PED-ANOVA", "lpi": "local importance"}
"""How the methods of :func:`~hyperpilot.analysis.agreement` are named in sentences."""

NOTICEABLE = 0.02
"""A pair's share below which it is said not to interact noticeably."""

NEGLIGIBLE = 0.01
"""A share below which a hyperparameter is said to hardly matter."""


def percent(share: float) -> str:
    """``62%``; ``under 1%`` for a small positive share."""
    if 0.0 < share < 0.005:
        return "under 1%"
    return f"{share:.0%}"


def listing(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def quantity(table: pd.DataFrame) -> str:
    """What the table explains, in the objective's direction (``acc``, not ``-acc``)."""
    objective = str(table.attrs.get("objective", "the objective"))
    return objective[1:] if objective.startswith("-") else objective


def _budget_rows(table: pd.DataFrame) -> tuple[float, pd.DataFrame, list[float]]:
    """The rows of the highest budget (NaN: no budget), that budget, and all budgets."""
    if "budget" not in table.columns or table["budget"].isna().all():
        return math.nan, table, []
    budgets = sorted(float(b) for b in pd.unique(table["budget"].dropna()))
    top = budgets[-1]
    return top, table[table["budget"] == top], budgets


# ---------------------------------------------------------------------- the study
def overview_sentences(study: Study, trials: Sequence[Trial]) -> list[str]:
    """How many trials in which states, the best value (or front), the commonest failure."""
    counts: dict[TrialState, int] = {}
    for trial in trials:
        counts[trial.state] = counts.get(trial.state, 0) + 1
    states = ", ".join(f"{counts[s]:,} {s.value}" for s in TrialState if counts.get(s))
    out = [f"The study holds {len(trials):,} trial{'s' if len(trials) != 1 else ''} "
           f"({states})."]
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    if complete and len(study.objectives) == 1:
        objective = study.objectives[0]
        best = min(complete, key=study.rank_key)
        value = (best.values or {}).get(objective.name)
        text = (f"The best {objective.name} is {value:.6g} (trial {best.number}; "
                f"{objective.direction}d).")
        if study.violation(best) > 0:
            text += " No trial satisfies the constraints; this one violates them least."
        out.append(text)
    elif complete:
        front = study.best_trials
        out.append(f"The Pareto front of {listing([o.name for o in study.objectives])} holds "
                   f"{len(front)} trial{'s' if len(front) != 1 else ''}.")
    groups = failure_groups(trials)
    if groups:
        failed = sum(g.count for g in groups)
        top = groups[0]
        kinds = (f"{len(groups)} distinct errors, most often ({top.count}x)"
                 if len(groups) > 1 else "all")
        out.append(f"{failed:,} trial{'s' if failed != 1 else ''} failed, {kinds} with "
                   f"\u201c{top.error}\u201d.")
    return out


# ---------------------------------------------------------------------- importances
def importance_sentences(table: pd.DataFrame) -> list[str]:
    """What the fANOVA table says, within what the forest's fit allows (see the module)."""
    budget, rows, budgets = _budget_rows(table)
    main = rows[rows["kind"] == "main"].sort_values("importance", ascending=False)
    pairs = rows[rows["kind"] == "pair"].sort_values("importance", ascending=False)
    if main.empty:
        return []
    what = quantity(table)
    r2, n = float(main["cv_r2"].iloc[0]), int(main["n_trials"].iloc[0])
    where = ""
    if len(budgets) > 1:
        where = f"At budget {budget:g}, the highest with enough trials: "
    if math.isnan(r2):
        return [f"{where}{what} takes the same value on all {n:,} trials, or they are too few "
                "to cross-validate the surrogate: there is nothing to explain."]
    if r2 < TRUST_R2:
        share = "none" if r2 <= 0 else f"only {percent(r2)}"
        return [f"{where}No ranking of the hyperparameters is given: the surrogate explains "
                f"{share} of the variance of {what} (cross-validated R\u00b2 {r2:.2f} over "
                f"{n:,} trials), so any order would be mostly chance. The objective may be "
                "noisy, the trials too few, or its variation not due to these hyperparameters."]
    names = [str(h) for h in main["hyperparameter"]]
    shares = [float(s) for s in main["importance"]]
    shown = [i for i in range(min(3, len(names))) if i == 0 or shares[i] >= NEGLIGIBLE]
    text = (f"{where}{names[0]} explains {percent(shares[0])} of the variance of {what} "
            f"(R\u00b2 of the surrogate {r2:.2f})")
    rest = [f"{names[i]} {percent(shares[i])}" for i in shown[1:]]
    if rest:
        text += ", " + listing(rest)
    text += _pair_clause(names[0], pairs) + "."
    out = [text]
    if r2 < CAUTION_R2:
        out.append(f"The surrogate's fit is only fair (cross-validated R\u00b2 {r2:.2f}): read "
                   "these shares as rough.")
    overlap = _overlap_sentence(main)
    if overlap:
        out.append(overlap)
    main_total, pair_total = sum(shares), float(pairs["importance"].sum())
    if not pairs.empty:
        remainder = max(1.0 - main_total - pair_total, 0.0)
        text = (f"Main effects add up to {percent(main_total)} and pairs to "
                f"{percent(pair_total)}")
        text += (f"; the remaining {percent(remainder)} lies in interactions of three or "
                 "more hyperparameters." if remainder >= 0.05 else ".")
        out.append(text)
    inert = _inert(main, pairs)
    if inert:
        verb = "explains" if len(inert) == 1 else "explain"
        out.append(f"{listing(inert)} {verb} under {NEGLIGIBLE:.0%} "
                   f"{'each ' if len(inert) > 1 else ''}(alone and in pairs): "
                   f"{'a candidate' if len(inert) == 1 else 'candidates'} to fix.")
    out.extend(_budget_changes(table, budgets, names[0]))
    return out


def _pair_clause(top: str, pairs: pd.DataFrame) -> str:
    if pairs.empty:
        return ""
    with_top = pairs[[top in tuple(h) for h in pairs["hyperparameters"]]]
    if not with_top.empty and float(with_top["importance"].iloc[0]) >= NOTICEABLE:
        other = next(h for h in with_top["hyperparameters"].iloc[0] if h != top)
        return (f"; its interaction with {other} another "
                f"{percent(float(with_top['importance'].iloc[0]))}")
    strongest = float(pairs["importance"].iloc[0])
    if strongest >= NOTICEABLE:
        first, second = pairs["hyperparameters"].iloc[0]
        return f"; the strongest interaction, {first} and {second}, adds {percent(strongest)}"
    return f"; no pair of hyperparameters interacts noticeably (each pair under {NOTICEABLE:.0%})"


def _overlap_sentence(main: pd.DataFrame) -> str:
    """When the top two's bootstrap intervals overlap, say that their order is open."""
    if len(main) < 2:
        return ""
    first, second = main.iloc[0], main.iloc[1]
    bounds = [float(first["low"]), float(first["high"]), float(second["low"]),
              float(second["high"])]
    if any(math.isnan(b) for b in bounds) or bounds[0] > bounds[3]:
        return ""
    return (f"The bootstrap intervals of {first['hyperparameter']} "
            f"[{percent(bounds[0])}, {percent(bounds[1])}] and {second['hyperparameter']} "
            f"[{percent(bounds[2])}, {percent(bounds[3])}] overlap: which of the two matters "
            "more is not settled.")


def _inert(main: pd.DataFrame, pairs: pd.DataFrame) -> list[str]:
    """Hyperparameters with a negligible main effect that are in no noticeable pair."""
    out = []
    for name, share in zip(main["hyperparameter"], main["importance"], strict=True):
        if float(share) >= NEGLIGIBLE:
            continue
        involved = pairs[[name in tuple(h) for h in pairs["hyperparameters"]]]
        if involved.empty or float(involved["importance"].max()) < NEGLIGIBLE:
            out.append(str(name))
    return out


def _budget_changes(table: pd.DataFrame, budgets: list[float], top: str) -> list[str]:
    """Budgets at which another hyperparameter comes first (trusted fits only)."""
    out = []
    for budget in budgets[:-1]:
        rows = table[(table["budget"] == budget) & (table["kind"] == "main")]
        if rows.empty or not float(rows["cv_r2"].iloc[0]) >= TRUST_R2:
            continue
        first = str(rows.sort_values("importance", ascending=False)["hyperparameter"].iloc[0])
        if first != top:
            out.append(f"At budget {budget:g}, {first} comes first instead.")
    return out


def agreement_sentence(table: pd.DataFrame) -> str:
    """Whether fANOVA, PED-ANOVA and local importance name the same hyperparameter first."""
    rankings: dict[str, list[str]] = table.attrs.get("rankings", {})
    firsts = {METHODS.get(m, m): r[0] for m, r in rankings.items() if r}
    if len(firsts) < 2:
        return ""
    taus = [float(t) for t in table["kendall_tau"] if not math.isnan(float(t))]
    tau = f" (mean Kendall's tau of the rankings {sum(taus) / len(taus):.2f})" if taus else ""
    if len(set(firsts.values())) == 1:
        name = next(iter(firsts.values()))
        return f"{listing(list(firsts))} all rank {name} first{tau}."
    named = [f"{method} {name}" for method, name in firsts.items()]
    return (f"The methods disagree on what matters most: {listing(named)} come first{tau}. "
            "Each looks at something else (the whole space, the top trials, the "
            "neighbourhood of the best trial), so the importance depends on where one looks.")


def lpi_sentence(table: pd.DataFrame) -> str:
    """Which hyperparameter moves the prediction most around the best trial."""
    if table.empty or float(table["importance"].max()) <= 0.0:
        return ""
    if not float(table["cv_r2"].iloc[0]) >= TRUST_R2:
        return ""
    first = table.sort_values("importance", ascending=False).iloc[0]
    return (f"Around the best trial, moving {first['hyperparameter']} changes the prediction "
            f"most ({percent(float(first['importance']))} of the local variance).")


def ablation_sentence(table: pd.DataFrame) -> str:
    """What the predicted path from the default to the best configuration gains, and where."""
    steps = table[table["step"] > 0]
    if steps.empty:
        return "The best trial has the default configuration: there is no path to ablate."
    if not float(table["cv_r2"].iloc[0]) >= TRUST_R2:
        return ""
    total = float(steps["gain"].sum())
    what = str(table.attrs.get("quantity", "the objective"))
    if total <= 0.0:
        return (f"The surrogate predicts the default configuration to be at least as good as "
                f"the best trial in {what} (predicted gain {total:.3g}).")
    biggest = steps.loc[steps["share"].idxmax()]
    text = (f"From the default configuration to the best trial the surrogate predicts a gain "
            f"of {total:.3g} in {what}; changing {biggest['hyperparameter']} brings "
            f"{percent(float(biggest['share']))} of it")
    cumulative = steps["share"].cumsum().to_numpy()
    needed = int((cumulative < 0.9 - 1e-9).sum()) + 1
    if 1 < needed < len(steps):
        text += f", and the first {needed} of the {len(steps)} changes bring 90%"
    return text + "."
