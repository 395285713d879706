"""Run a callable under a wall-time limit in the current process."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from hyperpilot.exceptions import TrialTimeoutError


def can_time_limit() -> bool:
    """Whether :func:`time_limit` works here: POSIX, in the main thread."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`TrialTimeoutError` inside the block once *seconds* have passed.

    It uses a real-time interval timer (``SIGALRM``), so it interrupts Python code and
    blocking calls such as ``time.sleep`` or socket reads; native code that never returns
    to the interpreter is only stopped when it does. Main thread on POSIX only.
    """
    if seconds is None:
        yield
        return

    def _expire(_signum: int, _frame: Any) -> None:
        raise TrialTimeoutError(f"trial exceeded its time limit of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def call_with_limit(fn: Callable[[], Any], seconds: float | None) -> Any:
    """Call *fn* under :func:`time_limit`."""
    with time_limit(seconds):
        return fn()
