"""Trials that run elsewhere: a process pool, a Dask cluster, isolated child processes.

The calling process stays the only one that asks and tells, so trial numbers and the
optimizer's state stay coherent. Up to ``engine.slots`` trials run at once; as soon as one
finishes it is told and a new one is asked for and submitted (asynchronous proposals: the
optimizer sees the trials still running through ``History.running``).

An objective that takes ``trial`` gets the study's own trial when the engine runs calls in
this process (threads, and isolated children, whose supervising threads forward their
reports), and otherwise a copy that reports through a
:class:`~hyperpilot.study._report.RemoteReporter` (see :mod:`hyperpilot.study._report`).
"""

from __future__ import annotations

import concurrent.futures as cf
import copy
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from hyperpilot.exceptions import OptimizerError
from hyperpilot.execution._call import TrialCall, dump_objective
from hyperpilot.execution._engines import (
    DaskEngine,
    Engine,
    FuturesEngine,
    is_dask_client,
    process_pool,
)
from hyperpilot.execution._isolation import Isolation
from hyperpilot.study._optimize import _Loop, interrupted, keyword_values
from hyperpilot.study._report import RemoteReporter, dump_pruner, worker_url
from hyperpilot.trial._trial import Trial, bind_reporter

logger = logging.getLogger("hyperpilot")


def make_engine(*, n_workers: int | None, executor: Any, isolated: bool) -> Engine:
    """The engine for these arguments of :meth:`Study.optimize`.

    * a Dask client: its workers (``n_workers`` trials at once, default all its threads);
    * another :class:`concurrent.futures.Executor`: it, ``n_workers`` at once (default its
      ``max_workers`` when it tells, else the CPU count);
    * isolated trials: a thread pool whose threads each supervise one child process;
    * else a process pool of ``n_workers``.
    """
    if executor is not None:
        if is_dask_client(executor):
            return DaskEngine(executor, slots=n_workers)
        if isinstance(executor, cf.Executor):
            slots = n_workers or getattr(executor, "_max_workers", None) or os.cpu_count() or 1
            return FuturesEngine(executor, slots=int(slots),
                                 in_process=isinstance(executor, cf.ThreadPoolExecutor))
        raise OptimizerError(
            "executor must be a Dask distributed.Client or a concurrent.futures.Executor, "
            f"got {type(executor).__name__}"
        )
    slots = n_workers or 1
    if isolated:
        return FuturesEngine(
            lambda: cf.ThreadPoolExecutor(slots, thread_name_prefix="hyperpilot-trial"),
            slots=slots, in_process=True,
        )
    return FuturesEngine(lambda: process_pool(slots), slots=slots)


def run_async(loop: _Loop, objective: Callable[..., Any], *, keywords: tuple[str, ...],
              trial_timeout: float | None, n_workers: int | None, executor: Any,
              isolated: bool, memory: int | None) -> None:
    """Run *loop*'s trials on an engine, keeping every slot busy."""
    payload = dump_objective(objective)
    isolation = Isolation(memory_limit=memory) if isolated else None
    path = tuple(sys.path)
    engine = make_engine(n_workers=n_workers, executor=executor, isolated=isolated)
    remote = _remote_reporting(loop, engine, keywords)
    loop.workers = engine.slots

    def call(trial: Trial) -> TrialCall:
        kwargs = keyword_values(trial, keywords)
        if remote is not None:
            reporter = RemoteReporter(*remote)
            kwargs["trial"] = bind_reporter(copy.copy(trial), reporter, fresh=True)
        return TrialCall(objective=payload, config=dict(trial.config), kwargs=kwargs,
                         timeout=trial_timeout, isolation=isolation, sys_path=path)

    name = loop.study.name
    in_flight: dict[Any, Trial] = {}
    try:
        while True:
            # While trials run, a paused study starts none and the finished ones are told;
            # with none running, start() waits for the resume.
            while (len(in_flight) < engine.slots
                   and (trial := loop.start(wait=not in_flight)) is not None):
                in_flight[engine.submit(call(trial), f"{name}-{trial.number}")] = trial
            if not in_flight:
                break
            for handle in engine.wait(list(in_flight)):
                loop.finish(in_flight.pop(handle), engine.outcome(handle))
    except BaseException as exc:
        # Trials that finished meanwhile keep their result; the others fail with the reason.
        for handle, trial in list(in_flight.items()):
            if handle.done():
                loop.record(trial, engine.outcome(handle))
                del in_flight[handle]
        engine.shutdown(cancel=True)
        loop.abandon(list(in_flight.values()), interrupted(exc))
        raise
    engine.shutdown(cancel=False)


def _remote_reporting(loop: _Loop, engine: Engine, keywords: tuple[str, ...],
                      ) -> tuple[str | None, str, int, bytes | None] | None:
    """The arguments of the trials' :class:`RemoteReporter`, or None: they report here.

    None when the objective takes no ``trial`` or the engine runs calls in this process.
    """
    if "trial" not in keywords or engine.in_process:
        return None
    study = loop.study
    url = worker_url(study.storage)
    pruner = None
    if study.optimizer.prunes:
        if url is None:
            logger.warning(
                "study %r lives in memory and its trials run in other processes: their "
                "learning curves are stored when each trial ends and trial.should_stop() "
                "answers False there; give the study a storage URL, or isolation='process', "
                "to prune while trials run", study.name)
        else:
            pruner = dump_pruner(study.optimizer)
    return url, study.name, study.id, pruner
