"""Running objectives: time and memory limits, isolated child processes, pools, Dask, heartbeats.

The study asks and tells; this package only evaluates. See ``docs/parallel.md``.
"""

from hyperpilot.execution._call import TrialCall, TrialPruned, evaluate
from hyperpilot.execution._engines import DaskEngine, Engine, FuturesEngine, process_pool
from hyperpilot.execution._heartbeat import DEFAULT_INTERVAL, Heartbeat
from hyperpilot.execution._isolation import CallOutcome, Isolation, run_isolated
from hyperpilot.execution._limits import can_time_limit, format_bytes, parse_memory, time_limit

__all__ = [
    "DEFAULT_INTERVAL",
    "CallOutcome",
    "DaskEngine",
    "Engine",
    "FuturesEngine",
    "Heartbeat",
    "Isolation",
    "TrialCall",
    "TrialPruned",
    "can_time_limit",
    "evaluate",
    "format_bytes",
    "parse_memory",
    "process_pool",
    "run_isolated",
    "time_limit",
]
