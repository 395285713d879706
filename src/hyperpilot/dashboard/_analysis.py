"""Analysis views for the dashboard, computed in the background and cached in memory.

A request for a view never computes it: :meth:`AnalysisJobs.get` answers at once with
the cached result, or starts the computation in a small thread pool and says it is
running (with how long it has been queued or computing). A result is kept under the
study's id, the view, the choices it was computed with (objective, budget, pair, game:
see :func:`parse_choices`) and the study's finished-trial count (one counting query; the
set of finished trials only grows, so a new finished trial changes the count and the
next request computes the view again); it carries the analysis' own
``DataFrame.attrs["cache_key"]``. While a view is recomputed the previous result is
served, marked ``stale``. Only the newest result per study, view and choices is kept, and
at most :data:`MAX_JOBS` of them in all (the least recently asked for goes first).

:func:`warm_start` is the one write here: a new study on the refined space of the
``refine`` view, holding the old trials that fit it.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from hyperpilot.dashboard._actions import BadRequest
from hyperpilot.dashboard._views import VIEWS as VIEWS  # re-exported: _compare.py reads it
from hyperpilot.dashboard._views import Chosen, model_arguments
from hyperpilot.study._study import Study

MAX_TABLE_ROWS = 200
"""The most table rows a view sends (run views' tables hold every trial)."""


MAX_JOBS = 64
"""The most results (study, view, choices) kept in memory."""


def _games() -> tuple[str, ...]:
    from hyperpilot.analysis._hypershap import GAMES

    return GAMES


def budget_levels(study: Study) -> list[float]:
    """The budgets of the study's complete trials, lowest first (none without a fidelity)."""
    from hyperpilot.trial._trial import TrialState

    if study.fidelity is None:
        return []
    return sorted({float(t.budget) for t in study.get_trials([TrialState.COMPLETE])
                   if t.budget is not None})


def views_json(study: Study, levels: Sequence[float]) -> list[dict[str, Any]]:
    """The views that exist for *study*, each with the values of its choices (default first).

    The choices listed are those with something to choose: the objective with several,
    the budget with budget levels, the pair (its values are the hyperparameters' names;
    empty for the pair fANOVA ranks first) and the game; ``refine`` also lists the
    optimizers a warm-started study may use.
    """
    out = []
    for key, view in VIEWS.items():
        if view.multi and len(study.objectives) < 2:
            continue
        choices: dict[str, list[Any]] = {}
        if "objective" in view.takes and len(study.objectives) > 1:
            choices["objective"] = [o.name for o in study.objectives]
        if "budget" in view.takes and levels:
            choices["budget"] = [*view.budgets, *levels]
        if "pair" in view.takes:
            choices["pair"] = list(study.space.names)
        if "game" in view.takes:
            choices["game"] = list(_games())
        entry: dict[str, Any] = {"view": key, "title": view.title,
                                 "importance": view.importance,
                                 "choices": choices}
        if key == "refine":
            from hyperpilot.optimizers._registry import OPTIMIZERS

            entry["optimizers"] = sorted(OPTIMIZERS)
        out.append(entry)
    return out


def _pair(study: Study, text: str) -> tuple[str, str] | None:
    """``"a,b"`` as two different hyperparameter names (a name may hold a comma)."""
    names = study.space.names
    found = {(text[:i], text[i + 1:]) for i, c in enumerate(text) if c == ","}
    valid = [p for p in found if p[0] in names and p[1] in names and p[0] != p[1]]
    return valid[0] if len(valid) == 1 else None


def parse_choices(study: Study, view: str, query: Mapping[str, str],
                  levels: Sequence[float]) -> dict[str, Any]:
    """A view's choices from a query string, checked against the study, defaults filled in.

    ``objective`` (a name of the study's objectives; default the first), ``budget`` (one
    of the view's keywords or a budget level of the study; default the view's first
    keyword), ``pair`` (two hyperparameter names joined by a comma; default none: the pair
    fANOVA ranks first) and ``game`` (a HyperSHAP game; default ``ablation``).

    Raises:
        LookupError: for an unknown view, or one the study does not have (the
            multi-objective views of a study with one objective).
        BadRequest: one line naming the parameter at fault: one the view does not take, or
            a value the study does not have.

    """
    if view not in VIEWS:
        raise LookupError(f"unknown analysis view {view!r}; known: {', '.join(VIEWS)}")
    spec = VIEWS[view]
    if spec.multi and len(study.objectives) < 2:
        raise LookupError(f"the view {view!r} needs a study with several objectives; "
                          f"{study.name!r} has one")
    unknown = sorted(set(query) - set(spec.takes))
    if unknown:
        takes = ", ".join(spec.takes) or "nothing"
        raise BadRequest(f"{view}: unknown query parameter {unknown[0]!r}; it takes {takes}")
    chosen: dict[str, Any] = {}
    if "objective" in spec.takes:
        names = [o.name for o in study.objectives]
        chosen["objective"] = query.get("objective") or names[0]
        if chosen["objective"] not in names:
            raise BadRequest(f"objective must be one of {names}, got "
                             f"{chosen['objective']!r:.60}")
    if "budget" in spec.takes:
        text = query.get("budget") or spec.budgets[0]
        if text in spec.budgets:
            chosen["budget"] = text
        else:
            try:
                number = float(text)
            except ValueError:
                number = math.nan
            if number not in levels:
                raise BadRequest(f"budget must be one of {list(spec.budgets)} or a budget of "
                                 f"the study's complete trials {list(levels)}, got {text!r:.60}")
            chosen["budget"] = number
    if "pair" in spec.takes:
        text = query.get("pair") or ""
        chosen["pair"] = _pair(study, text) if text else None
        if text and chosen["pair"] is None:
            raise BadRequest(f"pair must be two different hyperparameters joined by a comma "
                             f"(of {study.space.names}), got {text!r:.60}")
    if "game" in spec.takes:
        chosen["game"] = query.get("game") or "ablation"
        if chosen["game"] not in _games():
            raise BadRequest(f"game must be one of {list(_games())}, got "
                             f"{chosen['game']!r:.60}")
    return chosen


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


def result_json(view: str, table: Any, figure: Any, chosen: Chosen) -> dict[str, Any]:
    """A finished view as the API sends it: figure, first table rows, trust, notes.

    It names the choices it was computed with (``choices``; ``pair`` the pair drawn) and,
    for the refined space, the space as JSON (``space``) and its ``summary``.
    """
    rows = json.loads(table.head(MAX_TABLE_ROWS).to_json(orient="records",
                                                          default_handler=str))
    notes = table.attrs.get("notes") or []
    choices = {k: list(v) if isinstance(v, tuple) else v for k, v in chosen.items()}
    if "pair" in chosen and "names" in table.attrs:
        choices["pair"] = list(table.attrs["names"])
    out = {"view": view, "title": VIEWS[view].title, "choices": choices,
           "figure": json.loads(figure.to_json()),
           "columns": [str(c) for c in table.columns], "rows": rows,
           "n_rows": len(table), "notes": [str(n) for n in notes],
           "cache_key": repr(table.attrs.get("cache_key")), **trust_json(table)}
    for key in ("space", "summary"):
        if key in table.attrs:
            out[key] = table.attrs[key]
    return out


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
        self._jobs: OrderedDict[tuple[Any, ...], _Job] = OrderedDict()
        self._levels: dict[str, tuple[tuple[Any, ...], list[float]]] = {}

    def close(self) -> None:
        """Cancel queued computations; running ones finish in their thread."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def levels(self, study: Study) -> list[float]:
        """:func:`budget_levels`, read again only after another trial finished."""
        key = state_key(study)
        with self._lock:
            known = self._levels.get(study.name)
        if known is not None and known[0] == key:
            return known[1]
        levels = budget_levels(study)
        with self._lock:
            self._levels[study.name] = (key, levels)
        return levels

    def views(self, study: Study) -> list[dict[str, Any]]:
        """The views of *study* and their choices (:func:`views_json`)."""
        return views_json(study, self.levels(study))

    def get(self, study: Study, view: str, query: Mapping[str, str] | None = None
            ) -> dict[str, Any]:
        """The view's result when it is up to date, else its status (and starts it).

        Raises:
            LookupError: for an unknown view.
            BadRequest: for a query parameter the view does not take or a value the study
                does not have (:func:`parse_choices`).

        """
        chosen = parse_choices(study, view, query or {}, self.levels(study))
        key = state_key(study)
        job = self._job(study, view, chosen, key)
        with job.lock:
            self._collect(job)
            if job.result is not None and job.result_key == key:
                return {"status": "done", "stale": False, **job.result}
            if job.error is not None and job.key == key and job.future is None:
                return {"status": "error", "view": view, "title": VIEWS[view].title,
                        "error": job.error}
            if job.future is None:
                self._start(job, study, view, chosen, key)
            assert job.future is not None
            now = time.time()
            progress = ({"stage": "queued", "seconds": round(now - job.queued_at, 1)}
                        if job.started_at is None else
                        {"stage": "computing", "seconds": round(now - job.started_at, 1)})
            if job.result is not None:
                return {"status": "done", "stale": True, "progress": progress, **job.result}
            return {"status": "running", "view": view, "title": VIEWS[view].title,
                    "progress": progress}

    def current(self, study: Study, view: str, chosen: Chosen) -> dict[str, Any] | None:
        """The view's result for *chosen* when it is up to date, else None (nothing starts)."""
        key = state_key(study)
        with self._lock:
            job = self._jobs.get(self._key(study, view, chosen))
        if job is None:
            return None
        with job.lock:
            self._collect(job)
            return job.result if job.result_key == key else None

    @staticmethod
    def _key(study: Study, view: str, chosen: Chosen) -> tuple[Any, ...]:
        return (study.name, view, tuple(sorted(chosen.items())))

    def _job(self, study: Study, view: str, chosen: Chosen, key: tuple[Any, ...]) -> _Job:
        """The job of (study, view, choices), made when new; the oldest unused ones go."""
        name = self._key(study, view, chosen)
        with self._lock:
            job = self._jobs.get(name)
            if job is None:
                job = self._jobs[name] = _Job(key=key)
            self._jobs.move_to_end(name)
            idle = [k for k, j in self._jobs.items() if j.future is None]
            for old in idle[:max(0, len(self._jobs) - MAX_JOBS)]:
                del self._jobs[old]
            return job

    def _start(self, job: _Job, study: Study, view: str, chosen: Chosen,
               key: tuple[Any, ...]) -> None:
        def run() -> dict[str, Any]:
            job.started_at = time.time()
            table, figure = VIEWS[view].compute(study, chosen)
            return result_json(view, table, figure, chosen)

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


MAX_NAME = 200
"""The longest study name the warm-start form accepts."""


def warm_start(study: Study, body: Mapping[str, Any], jobs: AnalysisJobs) -> dict[str, Any]:
    """Start a study on the refined space of *study*, with its trials that fit; its link.

    *body* holds ``name`` (a new study name), optionally ``seed`` (an integer),
    ``optimizer`` (a registry name; default the old study's) and ``choices`` (the
    ``refine`` view's objective and budget, as its query string takes them). The refined
    space is the one the view shows for those choices: its cached result when it is up to
    date, else :func:`~hyperpilot.analysis.refine` computed now. The new study is made by
    :func:`~hyperpilot.analysis.warm_start_study` in the same storage.

    Raises:
        BadRequest: an empty or taken name, a seed that is not a whole number >= 0, an
            unknown optimizer or choice; nothing is created.

    """
    from hyperpilot.analysis._refine import refine, warm_start_study
    from hyperpilot.optimizers._registry import OPTIMIZERS
    from hyperpilot.space._space import Space
    from hyperpilot.trial._trial import TrialState

    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
        raise BadRequest(f"warm_start: name must be a study name of 1 to {MAX_NAME} "
                         f"characters, got {name!r:.60}")
    name = name.strip()
    if name in {s.record.name for s in study.storage.list_studies()}:
        raise BadRequest(f"warm_start: a study named {name!r} already exists; choose another "
                         f"name")
    seed = body.get("seed")
    if seed == "":
        seed = None
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)
                             or not 0 <= seed < 2**32):
        raise BadRequest(f"warm_start: seed must be a whole number in [0, 2**32) or empty, "
                         f"got {seed!r:.40}")
    optimizer = body.get("optimizer") or None
    if optimizer is not None and optimizer not in OPTIMIZERS:
        raise BadRequest(f"warm_start: optimizer must be one of {sorted(OPTIMIZERS)} or empty "
                         f"(the study's own), got {optimizer!r:.40}")
    given = body.get("choices") or {}
    if not isinstance(given, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in given.items()):
        raise BadRequest(f"warm_start: choices must map names to strings, got {given!r:.60}")
    chosen = parse_choices(study, "refine", given, jobs.levels(study))
    shown = jobs.current(study, "refine", chosen)
    if shown is not None:
        space = Space.from_json(shown["space"])
    else:
        table = refine(study, **model_arguments(study, chosen))
        space = Space.from_json(table.attrs["space"])
    new = warm_start_study(study, space, name=name, optimizer=optimizer, seed=seed)
    told = new.storage.count_trials(new.id).get(TrialState.COMPLETE, 0)
    return {"study": new.name, "link": f"/study/{quote(new.name, safe='')}",
            "n_trials": told, "from": study.name}
