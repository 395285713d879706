"""When is a running trial abandoned: its worker died (same host) or fell silent (any host)."""

from __future__ import annotations

import os

from hyperpilot.execution._heartbeat import DEFAULT_INTERVAL, GRACE_FACTOR
from hyperpilot.trial._trial import Trial


def abandoned_reason(trial: Trial, host: str, now: float, grace: float | None) -> str | None:
    """Why the running *trial* is abandoned, or ``None`` if its worker may be alive."""
    worker = trial.worker or ""
    worker_host, _, pid = worker.rpartition(":")
    if worker_host == host and pid.isdigit():
        if _alive(int(pid), since=trial.started_at):
            return None
        return f"abandoned: worker {worker} died while running it"
    if trial.heartbeat_at is None:
        return None
    if grace is None:
        interval = trial.meta.get("heartbeat_interval", DEFAULT_INTERVAL)
        grace = GRACE_FACTOR * float(interval)
    silent = now - trial.heartbeat_at
    if silent <= grace:
        return None
    return f"abandoned: no heartbeat from worker {worker} for {silent:.0f} s"


def _alive(pid: int, since: float | None = None) -> bool:
    """Whether process *pid* exists and, if *since* is given, started before that time."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    if since is not None:
        import psutil  # type: ignore[import-untyped,unused-ignore]

        try:
            process = psutil.Process(pid)
            started = process.create_time()
            if process.status() == psutil.STATUS_ZOMBIE:
                return False  # dead, waiting for its parent to read its exit status
        except psutil.NoSuchProcess:
            return False
        except psutil.Error:
            return True
        if started > since + 1.0:  # the id was reused by a process started later
            return False
    return True
