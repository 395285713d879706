"""Limits of one trial: a wall-time limit in the current process, and memory sizes."""

from __future__ import annotations

import math
import re
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from hyperpilot.exceptions import OptimizerError, TrialTimeoutError


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


_UNITS = {
    "": 1, "b": 1,
    "k": 2**10, "kb": 10**3, "kib": 2**10,
    "m": 2**20, "mb": 10**6, "mib": 2**20,
    "g": 2**30, "gb": 10**9, "gib": 2**30,
    "t": 2**40, "tb": 10**12, "tib": 2**40,
}
_SIZE = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([a-zA-Z]*)\s*")


def parse_memory(value: int | float | str | None) -> int | None:
    """Read a memory size: bytes as a number, or text such as ``"200MB"`` or ``"2GiB"``.

    ``kB/MB/GB/TB`` are powers of 1000, ``KiB/MiB/GiB/TiB`` and the bare ``K/M/G/T`` (as in
    SLURM's ``--mem``) powers of 1024.

    Raises:
        OptimizerError: for anything else, naming what was given.

    """
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number, unit = float(value), ""
    elif isinstance(value, str) and (match := _SIZE.fullmatch(value)):
        number, unit = float(match.group(1)), match.group(2).lower()
    else:
        number, unit = math.nan, "?"
    if unit not in _UNITS or not (number > 0 and math.isfinite(number)):
        raise OptimizerError(
            f"memory_limit must be a positive size such as 2GB, 512MiB or a number of bytes, "
            f"got {value!r}"
        )
    return int(number * _UNITS[unit])


def format_bytes(size: int) -> str:
    """Write *size* the way a person would: ``200 MB``, ``2 GiB``, ``1.5 GB``."""
    for unit, factor in (("TiB", 2**40), ("TB", 10**12), ("GiB", 2**30), ("GB", 10**9),
                         ("MiB", 2**20), ("MB", 10**6), ("KiB", 2**10), ("kB", 10**3)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    if size >= 10**9:
        return f"{size / 10**9:.3g} GB"
    return f"{size / 10**6:.3g} MB"
