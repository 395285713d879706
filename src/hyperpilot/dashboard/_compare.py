"""Several studies side by side: what the comparison page (``/compare``) is sent.

Everything is aggregated on the server, so the answer's size does not grow with the
studies' trials:

* **Table**: per study, its trials per state, best value and configuration, optimizer.
* **Best so far** by trial number: the points where the best value of the compared
  objective improved (over complete trials, read from the app's
  :class:`~hyperpilot.dashboard._data.FinishedCache`), which draw the step curve exactly;
  past :data:`MAX_CURVE_POINTS` improvements an evenly spaced subset of them (the first
  and the last kept), and the answer says so.
* **Best so far by wall time**: the same curve against seconds since the study's first
  trial was created. Finishing times are not in the values the cache reads, so they are
  read for at most :data:`MAX_TIME_POINTS` improvements per study, one trial each, and
  kept (:class:`FinishTimes`), since finished trials never change.
* **Distribution**: :data:`N_QUANTILES` evenly spaced quantiles of the complete trials'
  values (an empirical distribution function drawn to 1 % steps) and the five numbers
  of a box plot, exact at any number of trials.
* **Importance side by side** (:func:`importances`): each study's view of the analysis
  page (fANOVA, PED-ANOVA or local importance), computed in the background by the app's
  :class:`~hyperpilot.dashboard._analysis.AnalysisJobs` and cached there, so the
  analysis page and the comparison share the results; once every study's is done, their
  main effects are drawn as grouped bars by
  :func:`~hyperpilot.analysis._comparison.plot_compare_importances`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from hyperpilot.dashboard._analysis import VIEWS, AnalysisJobs
from hyperpilot.dashboard._data import FinishedCache, _number, best_trial
from hyperpilot.study._study import Study
from hyperpilot.trial._trial import Trial

MAX_STUDIES = 10
"""The most studies one comparison takes."""

MAX_CURVE_POINTS = 1_000
"""The most improvements of the best so far sent per study (by trial number)."""

MAX_TIME_POINTS = 100
"""The most improvements per study whose finishing time is read (one trial each)."""

N_QUANTILES = 101
"""Quantiles of each study's values sent for its distribution (0 %, 1 %, ..., 100 %)."""

IMPORTANCE_VIEWS = ("fanova", "ped_anova", "lpi")
"""The analysis views whose per-hyperparameter importances the comparison sets side by side."""


def study_names(studies: str | None, study: Sequence[str] = ()) -> list[str]:
    """The names to compare: *studies* split at commas, then every *study* as it is.

    The query string gives ``studies=a,b`` or, for names holding a comma,
    ``study=a&study=b``. Repeated names count once; order is kept.

    Raises:
        ValueError: without a name, or with more than :data:`MAX_STUDIES`.

    """
    names = [n for n in (studies or "").split(",") if n] + [n for n in study if n]
    names = list(dict.fromkeys(names))
    if not names:
        raise ValueError("studies: name the studies to compare, as ?studies=a,b or "
                         "?study=a&study=b")
    if len(names) > MAX_STUDIES:
        raise ValueError(f"studies: compare at most {MAX_STUDIES} studies at once, got "
                         f"{len(names)}")
    return names


class FinishTimes:
    """Finishing times of trials read one by one, kept by (study id, trial number).

    Only finished trials are kept (their times never change); the store is emptied when it
    holds more than *limit* entries.
    """

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._times: dict[tuple[int, int], float] = {}

    def get(self, study: Study, number: int) -> float | None:
        """When trial *number* of *study* finished (read once), or ``None``."""
        key = (study.id, number)
        with self._lock:
            if key in self._times:
                return self._times[key]
        trial = _trial_at(study, number)
        if trial is None or trial.finished_at is None:
            return None
        with self._lock:
            if len(self._times) >= self.limit:
                self._times.clear()
            self._times[key] = trial.finished_at
        return trial.finished_at


def _trial_at(study: Study, number: int) -> Trial | None:
    """Trial *number* (numbers run from 0 without gaps: the row at that offset)."""
    found = study.storage.get_trials_page(study.id, offset=number, limit=1).trials
    return found[0] if found and found[0].number == number else None


def _evenly(indices: np.ndarray, limit: int) -> np.ndarray:
    """At most *limit* of *indices*, evenly spaced, the first and the last kept."""
    if len(indices) <= limit:
        return indices
    chosen: np.ndarray = indices[np.unique(np.linspace(0, len(indices) - 1, limit)
                                           .round().astype(int))]
    return chosen


def _float(value: Any) -> float:
    """*value* as a float; NaN when it is not a number."""
    return float(value) if isinstance(value, (int, float)) else math.nan


def _objective(study: Study, objective: str | None) -> tuple[str, str]:
    """The compared objective's name and direction in *study* (default: its first)."""
    names = [o.name for o in study.objectives]
    chosen = objective or names[0]
    if chosen not in names:
        raise ValueError(f"objective: study {study.name!r} has no objective {chosen!r}; "
                         f"it has {names}")
    return chosen, {o.name: o.direction for o in study.objectives}[chosen]


def _best(study: Study, objective: str, direction: str, numbers: np.ndarray,
          values: np.ndarray) -> dict[str, Any] | None:
    """The best trial, by value of *objective*.

    A study with one objective and constraints or a fidelity ranks by its own order
    (feasible first, the highest budget), which reads every trial.
    """
    trial: Trial | None
    if len(study.objectives) == 1 and (study.constraints or study.fidelity is not None):
        trial = best_trial(study)
    elif len(values):
        k = int(np.argmax(values) if direction == "maximize" else np.argmin(values))
        trial = _trial_at(study, int(numbers[k]))
    else:
        trial = None
    if trial is None or not trial.values:
        return None
    return {"number": trial.number, "value": _number(trial.values.get(objective)),
            "config": trial.config}


def study_comparison(study: Study, finished: FinishedCache, times: FinishTimes,
                     objective: str | None = None) -> dict[str, Any]:
    """One study's part of the comparison: its row, curves and distribution (see module).

    Raises:
        ValueError: when the study has no objective called *objective*.

    """
    name, direction = _objective(study, objective)
    finished.load()
    items = list(finished.values.items())
    numbers = np.fromiter((n for n, _ in items), dtype=int, count=len(items))
    values = np.fromiter((_float(v.get(name)) for _, v in items), dtype=float,
                         count=len(items))
    order = np.argsort(numbers, kind="stable")
    numbers, values = numbers[order], values[order]
    finite = np.isfinite(values)
    numbers, values = numbers[finite], values[finite]
    counts = study.storage.count_trials(study.id)
    n_trials = sum(counts.values())
    best = (np.maximum.accumulate(values) if direction == "maximize"
            else np.minimum.accumulate(values))
    improved = np.flatnonzero(np.r_[True, best[1:] != best[:-1]]) if len(best) else best
    improved = improved.astype(int)
    shown = _evenly(improved, MAX_CURVE_POINTS)
    timed = _evenly(shown, MAX_TIME_POINTS)
    first = _trial_at(study, 0)
    origin = first.created_at if first is not None else None
    elapsed, timed_best = [], []
    for k in timed:
        at = times.get(study, int(numbers[k]))
        if at is not None and origin is not None:
            elapsed.append(round(at - origin, 3))
            timed_best.append(float(best[k]))
    distribution = None
    if len(values):
        q1, median, q3 = np.quantile(values, [0.25, 0.5, 0.75])
        distribution = {
            "n": len(values),
            "quantiles": np.quantile(values, np.linspace(0, 1, N_QUANTILES)).tolist(),
            "min": float(values.min()), "q1": float(q1), "median": float(median),
            "q3": float(q3), "max": float(values.max()), "mean": _number(float(values.mean()))}
    return {
        "name": study.name, "objective": name, "direction": direction,
        "optimizer": study.spec.optimizer.get("name", "?"),
        "status": study.steering().status,
        "counts": {s.value: n for s, n in counts.items()}, "n_trials": n_trials,
        "best": _best(study, name, direction, numbers, values),
        "curve": {"number": numbers[shown].tolist(), "best": best[shown].tolist(),
                  "last": n_trials - 1, "n_improvements": len(improved),
                  "sampled": len(shown) < len(improved)},
        "time": {"elapsed": elapsed, "best": timed_best,
                 "sampled": len(timed) < len(improved)},
        "distribution": distribution,
    }


def comparison(members: Sequence[tuple[Study, FinishedCache]], times: FinishTimes,
               objective: str | None = None) -> dict[str, Any]:
    """The comparison of *members* (each a study and its finished trials' cache).

    Studies that compare different objectives, or one objective in different directions,
    are still compared; the notes say so.

    Raises:
        ValueError: when a study has no objective called *objective*.

    """
    studies = [study_comparison(s, f, times, objective) for s, f in members]
    notes = []
    objectives = {(s["objective"], s["direction"]) for s in studies}
    if len(objectives) > 1:
        notes.append("the studies' objectives differ ("
                     + ", ".join(f"{s['name']}: {s['objective']} ({s['direction']})"
                                 for s in studies) + "); their values may not compare")
    for s in studies:
        curve = s["curve"]
        if curve["sampled"]:
            notes.append(f"{s['name']}: the best-so-far curve shows {len(curve['number']):,} "
                         f"of its {curve['n_improvements']:,} improvements (evenly spaced; "
                         f"at most {MAX_CURVE_POINTS:,} per study)")
        if s["time"]["sampled"]:
            notes.append(f"{s['name']}: the curve by wall time shows "
                         f"{len(s['time']['elapsed']):,} of its {curve['n_improvements']:,} "
                         f"improvements (at most {MAX_TIME_POINTS:,} per study)")
    return {"studies": studies, "notes": notes,
            "importance_views": [{"view": v, "title": VIEWS[v].title} for v in IMPORTANCE_VIEWS],
            "limits": {"studies": MAX_STUDIES, "curve_points": MAX_CURVE_POINTS,
                       "time_points": MAX_TIME_POINTS, "quantiles": N_QUANTILES}}


def _main_effects(study: Study, result: dict[str, Any]) -> list[dict[str, Any]]:
    """A finished view's rows of main effects (at the highest budget when there are several)."""
    rows = [r for r in result["rows"] if r.get("kind", "main") == "main"
            and isinstance(r.get("hyperparameter"), str)]
    budgets = {r.get("budget") for r in rows if isinstance(r.get("budget"), (int, float))}
    if budgets:
        rows = [r for r in rows if r.get("budget") == max(budgets)]
    return [{"group": study.name, "study": study.name, "hyperparameter": r["hyperparameter"],
             "importance": r.get("importance"), "std": r.get("std"),
             "n_trials": r.get("n_trials"), "cv_r2": r.get("cv_r2"),
             "warning": r.get("warning")} for r in rows]


def importances(studies: Sequence[Study], jobs: AnalysisJobs, view: str,
                objective: str | None = None) -> dict[str, Any]:
    """The importance *view* of each study side by side, computed in the background.

    Each study's status is what :meth:`AnalysisJobs.get` answers for the view with its
    default choices (the analysis page's, so both share the result; the computation
    starts on the first request), for *objective* when given (else each study's first);
    ``figure`` is drawn once every study's view is done or has failed, from the main
    effects of those that are done.

    Raises:
        ValueError: for a view that gives no importance per hyperparameter.

    """
    if view not in IMPORTANCE_VIEWS:
        raise ValueError(f"view must be one of {list(IMPORTANCE_VIEWS)}, got {view!r:.60}")
    query = {"objective": objective} if objective else None
    parts = [(study, jobs.get(study, view, query)) for study in studies]
    rows: list[dict[str, Any]] = []
    states = []
    for study, part in parts:
        state = {"name": study.name, "status": part["status"],
                 "stale": bool(part.get("stale")), "progress": part.get("progress"),
                 "error": part.get("error"), "trust": part.get("trust", []),
                 "warnings": part.get("warnings", []), "notes": part.get("notes", [])}
        states.append(state)
        if part["status"] == "done":
            rows += _main_effects(study, part)
    running = any(s["status"] == "running" for s in states)
    figure = None
    if not running and rows:
        figure = _figure(rows, VIEWS[view].title)
    return {"view": view, "title": VIEWS[view].title,
            "status": "running" if running else "done", "studies": states, "figure": figure}


def _figure(rows: list[dict[str, Any]], title: str) -> dict[str, Any]:
    """Grouped bars of the rows' importances, one colour per study, as plotly JSON."""
    import json

    import pandas as pd

    from hyperpilot.analysis._comparison import IMPORTANCE_COLUMNS, plot_compare_importances

    table = pd.DataFrame(rows, columns=list(IMPORTANCE_COLUMNS))
    for column in ("importance", "std", "cv_r2"):
        table[column] = pd.to_numeric(table[column], errors="coerce")
    figure = plot_compare_importances(table, top=20)
    for trace, study in zip(figure.data, dict.fromkeys(table["group"]), strict=False):
        trace.name = study  # one study per group: no count after the name
    figure.update_layout(title=f"{title}: main effects by study", yaxis_title="importance")
    return dict(json.loads(figure.to_json()))
