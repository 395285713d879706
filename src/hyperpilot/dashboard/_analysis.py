"""Analysis views for the dashboard, computed in the background and cached in memory.

A request for a view never computes it: :meth:`AnalysisJobs.get` answers at once with
the cached result, or starts the computation in a small thread pool and says it is
running (with how long it has been queued or computing). A result is kept under the
study's id, the view and the study's finished-trial count (one counting query; the set of
finished trials only grows, so a new finished trial changes the count and the next
request computes the view again); it carries the analysis' own
``DataFrame.attrs["cache_key"]``. While a view is recomputed the previous result is
served, marked ``stale``. Only the newest result per study and view is kept.
"""

from __future__ import annotations

import importlib
import json
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from hyperpilot.study._study import Study

MAX_TABLE_ROWS = 200
"""The most table rows a view sends (run views' tables hold every trial)."""


MAX_MODEL_TRIALS = 5_000
"""The most complete trials a model-based view fits its forest on; past it, a seeded
uniform sample of them, which the view's notes state."""


def _first_objective(study: Study) -> dict[str, Any]:
    """The objective argument: the first objective when the study has several."""
    return {"objective": study.objectives[0].name} if len(study.objectives) > 1 else {}


def _model_arguments(study: Study) -> dict[str, Any]:
    """The objective argument, and past :data:`MAX_MODEL_TRIALS` complete trials a sample.

    A forest on 100,000 trials takes minutes and explains no more than one on a uniform
    sample of 5,000 (fANOVA: 1.7 s at 10,000 trials); the sample is drawn with seed 0 from
    the complete trials' numbers, read without their configurations.
    """
    import numpy as np

    from hyperpilot.trial._trial import TrialState

    arguments = _first_objective(study)
    complete = [r.number for r in study.storage.get_trial_results(study.id)
                if r.state == TrialState.COMPLETE]
    if len(complete) > MAX_MODEL_TRIALS:
        chosen = np.random.default_rng(0).choice(len(complete), MAX_MODEL_TRIALS,
                                                 replace=False)
        arguments["trials"] = sorted(complete[i] for i in chosen)
    return arguments


def _sampled(table: Any, arguments: dict[str, Any]) -> Any:
    """Say in the table's notes when the view was fitted on a sample of the trials."""
    if "trials" in arguments:
        notes = list(table.attrs.get("notes") or [])
        notes.append(f"fitted on a uniform sample of {len(arguments['trials']):,} of the "
                     f"study's complete trials (past {MAX_MODEL_TRIALS:,}, a sample keeps "
                     f"the view fast)")
        table.attrs["notes"] = notes
    return table


def _model_view(module: str, compute: str, plot: str) -> Callable[[Study], tuple[Any, Any]]:
    """A model-based view: ``compute`` of ``analysis.<module>``, then its ``plot``.

    It runs on a sample of the study's trials past :data:`MAX_MODEL_TRIALS`; the module is
    imported when the view runs.
    """

    def view(study: Study) -> tuple[Any, Any]:
        functions = importlib.import_module(f"hyperpilot.analysis.{module}")
        arguments = _model_arguments(study)
        table = _sampled(getattr(functions, compute)(study, **arguments), arguments)
        return table, getattr(functions, plot)(table)

    return view


def _partial_dependence(study: Study) -> tuple[Any, Any]:
    """The partial dependence of the pair fANOVA ranks first (one name without pairs)."""
    from hyperpilot.analysis._fanova import fanova
    from hyperpilot.analysis._pdp import partial_dependence, plot_partial_dependence

    arguments = _model_arguments(study)
    ranks = fanova(study, budget="highest", n_bootstrap=0, **arguments)
    pairs = ranks[ranks["kind"] == "pair"]
    names = list((pairs if len(pairs) else ranks).iloc[0]["hyperparameters"])
    table = _sampled(partial_dependence(study, names, **arguments), arguments)
    return table, plot_partial_dependence(table)


def _parallel(study: Study) -> tuple[Any, Any]:
    from hyperpilot.analysis._parallel import parallel_coordinates, plot_parallel_coordinates

    table = parallel_coordinates(study, **_first_objective(study))
    return table, plot_parallel_coordinates(table)


def _footprint(study: Study) -> tuple[Any, Any]:
    from hyperpilot.analysis._footprint import footprint, plot_footprint

    table = footprint(study, **_first_objective(study))
    return table, plot_footprint(table)


def _history(study: Study) -> tuple[Any, Any]:
    from hyperpilot.analysis._history import history, plot_history

    table = history(study)
    return table, plot_history(table)


@dataclass(frozen=True)
class View:
    """One analysis view: its title, whether it has the trust layer, how it is computed."""

    title: str
    importance: bool
    compute: Callable[[Study], tuple[Any, Any]]


VIEWS: dict[str, View] = {
    "fanova": View("fANOVA importance", True,
                   _model_view("_fanova", "fanova", "plot_fanova")),
    "ped_anova": View("PED-ANOVA importance of reaching the top", True,
                      _model_view("_ped_anova", "ped_anova", "plot_ped_anova")),
    "lpi": View("Local importance around the incumbent", True,
                _model_view("_lpi", "lpi", "plot_lpi")),
    "ablation": View("Ablation path to the incumbent", True,
                     _model_view("_ablation", "ablation", "plot_ablation")),
    "hypershap": View("HyperSHAP (ablation game)", True,
                      _model_view("_hypershap", "hypershap", "plot_hypershap")),
    "partial_dependence": View("Partial dependence of the top pair", True,
                               _partial_dependence),
    "parallel_coordinates": View("Parallel coordinates", False, _parallel),
    "footprint": View("Configuration footprint", False, _footprint),
    "history": View("Value and best so far", False, _history),
}
"""The views ``GET /api/studies/{name}/analysis/{view}`` computes, in page order."""


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def trust_json(table: Any) -> dict[str, Any]:
    """The trust line (the forest's fit per budget) and the warnings of an importance table."""
    from hyperpilot.analysis._report._content import Alert, Trust, trust_blocks

    trust: list[dict[str, Any]] = []
    warnings: list[dict[str, str]] = []
    for block in trust_blocks(table):
        if isinstance(block, Alert):
            warnings.append({"text": block.text, "level": block.level})
        elif isinstance(block, Trust):
            trust += [{"budget": _json_safe(r.budget), "cv_r2": _json_safe(r.cv_r2),
                       "spearman": _json_safe(r.spearman), "n_trials": r.n_trials,
                       "verdict": r.verdict} for r in block.rows]
    return {"trust": trust, "warnings": warnings}


def result_json(view: str, table: Any, figure: Any) -> dict[str, Any]:
    """A finished view as the API sends it: figure, first table rows, trust, notes."""
    rows = json.loads(table.head(MAX_TABLE_ROWS).to_json(orient="records",
                                                          default_handler=str))
    notes = table.attrs.get("notes") or []
    return {"view": view, "title": VIEWS[view].title,
            "figure": json.loads(figure.to_json()),
            "columns": [str(c) for c in table.columns], "rows": rows,
            "n_rows": len(table), "notes": [str(n) for n in notes],
            "cache_key": repr(table.attrs.get("cache_key")), **trust_json(table)}


@dataclass
class _Job:
    """The newest computation of one study's view and its newest finished result."""

    key: tuple[Any, ...]
    future: Future[dict[str, Any]] | None = None
    queued_at: float = 0.0
    started_at: float | None = None
    result: dict[str, Any] | None = None
    result_key: tuple[Any, ...] | None = None
    error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def state_key(study: Study) -> tuple[Any, ...]:
    """What a cached view depends on: the study's id and how many trials have finished."""
    counts = study.storage.count_trials(study.id)
    return (study.id, sum(n for state, n in counts.items() if state.is_finished))


class AnalysisJobs:
    """Background computations of analysis views, at most *workers* at a time, cached."""

    def __init__(self, workers: int = 1) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hp-analysis")
        self._lock = threading.Lock()
        self._jobs: dict[tuple[str, str], _Job] = {}

    def close(self) -> None:
        """Cancel queued computations; running ones finish in their thread."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def get(self, study: Study, view: str) -> dict[str, Any]:
        """The view's result when it is up to date, else its status (and starts it).

        Raises:
            LookupError: for an unknown view.

        """
        if view not in VIEWS:
            raise LookupError(f"unknown analysis view {view!r}; known: {', '.join(VIEWS)}")
        key = state_key(study)
        with self._lock:
            job = self._jobs.get((study.name, view))
            if job is None:
                job = self._jobs[(study.name, view)] = _Job(key=key)
        with job.lock:
            self._collect(job)
            if job.result is not None and job.result_key == key:
                return {"status": "done", "stale": False, **job.result}
            if job.error is not None and job.key == key and job.future is None:
                return {"status": "error", "view": view, "title": VIEWS[view].title,
                        "error": job.error}
            if job.future is None:
                self._start(job, study, view, key)
            assert job.future is not None
            now = time.time()
            progress = ({"stage": "queued", "seconds": round(now - job.queued_at, 1)}
                        if job.started_at is None else
                        {"stage": "computing", "seconds": round(now - job.started_at, 1)})
            if job.result is not None:
                return {"status": "done", "stale": True, "progress": progress, **job.result}
            return {"status": "running", "view": view, "title": VIEWS[view].title,
                    "progress": progress}

    def _start(self, job: _Job, study: Study, view: str, key: tuple[Any, ...]) -> None:
        def run() -> dict[str, Any]:
            job.started_at = time.time()
            table, figure = VIEWS[view].compute(study)
            return result_json(view, table, figure)

        job.key, job.error, job.started_at = key, None, None
        job.queued_at = time.time()
        job.future = self._pool.submit(run)

    @staticmethod
    def _collect(job: _Job) -> None:
        """Move a finished computation's result (or its one-line error) into *job*."""
        if job.future is None or not job.future.done():
            return
        future, job.future = job.future, None
        try:
            job.result, job.result_key = future.result(), job.key
        except Exception as exc:
            text = str(exc).strip()
            job.error = text.splitlines()[0] if text else type(exc).__name__
