"""Running objectives: time limits now; process pools and Dask come here too."""

from hyperpilot.execution._limits import can_time_limit, time_limit

__all__ = ["can_time_limit", "time_limit"]
