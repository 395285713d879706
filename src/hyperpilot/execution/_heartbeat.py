"""A daemon thread that says "still alive" for this process's running trials.

Every ``interval`` seconds it writes the time into the ``heartbeat_at`` of each trial this
process runs (one statement for all of them) and then calls *reap*, which fails trials
that other, dead workers left running. It runs beside the objective, which does not have
to cooperate; an isolated objective runs in a child process and cannot starve it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from types import TracebackType

logger = logging.getLogger("hyperpilot")

DEFAULT_INTERVAL = 10.0
"""Seconds between two heartbeats unless told otherwise."""

GRACE_FACTOR = 3
"""A trial is abandoned after this many intervals without a heartbeat."""


class Heartbeat:
    """Beat for registered trials every *interval* seconds in a daemon thread.

    Use it as a context manager: the thread runs inside the ``with`` block.

    Args:
        beat: writes the heartbeat, called as ``beat(trial_ids, unix_time)``.
        interval: seconds between beats.
        reap: called after each beat (errors are logged, never raised).

    """

    def __init__(self, beat: Callable[[Sequence[int], float], None], *, interval: float,
                 reap: Callable[[], object] | None = None) -> None:
        self._beat = beat
        self._reap = reap
        self.interval = interval
        self._ids: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, trial_id: int) -> None:
        """Beat for *trial_id* from now on."""
        with self._lock:
            self._ids.add(trial_id)

    def discard(self, trial_id: int) -> None:
        """Stop beating for *trial_id* (it finished)."""
        with self._lock:
            self._ids.discard(trial_id)

    def __enter__(self) -> Heartbeat:
        self._thread = threading.Thread(target=self._run, name="hyperpilot-heartbeat",
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=max(self.interval, 5.0))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                ids = sorted(self._ids)
            try:
                if ids:
                    self._beat(ids, time.time())
                if self._reap is not None:
                    self._reap()
            except Exception as exc:  # a busy database must not stop the heartbeat
                logger.warning("heartbeat failed (will retry in %g s): %s", self.interval, exc)
