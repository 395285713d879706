"""Engines that run trial calls concurrently: existing executors, never a home-made scheduler.

The study stays the only one that asks and tells; an engine only evaluates
:class:`~hyperpilot.execution._call.TrialCall` objects and reports each as it finishes:

* :class:`FuturesEngine` wraps a :class:`concurrent.futures.Executor`: hyperpilot's own
  process pool (``n_workers``), a thread pool whose threads each supervise one isolated
  child process, or any executor a user passes;
* :class:`DaskEngine` wraps a Dask ``distributed.Client`` (``client.submit`` and
  ``distributed.wait(..., return_when="FIRST_COMPLETED")``).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import sys
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from hyperpilot.execution._call import TrialCall, evaluate, format_error
from hyperpilot.execution._isolation import CallOutcome
from hyperpilot.trial._trial import TrialState

BROKEN_POOL = (
    "a worker process of the pool died abruptly (segmentation fault, os._exit, out of "
    "memory or killed) while this trial or another one ran in it; isolation='process' "
    "runs each trial in its own process so that a crash costs only its own trial"
)


class Engine(ABC):
    """Runs trial calls, up to :attr:`slots` at once, and reports each as it finishes."""

    slots: int = 1
    in_process: bool = False
    """Whether calls run in this process (threads): their trials can report to the study
    directly; otherwise the trials they get carry a reporter that pickles."""

    @abstractmethod
    def submit(self, call: TrialCall, name: str) -> Any:
        """Start *call* (named *name* for logs and dashboards); return its handle."""

    @abstractmethod
    def wait(self, handles: Collection[Any]) -> list[Any]:
        """Block until at least one of *handles* has finished; return the finished ones."""

    @abstractmethod
    def outcome(self, handle: Any) -> CallOutcome:
        """How the finished call *handle* ended; failures of the engine become reasons."""

    @abstractmethod
    def shutdown(self, *, cancel: bool) -> None:
        """Release the engine; with *cancel*, stop running calls as far as it can."""


def process_pool(n_workers: int) -> cf.ProcessPoolExecutor:
    """A process pool of *n_workers* (``forkserver`` on Linux, else ``spawn``).

    Never ``fork``: the parent has threads (heartbeat, database connections). The
    forkserver preloads hyperpilot, so each worker starts in milliseconds.
    """
    if sys.platform.startswith("linux"):
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["__main__", "hyperpilot.execution._call"])
    else:
        context = multiprocessing.get_context("spawn")
    return cf.ProcessPoolExecutor(max_workers=n_workers, mp_context=context)


def _kill_pool(pool: cf.ProcessPoolExecutor) -> None:
    kill = getattr(pool, "kill_workers", None)  # Python 3.14+
    if kill is not None:
        kill()
        return
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        with contextlib.suppress(Exception):
            process.kill()


class FuturesEngine(Engine):
    """Runs calls on a :class:`concurrent.futures.Executor`.

    Args:
        executor: the executor, or a factory for one that this engine owns (it is rebuilt
            after a process pool broke, and shut down at the end).
        slots: how many calls run at once.
        in_process: the executor runs calls in this process (threads): isolated children
            are then killed through a shared event when the study is interrupted.

    """

    def __init__(self, executor: cf.Executor | Callable[[], cf.Executor], *, slots: int,
                 in_process: bool = False) -> None:
        self._factory = None if isinstance(executor, cf.Executor) else executor
        self._executor: cf.Executor | None = executor if isinstance(executor, cf.Executor) else None
        self._pools: list[cf.Executor] = []
        self.slots = slots
        self.in_process = in_process
        self._cancel = threading.Event()
        self._outstanding: set[cf.Future[CallOutcome]] = set()

    def _current(self) -> cf.Executor:
        if self._executor is None:
            assert self._factory is not None
            self._executor = self._factory()
            self._pools.append(self._executor)
        return self._executor

    def submit(self, call: TrialCall, name: str) -> cf.Future[CallOutcome]:
        executor = self._current()
        try:
            if self.in_process:
                future = executor.submit(evaluate, call, self._cancel)
            else:
                future = executor.submit(evaluate, call)
        except BrokenProcessPool:
            if self._factory is None:
                raise
            self._executor = None  # rebuild it: the pool died with an earlier trial
            return self.submit(call, name)
        self._outstanding.add(future)
        return future

    def wait(self, handles: Collection[Any]) -> list[Any]:
        done, _ = cf.wait(handles, return_when=cf.FIRST_COMPLETED)
        return list(done)

    def outcome(self, handle: Any) -> CallOutcome:
        self._outstanding.discard(handle)
        try:
            outcome: CallOutcome = handle.result()
        except BrokenProcessPool:
            if self._factory is not None:
                self._executor = None
            return CallOutcome(TrialState.FAILED, error=BROKEN_POOL)
        except cf.CancelledError:
            return CallOutcome(TrialState.FAILED, error="cancelled before it ran")
        except Exception as exc:
            return CallOutcome(TrialState.FAILED,
                               error=f"the executor failed to run the trial: {format_error(exc)}")
        return outcome

    def shutdown(self, *, cancel: bool) -> None:
        if cancel:
            self._cancel.set()
            for future in self._outstanding:
                future.cancel()
        for pool in self._pools:
            if cancel and isinstance(pool, cf.ProcessPoolExecutor):
                _kill_pool(pool)
            pool.shutdown(wait=True, cancel_futures=cancel)
        self._pools.clear()
        self._outstanding.clear()


class DaskEngine(Engine):
    """Runs calls on a Dask cluster through a ``distributed.Client``.

    Each call is one task (``pure=False``, so equal configurations still run twice). A
    cancelled task that already runs on a worker cannot be stopped by Dask; with
    isolation its child process ends at the trial's time limit at the latest.
    """

    def __init__(self, client: Any, *, slots: int | None = None) -> None:
        self._client = client
        if slots is None:
            slots = sum(client.nthreads().values())
        self.slots = max(int(slots), 1)
        self._token = uuid.uuid4().hex[:8]
        self._outstanding: set[Any] = set()

    def submit(self, call: TrialCall, name: str) -> Any:
        future = self._client.submit(evaluate, call, key=f"hyperpilot-{name}-{self._token}",
                                     pure=False)
        self._outstanding.add(future)
        return future

    def wait(self, handles: Collection[Any]) -> list[Any]:
        import asyncio

        from distributed import wait

        while True:
            try:
                done, _ = wait(  # type: ignore[no-untyped-call,unused-ignore]
                    list(handles), timeout=1.0, return_when="FIRST_COMPLETED")
            except (TimeoutError, asyncio.TimeoutError):  # distinct types before 3.11
                continue  # wake up now and then, so that Ctrl-C is seen
            if done:
                return list(done)

    def outcome(self, handle: Any) -> CallOutcome:
        self._outstanding.discard(handle)
        try:
            outcome: CallOutcome = handle.result()
        except Exception as exc:
            return CallOutcome(TrialState.FAILED,
                               error=f"the Dask task failed: {format_error(exc)}")
        return outcome

    def shutdown(self, *, cancel: bool) -> None:
        if cancel and self._outstanding:
            with contextlib.suppress(Exception):
                self._client.cancel(list(self._outstanding), force=True)
        self._outstanding.clear()


def is_dask_client(executor: Any) -> bool:
    """Whether *executor* is a Dask ``distributed.Client`` (without importing Dask)."""
    module = sys.modules.get("distributed")
    return module is not None and isinstance(executor, module.Client)
