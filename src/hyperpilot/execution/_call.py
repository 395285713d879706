"""One objective call, wherever it runs: in this process, a pool worker, a Dask worker, a child.

A :class:`TrialCall` carries everything a call needs and pickles small: the objective is
serialized once with cloudpickle (so lambdas and closures work) and the same bytes go with
every call. :func:`evaluate` runs a call and never raises for what the objective does; it
returns a :class:`~hyperpilot.execution._isolation.CallOutcome`.
"""

from __future__ import annotations

import dataclasses
import functools
import pickle
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hyperpilot.exceptions import OptimizerError, TrialTimeoutError
from hyperpilot.execution._isolation import CallOutcome, Isolation, exit_reason, run_isolated
from hyperpilot.execution._limits import can_time_limit, time_limit
from hyperpilot.trial._trial import USER_ATTRS, TrialState, drain_reports


class TrialPruned(Exception):
    """Raise inside an objective to stop the trial early and record it as pruned."""


_PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)


def format_error(exc: BaseException) -> str:
    """One line naming the exception, then its traceback (what failed trials store).

    The traceback starts at the user's code: the frames of hyperpilot that called the
    objective are left out (all of them are kept when the error arose in hyperpilot).
    """
    head = f"{type(exc).__name__}: {exc}".strip()
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        tb = tb.tb_next
    if tb is None:
        tb = exc.__traceback__
    return head + "\n" + "".join(traceback.format_exception(type(exc), exc, tb)).rstrip()


def dump_objective(objective: Callable[..., Any]) -> bytes:
    """Serialize *objective* with cloudpickle for other processes.

    Raises:
        OptimizerError: when it cannot be serialized (it holds a lock, a connection...).

    """
    import cloudpickle  # type: ignore[import-untyped,unused-ignore]

    try:
        return bytes(cloudpickle.dumps(objective, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception as exc:
        raise OptimizerError(
            f"the objective cannot be sent to other processes: cloudpickle failed with "
            f"{type(exc).__name__}: {exc}; create such resources inside the objective"
        ) from None


@functools.lru_cache(maxsize=8)
def _load(objective: bytes) -> Callable[..., Any]:
    loaded: Callable[..., Any] = pickle.loads(objective)
    return loaded


@dataclass(frozen=True)
class TrialCall:
    """What one objective call needs, in a form that pickles.

    Attributes:
        objective: the objective as :func:`dump_objective` wrote it.
        config: the configuration, passed first.
        kwargs: ``trial``, ``budget``, ``seed``, ``instance`` when the objective asks.
        timeout: the wall-time limit in seconds, if any.
        isolation: run in a fresh child process under these limits (``None``: here).
        sys_path: the caller's import path, added to the worker's.

    """

    objective: bytes
    config: dict[str, Any]
    kwargs: dict[str, Any] = field(default_factory=dict)
    timeout: float | None = None
    isolation: Isolation | None = None
    sys_path: tuple[str, ...] = ()


def run_in_process(objective: Callable[..., Any], config: dict[str, Any],
                   kwargs: dict[str, Any], timeout: float | None) -> CallOutcome:
    """Call *objective* here, under the ``SIGALRM`` time limit when one is given.

    ``KeyboardInterrupt`` and ``SystemExit`` propagate; every other exception becomes a
    failed outcome with the error text. Learning-curve points that the trial's reporter
    kept back travel in the outcome, whatever the state.
    """
    result = error = None
    try:
        with time_limit(timeout):
            result = objective(dict(config), **kwargs)
    except TrialPruned as exc:
        state, error = TrialState.PRUNED, str(exc) or None
    except TrialTimeoutError as exc:
        state, error = TrialState.FAILED, str(exc)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        state, error = TrialState.FAILED, format_error(exc)
    else:
        state = TrialState.COMPLETE
    return CallOutcome(state, result=result, error=error, meta=_attrs(kwargs),
                       intermediate=drain_reports(kwargs.get("trial")))


def _attrs(kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """The user attributes the objective set on its ``trial`` argument, as outcome meta."""
    trial = kwargs.get("trial")
    attrs = getattr(trial, "meta", {}).get(USER_ATTRS) if trial is not None else None
    return {USER_ATTRS: dict(attrs)} if isinstance(attrs, dict) and attrs else None


def evaluate(call: TrialCall, cancel: threading.Event | None = None) -> CallOutcome:
    """Run *call* in this worker and return how it ended; never raises for the objective.

    The call runs in a child process when it asks for isolation, and also when it has a
    time limit that cannot be enforced here (not the main thread, as in Dask workers and
    thread pools): a Python thread cannot be interrupted, a child process can be killed.
    *cancel* kills such a child at once when set.
    """
    isolation = call.isolation
    if isolation is None and call.timeout is not None and not can_time_limit():
        isolation = Isolation()
    if isolation is not None:
        outcome = run_isolated(call.objective, call.config, call.kwargs, isolation=isolation,
                               timeout=call.timeout, sys_path=call.sys_path, cancel=cancel)
        kept = drain_reports(call.kwargs.get("trial"))
        return dataclasses.replace(outcome, intermediate=kept) if kept else outcome
    for entry in call.sys_path:
        if entry not in sys.path:
            sys.path.append(entry)
    try:
        objective = _load(call.objective)
    except Exception as exc:
        return CallOutcome(TrialState.FAILED,
                           error="cannot load the objective in the worker: " + format_error(exc))
    try:
        return run_in_process(objective, call.config, call.kwargs, call.timeout)
    except SystemExit as exc:
        error = exit_reason(exc.code)
    except KeyboardInterrupt:
        error = "interrupted (KeyboardInterrupt) while running"
    return CallOutcome(TrialState.FAILED, error=error, meta=_attrs(call.kwargs),
                       intermediate=drain_reports(call.kwargs.get("trial")))
